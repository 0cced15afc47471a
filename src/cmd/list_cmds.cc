// list_cmds.cc: the list commands (layer: cmd). Handlers parse arguments, call the list type API
// (db/list_type.h) and reply; encodings and conversions are never touched here. Argument checks
// come in Redis 7.2's order (t_list.c): some commands parse before looking up the key, others
// after, and the first error a client sees depends on it.
#include <cstdint>
#include <optional>
#include <string>

#include "mnemo/base/assert.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/list_type.h"

namespace mnemo::cmd {

namespace {

using db::ListDirection;
using db::ListEnd;
using db::Object;
using db::ObjType;

const db::Options& Opts(const Context& ctx) { return ctx.keyspace.options(); }

// LEFT or RIGHT (Redis getListPositionFromObjectOrReply); replies a syntax error otherwise.
std::optional<ListEnd> EndArg(Context& ctx, std::string_view arg) {
  if (EqualsIgnoreCase(arg, "left")) return ListEnd::kHead;
  if (EqualsIgnoreCase(arg, "right")) return ListEnd::kTail;
  ctx.reply.Error(protocol::kErrSyntax);
  return std::nullopt;
}

// Replies the elements start..end (inclusive, negative from the tail, clamped) as an array, from
// end to start when `reverse` (Redis addListRangeReply).
void ReplyRange(Context& ctx, const Object& o, int64_t start, int64_t end, bool reverse) {
  const auto len = static_cast<int64_t>(db::ListLength(o));
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  // start >= 0 here, so this also catches end < 0.
  if (start > end || start >= len) {
    ctx.reply.EmptyArray();
    return;
  }
  if (end >= len) end = len - 1;
  const int64_t n = end - start + 1;
  ctx.reply.ArrayHeader(static_cast<size_t>(n));
  db::ListIterator it(o, reverse ? end : start,
                      reverse ? ListDirection::kTailToHead : ListDirection::kHeadToTail);
  for (int64_t i = 0; i < n; ++i) {
    const bool more = it.Next();
    MNEMO_ASSERT(more);  // the range was clamped to the length
    ctx.reply.Bulk(it.Value());
  }
}

// Replies up to `count` elements popped from `where` (the order they are popped in) as an array
// and removes them; the caller calls ListAfterRemove.
void PopRange(Context& ctx, Object* o, ListEnd where, int64_t count) {
  const auto len = static_cast<int64_t>(db::ListLength(*o));
  const int64_t n = count > len ? len : count;
  const bool head = where == ListEnd::kHead;
  ReplyRange(ctx, *o, head ? 0 : -n, head ? n - 1 : -1, !head);
  db::ListDeleteRange(o, Opts(ctx), head ? 0 : -n, static_cast<size_t>(n));
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]; `xx`: only if the key exists.
void PushGeneric(Context& ctx, ListEnd where, bool xx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kList)) return;
  if (o == nullptr) {
    if (xx) {
      ctx.reply.Integer(0);
      return;
    }
    o = db::NewListObject(ctx.keyspace, ctx.arg(1));
    d.Add(o);
  }
  db::ListPush(o, Opts(ctx), ctx.argv.subspan(2), where);
  ctx.Changed(ctx.arg(1), db::kNotifyList, where == ListEnd::kHead ? "lpush" : "rpush",
              ctx.argc() - 2);
  ctx.reply.Integer(static_cast<int64_t>(db::ListLength(*o)));
}

void LpushCommand(Context& ctx) { PushGeneric(ctx, ListEnd::kHead, false); }
void RpushCommand(Context& ctx) { PushGeneric(ctx, ListEnd::kTail, false); }
void LpushxCommand(Context& ctx) { PushGeneric(ctx, ListEnd::kHead, true); }
void RpushxCommand(Context& ctx) { PushGeneric(ctx, ListEnd::kTail, true); }

// LPOP/RPOP key [count]. Without count: a bulk (null when the key is missing). With count: an
// array (null array when the key is missing, empty for count 0).
void PopGeneric(Context& ctx, ListEnd where, std::string_view name) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::WrongArity(name));
    return;
  }
  const bool has_count = ctx.argc() == 3;
  int64_t count = 0;
  if (has_count) {
    auto n = RangedIntArg(ctx, ctx.arg(2), 0, INT64_MAX, protocol::kErrMustBePositive);
    if (!n) return;
    count = *n;
  }
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  if (has_count && count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  if (has_count) {
    PopRange(ctx, o, where, count);
  } else {
    ctx.reply.Bulk(db::ListPop(o, Opts(ctx), where));
  }
  ctx.Changed(ctx.arg(1), db::kNotifyList, where == ListEnd::kHead ? "lpop" : "rpop");
  db::ListAfterRemove(d, o);
}

void LpopCommand(Context& ctx) { PopGeneric(ctx, ListEnd::kHead, "lpop"); }
void RpopCommand(Context& ctx) { PopGeneric(ctx, ListEnd::kTail, "rpop"); }

void LlenCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kList)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::ListLength(*o)));
}

// LINDEX key index: the key is looked up before the index is parsed (a missing key answers null
// whatever the index).
void LindexCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  auto index = IntArg(ctx, ctx.arg(2));
  if (!index) return;
  db::ListIterator it(*o, *index, ListDirection::kHeadToTail);
  if (it.Next()) {
    ctx.reply.Bulk(it.Value());
  } else {
    ctx.reply.Null();
  }
}

// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key.
void LinsertCommand(Context& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.arg(2), "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "before")) {
    after = false;
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  Object* o = ctx.db().LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  if (!db::ListInsert(o, Opts(ctx), ctx.arg(3), ctx.arg(4), after)) {
    ctx.reply.Integer(-1);
    return;
  }
  ctx.Changed(ctx.arg(1), db::kNotifyList, "linsert");
  ctx.reply.Integer(static_cast<int64_t>(db::ListLength(*o)));
}

void LrangeCommand(Context& ctx) {
  auto start = IntArg(ctx, ctx.arg(2));
  if (!start) return;
  auto end = IntArg(ctx, ctx.arg(3));
  if (!end) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  ReplyRange(ctx, *o, *start, *end, false);
}

void LtrimCommand(Context& ctx) {
  auto start = IntArg(ctx, ctx.arg(2));
  if (!start) return;
  auto end = IntArg(ctx, ctx.arg(3));
  if (!end) return;
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Ok();
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  const auto len = static_cast<int64_t>(db::ListLength(*o));
  int64_t s = *start < 0 ? *start + len : *start;
  int64_t e = *end < 0 ? *end + len : *end;
  if (s < 0) s = 0;
  int64_t ltrim, rtrim;  // elements to drop at the head and at the tail
  if (s > e || s >= len) {
    ltrim = len;  // an empty range empties the list
    rtrim = 0;
  } else {
    if (e >= len) e = len - 1;
    ltrim = s;
    rtrim = len - e - 1;
  }
  db::ListDeleteRange(o, Opts(ctx), 0, static_cast<size_t>(ltrim));
  db::ListDeleteRange(o, Opts(ctx), -rtrim, static_cast<size_t>(rtrim));
  // Announced even when nothing was trimmed (Redis ltrimCommand); dirty counts the removals.
  ctx.Changed(ctx.arg(1), db::kNotifyList, "ltrim", static_cast<uint64_t>(ltrim + rtrim));
  db::ListAfterRemove(d, o);
  ctx.reply.Ok();
}

// LREM key count element.
void LremCommand(Context& ctx) {
  auto count = IntArg(ctx, ctx.arg(2));
  if (!count) return;
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  const size_t removed = db::ListRemove(o, Opts(ctx), ctx.arg(3), *count);
  if (removed > 0) {
    ctx.Changed(ctx.arg(1), db::kNotifyList, "lrem", removed);
    db::ListAfterRemove(d, o);
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// LSET key index element: the key is looked up before the index is parsed.
void LsetCommand(Context& ctx) {
  Object* o = ctx.db().LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Error(protocol::kErrNoSuchKey);
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;
  auto index = IntArg(ctx, ctx.arg(2));
  if (!index) return;
  if (db::ListSet(o, Opts(ctx), *index, ctx.arg(3))) {
    ctx.Changed(ctx.arg(1), db::kNotifyList, "lset");
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(protocol::kErrIndexOutOfRange);
  }
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] (Redis 7.2 lposCommand).
// RANK n: start from the n-th match (negative: from the tail); COUNT n: an array of up to n
// matches (0: all); MAXLEN n: compare at most n elements (0: all). Indexes are from the head.
void LposCommand(Context& ctx) {
  int64_t rank = 1;
  int64_t count = -1;  // -1: no COUNT option (reply a single index)
  int64_t maxlen = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.arg(j);
    const bool more = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "RANK") && more) {
      auto r = IntArg(ctx, ctx.arg(++j));
      if (!r) return;
      // Redis 7.2 refuses LONG_MIN, whose negation would overflow.
      if (*r == INT64_MIN) {
        ctx.reply.Error(protocol::OutOfRange(-INT64_MAX, INT64_MAX));
        return;
      }
      if (*r == 0) {
        ctx.reply.Error(protocol::kErrLposRankZero);
        return;
      }
      rank = *r;
    } else if (EqualsIgnoreCase(opt, "COUNT") && more) {
      auto c = RangedIntArg(ctx, ctx.arg(++j), 0, INT64_MAX, protocol::kErrLposCountNegative);
      if (!c) return;
      count = *c;
    } else if (EqualsIgnoreCase(opt, "MAXLEN") && more) {
      auto m = RangedIntArg(ctx, ctx.arg(++j), 0, INT64_MAX, protocol::kErrLposMaxlenNegative);
      if (!m) return;
      maxlen = *m;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  const bool from_tail = rank < 0;
  if (from_tail) rank = -rank;

  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    if (count != -1) {
      ctx.reply.EmptyArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (WrongType(ctx, o, ObjType::kList)) return;

  const bool as_array = count != -1;
  const size_t deferred = as_array ? ctx.reply.BeginDeferred() : 0;
  const auto len = static_cast<int64_t>(db::ListLength(*o));
  db::ListIterator it(*o, from_tail ? -1 : 0,
                      from_tail ? ListDirection::kTailToHead : ListDirection::kHeadToTail);
  int64_t index = 0;         // elements compared so far
  int64_t matches = 0;       // matches seen, including those before the rank
  int64_t match_index = -1;  // the single answer without COUNT
  size_t replied = 0;        // indexes replied with COUNT
  while (it.Next() && (maxlen == 0 || index < maxlen)) {
    if (it.Equals(ctx.arg(2))) {
      ++matches;
      match_index = from_tail ? len - index - 1 : index;
      if (matches >= rank) {
        if (!as_array) break;
        ++replied;
        ctx.reply.Integer(match_index);
        if (count != 0 && matches - rank + 1 >= count) break;
      }
    }
    ++index;
    match_index = -1;  // no match at this position
  }
  if (as_array) {
    ctx.reply.EndDeferredArray(deferred, replied);
  } else if (match_index != -1) {
    ctx.reply.Integer(match_index);
  } else {
    ctx.reply.Null();
  }
}

// Pops from `from` of the source list and pushes to `to` of the destination (created if
// missing); replies the element, or null when the source is missing. The destination's type is
// checked before anything moves. Source and destination may be the same list (a rotation).
void MoveGeneric(Context& ctx, ListEnd from, ListEnd to) {
  db::Db& d = ctx.db();
  Object* src = d.LookupWrite(ctx.arg(1));
  if (src == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (WrongType(ctx, src, ObjType::kList)) return;
  Object* dst = d.LookupWrite(ctx.arg(2));
  if (WrongType(ctx, dst, ObjType::kList)) return;
  const std::string value = db::ListPop(src, Opts(ctx), from);
  if (dst == nullptr) {
    dst = db::NewListObject(ctx.keyspace, ctx.arg(2));
    d.Add(dst);
  }
  db::ListPush(dst, Opts(ctx), value, to);
  ctx.reply.Bulk(value);
  // Redis's order: the push, the pop, then the source's deletion if it emptied.
  ctx.Changed(ctx.arg(2), db::kNotifyList, to == ListEnd::kHead ? "lpush" : "rpush");
  ctx.Changed(ctx.arg(1), db::kNotifyList, from == ListEnd::kHead ? "lpop" : "rpop", 0);
  db::ListAfterRemove(d, src);  // after the push: when src is dst, it is not empty
}

void RpoplpushCommand(Context& ctx) { MoveGeneric(ctx, ListEnd::kTail, ListEnd::kHead); }

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void LmoveCommand(Context& ctx) {
  auto from = EndArg(ctx, ctx.arg(3));
  if (!from) return;
  auto to = EndArg(ctx, ctx.arg(4));
  if (!to) return;
  MoveGeneric(ctx, *from, *to);
}

// [B]LMPOP [timeout] numkeys key [key ...] LEFT|RIGHT [COUNT count], numkeys at argv[first]:
// pops up to count (default 1) elements from the first non-empty list among the keys; replies
// [key, [elements]], or (LMPOP, or BLMPOP where it cannot block) a null array. BLMPOP blocks
// when every list is empty; its timeout is parsed after the other arguments, as Redis does.
void MpopGeneric(Context& ctx, size_t first, bool blocking) {
  auto numkeys = RangedIntArg(ctx, ctx.arg(first), 1, INT64_MAX, protocol::kErrNumkeysPositive);
  if (!numkeys) return;
  // LEFT|RIGHT sits at first + 1 + numkeys; compared so that a huge numkeys cannot overflow.
  if (*numkeys >= static_cast<int64_t>(ctx.argc() - first) - 1) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  const size_t where_idx = first + 1 + static_cast<size_t>(*numkeys);
  auto where = EndArg(ctx, ctx.arg(where_idx));
  if (!where) return;
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc(); ++j) {
    if (count == -1 && EqualsIgnoreCase(ctx.arg(j), "COUNT") && j + 1 < ctx.argc()) {
      auto c = RangedIntArg(ctx, ctx.arg(++j), 1, INT64_MAX, protocol::kErrCountPositive);
      if (!c) return;
      count = *c;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (count == -1) count = 1;
  int64_t deadline = 0;
  if (blocking) {
    auto t = TimeoutArg(ctx, ctx.arg(1));
    if (!t) return;
    deadline = *t;
  }

  db::Db& d = ctx.db();
  for (size_t k = first + 1; k < where_idx; ++k) {
    Object* o = d.LookupWrite(ctx.arg(k));
    if (o == nullptr) continue;
    if (WrongType(ctx, o, ObjType::kList)) return;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(ctx.arg(k));
    PopRange(ctx, o, *where, count);
    const bool head = *where == ListEnd::kHead;
    ctx.Changed(ctx.arg(k), db::kNotifyList, head ? "lpop" : "rpop");
    // Propagated as the pop it was, on the key it found (Redis 7).
    ctx.PropagateAs({head ? "LPOP" : "RPOP", ctx.arg(k), Int64ToString(count)});
    db::ListAfterRemove(d, o);
    return;
  }
  if (blocking && ctx.CanBlock()) {
    ctx.Block(ctx.argv.subspan(first + 1, static_cast<size_t>(*numkeys)), deadline,
              TimeoutReply::kNullArray);
    return;
  }
  ctx.reply.NullArray();
}

void LmpopCommand(Context& ctx) { MpopGeneric(ctx, 1, false); }
void BlmpopCommand(Context& ctx) { MpopGeneric(ctx, 2, true); }

// BLPOP/BRPOP key [key ...] timeout: [key, element] from the first non-empty list, else block
// (a null array where it cannot block, as inside MULTI or a script).
void BlockingPopGeneric(Context& ctx, ListEnd where) {
  auto deadline = TimeoutArg(ctx, ctx.arg(ctx.argc() - 1));
  if (!deadline) return;
  db::Db& d = ctx.db();
  const auto keys = ctx.argv.subspan(1, ctx.argc() - 2);
  for (std::string_view key : keys) {
    Object* o = d.LookupWrite(key);
    if (o == nullptr) continue;
    if (WrongType(ctx, o, ObjType::kList)) return;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.Bulk(db::ListPop(o, Opts(ctx), where));
    const bool head = where == ListEnd::kHead;
    ctx.Changed(key, db::kNotifyList, head ? "lpop" : "rpop");
    // Served now or later, it was a plain pop on this key (Redis 7).
    ctx.PropagateAs({head ? "LPOP" : "RPOP", key});
    db::ListAfterRemove(d, o);
    return;
  }
  if (!ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  ctx.Block(keys, *deadline, TimeoutReply::kNullArray);
}

void BlpopCommand(Context& ctx) { BlockingPopGeneric(ctx, ListEnd::kHead); }
void BrpopCommand(Context& ctx) { BlockingPopGeneric(ctx, ListEnd::kTail); }

// BRPOPLPUSH source destination timeout / BLMOVE source destination LEFT|RIGHT LEFT|RIGHT
// timeout: the move when the source has elements, else block on the source.
void BlockingMoveGeneric(Context& ctx, ListEnd from, ListEnd to, size_t timeout_idx) {
  auto deadline = TimeoutArg(ctx, ctx.arg(timeout_idx));
  if (!deadline) return;
  Object* src = ctx.db().LookupWrite(ctx.arg(1));
  if (src == nullptr) {
    if (!ctx.CanBlock()) {
      ctx.reply.Null();
      return;
    }
    ctx.Block(ctx.argv.subspan(1, 1), *deadline, TimeoutReply::kNullBulk);
    return;
  }
  if (WrongType(ctx, src, ObjType::kList)) return;
  MoveGeneric(ctx, from, to);
  if (timeout_idx == 3) {
    ctx.PropagateAs({"RPOPLPUSH", ctx.arg(1), ctx.arg(2)});
  } else {
    ctx.PropagateAs({"LMOVE", ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4)});
  }
}

void BrpoplpushCommand(Context& ctx) {
  BlockingMoveGeneric(ctx, ListEnd::kTail, ListEnd::kHead, 3);
}

void BlmoveCommand(Context& ctx) {
  auto from = EndArg(ctx, ctx.arg(3));
  if (!from) return;
  auto to = EndArg(ctx, ctx.arg(4));
  if (!to) return;
  BlockingMoveGeneric(ctx, *from, *to, 5);
}

constexpr CommandSpec kListCommands[] = {
    {"lpush", LpushCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "list",
     "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple arguments.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"rpush", RpushCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "list",
     "Appends one or more elements to a list. Creates the key if it doesn't exist.", "1.0.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple arguments.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"lpushx", LpushxCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "list",
     "Prepends one or more elements to a list only when the list exists.", "2.2.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple arguments.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"rpushx", RpushxCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "list",
     "Appends an element to a list only when the list exists.", "2.2.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple arguments.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"lpop", LpopCommand, -2, kWrite | kFast, 1, 1, 1, "list",
     "Returns the first elements in a list after removing it. Deletes the list if the last "
     "element was popped.",
     "1.0.0", "O(N) where N is the number of elements returned", kNoSubcommands, kAclList,
     kKeysReadWritten},
    {"rpop", RpopCommand, -2, kWrite | kFast, 1, 1, 1, "list",
     "Returns and removes the last elements of the list. Deletes the list if the last element "
     "was popped.",
     "1.0.0", "O(N) where N is the number of elements returned", kNoSubcommands, kAclList,
     kKeysReadWritten},
    {"llen", LlenCommand, 2, kReadOnly | kFast, 1, 1, 1, "list", "Returns the length of a list.",
     "1.0.0", "O(1)", kNoSubcommands, kAclList, kKeysLookedAt},
    {"lindex", LindexCommand, 3, kReadOnly, 1, 1, 1, "list",
     "Returns an element from a list by its index.", "1.0.0",
     "O(N) where N is the number of elements to traverse to get to the element at index. This "
     "makes asking for the first or the last element of the list O(1).",
     kNoSubcommands, kAclList, kKeysRead},
    {"linsert", LinsertCommand, 5, kWrite | kDenyOom, 1, 1, 1, "list",
     "Inserts an element before or after another element in a list.", "2.2.0",
     "O(N) where N is the number of elements to traverse before seeing the value pivot. This "
     "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
     "and inserting somewhere on the right end (tail) is O(N).",
     kNoSubcommands, kAclList, kKeysWritten},
    {"lrange", LrangeCommand, 4, kReadOnly, 1, 1, 1, "list",
     "Returns a range of elements from a list.", "1.0.0",
     "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
     "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
     kNoSubcommands, kAclList, kKeysRead},
    {"lrem", LremCommand, 4, kWrite, 1, 1, 1, "list",
     "Removes elements from a list. Deletes the list if the last element was removed.", "1.0.0",
     "O(N+M) where N is the length of the list and M is the number of elements removed.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"lset", LsetCommand, 4, kWrite | kDenyOom, 1, 1, 1, "list",
     "Sets the value of an element in a list by its index.", "1.0.0",
     "O(N) where N is the length of the list. Setting either the first or the last element of "
     "the list is O(1).",
     kNoSubcommands, kAclList, kKeysWritten},
    {"ltrim", LtrimCommand, 4, kWrite, 1, 1, 1, "list",
     "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
     "1.0.0", "O(N) where N is the number of elements to be removed by the operation.",
     kNoSubcommands, kAclList, kKeysWritten},
    {"lpos", LposCommand, -3, kReadOnly, 1, 1, 1, "list",
     "Returns the index of matching elements in a list.", "6.0.6",
     "O(N) where N is the number of elements in the list, for the average case. When searching "
     "for elements near the head or the tail of the list, or when the MAXLEN option is provided, "
     "the command may run in constant time.",
     kNoSubcommands, kAclList, kKeysRead},
    {"rpoplpush", RpoplpushCommand, 3, kWrite | kDenyOom, 1, 2, 1, "list",
     "Returns the last element of a list after removing and pushing it to another list. Deletes "
     "the list if the last element was popped.",
     "1.2.0", "O(1)", kNoSubcommands, kAclList, KeysFrom(LmoveKeys)},
    {"lmove", LmoveCommand, 5, kWrite | kDenyOom, 1, 2, 1, "list",
     "Returns an element after popping it from one list and pushing it to another. Deletes the "
     "list if the last element was moved.",
     "6.2.0", "O(1)", kNoSubcommands, kAclList, KeysFrom(LmoveKeys)},
    {"blpop", BlpopCommand, -3, kWrite | kNoScript | kBlocking, 1, -2, 1, "list",
     "Removes and returns the first element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "2.0.0", "O(N) where N is the number of provided keys.", kNoSubcommands, kAclList,
     kKeysReadWritten},
    {"brpop", BrpopCommand, -3, kWrite | kNoScript | kBlocking, 1, -2, 1, "list",
     "Removes and returns the last element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "2.0.0", "O(N) where N is the number of provided keys.", kNoSubcommands, kAclList,
     kKeysReadWritten},
    {"brpoplpush", BrpoplpushCommand, 4, kWrite | kDenyOom | kNoScript | kBlocking, 1, 2, 1, "list",
     "Pops an element from a list, pushes it to another list and returns it. Block until an "
     "element is available otherwise. Deletes the list if the last element was popped.",
     "2.2.0", "O(1)", kNoSubcommands, kAclList, KeysFrom(LmoveKeys)},
    {"blmove", BlmoveCommand, 6, kWrite | kDenyOom | kNoScript | kBlocking, 1, 2, 1, "list",
     "Pops an element from a list, pushes it to another list and returns it. Blocks until an "
     "element is available otherwise. Deletes the list if the last element was moved.",
     "6.2.0", "O(1)", kNoSubcommands, kAclList, KeysFrom(LmoveKeys)},
    {"blmpop", BlmpopCommand, -5, kWrite | kBlocking | kMovableKeys, 0, 0, 0, "list",
     "Pops the first element from one of multiple lists. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "7.0.0",
     "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     kNoSubcommands, kAclList, KeysFrom(TimeoutNumkeysPopKeys)},
    {"lmpop", LmpopCommand, -4, kWrite | kMovableKeys, 0, 0, 0, "list",
     "Returns multiple elements from a list after removing them. Deletes the list if the last "
     "element was popped.",
     "7.0.0",
     "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
     kNoSubcommands, kAclList, KeysFrom(NumkeysPopKeys)},
};

}  // namespace

std::span<const CommandSpec> ListCommands() { return kListCommands; }

}  // namespace mnemo::cmd

// set_cmds.cc: the set commands (layer: cmd). Handlers parse arguments, call the set type API
// (db/set_type.h) and reply; encodings are never touched here. Semantics and error texts follow
// Redis 7.2's t_set.c.
#include <algorithm>
#include <string>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/set_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;
using db::SetMember;

void ReplyMember(Context& ctx, const SetMember& m) {
  db::IntBuffer buf;
  ctx.reply.Bulk(m.Bytes(buf));
}

// Stores a new set object `o` at its key, replacing whatever was there (type and TTL included,
// as Redis setKey does).
void StoreSet(db::Db& d, Object* o) {
  Object* old = d.LookupWrite(o->key());
  if (old != nullptr) {
    d.Overwrite(old, o);
  } else {
    d.Add(o);
  }
}

// Looks up the sets named by argv[first, first + n) for reading. Missing keys give null entries.
// Returns false after replying WRONGTYPE if any key holds another type: every key is checked,
// so a wrong type wins over a missing key wherever it is (Redis checks them all in order).
bool LookupSets(Context& ctx, size_t first, size_t n, std::vector<Object*>* sets) {
  sets->clear();
  sets->reserve(n);
  for (size_t i = first; i < first + n; ++i) {
    Object* o = ctx.db().LookupRead(ctx.arg(i));
    if (WrongType(ctx, o, ObjType::kSet)) return false;
    sets->push_back(o);
  }
  return true;
}

bool AnyMissing(const std::vector<Object*>& sets) {
  return std::find(sets.begin(), sets.end(), nullptr) != sets.end();
}

// ---- single-key commands ----------------------------------------------------------------------

void SaddCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kSet)) return;
  const size_t members = ctx.argc() - 2;
  if (o == nullptr) {
    o = db::NewSetObject(ctx.keyspace, ctx.arg(1), ctx.arg(2), members);
    d.Add(o);
  } else {
    db::SetMaybeConvert(ctx.keyspace, o, members);
  }
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (db::SetAdd(ctx.keyspace, o, ctx.arg(i))) ++added;
  }
  if (added > 0) ctx.Changed(ctx.arg(1), db::kNotifySet, "sadd", static_cast<uint64_t>(added));
  ctx.reply.Integer(added);
}

void SremCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kSet)) return;
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (db::SetRemove(o, ctx.arg(i))) {
      ++removed;
      if (db::SetSize(*o) == 0) break;
    }
  }
  if (removed > 0) {
    ctx.Changed(ctx.arg(1), db::kNotifySet, "srem", static_cast<uint64_t>(removed));
    d.DeleteIfEmpty(o);  // Redis deletes a collection when its last member goes
  }
  ctx.reply.Integer(removed);
}

void SmoveCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* src = d.LookupWrite(ctx.arg(1));
  Object* dst = d.LookupWrite(ctx.arg(2));
  const std::string_view member = ctx.arg(3);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (WrongType(ctx, src, ObjType::kSet) || WrongType(ctx, dst, ObjType::kSet)) return;
  if (src == dst) {
    ctx.reply.Integer(db::SetIsMember(src, member) ? 1 : 0);
    return;
  }
  if (!db::SetRemove(src, member)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.Changed(ctx.arg(1), db::kNotifySet, "srem");
  d.DeleteIfEmpty(src);
  if (dst == nullptr) {
    dst = db::NewSetObject(ctx.keyspace, ctx.arg(2), member, 1);
    d.Add(dst);
  }
  if (db::SetAdd(ctx.keyspace, dst, member)) ctx.Changed(ctx.arg(2), db::kNotifySet, "sadd");
  ctx.reply.Integer(1);
}

void SismemberCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kSet)) return;
  ctx.reply.Integer(o != nullptr && db::SetIsMember(o, ctx.arg(2)) ? 1 : 0);
}

void SmismemberCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kSet)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Integer(o != nullptr && db::SetIsMember(o, ctx.arg(i)) ? 1 : 0);
  }
}

void SmembersCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kSet)) return;
  if (o == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  ctx.reply.SetHeader(db::SetSize(*o));
  db::SetForEach(o, [&](const SetMember& m) {
    ReplyMember(ctx, m);
    return true;
  });
}

void ScardCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kSet)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::SetSize(*o)));
}

// SPOP key [count]
void SpopCommand(Context& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  db::Db& d = ctx.db();
  if (ctx.argc() == 2) {
    Object* o = d.LookupWrite(ctx.arg(1));
    if (o == nullptr) {
      ctx.reply.Null();
      return;
    }
    if (WrongType(ctx, o, ObjType::kSet)) return;
    std::string popped;
    db::SetPop(ctx.keyspace, o, 1, [&](const SetMember& m) {
      db::IntBuffer buf;
      popped = std::string(m.Bytes(buf));
      ctx.reply.Bulk(popped);
    });
    ctx.Changed(ctx.arg(1), db::kNotifySet, "spop");
    // A random pick is not reproducible: propagate which member went (Redis 7).
    ctx.PropagateAs({"SREM", ctx.arg(1), popped});
    d.DeleteIfEmpty(o);
    return;
  }
  // Redis getPositiveLongFromObjectOrReply: a non-integer gets the same text.
  auto count = RangedIntArg(ctx, ctx.arg(2), 0, INT64_MAX, protocol::kErrMustBePositive);
  if (!count) return;
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  if (WrongType(ctx, o, ObjType::kSet)) return;
  if (*count == 0) {
    ctx.reply.SetHeader(0);
    return;
  }
  const size_t size = db::SetSize(*o);
  if (static_cast<uint64_t>(*count) >= size) {
    // The whole set: reply with it and delete the key (lazily when the server deletes lazily).
    ctx.reply.SetHeader(size);
    db::SetForEach(o, [&](const SetMember& m) {
      ReplyMember(ctx, m);
      return true;
    });
    const bool lazy = ctx.keyspace.options().lazyfree_lazy_server_del;
    d.Dispose(d.Detach(o), lazy);
    ctx.Changed(ctx.arg(1), db::kNotifySet, "spop", size);
    ctx.Event(ctx.arg(1), db::kNotifyGeneric, "del");
    ctx.PropagateAs({lazy ? "UNLINK" : "DEL", ctx.arg(1)});
    return;
  }
  // The members that went, as SREM commands of at most kSremBatch members (Redis 7 spop with
  // a count: the pick is random, its effect must be reproducible).
  constexpr size_t kSremBatch = 1024;
  const bool propagate = ctx.propagating();
  std::vector<std::string> srem;
  auto flush = [&] {
    if (srem.size() > 2) ctx.Propagate(std::move(srem));
    srem.clear();
  };
  ctx.reply.SetHeader(static_cast<size_t>(*count));
  db::SetPop(ctx.keyspace, o, static_cast<uint64_t>(*count), [&](const SetMember& m) {
    ReplyMember(ctx, m);
    if (!propagate) return;
    if (srem.empty()) srem = {"SREM", std::string(ctx.arg(1))};
    db::IntBuffer buf;
    srem.emplace_back(m.Bytes(buf));
    if (srem.size() == 2 + kSremBatch) flush();
  });
  if (propagate) flush();
  ctx.PreventPropagation();
  ctx.Changed(ctx.arg(1), db::kNotifySet, "spop", static_cast<uint64_t>(*count));
}

// SRANDMEMBER key [count]: count >= 0 distinct members, count < 0 -count members that may repeat.
void SrandmemberCommand(Context& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (ctx.argc() == 2) {
    Object* o = ctx.db().LookupRead(ctx.arg(1));
    if (o == nullptr) {
      ctx.reply.Null();
      return;
    }
    if (WrongType(ctx, o, ObjType::kSet)) return;
    ReplyMember(ctx, db::SetRandomMember(o));
    return;
  }
  auto count = IntArg(ctx, ctx.arg(2));
  if (!count) return;
  if (*count == INT64_MIN) {  // -count must be representable (Redis: range -LONG_MAX..LONG_MAX)
    ctx.reply.Error(protocol::kErrCountOutOfRange);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (WrongType(ctx, o, ObjType::kSet)) return;
  if (*count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  const bool unique = *count > 0;
  const auto n = static_cast<uint64_t>(unique ? *count : -*count);
  const size_t size = db::SetSize(*o);
  ctx.reply.ArrayHeader(unique ? static_cast<size_t>(std::min<uint64_t>(n, size))
                               : static_cast<size_t>(n));
  auto emit = [&](const SetMember& m) { ReplyMember(ctx, m); };
  if (unique) {
    db::SetRandomMembers(o, n, true, emit);
  } else {
    PickInChunks(ctx, n, [&](size_t chunk) { db::SetRandomMembers(o, chunk, false, emit); });
  }
}

// ---- multi-key commands
// ----------------------------------------------------------------------------

void SinterCommand(Context& ctx) {
  std::vector<Object*> sets;
  if (!LookupSets(ctx, 1, ctx.argc() - 1, &sets)) return;
  if (AnyMissing(sets)) {
    ctx.reply.SetHeader(0);
    return;
  }
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  db::SetIntersect(sets, [&](const SetMember& m) {
    ReplyMember(ctx, m);
    ++n;
    return true;
  });
  ctx.reply.EndDeferredSet(handle, n);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SintercardCommand(Context& ctx) {
  auto numkeys = RangedIntArg(ctx, ctx.arg(1), 1, INT64_MAX, protocol::kErrNumkeysPositive);
  if (!numkeys) return;
  if (static_cast<uint64_t>(*numkeys) > ctx.argc() - 2) {
    ctx.reply.Error(protocol::kErrNumkeysTooMany);
    return;
  }
  const auto nkeys = static_cast<size_t>(*numkeys);
  int64_t limit = 0;  // 0: no limit
  for (size_t i = 2 + nkeys; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "LIMIT") && i + 1 < ctx.argc()) {
      auto l = RangedIntArg(ctx, ctx.arg(i + 1), 0, INT64_MAX, protocol::kErrLimitNegative);
      if (!l) return;
      limit = *l;
      ++i;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  std::vector<Object*> sets;
  if (!LookupSets(ctx, 2, nkeys, &sets)) return;
  if (AnyMissing(sets)) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t n = 0;
  db::SetIntersect(sets, [&](const SetMember&) { return ++n != limit; });
  ctx.reply.Integer(n);
}

void SinterstoreCommand(Context& ctx) {
  std::vector<Object*> sets;
  if (!LookupSets(ctx, 2, ctx.argc() - 2, &sets)) return;
  db::Db& d = ctx.db();
  Object* result = nullptr;
  if (!AnyMissing(sets)) result = db::SetIntersectStore(ctx.keyspace, sets, ctx.arg(1));
  if (result == nullptr) {
    if (d.Delete(ctx.arg(1), ctx.keyspace.options().lazyfree_lazy_server_del)) {
      ctx.Changed(ctx.arg(1), db::kNotifyGeneric, "del");
    }
    ctx.reply.Integer(0);
    return;
  }
  StoreSet(d, result);
  ctx.Changed(ctx.arg(1), db::kNotifySet, "sinterstore");
  ctx.reply.Integer(static_cast<int64_t>(db::SetSize(*result)));
}

void UnionDiffGeneric(Context& ctx, db::SetOp op, bool store) {
  const size_t first = store ? 2 : 1;
  std::vector<Object*> sets;
  if (!LookupSets(ctx, first, ctx.argc() - first, &sets)) return;
  db::Db& d = ctx.db();
  const std::string_view key = store ? ctx.arg(1) : std::string_view();
  Object* result = db::SetUnionDiff(ctx.keyspace, sets, op, key);
  if (store) {
    if (result == nullptr) {
      if (d.Delete(key, ctx.keyspace.options().lazyfree_lazy_server_del)) {
        ctx.Changed(key, db::kNotifyGeneric, "del");
      }
      ctx.reply.Integer(0);
      return;
    }
    StoreSet(d, result);
    ctx.Changed(key, db::kNotifySet, op == db::SetOp::kUnion ? "sunionstore" : "sdiffstore");
    ctx.reply.Integer(static_cast<int64_t>(db::SetSize(*result)));
    return;
  }
  if (result == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  ctx.reply.SetHeader(db::SetSize(*result));
  db::SetForEach(result, [&](const SetMember& m) {
    ReplyMember(ctx, m);
    return true;
  });
  // The temporary set was never stored: free it (in the background when it is big and the
  // server deletes lazily, as Redis does).
  d.Dispose(result, ctx.keyspace.options().lazyfree_lazy_server_del);
}

void SunionCommand(Context& ctx) { UnionDiffGeneric(ctx, db::SetOp::kUnion, false); }
void SunionstoreCommand(Context& ctx) { UnionDiffGeneric(ctx, db::SetOp::kUnion, true); }
void SdiffCommand(Context& ctx) { UnionDiffGeneric(ctx, db::SetOp::kDiff, false); }
void SdiffstoreCommand(Context& ctx) { UnionDiffGeneric(ctx, db::SetOp::kDiff, true); }

// SSCAN key cursor [MATCH pattern] [COUNT count]
void SscanCommand(Context& ctx) {
  auto cursor = ScanCursorArg(ctx, ctx.arg(2));
  if (!cursor) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {  // the options are not even parsed (Redis replies before looking at them)
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  if (WrongType(ctx, o, ObjType::kSet)) return;
  auto opts = ScanOptionsArg(ctx, 3, false);
  if (!opts) return;
  std::vector<std::string> found;
  const uint64_t next =
      db::SetScan(o, *cursor, static_cast<size_t>(opts->count), [&](const SetMember& m) {
        db::IntBuffer buf;
        const std::string_view bytes = m.Bytes(buf);
        if (opts->Matches(bytes)) found.emplace_back(bytes);
      });
  ReplyScanPage(ctx, next, found);
}

constexpr CommandSpec kSetCommands[] = {
    {"sadd", SaddCommand, -3, kWrite | kDenyOom | kFast, 1, 1, 1, "set",
     "Adds one or more members to a set. Creates the key if it doesn't exist.", "1.0.0",
     "O(1) for each element added, so O(N) to add N elements when the command is called with "
     "multiple arguments.",
     kNoSubcommands, kAclSet, kKeysWritten},
    {"srem", SremCommand, -3, kWrite | kFast, 1, 1, 1, "set",
     "Removes one or more members from a set. Deletes the set if the last member was removed.",
     "1.0.0", "O(N) where N is the number of members to be removed.", kNoSubcommands, kAclSet,
     kKeysWritten},
    {"smove", SmoveCommand, 4, kWrite | kFast, 1, 2, 1, "set",
     "Moves a member from one set to another.", "1.0.0", "O(1)", kNoSubcommands, kAclSet,
     KeysFrom(LmoveKeys)},
    {"sismember", SismemberCommand, 3, kReadOnly | kFast, 1, 1, 1, "set",
     "Determines whether a member belongs to a set.", "1.0.0", "O(1)", kNoSubcommands, kAclSet,
     kKeysLookedAt},
    {"smismember", SmismemberCommand, -3, kReadOnly | kFast, 1, 1, 1, "set",
     "Determines whether multiple members belong to a set.", "6.2.0",
     "O(N) where N is the number of elements being checked for membership", kNoSubcommands, kAclSet,
     kKeysRead},
    {"smembers", SmembersCommand, 2, kReadOnly, 1, 1, 1, "set", "Returns all members of a set.",
     "1.0.0", "O(N) where N is the set cardinality.", kNoSubcommands, kAclSet, kKeysRead},
    {"scard", ScardCommand, 2, kReadOnly | kFast, 1, 1, 1, "set",
     "Returns the number of members in a set.", "1.0.0", "O(1)", kNoSubcommands, kAclSet,
     kKeysLookedAt},
    {"spop", SpopCommand, -2, kWrite | kFast, 1, 1, 1, "set",
     "Returns one or more random members from a set after removing them. Deletes the set if "
     "the last member was popped.",
     "1.0.0",
     "Without the count argument O(1), otherwise O(N) where N is the value of the passed "
     "count.",
     kNoSubcommands, kAclSet, kKeysReadWritten},
    {"srandmember", SrandmemberCommand, -2, kReadOnly, 1, 1, 1, "set",
     "Get one or multiple random members from a set", "1.0.0",
     "Without the count argument O(1), otherwise O(N) where N is the absolute value of the "
     "passed count.",
     kNoSubcommands, kAclSet, kKeysRead},
    {"sinter", SinterCommand, -2, kReadOnly, 1, -1, 1, "set",
     "Returns the intersect of multiple sets.", "1.0.0",
     "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
     "sets.",
     kNoSubcommands, kAclSet, kKeysRead},
    {"sintercard", SintercardCommand, -3, kReadOnly | kMovableKeys, 0, 0, 0, "set",
     "Returns the number of members of the intersect of multiple sets.", "7.0.0",
     "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
     "sets.",
     kNoSubcommands, kAclSet, KeysFrom(NumkeysReadKeys)},
    {"sinterstore", SinterstoreCommand, -3, kWrite | kDenyOom, 1, -1, 1, "set",
     "Stores the intersect of multiple sets in a key.", "1.0.0",
     "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
     "sets.",
     kNoSubcommands, kAclSet, KeysFrom(StoreFromRestKeys)},
    {"sunion", SunionCommand, -2, kReadOnly, 1, -1, 1, "set", "Returns the union of multiple sets.",
     "1.0.0", "O(N) where N is the total number of elements in all given sets.", kNoSubcommands,
     kAclSet, kKeysRead},
    {"sunionstore", SunionstoreCommand, -3, kWrite | kDenyOom, 1, -1, 1, "set",
     "Stores the union of multiple sets in a key.", "1.0.0",
     "O(N) where N is the total number of elements in all given sets.", kNoSubcommands, kAclSet,
     KeysFrom(StoreFromRestKeys)},
    {"sdiff", SdiffCommand, -2, kReadOnly, 1, -1, 1, "set",
     "Returns the difference of multiple sets.", "1.0.0",
     "O(N) where N is the total number of elements in all given sets.", kNoSubcommands, kAclSet,
     kKeysRead},
    {"sdiffstore", SdiffstoreCommand, -3, kWrite | kDenyOom, 1, -1, 1, "set",
     "Stores the difference of multiple sets in a key.", "1.0.0",
     "O(N) where N is the total number of elements in all given sets.", kNoSubcommands, kAclSet,
     KeysFrom(StoreFromRestKeys)},
    {"sscan", SscanCommand, -3, kReadOnly, 1, 1, 1, "set", "Iterates over members of a set.",
     "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
     "the cursor to return back to 0. N is the number of elements inside the collection.",
     kNoSubcommands, kAclSet, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> SetCommands() { return kSetCommands; }

}  // namespace mnemo::cmd

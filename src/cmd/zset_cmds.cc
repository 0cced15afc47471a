// zset_cmds.cc: the sorted set commands (layer: cmd). Handlers parse arguments, call the zset
// type API (db/zset_type.h) and reply; encodings are never touched here. Argument order, error
// precedence and reply shapes follow Redis 7 t_zset.c (ZRANK WITHSCORE as in 7.2).
//
// Reply shapes with scores: RESP2 sends a flat array (member, score, member, score...), RESP3 an
// array of [member, score] pairs (never a map: the order matters), with scores as doubles.
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/zset_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// ---- shared helpers ---------------------------------------------------------------------------

// After a write to the zset `o`: deletes its key if it has become empty (Redis deletes empty
// collections), announcing "del", or gives its value the slot that fits it. `o` is gone either
// way.
void DeleteIfEmptyOrRepack(Context& ctx, Object* o) { ctx.db().DeleteIfEmptyOrRepack(o); }

// Deletes the destination of a store whose result is empty, announcing "del" if it existed.
void DeleteStoreDestination(Context& ctx, std::string_view key) {
  if (ctx.db().Delete(key, false)) ctx.Changed(key, db::kNotifyGeneric, "del");
}

// Stores a new zset object at `key`, replacing whatever is there (Redis setKey).
void StoreObject(Context& ctx, std::string_view key, Object* o) {
  db::Db& d = ctx.db();
  if (Object* old = d.LookupWrite(key); old != nullptr) {
    d.Overwrite(old, o);
  } else {
    d.Add(o);
  }
  d.Repack(o);
}

// The reply length of n elements, flat in RESP2 with scores.
size_t ElementsLength(const Context& ctx, size_t n, bool withscores) {
  return withscores && ctx.reply.resp() == 2 ? 2 * n : n;
}

// One element of a reply with optional scores (Redis zrangeResultEmitCBufferToClient).
void ReplyElement(Context& ctx, std::string_view member, double score, bool withscores) {
  if (withscores && ctx.reply.resp() > 2) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(member);
  if (withscores) ctx.reply.Double(score);
}

// A positive long as Redis's getPositiveLongFromObjectOrReply: non-integers and negatives get the
// same error.
std::optional<int64_t> PositiveArg(Context& ctx, std::string_view arg, std::string_view error) {
  return RangedIntArg(ctx, arg, 0, INT64_MAX, error);
}

// A score as Redis's getDoubleFromObjectOrReply, with a custom error.
std::optional<double> DoubleArgOr(Context& ctx, std::string_view arg, std::string_view error) {
  auto v = ParseDouble(arg);
  if (!v) ctx.reply.Error(error);
  return v;
}

// ---- ZADD, ZINCRBY, ZREM ------------------------------------------------------------------------

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY (Redis
// zaddGenericCommand: ZINCRBY is ZADD with INCR, its arguments parsed the same way).
void ZaddGeneric(Context& ctx, unsigned flags) {
  size_t idx = 2;
  bool ch = false;
  for (; idx < ctx.argc(); ++idx) {
    const std::string_view opt = ctx.arg(idx);
    if (EqualsIgnoreCase(opt, "nx")) {
      flags |= db::kZaddNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      flags |= db::kZaddXx;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      flags |= db::kZaddIncr;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      flags |= db::kZaddGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      flags |= db::kZaddLt;
    } else {
      break;
    }
  }
  const bool incr = (flags & db::kZaddIncr) != 0;
  const bool nx = (flags & db::kZaddNx) != 0;
  const bool xx = (flags & db::kZaddXx) != 0;
  const bool gt = (flags & db::kZaddGt) != 0;
  const bool lt = (flags & db::kZaddLt) != 0;

  size_t elements = ctx.argc() - idx;
  if (elements == 0 || elements % 2 != 0) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  elements /= 2;
  if (nx && xx) {
    ctx.reply.Error(protocol::kErrZaddXxAndNx);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.reply.Error(protocol::kErrZaddGtLtNx);
    return;
  }
  if (incr && elements > 1) {
    ctx.reply.Error(protocol::kErrZaddIncrSinglePair);
    return;
  }
  // Every score is parsed before anything changes: the command applies fully or not at all.
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    auto s = DoubleArg(ctx, ctx.arg(idx + 2 * j));
    if (!s) return;
    scores[j] = *s;
  }

  db::Db& d = ctx.db();
  const std::string_view key = ctx.arg(1);
  Object* o = d.LookupWrite(key);
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr) {
    if (xx) {  // nothing to update, and nothing is created
      if (incr) {
        ctx.reply.Null();
      } else {
        ctx.reply.Integer(0);
      }
      return;
    }
    o = db::NewZsetObject(ctx.keyspace, key, elements, ctx.arg(idx + 1).size());
    d.Add(o);
  } else {
    db::ZsetMaybeConvert(ctx.keyspace, o, elements);
  }

  using Outcome = db::ZaddResult::Outcome;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t processed = 0;
  double score = 0;
  for (size_t j = 0; j < elements; ++j) {
    const db::ZaddResult r =
        db::ZsetAdd(ctx.keyspace, o, ctx.arg(idx + 1 + 2 * j), scores[j], flags);
    if (r.outcome == Outcome::kNan) {
      ctx.reply.Error(protocol::kErrScoreNan);
      DeleteIfEmptyOrRepack(ctx, o);
      return;
    }
    if (r.outcome == Outcome::kAdded) ++added;
    if (r.outcome == Outcome::kUpdated) ++updated;
    if (r.outcome != Outcome::kSkipped) {
      ++processed;
      score = r.score;
    }
  }
  if (added > 0 || updated > 0) {
    ctx.Changed(key, db::kNotifyZset, incr ? "zincr" : "zadd",
                static_cast<uint64_t>(added + updated));
  }
  DeleteIfEmptyOrRepack(ctx, o);  // XX or NX on a new key may have added nothing
  if (incr) {
    if (processed > 0) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
}

void ZaddCommand(Context& ctx) { ZaddGeneric(ctx, db::kZaddNone); }
void ZincrbyCommand(Context& ctx) { ZaddGeneric(ctx, db::kZaddIncr); }

void ZremCommand(Context& ctx) {
  Object* o = ctx.db().LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (db::ZsetDelete(o, ctx.arg(j))) ++deleted;
    if (db::ZsetLength(*o) == 0) break;
  }
  if (deleted > 0) {
    ctx.Changed(ctx.arg(1), db::kNotifyZset, "zrem", static_cast<uint64_t>(deleted));
    DeleteIfEmptyOrRepack(ctx, o);
  }
  ctx.reply.Integer(deleted);
}

// ---- ZREMRANGEBYRANK / BYSCORE / BYLEX
// ------------------------------------------------------------

enum class RangeType { kAuto, kRank, kScore, kLex };

// Clamps Redis-style ranks (negative from the end) to [start, end] within a set of `length`;
// returns false when the range is empty.
bool SanitizeRanks(int64_t start, int64_t end, size_t length, size_t* out_start, size_t* out_end) {
  const auto len = static_cast<int64_t>(length);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  if (end >= len) end = len - 1;
  *out_start = static_cast<size_t>(start);
  *out_end = static_cast<size_t>(end);
  return true;
}

void ZremrangeGeneric(Context& ctx, RangeType type) {
  int64_t start = 0;
  int64_t end = 0;
  std::optional<ds::ScoreRange> score_range;
  std::optional<ds::LexRange> lex_range;
  // Step 1: the range, before the key is looked up (Redis's order of errors).
  if (type == RangeType::kRank) {
    auto s = IntArg(ctx, ctx.arg(2));
    if (!s) return;
    auto e = IntArg(ctx, ctx.arg(3));
    if (!e) return;
    start = *s;
    end = *e;
  } else if (type == RangeType::kScore) {
    score_range = ds::ParseScoreRange(ctx.arg(2), ctx.arg(3));
    if (!score_range) {
      ctx.reply.Error(protocol::kErrMinMaxNotFloat);
      return;
    }
  } else {
    lex_range = ds::ParseLexRange(ctx.arg(2), ctx.arg(3));
    if (!lex_range) {
      ctx.reply.Error(protocol::kErrMinMaxNotLex);
      return;
    }
  }

  Object* o = ctx.db().LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  size_t deleted = 0;
  if (type == RangeType::kRank) {
    size_t first = 0;
    size_t last = 0;
    if (SanitizeRanks(start, end, db::ZsetLength(*o), &first, &last)) {
      deleted = db::ZsetDeleteRangeByRank(o, first, last);
    }
  } else if (type == RangeType::kScore) {
    deleted = db::ZsetDeleteRangeByScore(o, *score_range);
  } else {
    deleted = db::ZsetDeleteRangeByLex(o, *lex_range);
  }
  if (deleted > 0) {
    const char* event = type == RangeType::kRank    ? "zremrangebyrank"
                        : type == RangeType::kScore ? "zremrangebyscore"
                                                    : "zremrangebylex";
    ctx.Changed(ctx.arg(1), db::kNotifyZset, event, deleted);
    DeleteIfEmptyOrRepack(ctx, o);
  }
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void ZremrangebyrankCommand(Context& ctx) { ZremrangeGeneric(ctx, RangeType::kRank); }
void ZremrangebyscoreCommand(Context& ctx) { ZremrangeGeneric(ctx, RangeType::kScore); }
void ZremrangebylexCommand(Context& ctx) { ZremrangeGeneric(ctx, RangeType::kLex); }

// ---- ZRANGE and its family ----------------------------------------------------------------------

enum class Direction { kAuto, kForward, kReverse };

// Where a range's elements go: the client's reply, or a new zset (ZRANGESTORE). Mirrors Redis's
// zrange_result_handler.
class RangeSink {
 public:
  // `dst_key` empty: reply to the client.
  RangeSink(Context& ctx, bool store, std::string_view dst_key, bool withscores)
      : ctx_(ctx), store_(store), dst_key_(dst_key), withscores_(withscores) {}
  RangeSink(const RangeSink&) = delete;
  RangeSink& operator=(const RangeSink&) = delete;
  ~RangeSink() {
    if (dst_ != nullptr) db::FreeObject(dst_);
  }

  // Starts the result; `length` is its size when known in advance, -1 otherwise.
  void Begin(int64_t length) {
    if (store_) {
      dst_ = db::NewZsetObject(ctx_.keyspace, dst_key_,
                               length >= 0 ? static_cast<size_t>(length) : 0, 0);
      return;
    }
    if (length >= 0) {
      ctx_.reply.ArrayHeader(ElementsLength(ctx_, static_cast<size_t>(length), withscores_));
    } else {
      deferred_ = true;
      handle_ = ctx_.reply.BeginDeferred();
    }
  }

  void Emit(std::string_view member, double score) {
    if (store_) {
      db::ZsetAdd(ctx_.keyspace, dst_, member, score, db::kZaddNone);
    } else {
      ReplyElement(ctx_, member, score, withscores_);
    }
    ++count_;
  }

  // Ends the result: the reply length, or the store (an empty result deletes the destination).
  void Finish() {
    if (!store_) {
      if (deferred_)
        ctx_.reply.EndDeferredArray(handle_, ElementsLength(ctx_, count_, withscores_));
      return;
    }
    if (count_ > 0) {
      StoreObject(ctx_, dst_key_, std::exchange(dst_, nullptr));
      ctx_.Changed(dst_key_, db::kNotifyZset, "zrangestore");
    } else {
      DeleteStoreDestination(ctx_, dst_key_);
    }
    ctx_.reply.Integer(static_cast<int64_t>(count_));
  }

 private:
  Context& ctx_;
  bool store_;
  std::string_view dst_key_;
  bool withscores_;
  Object* dst_ = nullptr;  // ZRANGESTORE's result until it is stored
  bool deferred_ = false;
  size_t handle_ = 0;
  size_t count_ = 0;
};

// ZRANGE, ZRANGESTORE and the older Z[REV]RANGE[BYSCORE|BYLEX] (Redis zrangeGenericCommand).
// argv[first] is the source key, followed by min, max and options; `type` and `dir` are fixed by
// the older commands and kAuto for ZRANGE/ZRANGESTORE.
void ZrangeGeneric(Context& ctx, size_t first, bool store, RangeType type, Direction dir) {
  const std::string_view key = ctx.arg(first);
  size_t min_idx = first + 1;
  size_t max_idx = first + 2;
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;
  for (size_t j = first + 3; j < ctx.argc(); ++j) {
    const std::string_view a = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      auto o = IntArg(ctx, ctx.arg(j + 1));
      if (!o) return;
      auto l = IntArg(ctx, ctx.arg(j + 2));
      if (!l) return;
      offset = *o;
      limit = *l;
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  const bool reverse = dir == Direction::kReverse;
  // Redis tests `limit != -1`, so "LIMIT 0 -1" passes with a rank range.
  if (limit != -1 && type == RangeType::kRank) {
    ctx.reply.Error(protocol::kErrLimitNeedsByscoreOrBylex);
    return;
  }
  if (withscores && type == RangeType::kLex) {
    ctx.reply.Error(protocol::kErrWithscoresWithBylex);
    return;
  }
  // Reversed score and lex ranges are given as max, min.
  if (reverse && type != RangeType::kRank) std::swap(min_idx, max_idx);

  int64_t start = 0;
  int64_t end = 0;
  std::optional<ds::ScoreRange> score_range;
  std::optional<ds::LexRange> lex_range;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank: {
      auto s = IntArg(ctx, ctx.arg(min_idx));
      if (!s) return;
      auto e = IntArg(ctx, ctx.arg(max_idx));
      if (!e) return;
      start = *s;
      end = *e;
      break;
    }
    case RangeType::kScore:
      score_range = ds::ParseScoreRange(ctx.arg(min_idx), ctx.arg(max_idx));
      if (!score_range) {
        ctx.reply.Error(protocol::kErrMinMaxNotFloat);
        return;
      }
      break;
    case RangeType::kLex:
      lex_range = ds::ParseLexRange(ctx.arg(min_idx), ctx.arg(max_idx));
      if (!lex_range) {
        ctx.reply.Error(protocol::kErrMinMaxNotLex);
        return;
      }
      break;
  }

  RangeSink sink(ctx, store, store ? ctx.arg(1) : std::string_view(), withscores);
  Object* o = ctx.db().LookupRead(key);
  if (o == nullptr) {
    if (store) {
      sink.Begin(-1);
      sink.Finish();
    } else {
      ctx.reply.EmptyArray();
    }
    return;
  }
  if (WrongType(ctx, o, ObjType::kZset)) return;

  auto emit = [&sink](std::string_view member, double score) { sink.Emit(member, score); };
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank: {
      size_t first_rank = 0;
      size_t last_rank = 0;
      if (!SanitizeRanks(start, end, db::ZsetLength(*o), &first_rank, &last_rank)) {
        sink.Begin(0);
        break;
      }
      sink.Begin(static_cast<int64_t>(last_rank - first_rank + 1));
      db::ZsetRangeByRank(o, first_rank, last_rank, reverse, emit);
      break;
    }
    case RangeType::kScore:
      sink.Begin(-1);
      db::ZsetRangeByScore(o, *score_range, offset, limit, reverse, emit);
      break;
    case RangeType::kLex:
      sink.Begin(-1);
      db::ZsetRangeByLex(o, *lex_range, offset, limit, reverse, emit);
      break;
  }
  sink.Finish();
}

void ZrangeCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void ZrangestoreCommand(Context& ctx) {
  ZrangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void ZrevrangeCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void ZrangebyscoreCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void ZrevrangebyscoreCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void ZrangebylexCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void ZrevrangebylexCommand(Context& ctx) {
  ZrangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ---- counts, scores, ranks ----------------------------------------------------------------------

void ZcountCommand(Context& ctx) {
  const auto range = ds::ParseScoreRange(ctx.arg(2), ctx.arg(3));
  if (!range) {
    ctx.reply.Error(protocol::kErrMinMaxNotFloat);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::ZsetCount(o, *range)));
}

void ZlexcountCommand(Context& ctx) {
  const auto range = ds::ParseLexRange(ctx.arg(2), ctx.arg(3));
  if (!range) {
    ctx.reply.Error(protocol::kErrMinMaxNotLex);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::ZsetLexCount(o, *range)));
}

void ZcardCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::ZsetLength(*o)));
}

void ZscoreCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  const std::optional<double> s = o == nullptr ? std::nullopt : db::ZsetScore(o, ctx.arg(2));
  if (s) {
    ctx.reply.Double(*s);
  } else {
    ctx.reply.Null();
  }
}

void ZmscoreCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    // A missing key answers as an empty set.
    const std::optional<double> s = o == nullptr ? std::nullopt : db::ZsetScore(o, ctx.arg(j));
    if (s) {
      ctx.reply.Double(*s);
    } else {
      ctx.reply.Null();
    }
  }
}

// ZRANK / ZREVRANK key member [WITHSCORE] (Redis 7.2 zrankGenericCommand).
void ZrankGeneric(Context& ctx, bool reverse) {
  if (ctx.argc() > 4) {
    ctx.reply.Error(protocol::WrongArity(ctx.arg(0)));
    return;
  }
  bool withscore = false;
  if (ctx.argc() == 4) {
    if (!EqualsIgnoreCase(ctx.arg(3), "withscore")) {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
    withscore = true;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  const auto r = o == nullptr ? std::nullopt : db::ZsetRank(o, ctx.arg(2), reverse);
  if (!r) {
    if (withscore) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (withscore) ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(static_cast<int64_t>(r->rank));
  if (withscore) ctx.reply.Double(r->score);
}

void ZrankCommand(Context& ctx) { ZrankGeneric(ctx, false); }
void ZrevrankCommand(Context& ctx) { ZrankGeneric(ctx, true); }

// ---- pops ---------------------------------------------------------------------------------------

// Pops from the first non-empty zset among `keys` (Redis genericZpopCommand). count -1 is a
// plain single pop. `nested`: [member, score] pairs instead of a flat list; `emit_key`: the key
// name first ([key, [pairs]] with nested); `nil_when_empty`: a null array rather than an empty
// one when no key holds a zset.
void GenericPop(Context& ctx, std::span<const std::string_view> keys, bool max, int64_t count,
                bool nested, bool emit_key, bool nil_when_empty) {
  db::Db& d = ctx.db();
  Object* o = nullptr;
  std::string_view key;
  for (std::string_view k : keys) {
    o = d.LookupWrite(k);
    if (o == nullptr) continue;
    if (WrongType(ctx, o, ObjType::kZset)) return;
    key = k;
    break;
  }
  if (o == nullptr) {
    if (nil_when_empty) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.EmptyArray();
    }
    return;
  }
  if (count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  if (count == -1) count = 1;
  const size_t n = std::min(static_cast<size_t>(count), db::ZsetLength(*o));
  if (!nested && !emit_key) {
    ctx.reply.ArrayHeader(2 * n);
  } else if (nested && !emit_key) {
    ctx.reply.ArrayHeader(n);
  } else if (!nested && emit_key) {
    ctx.reply.ArrayHeader(2 * n + 1);
    ctx.reply.Bulk(key);
  } else {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.ArrayHeader(n);
  }
  db::ZsetPop(o, max, n, [&ctx, nested](std::string_view member, double score) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(member);
    ctx.reply.Double(score);
  });
  ctx.Changed(key, db::kNotifyZset, max ? "zpopmax" : "zpopmin", n);
  // Propagated as the pop it was, on the key it found (ZMPOP and the blocking pops; ZPOPMIN
  // and ZPOPMAX are rewritten to themselves).
  ctx.PropagateAs({max ? "ZPOPMAX" : "ZPOPMIN", key, Int64ToString(static_cast<int64_t>(n))});
  DeleteIfEmptyOrRepack(ctx, o);
}

// ZPOPMIN / ZPOPMAX key [count]
void ZpopMinMax(Context& ctx, bool max) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  int64_t count = -1;
  if (ctx.argc() == 3) {
    auto c = PositiveArg(ctx, ctx.arg(2), protocol::kErrMustBePositive);
    if (!c) return;
    count = *c;
  }
  // RESP3 with a count: [member, score] pairs; otherwise one flat array.
  const bool nested = ctx.reply.resp() > 2 && count != -1;
  GenericPop(ctx, ctx.argv.subspan(1, 1), max, count, nested, false, false);
}

void ZpopminCommand(Context& ctx) { ZpopMinMax(ctx, false); }
void ZpopmaxCommand(Context& ctx) { ZpopMinMax(ctx, true); }

// The first of `keys` that exists, checked to be a zset in order (Redis's blocking pops stop at
// the first existing key). Returns false after replying WRONGTYPE; *found is false when none
// exists.
bool FirstZset(Context& ctx, std::span<const std::string_view> keys, bool* found) {
  *found = false;
  for (std::string_view k : keys) {
    Object* o = ctx.db().LookupWrite(k);
    if (o == nullptr) continue;
    if (WrongType(ctx, o, ObjType::kZset)) return false;
    *found = true;
    return true;
  }
  return true;
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score], else block.
void BzpopGeneric(Context& ctx, bool max) {
  auto deadline = TimeoutArg(ctx, ctx.arg(ctx.argc() - 1));
  if (!deadline) return;
  const auto keys = ctx.argv.subspan(1, ctx.argc() - 2);
  bool found;
  if (!FirstZset(ctx, keys, &found)) return;
  if (found || !ctx.CanBlock()) {
    GenericPop(ctx, keys, max, -1, false, true, true);
    return;
  }
  ctx.Block(keys, *deadline, TimeoutReply::kNullArray);
}

void BzpopminCommand(Context& ctx) { BzpopGeneric(ctx, false); }
void BzpopmaxCommand(Context& ctx) { BzpopGeneric(ctx, true); }

// [B]ZMPOP [timeout] numkeys key [key ...] MIN|MAX [COUNT count], numkeys at argv[first].
void ZmpopGeneric(Context& ctx, size_t first, bool blocking) {
  auto numkeys = RangedIntArg(ctx, ctx.arg(first), 1, INT64_MAX, protocol::kErrNumkeysPositive);
  if (!numkeys) return;
  // where_idx = first + 1 + numkeys, compared without overflowing.
  if (static_cast<uint64_t>(*numkeys) >= ctx.argc() - first - 1) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  const size_t where_idx = first + 1 + static_cast<size_t>(*numkeys);
  bool max;
  if (EqualsIgnoreCase(ctx.arg(where_idx), "min")) {
    max = false;
  } else if (EqualsIgnoreCase(ctx.arg(where_idx), "max")) {
    max = true;
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < ctx.argc(); ++j) {
    const bool more = j + 1 < ctx.argc();
    if (count == -1 && EqualsIgnoreCase(ctx.arg(j), "count") && more) {
      ++j;
      auto c = RangedIntArg(ctx, ctx.arg(j), 1, INT64_MAX, protocol::kErrCountPositive);
      if (!c) return;
      count = *c;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (count == -1) count = 1;
  const auto keys = ctx.argv.subspan(first + 1, static_cast<size_t>(*numkeys));
  if (blocking) {
    auto deadline = TimeoutArg(ctx, ctx.arg(1));
    if (!deadline) return;
    bool found;
    if (!FirstZset(ctx, keys, &found)) return;
    if (!found && ctx.CanBlock()) {
      ctx.Block(keys, *deadline, TimeoutReply::kNullArray);
      return;
    }
  }
  GenericPop(ctx, keys, max, count, true, true, true);
}

void ZmpopCommand(Context& ctx) { ZmpopGeneric(ctx, 1, false); }
void BzmpopCommand(Context& ctx) { ZmpopGeneric(ctx, 2, true); }

// ---- ZRANDMEMBER --------------------------------------------------------------------------------

// ZRANDMEMBER key [count [WITHSCORES]] (Redis zrandmemberCommand).
void ZrandmemberCommand(Context& ctx) {
  if (ctx.argc() == 2) {
    Object* o = ctx.db().LookupRead(ctx.arg(1));
    if (WrongType(ctx, o, ObjType::kZset)) return;
    if (o == nullptr) {
      ctx.reply.Null();
      return;
    }
    db::ZsetRandomMember(o, [&ctx](std::string_view member, double) { ctx.reply.Bulk(member); });
    return;
  }
  auto l = IntArg(ctx, ctx.arg(2));
  if (!l) return;
  if (*l == INT64_MIN) {  // Redis takes the count in [-LONG_MAX, LONG_MAX]
    ctx.reply.Error(protocol::kErrCountOutOfRange);
    return;
  }
  bool withscores = false;
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withscores"))) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (ctx.argc() == 4) {
    withscores = true;
    // The flat RESP2 reply has 2 * count elements: keep that within a long.
    if (*l < -INT64_MAX / 2 || *l > INT64_MAX / 2) {
      ctx.reply.Error(protocol::kErrValueOutOfRange);
      return;
    }
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr || *l == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  auto emit = [&ctx, withscores](std::string_view member, double score) {
    ReplyElement(ctx, member, score, withscores);
  };
  if (*l < 0 || *l == 1) {
    // With repetition (a negative count), or one member: count independent picks.
    const auto count = static_cast<size_t>(*l < 0 ? -*l : *l);
    ctx.reply.ArrayHeader(ElementsLength(ctx, count, withscores));
    PickInChunks(ctx, count, [&](size_t n) { db::ZsetRandomMembers(o, n, emit); });
    return;
  }
  const size_t count = std::min(static_cast<size_t>(*l), db::ZsetLength(*o));
  ctx.reply.ArrayHeader(ElementsLength(ctx, count, withscores));
  db::ZsetRandomDistinctMembers(o, count, emit);
}

// ---- ZSCAN --------------------------------------------------------------------------------------

// ZSCAN key cursor [MATCH pattern] [COUNT count]
void ZscanCommand(Context& ctx) {
  const auto cursor = ScanCursorArg(ctx, ctx.arg(2));
  if (!cursor) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr) {  // options are not even parsed, as in Redis
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  auto opts = ScanOptionsArg(ctx, 3, false);
  if (!opts) return;
  // Collected first: the reply starts with the next cursor, known only after the step.
  std::vector<std::string> items;
  const uint64_t next = db::ZsetScan(o, *cursor, static_cast<size_t>(opts->count),
                                     [&](std::string_view member, std::string_view score) {
                                       if (!opts->Matches(member)) return;
                                       items.emplace_back(member);
                                       items.emplace_back(score);
                                     });
  ReplyScanPage(ctx, next, items);
}

// ---- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// -----------------------------------------

// Redis zunionInterDiffGenericCommand. argv[numkeys_idx] is numkeys; `store` commands have their
// destination at argv[1]; `cardinality_only` is ZINTERCARD.
void ZsetOpGeneric(Context& ctx, size_t numkeys_idx, bool store, db::ZsetSetOp op,
                   bool cardinality_only) {
  auto setnum = IntArg(ctx, ctx.arg(numkeys_idx));
  if (!setnum) return;
  if (*setnum < 1) {
    ctx.reply.Error(protocol::AtLeastOneInputKey(ctx.arg(0)));
    return;
  }
  if (static_cast<uint64_t>(*setnum) > ctx.argc() - (numkeys_idx + 1)) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  const auto n = static_cast<size_t>(*setnum);

  // The inputs are read (and type-checked) before the options are parsed, as in Redis.
  std::vector<std::unique_ptr<db::ZsetOpSource>> sources(n);
  std::vector<db::ZsetOpInput> inputs(n);
  size_t j = numkeys_idx + 1;
  for (size_t i = 0; i < n; ++i, ++j) {
    Object* o = ctx.db().LookupRead(ctx.arg(j));
    if (o == nullptr) continue;
    sources[i] = db::OpenZsetOpSource(o);
    if (sources[i] == nullptr) {
      ctx.reply.Error(protocol::kErrWrongType);
      return;
    }
    inputs[i].object = o;
    inputs[i].source = sources[i].get();
  }

  db::ZsetAggregate aggregate = db::ZsetAggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  const bool weighted = op != db::ZsetSetOp::kDiff && !cardinality_only;
  while (j < ctx.argc()) {
    const size_t remaining = ctx.argc() - j;
    const std::string_view a = ctx.arg(j);
    if (weighted && remaining >= n + 1 && EqualsIgnoreCase(a, "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        auto w = DoubleArgOr(ctx, ctx.arg(j), protocol::kErrWeightNotFloat);
        if (!w) return;
        inputs[i].weight = *w;
      }
    } else if (weighted && remaining >= 2 && EqualsIgnoreCase(a, "aggregate")) {
      const std::string_view agg = ctx.arg(j + 1);
      if (EqualsIgnoreCase(agg, "sum")) {
        aggregate = db::ZsetAggregate::kSum;
      } else if (EqualsIgnoreCase(agg, "min")) {
        aggregate = db::ZsetAggregate::kMin;
      } else if (EqualsIgnoreCase(agg, "max")) {
        aggregate = db::ZsetAggregate::kMax;
      } else {
        ctx.reply.Error(protocol::kErrSyntax);
        return;
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(a, "limit")) {
      auto l = PositiveArg(ctx, ctx.arg(j + 1), protocol::kErrLimitNegative);
      if (!l) return;
      limit = *l;
      j += 2;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }

  if (cardinality_only) {
    ctx.reply.Integer(static_cast<int64_t>(db::ZsetInterCard(inputs, static_cast<size_t>(limit))));
    return;
  }
  db::ZsetOpResult result = db::ZsetSetOperation(op, inputs, aggregate);
  // The inputs may be about to be replaced (the destination can be one of them).
  inputs.clear();
  sources.clear();
  if (store) {
    const std::string_view dst = ctx.arg(1);
    const size_t size = result.size();
    if (size > 0) {
      StoreObject(ctx, dst, result.ToObject(ctx.keyspace, dst));
      ctx.Changed(dst, db::kNotifyZset,
                  op == db::ZsetSetOp::kUnion   ? "zunionstore"
                  : op == db::ZsetSetOp::kInter ? "zinterstore"
                                                : "zdiffstore");
    } else {
      DeleteStoreDestination(ctx, dst);
    }
    ctx.reply.Integer(static_cast<int64_t>(size));
    return;
  }
  ctx.reply.ArrayHeader(ElementsLength(ctx, result.size(), withscores));
  result.ForEach([&ctx, withscores](std::string_view member, double score) {
    ReplyElement(ctx, member, score, withscores);
  });
}

void ZunionCommand(Context& ctx) { ZsetOpGeneric(ctx, 1, false, db::ZsetSetOp::kUnion, false); }
void ZinterCommand(Context& ctx) { ZsetOpGeneric(ctx, 1, false, db::ZsetSetOp::kInter, false); }
void ZdiffCommand(Context& ctx) { ZsetOpGeneric(ctx, 1, false, db::ZsetSetOp::kDiff, false); }
void ZunionstoreCommand(Context& ctx) { ZsetOpGeneric(ctx, 2, true, db::ZsetSetOp::kUnion, false); }
void ZinterstoreCommand(Context& ctx) { ZsetOpGeneric(ctx, 2, true, db::ZsetSetOp::kInter, false); }
void ZdiffstoreCommand(Context& ctx) { ZsetOpGeneric(ctx, 2, true, db::ZsetSetOp::kDiff, false); }
void ZintercardCommand(Context& ctx) { ZsetOpGeneric(ctx, 1, false, db::ZsetSetOp::kInter, true); }

constexpr uint32_t kW = kWrite;
constexpr uint32_t kR = kReadOnly;

constexpr CommandSpec kZsetCommands[] = {
    // name, handler, arity, flags, first key, last key, step, group, summary, since, complexity
    {"zadd", ZaddCommand, -4, kW | kDenyOom | kFast, 1, 1, 1, "sorted-set",
     "Adds one or more members to a sorted set, or updates their scores. Creates the key if it "
     "doesn't exist.",
     "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
     kNoSubcommands, kAclSortedSet, kKeysWritten},
    {"zincrby", ZincrbyCommand, 4, kW | kDenyOom | kFast, 1, 1, 1, "sorted-set",
     "Increments the score of a member in a sorted set.", "1.2.0",
     "O(log(N)) where N is the number of elements in the sorted set.", kNoSubcommands,
     kAclSortedSet, kKeysReadWritten},
    {"zrem", ZremCommand, -3, kW | kFast, 1, 1, 1, "sorted-set",
     "Removes one or more members from a sorted set. Deletes the sorted set if all members were "
     "removed.",
     "1.2.0",
     "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
     "elements to be removed.",
     kNoSubcommands, kAclSortedSet, kKeysWritten},
    {"zremrangebyrank", ZremrangebyrankCommand, 4, kW, 1, 1, 1, "sorted-set",
     "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all "
     "members were removed.",
     "2.0.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements removed by the operation.",
     kNoSubcommands, kAclSortedSet, kKeysWritten},
    {"zremrangebyscore", ZremrangebyscoreCommand, 4, kW, 1, 1, 1, "sorted-set",
     "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
     "members were removed.",
     "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements removed by the operation.",
     kNoSubcommands, kAclSortedSet, kKeysWritten},
    {"zremrangebylex", ZremrangebylexCommand, 4, kW, 1, 1, 1, "sorted-set",
     "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if "
     "all members were removed.",
     "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements removed by the operation.",
     kNoSubcommands, kAclSortedSet, kKeysWritten},
    {"zunionstore", ZunionstoreCommand, -4, kW | kDenyOom | kMovableKeys, 1, 1, 1, "sorted-set",
     "Stores the union of multiple sorted sets in a key.", "2.0.0",
     "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
     "the number of elements in the resulting sorted set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysStoreKeys)},
    {"zinterstore", ZinterstoreCommand, -4, kW | kDenyOom | kMovableKeys, 1, 1, 1, "sorted-set",
     "Stores the intersect of multiple sorted sets in a key.", "2.0.0",
     "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
     "number of input sorted sets and M being the number of elements in the resulting sorted "
     "set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysStoreKeys)},
    {"zdiffstore", ZdiffstoreCommand, -4, kW | kDenyOom | kMovableKeys, 1, 1, 1, "sorted-set",
     "Stores the difference of multiple sorted sets in a key.", "6.2.0",
     "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
     "is the size of the first set, and K is the size of the result set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysStoreKeys)},
    {"zunion", ZunionCommand, -3, kR | kMovableKeys, 0, 0, 0, "sorted-set",
     "Returns the union of multiple sorted sets.", "6.2.0",
     "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
     "the number of elements in the resulting sorted set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysReadKeys)},
    {"zinter", ZinterCommand, -3, kR | kMovableKeys, 0, 0, 0, "sorted-set",
     "Returns the intersect of multiple sorted sets.", "6.2.0",
     "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
     "number of input sorted sets and M being the number of elements in the resulting sorted "
     "set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysReadKeys)},
    {"zintercard", ZintercardCommand, -3, kR | kMovableKeys, 0, 0, 0, "sorted-set",
     "Returns the number of members of the intersect of multiple sorted sets.", "7.0.0",
     "O(N*K) worst case with N being the smallest input sorted set, K being the number of input "
     "sorted sets.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysReadKeys)},
    {"zdiff", ZdiffCommand, -3, kR | kMovableKeys, 0, 0, 0, "sorted-set",
     "Returns the difference between multiple sorted sets.", "6.2.0",
     "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
     "is the size of the first set, and K is the size of the result set.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysReadKeys)},
    {"zrange", ZrangeCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a range of indexes.", "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zrangestore", ZrangestoreCommand, -5, kW | kDenyOom, 1, 2, 1, "sorted-set",
     "Stores a range of members from sorted set in a key.", "6.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements stored into the destination key.",
     kNoSubcommands, kAclSortedSet, KeysFrom(DestinationSourceKeys)},
    {"zrangebyscore", ZrangebyscoreCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a range of scores.", "1.0.5",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements being returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zrevrangebyscore", ZrevrangebyscoreCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a range of scores in reverse order.", "2.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements being returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zrangebylex", ZrangebylexCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a lexicographical range.", "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements being returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zrevrangebylex", ZrevrangebylexCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a lexicographical range in reverse order.", "2.8.9",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements being returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zcount", ZcountCommand, 4, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the count of members in a sorted set that have scores within a range.", "2.0.0",
     "O(log(N)) with N being the number of elements in the sorted set.", kNoSubcommands,
     kAclSortedSet, kKeysRead},
    {"zlexcount", ZlexcountCommand, 4, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the number of members in a sorted set within a lexicographical range.", "2.8.9",
     "O(log(N)) with N being the number of elements in the sorted set.", kNoSubcommands,
     kAclSortedSet, kKeysRead},
    {"zrevrange", ZrevrangeCommand, -4, kR, 1, 1, 1, "sorted-set",
     "Returns members in a sorted set within a range of indexes in reverse order.", "1.2.0",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements returned.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zcard", ZcardCommand, 2, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the number of members in a sorted set.", "1.2.0", "O(1)", kNoSubcommands,
     kAclSortedSet, kKeysLookedAt},
    {"zscore", ZscoreCommand, 3, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the score of a member in a sorted set.", "1.2.0", "O(1)", kNoSubcommands,
     kAclSortedSet, kKeysRead},
    {"zmscore", ZmscoreCommand, -3, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the score of one or more members in a sorted set.", "6.2.0",
     "O(N) where N is the number of members being requested.", kNoSubcommands, kAclSortedSet,
     kKeysRead},
    {"zrank", ZrankCommand, -3, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the index of a member in a sorted set ordered by ascending scores.", "2.0.0",
     "O(log(N))", kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zrevrank", ZrevrankCommand, -3, kR | kFast, 1, 1, 1, "sorted-set",
     "Returns the index of a member in a sorted set ordered by descending scores.", "2.0.0",
     "O(log(N))", kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zscan", ZscanCommand, -3, kR, 1, 1, 1, "sorted-set",
     "Iterates over members and scores of a sorted set.", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
     "the cursor to return back to 0. N is the number of elements inside the collection.",
     kNoSubcommands, kAclSortedSet, kKeysRead},
    {"zpopmin", ZpopminCommand, -2, kW | kFast, 1, 1, 1, "sorted-set",
     "Returns the lowest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     "5.0.0",
     "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
     "of elements popped.",
     kNoSubcommands, kAclSortedSet, kKeysReadWritten},
    {"zpopmax", ZpopmaxCommand, -2, kW | kFast, 1, 1, 1, "sorted-set",
     "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     "5.0.0",
     "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
     "of elements popped.",
     kNoSubcommands, kAclSortedSet, kKeysReadWritten},
    {"bzpopmin", BzpopminCommand, -3, kW | kNoScript | kFast | kBlocking, 1, -2, 1, "sorted-set",
     "Removes and returns the member with the lowest score from one or more sorted sets. Blocks "
     "until a member is available otherwise. Deletes the sorted set if the last element was "
     "popped.",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", kNoSubcommands,
     kAclSortedSet, kKeysReadWritten},
    {"bzpopmax", BzpopmaxCommand, -3, kW | kNoScript | kFast | kBlocking, 1, -2, 1, "sorted-set",
     "Removes and returns the member with the highest score from one or more sorted sets. "
     "Blocks until a member available otherwise.  Deletes the sorted set if the last element "
     "was popped.",
     "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", kNoSubcommands,
     kAclSortedSet, kKeysReadWritten},
    {"bzmpop", BzmpopCommand, -5, kW | kBlocking | kMovableKeys, 0, 0, 0, "sorted-set",
     "Removes and returns a member by score from one or more sorted sets. Blocks until a member "
     "is available otherwise. Deletes the sorted set if the last element was popped.",
     "7.0.0",
     "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements "
     "in the sorted set, and M being the number of elements popped.",
     kNoSubcommands, kAclSortedSet, KeysFrom(TimeoutNumkeysPopKeys)},
    {"zmpop", ZmpopCommand, -4, kW | kMovableKeys, 0, 0, 0, "sorted-set",
     "Returns the highest- or lowest-scoring members from one or more sorted sets after "
     "removing them. Deletes the sorted set if the last member was popped.",
     "7.0.0",
     "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements "
     "in the sorted set, and M being the number of elements popped.",
     kNoSubcommands, kAclSortedSet, KeysFrom(NumkeysPopKeys)},
    {"zrandmember", ZrandmemberCommand, -2, kR, 1, 1, 1, "sorted-set",
     "Returns one or more random members from a sorted set.", "6.2.0",
     "O(N) where N is the number of members returned", kNoSubcommands, kAclSortedSet, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> ZsetCommands() { return kZsetCommands; }

}  // namespace mnemo::cmd

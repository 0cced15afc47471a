// string_cmds.cc: the string commands (layer: cmd). Handlers parse arguments, call the string
// type API (db/string_type.h) and reply; encodings are never touched here.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/string_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// Replies with the value of a string object, or null when it is absent.
void ReplyString(Context& ctx, const Object* o) {
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  // Decompressed (when compressed) straight into the reply buffer.
  const size_t n = db::StringLength(*o);
  db::StringCopyTo(*o, ctx.reply.BulkSpace(n));
}

void GetCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  ReplyString(ctx, o);
}

// Options of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply names them.
enum SetFlag : uint32_t {
  kSetNx = 1u << 0,
  kSetXx = 1u << 1,
  kSetGet = 1u << 2,
  kKeepTtl = 1u << 3,
  kPersist = 1u << 4,  // GETEX only
  kEx = 1u << 5,
  kPx = 1u << 6,
  kExat = 1u << 7,
  kPxat = 1u << 8,
};
constexpr uint32_t kAnyExpire = kEx | kPx | kExat | kPxat;

struct SetOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the number after the last EX/PX/EXAT/PXAT given
};

enum class OptionsOf { kSet, kGetex };

// Parses the options from argv[first] on. Only syntax is checked here: Redis reads the expiry
// number later (so `SET k v EX abc NX XX` is a syntax error, and `SET k v EX abc EX 10` is
// fine). NX/XX/GET/KEEPTTL are SET's, PERSIST is GETEX's; the same expiry option may repeat
// (the last one counts), two different ones may not, nor one with KEEPTTL or PERSIST.
// Replies and returns false on error.
bool ParseSetOptions(Context& ctx, size_t first, OptionsOf of, SetOptions* opt) {
  const bool set = of == OptionsOf::kSet;
  uint32_t& f = opt->flags;
  for (size_t i = first; i < ctx.argc(); ++i) {
    const std::string_view a = ctx.arg(i);
    const bool has_next = i + 1 < ctx.argc();
    uint32_t expire_flag = 0;
    if (EqualsIgnoreCase(a, "EX")) {
      expire_flag = kEx;
    } else if (EqualsIgnoreCase(a, "PX")) {
      expire_flag = kPx;
    } else if (EqualsIgnoreCase(a, "EXAT")) {
      expire_flag = kExat;
    } else if (EqualsIgnoreCase(a, "PXAT")) {
      expire_flag = kPxat;
    }
    if (set && EqualsIgnoreCase(a, "NX") && !(f & kSetXx)) {
      f |= kSetNx;
    } else if (set && EqualsIgnoreCase(a, "XX") && !(f & kSetNx)) {
      f |= kSetXx;
    } else if (set && EqualsIgnoreCase(a, "GET")) {
      f |= kSetGet;
    } else if (set && EqualsIgnoreCase(a, "KEEPTTL") && !(f & (kPersist | kAnyExpire))) {
      f |= kKeepTtl;
    } else if (!set && EqualsIgnoreCase(a, "PERSIST") && !(f & (kKeepTtl | kAnyExpire))) {
      f |= kPersist;
    } else if (expire_flag != 0 && has_next &&
               !(f & (kKeepTtl | kPersist | (kAnyExpire & ~expire_flag)))) {
      f |= expire_flag;
      opt->expire = ctx.arg(++i);
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return false;
    }
  }
  return true;
}

// The absolute expiry, in Unix milliseconds, that `arg` names: seconds or milliseconds,
// relative to the command's clock or absolute (Redis getExpireMillisecondsOrReply). Replies
// "invalid expire time in '<command>' command" and returns nullopt when the number is not
// positive or the result overflows.
std::optional<int64_t> ParseExpireAt(Context& ctx, std::string_view arg, bool seconds,
                                     bool relative, std::string_view command) {
  auto n = IntArg(ctx, arg);
  if (!n) return std::nullopt;
  if (*n <= 0 || (seconds && *n > INT64_MAX / 1000)) {
    ctx.reply.Error(protocol::InvalidExpireTime(command));
    return std::nullopt;
  }
  int64_t ms = seconds ? *n * 1000 : *n;
  if (relative) {
    if (ms > INT64_MAX - ctx.keyspace.now_ms()) {
      ctx.reply.Error(protocol::InvalidExpireTime(command));
      return std::nullopt;
    }
    ms += ctx.keyspace.now_ms();
  }
  return ms;
}

std::optional<int64_t> ParseExpireAt(Context& ctx, const SetOptions& opt,
                                     std::string_view command) {
  return ParseExpireAt(ctx, opt.expire, (opt.flags & (kEx | kExat)) != 0,
                       (opt.flags & (kEx | kPx)) != 0, command);
}

// Stores `value` at `key` as SET does with `flags` (NX, XX, GET, KEEPTTL) and an absolute
// expiry (`expire_at_ms` < 0: none), and replies: OK, null when NX/XX refused, or with GET the
// old value (Redis setGenericCommand). Used by SET, SETEX, PSETEX and GETSET.
void SetGeneric(Context& ctx, std::string_view key, std::string_view value, uint32_t flags,
                int64_t expire_at_ms) {
  db::Db& d = ctx.db();
  const bool get = (flags & kSetGet) != 0;
  // With GET the key is read first, as GET reads it (a keyspace hit or miss, WRONGTYPE before
  // anything changes).
  Object* old = get ? d.LookupRead(key) : d.LookupWrite(key);
  if (get) {
    if (WrongType(ctx, old, ObjType::kString)) return;
    ReplyString(ctx, old);
  }
  if (((flags & kSetNx) && old != nullptr) || ((flags & kSetXx) && old == nullptr)) {
    if (!get) ctx.reply.Null();
    return;
  }
  int64_t expire = expire_at_ms;
  if ((flags & kKeepTtl) && old != nullptr) expire = db::Db::ExpireOf(old);
  if (expire_at_ms >= 0 && expire_at_ms < ctx.keyspace.now_ms() &&
      ctx.keyspace.DeletesAlreadyExpired()) {
    // An absolute time already past (EXAT/PXAT): Redis stores the key and the next lookup
    // expires it. We skip storing it: the old value goes as an overwrite would free it, and
    // the new one counts as expired at once. (Equal to now is not past: Db::IsExpired.)
    if (old != nullptr) d.Dispose(d.Detach(old), ctx.keyspace.options().lazyfree_lazy_server_del);
    ++ctx.keyspace.stats().expired_keys;
  } else {
    if (old != nullptr) db::StringPrefetchValue(*old);  // loads while the new value compresses
    Object* o = db::NewStringObject(ctx.keyspace, ctx.client.db, key, value, expire);
    if (old != nullptr) {
      d.Overwrite(old, o);  // the old value's TTL goes with it unless KEEPTTL copied it
    } else {
      d.Add(o);
    }
  }
  ctx.Changed(key, db::kNotifyString, "set");
  if (expire_at_ms >= 0) {
    ctx.Event(key, db::kNotifyGeneric, "expire");
    // A relative expiry would mean another instant on a replica or at AOF load: propagate the
    // absolute one (Redis 7: SET key value PXAT <ms>).
    if (!(flags & kPxat) && ctx.propagating()) {
      ctx.PropagateAs({"SET", key, value, "PXAT", Int64ToString(expire_at_ms)});
    }
  }
  if (!get) ctx.reply.Ok();
}

void SetCommand(Context& ctx) {
  SetOptions opt;
  if (!ParseSetOptions(ctx, 3, OptionsOf::kSet, &opt)) return;
  int64_t expire_at = -1;
  if (opt.flags & kAnyExpire) {
    auto when = ParseExpireAt(ctx, opt, "set");
    if (!when) return;
    expire_at = *when;
  }
  SetGeneric(ctx, ctx.arg(1), ctx.arg(2), opt.flags, expire_at);
}

void SetnxCommand(Context& ctx) {
  db::Db& d = ctx.db();
  if (d.LookupWrite(ctx.arg(1)) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  d.Add(db::NewStringObject(ctx.keyspace, ctx.client.db, ctx.arg(1), ctx.arg(2), -1));
  ctx.Changed(ctx.arg(1), db::kNotifyString, "set");
  ctx.reply.Integer(1);
}

// SETEX key seconds value / PSETEX key milliseconds value
void SetexGeneric(Context& ctx, bool millis) {
  auto when = ParseExpireAt(ctx, ctx.arg(2), !millis, true, millis ? "psetex" : "setex");
  if (!when) return;
  SetGeneric(ctx, ctx.arg(1), ctx.arg(3), 0, *when);
}

void SetexCommand(Context& ctx) { SetexGeneric(ctx, false); }
void PsetexCommand(Context& ctx) { SetexGeneric(ctx, true); }

// GETSET key value: SET key value GET (the TTL is dropped, as SET drops it).
void GetsetCommand(Context& ctx) { SetGeneric(ctx, ctx.arg(1), ctx.arg(2), kSetGet, -1); }

void GetdelCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  ReplyString(ctx, o);  // copies the bytes into the reply before the object goes
  if (o == nullptr) return;
  d.Dispose(d.Detach(o), ctx.keyspace.options().lazyfree_lazy_user_del);
  ctx.Changed(ctx.arg(1), db::kNotifyGeneric, "del");
  ctx.PropagateAs({"DEL", ctx.arg(1)});
}

// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]
void GetexCommand(Context& ctx) {
  SetOptions opt;
  if (!ParseSetOptions(ctx, 2, OptionsOf::kGetex, &opt)) return;
  db::Db& d = ctx.db();
  Object* o = d.LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Null();  // before the expiry is read: `GETEX missing EX 0` answers null
    return;
  }
  if (WrongType(ctx, o, ObjType::kString)) return;
  int64_t when = -1;
  if (opt.flags & kAnyExpire) {
    auto w = ParseExpireAt(ctx, opt, "getex");
    if (!w) return;
    when = *w;
  }
  ReplyString(ctx, o);
  const std::string_view key = ctx.arg(1);
  if ((opt.flags & (kExat | kPxat)) && when <= ctx.keyspace.now_ms() &&
      ctx.keyspace.DeletesAlreadyExpired()) {
    // An absolute time already reached deletes the key (Redis checkAlreadyExpired: <=).
    const bool lazy = ctx.keyspace.options().lazyfree_lazy_expire;
    d.Dispose(d.Detach(o), lazy);
    ctx.Changed(key, db::kNotifyGeneric, "del");
    ctx.PropagateAs({lazy ? "UNLINK" : "DEL", key});
  } else if (when >= 0) {
    d.SetExpire(o, when);
    ctx.Changed(key, db::kNotifyGeneric, "expire");
    if (ctx.propagating()) ctx.PropagateAs({"PEXPIREAT", key, Int64ToString(when)});
  } else if ((opt.flags & kPersist) && o->has_expire()) {
    d.RemoveExpire(o);
    ctx.Changed(key, db::kNotifyGeneric, "persist");
    ctx.PropagateAs({"PERSIST", key});
  }
}

void MgetCommand(Context& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) {
    Object* o = ctx.db().LookupRead(ctx.arg(i));
    if (o == nullptr || o->type() != ObjType::kString) {
      ctx.reply.Null();  // MGET answers null for keys of other types, not WRONGTYPE
    } else {
      ReplyString(ctx, o);
    }
  }
}

void MsetGeneric(Context& ctx, bool nx) {
  if (ctx.argc() % 2 != 1) {
    ctx.reply.Error(protocol::WrongArity(nx ? "msetnx" : "mset"));
    return;
  }
  db::Db& d = ctx.db();
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (d.LookupWrite(ctx.arg(i)) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    Object* old = d.LookupWrite(ctx.arg(i));
    Object* o = db::NewStringObject(ctx.keyspace, ctx.client.db, ctx.arg(i), ctx.arg(i + 1), -1);
    if (old != nullptr) {
      d.Overwrite(old, o);
    } else {
      d.Add(o);
    }
    ctx.Changed(ctx.arg(i), db::kNotifyString, "set");
  }
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MsetCommand(Context& ctx) { MsetGeneric(ctx, false); }
void MsetnxCommand(Context& ctx) { MsetGeneric(ctx, true); }

// INCR, DECR, INCRBY, DECRBY.
void IncrDecr(Context& ctx, int64_t delta) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  int64_t value = 0;
  if (o != nullptr) {
    auto current = db::StringToInt64(*o);
    if (!current) {
      ctx.reply.Error(protocol::kErrNotInteger);
      return;
    }
    value = *current;
  }
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    ctx.reply.Error(protocol::kErrOverflow);
    return;
  }
  value += delta;
  if (o != nullptr) {
    db::StringSetInt(d, o, value);
  } else {
    d.Add(db::NewIntStringObject(ctx.keyspace, ctx.arg(1), value, -1));
  }
  ctx.Changed(ctx.arg(1), db::kNotifyString, "incrby");
  ctx.reply.Integer(value);
}

void IncrCommand(Context& ctx) { IncrDecr(ctx, 1); }
void DecrCommand(Context& ctx) { IncrDecr(ctx, -1); }

void IncrbyCommand(Context& ctx) {
  auto n = IntArg(ctx, ctx.arg(2));
  if (n) IncrDecr(ctx, *n);
}

void DecrbyCommand(Context& ctx) {
  auto n = IntArg(ctx, ctx.arg(2));
  if (!n) return;
  if (*n == INT64_MIN) {
    ctx.reply.Error(protocol::kErrDecrementOverflow);
    return;
  }
  IncrDecr(ctx, -*n);
}

void IncrbyfloatCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  long double value = 0;
  if (o != nullptr) {
    auto current = db::StringToLongDouble(*o);  // the stored value is checked first, as Redis
    if (!current) {
      ctx.reply.Error(protocol::kErrNotFloat);
      return;
    }
    value = *current;
  }
  auto incr = LongDoubleArg(ctx, ctx.arg(2));
  if (!incr) return;
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(protocol::kErrIncrFloatNanInf);
    return;
  }
  const std::string text = LongDoubleToString(value);
  if (o != nullptr) {
    db::StringSetPlain(d, o, text);  // keeps the TTL
  } else {
    d.Add(db::NewPlainStringObject(ctx.keyspace, ctx.arg(1), text, -1));
  }
  ctx.Changed(ctx.arg(1), db::kNotifyString, "incrbyfloat");
  // The sum's text, not the increment: float arithmetic may differ elsewhere (Redis 7).
  ctx.PropagateAs({"SET", ctx.arg(1), text, "KEEPTTL"});
  ctx.reply.Bulk(text);
}

// Redis checkStringLength: true iff a string of size + append bytes stays within
// proto-max-bulk-len; otherwise replies the error. (Unsigned: no overflow for any offset.)
bool CheckStringLength(Context& ctx, uint64_t size, uint64_t append) {
  if (size + append > static_cast<uint64_t>(ctx.server.ProtoMaxBulkLen())) {
    ctx.reply.Error(protocol::kErrStringTooLong);
    return false;
  }
  return true;
}

void AppendCommand(Context& ctx) {
  db::Db& d = ctx.db();
  const std::string_view tail = ctx.arg(2);
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    // A new key gets the encoding the value deserves (int, embstr or raw), as SET would give.
    d.Add(db::NewStringObject(ctx.keyspace, ctx.client.db, ctx.arg(1), tail, -1));
    ctx.Changed(ctx.arg(1), db::kNotifyString, "append");
    ctx.reply.Integer(static_cast<int64_t>(tail.size()));
    return;
  }
  if (WrongType(ctx, o, ObjType::kString)) return;
  if (!CheckStringLength(ctx, db::StringLength(*o), tail.size())) return;
  o = db::StringAppend(d, o, tail);
  ctx.Changed(ctx.arg(1), db::kNotifyString, "append");
  ctx.reply.Integer(static_cast<int64_t>(db::StringLength(*o)));
}

void StrlenCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::StringLength(*o)));
}

// GETRANGE key start end (and SUBSTR, its old name). Indexes are inclusive; negative ones
// count from the end. Follows Redis 7 exactly, including its quirk that a range wholly before
// the start (`-100 -50` on a short string) still yields the first byte.
void GetrangeCommand(Context& ctx) {
  auto start = IntArg(ctx, ctx.arg(2));
  if (!start) return;
  auto end = IntArg(ctx, ctx.arg(3));
  if (!end) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  if (WrongType(ctx, o, ObjType::kString)) return;
  db::StringBuffer buf;
  const std::string_view value = db::StringView(*o, buf);
  const int64_t len = static_cast<int64_t>(value.size());
  int64_t s = *start;
  int64_t e = *end;
  if (s < 0 && e < 0 && s > e) {
    ctx.reply.Bulk("");
    return;
  }
  if (s < 0) s += len;
  if (e < 0) e += len;
  if (s < 0) s = 0;
  if (e < 0) e = 0;
  if (e >= len) e = len - 1;
  if (s > e || len == 0) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(value.substr(static_cast<size_t>(s), static_cast<size_t>(e - s + 1)));
}

void SetrangeCommand(Context& ctx) {
  auto offset = IntArg(ctx, ctx.arg(2));
  if (!offset) return;
  if (*offset < 0) {
    ctx.reply.Error(protocol::kErrOffsetOutOfRange);
    return;
  }
  const std::string_view value = ctx.arg(3);
  const uint64_t at = static_cast<uint64_t>(*offset);
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr) {
    if (value.empty()) {
      ctx.reply.Integer(0);  // nothing to set: no key is created
      return;
    }
    if (!CheckStringLength(ctx, at, value.size())) return;
    d.Add(db::NewPaddedStringObject(ctx.keyspace, ctx.arg(1), at, value));
    ctx.Changed(ctx.arg(1), db::kNotifyString, "setrange");
    ctx.reply.Integer(static_cast<int64_t>(at + value.size()));
    return;
  }
  if (WrongType(ctx, o, ObjType::kString)) return;
  if (value.empty()) {
    ctx.reply.Integer(static_cast<int64_t>(db::StringLength(*o)));  // encoding untouched
    return;
  }
  if (!CheckStringLength(ctx, at, value.size())) return;
  o = db::StringSetRange(d, o, at, value);
  ctx.Changed(ctx.arg(1), db::kNotifyString, "setrange");
  ctx.reply.Integer(static_cast<int64_t>(db::StringLength(*o)));
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence,
// by the textbook dynamic programme over a (|a|+1) x (|b|+1) table of uint32 lengths, as Redis
// computes it (so IDX lists the same ranges, from the end of the strings backwards). The table
// is transient memory bounded by proto-max-bulk-len.
void LcsCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* oa = d.LookupRead(ctx.arg(1));
  Object* ob = d.LookupRead(ctx.arg(2));
  if ((oa != nullptr && oa->type() != ObjType::kString) ||
      (ob != nullptr && ob->type() != ObjType::kString)) {
    ctx.reply.Error(protocol::kErrLcsNotStrings);
    return;
  }
  bool get_len = false;
  bool get_idx = false;
  bool with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "IDX")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && i + 1 < ctx.argc()) {
      auto n = IntArg(ctx, ctx.arg(++i));
      if (!n) return;
      min_match_len = *n < 0 ? 0 : *n;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (get_len && get_idx) {
    ctx.reply.Error(protocol::kErrLcsLenAndIdx);
    return;
  }
  db::StringBuffer buf_a;
  db::StringBuffer buf_b;
  const std::string_view a = oa != nullptr ? db::StringView(*oa, buf_a) : std::string_view();
  const std::string_view b = ob != nullptr ? db::StringView(*ob, buf_b) : std::string_view();
  // Lengths (and the LCS length) must fit the uint32 cells.
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.reply.Error(protocol::kErrLcsTooLong);
    return;
  }
  const uint64_t alen = a.size();
  const uint64_t blen = b.size();
  const uint64_t cells = (alen + 1) * (blen + 1);  // < 2^64 by the bound above
  if (cells > SIZE_MAX / sizeof(uint32_t) ||
      cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.server.ProtoMaxBulkLen())) {
    ctx.reply.Error(protocol::kErrLcsOverLimit);
    return;
  }
  auto* table = static_cast<uint32_t*>(mem::TryAlloc(cells * sizeof(uint32_t)));
  if (table == nullptr) {
    ctx.reply.Error(protocol::kErrLcsAllocFailed);
    return;
  }
  // cell(i, j): the LCS length of a[0, i) and b[0, j).
  auto cell = [&](uint64_t i, uint64_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (uint64_t i = 0; i <= alen; ++i) {
    for (uint64_t j = 0; j <= blen; ++j) {
      if (i == 0 || j == 0) {
        cell(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        cell(i, j) = cell(i - 1, j - 1) + 1;
      } else {
        cell(i, j) = std::max(cell(i - 1, j), cell(i, j - 1));
      }
    }
  }
  const uint32_t lcs_len = cell(alen, blen);

  // Walk back from the end, collecting the subsequence and, for IDX, the maximal ranges that
  // are contiguous in both strings.
  const bool compute_lcs = get_idx || !get_len;
  std::string result(compute_lcs ? lcs_len : 0, '\0');
  size_t matches = 0;
  size_t matches_handle = 0;
  if (get_idx) {
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("matches");
    matches_handle = ctx.reply.BeginDeferred();
  }
  uint64_t idx = lcs_len;
  uint64_t i = alen;
  uint64_t j = blen;
  uint64_t a_start = alen;  // alen: no range open
  uint64_t a_end = 0;
  uint64_t b_start = 0;
  uint64_t b_end = 0;
  while (compute_lcs && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        --a_start;  // the range extends backwards in both strings
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;  // the loop ends after this byte
      --idx;
      --i;
      --j;
    } else {
      if (cell(i - 1, j) > cell(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      const uint64_t match_len = a_end - a_start + 1;
      if (get_idx && (min_match_len == 0 || match_len >= static_cast<uint64_t>(min_match_len))) {
        ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
        ctx.reply.ArrayHeader(2);
        ctx.reply.Integer(static_cast<int64_t>(a_start));
        ctx.reply.Integer(static_cast<int64_t>(a_end));
        ctx.reply.ArrayHeader(2);
        ctx.reply.Integer(static_cast<int64_t>(b_start));
        ctx.reply.Integer(static_cast<int64_t>(b_end));
        if (with_match_len) ctx.reply.Integer(static_cast<int64_t>(match_len));
        ++matches;
      }
      a_start = alen;
    }
  }
  mem::Free(table);

  if (get_idx) {
    ctx.reply.EndDeferredArray(matches_handle, matches);
    ctx.reply.Bulk("len");
    ctx.reply.Integer(lcs_len);
  } else if (get_len) {
    ctx.reply.Integer(lcs_len);
  } else {
    ctx.reply.Bulk(result);
  }
}

constexpr CommandSpec kStringCommands[] = {
    {"get", GetCommand, 2, kReadOnly | kFast, 1, 1, 1, "string",
     "Returns the string value of a key.", "1.0.0", "O(1)", kNoSubcommands, kAclString, kKeysRead},
    {"set", SetCommand, -3, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't "
     "exist.",
     "1.0.0", "O(1)", kNoSubcommands, kAclString, KeysFrom(SetKeys)},
    {"setnx", SetnxCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Set the string value of a key only when the key doesn't exist.", "1.0.0", "O(1)",
     kNoSubcommands, kAclString, kKeysWritten},
    {"setex", SetexCommand, 4, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't "
     "exist.",
     "2.0.0", "O(1)", kNoSubcommands, kAclString, kKeysWritten},
    {"psetex", PsetexCommand, 4, kWrite | kDenyOom, 1, 1, 1, "string",
     "Sets both string value and expiration time in milliseconds of a key. The key is created "
     "if it doesn't exist.",
     "2.6.0", "O(1)", kNoSubcommands, kAclString, kKeysWritten},
    {"mget", MgetCommand, -2, kReadOnly | kFast, 1, -1, 1, "string",
     "Atomically returns the string values of one or more keys.", "1.0.0",
     "O(N) where N is the number of keys to retrieve.", kNoSubcommands, kAclString, kKeysRead},
    {"mset", MsetCommand, -3, kWrite | kDenyOom, 1, -1, 2, "string",
     "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
     "O(N) where N is the number of keys to set.", kNoSubcommands, kAclString, kKeysWritten},
    {"msetnx", MsetnxCommand, -3, kWrite | kDenyOom, 1, -1, 2, "string",
     "Atomically modifies the string values of one or more keys only when all keys don't "
     "exist.",
     "1.0.1", "O(N) where N is the number of keys to set.", kNoSubcommands, kAclString,
     kKeysWritten},
    {"incr", IncrCommand, 2, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.",
     "1.0.0", "O(1)", kNoSubcommands, kAclString, kKeysReadWritten},
    {"decr", DecrCommand, 2, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.",
     "1.0.0", "O(1)", kNoSubcommands, kAclString, kKeysReadWritten},
    {"incrby", IncrbyCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist.",
     "1.0.0", "O(1)", kNoSubcommands, kAclString, kKeysReadWritten},
    {"decrby", DecrbyCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
     "doesn't exist.",
     "1.0.0", "O(1)", kNoSubcommands, kAclString, kKeysReadWritten},
    {"incrbyfloat", IncrbyfloatCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
     "key doesn't exist.",
     "2.6.0", "O(1)", kNoSubcommands, kAclString, kKeysReadWritten},
    {"getset", GetsetCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Returns the previous string value of a key after setting it to a new value.", "1.0.0", "O(1)",
     kNoSubcommands, kAclString, kKeysReadWritten},
    {"getdel", GetdelCommand, 2, kWrite | kFast, 1, 1, 1, "string",
     "Returns the string value of a key after deleting the key.", "6.2.0", "O(1)", kNoSubcommands,
     kAclString, kKeysReadWritten},
    {"getex", GetexCommand, -2, kWrite | kFast, 1, 1, 1, "string",
     "Returns the string value of a key after setting its expiration time.", "6.2.0", "O(1)",
     kNoSubcommands, kAclString, kKeysReadWritten},
    {"append", AppendCommand, 3, kWrite | kDenyOom | kFast, 1, 1, 1, "string",
     "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0",
     "O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
     "already present value is of any size, since the dynamic string library used by Redis "
     "will double the free space available on every reallocation.",
     kNoSubcommands, kAclString, kKeysWritten},
    {"strlen", StrlenCommand, 2, kReadOnly | kFast, 1, 1, 1, "string",
     "Returns the length of a string value.", "2.2.0", "O(1)", kNoSubcommands, kAclString,
     kKeysLookedAt},
    {"getrange", GetrangeCommand, 4, kReadOnly, 1, 1, 1, "string",
     "Returns a substring of the string stored at a key.", "2.4.0",
     "O(N) where N is the length of the returned string. The complexity is ultimately "
     "determined by the returned length, but because creating a substring from an existing "
     "string is very cheap, it can be considered O(1) for small strings.",
     kNoSubcommands, kAclString, kKeysRead},
    {"substr", GetrangeCommand, 4, kReadOnly, 1, 1, 1, "string",
     "Returns a substring from a string value.", "1.0.0",
     "O(N) where N is the length of the returned string. The complexity is ultimately "
     "determined by the returned length, but because creating a substring from an existing "
     "string is very cheap, it can be considered O(1) for small strings.",
     kNoSubcommands, kAclString, kKeysRead},
    {"setrange", SetrangeCommand, 4, kWrite | kDenyOom, 1, 1, 1, "string",
     "Overwrites a part of a string value with another by an offset. Creates the key if it "
     "doesn't exist.",
     "2.2.0",
     "O(1), not counting the time taken to copy the new string in place. Usually, this string "
     "is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M "
     "being the length of the value argument.",
     kNoSubcommands, kAclString, kKeysWritten},
    {"lcs", LcsCommand, -3, kReadOnly, 1, 2, 1, "string", "Finds the longest common substring.",
     "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively", kNoSubcommands,
     kAclString, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kStringCommands; }

}  // namespace mnemo::cmd

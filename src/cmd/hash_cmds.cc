// hash_cmds.cc: the hash commands (layer: cmd). Handlers parse arguments, call the hash type API
// (db/hash_type.h) and reply; encodings are never touched here.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/hash_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// The hash at `key` for a write, or null when absent; replies WRONGTYPE and sets *wrong when the
// key holds another type.
Object* LookupHashWrite(Context& ctx, std::string_view key, bool* wrong) {
  Object* o = ctx.db().LookupWrite(key);
  *wrong = WrongType(ctx, o, ObjType::kHash);
  return o;
}

// As LookupHashWrite, creating an empty hash when the key is absent. The caller must add a field
// before the command ends.
Object* LookupOrCreateHash(Context& ctx, std::string_view key, bool* wrong) {
  Object* o = LookupHashWrite(ctx, key, wrong);
  if (o == nullptr && !*wrong) {
    o = db::NewHashObject(ctx.keyspace, key);
    ctx.db().Add(o);
  }
  return o;
}

// ---- HSET HMSET HSETNX ---------------------------------------------------------------------

void HsetGeneric(Context& ctx, bool reply_count) {
  if (ctx.argc() % 2 == 1) {  // an argument without its value
    ctx.reply.Error(protocol::WrongArity(reply_count ? "hset" : "hmset"));
    return;
  }
  bool wrong;
  Object* o = LookupOrCreateHash(ctx, ctx.arg(1), &wrong);
  if (wrong) return;
  db::HashTryConversion(ctx.keyspace, o, ctx.argv.subspan(2));
  int64_t created = 0;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    created += db::HashSet(ctx.keyspace, o, ctx.arg(i), ctx.arg(i + 1)) ? 1 : 0;
  }
  ctx.db().Repack(o);  // a small hash's listpack back into its slot (o moves)
  // Every field written counts, new or not (Redis hsetCommand).
  ctx.Changed(ctx.arg(1), db::kNotifyHash, "hset", (ctx.argc() - 2) / 2);
  if (reply_count) {
    ctx.reply.Integer(created);
  } else {
    ctx.reply.Ok();
  }
}

void HsetCommand(Context& ctx) { HsetGeneric(ctx, true); }
void HmsetCommand(Context& ctx) { HsetGeneric(ctx, false); }

void HsetnxCommand(Context& ctx) {
  bool wrong;
  Object* o = LookupHashWrite(ctx, ctx.arg(1), &wrong);
  if (wrong) return;
  if (o != nullptr && db::HashExists(*o, ctx.arg(2))) {
    ctx.reply.Integer(0);
    return;
  }
  if (o == nullptr) {
    o = db::NewHashObject(ctx.keyspace, ctx.arg(1));
    ctx.db().Add(o);
  }
  db::HashTryConversion(ctx.keyspace, o, ctx.argv.subspan(2, 2));
  db::HashSet(ctx.keyspace, o, ctx.arg(2), ctx.arg(3));
  ctx.db().Repack(o);
  ctx.Changed(ctx.arg(1), db::kNotifyHash, "hset");
  ctx.reply.Integer(1);
}

// ---- reads of single fields ----------------------------------------------------------------

void HgetCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  db::HashValueBuffer buf;
  auto v = o == nullptr ? std::nullopt : db::HashGet(*o, ctx.arg(2), buf);
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

void HmgetCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    db::HashValueBuffer buf;
    auto v = o == nullptr ? std::nullopt : db::HashGet(*o, ctx.arg(i), buf);
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

void HlenCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  ctx.reply.Integer(o == nullptr ? 0 : static_cast<int64_t>(db::HashLength(*o)));
}

void HstrlenCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  db::HashValueBuffer buf;
  auto v = o == nullptr ? std::nullopt : db::HashGet(*o, ctx.arg(2), buf);
  ctx.reply.Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void HexistsCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  ctx.reply.Integer(o != nullptr && db::HashExists(*o, ctx.arg(2)) ? 1 : 0);
}

// ---- HDEL ----------------------------------------------------------------------------------

void HdelCommand(Context& ctx) {
  bool wrong;
  Object* o = LookupHashWrite(ctx, ctx.arg(1), &wrong);
  if (wrong) return;
  int64_t deleted = 0;
  if (o != nullptr) {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (!db::HashDelete(o, ctx.arg(i))) continue;
      ++deleted;
      if (db::HashLength(*o) == 0) break;
    }
  }
  if (deleted > 0) {
    ctx.Changed(ctx.arg(1), db::kNotifyHash, "hdel", static_cast<uint64_t>(deleted));
    // Redis never keeps an empty hash; one that is left goes back into its slot.
    ctx.db().DeleteIfEmptyOrRepack(o);
  }
  ctx.reply.Integer(deleted);
}

// ---- whole-hash reads ----------------------------------------------------------------------

enum class GetAll { kFields, kValues, kBoth };

void GetAllGeneric(Context& ctx, GetAll what) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  const size_t n = o == nullptr ? 0 : db::HashLength(*o);
  if (what == GetAll::kBoth) {
    ctx.reply.MapHeader(n);  // RESP3 map, RESP2 flat array of 2n
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (o == nullptr) return;
  db::HashForEach(*o, [&](std::string_view field, std::string_view value) {
    if (what != GetAll::kValues) ctx.reply.Bulk(field);
    if (what != GetAll::kFields) ctx.reply.Bulk(value);
  });
}

void HkeysCommand(Context& ctx) { GetAllGeneric(ctx, GetAll::kFields); }
void HvalsCommand(Context& ctx) { GetAllGeneric(ctx, GetAll::kValues); }
void HgetallCommand(Context& ctx) { GetAllGeneric(ctx, GetAll::kBoth); }

// ---- HINCRBY HINCRBYFLOAT ------------------------------------------------------------------

void HincrbyCommand(Context& ctx) {
  auto incr = IntArg(ctx, ctx.arg(3));
  if (!incr) return;
  bool wrong;
  Object* o = LookupHashWrite(ctx, ctx.arg(1), &wrong);
  if (wrong) return;
  int64_t value = 0;
  db::HashValueBuffer buf;
  if (auto current = o == nullptr ? std::nullopt : db::HashGet(*o, ctx.arg(2), buf)) {
    auto n = ParseInt64(*current);
    if (!n) {
      ctx.reply.Error(protocol::kErrHashNotInteger);
      return;
    }
    value = *n;
  }
  if ((*incr < 0 && value < 0 && *incr < INT64_MIN - value) ||
      (*incr > 0 && value > 0 && *incr > INT64_MAX - value)) {
    ctx.reply.Error(protocol::kErrOverflow);
    return;
  }
  value += *incr;
  if (o == nullptr) {
    o = db::NewHashObject(ctx.keyspace, ctx.arg(1));
    ctx.db().Add(o);
  }
  db::HashSet(ctx.keyspace, o, ctx.arg(2), Int64ToString(value));
  ctx.db().Repack(o);
  ctx.Changed(ctx.arg(1), db::kNotifyHash, "hincrby");
  ctx.reply.Integer(value);
}

void HincrbyfloatCommand(Context& ctx) {
  auto incr = LongDoubleArg(ctx, ctx.arg(3));
  if (!incr) return;
  if (std::isnan(*incr) || std::isinf(*incr)) {
    ctx.reply.Error(protocol::kErrValueNanInf);
    return;
  }
  bool wrong;
  Object* o = LookupHashWrite(ctx, ctx.arg(1), &wrong);
  if (wrong) return;
  long double value = 0;
  db::HashValueBuffer buf;
  if (auto current = o == nullptr ? std::nullopt : db::HashGet(*o, ctx.arg(2), buf)) {
    auto n = ParseLongDouble(*current);
    if (!n) {
      ctx.reply.Error(protocol::kErrHashNotFloat);
      return;
    }
    value = *n;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(protocol::kErrIncrFloatNanInf);
    return;
  }
  const std::string result = LongDoubleToString(value);
  if (o == nullptr) {
    o = db::NewHashObject(ctx.keyspace, ctx.arg(1));
    ctx.db().Add(o);
  }
  // HashSet converts the hash when the printed result is longer than hash-max-listpack-value.
  db::HashSet(ctx.keyspace, o, ctx.arg(2), result);
  ctx.db().Repack(o);
  ctx.Changed(ctx.arg(1), db::kNotifyHash, "hincrbyfloat");
  // The result, not the increment: float arithmetic may differ elsewhere (Redis 7).
  ctx.PropagateAs({"HSET", ctx.arg(1), ctx.arg(2), result});
  ctx.reply.Bulk(result);
}

// ---- HRANDFIELD ----------------------------------------------------------------------------

// HRANDFIELD key count [WITHVALUES] (Redis hrandfieldWithCountCommand): a positive count gives
// min(count, size) distinct fields, a negative one |count| fields that may repeat. With values,
// RESP2 replies a flat array (field, value, ...) and RESP3 an array of [field, value] pairs.
void HrandfieldWithCount(Context& ctx, int64_t l, bool withvalues) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  if (o == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  const bool distinct = l >= 0;
  const size_t count = distinct ? static_cast<size_t>(l) : static_cast<size_t>(-l);
  if (count == 0) {
    ctx.reply.EmptyArray();
    return;
  }
  const bool pairs = withvalues && ctx.reply.resp() >= 3;
  auto emit = [&](std::string_view field, std::string_view value) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(field);
    if (withvalues) ctx.reply.Bulk(value);
  };
  const size_t size = db::HashLength(*o);
  const size_t n = distinct ? std::min(count, size) : count;
  ctx.reply.ArrayHeader(withvalues && !pairs ? n * 2 : n);
  if (distinct) {
    db::HashRandomDistinctFields(*o, count, emit);
  } else {
    PickInChunks(ctx, count, [&](size_t n) { db::HashRandomFields(*o, n, emit); });
  }
}

void HrandfieldCommand(Context& ctx) {
  if (ctx.argc() >= 3) {
    auto l = IntArg(ctx, ctx.arg(2));
    if (!l) return;
    if (*l == INT64_MIN) {  // Redis accepts -LONG_MAX..LONG_MAX
      ctx.reply.Error(protocol::kErrCountOutOfRange);
      return;
    }
    if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
    const bool withvalues = ctx.argc() == 4;
    // Twice the count must fit the reply's length (field and value per element).
    if (withvalues && (*l < -(INT64_MAX / 2) || *l > INT64_MAX / 2)) {
      ctx.reply.Error(protocol::kErrValueOutOfRange);
      return;
    }
    HrandfieldWithCount(ctx, *l, withvalues);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kHash)) return;
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  db::HashRandomField(*o, [&](std::string_view field, std::string_view) { ctx.reply.Bulk(field); });
}

// ---- HSCAN ---------------------------------------------------------------------------------

void HscanCommand(Context& ctx) {
  auto cursor = ScanCursorArg(ctx, ctx.arg(2));
  if (!cursor) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {  // before the options are looked at, as Redis
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.EmptyArray();
    return;
  }
  if (WrongType(ctx, o, ObjType::kHash)) return;
  auto opts = ScanOptionsArg(ctx, 3, false);
  if (!opts) return;
  // Collected first: the reply starts with the next cursor. At most about COUNT fields of a
  // hashtable, or one whole (small) listpack.
  std::vector<std::string> items;
  const uint64_t next = db::HashScan(*o, *cursor, static_cast<size_t>(opts->count),
                                     [&](std::string_view field, std::string_view value) {
                                       if (!opts->Matches(field)) return;
                                       items.emplace_back(field);
                                       items.emplace_back(value);
                                     });
  ReplyScanPage(ctx, next, items);
}

// Rows as Redis 7 prints them in COMMAND INFO/DOCS.
constexpr CommandSpec kHashCommands[] = {
    {"hset", HsetCommand, -4, kWrite | kDenyOom | kFast, 1, 1, 1, "hash",
     "Creates or modifies the value of a field in a hash.", "2.0.0",
     "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command "
     "is called with multiple field/value pairs.",
     kNoSubcommands, kAclHash, kKeysWritten},
    {"hsetnx", HsetnxCommand, 4, kWrite | kDenyOom | kFast, 1, 1, 1, "hash",
     "Sets the value of a field in a hash only when the field doesn't exist.", "2.0.0", "O(1)",
     kNoSubcommands, kAclHash, kKeysWritten},
    {"hget", HgetCommand, 3, kReadOnly | kFast, 1, 1, 1, "hash",
     "Returns the value of a field in a hash.", "2.0.0", "O(1)", kNoSubcommands, kAclHash,
     kKeysRead},
    {"hmget", HmgetCommand, -3, kReadOnly | kFast, 1, 1, 1, "hash",
     "Returns the values of all fields in a hash.", "2.0.0",
     "O(N) where N is the number of fields being requested.", kNoSubcommands, kAclHash, kKeysRead},
    {"hmset", HmsetCommand, -4, kWrite | kDenyOom | kFast, 1, 1, 1, "hash",
     "Sets the values of multiple fields.", "2.0.0",
     "O(N) where N is the number of fields being set.", kNoSubcommands, kAclHash, kKeysWritten},
    {"hdel", HdelCommand, -3, kWrite | kFast, 1, 1, 1, "hash",
     "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
     "remain.",
     "2.0.0", "O(N) where N is the number of fields to be removed.", kNoSubcommands, kAclHash,
     kKeysWritten},
    {"hlen", HlenCommand, 2, kReadOnly | kFast, 1, 1, 1, "hash",
     "Returns the number of fields in a hash.", "2.0.0", "O(1)", kNoSubcommands, kAclHash,
     kKeysLookedAt},
    {"hstrlen", HstrlenCommand, 3, kReadOnly | kFast, 1, 1, 1, "hash",
     "Returns the length of the value of a field.", "3.2.0", "O(1)", kNoSubcommands, kAclHash,
     kKeysLookedAt},
    {"hexists", HexistsCommand, 3, kReadOnly | kFast, 1, 1, 1, "hash",
     "Determines whether a field exists in a hash.", "2.0.0", "O(1)", kNoSubcommands, kAclHash,
     kKeysLookedAt},
    {"hkeys", HkeysCommand, 2, kReadOnly, 1, 1, 1, "hash", "Returns all fields in a hash.", "2.0.0",
     "O(N) where N is the size of the hash.", kNoSubcommands, kAclHash, kKeysRead},
    {"hvals", HvalsCommand, 2, kReadOnly, 1, 1, 1, "hash", "Returns all values in a hash.", "2.0.0",
     "O(N) where N is the size of the hash.", kNoSubcommands, kAclHash, kKeysRead},
    {"hgetall", HgetallCommand, 2, kReadOnly, 1, 1, 1, "hash",
     "Returns all fields and values in a hash.", "2.0.0", "O(N) where N is the size of the hash.",
     kNoSubcommands, kAclHash, kKeysRead},
    {"hincrby", HincrbyCommand, 4, kWrite | kDenyOom | kFast, 1, 1, 1, "hash",
     "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if "
     "the field doesn't exist.",
     "2.0.0", "O(1)", kNoSubcommands, kAclHash, kKeysReadWritten},
    {"hincrbyfloat", HincrbyfloatCommand, 4, kWrite | kDenyOom | kFast, 1, 1, 1, "hash",
     "Increments the floating point value of a field by a number. Uses 0 as initial value if "
     "the field doesn't exist.",
     "2.6.0", "O(1)", kNoSubcommands, kAclHash, kKeysReadWritten},
    {"hrandfield", HrandfieldCommand, -2, kReadOnly, 1, 1, 1, "hash",
     "Returns one or more random fields from a hash.", "6.2.0",
     "O(N) where N is the number of fields returned", kNoSubcommands, kAclHash, kKeysRead},
    {"hscan", HscanCommand, -3, kReadOnly, 1, 1, 1, "hash",
     "Iterates over fields and values of a hash.", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
     "the cursor to return back to 0. N is the number of elements inside the collection.",
     kNoSubcommands, kAclHash, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> HashCommands() { return kHashCommands; }

}  // namespace mnemo::cmd

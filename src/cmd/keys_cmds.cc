// keys_cmds.cc: commands that work on keys of any type (layer: cmd): DEL UNLINK EXISTS TYPE
// RENAME RENAMENX COPY MOVE SWAPDB KEYS SCAN RANDOMKEY TOUCH, the expiry commands (EXPIRE and
// family, TTL and family, PERSIST), OBJECT, FLUSHDB and FLUSHALL.
//
// Nothing here depends on a value's type: keys carry their type in the object header, and the
// few operations that need the value (COPY's duplication, freeing) go through db/value.h, which
// dispatches to the type modules. So every command here works for every type the db layer has.
//
// Keys are embedded in their object's block (db/object.h), so a key cannot be renamed in place:
// RENAME builds a new block for the new key around the same value (the value moves, the old
// block is freed without it), COPY builds one around a duplicate of the value. MOVE keeps the
// key, so the block itself goes from one database to the other.
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"

namespace mnemo::cmd {

namespace {

using db::Object;

// ---- DEL UNLINK EXISTS TOUCH TYPE ----------------------------------------------------------

void DelGeneric(Context& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().Delete(ctx.arg(i), lazy)) {
      ++deleted;
      ctx.Changed(ctx.arg(i), db::kNotifyGeneric, "del");
    }
  }
  ctx.reply.Integer(deleted);
}

void DelCommand(Context& ctx) { DelGeneric(ctx, ctx.keyspace.options().lazyfree_lazy_user_del); }
void UnlinkCommand(Context& ctx) { DelGeneric(ctx, true); }

// Counts keyspace hits/misses without touching the LRU, as Redis's EXISTS does.
void ExistsCommand(Context& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().LookupReadNoTouch(ctx.arg(i)) != nullptr) ++n;
  }
  ctx.reply.Integer(n);
}

// TOUCH key [key ...]: a read access of each key (LRU/LFU updated); replies how many exist.
void TouchCommand(Context& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().LookupRead(ctx.arg(i)) != nullptr) ++n;
  }
  ctx.reply.Integer(n);
}

void TypeCommand(Context& ctx) {
  const Object* o = ctx.db().LookupReadNoTouch(ctx.arg(1));
  ctx.reply.SimpleString(o == nullptr ? "none" : db::TypeName(o->type()));
}

// ---- database indexes ----------------------------------------------------------------------

// A database index (MOVE, COPY DB): an int, then an existing database, else "DB index is out of
// range". Replies and returns nullopt on error.
std::optional<int> DbIndexArg(Context& ctx, std::string_view arg) {
  auto n = CIntArg(ctx, arg);
  if (!n) return std::nullopt;
  if (*n < 0 || *n >= ctx.keyspace.num_dbs()) {
    ctx.reply.Error(protocol::kErrDbIndexOutOfRange);
    return std::nullopt;
  }
  return n;
}

// ---- RENAME RENAMENX COPY MOVE SWAPDB ------------------------------------------------------

// Removes `o` from `d` and frees it with its value, as an overwrite does (RENAME and COPY
// REPLACE delete the destination under lazyfree-lazy-server-del, as Redis's dbDelete).
void DeleteForOverwrite(db::Db& d, Object* o) {
  d.Dispose(d.Detach(o), d.keyspace().options().lazyfree_lazy_server_del);
}

// RENAME key newkey / RENAMENX key newkey. The value keeps its TTL and LRU/LFU data (Redis
// moves the same robj to the new key).
void RenameGeneric(Context& ctx, bool nx) {
  db::Db& d = ctx.db();
  const std::string_view from = ctx.arg(1);
  const std::string_view to = ctx.arg(2);
  Object* src = d.LookupWrite(from);
  if (src == nullptr) {
    ctx.reply.Error(protocol::kErrNoSuchKey);
    return;
  }
  if (from == to) {  // nothing to do, but a missing key was still an error
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (Object* dst = d.LookupWrite(to); dst != nullptr) {
    if (nx) {
      ctx.reply.Integer(0);
      return;
    }
    DeleteForOverwrite(d, dst);  // src is another object: its address stays valid
  }
  // The new block takes the value over (an embedded value is copied out of src's block, a
  // value word is moved); src's block is then freed without its value.
  Object* moved = Object::Create(to, src->type(), src->value_init(), src->has_expire(),
                                 db::Db::ExpireOf(src), src->lru());
  Object::Destroy(d.Detach(src));
  d.Add(moved);
  ctx.Changed(from, db::kNotifyGeneric, "rename_from", 0);
  ctx.Changed(to, db::kNotifyGeneric, "rename_to");
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void RenameCommand(Context& ctx) { RenameGeneric(ctx, false); }
void RenamenxCommand(Context& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]. (Redis spells the option DB, not
// DESTINATION-DB; a repeated option counts its last value.) The copy has its own value and the
// source's TTL; its LRU/LFU data starts fresh, as a new object's does in Redis.
void CopyCommand(Context& ctx) {
  int dst_id = ctx.client.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "DB") && i + 1 < ctx.argc()) {
      auto id = DbIndexArg(ctx, ctx.arg(i + 1));
      if (!id) return;
      dst_id = *id;
      ++i;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  if (ctx.dispatcher.cluster().enabled && (ctx.client.db != 0 || dst_id != 0)) {
    ctx.reply.Error("ERR Copying to another database is not allowed in cluster mode");
    return;
  }
  const std::string_view from = ctx.arg(1);
  const std::string_view to = ctx.arg(2);
  if (dst_id == ctx.client.db && from == to) {
    ctx.reply.Error(protocol::kErrSameObject);
    return;
  }
  db::Db& src_db = ctx.db();
  db::Db& dst_db = ctx.keyspace.db(dst_id);
  Object* src = src_db.LookupRead(from);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  Object* existing = dst_db.LookupWrite(to);
  if (existing != nullptr && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  // Built before anything is deleted: the duplicate may read src's embedded bytes.
  Object* copy = Object::Create(to, src->type(), db::DuplicateValueInit(*src), src->has_expire(),
                                db::Db::ExpireOf(src), ctx.keyspace.InitialLru());
  if (existing != nullptr) DeleteForOverwrite(dst_db, existing);
  dst_db.Add(copy);
  ctx.Changed(dst_db, to, db::kNotifyGeneric, "copy_to");
  ctx.reply.Integer(1);
}

// MOVE key db. The key is the same, so the object's block itself moves (with its TTL and
// LRU/LFU data): no allocation.
void MoveCommand(Context& ctx) {
  if (ctx.dispatcher.cluster().enabled) {
    ctx.reply.Error("ERR MOVE is not allowed in cluster mode");
    return;
  }
  auto dst_id = DbIndexArg(ctx, ctx.arg(2));
  if (!dst_id) return;
  if (*dst_id == ctx.client.db) {
    ctx.reply.Error(protocol::kErrSameObject);
    return;
  }
  db::Db& src_db = ctx.db();
  db::Db& dst_db = ctx.keyspace.db(*dst_id);
  Object* o = src_db.LookupWrite(ctx.arg(1));
  if (o == nullptr || dst_db.LookupWrite(ctx.arg(1)) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  dst_db.Add(src_db.Detach(o));
  ctx.Changed(src_db, ctx.arg(1), db::kNotifyGeneric, "move_from", 0);
  ctx.Changed(dst_db, ctx.arg(1), db::kNotifyGeneric, "move_to");
  ctx.reply.Integer(1);
}

// SWAPDB index1 index2. Clients select databases by index, so those on either database see the
// other's contents from their next command on, as in Redis.
void SwapdbCommand(Context& ctx) {
  // Cluster mode has database 0 only.
  if (ctx.dispatcher.cluster().enabled) {
    ctx.reply.Error("ERR SWAPDB is not allowed in cluster mode");
    return;
  }
  // Both indexes are parsed before either is range-checked, as Redis does.
  auto a = CIntArg(ctx, ctx.arg(1), protocol::kErrInvalidFirstDbIndex);
  if (!a) return;
  auto b = CIntArg(ctx, ctx.arg(2), protocol::kErrInvalidSecondDbIndex);
  if (!b) return;
  const int n = ctx.keyspace.num_dbs();
  if (*a < 0 || *a >= n || *b < 0 || *b >= n) {
    ctx.reply.Error(protocol::kErrDbIndexOutOfRange);
    return;
  }
  ctx.keyspace.SwapDbs(*a, *b);
  ctx.keyspace.changes().AddDirty(1);
  ctx.reply.Ok();
}

// ---- KEYS SCAN RANDOMKEY -------------------------------------------------------------------

// KEYS pattern. O(n) by definition. Expired keys are skipped, not deleted (Redis keysCommand).
void KeysCommand(Context& ctx) {
  db::Db& d = ctx.db();
  const std::string_view pattern = ctx.arg(1);
  const bool all = pattern == "*";
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  d.keys().ForEach([&](Object* o) {
    if (d.IsExpired(o)) return;
    if (!all && !GlobMatch(pattern, o->key())) return;
    ctx.reply.Bulk(o->key());
    ++n;
  });
  ctx.reply.EndDeferredArray(handle, n);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
//
// Guarantee (that of ds::Dict::Scan): a key present from the first call to the last is returned
// at least once, whatever is added, removed or resized in between; some keys may be returned
// twice. Work per call is bounded as in Redis: buckets are visited until COUNT keys are
// gathered, the cursor wraps to 0, or COUNT*10 buckets were visited (a sparse table must not make
// one call unbounded). MATCH and TYPE filter what was gathered, so a call may return fewer than
// COUNT keys, or none, with a non-zero cursor. Expired keys gathered are deleted and not
// returned (Redis expireIfNeeded).
void ScanCommand(Context& ctx) {
  auto cursor = ScanCursorArg(ctx, ctx.arg(1));
  if (!cursor) return;
  auto opts = ScanOptionsArg(ctx, 2, true);
  if (!opts) return;
  const int64_t count = opts->count;

  db::Db& d = ctx.db();
  std::vector<Object*> gathered;
  const size_t want = static_cast<size_t>(count);
  // count*10 without overflow: COUNT may be as large as an int64.
  int64_t max_iterations = count > std::numeric_limits<int64_t>::max() / 10
                               ? std::numeric_limits<int64_t>::max()
                               : count * 10;
  uint64_t next = *cursor;
  do {
    next = d.keys().Scan(next, [&](Object* o) { gathered.push_back(o); });
  } while (next != 0 && max_iterations-- > 0 && gathered.size() < want);

  // Filtering deletes expired keys; the other gathered objects stay where they are (a deletion
  // unlinks and frees only its own object), so their pointers remain valid.
  std::vector<Object*> keep;
  keep.reserve(gathered.size());
  for (Object* o : gathered) {
    if (!opts->Matches(o->key())) continue;
    if (opts->type && !EqualsIgnoreCase(*opts->type, db::TypeName(o->type()))) continue;
    if (d.IsExpired(o)) {
      d.DeleteExpired(o);
      continue;
    }
    keep.push_back(o);
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));  // the cursor is a bulk string, as in Redis
  ctx.reply.ArrayHeader(keep.size());
  for (const Object* o : keep) ctx.reply.Bulk(o->key());
}

// RANDOMKEY. When every key is volatile and the sampled ones keep being expired, Db::RandomKey
// gives up after a bounded number of tries and returns an expired key, whose name is replied
// (as a Redis replica does) rather than looping over the whole keyspace.
void RandomkeyCommand(Context& ctx) {
  const Object* o = ctx.db().RandomKey();
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(o->key());
}

// ---- EXPIRE PEXPIRE EXPIREAT PEXPIREAT -----------------------------------------------------

enum ExpireFlag : unsigned {
  kExpireNx = 1u << 0,
  kExpireXx = 1u << 1,
  kExpireGt = 1u << 2,
  kExpireLt = 1u << 3,
};

// The NX XX GT LT options at argv[3..] (Redis parseExtendedExpireArgumentsOrReply). Replies and
// returns nullopt on error. Options are checked before the time argument is parsed, as in Redis.
std::optional<unsigned> ParseExpireFlags(Context& ctx) {
  unsigned flags = 0;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "NX")) {
      flags |= kExpireNx;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      flags |= kExpireXx;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      flags |= kExpireGt;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      flags |= kExpireLt;
    } else {
      ctx.reply.Error(protocol::UnsupportedOption(opt));
      return std::nullopt;
    }
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply.Error(protocol::kErrNxAndXxGtLt);
    return std::nullopt;
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    ctx.reply.Error(protocol::kErrXxNxGtLt);
    return std::nullopt;
  }
  return flags;
}

// True iff the flags allow replacing the expiry `current` (-1: none) with `when`. A key without
// expiry counts as an infinite TTL: GT never passes, LT always does.
bool ExpireFlagsAllow(unsigned flags, int64_t current, int64_t when) {
  if ((flags & kExpireNx) && current != -1) return false;
  if ((flags & kExpireXx) && current == -1) return false;
  if ((flags & kExpireGt) && (current == -1 || when <= current)) return false;
  if ((flags & kExpireLt) && current != -1 && when >= current) return false;
  return true;
}

// EXPIRE/PEXPIRE (relative: basetime is the command's clock) and EXPIREAT/PEXPIREAT (absolute:
// basetime 0). Negative times are allowed; a time that overflows int64 milliseconds is an error.
// A time not after now deletes the key at once and replies 1; like Redis 7, that deletion is a
// DEL (not counted in expired_keys) and frees lazily per lazyfree-lazy-expire.
void ExpireGeneric(Context& ctx, int64_t basetime, bool seconds, std::string_view name) {
  auto flags = ParseExpireFlags(ctx);
  if (!flags) return;
  auto when = IntArg(ctx, ctx.arg(2));
  if (!when) return;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (seconds) {
    if (*when > kMax / 1000 || *when < kMin / 1000) {
      ctx.reply.Error(protocol::InvalidExpireTime(name));
      return;
    }
    *when *= 1000;
  }
  if (*when > kMax - basetime) {
    ctx.reply.Error(protocol::InvalidExpireTime(name));
    return;
  }
  *when += basetime;

  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr || !ExpireFlagsAllow(*flags, db::Db::ExpireOf(o), *when)) {
    ctx.reply.Integer(0);
    return;
  }
  const std::string_view key = ctx.arg(1);
  if (*when <= ctx.keyspace.now_ms() && ctx.keyspace.DeletesAlreadyExpired()) {
    const bool lazy = ctx.keyspace.options().lazyfree_lazy_expire;
    d.Delete(key, lazy);
    ctx.Changed(key, db::kNotifyGeneric, "del");
    ctx.PropagateAs({lazy ? "UNLINK" : "DEL", key});
  } else {
    d.SetExpire(o, *when);
    ctx.Changed(key, db::kNotifyGeneric, "expire");
    // Relative times would mean another instant elsewhere: the absolute one (Redis 7).
    if (ctx.propagating()) ctx.PropagateAs({"PEXPIREAT", key, Int64ToString(*when)});
  }
  ctx.reply.Integer(1);
}

void ExpireCommand(Context& ctx) { ExpireGeneric(ctx, ctx.keyspace.now_ms(), true, "expire"); }
void PexpireCommand(Context& ctx) { ExpireGeneric(ctx, ctx.keyspace.now_ms(), false, "pexpire"); }
void ExpireatCommand(Context& ctx) { ExpireGeneric(ctx, 0, true, "expireat"); }
void PexpireatCommand(Context& ctx) { ExpireGeneric(ctx, 0, false, "pexpireat"); }

// ---- TTL PTTL EXPIRETIME PEXPIRETIME PERSIST -----------------------------------------------

// -2 for a missing key, -1 for a key without expiry, else the remaining time (`absolute`: the
// expiry itself) in milliseconds or in seconds rounded to the nearest (Redis (ttl+500)/1000,
// computed without overflow near INT64_MAX).
void TtlGeneric(Context& ctx, bool millis, bool absolute) {
  const Object* o = ctx.db().LookupReadNoTouch(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  const int64_t expire = db::Db::ExpireOf(o);
  if (expire == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t t = absolute ? expire : expire - ctx.keyspace.now_ms();
  if (t < 0) t = 0;
  ctx.reply.Integer(millis ? t : t / 1000 + (t % 1000 >= 500 ? 1 : 0));
}

void TtlCommand(Context& ctx) { TtlGeneric(ctx, false, false); }
void PttlCommand(Context& ctx) { TtlGeneric(ctx, true, false); }
void ExpiretimeCommand(Context& ctx) { TtlGeneric(ctx, false, true); }
void PexpiretimeCommand(Context& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(Context& ctx) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(ctx.arg(1));
  if (o == nullptr || !o->has_expire()) {
    ctx.reply.Integer(0);
    return;
  }
  d.RemoveExpire(o);
  ctx.Changed(ctx.arg(1), db::kNotifyGeneric, "persist");
  ctx.reply.Integer(1);
}

// ---- OBJECT --------------------------------------------------------------------------------

// The key's object for OBJECT: looked up without touching its LRU/LFU data (that is what OBJECT
// reports), counting hits/misses as Redis does. Replies null and returns null when missing.
const Object* ObjectLookup(Context& ctx) {
  const Object* o = ctx.db().LookupReadNoTouch(ctx.arg(2));
  if (o == nullptr) ctx.reply.Null();
  return o;
}

void ObjectEncodingCommand(Context& ctx) {
  const Object* o = ObjectLookup(ctx);
  if (o == nullptr) return;
  ctx.reply.Bulk(db::EncodingName(*o));
}

// OBJECT COMPRESSION <key> (Mnemo's): how the value is stored, as a map: codec ("lzf", "zstd",
// "zstd+dict", or "none"), original-bytes (the value's length), stored-bytes (what its
// compressed block costs; for a value not compressed, its length), ratio (original/stored) and
// dictionary (the id of the zstd dictionary, 0 for none). Null for a missing key.
void ObjectCompressionCommand(Context& ctx) {
  const Object* o = ObjectLookup(ctx);
  if (o == nullptr) return;
  const db::StringCompression c = db::StringCompressionOf(*o);
  const size_t original = c.codec != nullptr                   ? c.original_bytes
                          : o->type() == db::ObjType::kString ? db::StringLength(*o)
                                                               : 0;
  const size_t stored = c.codec != nullptr ? c.stored_bytes : original;
  ctx.reply.MapHeader(5);
  ctx.reply.Bulk("codec");
  ctx.reply.Bulk(c.codec != nullptr ? c.codec : "none");
  ctx.reply.Bulk("original-bytes");
  ctx.reply.Integer(static_cast<int64_t>(original));
  ctx.reply.Bulk("stored-bytes");
  ctx.reply.Integer(static_cast<int64_t>(stored));
  ctx.reply.Bulk("ratio");
  ctx.reply.Double(stored == 0 ? 1.0 : static_cast<double>(original) / static_cast<double>(stored));
  ctx.reply.Bulk("dictionary");
  ctx.reply.Integer(c.dictionary);
}

// Objects belong to one key, so their refcount is 1; an integer Redis would share (object.h)
// answers Redis's OBJ_SHARED_REFCOUNT.
void ObjectRefcountCommand(Context& ctx) {
  const Object* o = ObjectLookup(ctx);
  if (o == nullptr) return;
  ctx.reply.Integer(o->shared_value() ? db::kSharedRefcount : 1);
}

void ObjectIdletimeCommand(Context& ctx) {
  const Object* o = ObjectLookup(ctx);
  if (o == nullptr) return;
  if (db::IsLfu(ctx.keyspace.options().maxmemory_policy)) {
    ctx.reply.Error(protocol::kErrLfuIdleTime);
    return;
  }
  ctx.reply.Integer(db::EstimateIdleMs(o->lru(), ctx.keyspace.lru_clock()) / 1000);
}

// The counter with the decay due since the last access applied (not stored: reading is not an
// access), as Redis's LFUDecrAndReturn.
void ObjectFreqCommand(Context& ctx) {
  const Object* o = ObjectLookup(ctx);
  if (o == nullptr) return;
  const db::Options& opts = ctx.keyspace.options();
  if (!db::IsLfu(opts.maxmemory_policy)) {
    ctx.reply.Error(protocol::kErrLfuNotSelected);
    return;
  }
  ctx.reply.Integer(db::LfuDecayedCounter(o->lru(), ctx.keyspace.now_ms(), opts.lfu_decay_time));
}

void ObjectHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "COMPRESSION <key>",
      "    Return how the value of <key> is compressed: codec, original and stored bytes,",
      "    ratio and dictionary id (Mnemo).",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

// ---- FLUSHDB FLUSHALL ----------------------------------------------------------------------

// FLUSHDB/FLUSHALL [ASYNC|SYNC]. Returns nullopt (after replying) on a syntax error.
std::optional<bool> ParseFlushMode(Context& ctx) {
  if (ctx.argc() == 1) return ctx.keyspace.options().lazyfree_lazy_user_flush;
  if (ctx.argc() == 2) {
    if (EqualsIgnoreCase(ctx.arg(1), "ASYNC")) return true;
    if (EqualsIgnoreCase(ctx.arg(1), "SYNC")) return false;
  }
  ctx.reply.Error(protocol::kErrSyntax);
  return std::nullopt;
}

void FlushdbCommand(Context& ctx) {
  auto async = ParseFlushMode(ctx);
  if (!async) return;
  ctx.keyspace.changes().AddDirty(ctx.keyspace.FlushDb(ctx.client.db, *async));
  // Propagated even when the database was empty already (Redis forceCommandPropagation).
  ctx.ForcePropagation();
  ctx.reply.Ok();
}

void FlushallCommand(Context& ctx) {
  auto async = ParseFlushMode(ctx);
  if (!async) return;
  ctx.keyspace.changes().AddDirty(ctx.keyspace.FlushAll(*async));
  ctx.ForcePropagation();
  ctx.reply.Ok();
}

constexpr CommandSpec kObjectSubcommands[] = {
    {"encoding", ObjectEncodingCommand, 3, kReadOnly, 2, 2, 1, "generic",
     "Returns the internal encoding of a Redis object.", "2.2.3", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
    {"refcount", ObjectRefcountCommand, 3, kReadOnly, 2, 2, 1, "generic",
     "Returns the reference count of a value of a key.", "2.2.3", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
    {"idletime", ObjectIdletimeCommand, 3, kReadOnly, 2, 2, 1, "generic",
     "Returns the time since the last access to a Redis object.", "2.2.3", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
    {"freq", ObjectFreqCommand, 3, kReadOnly, 2, 2, 1, "generic",
     "Returns the logarithmic access frequency counter of a Redis object.", "4.0.0", "O(1)",
     kNoSubcommands, kAclKeyspace, kKeysLookedAt},
    {"help", ObjectHelpCommand, 2, kLoading | kStale, 0, 0, 0, "generic",
     "Returns helpful text about the different subcommands.", "6.2.0", "O(1)", kNoSubcommands,
     kAclKeyspace},
    {"compression", ObjectCompressionCommand, 3, kReadOnly, 2, 2, 1, "generic",
     "Returns how the value of a key is compressed.", "7.0.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
};

constexpr CommandSpec kKeyCommands[] = {
    {"del", DelCommand, -2, kWrite, 1, -1, 1, "generic", "Deletes one or more keys.", "1.0.0",
     "O(N) where N is the number of keys that will be removed.", kNoSubcommands, kAclKeyspace,
     kKeysWritten},
    {"unlink", UnlinkCommand, -2, kWrite | kFast, 1, -1, 1, "generic",
     "Asynchronously deletes one or more keys.", "4.0.0",
     "O(1) for each key removed regardless of its size.", kNoSubcommands, kAclKeyspace,
     kKeysWritten},
    {"exists", ExistsCommand, -2, kReadOnly | kFast, 1, -1, 1, "generic",
     "Determines whether one or more keys exist.", "1.0.0",
     "O(N) where N is the number of keys to check.", kNoSubcommands, kAclKeyspace, kKeysLookedAt},
    {"touch", TouchCommand, -2, kReadOnly | kFast | kTouchesAlways, 1, -1, 1, "generic",
     "Returns the number of existing keys out of those specified after updating the time they "
     "were last accessed.",
     "3.2.1", "O(N) where N is the number of keys that will be touched.", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
    {"type", TypeCommand, 2, kReadOnly | kFast, 1, 1, 1, "generic",
     "Determines the type of value stored at a key.", "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace,
     kKeysLookedAt},
    {"rename", RenameCommand, 3, kWrite, 1, 2, 1, "generic",
     "Renames a key and overwrites the destination.", "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace,
     KeysFrom(RenameKeys)},
    {"renamenx", RenamenxCommand, 3, kWrite | kFast, 1, 2, 1, "generic",
     "Renames a key only when the target key name doesn't exist.", "1.0.0", "O(1)", kNoSubcommands,
     kAclKeyspace, KeysFrom(RenameKeys)},
    {"copy", CopyCommand, -3, kWrite | kDenyOom, 1, 2, 1, "generic",
     "Copies the value of a key to a new key.", "6.2.0",
     "O(N) worst case for collections, where N is the number of nested items. O(1) for string "
     "values.",
     kNoSubcommands, kAclKeyspace, KeysFrom(CopyKeys)},
    {"move", MoveCommand, 3, kWrite | kFast, 1, 1, 1, "generic", "Moves a key to another database.",
     "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace, kKeysReadWritten},
    {"swapdb", SwapdbCommand, 3, kWrite | kFast, 0, 0, 0, "server", "Swaps two Redis databases.",
     "4.0.0",
     "O(N) where N is the count of clients watching or blocking on keys from both databases.",
     kNoSubcommands, kAclKeyspace | kAclDangerous},
    {"keys", KeysCommand, 2, kReadOnly, 0, 0, 0, "generic",
     "Returns all key names that match a pattern.", "1.0.0",
     "O(N) with N being the number of keys in the database, under the assumption that the key "
     "names in the database and the given pattern have limited length.",
     kNoSubcommands, kAclKeyspace | kAclDangerous},
    {"scan", ScanCommand, -2, kReadOnly, 0, 0, 0, "generic",
     "Iterates over the key names in the database.", "2.8.0",
     "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
     "the cursor to return back to 0. N is the number of elements inside the collection.",
     kNoSubcommands, kAclKeyspace},
    {"randomkey", RandomkeyCommand, 1, kReadOnly, 0, 0, 0, "generic",
     "Returns a random key name from the database.", "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace},
    {"expire", ExpireCommand, -3, kWrite | kFast, 1, 1, 1, "generic",
     "Sets the expiration time of a key in seconds.", "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace,
     kKeysWritten},
    {"pexpire", PexpireCommand, -3, kWrite | kFast, 1, 1, 1, "generic",
     "Sets the expiration time of a key in milliseconds.", "2.6.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysWritten},
    {"expireat", ExpireatCommand, -3, kWrite | kFast, 1, 1, 1, "generic",
     "Sets the expiration time of a key to a Unix timestamp.", "1.2.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysWritten},
    {"pexpireat", PexpireatCommand, -3, kWrite | kFast, 1, 1, 1, "generic",
     "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0", "O(1)",
     kNoSubcommands, kAclKeyspace, kKeysWritten},
    {"expiretime", ExpiretimeCommand, 2, kReadOnly | kFast, 1, 1, 1, "generic",
     "Returns the expiration time of a key as a Unix timestamp.", "7.0.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysRead},
    {"pexpiretime", PexpiretimeCommand, 2, kReadOnly | kFast, 1, 1, 1, "generic",
     "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0", "O(1)",
     kNoSubcommands, kAclKeyspace, kKeysRead},
    {"ttl", TtlCommand, 2, kReadOnly | kFast, 1, 1, 1, "generic",
     "Returns the expiration time in seconds of a key.", "1.0.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysRead},
    {"pttl", PttlCommand, 2, kReadOnly | kFast, 1, 1, 1, "generic",
     "Returns the expiration time in milliseconds of a key.", "2.6.0", "O(1)", kNoSubcommands,
     kAclKeyspace, kKeysRead},
    {"persist", PersistCommand, 2, kWrite | kFast, 1, 1, 1, "generic",
     "Removes the expiration time of a key.", "2.2.0", "O(1)", kNoSubcommands, kAclKeyspace,
     kKeysWritten},
    {"object", nullptr, -2, 0, 0, 0, 0, "generic", "A container for object introspection commands.",
     "2.2.3", "Depends on subcommand.", kObjectSubcommands},
    {"flushdb", FlushdbCommand, -1, kWrite, 0, 0, 0, "server",
     "Remove all keys from the current database.", "1.0.0",
     "O(N) where N is the number of keys in the selected database", kNoSubcommands,
     kAclKeyspace | kAclDangerous},
    {"flushall", FlushallCommand, -1, kWrite, 0, 0, 0, "server",
     "Removes all keys from all databases.", "1.0.0",
     "O(N) where N is the total number of keys in all databases", kNoSubcommands,
     kAclKeyspace | kAclDangerous},
};

}  // namespace

std::span<const CommandSpec> KeyCommands() { return kKeyCommands; }

}  // namespace mnemo::cmd

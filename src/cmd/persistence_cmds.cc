// persistence_cmds.cc: SAVE BGSAVE BGREWRITEAOF LASTSAVE DUMP RESTORE (layer: cmd).
//
// The RDB format lives in persist/, below the server; commands reach it through ServerApi
// (SAVE writes the server's file, DUMP/RESTORE encode and decode payloads). What RESTORE does
// with the decoded value (replace, expiry, LRU/LFU data, announcements, propagation) is here, as
// Redis's restoreCommand.
#include <cstdint>
#include <string>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/value.h"

namespace mnemo::cmd {

namespace {

using db::Object;

void SaveCommand(Context& ctx) {
  Status s = ctx.server.Save();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]
void BgsaveCommand(Context& ctx) {
  bool schedule = false;
  if (ctx.argc() > 1) {
    if (ctx.argc() != 2 || !EqualsIgnoreCase(ctx.arg(1), "SCHEDULE")) {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
    schedule = true;
  }
  Result<std::string> r = ctx.server.BgSave(schedule, ctx.client.in_exec);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  ctx.reply.SimpleString(*r);
}

void BgrewriteaofCommand(Context& ctx) {
  Result<std::string> r = ctx.server.BgRewriteAof();
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  ctx.reply.SimpleString(*r);
}

void LastsaveCommand(Context& ctx) { ctx.reply.Integer(ctx.server.LastSave()); }

void DumpCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(ctx.server.DumpPayload(*o));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void RestoreCommand(Context& ctx) {
  bool replace = false;
  bool absttl = false;
  int64_t idle_s = -1;
  int64_t freq = -1;
  for (size_t i = 4; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "ABSTTL")) {
      absttl = true;
    } else if (EqualsIgnoreCase(opt, "IDLETIME") && has_value && freq == -1) {
      auto v = IntArg(ctx, ctx.arg(++i));
      if (!v) return;
      if (*v < 0) {
        ctx.reply.Error(protocol::kErrInvalidIdletime);
        return;
      }
      idle_s = *v;
    } else if (EqualsIgnoreCase(opt, "FREQ") && has_value && idle_s == -1) {
      auto v = IntArg(ctx, ctx.arg(++i));
      if (!v) return;
      if (*v < 0 || *v > 255) {
        ctx.reply.Error(protocol::kErrInvalidFreq);
        return;
      }
      freq = *v;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  db::Db& d = ctx.db();
  const std::string_view key = ctx.arg(1);
  if (!replace && d.LookupWrite(key) != nullptr) {
    ctx.reply.Error(protocol::kErrBusyKey);
    return;
  }
  auto ttl = IntArg(ctx, ctx.arg(2));
  if (!ttl) return;
  if (*ttl < 0) {
    ctx.reply.Error(protocol::kErrInvalidTtl);
    return;
  }
  Object* o = nullptr;
  Status decoded = ctx.server.DecodePayload(ctx.client.db, key, ctx.arg(3), &o);
  if (!decoded.ok()) {
    ctx.reply.Error(decoded.message());
    return;
  }
  const bool lazy = ctx.keyspace.options().lazyfree_lazy_server_del;
  const bool deleted = replace && d.Delete(key, lazy);
  int64_t when = *ttl;
  if (when != 0 && !absttl) when += ctx.keyspace.now_ms();
  if (when != 0 && when <= ctx.keyspace.now_ms() && ctx.keyspace.DeletesAlreadyExpired()) {
    // Already expired: the value is not stored; a replaced key is simply gone (but for a
    // replica or a replay: Redis checkAlreadyExpired).
    db::FreeObject(o);
    if (deleted) {
      ctx.PropagateAs({lazy ? "UNLINK" : "DEL", key});
      ctx.Changed(key, db::kNotifyGeneric, "del");
    }
    ctx.reply.Ok();
    return;
  }
  d.Add(o);
  o = d.Repack(o);
  if (when != 0) {
    o = d.SetExpire(o, when);
    if (!absttl && ctx.propagating()) {
      // The TTL goes out as an absolute time, as Redis rewrites it.
      std::vector<std::string> argv(ctx.argv.begin(), ctx.argv.end());
      argv[2] = Int64ToString(when);
      argv.emplace_back("ABSTTL");
      ctx.PropagateAs(std::move(argv));
    }
  }
  db::SetIdleOrFreq(o, ctx.keyspace.options(), idle_s, static_cast<int>(freq),
                    ctx.keyspace.lru_clock(), ctx.keyspace.now_ms());
  ctx.Changed(key, db::kNotifyGeneric, "restore");
  ctx.reply.Ok();
}

constexpr CommandSpec kPersistenceCommands[] = {
    {"save", SaveCommand, 1, kAdmin | kNoScript | kNoMulti, 0, 0, 0, "server",
     "Synchronously saves the database(s) to disk.", "1.0.0",
     "O(N) where N is the total number of keys in all databases", kNoSubcommands, 0, kNoKeys},
    {"bgsave", BgsaveCommand, -1, kAdmin | kNoScript, 0, 0, 0, "server",
     "Asynchronously saves the database(s) to disk.", "1.0.0", "O(1)", kNoSubcommands, 0, kNoKeys},
    {"bgrewriteaof", BgrewriteaofCommand, 1, kAdmin | kNoScript, 0, 0, 0, "server",
     "Asynchronously rewrites the append-only file to disk.", "1.0.0", "O(1)", kNoSubcommands, 0,
     kNoKeys},
    {"lastsave", LastsaveCommand, 1, kLoading | kStale | kFast, 0, 0, 0, "server",
     "Returns the Unix timestamp of the last successful save to disk.", "1.0.0", "O(1)",
     kNoSubcommands, kAclAdmin | kAclDangerous, kNoKeys},
    {"dump", DumpCommand, 2, kReadOnly, 1, 1, 1, "generic",
     "Returns a serialized representation of the value stored at a key.", "2.6.0",
     "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
     "Redis objects composing the value and M their average size.",
     kNoSubcommands, kAclKeyspace, kKeysRead},
    {"restore", RestoreCommand, -4, kWrite | kDenyOom, 1, 1, 1, "generic",
     "Creates a key from the serialized representation of a value.", "2.6.0",
     "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, "
     "where N is the number of Redis objects composing the value and M their average size.",
     kNoSubcommands, kAclKeyspace | kAclDangerous, kKeysWritten},
};

}  // namespace

std::span<const CommandSpec> PersistenceCommands() { return kPersistenceCommands; }

}  // namespace mnemo::cmd

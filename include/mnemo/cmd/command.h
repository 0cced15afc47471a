// command.h: a command is a row in a table: name, handler, arity, flags, keys, docs (layer: cmd).
//
// Each family file (string_cmds.cc, keys_cmds.cc, ...) ends with its table; the dispatcher
// gathers them (commands.cc), and COMMAND COUNT/INFO/LIST/DOCS read the same rows.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/cmd/client.h"
#include "mnemo/cmd/server_api.h"
#include "mnemo/db/db.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::cmd {

// Flags, with the names COMMAND INFO prints (Redis CMD_*).
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,          // "write": may modify the keyspace
  kReadOnly = 1u << 1,       // "readonly"
  kDenyOom = 1u << 2,        // "denyoom": may grow memory; refused over maxmemory
  kAdmin = 1u << 3,          // "admin"
  kPubSub = 1u << 4,         // "pubsub"
  kNoScript = 1u << 5,       // "noscript"
  kBlocking = 1u << 6,       // "blocking"
  kLoading = 1u << 7,        // "loading": allowed while loading data
  kStale = 1u << 8,          // "stale"
  kSkipMonitor = 1u << 9,    // "skip_monitor"
  kSkipSlowlog = 1u << 10,   // "skip_slowlog"
  kFast = 1u << 11,          // "fast": O(1) or O(log N)
  kNoAuth = 1u << 12,        // "no_auth": allowed before AUTH
  kMayReplicate = 1u << 13,  // "may_replicate"
  kNoMulti = 1u << 14,       // "no_multi"
  kAllowBusy = 1u << 15,     // "allow_busy"
  kMovableKeys = 1u << 16,   // "movablekeys": key positions depend on arguments
  // Internal flags, not printed by COMMAND INFO (bits 24 and up):
  kRunsInMulti = 1u << 24,    // runs at once inside MULTI instead of being queued
  kExec = 1u << 25,           // EXEC: refusing it aborts the transaction (EXECABORT), and it is
                              // denyoom when a queued command is
  kSubscribedOk = 1u << 26,   // allowed to a RESP2 client in subscribed mode
  kTouchesAlways = 1u << 27,  // updates LRU/LFU data even under CLIENT NO-TOUCH (TOUCH)
};

class Dispatcher;

// What a handler says about the propagation of its call (see Context). The dispatcher reads it
// after the handler returns.
struct CallFrame {
  // Propagate these arguments instead of the call's own (Redis rewriteClientCommandVector).
  std::vector<std::string> rewritten;
  bool has_rewrite = false;
  // Propagate nothing of the call itself: the handler propagated its effects explicitly
  // (SPOP with a count, EXEC, scripts) or they must not be propagated.
  bool prevent = false;
  // Propagate the call even if it changed no key (PUBLISH, Redis forceCommandPropagation).
  bool force = false;
};

// Everything a handler may use while it runs.
struct Context {
  std::span<const std::string_view> argv;
  Client& client;
  protocol::ReplyBuilder& reply;
  db::Keyspace& keyspace;
  ServerApi& server;
  Dispatcher& dispatcher;
  CallFrame& frame;

  db::Db& db() const { return keyspace.db(client.db); }
  size_t argc() const { return argv.size(); }
  std::string_view arg(size_t i) const { return argv[i]; }

  // ---- the keyspace-change seam (db/changes.h) ----
  // Announces that this command changed `key` in the client's database (or in `d`): WATCH,
  // client tracking and blocked clients hear of it, the keyspace event `event` of class `cls`
  // (a db::NotifyClass bit) is emitted, and the dirty counter grows by `dirty`. Call it once
  // per key actually changed, after the change; never for a write that changed nothing.
  void Changed(std::string_view key, uint32_t cls, std::string_view event,
               uint64_t dirty = 1) const {
    keyspace.changes().KeyChanged(db(), key, cls, event, dirty);
  }
  void Changed(db::Db& d, std::string_view key, uint32_t cls, std::string_view event,
               uint64_t dirty = 1) const {
    keyspace.changes().KeyChanged(d, key, cls, event, dirty);
  }
  // A keyspace event alone (a second event for the same change: "expire" after "set").
  void Event(std::string_view key, uint32_t cls, std::string_view event) const {
    keyspace.changes().Event(cls, event, db(), key);
  }

  // ---- propagation ----
  // By default a call that moved the dirty counter is propagated with its own arguments, to
  // the client's database. A handler whose effect those arguments would not reproduce says how
  // instead:
  //   PropagateAs: these arguments instead (SET k v EX 10 -> SET k v PXAT <abs>).
  //   PreventPropagation: nothing of the call; together with Propagate calls for its effects.
  //   Propagate: an extra command in the current unit, before the call's own (if any).
  //   ForcePropagation: the call even though it changed no key (PUBLISH).
  // They cost nothing when no sink consumes the stream (propagating() is false): check it
  // before building arguments that take work.
  bool propagating() const { return keyspace.changes().propagating(); }
  void PropagateAs(std::initializer_list<std::string_view> argv_out) const {
    frame.rewritten.assign(argv_out.begin(), argv_out.end());
    frame.has_rewrite = true;
  }
  void PropagateAs(std::vector<std::string> argv_out) const {
    frame.rewritten = std::move(argv_out);
    frame.has_rewrite = true;
  }
  void PreventPropagation() const { frame.prevent = true; }
  void ForcePropagation() const { frame.force = true; }
  void Propagate(std::initializer_list<std::string_view> argv_out) const {
    keyspace.changes().Propagate(client.db, argv_out);
  }
  void Propagate(std::vector<std::string> argv_out) const {
    keyspace.changes().Propagate(client.db, std::move(argv_out));
  }

  // ---- blocking (cmd/blocking.h) ----
  // True iff this call may block (not inside EXEC or a script; a blocking command behaves as
  // its non-blocking form there).
  bool CanBlock() const { return client.CanBlock(); }
  // Blocks the client on `keys` until `deadline_ms` (Unix ms; 0: forever): no reply now; the
  // command runs again when a key changes, and times out with `timeout_reply`.
  // REQUIRES: CanBlock().
  void Block(std::span<const std::string_view> keys, int64_t deadline_ms,
             TimeoutReply timeout_reply) const;
};

using Handler = void (*)(Context& ctx);

struct CommandSpec {
  std::string_view name;  // lower case, as COMMAND prints it
  Handler handler;
  int arity;  // >0: exactly; <0: at least -arity (the name counts)
  uint32_t flags;
  int first_key;  // positions of keys for COMMAND GETKEYS/INFO; 0 when none
  int last_key;   // -1: the last argument
  int key_step;
  std::string_view group;  // "string", "generic", "connection", "server", ...
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
  std::span<const CommandSpec> subcommands = {};
  // Handler of the container when it has subcommands and no subcommand matched (usually
  // HELP is itself a subcommand; this stays null).
};

// Each family exposes its rows.
std::span<const CommandSpec> ConnectionCommands();
std::span<const CommandSpec> StringCommands();
std::span<const CommandSpec> KeyCommands();
std::span<const CommandSpec> ServerCommands();
std::span<const CommandSpec> MemoryCommands();
std::span<const CommandSpec> HashCommands();
std::span<const CommandSpec> ListCommands();
std::span<const CommandSpec> ZsetCommands();
std::span<const CommandSpec> TransactionCommands();
std::span<const CommandSpec> SetCommands();
std::span<const CommandSpec> BitmapCommands();
std::span<const CommandSpec> HllCommands();
std::span<const CommandSpec> GeoCommands();
std::span<const CommandSpec> SortCommands();
std::span<const CommandSpec> PubsubCommands();
std::span<const CommandSpec> PersistenceCommands();
// Every family's table, in the order the dispatcher registers them (rename-command checks
// names against these before any dispatcher exists).
std::span<const std::span<const CommandSpec>> CommandTables();

}  // namespace mnemo::cmd

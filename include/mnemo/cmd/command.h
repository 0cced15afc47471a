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
  kRunsInMulti = 1u << 24,     // runs at once inside MULTI instead of being queued
  kExec = 1u << 25,            // EXEC: refusing it aborts the transaction (EXECABORT), and it is
                               // denyoom when a queued command is
  kSubscribedOk = 1u << 26,    // allowed to a RESP2 client in subscribed mode
  kTouchesAlways = 1u << 27,   // updates LRU/LFU data even under CLIENT NO-TOUCH (TOUCH)
  kScriptFlags = 1u << 28,     // EVAL*, FCALL*: the script's flags decide write, denyoom and
                               // may_replicate (Scripting::CommandFlags; Redis getCommandFlags)
  kDiskErrorCheck = 1u << 29,  // refused with -MISCONF as writes are, though not a write (PING:
                               // Redis processCommand, so that a health check sees the error)
};

// ACL categories (ACL CAT, COMMAND INFO, +@category rules), in Redis's order: a row lists the
// ones Redis lists explicitly for the command; @read @write @admin @dangerous @pubsub @fast @slow
// @blocking follow from its flags (cmd::CommandCategories in acl.h derives the full set).
enum AclCategory : uint32_t {
  kAclKeyspace = 1u << 0,
  kAclRead = 1u << 1,
  kAclWrite = 1u << 2,
  kAclSet = 1u << 3,
  kAclSortedSet = 1u << 4,
  kAclList = 1u << 5,
  kAclHash = 1u << 6,
  kAclString = 1u << 7,
  kAclBitmap = 1u << 8,
  kAclHyperLogLog = 1u << 9,
  kAclGeo = 1u << 10,
  kAclStream = 1u << 11,
  kAclPubSub = 1u << 12,
  kAclAdmin = 1u << 13,
  kAclFast = 1u << 14,
  kAclSlow = 1u << 15,
  kAclBlocking = 1u << 16,
  kAclDangerous = 1u << 17,
  kAclConnection = 1u << 18,
  kAclTransaction = 1u << 19,
  kAclScripting = 1u << 20,
};

// What a command does to a key, for ACL key permissions (%R~ and %W~ patterns): kKeyRead when
// it reads the value (Redis key-spec flag ACCESS), kKeyWrite when it inserts, deletes or updates
// it (INSERT, DELETE, UPDATE), neither when it only looks at the key's existence, type or size
// (EXISTS, TYPE, STRLEN: any pattern that matches the key allows it).
enum KeyAccess : uint8_t {
  kKeyNone = 0,
  kKeyRead = 1u << 0,
  kKeyWrite = 1u << 1,
  kKeyReadWrite = kKeyRead | kKeyWrite,
};

// A key named by a request: its position in argv and what the command does to it.
struct KeyRef {
  size_t pos = 0;
  uint8_t access = kKeyReadWrite;  // KeyAccess bits
};

// Appends the keys of `argv` (argv[0] is the command name) to `keys`, in Redis's key-spec order.
// Returns false when the arguments do not say where the keys are (a bad numkeys): the command
// will fail on its own, and no key is reported.
using KeysFn = bool (*)(std::span<const std::string_view> argv, std::vector<KeyRef>& keys);

// How a row's keys are found: first_key..last_key by key_step, each with `access`; or, for
// commands whose keys or whose access depend on the arguments (numkeys, STORE destinations,
// SET ... GET), by `find` (command_keys.h has them).
struct KeyUse {
  uint8_t access = kKeyReadWrite;  // KeyAccess bits of every key in the range
  KeysFn find = nullptr;
  // The range names shard channels, not keys (SSUBSCRIBE, SPUBLISH: Redis's NOT_KEY key spec):
  // COMMAND INFO prints it, key permissions and COMMAND GETKEYS see no key.
  bool not_key = false;
};

// The values rows use (named, so that a row stays one packed line of the table).
inline constexpr KeyUse kKeysRead{kKeyRead};
inline constexpr KeyUse kKeysWritten{kKeyWrite};
inline constexpr KeyUse kKeysReadWritten{kKeyReadWrite};
inline constexpr KeyUse kKeysLookedAt{kKeyNone};  // EXISTS, TYPE, STRLEN: any pattern will do
constexpr KeyUse KeysFrom(KeysFn find) { return KeyUse{kKeyReadWrite, find}; }
inline constexpr KeyUse kNoKeys{};  // before `channels` in a row without keys
inline constexpr KeyUse kShardChannels{kKeyNone, nullptr, true};

// The pub/sub channels a command names, for ACL channel permissions (&pattern).
enum class ChannelArgs : uint8_t {
  kNone,
  kFirstArg,     // PUBLISH, SPUBLISH: argv[1]
  kAllArgs,      // SUBSCRIBE, SSUBSCRIBE: argv[1..]
  kAllPatterns,  // PSUBSCRIBE: argv[1..], each compared literally with the user's patterns
};

class Dispatcher;
struct CommandSpec;

// A row without subcommands (before the ACL fields, which come after them).
inline constexpr std::span<const CommandSpec> kNoSubcommands{};

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
  // Argument positions MONITOR and the slow log show as "(redacted)" (passwords; Redis
  // redactClientCommandArgument).
  std::vector<uint32_t> redacted;
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

  // ---- observability ----
  // MONITOR and the slow log show argument `i` as "(redacted)" (a password).
  void RedactArg(size_t i) const { frame.redacted.push_back(static_cast<uint32_t>(i)); }

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
  // ACL categories Redis lists for the command (AclCategory bits); the others follow from
  // flags (CommandCategories in acl.h).
  uint32_t acl_categories = 0;
  // Where the keys are and what the command does to them (ACL key permissions, COMMAND
  // GETKEYS). Only read for rows with keys (first_key > 0 or keys.find).
  KeyUse keys = {};
  ChannelArgs channels = ChannelArgs::kNone;
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
std::span<const CommandSpec> StreamCommands();
std::span<const CommandSpec> PubsubCommands();
std::span<const CommandSpec> AclCommands();
std::span<const CommandSpec> ObserveCommands();      // MONITOR SLOWLOG LATENCY
std::span<const CommandSpec> ClusterCommands();      // CLUSTER READONLY READWRITE ASKING
std::span<const CommandSpec> ReplicationCommands();  // WAIT
std::span<const CommandSpec> PersistenceCommands();
std::span<const CommandSpec> ScriptingCommands();  // EVAL SCRIPT FCALL FUNCTION
// Every family's table, in the order the dispatcher registers them (rename-command checks
// names against these before any dispatcher exists; the ACL command catalog is built from the
// same list, so command ids agree).
std::span<const std::span<const CommandSpec>> CommandTables();

}  // namespace mnemo::cmd

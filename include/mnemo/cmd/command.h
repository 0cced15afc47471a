// command.h: a command is a row in a table: name, handler, arity, flags, keys, docs (layer: cmd).
//
// Each family file (string_cmds.cc, keys_cmds.cc, ...) ends with its table; the dispatcher
// gathers them (commands.cc), and COMMAND COUNT/INFO/LIST/DOCS read the same rows.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

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
};

class Dispatcher;

// Everything a handler may use while it runs.
struct Context {
  std::span<const std::string_view> argv;
  Client& client;
  protocol::ReplyBuilder& reply;
  db::Keyspace& keyspace;
  ServerApi& server;
  Dispatcher& dispatcher;

  db::Db& db() const { return keyspace.db(client.db); }
  size_t argc() const { return argv.size(); }
  std::string_view arg(size_t i) const { return argv[i]; }
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

}  // namespace mnemo::cmd

// connection_cmds.cc: PING ECHO QUIT SELECT AUTH HELLO and CLIENT (layer: cmd).
#include <string>

#include "client_state_cmds.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/acl.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/cmd/version.h"

namespace mnemo::cmd {

namespace {

using protocol::ReplyBuilder;

constexpr std::string_view kErrClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

void PingCommand(Context& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply.Error(protocol::WrongArity("ping"));
    return;
  }
  // A RESP2 subscriber gets ["pong", <arg>]: its connection carries message arrays.
  if (ctx.client.subs.any() && ctx.reply.resp() == 2) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argc() == 2 ? ctx.arg(1) : std::string_view());
    return;
  }
  if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void EchoCommand(Context& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

void QuitCommand(Context& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

void SelectCommand(Context& ctx) {
  auto id = CIntArg(ctx, ctx.arg(1));
  if (!id) return;
  if (ctx.dispatcher.cluster().enabled && *id != 0) {
    ctx.reply.Error("ERR SELECT is not allowed in cluster mode");
    return;
  }
  if (*id < 0 || *id >= ctx.keyspace.num_dbs()) {
    ctx.reply.Error(protocol::kErrDbIndexOutOfRange);
    return;
  }
  ctx.client.db = static_cast<int>(*id);
  ctx.reply.Ok();
}

// Authenticates the client as `user` if the password opens it; otherwise logs the failure
// (ACL LOG reason "auth") and replies WRONGPASS. Returns true on success.
bool Authenticate(Context& ctx, std::string_view user, std::string_view pass) {
  Acl& acl = ctx.dispatcher.acl();
  std::shared_ptr<User> u = acl.Authenticate(user, pass);
  if (u == nullptr) {
    ctx.dispatcher.LogAuthFailure(ctx.client, ctx.arg(0), user);
    ctx.reply.Error(protocol::kErrWrongPass);
    return false;
  }
  ctx.client.user = std::move(u);
  ctx.client.authenticated = true;
  return true;
}

void AuthCommand(Context& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::kErrSyntax);  // shown as sent, as Redis does
    return;
  }
  // MONITOR and the slow log show neither the user nor the password (Redis authCommand).
  for (size_t i = 1; i < ctx.argc(); ++i) ctx.RedactArg(i);
  if (ctx.argc() == 2) {
    // The old form authenticates the default user, and is an error when it has no password.
    if (ctx.dispatcher.acl().default_user()->nopass()) {
      ctx.reply.Error(protocol::kErrAuthNoPassword);
      return;
    }
    if (!Authenticate(ctx, "default", ctx.arg(1))) return;
  } else if (!Authenticate(ctx, ctx.arg(1), ctx.arg(2))) {
    return;
  }
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // no spaces, newlines or special characters
  }
  return true;
}

void HelloCommand(Context& ctx) {
  int version = ctx.reply.resp();
  size_t i = 1;
  if (ctx.argc() >= 2) {
    auto v = ParseInt64(ctx.arg(1));
    if (!v) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (*v < 2 || *v > 3) {
      ctx.reply.Error(protocol::kErrNoProto);
      return;
    }
    version = static_cast<int>(*v);
    i = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  for (; i < ctx.argc(); ++i) {
    const bool more = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(ctx.arg(i), "AUTH") && i + 2 < ctx.argc()) {
      ctx.RedactArg(i + 1);  // the user and the password, as Redis helloCommand
      ctx.RedactArg(i + 2);
      // Authenticates at once, before the other options are checked (Redis).
      if (!Authenticate(ctx, ctx.arg(i + 1), ctx.arg(i + 2))) return;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "SETNAME") && more) {
      setname = ctx.arg(i + 1);
      has_setname = true;
      ++i;
    } else {
      ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.arg(i)) + "'");
      return;
    }
  }
  if (!ctx.client.authenticated) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
    return;
  }
  if (has_setname && !ValidClientName(setname)) {
    ctx.reply.Error(kErrClientName);
    return;
  }
  if (has_setname) ctx.client.name = std::string(setname);
  ctx.reply.set_resp(version);
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisVersion);
  r.Bulk("proto");
  r.Integer(version);
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(ctx.client.id));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk(ctx.server.IsReplica() ? "replica" : "master");
  r.Bulk("modules");
  r.EmptyArray();
}

// ---- CLIENT ---------------------------------------------------------------------------------

void ClientIdCommand(Context& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.client.id)); }

void ClientSetnameCommand(Context& ctx) {
  if (!ValidClientName(ctx.arg(2))) {
    ctx.reply.Error(kErrClientName);
    return;
  }
  ctx.client.name = std::string(ctx.arg(2));
  ctx.reply.Ok();
}

void ClientGetnameCommand(Context& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

void ClientSetinfoCommand(Context& ctx) {
  const std::string_view attr = ctx.arg(2);
  const std::string_view value = ctx.arg(3);
  const bool is_name = EqualsIgnoreCase(attr, "LIB-NAME");
  if (!is_name && !EqualsIgnoreCase(attr, "LIB-VER")) {
    ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  if (!ValidClientName(value)) {
    ctx.reply.Error("ERR " + ToLower(attr) +
                    " cannot contain spaces, newlines or special characters.");
    return;
  }
  (is_name ? ctx.client.lib_name : ctx.client.lib_ver) = std::string(value);
  ctx.reply.Ok();
}

// Parses CLIENT LIST/KILL filters from argv[start..]. Replies and returns false on error.
bool ParseFilters(Context& ctx, size_t start, bool for_kill, ClientFilter* f) {
  for (size_t i = start; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "ID") && i + 1 < ctx.argc()) {
      // CLIENT LIST ID takes every following argument; CLIENT KILL ID takes one.
      const size_t last = for_kill ? i + 1 : ctx.argc() - 1;
      for (size_t j = i + 1; j <= last; ++j) {
        auto id = ParseInt64(ctx.arg(j));
        if (!id || *id <= 0) {
          ctx.reply.Error(for_kill ? "ERR client-id should be greater than 0"
                                   : "ERR Invalid client ID");
          return false;
        }
        f->ids.push_back(static_cast<uint64_t>(*id));
      }
      i = last;
    } else if (EqualsIgnoreCase(opt, "TYPE") && i + 1 < ctx.argc()) {
      const std::string type = ToLower(ctx.arg(i + 1));
      if (type != "normal" && type != "master" && type != "replica" && type != "slave" &&
          type != "pubsub") {
        ctx.reply.Error("ERR Unknown client type '" + std::string(ctx.arg(i + 1)) + "'");
        return false;
      }
      f->type = type == "slave" ? "replica" : type;
      ++i;
    } else if (for_kill && EqualsIgnoreCase(opt, "ADDR") && i + 1 < ctx.argc()) {
      f->addr = std::string(ctx.arg(++i));
    } else if (for_kill && EqualsIgnoreCase(opt, "LADDR") && i + 1 < ctx.argc()) {
      f->laddr = std::string(ctx.arg(++i));
    } else if (for_kill && EqualsIgnoreCase(opt, "USER") && i + 1 < ctx.argc()) {
      f->user = std::string(ctx.arg(++i));
      if (ctx.dispatcher.acl().Find(*f->user) == nullptr) {
        ctx.reply.Error("ERR No such user '" + *f->user + "'");
        return false;
      }
    } else if (for_kill && EqualsIgnoreCase(opt, "SKIPME") && i + 1 < ctx.argc()) {
      const std::string_view v = ctx.arg(++i);
      if (EqualsIgnoreCase(v, "yes")) {
        f->skip_me = true;
      } else if (EqualsIgnoreCase(v, "no")) {
        f->skip_me = false;
      } else {
        ctx.reply.Error(protocol::kErrSyntax);
        return false;
      }
    } else {  // (MAXAGE came with Redis 7.4: 7.0.15 answers a syntax error)
      ctx.reply.Error(protocol::kErrSyntax);
      return false;
    }
  }
  return true;
}

void ClientListCommand(Context& ctx) {
  ClientFilter filter;
  if (!ParseFilters(ctx, 2, false, &filter)) return;
  std::string text;
  for (const std::string& line : ctx.server.ClientLines(filter)) {
    text += line;
    text += '\n';
  }
  ctx.reply.Verbatim(text);
}

void ClientInfoCommand(Context& ctx) {
  ctx.reply.Verbatim(ctx.server.ClientLine(ctx.client) + "\n");
}

void ClientKillCommand(Context& ctx) {
  if (ctx.argc() == 3) {
    // Old form: CLIENT KILL addr:port; replies +OK or an error.
    ClientFilter filter;
    filter.addr = std::string(ctx.arg(2));
    if (ctx.server.KillClients(filter, ctx.client) == 0) {
      ctx.reply.Error("ERR No such client");
      return;
    }
    ctx.reply.Ok();
    return;
  }
  if (ctx.argc() % 2 != 0) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  ClientFilter filter;
  filter.skip_me = true;  // the new form skips the caller unless SKIPME no
  if (!ParseFilters(ctx, 2, true, &filter)) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.KillClients(filter, ctx.client)));
}

void ClientNoEvictCommand(Context& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "ON")) {
    ctx.client.no_evict = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    ctx.client.no_evict = false;
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  ctx.reply.Ok();
}

void ClientHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "    * ID <client-id>",
      "      Kill connections by client id.",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "    * ID <client-id> [<client-id> ...]",
      "      Return clients of specified IDs only.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are:",
      "    * LIB-NAME: the client lib name.",
      "    * LIB-VER: the client lib version.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

constexpr CommandSpec kClientSubcommands[] = {
    {"id", ClientIdCommand, 2, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Returns the unique client ID of the connection.", "5.0.0", "O(1)", kNoSubcommands,
     kAclConnection},
    {"setname", ClientSetnameCommand, 3, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Sets the connection name.", "2.6.9", "O(1)", kNoSubcommands, kAclConnection},
    {"getname", ClientGetnameCommand, 2, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Returns the name of the connection.", "2.6.9", "O(1)", kNoSubcommands, kAclConnection},
    {"setinfo", ClientSetinfoCommand, 4, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Sets information specific to the client or connection.", "7.2.0", "O(1)", kNoSubcommands,
     kAclConnection},
    {"list", ClientListCommand, -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Lists open connections.", "2.4.0", "O(N) where N is the number of client connections",
     kNoSubcommands, kAclConnection},
    {"info", ClientInfoCommand, 2, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Returns information about the connection.", "6.2.0", "O(1)", kNoSubcommands, kAclConnection},
    {"kill", ClientKillCommand, -3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Terminates open connections.", "2.4.0", "O(N) where N is the number of client connections",
     kNoSubcommands, kAclConnection},
    {"no-evict", ClientNoEvictCommand, 3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
     "connection", "Sets the client eviction mode of the connection.", "7.0.0", "O(1)",
     kNoSubcommands, kAclConnection},
    {"unblock", ClientUnblockCommand, -3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
     "connection", "Unblocks a client blocked by a blocking command from a different connection.",
     "5.0.0", "O(log N) where N is the number of client connections", kNoSubcommands,
     kAclConnection},
    {"pause", ClientPauseCommand, -3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Suspends commands processing.", "3.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"unpause", ClientUnpauseCommand, 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
     "connection", "Resumes processing commands from paused clients.", "6.2.0",
     "O(N) Where N is the number of paused clients", kNoSubcommands, kAclConnection},
    {"reply", ClientReplyCommand, 3, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Instructs the server whether to reply to commands.", "3.2.0", "O(1)", kNoSubcommands,
     kAclConnection},
    {"no-touch", ClientNoTouchCommand, 3, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0",
     "O(1)", kNoSubcommands, kAclConnection},
    {"tracking", ClientTrackingCommand, -3, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Controls server-assisted client-side caching for the connection.", "6.0.0",
     "O(1). Some options may introduce additional complexity.", kNoSubcommands, kAclConnection},
    {"caching", ClientCachingCommand, 3, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Instructs the server whether to track the keys in the next request.", "6.0.0", "O(1)",
     kNoSubcommands, kAclConnection},
    {"getredir", ClientGetredirCommand, 2, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "Returns the client ID to which the connection's tracking notifications are redirected.",
     "6.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"trackinginfo", ClientTrackinginfoCommand, 2, kNoScript | kLoading | kStale, 0, 0, 0,
     "connection", "Returns information about server-assisted client-side caching for the connection.",
     "6.2.0", "O(1)", kNoSubcommands, kAclConnection},
    {"help", ClientHelpCommand, 2, kLoading | kStale, 0, 0, 0, "connection",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", kNoSubcommands,
     kAclConnection},
};

constexpr CommandSpec kConnectionCommands[] = {
    {"ping", PingCommand, -1, kFast | kSubscribedOk | kDiskErrorCheck, 0, 0, 0, "connection",
     "Returns the server's liveliness response.", "1.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"echo", EchoCommand, 2, kLoading | kStale | kFast, 0, 0, 0, "connection",
     "Returns the given string.", "1.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"quit", QuitCommand, -1,
     kRunsInMulti | kSubscribedOk | kAllowBusy | kNoAuth | kNoScript | kLoading | kStale | kFast, 0,
     0, 0, "connection", "Closes the connection.", "1.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"select", SelectCommand, 2, kLoading | kStale | kFast, 0, 0, 0, "connection",
     "Changes the selected database.", "1.0.0", "O(1)", kNoSubcommands, kAclConnection},
    {"auth", AuthCommand, -2, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
     "connection", "Authenticates the connection.", "1.0.0",
     "O(N) where N is the number of passwords defined for the user", kNoSubcommands,
     kAclConnection},
    {"hello", HelloCommand, -1, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0,
     0, "connection", "Handshakes with the Redis server.", "6.0.0", "O(1)", kNoSubcommands,
     kAclConnection},
    {"reset", ResetCommand, 1,
     kRunsInMulti | kSubscribedOk | kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0,
     0, 0, "connection", "Resets the connection.", "6.2.0", "O(1)", kNoSubcommands, kAclConnection},
    {"client", nullptr, -2, kNoScript | kLoading | kStale, 0, 0, 0, "connection",
     "A container for client connection commands.", "2.4.0", "Depends on subcommand.",
     kClientSubcommands},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kConnectionCommands; }

}  // namespace mnemo::cmd

// server_cmds.cc: INFO COMMAND CONFIG DBSIZE TIME SHUTDOWN DEBUG (layer: cmd).
#include <bit>
#include <string>

#include <fmt/format.h>
#include <vector>

#include "mnemo/base/clock.h"
#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/acl.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"

namespace mnemo::cmd {

namespace {

using protocol::ReplyBuilder;

void ReplyHelp(Context& ctx, std::span<const std::string_view> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view l : lines) ctx.reply.SimpleString(l);
}

// ---- INFO ----------------------------------------------------------------------------------

void InfoCommand(Context& ctx) { ctx.reply.Verbatim(ctx.server.Info(ctx.argv.subspan(1))); }

// ---- COMMAND -------------------------------------------------------------------------------

struct FlagName {
  uint32_t flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kWrite, "write"},
    {kReadOnly, "readonly"},
    {kDenyOom, "denyoom"},
    {kAdmin, "admin"},
    {kPubSub, "pubsub"},
    {kNoScript, "noscript"},
    {kBlocking, "blocking"},
    {kLoading, "loading"},
    {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"},
    {kSkipSlowlog, "skip_slowlog"},
    {kFast, "fast"},
    {kNoAuth, "no_auth"},
    {kMayReplicate, "may_replicate"},
    {kNoMulti, "no_multi"},
    {kAllowBusy, "allow_busy"},
    {kMovableKeys, "movablekeys"},
};

void ReplyCommandInfo(Context& ctx, const Dispatcher::Entry& e) {
  const CommandSpec& s = *e.spec;
  ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(10);
  r.Bulk(e.full_name);
  r.Integer(s.arity);
  size_t nflags = 0;
  for (const FlagName& f : kFlagNames) nflags += (s.flags & f.flag) ? 1 : 0;
  r.SetHeader(nflags);
  for (const FlagName& f : kFlagNames) {
    if (s.flags & f.flag) r.SimpleString(f.name);
  }
  r.Integer(s.first_key);
  r.Integer(s.last_key);
  r.Integer(s.key_step);
  const uint32_t cats = CommandCategories(s);
  r.SetHeader(static_cast<size_t>(std::popcount(cats)));
  for (const AclCategoryName& c : AclCategoryNames()) {
    if (cats & c.bit) r.SimpleString("@" + std::string(c.name));
  }
  r.EmptyArray();  // tips
  r.EmptyArray();  // key specifications (first/last/step above describe the keys)
  r.ArrayHeader(e.subcommands.size());
  for (const auto& sub : e.subcommands) ReplyCommandInfo(ctx, *sub);
}

void ReplyCommandDocs(Context& ctx, const Dispatcher::Entry& e) {
  const CommandSpec& s = *e.spec;
  ReplyBuilder& r = ctx.reply;
  const bool subs = !e.subcommands.empty();
  r.MapHeader(subs ? 5 : 4);
  r.Bulk("summary");
  r.Bulk(s.summary);
  r.Bulk("since");
  r.Bulk(s.since);
  r.Bulk("group");
  r.Bulk(s.group);
  r.Bulk("complexity");
  r.Bulk(s.complexity);
  if (subs) {
    r.Bulk("subcommands");
    r.MapHeader(e.subcommands.size());
    for (const auto& sub : e.subcommands) {
      r.Bulk(sub->full_name);
      ReplyCommandDocs(ctx, *sub);
    }
  }
}

// The commands a name reaches (rename-command "" disables one), in table order.
std::vector<const Dispatcher::Entry*> ReachableCommands(Context& ctx) {
  std::vector<const Dispatcher::Entry*> out;
  for (const auto& e : ctx.dispatcher.commands()) {
    if (!e->disabled) out.push_back(e.get());
  }
  return out;
}

void CommandCommand(Context& ctx) {
  const auto all = ReachableCommands(ctx);
  ctx.reply.ArrayHeader(all.size());
  for (const auto* e : all) ReplyCommandInfo(ctx, *e);
}

void CommandCountCommand(Context& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ReachableCommands(ctx).size()));
}

// Resolves "get" or "client|id" to an entry.
const Dispatcher::Entry* FindByFullName(Context& ctx, std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return ctx.dispatcher.Find(name);
  const Dispatcher::Entry* parent = ctx.dispatcher.Find(name.substr(0, bar));
  return parent == nullptr ? nullptr : Dispatcher::FindSub(*parent, name.substr(bar + 1));
}

void CommandInfoCommand(Context& ctx) {
  if (ctx.argc() == 2) {
    CommandCommand(ctx);
    return;
  }
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const Dispatcher::Entry* e = FindByFullName(ctx, ctx.arg(i));
    if (e == nullptr) {
      ctx.reply.NullArray();
    } else {
      ReplyCommandInfo(ctx, *e);
    }
  }
}

void CommandDocsCommand(Context& ctx) {
  std::vector<const Dispatcher::Entry*> entries;
  if (ctx.argc() == 2) {
    entries = ReachableCommands(ctx);
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const Dispatcher::Entry* e = FindByFullName(ctx, ctx.arg(i));
      if (e != nullptr) entries.push_back(e);
    }
  }
  ctx.reply.MapHeader(entries.size());
  for (const auto* e : entries) {
    ctx.reply.Bulk(e->full_name);
    ReplyCommandDocs(ctx, *e);
  }
}

void CommandListCommand(Context& ctx) {
  std::string_view pattern;
  std::string_view category;
  bool module_filter = false;
  if (ctx.argc() > 2) {
    if (ctx.argc() != 5 || !EqualsIgnoreCase(ctx.arg(2), "FILTERBY")) {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
    if (EqualsIgnoreCase(ctx.arg(3), "PATTERN")) {
      pattern = ctx.arg(4);
    } else if (EqualsIgnoreCase(ctx.arg(3), "ACLCAT")) {
      category = ctx.arg(4);
    } else if (EqualsIgnoreCase(ctx.arg(3), "MODULE")) {
      module_filter = true;  // no modules: nothing matches
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  std::vector<std::string_view> names;
  auto consider = [&](const Dispatcher::Entry& e) {
    if (module_filter) return;
    if (!pattern.empty() && !GlobMatch(pattern, e.full_name, true)) return;
    if (!category.empty() && !(CommandCategories(*e.spec) & AclCategoryByName(category))) return;
    names.push_back(e.full_name);
  };
  for (const auto* e : ReachableCommands(ctx)) {
    consider(*e);
    for (const auto& s : e->subcommands) consider(*s);
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

void CommandGetkeysCommand(Context& ctx) {
  const auto argv = ctx.argv.subspan(2);
  const Dispatcher::Entry* e = ctx.dispatcher.Resolve(argv);
  if (e == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return;
  }
  const CommandSpec& s = *e->spec;
  if (!CommandHasKeys(s)) {
    ctx.reply.Error("ERR The command has no key arguments");
    return;
  }
  const bool arity_ok = s.arity > 0 ? argv.size() == static_cast<size_t>(s.arity)
                                    : argv.size() >= static_cast<size_t>(-s.arity);
  if (!arity_ok) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<KeyRef> keys;
  if (!CommandKeys(s, argv, keys)) {
    ctx.reply.Error("ERR Invalid arguments specified for command");
    return;
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) ctx.reply.Bulk(argv[k.pos]);
}

void CommandHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

// COMMAND with no subcommand lists everything; the dispatcher routes "COMMAND x" to a
// subcommand, so the bare form is a row of its own arity.
void CommandBareCommand(Context& ctx) { CommandCommand(ctx); }

// ---- CONFIG --------------------------------------------------------------------------------

void ConfigGetCommand(Context& ctx) {
  const auto pairs = ctx.server.ConfigGet(ctx.argv.subspan(2));
  ctx.reply.MapHeader(pairs.size());
  for (const auto& [k, v] : pairs) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

void ConfigSetCommand(Context& ctx) {
  if (ctx.argc() % 2 != 0) {
    ctx.reply.Error(protocol::WrongArity("config|set"));
    return;
  }
  Status s = ctx.server.ConfigSet(ctx.argv.subspan(2));
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

void ConfigResetstatCommand(Context& ctx) {
  ctx.server.ResetStats();
  ctx.reply.Ok();
}

void ConfigRewriteCommand(Context& ctx) {
  Status s = ctx.server.ConfigRewrite();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

void ConfigHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

// ---- small server commands -----------------------------------------------------------------

void DbsizeCommand(Context& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db().size())); }

void TimeCommand(Context& ctx) {
  const int64_t us = UnixTimeUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(Int64ToString(us / 1000000));
  ctx.reply.Bulk(Int64ToString(us % 1000000));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], parsed as Redis 7.0: any unknown word, ABORT
// with another flag, or NOSAVE with SAVE is a syntax error.
void ShutdownCommand(Context& ctx) {
  ShutdownOptions options;
  bool abort = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "NOSAVE")) {
      options.nosave = true;
    } else if (EqualsIgnoreCase(a, "SAVE")) {
      options.save = true;
    } else if (EqualsIgnoreCase(a, "NOW")) {
      options.now = true;
    } else if (EqualsIgnoreCase(a, "FORCE")) {
      options.force = true;
    } else if (EqualsIgnoreCase(a, "ABORT")) {
      abort = true;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  const bool any_flag = options.nosave || options.save || options.now || options.force;
  if ((abort && any_flag) || (options.nosave && options.save)) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (abort) {
    if (ctx.server.AbortShutdown()) {
      ctx.reply.Ok();
    } else {
      ctx.reply.Error("ERR No shutdown in progress.");
    }
    return;
  }
  // During a busy script only SHUTDOWN NOSAVE may stop the server (Redis shutdownCommand).
  if (!options.nosave && ctx.dispatcher.scripting().busy()) {
    ctx.reply.Error(ctx.dispatcher.scripting().BusyError());
    return;
  }
  Status s = ctx.server.Shutdown(options);
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  // No reply: the connection closes with the server, as in Redis.
  ctx.client.close_after_reply = true;
}

// DEBUG: only the subcommands that tests and operators use.
void DebugCommand(Context& ctx) {
  if (!ctx.server.DebugAllowed(ctx.client)) {
    ctx.reply.Error(protocol::kErrDebugDisabled);
    return;
  }
  const std::string_view sub = ctx.arg(1);
  if (EqualsIgnoreCase(sub, "SLEEP") && ctx.argc() == 3) {
    auto secs = DoubleArg(ctx, ctx.arg(2));
    if (!secs) return;
    ctx.server.Sleep(*secs);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(sub, "OBJECT") && ctx.argc() == 3) {
    db::Object* o = ctx.db().LookupNoTouch(ctx.arg(2));
    if (o == nullptr) {
      ctx.reply.Error(protocol::kErrNoSuchKey);
      return;
    }
    const int64_t idle_s = db::EstimateIdleMs(o->lru(), ctx.keyspace.lru_clock()) / 1000;
    ctx.reply.SimpleString(
        fmt::format("Value at:{} refcount:{} encoding:{} serializedlength:0 lru:{} "
                    "lru_seconds_idle:{}",
                    static_cast<const void*>(o), o->shared_value() ? db::kSharedRefcount : 1,
                    db::EncodingName(*o), o->lru(), idle_s));
  } else if (EqualsIgnoreCase(sub, "HELP")) {
    static constexpr std::string_view kLines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Print this help.",
    };
    ReplyHelp(ctx, kLines);
  } else {
    ctx.reply.Error(protocol::SubcommandSyntax("debug", sub));
  }
}

constexpr CommandSpec kCommandSubcommands[] = {
    {"count", CommandCountCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns a count of commands.", "2.8.13", "O(1)", kNoSubcommands, kAclConnection},
    {"info", CommandInfoCommand, -2, kLoading | kStale, 0, 0, 0, "server",
     "Returns information about one, multiple or all commands.", "2.8.13",
     "O(N) where N is the number of commands to look up", kNoSubcommands, kAclConnection},
    {"docs", CommandDocsCommand, -2, kLoading | kStale, 0, 0, 0, "server",
     "Returns documentary information about one, multiple or all commands.", "7.0.0",
     "O(N) where N is the number of commands to look up", kNoSubcommands, kAclConnection},
    {"list", CommandListCommand, -2, kLoading | kStale, 0, 0, 0, "server",
     "Returns a list of command names.", "7.0.0", "O(N) where N is the total number of commands",
     kNoSubcommands, kAclConnection},
    {"getkeys", CommandGetkeysCommand, -3, kLoading | kStale, 0, 0, 0, "server",
     "Extracts the key names from an arbitrary command.", "2.8.13",
     "O(N) where N is the number of arguments to the command", kNoSubcommands, kAclConnection},
    {"help", CommandHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", kNoSubcommands,
     kAclConnection},
};

constexpr CommandSpec kConfigSubcommands[] = {
    {"get", ConfigGetCommand, -3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "server",
     "Returns the effective values of configuration parameters.", "2.0.0",
     "O(N) when N is the number of configuration parameters provided"},
    {"set", ConfigSetCommand, -4, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "server",
     "Sets configuration parameters in-flight.", "2.0.0",
     "O(N) when N is the number of configuration parameters provided"},
    {"resetstat", ConfigResetstatCommand, 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
     "server", "Resets the server's statistics.", "2.0.0", "O(1)"},
    {"rewrite", ConfigRewriteCommand, 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "server",
     "Persists the effective configuration to file.", "2.8.0", "O(1)"},
    {"help", ConfigHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"},
};

constexpr CommandSpec kServerCommands[] = {
    {"info", InfoCommand, -1, kLoading | kStale, 0, 0, 0, "server",
     "Returns information and statistics about the server.", "1.0.0", "O(1)", kNoSubcommands,
     kAclDangerous},
    {"command", CommandBareCommand, -1, kLoading | kStale, 0, 0, 0, "server",
     "Returns detailed information about all commands.", "2.8.13",
     "O(N) where N is the total number of Redis commands", kCommandSubcommands, kAclConnection},
    {"config", nullptr, -2, 0, 0, 0, 0, "server", "A container for server configuration commands.",
     "2.0.0", "Depends on subcommand.", kConfigSubcommands},
    {"dbsize", DbsizeCommand, 1, kReadOnly | kFast, 0, 0, 0, "server",
     "Returns the number of keys in the database.", "1.0.0", "O(1)", kNoSubcommands, kAclKeyspace},
    {"time", TimeCommand, 1, kLoading | kStale | kFast, 0, 0, 0, "server",
     "Returns the server time.", "2.6.0", "O(1)"},
    {"shutdown", ShutdownCommand, -1,
     kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy, 0, 0, 0, "server",
     "Synchronously saves the database(s) to disk and shuts down "
     "the Redis server.",
     "1.0.0",
     "O(N) when saving, where N is the total number of keys in all "
     "databases when saving data, otherwise O(1)"},
    {"debug", DebugCommand, -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, "server",
     "A container for debugging commands.", "1.0.0", "Depends on subcommand."},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kServerCommands; }

}  // namespace mnemo::cmd

// acl_cmds.cc: the ACL command family: SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS
// LOG SAVE LOAD DRYRUN HELP (layer: cmd).
#include <sodium.h>

#include <algorithm>
#include <string>

#include "mnemo/base/clock.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/acl.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/protocol/errors.h"

namespace mnemo::cmd {

namespace {

using protocol::ReplyBuilder;

// Most ACL subcommands have a fixed argument count inside their table arity; Redis answers the
// others with its generic subcommand error.
bool SubcommandArgcOk(Context& ctx, size_t min, size_t max) {
  if (ctx.argc() >= min && ctx.argc() <= max) return true;
  ctx.reply.Error(protocol::SubcommandSyntax("acl", ctx.arg(1)));
  return false;
}

// Closes the clients authenticated as `user` (a deleted or replaced user), as Redis does.
void DisconnectUser(Context& ctx, const std::shared_ptr<User>& user) {
  ctx.server.DisconnectClients([&](const Client& c) { return c.user == user; }, ctx.client);
}

void AclSetuserCommand(Context& ctx) {
  bool channels_revoked = false;
  auto result = ctx.dispatcher.acl().SetUser(ctx.arg(2), ctx.argv.subspan(3), &channels_revoked);
  if (!result.ok()) {
    ctx.reply.Error(result.status().message());
    return;
  }
  ctx.reply.Ok();
  if (channels_revoked) {
    // Its subscribers that now subscribe beyond its channels go (Redis
    // ACLKillPubsubClientsIfNeeded); the caller after this reply.
    const User* user = result->get();
    ctx.server.DisconnectClients(
        [user](const Client& c) {
          return c.user.get() == user && c.subs.any() && !CanKeepSubscriptions(*user, c.subs);
        },
        ctx.client);
  }
}

void AclDeluserCommand(Context& ctx) {
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ctx.arg(i) == "default") {
      ctx.reply.Error(protocol::kErrDefaultUserCannotBeRemoved);
      return;
    }
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::shared_ptr<User> u = ctx.dispatcher.acl().DeleteUser(ctx.arg(i));
    if (u == nullptr) continue;
    DisconnectUser(ctx, u);
    ++deleted;
  }
  ctx.reply.Integer(deleted);
}

// commands, keys and channels of one selector (ACL GETUSER).
void ReplySelector(Context& ctx, const Selector& s) {
  const Acl& acl = ctx.dispatcher.acl();
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(acl.DescribeCommands(s));
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(Acl::DescribeKeys(s));
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(Acl::DescribeChannels(s));
}

void AclGetuserCommand(Context& ctx) {
  std::shared_ptr<User> u = ctx.dispatcher.acl().Find(ctx.arg(2));
  if (u == nullptr) {
    ctx.reply.Null();
    return;
  }
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(6);
  r.Bulk("flags");
  static constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
      {User::kEnabled, "on"},
      {User::kDisabled, "off"},
      {User::kNoPass, "nopass"},
      {User::kSkipSanitizePayload, "skip-sanitize-payload"},
      {User::kSanitizePayload, "sanitize-payload"},
  };
  size_t nflags = 0;
  for (const auto& [bit, name] : kFlags) nflags += (u->flags & bit) ? 1 : 0;
  r.SetHeader(nflags);
  for (const auto& [bit, name] : kFlags) {
    if (u->flags & bit) r.Bulk(name);
  }
  r.Bulk("passwords");
  r.ArrayHeader(u->passwords.size());
  for (const PasswordHash& p : u->passwords) r.Bulk(HashToHex(p));
  ReplySelector(ctx, u->selectors[0]);
  r.Bulk("selectors");
  r.ArrayHeader(u->selectors.size() - 1);
  for (size_t i = 1; i < u->selectors.size(); ++i) {
    r.MapHeader(3);
    ReplySelector(ctx, u->selectors[i]);
  }
}

void AclListCommand(Context& ctx) {
  const Acl& acl = ctx.dispatcher.acl();
  ctx.reply.ArrayHeader(acl.users().size());
  for (const auto& [name, u] : acl.users()) ctx.reply.Bulk("user " + name + " " + acl.Describe(*u));
}

void AclUsersCommand(Context& ctx) {
  const Acl& acl = ctx.dispatcher.acl();
  ctx.reply.ArrayHeader(acl.users().size());
  for (const auto& [name, u] : acl.users()) ctx.reply.Bulk(name);
}

void AclWhoamiCommand(Context& ctx) {
  if (ctx.client.user == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.user->name());
  }
}

void AclCatCommand(Context& ctx) {
  if (!SubcommandArgcOk(ctx, 2, 3)) return;
  if (ctx.argc() == 2) {
    const auto names = AclCategoryNames();
    ctx.reply.ArrayHeader(names.size());
    for (const AclCategoryName& c : names) ctx.reply.Bulk(c.name);
    return;
  }
  const uint32_t category = AclCategoryByName(ctx.arg(2));
  if (category == 0) {
    ctx.reply.Error("ERR Unknown category '" + std::string(ctx.arg(2).substr(0, 128)) + "'");
    return;
  }
  const CommandCatalog& catalog = ctx.dispatcher.catalog();
  std::vector<std::string_view> names;
  for (size_t id = 0; id < catalog.size(); ++id) {
    const CommandCatalog::Command& c = catalog.at(static_cast<uint32_t>(id));
    if (c.categories & category) names.push_back(c.full_name);
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

void AclGenpassCommand(Context& ctx) {
  if (!SubcommandArgcOk(ctx, 2, 3)) return;
  // 4096: Redis's GENPASS_MAX_BITS.
  constexpr int64_t kMaxBits = 4096;
  int64_t bits = 256;
  if (ctx.argc() == 3) {
    auto n = ParseInt64(ctx.arg(2));
    if (!n) {
      ctx.reply.Error(protocol::kErrNotInteger);
      return;
    }
    bits = *n;
  }
  if (bits <= 0 || bits > kMaxBits) {
    ctx.reply.Error(protocol::kErrGenpassBits);
    return;
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  unsigned char random[kMaxBits / 8];
  randombytes_buf(random, (chars + 1) / 2);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string pass;
  pass.reserve(chars);
  for (size_t i = 0; i < chars; ++i) {
    const unsigned char b = random[i / 2];
    pass.push_back(kHex[i % 2 == 0 ? b >> 4 : b & 15]);
  }
  sodium_memzero(random, sizeof(random));
  ctx.reply.Bulk(pass);
}

std::string_view ReasonName(AclDenial d) {
  switch (d) {
    case AclDenial::kCommand:
      return "command";
    case AclDenial::kKey:
      return "key";
    case AclDenial::kChannel:
      return "channel";
    case AclDenial::kAuth:
      return "auth";
    case AclDenial::kNone:
      break;
  }
  return "unknown";
}

void AclLogCommand(Context& ctx) {
  if (!SubcommandArgcOk(ctx, 2, 3)) return;
  Acl& acl = ctx.dispatcher.acl();
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (EqualsIgnoreCase(ctx.arg(2), "RESET")) {
      acl.ResetLog();
      ctx.reply.Ok();
      return;
    }
    auto n = ParseInt64(ctx.arg(2));
    if (!n) {
      ctx.reply.Error(protocol::kErrNotInteger);
      return;
    }
    count = *n < 0 ? 0 : *n;
  }
  const auto& log = acl.log();
  const size_t shown = std::min(static_cast<size_t>(count), log.size());
  const int64_t now = UnixTimeMs();
  ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(shown);
  for (size_t i = 0; i < shown; ++i) {
    const AclLogEntry& e = log[i];
    r.MapHeader(7);
    r.Bulk("count");
    r.Integer(static_cast<int64_t>(e.count));
    r.Bulk("reason");
    r.Bulk(ReasonName(e.reason));
    r.Bulk("context");
    r.Bulk(e.in_multi ? "multi" : "toplevel");
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(static_cast<double>(now - e.time_ms) / 1000.0);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
  }
}

void AclLoadCommand(Context& ctx) {
  const std::string path = ctx.server.AclFile();
  if (path.empty()) {
    ctx.reply.Error(protocol::kErrNoAclFile);
    return;
  }
  auto replaced = ctx.dispatcher.acl().LoadFile(path);
  if (!replaced.ok()) {
    ctx.reply.Error("ERR " + replaced.status().message());
    return;
  }
  // Every user but the default one was replaced: their clients go (Redis ACLFreeUsersSet).
  for (const std::shared_ptr<User>& u : *replaced) DisconnectUser(ctx, u);
  ctx.reply.Ok();
}

void AclSaveCommand(Context& ctx) {
  const std::string path = ctx.server.AclFile();
  if (path.empty()) {
    ctx.reply.Error(protocol::kErrNoAclFile);
    return;
  }
  if (!ctx.dispatcher.acl().SaveFile(path).ok()) {
    ctx.reply.Error(protocol::kErrAclSave);
    return;
  }
  ctx.reply.Ok();
}

void AclDryrunCommand(Context& ctx) {
  const Acl& acl = ctx.dispatcher.acl();
  std::shared_ptr<User> u = acl.Find(ctx.arg(2));
  if (u == nullptr) {
    ctx.reply.Error("ERR User '" + std::string(ctx.arg(2)) + "' not found");
    return;
  }
  const auto argv = ctx.argv.subspan(3);
  const CommandCatalog::Command* cmd = acl.catalog().Resolve(argv);
  if (cmd == nullptr) {
    ctx.reply.Error("ERR Command '" + std::string(argv[0]) + "' not found");
    return;
  }
  const int arity = cmd->spec->arity;
  if ((arity > 0 && argv.size() != static_cast<size_t>(arity)) ||
      argv.size() < static_cast<size_t>(arity < 0 ? -arity : 0)) {
    ctx.reply.Error(protocol::WrongArity(cmd->full_name));
    return;
  }
  const AclVerdict v = acl.Check(*u, *cmd, argv);
  switch (v.denial) {
    case AclDenial::kNone:
      ctx.reply.Ok();
      break;
    case AclDenial::kKey:
      ctx.reply.Bulk("This user has no permissions to access the '" + std::string(argv[v.arg]) +
                     "' key");
      break;
    case AclDenial::kChannel:
      ctx.reply.Bulk("This user has no permissions to access the '" + std::string(argv[v.arg]) +
                     "' channel");
      break;
    default:
      ctx.reply.Bulk("This user has no permissions to run the '" + cmd->full_name + "' command");
      break;
  }
}

void AclHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the "
      "command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

constexpr uint32_t kAclFlags = kNoScript | kLoading | kStale;
constexpr uint32_t kAclAdminFlags = kAdmin | kNoScript | kLoading | kStale;

constexpr CommandSpec kAclSubcommands[] = {
    {"cat", AclCatCommand, -2, kAclFlags, 0, 0, 0, "server",
     "List the ACL categories or the commands inside a category", "6.0.0",
     "O(1) since the categories and commands are a fixed set."},
    {"deluser", AclDeluserCommand, -3, kAclAdminFlags, 0, 0, 0, "server",
     "Remove the specified ACL users and the associated rules", "6.0.0",
     "O(1) amortized time considering the typical user."},
    {"dryrun", AclDryrunCommand, -4, kAclAdminFlags, 0, 0, 0, "server",
     "Returns whether the user can execute the given command without executing the command.",
     "7.0.0", "O(1)."},
    {"genpass", AclGenpassCommand, -2, kAclFlags, 0, 0, 0, "server",
     "Generate a pseudorandom secure password to use for ACL users", "6.0.0", "O(1)"},
    {"getuser", AclGetuserCommand, 3, kAclAdminFlags, 0, 0, 0, "server",
     "Get the rules for a specific ACL user", "6.0.0",
     "O(N). Where N is the number of password, command and pattern rules that the user has."},
    {"list", AclListCommand, 2, kAclAdminFlags, 0, 0, 0, "server",
     "List the current ACL rules in ACL config file format", "6.0.0",
     "O(N). Where N is the number of configured users."},
    {"load", AclLoadCommand, 2, kAclAdminFlags, 0, 0, 0, "server",
     "Reload the ACLs from the configured ACL file", "6.0.0",
     "O(N). Where N is the number of configured users."},
    {"log", AclLogCommand, -2, kAclAdminFlags, 0, 0, 0, "server",
     "List latest events denied because of ACLs in place", "6.0.0",
     "O(N) with N being the number of entries shown."},
    {"save", AclSaveCommand, 2, kAclAdminFlags, 0, 0, 0, "server",
     "Save the current ACL rules in the configured ACL file", "6.0.0",
     "O(N). Where N is the number of configured users."},
    {"setuser", AclSetuserCommand, -3, kAclAdminFlags, 0, 0, 0, "server",
     "Modify or create the rules for a specific ACL user", "6.0.0",
     "O(N). Where N is the number of rules provided."},
    {"users", AclUsersCommand, 2, kAclAdminFlags, 0, 0, 0, "server",
     "List the username of all the configured ACL rules", "6.0.0",
     "O(N). Where N is the number of configured users."},
    {"whoami", AclWhoamiCommand, 2, kAclFlags, 0, 0, 0, "server",
     "Return the name of the user associated to the current connection", "6.0.0", "O(1)"},
    {"help", AclHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Show helpful text about the different subcommands", "6.0.0", "O(1)"},
};

constexpr CommandSpec kAclCommands[] = {
    {"acl", nullptr, -2, 0, 0, 0, 0, "server", "A container for Access List Control commands ",
     "6.0.0", "Depends on subcommand.", kAclSubcommands},
};

}  // namespace

std::span<const CommandSpec> AclCommands() { return kAclCommands; }

}  // namespace mnemo::cmd

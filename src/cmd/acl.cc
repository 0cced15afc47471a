// acl.cc: users, rules, selectors, permission checks and the ACL log (layer: cmd).
#include "mnemo/cmd/acl.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/glob.h"
#include "mnemo/base/log.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/command_keys.h"

namespace mnemo::cmd {

// ---- categories ----------------------------------------------------------------------------

namespace {

constexpr AclCategoryName kCategories[] = {
    {"keyspace", kAclKeyspace},
    {"read", kAclRead},
    {"write", kAclWrite},
    {"set", kAclSet},
    {"sortedset", kAclSortedSet},
    {"list", kAclList},
    {"hash", kAclHash},
    {"string", kAclString},
    {"bitmap", kAclBitmap},
    {"hyperloglog", kAclHyperLogLog},
    {"geo", kAclGeo},
    {"stream", kAclStream},
    {"pubsub", kAclPubSub},
    {"admin", kAclAdmin},
    {"fast", kAclFast},
    {"slow", kAclSlow},
    {"blocking", kAclBlocking},
    {"dangerous", kAclDangerous},
    {"connection", kAclConnection},
    {"transaction", kAclTransaction},
    {"scripting", kAclScripting},
};

// Redis's ACLStringHasSpaces: user names, key and channel patterns may not hold blanks or NUL
// bytes (they are written space-separated in ACL LIST and the ACL file).
bool HasSpaces(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || (c >= '\t' && c <= '\r') || c == '\0') return true;
  }
  return false;
}

std::string_view Trim(std::string_view s, std::string_view chars) {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

// Parses a '#'/'!' rule's hash: exactly 64 lower-case hexadecimal digits.
std::optional<PasswordHash> ParseHashHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  PasswordHash h{};
  for (size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    h[i / 2] = static_cast<uint8_t>(h[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return h;
}

// Redis's ACL_DENIED_* values order the denials: the one a failed check reports is the
// highest over all selectors (a channel over an auth failure over a key over a command).
int DenialRank(AclDenial d) {
  switch (d) {
    case AclDenial::kNone:
      return 0;
    case AclDenial::kCommand:
      return 1;
    case AclDenial::kKey:
      return 2;
    case AclDenial::kAuth:
      return 3;
    case AclDenial::kChannel:
      return 4;
  }
  return 0;
}

std::string PatternString(const KeyPattern& p) {
  switch (p.access) {
    case kKeyRead:
      return "%R~" + p.pattern;
    case kKeyWrite:
      return "%W~" + p.pattern;
    default:
      // A read-write "*" that is not the allkeys flag (it was given as %RW~* or %R~* and %W~*,
      // or with other patterns): Redis 7.0 prints it as "~*", which reads back as allkeys, so
      // that ACL SAVE then ACL LOAD fails on the patterns after it. "%RW~*" reads back as what
      // it is.
      if (p.pattern == "*") return "%RW~*";
      return "~" + p.pattern;
  }
}

// How many log entries a new one is compared with, and for how long entries merge (Redis).
constexpr int kLogScan = 10;
constexpr int64_t kLogGroupingMs = 60000;

}  // namespace

std::span<const AclCategoryName> AclCategoryNames() { return kCategories; }

uint32_t AclCategoryByName(std::string_view name) {
  for (const AclCategoryName& c : kCategories) {
    if (EqualsIgnoreCase(c.name, name)) return c.bit;
  }
  return 0;
}

uint32_t CommandCategories(const CommandSpec& spec) {
  uint32_t cats = spec.acl_categories;
  if (spec.flags & kWrite) cats |= kAclWrite;
  // Scripting commands flagged readonly (EVAL_RO) are not @read (Redis).
  if ((spec.flags & kReadOnly) && !(cats & kAclScripting)) cats |= kAclRead;
  if (spec.flags & kAdmin) cats |= kAclAdmin | kAclDangerous;
  if (spec.flags & kPubSub) cats |= kAclPubSub;
  if (spec.flags & kFast) cats |= kAclFast;
  if (spec.flags & kBlocking) cats |= kAclBlocking;
  if (!(cats & kAclFast)) cats |= kAclSlow;
  return cats;
}

// ---- the catalog ---------------------------------------------------------------------------

void CommandCatalog::AddTable(std::span<const CommandSpec> table) {
  for (const CommandSpec& spec : table) {
    const auto id = static_cast<uint32_t>(commands_.size());
    MNEMO_ASSERT(id + 1 < kAclCommandBits - 1);
    Command c;
    c.spec = &spec;
    c.full_name = std::string(spec.name);
    c.id = id;
    c.categories = CommandCategories(spec);
    index_.emplace(ToLower(c.full_name), id);
    commands_.push_back(std::move(c));
    top_level_.push_back(id);
    for (const CommandSpec& sub : spec.subcommands) {
      const auto sid = static_cast<uint32_t>(commands_.size());
      MNEMO_ASSERT(sid + 1 < kAclCommandBits - 1);
      Command s;
      s.spec = &sub;
      s.full_name = std::string(spec.name) + "|" + std::string(sub.name);
      s.id = sid;
      s.categories = CommandCategories(sub);
      s.parent = static_cast<int32_t>(id);
      index_.emplace(ToLower(s.full_name), sid);
      commands_[id].subcommands.push_back(sid);
      commands_.push_back(std::move(s));
    }
  }
}

const CommandCatalog::Command* CommandCatalog::FindSub(const Command& parent,
                                                       std::string_view name) const {
  auto it = index_.find(ToLower(parent.full_name) + "|" + ToLower(name));
  return it == index_.end() ? nullptr : &commands_[it->second];
}

const CommandCatalog::Command* CommandCatalog::Find(std::string_view full_name) const {
  const size_t bar = full_name.find('|');
  const std::string_view base_name = full_name.substr(0, bar);
  auto it = index_.find(ToLower(base_name));
  if (it == index_.end() || commands_[it->second].parent >= 0) return nullptr;
  const Command& base = commands_[it->second];
  if (bar == std::string_view::npos) return &base;
  const std::string_view sub = full_name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos || base.subcommands.empty()) return nullptr;
  return FindSub(base, sub);
}

const CommandCatalog::Command* CommandCatalog::Resolve(
    std::span<const std::string_view> argv) const {
  if (argv.empty() || argv[0].find('|') != std::string_view::npos) return nullptr;
  const Command* base = Find(argv[0]);
  if (base == nullptr || base->subcommands.empty() || argv.size() < 2) return base;
  return FindSub(*base, argv[1]);
}

// ---- users ---------------------------------------------------------------------------------

std::string_view AclErrorText(AclError e) {
  switch (e) {
    case AclError::kOk:
      return "";
    case AclError::kUnknownCommand:
      return "Unknown command or category name in ACL";
    case AclError::kSyntax:
      return "Syntax error";
    case AclError::kKeyAfterAllKeys:
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
             "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case AclError::kChannelAfterAll:
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    case AclError::kNoSuchPassword:
      return "The password you are trying to remove from the user does not exist";
    case AclError::kBadHash:
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    case AclError::kDuplicateUser:
      return "Duplicate user found. A user can only be defined once in config files";
    case AclError::kFirstArgOfSubcommand:
      return "Allowing first-arg of a subcommand is not supported";
  }
  return "Wrong format";
}

PasswordHash HashPassword(std::string_view password) {
  PasswordHash h{};
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(password.data()),
                     password.size());
  return h;
}

std::string HashToHex(const PasswordHash& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : h) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

void User::Refresh() {
  const uint32_t all = Selector::kAllCommands | Selector::kAllKeys | Selector::kAllChannels;
  unrestricted_ = !selectors.empty() && (selectors[0].flags & all) == all;
}

void User::CopyRulesFrom(const User& other) {
  flags = other.flags;
  passwords = other.passwords;
  selectors = other.selectors;
  Refresh();
}

bool CanAccessChannel(const User& user, std::string_view channel, bool is_pattern) {
  for (const Selector& s : user.selectors) {
    if (s.flags & Selector::kAllChannels) return true;
    for (const std::string& p : s.channels) {
      if (is_pattern ? p == channel : GlobMatch(p, channel)) return true;
    }
  }
  return false;
}

bool CanKeepSubscriptions(const User& user, const Subscriptions& subs) {
  for (const std::string& p : subs.patterns) {
    if (!CanAccessChannel(user, p, true)) return false;
  }
  for (const auto* set : {&subs.channels, &subs.shard_channels}) {
    for (const std::string& c : *set) {
      if (!CanAccessChannel(user, c, false)) return false;
    }
  }
  return true;
}

// ---- the store -----------------------------------------------------------------------------

Acl::Acl(const CommandCatalog& catalog) : catalog_(catalog) {
  if (sodium_init() < 0) MNEMO_ASSERT(false);
  // The default user: every command, key and channel, no password (Redis
  // ACLCreateDefaultUser).
  default_user_ = std::make_shared<User>(MakeUser("default"));
  for (std::string_view op : {"+@all", "~*", "&*", "on", "nopass"}) {
    MNEMO_ASSERT(ApplyUserRule(*default_user_, op) == AclError::kOk);
  }
  users_.emplace("default", default_user_);
}

void Acl::set_log_max_len(size_t n) { log_max_len_ = n; }

std::shared_ptr<User> Acl::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

Selector Acl::MakeSelector(uint32_t flags) const {
  Selector s;
  s.flags = flags | (pubsub_default_all_ ? Selector::kAllChannels : 0u);
  return s;
}

User Acl::MakeUser(std::string name) const {
  User u(std::move(name));
  u.flags = User::kDisabled;
  u.selectors.push_back(MakeSelector(Selector::kRoot));
  u.Refresh();
  return u;
}

void Acl::ChangeCommand(Selector& s, const CommandCatalog::Command& cmd, bool allow) const {
  auto set = [&](uint32_t id) {
    s.commands.set(id, allow);
    if (!allow) s.flags &= ~Selector::kAllCommands;
  };
  set(cmd.id);
  std::erase_if(s.first_args, [&](const auto& fa) { return fa.first == cmd.id; });
  for (uint32_t sub : cmd.subcommands) set(sub);
}

void Acl::ChangeCategory(Selector& s, uint32_t category, bool allow) const {
  for (size_t id = 0; id < catalog_.size(); ++id) {
    const CommandCatalog::Command& c = catalog_.at(static_cast<uint32_t>(id));
    if (c.categories & category) ChangeCommand(s, c, allow);
  }
}

void Acl::CountCategory(const Selector& s, uint32_t category, size_t* on, size_t* off) const {
  *on = *off = 0;
  for (size_t id = 0; id < catalog_.size(); ++id) {
    if (!(catalog_.at(static_cast<uint32_t>(id)).categories & category)) continue;
    (s.commands.test(id) ? *on : *off) += 1;
  }
}

AclError Acl::ApplyCommandRule(Selector& s, std::string_view op) const {
  const bool allow = op[0] == '+';
  const std::string_view name = op.substr(1);
  if (!allow) {
    const CommandCatalog::Command* cmd = catalog_.Find(name);
    if (cmd == nullptr) return AclError::kUnknownCommand;
    ChangeCommand(s, *cmd, false);
    return AclError::kOk;
  }
  const size_t bar = name.rfind('|');
  if (bar == std::string_view::npos) {
    const CommandCatalog::Command* cmd = catalog_.Find(name);
    if (cmd == nullptr) return AclError::kUnknownCommand;
    ChangeCommand(s, *cmd, true);
    return AclError::kOk;
  }
  const CommandCatalog::Command* cmd = catalog_.Find(name.substr(0, bar));
  if (cmd == nullptr) return AclError::kUnknownCommand;
  if (cmd->parent >= 0) return AclError::kFirstArgOfSubcommand;
  const std::string_view arg = name.substr(bar + 1);
  if (arg.empty()) return AclError::kSyntax;
  if (!cmd->subcommands.empty()) {
    const CommandCatalog::Command* sub = catalog_.Find(name);
    if (sub == nullptr) return AclError::kUnknownCommand;
    ChangeCommand(s, *sub, true);
    return AclError::kOk;
  }
  // "+select|0": a first argument allowed although the command is not (Redis keeps the form,
  // deprecated, for commands without subcommands).
  LogWarning(
      "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of "
      "ACL and may get disabled in the future (offender: +{})",
      name);
  auto it = std::find_if(s.first_args.begin(), s.first_args.end(),
                         [&](const auto& fa) { return fa.first == cmd->id; });
  if (it == s.first_args.end()) {
    s.first_args.emplace_back(cmd->id, std::vector<std::string>{});
    it = std::prev(s.first_args.end());
  }
  for (const std::string& a : it->second) {
    if (EqualsIgnoreCase(a, arg)) return AclError::kOk;
  }
  it->second.emplace_back(arg);
  return AclError::kOk;
}

AclError Acl::ApplySelectorRule(Selector& s, std::string_view op) const {
  if (EqualsIgnoreCase(op, "allkeys") || op == "~*") {
    s.flags |= Selector::kAllKeys;
    s.keys.clear();
  } else if (EqualsIgnoreCase(op, "resetkeys")) {
    s.flags &= ~Selector::kAllKeys;
    s.keys.clear();
  } else if (EqualsIgnoreCase(op, "allchannels") || op == "&*") {
    s.flags |= Selector::kAllChannels;
    s.channels.clear();
  } else if (EqualsIgnoreCase(op, "resetchannels")) {
    s.flags &= ~Selector::kAllChannels;
    s.channels.clear();
  } else if (EqualsIgnoreCase(op, "allcommands") || EqualsIgnoreCase(op, "+@all")) {
    s.commands.set();
    s.flags |= Selector::kAllCommands;
    s.first_args.clear();
  } else if (EqualsIgnoreCase(op, "nocommands") || EqualsIgnoreCase(op, "-@all")) {
    s.commands.reset();
    s.flags &= ~Selector::kAllCommands;
    s.first_args.clear();
  } else if (!op.empty() && (op[0] == '~' || op[0] == '%')) {
    if (s.flags & Selector::kAllKeys) return AclError::kKeyAfterAllKeys;
    uint8_t access = 0;
    size_t offset = 1;
    if (op[0] == '%') {
      // %R~, %W~, %RW~ (either order); the '~' needs a permission before it.
      for (; offset < op.size(); ++offset) {
        const char c = op[offset];
        if ((c == 'R' || c == 'r') && !(access & kKeyRead)) {
          access |= kKeyRead;
        } else if ((c == 'W' || c == 'w') && !(access & kKeyWrite)) {
          access |= kKeyWrite;
        } else if (c == '~' && access != 0) {
          ++offset;
          break;
        } else {
          return AclError::kSyntax;
        }
      }
      if (access == 0) return AclError::kSyntax;
    } else {
      access = kKeyReadWrite;
    }
    const std::string_view pattern = op.substr(offset);
    if (HasSpaces(pattern)) return AclError::kSyntax;
    bool found = false;
    for (KeyPattern& k : s.keys) {
      if (k.pattern == pattern) {
        k.access |= access;
        found = true;
        break;
      }
    }
    if (!found) s.keys.push_back({std::string(pattern), access});
    s.flags &= ~Selector::kAllKeys;
  } else if (!op.empty() && op[0] == '&') {
    if (s.flags & Selector::kAllChannels) return AclError::kChannelAfterAll;
    const std::string_view pattern = op.substr(1);
    if (HasSpaces(pattern)) return AclError::kSyntax;
    if (std::find(s.channels.begin(), s.channels.end(), pattern) == s.channels.end()) {
      s.channels.emplace_back(pattern);
    }
    s.flags &= ~Selector::kAllChannels;
  } else if (!op.empty() && (op[0] == '+' || op[0] == '-') && (op.size() < 2 || op[1] != '@')) {
    return ApplyCommandRule(s, op);
  } else if (op.size() >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
    const uint32_t category = AclCategoryByName(op.substr(2));
    if (category == 0) return AclError::kUnknownCommand;
    ChangeCategory(s, category, op[0] == '+');
  } else {
    return AclError::kSyntax;
  }
  return AclError::kOk;
}

AclError Acl::ApplyUserRule(User& u, std::string_view op) const {
  if (op.empty()) return AclError::kOk;  // an empty rule does nothing (Redis)
  AclError err = AclError::kOk;
  if (EqualsIgnoreCase(op, "on")) {
    u.flags = (u.flags | User::kEnabled) & ~User::kDisabled;
  } else if (EqualsIgnoreCase(op, "off")) {
    u.flags = (u.flags | User::kDisabled) & ~User::kEnabled;
  } else if (EqualsIgnoreCase(op, "skip-sanitize-payload")) {
    u.flags = (u.flags | User::kSkipSanitizePayload) & ~User::kSanitizePayload;
  } else if (EqualsIgnoreCase(op, "sanitize-payload")) {
    u.flags = (u.flags | User::kSanitizePayload) & ~User::kSkipSanitizePayload;
  } else if (EqualsIgnoreCase(op, "nopass")) {
    u.flags |= User::kNoPass;
    u.passwords.clear();
  } else if (EqualsIgnoreCase(op, "resetpass")) {
    u.flags &= ~User::kNoPass;
    u.passwords.clear();
  } else if (op[0] == '>' || op[0] == '#') {
    PasswordHash h{};
    if (op[0] == '>') {
      h = HashPassword(op.substr(1));
    } else {
      auto parsed = ParseHashHex(op.substr(1));
      if (!parsed) return AclError::kBadHash;
      h = *parsed;
    }
    if (std::find(u.passwords.begin(), u.passwords.end(), h) == u.passwords.end()) {
      u.passwords.push_back(h);
    }
    u.flags &= ~User::kNoPass;
  } else if (op[0] == '<' || op[0] == '!') {
    PasswordHash h{};
    if (op[0] == '<') {
      h = HashPassword(op.substr(1));
    } else {
      auto parsed = ParseHashHex(op.substr(1));
      if (!parsed) return AclError::kBadHash;
      h = *parsed;
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), h);
    if (it == u.passwords.end()) return AclError::kNoSuchPassword;
    u.passwords.erase(it);
  } else if (op[0] == '(' && op.size() >= 2 && op.back() == ')') {
    // A selector: the rules inside, split as redis-cli splits arguments (unbalanced quotes
    // leave no rule, as in Redis).
    Selector s = MakeSelector(0);
    auto args = SplitArgs(op.substr(1, op.size() - 2));
    if (args) {
      for (const std::string& a : *args) {
        err = ApplySelectorRule(s, a);
        if (err != AclError::kOk) return err;
      }
    }
    u.selectors.push_back(std::move(s));
  } else if (EqualsIgnoreCase(op, "clearselectors")) {
    u.selectors.resize(1);
  } else if (EqualsIgnoreCase(op, "reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels"}) {
      MNEMO_ASSERT(ApplyUserRule(u, r) == AclError::kOk);
    }
    if (pubsub_default_all_) MNEMO_ASSERT(ApplyUserRule(u, "allchannels") == AclError::kOk);
    for (std::string_view r : {"off", "sanitize-payload", "clearselectors", "-@all"}) {
      MNEMO_ASSERT(ApplyUserRule(u, r) == AclError::kOk);
    }
  } else {
    err = ApplySelectorRule(u.selectors[0], op);
  }
  u.Refresh();
  return err;
}

std::optional<std::vector<std::string>> Acl::MergeSelectorArgs(
    std::span<const std::string_view> args, size_t* unmatched_index) {
  std::vector<std::string> out;
  std::string selector;
  bool open = false;
  size_t open_index = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view op = args[i];
    if (!op.empty() && op[0] == '(' && op.back() != ')') {
      selector = std::string(op);
      open = true;
      open_index = i;
      continue;
    }
    if (open) {
      selector += ' ';
      selector += op;
      if (!op.empty() && op.back() == ')') {
        out.push_back(std::move(selector));
        selector.clear();
        open = false;
      }
      continue;
    }
    out.emplace_back(op);
  }
  if (open) {
    if (unmatched_index != nullptr) *unmatched_index = open_index;
    return std::nullopt;
  }
  return out;
}

Result<std::shared_ptr<User>> Acl::SetUser(std::string_view name,
                                           std::span<const std::string_view> rules,
                                           bool* channels_revoked) {
  if (channels_revoked != nullptr) *channels_revoked = false;
  if (HasSpaces(name))
    return Status::Error("ERR Usernames can't contain spaces or null characters");
  size_t unmatched = 0;
  auto merged = MergeSelectorArgs(rules, &unmatched);
  if (!merged) {
    return Status::Error(fmt::format("ERR Unmatched parenthesis in acl selector starting at '{}'.",
                                     rules[unmatched]));
  }
  std::shared_ptr<User> existing = Find(name);
  User staged = existing ? *existing : MakeUser(std::string(name));
  for (const std::string& op : *merged) {
    const AclError err = ApplyUserRule(staged, op);
    if (err != AclError::kOk) {
      return Status::Error(
          fmt::format("ERR Error in ACL SETUSER modifier '{}': {}", op, AclErrorText(err)));
    }
  }
  if (existing) {
    if (channels_revoked != nullptr) *channels_revoked = ChannelsRevoked(*existing, staged);
    existing->CopyRulesFrom(staged);
    return existing;
  }
  auto created = std::make_shared<User>(std::move(staged));
  users_.emplace(std::string(name), created);
  return created;
}

bool Acl::ChannelsRevoked(const User& original, const User& updated) {
  // As Redis 7.0.15 decides before looking at clients: nothing is revoked when a selector
  // allows every channel; otherwise something is when a selector of the original allowed every
  // channel or one of its patterns is gone (checked against redis-server: "allchannels" then
  // "resetchannels &y" closes a subscriber of "x").
  for (const Selector& s : updated.selectors) {
    if (s.flags & Selector::kAllChannels) return false;
  }
  for (const Selector& s : original.selectors) {
    if (s.flags & Selector::kAllChannels) return true;
    for (const std::string& p : s.channels) {
      bool kept = false;
      for (const Selector& t : updated.selectors) {
        kept = kept || std::find(t.channels.begin(), t.channels.end(), p) != t.channels.end();
      }
      if (!kept) return true;
    }
  }
  return false;
}

std::shared_ptr<User> Acl::DeleteUser(std::string_view name) {
  MNEMO_ASSERT(name != "default");
  auto it = users_.find(name);
  if (it == users_.end()) return nullptr;
  std::shared_ptr<User> u = std::move(it->second);
  users_.erase(it);
  return u;
}

void Acl::SetDefaultPassword(std::string_view password) {
  MNEMO_ASSERT(ApplyUserRule(*default_user_, "resetpass") == AclError::kOk);
  if (password.empty()) {
    MNEMO_ASSERT(ApplyUserRule(*default_user_, "nopass") == AclError::kOk);
  } else {
    MNEMO_ASSERT(ApplyUserRule(*default_user_, ">" + std::string(password)) == AclError::kOk);
  }
}

std::shared_ptr<User> Acl::Authenticate(std::string_view name, std::string_view password) const {
  std::shared_ptr<User> u = Find(name);
  if (u == nullptr || !u->enabled()) return nullptr;
  if (u->nopass()) return u;
  const PasswordHash h = HashPassword(password);
  for (const PasswordHash& p : u->passwords) {
    // Constant time: how much of a digest matches must not show in the time taken.
    if (sodium_memcmp(h.data(), p.data(), h.size()) == 0) return u;
  }
  return nullptr;
}

// ---- rules as text -------------------------------------------------------------------------

std::string Acl::DescribeCommands(const Selector& s) const {
  // Replays candidate rules on a scratch selector until its bitmap equals the user's: start
  // from +@all (when the reserved bit says the user can run future commands) or -@all, take the
  // category that fits best while one has more commands in common with the user than not, then
  // fix single commands (Redis ACLDescribeSelectorCommandRules).
  std::string rules;
  Selector fake;
  const bool additive = !s.commands.test(kAclCommandBits - 1);
  rules += additive ? "-@all " : "+@all ";
  MNEMO_ASSERT(ApplySelectorRule(fake, additive ? "-@all" : "+@all") == AclError::kOk);
  Selector temp;
  temp.commands = s.commands;
  std::vector<bool> applied(std::size(kCategories), false);
  while (true) {
    int best = -1;
    size_t min_diff = INT_MAX;
    size_t max_same = 0;
    for (size_t j = 0; j < std::size(kCategories); ++j) {
      if (applied[j]) continue;
      size_t on = 0;
      size_t off = 0;
      CountCategory(temp, kCategories[j].bit, &on, &off);
      const size_t diff = additive ? off : on;
      const size_t same = additive ? on : off;
      if (same > diff && (diff < min_diff || (diff == min_diff && same > max_same))) {
        best = static_cast<int>(j);
        min_diff = diff;
        max_same = same;
      }
    }
    if (best < 0) break;
    ChangeCategory(fake, kCategories[best].bit, additive);
    ChangeCategory(temp, kCategories[best].bit, !additive);
    rules += additive ? "+@" : "-@";
    rules += kCategories[best].name;
    rules += ' ';
    applied[static_cast<size_t>(best)] = true;
  }
  // Single commands, containers before their subcommands, then allowed first arguments.
  auto visit = [&](auto& self, const CommandCatalog::Command& c) -> void {
    const bool user_bit = s.commands.test(c.id);
    if (user_bit != fake.commands.test(c.id)) {
      rules += user_bit ? '+' : '-';
      rules += c.full_name;
      rules += ' ';
      ChangeCommand(fake, c, user_bit);
    }
    for (uint32_t sub : c.subcommands) self(self, catalog_.at(sub));
    if (user_bit) return;
    for (const auto& [id, args] : s.first_args) {
      if (id != c.id) continue;
      for (const std::string& a : args) {
        rules += '+';
        rules += c.full_name;
        rules += '|';
        rules += a;
        rules += ' ';
      }
    }
  };
  for (uint32_t id : catalog_.top_level()) visit(visit, catalog_.at(id));
  if (!rules.empty()) rules.pop_back();
  // The rules must rebuild exactly the user's bitmap; a mismatch would be a security bug.
  MNEMO_ASSERT(fake.commands == s.commands);
  return rules;
}

std::string Acl::DescribeKeys(const Selector& s) {
  if (s.flags & Selector::kAllKeys) return "~*";
  std::string out;
  for (const KeyPattern& k : s.keys) {
    if (!out.empty()) out += ' ';
    out += PatternString(k);
  }
  return out;
}

std::string Acl::DescribeChannels(const Selector& s) {
  if (s.flags & Selector::kAllChannels) return "&*";
  std::string out;
  for (const std::string& c : s.channels) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c;
  }
  return out;
}

std::string Acl::Describe(const User& u) const {
  std::string out;
  static constexpr std::pair<uint32_t, std::string_view> kFlags[] = {
      {User::kEnabled, "on"},
      {User::kDisabled, "off"},
      {User::kNoPass, "nopass"},
      {User::kSkipSanitizePayload, "skip-sanitize-payload"},
      {User::kSanitizePayload, "sanitize-payload"},
  };
  for (const auto& [bit, name] : kFlags) {
    if (u.flags & bit) {
      out += name;
      out += ' ';
    }
  }
  for (const PasswordHash& p : u.passwords) {
    out += '#';
    out += HashToHex(p);
    out += ' ';
  }
  for (size_t i = 0; i < u.selectors.size(); ++i) {
    const Selector& s = u.selectors[i];
    std::string d;
    if (s.flags & Selector::kAllKeys) {
      d += "~* ";
    } else {
      for (const KeyPattern& k : s.keys) {
        d += PatternString(k);
        d += ' ';
      }
    }
    if (s.flags & Selector::kAllChannels) {
      d += "&* ";
    } else {
      d += "resetchannels ";
      for (const std::string& c : s.channels) {
        d += '&';
        d += c;
        d += ' ';
      }
    }
    d += DescribeCommands(s);
    if (i == 0) {
      out += d;
    } else {
      out += " (";
      out += d;
      out += ')';
    }
  }
  return out;
}

// ---- the ACL file and config lines ---------------------------------------------------------

Result<std::vector<std::shared_ptr<User>>> Acl::LoadText(std::string_view text,
                                                         std::string_view filename) {
  std::map<std::string, std::shared_ptr<User>, std::less<>> fresh;
  std::string errors;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(start, end - start), " \t\r\n");
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    // Words are separated by single spaces: no quoting (Redis splits the line on " ").
    std::vector<std::string_view> argv;
    for (size_t p = 0;;) {
      const size_t q = line.find(' ', p);
      argv.push_back(line.substr(p, q == std::string_view::npos ? q : q - p));
      if (q == std::string_view::npos) break;
      p = q + 1;
    }
    if (argv[0] != "user" || argv.size() < 2) {
      errors += fmt::format("{}:{} should start with user keyword followed by the username. ",
                            filename, line_no);
      continue;
    }
    if (HasSpaces(argv[1])) {
      errors += fmt::format("'{}:{}: username '{}' contains invalid characters. ", filename,
                            line_no, argv[1]);
      continue;
    }
    if (fresh.count(argv[1]) != 0) {
      errors += fmt::format("WARNING: Duplicate user '{}' found on line {}. ", argv[1], line_no);
      continue;
    }
    auto u = std::make_shared<User>(MakeUser(std::string(argv[1])));
    fresh.emplace(std::string(argv[1]), u);
    auto merged = MergeSelectorArgs(std::span(argv).subspan(2), nullptr);
    if (!merged) {
      errors +=
          fmt::format("{}:{}: Unmatched parenthesis in selector definition.", filename, line_no);
      continue;
    }
    // Unknown commands are reported with the rule (it holds no secret); for other errors only
    // the first of the line is, without the rule (it may be a password).
    bool syntax_error = false;
    for (const std::string& raw : *merged) {
      const std::string_view op = Trim(raw, "\t\r\n");
      const AclError err = ApplyUserRule(*u, op);
      if (err == AclError::kUnknownCommand) {
        errors += fmt::format("{}:{}: Error in applying operation '{}': {}. ", filename, line_no,
                              op, AclErrorText(err));
      } else if (err != AclError::kOk && !syntax_error) {
        errors += fmt::format("{}:{}: {}. ", filename, line_no, AclErrorText(err));
        syntax_error = true;
      }
    }
  }
  if (!errors.empty()) {
    errors +=
        "WARNING: ACL errors detected, no change to the previously active ACL rules was "
        "performed";
    return Status::Error(errors);
  }
  // The default user keeps its identity (clients hold it) and takes the file's rules, or the
  // built-in ones when the file has no default user.
  auto it = fresh.find("default");
  if (it != fresh.end()) {
    default_user_->CopyRulesFrom(*it->second);
  } else {
    Acl builtin(catalog_);
    default_user_->CopyRulesFrom(*builtin.default_user());
  }
  fresh["default"] = default_user_;
  std::vector<std::shared_ptr<User>> replaced;
  for (auto& [name, u] : users_) {
    if (u != default_user_) replaced.push_back(std::move(u));
  }
  users_ = std::move(fresh);
  return replaced;
}

std::string Acl::SaveText() const {
  std::string out;
  for (const auto& [name, u] : users_) {
    out += "user ";
    out += name;
    out += ' ';
    out += Describe(*u);
    out += '\n';
  }
  return out;
}

Result<std::vector<std::shared_ptr<User>>> Acl::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error(
        fmt::format("Error loading ACLs, opening file '{}': {}", path, std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadText(ss.str(), path);
}

Status Acl::SaveFile(const std::string& path) const {
  const std::string text = SaveText();
  const std::string tmp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), UnixTimeMs());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      LogWarning("Opening temp ACL file for ACL SAVE: {}", std::strerror(errno));
      return Status::Error("failed");
    }
    out << text;
    out.flush();
    if (!out) {
      LogWarning("Writing ACL file for ACL SAVE: {}", std::strerror(errno));
      std::remove(tmp.c_str());
      return Status::Error("failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    LogWarning("Renaming ACL file for ACL SAVE: {}", std::strerror(errno));
    std::remove(tmp.c_str());
    return Status::Error("failed");
  }
  return Status::Ok();
}

Status Acl::ValidateConfigUser(const CommandCatalog& catalog, std::span<const std::string> args,
                               std::span<const std::vector<std::string>> earlier) {
  // Redis's ACLAppendUserForLoading, with its way of naming the culprit: it prints the config
  // line's argument at the index of the failing rule among the rules (so usually the user
  // name), and after an unmatched parenthesis it reports a leftover errno, which is ENOENT.
  MNEMO_ASSERT(args.size() >= 2);
  auto fail = [&](size_t index, AclError err) {
    return Status::Error(fmt::format("Error in user declaration '{}': {}",
                                     args[std::min(index, args.size() - 1)], AclErrorText(err)));
  };
  for (const std::vector<std::string>& e : earlier) {
    if (!e.empty() && e[0] == args[1]) return fail(1, AclError::kDuplicateUser);
  }
  std::vector<std::string_view> rules(args.begin() + 2, args.end());
  size_t unmatched = 0;
  auto merged = MergeSelectorArgs(rules, &unmatched);
  if (!merged) return fail(unmatched, AclError::kUnknownCommand);
  Acl scratch(catalog);
  User fake = scratch.MakeUser("fake");
  for (size_t j = 0; j < merged->size(); ++j) {
    const AclError err = scratch.ApplyUserRule(fake, (*merged)[j]);
    // Unknown commands are only reported when the users are created.
    if (err != AclError::kOk && err != AclError::kUnknownCommand) return fail(j, err);
  }
  return Status::Ok();
}

std::optional<std::vector<std::string>> Acl::ConfigUserRules(std::span<const std::string> args) {
  std::vector<std::string_view> rules(args.begin() + 2, args.end());
  auto merged = MergeSelectorArgs(rules, nullptr);
  if (!merged) return std::nullopt;
  merged->insert(merged->begin(), args[1]);
  return merged;
}

Status Acl::LoadConfigUsers(std::span<const std::vector<std::string>> users) {
  for (const std::vector<std::string>& def : users) {
    MNEMO_ASSERT(!def.empty());
    const std::string& name = def[0];
    if (HasSpaces(name)) return Status::Error("Spaces not allowed in ACL usernames");
    std::shared_ptr<User> u = Find(name);
    if (u == nullptr) {
      u = std::make_shared<User>(MakeUser(name));
      users_.emplace(name, u);
    } else {
      MNEMO_ASSERT(ApplyUserRule(*u, "reset") == AclError::kOk);
    }
    for (size_t j = 1; j < def.size(); ++j) {
      const AclError err = ApplyUserRule(*u, def[j]);
      if (err != AclError::kOk) {
        return Status::Error(fmt::format("Error loading ACL rule '{}' for the user named '{}': {}",
                                         def[j], name, AclErrorText(err)));
      }
    }
    if (!u->enabled()) {
      LogNotice(
          "The user '{}' is disabled (there is no 'on' modifier in the user description). Make "
          "sure this is not a configuration error.",
          name);
    }
  }
  return Status::Ok();
}

// ---- checks --------------------------------------------------------------------------------

AclDenial Acl::CheckSelector(const Selector& s, const CommandCatalog::Command& cmd,
                             std::span<const std::string_view> argv,
                             std::optional<std::vector<KeyRef>>& keys, size_t* arg) const {
  const CommandSpec& spec = *cmd.spec;
  if (!(s.flags & Selector::kAllCommands) && !(spec.flags & kNoAuth) && !s.commands.test(cmd.id)) {
    // Not allowed as a whole: maybe with this first argument ("+select|0").
    const size_t idx = cmd.parent >= 0 ? 2 : 1;
    bool allowed = false;
    if (argv.size() > idx) {
      for (const auto& [id, args] : s.first_args) {
        if (id != cmd.id) continue;
        for (const std::string& a : args) allowed = allowed || EqualsIgnoreCase(a, argv[idx]);
      }
    }
    if (!allowed) return AclDenial::kCommand;
  }
  if (!(s.flags & Selector::kAllKeys) && CommandHasKeys(spec)) {
    if (!keys) {
      keys.emplace();
      (void)CommandKeys(spec, argv, *keys);  // no keys when the arguments do not say
    }
    for (const KeyRef& k : *keys) {
      bool ok = false;
      for (const KeyPattern& p : s.keys) {
        if ((p.access & k.access) != k.access) continue;
        if (GlobMatch(p.pattern, argv[k.pos])) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        *arg = k.pos;
        return AclDenial::kKey;
      }
    }
  }
  if (!(s.flags & Selector::kAllChannels) && spec.channels != ChannelArgs::kNone) {
    const bool literal = spec.channels == ChannelArgs::kAllPatterns;
    const size_t last =
        spec.channels == ChannelArgs::kFirstArg ? std::min<size_t>(argv.size(), 2) : argv.size();
    for (size_t j = 1; j < last; ++j) {
      bool ok = false;
      for (const std::string& p : s.channels) {
        if (literal ? p == argv[j] : GlobMatch(p, argv[j])) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        *arg = j;
        return AclDenial::kChannel;
      }
    }
  }
  return AclDenial::kNone;
}

AclVerdict Acl::Check(const User& user, const CommandCatalog::Command& cmd,
                      std::span<const std::string_view> argv) const {
  if (user.unrestricted()) return {};
  AclVerdict worst{AclDenial::kCommand, 0};
  std::optional<std::vector<KeyRef>> keys;  // computed once for all selectors
  for (const Selector& s : user.selectors) {
    size_t arg = 0;
    const AclDenial d = CheckSelector(s, cmd, argv, keys, &arg);
    if (d == AclDenial::kNone) return {};
    if (DenialRank(d) > DenialRank(worst.denial) || (d == worst.denial && arg > worst.arg)) {
      worst = {d, arg};
    }
  }
  return worst;
}

bool Acl::CanReadAnyKey(const User& user, const CommandCatalog::Command& cmd,
                        std::span<const std::string_view> argv) const {
  if (user.unrestricted()) return true;
  std::optional<std::vector<KeyRef>> keys;
  for (const Selector& s : user.selectors) {
    size_t arg = 0;
    if (CheckSelector(s, cmd, argv, keys, &arg) != AclDenial::kNone) continue;
    if (s.flags & Selector::kAllKeys) return true;
    for (const KeyPattern& p : s.keys) {
      if ((p.access & kKeyRead) && p.pattern == "*") return true;
    }
  }
  return false;
}

// ---- the log -------------------------------------------------------------------------------

void Acl::AddLogEntry(AclDenial reason, bool in_multi, std::string object, std::string username,
                      std::string client_info, int64_t now_ms) {
  // A denial like one of the last few (same reason, context, object and user, within a
  // minute) bumps that entry and moves it to the front instead of adding one.
  int scanned = 0;
  for (auto it = log_.begin(); it != log_.end() && scanned < kLogScan; ++it, ++scanned) {
    AclLogEntry& e = *it;
    const int64_t delta = e.time_ms > now_ms ? e.time_ms - now_ms : now_ms - e.time_ms;
    if (e.reason != reason || e.in_multi != in_multi || delta > kLogGroupingMs ||
        e.object != object || e.username != username) {
      continue;
    }
    AclLogEntry moved = std::move(e);
    log_.erase(it);
    moved.count += 1;
    moved.time_ms = now_ms;
    moved.client_info = std::move(client_info);
    log_.push_front(std::move(moved));
    return;
  }
  AclLogEntry e;
  e.reason = reason;
  e.in_multi = in_multi;
  e.object = std::move(object);
  e.username = std::move(username);
  e.time_ms = now_ms;
  e.client_info = std::move(client_info);
  log_.push_front(std::move(e));
  while (log_.size() > log_max_len_) log_.pop_back();
}

}  // namespace mnemo::cmd

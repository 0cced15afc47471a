// acl.h: users, their rules and selectors, the permission checks and the ACL log, with Redis
// 7.0's semantics and texts (layer: cmd).
//
// A user has flags (on/off, nopass, sanitize-payload), SHA-256 digests of its passwords and a
// list of selectors; the first is its root selector, the others come from "(...)" rules. A
// selector allows commands (a bitmap over command ids, plus allowed first arguments such as
// "+select|0"), keys (glob patterns, each for reading, writing or both) and pub/sub channels
// (glob patterns). A request is allowed when any selector of its user allows the command and all
// its keys and channels. Rules are applied to a copy and committed whole, so no rule list is ever
// half applied (ACL SETUSER, ACL LOAD, `user` lines of the config file).
//
// The command ids are those of a CommandCatalog: every command and subcommand of the tables,
// numbered in table order. The Dispatcher builds one from the builtin tables; tests can build
// a small one.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/cmd/command.h"

namespace mnemo::cmd {

// ---- categories ----------------------------------------------------------------------------

struct AclCategoryName {
  std::string_view name;  // without the '@'
  uint32_t bit;           // AclCategory
};
// Every category, in Redis's order (ACL CAT, COMMAND INFO).
std::span<const AclCategoryName> AclCategoryNames();
// The category bit of `name` (any case, without '@'), or 0.
uint32_t AclCategoryByName(std::string_view name);
// The categories of a command: those its row lists, plus those its flags imply as Redis derives
// them (setImplicitACLCategories): write -> @write, readonly -> @read (not for scripting
// commands), admin -> @admin @dangerous, pubsub -> @pubsub, fast -> @fast, blocking ->
// @blocking, and @slow for every command that is not @fast. COMMAND INFO and the rules use it.
uint32_t CommandCategories(const CommandSpec& spec);

// ---- the commands rules can name -----------------------------------------------------------

// Selectors keep one bit per command id; the last bit is never a command: +@all sets it, so a
// user described later still says "+@all" (Redis USER_COMMAND_BITS_COUNT).
inline constexpr size_t kAclCommandBits = 1024;

class CommandCatalog {
 public:
  struct Command {
    const CommandSpec* spec = nullptr;
    std::string full_name;  // "get", "config|get"
    uint32_t id = 0;
    uint32_t categories = 0;  // CommandCategories(*spec)
    int32_t parent = -1;      // id of the container, or -1
    std::vector<uint32_t> subcommands;
  };

  CommandCatalog() = default;
  CommandCatalog(const CommandCatalog&) = delete;
  CommandCatalog& operator=(const CommandCatalog&) = delete;

  // Adds every row of `table` and its subcommands; ids follow in order (a command, then its
  // subcommands). REQUIRES: fewer than kAclCommandBits - 1 commands in all.
  void AddTable(std::span<const CommandSpec> table);
  // The command named "get" or "config|get" (any case), as Redis's strict lookup: at most one
  // '|', and "a|b" only when a has subcommands. Null if there is none.
  const Command* Find(std::string_view full_name) const;
  // The command argv names, as the dispatcher resolves it (the container when it has
  // subcommands and argv has one argument), or null.
  const Command* Resolve(std::span<const std::string_view> argv) const;

  const Command& at(uint32_t id) const { return commands_[id]; }
  size_t size() const { return commands_.size(); }
  // Top-level commands in table order.
  const std::vector<uint32_t>& top_level() const { return top_level_; }

 private:
  const Command* FindSub(const Command& parent, std::string_view name) const;

  std::vector<Command> commands_;
  std::vector<uint32_t> top_level_;
  std::unordered_map<std::string, uint32_t> index_;  // lower-case full name -> id
};

// ---- users ---------------------------------------------------------------------------------

// Why a rule was refused (Redis's errno values in ACLSetUser), with Redis's text.
enum class AclError {
  kOk,
  kUnknownCommand,        // ENOENT
  kSyntax,                // EINVAL
  kKeyAfterAllKeys,       // EEXIST
  kChannelAfterAll,       // EISDIR
  kNoSuchPassword,        // ENODEV
  kBadHash,               // EBADMSG
  kDuplicateUser,         // EALREADY
  kFirstArgOfSubcommand,  // ECHILD
};
std::string_view AclErrorText(AclError e);

struct KeyPattern {
  std::string pattern;
  uint8_t access = kKeyReadWrite;  // kKeyRead (%R~), kKeyWrite (%W~) or both (~)
};

class Selector {
 public:
  enum Flag : uint32_t {
    kRoot = 1u << 0,
    kAllKeys = 1u << 1,
    kAllChannels = 1u << 2,
    kAllCommands = 1u << 3,
  };

  uint32_t flags = 0;
  std::bitset<kAclCommandBits> commands;
  // Allowed first arguments of commands whose bit is clear ("+select|0"), by command id.
  std::vector<std::pair<uint32_t, std::vector<std::string>>> first_args;
  std::vector<KeyPattern> keys;
  std::vector<std::string> channels;

  bool operator==(const Selector&) const = default;
};

using PasswordHash = std::array<uint8_t, 32>;  // SHA-256

class User {
 public:
  enum Flag : uint32_t {
    kEnabled = 1u << 0,   // "on"
    kDisabled = 1u << 1,  // "off"
    kNoPass = 1u << 2,
    kSkipSanitizePayload = 1u << 3,
    kSanitizePayload = 1u << 4,
  };

  explicit User(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  uint32_t flags = kDisabled;
  std::vector<PasswordHash> passwords;
  std::vector<Selector> selectors;  // [0] is the root selector

  bool enabled() const { return (flags & kDisabled) == 0; }
  bool nopass() const { return (flags & kNoPass) != 0; }
  // True iff the root selector allows every command, key and channel: the checks are skipped.
  bool unrestricted() const { return unrestricted_; }
  // Recomputes unrestricted(); call after changing the selectors.
  void Refresh();
  // Copies everything but the name (Redis ACLCopyUser).
  void CopyRulesFrom(const User& other);

 private:
  std::string name_;
  bool unrestricted_ = false;
};

// Outcome of a permission check (Redis ACL_OK / ACL_DENIED_*).
enum class AclDenial { kNone, kCommand, kKey, kChannel, kAuth };

struct AclVerdict {
  AclDenial denial = AclDenial::kNone;
  size_t arg = 0;  // argv index of the refused key or channel
  bool ok() const { return denial == AclDenial::kNone; }
};

// One ACL LOG entry (Redis 7.0's fields).
struct AclLogEntry {
  uint64_t count = 1;
  AclDenial reason = AclDenial::kCommand;
  bool in_multi = false;  // context "multi" rather than "toplevel"
  std::string object;     // the command, key, channel or "AUTH"
  std::string username;
  int64_t time_ms = 0;  // last update
  std::string client_info;
};

// Computes the SHA-256 of a password.
PasswordHash HashPassword(std::string_view password);
std::string HashToHex(const PasswordHash& h);

// Returns true iff `user` may use `channel` (PUBLISH, SUBSCRIBE: glob patterns of the user match
// it) or subscribe to the pattern `channel` (PSUBSCRIBE, is_pattern: it must equal one of the
// user's patterns literally), in any of its selectors (Redis ACLUserCheckChannelPerm).
bool CanAccessChannel(const User& user, std::string_view channel, bool is_pattern);
// True iff `user` still allows every channel, pattern and shard channel of `subs` (a
// subscriber that fails it is disconnected when its user loses channels).
bool CanKeepSubscriptions(const User& user, const Subscriptions& subs);

// The user store: every user by name, the rule engine, the checks and the log.
class Acl {
 public:
  explicit Acl(const CommandCatalog& catalog);
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  const CommandCatalog& catalog() const { return catalog_; }

  // ---- options ----
  // acl-pubsub-default: whether new users and selectors start with allchannels.
  void set_pubsub_default_all(bool all) { pubsub_default_all_ = all; }
  bool pubsub_default_all() const { return pubsub_default_all_; }
  // acllog-max-len.
  void set_log_max_len(size_t n);

  // ---- users ----
  // The default user: every connection starts as it. Never null.
  const std::shared_ptr<User>& default_user() const { return default_user_; }
  // The user named `name`, or null.
  std::shared_ptr<User> Find(std::string_view name) const;
  // Every user in name order (Redis keeps them in a radix tree).
  const std::map<std::string, std::shared_ptr<User>, std::less<>>& users() const { return users_; }

  // A fresh user as ACL SETUSER creates it: off, no passwords, no permissions (with
  // allchannels if acl-pubsub-default says so).
  User MakeUser(std::string name) const;
  // Applies one rule to `user` (Redis ACLSetUser). `user` may be left changed on error: apply
  // to a copy.
  [[nodiscard]] AclError ApplyUserRule(User& user, std::string_view op) const;
  // Applies one rule to a selector (Redis ACLSetSelector).
  [[nodiscard]] AclError ApplySelectorRule(Selector& s, std::string_view op) const;
  // Joins rules of a selector spread over several arguments ("(~a" "+get)" -> "(~a +get)").
  // Returns the index of the argument whose '(' is not closed when one is not.
  static std::optional<std::vector<std::string>> MergeSelectorArgs(
      std::span<const std::string_view> args, size_t* unmatched_index);

  // ACL SETUSER: applies `rules` to a copy of the user (a new one if it does not exist) and
  // commits only if every rule applies. Returns the error reply text, or the user. Sets
  // *channels_revoked when an existing user may have lost channels it had (its pub/sub clients
  // must then be checked, Redis ACLKillPubsubClientsIfNeeded).
  Result<std::shared_ptr<User>> SetUser(std::string_view name,
                                        std::span<const std::string_view> rules,
                                        bool* channels_revoked = nullptr);
  // True iff no selector of `updated` allows every channel, and a selector of `original` did or
  // `updated` lacks a channel pattern `original` had.
  static bool ChannelsRevoked(const User& original, const User& updated);
  // Removes the user (REQUIRES: not "default") and returns it, or null if there was none.
  std::shared_ptr<User> DeleteUser(std::string_view name);
  // requirepass: the default user's password ("" for nopass), Redis
  // ACLUpdateDefaultUserPassword.
  void SetDefaultPassword(std::string_view password);

  // The user if the pair authenticates it (enabled, and nopass or a password matches; the
  // digests are compared in constant time), else null.
  std::shared_ptr<User> Authenticate(std::string_view name, std::string_view password) const;

  // ---- rules as text ----
  // "on #<hash> ~* resetchannels -@all +get ..." (Redis ACLDescribeUser).
  std::string Describe(const User& user) const;
  // The command rules of one selector: "+@all -@dangerous", "-@all +get" ...
  std::string DescribeCommands(const Selector& s) const;
  // Keys and channels as ACL GETUSER shows them.
  static std::string DescribeKeys(const Selector& s);
  static std::string DescribeChannels(const Selector& s);

  // ---- the ACL file and config lines ----
  // Replaces every user with those of `text` (the ACL file format: "user <name> rules..." per
  // line). All or nothing: on any error nothing changes and the error text lists every bad
  // line as Redis does, prefixed with `filename` (without "ERR ": ACL LOAD adds it, start-up
  // logs it). On success returns the users replaced (the default user keeps its identity and
  // takes the new rules).
  Result<std::vector<std::shared_ptr<User>>> LoadText(std::string_view text,
                                                      std::string_view filename);
  // The file text for ACL SAVE: "user <name> <description>\n" for every user.
  std::string SaveText() const;
  // LoadText on the file's content ("Error loading ACLs, opening file ..." when it cannot be
  // read).
  Result<std::vector<std::shared_ptr<User>>> LoadFile(const std::string& path);
  // Writes SaveText() to a temporary file and renames it over `path`; logs why it failed.
  [[nodiscard]] Status SaveFile(const std::string& path) const;
  // Checks a config-file `user` line (args: "user", name, rules...) the way Redis does while
  // parsing the config: a user defined twice (`earlier`: the lines accepted so far, as
  // ConfigUserRules made them) or a bad rule is an error; unknown commands pass (they fail at
  // start-up, in LoadConfigUsers). Returns the error text.
  [[nodiscard]] static Status ValidateConfigUser(const CommandCatalog& catalog,
                                                 std::span<const std::string> args,
                                                 std::span<const std::vector<std::string>> earlier);
  // The user name followed by its rules, selectors merged, of a valid config `user` line.
  static std::optional<std::vector<std::string>> ConfigUserRules(std::span<const std::string> args);
  // Creates the config-file users at start-up (Redis ACLLoadConfiguredUsers): a `user default`
  // line resets the default user first. Returns the error to log, as Redis's texts.
  [[nodiscard]] Status LoadConfigUsers(std::span<const std::vector<std::string>> users);

  // ---- checks ----
  // Whether `user` may run `cmd` with `argv` (argv[0] is the command name; for a subcommand
  // argv[1] is its name), Redis ACLCheckAllUserCommandPerm: the first selector that allows it
  // wins; otherwise the most relevant denial (channel over key over command, then the last
  // argument).
  AclVerdict Check(const User& user, const CommandCatalog::Command& cmd,
                   std::span<const std::string_view> argv) const;
  // True iff a selector of `user` that allows this request also lets it read every key
  // (allkeys, or the pattern "*" for reading), Redis ACLUserCheckCmdWithUnrestrictedKeyAccess:
  // SORT's BY and GET patterns reach keys no argument names, and need it.
  bool CanReadAnyKey(const User& user, const CommandCatalog::Command& cmd,
                     std::span<const std::string_view> argv) const;

  // ---- the log ----
  void AddLogEntry(AclDenial reason, bool in_multi, std::string object, std::string username,
                   std::string client_info, int64_t now_ms);
  const std::deque<AclLogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }

 private:
  AclError ApplyCommandRule(Selector& s, std::string_view op) const;
  void ChangeCommand(Selector& s, const CommandCatalog::Command& cmd, bool allow) const;
  void ChangeCategory(Selector& s, uint32_t category, bool allow) const;
  void CountCategory(const Selector& s, uint32_t category, size_t* on, size_t* off) const;
  Selector MakeSelector(uint32_t flags) const;
  AclDenial CheckSelector(const Selector& s, const CommandCatalog::Command& cmd,
                          std::span<const std::string_view> argv,
                          std::optional<std::vector<KeyRef>>& keys, size_t* arg) const;

  const CommandCatalog& catalog_;
  bool pubsub_default_all_ = false;  // Redis 7.0: acl-pubsub-default resetchannels
  size_t log_max_len_ = 128;
  std::shared_ptr<User> default_user_;
  std::map<std::string, std::shared_ptr<User>, std::less<>> users_;
  std::deque<AclLogEntry> log_;  // newest first
};

}  // namespace mnemo::cmd

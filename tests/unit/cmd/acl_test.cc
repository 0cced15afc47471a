// acl_test.cc: the ACL rule engine on a small command table, against a simple reference model
// (tests/unit/cmd).
#include "mnemo/cmd/acl.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/command_keys.h"

namespace mnemo::cmd {
namespace {

void Nop(Context&) {}

constexpr CommandSpec kConfigSubs[] = {
    {"get", Nop, -3, kAdmin, 0, 0, 0, "server", "", "", ""},
    {"set", Nop, -4, kAdmin, 0, 0, 0, "server", "", "", ""},
};

// A small table: enough kinds of rows for every rule (categories from flags and explicit ones,
// a container, a no-auth command, keys read, written or both, channels).
constexpr CommandSpec kTable[] = {
    {"get", Nop, 2, kReadOnly | kFast, 1, 1, 1, "string", "", "", "", kNoSubcommands, kAclString,
     kKeysRead},
    {"set", Nop, -3, kWrite, 1, 1, 1, "string", "", "", "", kNoSubcommands, kAclString,
     KeysFrom(SetKeys)},
    {"del", Nop, -2, kWrite, 1, -1, 1, "generic", "", "", "", kNoSubcommands, kAclKeyspace,
     kKeysWritten},
    {"ping", Nop, -1, kFast, 0, 0, 0, "connection", "", "", "", kNoSubcommands, kAclConnection},
    {"auth", Nop, -2, kNoAuth | kFast, 0, 0, 0, "connection", "", "", "", kNoSubcommands,
     kAclConnection},
    {"select", Nop, 2, kFast, 0, 0, 0, "connection", "", "", "", kNoSubcommands, kAclConnection},
    {"config", nullptr, -2, 0, 0, 0, 0, "server", "", "", "", kConfigSubs},
    {"flushall", Nop, -1, kWrite, 0, 0, 0, "server", "", "", "", kNoSubcommands,
     kAclKeyspace | kAclDangerous},
    {"hget", Nop, 3, kReadOnly | kFast, 1, 1, 1, "hash", "", "", "", kNoSubcommands, kAclHash,
     kKeysRead},
    {"exists", Nop, -2, kReadOnly | kFast, 1, -1, 1, "generic", "", "", "", kNoSubcommands,
     kAclKeyspace, kKeysLookedAt},
    {"publish", Nop, 3, kPubSub | kFast, 0, 0, 0, "pubsub", "", "", "", kNoSubcommands, 0, kNoKeys,
     ChannelArgs::kFirstArg},
    {"psubscribe", Nop, -2, kPubSub, 0, 0, 0, "pubsub", "", "", "", kNoSubcommands, 0, kNoKeys,
     ChannelArgs::kAllPatterns},
};

class AclEngineTest : public ::testing::Test {
 protected:
  AclEngineTest() : acl_(catalog_) {}
  void SetUp() override { catalog_.AddTable(kTable); }

  // Applies rules to a copy and commits only if all apply (as ACL SETUSER).
  AclError Apply(User& u, std::vector<std::string> rules) {
    User staged = u;
    for (const std::string& r : rules) {
      const AclError e = acl_.ApplyUserRule(staged, r);
      if (e != AclError::kOk) return e;
    }
    u = staged;
    return AclError::kOk;
  }
  AclVerdict Check(const User& u, std::vector<std::string_view> argv) {
    const CommandCatalog::Command* c = catalog_.Resolve(argv);
    EXPECT_NE(c, nullptr) << argv[0];
    return acl_.Check(u, *c, argv);
  }

  CommandCatalog catalog_;
  Acl acl_;
};

TEST_F(AclEngineTest, CatalogNumbersCommandsThenSubcommands) {
  ASSERT_EQ(catalog_.size(), std::size(kTable) + 2);
  const auto* config = catalog_.Find("CONFIG");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->subcommands.size(), 2u);
  EXPECT_EQ(catalog_.Find("config|GET")->full_name, "config|get");
  EXPECT_EQ(catalog_.Find("config|get")->parent, static_cast<int32_t>(config->id));
  EXPECT_EQ(catalog_.Find("config|nope"), nullptr);
  EXPECT_EQ(catalog_.Find("get|x"), nullptr);  // get has no subcommands
  EXPECT_EQ(catalog_.Find("config|get|x"), nullptr);
  EXPECT_EQ(catalog_.Find(""), nullptr);
  EXPECT_EQ(catalog_.Find("|get"), nullptr);
  std::vector<std::string_view> argv = {"config"};
  EXPECT_EQ(catalog_.Resolve(argv), config);
}

TEST_F(AclEngineTest, CategoriesFollowFlagsAsRedis) {
  EXPECT_EQ(CommandCategories(kTable[0]), kAclRead | kAclString | kAclFast);
  EXPECT_EQ(CommandCategories(kTable[2]), kAclWrite | kAclKeyspace | kAclSlow);
  EXPECT_EQ(CommandCategories(kConfigSubs[0]), kAclAdmin | kAclDangerous | kAclSlow);
  CommandSpec script = {
      "eval_ro",      Nop,          -3, kReadOnly, 0, 0, 0, "scripting", "", "", "",
      kNoSubcommands, kAclScripting};
  EXPECT_EQ(CommandCategories(script), kAclScripting | kAclSlow);  // not @read
  CommandSpec blocking = {"blpop", Nop, -3, kWrite | kBlocking, 1, -2, 1, "list", "", "", ""};
  EXPECT_EQ(CommandCategories(blocking), kAclWrite | kAclBlocking | kAclSlow);
  EXPECT_EQ(AclCategoryByName("SortedSet"), kAclSortedSet);
  EXPECT_EQ(AclCategoryByName("all"), 0u);
  EXPECT_EQ(AclCategoryNames().size(), 21u);
}

// ---- a reference model of one selector -----------------------------------------------------

struct Model {
  bool all_commands = false;  // +@all given and nothing removed since
  std::set<std::string> allowed;
  std::map<std::string, std::set<std::string>> first_args;  // lower-case arguments
  bool all_keys = false;
  std::vector<std::pair<std::string, uint8_t>> keys;
  bool all_channels = false;
  std::vector<std::string> channels;
};

class ModelRules {
 public:
  explicit ModelRules(const CommandCatalog& c) : catalog_(c) {}

  // Applies one rule; false iff the engine must refuse it too (then nothing changes).
  bool Apply(Model& m, const std::string& op) const {
    Model next = m;
    const std::string lower = ToLower(op);
    if (lower == "+@all" || lower == "allcommands") {
      next.all_commands = true;
      next.first_args.clear();
      for (size_t id = 0; id < catalog_.size(); ++id) next.allowed.insert(Name(id));
    } else if (lower == "-@all" || lower == "nocommands") {
      next.all_commands = false;
      next.allowed.clear();
      next.first_args.clear();
    } else if (op.size() > 2 && op[1] == '@') {
      const uint32_t cat = AclCategoryByName(op.substr(2));
      if (cat == 0) return false;
      for (size_t id = 0; id < catalog_.size(); ++id) {
        if (catalog_.at(static_cast<uint32_t>(id)).categories & cat) Change(next, id, op[0] == '+');
      }
    } else if (op[0] == '+' || op[0] == '-') {
      const std::string name = op.substr(1);
      const size_t bar = name.rfind('|');
      if (op[0] == '+' && bar != std::string::npos) {
        // "+a|b": a subcommand of a container, else an allowed first argument of a command.
        const auto* base = catalog_.Find(name.substr(0, bar));
        if (base == nullptr || base->parent >= 0 || bar + 1 == name.size()) return false;
        if (!base->subcommands.empty()) {
          const auto* sub = catalog_.Find(name);
          if (sub == nullptr) return false;
          Change(next, sub->id, true);
        } else {
          next.first_args[base->full_name].insert(ToLower(name.substr(bar + 1)));
        }
      } else {
        const auto* c = catalog_.Find(name);
        if (c == nullptr) return false;
        Change(next, c->id, op[0] == '+');
      }
    } else if (lower == "allkeys" || op == "~*") {
      next.all_keys = true;
      next.keys.clear();
    } else if (lower == "resetkeys") {
      next.all_keys = false;
      next.keys.clear();
    } else if (op[0] == '~' || op[0] == '%') {
      if (next.all_keys) return false;
      uint8_t access = kKeyReadWrite;
      std::string pattern = op.substr(1);
      if (op[0] == '%') {
        const size_t tilde = op.find('~');
        const std::string perms = op.substr(1, tilde - 1);
        access = (perms.find('R') != std::string::npos ? kKeyRead : 0) |
                 (perms.find('W') != std::string::npos ? kKeyWrite : 0);
        pattern = op.substr(tilde + 1);
      }
      bool found = false;
      for (auto& [p, a] : next.keys) {
        if (p == pattern) {
          a |= access;
          found = true;
        }
      }
      if (!found) next.keys.emplace_back(pattern, access);
    } else if (lower == "allchannels" || op == "&*") {
      next.all_channels = true;
      next.channels.clear();
    } else if (lower == "resetchannels") {
      next.all_channels = false;
      next.channels.clear();
    } else if (op[0] == '&') {
      if (next.all_channels) return false;
      const std::string p = op.substr(1);
      if (std::find(next.channels.begin(), next.channels.end(), p) == next.channels.end()) {
        next.channels.push_back(p);
      }
    } else {
      return false;
    }
    m = next;
    return true;
  }

  AclVerdict Check(const Model& m, std::vector<std::string_view> argv) const {
    const CommandCatalog::Command& c = *catalog_.Resolve(argv);
    const CommandSpec& spec = *c.spec;
    bool ok = m.all_commands || (spec.flags & kNoAuth) || m.allowed.count(c.full_name);
    if (!ok && argv.size() > 1) {
      auto it = m.first_args.find(c.full_name);
      ok = it != m.first_args.end() && it->second.count(ToLower(argv[1]));
    }
    if (!ok) return {AclDenial::kCommand, 0};
    if (!m.all_keys) {
      std::vector<KeyRef> keys;
      (void)CommandKeys(spec, argv, keys);
      for (const KeyRef& k : keys) {
        bool key_ok = false;
        for (const auto& [p, a] : m.keys) {
          key_ok = key_ok || ((a & k.access) == k.access && GlobMatch(p, argv[k.pos]));
        }
        if (!key_ok) return {AclDenial::kKey, k.pos};
      }
    }
    if (!m.all_channels && spec.channels != ChannelArgs::kNone) {
      const size_t last = spec.channels == ChannelArgs::kFirstArg ? 2 : argv.size();
      for (size_t j = 1; j < last; ++j) {
        bool ch_ok = false;
        for (const std::string& p : m.channels) {
          ch_ok = ch_ok || (spec.channels == ChannelArgs::kAllPatterns ? p == argv[j]
                                                                       : GlobMatch(p, argv[j]));
        }
        if (!ch_ok) return {AclDenial::kChannel, j};
      }
    }
    return {};
  }

 private:
  std::string Name(size_t id) const { return catalog_.at(static_cast<uint32_t>(id)).full_name; }
  void Change(Model& m, size_t id, bool allow) const {
    const auto& c = catalog_.at(static_cast<uint32_t>(id));
    auto set = [&](const std::string& name) {
      if (allow) {
        m.allowed.insert(name);
      } else {
        m.allowed.erase(name);
        m.all_commands = false;
      }
    };
    set(c.full_name);
    m.first_args.erase(c.full_name);
    for (uint32_t s : c.subcommands) set(Name(s));
  }
  const CommandCatalog& catalog_;
};

const std::vector<std::string> kRules = {
    "+@all",   "-@all",       "allcommands",  "nocommands", "+@read",      "-@read",
    "+@write", "-@write",     "+@string",     "-@string",   "+@keyspace",  "-@dangerous",
    "+@admin", "-@admin",     "-@connection", "+@fast",     "-@slow",      "+@pubsub",
    "+get",    "-get",        "+set",         "-SET",       "+del",        "+config",
    "-config", "+config|get", "-config|set",  "+select|0",  "+SELECT|1",   "+hget",
    "~a*",     "%R~b?",       "%W~a*",        "~*",         "allkeys",     "resetkeys",
    "%RW~k1",  "%R~k1",       "&ch*",         "&ch1",       "allchannels", "resetchannels",
    "&*",      "+nosuch",     "+@nosuch",     "-select|0",  "+get|x|y",    "+config|nope",
};

const std::vector<std::vector<std::string_view>> kProbes = {
    {"get", "a1"},
    {"get", "b2"},
    {"get", "k1"},
    {"set", "a1", "v"},
    {"set", "a1", "v", "GET"},
    {"set", "k1", "v"},
    {"del", "a1", "b2"},
    {"del", "a1", "a2"},
    {"ping"},
    {"auth", "x"},
    {"select", "0"},
    {"select", "1"},
    {"select", "2"},
    {"config", "get", "x"},
    {"config", "set", "x", "y"},
    {"flushall"},
    {"hget", "a1", "f"},
    {"exists", "b2", "zz"},
    {"publish", "ch1", "m"},
    {"publish", "x", "m"},
    {"psubscribe", "ch*"},
    {"psubscribe", "ch1", "c*"},
};

TEST_F(AclEngineTest, RandomRulesMatchTheModel) {
  ModelRules model_rules(catalog_);
  std::mt19937_64 rng(20240607);
  for (int round = 0; round < 300; ++round) {
    User u = acl_.MakeUser("r");
    Model m;
    for (int step = 0; step < 12; ++step) {
      const std::string& op = kRules[rng() % kRules.size()];
      const bool model_ok = model_rules.Apply(m, op);
      const AclError err = Apply(u, {op});
      ASSERT_EQ(err == AclError::kOk, model_ok) << op;
      for (const auto& probe : kProbes) {
        const AclVerdict want = model_rules.Check(m, probe);
        const AclVerdict got = Check(u, probe);
        ASSERT_EQ(static_cast<int>(got.denial), static_cast<int>(want.denial))
            << "after " << op << " probe " << probe[0] << " rules " << acl_.Describe(u);
        ASSERT_EQ(got.arg, want.arg) << probe[0];
      }
    }
  }
}

// Splits a description into rules the way ACL SETUSER would receive them.
std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string_view> words;
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(' ', p);
    if (q == std::string::npos) q = s.size();
    words.push_back(std::string_view(s).substr(p, q - p));
    p = q + 1;
  }
  return *Acl::MergeSelectorArgs(words, nullptr);
}

TEST_F(AclEngineTest, DescriptionRebuildsTheSameUser) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    User u = acl_.MakeUser("r");
    const int steps = 1 + static_cast<int>(rng() % 10);
    for (int step = 0; step < steps; ++step) {
      std::string op = kRules[rng() % kRules.size()];
      switch (rng() % 6) {
        case 0: {  // a selector of a few rules
          op = "(" + op + " " + kRules[rng() % kRules.size()] + ")";
          break;
        }
        case 1:
          op = rng() % 2 ? ">pw" + std::to_string(rng() % 3) : "nopass";
          break;
        case 2:
          op = rng() % 2 ? "on" : "off";
          break;
        default:
          break;
      }
      (void)Apply(u, {op});
    }
    const std::string description = acl_.Describe(u);
    User rebuilt = acl_.MakeUser("r");
    ASSERT_EQ(Apply(rebuilt, Words(description)), AclError::kOk) << description;
    EXPECT_EQ(rebuilt.flags, u.flags) << description;
    EXPECT_EQ(rebuilt.passwords, u.passwords) << description;
    ASSERT_EQ(rebuilt.selectors.size(), u.selectors.size()) << description;
    for (size_t i = 0; i < u.selectors.size(); ++i) {
      EXPECT_EQ(rebuilt.selectors[i].commands, u.selectors[i].commands) << description;
      // First arguments of a command allowed as a whole mean nothing and are not described
      // (as in Redis).
      auto first_args = u.selectors[i].first_args;
      std::erase_if(first_args,
                    [&](const auto& fa) { return u.selectors[i].commands.test(fa.first); });
      EXPECT_EQ(rebuilt.selectors[i].first_args, first_args) << description;
      EXPECT_EQ(rebuilt.selectors[i].flags & ~Selector::kAllCommands,
                u.selectors[i].flags & ~Selector::kAllCommands)
          << description;
    }
    EXPECT_EQ(acl_.Describe(rebuilt), description);
    for (const auto& probe : kProbes) {
      EXPECT_EQ(static_cast<int>(Check(rebuilt, probe).denial),
                static_cast<int>(Check(u, probe).denial))
          << description << " " << probe[0];
    }
  }
}

TEST_F(AclEngineTest, DescriptionPrefersCategories) {
  User u = acl_.MakeUser("d");
  ASSERT_EQ(Apply(u, {"+@all", "-@dangerous"}), AclError::kOk);
  EXPECT_EQ(acl_.DescribeCommands(u.selectors[0]), "+@all -@dangerous");
  ASSERT_EQ(Apply(u, {"-@all", "+@string", "-set", "+select|0", "+config|get"}), AclError::kOk);
  // @string here is get and set: one of two is not enough for the category.
  EXPECT_EQ(acl_.DescribeCommands(u.selectors[0]), "-@all +get +select|0 +config|get");
  ASSERT_EQ(Apply(u, {"+set"}), AclError::kOk);
  EXPECT_EQ(acl_.DescribeCommands(u.selectors[0]), "-@all +@string +select|0 +config|get");
  // +config allows its subcommands, which are all of @admin here: Redis's greedy choice takes
  // the category first.
  ASSERT_EQ(Apply(u, {"nocommands", "+config"}), AclError::kOk);
  EXPECT_EQ(acl_.DescribeCommands(u.selectors[0]), "-@all +@admin +config");
  ASSERT_EQ(Apply(u, {"-config|set"}), AclError::kOk);
  EXPECT_EQ(acl_.DescribeCommands(u.selectors[0]), "-@all +config -config|set");
}

TEST_F(AclEngineTest, TheMostRelevantDenialWins) {
  User u = acl_.MakeUser("m");
  ASSERT_EQ(Apply(u, {"on", "+get", "~a*", "(+set ~b*)", "(+del %R~*)", "(+publish &x)"}),
            AclError::kOk);
  EXPECT_TRUE(Check(u, {"get", "a1"}).ok());
  EXPECT_TRUE(Check(u, {"set", "b1", "v"}).ok());
  // No selector runs flushall: command.
  EXPECT_EQ(Check(u, {"flushall"}).denial, AclDenial::kCommand);
  // get is allowed by the root only, which refuses the key: key.
  AclVerdict v = Check(u, {"get", "zz"});
  EXPECT_EQ(v.denial, AclDenial::kKey);
  EXPECT_EQ(v.arg, 1u);
  // del: the only selector with del reads keys only: the key it refuses, the last one.
  v = Check(u, {"del", "q1", "q2"});
  EXPECT_EQ(v.denial, AclDenial::kKey);
  EXPECT_EQ(v.arg, 1u);
  v = Check(u, {"publish", "y", "m"});
  EXPECT_EQ(v.denial, AclDenial::kChannel);
  EXPECT_EQ(v.arg, 1u);
  EXPECT_TRUE(Check(u, {"publish", "x", "m"}).ok());
  EXPECT_TRUE(Check(u, {"auth", "p"}).ok());  // no-auth commands are always allowed
}

TEST_F(AclEngineTest, CanAccessChannel) {
  User u = acl_.MakeUser("c");
  EXPECT_FALSE(CanAccessChannel(u, "news", false));  // resetchannels by default (Redis 7)
  ASSERT_EQ(Apply(u, {"&news.*", "(&chat)"}), AclError::kOk);
  EXPECT_TRUE(CanAccessChannel(u, "news.sport", false));
  EXPECT_TRUE(CanAccessChannel(u, "chat", false));
  EXPECT_FALSE(CanAccessChannel(u, "news", false));
  EXPECT_TRUE(CanAccessChannel(u, "news.*", true));
  EXPECT_FALSE(CanAccessChannel(u, "news.s*", true));  // a pattern must be one of the user's
  acl_.set_pubsub_default_all(true);
  User all = acl_.MakeUser("a");
  EXPECT_TRUE(CanAccessChannel(all, "anything", true));
  ASSERT_EQ(Apply(all, {"reset"}), AclError::kOk);
  EXPECT_TRUE(CanAccessChannel(all, "anything", false));  // reset keeps acl-pubsub-default
}

TEST_F(AclEngineTest, ChannelsRevoked) {
  User a = acl_.MakeUser("a");
  ASSERT_EQ(Apply(a, {"&x", "&y"}), AclError::kOk);
  User b = a;
  ASSERT_EQ(Apply(b, {"&z"}), AclError::kOk);
  EXPECT_FALSE(Acl::ChannelsRevoked(a, b));
  ASSERT_EQ(Apply(b, {"resetchannels", "&x"}), AclError::kOk);
  EXPECT_TRUE(Acl::ChannelsRevoked(a, b));
  ASSERT_EQ(Apply(b, {"(&*)"}), AclError::kOk);
  EXPECT_FALSE(Acl::ChannelsRevoked(a, b));
  // From every channel to some: revoked, as in Redis 7.0.15 (while the new user keeps no
  // selector with every channel).
  User all = acl_.MakeUser("all");
  ASSERT_EQ(Apply(all, {"allchannels"}), AclError::kOk);
  User some = all;
  ASSERT_EQ(Apply(some, {"resetchannels", "&x"}), AclError::kOk);
  EXPECT_TRUE(Acl::ChannelsRevoked(all, some));
  ASSERT_EQ(Apply(some, {"(&* +ping)"}), AclError::kOk);
  EXPECT_FALSE(Acl::ChannelsRevoked(all, some));
}

TEST_F(AclEngineTest, SetUserAndAuthenticate) {
  const std::string_view rules[] = {"on", ">secret", "~*", "+@all"};
  ASSERT_TRUE(acl_.SetUser("bob", rules).ok());
  EXPECT_NE(acl_.Authenticate("bob", "secret"), nullptr);
  EXPECT_EQ(acl_.Authenticate("bob", "secreT"), nullptr);
  EXPECT_EQ(acl_.Authenticate("bob", ""), nullptr);
  EXPECT_EQ(acl_.Authenticate("nobody", "secret"), nullptr);
  const std::string_view bad[] = {"off", "+nope"};
  auto r = acl_.SetUser("bob", bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(acl_.Authenticate("bob", "secret"), nullptr);  // "off" was not applied
  EXPECT_EQ(acl_.Authenticate("default", "whatever"), acl_.default_user());
  acl_.SetDefaultPassword("pw");
  EXPECT_EQ(acl_.Authenticate("default", "whatever"), nullptr);
  EXPECT_NE(acl_.Authenticate("default", "pw"), nullptr);
  EXPECT_EQ(HashToHex(HashPassword("secret")),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
}

TEST_F(AclEngineTest, MergeSelectorArgs) {
  size_t bad = 99;
  const std::vector<std::string_view> a = {"on", "(~a", "+get)", "(x)", "( ", "y )"};
  auto merged = Acl::MergeSelectorArgs(a, &bad);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged, (std::vector<std::string>{"on", "(~a +get)", "(x)", "(  y )"}));
  const std::vector<std::string_view> b = {"on", "(~a", "(b", "c"};
  EXPECT_FALSE(Acl::MergeSelectorArgs(b, &bad).has_value());
  EXPECT_EQ(bad, 2u);  // a new '(' restarts the selector, as in Redis
  const std::vector<std::string_view> c = {"", "(a", ""};
  EXPECT_FALSE(Acl::MergeSelectorArgs(c, &bad).has_value());
  EXPECT_EQ(bad, 1u);
}

TEST_F(AclEngineTest, LogGroupsRecentEqualDenials) {
  acl_.set_log_max_len(3);
  acl_.AddLogEntry(AclDenial::kKey, false, "k", "u", "info1", 1000);
  acl_.AddLogEntry(AclDenial::kKey, false, "k", "u", "info2", 2000);
  ASSERT_EQ(acl_.log().size(), 1u);
  EXPECT_EQ(acl_.log()[0].count, 2u);
  EXPECT_EQ(acl_.log()[0].client_info, "info2");
  acl_.AddLogEntry(AclDenial::kKey, true, "k", "u", "i", 3000);    // other context
  acl_.AddLogEntry(AclDenial::kKey, false, "k", "u", "i", 70000);  // more than 60 s later
  acl_.AddLogEntry(AclDenial::kCommand, false, "k", "u", "i", 70000);
  ASSERT_EQ(acl_.log().size(), 3u);  // acllog-max-len
  EXPECT_EQ(acl_.log()[0].reason, AclDenial::kCommand);
  EXPECT_EQ(acl_.log()[1].count, 1u);
  EXPECT_TRUE(acl_.log()[2].in_multi);
  acl_.AddLogEntry(AclDenial::kKey, true, "k", "u", "i", 4000);  // bumps and moves to the front
  EXPECT_TRUE(acl_.log()[0].in_multi);
  EXPECT_EQ(acl_.log()[0].count, 2u);
}

TEST_F(AclEngineTest, LoadTextIsAllOrNothing) {
  auto ok =
      acl_.LoadText("user default on nopass ~* &* +@all\n\n  user a on >x ~a*  +get \r\n", "f");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(acl_.SaveText(), "user a on #" + HashToHex(HashPassword("x")) +
                                 " ~a* resetchannels -@all +get\n"
                                 "user default on nopass ~* &* +@all\n");
  auto user_a = acl_.Find("a");
  auto bad = acl_.LoadText("user b on\nuser c bogus +nosuch\n#\n", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "f:2: Syntax error. f:2: Error in applying operation '+nosuch': Unknown command or "
            "category name in ACL. f:3 should start with user keyword followed by the "
            "username. WARNING: ACL errors detected, no change to the previously active ACL "
            "rules was performed");
  EXPECT_EQ(acl_.Find("a"), user_a);
  EXPECT_EQ(acl_.Find("b"), nullptr);
  // Success replaces every user but the default one, which keeps its identity.
  auto def = acl_.default_user();
  auto replaced = acl_.LoadText("user default on >p ~* +@all\nuser a on\n", "f");
  ASSERT_TRUE(replaced.ok());
  ASSERT_EQ(replaced->size(), 1u);
  EXPECT_EQ((*replaced)[0], user_a);
  EXPECT_EQ(acl_.default_user(), def);
  EXPECT_FALSE(def->nopass());
  EXPECT_NE(acl_.Find("a"), user_a);
}

TEST_F(AclEngineTest, ValidateConfigUser) {
  std::vector<std::vector<std::string>> earlier;
  const std::vector<std::string> good = {"user", "x", "on", "(~a", "+get)", "+nosuch"};
  EXPECT_TRUE(Acl::ValidateConfigUser(catalog_, good, earlier).ok());
  earlier.push_back(*Acl::ConfigUserRules(good));
  EXPECT_EQ(earlier[0], (std::vector<std::string>{"x", "on", "(~a +get)", "+nosuch"}));
  EXPECT_EQ(Acl::ValidateConfigUser(catalog_, good, earlier).message(),
            "Error in user declaration 'x': Duplicate user found. A user can only be defined "
            "once in config files");
  const std::vector<std::string> bad = {"user", "y", "on", "off", "#zz"};
  EXPECT_EQ(Acl::ValidateConfigUser(catalog_, bad, earlier).message(),
            "Error in user declaration 'on': The password hash must be exactly 64 characters "
            "and contain only lowercase hexadecimal characters");
  const std::vector<std::string> loaded = {"x", "on", "+nosuch"};
  EXPECT_EQ(acl_.LoadConfigUsers(std::span(&loaded, 1)).message(),
            "Error loading ACL rule '+nosuch' for the user named 'x': Unknown command or "
            "category name in ACL");
}

}  // namespace
}  // namespace mnemo::cmd

// server_test.cc: rename-command as COMMAND and the dispatcher see it, and SHUTDOWN's syntax,
// through the dispatcher (tests/cmd). Replies as redis-server 7.0.15 gives them for the same
// configuration (checked against it; tests/integration/config_file_test.cc repeats the
// comparison live).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "command_harness.h"

namespace mnemo::test {
namespace {

bool Contains(const RespValue& array, const std::string& s) {
  return std::any_of(array.elements.begin(), array.elements.end(),
                     [&](const RespValue& v) { return v.str == s; });
}

TEST(RenameCommandTest, DispatcherFollowsTheNewNames) {
  CommandHarness plain;
  const int64_t count = plain.Run({"COMMAND", "COUNT"}).integer;
  CommandHarness h(
      "rename-command get mget2\n"
      "rename-command flushall \"\"\n"
      "rename-command config cfg\n");
  EXPECT_EQ(h.Run({"SET", "k", "v"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"mget2", "k"}).ToString(), "v");
  EXPECT_EQ(h.Run({"MGET2", "k"}).ToString(), "v");
  EXPECT_EQ(h.Run({"get", "k"}).ToString(),
            "(error) ERR unknown command 'get', with args beginning with: 'k' ");
  EXPECT_EQ(h.Run({"FLUSHALL"}).ToString(),
            "(error) ERR unknown command 'FLUSHALL', with args beginning with: ");
  EXPECT_EQ(h.Run({"cfg", "get", "hz"}).ToString(), "[hz, 10]");
  EXPECT_EQ(h.Run({"config", "get", "hz"}).ToString(),
            "(error) ERR unknown command 'config', with args beginning with: 'get' 'hz' ");
  // The other commands are untouched (MGET is not MGET2).
  EXPECT_EQ(h.Run({"MGET", "k"}).ToString(), "[v]");
  // Statistics stay under the original name, as Redis's cmdstat_get.
  const std::string stats = h.Run({"INFO", "commandstats"}).str;
  EXPECT_NE(stats.find("cmdstat_get:calls=2,"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("cmdstat_flushall"), std::string::npos) << stats;
  // One command fewer: the disabled one.
  EXPECT_EQ(h.Run({"COMMAND", "COUNT"}).integer, count - 1);
}

TEST(RenameCommandTest, CommandListsOriginalNamesReachedByNewOnes) {
  CommandHarness h(
      "rename-command get mget2\nrename-command flushall \"\"\n"
      "rename-command config cfg\n");
  // COMMAND INFO by the new name prints the original name; the old name is unknown.
  const RespValue info = h.Run({"COMMAND", "INFO", "mget2", "get", "cfg|get"});
  ASSERT_EQ(info.size(), 3u);
  EXPECT_EQ(info[0][0].str, "get");
  EXPECT_TRUE(info[1].IsNull());
  EXPECT_EQ(info[2][0].str, "config|get");
  // COMMAND DOCS too, keyed by the original name.
  const RespValue docs = h.Run({"COMMAND", "DOCS", "mget2", "get"});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].str, "get");
  // COMMAND LIST: original names, without the disabled command; patterns match them.
  const RespValue list = h.Run({"COMMAND", "LIST"});
  EXPECT_TRUE(Contains(list, "get"));
  EXPECT_TRUE(Contains(list, "config|get"));
  EXPECT_FALSE(Contains(list, "mget2"));
  EXPECT_FALSE(Contains(list, "flushall"));
  EXPECT_TRUE(Contains(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "get*"}), "get"));
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "flush*"}).ToString(), "[flushdb]");
  // COMMAND (everything) leaves the disabled command out.
  const RespValue all = h.Run({"COMMAND"});
  EXPECT_EQ(static_cast<int64_t>(all.size()), h.Run({"COMMAND", "COUNT"}).integer);
  bool has_flushall = false;
  for (const RespValue& e : all.elements) has_flushall = has_flushall || e[0].str == "flushall";
  EXPECT_FALSE(has_flushall);
  // COMMAND GETKEYS resolves the command the way the dispatcher does.
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "mget2", "x"}).ToString(), "[x]");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "get", "x"}).ToString(),
            "(error) ERR Invalid command specified");
}

TEST(RenameCommandTest, RenameToItselfAndChains) {
  CommandHarness h("rename-command get get\nrename-command set s1\nrename-command s1 s2\n");
  EXPECT_EQ(h.Run({"s2", "k", "v"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "v");
  EXPECT_TRUE(h.Run({"s1", "k", "v"}).IsError());
  EXPECT_TRUE(h.Run({"set", "k", "v"}).IsError());
}

TEST(RenameCommandTest, RenameKeepsTransactionsWorking) {
  CommandHarness h("rename-command set put\n");
  EXPECT_EQ(h.Run({"MULTI"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"put", "k", "1"}).ToString(), "QUEUED");
  EXPECT_EQ(h.Run({"set", "k", "2"}).ToString(),
            "(error) ERR unknown command 'set', with args beginning with: 'k' '2' ");
  EXPECT_EQ(h.Run({"EXEC"}).ToString(),
            "(error) EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(h.Run({"MULTI"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"put", "k", "1"}).ToString(), "QUEUED");
  EXPECT_EQ(h.Run({"EXEC"}).ToString(), "[OK]");
}

// ---- SHUTDOWN -------------------------------------------------------------------------------

TEST(ShutdownTest, SyntaxAsRedis) {
  CommandHarness h;
  const std::vector<std::vector<std::string>> syntax_errors = {
      {"SHUTDOWN", "foo"},
      {"SHUTDOWN", "NOSAVE", "SAVE"},
      {"SHUTDOWN", "ABORT", "NOW"},
      {"SHUTDOWN", "save", "save", "abort"},
      {"SHUTDOWN", "FORCE", "ABORT"},
      {"SHUTDOWN", "NOW", "bogus"},
  };
  for (const auto& argv : syntax_errors) {
    EXPECT_EQ(h.Run(argv).ToString(), "(error) ERR syntax error") << argv[1];
  }
  EXPECT_EQ(h.Run({"SHUTDOWN", "ABORT"}).ToString(), "(error) ERR No shutdown in progress.");
  EXPECT_EQ(h.Run({"SHUTDOWN", "abort", "ABORT"}).ToString(),
            "(error) ERR No shutdown in progress.");
  EXPECT_FALSE(h.client().close_after_reply);
  // Not inside a transaction (no_multi), whatever its flags.
  EXPECT_EQ(h.Run({"MULTI"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"SHUTDOWN", "NOW"}).ToString(),
            "(error) ERR Command not allowed inside a transaction");
  EXPECT_EQ(h.Run({"SHUTDOWN", "ABORT"}).ToString(),
            "(error) ERR Command not allowed inside a transaction");
  EXPECT_EQ(h.Run({"EXEC"}).ToString(),
            "(error) EXECABORT Transaction discarded because of previous errors.");
}

TEST(ShutdownTest, EveryValidCombinationShutsDownWithoutAReply) {
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"SHUTDOWN"},
                                             {"SHUTDOWN", "NOSAVE"},
                                             {"SHUTDOWN", "SAVE"},
                                             {"SHUTDOWN", "nosave", "now", "force"},
                                             {"SHUTDOWN", "SAVE", "FORCE"},
                                             {"SHUTDOWN", "NOW", "NOW"}}) {
    CommandHarness h;
    EXPECT_EQ(h.RunRaw(argv), "") << argv.size();
    EXPECT_TRUE(h.client().close_after_reply) << argv.size();
  }
}

}  // namespace
}  // namespace mnemo::test

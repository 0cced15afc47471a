// acl_test.cc: the ACL commands, AUTH/HELLO with users, and the dispatcher's permission check
// through the in-process dispatcher (tests/cmd). Texts are Redis 7.0.15's (test_acl.py compares
// them with a running redis-server).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "command_harness.h"
#include "mnemo/cmd/acl.h"

namespace mnemo::test {
namespace {

class AclTest : public CommandTest {
 protected:
  // Makes the harness's client run as `user` (AUTH with its password).
  void As(std::string_view user, std::string_view pass) {
    ASSERT_EQ(Str({"AUTH", user, pass}), "OK");
  }
  // ACL LOG as the default user runs it, whoever the client is.
  RespValue Log() {
    cmd::Client& c = h_.client();
    auto saved = c.user;
    c.user = h_.server().dispatcher().acl().default_user();
    RespValue log = Run({"ACL", "LOG"});
    c.user = saved;
    return log;
  }
  std::string LogField(size_t entry, std::string_view field) {
    cmd::Client& c = h_.client();
    auto saved = c.user;
    c.user = h_.server().dispatcher().acl().default_user();
    RespValue log = Run({"ACL", "LOG"});
    c.user = saved;
    if (entry >= log.size()) return "<no entry>";
    const RespValue& e = log[entry];
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      if (e[i].str == field) return e[i + 1].ToString();
    }
    return "<missing>";
  }
};

TEST_F(AclTest, SetuserCreatesAndListDescribes) {
  EXPECT_EQ(Str({"ACL", "LIST"}), "[user default on nopass ~* &* +@all]");
  EXPECT_EQ(Str({"ACL", "SETUSER", "alice"}), "OK");
  EXPECT_EQ(Str({"ACL", "SETUSER", "bob", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch", "+get",
                 "+@hash", "-hdel"}),
            "OK");
  EXPECT_EQ(Str({"ACL", "LIST"}),
            "[user alice off resetchannels -@all, "
            "user bob on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* "
            "%R~r* %W~w* resetchannels &ch -@all +@hash +get -hdel, "
            "user default on nopass ~* &* +@all]");
  EXPECT_EQ(Str({"ACL", "USERS"}), "[alice, bob, default]");
  // Changing a user keeps what is not mentioned.
  EXPECT_EQ(Str({"ACL", "SETUSER", "bob", "resetkeys", "allkeys", "-@all", "+@all", "-flushall"}),
            "OK");
  EXPECT_EQ(Run({"ACL", "LIST"})[1].str,
            "user bob on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* "
            "resetchannels &ch +@all -flushall");
  EXPECT_EQ(Str({"ACL", "SETUSER", "bob", "reset"}), "OK");
  EXPECT_EQ(Run({"ACL", "LIST"})[1].str, "user bob off sanitize-payload resetchannels -@all");
}

TEST_F(AclTest, GetuserFieldsAndSelectors) {
  EXPECT_EQ(Str({"ACL", "GETUSER", "nobody"}), "(nil)");
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "on", "nopass", "~a", "(~b", "+get)", "(%R~c* +set)"}),
            "OK");
  EXPECT_EQ(Str({"ACL", "GETUSER", "s"}),
            "[flags, [on, nopass], passwords, [], commands, -@all, keys, ~a, channels, , "
            "selectors, [[commands, -@all +get, keys, ~b, channels, ], "
            "[commands, -@all +set, keys, %R~c*, channels, ]]]");
  EXPECT_EQ(Run({"ACL", "LIST"})[1].str,
            "user s on nopass ~a resetchannels -@all (~b resetchannels -@all +get) "
            "(%R~c* resetchannels -@all +set)");
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "clearselectors"}), "OK");
  EXPECT_EQ(Run({"ACL", "GETUSER", "s"})[11].size(), 0u);
  EXPECT_EQ(Str({"ACL", "GETUSER", "default"}),
            "[flags, [on, nopass], passwords, [], commands, +@all, keys, ~*, channels, &*, "
            "selectors, []]");
  // RESP3: a map with a set of flags.
  h_.SetResp(3);
  RespValue r = Run({"ACL", "GETUSER", "default"});
  EXPECT_EQ(r.type, RespValue::Type::kMap);
  EXPECT_EQ(r[1].type, RespValue::Type::kSet);
}

TEST_F(AclTest, SetuserIsAllOrNothingWithRedisTexts) {
  EXPECT_EQ(Str({"ACL", "SETUSER", "x", "on", ">p", "~a"}), "OK");
  const std::string before = Str({"ACL", "LIST"});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"%"}, "ERR Error in ACL SETUSER modifier '%': Syntax error"},
      {{"%~k"}, "ERR Error in ACL SETUSER modifier '%~k': Syntax error"},
      {{"%RR~k"}, "ERR Error in ACL SETUSER modifier '%RR~k': Syntax error"},
      {{"off", "+nosuch"},
       "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"},
      {{"+@nope"},
       "ERR Error in ACL SETUSER modifier '+@nope': Unknown command or category name in ACL"},
      {{"+config|get|x"},
       "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand "
       "is not supported"},
      {{"-select|0"},
       "ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"},
      {{"+config|"}, "ERR Error in ACL SETUSER modifier '+config|': Syntax error"},
      {{"#abc"},
       "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
       "characters and contain only lowercase hexadecimal characters"},
      {{"<nope"},
       "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from "
       "the user does not exist"},
      {{"allkeys", "~b"},
       "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the "
       "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
       "with an empty list of patterns"},
      {{"&*", "&b"},
       "ERR Error in ACL SETUSER modifier '&b': Adding a pattern after the * pattern (or the "
       "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to "
       "start with an empty list of channels"},
      {{"on", "(~a", "+get"}, "ERR Unmatched parenthesis in acl selector starting at '(~a'."},
      {{"(~a b)"}, "ERR Error in ACL SETUSER modifier '(~a b)': Syntax error"},
      {{"bogus"}, "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"},
  };
  for (const auto& [rules, error] : cases) {
    std::vector<std::string> argv = {"ACL", "SETUSER", "x"};
    argv.insert(argv.end(), rules.begin(), rules.end());
    EXPECT_EQ(Run(argv).ToString(), "(error) " + error) << rules[0];
    EXPECT_EQ(Str({"ACL", "LIST"}), before) << rules[0];
  }
  EXPECT_EQ(Str({"ACL", "SETUSER", "a b"}),
            "(error) ERR Usernames can't contain spaces or null characters");
  EXPECT_EQ(Str({"ACL", "SETUSER"}),
            "(error) ERR wrong number of arguments for 'acl|setuser' command");
}

TEST_F(AclTest, PasswordsAreHashesComparedByAuth) {
  const std::string hash(64, 'a');
  EXPECT_EQ(Str({"ACL", "SETUSER", "p", "on", ">one", ">two", "#" + hash, "<two", "~*", "+@all"}),
            "OK");
  EXPECT_EQ(Str({"ACL", "GETUSER", "p"}).find("two"), std::string::npos);
  RespValue pw = Run({"ACL", "GETUSER", "p"})[3];
  ASSERT_EQ(pw.size(), 2u);
  EXPECT_EQ(pw[0].str, cmd::HashToHex(cmd::HashPassword("one")));
  EXPECT_EQ(pw[1].str, hash);
  EXPECT_EQ(Str({"AUTH", "p", "two"}),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Str({"AUTH", "p", "one"}), "OK");
  EXPECT_EQ(Str({"ACL", "WHOAMI"}), "p");
  EXPECT_EQ(Str({"ACL", "SETUSER", "p", "!" + hash, "nopass"}), "OK");
  EXPECT_EQ(Str({"AUTH", "p", "anything"}), "OK");
  EXPECT_EQ(Str({"ACL", "SETUSER", "p", "off"}), "OK");
  EXPECT_EQ(Str({"AUTH", "p", "anything"}),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Str({"AUTH", "nobody", "x"}),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Str({"AUTH", "a", "b", "c"}), "(error) ERR syntax error");
}

TEST_F(AclTest, RefusedCommandsKeysAndTheLog) {
  ASSERT_EQ(Str({"ACL", "SETUSER", "lim", "on", ">pw", "~k*", "%R~r*", "+get", "+set", "+multi",
                 "+exec", "+discard", "+config|get", "+select|0"}),
            "OK");
  As("lim", "pw");
  EXPECT_EQ(Str({"GET", "k1"}), "(nil)");
  EXPECT_EQ(Str({"GET", "r1"}), "(nil)");
  EXPECT_EQ(Str({"SET", "r1", "v"}),
            "(error) NOPERM this user has no permissions to access one of the keys used as "
            "arguments");
  EXPECT_EQ(Str({"GET", "x"}),
            "(error) NOPERM this user has no permissions to access one of the keys used as "
            "arguments");
  EXPECT_EQ(Str({"DEL", "k1"}),
            "(error) NOPERM this user has no permissions to run the 'del' command");
  EXPECT_EQ(Str({"CONFIG", "SET", "a", "b"}),
            "(error) NOPERM this user has no permissions to run the 'config|set' command");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"SELECT", "1"}),
            "(error) NOPERM this user has no permissions to run the 'select' command");
  // Inside MULTI a refused command aborts the transaction.
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"GET", "x"}),
            "(error) NOPERM this user has no permissions to access one of the keys used as "
            "arguments");
  EXPECT_EQ(Str({"EXEC"}), "(error) EXECABORT Transaction discarded because of previous errors.");

  // Newest first; the same denial again bumps its entry.
  RespValue log = Log();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(LogField(0, "reason"), "key");
  EXPECT_EQ(LogField(0, "context"), "multi");
  EXPECT_EQ(LogField(0, "object"), "x");
  EXPECT_EQ(LogField(1, "reason"), "command");
  EXPECT_EQ(LogField(1, "object"), "select");
  EXPECT_EQ(LogField(2, "object"), "config|set");
  EXPECT_EQ(LogField(3, "object"), "del");
  EXPECT_EQ(LogField(4, "object"), "x");
  EXPECT_EQ(LogField(4, "context"), "toplevel");
  EXPECT_EQ(LogField(4, "count"), "1");
  EXPECT_EQ(LogField(4, "username"), "lim");
  EXPECT_NE(LogField(4, "client-info").find("cmd=get user=lim"), std::string::npos);
  EXPECT_EQ(LogField(5, "object"), "r1");
  EXPECT_EQ(Str({"DEL", "k1"}).substr(0, 14), "(error) NOPERM");
  EXPECT_EQ(LogField(0, "object"), "del");
  EXPECT_EQ(LogField(0, "count"), "2");
  As("default", "any");  // nopass: any password
  EXPECT_EQ(Run({"ACL", "LOG"}).size(), 6u);
  EXPECT_EQ(Run({"ACL", "LOG", "2"}).size(), 2u);
  EXPECT_EQ(Run({"ACL", "LOG", "-3"}).size(), 0u);
  EXPECT_EQ(Str({"ACL", "LOG", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ACL", "LOG", "RESET"}), "OK");
  EXPECT_EQ(Run({"ACL", "LOG"}).size(), 0u);
  // A failed AUTH is logged with the name tried.
  EXPECT_TRUE(Run({"auth", "ghost", "x"}).IsError());
  EXPECT_EQ(LogField(0, "reason"), "auth");
  EXPECT_EQ(LogField(0, "object"), "auth");
  EXPECT_EQ(LogField(0, "username"), "ghost");
}

TEST_F(AclTest, LogKeepsAcllogMaxLenEntries) {
  ASSERT_EQ(Str({"CONFIG", "SET", "acllog-max-len", "3"}), "OK");
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(Run({"AUTH", "user" + std::to_string(i), "x"}).IsError());
  }
  RespValue log = Run({"ACL", "LOG"});
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(LogField(0, "username"), "user5");
  EXPECT_EQ(LogField(2, "username"), "user3");
}

TEST_F(AclTest, ExecChecksTheRulesAgain) {
  ASSERT_EQ(Str({"ACL", "SETUSER", "t", "on", ">pw", "~*", "+get", "+set", "+multi", "+exec"}),
            "OK");
  As("t", "pw");
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"SET", "k", "v"}), "QUEUED");
  EXPECT_EQ(Str({"GET", "k"}), "QUEUED");
  // The default user changes t's rules (the harness client is t; the store is shared).
  cmd::Acl& acl = h_.server().dispatcher().acl();
  const std::string_view rule = "-set";
  ASSERT_TRUE(acl.SetUser("t", std::span(&rule, 1)).ok());
  EXPECT_EQ(Str({"EXEC"}),
            "[(error) NOPERM ACLs rules changed between the moment the transaction was "
            "accumulated and the EXEC call. This command is no longer allowed for the following "
            "reason: no permission to execute the command or subcommand, (nil)]");
  EXPECT_EQ(LogField(0, "context"), "multi");
  EXPECT_EQ(LogField(0, "object"), "set");
}

TEST_F(AclTest, SelectorsAllowWhatAnyOfThemAllows) {
  ASSERT_EQ(
      Str({"ACL", "SETUSER", "sel", "on", ">pw", "~a*", "+get", "(~b* +set)", "(%R~c* +@read)"}),
      "OK");
  As("sel", "pw");
  EXPECT_EQ(Str({"GET", "a1"}), "(nil)");
  EXPECT_EQ(Str({"SET", "b1", "v"}), "OK");
  EXPECT_EQ(Str({"GET", "c1"}), "(nil)");
  EXPECT_EQ(Str({"STRLEN", "c1"}), "0");
  // No selector allows SET on a*: the denial reported is the most relevant one (a key beats a
  // command).
  EXPECT_EQ(Str({"SET", "a1", "v"}),
            "(error) NOPERM this user has no permissions to access one of the keys used as "
            "arguments");
  EXPECT_EQ(Str({"DEL", "a1"}),
            "(error) NOPERM this user has no permissions to run the 'del' command");
}

TEST_F(AclTest, WhoamiCatGenpassHelpAndErrors) {
  EXPECT_EQ(Str({"ACL", "WHOAMI"}), "default");
  EXPECT_EQ(Str({"ACL", "WHOAMI", "x"}),
            "(error) ERR wrong number of arguments for 'acl|whoami' command");
  EXPECT_EQ(Run({"ACL", "CAT"}).size(), 21u);
  EXPECT_EQ(Run({"ACL", "CAT"})[0].str, "keyspace");
  EXPECT_EQ(Str({"ACL", "CAT", "transaction"}), "[multi, exec, discard, watch, unwatch]");
  EXPECT_EQ(Str({"ACL", "CAT", "nope"}), "(error) ERR Unknown category 'nope'");
  EXPECT_EQ(Str({"ACL", "CAT", "a", "b"}),
            "(error) ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL "
            "HELP.");
  EXPECT_EQ(Run({"ACL", "GENPASS"}).str.size(), 64u);
  EXPECT_EQ(Run({"ACL", "GENPASS", "1"}).str.size(), 1u);
  EXPECT_EQ(Run({"ACL", "GENPASS", "4096"}).str.size(), 1024u);
  EXPECT_NE(Run({"ACL", "GENPASS"}).str, Run({"ACL", "GENPASS"}).str);
  EXPECT_EQ(Run({"ACL", "GENPASS"}).str.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(Str({"ACL", "GENPASS", "0"}),
            "(error) ERR ACL GENPASS argument must be the number of bits for the output "
            "password, a positive number up to 4096");
  EXPECT_EQ(Str({"ACL", "GENPASS", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ACL", "NOPE"}), "(error) ERR unknown subcommand 'NOPE'. Try ACL HELP.");
  RespValue help = Run({"ACL", "HELP"});
  EXPECT_EQ(help[0].str, "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  EXPECT_EQ(help[help.size() - 1].str, "    Prints this help.");
  EXPECT_EQ(Str({"ACL", "LOAD"}).substr(0, 66),
            "(error) ERR This Redis instance is not configured to use an ACL fi");
  EXPECT_EQ(Str({"ACL", "SAVE"}), Str({"ACL", "LOAD"}));
}

TEST_F(AclTest, DeluserRemovesAndClosesItsClients) {
  EXPECT_EQ(Str({"ACL", "DELUSER", "default", "x"}),
            "(error) ERR The 'default' user cannot be removed");
  EXPECT_EQ(Str({"ACL", "SETUSER", "d1", "on", ">pw", "+@all", "~*"}), "OK");
  EXPECT_EQ(Str({"ACL", "SETUSER", "d2"}), "OK");
  EXPECT_EQ(Run({"ACL", "DELUSER", "d2", "nope"}).integer, 1);
  As("d1", "pw");
  EXPECT_EQ(Run({"ACL", "DELUSER", "d1"}).integer, 1);
  // The caller was d1: it is closed after this reply, back to the default user,
  // unauthenticated.
  EXPECT_TRUE(h_.client().close_after_reply);
  EXPECT_EQ(h_.client().user, h_.server().dispatcher().acl().default_user());
  EXPECT_FALSE(h_.client().authenticated);
  EXPECT_EQ(Str({"ACL", "USERS"}), "[default]");
}

TEST_F(AclTest, DryrunAnswersWithoutRunning) {
  ASSERT_EQ(Str({"ACL", "SETUSER", "dr", "on", "%R~r*", "%W~w*", "+get", "+set", "+config|get"}),
            "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "get", "r1"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "set", "w1", "v"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "set", "w1", "v", "GET"}),
            "This user has no permissions to access the 'w1' key");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "del", "r1"}),
            "This user has no permissions to run the 'del' command");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "config", "set", "a", "b"}),
            "This user has no permissions to run the 'config|set' command");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "config", "get", "a"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "nobody", "get", "k"}), "(error) ERR User 'nobody' not found");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "nocmd"}), "(error) ERR Command 'nocmd' not found");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "dr", "get"}),
            "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Str({"GET", "w1"}), "(nil)");  // nothing ran
}

TEST_F(AclTest, ClientListAndKillNameTheUser) {
  EXPECT_NE(Str({"CLIENT", "INFO"}).find("user=default"), std::string::npos);
  EXPECT_EQ(Str({"CLIENT", "KILL", "USER", "nope"}), "(error) ERR No such user 'nope'");
  EXPECT_EQ(Run({"CLIENT", "KILL", "USER", "default"}).integer, 0);  // in-process: no sockets
}

TEST_F(AclTest, CommandInfoCategoriesComeFromTheRows) {
  EXPECT_EQ(Run({"COMMAND", "INFO", "get"})[0][6].ToString(), "[@read, @string, @fast]");
  EXPECT_EQ(Run({"COMMAND", "INFO", "flushall"})[0][6].ToString(),
            "[@keyspace, @write, @slow, @dangerous]");
  EXPECT_EQ(Run({"COMMAND", "INFO", "acl|setuser"})[0][6].ToString(),
            "[@admin, @slow, @dangerous]");
  EXPECT_EQ(Run({"COMMAND", "INFO", "auth"})[0][6].ToString(), "[@fast, @connection]");
  EXPECT_EQ(Str({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "transaction"}),
            "[multi, exec, discard, watch, unwatch]");
}

TEST_F(AclTest, GetkeysUsesTheKeyFunctions) {
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            "[d, a, b]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "zunionstore", "d", "2abc", "a", "b"}), "[a, b, d]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "zunionstore", "d", "0", "a"}),
            "(error) ERR Invalid arguments specified for command");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "lmpop", "5", "a", "left"}),
            "(error) ERR Invalid arguments specified for command");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "bitop", "and", "d", "a", "b"}), "[d, a, b]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "mset", "a", "b", "c"}), "[a, c]");
  // The rows main's families added (answers as redis-server 7.0.15 gives them).
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "blmpop", "0", "2", "a", "b", "left"}), "[a, b]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "bzmpop", "0", "1", "a", "min"}), "[a]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "georadiusbymember", "k", "m", "3", "km", "storedist", "d",
                 "store", "e"}),
            "[k, e, d]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "georadius", "k", "1", "2", "3", "m", "store", "a",
                 "storedist", "b"}),
            "[k, a, b]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "geosearchstore", "d", "s", "frommember", "m", "byradius",
                 "1", "km"}),
            "[d, s]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "sort", "k", "store", "a", "by", "b", "store", "c"}),
            "[k, c]");
  EXPECT_EQ(
      Str({"COMMAND", "GETKEYS", "sort", "k", "limit", "0", "1", "store", "d", "get", "store"}),
      "[k, d]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "sort_ro", "k", "by", "x", "get", "y"}), "[k]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "pfmerge", "d", "s1", "s2"}), "[d, s1, s2]");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "pfmerge", "d"}),
            "(error) ERR Invalid arguments specified for command");
  // Shard channels are not keys (Redis's NOT_KEY key specs).
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "spublish", "ch", "m"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "ssubscribe", "a", "b"}),
            "(error) ERR The command has no key arguments");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "ping"}), "(error) ERR The command has no key arguments");
  EXPECT_EQ(Str({"COMMAND", "GETKEYS", "nosuch", "x"}), "(error) ERR Invalid command specified");
}

TEST_F(AclTest, ChannelPermissionsForPubSub) {
  ASSERT_EQ(Str({"ACL", "SETUSER", "ps", "on", ">pw", "~*", "+@all", "resetchannels", "&news.*",
                 "&chat"}),
            "OK");
  As("ps", "pw");
  const std::string denied =
      "(error) NOPERM this user has no permissions to access one of the channels used as "
      "arguments";
  // PUBLISH and SPUBLISH: the channel must match a pattern.
  EXPECT_EQ(Run({"PUBLISH", "news.today", "m"}).integer, 0);
  EXPECT_EQ(Run({"SPUBLISH", "chat", "m"}).integer, 0);
  EXPECT_EQ(Str({"PUBLISH", "sport", "m"}), denied);
  EXPECT_EQ(Str({"SPUBLISH", "news", "m"}), denied);
  // SUBSCRIBE: every channel must match, or none is subscribed.
  EXPECT_EQ(Str({"SUBSCRIBE", "chat", "sport"}), denied);
  EXPECT_FALSE(h_.client().subs.any());
  // PSUBSCRIBE: a pattern must equal an allowed pattern, even one it would only narrow.
  EXPECT_EQ(Str({"PSUBSCRIBE", "news.x*"}), denied);
  EXPECT_EQ(Str({"PSUBSCRIBE", "chat"}), "[psubscribe, chat, 1]");
  EXPECT_EQ(Str({"PUNSUBSCRIBE"}), "[punsubscribe, chat, 0]");
  // Unsubscribing and PUBSUB need no channel permission.
  EXPECT_EQ(Str({"UNSUBSCRIBE", "sport"}), "[unsubscribe, sport, 0]");
  EXPECT_EQ(Str({"SUNSUBSCRIBE", "sport"}), "[sunsubscribe, sport, 0]");
  EXPECT_EQ(Str({"PUBSUB", "NUMSUB", "sport"}), "[sport, 0]");
  EXPECT_EQ(Str({"SSUBSCRIBE", "nope"}), denied);
  // Shard channels are not keys: a user without keys may still use them.
  As("default", "x");
  ASSERT_EQ(Str({"ACL", "SETUSER", "nokeys", "on", ">pw", "+@all", "resetkeys", "&s*"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "nokeys", "spublish", "s1", "m"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "nokeys", "ssubscribe", "s1", "s2"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "nokeys", "ssubscribe", "s1", "x"}),
            "This user has no permissions to access the 'x' channel");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "ps", "psubscribe", "news.*", "chat*"}),
            "This user has no permissions to access the 'chat*' channel");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "ps", "subscribe", "news.a", "news.b"}), "OK");

  // The log: reason channel, the refused channel as object, newest first.
  EXPECT_EQ(LogField(0, "reason"), "channel");
  EXPECT_EQ(LogField(0, "object"), "nope");
  EXPECT_EQ(LogField(0, "username"), "ps");
  EXPECT_NE(LogField(0, "client-info").find("cmd=ssubscribe user=ps"), std::string::npos);
  EXPECT_EQ(LogField(1, "object"), "news.x*");
  EXPECT_EQ(LogField(2, "object"), "sport");  // SUBSCRIBE chat sport
  EXPECT_EQ(LogField(2, "context"), "toplevel");
  EXPECT_EQ(LogField(3, "object"), "news");
}

TEST_F(AclTest, ChannelRulesAndAclPubsubDefault) {
  // Redis 7.0: new users start without channels (acl-pubsub-default resetchannels).
  EXPECT_EQ(Str({"CONFIG", "GET", "acl-pubsub-default"}), "[acl-pubsub-default, resetchannels]");
  ASSERT_EQ(Str({"ACL", "SETUSER", "a", "on", "nopass", "+@all"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "a", "publish", "c", "m"}),
            "This user has no permissions to access the 'c' channel");
  ASSERT_EQ(Str({"CONFIG", "SET", "acl-pubsub-default", "allchannels"}), "OK");
  ASSERT_EQ(Str({"ACL", "SETUSER", "b", "on", "nopass", "+@all"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "b", "publish", "c", "m"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "b", "psubscribe", "any*"}), "OK");
  EXPECT_EQ(Str({"ACL", "SETUSER", "b", "&x"}),
            "(error) ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern "
            "(or the 'allchannels' flag) is not valid and does not have any effect. Try "
            "'resetchannels' to start with an empty list of channels");
  // New selectors start with allchannels too (as in Redis, a pattern after it is an error).
  EXPECT_EQ(Str({"ACL", "SETUSER", "a", "(&sel* +publish)"}).substr(0, 60),
            "(error) ERR Error in ACL SETUSER modifier '(&sel* +publish)'");
  // A selector's channels count too: allowed when any selector allows it.
  ASSERT_EQ(Str({"CONFIG", "SET", "acl-pubsub-default", "resetchannels"}), "OK");
  ASSERT_EQ(Str({"ACL", "SETUSER", "a", "(&sel* +publish)"}), "OK");
  EXPECT_EQ(Str({"ACL", "DRYRUN", "a", "publish", "sel1", "m"}), "OK");
}

TEST_F(AclTest, LosingChannelsClosesTheUsersSubscribers) {
  ASSERT_EQ(
      Str({"ACL", "SETUSER", "s", "on", ">pw", "~*", "+@all", "resetchannels", "&ch*", "&pat.*"}),
      "OK");
  As("s", "pw");
  h_.SetResp(3);  // a RESP3 subscriber may run other commands
  EXPECT_EQ(RunRaw({"SUBSCRIBE", "ch1"}).substr(0, 2), ">3");
  EXPECT_EQ(RunRaw({"PSUBSCRIBE", "pat.*"}).substr(0, 2), ">3");
  // Adding channels, or keeping every pattern it had, leaves it connected.
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "&more"}), "OK");
  EXPECT_FALSE(h_.client().close_after_reply);
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "resetchannels", "&ch*", "&pat.*"}), "OK");
  EXPECT_FALSE(h_.client().close_after_reply);
  // Losing a pattern it is not subscribed through still checks, and keeps it: ch1 still
  // matches ch*, and pat.* is still literally there.
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "resetchannels", "&ch*", "&pat.*", "&x"}), "OK");
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "resetchannels", "&ch*", "&pat.*"}), "OK");
  EXPECT_FALSE(h_.client().close_after_reply);
  // pat.* goes: the subscriber (here the caller) is closed after the reply.
  EXPECT_EQ(Str({"ACL", "SETUSER", "s", "resetchannels", "&ch*"}), "OK");
  EXPECT_TRUE(h_.client().close_after_reply);
}

TEST_F(AclTest, SortByAndGetNeedEveryKey) {
  ASSERT_EQ(Str({"RPUSH", "mylist", "2", "1"}), "2");
  ASSERT_EQ(Str({"ACL", "SETUSER", "srt", "on", ">pw", "+@all", "~mylist", "~v*"}), "OK");
  ASSERT_EQ(Str({"ACL", "SETUSER", "wr", "on", ">pw", "+@all", "~mylist", "%W~*"}), "OK");
  ASSERT_EQ(Str({"ACL", "SETUSER", "rd", "on", ">pw", "+@all", "%R~*", "%W~mylist"}), "OK");
  for (std::string_view user : {"srt", "wr"}) {
    As(user, "pw");
    EXPECT_EQ(Str({"SORT", "mylist", "BY", "v*"}),
              "(error) ERR BY option of SORT denied due to insufficient ACL permissions.");
    EXPECT_EQ(Str({"SORT", "mylist", "GET", "#"}),
              "(error) ERR GET option of SORT denied due to insufficient ACL permissions.");
    EXPECT_EQ(Str({"SORT_RO", "mylist", "GET", "v*"}),
              "(error) ERR GET option of SORT denied due to insufficient ACL permissions.");
    // BY without a '*' reads no other key.
    EXPECT_EQ(Str({"SORT", "mylist", "BY", "nosort"}), "[2, 1]");
  }
  As("rd", "pw");
  EXPECT_EQ(Str({"SORT", "mylist", "BY", "v*", "GET", "#"}), "[1, 2]");
  EXPECT_EQ(Str({"SORT", "mylist", "STORE", "other"}),
            "(error) NOPERM this user has no permissions to access one of the keys used as "
            "arguments");
}

TEST(AclAuthTest, RequirepassIsTheDefaultUsersPassword) {
  CommandHarness h("requirepass s3cret\n");
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(h.Run({"AUTH", "s3cret"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"ACL", "LIST"}).ToString(),
            "[user default on #" + cmd::HashToHex(cmd::HashPassword("s3cret")) + " ~* &* +@all]");
  // Setting requirepass to the text it has changes nothing (Redis applies a parameter only
  // when its value changes).
  EXPECT_EQ(h.Run({"ACL", "SETUSER", "default", "nopass"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "requirepass", "s3cret"}).ToString(), "OK");
  EXPECT_TRUE(h.server().dispatcher().acl().default_user()->nopass());
  EXPECT_EQ(h.Run({"CONFIG", "SET", "requirepass", "other"}).ToString(), "OK");
  EXPECT_TRUE(h.Run({"AUTH", "s3cret"}).IsError());
  EXPECT_EQ(h.Run({"AUTH", "default", "other"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "requirepass", ""}).ToString(), "OK");
  EXPECT_EQ(h.Run({"ACL", "LIST"}).ToString(), "[user default on nopass ~* &* +@all]");
  // With no password, an unauthenticated client may run commands again (Redis authRequired).
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "(nil)");
}

TEST(AclAuthTest, DefaultUserOffOrWithPasswordGatesEveryone) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"ACL", "SETUSER", "default", "resetpass", ">pw"}).ToString(), "OK");
  h.client().authenticated = false;  // as a new connection now
  EXPECT_EQ(h.Run({"PING"}).ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(h.Run({"HELLO", "3"}).ToString().substr(0, 19), "(error) NOAUTH HELL");
  RespValue r = h.Run({"HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n"});
  EXPECT_EQ(r.type, RespValue::Type::kMap);
  EXPECT_EQ(h.client().name, "n");
  EXPECT_EQ(h.Run({"HELLO", "3", "AUTH", "default", "bad"}).ToString(),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
}

TEST(AclConfigTest, UserLinesCreateUsersAndDefaultIsReset) {
  CommandHarness h(
      "requirepass ignored\n"
      "user alice on >a ~a:* +@read\n"
      "user default on nopass ~* +@all\n");
  EXPECT_EQ(h.Run({"ACL", "LIST"}).ToString(),
            "[user alice on #" + cmd::HashToHex(cmd::HashPassword("a")) +
                " ~a:* resetchannels -@all +@read, "
                "user default on nopass sanitize-payload ~* resetchannels +@all]");
}

TEST(AclConfigTest, UserLineErrorsAsRedis) {
  server::ServerConfig c;
  Status s = server::LoadConfigText("port 1\nuser x on badrule\n", c);
  EXPECT_EQ(s.message(),
            "Reading the configuration file, at line 2\n>>> 'user x on badrule'\n"
            "Error in user declaration 'x': Syntax error");
  s = server::LoadConfigText("user x on\nuser x off\n", c);
  EXPECT_EQ(s.message(),
            "Reading the configuration file, at line 2\n>>> 'user x off'\n"
            "Error in user declaration 'x': Duplicate user found. A user can only be defined "
            "once in config files");
  // An unknown command passes the config check and stops the start-up.
  server::ServerConfig unknown;
  ASSERT_TRUE(server::LoadConfigText("user x on +nocmd\n", unknown).ok());
  server::Server server(unknown, "");
  EXPECT_EQ(server.acl_status().message(), "Critical error while loading ACLs. Exiting.");
  // Users in the config and an ACL file do not go together.
  server::ServerConfig both;
  ASSERT_TRUE(server::LoadConfigText("user x on\naclfile /nonexistent\n", both).ok());
  server::Server server2(both, "");
  EXPECT_EQ(server2.acl_status().message().substr(0, 60),
            "Configuring Redis with users defined in redis.conf and at th");
}

class AclFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "mnemo_acl_test_" + std::to_string(::getpid()) + ".acl";
    Write("user default on nopass ~* &* +@all\nuser alice on >a ~a* +get\n");
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
  }
  std::string Read() {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string path_;
};

TEST_F(AclFileTest, LoadSaveRoundTrip) {
  CommandHarness h("aclfile " + path_ + "\n");
  EXPECT_EQ(h.Run({"ACL", "USERS"}).ToString(), "[alice, default]");
  EXPECT_EQ(h.Run({"ACL", "SETUSER", "bob", "on", ">b", "(~x +set)"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"ACL", "SAVE"}).ToString(), "OK");
  std::string listed;
  for (const RespValue& line : h.Run({"ACL", "LIST"}).elements) listed += line.str + "\n";
  EXPECT_EQ(Read(), listed);
  EXPECT_EQ(h.Run({"ACL", "DELUSER", "bob", "alice"}).integer, 2);
  EXPECT_EQ(h.Run({"ACL", "LOAD"}).ToString(), "OK");
  std::string again;
  for (const RespValue& line : h.Run({"ACL", "LIST"}).elements) again += line.str + "\n";
  EXPECT_EQ(again, listed);
}

TEST_F(AclFileTest, BadFileChangesNothing) {
  CommandHarness h("aclfile " + path_ + "\n");
  const std::string before = h.Run({"ACL", "LIST"}).ToString();
  Write(
      "user default on nopass ~* &* +@all\nuser x on >secret bogus #zz\n\nuser y (~a\n"
      "user y on\nfoo\n");
  EXPECT_EQ(h.Run({"ACL", "LOAD"}).ToString(),
            "(error) ERR " + path_ + ":2: Syntax error. " + path_ +
                ":4: Unmatched parenthesis in selector definition.WARNING: Duplicate user 'y' "
                "found on line 5. " +
                path_ +
                ":6 should start with user keyword followed by the username. WARNING: ACL "
                "errors detected, no change to the previously active ACL rules was performed");
  EXPECT_EQ(h.Run({"ACL", "LIST"}).ToString(), before);
  std::remove(path_.c_str());
  EXPECT_EQ(h.Run({"ACL", "LOAD"}).ToString(), "(error) ERR Error loading ACLs, opening file '" +
                                                   path_ + "': No such file or directory");
  // A file without a default user gives it the built-in rules.
  Write("user z on nopass\n");
  EXPECT_EQ(h.Run({"ACL", "LOAD"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"ACL", "LIST"}).ToString(),
            "[user default on nopass ~* &* +@all, user z on nopass resetchannels -@all]");
}

}  // namespace
}  // namespace mnemo::test

// connection_test.cc: PING ECHO QUIT SELECT AUTH HELLO CLIENT through the dispatcher (tests/cmd).
#include <gtest/gtest.h>

#include "command_harness.h"

namespace mnemo::test {
namespace {

class ConnectionTest : public CommandTest {};

TEST_F(ConnectionTest, PingAndEcho) {
  EXPECT_EQ(RunRaw({"PING"}), "+PONG\r\n");
  EXPECT_EQ(RunRaw({"PING", "hello"}), "$5\r\nhello\r\n");
  EXPECT_EQ(Str({"PING", "a", "b"}), "(error) ERR wrong number of arguments for 'ping' command");
  EXPECT_EQ(RunRaw({"ECHO", "x y"}), "$3\r\nx y\r\n");
  EXPECT_EQ(Str({"ECHO"}), "(error) ERR wrong number of arguments for 'echo' command");
}

TEST_F(ConnectionTest, UnknownCommandAndSubcommandTexts) {
  EXPECT_EQ(Str({"FOO", "a", "b"}),
            "(error) ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(Str({"FOO"}), "(error) ERR unknown command 'FOO', with args beginning with: ");
  EXPECT_EQ(Str({"CLIENT", "NOPE"}), "(error) ERR unknown subcommand 'NOPE'. Try CLIENT HELP.");
  EXPECT_EQ(Str({"CLIENT"}), "(error) ERR wrong number of arguments for 'client' command");
  EXPECT_EQ(Str({"CLIENT", "ID", "x"}),
            "(error) ERR wrong number of arguments for 'client|id' command");
}

TEST_F(ConnectionTest, SelectChangesDatabase) {
  EXPECT_EQ(Str({"SET", "k", "zero"}), "OK");
  EXPECT_EQ(Str({"SELECT", "3"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "(nil)");
  EXPECT_EQ(Str({"SELECT", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"SELECT", "-1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"SELECT", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "zero");
}

TEST_F(ConnectionTest, QuitClosesAfterReply) {
  EXPECT_EQ(Str({"QUIT"}), "OK");
  EXPECT_TRUE(h_.client().close_after_reply);
}

TEST_F(ConnectionTest, HelloNegotiatesProtocol) {
  RespValue r = Run({"HELLO", "3"});
  ASSERT_EQ(r.type, RespValue::Type::kMap);
  EXPECT_EQ(r[0].str, "server");
  EXPECT_EQ(r[5].integer, 3);                      // proto
  EXPECT_EQ(RunRaw({"GET", "missing"}), "_\r\n");  // RESP3 null
  EXPECT_EQ(Str({"HELLO", "4"}), "(error) NOPROTO unsupported protocol version");
  EXPECT_EQ(Str({"HELLO", "x"}), "(error) ERR Protocol version is not an integer or out of range");
  r = Run({"HELLO", "2", "SETNAME", "me"});
  ASSERT_EQ(r.type, RespValue::Type::kArray);  // maps are flat arrays in RESP2
  EXPECT_EQ(Str({"CLIENT", "GETNAME"}), "me");
  EXPECT_EQ(RunRaw({"GET", "missing"}), "$-1\r\n");
}

TEST_F(ConnectionTest, ClientNameAndInfo) {
  EXPECT_EQ(Str({"CLIENT", "GETNAME"}), "(nil)");
  EXPECT_EQ(Str({"CLIENT", "SETNAME", "a b"}),
            "(error) ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(Str({"CLIENT", "SETNAME", "worker-1"}), "OK");
  EXPECT_EQ(Str({"CLIENT", "GETNAME"}), "worker-1");
  EXPECT_EQ(Run({"CLIENT", "ID"}).integer, 1);
  EXPECT_EQ(Str({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "OK");
  EXPECT_EQ(Str({"CLIENT", "SETINFO", "LIB-VER", "4.3.4"}), "OK");
  EXPECT_EQ(Str({"CLIENT", "SETINFO", "FOO", "x"}), "(error) ERR Unrecognized option 'FOO'");
  EXPECT_EQ(Str({"CLIENT", "NO-EVICT", "on"}), "OK");
  EXPECT_TRUE(h_.client().no_evict);
  EXPECT_EQ(Str({"CLIENT", "NO-EVICT", "maybe"}), "(error) ERR syntax error");
}

TEST(ConnectionAuthTest, RequirePassGatesCommands) {
  CommandHarness h("requirepass s3cret\n");
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(h.Run({"AUTH", "wrong"}).ToString(),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(h.Run({"AUTH", "default", "wrong"}).ToString(),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(h.Run({"AUTH", "s3cret"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "(nil)");
}

TEST(ConnectionAuthTest, AuthWithoutPasswordConfigured) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"AUTH", "x"}).ToString(),
            "(error) ERR AUTH <password> called without any password configured for the default "
            "user. Are you sure your configuration is correct?");
  EXPECT_EQ(h.Run({"AUTH", "default", "anything"}).ToString(), "OK");
}

TEST(ConnectionAuthTest, HelloAuthenticates) {
  CommandHarness h("requirepass pw\n");
  EXPECT_TRUE(h.Run({"HELLO", "3"}).IsError());
  RespValue r = h.Run({"HELLO", "3", "AUTH", "default", "pw"});
  EXPECT_EQ(r.type, RespValue::Type::kMap);
  EXPECT_TRUE(h.client().authenticated);
}

}  // namespace
}  // namespace mnemo::test

// replication_test.cc: WAIT through the dispatcher, without replicas (tests/cmd).
#include <gtest/gtest.h>

#include "command_harness.h"
#include "mnemo/base/clock.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::test {
namespace {

class FakeLink : public cmd::ClientLink {
 public:
  protocol::ReplyBuilder& Output() override { return out; }
  void OutputAdded() override {}
  void Suspend(bool) override { suspended = true; }
  void Resume() override { suspended = false; }
  void SetPubSubClass(bool) override {}
  void CloseAsap() override {}
  std::string_view PeerAddress() const override { return "127.0.0.1:1"; }
  bool unix_socket() const override { return false; }
  protocol::ReplyBuilder out;
  bool suspended = false;
};

class WaitTest : public CommandTest {};

TEST_F(WaitTest, ArgumentsAndImmediateAnswers) {
  EXPECT_EQ(Str({"WAIT", "0", "0"}), "0");
  EXPECT_EQ(Str({"WAIT", "-1", "100"}), "0");
  EXPECT_EQ(Str({"WAIT", "x", "0"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"WAIT", "1", "x"}), "(error) ERR timeout is not an integer or out of range");
  EXPECT_EQ(Str({"WAIT", "1", "-1"}), "(error) ERR timeout is negative");
  EXPECT_EQ(Str({"WAIT", "1", "9223372036854775807"}), "(error) ERR timeout is out of range");
  EXPECT_EQ(Str({"WAIT", "1"}), "(error) ERR wrong number of arguments for 'wait' command");
  // A client that may not block (no connection here; inside EXEC) answers at once.
  EXPECT_EQ(Str({"WAIT", "1", "0"}), "0");
}

TEST_F(WaitTest, BlocksUntilTimeout) {
  FakeLink link;
  h_.client().link = &link;
  cmd::Dispatcher& d = h_.server().dispatcher();
  const int64_t start = UnixTimeMs();
  EXPECT_EQ(RunRaw({"WAIT", "1", "200"}), "");  // blocked: no reply yet
  EXPECT_TRUE(h_.client().blocked.active);
  EXPECT_TRUE(link.suspended);
  EXPECT_EQ(d.blocking().blocked_clients(), 1u);
  const int64_t deadline = d.blocking().NextDeadline();
  EXPECT_GE(deadline, start + 200);
  EXPECT_LE(deadline, UnixTimeMs() + 200);
  d.ExpireBlocked(deadline - 1);
  EXPECT_TRUE(h_.client().blocked.active);
  d.ExpireBlocked(deadline);
  EXPECT_EQ(link.out.buffer(), ":0\r\n");
  EXPECT_FALSE(h_.client().blocked.active);
  EXPECT_FALSE(h_.client().blocked.timed_out);
  EXPECT_FALSE(link.suspended);
  EXPECT_EQ(d.blocking().blocked_clients(), 0u);

  // Timeout 0 waits for ever: CLIENT UNBLOCK ends it, with the count or with the error.
  link.out.buffer().clear();
  EXPECT_EQ(RunRaw({"WAIT", "2", "0"}), "");
  EXPECT_EQ(d.blocking().NextDeadline(), 0);
  EXPECT_TRUE(d.Unblock(h_.client(), false));
  EXPECT_EQ(link.out.buffer(), ":0\r\n");
  link.out.buffer().clear();
  EXPECT_EQ(RunRaw({"WAIT", "2", "0"}), "");
  EXPECT_TRUE(d.Unblock(h_.client(), true));
  EXPECT_EQ(link.out.buffer(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");

  // Inside MULTI it answers at EXEC without blocking.
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"WAIT", "1", "0"}), "QUEUED");
  EXPECT_EQ(Str({"EXEC"}), "[0]");
  EXPECT_FALSE(h_.client().blocked.active);
  h_.client().link = nullptr;
}

}  // namespace
}  // namespace mnemo::test

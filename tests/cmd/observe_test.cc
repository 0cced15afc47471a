// observe_test.cc: MONITOR, SLOWLOG and LATENCY through the dispatcher (tests/cmd).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/clock.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/cmd/slowlog.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::test {
namespace {

// A connection as the command layer sees it: output collected in a buffer.
class FakeLink : public cmd::ClientLink {
 public:
  explicit FakeLink(std::string addr, bool unix_socket = false)
      : addr_(std::move(addr)), unix_(unix_socket) {}
  protocol::ReplyBuilder& Output() override { return out_; }
  void OutputAdded() override { ++flushes; }
  void Suspend(bool) override { suspended = true; }
  void Resume() override { suspended = false; }
  void SetPubSubClass(bool) override {}
  void CloseAsap() override {}
  std::string_view PeerAddress() const override { return addr_; }
  bool unix_socket() const override { return unix_; }

  // The output so far, emptied.
  std::string Take() {
    std::string s;
    s.swap(out_.buffer());
    return s;
  }
  bool suspended = false;
  int flushes = 0;

 private:
  protocol::ReplyBuilder out_;
  std::string addr_;
  bool unix_;
};

// Strips the "+<seconds>.<micros> " of every monitor line, checking its form.
std::vector<std::string> MonitorLines(const std::string& raw) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t end = raw.find("\r\n", pos);
    EXPECT_NE(end, std::string::npos);
    std::string line = raw.substr(pos, end - pos);
    pos = end + 2;
    EXPECT_EQ(line[0], '+') << line;
    const size_t dot = line.find('.');
    const size_t space = line.find(' ');
    EXPECT_EQ(space - dot, 7u) << line;  // six digits of microseconds
    lines.push_back(line.substr(space + 1));
  }
  return lines;
}

class ObserveTest : public CommandTest {
 protected:
  // Runs a command as another client `c` (with its own reply builder).
  std::string RunAs(cmd::Client& c, std::vector<std::string> argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    protocol::ReplyBuilder reply;
    h_.server().dispatcher().Execute(c, views, reply);
    return reply.buffer();
  }
};

TEST_F(ObserveTest, MonitorLinesAsRedis) {
  FakeLink mlink("127.0.0.1:40000");
  cmd::Client mon;
  mon.id = 7;
  mon.link = &mlink;
  EXPECT_EQ(RunAs(mon, {"MONITOR"}), "+OK\r\n");
  EXPECT_TRUE(mon.monitor);
  EXPECT_EQ(RunAs(mon, {"MONITOR"}), "");  // a second MONITOR is ignored without a reply

  FakeLink alink("127.0.0.1:5555");
  h_.client().link = &alink;
  EXPECT_EQ(Str({"SET", "k", "a b\x01\"\n"}), "OK");
  EXPECT_EQ(Str({"SELECT", "3"}), "OK");
  EXPECT_EQ(Str({"GET"}), "(error) ERR wrong number of arguments for 'get' command");  // unseen
  EXPECT_EQ(Str({"NOSUCH"}).substr(0, 24), "(error) ERR unknown comm");                // unseen
  EXPECT_EQ(Str({"CONFIG", "GET", "maxmemory"}).empty(), false);  // admin: unseen
  EXPECT_EQ(Str({"AUTH", "secret"}).substr(0, 7), "(error)");     // redacted even when failing
  Str({"HELLO", "2", "AUTH", "default", "pw", "SETNAME", "x"});
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"INCR", "n"}), "QUEUED");
  Run({"EXEC"});
  h_.client().link = nullptr;

  const std::vector<std::string> want = {
      R"m([0 127.0.0.1:5555] "SET" "k" "a b\x01\"\n")m",
      R"m([3 127.0.0.1:5555] "SELECT" "3")m",
      R"m([3 127.0.0.1:5555] "AUTH" "(redacted)")m",
      R"m([3 127.0.0.1:5555] "HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "x")m",
      R"m([3 127.0.0.1:5555] "MULTI")m",
      R"m([3 127.0.0.1:5555] "INCR" "n")m",
      R"m([3 127.0.0.1:5555] "EXEC")m",
  };
  EXPECT_EQ(MonitorLines(mlink.Take()), want);

  // A unix socket client reads "unix:<path>".
  FakeLink ulink("/tmp/mnemo.sock:0", true);
  cmd::Client u;
  u.id = 8;
  u.link = &ulink;
  RunAs(u, {"PING"});
  EXPECT_EQ(MonitorLines(mlink.Take()),
            std::vector<std::string>{R"m([0 unix:/tmp/mnemo.sock] "PING")m"});
}

TEST_F(ObserveTest, MonitorRefusesKeyspaceAndEndsWithReset) {
  FakeLink mlink("127.0.0.1:40000");
  cmd::Client mon;
  mon.link = &mlink;
  RunAs(mon, {"MONITOR"});
  mlink.Take();
  EXPECT_EQ(RunAs(mon, {"GET", "k"}), "-ERR Replica can't interact with the keyspace\r\n");
  EXPECT_EQ(RunAs(mon, {"SET", "k", "v"}), "-ERR Replica can't interact with the keyspace\r\n");
  EXPECT_EQ(RunAs(mon, {"PING"}), "+PONG\r\n");
  EXPECT_EQ(h_.server().dispatcher().monitors().size(), 1u);
  EXPECT_EQ(RunAs(mon, {"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(mon.monitor);
  EXPECT_TRUE(h_.server().dispatcher().monitors().empty());
  EXPECT_EQ(RunAs(mon, {"GET", "k"}), "$-1\r\n");
  // The monitor saw its own PING; then nothing (RESET ended it before its line was fed).
  EXPECT_EQ(MonitorLines(mlink.Take()),
            std::vector<std::string>{R"m([0 127.0.0.1:40000] "PING")m"});
}

TEST_F(ObserveTest, MonitorNotAllowedInsideExec) {
  FakeLink link("127.0.0.1:1");
  h_.client().link = &link;
  EXPECT_EQ(Str({"MULTI"}), "OK");
  EXPECT_EQ(Str({"MONITOR"}), "QUEUED");
  EXPECT_EQ(Str({"EXEC"}), "[(error) ERR MONITOR isn't allowed for DENY BLOCKING client]");
  EXPECT_FALSE(h_.client().monitor);
  h_.client().link = nullptr;
}

TEST_F(ObserveTest, SlowlogEntriesAndTrimming) {
  EXPECT_EQ(Str({"SLOWLOG", "LEN"}), "0");
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "OK");
  // The CONFIG SET itself is the first entry.
  EXPECT_EQ(Str({"SLOWLOG", "LEN"}), "1");
  FakeLink link("10.0.0.1:1234");
  h_.client().link = &link;
  h_.client().name = "worker";
  std::vector<std::string> big = {"RPUSH", "l"};
  for (int i = 0; i < 40; ++i) big.push_back(std::to_string(i));
  big[5] = std::string(300, 'x');
  Run(big);
  Str({"AUTH", "u", "p"});
  RespValue got = Run({"SLOWLOG", "GET", "2"});
  ASSERT_EQ(got.size(), 2u);
  // Newest first: AUTH (redacted), then RPUSH.
  const RespValue& auth = got[0];
  ASSERT_EQ(auth.size(), 6u);
  EXPECT_EQ(auth[3].ToString(), "[AUTH, (redacted), (redacted)]");
  EXPECT_EQ(auth[4].str, "10.0.0.1:1234");
  EXPECT_EQ(auth[5].str, "worker");
  const RespValue& e = got[1];
  EXPECT_EQ(e[0].integer + 1, auth[0].integer);  // ids grow by one
  EXPECT_NEAR(static_cast<double>(e[1].integer), static_cast<double>(UnixTimeMs() / 1000), 2);
  EXPECT_GE(e[2].integer, 0);
  ASSERT_EQ(e[3].size(), 32u);  // 31 arguments and "... (N more arguments)"
  EXPECT_EQ(e[3][0].str, "RPUSH");
  EXPECT_EQ(e[3][5].str, std::string(128, 'x') + "... (172 more bytes)");
  EXPECT_EQ(e[3][30].str, "28");
  EXPECT_EQ(e[3][31].str, "... (11 more arguments)");

  // SLOWLOG commands are admin: logged too (Redis logs them), but -1 reads all.
  const int64_t len = Run({"SLOWLOG", "LEN"}).integer;
  // GET -1 reads all of them, the LEN just run included.
  EXPECT_EQ(static_cast<int64_t>(Run({"SLOWLOG", "GET", "-1"}).size()), len + 1);
  EXPECT_EQ(Str({"SLOWLOG", "GET", "-2"}),
            "(error) ERR count should be greater than or equal to -1");
  EXPECT_EQ(Str({"SLOWLOG", "GET", "x"}),
            "(error) ERR count should be greater than or equal to -1");
  EXPECT_EQ(Str({"SLOWLOG", "GET", "1", "2"}),
            "(error) ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG "
            "HELP.");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "0"}).size(), 0u);

  // slowlog-max-len applies at the next entry.
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-max-len", "3"}), "OK");
  for (int i = 0; i < 5; ++i) Str({"PING"});
  EXPECT_EQ(Str({"SLOWLOG", "LEN"}), "3");
  const int64_t last_id = Run({"SLOWLOG", "GET", "1"})[0][0].integer;
  EXPECT_EQ(Str({"SLOWLOG", "RESET"}), "OK");
  EXPECT_EQ(Str({"SLOWLOG", "LEN"}), "1");                    // the RESET itself
  EXPECT_GT(Run({"SLOWLOG", "GET"})[0][0].integer, last_id);  // ids are not reused
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "OK");
  Str({"SLOWLOG", "RESET"});
  Str({"PING"});
  EXPECT_EQ(Str({"SLOWLOG", "LEN"}), "0");
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-log-slower-than", "-2"}).substr(0, 7), "(error)");
  h_.client().link = nullptr;
}

TEST_F(ObserveTest, SlowlogMemoryIsCountedAndFreed) {
  cmd::Dispatcher& d = h_.server().dispatcher();
  const size_t before = d.ObservabilityBytes();
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "OK");
  std::vector<std::string> cmd = {"ECHO", std::string(1000, 'v')};
  for (int i = 0; i < 100; ++i) Run(cmd);
  const size_t full = d.ObservabilityBytes();
  // 100 entries of at least a 128-byte argument and its note.
  EXPECT_GT(full, before + 100 * 128);
  EXPECT_LT(full, before + 100 * 1024);
  EXPECT_EQ(Str({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "OK");
  EXPECT_EQ(Str({"SLOWLOG", "RESET"}), "OK");
  EXPECT_EQ(d.ObservabilityBytes(), before);
}

TEST(ObserveLatencyTest, LatencyEventsFromSlowCommands) {
  CommandHarness h("enable-debug-command yes");
  auto Str = [&h](std::initializer_list<std::string_view> argv) { return h.Run(argv).ToString(); };
  auto Run = [&h](std::initializer_list<std::string_view> argv) { return h.Run(argv); };
  EXPECT_EQ(Str({"LATENCY", "LATEST"}), "[]");
  Str({"DEBUG", "SLEEP", "0.02"});
  EXPECT_EQ(Str({"LATENCY", "LATEST"}), "[]");  // off by default
  EXPECT_EQ(Str({"CONFIG", "SET", "latency-monitor-threshold", "5"}), "OK");
  Str({"DEBUG", "SLEEP", "0.02"});
  RespValue latest = Run({"LATENCY", "LATEST"});
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0][0].str, "command");
  EXPECT_NEAR(static_cast<double>(latest[0][1].integer), static_cast<double>(UnixTimeMs() / 1000),
              2);
  EXPECT_GE(latest[0][2].integer, 20);
  EXPECT_EQ(latest[0][3].integer, latest[0][2].integer);
  RespValue history = Run({"LATENCY", "HISTORY", "command"});
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0][0].integer, latest[0][1].integer);
  EXPECT_EQ(Str({"LATENCY", "HISTORY", "nope"}), "[]");

  const std::string graph = Run({"LATENCY", "GRAPH", "command"}).str;
  EXPECT_EQ(graph.rfind("command - high ", 0), 0u) << graph;
  EXPECT_NE(graph.find("\n" + std::string(80, '-') + "\n"), std::string::npos);
  // One sample is its own minimum: a '_' at the bottom of 4 rows, then its label.
  EXPECT_NE(graph.find(std::string(80, '-') + "\n \n \n \n_\n \n"), std::string::npos) << graph;
  EXPECT_EQ(Str({"LATENCY", "GRAPH", "nope"}), "(error) ERR No samples available for event 'nope'");
  EXPECT_NE(Run({"LATENCY", "DOCTOR"}).str.find("command"), std::string::npos);

  EXPECT_EQ(Str({"LATENCY", "RESET", "nope"}), "0");
  EXPECT_EQ(Str({"LATENCY", "RESET", "command", "nope"}), "1");
  EXPECT_EQ(Str({"LATENCY", "LATEST"}), "[]");
  EXPECT_NE(Run({"LATENCY", "DOCTOR"}).str.find("No latency spike"), std::string::npos);
  EXPECT_EQ(Str({"LATENCY", "RESET"}), "0");
  EXPECT_EQ(Str({"LATENCY"}), "(error) ERR wrong number of arguments for 'latency' command");
  EXPECT_EQ(Str({"LATENCY", "GRAPH"}),
            "(error) ERR wrong number of arguments for 'latency|graph' command");
}

TEST(ObserveHistogramTest, HistogramShape) {
  CommandHarness h("latency-tracking yes");
  h.Run({"SET", "k", "v"});
  h.Run({"SET", "k", "v"});
  h.Run({"CONFIG", "GET", "maxmemory"});
  RespValue r = h.Run({"LATENCY", "HISTOGRAM", "set", "config|get", "nosuch"});
  ASSERT_EQ(r.size(), 4u) << r.ToString();  // two commands, as a flat map
  EXPECT_EQ(r[0].str, "set");
  EXPECT_EQ(r[1][0].str, "calls");
  EXPECT_EQ(r[1][1].integer, 2);
  EXPECT_EQ(r[1][2].str, "histogram_usec");
  const RespValue& buckets = r[1][3];
  ASSERT_GE(buckets.size(), 2u);
  // Keys grow, counts are cumulative and end at the number of calls.
  for (size_t i = 2; i < buckets.size(); i += 2) {
    EXPECT_GT(buckets[i].integer, buckets[i - 2].integer);
    EXPECT_GT(buckets[i + 1].integer, buckets[i - 1].integer);
  }
  EXPECT_EQ(buckets[buckets.size() - 1].integer, 2);
  EXPECT_EQ(r[2].str, "config|get");
  // "config" names its subcommands; every command with a histogram without arguments.
  EXPECT_EQ(h.Run({"LATENCY", "HISTOGRAM", "config"}).size(), 2u);
  EXPECT_GE(h.Run({"LATENCY", "HISTOGRAM"}).size(), 6u);
  h.Run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(h.Run({"LATENCY", "HISTOGRAM", "set"}).size(), 0u);
}

}  // namespace
}  // namespace mnemo::test

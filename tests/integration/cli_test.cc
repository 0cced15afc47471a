// cli_test.cc: the real server driven by redis-cli (printed output and exit codes) and
// redis-benchmark (tests/integration).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

TEST(CliTest, PingPrintsPong) {
  ServerProcess s;
  int code = -1;
  EXPECT_EQ(s.Cli({"ping"}, &code), "PONG\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"ping", "hello there"}, &code), "hello there\n");
  EXPECT_EQ(code, 0);
}

TEST(CliTest, SetGetRoundTrip) {
  ServerProcess s;
  int code = -1;
  EXPECT_EQ(s.Cli({"set", "greeting", "hello world"}, &code), "OK\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"get", "greeting"}, &code), "hello world\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"get", "missing"}, &code), "\n");  // nil prints as an empty line
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"incrby", "n", "41"}, &code), "41\n");
  EXPECT_EQ(s.Cli({"mget", "greeting", "missing", "n"}, &code), "hello world\n\n41\n");
  EXPECT_EQ(s.Command({"GET", "greeting"}).ToString(), "hello world");
}

TEST(CliTest, ErrorReplies) {
  ServerProcess s;
  int code = -1;
  EXPECT_EQ(s.Cli({"set", "notanumber-key-holding-text", "some text"}, &code), "OK\n");
  // redis-cli 7.0 (Debian 12) prints the error, then an empty line, and exits 0 for an error
  // reply (checked against redis-server 7.0.15); only connection failures exit 1.
  EXPECT_EQ(s.Cli({"incr", "notanumber-key-holding-text"}, &code),
            "ERR value is not an integer or out of range\n\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"nosuchcommand", "x"}, &code),
            "ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Cli({"get"}, &code), "ERR wrong number of arguments for 'get' command\n\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Command({"GET", "notanumber-key-holding-text"}).ToString(), "some text");
}

TEST(CliTest, PipeMassInsertion) {
  ServerProcess s;
  std::string input;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "mass:" + std::to_string(i);
    const std::string value = "v" + std::to_string(i * 7);
    input += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
             std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  int code = -1;
  const std::string out = s.Cli({"--pipe"}, &code, input);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("errors: 0, replies: 10000"), std::string::npos) << out;
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 10000);
  EXPECT_EQ(s.Command({"GET", "mass:9999"}).ToString(), "v69993");
  // With errors in the stream, --pipe counts them and exits 1.
  const std::string bad = "*2\r\n$4\r\nINCR\r\n$6\r\nmass:1\r\n*1\r\n$4\r\nPING\r\n";
  const std::string out2 = s.Cli({"--pipe"}, &code, bad);
  EXPECT_NE(out2.find("errors: 1, replies: 2"), std::string::npos) << out2;
  EXPECT_EQ(code, 1);
}

TEST(CliTest, RepeatOption) {
  ServerProcess s;
  int code = -1;
  EXPECT_EQ(s.Cli({"-r", "3", "incr", "c"}, &code), "1\n2\n3\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(s.Command({"GET", "c"}).ToString(), "3");
}

TEST(CliTest, InfoMemory) {
  ServerProcess s;
  int code = -1;
  const std::string out = s.Cli({"info", "memory"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("# Memory\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\nused_memory:"), std::string::npos) << out;
  EXPECT_NE(out.find("\nused_memory_human:"), std::string::npos) << out;
  EXPECT_EQ(out.find("# Server"), std::string::npos) << out;
}

TEST(CliTest, CommandsFromStdin) {
  // redis-cli without a command reads one per line from its (non-terminal) input.
  ServerProcess s;
  int code = -1;
  const std::string out = s.Cli({}, &code,
                                "set foo bar\n"
                                "get foo\n"
                                "incr foo\n"
                                "append_is_unknown x\n"
                                "set \"with space\" 'quoted value'\n"
                                "get \"with space\"\n"
                                "dbsize\n"
                                "ping\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out,
            "OK\n"
            "bar\n"
            "ERR value is not an integer or out of range\n\n"
            "ERR unknown command 'append_is_unknown', with args beginning with: 'x' \n\n"
            "OK\n"
            "quoted value\n"
            "2\n"
            "PONG\n");
}

// Runs redis-benchmark against `s`; checks that every test reports its rate and that nothing
// went wrong, and returns the output.
std::string Benchmark(ServerProcess& s, std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      "redis-benchmark",   "-h", "127.0.0.1", "-p", std::to_string(s.port()), "-q", "-t",
      "set,get,incr,mset", "-n", "20000"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  int code = -1;
  const std::string out = RunProgram(argv, &code, "", 120000);
  EXPECT_EQ(code, 0) << out;
  // -q prints progress lines ended by '\r' and one final line per test.
  for (const char* test : {"SET: ", "GET: ", "INCR: ", "MSET (10 keys): "}) {
    bool found = false;
    size_t pos = 0;
    while (!found && (pos = out.find(test, pos)) != std::string::npos) {
      const size_t end = out.find_first_of("\r\n", pos);
      found = out.substr(pos, end - pos).find("requests per second") != std::string::npos;
      pos += 1;
    }
    EXPECT_TRUE(found) << test << " has no rate in:\n" << out;
  }
  EXPECT_EQ(out.find("ERR"), std::string::npos) << out;
  EXPECT_EQ(out.find("Error"), std::string::npos) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;  // e.g. CONFIG GET failing
  return out;
}

TEST(CliTest, Benchmark) {
  ServerProcess s;
  Benchmark(s, {});
  // The commands really reached this server: 20,000 of each (more for SET: none).
  const std::string stats = s.Command({"INFO", "commandstats"}).str;
  EXPECT_NE(stats.find("cmdstat_set:calls=20000,"), std::string::npos) << stats;
  EXPECT_NE(stats.find("cmdstat_get:calls=20000,"), std::string::npos) << stats;
  EXPECT_NE(stats.find("cmdstat_incr:calls=20000,"), std::string::npos) << stats;
  EXPECT_NE(stats.find("cmdstat_mset:calls=20000,"), std::string::npos) << stats;
  EXPECT_EQ(s.Command({"GET", "counter:__rand_int__"}).ToString(), "20000");
}

TEST(CliTest, BenchmarkPipelined) {
  ServerProcess s;
  Benchmark(s, {"-P", "16"});
  EXPECT_EQ(s.Command({"GET", "counter:__rand_int__"}).ToString(), "20000");
  EXPECT_EQ(s.InfoInt("total_error_replies"), 0);
}

}  // namespace
}  // namespace mnemo::test

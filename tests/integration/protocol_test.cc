// protocol_test.cc: RESP on a real socket: a 100,000-command pipeline in one buffer, inline
// commands, HELLO 3, and requests split at every byte (tests/integration).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%08d", i);
  return buf;
}

TEST(ProtocolTest, HundredThousandCommandsInOneWrite) {
  ServerProcess s;
  // Three kinds of command in rotation, each reply checkable: SET key:i, GET of the key set just
  // before, INCR of a counter whose value proves the order of execution.
  constexpr int kCommands = 100000;
  std::string buffer;
  buffer.reserve(kCommands * 40);
  for (int i = 0; i < kCommands; ++i) {
    switch (i % 3) {
      case 0:
        buffer += EncodeRequest({"SET", Key(i), "value:" + std::to_string(i)});
        break;
      case 1:
        buffer += EncodeRequest({"GET", Key(i - 1)});
        break;
      default:
        buffer += EncodeRequest({"INCR", "counter"});
        break;
    }
  }
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  ASSERT_TRUE(sock.SendAll(buffer));
  const std::vector<RespValue> replies = sock.ReadReplies(kCommands, 60000);
  ASSERT_EQ(replies.size(), static_cast<size_t>(kCommands));
  int64_t counter = 0;
  int bad = 0;
  for (int i = 0; i < kCommands; ++i) {
    const RespValue& r = replies[i];
    bool ok = false;
    switch (i % 3) {
      case 0:
        ok = r.type == RespValue::Type::kSimple && r.str == "OK";
        break;
      case 1:
        ok = r.type == RespValue::Type::kBulk && r.str == "value:" + std::to_string(i - 1);
        break;
      default:
        ok = r.type == RespValue::Type::kInteger && r.integer == ++counter;
        break;
    }
    if (!ok && ++bad <= 5) ADD_FAILURE() << "reply " << i << ": " << r.ToString();
  }
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 1 + (kCommands + 2) / 3);
  EXPECT_EQ(s.Command({"GET", "counter"}).str, std::to_string(counter));
  EXPECT_FALSE(sock.peer_closed());
}

TEST(ProtocolTest, InlineCommands) {
  ServerProcess s;
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  // \r\n and bare \n endings, quotes, escapes, a blank line (ignored), and an inline command
  // between multibulk ones.
  ASSERT_TRUE(
      sock.SendAll("PING\r\n"
                   "set foo \"bar baz\"\r\n"
                   "get foo\n"
                   "\r\n"
                   "ECHO 'x y'\r\n" +
                   EncodeRequest({"SET", "m", "multi"}) +
                   "  get   m  \r\n"
                   "echo \"tab\\there\\x41\"\r\n"
                   "nosuchcommand a b\r\n"));
  const std::vector<RespValue> r = sock.ReadReplies(8);
  ASSERT_EQ(r.size(), 8u);
  EXPECT_EQ(r[0].ToString(), "PONG");
  EXPECT_EQ(r[1].ToString(), "OK");
  EXPECT_EQ(r[2].ToString(), "bar baz");
  EXPECT_EQ(r[3].ToString(), "x y");
  EXPECT_EQ(r[4].ToString(), "OK");
  EXPECT_EQ(r[5].ToString(), "multi");
  EXPECT_EQ(r[6].ToString(),
            "tab\there"
            "A");
  EXPECT_EQ(r[7].ToString(),
            "(error) ERR unknown command 'nosuchcommand', with args beginning with: 'a' 'b' ");
  // Unbalanced quotes: a protocol error, and the connection is closed.
  ASSERT_TRUE(sock.SendAll("get \"foo\r\n"));
  bool closed = false;
  EXPECT_EQ(sock.ReadUntilClosed(10000, &closed),
            "-ERR Protocol error: unbalanced quotes in request\r\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
}

TEST(ProtocolTest, Hello3SwitchesToResp3) {
  ServerProcess s;
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  ASSERT_TRUE(sock.SendAll(EncodeRequest({"GET", "missing"}) + EncodeRequest({"HELLO", "3"})));
  std::vector<RespValue> r = sock.ReadReplies(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].type, RespValue::Type::kNull);  // "$-1" in RESP2
  const RespValue& hello = r[1];
  ASSERT_EQ(hello.type, RespValue::Type::kMap) << hello.ToString();
  // Field names and order as Redis: server version proto id mode role modules.
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < hello.size(); i += 2) keys.push_back(hello[i].str);
  EXPECT_EQ(keys, (std::vector<std::string>{"server", "version", "proto", "id", "mode", "role",
                                            "modules"}));
  ASSERT_EQ(hello.size(), 14u);
  EXPECT_EQ(hello[1].str, "redis");
  EXPECT_EQ(hello[5].type, RespValue::Type::kInteger);
  EXPECT_EQ(hello[5].integer, 3);
  EXPECT_EQ(hello[7].type, RespValue::Type::kInteger);
  EXPECT_EQ(hello[9].str, "standalone");
  EXPECT_EQ(hello[11].str, "master");
  EXPECT_TRUE(hello[13].IsArray());
  EXPECT_EQ(hello[13].size(), 0u);

  // Now RESP3 shapes on the wire: "_" for null; then HELLO 2 back to RESP2.
  ASSERT_TRUE(sock.SendAll(EncodeRequest({"GET", "missing"})));
  r = sock.ReadReplies(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, RespValue::Type::kNull);
  ASSERT_TRUE(sock.SendAll(EncodeRequest({"HELLO", "4"}) + EncodeRequest({"HELLO", "2"}) +
                           EncodeRequest({"GET", "missing"})));
  r = sock.ReadReplies(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].ToString(), "(error) NOPROTO unsupported protocol version");
  EXPECT_EQ(r[1].type, RespValue::Type::kArray);  // RESP2 has no maps
  EXPECT_EQ(r[1].size(), 14u);
  EXPECT_EQ(r[2].type, RespValue::Type::kNull);

  // The exact bytes, to see "_" versus "$-1" (the parser maps both to null).
  RawSocket raw(s.port());
  ASSERT_TRUE(raw.SendAll(EncodeRequest({"HELLO", "3"})));
  ASSERT_EQ(raw.ReadReplies(1).size(), 1u);
  ASSERT_TRUE(raw.SendAll(EncodeRequest({"GET", "missing"}) + EncodeRequest({"QUIT"})));
  bool closed = false;
  EXPECT_EQ(raw.ReadUntilClosed(10000, &closed), "_\r\n+OK\r\n");
  EXPECT_TRUE(closed);
  RawSocket raw2(s.port());
  ASSERT_TRUE(raw2.SendAll(EncodeRequest({"GET", "missing"}) + EncodeRequest({"QUIT"})));
  EXPECT_EQ(raw2.ReadUntilClosed(10000, &closed), "$-1\r\n+OK\r\n");
}

TEST(ProtocolTest, EveryProtocolErrorRepliesAndCloses) {
  // Texts as redis-server 7.0.15 sends them for the same bytes.
  ServerProcess s;
  const std::pair<std::string, std::string> cases[] = {
      {std::string(70000, 'a'), "ERR Protocol error: too big inline request"},
      {"*" + std::string(70000, '1'), "ERR Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(70000, '1'), "ERR Protocol error: too big bulk count string"},
      {"*1\r\nx3\r\n", "ERR Protocol error: expected '$', got 'x'"},
      {"*x\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"},
      {"SET k \"v\"x\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"SET k 'v\r\n", "ERR Protocol error: unbalanced quotes in request"},
  };
  for (const auto& [bytes, error] : cases) {
    RawSocket sock(s.port());
    ASSERT_TRUE(sock.ok());
    // Replies to the complete requests before the bad one still arrive.
    sock.SendAll("PING\r\n" + bytes);
    bool closed = false;
    EXPECT_EQ(sock.ReadUntilClosed(10000, &closed), "+PONG\r\n-" + error + "\r\n")
        << bytes.substr(0, 20);
    EXPECT_TRUE(closed) << bytes.substr(0, 20);
  }
  // Before AUTH, big multibulk counts and bulks are refused; small ones wait for more bytes.
  ServerProcess auth({"--requirepass", "secret"});
  const std::pair<std::string, std::string> unauth[] = {
      {"*11\r\n", "ERR Protocol error: unauthenticated multibulk length"},
      {"*1\r\n$16385\r\n", "ERR Protocol error: unauthenticated bulk length"},
  };
  for (const auto& [bytes, error] : unauth) {
    RawSocket sock(auth.port());
    sock.SendAll(bytes);
    bool closed = false;
    EXPECT_EQ(sock.ReadUntilClosed(10000, &closed), "-" + error + "\r\n") << bytes;
    EXPECT_TRUE(closed);
  }
  for (const char* bytes : {"*10\r\n$4\r\nPING\r\n", "*1\r\n$16384\r\n"}) {
    RawSocket patient(auth.port());
    ASSERT_TRUE(patient.SendAll(bytes));
    EXPECT_FALSE(patient.WaitClosed(300)) << bytes;
  }
  // After AUTH the limits are gone.
  RawSocket authed(auth.port());
  ASSERT_TRUE(
      authed.SendAll("PING\r\nAUTH secret\r\n" + EncodeRequest({"SET", "k", std::string(100000, 'x')})));
  const std::vector<RespValue> r = authed.ReadReplies(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(r[1].ToString(), "OK");
  EXPECT_EQ(r[2].ToString(), "OK");
  EXPECT_TRUE(auth.Alive());
  EXPECT_TRUE(s.Alive());
}

TEST(ProtocolTest, SlowSenderByteByByte) {
  ServerProcess s;
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  const std::string value(100, 'v');
  const std::string stream = EncodeRequest({"SET", "slow", value}) + EncodeRequest({"GET", "slow"}) +
                             "PING\r\n" + EncodeRequest({"APPEND_NOT_A_COMMAND"}) +
                             EncodeRequest({"ECHO", ""}) + EncodeRequest({"MSET", "a", "1", "b", "2"}) +
                             EncodeRequest({"MGET", "a", "b"});
  ASSERT_TRUE(sock.SendByteByByte(stream));
  const std::vector<RespValue> r = sock.ReadReplies(7);
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].ToString(), "OK");
  EXPECT_EQ(r[1].ToString(), value);
  EXPECT_EQ(r[2].ToString(), "PONG");
  EXPECT_EQ(r[3].ToString(),
            "(error) ERR unknown command 'APPEND_NOT_A_COMMAND', with args beginning with: ");
  EXPECT_EQ(r[4].type, RespValue::Type::kBulk);
  EXPECT_EQ(r[4].str, "");
  EXPECT_EQ(r[5].ToString(), "OK");
  EXPECT_EQ(r[6].ToString(), "[1, 2]");
}

TEST(ProtocolTest, PipelineSplitAtEveryByte) {
  // The same three requests, cut into two writes at every possible position.
  ServerProcess s;
  const std::string stream =
      EncodeRequest({"SET", "k", "hello world"}) + "GET k\r\n" + EncodeRequest({"INCRBY", "n", "5"});
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    RawSocket sock(s.port());
    ASSERT_TRUE(sock.ok());
    ASSERT_TRUE(sock.SendAll(stream.substr(0, cut)));
    // Let the server read the first part on its own before the rest arrives.
    const std::vector<RespValue> early = sock.ReadReplies(3, 20);
    ASSERT_TRUE(sock.SendAll(stream.substr(cut)));
    std::vector<RespValue> r = sock.ReadReplies(3 - early.size());
    r.insert(r.begin(), early.begin(), early.end());
    ASSERT_EQ(r.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(r[0].ToString(), "OK") << "cut at " << cut;
    EXPECT_EQ(r[1].ToString(), "hello world") << "cut at " << cut;
    EXPECT_EQ(r[2].integer, static_cast<int64_t>(5 * cut)) << "cut at " << cut;
  }
}

TEST(ProtocolTest, BigArgumentInOddChunks) {
  // Arguments of 32 KB and more take the big-argument path (a buffer sized for them at once).
  ServerProcess s;
  std::string value(300 * 1024 + 7, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>((i * 131 + 7) % 256);
  const std::string stream =
      EncodeRequest({"SET", "big", value}) + EncodeRequest({"GET", "big"}) + EncodeRequest({"SET", "small", "s"});
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  for (size_t off = 0; off < stream.size(); off += 997) {
    ASSERT_TRUE(sock.SendAll(stream.substr(off, 997)));
  }
  const std::vector<RespValue> r = sock.ReadReplies(3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].ToString(), "OK");
  EXPECT_TRUE(r[1].str == value) << "GET big returned " << r[1].str.size() << " bytes";
  EXPECT_EQ(r[2].ToString(), "OK");
}

}  // namespace
}  // namespace mnemo::test

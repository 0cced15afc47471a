// limits_test.cc: what the server does to clients that send too much, too many, or nothing:
// oversized bulk headers, a gigabyte of garbage, proto-max-bulk-len, client-query-buffer-limit,
// maxclients, timeout and the normal output buffer hard limit (tests/integration).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

TEST(LimitsTest, HugeBulkHeaderIsRefusedAndClosed) {
  ServerProcess s;
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  ASSERT_TRUE(sock.SendAll("*1\r\n$600000000\r\n"));
  bool closed = false;
  EXPECT_EQ(sock.ReadUntilClosed(10000, &closed), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(closed);
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.Command({"SET", "still", "serving"}).ToString(), "OK");
  EXPECT_EQ(s.Command({"GET", "still"}).ToString(), "serving");
  // A negative length and a non-number are refused the same way.
  for (const char* header : {"*1\r\n$-2\r\n", "*1\r\n$abc\r\n", "*2\r\n$3\r\nGET\r\n$1x\r\n"}) {
    RawSocket other(s.port());
    ASSERT_TRUE(other.SendAll(header));
    EXPECT_EQ(other.ReadUntilClosed(10000, &closed), "-ERR Protocol error: invalid bulk length\r\n")
        << header;
    EXPECT_TRUE(closed);
  }
  // And a multibulk count beyond INT_MAX.
  RawSocket count(s.port());
  ASSERT_TRUE(count.SendAll("*3000000000\r\n"));
  EXPECT_EQ(count.ReadUntilClosed(10000, &closed),
            "-ERR Protocol error: invalid multibulk length\r\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
}

TEST(LimitsTest, GigabyteOfGarbageIsCutShort) {
  ServerProcess s;
  const int64_t baseline = s.SettledUsedMemory();
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.ok());
  // 1 GiB of seeded random bytes in 1 MB chunks; we stop as soon as the server hangs up, which
  // must happen long before the end.
  constexpr int kChunks = 1024;
  std::mt19937_64 rng(20240601);
  std::string chunk(1 << 20, '\0');
  int sent_chunks = 0;
  for (; sent_chunks < kChunks; ++sent_chunks) {
    for (size_t i = 0; i < chunk.size(); i += 8) {
      const uint64_t r = rng();
      std::memcpy(&chunk[i], &r, 8);
    }
    if (!sock.SendAll(chunk)) break;
  }
  EXPECT_LT(sent_chunks, 16) << "the server read " << sock.bytes_sent() << " bytes of garbage";
  bool closed = false;
  const std::string got = sock.ReadUntilClosed(10000, &closed);
  EXPECT_TRUE(closed);
  // Every reply is an error; the last is the protocol error that closed the connection.
  const std::vector<RespValue> replies = ParseAllResp(got);
  ASSERT_FALSE(replies.empty()) << got.substr(0, 200);
  for (const RespValue& r : replies) EXPECT_TRUE(r.IsError()) << r.ToString();
  EXPECT_EQ(replies.back().str.rfind("ERR Protocol error: ", 0), 0u) << replies.back().str;
  // Still alive and serving, and the garbage left no memory behind.
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
  const int64_t after = s.SettledUsedMemory();
  EXPECT_LT(std::llabs(after - baseline), 16 * 1024)
      << "baseline " << baseline << " after " << after;
}

TEST(LimitsTest, ProtoMaxBulkLen) {
  ServerProcess s({"--proto-max-bulk-len", "1mb"});
  // Exactly the limit is accepted.
  {
    RawSocket sock(s.port());
    ASSERT_TRUE(sock.SendAll(EncodeRequest({"SET", "k", std::string(1 << 20, 'a')})));
    const std::vector<RespValue> r = sock.ReadReplies(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].ToString(), "OK");
  }
  EXPECT_EQ(s.Command({"GET", "k"}).str.size(), 1u << 20);
  // 2 MB is not: refused at the header, before the data, and the connection closes.
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.SendAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n"));
  sock.SendAll(std::string(2 << 20, 'b') + "\r\n");  // may fail: the server hangs up
  bool closed = false;
  const std::string got = sock.ReadUntilClosed(10000, &closed);
  EXPECT_EQ(got, "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(closed);
  EXPECT_EQ(s.Command({"GET", "k"}).str, std::string(1 << 20, 'a'));
  // CONFIG SET raises the limit at runtime.
  EXPECT_EQ(s.Command({"CONFIG", "SET", "proto-max-bulk-len", "4mb"}).ToString(), "OK");
  RawSocket again(s.port());
  ASSERT_TRUE(again.SendAll(EncodeRequest({"SET", "k", std::string(2 << 20, 'c')})));
  const std::vector<RespValue> r = again.ReadReplies(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].ToString(), "OK");
}

TEST(LimitsTest, PendingBigArgumentCostsItsSize) {
  // While a big bulk arrives, the query buffer holds that bulk, not the next power of two.
  ServerProcess s;
  // Just under jemalloc's 6 MiB size class (6,291,456) with the header; doubling from 16 KB
  // would give 8,388,608.
  constexpr size_t kSize = 6291000;
  const int64_t baseline = s.SettledUsedMemory();
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.SendAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kSize) + "\r\n" +
                           std::string(kSize / 2, 'h')));
  // Wait until the server has read the half.
  std::string line;
  int64_t qbuf = 0;
  int64_t qbuf_free = 0;
  for (int i = 0; i < 250 && qbuf < static_cast<int64_t>(kSize / 2); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    RespValue list = s.Command({"CLIENT", "LIST"});
    for (size_t pos = 0; pos < list.str.size();) {
      size_t end = list.str.find('\n', pos);
      if (end == std::string::npos) end = list.str.size();
      const std::string l = list.str.substr(pos, end - pos);
      const size_t q = l.find(" qbuf=");
      if (q != std::string::npos && std::strtoll(l.c_str() + q + 6, nullptr, 10) > 0) {
        line = l;
        qbuf = std::strtoll(l.c_str() + q + 6, nullptr, 10);
        qbuf_free = std::strtoll(l.c_str() + l.find(" qbuf-free=") + 11, nullptr, 10);
      }
      pos = end + 1;
    }
  }
  ASSERT_GE(qbuf, static_cast<int64_t>(kSize / 2)) << line;
  EXPECT_LT(qbuf + qbuf_free, static_cast<int64_t>(kSize + 64 * 1024)) << line;
  const int64_t pending = s.InfoInt("used_memory") - baseline;
  EXPECT_GT(pending, static_cast<int64_t>(kSize));
  EXPECT_LT(pending, static_cast<int64_t>(kSize + 256 * 1024));
  ASSERT_TRUE(sock.SendAll(std::string(kSize - kSize / 2, 'h') + "\r\n"));
  const std::vector<RespValue> r = sock.ReadReplies(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].ToString(), "OK");
  EXPECT_EQ(s.Command({"GET", "k"}).str, std::string(kSize, 'h'));
}

TEST(LimitsTest, ClientQueryBufferLimit) {
  // Redis 7.0 accepts client-query-buffer-limit 1mb beside the default proto-max-bulk-len of
  // 512mb, so a 4 MB bulk header is accepted; the client is closed, without a reply, once more
  // than 1 MB of the bulk sits in its query buffer. proto-max-bulk-len is set explicitly anyway,
  // so that the test does not depend on that default.
  ServerProcess s({"--client-query-buffer-limit", "1mb", "--proto-max-bulk-len", "8mb"});
  // Under the limit: a 900 KB value goes through.
  {
    RawSocket sock(s.port());
    ASSERT_TRUE(sock.SendAll(EncodeRequest({"SET", "fits", std::string(900 * 1024, 'f')})));
    const std::vector<RespValue> r = sock.ReadReplies(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].ToString(), "OK");
  }
  RawSocket sock(s.port());
  ASSERT_TRUE(sock.SendAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n"));
  // 3 MB of the 4 MB promised, in 100 KB pieces: never a complete request.
  const std::string piece(100 * 1024, 'x');
  for (int i = 0; i < 30; ++i) {
    if (!sock.SendAll(piece)) break;
  }
  bool closed = false;
  EXPECT_EQ(sock.ReadUntilClosed(10000, &closed), "");
  EXPECT_TRUE(closed);
  EXPECT_LT(sock.bytes_sent(), 3u << 20) << "the server should hang up after about 1 MB";
  EXPECT_NE(s.Log().find("Closing client that reached max query buffer length"), std::string::npos)
      << s.Log();
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.Command({"EXISTS", "k"}).integer, 0);
  EXPECT_EQ(s.InfoField("client_query_buffer_limit_disconnections"), "1");
  EXPECT_EQ(s.InfoField("client_output_buffer_limit_disconnections"), "0");
}

TEST(LimitsTest, MaxClients) {
  ServerProcess s({"--maxclients", "5"});
  // The launcher's readiness probe may still be counted for a moment: wait until the only
  // client is the one asking.
  for (int i = 0; i < 100 && s.InfoField("connected_clients") != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(s.InfoField("connected_clients"), "1");
  std::vector<RedisConnection> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(s.Connect());
    ASSERT_TRUE(clients.back());
    ASSERT_EQ(Exec(clients.back().get(), {"PING"}).ToString(), "PONG") << "client " << i;
  }
  // The sixth gets the error and is closed.
  RawSocket sixth(s.port());
  ASSERT_TRUE(sixth.ok());
  bool closed = false;
  EXPECT_EQ(sixth.ReadUntilClosed(10000, &closed), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(closed);
  // The five still work.
  for (auto& c : clients) EXPECT_EQ(Exec(c.get(), {"PING"}).ToString(), "PONG");
  // One leaves: a new client is accepted (once the server has seen it leave).
  clients.erase(clients.begin());
  bool accepted = false;
  for (int i = 0; i < 100 && !accepted; ++i) {
    RedisConnection c = s.Connect();
    accepted = c && Exec(c.get(), {"PING"}).ToString() == "PONG";
    if (accepted) {
      // The four that stayed and this one.
      EXPECT_NE(Exec(c.get(), {"INFO", "clients"}).str.find("connected_clients:5\r\n"),
                std::string::npos);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(accepted);
  clients.clear();
  EXPECT_GE(s.InfoInt("rejected_connections"), 1);
  // CONFIG SET maxclients applies at once.
  EXPECT_EQ(s.Command({"CONFIG", "SET", "maxclients", "1"}).ToString(), "OK");
  // Each Command() is a new connection: the next one may arrive before the server has read the
  // previous one's close, and is then refused as the second client (as Redis would).
  std::string got;
  for (int i = 0; i < 100; ++i) {
    got = s.Command({"CONFIG", "GET", "maxclients"}).ToString();
    if (got != "(error) ERR max number of clients reached") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(got, "[maxclients, 1]");
}

TEST(LimitsTest, IdleTimeout) {
  ServerProcess s({"--timeout", "1"});
  RawSocket idle(s.port());
  RawSocket active(s.port());
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(active.ok());
  ASSERT_TRUE(idle.SendAll("PING\r\n"));
  ASSERT_EQ(idle.ReadReplies(1).size(), 1u);
  // The active client sends a command every 200 ms (a fifth of the timeout) until the idle one
  // is gone, and for a while after; every command must be answered.
  int pings = 0;
  bool idle_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int after_close = 0;
  while (std::chrono::steady_clock::now() < deadline && after_close < 10) {
    ASSERT_TRUE(active.SendAll("PING\r\n")) << "after " << pings << " pings";
    const std::vector<RespValue> r = active.ReadReplies(1, 5000);
    ASSERT_EQ(r.size(), 1u) << "active client dropped after " << pings << " pings";
    EXPECT_EQ(r[0].ToString(), "PONG");
    ++pings;
    if (!idle_closed) {
      idle_closed = idle.WaitClosed(200);
    } else {
      ++after_close;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  EXPECT_TRUE(idle_closed);
  EXPECT_FALSE(active.peer_closed());
  EXPECT_GE(pings, 10);
  // timeout 0 (CONFIG SET) keeps idle clients.
  EXPECT_EQ(s.Command({"CONFIG", "SET", "timeout", "0"}).ToString(), "OK");
  RawSocket kept(s.port());
  ASSERT_TRUE(kept.SendAll("PING\r\n"));
  ASSERT_EQ(kept.ReadReplies(1).size(), 1u);
  EXPECT_FALSE(kept.WaitClosed(2500));
  ASSERT_TRUE(kept.SendAll("PING\r\n"));
  EXPECT_EQ(kept.ReadReplies(1).size(), 1u);
}

TEST(LimitsTest, OutputBufferHardLimit) {
  ServerProcess s;
  EXPECT_EQ(s.Command({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"}).ToString(),
            "OK");
  EXPECT_EQ(s.Command({"CONFIG", "GET", "client-output-buffer-limit"})[1].str,
            "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  const std::string value(100 * 1024, 'v');
  EXPECT_EQ(s.Command({"SET", "big", value}).ToString(), "OK");
  // A client that reads its replies, one GET at a time, is never over the limit.
  {
    RedisConnection c = s.Connect();
    ASSERT_TRUE(c);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(Exec(c.get(), {"GET", "big"}).str.size(), value.size());
  }
  // A client that pipelines GETs (100 MB of replies) and never reads is disconnected.
  RawSocket greedy(s.port());
  ASSERT_TRUE(greedy.ok());
  greedy.SetReceiveBuffer(4096);
  const std::string gets = [] {
    std::string out;
    for (int i = 0; i < 1000; ++i) out += EncodeRequest({"GET", "big"});
    return out;
  }();
  // The requests are small (26 KB) and may all fit the socket buffers; whether the last sends
  // fail depends on when the server hangs up, so the result is not checked.
  greedy.SendAll(gets, /*read_while_sending=*/false, 20000);
  // Without reading a byte, wait for the server to drop the client (the asking client remains).
  for (int i = 0; i < 500 && s.InfoField("connected_clients") != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(s.InfoField("connected_clients"), "1");
  EXPECT_TRUE(greedy.WaitClosed(10000));
  EXPECT_NE(s.Log().find("scheduled to be closed ASAP for overcoming of output buffer limits"),
            std::string::npos)
      << s.Log();
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
  EXPECT_EQ(s.InfoField("client_output_buffer_limit_disconnections"), "1");
  EXPECT_EQ(s.InfoField("client_query_buffer_limit_disconnections"), "0");
}

// Random picks with repetition: the reply's length is the client's choice (up to 2^63 elements).
// Redis builds such a reply until memory runs out; Mnemo stops it at a ceiling (the hard output
// limit, maxmemory, a quarter of the machine's memory or 256 MiB, the smallest) and closes the
// client.
TEST(LimitsTest, RandomPicksWithRepetitionStopAtTheReplyCeiling) {
  ServerProcess s({"--maxmemory", "64mb"});
  ASSERT_EQ(s.Command({"SADD", "s", "a", "b", "c"}).integer, 3);
  ASSERT_EQ(s.Command({"SADD", "big", std::string(200, 'x'), std::string(200, 'y')}).integer, 2);
  ASSERT_EQ(s.Command({"HSET", "h", "f", "v", "g", "w"}).integer, 2);
  ASSERT_EQ(s.Command({"ZADD", "z", "1", "m", "2", "n"}).integer, 2);
  // Legitimate negative counts still answer in full.
  EXPECT_EQ(s.Command({"SRANDMEMBER", "s", "-100000"}).size(), 100000u);
  const int64_t baseline = s.SettledUsedMemory();
  const std::vector<std::vector<std::string>> runaways = {
      {"SRANDMEMBER", "s", "-9223372036854775807"},
      {"SRANDMEMBER", "big", "-9223372036854775807"},
      {"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
      {"ZRANDMEMBER", "z", "-9223372036854775807"},
  };
  int64_t closed = 0;
  for (const auto& argv : runaways) {
    RedisConnection c = s.Connect(60000);
    ASSERT_TRUE(c);
    const RespValue r = Exec(c.get(), argv);
    EXPECT_EQ(r.str.rfind("IO: ", 0), 0u) << argv[0] << ": the client should have been closed";
    ++closed;
    EXPECT_TRUE(s.Alive());
    EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
    EXPECT_EQ(s.InfoInt("client_output_buffer_limit_disconnections"), closed);
  }
  // Nothing was evicted for the reply's sake and its memory is back.
  EXPECT_EQ(s.InfoInt("evicted_keys"), 0);
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 4);
  EXPECT_LT(s.SettledUsedMemory(), baseline + 256 * 1024);
  EXPECT_NE(s.Log().find("a reply it asked for grew past 67108864 bytes"), std::string::npos)
      << s.Log();

  // A hard output limit below maxmemory is the ceiling then.
  ASSERT_EQ(s.Command({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"})
                .ToString(),
            "OK");
  RedisConnection c = s.Connect(60000);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"SRANDMEMBER", "s", "-9223372036854775807"}).str.rfind("IO: ", 0), 0u);
  EXPECT_NE(s.Log().find("a reply it asked for grew past 1048576 bytes"), std::string::npos);
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
}

// With neither maxmemory nor an output limit (the defaults), 256 MiB is the ceiling.
TEST(LimitsTest, RandomPicksCeilingOnTheDefaultConfiguration) {
  ServerProcess s;
  ASSERT_EQ(s.Command({"SADD", "s", "a", "b", "c"}).integer, 3);
  const int64_t baseline = s.SettledUsedMemory();
  RedisConnection c = s.Connect(60000);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"SRANDMEMBER", "s", "-9223372036854775807"}).str.rfind("IO: ", 0), 0u);
  EXPECT_NE(s.Log().find("a reply it asked for grew past 268435456 bytes"), std::string::npos)
      << s.Log();
  EXPECT_EQ(s.Command({"PING"}).ToString(), "PONG");
  // The reply's memory is back, and its peak was bounded: under twice the ceiling (the buffer
  // grows by doubling) plus what the server held before.
  EXPECT_LT(s.SettledUsedMemory(), baseline + 256 * 1024);
  EXPECT_LT(s.InfoInt("used_memory_peak"), baseline + (512LL << 20) + (16LL << 20));
}

}  // namespace
}  // namespace mnemo::test

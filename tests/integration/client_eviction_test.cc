// client_eviction_test.cc: maxmemory-clients and CLIENT NO-EVICT against the real server
// (tests/integration).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

// A client that pipelines GETs of a 100 KB value without reading the replies: its output buffer
// grows well past a 2 MB budget for all clients (the kernel absorbs only a little, since its
// receive buffer is kept small).
std::string GreedyPipeline() {
  std::string req;
  for (int i = 0; i < 400; ++i) req += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
  return req;
}

int64_t EvictedClients(ServerProcess& server) {
  return server.InfoInt("evicted_clients");
}

// The id of the connection `c` (CLIENT ID), read before it stops reading replies.
int64_t ClientId(RawSocket& c) {
  EXPECT_TRUE(c.SendAll("CLIENT ID\r\n"));
  const auto r = c.ReadReplies(1);
  return r.size() == 1 ? r[0].integer : -1;
}

// Whether the client is disconnected is checked on the server's side: after close() the kernel
// may still be flushing what it had accepted for the client (through the client's tiny receive
// window that can take minutes), so the client's own EOF says nothing about eviction.

// True iff the server still lists client `id`. (Asking the server, not the socket: reading
// from the socket would drain the very output buffer under test.)
bool Connected(ServerProcess& server, int64_t id);

// Makes `greedy` the client that pipelines GETs without reading (a small receive buffer, so the
// kernel absorbs little) and returns its id, read before it stops reading.
int64_t StartGreedy(RawSocket& greedy) {
  EXPECT_TRUE(greedy.ok());
  greedy.SetReceiveBuffer(4096);
  const int64_t id = ClientId(greedy);
  greedy.SendAll(GreedyPipeline(), /*read_while_sending=*/false);
  return id;
}

// Polls (up to 5 s) until the server no longer lists client `id`.
bool Gone(ServerProcess& server, int64_t id) {
  for (int i = 0; i < 500; ++i) {
    if (!Connected(server, id)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool Connected(ServerProcess& server, int64_t id) {
  return server.Command({"CLIENT", "LIST", "ID", std::to_string(id)})
             .str.find("id=" + std::to_string(id) + " ") != std::string::npos;
}

TEST(ClientEvictionTest, TheBiggestClientIsDisconnectedWhenClientsExceedTheBudget) {
  ServerProcess server({"--maxmemory-clients", "2mb"});
  ASSERT_EQ(server.Command({"SET", "big", std::string(100000, 'x')}).ToString(), "OK");
  RawSocket quiet(server.port());  // small and idle: must survive
  ASSERT_TRUE(quiet.ok());
  ASSERT_TRUE(quiet.SendAll("PING\r\n"));
  ASSERT_EQ(quiet.ReadReplies(1).size(), 1u);

  RawSocket greedy(server.port());
  const int64_t greedy_id = StartGreedy(greedy);
  EXPECT_TRUE(Gone(server, greedy_id)) << "the client over the budget was not disconnected";
  EXPECT_EQ(EvictedClients(server), 1);
  EXPECT_LT(std::stoll(server.InfoField("mem_clients_normal")), 1024 * 1024);
  // The small client is still served.
  ASSERT_TRUE(quiet.SendAll("PING\r\n"));
  const auto replies = quiet.ReadReplies(1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].ToString(), "PONG");
}

TEST(ClientEvictionTest, PercentageOfMaxmemory) {
  // 2% of 100 MB: the same 2 MB budget as above, given as Redis 7 allows.
  ServerProcess server({"--maxmemory", "100mb", "--maxmemory-clients", "2%"});
  ASSERT_EQ(server.Command({"CONFIG", "GET", "maxmemory-clients"}).ToString(),
            "[maxmemory-clients, 2%]");
  ASSERT_EQ(server.Command({"SET", "big", std::string(100000, 'x')}).ToString(), "OK");
  RawSocket greedy(server.port());
  const int64_t greedy_id = StartGreedy(greedy);
  ASSERT_GT(greedy_id, 0);
  EXPECT_TRUE(Gone(server, greedy_id)) << "the client over 2% of maxmemory was not disconnected";
  EXPECT_EQ(EvictedClients(server), 1);
  // Without maxmemory a percentage means no budget at all.
  ASSERT_EQ(server.Command({"CONFIG", "SET", "maxmemory", "0"}).ToString(), "OK");
  RawSocket second(server.port());
  const int64_t second_id = StartGreedy(second);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Connected(server, second_id));
  EXPECT_EQ(EvictedClients(server), 1);
  // Setting maxmemory again makes the percentage a budget again, at once.
  ASSERT_EQ(server.Command({"CONFIG", "SET", "maxmemory", "100mb"}).ToString(), "OK");
  EXPECT_FALSE(Connected(server, second_id));
  EXPECT_EQ(EvictedClients(server), 2);
}

TEST(ClientEvictionTest, NoEvictProtectsAClient) {
  ServerProcess server({"--maxmemory-clients", "2mb"});
  ASSERT_EQ(server.Command({"SET", "big", std::string(100000, 'x')}).ToString(), "OK");
  // While a NO-EVICT client alone is over the budget, every other client is evicted as soon as
  // eviction runs, however small (Redis 7 does the same: only evictable clients count as
  // candidates). The observer is therefore NO-EVICT too, so that what it sees does not depend
  // on whether a cron run falls inside its queries.
  RedisConnection observer = server.Connect();
  ASSERT_TRUE(observer);
  ASSERT_EQ(Exec(observer.get(), {"CLIENT", "NO-EVICT", "on"}).ToString(), "OK");
  auto info_int = [&](const std::string& field) {
    const std::string text = Exec(observer.get(), {"INFO", "everything"}).str;
    const size_t pos = text.find("\r\n" + field + ":");
    EXPECT_NE(pos, std::string::npos) << field;
    return pos == std::string::npos ? -1 : std::stoll(text.substr(pos + field.size() + 3));
  };
  RawSocket greedy(server.port());
  ASSERT_TRUE(greedy.SendAll("CLIENT NO-EVICT on\r\n"));
  auto ok = greedy.ReadReplies(1);
  ASSERT_EQ(ok.size(), 1u);
  ASSERT_EQ(ok[0].ToString(), "OK");
  const int64_t id = StartGreedy(greedy);
  // Give the server time to process the pipeline and run its cron several times.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string listed =
      Exec(observer.get(), {"CLIENT", "LIST", "ID", std::to_string(id)}).str;
  EXPECT_NE(listed.find("id=" + std::to_string(id) + " "), std::string::npos)
      << "a NO-EVICT client was disconnected";
  EXPECT_NE(listed.find(" flags=e "), std::string::npos) << listed;
  EXPECT_EQ(info_int("evicted_clients"), 0);
  // Its buffers are large and counted where the operator can see them.
  EXPECT_GT(info_int("mem_clients_normal"), 2 * 1024 * 1024);
  // An evictable newcomer is the one that goes: the NO-EVICT client alone is over the budget.
  // (It may go before its first command is answered: a cron run can fall between its connect
  // and its PING.)
  RedisConnection newcomer = server.Connect();
  ASSERT_TRUE(newcomer);
  int64_t evicted = 0;
  for (int i = 0; i < 100 && evicted == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    evicted = info_int("evicted_clients");
  }
  EXPECT_EQ(evicted, 1);
  EXPECT_NE(Exec(newcomer.get(), {"PING"}).ToString(), "PONG");
  EXPECT_NE(Exec(observer.get(), {"CLIENT", "LIST", "ID", std::to_string(id)}).str.find("id="),
            std::string::npos);
}

TEST(ClientEvictionTest, ZeroMeansNoLimit) {
  ServerProcess server;  // maxmemory-clients 0 by default
  ASSERT_EQ(server.Command({"CONFIG", "GET", "maxmemory-clients"}).ToString(),
            "[maxmemory-clients, 0]");
  ASSERT_EQ(server.Command({"SET", "big", std::string(100000, 'x')}).ToString(), "OK");
  RawSocket greedy(server.port());
  const int64_t id = StartGreedy(greedy);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Connected(server, id));
  EXPECT_EQ(EvictedClients(server), 0);
  // Setting a budget at runtime applies at once to the client already over it.
  ASSERT_EQ(server.Command({"CONFIG", "SET", "maxmemory-clients", "1mb"}).ToString(), "OK");
  EXPECT_FALSE(Connected(server, id));
  EXPECT_EQ(EvictedClients(server), 1);
  EXPECT_LT(std::stoll(server.InfoField("mem_clients_normal")), 1024 * 1024);
}

}  // namespace
}  // namespace mnemo::test

// pubsub_blocking_test.cc: pub/sub, blocking pops, keyspace notifications and client tracking
// driven by hiredis (tests/integration; issue 10's "integration tests with ... hiredis").
//
// The hiredis here is Debian's libhiredis 0.14.1, which speaks RESP2 only (no HELLO 3, no push
// type): every subscriber below is a RESP2 subscriber, and client tracking is exercised through
// REDIRECT to a connection subscribed to __redis__:invalidate, the way a RESP2 client uses it.
//
// Each scenario is a function that runs against a server, asserts what it expects, and returns
// the transcript of replies it saw. Every TEST runs the scenario against mnemo-server and
// against Debian's redis-server 7.0.15 (started on its own free port) and requires identical
// transcripts: the expectations are checked on Redis too, so they are Redis's behaviour, not
// ours. Client ids differ between servers and stay out of the transcripts.
//
// The subscribers use hiredis's synchronous API (redisGetReply in a loop) and, in one test, its
// asynchronous API driven by a poll(2) loop written here (libevent's headers, libevent-dev, are
// not a dependency of the project, and every adapter hiredis ships needs some event library).
// hiredis 0.14's asynchronous layer routes only (P)SUBSCRIBE replies and (p)message pushes:
// sharded pub/sub (Redis 7.0) is tested with the synchronous API.
#include <gtest/gtest.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace mnemo::test {
namespace {

using Clock = std::chrono::steady_clock;
using Transcript = std::vector<std::string>;

// Sends every request of `requests` on `c` in one write (a pipeline), without reading.
bool SendPipelined(redisContext* c, const std::vector<std::vector<std::string>>& requests) {
  for (const auto& argv : requests) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
      return false;
    }
  }
  int done = 0;
  while (!done) {
    if (redisBufferWrite(c, &done) != REDIS_OK) return false;
  }
  return true;
}

// Sends argv on `c` without waiting for the reply (the whole request is written).
bool Send(redisContext* c, const std::vector<std::string>& argv) {
  return SendPipelined(c, {argv});
}

// The next reply on `c` (the connection's 5 s read timeout bounds the wait; a timeout or error
// comes back as an error value starting with "IO:").
RespValue Read(redisContext* c) {
  void* reply = nullptr;
  if (redisGetReply(c, &reply) != REDIS_OK || reply == nullptr) {
    RespValue v;
    v.type = RespValue::Type::kError;
    v.str = std::string("IO: ") + (c->errstr[0] ? c->errstr : "no reply");
    return v;
  }
  RespValue v = FromHiredis(static_cast<redisReply*>(reply));
  freeReplyObject(reply);
  return v;
}

// Sends argv and reads `n` replies (a SUBSCRIBE of n channels answers n times).
std::vector<std::string> SendRead(redisContext* c, const std::vector<std::string>& argv,
                                  int n = 1) {
  std::vector<std::string> out;
  if (!Send(c, argv)) return {"IO: send failed"};
  for (int i = 0; i < n; ++i) out.push_back(Read(c).ToString());
  return out;
}

// Waits until INFO's blocked_clients is `n` (clients register in the order they were blocked,
// so the FIFO tests block one client at a time).
bool WaitBlocked(ServerProcess& s, int64_t n) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (s.InfoInt("blocked_clients") == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

int64_t ClientId(redisContext* c) { return Exec(c, {"CLIENT", "ID"}).integer; }

// Runs `scenario` on mnemo-server and on redis-server 7.0.15 and compares the transcripts.
void OnBothServers(const std::vector<std::string>& args,
                   const std::function<Transcript(ServerProcess&)>& scenario) {
  std::vector<std::string> redis_args = args;
  redis_args.insert(redis_args.end(), {"--save", "", "--appendonly", "no"});
  Transcript mnemo, redis;
  {
    ServerProcess s(args);
    SCOPED_TRACE("mnemo-server");
    mnemo = scenario(s);
  }
  {
    ServerProcess r("", redis_args, ServerProcess::Bind::kLoopback, "redis-server");
    SCOPED_TRACE("redis-server 7.0.15");
    redis = scenario(r);
  }
  ASSERT_EQ(mnemo.size(), redis.size());
  for (size_t i = 0; i < mnemo.size(); ++i) {
    EXPECT_EQ(mnemo[i], redis[i]) << "transcript line " << i;
  }
}

void Append(Transcript* t, const std::vector<std::string>& lines) {
  t->insert(t->end(), lines.begin(), lines.end());
}

// ---- Pub/Sub, synchronous API ------------------------------------------------------------------

Transcript SubscribeDeliverUnsubscribe(ServerProcess& s) {
  Transcript t;
  RedisConnection sub = s.Connect();
  RedisConnection pub = s.Connect();
  if (!sub || !pub) {
    ADD_FAILURE() << "connect";
    return t;
  }
  auto expect = [&](const std::vector<std::string>& got, const std::vector<std::string>& want) {
    EXPECT_EQ(got, want);
    Append(&t, got);
  };
  auto pub_cmd = [&](const std::vector<std::string>& argv) {
    const std::string r = Exec(pub.get(), argv).ToString();
    t.push_back(r);
    return r;
  };
  expect(SendRead(sub.get(), {"SUBSCRIBE", "ch1", "ch2"}, 2),
         {"[subscribe, ch1, 1]", "[subscribe, ch2, 2]"});
  expect(SendRead(sub.get(), {"PSUBSCRIBE", "news.*", "ch?"}, 2),
         {"[psubscribe, news.*, 3]", "[psubscribe, ch?, 4]"});
  expect(SendRead(sub.get(), {"SSUBSCRIBE", "shard1"}), {"[ssubscribe, shard1, 1]"});
  // A channel subscribed directly and through a pattern: two messages, PUBLISH counts two.
  EXPECT_EQ(pub_cmd({"PUBLISH", "ch1", "hello"}), "2");
  EXPECT_EQ(pub_cmd({"PUBLISH", "news.tech", "x"}), "1");
  EXPECT_EQ(pub_cmd({"PUBLISH", "nobody", "lost"}), "0");
  const std::string binary("a\0b\r\nc", 6);
  EXPECT_EQ(pub_cmd({"PUBLISH", "ch2", binary}), "2");
  EXPECT_EQ(pub_cmd({"SPUBLISH", "shard1", "s"}), "1");
  EXPECT_EQ(pub_cmd({"SPUBLISH", "ch1", "not-sharded"}), "0");  // shard and plain are apart
  expect({Read(sub.get()).ToString(), Read(sub.get()).ToString(), Read(sub.get()).ToString()},
         {"[message, ch1, hello]", "[pmessage, ch?, ch1, hello]",
          "[pmessage, news.*, news.tech, x]"});
  // The binary payload arrives byte for byte, to the channel and to the pattern.
  const RespValue m = Read(sub.get());
  if (m.size() != 3u) {
    ADD_FAILURE() << m.ToString();
    return t;
  }
  EXPECT_EQ(m[0].str + " " + m[1].str, "message ch2");
  EXPECT_EQ(m[2].str, binary);
  const RespValue pm = Read(sub.get());
  if (pm.size() != 4u) {
    ADD_FAILURE() << pm.ToString();
    return t;
  }
  EXPECT_EQ(pm[0].str + " " + pm[1].str + " " + pm[2].str, "pmessage ch? ch2");
  EXPECT_EQ(pm[3].str, binary);
  t.push_back(m.ToString());
  t.push_back(pm.ToString());
  expect({Read(sub.get()).ToString()}, {"[smessage, shard1, s]"});

  // Numbers seen from outside.
  EXPECT_EQ(pub_cmd({"PUBSUB", "NUMSUB", "ch1", "ch2", "nobody"}), "[ch1, 1, ch2, 1, nobody, 0]");
  EXPECT_EQ(pub_cmd({"PUBSUB", "NUMPAT"}), "2");
  EXPECT_EQ(pub_cmd({"PUBSUB", "SHARDNUMSUB", "shard1", "ch1"}), "[shard1, 1, ch1, 0]");
  EXPECT_EQ(pub_cmd({"PUBSUB", "SHARDCHANNELS"}), "[shard1]");
  const RespValue channels = Exec(pub.get(), {"PUBSUB", "CHANNELS", "ch*"});
  std::vector<std::string> names;
  for (const auto& e : channels.elements) names.push_back(e.str);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ch1", "ch2"}));
  t.insert(t.end(), names.begin(), names.end());

  // RESP2 subscribed mode: only the (P|S)(UN)SUBSCRIBE family, PING, QUIT and RESET.
  expect(SendRead(sub.get(), {"GET", "k"}),
         {"(error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
          "QUIT / RESET are allowed in this context"});
  expect(SendRead(sub.get(), {"PING"}), {"[pong, ]"});
  expect(SendRead(sub.get(), {"PING", "hi"}), {"[pong, hi]"});

  // Unsubscribe replies count what is left (channels + patterns; shard channels apart).
  expect(SendRead(sub.get(), {"UNSUBSCRIBE", "ch1"}), {"[unsubscribe, ch1, 3]"});
  expect(SendRead(sub.get(), {"UNSUBSCRIBE", "never"}), {"[unsubscribe, never, 3]"});
  EXPECT_EQ(pub_cmd({"PUBLISH", "ch1", "after"}), "1");  // the pattern still matches
  expect({Read(sub.get()).ToString()}, {"[pmessage, ch?, ch1, after]"});
  expect(SendRead(sub.get(), {"UNSUBSCRIBE"}), {"[unsubscribe, ch2, 2]"});
  expect(SendRead(sub.get(), {"PUNSUBSCRIBE", "news.*"}), {"[punsubscribe, news.*, 1]"});
  expect(SendRead(sub.get(), {"PUNSUBSCRIBE"}), {"[punsubscribe, ch?, 0]"});
  // Still subscribed to a shard channel: still in subscribed mode.
  expect(SendRead(sub.get(), {"GET", "k"}),
         {"(error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
          "QUIT / RESET are allowed in this context"});
  EXPECT_EQ(pub_cmd({"PUBLISH", "ch1", "nobody-left"}), "0");
  expect(SendRead(sub.get(), {"SUNSUBSCRIBE"}), {"[sunsubscribe, shard1, 0]"});
  // Out of subscribed mode: ordinary commands and replies again.
  expect(SendRead(sub.get(), {"PING"}), {"PONG"});
  expect(SendRead(sub.get(), {"GET", "k"}), {"(nil)"});
  // Unsubscribing with nothing subscribed answers with a nil channel and 0.
  expect(SendRead(sub.get(), {"UNSUBSCRIBE"}), {"[unsubscribe, (nil), 0]"});
  expect(SendRead(sub.get(), {"PUNSUBSCRIBE"}), {"[punsubscribe, (nil), 0]"});
  expect(SendRead(sub.get(), {"SUNSUBSCRIBE"}), {"[sunsubscribe, (nil), 0]"});
  EXPECT_EQ(pub_cmd({"PUBSUB", "NUMPAT"}), "0");
  EXPECT_EQ(pub_cmd({"PUBSUB", "SHARDCHANNELS"}), "[]");
  return t;
}

TEST(PubSubHiredisTest, SubscribePatternsShardChannelsAndBinaryPayloads) {
  OnBothServers({}, SubscribeDeliverUnsubscribe);
}

// Many subscribers on one channel, each receiving every message of a pipelined burst in order.
Transcript FanOutInOrder(ServerProcess& s) {
  Transcript t;
  constexpr int kSubscribers = 10;
  constexpr int kMessages = 500;
  std::vector<RedisConnection> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(s.Connect());
    EXPECT_EQ(SendRead(subs.back().get(), {"SUBSCRIBE", "fan"}),
              std::vector<std::string>{"[subscribe, fan, 1]"});
  }
  RedisConnection pub = s.Connect();
  for (int i = 0; i < kMessages; ++i) {
    const std::string body = "m" + std::to_string(i);
    redisAppendCommand(pub.get(), "PUBLISH fan %b", body.data(), body.size());
  }
  int64_t receivers = 0;
  for (int i = 0; i < kMessages; ++i) receivers += Read(pub.get()).integer;
  EXPECT_EQ(receivers, int64_t{kSubscribers} * kMessages);
  t.push_back(std::to_string(receivers));
  int wrong = 0;
  for (auto& c : subs) {
    for (int i = 0; i < kMessages; ++i) {
      const std::string got = Read(c.get()).ToString();
      const std::string want = "[message, fan, m" + std::to_string(i) + "]";
      if (got != want && ++wrong <= 3) ADD_FAILURE() << got << " != " << want;
    }
  }
  EXPECT_EQ(wrong, 0);
  t.push_back(std::to_string(wrong));
  return t;
}

TEST(PubSubHiredisTest, TenSubscribersReceiveAPipelinedBurstInOrder) {
  OnBothServers({}, FanOutInOrder);
}

// ---- Pub/Sub, asynchronous API on a poll(2) loop -------------------------------------------------

// A minimal hiredis event adapter: remembers what hiredis wants (read, write) and a loop polls
// the socket for it.
struct PollAdapter {
  bool reading = false;
  bool writing = false;
  static void AddRead(void* d) { static_cast<PollAdapter*>(d)->reading = true; }
  static void DelRead(void* d) { static_cast<PollAdapter*>(d)->reading = false; }
  static void AddWrite(void* d) { static_cast<PollAdapter*>(d)->writing = true; }
  static void DelWrite(void* d) { static_cast<PollAdapter*>(d)->writing = false; }
  static void Cleanup(void* d) {
    auto* a = static_cast<PollAdapter*>(d);
    a->reading = a->writing = false;
  }
  void Attach(redisAsyncContext* ac) {
    ac->ev.data = this;
    ac->ev.addRead = AddRead;
    ac->ev.delRead = DelRead;
    ac->ev.addWrite = AddWrite;
    ac->ev.delWrite = DelWrite;
    ac->ev.cleanup = Cleanup;
  }
  // Runs the loop until `done()` or `timeout_ms` passes; returns done().
  bool RunUntil(redisAsyncContext* ac, const std::function<bool()>& done, int timeout_ms = 10000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done() && Clock::now() < deadline) {
      pollfd p{ac->c.fd, 0, 0};
      if (reading) p.events |= POLLIN;
      if (writing) p.events |= POLLOUT;
      if (p.events == 0) return done();
      if (poll(&p, 1, 50) <= 0) continue;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) redisAsyncHandleRead(ac);
      if (p.revents & POLLOUT) redisAsyncHandleWrite(ac);
    }
    return done();
  }
};

struct AsyncLog {
  std::vector<std::string> lines;
};

void OnReply(redisAsyncContext*, void* reply, void* privdata) {
  auto* log = static_cast<AsyncLog*>(privdata);
  log->lines.push_back(reply ? FromHiredis(static_cast<redisReply*>(reply)).ToString()
                             : std::string("(no reply)"));
}

Transcript AsyncSubscriber(ServerProcess& s) {
  Transcript t;
  redisAsyncContext* ac = redisAsyncConnect("127.0.0.1", s.port());
  if (ac == nullptr || ac->err) {
    ADD_FAILURE() << "redisAsyncConnect";
    return t;
  }
  PollAdapter loop;
  loop.Attach(ac);
  AsyncLog channel_log, pattern_log, other_log;
  redisAsyncCommand(ac, OnReply, &channel_log, "SUBSCRIBE jobs");
  redisAsyncCommand(ac, OnReply, &pattern_log, "PSUBSCRIBE ctl.*");
  EXPECT_TRUE(loop.RunUntil(ac, [&] { return channel_log.lines.size() == 1 &&
                                             pattern_log.lines.size() == 1; }));
  EXPECT_EQ(channel_log.lines, std::vector<std::string>{"[subscribe, jobs, 1]"});
  EXPECT_EQ(pattern_log.lines, std::vector<std::string>{"[psubscribe, ctl.*, 2]"});

  // 1,000 messages published from a synchronous connection, pipelined, arrive at the async
  // callback in order; the pattern's callback sees only its own.
  constexpr int kMessages = 1000;
  RedisConnection pub = s.Connect();
  for (int i = 0; i < kMessages; ++i) {
    redisAppendCommand(pub.get(), "PUBLISH jobs job-%d", i);
    if (i % 100 == 0) redisAppendCommand(pub.get(), "PUBLISH ctl.stop %d", i);
  }
  int64_t delivered = 0;
  for (int i = 0; i < kMessages + kMessages / 100; ++i) delivered += Read(pub.get()).integer;
  EXPECT_EQ(delivered, kMessages + kMessages / 100);
  EXPECT_TRUE(loop.RunUntil(ac, [&] {
    return channel_log.lines.size() == 1 + kMessages &&
           pattern_log.lines.size() == 1 + kMessages / 100;
  })) << channel_log.lines.size() << " " << pattern_log.lines.size();
  int wrong = 0;
  for (int i = 0; i < kMessages && i + 1 < static_cast<int>(channel_log.lines.size()); ++i) {
    if (channel_log.lines[i + 1] != "[message, jobs, job-" + std::to_string(i) + "]" &&
        ++wrong <= 3) {
      ADD_FAILURE() << channel_log.lines[i + 1];
    }
  }
  EXPECT_EQ(wrong, 0);
  if (pattern_log.lines.size() < 3u) {
    ADD_FAILURE() << pattern_log.lines.size();
    redisAsyncFree(ac);
    return t;
  }
  EXPECT_EQ(pattern_log.lines[1], "[pmessage, ctl.*, ctl.stop, 0]");
  EXPECT_EQ(pattern_log.lines[2], "[pmessage, ctl.*, ctl.stop, 100]");
  t.push_back(std::to_string(channel_log.lines.size()));
  t.push_back(pattern_log.lines.back());

  // Unsubscribing everything: hiredis leaves subscribed mode only when the count in a reply
  // reaches 0, then an ordinary command gets an ordinary reply through its own callback.
  // (hiredis 0.14 files a command sent while subscribed as one expecting an error, so the SET
  // waits for the last unsubscribe reply: sent earlier, its reply trips an assertion there.)
  const size_t channel_before = channel_log.lines.size();
  const size_t pattern_before = pattern_log.lines.size();
  redisAsyncCommand(ac, OnReply, &channel_log, "UNSUBSCRIBE jobs");
  redisAsyncCommand(ac, OnReply, &pattern_log, "PUNSUBSCRIBE ctl.*");
  EXPECT_TRUE(loop.RunUntil(ac, [&] {
    return channel_log.lines.size() == channel_before + 1 &&
           pattern_log.lines.size() == pattern_before + 1;
  }));
  EXPECT_EQ(ac->c.flags & REDIS_SUBSCRIBED, 0);
  redisAsyncCommand(ac, OnReply, &other_log, "SET after unsubscribe");
  redisAsyncCommand(ac, OnReply, &other_log, "GET after");
  EXPECT_TRUE(loop.RunUntil(ac, [&] { return other_log.lines.size() == 2; }));
  EXPECT_EQ(channel_log.lines.back(), "[unsubscribe, jobs, 1]");
  EXPECT_EQ(pattern_log.lines.back(), "[punsubscribe, ctl.*, 0]");
  EXPECT_EQ(other_log.lines, (std::vector<std::string>{"OK", "unsubscribe"}));
  Append(&t, {channel_log.lines.back(), pattern_log.lines.back()});
  Append(&t, other_log.lines);
  EXPECT_EQ(Exec(pub.get(), {"PUBLISH", "jobs", "late"}).integer, 0);
  redisAsyncFree(ac);
  return t;
}

TEST(PubSubHiredisTest, AsyncSubscriberOnAPollLoop) { OnBothServers({}, AsyncSubscriber); }

// ---- Blocking pops ------------------------------------------------------------------------------

// `n` connections send `blocking` one after the other (each registered before the next), then
// `wake` runs on another connection; returns each blocked connection's reply, in blocking order.
std::vector<std::string> BlockThenWake(ServerProcess& s, int n,
                                       const std::vector<std::string>& blocking,
                                       const std::vector<std::string>& wake,
                                       std::string* wake_reply,
                                       std::vector<RedisConnection>* keep = nullptr) {
  std::vector<RedisConnection> conns;
  const int64_t base = s.InfoInt("blocked_clients");
  for (int i = 0; i < n; ++i) {
    conns.push_back(s.Connect());
    EXPECT_TRUE(Send(conns.back().get(), blocking));
    EXPECT_TRUE(WaitBlocked(s, base + i + 1)) << "client " << i << " did not block";
  }
  RedisConnection w = s.Connect();
  *wake_reply = Exec(w.get(), wake).ToString();
  std::vector<std::string> replies;
  for (auto& c : conns) replies.push_back(Read(c.get()).ToString());
  if (keep) *keep = std::move(conns);
  return replies;
}

Transcript BlockingFifo(ServerProcess& s) {
  Transcript t;
  std::string wake;
  auto check = [&](const std::vector<std::string>& got, const std::vector<std::string>& want,
                   const std::string& want_wake) {
    EXPECT_EQ(got, want);
    EXPECT_EQ(wake, want_wake);
    Append(&t, got);
    t.push_back(wake);
  };
  // BLPOP: three clients, one RPUSH of three elements: first blocked, first served.
  check(BlockThenWake(s, 3, {"BLPOP", "nothing", "q", "0"}, {"RPUSH", "q", "a", "b", "c"}, &wake),
        {"[q, a]", "[q, b]", "[q, c]"}, "3");
  // BRPOP pops from the tail.
  check(BlockThenWake(s, 3, {"BRPOP", "q2", "0"}, {"RPUSH", "q2", "a", "b", "c"}, &wake),
        {"[q2, c]", "[q2, b]", "[q2, a]"}, "3");
  // BZPOPMIN: lowest score first, to the longest waiter first.
  check(BlockThenWake(s, 3, {"BZPOPMIN", "z", "0"}, {"ZADD", "z", "3", "c", "1", "a", "2", "b"},
                      &wake),
        {"[z, a, 1]", "[z, b, 2]", "[z, c, 3]"}, "3");
  EXPECT_EQ(s.Command({"EXISTS", "q", "q2", "z"}).integer, 0);

  // BLMOVE: two elements for three clients; the third waits for the next push.
  std::vector<RedisConnection> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(s.Connect());
    EXPECT_TRUE(Send(conns.back().get(), {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"}));
    EXPECT_TRUE(WaitBlocked(s, i + 1));
  }
  EXPECT_EQ(s.Command({"RPUSH", "src", "x", "y"}).integer, 2);
  Append(&t, {Read(conns[0].get()).ToString(), Read(conns[1].get()).ToString()});
  EXPECT_EQ(t[t.size() - 2], "x");
  EXPECT_EQ(t[t.size() - 1], "y");
  EXPECT_TRUE(WaitBlocked(s, 1));
  EXPECT_EQ(s.Command({"LPUSH", "src", "z"}).integer, 1);
  t.push_back(Read(conns[2].get()).ToString());
  EXPECT_EQ(t.back(), "z");
  t.push_back(s.Command({"LRANGE", "dst", "0", "-1"}).ToString());
  EXPECT_EQ(t.back(), "[x, y, z]");
  EXPECT_EQ(s.InfoInt("blocked_clients"), 0);

  // Twenty connections on one key, served one element each, in the order they blocked.
  std::vector<std::string> want;
  std::vector<std::string> push = {"RPUSH", "many"};
  for (int i = 0; i < 20; ++i) {
    want.push_back("[many, e" + std::to_string(i) + "]");
    push.push_back("e" + std::to_string(i));
  }
  check(BlockThenWake(s, 20, {"BLPOP", "many", "0"}, push, &wake), want, "20");
  return t;
}

TEST(BlockingHiredisTest, ClientsAreServedInTheOrderTheyBlocked) {
  OnBothServers({}, BlockingFifo);
}

Transcript BlockingTimeouts(ServerProcess& s) {
  Transcript t;
  RedisConnection c = s.Connect();
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"BLPOP", "none", "0.2"},
                                             {"BRPOP", "none", "none2", "0.2"},
                                             {"BLMOVE", "none", "d", "LEFT", "LEFT", "0.2"},
                                             {"BZPOPMIN", "none", "0.2"},
                                             {"BZPOPMAX", "none", "0.2"},
                                             {"BLMPOP", "0.2", "1", "none", "LEFT"}}) {
    const auto start = Clock::now();
    const RespValue r = Exec(c.get(), argv);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    EXPECT_TRUE(r.IsNull()) << argv[0] << ": " << r.ToString();
    EXPECT_GE(ms, 190) << argv[0];
    EXPECT_LT(ms, 2000) << argv[0];
    t.push_back(argv[0] + " " + r.ToString());
  }
  // The connection is usable afterwards and nothing stays blocked.
  EXPECT_EQ(Exec(c.get(), {"PING"}).ToString(), "PONG");
  EXPECT_EQ(s.InfoInt("blocked_clients"), 0);
  // Bad timeouts: Redis's errors.
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{"BLPOP", "k", "-1"}, {"BLPOP", "k", "abc"}}) {
    t.push_back(Exec(c.get(), argv).ToString());
  }
  EXPECT_EQ(t[t.size() - 2], "(error) ERR timeout is negative");
  EXPECT_EQ(t[t.size() - 1], "(error) ERR timeout is not a float or out of range");
  return t;
}

TEST(BlockingHiredisTest, TimeoutsReturnNil) { OnBothServers({}, BlockingTimeouts); }

Transcript ClientUnblock(ServerProcess& s) {
  Transcript t;
  RedisConnection admin = s.Connect();
  RedisConnection b = s.Connect();
  const std::string id = std::to_string(ClientId(b.get()));
  auto record = [&](const std::string& got, const std::string& want) {
    EXPECT_EQ(got, want);
    t.push_back(got);
  };
  // Not blocked: 0.
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", id}).ToString(), "0");
  // TIMEOUT (the default): the blocked command answers as if it timed out.
  EXPECT_TRUE(Send(b.get(), {"BLPOP", "k", "0"}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", id}).ToString(), "1");
  record(Read(b.get()).ToString(), "(nil)");
  EXPECT_EQ(s.InfoInt("blocked_clients"), 0);
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", id, "TIMEOUT"}).ToString(), "0");
  // ERROR: the UNBLOCKED error.
  EXPECT_TRUE(Send(b.get(), {"BZPOPMIN", "z", "0"}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", id, "ERROR"}).ToString(), "1");
  record(Read(b.get()).ToString(),
         "(error) UNBLOCKED client unblocked via CLIENT UNBLOCK");
  // The unblocked client is not left in the key's queue: a later push is not popped for it.
  record(Exec(admin.get(), {"ZADD", "z", "1", "m"}).ToString(), "1");
  record(Exec(admin.get(), {"ZCARD", "z"}).ToString(), "1");
  record(Exec(b.get(), {"PING"}).ToString(), "PONG");
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", id, "BOGUS"}).ToString(),
         "(error) ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  record(Exec(admin.get(), {"CLIENT", "UNBLOCK", "notanumber"}).ToString(),
         "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(s.InfoInt("blocked_clients"), 0);
  return t;
}

TEST(BlockingHiredisTest, ClientUnblockTimeoutAndError) { OnBothServers({}, ClientUnblock); }


// The ping-pong of bench/compare/blpop_pingpong.cc, and the reads of a blocked connection: a
// woken client's next request (nothing was pending when it was woken), requests that arrive
// with or after the blocking one (held, then run after the wake-up), and a blocked client that
// disconnects (seen at once: it leaves the queue and consumes nothing).
Transcript BlockedConnectionReads(ServerProcess& s) {
  Transcript t;
  RedisConnection a = s.Connect();
  RedisConnection b = s.Connect();
  EXPECT_TRUE(Send(b.get(), {"BLPOP", "ping", "0"}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  int rounds_ok = 0;
  constexpr int kRounds = 200;
  for (int i = 0; i < kRounds; ++i) {
    const std::string x = "x" + std::to_string(i);
    // A pushes to ping (waking B) and blocks on pong; B pushes to pong (waking A) and blocks on
    // ping again.
    bool ok = SendPipelined(a.get(), {{"RPUSH", "ping", x}, {"BLPOP", "pong", "0"}});
    ok = ok && Read(a.get()).ToString() == "1";
    ok = ok && Read(b.get()).ToString() == "[ping, " + x + "]";
    ok = ok && SendPipelined(b.get(), {{"RPUSH", "pong", x}, {"BLPOP", "ping", "0"}});
    ok = ok && Read(b.get()).ToString() == "1";
    ok = ok && Read(a.get()).ToString() == "[pong, " + x + "]";
    if (!ok) break;
    ++rounds_ok;
  }
  EXPECT_EQ(rounds_ok, kRounds);
  t.push_back("rounds " + std::to_string(rounds_ok));
  // B is still blocked on ping: wake it, and it answers a request sent afterwards.
  EXPECT_TRUE(WaitBlocked(s, 1));
  t.push_back(Exec(a.get(), {"RPUSH", "ping", "last"}).ToString());
  t.push_back(Read(b.get()).ToString());
  EXPECT_EQ(t.back(), "[ping, last]");
  t.push_back(Exec(b.get(), {"PING"}).ToString());
  EXPECT_EQ(t.back(), "PONG");

  // Requests pipelined behind the blocking one wait for it, then run.
  EXPECT_TRUE(SendPipelined(b.get(), {{"BLPOP", "k1", "0"}, {"ECHO", "behind"}}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  t.push_back(Exec(a.get(), {"RPUSH", "k1", "v1"}).ToString());
  t.push_back(Read(b.get()).ToString());
  EXPECT_EQ(t.back(), "[k1, v1]");
  t.push_back(Read(b.get()).ToString());
  EXPECT_EQ(t.back(), "behind");
  // A request sent while the client is blocked arrives at a suspended connection: kept, and
  // run after the wake-up.
  EXPECT_TRUE(Send(b.get(), {"BLPOP", "k2", "0"}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  EXPECT_TRUE(Send(b.get(), {"ECHO", "later"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  t.push_back(Exec(a.get(), {"RPUSH", "k2", "v2"}).ToString());
  t.push_back(Read(b.get()).ToString());
  EXPECT_EQ(t.back(), "[k2, v2]");
  t.push_back(Read(b.get()).ToString());
  EXPECT_EQ(t.back(), "later");

  // A blocked client that goes away leaves the queue; the next push stays in the list.
  {
    RedisConnection gone = s.Connect();
    EXPECT_TRUE(Send(gone.get(), {"BLPOP", "k3", "0"}));
    EXPECT_TRUE(WaitBlocked(s, 1));
  }
  EXPECT_TRUE(WaitBlocked(s, 0));
  t.push_back(Exec(a.get(), {"RPUSH", "k3", "kept"}).ToString());
  t.push_back(Exec(a.get(), {"LRANGE", "k3", "0", "-1"}).ToString());
  EXPECT_EQ(t.back(), "[kept]");
  EXPECT_EQ(s.InfoInt("blocked_clients"), 0);
  return t;
}

TEST(BlockingHiredisTest, BlockedConnectionReads) { OnBothServers({}, BlockedConnectionReads); }

// ---- Keyspace notifications ---------------------------------------------------------------------

Transcript KeyspaceNotifications(ServerProcess& s) {
  Transcript t;
  RedisConnection sub = s.Connect();
  RedisConnection c = s.Connect();
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "notify-keyspace-events", "KEA"}).ToString(), "OK");
  EXPECT_EQ(SendRead(sub.get(), {"PSUBSCRIBE", "__key*@0__:*"}),
            std::vector<std::string>{"[psubscribe, __key*@0__:*, 1]"});
  const std::string p = "[pmessage, __key*@0__:*, ";
  // Reads the keyspace and keyevent pair of one event on `key`.
  auto pair = [&](const std::string& event, const std::string& key) {
    const std::string a = Read(sub.get()).ToString();
    const std::string b = Read(sub.get()).ToString();
    EXPECT_EQ(a, p + "__keyspace@0__:" + key + ", " + event + "]");
    EXPECT_EQ(b, p + "__keyevent@0__:" + event + ", " + key + "]");
    t.push_back(a);
    t.push_back(b);
  };
  Exec(c.get(), {"SET", "foo", "bar"});
  pair("set", "foo");
  Exec(c.get(), {"EXPIRE", "foo", "100"});
  pair("expire", "foo");
  Exec(c.get(), {"LPUSH", "l", "a", "b"});
  pair("lpush", "l");
  Exec(c.get(), {"RENAME", "l", "l2"});
  pair("rename_from", "l");
  pair("rename_to", "l2");
  Exec(c.get(), {"HSET", "h", "f", "v"});
  pair("hset", "h");
  Exec(c.get(), {"INCRBY", "n", "5"});
  pair("incrby", "n");
  Exec(c.get(), {"DEL", "foo", "missing"});
  pair("del", "foo");
  // HSET of a field to the value it has still announces hset (Redis does).
  Exec(c.get(), {"HSET", "h", "f", "v"});
  pair("hset", "h");
  // A write that changes nothing announces nothing: the next event is SADD's.
  Exec(c.get(), {"SREM", "noset", "x"});
  Exec(c.get(), {"SREM", "s-missing", "x"});
  Exec(c.get(), {"SADD", "s", "x"});
  pair("sadd", "s");
  // A blocked BLPOP served by an RPUSH: rpush, then the pop it became, then the deletion of
  // the list it emptied.
  RedisConnection b = s.Connect();
  EXPECT_TRUE(Send(b.get(), {"BLPOP", "bq", "0"}));
  EXPECT_TRUE(WaitBlocked(s, 1));
  Exec(c.get(), {"RPUSH", "bq", "x"});
  EXPECT_EQ(Read(b.get()).ToString(), "[bq, x]");
  pair("rpush", "bq");
  pair("lpop", "bq");
  pair("del", "bq");
  // Expiry by the server (active or on access): "expired".
  Exec(c.get(), {"SET", "e", "v", "PX", "30"});
  pair("set", "e");
  pair("expire", "e");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Exec(c.get(), {"GET", "e"});
  pair("expired", "e");
  // A class filter: only generic events (g) as keyevent (E): SET says nothing, DEL does.
  Exec(c.get(), {"CONFIG", "SET", "notify-keyspace-events", "Eg"});
  Exec(c.get(), {"SET", "quiet", "1"});
  Exec(c.get(), {"DEL", "quiet"});
  const std::string only = Read(sub.get()).ToString();
  EXPECT_EQ(only, p + "__keyevent@0__:del, quiet]");
  t.push_back(only);
  EXPECT_EQ(SendRead(sub.get(), {"PING"}), std::vector<std::string>{"[pong, ]"});
  return t;
}

TEST(KeyspaceNotificationsHiredisTest, EventsReachAHiredisSubscriber) {
  OnBothServers({}, KeyspaceNotifications);
}

// ---- Client tracking, RESP2 redirect ------------------------------------------------------------

Transcript TrackingRedirect(ServerProcess& s) {
  Transcript t;
  RedisConnection inv = s.Connect();
  RedisConnection data = s.Connect();
  RedisConnection writer = s.Connect();
  const std::string inv_id = std::to_string(ClientId(inv.get()));
  auto record = [&](const std::string& got, const std::string& want) {
    EXPECT_EQ(got, want);
    t.push_back(got);
  };
  record(SendRead(inv.get(), {"SUBSCRIBE", "__redis__:invalidate"})[0],
         "[subscribe, __redis__:invalidate, 1]");
  record(Exec(data.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", inv_id}).ToString(), "OK");
  EXPECT_EQ(Exec(data.get(), {"CLIENT", "GETREDIR"}).ToString(), inv_id);
  Exec(writer.get(), {"MSET", "k1", "a", "k2", "b", "k3", "c"});
  record(Exec(data.get(), {"GET", "k1"}).ToString(), "a");
  record(Exec(data.get(), {"MGET", "k2", "k3"}).ToString(), "[b, c]");
  // Another client changes k1: the redirect target hears of it, as a message on the channel
  // whose payload is an array of keys.
  Exec(writer.get(), {"SET", "k1", "new"});
  record(Read(inv.get()).ToString(), "[message, __redis__:invalidate, [k1]]");
  // k1 is no longer tracked (it was not read again): changing it again says nothing; the
  // next message is k2's.
  Exec(writer.get(), {"SET", "k1", "newer"});
  Exec(writer.get(), {"DEL", "k2"});
  record(Read(inv.get()).ToString(), "[message, __redis__:invalidate, [k2]]");
  // Expiry invalidates too.
  Exec(writer.get(), {"PEXPIRE", "k3", "20"});
  record(Read(inv.get()).ToString(), "[message, __redis__:invalidate, [k3]]");
  // FLUSHALL: one message with a nil payload.
  record(Exec(data.get(), {"GET", "k1"}).ToString(), "newer");
  Exec(writer.get(), {"FLUSHALL"});
  record(Read(inv.get()).ToString(), "[message, __redis__:invalidate, (nil)]");
  // BCAST with a prefix: every change under the prefix, whether read or not.
  record(Exec(data.get(), {"CLIENT", "TRACKING", "off"}).ToString(), "OK");
  record(Exec(data.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", inv_id, "BCAST", "PREFIX",
                           "user:"})
             .ToString(),
         "OK");
  Exec(writer.get(), {"SET", "other", "1"});
  Exec(writer.get(), {"SET", "user:1", "x"});
  record(Read(inv.get()).ToString(), "[message, __redis__:invalidate, [user:1]]");
  // A bad redirect: Redis's error.
  record(Exec(writer.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", "999999"}).ToString(),
         "(error) ERR The client ID you want redirect to does not exist");
  record(SendRead(inv.get(), {"PING"})[0], "[pong, ]");
  return t;
}

TEST(TrackingHiredisTest, RedirectToAResp2Subscriber) { OnBothServers({}, TrackingRedirect); }

}  // namespace
}  // namespace mnemo::test

// eviction_test.cc: maxmemory and every eviction policy against the real mnemo-server
// (tests/integration): which kind of keys survive a fill past the limit under each policy, -OOM
// when nothing may be evicted, OBJECT FREQ/IDLETIME/REFCOUNT under LRU/LFU, the INFO stats of
// eviction, lazy eviction of big values, and the limit holding under a pipelined flood from
// several clients.
//
// Sizes: a fresh server uses about 50 KB; a key "cold:000123" with a 100-byte value costs about
// 180 bytes of used_memory (object with key and value in one block, plus its bucket). Each test
// sets maxmemory to the server's used_memory at start plus room for a stated number of keys, so
// the tests do not depend on the exact per-key size; their assertions are about which keys
// survive, counted relative to what the server kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace mnemo::test {
namespace {

using Argv = std::vector<std::string>;

constexpr size_t kValueSize = 100;
// Approximate used_memory per key of these tests (see the file comment); only used to size
// maxmemory.
constexpr int64_t kBytesPerKey = 180;
constexpr std::string_view kOomError = "OOM command not allowed when used memory > 'maxmemory'.";

std::string Value() { return std::string(kValueSize, 'v'); }

// Sends every command in one pipeline and returns the replies in order.
std::vector<RespValue> Pipeline(redisContext* c, const std::vector<Argv>& cmds) {
  for (const Argv& argv : cmds) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  }
  std::vector<RespValue> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) {
      RespValue v;
      v.type = RespValue::Type::kError;
      v.str = "IO: " + std::string(c->errstr);
      out.push_back(v);
      break;
    }
    out.push_back(FromHiredis(static_cast<redisReply*>(r)));
    freeReplyObject(r);
  }
  return out;
}

// The integer value of an INFO field read on connection `c` (-1 if absent).
int64_t InfoInt(redisContext* c, const std::string& field, const std::string& section = "all") {
  const RespValue info = Exec(c, {"INFO", section});
  const std::string key = "\r\n" + field + ":";
  size_t pos = info.str.find(key);
  if (pos == std::string::npos) return -1;
  pos += key.size();
  return std::stoll(info.str.substr(pos, info.str.find("\r\n", pos) - pos));
}

// Writes keys prefix0..prefix{n-1} (SET with optional extra arguments such as EX 3600) in
// pipelined batches; returns the replies.
std::vector<RespValue> SetKeys(redisContext* c, const std::string& prefix, int from, int to,
                               const Argv& extra = {}) {
  std::vector<Argv> cmds;
  for (int i = from; i < to; ++i) {
    Argv a = {"SET", prefix + std::to_string(i), Value()};
    a.insert(a.end(), extra.begin(), extra.end());
    cmds.push_back(std::move(a));
  }
  return Pipeline(c, cmds);
}

// How many of prefix{from}..prefix{to-1} exist.
int CountExisting(redisContext* c, const std::string& prefix, int from, int to) {
  std::vector<Argv> cmds;
  for (int i = from; i < to; ++i) cmds.push_back({"EXISTS", prefix + std::to_string(i)});
  int n = 0;
  for (const RespValue& r : Pipeline(c, cmds)) n += r.integer == 1 ? 1 : 0;
  return n;
}

// Sets maxmemory to the current used_memory plus room for `keys` keys; returns the limit.
// Writes keys prefix0, prefix1, ... in pipelined batches of 500 until a write is refused (at
// most `batches` batches); returns how many were written and sets *error to the refusal.
int WriteUntilRefused(redisContext* c, const std::string& prefix, int batches,
                      std::string* error) {
  int written = 0;
  for (int batch = 0; batch < batches && error->empty(); ++batch) {
    for (const RespValue& r : SetKeys(c, prefix, batch * 500, (batch + 1) * 500)) {
      if (r.IsError()) {
        *error = r.str;
        break;
      }
      ++written;
    }
  }
  return written;
}

int64_t LimitForKeys(redisContext* c, int64_t keys) {
  const int64_t limit = InfoInt(c, "used_memory") + keys * kBytesPerKey;
  EXPECT_EQ(Exec(c, {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).str, "OK");
  return limit;
}

int64_t Dbsize(redisContext* c) { return Exec(c, {"DBSIZE"}).integer; }

// ---- allkeys-lru / allkeys-lfu: the keys in use survive -----------------------------------

// Room for 8,000 keys; 400 hot keys are read after every batch of 800 new cold keys, 30 times
// (24,000 cold keys, three times the room). The LRU clock ticks every 250 ms (Redis: every
// second), so the fill is spread over about 6 s (a pause after each round): otherwise every key
// would have the same idle time and LRU could not tell hot from cold. Even with 1 s ticks, the
// cold keys written in the current second are under half of what fits, so older cold keys are
// always there to evict.
TEST(EvictionTest, AllkeysLruKeepsRecentlyReadKeys) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lru"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  constexpr int kHot = 400;
  constexpr int kRounds = 30;
  constexpr int kColdPerRound = 800;
  const int64_t limit = LimitForKeys(c.get(), 8000);
  SetKeys(c.get(), "hot:", 0, kHot);
  int hot_misses = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (const RespValue& r :
         SetKeys(c.get(), "cold:", round * kColdPerRound, (round + 1) * kColdPerRound)) {
      ASSERT_EQ(r.str, "OK");
    }
    std::vector<Argv> gets;
    for (int i = 0; i < kHot; ++i) gets.push_back({"GET", "hot:" + std::to_string(i)});
    for (const RespValue& r : Pipeline(c.get(), gets)) hot_misses += r.IsNull() ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const int hot_alive = CountExisting(c.get(), "hot:", 0, kHot);
  const int cold_alive = CountExisting(c.get(), "cold:", 0, kRounds * kColdPerRound);
  EXPECT_GE(hot_alive, kHot * 95 / 100) << "hot misses during the run: " << hot_misses;
  EXPECT_LE(cold_alive, kRounds * kColdPerRound / 2);
  EXPECT_GT(InfoInt(c.get(), "evicted_keys"), kRounds * kColdPerRound / 2);
  EXPECT_LE(InfoInt(c.get(), "used_memory"), limit);
}

// The same fill under allkeys-lfu, without pauses: frequency does not need the clock. A new key
// starts with counter 5 and its first read makes it 6, so after one round every hot key is
// more frequent than any cold key.
TEST(EvictionTest, AllkeysLfuKeepsFrequentlyReadKeys) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lfu"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  constexpr int kHot = 400;
  constexpr int kRounds = 30;
  constexpr int kColdPerRound = 800;
  const int64_t limit = LimitForKeys(c.get(), 8000);
  SetKeys(c.get(), "hot:", 0, kHot);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Argv> gets;
    for (int i = 0; i < kHot; ++i) gets.push_back({"GET", "hot:" + std::to_string(i)});
    Pipeline(c.get(), gets);
    SetKeys(c.get(), "cold:", round * kColdPerRound, (round + 1) * kColdPerRound);
  }
  const int hot_alive = CountExisting(c.get(), "hot:", 0, kHot);
  const int cold_alive = CountExisting(c.get(), "cold:", 0, kRounds * kColdPerRound);
  EXPECT_GE(hot_alive, kHot * 95 / 100);
  EXPECT_LE(cold_alive, kRounds * kColdPerRound / 2);
  // The hot keys' counters grew past a new key's 5.
  const RespValue freq = Exec(c.get(), {"OBJECT", "FREQ", "hot:1"});
  ASSERT_EQ(freq.type, RespValue::Type::kInteger) << freq.ToString();
  EXPECT_GE(freq.integer, 6);
  EXPECT_LE(InfoInt(c.get(), "used_memory"), limit);
}

// ---- volatile-*: keys without a TTL are never evicted ------------------------------------

class VolatileEvictionTest : public ::testing::TestWithParam<const char*> {};

// 1,500 persistent keys, then 6,000 keys with a TTL into room for 4,000: only keys with a TTL
// go. Then persistent keys until the volatile ones are all gone: writes get -OOM, reads and DEL
// still work.
TEST_P(VolatileEvictionTest, NeverEvictsKeysWithoutTtl) {
  ServerProcess server({"--maxmemory-policy", GetParam()});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  const int64_t limit = LimitForKeys(c.get(), 4000);
  for (const RespValue& r : SetKeys(c.get(), "p:", 0, 1500)) ASSERT_EQ(r.str, "OK");
  for (int i = 0; i < 6000; i += 500) {
    for (const RespValue& r : SetKeys(c.get(), "v:", i, i + 500, {"EX", "3600"})) {
      ASSERT_EQ(r.str, "OK");
    }
  }
  // Counting is a pipeline of 6,000 reads whose buffers count in used_memory, and over the limit
  // reads evict too (as in Redis): the limit is lifted while counting, so that the count is of
  // what the writes left and evicted_keys must match it exactly.
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", "0"}).str, "OK");
  EXPECT_EQ(CountExisting(c.get(), "p:", 0, 1500), 1500);
  const int volatile_alive = CountExisting(c.get(), "v:", 0, 6000);
  EXPECT_LT(volatile_alive, 6000);
  EXPECT_GT(volatile_alive, 0);
  EXPECT_EQ(InfoInt(c.get(), "evicted_keys"), 6000 - volatile_alive);
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).str, "OK");

  // Persistent writes evict the remaining volatile keys, then are refused.
  std::string oom;
  const int written = WriteUntilRefused(c.get(), "q:", 40, &oom);
  EXPECT_EQ(oom, kOomError);
  EXPECT_EQ(CountExisting(c.get(), "v:", 0, 6000), 0);
  EXPECT_EQ(CountExisting(c.get(), "p:", 0, 1500), 1500);
  EXPECT_EQ(CountExisting(c.get(), "q:", 0, written), written);
  // Only denyoom commands are refused: reads and DEL still run.
  // Further writes keep being refused. Some pass: the previous pipeline's buffers (500 -OOM
  // replies, 29 KB, and its query buffer) were freed, which makes room for a few hundred keys.
  int refused = 0;
  for (const RespValue& r : SetKeys(c.get(), "r:", 0, 2000)) refused += r.str == kOomError;
  EXPECT_GT(refused, 1000);
  EXPECT_EQ(Exec(c.get(), {"GET", "p:7"}).str, Value());
  EXPECT_EQ(Exec(c.get(), {"DEL", "p:8"}).integer, 1);
}

INSTANTIATE_TEST_SUITE_P(Policies, VolatileEvictionTest,
                         ::testing::Values("volatile-lru", "volatile-lfu", "volatile-random"));

// 1,000 persistent keys, then 6,000 keys whose TTLs (1 h + 0..5,999 s) come in shuffled order,
// into room for 4,000. The nearest expiries go first: of the volatile keys that survive, nearly
// all are among those with the longest TTLs (the ideal survivors). The pool of 16 candidates,
// refilled with 10 samples per eviction, approximates that order; 90% is a loose floor.
TEST(EvictionTest, VolatileTtlEvictsNearestExpiryFirst) {
  ServerProcess server({"--maxmemory-policy", "volatile-ttl", "--maxmemory-samples", "10"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  LimitForKeys(c.get(), 4000);
  SetKeys(c.get(), "p:", 0, 1000);
  constexpr int kVolatile = 6000;
  std::vector<int> ttl_rank(kVolatile);
  std::iota(ttl_rank.begin(), ttl_rank.end(), 0);
  std::shuffle(ttl_rank.begin(), ttl_rank.end(), std::mt19937(12345));
  for (int i = 0; i < kVolatile; i += 500) {
    std::vector<Argv> cmds;
    for (int j = i; j < i + 500; ++j) {
      cmds.push_back({"SET", "v:" + std::to_string(j), Value(), "EX",
                      std::to_string(3600 + ttl_rank[static_cast<size_t>(j)])});
    }
    for (const RespValue& r : Pipeline(c.get(), cmds)) ASSERT_EQ(r.str, "OK");
  }
  EXPECT_EQ(CountExisting(c.get(), "p:", 0, 1000), 1000);
  int alive = 0;
  int alive_ideal = 0;
  int ideal_count = 0;
  std::vector<bool> exists(kVolatile);
  for (int j = 0; j < kVolatile; ++j) {
    exists[static_cast<size_t>(j)] =
        Exec(c.get(), {"EXISTS", "v:" + std::to_string(j)}).integer == 1;
    alive += exists[static_cast<size_t>(j)] ? 1 : 0;
  }
  ASSERT_GT(alive, 0);
  ASSERT_LT(alive, kVolatile);
  for (int j = 0; j < kVolatile; ++j) {
    const bool ideal = ttl_rank[static_cast<size_t>(j)] >= kVolatile - alive;
    ideal_count += ideal ? 1 : 0;
    if (ideal && exists[static_cast<size_t>(j)]) ++alive_ideal;
  }
  EXPECT_EQ(ideal_count, alive);
  EXPECT_GE(alive_ideal, alive * 90 / 100) << alive_ideal << " of " << alive;
}

// ---- allkeys-random / noeviction ---------------------------------------------------------

TEST(EvictionTest, AllkeysRandomEvictsSomething) {
  ServerProcess server({"--maxmemory-policy", "allkeys-random"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  const int64_t limit = LimitForKeys(c.get(), 4000);
  for (int i = 0; i < 12000; i += 1000) {
    for (const RespValue& r : SetKeys(c.get(), "k:", i, i + 1000)) ASSERT_EQ(r.str, "OK");
  }
  const int64_t keys = Dbsize(c.get());
  EXPECT_LT(keys, 12000);
  EXPECT_GT(keys, 1000);
  EXPECT_EQ(InfoInt(c.get(), "evicted_keys"), 12000 - keys);
  // Random, not oldest-first: both early and late keys are among the survivors and the evicted.
  const int early = CountExisting(c.get(), "k:", 0, 1000);
  const int late = CountExisting(c.get(), "k:", 11000, 12000);
  EXPECT_GT(early, 0);
  EXPECT_LT(early, 1000);
  EXPECT_LT(late, 1000);
  EXPECT_LE(InfoInt(c.get(), "used_memory"), limit);
}

TEST(EvictionTest, NoevictionRefusesWritesButServesReadsAndDel) {
  ServerProcess server({"--maxmemory-policy", "noeviction"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  LimitForKeys(c.get(), 2000);
  std::string error;
  const int written = WriteUntilRefused(c.get(), "k:", 20, &error);
  ASSERT_EQ(error, kOomError);
  EXPECT_GT(written, 1000);
  // The pipeline's own query and reply buffers counted when it was refused; once they are freed
  // the data alone may be just under the limit, and a command's own arguments decide. Lowering
  // the limit 64 KB below the data (as an operator may: noeviction evicts nothing) keeps the
  // server over it for what follows, whatever the size of those buffers.
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory",
                           std::to_string(InfoInt(c.get(), "used_memory") - 64 * 1024)})
                .str,
            "OK");
  EXPECT_EQ(Dbsize(c.get()), written);
  EXPECT_EQ(InfoInt(c.get(), "evicted_keys"), 0);
  // Every denyoom command is refused; reads and other commands are served.
  EXPECT_EQ(Exec(c.get(), {"SET", "k:0", "x"}).str, kOomError);
  EXPECT_EQ(Exec(c.get(), {"APPEND", "k:0", "x"}).str, kOomError);
  EXPECT_EQ(Exec(c.get(), {"INCR", "counter"}).str, kOomError);
  EXPECT_EQ(Exec(c.get(), {"GET", "k:0"}).str, Value());
  EXPECT_EQ(Exec(c.get(), {"EXISTS", "k:1"}).integer, 1);
  EXPECT_EQ(Exec(c.get(), {"PING"}).str, "PONG");
  EXPECT_EQ(Exec(c.get(), {"EXPIRE", "k:2", "100"}).integer, 1);

  // Over the limit since the refusals: current_eviction_exceeded_time counts up.
  const int64_t current1 = InfoInt(c.get(), "current_eviction_exceeded_time");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t current2 = InfoInt(c.get(), "current_eviction_exceeded_time");
  EXPECT_GE(current2, current1 + 50);
  EXPECT_GE(InfoInt(c.get(), "total_eviction_exceeded_time"), current2);

  // DEL frees memory; once under the limit, writes work again and the stretch ends. Keys are
  // deleted 100 at a time until used_memory is 4 KB under the limit (how many that takes
  // depends on the size of the pipelines' buffers when the writes were refused).
  const int64_t maxmemory = InfoInt(c.get(), "maxmemory");
  int deleted = 0;
  while (deleted < written && InfoInt(c.get(), "used_memory") > maxmemory - 4096) {
    std::vector<Argv> dels;
    for (int i = deleted; i < std::min(written, deleted + 100); ++i) {
      dels.push_back({"DEL", "k:" + std::to_string(i)});
    }
    for (const RespValue& r : Pipeline(c.get(), dels)) EXPECT_EQ(r.integer, 1);
    deleted += static_cast<int>(dels.size());
  }
  EXPECT_LT(deleted, written);
  EXPECT_EQ(Exec(c.get(), {"SET", "k:0", "again"}).str, "OK");
  EXPECT_EQ(InfoInt(c.get(), "current_eviction_exceeded_time"), 0);
  EXPECT_GE(InfoInt(c.get(), "total_eviction_exceeded_time"), current2);
}

// ---- OBJECT under LRU / LFU -----------------------------------------------------------------

TEST(EvictionTest, ObjectFreqAndIdletimeFollowThePolicy) {
  ServerProcess server({"--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  ASSERT_EQ(Exec(c.get(), {"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "FREQ", "k"}).ToString(),
            "(error) ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU data will "
            "take some time to adjust.");
  const RespValue idle = Exec(c.get(), {"OBJECT", "IDLETIME", "k"});
  ASSERT_EQ(idle.type, RespValue::Type::kInteger);
  EXPECT_LE(idle.integer, 1);
  EXPECT_TRUE(Exec(c.get(), {"OBJECT", "FREQ", "missing"}).IsNull());

  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}).str, "OK");
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "IDLETIME", "k"}).ToString(),
            "(error) ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
            "that when switching between policies at runtime LRU and LFU data will take some "
            "time to adjust.");
  ASSERT_EQ(Exec(c.get(), {"SET", "f", "v"}).str, "OK");
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "FREQ", "f"}).integer, 5);  // a new key's counter
  Exec(c.get(), {"GET", "f"});
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "FREQ", "f"}).integer, 6);  // certain at the initial value
  EXPECT_TRUE(Exec(c.get(), {"OBJECT", "IDLETIME", "missing"}).IsNull());

  // Without an eviction policy FREQ is not tracked either.
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", "noeviction"}).str, "OK");
  EXPECT_TRUE(Exec(c.get(), {"OBJECT", "FREQ", "k"}).IsError());
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "IDLETIME", "k"}).type, RespValue::Type::kInteger);
}

// Shared integers would share one LRU/LFU field between keys, so they are not used when
// maxmemory is set with an LRU or LFU policy (Redis: refcount 1 then, 2147483647 otherwise).
TEST(EvictionTest, SharedIntegersOnlyWithoutLruLfuUnderMaxmemory) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lru"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  auto refcount_of_new_int = [&](const std::string& key) {
    EXPECT_EQ(Exec(c.get(), {"SET", key, "100"}).str, "OK");
    return Exec(c.get(), {"OBJECT", "REFCOUNT", key}).integer;
  };
  EXPECT_EQ(refcount_of_new_int("a"), 2147483647);  // no maxmemory: shared
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", "100mb"}).str, "OK");
  EXPECT_EQ(refcount_of_new_int("b"), 1);
  for (const char* policy : {"allkeys-lfu", "volatile-lru", "volatile-lfu"}) {
    ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", policy}).str, "OK");
    EXPECT_EQ(refcount_of_new_int(std::string("c-") + policy), 1) << policy;
  }
  for (const char* policy : {"noeviction", "allkeys-random", "volatile-ttl"}) {
    ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", policy}).str, "OK");
    EXPECT_EQ(refcount_of_new_int(std::string("d-") + policy), 2147483647) << policy;
  }
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}).str, "OK");
  EXPECT_EQ(Exec(c.get(), {"INCR", "b"}).integer, 101);
  EXPECT_EQ(Exec(c.get(), {"OBJECT", "REFCOUNT", "b"}).integer, 1);
}

// ---- INFO stats -----------------------------------------------------------------------------

TEST(EvictionTest, EvictionStatsArePresentAndMove) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lru"});
  RedisConnection c = server.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(InfoInt(c.get(), "evicted_keys", "stats"), 0);
  EXPECT_EQ(InfoInt(c.get(), "total_eviction_exceeded_time", "stats"), 0);
  EXPECT_EQ(InfoInt(c.get(), "current_eviction_exceeded_time", "stats"), 0);
  LimitForKeys(c.get(), 2000);
  SetKeys(c.get(), "k:", 0, 4000);
  const int64_t evicted1 = InfoInt(c.get(), "evicted_keys", "stats");
  EXPECT_GT(evicted1, 1000);
  SetKeys(c.get(), "k:", 4000, 5000);
  EXPECT_GE(InfoInt(c.get(), "evicted_keys", "stats"), evicted1 + 900);
  // A limit of 1 byte: everything is evicted (in time-budgeted steps), then memory stays above
  // the limit with nothing left to evict, and the stretch over the limit goes on.
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", "1"}).str, "OK");
  for (int i = 0; i < 1000 && Dbsize(c.get()) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Dbsize(c.get()), 0);
  EXPECT_EQ(Exec(c.get(), {"SET", "k", "v"}).str, kOomError);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t current = InfoInt(c.get(), "current_eviction_exceeded_time", "stats");
  EXPECT_GE(current, 20);
  EXPECT_GE(InfoInt(c.get(), "total_eviction_exceeded_time", "stats"), current);
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", "0"}).str, "OK");
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "RESETSTAT"}).str, "OK");
  EXPECT_EQ(InfoInt(c.get(), "evicted_keys", "stats"), 0);
}

// ---- lazy eviction of big values ------------------------------------------------------------

// 48 values of 1 MB into 16 MB. A sampler on a second connection reads used_memory all along:
// the guard evicts before every command (INFO included), so what it can see above the limit is
// what arrived between two commands: the 1 MB argument of a SET still being read into the
// query buffer, plus INFO's own reply. Bound: limit + 1 MB + 256 KB.
TEST(EvictionTest, LazyEvictionOfBigValuesKeepsTheLimit) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lru", "--lazyfree-lazy-eviction", "yes"});
  RedisConnection c = server.Connect();
  RedisConnection sampler = server.Connect();
  ASSERT_TRUE(c && sampler);
  constexpr int64_t kMb = 1024 * 1024;
  const int64_t limit = InfoInt(c.get(), "used_memory") + 16 * kMb;
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).str, "OK");
  std::atomic<bool> done{false};
  std::atomic<int64_t> max_seen{0};
  std::thread t([&] {
    while (!done.load()) {
      const int64_t used = InfoInt(sampler.get(), "used_memory", "memory");
      if (used > max_seen.load()) max_seen = used;
    }
  });
  const std::string big(static_cast<size_t>(kMb), 'x');
  for (int i = 0; i < 48; ++i) {
    // With every other key evicted and their values still waiting for the lazy-free thread,
    // the guard waits for it only within its 500 us budget, then answers -OOM (as Redis's
    // performEvictions does): on a loaded machine that thread may not have run yet. The bound
    // under test holds either way; the write is retried until the thread has caught up.
    std::string reply;
    for (int attempt = 0; attempt < 200; ++attempt) {
      reply = Exec(c.get(), {"SET", "big:" + std::to_string(i), big}).str;
      if (reply.rfind("OOM", 0) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(reply, "OK");
  }
  done = true;
  t.join();
  EXPECT_LE(Dbsize(c.get()), 16);
  EXPECT_GE(InfoInt(c.get(), "evicted_keys"), 32);
  EXPECT_EQ(Exec(c.get(), {"EXISTS", "big:47"}).integer, 1);  // the newest survives
  EXPECT_GT(max_seen.load(), 0);
  EXPECT_LE(max_seen.load(), limit + kMb + 256 * 1024) << "limit " << limit;
  EXPECT_LE(InfoInt(c.get(), "used_memory"), limit);
}

// ---- the limit under a pipelined flood ------------------------------------------------------

// 4 clients each pipeline 50,000 SETs of 100-byte values (36 MB of keys into 16 MB) while a
// fifth connection samples INFO used_memory in a loop, and used_memory_peak (recorded by the
// cron, between commands) is read at the end. The server evicts before every command (INFO
// included), so memory can be seen above the limit only by what was allocated since the last
// check, or when a check ran out of its 500 us budget with little left to free. Since the last
// check, one connection's handler may have run one command (one key, < 1 KB), taken its next
// read chunk (16 KB) and grown its reply buffer: a client that pipelines without reading can
// have up to 250 KB of "+OK" replies queued, and the buffer's doubling allocates at most 256 KB
// at once. INFO's own reply is ~10 KB. Bound: 512 KB over maxmemory. (Measured: ~100 bytes.)
// The key table does not double near the limit: ~90,000 keys fit, and the table reached
// 131,072 buckets when the fill passed 65,536 keys, long before the limit.
TEST(EvictionTest, LimitHoldsUnderPipelinedFlood) {
  ServerProcess server({"--maxmemory-policy", "allkeys-lru"});
  RedisConnection admin = server.Connect();
  ASSERT_TRUE(admin);
  constexpr int64_t kMb = 1024 * 1024;
  constexpr int64_t kBound = 512 * 1024;
  const int64_t limit = InfoInt(admin.get(), "used_memory") + 16 * kMb;
  ASSERT_EQ(Exec(admin.get(), {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).str, "OK");
  std::atomic<int> writers_done{0};
  std::atomic<int64_t> max_seen{0};
  std::atomic<int64_t> samples{0};
  std::thread sampler([&] {
    RedisConnection s = server.Connect();
    while (writers_done.load() < 4) {
      const int64_t used = InfoInt(s.get(), "used_memory", "memory");
      if (used > max_seen.load()) max_seen = used;
      ++samples;
    }
  });
  std::atomic<int> errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      RedisConnection c = server.Connect(30000);
      const std::string prefix = "w" + std::to_string(w) + ":";
      const std::string value = Value();
      for (int i = 0; i < 50000; ++i) {
        const std::string key = prefix + std::to_string(i);
        redisAppendCommand(c.get(), "SET %b %b", key.data(), key.size(), value.data(),
                           value.size());
      }
      for (int i = 0; i < 50000; ++i) {
        void* r = nullptr;
        if (redisGetReply(c.get(), &r) != REDIS_OK) {
          ++errors;
          break;
        }
        if (static_cast<redisReply*>(r)->type != REDIS_REPLY_STATUS) ++errors;
        freeReplyObject(r);
      }
      ++writers_done;
    });
  }
  for (auto& t : writers) t.join();
  sampler.join();
  EXPECT_EQ(errors.load(), 0);
  const int64_t keys = Dbsize(admin.get());
  EXPECT_LT(keys, 200000);
  EXPECT_GT(keys, 50000);
  EXPECT_EQ(InfoInt(admin.get(), "evicted_keys"), 200000 - keys);
  EXPECT_GT(samples.load(), 10);
  EXPECT_LE(max_seen.load(), limit + kBound) << "over by " << max_seen.load() - limit;
  EXPECT_LE(InfoInt(admin.get(), "used_memory_peak"), limit + kBound)
      << "over by " << InfoInt(admin.get(), "used_memory_peak") - limit;
  EXPECT_LE(InfoInt(admin.get(), "used_memory"), limit);
}

}  // namespace
}  // namespace mnemo::test

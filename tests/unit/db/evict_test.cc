// evict_test.cc: db::Evictor and the LRU/LFU helpers directly (tests/unit/db): which keys the
// sampled pool evicts under every policy, ghosts in the pool, volatile policies never touching
// keys without a TTL, kOk/kRunning/kFail, the tenacity time budget; EstimateIdleMs across the
// clock's wrap-around, the LFU logarithmic counter and its decay.
//
// Memory is simulated: the Evictor is given a used_memory function that counts kBytesPerKey per
// key, so "maxmemory = 30 * kBytesPerKey" means "at most 30 keys". With maxmemory-samples at
// least the number of keys, every sampling round sees every key and the pool holds the 16 best
// candidates exactly, so the eviction order is deterministic and can be asserted key by key.
#include "mnemo/db/evict.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "mnemo/base/random.h"
#include "mnemo/db/db.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // the command clock of these tests (Unix ms)
constexpr size_t kBytesPerKey = 100;

std::string Key(int i) { return "k" + std::to_string(i); }

class EvictTest : public ::testing::Test {
 protected:
  EvictTest() : ks_(4), evictor_(ks_, [this] { return ks_.TotalKeys() * kBytesPerKey + extra_; }) {
    SeedRandom(42);
    ks_.set_now_ms(kNow);
    ks_.UpdateLruClock(kNow);
    ks_.options().maxmemory_samples = 64;
    ks_.options().maxmemory_eviction_tenacity = 100;  // no time limit unless a test says so
  }
  ~EvictTest() override { ks_.FlushAll(false); }

  // Adds key `name` to db `d`; `expire_ms` < 0: no TTL.
  Object* Add(int d, const std::string& name, int64_t expire_ms = -1) {
    Object* o = NewStringObject(ks_, 0, name, "value", expire_ms);
    ks_.db(d).Add(o);
    return o;
  }
  // A key last accessed `idle_ticks` LRU clock ticks ago.
  void AddIdle(int d, const std::string& name, uint32_t idle_ticks, int64_t expire_ms = -1) {
    Object* o = Add(d, name, expire_ms);
    o->set_lru(ks_.lru_clock() - idle_ticks);
  }
  // A key with LFU counter `counter`, last decremented now.
  void AddFreq(int d, const std::string& name, uint8_t counter, int64_t expire_ms = -1) {
    Object* o = Add(d, name, expire_ms);
    o->set_lru((LfuMinutes(kNow) << 8) | counter);
  }
  bool Has(int d, const std::string& name) { return ks_.db(d).keys().Find(name) != nullptr; }
  void SetLimitKeys(size_t keys) { ks_.options().maxmemory = keys * kBytesPerKey; }
  uint64_t evicted() { return ks_.stats().evicted_keys; }

  Keyspace ks_;
  size_t extra_ = 0;  // bytes counted on top of the keys (memory that eviction cannot free)
  Evictor evictor_;
};

TEST(EvictBudgetTest, TimeBudgetFollowsRedisTenacity) {
  EXPECT_EQ(Evictor::TimeBudgetUs(0), 0);
  EXPECT_EQ(Evictor::TimeBudgetUs(1), 50);
  EXPECT_EQ(Evictor::TimeBudgetUs(10), 500);
  EXPECT_EQ(Evictor::TimeBudgetUs(11), 575);  // 500 * 1.15
  EXPECT_EQ(Evictor::TimeBudgetUs(100), INT64_MAX);
  // About two minutes at 99 (500 us * 1.15^89).
  EXPECT_GT(Evictor::TimeBudgetUs(99), 100'000'000);
  EXPECT_LT(Evictor::TimeBudgetUs(99), 150'000'000);
  for (int t = 1; t < 100; ++t) EXPECT_GT(Evictor::TimeBudgetUs(t), Evictor::TimeBudgetUs(t - 1));
}

TEST_F(EvictTest, NoLimitOrUnderLimitIsOk) {
  for (int i = 0; i < 10; ++i) Add(0, Key(i));
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  ks_.options().maxmemory = 0;
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  SetLimitKeys(10);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 10u);
  EXPECT_EQ(evicted(), 0u);
  EXPECT_EQ(evictor_.current_exceeded_us(), 0u);
}

TEST_F(EvictTest, AllkeysLruEvictsTheMostIdleFirst) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  // 40 keys, key i idle for (i * 7 % 40) ticks: distinct idle times in scrambled order.
  for (int i = 0; i < 40; ++i) AddIdle(0, Key(i), static_cast<uint32_t>(i * 7 % 40) + 1);
  SetLimitKeys(30);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 30u);
  EXPECT_EQ(evicted(), 10u);
  for (int i = 0; i < 40; ++i) {
    const bool most_idle = i * 7 % 40 >= 30;  // the 10 largest idle times
    EXPECT_EQ(Has(0, Key(i)), !most_idle) << Key(i);
  }
  // One more key over the limit: the next most idle goes (idle 30 ticks: i*7%40 == 29).
  SetLimitKeys(29);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  for (int i = 0; i < 40; ++i) {
    if (i * 7 % 40 == 29) {
      EXPECT_FALSE(Has(0, Key(i))) << Key(i);
    }
  }
  EXPECT_EQ(ks_.TotalKeys(), 29u);
}

TEST_F(EvictTest, PoolMergesCandidatesFromEveryDatabase) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  // The oldest keys are spread over dbs 1..3; db 0 holds recent ones.
  for (int i = 0; i < 20; ++i) AddIdle(0, Key(i), 1);
  AddIdle(1, "old1", 100);
  AddIdle(2, "old2", 200);
  AddIdle(3, "old3", 300);
  AddIdle(3, "mid3", 50);
  SetLimitKeys(21);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_FALSE(Has(1, "old1"));
  EXPECT_FALSE(Has(2, "old2"));
  EXPECT_FALSE(Has(3, "old3"));
  EXPECT_TRUE(Has(3, "mid3"));
  EXPECT_EQ(ks_.db(0).size(), 20u);
}

TEST_F(EvictTest, GhostsInThePoolAreSkipped) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  for (int i = 0; i < 20; ++i) AddIdle(0, Key(i), static_cast<uint32_t>(i) + 1);
  SetLimitKeys(19);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_FALSE(Has(0, Key(19)));  // the most idle
  // The pool still holds k18 (the next best). Delete it behind the evictor's back: the next
  // eviction meets it as a ghost, skips it, and evicts the next best existing key, k17.
  ASSERT_TRUE(ks_.db(0).Delete(Key(18), false));
  SetLimitKeys(17);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_FALSE(Has(0, Key(17)));
  EXPECT_EQ(ks_.TotalKeys(), 17u);
  EXPECT_EQ(evicted(), 2u);  // the ghost is not counted
  for (int i = 0; i < 17; ++i) EXPECT_TRUE(Has(0, Key(i))) << Key(i);
}

TEST_F(EvictTest, ClearPoolForgetsCandidates) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  for (int i = 0; i < 20; ++i) AddIdle(0, Key(i), static_cast<uint32_t>(i) + 1);
  SetLimitKeys(19);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  // After a flush and new keys with the same names, the old scores must not decide: k0 is now
  // the most idle.
  evictor_.ClearPool();
  ks_.FlushAll(false);
  for (int i = 0; i < 20; ++i) AddIdle(0, Key(i), static_cast<uint32_t>(20 - i));
  SetLimitKeys(19);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_FALSE(Has(0, Key(0)));
  EXPECT_TRUE(Has(0, Key(19)));
}

TEST_F(EvictTest, AllkeysLfuEvictsTheLeastFrequentFirst) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLfu;
  for (int i = 0; i < 40; ++i) AddFreq(0, Key(i), static_cast<uint8_t>(10 + i * 7 % 40));
  SetLimitKeys(30);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 30u);
  for (int i = 0; i < 40; ++i) {
    const bool least_frequent = i * 7 % 40 < 10;
    EXPECT_EQ(Has(0, Key(i)), !least_frequent) << Key(i);
  }
}

TEST_F(EvictTest, LfuScoreAppliesDecay) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLfu;
  ks_.options().lfu_decay_time = 1;
  // "stale" had counter 20 but was last touched 18 minutes ago: decayed to 2, below "fresh"'s 5.
  Object* stale = Add(0, "stale");
  stale->set_lru((LfuMinutes(kNow - 18 * 60'000) << 8) | 20);
  AddFreq(0, "fresh", 5);
  SetLimitKeys(1);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_FALSE(Has(0, "stale"));
  EXPECT_TRUE(Has(0, "fresh"));
}

TEST_F(EvictTest, VolatileLruOnlyEvictsKeysWithTtl) {
  ks_.options().maxmemory_policy = EvictionPolicy::kVolatileLru;
  const int64_t ttl = kNow + 3'600'000;
  for (int i = 0; i < 10; ++i) AddIdle(0, "persistent" + std::to_string(i), 1000);  // very idle
  for (int i = 0; i < 10; ++i) AddIdle(0, "volatile" + std::to_string(i), i + 1, ttl);
  SetLimitKeys(15);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  // The five most idle keys with a TTL went, although the persistent ones are idler.
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(Has(0, "persistent" + std::to_string(i)));
    EXPECT_EQ(Has(0, "volatile" + std::to_string(i)), i < 5) << i;
  }
  // Asking for more than the volatile keys can give: all of them go, then kFail.
  SetLimitKeys(5);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  EXPECT_EQ(ks_.db(0).expires_size(), 0u);
  EXPECT_EQ(ks_.TotalKeys(), 10u);
  EXPECT_FALSE(evictor_.pending());
  EXPECT_EQ(evicted(), 10u);
}

TEST_F(EvictTest, VolatileLfuOnlyEvictsKeysWithTtl) {
  ks_.options().maxmemory_policy = EvictionPolicy::kVolatileLfu;
  const int64_t ttl = kNow + 3'600'000;
  for (int i = 0; i < 5; ++i) AddFreq(1, "persistent" + std::to_string(i), 0);
  for (int i = 0; i < 5; ++i) AddFreq(2, "volatile" + std::to_string(i), 100 + i, ttl);
  SetLimitKeys(8);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.db(1).size(), 5u);
  EXPECT_FALSE(Has(2, "volatile0"));
  EXPECT_FALSE(Has(2, "volatile1"));
  EXPECT_TRUE(Has(2, "volatile2"));
}

TEST_F(EvictTest, VolatileTtlEvictsTheNearestExpiryFirst) {
  ks_.options().maxmemory_policy = EvictionPolicy::kVolatileTtl;
  for (int i = 0; i < 5; ++i) Add(0, "persistent" + std::to_string(i));
  // Expiries in scrambled order: key i expires in (i * 7 % 20 + 1) minutes.
  for (int i = 0; i < 20; ++i) Add(0, Key(i), kNow + (i * 7 % 20 + 1) * 60'000);
  SetLimitKeys(17);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Has(0, Key(i)), i * 7 % 20 >= 8) << Key(i);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Has(0, "persistent" + std::to_string(i)));
}

TEST_F(EvictTest, VolatileRandomOnlyEvictsKeysWithTtl) {
  ks_.options().maxmemory_policy = EvictionPolicy::kVolatileRandom;
  const int64_t ttl = kNow + 3'600'000;
  for (int i = 0; i < 50; ++i) Add(i % 4, "persistent" + std::to_string(i));
  for (int i = 0; i < 50; ++i) Add(i % 4, "volatile" + std::to_string(i), ttl);
  SetLimitKeys(70);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  size_t persistent = 0;
  for (int d = 0; d < 4; ++d) persistent += ks_.db(d).size() - ks_.db(d).expires_size();
  EXPECT_EQ(persistent, 50u);
  EXPECT_EQ(ks_.TotalKeys(), 70u);
  SetLimitKeys(10);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  EXPECT_EQ(ks_.TotalKeys(), 50u);
}

TEST_F(EvictTest, VolatilePoliciesFindRareVolatileKeys) {
  // No table of volatile keys (db.h): 20 volatile keys among 3,000 are found by the scan that
  // SampleVolatile goes on with, under both a pool policy and the random one.
  for (EvictionPolicy policy : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileRandom}) {
    ks_.FlushAll(false);
    ks_.options().maxmemory_policy = policy;
    const int64_t ttl = kNow + 3'600'000;
    for (int i = 0; i < 3000; ++i) Add(i % 2, "persistent" + std::to_string(i));
    for (int i = 0; i < 20; ++i) Add(i % 2, "volatile" + std::to_string(i), ttl);
    SetLimitKeys(3010);
    EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
    EXPECT_EQ(ks_.db(0).expires_size() + ks_.db(1).expires_size(), 10u);
    EXPECT_EQ(ks_.TotalKeys(), 3010u);
    SetLimitKeys(2990);
    EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
    EXPECT_EQ(ks_.TotalKeys(), 3000u);  // every volatile key went, no persistent one
  }
}

TEST_F(EvictTest, AllkeysRandomEvictsFromEveryDatabase) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysRandom;
  for (int i = 0; i < 400; ++i) Add(i % 4, Key(i));
  SetLimitKeys(200);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 200u);
  // Round robin over the databases: each lost about a quarter of what went.
  for (int d = 0; d < 4; ++d) {
    EXPECT_GE(ks_.db(d).size(), 40u) << d;
    EXPECT_LE(ks_.db(d).size(), 60u) << d;
  }
  // Keys without a TTL are fair game: a limit of 1 byte (0 would mean "no limit") empties all.
  ks_.options().maxmemory = 1;
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 0u);
  EXPECT_EQ(evicted(), 400u);
}

TEST_F(EvictTest, NoevictionFailsAndEvictsNothing) {
  ks_.options().maxmemory_policy = EvictionPolicy::kNoEviction;
  for (int i = 0; i < 10; ++i) Add(0, Key(i));
  SetLimitKeys(5);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  EXPECT_EQ(ks_.TotalKeys(), 10u);
  EXPECT_EQ(evicted(), 0u);
  EXPECT_FALSE(evictor_.pending());
}

TEST_F(EvictTest, NoCandidatesFails) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  extra_ = 10 * kBytesPerKey;  // memory that is not keys
  SetLimitKeys(5);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  // Some keys, but not enough to get under the limit: they all go, then kFail.
  for (int i = 0; i < 3; ++i) Add(0, Key(i));
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  EXPECT_EQ(ks_.TotalKeys(), 0u);
  EXPECT_EQ(evicted(), 3u);
  for (EvictionPolicy p : {EvictionPolicy::kAllkeysLfu, EvictionPolicy::kAllkeysRandom,
                           EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileTtl,
                           EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileLfu}) {
    ks_.options().maxmemory_policy = p;
    evictor_.ClearPool();
    EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail) << static_cast<int>(p);
  }
  // Once the memory that is not keys goes away, it is kOk again and the stretch ends.
  EXPECT_GT(evictor_.current_exceeded_us() + 1, 0u);
  extra_ = 0;
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(evictor_.current_exceeded_us(), 0u);
}

TEST_F(EvictTest, TinyBudgetReportsRunningAndRunPendingFinishes) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLru;
  ks_.options().maxmemory_eviction_tenacity = 0;  // budget 0: stop at the first check
  for (int i = 0; i < 2000; ++i) AddIdle(0, Key(i), static_cast<uint32_t>(i % 500) + 1);
  SetLimitKeys(1000);
  // The budget is checked every 16 evictions; with a budget of 0 the first check stops the call
  // (16 evictions of 64 samples each take well over a microsecond).
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kRunning);
  EXPECT_TRUE(evictor_.pending());
  EXPECT_EQ(evicted(), 16u);
  EXPECT_EQ(ks_.TotalKeys(), 2000u - 16);
  int rounds = 1;
  Evictor::Result r = Evictor::Result::kRunning;
  while (r == Evictor::Result::kRunning && rounds < 1000) {
    r = evictor_.RunPending();
    ++rounds;
  }
  EXPECT_EQ(r, Evictor::Result::kOk);
  EXPECT_FALSE(evictor_.pending());
  EXPECT_EQ(ks_.TotalKeys(), 1000u);
  EXPECT_GE(rounds, 1000 / 16);
  // Nothing pending: RunPending does nothing.
  EXPECT_EQ(evictor_.RunPending(), Evictor::Result::kOk);
  EXPECT_EQ(ks_.TotalKeys(), 1000u);
}

TEST_F(EvictTest, ExceededTimeAccumulatesWhileOverTheLimit) {
  ks_.options().maxmemory_policy = EvictionPolicy::kNoEviction;
  for (int i = 0; i < 10; ++i) Add(0, Key(i));
  SetLimitKeys(5);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kFail);
  // Wait until the monotonic clock has moved (no bound on how long: only that it moves).
  const uint64_t first = evictor_.current_exceeded_us();
  while (evictor_.current_exceeded_us() == first) {
  }
  EXPECT_GT(evictor_.current_exceeded_us(), 0u);
  EXPECT_GE(evictor_.total_exceeded_us(), evictor_.current_exceeded_us());
  SetLimitKeys(10);
  EXPECT_EQ(evictor_.Perform(), Evictor::Result::kOk);
  EXPECT_EQ(evictor_.current_exceeded_us(), 0u);
  const uint64_t total = evictor_.total_exceeded_us();
  EXPECT_GT(total, 0u);
  EXPECT_EQ(evictor_.total_exceeded_us(), total);  // no longer growing
  evictor_.ResetStats();
  EXPECT_EQ(evictor_.total_exceeded_us(), 0u);
}

// The key table does not double when the new bucket array would push used memory over
// maxmemory (Redis 7 dictExpandAllowed), until its load passes 1.618; without a limit it grows
// at load 1.
TEST(EvictTableTest, KeyTableGrowthRespectsMaxmemory) {
  Keyspace ks(1);
  ks.set_now_ms(kNow);
  Db& d = ks.db(0);
  int n = 0;
  while (d.size() < 1024) d.Add(NewStringObject(ks, 0, Key(n++), "v", -1));
  while (d.keys().RehashSteps(100)) {
  }
  ASSERT_EQ(d.keys().bucket_count(), 1024u);
  // No room for a 2048-bucket array (16 KB): the table stays at 1024 buckets while the load
  // before an insert is at most 1.618, i.e. up to 1,657 keys.
  ks.options().maxmemory = mem::UsedMemory() + 1024;
  while (d.size() < 1657) d.Add(NewStringObject(ks, 0, Key(n++), "v", -1));
  EXPECT_EQ(d.keys().bucket_count(), 1024u);
  EXPECT_FALSE(d.keys().IsRehashing());
  d.Add(NewStringObject(ks, 0, Key(n++), "v", -1));  // load 1657 / 1024 > 1.618: grows anyway
  EXPECT_TRUE(d.keys().IsRehashing());
  while (d.keys().RehashSteps(100)) {
  }
  EXPECT_EQ(d.keys().bucket_count(), 2048u);
  d.Clear(false);
}

// ---- LRU / LFU helpers ---------------------------------------------------------------------

TEST(LruTest, EstimateIdleMs) {
  EXPECT_EQ(EstimateIdleMs(100, 100), 0);
  EXPECT_EQ(EstimateIdleMs(100, 105), 5 * kLruClockResolutionMs);
  // The clock wrapped since the access (Redis estimateObjectIdleTime's arithmetic).
  EXPECT_EQ(EstimateIdleMs(kLruMax - 2, 3), (3 + 2) * kLruClockResolutionMs);
  EXPECT_EQ(EstimateIdleMs(kLruMax, 0), 0);
  EXPECT_GT(EstimateIdleMs(1, 0), EstimateIdleMs(0, 1000));
}

TEST(LruTest, KeyspaceClockTicksAtTheResolution) {
  Keyspace ks(1);
  ks.UpdateLruClock(kNow);
  const uint32_t c0 = ks.lru_clock();
  ks.UpdateLruClock(kNow + 7 * kLruClockResolutionMs);
  EXPECT_EQ(EstimateIdleMs(c0, ks.lru_clock()), 7 * kLruClockResolutionMs);
  EXPECT_LE(ks.lru_clock(), kLruMax);
}

TEST(LfuTest, InitialFieldAndMinutes) {
  EXPECT_EQ(LfuMinutes(0), 0u);
  EXPECT_EQ(LfuMinutes(60'000 * 65536LL + 120'000), 2u);  // 16 bits wrap
  const uint32_t f = LfuInitialField(kNow);
  EXPECT_EQ(f & 0xFF, kLfuInitValue);
  EXPECT_EQ(f >> 8, LfuMinutes(kNow));
}

TEST(LfuTest, LogIncrementGrowthDependsOnFactor) {
  SeedRandom(7);
  EXPECT_EQ(LfuLogIncrement(255, 10), 255);
  // Below and at the initial value the increment is certain.
  EXPECT_EQ(LfuLogIncrement(0, 10), 1);
  EXPECT_EQ(LfuLogIncrement(kLfuInitValue, 10), kLfuInitValue + 1);
  // Factor 0: every access counts, saturating at 255.
  uint8_t c = kLfuInitValue;
  for (int i = 0; i < 100; ++i) c = LfuLogIncrement(c, 0);
  EXPECT_EQ(c, kLfuInitValue + 100);
  for (int i = 0; i < 1000; ++i) c = LfuLogIncrement(c, 0);
  EXPECT_EQ(c, 255);
  // Factor f: reaching counter 5 + n takes about f * n^2 / 2 accesses. 1000 accesses: about
  // 5 + 14 = 19 with factor 10 (Redis's table says 18) and about 5 + 4.5 with factor 100 (11).
  auto after = [](int hits, int64_t factor) {
    uint8_t v = kLfuInitValue;
    for (int i = 0; i < hits; ++i) v = LfuLogIncrement(v, factor);
    return v;
  };
  const uint8_t f10 = after(1000, 10);
  const uint8_t f100 = after(1000, 100);
  EXPECT_GE(f10, 14);
  EXPECT_LE(f10, 25);
  EXPECT_GE(f100, 7);
  EXPECT_LE(f100, 13);
  // 100,000 accesses with factor 10: about 5 + 141 (Redis: 142).
  const uint8_t big = after(100'000, 10);
  EXPECT_GE(big, 125);
  EXPECT_LE(big, 160);
}

TEST(LfuTest, DecayedCounter) {
  const uint32_t minute = LfuMinutes(kNow);
  const uint32_t field = (minute << 8) | 20;
  EXPECT_EQ(LfuDecayedCounter(field, kNow, 1), 20);
  EXPECT_EQ(LfuDecayedCounter(field, kNow + 3 * 60'000, 1), 17);   // one per minute
  EXPECT_EQ(LfuDecayedCounter(field, kNow + 9 * 60'000, 3), 17);   // one per 3 minutes
  EXPECT_EQ(LfuDecayedCounter(field, kNow + 8 * 60'000, 3), 18);   // 2 full periods
  EXPECT_EQ(LfuDecayedCounter(field, kNow + 60 * 60'000, 1), 0);   // not below zero
  EXPECT_EQ(LfuDecayedCounter(field, kNow + 60 * 60'000, 0), 20);  // decay disabled
  // The minute counter wrapped since the last decrement (Redis LFUTimeElapsed: 65535 - ldt + now).
  const uint32_t old = (65530u << 8) | 30;
  const int64_t now = 60'000LL * 65536 * 1000 + 4 * 60'000;  // minutes % 65536 == 4
  ASSERT_EQ(LfuMinutes(now), 4u);
  EXPECT_EQ(LfuDecayedCounter(old, now, 1), 30 - (65535 - 65530 + 4));
}

TEST(LfuTest, TouchDecaysThenIncrements) {
  SeedRandom(1);
  Options opts;
  opts.lfu_decay_time = 1;
  opts.lfu_log_factor = 10;
  // Counter 3 (below the initial value: the increment is certain), 2 minutes old: 3 - 2 + 1.
  const uint32_t field = (LfuMinutes(kNow - 2 * 60'000) << 8) | 3;
  const uint32_t touched = LfuTouch(field, kNow, opts);
  EXPECT_EQ(touched & 0xFF, 2u);
  EXPECT_EQ(touched >> 8, LfuMinutes(kNow));
}

}  // namespace
}  // namespace mnemo::db

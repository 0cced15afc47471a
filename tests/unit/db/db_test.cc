// db_test.cc: db::Db and db::Keyspace directly (tests/unit/db): the keys table and the count of
// volatile keys staying consistent while objects are added, overwritten, relocated and given or
// stripped of an expiry (compact or wide); sampling volatile keys; lazy and active expiry
// (ExpireCycle and its bound); RandomKey's bounded tries; Clear(async) with the lazy-free thread;
// memory returning to its baseline.
#include "mnemo/db/db.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "mnemo/db/expire.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // the command clock of these tests

class DbTest : public ::testing::Test {
 protected:
  DbTest() : ks_(4) { ks_.set_now_ms(kNow); }

  Db& db(int i = 0) { return ks_.db(i); }

  // Adds a string key; expire_ms < 0: none.
  Object* AddString(Db& d, std::string_view key, std::string_view value, int64_t expire_ms = -1) {
    Object* o = NewStringObject(ks_, 0, key, value, expire_ms);
    d.Add(o);
    return o;
  }

  static std::string Value(const Object* o) {
    StringBuffer buf;
    return std::string(StringView(*o, buf));
  }

  // Every key is found in `keys`, and expires_size() counts those with an expiry slot.
  static void ExpectConsistent(Db& d) {
    size_t volatile_keys = 0;
    size_t keys = 0;
    d.keys().ForEach([&](Object* o) {
      ++keys;
      EXPECT_EQ(d.keys().Find(o->key()), o) << o->key();
      if (o->has_expire()) ++volatile_keys;
    });
    EXPECT_EQ(keys, d.size());
    EXPECT_EQ(volatile_keys, d.expires_size());
  }

  Keyspace ks_;
};

TEST_F(DbTest, AddAndLookups) {
  Db& d = db();
  Object* a = AddString(d, "a", "1");
  AddString(d, "b", "hello", kNow + 1000);
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.expires_size(), 1u);
  ExpectConsistent(d);

  // LookupRead counts and touches; LookupNoTouch does neither; LookupReadNoTouch only counts.
  a->set_lru(1);
  EXPECT_EQ(d.LookupNoTouch("a"), a);
  EXPECT_EQ(a->lru(), 1u);
  EXPECT_EQ(ks_.stats().keyspace_hits, 0u);
  EXPECT_EQ(d.LookupReadNoTouch("a"), a);
  EXPECT_EQ(d.LookupReadNoTouch("zz"), nullptr);
  EXPECT_EQ(a->lru(), 1u);
  EXPECT_EQ(ks_.stats().keyspace_hits, 1u);
  EXPECT_EQ(ks_.stats().keyspace_misses, 1u);
  EXPECT_EQ(d.LookupRead("a"), a);
  EXPECT_EQ(a->lru(), ks_.lru_clock());
  EXPECT_EQ(ks_.stats().keyspace_hits, 2u);
  EXPECT_EQ(d.LookupWrite("zz"), nullptr);
  EXPECT_EQ(ks_.stats().keyspace_misses, 1u);  // writes do not count
}

TEST_F(DbTest, LazyExpiryOnLookupAndDelete) {
  Db& d = db();
  AddString(d, "gone", "v", kNow - 1);
  AddString(d, "edge", "v", kNow);  // expires when the clock passes it, not at it
  AddString(d, "gone2", "v", kNow - 1);
  ExpectConsistent(d);
  EXPECT_EQ(d.LookupRead("gone"), nullptr);
  EXPECT_EQ(ks_.stats().expired_keys, 1u);
  EXPECT_EQ(ks_.stats().keyspace_misses, 1u);
  EXPECT_NE(d.LookupRead("edge"), nullptr);
  // Delete of an expired key reclaims it but reports it as not live.
  EXPECT_FALSE(d.Delete("gone2", false));
  EXPECT_EQ(ks_.stats().expired_keys, 2u);
  EXPECT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.Delete("edge", false));
  EXPECT_FALSE(d.Delete("edge", false));
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.expires_size(), 0u);
}

TEST_F(DbTest, OverwriteKeepsTablesConsistent) {
  Db& d = db();
  // Plain -> volatile -> volatile -> plain.
  Object* o = AddString(d, "k", "one");
  Object* o2 = NewStringObject(ks_, 0, "k", "two", kNow + 100);
  d.Overwrite(o, o2);
  EXPECT_EQ(d.LookupNoTouch("k"), o2);
  EXPECT_EQ(d.expires_size(), 1u);
  ExpectConsistent(d);
  Object* o3 = NewStringObject(ks_, 0, "k", std::string(100, 't'), kNow + 200);
  d.Overwrite(o2, o3);
  EXPECT_EQ(d.LookupNoTouch("k"), o3);
  EXPECT_EQ(Db::ExpireOf(o3), kNow + 200);
  ExpectConsistent(d);
  Object* o4 = NewStringObject(ks_, 0, "k", "four", -1);
  d.Overwrite(o3, o4);
  EXPECT_EQ(d.expires_size(), 0u);
  EXPECT_EQ(Value(d.LookupNoTouch("k")), "four");
  ExpectConsistent(d);
}

TEST_F(DbTest, OverwriteKeepsTheLfuCounter) {
  ks_.options().maxmemory_policy = EvictionPolicy::kAllkeysLfu;
  Db& d = db();
  Object* o = AddString(d, "k", "v");
  o->set_lru((LfuMinutes(kNow) << 8) | 200);
  Object* o2 = NewStringObject(ks_, 0, "k", "w", -1);
  d.Overwrite(o, o2);
  EXPECT_EQ(o2->lru() & 0xFF, 200u);
}

TEST_F(DbTest, RelocatePutsTheNewBlockInTheTable) {
  Db& d = db();
  Object* o = AddString(d, "k", "abc", kNow + 500);
  Object* moved = Object::CloneWithValue(*o, o->type(), o->value_init(), true, o->expire_ms());
  d.Relocate(o, moved);
  Object::Destroy(o);
  EXPECT_EQ(d.keys().Find("k"), moved);
  EXPECT_EQ(d.expires_size(), 1u);
  EXPECT_EQ(Value(moved), "abc");
  ExpectConsistent(d);
  // The string type relocates when it reshapes a value.
  Object* raw = StringMakeRaw(d, moved);
  EXPECT_NE(raw, moved);
  EXPECT_EQ(raw->encoding(), Encoding::kRaw);
  EXPECT_EQ(d.LookupNoTouch("k"), raw);
  EXPECT_EQ(Db::ExpireOf(raw), kNow + 500);
  ExpectConsistent(d);
}

TEST_F(DbTest, SetExpireAndRemoveExpireMoveObjects) {
  Db& d = db();
  Object* o = AddString(d, "k", "value");
  Object* v = d.SetExpire(o, kNow + 1000);
  EXPECT_NE(v, o);  // the block grew an expiry slot
  EXPECT_TRUE(v->has_expire());
  EXPECT_EQ(d.LookupNoTouch("k"), v);
  EXPECT_EQ(d.expires_size(), 1u);
  ExpectConsistent(d);
  // Already volatile: in place.
  EXPECT_EQ(d.SetExpire(v, kNow + 2000), v);
  EXPECT_EQ(Db::ExpireOf(v), kNow + 2000);
  EXPECT_EQ(d.expires_size(), 1u);
  Object* p = d.RemoveExpire(v);
  EXPECT_NE(p, v);
  EXPECT_FALSE(p->has_expire());
  EXPECT_EQ(Db::ExpireOf(p), -1);
  EXPECT_EQ(d.expires_size(), 0u);
  EXPECT_EQ(Value(p), "value");
  EXPECT_EQ(d.RemoveExpire(p), p);  // nothing to remove
  ExpectConsistent(d);
}

TEST_F(DbTest, DetachAndAddMoveAnObjectBetweenDbs) {
  Object* o = AddString(db(0), "k", "v", kNow + 100);
  db(1).Add(db(0).Detach(o));
  EXPECT_EQ(db(0).size(), 0u);
  EXPECT_EQ(db(0).expires_size(), 0u);
  EXPECT_EQ(db(1).LookupNoTouch("k"), o);
  EXPECT_EQ(db(1).expires_size(), 1u);
  ExpectConsistent(db(0));
  ExpectConsistent(db(1));
}

TEST_F(DbTest, RandomizedAgainstAModel) {
  // Random operations on a few hundred keys, checked against a std::map after every step
  // batch. Expiries are all in the future here, so nothing expires underneath the model.
  std::mt19937_64 rng(12345);
  Db& d = db();
  struct Entry {
    std::string value;
    int64_t expire;  // -1: none
  };
  std::map<std::string, Entry> model;
  const size_t baseline = mem::UsedMemory();
  auto key_of = [&](uint64_t r) { return "key:" + std::to_string(r % 300); };
  auto value_of = [&](uint64_t r) {
    switch (r % 4) {
      case 0:
        return std::to_string(r % 20000);  // int, shared or not
      case 1:
        return std::string(r % 40 + 1, 'e');  // embstr
      case 2:
        return std::string(60 + r % 100, 'r');  // raw
      default:
        return "-" + std::to_string(r % 1000);  // negative int
    }
  };
  for (int step = 0; step < 20000; ++step) {
    const uint64_t r = rng();
    const std::string key = key_of(r >> 8);
    Object* o = d.LookupNoTouch(key);
    switch (r % 7) {
      case 0:
      case 1: {  // set, sometimes with an expiry
        const int64_t expire =
            (r >> 20) % 3 == 0 ? kNow + 1000 + static_cast<int64_t>(r % 9999) : -1;
        const std::string value = value_of(r >> 30);
        Object* n = NewStringObject(ks_, 0, key, value, expire);
        if (o != nullptr) {
          d.Overwrite(o, n);
        } else {
          d.Add(n);
        }
        model[key] = Entry{value, expire};
        break;
      }
      case 2:
        if (o != nullptr) {
          const int64_t when = kNow + 1 + static_cast<int64_t>((r >> 16) % 100000);
          d.SetExpire(o, when);
          model[key].expire = when;
        }
        break;
      case 3:
        if (o != nullptr) {
          d.RemoveExpire(o);
          model[key].expire = -1;
        }
        break;
      case 4:
        EXPECT_EQ(d.Delete(key, (r >> 12) % 2 == 0), o != nullptr);
        model.erase(key);
        break;
      case 5:
        if (o != nullptr) StringMakeRaw(d, o);
        break;
      case 6:
        if (o != nullptr) {
          const int64_t v = static_cast<int64_t>((r >> 16) % 20000);
          StringSetInt(d, o, v);
          model[key].value = std::to_string(v);
        }
        break;
    }
    if (step % 2000 == 0) ExpectConsistent(d);
  }
  ExpectConsistent(d);
  ASSERT_EQ(d.size(), model.size());
  for (const auto& [key, e] : model) {
    const Object* o = d.LookupNoTouch(key);
    ASSERT_NE(o, nullptr) << key;
    EXPECT_EQ(Value(o), e.value) << key;
    EXPECT_EQ(Db::ExpireOf(o), e.expire) << key;
  }
  model.clear();
  ks_.lazyfree().Drain();
  d.Clear(false);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

TEST_F(DbTest, ExpireCycleReclaimsOnlyExpiredKeys) {
  Db& d = db();
  for (int i = 0; i < 3000; ++i) AddString(d, "dead:" + std::to_string(i), "v", kNow - 1 - i);
  for (int i = 0; i < 500; ++i) AddString(d, "live:" + std::to_string(i), "v", kNow + 60000);
  for (int i = 0; i < 500; ++i) AddString(d, "plain:" + std::to_string(i), "v");
  ExpireCycle cycle;
  // A run may stop early when its sample was mostly live, but its cursor moves on, so a
  // bounded number of runs reaches every key.
  for (int runs = 0; d.expires_size() > 500 && runs < 10000; ++runs) cycle.Run(ks_, 10);
  EXPECT_EQ(d.expires_size(), 500u);
  EXPECT_EQ(d.size(), 1000u);
  EXPECT_EQ(ks_.stats().expired_keys, 3000u);
  EXPECT_GT(d.avg_ttl_ms, 0);
  EXPECT_GT(ks_.stats().expired_stale_perc, 0.0);
  // With nothing left to reclaim, a cycle deletes nothing.
  cycle.Run(ks_, 10);
  EXPECT_EQ(d.size(), 1000u);
  EXPECT_EQ(ks_.stats().expired_keys, 3000u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_NE(d.LookupNoTouch("live:" + std::to_string(i)), nullptr);
    EXPECT_NE(d.LookupNoTouch("plain:" + std::to_string(i)), nullptr);
  }
  ExpectConsistent(d);
}

TEST_F(DbTest, ExpireCycleStopsAtItsTimeBudget) {
  // A cron frequency so high that the budget is zero microseconds: the cycle checks its clock
  // every 16 sampling loops, so one run may sample at most 16 loops of ~20 keys (a bucket's
  // chain can add a few), however much is expired, and it records that it hit the cap.
  Db& d = db();
  for (int i = 0; i < 20000; ++i) AddString(d, "dead:" + std::to_string(i), "v", kNow - 1);
  ExpireCycle cycle;
  cycle.Run(ks_, std::numeric_limits<int>::max());
  const uint64_t reclaimed = ks_.stats().expired_keys;
  EXPECT_GT(reclaimed, 0u);
  EXPECT_LE(reclaimed, 16u * 40u);
  EXPECT_EQ(d.size(), 20000u - reclaimed);
  EXPECT_EQ(ks_.stats().expired_time_cap_reached_count, 1u);
  ExpectConsistent(d);
}

TEST_F(DbTest, ExpireCycleVisitsEveryDatabase) {
  for (int i = 0; i < ks_.num_dbs(); ++i) {
    for (int j = 0; j < 50; ++j) AddString(db(i), "k" + std::to_string(j), "v", kNow - 1);
    AddString(db(i), "live", "v", kNow + 1000);
  }
  ExpireCycle cycle;
  for (int run = 0; run < 1000 && ks_.TotalKeys() > static_cast<size_t>(ks_.num_dbs()); ++run) {
    cycle.Run(ks_, 10);
  }
  for (int i = 0; i < ks_.num_dbs(); ++i) {
    EXPECT_EQ(db(i).size(), 1u) << i;
    EXPECT_NE(db(i).LookupNoTouch("live"), nullptr);
  }
  EXPECT_EQ(ks_.stats().expired_keys, 50u * ks_.num_dbs());
}

TEST_F(DbTest, ExpireCycleFindsRareVolatileKeys) {
  // No table of volatile keys: the cycle scans the keys table's marked buckets. Ten expired keys
  // among 20,000 are all met in one run, and nothing else is touched.
  Db& d = db();
  for (int i = 0; i < 20000; ++i) AddString(d, "plain:" + std::to_string(i), "v");
  for (int i = 0; i < 10; ++i) AddString(d, "dead:" + std::to_string(i), "v", kNow - 1);
  ExpireCycle cycle;
  int runs = 0;
  for (; d.expires_size() > 0 && runs < 1000; ++runs) cycle.Run(ks_, 10);
  EXPECT_EQ(d.expires_size(), 0u);
  EXPECT_EQ(d.size(), 20000u);
  EXPECT_EQ(ks_.stats().expired_keys, 10u);
  // The scan reads a bit for each of the ~32,000 buckets without a volatile key (KeyTable marks):
  // one run meets all ten.
  EXPECT_EQ(runs, 1);
  ExpectConsistent(d);
}

TEST_F(DbTest, ExpireCycleSkipsADatabaseWhileNothingCanHaveExpired) {
  Db& d = db();
  for (int i = 0; i < 2000; ++i) AddString(d, "plain:" + std::to_string(i), "v");
  for (int i = 0; i < 50; ++i) AddString(d, "later:" + std::to_string(i), "v", kNow + 3600000 + i);
  // Set a key's expiry before the others': the floor is the least expiry ever set.
  EXPECT_EQ(d.expire_floor(), kNow + 3600000);
  Object* soon = AddString(d, "soon", "v", kNow + 10);
  EXPECT_EQ(d.expire_floor(), kNow + 10);
  ExpireCycle cycle;
  // Nothing has expired yet (the clock is below the floor): one loop a second, for avg_ttl.
  cycle.Run(ks_, 10);
  const uint64_t sampled_to = d.expires_cursor;
  EXPECT_NE(sampled_to, 0u);
  EXPECT_GT(d.avg_ttl_ms, 0);
  for (int runs = 0; runs < 5; ++runs) cycle.Run(ks_, 10);
  EXPECT_EQ(d.expires_cursor, sampled_to);
  EXPECT_EQ(ks_.stats().expired_keys, 0u);
  // Past "soon": runs scan until they reclaim it, and a whole pass raises the floor to the
  // least expiry it met.
  ks_.set_now_ms(kNow + 11);
  for (int runs = 0; runs < 100 && d.expire_floor() <= kNow + 11; ++runs) cycle.Run(ks_, 10);
  EXPECT_EQ(d.keys().Find("soon"), nullptr);  // reclaimed by the cycle, not by a lookup
  EXPECT_EQ(ks_.stats().expired_keys, 1u);
  EXPECT_EQ(d.expire_floor(), kNow + 3600000);
  EXPECT_EQ(d.expires_size(), 50u);
  // Now idle: within a second the cursor stays where it is; a second later one loop moves it.
  const uint64_t cursor = d.expires_cursor;
  for (int runs = 0; runs < 5; ++runs) cycle.Run(ks_, 10);
  EXPECT_EQ(d.expires_cursor, cursor);
  ks_.set_now_ms(kNow + 1011);
  cycle.Run(ks_, 10);
  const uint64_t moved = d.expires_cursor;
  EXPECT_NE(moved, cursor);
  cycle.Run(ks_, 10);
  EXPECT_EQ(d.expires_cursor, moved);
  // An expiry set in place lowers the floor, and the cycle wakes up for it.
  Object* later = d.LookupNoTouch("later:7");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(d.SetExpire(later, kNow + 20), later);
  EXPECT_EQ(d.expire_floor(), kNow + 20);
  // (keys().Find: a lookup would expire it lazily.)
  for (int runs = 0; runs < 100 && d.keys().Find("later:7") != nullptr; ++runs) {
    cycle.Run(ks_, 10);
  }
  EXPECT_EQ(d.keys().Find("later:7"), nullptr);
  EXPECT_EQ(ks_.stats().expired_keys, 2u);
  (void)soon;
  ExpectConsistent(d);
}

TEST_F(DbTest, CompactExpiryWidensWhenTheTimeIsOutOfItsRange) {
  const int64_t now = Object::ExpireBase() + (int64_t{1} << 33);
  ks_.set_now_ms(now);
  Db& d = db();
  Object* o = AddString(d, "k", "value", now + 1000);
  const size_t compact_block = o->BlockSize();
  // Within the range: in place.
  EXPECT_EQ(d.SetExpire(o, now + 86400000), o);
  EXPECT_EQ(Db::ExpireOf(o), now + 86400000);
  // Ten years ahead: the slot widens, so the object moves.
  const int64_t far = now + int64_t{10} * 365 * 86400000;
  Object* w = d.SetExpire(o, far);
  EXPECT_NE(w, o);
  EXPECT_EQ(Db::ExpireOf(w), far);
  EXPECT_GE(w->BlockSize(), compact_block);
  EXPECT_EQ(d.LookupNoTouch("k"), w);
  EXPECT_EQ(Value(w), "value");
  EXPECT_EQ(d.expires_size(), 1u);
  // A wide slot holds a near time as well: in place.
  EXPECT_EQ(d.SetExpire(w, now + 5), w);
  EXPECT_EQ(Db::ExpireOf(w), now + 5);
  ExpectConsistent(d);
  // A new object with a near time is compact, with a far one wide.
  Object* c = NewStringObject(ks_, 0, "k2", "value", now + 5);
  Object* f = NewStringObject(ks_, 0, "k3", "value", far);
  const Object::ValueInit v{Encoding::kEmbstr, "value"};
  EXPECT_EQ(Object::SizeFor(2, true, far, v) - Object::SizeFor(2, true, now + 5, v), 4u);
  EXPECT_EQ(Object::SizeFor(2, true, now + 5, v) - Object::SizeFor(2, false, 0, v), 4u);
  EXPECT_EQ(c->BlockSize(), Object::SizeFor(2, true, now + 5, v));
  EXPECT_EQ(f->BlockSize(), Object::SizeFor(2, true, far, v));
  EXPECT_EQ(Db::ExpireOf(c), now + 5);
  EXPECT_EQ(Db::ExpireOf(f), far);
  FreeObject(c);
  FreeObject(f);
}

TEST_F(DbTest, SampleVolatileReturnsOnlyVolatileKeysAndMeetsRareOnes) {
  Db& d = db();
  Object* out[64];
  EXPECT_EQ(d.SampleVolatile(out, 16), 0u);  // none at all
  for (int i = 0; i < 10000; ++i) AddString(d, "plain:" + std::to_string(i), "v");
  EXPECT_EQ(d.SampleVolatile(out, 16), 0u);
  EXPECT_EQ(d.RandomVolatile(), nullptr);
  for (int i = 0; i < 5; ++i) AddString(d, "ttl:" + std::to_string(i), "v", kNow + 1000);
  // Rare (1 in 2,000): every one of them is met within a sweep, 1,024 keys a call.
  std::set<std::string> met;
  int calls = 0;
  for (; met.size() < 5 && calls < 40; ++calls) {
    const size_t n = d.SampleVolatile(out, 16);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(out[i]->has_expire());
      met.insert(std::string(out[i]->key()));
    }
  }
  EXPECT_EQ(met.size(), 5u);
  // Common (half of the keys): random runs, still only volatile keys.
  for (int i = 0; i < 10000; ++i) AddString(d, "vol:" + std::to_string(i), "v", kNow + 1000);
  for (int round = 0; round < 50; ++round) {
    const size_t n = d.SampleVolatile(out, 16);
    EXPECT_GT(n, 0u);
    for (size_t i = 0; i < n; ++i) EXPECT_TRUE(out[i]->has_expire());
    Object* r = d.RandomVolatile();
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->has_expire());
  }
}

TEST_F(DbTest, RandomKeyGivesUpWhenEveryKeyIsVolatileAndExpired) {
  Db& d = db();
  for (int i = 0; i < 500; ++i) AddString(d, "k" + std::to_string(i), "v", kNow - 1);
  Object* o = d.RandomKey();
  // 100 tries: 99 expired keys deleted on the way, the 100th returned although expired.
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(d.IsExpired(o));
  EXPECT_EQ(ks_.stats().expired_keys, 99u);
  EXPECT_EQ(d.size(), 401u);
  ExpectConsistent(d);
}

TEST_F(DbTest, RandomKeyReclaimsFewExpiredKeysAndFindsLiveOnes) {
  Db& d = db();
  for (int i = 0; i < 50; ++i) AddString(d, "k" + std::to_string(i), "v", kNow - 1);
  EXPECT_EQ(d.RandomKey(), nullptr);  // fewer than the tries: all reclaimed
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(ks_.stats().expired_keys, 50u);
  // Not all volatile: expired keys are reclaimed until the live key is drawn.
  for (int i = 0; i < 300; ++i) AddString(d, "k" + std::to_string(i), "v", kNow - 1);
  Object* live = AddString(d, "live", "v");
  EXPECT_EQ(d.RandomKey(), live);
  // All volatile and live: the first draw is returned.
  Db& d1 = db(1);
  for (int i = 0; i < 10; ++i) AddString(d1, "k" + std::to_string(i), "v", kNow + 1000);
  Object* r = d1.RandomKey();
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(d1.IsExpired(r));
  EXPECT_EQ(d1.size(), 10u);
  EXPECT_EQ(db(2).RandomKey(), nullptr);
}

TEST_F(DbTest, ClearAsyncHandsTablesToTheLazyFreeThread) {
  Db& d = db();
  ks_.lazyfree().Drain();
  const size_t baseline = mem::UsedMemory();
  const size_t freed_before = ks_.lazyfree().freed_objects();
  for (int i = 0; i < 2000; ++i) {
    AddString(d, "key:" + std::to_string(i), std::string(200, 'x'), i % 2 ? kNow + 1000 : -1);
  }
  EXPECT_GT(mem::UsedMemory(), baseline + 2000 * 200);
  d.Clear(true);
  // At once: the tables are empty (their contents went to the thread).
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.expires_size(), 0u);
  EXPECT_EQ(d.LookupNoTouch("key:1"), nullptr);
  ks_.lazyfree().Drain();
  EXPECT_EQ(ks_.lazyfree().pending_objects(), 0u);
  EXPECT_EQ(ks_.lazyfree().freed_objects(), freed_before + 2000);
  EXPECT_EQ(mem::UsedMemory(), baseline);
  // The database is usable again.
  AddString(d, "again", "v", kNow + 5);
  ExpectConsistent(d);
  d.Clear(false);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

TEST_F(DbTest, ClearSyncFreesEverything) {
  Db& d = db();
  const size_t baseline = mem::UsedMemory();
  for (int i = 0; i < 1000; ++i) AddString(d, "k" + std::to_string(i), std::to_string(i * 7919));
  d.Clear(false);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

TEST_F(DbTest, SwapExchangesKeysAndExpires) {
  AddString(db(0), "a", "1", kNow + 100);
  AddString(db(1), "b", "2");
  AddString(db(1), "c", "3");
  ks_.SwapDbs(0, 1);
  EXPECT_EQ(db(0).size(), 2u);
  EXPECT_EQ(db(0).expires_size(), 0u);
  EXPECT_EQ(db(1).size(), 1u);
  EXPECT_EQ(db(1).expires_size(), 1u);
  EXPECT_NE(db(1).LookupNoTouch("a"), nullptr);
  EXPECT_NE(db(0).LookupNoTouch("b"), nullptr);
  ks_.SwapDbs(1, 1);
  EXPECT_EQ(db(1).size(), 1u);
  ExpectConsistent(db(0));
  ExpectConsistent(db(1));
}

TEST_F(DbTest, DuplicateValueInitCopiesEveryStringEncoding) {
  Db& d = db();
  const size_t baseline = mem::UsedMemory();
  Object* shared = AddString(d, "s", "42");
  Object* own = AddString(d, "i", "-42");
  Object* emb = AddString(d, "e", "embedded");
  Object* raw = AddString(d, "r", std::string(80, 'r'));
  ASSERT_TRUE(shared->shared_value());
  for (Object* src : {shared, own, emb, raw}) {
    Object* copy = Object::Create("copy", src->type(), DuplicateValueInit(*src), false, 0, 0);
    EXPECT_EQ(Value(copy), Value(src));
    EXPECT_EQ(copy->encoding(), src->encoding());
    EXPECT_FALSE(copy->shared_value());
    if (src->encoding() == Encoding::kRaw) {
      EXPECT_NE(copy->ptr(), src->ptr());  // a deep copy
    }
    FreeObject(copy);  // frees the copy's own value, never the source's
    EXPECT_EQ(Value(src), Value(d.LookupNoTouch(src->key())));
  }
  d.Clear(false);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

}  // namespace
}  // namespace mnemo::db

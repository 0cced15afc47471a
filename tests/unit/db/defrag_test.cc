// defrag_test.cc: active defragmentation (tests/unit/db): mem::DefragHint on a deliberately
// fragmented heap, and moving each structure (sds, quicklist, skiplist, keyspace objects with
// and without expiry, hashtable hashes and sets, listpacks) keeps its content and used_memory
// exact. Fragmentation is made the way a server gets it: two structures are built in
// alternation, so their blocks share slabs, and one of them is freed.
#include "mnemo/db/defrag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mnemo/db/hash_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/quicklist.h"
#include "mnemo/ds/sds.h"
#include "mnemo/ds/skiplist.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

TEST(DefragHintTest, SparseSlabsMoveFullOnesStay) {
  ASSERT_TRUE(mem::DefragSupported());
  // 80-byte blocks: 256 to a slab. Keep one in eight: every slab is 1/8 used.
  constexpr int kN = 256 * 200;
  std::vector<void*> blocks(kN);
  for (int i = 0; i < kN; ++i) {
    blocks[i] = mem::Alloc(80);
    std::memset(blocks[i], i & 0xFF, 80);
  }
  std::vector<void*> kept;
  for (int i = 0; i < kN; ++i) {
    if (i % 8 == 0) {
      kept.push_back(blocks[i]);
    } else {
      mem::Free(blocks[i]);
    }
  }
  EXPECT_FALSE(mem::DefragHint(nullptr));
  size_t hinted = 0;
  for (void* p : kept) hinted += mem::DefragHint(p) ? 1 : 0;
  // Every slab is as sparse as the average, so nearly every block is worth moving (all but the
  // slab allocations come from).
  EXPECT_GT(hinted, kept.size() * 3 / 4);

  const mem::AllocatorStats before = mem::ReadAllocatorStats();
  const size_t used = mem::UsedMemory();
  const uint64_t hits = mem::DefragStats().hits;
  size_t moved = 0;
  for (size_t j = 0; j < kept.size(); ++j) {
    if (void* p = mem::DefragMove(kept[j])) {
      kept[j] = p;
      ++moved;
    }
  }
  EXPECT_GT(moved, kept.size() / 2);
  EXPECT_EQ(mem::DefragStats().hits - hits, moved);
  EXPECT_EQ(mem::UsedMemory(), used);
  for (size_t j = 0; j < kept.size(); ++j) {
    const auto* b = static_cast<const unsigned char*>(kept[j]);
    ASSERT_EQ(b[0], (j * 8) & 0xFF);
    ASSERT_EQ(b[79], (j * 8) & 0xFF);
  }
  // The moved blocks were packed into full slabs: a second round finds little to do, and the
  // emptied slabs' pages are no longer active.
  size_t again = 0;
  for (void* p : kept) again += mem::DefragHint(p) ? 1 : 0;
  EXPECT_LT(again, kept.size() / 4);
  const mem::AllocatorStats after = mem::ReadAllocatorStats();
  EXPECT_LT(after.active + 100 * 4096, before.active);
  for (void* p : kept) mem::Free(p);
}

TEST(DefragHintTest, LargeBlocksNeverMove) {
  void* big = mem::Alloc(64 * 1024);
  EXPECT_FALSE(mem::DefragHint(big));
  EXPECT_EQ(mem::DefragMove(big), nullptr);
  mem::Free(big);
}

TEST(DefragStructuresTest, SdsKeepsBytes) {
  std::vector<ds::sds> kept;
  std::vector<ds::sds> dropped;
  for (int i = 0; i < 20000; ++i) {
    kept.push_back(ds::SdsNew("kept-" + std::to_string(i)));
    dropped.push_back(ds::SdsNew("dropped-" + std::to_string(i)));
  }
  for (ds::sds s : dropped) ds::SdsFree(s);
  const size_t used = mem::UsedMemory();
  size_t moved = 0;
  for (ds::sds& s : kept) {
    if (ds::sds m = ds::SdsDefrag(s)) {
      s = m;
      ++moved;
    }
  }
  EXPECT_GT(moved, 0u);
  EXPECT_EQ(mem::UsedMemory(), used);
  for (int i = 0; i < 20000; ++i) EXPECT_EQ(ds::SdsView(kept[i]), "kept-" + std::to_string(i));
  for (ds::sds s : kept) ds::SdsFree(s);
}

TEST(DefragStructuresTest, QuicklistKeepsElementsAndLinks) {
  // Nodes of 4 elements: many 32-byte nodes and small listpacks.
  ds::Quicklist a(4);
  auto* b = new ds::Quicklist(4);
  std::vector<std::string> want;
  for (int i = 0; i < 20000; ++i) {
    want.push_back("a" + std::to_string(i));
    a.PushTail(want.back());
    b->PushTail("b" + std::to_string(i));
  }
  delete b;
  const size_t used = mem::UsedMemory();
  const size_t bytes = a.EstimateAllocatedBytes(0);
  EXPECT_GT(a.Defrag(), 1000u);
  EXPECT_EQ(mem::UsedMemory(), used);
  EXPECT_EQ(a.EstimateAllocatedBytes(0), bytes);
  // Forward and backward walks see every element (next and prev links both fixed).
  std::vector<std::string> fwd;
  for (auto it = a.Iterate(ds::Quicklist::Direction::kHeadToTail); it.Next();) {
    fwd.push_back(it.value().ToString());
  }
  EXPECT_EQ(fwd, want);
  std::vector<std::string> back;
  for (auto it = a.Iterate(ds::Quicklist::Direction::kTailToHead); it.Next();) {
    back.push_back(it.value().ToString());
  }
  std::reverse(back.begin(), back.end());
  EXPECT_EQ(back, want);
  // Both ends still work.
  a.PushHead("head");
  a.PushTail("tail");
  EXPECT_EQ(a.size(), 20002u);
}

TEST(DefragStructuresTest, SkiplistKeepsOrderRanksAndIndex) {
  ds::Skiplist a;
  auto* b = new ds::Skiplist();
  std::map<std::pair<double, std::string>, bool> want;
  for (int i = 0; i < 20000; ++i) {
    const double score = (i * 7919) % 1000;
    const std::string m = "m" + std::to_string(i);
    a.Insert(m, score);
    b->Insert("x" + std::to_string(i), score);
    want[{score, m}] = true;
  }
  delete b;
  const size_t used = mem::UsedMemory();
  const size_t usage = a.MemoryUsage();
  EXPECT_GT(a.Defrag(), 1000u);
  EXPECT_EQ(mem::UsedMemory(), used);
  EXPECT_EQ(a.MemoryUsage(), usage);
  // Order by walking level 0 forward, and backward links.
  size_t rank = 0;
  const ds::SkiplistNode* prev = nullptr;
  for (auto it = want.begin(); it != want.end(); ++it, ++rank) {
    const ds::SkiplistNode* n = a.NodeByRank(rank);  // upper levels and spans
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(n->score(), it->first.first);
    ASSERT_EQ(n->member(), it->first.second);
    ASSERT_EQ(a.Find(it->first.second), n);  // the index
    ASSERT_EQ(ds::Skiplist::Prev(n), prev);
    prev = n;
  }
  EXPECT_EQ(a.Last(), prev);
  EXPECT_EQ(a.Rank("m0"), std::optional<size_t>(0));
  EXPECT_TRUE(a.Delete("m5"));
  a.Insert("new", 500.5);
  EXPECT_EQ(a.size(), 20000u);
}

// In steps, with the list edited between two steps (as clients may between two cron turns):
// the position-based cursor never breaks the list, whatever the edits shift.
TEST(DefragStructuresTest, QuicklistInStepsSurvivesEditsBetweenSteps) {
  ds::Quicklist a(4);
  auto* b = new ds::Quicklist(4);
  std::deque<std::string> want;
  for (int i = 0; i < 20000; ++i) {
    want.push_back("a" + std::to_string(i));
    a.PushTail(want.back());
    b->PushTail("b" + std::to_string(i));
  }
  delete b;
  size_t pos = 0;
  size_t steps = 0;
  size_t moved = 0;
  do {
    moved += a.Defrag(&pos, 50);
    ++steps;
    // Edits at both ends and in the middle shift the positions of the nodes not yet visited.
    switch (steps % 3) {
      case 0:
        EXPECT_EQ(a.Pop(ds::Quicklist::Where::kHead), want.front());
        want.pop_front();
        break;
      case 1:
        a.PushTail("t" + std::to_string(steps));
        want.push_back("t" + std::to_string(steps));
        break;
      default:
        a.PushHead("h" + std::to_string(steps));
        want.push_front("h" + std::to_string(steps));
        break;
    }
  } while (pos != 0);
  EXPECT_GT(steps, 20u);  // 5,000 nodes, 50 a step
  EXPECT_GT(moved, 1000u);
  EXPECT_TRUE(a.CheckConsistency().ok());
  std::vector<std::string> fwd;
  for (auto it = a.Iterate(ds::Quicklist::Direction::kHeadToTail); it.Next();) {
    fwd.push_back(it.value().ToString());
  }
  EXPECT_EQ(fwd, std::vector<std::string>(want.begin(), want.end()));
  std::vector<std::string> back;
  for (auto it = a.Iterate(ds::Quicklist::Direction::kTailToHead); it.Next();) {
    back.push_back(it.value().ToString());
  }
  std::reverse(back.begin(), back.end());
  EXPECT_EQ(back, fwd);
}

TEST(DefragStructuresTest, SkiplistInStepsSurvivesEditsBetweenSteps) {
  ds::Skiplist a;
  auto* b = new ds::Skiplist();
  std::map<std::pair<double, std::string>, bool> want;
  for (int i = 0; i < 20000; ++i) {
    const double score = (i * 7919) % 1000;
    const std::string m = "m" + std::to_string(i);
    a.Insert(m, score);
    b->Insert("x" + std::to_string(i), score);
    want[{score, m}] = true;
  }
  delete b;
  size_t pos = 0;
  size_t steps = 0;
  size_t moved = 0;
  do {
    moved += a.Defrag(&pos, 100);
    ++steps;
    // A member removed and one added at scattered ranks between two steps.
    const std::string gone = "m" + std::to_string(steps * 13);
    const double gone_score = static_cast<double>((steps * 13 * 7919) % 1000);
    EXPECT_TRUE(a.Delete(gone));
    want.erase({gone_score, gone});
    const std::string added = "n" + std::to_string(steps);
    a.Insert(added, static_cast<double>(steps * 37 % 1000) + 0.5);
    want[{static_cast<double>(steps * 37 % 1000) + 0.5, added}] = true;
  } while (pos != 0);
  EXPECT_GT(steps, 100u);  // 20,000 nodes, 100 a step
  EXPECT_GT(moved, 1000u);
  size_t rank = 0;
  const ds::SkiplistNode* prev = nullptr;
  for (auto it = want.begin(); it != want.end(); ++it, ++rank) {
    const ds::SkiplistNode* n = a.NodeByRank(rank);
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(n->score(), it->first.first);
    ASSERT_EQ(n->member(), it->first.second);
    ASSERT_EQ(a.Find(it->first.second), n);
    ASSERT_EQ(ds::Skiplist::Prev(n), prev);
    prev = n;
  }
  EXPECT_EQ(a.Last(), prev);
  EXPECT_EQ(a.size(), want.size());
}

// The keyspace and values through the cron driver.
class ActiveDefragTest : public ::testing::Test {
 protected:
  ActiveDefragTest() : ks_(2) {
    ks_.set_now_ms(1'700'000'000'000);
    Options& o = ks_.options();
    o.hash_max_listpack_entries = 8;
    o.set_max_listpack_entries = 8;
    o.set_max_intset_entries = 8;
  }

  // Key i of database `db`: a string (some with a TTL), a hashtable hash, a hashtable set, or a
  // listpack hash, by i % 4.
  void Add(int db, int i) {
    const std::string key = (db == 0 ? "keep:" : "drop:") + std::to_string(i);
    Object* o = nullptr;
    switch (i % 4) {
      case 0:
        o = NewStringObject(ks_, db, key, "value-" + std::to_string(i) + std::string(i % 64, 'v'),
                            i % 8 == 0 ? ks_.now_ms() + 100000 + i : -1);
        break;
      case 1:
        o = NewHashObject(ks_, key);
        for (int f = 0; f < 20; ++f) {
          HashSet(ks_, o, "f" + std::to_string(f), "v" + std::to_string(i * 100 + f));
        }
        break;
      case 2:
        o = NewSetObject(ks_, key, "s0-" + std::to_string(i), 20);
        for (int m = 0; m < 20; ++m)
          SetAdd(ks_, o, "s" + std::to_string(m) + "-" + std::to_string(i));
        break;
      default:
        o = NewHashObject(ks_, key);
        HashSet(ks_, o, "a", std::to_string(i));
        break;
    }
    ks_.db(db).Add(o);
  }

  void Check(int n) {
    Db& d = ks_.db(0);
    size_t volatile_keys = 0;
    char hbuf[21];
    for (int i = 0; i < n; ++i) {
      const std::string key = "keep:" + std::to_string(i);
      Object* o = d.keys().Find(key);
      ASSERT_NE(o, nullptr) << key;
      if (o->has_expire()) {
        ++volatile_keys;
        ASSERT_EQ(o->expire_ms(), ks_.now_ms() + 100000 + i);
      }
      switch (i % 4) {
        case 0: {
          StringBuffer buf;
          ASSERT_EQ(StringView(*o, buf), "value-" + std::to_string(i) + std::string(i % 64, 'v'));
          break;
        }
        case 1:
          ASSERT_EQ(o->encoding(), Encoding::kHashtable);
          ASSERT_EQ(HashLength(*o), 20u);
          for (int f = 0; f < 20; ++f) {
            ASSERT_EQ(HashGet(*o, "f" + std::to_string(f), hbuf).value_or(""),
                      "v" + std::to_string(i * 100 + f));
          }
          break;
        case 2:
          ASSERT_EQ(o->encoding(), Encoding::kHashtable);
          ASSERT_EQ(SetSize(*o), 20u);
          for (int m = 0; m < 20; ++m) {
            ASSERT_TRUE(SetIsMember(o, "s" + std::to_string(m) + "-" + std::to_string(i)));
          }
          break;
        default:
          ASSERT_EQ(HashGet(*o, "a", hbuf).value_or(""), std::to_string(i));
      }
    }
    EXPECT_EQ(volatile_keys, d.expires_size());
    EXPECT_EQ(d.size(), static_cast<size_t>(n));
  }

  Keyspace ks_;
};

TEST_F(ActiveDefragTest, CronPassMovesKeysAndValuesExactly) {
  constexpr int kN = 8000;
  for (int i = 0; i < kN; ++i) {
    Add(0, i);
    Add(1, i);
  }
  ks_.db(1).Clear(false);
  Check(kN);
  const size_t used = mem::UsedMemory();
  Options& o = ks_.options();
  o.active_defrag = true;
  o.active_defrag_ignore_bytes = 1;
  o.active_defrag_threshold_lower = 0;
  o.active_defrag_cycle_min = 99;
  o.active_defrag_cycle_max = 99;
  o.active_defrag_max_scan_fields = 5;  // the hashtables go through the later-queue
  ActiveDefrag defrag;
  const uint64_t hits = mem::DefragStats().hits;
  for (int turn = 0; turn < 50 && defrag.passes() == 0; ++turn) defrag.Run(ks_, 10);
  EXPECT_GE(defrag.passes(), 1u);
  // Turned off, it drops its queue of big values (a second pass may have begun) and holds no
  // memory: used_memory is what it was before, exactly.
  o.active_defrag = false;
  defrag.Run(ks_, 10);
  EXPECT_EQ(defrag.running(), 0);
  EXPECT_GT(mem::DefragStats().hits - hits, static_cast<uint64_t>(kN));
  EXPECT_GT(defrag.key_hits(), static_cast<uint64_t>(kN / 4));
  EXPECT_EQ(mem::UsedMemory(), used);
  Check(kN);
  // Writes after the move: the relinked chains and tables keep working.
  Db& d = ks_.db(0);
  for (int i = 1; i < kN; i += 4) {
    Object* h = d.keys().Find("keep:" + std::to_string(i));
    EXPECT_TRUE(HashDelete(h, "f3"));
    EXPECT_TRUE(HashSet(ks_, h, "new", "x"));
  }
  for (int i = 0; i < kN; ++i) EXPECT_TRUE(d.Delete("keep:" + std::to_string(i), false));
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.expires_size(), 0u);
}

TEST_F(ActiveDefragTest, OffOrSnapshotMeansNoWork) {
  for (int i = 0; i < 2000; ++i) {
    Add(0, i);
    Add(1, i);
  }
  ks_.db(1).Clear(false);
  ActiveDefrag defrag;
  Options& o = ks_.options();
  o.active_defrag_ignore_bytes = 1;
  o.active_defrag_threshold_lower = 0;
  const uint64_t hits = mem::DefragStats().hits;
  defrag.Run(ks_, 10);  // activedefrag no
  EXPECT_EQ(defrag.running(), 0);
  EXPECT_EQ(mem::DefragStats().hits, hits);
  // A snapshot in progress (a write guard installed): it waits, as Redis waits for its child.
  struct NullGuard : KeyWriteGuard {
    void BeforeKeyWrite(Db&, Object*) override {}
    void BeforeDbClear(Db&) override {}
    void BeforeDbSwap(Db&, Db&) override {}
  } guard;
  o.active_defrag = true;
  ks_.changes().set_write_guard(&guard);
  defrag.Run(ks_, 10);
  EXPECT_EQ(mem::DefragStats().hits, hits);
  ks_.changes().set_write_guard(nullptr);
  defrag.Run(ks_, 10);
  EXPECT_GT(defrag.running(), 0);
  EXPECT_GT(mem::DefragStats().hits, hits);
  Check(2000);
}

}  // namespace
}  // namespace mnemo::db

// dict_test.cc: the intrusive hash table against std::unordered_map, and the scan and sampling
// guarantees across resizes (layer: ds).
#include "mnemo/ds/dict.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "mnemo/ds/hash.h"
#include "mnemo/mem/slab.h"

namespace mnemo::ds {
namespace {

struct Node {
  Node* next = nullptr;
  std::string key;
  int value = 0;
  bool marked = false;  // MarkTraits only
};

struct Traits {
  using Node = ds::Node;
  static Node** NextField(Node* n) { return &n->next; }
  static std::string_view Key(const Node* n) { return n->key; }
  static uint64_t Hash(std::string_view k) { return HashBytes(k); }
};

using TestDict = Dict<Traits>;

struct MarkTraits : Traits {
  static bool Marked(const Node* n) { return n->marked; }
};
using MarkDict = Dict<MarkTraits>;
static_assert(MarkDict::kMarks && !TestDict::kMarks);

void FreeAll(TestDict& d) {
  d.Clear([](Node* n) { delete n; });
}

TEST(DictTest, InsertFindRemove) {
  TestDict d;
  EXPECT_EQ(d.Find("a"), nullptr);
  d.Insert(new Node{nullptr, "a", 1});
  d.Insert(new Node{nullptr, "b", 2});
  ASSERT_NE(d.Find("a"), nullptr);
  EXPECT_EQ(d.Find("a")->value, 1);
  EXPECT_EQ(d.size(), 2u);
  Node* removed = d.Remove("a");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->key, "a");
  delete removed;
  EXPECT_EQ(d.Find("a"), nullptr);
  EXPECT_EQ(d.size(), 1u);
  FreeAll(d);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.BucketBytes(), 0u);
}

TEST(DictTest, GrowsAtLoadFactorOneAndRehashesIncrementally) {
  TestDict d;
  for (int i = 0; i < 4; ++i) d.Insert(new Node{nullptr, std::to_string(i), i});
  EXPECT_EQ(d.bucket_count(), 4u);
  EXPECT_FALSE(d.IsRehashing());
  d.Insert(new Node{nullptr, "4", 4});  // 4 elements in 4 buckets: grows to 8
  EXPECT_TRUE(d.IsRehashing());
  while (d.RehashSteps(1)) {
  }
  EXPECT_EQ(d.bucket_count(), 8u);
  for (int i = 0; i <= 4; ++i) EXPECT_NE(d.Find(std::to_string(i)), nullptr);
  FreeAll(d);
}

TEST(DictTest, RandomWorkloadMatchesModel) {
  std::mt19937_64 rng(7);
  TestDict d;
  std::unordered_map<std::string, int> model;
  for (int op = 0; op < 200000; ++op) {
    const std::string key = "k" + std::to_string(rng() % 5000);
    const int r = static_cast<int>(rng() % 10);
    if (r < 5) {
      if (model.count(key) == 0) {
        d.Insert(new Node{nullptr, key, op});
        model[key] = op;
      }
    } else if (r < 8) {
      Node* n = d.Remove(key);
      ASSERT_EQ(n != nullptr, model.count(key) == 1) << key;
      if (n != nullptr) {
        ASSERT_EQ(n->value, model[key]);
        delete n;
        model.erase(key);
      }
    } else if (r < 9) {
      Node* n = d.Find(key);
      ASSERT_EQ(n != nullptr, model.count(key) == 1);
      if (n != nullptr) {
        ASSERT_EQ(n->value, model[key]);
      }
    } else {
      d.ShrinkIfNeeded();
    }
    ASSERT_EQ(d.size(), model.size());
  }
  size_t seen = 0;
  d.ForEach([&](Node* n) {
    ++seen;
    ASSERT_EQ(model.at(n->key), n->value);
  });
  EXPECT_EQ(seen, model.size());
  FreeAll(d);
}

// Handles (dict.h "Handles"): nodes are byte-granular slab slots, `[4-byte next handle][key]`,
// whose length is the slot's size, so chain fields sit at any alignment. The table must behave
// as with pointers: the same workload against a model, relinking after moves, and (below, with
// the pointer tables' scan test) a scan pass meeting every node across resizes.
mem::SlabArena& HandleArena() {
  static mem::SlabArena* arena = new mem::SlabArena(4096);
  return *arena;
}
struct HNode;  // a slot: 4 bytes of next handle, then the key
struct HandleTraits {
  using Node = HNode;
  using Link = uint32_t;
  static Node* Deref(Link l) { return static_cast<Node*>(HandleArena().Ptr(l)); }
  static Link LinkOf(const Node* n) { return HandleArena().HandleOf(n); }
  static void* NextField(Node* n) { return n; }
  static std::string_view Key(const Node* n) {
    const mem::SlabArena::Handle h = HandleArena().HandleOf(n);
    return {reinterpret_cast<const char*>(n) + 4, HandleArena().SlotSize(h) - 4};
  }
  static uint64_t Hash(std::string_view k) { return HashBytes(k); }
};
using HandleDict = Dict<HandleTraits>;
static_assert(HandleDict::kHandles && !TestDict::kHandles);

HNode* NewHNode(std::string_view key) {
  mem::SlabArena::Slot s = HandleArena().Alloc(4 + key.size());
  std::memset(s.ptr, 0xEE, 4);  // garbage in the chain field: Insert must overwrite it
  std::memcpy(static_cast<char*>(s.ptr) + 4, key.data(), key.size());
  return static_cast<HNode*>(s.ptr);
}
void FreeHNode(HNode* n) { HandleArena().Free(HandleArena().HandleOf(n)); }

// How ExpectPassMeetsStableNodesAcrossResizes makes and frees the nodes of each kind of table.
struct PointerNodes {
  static Node* Make(const std::string& k, bool marked) { return new Node{nullptr, k, 0, marked}; }
  static void Free(Node* n) { delete n; }
};
struct HandleNodes {
  static HNode* Make(const std::string& k, bool) { return NewHNode(k); }
  static void Free(HNode* n) { FreeHNode(n); }
};

TEST(DictTest, HandleLinksMatchAModel) {
  std::mt19937_64 rng(11);
  HandleDict d;
  std::set<std::string> model;
  for (int op = 0; op < 100000; ++op) {
    // Keys of 1 to 12 characters: slots of 5 to 16 bytes, most at odd addresses.
    const std::string key = std::string(1 + rng() % 4, 'k') + std::to_string(rng() % 3000);
    const int r = static_cast<int>(rng() % 10);
    if (r < 5) {
      if (model.insert(key).second) d.Insert(NewHNode(key));
    } else if (r < 7) {
      HNode* n = d.Remove(key);
      ASSERT_EQ(n != nullptr, model.erase(key) == 1) << key;
      if (n != nullptr) {
        ASSERT_EQ(HandleTraits::Key(n), key);
        FreeHNode(n);
      }
    } else if (r < 8) {
      // Replace with a copy in a new slot (as the keyspace does when a key gains a TTL).
      const HandleDict::Pos pos = d.FindLink(key);
      ASSERT_EQ(static_cast<bool>(pos), model.count(key) == 1);
      if (pos) {
        HNode* old = pos.node();
        d.ReplaceAt(pos, NewHNode(key));
        FreeHNode(old);
      }
    } else if (r < 9) {
      HNode* n = d.Find(key);
      ASSERT_EQ(n != nullptr, model.count(key) == 1);
      if (n != nullptr) {
        ASSERT_EQ(HandleTraits::Key(n), key);
      }
    } else {
      d.ShrinkIfNeeded();
    }
    ASSERT_EQ(d.size(), model.size());
  }
  // A defragmentation-style pass moves every node to a new slot: the table relinks each (the
  // copy's chain field is the old one's) and every key is found at its new address.
  size_t moved = 0;
  uint64_t cursor = 0;
  do {
    cursor = d.ScanMoving(cursor, [&](HNode* n) {
      const std::string_view key = HandleTraits::Key(n);
      mem::SlabArena::Slot s = HandleArena().Alloc(4 + key.size());
      std::memcpy(s.ptr, n, 4 + key.size());
      FreeHNode(n);
      ++moved;
      return static_cast<HNode*>(s.ptr);
    });
  } while (cursor != 0);
  EXPECT_GE(moved, model.size());
  for (const std::string& k : model) {
    HNode* n = d.Find(k);
    ASSERT_NE(n, nullptr) << k;
    ASSERT_EQ(HandleTraits::Key(n), k);
  }
  d.Clear(FreeHNode);
  EXPECT_EQ(HandleArena().stats().live_slots, 0u);
}

TEST(DictTest, ReplaceAtKeepsChainAndCounts) {
  TestDict d;
  for (int i = 0; i < 100; ++i) d.Insert(new Node{nullptr, std::to_string(i), i});
  for (int i = 0; i < 100; ++i) {
    const TestDict::Pos link = d.FindLink(std::to_string(i));
    ASSERT_TRUE(link);
    Node* old = link.node();
    Node* fresh = new Node{nullptr, old->key, i + 1000};
    d.ReplaceAt(link, fresh);
    delete old;
  }
  EXPECT_EQ(d.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(d.Find(std::to_string(i))->value, i + 1000);
  FreeAll(d);
}

// One pass of `scan` (cursor -> next cursor; it adds the keys it reports to `seen`) over 3,000
// stable nodes (every 37th marked) while the table grows up to ~8x (variant 0) or grows and
// then shrinks (variant 1), with transient nodes (every 5th marked) coming and going between
// the calls. Every stable node, or with `only_marked` every stable marked node, must have been
// reported.
template <typename D, typename Nodes, typename ScanFn>
void ExpectPassMeetsStableNodesAcrossResizes(uint64_t seed, bool only_marked, ScanFn scan) {
  std::mt19937_64 rng(seed);
  for (int variant = 0; variant < 2; ++variant) {
    D d;
    std::set<std::string> stable;
    for (int i = 0; i < 3000; ++i) {
      const std::string k = "s" + std::to_string(i);
      const bool marked = i % 37 == 0;
      d.Insert(Nodes::Make(k, marked));
      if (marked || !only_marked) stable.insert(k);
    }
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int extra = 0;
    int calls = 0;
    const auto add_transient = [&] {
      d.Insert(Nodes::Make("t" + std::to_string(extra), extra % 5 == 0));
      ++extra;
    };
    do {
      cursor = scan(d, cursor, seen);
      ++calls;
      if (variant == 0 && extra < 20000) {
        // Grow during the scan: add transient elements, never remove stable ones.
        for (int j = 0; j < 20; ++j) add_transient();
      } else if (calls % 10 == 0) {
        // Shrink during the scan: remove transient elements added earlier and ask to shrink.
        for (int j = 0; j < 200 && extra > 0; ++j) {
          Nodes::Free(d.Remove("t" + std::to_string(--extra)));
        }
        if (calls == 10) {
          for (int j = 0; j < 20000; ++j) add_transient();
        }
        d.ShrinkIfNeeded();
      }
      d.RehashSteps(rng() % 3);
    } while (cursor != 0);
    for (const std::string& k : stable) ASSERT_TRUE(seen.count(k)) << k << " variant " << variant;
    d.Clear(Nodes::Free);
  }
}

// Every element present for the whole scan is returned at least once, even when the table
// grows or shrinks between the calls.
TEST(DictTest, ScanReturnsEveryStableElementAcrossResizes) {
  ExpectPassMeetsStableNodesAcrossResizes<TestDict, PointerNodes>(
      11, false, [](TestDict& d, uint64_t cursor, std::set<std::string>& seen) {
        return d.Scan(cursor, [&](Node* n) { seen.insert(n->key); });
      });
}

// The same with handle links (slab-slot nodes at odd addresses).
TEST(DictTest, HandleScanReturnsEveryStableElementAcrossResizes) {
  ExpectPassMeetsStableNodesAcrossResizes<HandleDict, HandleNodes>(
      13, false, [](HandleDict& d, uint64_t cursor, std::set<std::string>& seen) {
        return d.Scan(cursor, [&](HNode* n) { seen.insert(std::string(HandleTraits::Key(n))); });
      });
  EXPECT_EQ(HandleArena().stats().live_slots, 0u);
}

// ScanMarked reports every marked node present for the whole pass, across growth and shrinking,
// and never an unmarked one.
TEST(DictTest, ScanMarkedReturnsEveryStableMarkedNodeAcrossResizes) {
  ExpectPassMeetsStableNodesAcrossResizes<MarkDict, PointerNodes>(
      12, true, [](MarkDict& d, uint64_t cursor, std::set<std::string>& seen) {
        return d.ScanMarked(cursor, [&](Node* n) {
          ASSERT_TRUE(n->marked) << n->key;
          seen.insert(n->key);
        });
      });
}

// A pass reads only bits where no marked node is: once the marked nodes are gone, the pass that
// meets their buckets clears the marks, and the next pass takes one call per kMaxMarkSkip
// buckets. A node that becomes marked by replacement (ReplaceAt) is found.
TEST(DictTest, ScanMarkedSkipsUnmarkedBucketsAndClearsStaleMarks) {
  MarkDict d;
  for (int i = 0; i < 100000; ++i) d.Insert(new Node{nullptr, std::to_string(i), i, i % 1000 == 0});
  while (d.RehashSteps(1000)) {
  }
  const auto pass = [&](std::vector<std::string>* seen) {
    size_t calls = 0;
    uint64_t cursor = 0;
    do {
      cursor = d.ScanMarked(cursor, [&](Node* n) { seen->push_back(n->key); });
      ++calls;
    } while (cursor != 0);
    return calls;
  };
  const size_t skips = d.bucket_count() / MarkDict::kMaxMarkSkip;  // 131072 / 4096 = 32
  std::vector<std::string> seen;
  size_t calls = pass(&seen);
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_LE(calls, skips + 100);
  EXPECT_GE(calls, 100u);
  // Unmark by replacing every marked node with an unmarked copy: the marks stay until a pass.
  for (int i = 0; i < 100000; i += 1000) {
    const MarkDict::Pos link = d.FindLink(std::to_string(i));
    ASSERT_TRUE(link);
    Node* old = link.node();
    d.ReplaceAt(link, new Node{nullptr, old->key, i, false});
    delete old;
  }
  seen.clear();
  pass(&seen);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(pass(&seen), skips);  // the marks were cleared: only bits are read
  EXPECT_TRUE(seen.empty());
  // Marking one node by replacement marks its bucket.
  const MarkDict::Pos link = d.FindLink("4242");
  Node* old = link.node();
  d.ReplaceAt(link, new Node{nullptr, old->key, 4242, true});
  delete old;
  EXPECT_LE(pass(&seen), skips + 1);
  EXPECT_EQ(seen, std::vector<std::string>{"4242"});
  d.Clear([](Node* n) { delete n; });
}

// The marks are allocated through the mem layer and counted in BucketBytes: 1 bit per bucket.
TEST(DictTest, MarksAreCountedInBucketBytes) {
  const size_t before = mem::UsedMemory();
  {
    // No marked node: no marks.
    MarkDict d;
    for (int i = 0; i < 5000; ++i) d.Insert(new Node{nullptr, std::to_string(i), i, false});
    while (d.RehashSteps(100)) {
    }
    EXPECT_EQ(d.BucketBytes(), d.bucket_count() * sizeof(Node*));
    uint64_t cursor = 0;
    int calls = 0;
    do {
      cursor = d.ScanMarked(cursor, [](Node*) { FAIL(); });
      ++calls;
    } while (cursor != 0);
    EXPECT_EQ(calls, 1);
    d.Clear([](Node* n) { delete n; });
  }
  MarkDict d;
  std::vector<Node*> nodes;
  for (int i = 0; i < 5000; ++i) nodes.push_back(new Node{nullptr, std::to_string(i), i, true});
  const size_t with_nodes = mem::UsedMemory();
  for (Node* n : nodes) d.Insert(n);
  while (d.RehashSteps(100)) {
  }
  EXPECT_EQ(mem::UsedMemory() - with_nodes, d.BucketBytes());
  // 8192 buckets: 64 KB of pointers and 1 KB of marks (allocated with the first marked node).
  EXPECT_EQ(d.BucketBytes(), d.bucket_count() * sizeof(Node*) + d.bucket_count() / 8);
  d.Clear([](Node* n) { delete n; });
  std::vector<Node*>().swap(nodes);
  EXPECT_EQ(mem::UsedMemory(), before);
}

TEST(DictTest, SamplingWorksWhileRehashing) {
  TestDict d;
  for (int i = 0; i < 1024; ++i) d.Insert(new Node{nullptr, std::to_string(i), i});
  d.Insert(new Node{nullptr, "x", 0});  // starts a grow
  ASSERT_TRUE(d.IsRehashing());
  d.PauseRehash();  // keep it in the middle of the rehash while we sample
  std::map<std::string, int> hits;
  for (int round = 0; round < 2000; ++round) {
    Node* sample[16];
    const size_t n = d.SampleNodes(sample, 16);
    // It may return fewer than asked (its walk is bounded), never none from a non-empty table.
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, 16u);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(d.Find(sample[i]->key), sample[i]);  // a real member
      ++hits[sample[i]->key];
    }
    Node* r = d.FairRandomNode();
    ASSERT_NE(r, nullptr);
    ++hits[r->key];
  }
  d.ResumeRehash();
  // The samples cover most of the table, not just one region.
  EXPECT_GT(hits.size(), 900u);
  FreeAll(d);
}

TEST(DictTest, BucketBytesAreCountedInUsedMemory) {
  const size_t before = mem::UsedMemory();
  TestDict d;
  std::vector<Node*> nodes;
  for (int i = 0; i < 100; ++i) nodes.push_back(new Node{nullptr, std::to_string(i), i});
  const size_t with_nodes = mem::UsedMemory();
  for (Node* n : nodes) d.Insert(n);
  while (d.RehashSteps(100)) {
  }
  EXPECT_EQ(mem::UsedMemory() - with_nodes, d.BucketBytes());
  EXPECT_EQ(d.BucketBytes(), d.bucket_count() * sizeof(Node*));
  FreeAll(d);
  std::vector<Node*>().swap(nodes);  // the vector's own block is counted too
  EXPECT_EQ(mem::UsedMemory(), before);
}

// The expand guard postpones growth while it says no, until the load passes kMaxLoadFactor;
// it is told the size of the array about to be allocated.
TEST(DictTest, ExpandGuardPostponesGrowthUpToMaxLoad) {
  struct Guard {
    bool allow = false;
    size_t asked = 0;
    size_t more_bytes = 0;
    static bool Ask(const void* ctx, size_t more, double load) {
      auto* g = const_cast<Guard*>(static_cast<const Guard*>(ctx));
      ++g->asked;
      g->more_bytes = more;
      EXPECT_GE(load, 1.0);
      EXPECT_LE(load, TestDict::kMaxLoadFactor);
      return g->allow;
    }
  } guard;
  TestDict d;
  d.set_expand_guard(&Guard::Ask, &guard);
  for (int i = 0; i < 64; ++i) d.Insert(new Node{nullptr, std::to_string(i), i});
  // The first table (4 buckets) is allocated without asking; every later doubling was refused
  // until the load passed 1.618: 4 buckets hold up to 6 elements, then 8 (at 7 elements, load
  // 1.75), 16 (at 13), 32 (at 26), 64 (at 52).
  while (d.RehashSteps(100)) {
  }
  EXPECT_EQ(d.bucket_count(), 64u);
  EXPECT_GT(guard.asked, 0u);
  for (int i = 0; i < 64; ++i) EXPECT_NE(d.Find(std::to_string(i)), nullptr);
  // Allowed again: the next insert grows at once (64 elements in 64 buckets), and the guard was
  // told the new array's size.
  guard.allow = true;
  d.Insert(new Node{nullptr, "64", 64});
  EXPECT_TRUE(d.IsRehashing());
  EXPECT_EQ(guard.more_bytes, 128 * sizeof(Node*));
  while (d.RehashSteps(100)) {
  }
  EXPECT_EQ(d.bucket_count(), 128u);
  // Without a guard: growth at load 1 as before.
  d.set_expand_guard(nullptr, nullptr);
  for (int i = 65; i < 129; ++i) d.Insert(new Node{nullptr, std::to_string(i), i});
  EXPECT_TRUE(d.IsRehashing());
  FreeAll(d);
}

}  // namespace
}  // namespace mnemo::ds

namespace mnemo::ds {
namespace {

// UniformRandomNode: with 200 nodes and 200,000 draws each node is expected 1,000 times; with a
// uniform picker the counts stay within +-15% (a binomial standard deviation is ~32, so 15% is
// over 4.5 deviations; the seed is fixed, so this does not flake). Also in mid-rehash.
TEST(DictUniformTest, EveryNodeEquallyLikely) {
  SeedRandom(1234);
  for (bool rehashing : {false, true}) {
    TestDict d;
    const int n = rehashing ? 129 : 200;  // 129th insert starts growing 128 -> 256 buckets
    for (int i = 0; i < n; ++i) d.Insert(new Node{nullptr, "u" + std::to_string(i), i});
    if (rehashing) {
      ASSERT_TRUE(d.IsRehashing());
      d.PauseRehash();
    }
    std::map<int, int> hits;
    const int draws = 1000 * n;
    for (int k = 0; k < draws; ++k) ++hits[d.UniformRandomNode()->value];
    if (rehashing) d.ResumeRehash();
    ASSERT_EQ(static_cast<int>(hits.size()), n);
    for (const auto& [value, count] : hits) {
      EXPECT_GT(count, 850) << value << (rehashing ? " (rehashing)" : "");
      EXPECT_LT(count, 1150) << value << (rehashing ? " (rehashing)" : "");
    }
    FreeAll(d);
  }
  TestDict empty;
  EXPECT_EQ(empty.UniformRandomNode(), nullptr);
}

}  // namespace
}  // namespace mnemo::ds

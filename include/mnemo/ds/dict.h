// dict.h: an intrusive chained hash table with incremental rehashing, a scan cursor that
// survives resizes, and random sampling (layer: ds).
//
// Intrusive means the table stores the caller's nodes themselves, chained through a `next`
// pointer inside each node; it allocates nothing per element. Redis's dict allocates a 24-byte
// dictEntry (a 32-byte jemalloc block) per element and points from it to the key and the value;
// here the caller lays out key, value and `next` in one block, and the only memory the table
// owns is its bucket arrays (8 bytes per bucket, one bucket per element at most load).
//
// The node type is described by a traits class:
//   struct Traits {
//     using Node = ...;
//     static Node** NextField(Node* n);              // where the node keeps its chain pointer
//     static std::string_view Key(const Node* n);
//     static uint64_t Hash(std::string_view key);   // usually ds::HashBytes
//   };
//
// Resizing is incremental, as in Redis: while a resize is under way there are two tables, and
// each lookup, insert and delete moves one bucket from the old table to the new one
// (RehashSteps). The owner can also give it time (RehashForMicros) from a timer. No single call
// does more than a bounded amount of rehash work.
//
// The table grows when it holds as many elements as buckets (load factor 1) and shrinks, when
// the owner asks (ShrinkIfNeeded), once fewer than 10% of buckets are in use. An owner may set an
// expand guard that postpones growth (up to load factor kMaxLoadFactor), as Redis 7's
// dictExpandAllowed does to keep a doubling from pushing used memory over maxmemory.
//
// Handles (optional): when Traits also has `using Link = <unsigned integer type>;` with
//     static Node* Deref(Link l);        // REQUIRES: l != 0
//     static Link LinkOf(const Node* n);
// the buckets and the chain fields hold Links instead of pointers (the keyspace: 4-byte handles
// of mem::SlabArena slots), and NextField may return an address of any alignment (the chain
// field is read and written with memcpy). Without it a Link is a Node*.
//
// Marks (optional): when Traits also has `static bool Marked(const Node* n)` (a property fixed for
// the node's life, such as "the key has a TTL"), each table keeps one bit per bucket, set when a
// marked node enters the bucket and cleared when ScanMarked finds no marked node there. ScanMarked
// walks the marked nodes in Scan's order and with Scan's guarantee while reading only the bits
// of the other buckets, 64 to a word: the keyspace's expiry cycle reads 1 bit per bucket where it
// would read a bucket (a cache miss) for each key without a TTL. The bits cost 1/64 of the bucket
// array, are counted in BucketBytes, and are allocated with a table's first marked node.
//
// Ownership: the table never frees nodes. Destroying a non-empty table is a bug; call Clear with
// a function that frees each node.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mnemo/base/assert.h"
#include "mnemo/base/clock.h"
#include "mnemo/base/random.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace dict_internal {
template <typename Traits>
struct LinkOf {
  using type = typename Traits::Node*;
};
template <typename Traits>
requires requires { typename Traits::Link; }
struct LinkOf<Traits> {
  using type = typename Traits::Link;
};
}  // namespace dict_internal

template <typename Traits>
class Dict {
 public:
  using Node = typename Traits::Node;
  // What a bucket or a chain field holds (see "Handles" above); Link{} is none.
  using Link = typename dict_internal::LinkOf<Traits>::type;
  static constexpr bool kHandles = !std::is_pointer_v<Link>;

  // Where the link to a node is: a bucket, or the chain field of the node before it in the
  // chain. From FindLink; valid until the table is next modified or rehashed.
  class Pos {
   public:
    Pos() = default;
    explicit operator bool() const { return at_ != nullptr; }
    Node* node() const { return Deref(LoadAt(at_)); }

   private:
    friend class Dict;
    explicit Pos(void* at) : at_(at) {}
    void* at_ = nullptr;
  };
  // True iff the traits mark nodes (see the head of this file).
  static constexpr bool kMarks = requires(const Node* n) {
    { Traits::Marked(n) } -> std::convertible_to<bool>;
  };
  // ScanMarked reads at most this many bits of unmarked buckets in a call (it returns a cursor
  // inside the run of unmarked buckets when it stops there).
  static constexpr size_t kMaxMarkSkip = 4096;

  // Smallest table; the first insert allocates it.
  static constexpr size_t kInitialSize = 4;
  // ShrinkIfNeeded resizes when fewer than this percentage of buckets hold elements.
  static constexpr size_t kMinFillPercent = 10;
  // Past this load (elements per bucket) the table grows whatever the expand guard says, so that
  // chains stay short (Redis HASHTABLE_MAX_LOAD_FACTOR).
  static constexpr double kMaxLoadFactor = 1.618;

  // Asked before the table grows while the load is at most kMaxLoadFactor: `more_bytes` is the
  // size of the bucket array about to be allocated, `load` the current elements per bucket.
  // Returning false postpones the growth (chains get longer); it is asked again on later inserts.
  using ExpandGuard = bool (*)(const void* context, size_t more_bytes, double load);

  Dict() = default;
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  Dict(Dict&& other) noexcept { MoveFrom(other); }
  Dict& operator=(Dict&& other) noexcept {
    if (this != &other) {
      MNEMO_ASSERT(size() == 0);
      FreeTables();
      MoveFrom(other);
    }
    return *this;
  }
  ~Dict() {
    MNEMO_ASSERT(size() == 0);
    FreeTables();
  }

  // Installs (or, with null, removes) the expand guard. Not moved or swapped with the contents.
  void set_expand_guard(ExpandGuard guard, const void* context) {
    expand_guard_ = guard;
    expand_guard_context_ = context;
  }

  size_t size() const { return ht_[0].used + ht_[1].used; }
  bool empty() const { return size() == 0; }
  size_t bucket_count() const { return ht_[0].size + ht_[1].size; }
  bool IsRehashing() const { return rehash_index_ >= 0; }
  // Bytes held by the bucket arrays and their marks (usable sizes): the table's whole overhead.
  size_t BucketBytes() const { return ht_[0].bytes + ht_[1].bytes; }

  // Returns the node whose key equals `key`, or null.
  Node* Find(std::string_view key) {
    const Pos pos = FindLink(key);
    return pos ? pos.node() : nullptr;
  }

  // Returns where the link to the node with `key` is (a bucket or the chain field of its
  // predecessor), or an empty Pos if there is none. It stays valid until the table is next
  // modified or rehashed; use it with ReplaceAt and UnlinkAt.
  Pos FindLink(std::string_view key) {
    if (size() == 0) return Pos();
    RehashStepIfAllowed();
    return FindLinkNoRehash(key, Traits::Hash(key));
  }

  // Inserts a node. REQUIRES: no node with an equal key is present.
  void Insert(Node* node) {
    RehashStepIfAllowed();
    ExpandIfNeeded();
    Table& t = IsRehashing() ? ht_[1] : ht_[0];
    const size_t idx = Traits::Hash(Traits::Key(node)) & t.mask();
    StoreAt(NextField(node), t.buckets[idx]);
    t.buckets[idx] = ToLink(node);
    ++t.used;
    if constexpr (kMarks) {
      if (Traits::Marked(node)) SetMark(t, idx);
    }
  }

  // Unlinks and returns the node with `key`, or null. The caller owns (frees) it.
  Node* Remove(std::string_view key) {
    const Pos pos = FindLink(key);
    if (!pos) return nullptr;
    Node* node = pos.node();
    UnlinkAt(pos);
    return node;
  }

  // Unlinks the node at `pos`. REQUIRES: pos came from FindLink with no change since.
  void UnlinkAt(Pos pos) {
    Node* node = pos.node();
    Table& t = TableOf(node);
    StoreAt(pos.at_, LoadAt(NextField(node)));
    StoreAt(NextField(node), Link{});
    --t.used;
  }

  // Puts `replacement` where the node at `pos` is (same key, for example a node that was
  // reallocated to a new size). REQUIRES: pos came from FindLink with no change since.
  void ReplaceAt(Pos pos, Node* replacement) {
    Node* old = pos.node();
    if constexpr (kMarks) {
      // A marked node's bucket is marked already (marks are cleared only where no marked node is).
      if (Traits::Marked(replacement) && !Traits::Marked(old)) MarkKey(Traits::Key(replacement));
    }
    StoreAt(NextField(replacement), LoadAt(NextField(old)));
    StoreAt(pos.at_, ToLink(replacement));
  }

  // Points the link at `pos` to `moved`: a copy of the node that was there, chain field included,
  // whose old block may be gone already (a defragmentation move). REQUIRES: pos came from
  // FindLink with no change since.
  void RelinkAt(Pos pos, Node* moved) { StoreAt(pos.at_, ToLink(moved)); }

  // Frees every node with `free_node` and releases the buckets. O(n).
  template <typename F>
  void Clear(F&& free_node) {
    for (Table& t : ht_) {
      for (size_t i = 0; i < t.size && t.used > 0; ++i) {
        Node* n = Deref(t.buckets[i]);
        while (n != nullptr) {
          Node* next = Next(n);
          free_node(n);
          --t.used;
          n = next;
        }
        t.buckets[i] = Link{};
      }
    }
    FreeTables();
  }

  // Calls fn(node) for every node. fn may unlink and free the node it is given (its successor
  // was read before the call) but must not touch other nodes of this table. Rehashing is
  // paused meanwhile. O(n): only for commands that are O(n) by definition.
  template <typename F>
  void ForEach(F&& fn) {
    ++pause_rehash_;
    for (Table& t : ht_) {
      for (size_t i = 0; i < t.size; ++i) {
        Node* n = Deref(t.buckets[i]);
        while (n != nullptr) {
          Node* next = Next(n);
          fn(n);
          n = next;
        }
      }
    }
    --pause_rehash_;
  }

  // Moves up to `n` buckets from the old table to the new one, visiting at most n*10 empty
  // buckets (otherwise a sparse table would make one call unbounded). Returns true iff the
  // rehash is still under way afterwards.
  bool RehashSteps(size_t n) {
    if (!IsRehashing()) return false;
    size_t empty_visits = n * 10;
    Table& from = ht_[0];
    Table& to = ht_[1];
    while (n-- > 0 && from.used != 0) {
      while (from.buckets[rehash_index_] == Link{}) {
        ++rehash_index_;
        if (--empty_visits == 0) return true;
      }
      // The links move as they are: a node's own link is the one that pointed at it.
      Link link = from.buckets[rehash_index_];
      while (link != Link{}) {
        Node* node = Deref(link);
        void* field = NextField(node);
        const Link next = LoadAt(field);
        const size_t idx = Traits::Hash(Traits::Key(node)) & to.mask();
        StoreAt(field, to.buckets[idx]);
        to.buckets[idx] = link;
        if constexpr (kMarks) {
          if (Traits::Marked(node)) SetMark(to, idx);
        }
        --from.used;
        ++to.used;
        link = next;
      }
      from.buckets[rehash_index_] = Link{};
      ++rehash_index_;
    }
    if (from.used == 0) {
      FreeTable(from);
      from = to;
      to = Table{};
      rehash_index_ = -1;
      return false;
    }
    return true;
  }

  // Rehashes in batches of 100 buckets until done or `micros` have passed. Returns the number of
  // buckets moved.
  size_t RehashForMicros(int64_t micros) {
    if (pause_rehash_ > 0) return 0;
    const int64_t start = MonotonicUs();
    size_t moved = 0;
    while (RehashSteps(100)) {
      moved += 100;
      if (MonotonicUs() - start > micros) break;
    }
    return moved;
  }

  // Starts a resize to the smallest power of two >= max(size(), kInitialSize) if fewer than
  // kMinFillPercent of the buckets are in use. Returns true iff a resize started.
  bool ShrinkIfNeeded() {
    if (IsRehashing() || ht_[0].size <= kInitialSize) return false;
    if (size() * 100 / ht_[0].size >= kMinFillPercent) return false;
    return Resize(size() < kInitialSize ? kInitialSize : size());
  }

  // Starts a resize so that `n` elements fit at load factor 1 (used to pre-size a table that is
  // about to receive n elements). Returns true iff a resize started.
  bool Reserve(size_t n) {
    if (IsRehashing() || n <= ht_[0].size) return false;
    return Resize(n);
  }

  // Calls fn(node) for the nodes of one bucket (two while rehashing) and returns the next cursor;
  // 0 means the scan is complete. Every node present for the whole scan is reported at least
  // once, also across resizes; some may be reported twice. The cursor is Redis's: the bucket index
  // with its bits reversed is incremented, so that a cursor stays meaningful when the table
  // doubles or halves. fn must not modify the table.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    if (size() == 0) return 0;
    ++pause_rehash_;
    uint64_t v = cursor;
    if (!IsRehashing()) {
      const Table& t = ht_[0];
      const uint64_t m0 = t.mask();
      EmitBucket(t, v & m0, fn);
      v |= ~m0;
      v = NextCursor(v);
    } else {
      auto [small, big] = SmallAndBig();
      const uint64_t m0 = small->mask();
      const uint64_t m1 = big->mask();
      EmitBucket(*small, v & m0, fn);
      // Then every bucket of the big table that expands the small table's bucket.
      do {
        EmitBucket(*big, v & m1, fn);
        v |= ~m1;
        v = NextCursor(v);
      } while (v & (m0 ^ m1));
    }
    --pause_rehash_;
    return v;
  }

  // As Scan, with Scan's cursor and guarantee, but for the marked nodes only (kMarks): fn sees the
  // marked nodes of the next bucket group at or after `cursor` whose mark is set, skipping the
  // unmarked groups by their bits; it reads at most kMaxMarkSkip bits of unmarked buckets and
  // then returns the cursor it stopped at (so a call is bounded, and may report nothing). A
  // marked bucket that holds no marked node any more has its mark cleared. Returns 0 when the
  // pass is complete. fn must not modify the table.
  template <typename F>
  uint64_t ScanMarked(uint64_t cursor, F&& fn) {
    static_assert(kMarks, "ScanMarked needs Traits::Marked");
    if (size() == 0) return 0;
    ++pause_rehash_;
    uint64_t v = cursor;
    if (!IsRehashing()) {
      Table& t = ht_[0];
      // Marks are kept in the scan's order: bit p is the bucket with index rev(p). No marks: no
      // marked node ever entered this table, and the pass is complete.
      const uint64_t start = t.marks == nullptr ? t.size : MarkPos(t, v & t.mask());
      const uint64_t limit = start + kMaxMarkSkip < t.size ? start + kMaxMarkSkip : t.size;
      uint64_t p = NextMark(t, start, limit);
      if (p < limit) {
        EmitMarked(t, BucketOfPos(t, p), fn);
        ++p;
      }
      v = p == t.size ? 0 : BucketOfPos(t, p);
    } else {
      // Group by group as Scan goes (the small table's bucket, then the big table's buckets
      // that expand it), emitting the marked buckets, until a group had one or the bits read
      // reach kMaxMarkSkip.
      auto [small, big] = SmallAndBig();
      const uint64_t m0 = small->mask();
      const uint64_t m1 = big->mask();
      bool emitted = false;
      for (size_t read = 0; !emitted && read < kMaxMarkSkip && (read == 0 || v != 0);) {
        if (HasMark(*small, v & m0)) {
          EmitMarked(*small, v & m0, fn);
          emitted = true;
        }
        do {
          if (HasMark(*big, v & m1)) {
            EmitMarked(*big, v & m1, fn);
            emitted = true;
          }
          v |= ~m1;
          v = NextCursor(v);
          ++read;
        } while (v & (m0 ^ m1));
      }
    }
    --pause_rehash_;
    return v;
  }

  // Returns a random node (null if empty): a random non-empty bucket, then a random node in its
  // chain. Nodes in long chains are less likely; see FairRandomNode.
  Node* RandomNode() {
    if (size() == 0) return nullptr;
    RehashStepIfAllowed();
    Node* head = nullptr;
    if (IsRehashing()) {
      const size_t s0 = ht_[0].size;
      const size_t s1 = ht_[1].size;
      // Buckets of ht_[0] below rehash_index_ are empty; draw from the rest of both tables.
      while (head == nullptr) {
        const size_t i = static_cast<size_t>(rehash_index_) +
                         RandomU64() % (s0 + s1 - static_cast<size_t>(rehash_index_));
        head = Deref(i >= s0 ? ht_[1].buckets[i - s0] : ht_[0].buckets[i]);
      }
    } else {
      while (head == nullptr) head = Deref(ht_[0].buckets[RandomU64() & ht_[0].mask()]);
    }
    size_t len = 0;
    for (Node* n = head; n != nullptr; n = Next(n)) ++len;
    size_t pick = RandomU64() % len;
    Node* n = head;
    while (pick-- > 0) n = Next(n);
    return n;
  }

  // A random node with a distribution closer to uniform: samples a few nodes from random
  // positions and picks one of them (Redis dictGetFairRandomKey).
  Node* FairRandomNode() {
    constexpr size_t kSamples = 20;
    Node* sample[kSamples];
    const size_t got = SampleNodes(sample, kSamples);
    if (got == 0) return RandomNode();
    return sample[RandomU64() % got];
  }

  // A uniformly random node (null if empty), for SRANDMEMBER, SPOP, HRANDFIELD. FairRandomNode
  // samples a run of consecutive buckets and favours nodes that follow sparse stretches (up to
  // +-60% measured at 200 elements); this one is uniform: a scan step at a random bucket of the
  // smaller table visits one bucket group (one bucket, or while rehashing a small-table bucket
  // and all its big-table expansions), so each group is equally likely, and the group's j-th node
  // is taken for j uniform in [0, kChainBound), or the draw is repeated when the group has fewer
  // than j + 1 nodes. Every node thus has probability 1 / (groups * kChainBound) per draw. Expected
  // draws: kChainBound / load factor (8 at full load, 80 just before the table shrinks). Groups
  // longer than kChainBound (P < 1e-6 per bucket at load 1 with a keyed hash) pick among all their
  // nodes, slightly favouring those.
  Node* UniformRandomNode() {
    constexpr size_t kChainBound = 8;
    if (size() == 0) return nullptr;
    // A cursor with the bits above the smaller table's mask clear makes Scan visit the whole
    // group: the small table's bucket and every bucket of the big table that expands it. (With
    // a high bit set it would visit only part of the expansions, and nodes still in the small
    // table would be picked about twice as often.)
    uint64_t mask = ht_[0].mask();
    if (IsRehashing() && ht_[1].mask() < mask) mask = ht_[1].mask();
    for (;;) {
      const uint64_t cursor = RandomU64() & mask;
      const size_t j = static_cast<size_t>(RandomU64() % kChainBound);
      size_t seen = 0;
      Node* pick = nullptr;
      Scan(cursor, [&](Node* n) {
        if (seen++ == j) pick = n;
      });
      if (seen > kChainBound) {
        const size_t k = static_cast<size_t>(RandomU64() % seen);
        seen = 0;
        Scan(cursor, [&](Node* n) {
          if (seen++ == k) pick = n;
        });
      }
      if (pick != nullptr) return pick;
    }
  }

  // Stores up to `count` nodes taken from consecutive buckets starting at a random one into
  // `out` and returns how many (at least one if the table is not empty). Not uniform and may
  // return fewer than `count`, but cheap: it does at most count*10 bucket visits. What
  // eviction samples with.
  size_t SampleNodes(Node** out, size_t count) {
    if (count > size()) count = size();
    if (count == 0) return 0;
    size_t max_steps = count * 10;
    for (size_t j = 0; j < count; ++j) {
      if (!IsRehashing()) break;
      RehashStepIfAllowed();
    }
    const int tables = IsRehashing() ? 2 : 1;
    uint64_t max_mask = ht_[0].mask();
    if (tables > 1 && ht_[1].mask() > max_mask) max_mask = ht_[1].mask();
    uint64_t i = RandomU64() & max_mask;
    size_t empty_run = 0;
    size_t stored = 0;
    while (stored < count && max_steps-- > 0) {
      for (int j = 0; j < tables; ++j) {
        // ht_[0] below rehash_index_ is already empty.
        if (tables == 2 && j == 0 && i < static_cast<uint64_t>(rehash_index_)) {
          if (i >= ht_[1].size)
            i = static_cast<uint64_t>(rehash_index_);
          else
            continue;
        }
        const Table& t = ht_[j];
        if (i >= t.size) continue;
        Node* n = Deref(t.buckets[i]);
        if (n == nullptr) {
          // A long run of empty buckets: jump somewhere else.
          if (++empty_run >= 5 && empty_run > count) {
            i = RandomU64() & max_mask;
            empty_run = 0;
          }
        } else {
          empty_run = 0;
          while (n != nullptr) {
            out[stored++] = n;
            if (stored == count) return stored;
            n = Next(n);
          }
        }
      }
      i = (i + 1) & max_mask;
    }
    // The walk is bounded, so it can miss every node while a rehash leaves one table nearly
    // empty; never come back empty-handed from a non-empty table.
    if (stored == 0) out[stored++] = RandomNode();
    return stored;
  }

  // ---- active defragmentation (db/defrag.cc) ----
  // As Scan, but `move(node)` may return a different address for the node: a moved copy with the
  // same key and chain pointer (the old block is gone). The table links the copy in place of the
  // old node. `move` must not modify the table otherwise.
  template <typename F>
  uint64_t ScanMoving(uint64_t cursor, F&& move) {
    if (size() == 0) return 0;
    ++pause_rehash_;
    uint64_t v = cursor;
    if (!IsRehashing()) {
      const uint64_t m0 = ht_[0].mask();
      MoveBucket(ht_[0], v & m0, move);
      v |= ~m0;
      v = NextCursor(v);
    } else {
      auto [small, big] = SmallAndBig();
      const uint64_t m0 = small->mask();
      const uint64_t m1 = big->mask();
      MoveBucket(*small, v & m0, move);
      do {
        MoveBucket(*big, v & m1, move);
        v |= ~m1;
        v = NextCursor(v);
      } while (v & (m0 ^ m1));
    }
    --pause_rehash_;
    return v;
  }
  // Moves the bucket arrays with mem::DefragMove where the allocator hints so. Returns the
  // number of arrays moved.
  int DefragTables() {
    int moved = 0;
    for (Table& t : ht_) {
      if (t.buckets == nullptr) continue;
      if (void* p = mem::DefragMove(t.buckets)) {
        t.buckets = static_cast<Link*>(p);
        ++moved;
      }
      if (t.marks == nullptr) continue;
      if (void* p = mem::DefragMove(t.marks)) {
        t.marks = static_cast<uint64_t*>(p);
        ++moved;
      }
    }
    return moved;
  }

  // Stops rehash steps on lookups (for callers that hold links across calls). Nests.
  void PauseRehash() { ++pause_rehash_; }
  void ResumeRehash() { --pause_rehash_; }

  // Exchanges the contents of two tables (SWAPDB).
  void Swap(Dict& other) noexcept {
    std::swap(ht_, other.ht_);
    std::swap(rehash_index_, other.rehash_index_);
    std::swap(pause_rehash_, other.pause_rehash_);
  }

 private:
  struct Table {
    Link* buckets = nullptr;
    uint64_t* marks = nullptr;  // kMarks: a bit per bucket, in scan order (MarkPos)
    size_t size = 0;            // number of buckets, a power of two (or 0)
    size_t used = 0;            // number of nodes
    size_t bytes = 0;           // usable sizes of `buckets` and `marks`
    uint64_t mask() const { return size == 0 ? 0 : size - 1; }
  };

  // While rehashing: the smaller table and the bigger one. A scan step visits a bucket of the
  // small table and every bucket of the big table that expands it.
  std::pair<Table*, Table*> SmallAndBig() {
    if (ht_[0].size > ht_[1].size) return {&ht_[1], &ht_[0]};
    return {&ht_[0], &ht_[1]};
  }

  // ---- marks ----
  // Bucket `idx`'s bit: its index with the bits reversed (within log2(size) bits), which is where
  // the scan cursor's counter stands when the scan visits it. So a scan reads the bits in order.
  static uint64_t MarkPos(const Table& t, uint64_t idx) {
    return Reverse(idx) >> (64 - std::countr_zero(t.size));
  }
  // The inverse of MarkPos (the reversal is its own inverse).
  static uint64_t BucketOfPos(const Table& t, uint64_t pos) { return MarkPos(t, pos); }
  // The marks are allocated when the table's first marked node arrives: a table that never holds
  // one pays nothing for them.
  static void SetMark(Table& t, uint64_t idx) {
    if (t.marks == nullptr) {
      const size_t words = (t.size + 63) / 64;
      t.marks = static_cast<uint64_t*>(mem::Alloc(words * sizeof(uint64_t)));
      t.bytes += mem::UsableSize(t.marks);
      for (size_t i = 0; i < words; ++i) t.marks[i] = 0;
    }
    const uint64_t p = MarkPos(t, idx);
    t.marks[p >> 6] |= uint64_t{1} << (p & 63);
  }
  // REQUIRES: t.marks (the bucket's mark was read set).
  static void ClearMark(Table& t, uint64_t idx) {
    const uint64_t p = MarkPos(t, idx);
    t.marks[p >> 6] &= ~(uint64_t{1} << (p & 63));
  }
  static bool HasMark(const Table& t, uint64_t idx) {
    if (t.marks == nullptr) return false;
    const uint64_t p = MarkPos(t, idx);
    return (t.marks[p >> 6] >> (p & 63)) & 1;
  }
  // The first set bit at or after `p` and before `limit`, or `limit`.
  static uint64_t NextMark(const Table& t, uint64_t p, uint64_t limit) {
    if (t.marks == nullptr) return limit;
    while (p < limit) {
      const uint64_t word = t.marks[p >> 6] >> (p & 63);
      if (word != 0) {
        p += static_cast<uint64_t>(std::countr_zero(word));
        return p < limit ? p : limit;
      }
      p = (p | 63) + 1;
    }
    return limit;
  }
  // Marks the bucket(s) where the node with `key` is: in both tables while rehashing (a mark on
  // a bucket without marked nodes costs only a visit, and the visit clears it).
  void MarkKey(std::string_view key) {
    const uint64_t h = Traits::Hash(key);
    for (Table& t : ht_) {
      if (t.size != 0) SetMark(t, h & t.mask());
    }
  }
  // Calls fn for the marked nodes of bucket `idx` (whose mark is set); clears its mark if it
  // holds none.
  template <typename F>
  static void EmitMarked(Table& t, uint64_t idx, F& fn) {
    bool any = false;
    for (Node* n = Deref(t.buckets[idx]); n != nullptr;) {
      Node* next = Next(n);
      if (Traits::Marked(n)) {
        any = true;
        fn(n);
      }
      n = next;
    }
    if (!any) ClearMark(t, idx);
  }

  static uint64_t Reverse(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
  }
  // Increments the reversed cursor: the next bucket in reverse-binary order.
  static uint64_t NextCursor(uint64_t v) { return Reverse(Reverse(v) + 1); }

  template <typename F>
  static void EmitBucket(const Table& t, uint64_t idx, F& fn) {
    for (Node* n = Deref(t.buckets[idx]); n != nullptr;) {
      Node* next = Next(n);
      fn(n);
      n = next;
    }
  }

  template <typename F>
  static void MoveBucket(Table& t, uint64_t idx, F& move) {
    void* at = &t.buckets[idx];
    for (Link l = LoadAt(at); l != Link{}; l = LoadAt(at)) {
      Node* n = Deref(l);
      Node* m = move(n);
      if (m != n) StoreAt(at, ToLink(m));
      at = NextField(m);
    }
  }

  static size_t NextPower(size_t n) {
    size_t s = kInitialSize;
    while (s < n) s <<= 1;
    return s;
  }

  void RehashStepIfAllowed() {
    if (pause_rehash_ == 0 && IsRehashing()) RehashSteps(1);
  }

  Pos FindLinkNoRehash(std::string_view key, uint64_t hash) {
    for (int j = 0; j < 2; ++j) {
      Table& t = ht_[j];
      if (t.size == 0) break;
      void* at = &t.buckets[hash & t.mask()];
      for (Link l = LoadAt(at); l != Link{}; l = LoadAt(at)) {
        Node* n = Deref(l);
        if (Traits::Key(n) == key) return Pos(at);
        at = NextField(n);
      }
      if (!IsRehashing()) break;
    }
    return Pos();
  }

  // ---- links: pointers, or handles (see "Handles" above) ----
  static Node* Deref(Link l) {
    if constexpr (kHandles) {
      return l == Link{} ? nullptr : Traits::Deref(l);
    } else {
      return l;
    }
  }
  static Link ToLink(Node* n) {
    if constexpr (kHandles) {
      return n == nullptr ? Link{} : Traits::LinkOf(n);
    } else {
      return n;
    }
  }
  // A link stored at `at` (a bucket or a chain field, of any alignment).
  static Link LoadAt(const void* at) {
    Link l;
    std::memcpy(&l, at, sizeof(l));
    return l;
  }
  static void StoreAt(void* at, Link l) { std::memcpy(at, &l, sizeof(l)); }
  // The address of a node's chain field, so that a Pos can point into a node.
  static void* NextField(Node* n) { return Traits::NextField(n); }
  static Node* Next(Node* n) { return Deref(LoadAt(NextField(n))); }

  // The table that holds `node`. While rehashing, a node is in ht_[0] only if its bucket there
  // has not moved yet and it is in that bucket's chain (inserts go to ht_[1]).
  Table& TableOf(Node* node) {
    if (!IsRehashing()) return ht_[0];
    const size_t idx = Traits::Hash(Traits::Key(node)) & ht_[0].mask();
    if (static_cast<int64_t>(idx) >= rehash_index_) {
      for (Node* n = Deref(ht_[0].buckets[idx]); n != nullptr; n = Next(n)) {
        if (n == node) return ht_[0];
      }
    }
    return ht_[1];
  }

  void ExpandIfNeeded() {
    if (IsRehashing()) return;
    if (ht_[0].size == 0) {
      Resize(kInitialSize);
      return;
    }
    if (ht_[0].used < ht_[0].size) return;
    const double load = static_cast<double>(ht_[0].used) / static_cast<double>(ht_[0].size);
    if (expand_guard_ != nullptr && load <= kMaxLoadFactor &&
        !expand_guard_(expand_guard_context_, NextPower(ht_[0].used + 1) * sizeof(Link), load)) {
      return;
    }
    Resize(ht_[0].used + 1);
  }

  // Allocates a table for `n` elements; moves into it at once if the current one is empty,
  // otherwise starts an incremental rehash.
  bool Resize(size_t n) {
    const size_t buckets = NextPower(n);
    if (buckets == ht_[0].size) return false;
    Table t;
    t.size = buckets;
    t.buckets = static_cast<Link*>(mem::Alloc(buckets * sizeof(Link)));
    t.bytes = mem::UsableSize(t.buckets);
    for (size_t i = 0; i < buckets; ++i) t.buckets[i] = Link{};
    if (ht_[0].size == 0 || ht_[0].used == 0) {
      FreeTable(ht_[0]);
      ht_[0] = t;
      return true;
    }
    ht_[1] = t;
    rehash_index_ = 0;
    return true;
  }

  static void FreeTable(Table& t) {
    mem::Free(t.buckets);
    mem::Free(t.marks);
    t = Table{};
  }

  void FreeTables() {
    FreeTable(ht_[0]);
    FreeTable(ht_[1]);
    rehash_index_ = -1;
  }

  void MoveFrom(Dict& other) {
    ht_[0] = other.ht_[0];
    ht_[1] = other.ht_[1];
    rehash_index_ = other.rehash_index_;
    pause_rehash_ = 0;
    other.ht_[0] = Table{};
    other.ht_[1] = Table{};
    other.rehash_index_ = -1;
  }

  Table ht_[2];
  int64_t rehash_index_ = -1;  // next bucket of ht_[0] to move; -1 when not rehashing
  int pause_rehash_ = 0;
  ExpandGuard expand_guard_ = nullptr;
  const void* expand_guard_context_ = nullptr;
};

}  // namespace mnemo::ds

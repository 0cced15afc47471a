// skiplist.h: the sorted set behind large zsets (encoding "skiplist"): a skiplist ordered by
// (score, member) plus a member->node hash index, one allocation per member (layer: ds).
//
// Redis keeps, per member of a skiplist-encoded zset, a zskiplistNode, a separate sds for the
// member, a 24-byte dictEntry (a 32-byte jemalloc block) and a bucket in the member->score dict.
// Here each member is ONE block that holds its skiplist links, its score, its member bytes and
// the chain pointer of the member index, which is an intrusive ds::Dict over the same nodes.
//
// Node layout (L = the node's level count, 1..32; a node pointer points at `forward`):
//
//   block start
//   16*(L-1)  links of levels L-1 .. 1, highest first, each {Node* forward; uint64 span}
//   node ->
//   +0   Node*   forward     level-0 link; its span is implied (1, or 0 at the tail), so level 0
//                            costs 8 bytes instead of Redis's 16
//   +8   Node*   backward    previous node, null for the first
//   +16  double  score
//   +24  Node*   dict_next   chain pointer of the member index
//   +32  uint32  member length
//   +36  uint8   L
//   +37  member bytes, no terminator
//
// Block size = 16*(L-1) + 37 + len = 16L + 21 + len bytes (never below 16L + 24: the fixed part
// is a 40-byte struct whose last 3 bytes are the first member bytes). The links sit before the
// node so that the member can follow the fixed part at an unaligned offset without padding.
//
// Bytes per member, 10-byte members: L=1: 47 -> jemalloc's 48-byte class; L=2: 63 -> 64;
// L=3: 79 -> 80. Each level adds 16 bytes, as the classes do up to 128, and with p = 1/4 a node
// has 1/3 of a link above level 0 on average: 48 + 16/3 = 53.3 bytes, plus the index's buckets
// (8 bytes each, 1 to 2 per member since the table doubles at load factor 1; ~11.5 on average):
// ~65 bytes (measured: 63.9 at n = 100000, skiplist_test). Redis 7 spends ~113 on the same
// member: zskiplistNode 24 + 16L (53.3 on average), sds 3 + 10 + 1 = 14 -> 16, dictEntry 24 ->
// 32, buckets ~11.5 (redis-server 7.0.15, used_memory growth for n = 100000: 112.5). Members of
// up to 11 bytes keep the 48-byte class at L=1; 12..27-byte members take the 64-byte class.
//
// Order: by score, then by the member bytes compared as unsigned (memcmp), a shorter member
// before a longer one it is a prefix of. -0.0 and 0.0 are equal scores. NaN never enters.
//
// Spans follow Redis: the span of a link is the number of nodes it skips plus one, i.e.
// rank(forward) - rank(node) with the head at rank 0; a null link's span is size() - rank(node).
//
// Ownership: a Skiplist owns its nodes and its head block; a node handle (const SkiplistNode*)
// stays valid until that member is deleted (UpdateScore keeps the same node) or the set is
// cleared or destroyed. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "mnemo/ds/dict.h"
#include "mnemo/ds/hash.h"

namespace mnemo::ds {

// 32: Redis ZSKIPLIST_MAXLEVEL; with p = 1/4, enough for 4^32 members.
inline constexpr int kSkiplistMaxLevel = 32;
// Member length is stored in 32 bits; proto-max-bulk-len (512 MB by default) is far lower.
inline constexpr size_t kSkiplistMaxMemberLength = UINT32_MAX;

// A score interval as ZRANGEBYSCORE, ZCOUNT and ZREMRANGEBYSCORE take it (Redis zrangespec).
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  // Returns true iff v is above min (v > min when exclusive, v >= min otherwise).
  bool GteMin(double v) const { return min_exclusive ? v > min : v >= min; }
  // Returns true iff v is below max (v < max when exclusive, v <= max otherwise).
  bool LteMax(double v) const { return max_exclusive ? v < max : v <= max; }
  bool Contains(double v) const { return GteMin(v) && LteMax(v); }
  // Returns true iff no score can be in the range (min > max, or min == max with an exclusive
  // bound).
  bool IsEmpty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a lexicographic interval: "-" (below every string), "+" (above every string), or a
// string, inclusive ("[abc") or exclusive ("(abc"). `value` borrows the argument's bytes: the
// argument must outlive the bound.
struct LexBound {
  enum class Kind : uint8_t { kMinusInfinity, kValue, kPlusInfinity };
  Kind kind = Kind::kValue;
  std::string_view value;
  bool exclusive = false;
};

// A lexicographic interval as ZRANGEBYLEX, ZLEXCOUNT and ZREMRANGEBYLEX take it (Redis
// zlexrangespec). Only meaningful on a set whose members all have the same score.
struct LexRange {
  LexBound min;
  LexBound max;

  bool GteMin(std::string_view member) const;
  bool LteMax(std::string_view member) const;
  bool Contains(std::string_view member) const { return GteMin(member) && LteMax(member); }
  // Returns true iff no string can be in the range.
  bool IsEmpty() const;
};

// Parses ZRANGEBYSCORE-style bounds: an optional '(' (exclusive) and then what strtod accepts
// whole ("1.5", "-inf", "+inf", "inf", "infinity", "1e400" = inf, "0x10", " 1"), but not NaN.
// Returns nullopt when either is invalid; the command then replies
// "ERR min or max is not a float". Accepts what Redis 7 zslParseRange accepts, quirks included:
// "" and "(" are 0, and bytes after an embedded NUL are ignored.
std::optional<ScoreRange> ParseScoreRange(std::string_view min, std::string_view max);

// Parses ZRANGEBYLEX-style bounds: "-", "+", "[member" or "(member". Returns nullopt when either
// is invalid; the command then replies "ERR min or max not valid string range item". The result
// borrows the arguments' bytes. Accepts what Redis 7 zslParseLexRange accepts ("+" or "-"
// followed by a NUL byte counts as "+" or "-", as Redis reads them as C strings).
std::optional<LexRange> ParseLexRange(std::string_view min, std::string_view max);

// One member of a Skiplist. Handles are read-only; changes go through the Skiplist.
class SkiplistNode {
 public:
  SkiplistNode(const SkiplistNode&) = delete;
  SkiplistNode& operator=(const SkiplistNode&) = delete;

  double score() const { return score_; }
  std::string_view member() const {
    return {reinterpret_cast<const char*>(this) + kMemberOffset, member_len_};
  }
  // The number of levels this node is linked on, 1..kSkiplistMaxLevel.
  int level() const { return level_; }

 private:
  friend class Skiplist;
  friend struct SkiplistDictTraits;

  // The link of one level above 0; stored before the node (see the layout above).
  struct Link {
    SkiplistNode* forward;
    uint64_t span;
  };
  // 37: offset of member_head_, i.e. right after level_.
  static constexpr size_t kMemberOffset = 37;

  SkiplistNode() = default;  // only placement-new on a block from Skiplist::NewNode

  // REQUIRES: 1 <= i < level().
  Link* UpperLink(int i) {
    return reinterpret_cast<Link*>(reinterpret_cast<char*>(this) -
                                   sizeof(Link) * static_cast<size_t>(i));
  }
  const Link* UpperLink(int i) const {
    return reinterpret_cast<const Link*>(reinterpret_cast<const char*>(this) -
                                         sizeof(Link) * static_cast<size_t>(i));
  }
  char* MemberData() { return reinterpret_cast<char*>(this) + kMemberOffset; }

  SkiplistNode* forward_;
  SkiplistNode* backward_;
  double score_;
  SkiplistNode* dict_next_;
  uint32_t member_len_;
  uint8_t level_;
  char member_head_[3];  // the first member bytes; the rest follow in the same block
};

// The member index: Dict traits over the nodes themselves.
struct SkiplistDictTraits {
  using Node = SkiplistNode;
  static Node** NextField(Node* n) { return &n->dict_next_; }
  static std::string_view Key(const Node* n) { return n->member(); }
  static uint64_t Hash(std::string_view key) { return HashBytes(key); }
};

// One level link as seen from outside (for tests and introspection).
struct SkiplistLink {
  const SkiplistNode* forward;
  size_t span;
};

// A sorted set: members with scores, unique members, ordered by (score, member). Lookups by
// member are O(1) through the index; by rank, score or lex position O(log n) expected.
class Skiplist {
 public:
  using Node = SkiplistNode;
  using Index = Dict<SkiplistDictTraits>;
  // Called for each member a DeleteRangeBy* removes, before its node is freed. It must not
  // touch the Skiplist.
  using RemovedFn = std::function<void(std::string_view member, double score)>;

  // An empty set allocates nothing; the first Insert allocates the head.
  Skiplist() = default;
  ~Skiplist() { Clear(); }
  Skiplist(const Skiplist&) = delete;
  Skiplist& operator=(const Skiplist&) = delete;
  // Moves leave `other` empty.
  Skiplist(Skiplist&& other) noexcept;
  Skiplist& operator=(Skiplist&& other) noexcept;

  size_t size() const { return length_; }
  bool empty() const { return length_ == 0; }

  // Adds member with score and returns its node. O(log n).
  // REQUIRES: member is absent; !isnan(score); member.size() <= kSkiplistMaxMemberLength.
  const Node* Insert(std::string_view member, double score);
  // Returns member's node, or null. O(1).
  const Node* Find(std::string_view member);
  // Removes member. Returns true iff it was present. O(log n).
  bool Delete(std::string_view member);
  // Sets the node's score. O(1) when the node keeps its position (the new score still sorts
  // between its neighbours), O(log n) otherwise; the node (and its address) is kept either way.
  // REQUIRES: node belongs to this set; !isnan(score).
  void UpdateScore(const Node* node, double score);
  // As above for member; returns its node, or null (and changes nothing) if it is absent.
  const Node* UpdateScore(std::string_view member, double score);

  // 0-based rank of member in ascending order (descending when reverse), or nullopt if absent.
  std::optional<size_t> Rank(std::string_view member, bool reverse = false);
  // 0-based rank of a node. REQUIRES: node belongs to this set.
  size_t RankOf(const Node* node, bool reverse = false) const;
  // The node at 0-based rank (counted from the end when reverse), or null if rank >= size().
  const Node* NodeByRank(size_t rank, bool reverse = false) const;

  // Lowest and highest node; null when empty.
  const Node* First() const { return head_ == nullptr ? nullptr : head_->forward_; }
  const Node* Last() const { return tail_; }
  // Neighbours in order; null past either end.
  static const Node* Next(const Node* node) { return node->forward_; }
  static const Node* Prev(const Node* node) { return node->backward_; }

  // Lowest and highest node whose score is in range; null if none.
  const Node* FirstInRange(const ScoreRange& range) const;
  const Node* LastInRange(const ScoreRange& range) const;
  // Number of members whose score is in range. O(log n).
  size_t CountInRange(const ScoreRange& range) const;
  // Lowest and highest node whose member is in range, and the count. REQUIRES for a meaningful
  // answer: all scores equal (as Redis; otherwise the walk assumes an order that does not hold).
  const Node* FirstInLexRange(const LexRange& range) const;
  const Node* LastInLexRange(const LexRange& range) const;
  size_t CountInLexRange(const LexRange& range) const;

  // Remove every member in the range (ZREMRANGEBYSCORE, ZREMRANGEBYLEX) or with 0-based rank in
  // [start, end] (ZREMRANGEBYRANK; end is clamped to size() - 1, nothing happens if start > end
  // or start >= size()). Call on_removed, if set, for each removed member in ascending order.
  // Return how many were removed. O(log n + removed).
  size_t DeleteRangeByScore(const ScoreRange& range, const RemovedFn& on_removed = nullptr);
  size_t DeleteRangeByLex(const LexRange& range, const RemovedFn& on_removed = nullptr);
  size_t DeleteRangeByRank(size_t start, size_t end, const RemovedFn& on_removed = nullptr);

  // Bytes this set holds: usable sizes of its nodes and head block, plus the index's buckets.
  // Excludes sizeof(Skiplist) itself, which belongs to whoever holds it. O(1), exact.
  size_t MemoryUsage() const { return block_bytes_ + index_.BucketBytes(); }

  // Active defragmentation: moves the head, each node and the index's bucket arrays where
  // mem::DefragMove hints to, relinking predecessors, the successor's backward pointer, the tail
  // and the index chain. Contents, order, spans and used_memory are unchanged. O(n). Returns the
  // number of blocks moved. Node handles taken before are invalid afterwards.
  size_t Defrag();
  // The same in steps: visits up to `max_nodes` (>= 1) nodes from rank *pos + 1 (*pos 0: the
  // start, which also moves the head and the index's arrays), and leaves in *pos the number of
  // nodes visited so far, or 0 when the last was visited. O(log n + max_nodes).
  size_t Defrag(size_t* pos, size_t max_nodes);

  // A deep copy in which every node keeps its level (COPY). O(n), no searching.
  Skiplist Copy() const;
  // Frees every node and the head; the set is then empty and allocates nothing. O(n).
  void Clear();

  // Gives the index up to `micros` of incremental rehashing (from a timer). Returns the number of
  // buckets moved.
  size_t RehashForMicros(int64_t micros) { return index_.RehashForMicros(micros); }

  // Pre-sizes the member index for n members, so that filling a new set does not rehash
  // (Redis's dictExpand when a listpack zset converts). Returns true iff the table was resized.
  bool Reserve(size_t n) { return index_.Reserve(n); }

  // A random member, close to uniformly chosen (the index's FairRandomNode; Redis
  // dictGetFairRandomKey, what ZRANDMEMBER uses). Null when empty.
  const Node* RandomNode() { return index_.FairRandomNode(); }

  // One step of a scan over the members in index order (ZSCAN): calls fn(const Node*) for the
  // members of one bucket and returns the next cursor, 0 at the end, with Dict::Scan's
  // guarantees. fn must not modify the set.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    return index_.Scan(cursor, [&fn](Node* n) { fn(static_cast<const Node*>(n)); });
  }

  // Introspection, for tests and debugging.
  const Index& index() const { return index_; }
  // Number of levels in use: 1 + the highest level any node is linked on (1 when empty).
  int level() const { return level_; }
  // The head's link on `level`. REQUIRES: level < this->level().
  SkiplistLink HeadLink(int level) const;
  // A node's link on `level`. REQUIRES: level < node->level().
  static SkiplistLink NodeLink(const Node* node, int level);

 private:
  struct Found {
    Node* node;
    size_t rank;  // 1-based; 0 with a null node
  };

  static Node* Forward(const Node* x, int i) {
    return i == 0 ? x->forward_ : x->UpperLink(i)->forward;
  }
  static void SetForward(Node* x, int i, Node* f) {
    if (i == 0) {
      x->forward_ = f;
    } else {
      x->UpperLink(i)->forward = f;
    }
  }
  static uint64_t Span(const Node* x, int i) {
    if (i == 0) return x->forward_ != nullptr ? 1 : 0;
    return x->UpperLink(i)->span;
  }
  // Level 0 spans are implied; setting one is a no-op.
  static void SetSpan(Node* x, int i, uint64_t span) {
    if (i != 0) x->UpperLink(i)->span = span;
  }

  Node* NewNode(int level, double score, std::string_view member);
  void FreeNode(Node* x);
  // Makes sure the head exists and has at least `level` levels.
  void EnsureHeadLevels(int level);
  // Links an unlinked node (level, score, member set) at its position. Does not touch the index.
  void LinkNode(Node* x);
  // Finds x's predecessors and unlinks it. Does not touch the index.
  void UnlinkNode(Node* x);
  // Unlinks x given its predecessor on every level in use (Redis zslDeleteNode).
  void UnlinkWithPredecessors(Node* x, Node** update);
  // Unlinks x (given its predecessors), removes it from the index, reports it and frees it.
  void RemoveNode(Node* x, Node** update, const RemovedFn& on_removed);

  // First node (and rank) for which at_or_after(node) holds; at_or_after must be false then
  // true along the order.
  template <typename Pred>
  Found SeekFirst(Pred at_or_after) const;
  // Last node (and rank) for which not_after(node) holds; not_after must be true then false.
  template <typename Pred>
  Found SeekLast(Pred not_after) const;
  // Removes the run of nodes that starts at the first with at_or_after(node) and continues while
  // in_range(node).
  template <typename AtOrAfter, typename InRange>
  size_t DeleteRun(AtOrAfter at_or_after, InRange in_range, const RemovedFn& on_removed);

  bool ScoreRangeMayOverlap(const ScoreRange& range) const;
  bool LexRangeMayOverlap(const LexRange& range) const;

  Index index_;
  Node* head_ = nullptr;  // level() links, no member; null until the first Insert
  Node* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
  size_t block_bytes_ = 0;  // usable sizes of the node blocks and the head block
};

}  // namespace mnemo::ds

// quicklist.h: a doubly linked list of listpack nodes with LZF-compressed interior nodes, Redis 7's
// quicklist: the encoding of lists too big for a single listpack (layer: ds).
//
// Each node holds a listpack of several elements ("packed"), or one element on its own ("plain")
// when it is at least the packed threshold (1 GiB by default, as in Redis): a listpack would have
// to copy such an element on every change, and its 32-bit header could not describe it.
//
// How full a node gets is `fill` (list-max-listpack-size):
//   -1..-5: a size limit of 4, 8, 16, 32 or 64 KiB per node's listpack (values below -5 act as
//           -5; -2, 8 KiB, is the default);
//   N > 0:  at most N elements per node, and never more than 8 KiB (Redis SIZE_SAFETY_LIMIT) so
//           that one node cannot become a huge listpack that every change copies; 0 acts as 1.
// A node's size is checked exactly: an element goes into a node iff the node's listpack would stay
// within the limit (Redis estimates with an 8-byte overhead; exact sizes fill nodes a little
// better). A single element bigger than the limit gets a node of its own.
//
// `compress_depth` (list-compress-depth) is how many nodes at each end stay uncompressed (0: none
// are compressed). Every other node is kept LZF-compressed when that pays: its raw bytes are at
// least 48 (Redis MIN_COMPRESS_BYTES) and compression saves more than 8 bytes (Redis
// MIN_COMPRESS_IMPROVE: `compressed + 8 < raw`). A compressed node is decompressed when an
// operation or an iterator reaches it and compressed again when it is done. A node that did not
// compress is not tried again until its content changes (Redis tries it again each time a node
// is added or removed near that end).
// Each operation fixes the compression of the nodes it touched and walks `compress_depth` nodes
// from each end, so its compression work is bounded by O(depth) nodes.
//
// Memory (64-bit):
//   - the list header (this class) is 32 bytes: head, tail, element count, node count, fill and
//     depth. Redis's quicklist struct is 40 (a 48-byte jemalloc block).
//   - each node is 32 bytes (kNodeBytes, the 32-byte class): prev, next, entry, and one 64-bit
//     word holding the raw size (40 bits), the element count (16 bits) and the flags. Redis's
//     quicklistNode is 40 bytes, a 48-byte block, since its `sz` became a size_t (its comment
//     still says 32).
//   - a compressed node's entry is <compressed size: uint32> <LZF bytes> (Redis: size_t).
// AllocatedBytes() sums the usable sizes of the nodes and their blobs; the header itself is
// allocated by the owner (sizeof(Quicklist)).
//
// Not thread-safe. Ownership: the list owns its nodes and their blobs; elements are copied in.
// Iterators: any change to the list made other than through the iterator itself invalidates it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/base/status.h"
#include "mnemo/ds/listpack.h"

namespace mnemo::ds {

class Quicklist {
 public:
  struct Node;  // defined in quicklist.cc
  class Iterator;

  enum class Where : uint8_t { kHead, kTail };
  enum class Direction : uint8_t { kHeadToTail, kTailToHead };

  // Redis's defaults: list-max-listpack-size -2, list-compress-depth 0.
  static constexpr int kDefaultFill = -2;
  // Bounds of `fill` (Redis quicklistSetFill); values outside are clamped.
  static constexpr int kMinFill = -5;
  static constexpr int kMaxFill = 32767;  // keeps a node's count within its 16-bit field
  // Largest compress depth (Redis COMPRESS_MAX, 16 bits); larger values are clamped.
  static constexpr int kMaxCompressDepth = 65535;
  // Elements at least this big get a plain node (Redis packed_threshold, 1 GiB).
  static constexpr size_t kDefaultPackedThreshold = size_t{1} << 30;
  // A plain node's size field is 40 bits.
  static constexpr size_t kMaxPlainBytes = (size_t{1} << 40) - 1;
  // sizeof(Node): checked in quicklist.cc.
  static constexpr size_t kNodeBytes = 32;

  // An empty list. `fill` and `compress_depth` are clamped to their bounds.
  explicit Quicklist(int fill = kDefaultFill, int compress_depth = 0);
  ~Quicklist();
  Quicklist(const Quicklist&) = delete;
  Quicklist& operator=(const Quicklist&) = delete;
  // Moving leaves `other` empty (with its options kept).
  Quicklist(Quicklist&& other) noexcept;
  Quicklist& operator=(Quicklist&& other) noexcept;

  // A deep copy with the same options (COPY). Compressed nodes are copied compressed.
  Quicklist Duplicate() const;

  // Changes the options. Nodes are not rewritten now: later operations apply the new fill to the
  // nodes they grow and the new depth to the nodes they touch.
  void SetOptions(int fill, int compress_depth);
  int fill() const { return fill_; }
  int compress_depth() const { return compress_; }

  // The process-wide packed threshold (Redis's is process-wide too: DEBUG
  // QUICKLIST-PACKED-THRESHOLD). 0 restores the default. Returns false, changing nothing, for a
  // value above kMaxPlainBytes.
  static bool SetPackedThreshold(size_t bytes);
  static size_t packed_threshold() { return packed_threshold_; }

  // Number of elements / of nodes.
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return len_; }

  // Adds a copy of `value` at the head or the tail.
  void Push(Where where, std::string_view value);
  void PushHead(std::string_view value) { Push(Where::kHead, value); }
  void PushTail(std::string_view value) { Push(Where::kTail, value); }
  // Removes the head or tail element and returns it; nullopt when the list is empty.
  std::optional<std::string> Pop(Where where);

  // Replaces the element at `index` (negative counts from the tail). Returns false iff `index` is
  // out of range.
  bool ReplaceAtIndex(int64_t index, std::string_view value);
  // Deletes up to `count` elements starting at `start` (negative counts from the tail); stops at
  // the tail. Returns how many were deleted (0 when start is out of range). Whole nodes in the
  // range are freed without being read.
  size_t DeleteRange(int64_t start, size_t count);

  // An iterator over the whole list in `direction`.
  Iterator Iterate(Direction direction);
  // An iterator whose first element is the one at `index` (negative counts from the tail),
  // continuing in `direction`; it yields nothing when index is out of range. Finding the index
  // walks nodes from the nearer end.
  Iterator IterateFrom(int64_t index, Direction direction);

  // Sum of the usable sizes of the first `max_nodes` nodes (all of them by default) and their
  // blobs (MEMORY USAGE adds the header).
  size_t AllocatedBytes(size_t max_nodes = SIZE_MAX) const;
  // AllocatedBytes() estimated from `samples` nodes (MEMORY USAGE SAMPLES n): the
  // compress_depth nodes at each end, kept uncompressed, are counted exactly; the interior,
  // compressed when compression is on, is estimated from the `samples` nodes that follow the
  // head's uncompressed ones, scaled to the interior's node count. (Redis averages the first
  // nodes, which with compression includes the raw head node and overestimates a big list by
  // half.) Exact when samples is 0 or the list has at most 2 * depth + samples nodes.
  // O(depth + samples).
  size_t EstimateAllocatedBytes(size_t samples) const;

  // ---- snapshots (RDB save and load, layer persist) ----

  // One node as stored: what an RDB file carries for it (Redis writes a compressed node's LZF
  // bytes as they are, without decompressing them).
  struct NodeView {
    bool plain;           // one element's bytes, not a listpack
    bool compressed;      // `data` is LZF that decompresses to `raw_size` bytes
    const uint8_t* data;  // the node's bytes (listpack, plain element, or LZF)
    size_t size;          // bytes at `data`
    size_t raw_size;      // bytes once decompressed (== size when not compressed)
  };
  // Calls fn for every node, head to tail. Nothing is decompressed. fn must not change the list.
  void ForEachNode(FunctionRef<void(const NodeView&)> fn) const;
  // Appends a node holding the listpack `lp` at the tail, taking ownership, and returns true; or
  // returns false (and leaves `lp` to the caller) when the node would be empty, hold more
  // elements than a node can count, or break the fill limit. REQUIRES: `lp` passed
  // LpValidate(deep) and comes from mem:: (LpNew, or a blob read into mem::Alloc).
  bool AppendListpack(uint8_t* lp);

  // What one node holds, for tests and DEBUG.
  struct NodeInfo {
    size_t count;         // elements
    size_t raw_bytes;     // listpack (or plain element) size, uncompressed
    size_t stored_bytes;  // bytes of the blob as stored (compressed size + 4 when compressed)
    bool compressed;
    bool plain;
  };
  std::vector<NodeInfo> DescribeNodes() const;

  // Checks every invariant (links, counts, each listpack deep-validated and its size and count
  // matching the node, fill limits, a compressed blob decompressing to its node's bytes) and,
  // when `check_compression`, that the compress_depth nodes at each end are raw and every other
  // node is compressed unless too small or incompressible (this holds once every node has been
  // written under the current options). Returns the first violation found. O(size); for tests.
  Status CheckConsistency(bool check_compression = true) const;

  // Active defragmentation: moves each node and its entry that mem::DefragMove hints to move,
  // relinking the neighbours. Contents and used_memory are unchanged. Returns the number of
  // blocks moved. REQUIRES: no Iterator is open on this list.
  size_t Defrag();
  // The same in steps: visits up to `max_nodes` (>= 1) nodes from node number *pos (0: the
  // head), and leaves in *pos the number of the next node, or 0 when the tail was visited.
  // Finding the start walks from the nearer end (O(nodes), pointer chasing only).
  // REQUIRES: no Iterator is open on this list.
  size_t Defrag(size_t* pos, size_t max_nodes);

 private:
  friend class Iterator;

  // Whether a packed node of `bytes` bytes and `count` elements is within the fill limits.
  bool FitsFill(size_t bytes, size_t count) const;
  // Whether `add` more bytes (one element) may go into `node`.
  bool AllowInsert(const Node* node, size_t add) const;
  static bool IsLarge(size_t bytes) { return bytes >= packed_threshold_; }

  Node* NewPackedNode(std::string_view value);
  Node* NewPlainNode(std::string_view value);
  // Links `node` after or before `old` (or as the only node when the list is empty).
  void LinkNode(Node* old, Node* node, bool after);
  // Unlinks and frees `node`, then fixes compression at the ends.
  void RemoveNode(Node* node);
  // Decompresses `node` for an operation; returns true iff it was compressed.
  static bool UseNode(Node* node);
  // Brings compression in line with the depth: walks `compress_` nodes from each end
  // decompressing them, compresses the first node beyond each walk, and compresses `node` (which
  // may be null) unless it is within the depth.
  void Compress(Node* node);
  static void TryCompressNode(Node* node);
  static void DecompressNode(Node* node);
  // Finds the node holding element `index` (0 <= index < count_), walking from the nearer end;
  // returns it and the element's offset in it.
  Node* Locate(size_t index, size_t* offset) const;

  // Inserts `value` before or after the element at `offset` of `node`. REQUIRES: node is raw
  // (UseNode). Leaves compression settled for every node it touched, including `node`.
  void InsertAt(Node* node, size_t offset, bool after, std::string_view value);
  // Splits `node` at `offset`: after=true keeps [0, offset] in node and returns a new node
  // holding the rest; after=false keeps [offset, count) and returns one holding [0, offset).
  // The new node is not linked.
  Node* SplitNode(Node* node, size_t offset, bool after);
  // Merges `b` (the node after `a`) into `a`; returns a.
  Node* MergeNodes(Node* a, Node* b);
  // Tries to merge the neighbours of `center` pairwise, then center with them (Redis
  // _quicklistMergeNodes), within the fill limits.
  void MergeAround(Node* center);
  // Deletes the element at `p` (null for a plain node) of raw `node`; returns true iff the node
  // became empty and was freed.
  bool DeleteElement(Node* node, uint8_t* p);

  static size_t packed_threshold_;

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  uint64_t count_ = 0;  // elements
  uint32_t len_ = 0;    // nodes
  int16_t fill_;        // kMinFill..kMaxFill
  uint16_t compress_;   // 0..kMaxCompressDepth
};

// Walks the elements in one direction. Obtained from Quicklist::Iterate / IterateFrom. Holds the
// node it is on decompressed, and compresses it again when it moves on or is destroyed.
class Quicklist::Iterator {
 public:
  Iterator(Iterator&& other) noexcept;
  Iterator& operator=(Iterator&&) = delete;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  ~Iterator();

  // Moves to the next element and returns true, or returns false at the end. The first call
  // moves to the first element.
  bool Next();

  // The current element; a string points into the node and is valid until the iterator moves or
  // the list changes. REQUIRES: the last Next() returned true (and no edit since).
  LpEntry value() const;
  // Returns true iff the current element equals `s` (an integer element equals the string that
  // prints it). REQUIRES: as value().
  bool Equals(std::string_view s) const;

  // Deletes the current element; the next Next() returns the element after it in the iteration
  // direction. REQUIRES: as value().
  void DeleteCurrent();
  // Inserts `value` before / after the current element (LINSERT). This ends the iteration: Next()
  // returns false afterwards. REQUIRES: as value().
  void InsertBefore(std::string_view value);
  void InsertAfter(std::string_view value);

 private:
  friend class Quicklist;
  Iterator(Quicklist* list, Node* node, int64_t offset, Direction direction);

  // Compresses the current node again if this iterator decompressed or changed it.
  void ReleaseNode();
  void Insert(std::string_view value, bool after);

  Quicklist* list_;
  Node* node_;            // node of the current / next element; null at the end
  uint8_t* p_ = nullptr;  // the current element in node_'s listpack (node_->entry for plain);
                          // null when the next Next() must seek to offset_
  int64_t offset_;        // current element's offset in node_: >= 0 from the head when iterating
                          // towards the tail, < 0 from the tail when iterating towards the head
  Direction direction_;
  bool decompressed_ = false;  // this iterator decompressed node_
  bool modified_ = false;      // this iterator changed node_
};

}  // namespace mnemo::ds

// quicklist.cc: doubly linked list of listpack nodes with LZF-compressed interior nodes
// (layer: ds). Rules for fill, compression and memory are in quicklist.h.
#include "mnemo/ds/quicklist.h"

#include <lzf.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

#include "mnemo/base/assert.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

// 32 bytes: three pointers and one 64-bit word of fields (see quicklist.h).
struct Quicklist::Node {
  Node* prev;
  Node* next;
  // Packed and raw: a listpack. Plain and raw: the element's bytes. Compressed: an LZF blob,
  // <compressed size: uint32 LE> <bytes>.
  uint8_t* entry;
  uint64_t sz : 40;              // raw bytes: listpack total bytes, or the plain element's length
  uint64_t count : 16;           // elements (1 for plain)
  uint64_t compressed : 1;       // entry is an LZF blob
  uint64_t plain : 1;            // entry is one element's bytes, not a listpack
  uint64_t compress_failed : 1;  // compression was tried on this content and did not pay
  uint64_t unused : 5;
};
static_assert(sizeof(Quicklist::Node) == Quicklist::kNodeBytes);
static_assert(sizeof(Quicklist) == 32, "head, tail, count, len, fill, compress");

namespace {

using Node = Quicklist::Node;

// Node size limits for fill -1..-5 (Redis optimization_level). 64 KiB at most, so even 2-byte
// entries keep a node's count within 16 bits.
constexpr size_t kFillSizeLimits[] = {4096, 8192, 16384, 32768, 65536};
// Size cap of a node under a positive (count) fill (Redis SIZE_SAFETY_LIMIT).
constexpr size_t kSizeSafetyLimit = 8192;
// Nodes smaller than this are not worth compressing (Redis MIN_COMPRESS_BYTES).
constexpr size_t kMinCompressBytes = 48;
// Compression is kept only if it saves more than this (Redis MIN_COMPRESS_IMPROVE).
constexpr size_t kMinCompressImprove = 8;
// Bytes of the compressed-size prefix of an LZF blob.
constexpr size_t kLzfHeaderBytes = 4;

uint32_t LzfSize(const uint8_t* blob) {
  return uint32_t{blob[0]} | uint32_t{blob[1]} << 8 | uint32_t{blob[2]} << 16 |
         uint32_t{blob[3]} << 24;
}
void SetLzfSize(uint8_t* blob, uint32_t n) {
  for (int i = 0; i < 4; ++i) blob[i] = static_cast<uint8_t>(n >> (8 * i));
}

// Bytes of the blob as stored.
size_t StoredBytes(const Node* n) {
  return n->compressed ? kLzfHeaderBytes + LzfSize(n->entry) : static_cast<size_t>(n->sz);
}

Node* AllocNode() {
  auto* n = static_cast<Node*>(mem::Alloc(sizeof(Node)));
  n->prev = n->next = nullptr;
  n->entry = nullptr;
  n->sz = 0;
  n->count = 0;
  n->compressed = 0;
  n->plain = 0;
  n->compress_failed = 0;
  n->unused = 0;
  return n;
}

void FreeNode(Node* n) {
  mem::Free(n->entry);
  mem::Free(n);
}

// After a change to a raw packed node's listpack: its size is new and compression may pay again.
void NodeUpdated(Node* n) {
  n->sz = LpBytes(n->entry);
  n->compress_failed = 0;
}

int ClampFill(int fill) { return std::clamp(fill, Quicklist::kMinFill, Quicklist::kMaxFill); }
int ClampDepth(int depth) { return std::clamp(depth, 0, Quicklist::kMaxCompressDepth); }

}  // namespace

size_t Quicklist::packed_threshold_ = Quicklist::kDefaultPackedThreshold;

// ---- life cycle and options ----

Quicklist::Quicklist(int fill, int compress_depth)
    : fill_(static_cast<int16_t>(ClampFill(fill))),
      compress_(static_cast<uint16_t>(ClampDepth(compress_depth))) {}

Quicklist::~Quicklist() {
  for (Node* n = head_; n != nullptr;) {
    Node* next = n->next;
    FreeNode(n);
    n = next;
  }
}

Quicklist::Quicklist(Quicklist&& other) noexcept
    : head_(other.head_),
      tail_(other.tail_),
      count_(other.count_),
      len_(other.len_),
      fill_(other.fill_),
      compress_(other.compress_) {
  other.head_ = other.tail_ = nullptr;
  other.count_ = 0;
  other.len_ = 0;
}

Quicklist& Quicklist::operator=(Quicklist&& other) noexcept {
  if (this != &other) {
    Quicklist old(std::move(*this));  // takes our nodes and frees them at the end of this scope
    head_ = other.head_;
    tail_ = other.tail_;
    count_ = other.count_;
    len_ = other.len_;
    fill_ = other.fill_;
    compress_ = other.compress_;
    other.head_ = other.tail_ = nullptr;
    other.count_ = 0;
    other.len_ = 0;
  }
  return *this;
}

Quicklist Quicklist::Duplicate() const {
  Quicklist copy(fill_, compress_);
  for (const Node* n = head_; n != nullptr; n = n->next) {
    Node* c = AllocNode();
    const size_t bytes = StoredBytes(n);
    c->entry = static_cast<uint8_t*>(mem::Alloc(bytes));
    std::memcpy(c->entry, n->entry, bytes);
    c->sz = n->sz;
    c->count = n->count;
    c->compressed = n->compressed;
    c->plain = n->plain;
    c->compress_failed = n->compress_failed;
    c->prev = copy.tail_;
    if (copy.tail_ != nullptr) {
      copy.tail_->next = c;
    } else {
      copy.head_ = c;
    }
    copy.tail_ = c;
  }
  copy.count_ = count_;
  copy.len_ = len_;
  return copy;
}

size_t Quicklist::Defrag() {
  size_t pos = 0;
  return Defrag(&pos, SIZE_MAX);
}

size_t Quicklist::Defrag(size_t* pos, size_t max_nodes) {
  // Find node number *pos from the nearer end: a position, not a pointer, is what survives
  // the edits made between two steps (an edit shifts it, so a node may be visited twice or
  // skipped once, which costs a move or misses one and is never unsafe).
  Node* n = nullptr;
  if (*pos < len_) {
    if (*pos <= len_ / 2) {
      n = head_;
      for (size_t i = 0; i < *pos; ++i) n = n->next;
    } else {
      n = tail_;
      for (size_t i = len_ - 1; i > *pos; --i) n = n->prev;
    }
  }
  size_t moved = 0;
  size_t visited = 0;
  for (; n != nullptr; n = n->next) {
    if (visited != 0 && visited >= max_nodes) return moved;  // *pos: the next node
    if (void* e = mem::DefragMove(n->entry)) {
      n->entry = static_cast<uint8_t*>(e);
      ++moved;
    }
    if (void* p = mem::DefragMove(n)) {
      n = static_cast<Node*>(p);
      ++moved;
      if (n->prev != nullptr) {
        n->prev->next = n;
      } else {
        head_ = n;
      }
      if (n->next != nullptr) {
        n->next->prev = n;
      } else {
        tail_ = n;
      }
    }
    ++visited;
    ++*pos;
  }
  *pos = 0;
  return moved;
}

void Quicklist::SetOptions(int fill, int compress_depth) {
  fill_ = static_cast<int16_t>(ClampFill(fill));
  compress_ = static_cast<uint16_t>(ClampDepth(compress_depth));
}

bool Quicklist::SetPackedThreshold(size_t bytes) {
  if (bytes > kMaxPlainBytes) return false;
  packed_threshold_ = bytes == 0 ? kDefaultPackedThreshold : bytes;
  return true;
}

// ---- fill ----

bool Quicklist::FitsFill(size_t bytes, size_t count) const {
  if (fill_ < 0) {
    const size_t level = std::min<size_t>(static_cast<size_t>(-fill_), std::size(kFillSizeLimits));
    return bytes <= kFillSizeLimits[level - 1];
  }
  return bytes <= kSizeSafetyLimit && count <= static_cast<size_t>(std::max<int>(fill_, 1));
}

bool Quicklist::AllowInsert(const Node* node, size_t add) const {
  return node != nullptr && !node->plain && FitsFill(node->sz + add, node->count + 1);
}

// ---- nodes ----

Quicklist::Node* Quicklist::NewPackedNode(std::string_view value) {
  Node* n = AllocNode();
  n->entry = LpAppend(LpNew(), value);
  n->count = 1;
  NodeUpdated(n);
  return n;
}

Quicklist::Node* Quicklist::NewPlainNode(std::string_view value) {
  MNEMO_ASSERT(!value.empty() && value.size() <= kMaxPlainBytes);
  Node* n = AllocNode();
  n->entry = static_cast<uint8_t*>(mem::Alloc(value.size()));
  std::memcpy(n->entry, value.data(), value.size());
  n->sz = value.size();
  n->count = 1;
  n->plain = 1;
  return n;
}

void Quicklist::LinkNode(Node* old, Node* node, bool after) {
  if (old == nullptr) {
    MNEMO_ASSERT(len_ == 0);
    head_ = tail_ = node;
  } else if (after) {
    node->prev = old;
    node->next = old->next;
    if (old->next != nullptr) old->next->prev = node;
    old->next = node;
    if (tail_ == old) tail_ = node;
  } else {
    node->next = old;
    node->prev = old->prev;
    if (old->prev != nullptr) old->prev->next = node;
    old->prev = node;
    if (head_ == old) head_ = node;
  }
  ++len_;
  Compress(node);
}

void Quicklist::RemoveNode(Node* node) {
  if (node->prev != nullptr) node->prev->next = node->next;
  if (node->next != nullptr) node->next->prev = node->prev;
  if (head_ == node) head_ = node->next;
  if (tail_ == node) tail_ = node->prev;
  --len_;
  count_ -= node->count;
  FreeNode(node);
  Compress(nullptr);
}

// ---- compression ----

void Quicklist::TryCompressNode(Node* node) {
  if (node->compressed || node->compress_failed || node->sz < kMinCompressBytes ||
      node->sz > UINT32_MAX) {
    return;
  }
  const size_t raw = node->sz;
  // lzf_compress gives up (returns 0) when the output would not fit `room`, so a result is
  // exactly a compression that saves more than kMinCompressImprove bytes.
  const size_t room = raw - kMinCompressImprove - 1;
  auto* blob = static_cast<uint8_t*>(mem::Alloc(kLzfHeaderBytes + room));
  const unsigned n = lzf_compress(node->entry, static_cast<unsigned>(raw), blob + kLzfHeaderBytes,
                                  static_cast<unsigned>(room));
  if (n == 0) {
    mem::Free(blob);
    node->compress_failed = 1;
    return;
  }
  if (mem::SizeClass(kLzfHeaderBytes + n) < mem::UsableSize(blob)) {
    blob = static_cast<uint8_t*>(mem::Realloc(blob, kLzfHeaderBytes + n));
  }
  SetLzfSize(blob, n);
  mem::Free(node->entry);
  node->entry = blob;
  node->compressed = 1;
}

void Quicklist::DecompressNode(Node* node) {
  if (!node->compressed) return;
  auto* raw = static_cast<uint8_t*>(mem::Alloc(node->sz));
  const unsigned n = lzf_decompress(node->entry + kLzfHeaderBytes, LzfSize(node->entry), raw,
                                    static_cast<unsigned>(node->sz));
  MNEMO_ASSERT(n == node->sz);  // our own blob: anything else is memory corruption
  mem::Free(node->entry);
  node->entry = raw;
  node->compressed = 0;
}

bool Quicklist::UseNode(Node* node) {
  if (!node->compressed) return false;
  DecompressNode(node);
  return true;
}

void Quicklist::Compress(Node* node) {
  if (compress_ == 0 || len_ == 0) return;
  Node* forward = head_;
  Node* reverse = tail_;
  bool in_depth = false;
  for (int depth = 0; depth < compress_; ++depth) {
    DecompressNode(forward);
    DecompressNode(reverse);
    if (forward == node || reverse == node) in_depth = true;
    // The walks met: every node is within the depth of one end.
    if (forward == reverse || forward->next == reverse) return;
    forward = forward->next;
    reverse = reverse->prev;
  }
  // forward and reverse are now the first nodes beyond the depth at each end.
  if (node != nullptr && !in_depth) TryCompressNode(node);
  TryCompressNode(forward);
  TryCompressNode(reverse);
}

// ---- push, pop ----

void Quicklist::Push(Where where, std::string_view value) {
  const bool at_head = where == Where::kHead;
  Node* end = at_head ? head_ : tail_;
  if (IsLarge(value.size())) {
    LinkNode(end, NewPlainNode(value), !at_head);
  } else if (AllowInsert(end, LpEncodedEntryBytes(value))) {
    const bool used = UseNode(end);
    end->entry = at_head ? LpPrepend(end->entry, value) : LpAppend(end->entry, value);
    MNEMO_ASSERT(end->count < UINT16_MAX);
    ++end->count;
    NodeUpdated(end);
    if (used) Compress(end);
  } else {
    LinkNode(end, NewPackedNode(value), !at_head);
  }
  ++count_;
}

std::optional<std::string> Quicklist::Pop(Where where) {
  if (count_ == 0) return std::nullopt;
  Node* node = where == Where::kHead ? head_ : tail_;
  const bool used = UseNode(node);
  std::string out;
  uint8_t* p = nullptr;
  if (node->plain) {
    out.assign(reinterpret_cast<const char*>(node->entry), node->sz);
  } else {
    p = where == Where::kHead ? LpFirst(node->entry) : LpLast(node->entry);
    out = LpGet(p).ToString();
  }
  if (!DeleteElement(node, p) && used) Compress(node);
  return out;
}

bool Quicklist::DeleteElement(Node* node, uint8_t* p) {
  if (node->count == 1) {
    RemoveNode(node);  // subtracts the node's count from count_
    return true;
  }
  MNEMO_ASSERT(!node->plain && !node->compressed && p != nullptr);
  node->entry = LpDelete(node->entry, p).lp;
  --node->count;
  --count_;
  NodeUpdated(node);
  return false;
}

// ---- insert ----

Quicklist::Node* Quicklist::SplitNode(Node* node, size_t offset, bool after) {
  MNEMO_ASSERT(!node->plain && !node->compressed && offset < node->count);
  const size_t count = node->count;
  Node* split = AllocNode();
  split->entry = LpDup(node->entry);
  if (after) {
    // node keeps [0, offset], split gets (offset, count).
    node->entry = LpDeleteRange(node->entry, static_cast<int64_t>(offset) + 1, count - offset - 1);
    node->count = offset + 1;
    split->entry = LpDeleteRange(split->entry, 0, offset + 1);
    split->count = count - offset - 1;
  } else {
    // node keeps [offset, count), split gets [0, offset).
    node->entry = LpDeleteRange(node->entry, 0, offset);
    node->count = count - offset;
    split->entry = LpDeleteRange(split->entry, static_cast<int64_t>(offset), count - offset);
    split->count = offset;
  }
  NodeUpdated(node);
  NodeUpdated(split);
  return split;
}

Quicklist::Node* Quicklist::MergeNodes(Node* a, Node* b) {
  MNEMO_ASSERT(a->next == b && !a->plain && !b->plain);
  UseNode(a);
  UseNode(b);
  a->entry = LpMerge(a->entry, b->entry);
  b->entry = nullptr;
  a->count += b->count;
  NodeUpdated(a);
  // RemoveNode subtracts b's count from the list's; the elements now live in a.
  count_ += b->count;
  RemoveNode(b);
  Compress(a);
  return a;
}

void Quicklist::MergeAround(Node* center) {
  // Whether a and b (adjacent, either may be null) fit in one node. A merged listpack is the sum
  // of both minus one header and terminator.
  auto can_merge = [this](const Node* a, const Node* b) {
    return a != nullptr && b != nullptr && !a->plain && !b->plain &&
           FitsFill(a->sz + b->sz - kLpEmptySize, a->count + b->count);
  };
  Node* prev = center->prev;
  Node* prev_prev = prev != nullptr ? prev->prev : nullptr;
  Node* next = center->next;
  Node* next_next = next != nullptr ? next->next : nullptr;
  if (can_merge(prev_prev, prev)) MergeNodes(prev_prev, prev);
  if (can_merge(next, next_next)) MergeNodes(next, next_next);
  Node* target = center;
  if (can_merge(center->prev, center)) target = MergeNodes(center->prev, center);
  if (can_merge(target, target->next)) MergeNodes(target, target->next);
  Compress(target);  // center was raw for the insert; settle whatever holds it now
}

void Quicklist::InsertAt(Node* node, size_t offset, bool after, std::string_view value) {
  MNEMO_ASSERT(!node->compressed && offset < node->count);
  const bool at_tail = after && offset + 1 == node->count;
  const bool at_head = !after && offset == 0;
  ++count_;
  if (IsLarge(value.size())) {
    if (node->plain || at_tail || at_head) {
      LinkNode(node, NewPlainNode(value), after);
    } else {
      // node, [plain], split in list order (after), or split, [plain], node (before).
      Node* split = SplitNode(node, offset, after);
      LinkNode(node, split, after);
      LinkNode(node, NewPlainNode(value), after);
    }
    Compress(node);
    return;
  }
  const size_t add = LpEncodedEntryBytes(value);
  if (AllowInsert(node, add)) {
    uint8_t* p = LpSeek(node->entry, static_cast<int64_t>(offset));
    node->entry =
        LpInsertString(node->entry, value, p, after ? LpWhere::kAfter : LpWhere::kBefore).lp;
    ++node->count;
    NodeUpdated(node);
    Compress(node);
    return;
  }
  if (at_tail && AllowInsert(node->next, add)) {
    Node* next = node->next;
    UseNode(next);
    next->entry = LpPrepend(next->entry, value);
    ++next->count;
    NodeUpdated(next);
    Compress(next);
    Compress(node);
    return;
  }
  if (at_head && AllowInsert(node->prev, add)) {
    Node* prev = node->prev;
    UseNode(prev);
    prev->entry = LpAppend(prev->entry, value);
    ++prev->count;
    NodeUpdated(prev);
    Compress(prev);
    Compress(node);
    return;
  }
  if (at_tail || at_head) {
    LinkNode(node, NewPackedNode(value), after);
    Compress(node);
    return;
  }
  // Full, and the position is inside the node: split it at the position. The value goes at the
  // cut, into whichever half has room, or into a node of its own between them (Redis always adds
  // it to the new half, which can then exceed the fill limit). Then merge what fits together.
  Node* split = SplitNode(node, offset, after);
  Node* own = nullptr;
  if (AllowInsert(node, add)) {
    node->entry = after ? LpAppend(node->entry, value) : LpPrepend(node->entry, value);
    ++node->count;
    NodeUpdated(node);
  } else if (AllowInsert(split, add)) {
    split->entry = after ? LpPrepend(split->entry, value) : LpAppend(split->entry, value);
    ++split->count;
    NodeUpdated(split);
  } else {
    own = NewPackedNode(value);
  }
  LinkNode(node, split, after);
  if (own != nullptr) LinkNode(node, own, after);  // between node and split
  MergeAround(node);
}

// ---- by index ----

Quicklist::Node* Quicklist::Locate(size_t index, size_t* offset) const {
  MNEMO_ASSERT(index < count_);
  if (index < count_ / 2) {
    size_t base = 0;
    for (Node* n = head_; n != nullptr; n = n->next) {
      if (index < base + n->count) {
        *offset = index - base;
        return n;
      }
      base += n->count;
    }
  } else {
    size_t base = count_;  // index of the element after node n
    for (Node* n = tail_; n != nullptr; n = n->prev) {
      base -= n->count;
      if (index >= base) {
        *offset = index - base;
        return n;
      }
    }
  }
  MNEMO_ASSERT(false && "quicklist counts disagree");
  return nullptr;
}

namespace {

// Resolves a possibly negative index against `count`; false when out of range.
bool ResolveIndex(int64_t index, uint64_t count, size_t* out) {
  if (index < 0) {
    const uint64_t back = static_cast<uint64_t>(-(index + 1)) + 1;  // no overflow at INT64_MIN
    if (back > count) return false;
    *out = count - back;
    return true;
  }
  if (static_cast<uint64_t>(index) >= count) return false;
  *out = static_cast<size_t>(index);
  return true;
}

}  // namespace

bool Quicklist::ReplaceAtIndex(int64_t index, std::string_view value) {
  size_t i;
  if (!ResolveIndex(index, count_, &i)) return false;
  size_t offset;
  Node* node = Locate(i, &offset);
  UseNode(node);
  const bool large = IsLarge(value.size());
  if (!node->plain && !large) {
    uint8_t* p = LpSeek(node->entry, static_cast<int64_t>(offset));
    const size_t new_bytes = node->sz - LpEntryBytes(p) + LpEncodedEntryBytes(value);
    if (node->count == 1 || FitsFill(new_bytes, node->count)) {
      node->entry = LpReplace(node->entry, p, value).lp;
      NodeUpdated(node);
      Compress(node);
      return true;
    }
  } else if (node->plain && large) {
    mem::Free(node->entry);
    node->entry = static_cast<uint8_t*>(mem::Alloc(value.size()));
    std::memcpy(node->entry, value.data(), value.size());
    node->sz = value.size();
    node->compress_failed = 0;
    Compress(node);
    return true;
  }
  // The value does not fit where the old one was: insert it after the old one, then delete the
  // old one, which is still at index i.
  InsertAt(node, offset, /*after=*/true, value);
  DeleteRange(static_cast<int64_t>(i), 1);
  return true;
}

size_t Quicklist::DeleteRange(int64_t start, size_t count) {
  size_t first;
  if (count == 0 || !ResolveIndex(start, count_, &first)) return 0;
  const size_t total = std::min<uint64_t>(count, count_ - first);
  size_t offset;
  Node* node = Locate(first, &offset);
  size_t remaining = total;
  while (remaining > 0) {
    Node* next = node->next;
    const size_t in_node = std::min<size_t>(remaining, node->count - offset);
    if (offset == 0 && in_node == node->count) {
      RemoveNode(node);
    } else {
      UseNode(node);
      node->entry = LpDeleteRange(node->entry, static_cast<int64_t>(offset), in_node);
      node->count -= in_node;
      count_ -= in_node;
      NodeUpdated(node);
      Compress(node);
    }
    remaining -= in_node;
    offset = 0;
    node = next;
  }
  return total;
}

// ---- iteration ----

Quicklist::Iterator Quicklist::Iterate(Direction direction) {
  const bool forward = direction == Direction::kHeadToTail;
  return Iterator(this, forward ? head_ : tail_, forward ? 0 : -1, direction);
}

Quicklist::Iterator Quicklist::IterateFrom(int64_t index, Direction direction) {
  size_t i;
  if (!ResolveIndex(index, count_, &i)) return Iterator(this, nullptr, 0, direction);
  size_t offset;
  Node* node = Locate(i, &offset);
  const int64_t signed_offset =
      direction == Direction::kHeadToTail
          ? static_cast<int64_t>(offset)
          : static_cast<int64_t>(offset) - static_cast<int64_t>(node->count);
  return Iterator(this, node, signed_offset, direction);
}

Quicklist::Iterator::Iterator(Quicklist* list, Node* node, int64_t offset, Direction direction)
    : list_(list), node_(node), offset_(offset), direction_(direction) {}

Quicklist::Iterator::Iterator(Iterator&& other) noexcept
    : list_(other.list_),
      node_(other.node_),
      p_(other.p_),
      offset_(other.offset_),
      direction_(other.direction_),
      decompressed_(other.decompressed_),
      modified_(other.modified_) {
  other.node_ = nullptr;
  other.p_ = nullptr;
  other.decompressed_ = other.modified_ = false;
}

Quicklist::Iterator::~Iterator() { ReleaseNode(); }

void Quicklist::Iterator::ReleaseNode() {
  if (node_ != nullptr && (decompressed_ || modified_)) list_->Compress(node_);
  decompressed_ = modified_ = false;
}

bool Quicklist::Iterator::Next() {
  const bool forward = direction_ == Direction::kHeadToTail;
  while (node_ != nullptr) {
    if (p_ == nullptr) {
      if (UseNode(node_)) decompressed_ = true;
      if (node_->plain) {
        // The only element is at offset 0 (or -1); any other offset is past it.
        p_ = (offset_ == 0 || offset_ == -1) ? node_->entry : nullptr;
      } else {
        p_ = LpSeek(node_->entry, offset_);
      }
    } else if (node_->plain) {
      p_ = nullptr;
    } else {
      p_ = forward ? LpNext(node_->entry, p_) : LpPrev(node_->entry, p_);
      offset_ += forward ? 1 : -1;
    }
    if (p_ != nullptr) return true;
    // This node is done: move on.
    ReleaseNode();
    node_ = forward ? node_->next : node_->prev;
    offset_ = forward ? 0 : -1;
  }
  return false;
}

LpEntry Quicklist::Iterator::value() const {
  MNEMO_ASSERT(node_ != nullptr && p_ != nullptr);
  if (node_->plain) return LpEntry{node_->entry, static_cast<size_t>(node_->sz), 0, false};
  return LpGet(p_);
}

bool Quicklist::Iterator::Equals(std::string_view s) const {
  MNEMO_ASSERT(node_ != nullptr && p_ != nullptr);
  if (node_->plain) {
    return node_->sz == s.size() && std::memcmp(node_->entry, s.data(), s.size()) == 0;
  }
  return LpEquals(p_, s);
}

void Quicklist::Iterator::DeleteCurrent() {
  MNEMO_ASSERT(node_ != nullptr && p_ != nullptr);
  const bool forward = direction_ == Direction::kHeadToTail;
  Node* prev = node_->prev;
  Node* next = node_->next;
  if (list_->DeleteElement(node_, node_->plain ? nullptr : p_)) {
    // The node is gone (and with it any need to recompress it).
    node_ = forward ? next : prev;
    offset_ = forward ? 0 : -1;
    decompressed_ = modified_ = false;
  } else {
    // The next element now sits at the same offset: 0-based offsets towards the tail do not
    // move, and neither do negative ones (counted from the tail) towards the head.
    modified_ = true;
  }
  p_ = nullptr;
}

void Quicklist::Iterator::InsertBefore(std::string_view value) { Insert(value, false); }
void Quicklist::Iterator::InsertAfter(std::string_view value) { Insert(value, true); }

void Quicklist::Iterator::Insert(std::string_view value, bool after) {
  MNEMO_ASSERT(node_ != nullptr && p_ != nullptr);
  const size_t offset = offset_ >= 0
                            ? static_cast<size_t>(offset_)
                            : static_cast<size_t>(static_cast<int64_t>(node_->count) + offset_);
  list_->InsertAt(node_, offset, after, value);  // settles compression of what it touched
  node_ = nullptr;
  p_ = nullptr;
  decompressed_ = modified_ = false;
}

// ---- accounting and checks ----

size_t Quicklist::AllocatedBytes(size_t max_nodes) const {
  size_t total = 0;
  size_t seen = 0;
  for (const Node* n = head_; n != nullptr && seen < max_nodes; n = n->next, ++seen) {
    total += mem::UsableSize(n) + mem::UsableSize(n->entry);
  }
  return total;
}

size_t Quicklist::EstimateAllocatedBytes(size_t samples) const {
  const size_t depth = compress_;
  if (samples == 0 || len_ <= 2 * depth + samples) return AllocatedBytes();
  auto bytes = [](const Node* n) { return mem::UsableSize(n) + mem::UsableSize(n->entry); };
  size_t ends = 0;
  const Node* n = head_;
  for (size_t i = 0; i < depth; ++i, n = n->next) ends += bytes(n);
  size_t sampled = 0;
  for (size_t i = 0; i < samples; ++i, n = n->next) sampled += bytes(n);
  const Node* t = tail_;
  for (size_t i = 0; i < depth; ++i, t = t->prev) ends += bytes(t);
  const double interior = static_cast<double>(len_ - 2 * depth);
  return ends + static_cast<size_t>(static_cast<double>(sampled) / samples * interior);
}

// ---- snapshots ----

void Quicklist::ForEachNode(FunctionRef<void(const NodeView&)> fn) const {
  for (const Node* n = head_; n != nullptr; n = n->next) {
    NodeView v;
    v.plain = n->plain != 0;
    v.compressed = n->compressed != 0;
    v.raw_size = static_cast<size_t>(n->sz);
    if (n->compressed) {
      v.data = n->entry + kLzfHeaderBytes;
      v.size = LzfSize(n->entry);
    } else {
      v.data = n->entry;
      v.size = v.raw_size;
    }
    fn(v);
  }
}

bool Quicklist::AppendListpack(uint8_t* lp) {
  const size_t bytes = LpBytes(lp);
  const size_t count = LpLength(lp);
  if (count == 0 || count >= UINT16_MAX || !FitsFill(bytes, count)) return false;
  Node* n = AllocNode();
  n->entry = lp;
  n->count = count;
  NodeUpdated(n);
  LinkNode(tail_, n, true);
  count_ += count;
  return true;
}

std::vector<Quicklist::NodeInfo> Quicklist::DescribeNodes() const {
  std::vector<NodeInfo> out;
  out.reserve(len_);
  for (const Node* n = head_; n != nullptr; n = n->next) {
    out.push_back(
        {n->count, static_cast<size_t>(n->sz), StoredBytes(n), n->compressed != 0, n->plain != 0});
  }
  return out;
}

Status Quicklist::CheckConsistency(bool check_compression) const {
  auto fail = [](size_t i, const std::string& what) {
    return Status::Error("node " + std::to_string(i) + ": " + what);
  };
  size_t nodes = 0, elements = 0;
  const Node* prev = nullptr;
  for (const Node* n = head_; n != nullptr; prev = n, n = n->next, ++nodes) {
    if (n->prev != prev) return fail(nodes, "prev link broken");
    if (n->count == 0) return fail(nodes, "empty node");
    elements += n->count;
    std::string raw;  // the uncompressed bytes
    if (n->compressed) {
      const size_t clen = LzfSize(n->entry);
      if (clen + kMinCompressImprove >= n->sz) return fail(nodes, "compression does not pay");
      raw.resize(n->sz);
      if (lzf_decompress(n->entry + kLzfHeaderBytes, static_cast<unsigned>(clen), raw.data(),
                         static_cast<unsigned>(n->sz)) != n->sz) {
        return fail(nodes, "LZF blob does not decompress to sz bytes");
      }
    } else {
      raw.assign(reinterpret_cast<const char*>(n->entry), n->sz);
    }
    if (n->plain) {
      if (n->count != 1) return fail(nodes, "plain node with count != 1");
      continue;
    }
    auto* lp = reinterpret_cast<uint8_t*>(raw.data());
    if (!LpValidate(lp, raw.size(), true)) return fail(nodes, "invalid listpack");
    if (LpLength(lp) != n->count) return fail(nodes, "count differs from listpack");
    if (n->count > 1 && !FitsFill(n->sz, n->count)) return fail(nodes, "exceeds fill");
  }
  if (prev != tail_) return Status::Error("tail is not the last node");
  if (nodes != len_) return Status::Error("node count mismatch");
  if (elements != count_) return Status::Error("element count mismatch");
  if (!check_compression || compress_ == 0) return Status::Ok();
  size_t i = 0;
  for (const Node* n = head_; n != nullptr; n = n->next, ++i) {
    const size_t from_end = std::min(i, len_ - 1 - i);
    if (from_end < compress_) {
      if (n->compressed) return fail(i, "compressed within the compress depth");
    } else if (!n->compressed && !n->compress_failed && n->sz >= kMinCompressBytes) {
      return fail(i, "interior node left uncompressed");
    }
  }
  return Status::Ok();
}

}  // namespace mnemo::ds

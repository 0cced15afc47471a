// list_type.cc: list encodings (listpack, quicklist) and the conversions between them
// (layer: db). The rules are in list_type.h.
#include "mnemo/db/list_type.h"

#include <algorithm>
#include <iterator>
#include <new>

#include "mnemo/base/assert.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

using ds::LpEntry;
using ds::Quicklist;

// Byte limits of one node for list-max-listpack-size -1..-5 (Redis optimization_level).
constexpr size_t kFillSizeLimits[] = {4096, 8192, 16384, 32768, 65536};
// Byte cap of a node under a count limit (fill >= 0), Redis SIZE_SAFETY_LIMIT.
constexpr size_t kSizeSafetyLimit = 8192;
// "No limit" in NodeLimit.
constexpr size_t kUnbounded = SIZE_MAX;

uint8_t* Lp(const Object& o) { return static_cast<uint8_t*>(o.ptr()); }
Quicklist* Ql(const Object& o) { return static_cast<Quicklist*>(o.ptr()); }
bool IsQuicklist(const Object& o) { return o.encoding() == Encoding::kQuicklist; }

int Fill(const Options& opts) { return static_cast<int>(opts.list_max_listpack_size); }
int Depth(const Options& opts) {
  return static_cast<int>(
      std::min<int64_t>(opts.list_compress_depth, Quicklist::kMaxCompressDepth));
}

// One quicklist node's limits under `fill` (Redis quicklistNodeLimit): a byte limit for negative
// fills, an element count for the others.
struct NodeLimit {
  size_t bytes;
  size_t count;
};

NodeLimit LimitOf(int fill) {
  if (fill >= 0) return {kUnbounded, fill == 0 ? size_t{1} : static_cast<size_t>(fill)};
  const size_t level = std::min<size_t>(static_cast<size_t>(-static_cast<int64_t>(fill)),
                                        std::size(kFillSizeLimits));
  return {kFillSizeLimits[level - 1], kUnbounded};
}

// Redis quicklistNodeExceedsLimit: whether a node of `bytes` bytes and `count` elements would be
// over the limit.
bool ExceedsLimit(int fill, size_t bytes, size_t count) {
  const NodeLimit limit = LimitOf(fill);
  if (limit.bytes != kUnbounded) return bytes > limit.bytes;
  return bytes > kSizeSafetyLimit || count > limit.count;
}

// The quicklist header lives in a block of its own (32 bytes, the 32-byte class).
Quicklist* NewQuicklist(const Options& opts) {
  void* block = mem::Alloc(sizeof(Quicklist));
  return new (block) Quicklist(Fill(opts), Depth(opts));
}

void FreeQuicklist(Quicklist* ql) {
  ql->~Quicklist();
  mem::Free(ql);
}

// The quicklist of `o`, with the current options applied: this is how a CONFIG SET reaches
// existing lists, the next time each is modified.
Quicklist* WritableQl(const Object& o, const Options& opts) {
  Quicklist* ql = Ql(o);
  ql->SetOptions(Fill(opts), Depth(opts));
  return ql;
}

// Redis listTypeTryConvertListpack: before adding `add_count` elements of `add_bytes` bytes in
// total (their lengths, not their encoded sizes, as Redis counts), converts a listpack list that
// would no longer fit one quicklist node. The elements are copied into the new quicklist (which
// splits them into nodes by its exact sizes); this happens once per list growth past the limit
// and copies at most one node's worth of bytes.
void TryConvertForGrowth(Object* o, const Options& opts, size_t add_bytes, size_t add_count) {
  if (o->encoding() != Encoding::kListpack) return;
  uint8_t* lp = Lp(*o);
  if (!ExceedsLimit(Fill(opts), ds::LpBytes(lp) + add_bytes, ds::LpLength(lp) + add_count)) {
    return;
  }
  Quicklist* ql = NewQuicklist(opts);
  char buf[ds::kLpIntBufSize];
  for (uint8_t* p = ds::LpFirst(lp); p != nullptr; p = ds::LpNext(lp, p)) {
    ql->PushTail(ds::LpGet(p).AsBytes(buf));
  }
  ds::LpFree(lp);
  o->set_ptr(ql);
  o->set_encoding(Encoding::kQuicklist);
}

// Turns a quicklist of one packed node of `raw_bytes` bytes into a listpack list. The node's
// listpack has exactly these bytes; rebuilding it element by element gives the same bytes in a
// block sized for them.
void ConvertSingleNodeToListpack(Object* o, size_t raw_bytes) {
  Quicklist* ql = Ql(*o);
  uint8_t* lp = ds::LpNew(raw_bytes);
  {
    Quicklist::Iterator it = ql->Iterate(Quicklist::Direction::kHeadToTail);
    while (it.Next()) {
      const LpEntry e = it.value();
      lp = e.is_int ? ds::LpAppendInteger(lp, e.int_value)
                    : ds::LpAppend(lp, {reinterpret_cast<const char*>(e.str), e.len});
    }
  }
  lp = ds::LpShrinkToFit(lp);
  FreeQuicklist(ql);
  o->set_ptr(lp);
  o->set_encoding(Encoding::kListpack);
}

// Redis listTypeTryConvertQuicklist with shrinking = 1: a quicklist of one packed node holding
// at most half a node's limit becomes a listpack again.
void TryConvertForShrink(Object* o, const Options& opts) {
  if (!IsQuicklist(*o)) return;
  Quicklist* ql = Ql(*o);
  if (ql->node_count() != 1) return;
  const Quicklist::NodeInfo node = ql->DescribeNodes().front();
  if (node.plain) return;
  const NodeLimit limit = LimitOf(Fill(opts));
  if (node.raw_bytes > limit.bytes / 2 || ql->size() > limit.count / 2) return;
  ConvertSingleNodeToListpack(o, node.raw_bytes);
}

// Appends listpack `lp` (owned) to `ql`: as a node of its own when it fits the fill, otherwise
// element by element (the quicklist splits them into nodes); an empty one is freed.
void ListAppendToQuicklist(Quicklist* ql, uint8_t* lp) {
  if (ql->AppendListpack(lp)) return;
  char buf[ds::kLpIntBufSize];
  for (uint8_t* p = ds::LpFirst(lp); p != nullptr; p = ds::LpNext(lp, p)) {
    ql->PushTail(ds::LpGet(p).AsBytes(buf));
  }
  ds::LpFree(lp);
}

Quicklist::Where QlWhere(ListEnd where) {
  return where == ListEnd::kHead ? Quicklist::Where::kHead : Quicklist::Where::kTail;
}

Quicklist::Direction QlDirection(ListDirection d) {
  return d == ListDirection::kHeadToTail ? Quicklist::Direction::kHeadToTail
                                         : Quicklist::Direction::kTailToHead;
}

// LREM on a listpack: deletes up to `limit` (0: all) elements equal to `value`, walking from the
// head or from the tail. Returns how many went.
size_t ListpackRemove(Object* o, std::string_view value, uint64_t limit, bool from_tail) {
  uint8_t* lp = Lp(*o);
  size_t removed = 0;
  uint8_t* p = from_tail ? ds::LpLast(lp) : ds::LpFirst(lp);
  while (p != nullptr) {
    if (!ds::LpEquals(p, value)) {
      p = from_tail ? ds::LpPrev(lp, p) : ds::LpNext(lp, p);
      continue;
    }
    const ds::LpEdit edit = ds::LpDelete(lp, p);
    lp = edit.lp;
    ++removed;
    if (limit != 0 && removed == limit) break;
    if (!from_tail) {
      p = edit.p;  // the element that followed the deleted one
    } else {
      // The element before the deleted one: before its follower, or the new last element.
      p = edit.p != nullptr ? ds::LpPrev(lp, edit.p) : ds::LpLast(lp);
    }
  }
  o->set_ptr(lp);
  return removed;
}

}  // namespace

Object* NewListObject(const Keyspace& ks, std::string_view key) {
  const Object::ValueInit v{Encoding::kListpack, {}, reinterpret_cast<uint64_t>(ds::LpNew())};
  return Object::Create(key, ObjType::kList, v, false, 0, ks.InitialLru());
}

size_t ListLength(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kList);
  return IsQuicklist(o) ? Ql(o)->size() : ds::LpLength(Lp(o));
}

void ListPush(Object* o, const Options& opts, std::span<const std::string_view> values,
              ListEnd where) {
  size_t add_bytes = 0;
  for (std::string_view v : values) add_bytes += v.size();
  TryConvertForGrowth(o, opts, add_bytes, values.size());
  if (IsQuicklist(*o)) {
    Quicklist* ql = WritableQl(*o, opts);
    for (std::string_view v : values) ql->Push(QlWhere(where), v);
    return;
  }
  uint8_t* lp = Lp(*o);
  for (std::string_view v : values) {
    lp = where == ListEnd::kHead ? ds::LpPrepend(lp, v) : ds::LpAppend(lp, v);
  }
  o->set_ptr(lp);
}

void ListPush(Object* o, const Options& opts, std::string_view value, ListEnd where) {
  ListPush(o, opts, std::span<const std::string_view>(&value, 1), where);
}

std::string ListPop(Object* o, const Options& opts, ListEnd where) {
  MNEMO_ASSERT(ListLength(*o) > 0);
  if (IsQuicklist(*o)) return *WritableQl(*o, opts)->Pop(QlWhere(where));
  uint8_t* lp = Lp(*o);
  uint8_t* p = where == ListEnd::kHead ? ds::LpFirst(lp) : ds::LpLast(lp);
  char buf[ds::kLpIntBufSize];
  std::string out(ds::LpGet(p).AsBytes(buf));
  o->set_ptr(ds::LpDelete(lp, p).lp);
  return out;
}

bool ListInsert(Object* o, const Options& opts, std::string_view pivot, std::string_view value,
                bool after) {
  TryConvertForGrowth(o, opts, value.size(), 1);
  if (IsQuicklist(*o)) {
    Quicklist::Iterator it = WritableQl(*o, opts)->Iterate(Quicklist::Direction::kHeadToTail);
    while (it.Next()) {
      if (!it.Equals(pivot)) continue;
      if (after) {
        it.InsertAfter(value);
      } else {
        it.InsertBefore(value);
      }
      return true;
    }
    return false;
  }
  uint8_t* lp = Lp(*o);
  for (uint8_t* p = ds::LpFirst(lp); p != nullptr; p = ds::LpNext(lp, p)) {
    if (!ds::LpEquals(p, pivot)) continue;
    o->set_ptr(
        ds::LpInsertString(lp, value, p, after ? ds::LpWhere::kAfter : ds::LpWhere::kBefore).lp);
    return true;
  }
  return false;
}

bool ListSet(Object* o, const Options& opts, int64_t index, std::string_view value) {
  TryConvertForGrowth(o, opts, value.size(), 1);  // Redis counts the value as one more element
  bool replaced = false;
  if (IsQuicklist(*o)) {
    replaced = WritableQl(*o, opts)->ReplaceAtIndex(index, value);
  } else {
    uint8_t* lp = Lp(*o);
    if (uint8_t* p = ds::LpSeek(lp, index); p != nullptr) {
      o->set_ptr(ds::LpReplace(lp, p, value).lp);
      replaced = true;
    }
  }
  // A big element may have been replaced by a small one.
  if (replaced) TryConvertForShrink(o, opts);
  return replaced;
}

size_t ListRemove(Object* o, const Options& opts, std::string_view value, int64_t count) {
  const bool from_tail = count < 0;
  // -INT64_MIN does not fit an int64; its magnitude fits a uint64.
  const uint64_t limit =
      from_tail ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  if (!IsQuicklist(*o)) return ListpackRemove(o, value, limit, from_tail);
  Quicklist* ql = WritableQl(*o, opts);
  Quicklist::Iterator it = from_tail ? ql->Iterate(Quicklist::Direction::kTailToHead)
                                     : ql->Iterate(Quicklist::Direction::kHeadToTail);
  size_t removed = 0;
  while (it.Next()) {
    if (!it.Equals(value)) continue;
    it.DeleteCurrent();
    ++removed;
    if (limit != 0 && removed == limit) break;
  }
  return removed;
}

void ListDeleteRange(Object* o, const Options& opts, int64_t start, size_t count) {
  if (count == 0) return;
  if (IsQuicklist(*o)) {
    WritableQl(*o, opts)->DeleteRange(start, count);
  } else {
    o->set_ptr(ds::LpDeleteRange(Lp(*o), start, count));
  }
}

bool ListAfterRemove(Db& db, Object* o) {
  if (db.DeleteIfEmpty(o)) return true;
  TryConvertForShrink(o, db.keyspace().options());
  return false;
}

// ---- iteration ----

ListIterator::ListIterator(const Object& o, int64_t index, ListDirection direction)
    : quicklist_(IsQuicklist(o)), direction_(direction) {
  MNEMO_ASSERT(o.type() == ObjType::kList);
  if (quicklist_) {
    // Walking decompresses nodes and compresses them again: the list's contents do not change.
    it_.emplace(Ql(o)->IterateFrom(index, QlDirection(direction)));
  } else {
    lp_ = Lp(o);
    start_ = index;
  }
}

ListIterator::~ListIterator() = default;

bool ListIterator::Next() {
  if (quicklist_) return it_->Next();
  if (!started_) {
    started_ = true;
    p_ = ds::LpSeek(lp_, start_);
  } else if (p_ != nullptr) {
    p_ = direction_ == ListDirection::kHeadToTail ? ds::LpNext(lp_, p_) : ds::LpPrev(lp_, p_);
  }
  return p_ != nullptr;
}

std::string_view ListIterator::Value() {
  const LpEntry e = quicklist_ ? it_->value() : ds::LpGet(p_);
  return e.AsBytes(buf_);
}

bool ListIterator::Equals(std::string_view s) const {
  return quicklist_ ? it_->Equals(s) : ds::LpEquals(p_, s);
}

const ds::Quicklist* ListQuicklist(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kList);
  return IsQuicklist(o) ? Ql(o) : nullptr;
}

// ---- snapshots ----

const uint8_t* ListListpack(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kList);
  return IsQuicklist(o) ? nullptr : Lp(o);
}

void ListAppendListpack(Object* o, const Options& opts, uint8_t* lp) {
  MNEMO_ASSERT(o->type() == ObjType::kList);
  const size_t count = ds::LpLength(lp);
  if (count == 0) {
    ds::LpFree(lp);
    return;
  }
  if (!IsQuicklist(*o)) {
    uint8_t* current = Lp(*o);
    const size_t current_count = ds::LpLength(current);
    if (current_count == 0 && !ExceedsLimit(Fill(opts), ds::LpBytes(lp), count)) {
      ds::LpFree(current);
      o->set_ptr(lp);
      return;
    }
    // Small nodes (a file written with a smaller fill) join while they fit one node.
    if (!ExceedsLimit(Fill(opts), ds::LpBytes(current) + ds::LpBytes(lp) - ds::kLpEmptySize,
                      current_count + count)) {
      o->set_ptr(ds::LpMerge(current, lp));
      return;
    }
    // A second node: the list becomes a quicklist whose first node is the current listpack.
    Quicklist* ql = NewQuicklist(opts);
    ListAppendToQuicklist(ql, current);
    o->set_ptr(ql);
    o->set_encoding(Encoding::kQuicklist);
  }
  ListAppendToQuicklist(WritableQl(*o, opts), lp);
}

void ListLoaded(Object* o, const Options& opts) {
  MNEMO_ASSERT(o->type() == ObjType::kList);
  if (!IsQuicklist(*o)) return;
  Quicklist* ql = Ql(*o);
  if (ql->node_count() != 1) return;
  const Quicklist::NodeInfo node = ql->DescribeNodes().front();
  if (node.plain || ExceedsLimit(Fill(opts), node.raw_bytes, node.count)) return;
  ConvertSingleNodeToListpack(o, node.raw_bytes);
}

// ---- value operations ----

void FreeListValue(const ValueRef& v) {
  if (v.encoding == Encoding::kQuicklist) {
    FreeQuicklist(reinterpret_cast<Quicklist*>(v.word));
  } else {
    ds::LpFree(reinterpret_cast<uint8_t*>(v.word));
  }
}

size_t ListFreeEffort(const ValueRef& v) {
  if (v.encoding == Encoding::kQuicklist) {
    return reinterpret_cast<const Quicklist*>(v.word)->node_count();
  }
  return 1;
}

size_t ListValueMemory(const ValueRef& v, size_t samples) {
  if (v.encoding != Encoding::kQuicklist) return mem::UsableSize(reinterpret_cast<void*>(v.word));
  const auto* ql = reinterpret_cast<const Quicklist*>(v.word);
  // Exact with samples 0; otherwise O(samples + list-compress-depth) nodes, see
  // Quicklist::EstimateAllocatedBytes.
  return mem::UsableSize(ql) + ql->EstimateAllocatedBytes(samples);
}

uint64_t DuplicateListValue(const ValueRef& v) {
  if (v.encoding == Encoding::kQuicklist) {
    const auto* ql = reinterpret_cast<const Quicklist*>(v.word);
    void* block = mem::Alloc(sizeof(Quicklist));
    return reinterpret_cast<uint64_t>(new (block) Quicklist(ql->Duplicate()));
  }
  return reinterpret_cast<uint64_t>(ds::LpDup(reinterpret_cast<const uint8_t*>(v.word)));
}

uint64_t DefragListValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  // A Quicklist holds no pointer into itself (its nodes point to each other); its nodes are
  // walked max_elements nodes at a time.
  return DefragTopThenWalk<Quicklist>(v, v.encoding == Encoding::kQuicklist, first, cursor,
                                      max_elements);
}

}  // namespace mnemo::db

// list_type.h: the list type API; every branch on a list's encoding and every conversion between
// its encodings lives here (layer: db).
//
// Encodings (Redis 7.2):
//   listpack   small lists: the value word is a listpack blob (ds/listpack.h) holding the
//              elements head to tail. No header of its own: a 10-element list of short strings
//              is one allocation of ~50-60 bytes.
//   quicklist  bigger lists: the value word points to a ds::Quicklist (32-byte header in a
//              32-byte block) whose nodes are listpacks of at most list-max-listpack-size.
//
// Conversions (Redis 7.2 listTypeTryConversion), with `fill` = list-max-listpack-size:
//   growing    before elements are added, a listpack list becomes a quicklist when
//              (listpack bytes + the added elements' lengths, element count + added count) would
//              exceed one quicklist node's limit: for fill -1..-5 (values below -5 act as -5) the
//              bytes exceed 4/8/16/32/64 KiB; for fill >= 0 the bytes exceed 8 KiB (the safety
//              limit) or the count exceeds max(fill, 1). (Redis quicklistNodeExceedsLimit.)
//   shrinking  after elements are removed, a quicklist becomes a listpack again when it has one
//              node, that node is packed (not a plain big element), and it holds at most half the
//              limit: bytes <= size limit / 2 and count <= count limit / 2 (for fill >= 0 the size
//              limit is unbounded; fill 1 or 0 thus never converts back). The half is hysteresis:
//              a list at the boundary does not flip on every push and pop.
// The options are read at every call: a change of list-max-listpack-size or list-compress-depth
// reaches an existing quicklist the next time the list is modified (ds::Quicklist::SetOptions),
// and the thresholds above use the current value.
//
// An empty list is never stored: a command that empties a list deletes the key
// (ListAfterRemove).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/ds/quicklist.h"

namespace mnemo::db {

// Which end of a list.
enum class ListEnd : uint8_t { kHead, kTail };
// Direction of a walk.
enum class ListDirection : uint8_t { kHeadToTail, kTailToHead };

// A new empty listpack-encoded list object for `key`, not yet in any Db. The caller pushes to it
// and adds it (Redis creates the key, then pushes).
Object* NewListObject(const Keyspace& ks, std::string_view key);

// Number of elements. REQUIRES (every function here): o is a list.
size_t ListLength(const Object& o);

// Adds `values` one by one at `where` (LPUSH a b c leaves c at the head). Converts to quicklist
// first if they would not fit a listpack.
void ListPush(Object* o, const Options& opts, std::span<const std::string_view> values,
              ListEnd where);
void ListPush(Object* o, const Options& opts, std::string_view value, ListEnd where);

// Removes the element at `where` and returns it. REQUIRES: the list is not empty. Does not
// convert or delete: call ListAfterRemove when done removing.
std::string ListPop(Object* o, const Options& opts, ListEnd where);

// LINSERT: inserts `value` before (after = false) or after the first element equal to `pivot`,
// searching from the head. Returns true iff the pivot was found. As Redis does, a listpack list
// is converted first if `value` would not fit, whether or not the pivot is found (the walk
// cannot convert midway).
bool ListInsert(Object* o, const Options& opts, std::string_view pivot, std::string_view value,
                bool after);

// LSET: replaces the element at `index`. Returns false iff index is out of range. Converts to
// quicklist first if the value might not fit (even when out of range, as Redis), and tries the
// shrinking conversion after a replacement.
bool ListSet(Object* o, const Options& opts, int64_t index, std::string_view value);

// LREM: removes up to `count` elements equal to `value` (count > 0: from the head; count < 0:
// up to -count from the tail; 0: all). Returns how many were removed. Call ListAfterRemove if
// any were.
size_t ListRemove(Object* o, const Options& opts, std::string_view value, int64_t count);

// Deletes up to `count` elements starting at `start` (negative counts from the tail). Call
// ListAfterRemove afterwards.
void ListDeleteRange(Object* o, const Options& opts, int64_t start, size_t count);

// After elements were removed from the list `o` of `db`: deletes the key if the list is empty
// (returns true; o is then freed), otherwise tries the shrinking conversion (returns false).
bool ListAfterRemove(Db& db, Object* o);

// Walks the elements from one position in one direction, whatever the encoding. Read-only: the
// list must not change while an iterator is alive (a quicklist iterator holds a node
// decompressed and compresses it again when it moves on or is destroyed).
class ListIterator {
 public:
  // Starts at the element at `index` (negative counts from the tail); yields nothing if index is
  // out of range.
  ListIterator(const Object& o, int64_t index, ListDirection direction);
  ~ListIterator();
  ListIterator(const ListIterator&) = delete;
  ListIterator& operator=(const ListIterator&) = delete;

  // Moves to the next element (the first call to the starting one) and returns true, or returns
  // false at the end.
  bool Next();
  // The current element's bytes, valid until the next Next() or the iterator's end.
  // REQUIRES: the last Next() returned true.
  std::string_view Value();
  // Returns true iff the current element equals `s`. REQUIRES: as Value().
  bool Equals(std::string_view s) const;

 private:
  bool quicklist_;
  uint8_t* lp_ = nullptr;  // listpack encoding: the blob,
  uint8_t* p_ = nullptr;   // the current element (null before the first Next and at the end),
  int64_t start_ = 0;      // and where the first Next() seeks
  bool started_ = false;
  ListDirection direction_;
  std::optional<ds::Quicklist::Iterator> it_;  // quicklist encoding
  char buf_[ds::kLpIntBufSize];
};

// The quicklist of a quicklist-encoded list, or null for a listpack (tests, DEBUG).
const ds::Quicklist* ListQuicklist(const Object& o);

// ---- snapshots (RDB save and load, layer persist) ----------------------------------------------

// The listpack of a listpack-encoded list, or null for a quicklist (whose nodes
// ds::Quicklist::ForEachNode shows). What an RDB writer serializes.
const uint8_t* ListListpack(const Object& o);
// Appends the elements of `lp` (a listpack that passed ds::LpValidate(deep), allocated through
// mem::) at the tail, taking ownership of it. The blob itself becomes the list's listpack or a
// quicklist node when it fits list-max-listpack-size there; otherwise its elements are pushed one
// by one (a file written with a bigger fill). An empty `lp` adds nothing.
void ListAppendListpack(Object* o, const Options& opts, uint8_t* lp);
// After a list was loaded node by node: a quicklist of a single packed node that fits one
// node's limit becomes a listpack (Redis 7.2 listTypeTryConversion after rdbLoadObject, not the
// shrinking rule's half).
void ListLoaded(Object* o, const Options& opts);

// For value.h's dispatch. Free is safe on the lazy-free thread (mem:: calls only).
void FreeListValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragListValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
// 1 for a listpack; the node count for a quicklist.
size_t ListFreeEffort(const ValueRef& v);
// Usable bytes of every allocation the value owns. samples == 0: exact (the listpack, or the
// quicklist header, every node and every node's blob); samples > 0: a quicklist with more nodes
// is estimated from its first `samples` nodes (Redis objectComputeSize).
size_t ListValueMemory(const ValueRef& v, size_t samples);
// A deep copy in the same encoding (COPY).
uint64_t DuplicateListValue(const ValueRef& v);

}  // namespace mnemo::db

// value.h: operations every value supports, whatever its type (layer: db).
//
// A value is what an object's header and value word describe. These functions dispatch on the
// type to the type's own module (string_type, hash_type, ...), where every encoding branch of
// that type lives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mnemo/db/object.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

// A value detached from its object: type, encoding and the value word. Embedded strings,
// integers and inline listpacks are not representable (they live inside the object): their
// word is 0, and they own nothing to free, move, count or copy (every function below treats
// word 0 so).
struct ValueRef {
  ObjType type;
  Encoding encoding;
  uint64_t word;
};

inline ValueRef ValueOf(const Object& o) {
  if (o.encoding() == Encoding::kEmbstr || o.encoding() == Encoding::kInt ||
      o.has_inline_listpack()) {
    return ValueRef{o.type(), o.encoding(), 0};
  }
  return ValueRef{o.type(), o.encoding(), o.word()};
}

// True iff `o` is a collection with no elements (which is never kept in a Db: see
// Db::DeleteIfEmpty). Strings are never empty in this sense.
bool ValueIsEmpty(const Object& o);

// Frees every allocation the value owns (not the object block). Safe on any thread, as long as
// no other thread can reach the value.
void FreeValue(const ValueRef& v);

// Roughly how many allocations FreeValue would release: lazy freeing moves values above a
// threshold to the background thread (Redis lazyfreeGetFreeEffort).
size_t FreeEffort(const ValueRef& v);

// Bytes held by the value's own allocations (usable sizes), not counting the object block.
// With samples > 0, big hash tables and lists are estimated from that many elements
// (MEMORY USAGE SAMPLES); 0 means exact.
size_t ValueMemoryUsage(const ValueRef& v, size_t samples);

// A deep copy of the value's allocations (COPY). Returns the new value word.
uint64_t DuplicateValue(const ValueRef& v);

// Active defragmentation of the value's own allocations (db/defrag.h): moves the blocks
// mem::DefragMove hints to move and returns the value word to store in the object (the same
// word when the value's top block stayed). Big values are walked from `*cursor` a part at a
// time, and *cursor is 0 when the value is done: hashtable hashes and sets about `max_elements`
// elements (a table scan cursor), skiplist sorted sets `max_elements` elements (a rank),
// quicklists and streams `max_elements` nodes (a node number, a node-index chunk number);
// `first` marks the first call for a value (the top block and the table arrays move then).
// Every other encoding is done whole in one call (*cursor = 0). Content and used_memory are
// unchanged. REQUIRES: the value has a word (ValueOf gives word 0 for embedded strings and
// integers).
uint64_t DefragValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);

// DefragValue's step for a value whose top block is a `Header` that nothing points into but the
// value word (a byte copy moves it) and, when `walked`, whose parts are moved by
// `Header::Defrag(size_t* pos, size_t max)` a bounded step at a time from *cursor (0 when
// done). Quicklists, skiplists and streams use it; an unwalked encoding is done in one call.
template <class Header>
uint64_t DefragTopThenWalk(const ValueRef& v, bool walked, bool first, uint64_t* cursor,
                           size_t max_elements) {
  uint64_t word = v.word;
  if (first) {
    void* p = mem::DefragMove(reinterpret_cast<void*>(v.word));
    if (p != nullptr) word = reinterpret_cast<uint64_t>(p);
  }
  if (!walked) {
    *cursor = 0;
    return word;
  }
  size_t pos = first ? 0 : static_cast<size_t>(*cursor);
  reinterpret_cast<Header*>(word)->Defrag(&pos, max_elements);
  *cursor = pos;
  return word;
}

// Frees an object and its value now.
void FreeObject(Object* o);

// The value of `o` duplicated for a new object (COPY), whatever its type: owned allocations are
// deep-copied (DuplicateValue), an embedded string is referenced in `o`'s block (create the new
// object before `o` goes away), and an integer is copied unshared, as Redis's dupStringObject
// gives the copy a refcount of 1.
Object::ValueInit DuplicateValueInit(const Object& o);

}  // namespace mnemo::db

// intset.h: a sorted array of unique integers in one blob, in Redis's intset layout so that RDB
// files can carry it as is (layer: ds).
//
// Layout (every field little-endian):
//   <encoding: uint32> <length: uint32> <length elements of `encoding` bytes each, ascending>
// `encoding` is the width of every element: 2 (int16), 4 (int32) or 8 (int64). The width is the
// smallest that holds every element ever added: adding a value that needs a wider one rewrites
// all elements at the new width (an upgrade, O(n)); nothing ever narrows again, as in Redis.
// A set of 100 small integers costs 8 + 200 = 208 bytes (the 224-byte jemalloc class), against
// a hash table's ~50 bytes per element.
//
// Lookups are binary searches (O(log n)); adding and removing move the tail (O(n)), which is why
// the db layer caps intsets at set-max-intset-entries elements.
//
// Ownership: an Intset* is a blob allocated through mem:: and owned by whoever holds it
// (IntsetFree). Functions that change the size return the blob, which may have moved: the old
// pointer is dead after the call. A change reallocates only when the size leaves its jemalloc
// size class, so the usable size is always the size class of the blob.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::ds {

// The blob. Never defined: an Intset* is only a typed handle to the bytes described above.
struct Intset;

// Size of the header (encoding + length).
inline constexpr size_t kIntsetHeaderSize = 8;

// The result of an edit: the blob (possibly moved) and whether the set changed.
struct IntsetEdit {
  Intset* is;
  bool changed;
};

// A new empty set (16-bit encoding, 8 bytes).
Intset* IntsetNew();
// Frees the set; null is allowed.
void IntsetFree(Intset* is);
// A copy in a block of its own.
Intset* IntsetDup(const Intset* is);

// Adds `value`; changed is false iff it was already there.
IntsetEdit IntsetAdd(Intset* is, int64_t value);
// Removes `value`; changed is false iff it was not there.
IntsetEdit IntsetRemove(Intset* is, int64_t value);
// Returns true iff `value` is in the set. O(log n).
bool IntsetFind(const Intset* is, int64_t value);

// Number of elements.
uint32_t IntsetLen(const Intset* is);
// Width of each element in bytes: 2, 4 or 8.
uint32_t IntsetEncoding(const Intset* is);
// The element at `pos` in ascending order. REQUIRES: pos < IntsetLen(is).
int64_t IntsetGet(const Intset* is, uint32_t pos);
// A uniformly random element (base/random.h). REQUIRES: the set is not empty.
int64_t IntsetRandom(const Intset* is);
// The smallest / largest element. REQUIRES: the set is not empty.
int64_t IntsetMin(const Intset* is);
int64_t IntsetMax(const Intset* is);

// Size of the blob in bytes (header + elements): what RDB writes.
size_t IntsetBlobLen(const Intset* is);
// The blob's bytes.
const uint8_t* IntsetBytes(const Intset* is);
// Takes ownership of `blob`, which must come from mem::Alloc and have passed IntsetValidate.
Intset* IntsetAdopt(uint8_t* blob);

// Returns true iff the `size` bytes at p are a well-formed intset (Redis
// intsetValidateIntegrity): the header is readable, the encoding is 2, 4 or 8, the size is exactly
// header + length * encoding, and the set is not empty (an empty set is never stored). Deep also
// checks that the elements are strictly ascending (sorted, no duplicates). Never reads outside
// [p, p + size).
bool IntsetValidate(const uint8_t* p, size_t size, bool deep);

}  // namespace mnemo::ds

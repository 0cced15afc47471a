// sds.h: binary-safe dynamic strings with a length-sized header before the bytes (layer: ds).
//
// An sds is a `char*` to the bytes; the header sits just before them, so the bytes can be passed
// wherever a C string is expected (they are always followed by a '\0'). The header is as small as
// the length allows, as in Redis:
//   type 8:  uint8  len, uint8  alloc, uint8 flags   (3 bytes, strings < 256 bytes)
//   type 16: uint16 len, uint16 alloc, uint8 flags   (5 bytes, < 64 KiB)
//   type 32: uint32 len, uint32 alloc, uint8 flags   (9 bytes, < 4 GiB)
//   type 64: uint64 len, uint64 alloc, uint8 flags   (17 bytes)
// `alloc` is the capacity without header and terminator. It is set from the allocator's usable
// size, so the slack of jemalloc's size class is capacity, not waste: a 20-byte string gets
// alloc 28 (3 + 20 + 1 = 24 rounds up to the 32-byte class).
//
// Ownership: an sds is owned by whoever holds the pointer and freed with SdsFree.
#pragma once

#include <cstddef>
#include <string_view>

namespace mnemo::ds {

using sds = char*;

// Greedy growth stops doubling at this size and grows by this much instead (Redis
// SDS_MAX_PREALLOC): bounded slack for big strings, amortized O(1) appends for small ones.
inline constexpr size_t kSdsMaxPrealloc = 1024 * 1024;

// New string holding a copy of `init` (which may be empty); capacity = usable size.
sds SdsNew(std::string_view init);
// New string of `len` zero bytes.
sds SdsNewZeroed(size_t len);
void SdsFree(sds s);
// Active defragmentation: moves the string's block when mem::DefragMove hints to and returns the
// new sds, or null when it stays (then `s` is untouched).
[[nodiscard]] sds SdsDefrag(sds s);

size_t SdsLen(const char* s);
// Capacity without header and terminator.
size_t SdsAlloc(const char* s);
size_t SdsAvail(const char* s);
// The usable size of the whole allocation (header + bytes + terminator + slack).
size_t SdsAllocSize(const char* s);
// What SdsAllocSize of SdsNew of a `len`-byte string is, without making it.
size_t SdsAllocSizeFor(size_t len);
inline std::string_view SdsView(const char* s) { return {s, SdsLen(s)}; }

// Makes room for `addlen` more bytes, growing greedily (double up to kSdsMaxPrealloc, then by
// kSdsMaxPrealloc). May move the string; returns the new pointer. Length is unchanged.
sds SdsMakeRoomFor(sds s, size_t addlen);
// As SdsMakeRoomFor, growing only to what is needed (the allocator's size class still gives
// slack): for strings that grow by a few bytes up to a small bound (sparse HyperLogLogs).
sds SdsMakeRoomForNonGreedy(sds s, size_t addlen);
// Appends bytes. May move the string.
sds SdsCat(sds s, std::string_view t);
// Grows the length to `len`, zero-filling the new bytes (SETRANGE, SETBIT). May move.
sds SdsGrowZero(sds s, size_t len);
// Sets the length (REQUIRES: len <= SdsAlloc(s)) and writes the terminator.
void SdsSetLen(sds s, size_t len);
// Reallocates to the smallest block that holds the current length. May move.
sds SdsRemoveFreeSpace(sds s);

}  // namespace mnemo::ds

// legacy_encodings_internal.h: read-only decoders of the blob encodings Redis wrote before 7.0
// (ziplist, zipmap), turning them into listpacks (layer: persist, private).
//
// Redis 7.0 no longer writes these but still loads them (RDB types HASH_ZIPMAP, LIST_ZIPLIST,
// ZSET_ZIPLIST, HASH_ZIPLIST and QUICKLIST's nodes); so does Mnemo, converting each to the
// listpack its type module adopts. Both decoders validate the whole blob before producing
// anything and never read outside it.
//
// ziplist: <zlbytes uint32 LE> <zltail uint32 LE> <zllen uint16 LE> <entry>... <0xFF>
//   entry: <prevlen: 1 byte < 254, or 0xFE + uint32 LE> <encoding> <data>
//   encoding: 00pppppp: string of p bytes; 01pppppp qqqqqqqq: 14-bit length, big-endian;
//             10xxxxxx + 4 bytes big-endian length; 0xC0 int16, 0xD0 int32, 0xE0 int64,
//             0xF0 int24, 0xFE int8 (all little-endian); 0xF1..0xFD: the integer 0..12.
//   prevlen must equal the previous entry's size; zltail the offset of the last entry; zllen
//   the count unless it is 65535.
// zipmap: <zmlen: 1 byte, the pair count when < 254> (<len> field <len> <free: 1 byte> value
//   <free bytes>)... <0xFF>; a len is one byte < 254, or 254 + uint32 LE.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::persist {

// A new listpack (mem::) with the elements of the ziplist at [zl, zl + size), or null when the
// bytes are not a valid ziplist.
uint8_t* ZiplistToListpack(const uint8_t* zl, size_t size);
// A new listpack of field, value, ... with the pairs of the zipmap at [zm, zm + size), or null
// when the bytes are not a valid zipmap.
uint8_t* ZipmapToListpack(const uint8_t* zm, size_t size);

}  // namespace mnemo::persist

// varint.h: LEB128 length prefixes for the one-block nodes of hash and set tables (layer: ds).
//
// 7 bits per byte, low bits first, the high bit set on every byte but the last: one byte below
// 128, two below 16 KiB, at most kMaxVarintSize for a 64-bit value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::ds {

inline constexpr size_t kMaxVarintSize = 10;

// Bytes PutVarint writes for `v`.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` at p; returns the byte after it. REQUIRES: VarintSize(v) bytes of room.
inline uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Reads a varint written by PutVarint at p into *v; returns the byte after it.
inline const uint8_t* GetVarint(const uint8_t* p, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = *p++;
    r |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  *v = r;
  return p;
}

}  // namespace mnemo::ds

// crc64.h: the CRC-64 Redis puts at the end of RDB files and DUMP payloads (layer: persist).
//
// Redis's crc64 is the "Jones" polynomial 0xad93d23594c935a9, reflected (bits processed least
// significant first), initial value 0, no final xor; crc64("123456789") = 0xe9c6d914c4b8d9ca.
// The value is stored little-endian. This implementation processes eight bytes per step with
// eight 256-entry tables computed at compile time (slice-by-8, 16 KiB of constants), several
// times faster than one table lookup per byte on RDB-sized inputs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::persist {

// Continues `crc` over `len` bytes at `data` (start with 0).
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace mnemo::persist

// murmurhash.h: MurmurHash64A, the 64-bit hash HyperLogLog registers are chosen by (layer: ds).
//
// Austin Appleby's MurmurHash2, 64-bit variant "A", reading the input as little-endian 64-bit
// words whatever the host, as Redis does: the same bytes give the same hash on every machine, so
// a HyperLogLog built here has the same registers as one built by redis-server.
#pragma once

#include <cstdint>
#include <string_view>

namespace mnemo::ds {

// Returns MurmurHash64A of `data` with `seed`.
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

}  // namespace mnemo::ds

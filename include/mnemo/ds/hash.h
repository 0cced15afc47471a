// hash.h: the keyed hash of every hash table (layer: ds).
//
// SipHash-1-2 (Redis's round counts; ds/siphash.h) with a random 128-bit key chosen at start:
// clients cannot predict bucket positions, so they cannot build keys that all collide (hash
// flooding), which is why Redis uses SipHash too.
#pragma once

#include <cstdint>
#include <string_view>

namespace mnemo::ds {

// Returns the keyed hash of `data`.
uint64_t HashBytes(std::string_view data);

// Sets the key from the system's random source. Called once at start; until then a fixed key is
// used (tests that need reproducible layouts may keep it).
void RandomizeHashSeed();

}  // namespace mnemo::ds

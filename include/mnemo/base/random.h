// random.h: the process's pseudo-random numbers for sampling (layer: base).
#pragma once

#include <cstdint>

namespace mnemo {

// A uniformly distributed 64-bit value from a per-thread std::mt19937_64. Not cryptographic:
// for sampling keys, picking random members, jittering.
uint64_t RandomU64();
// Reseeds the calling thread's generator (tests use fixed seeds to be reproducible).
void SeedRandom(uint64_t seed);

}  // namespace mnemo

// random.cc: per-thread std::mt19937_64 (layer: base).
#include "mnemo/base/random.h"

#include <random>

namespace mnemo {

namespace {

std::mt19937_64& Engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

}  // namespace

uint64_t RandomU64() { return Engine()(); }

void SeedRandom(uint64_t seed) { Engine().seed(seed); }

}  // namespace mnemo

// intset_bench.cc: add, find and iteration of intsets at set-max-intset-entries sizes
// (layer: ds).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "mnemo/ds/intset.h"

namespace {

using namespace mnemo::ds;  // NOLINT: benchmark file

std::vector<int64_t> RandomValues(size_t n, uint64_t seed, int64_t range) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(n);
  for (int64_t& x : v) x = static_cast<int64_t>(rng() % static_cast<uint64_t>(range));
  return v;
}

Intset* MakeSet(const std::vector<int64_t>& values) {
  Intset* is = IntsetNew();
  for (int64_t v : values) is = IntsetAdd(is, v).is;
  return is;
}

// SADD of n random values into an empty set. Time per add.
void BM_IntsetAddRandom(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<int64_t> values = RandomValues(n, 1, 1'000'000);
  for (auto _ : state) {
    Intset* is = MakeSet(values);
    benchmark::DoNotOptimize(is);
    IntsetFree(is);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_IntsetAddRandom)->Arg(128)->Arg(512)->Arg(4096);

// SADD of ascending values: every add appends (no tail move).
void BM_IntsetAddAscending(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    Intset* is = IntsetNew();
    for (size_t i = 0; i < n; ++i) is = IntsetAdd(is, static_cast<int64_t>(i) * 3).is;
    benchmark::DoNotOptimize(is);
    IntsetFree(is);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_IntsetAddAscending)->Arg(512)->Arg(4096);

// SISMEMBER: binary search for a random value (half present), 16- and 64-bit encodings.
void BM_IntsetFind(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool wide = state.range(1) != 0;
  std::vector<int64_t> values = RandomValues(n, 2, 30000);
  if (wide) values.push_back(INT64_MAX);  // forces the 64-bit encoding
  Intset* is = MakeSet(values);
  const std::vector<int64_t> probes = RandomValues(4096, 3, 60000);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(IntsetFind(is, probes[i++ & 4095]));
  IntsetFree(is);
}
BENCHMARK(BM_IntsetFind)->Args({128, 0})->Args({512, 0})->Args({512, 1});

// SMEMBERS: read every element in order. Time per element.
void BM_IntsetIterate(benchmark::State& state) {
  Intset* is = MakeSet(RandomValues(512, 4, 1'000'000));
  const uint32_t len = IntsetLen(is);
  for (auto _ : state) {
    int64_t sum = 0;
    for (uint32_t i = 0; i < len; ++i) sum += IntsetGet(is, i);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * len));
  IntsetFree(is);
}
BENCHMARK(BM_IntsetIterate);

}  // namespace

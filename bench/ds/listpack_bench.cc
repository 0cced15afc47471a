// listpack_bench.cc: append, find, seek and iteration over listpacks of hash and list sizes
// (layer: ds).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mnemo/ds/listpack.h"

namespace {

using namespace mnemo::ds;  // NOLINT: benchmark file

std::string Field(size_t i) { return "field:" + std::to_string(i); }

// A hash-shaped listpack: field:i, value-i... for n pairs.
uint8_t* MakeHash(size_t n) {
  uint8_t* lp = LpNew();
  for (size_t i = 0; i < n; ++i) {
    lp = LpAppend(lp, Field(i));
    lp = LpAppend(lp, "value-" + std::to_string(i));
  }
  return lp;
}

// Appends n short strings to an empty listpack (RPUSH / HSET on small values). Time per append.
void BM_LpAppend(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    uint8_t* lp = LpNew();
    for (size_t i = 0; i < n; ++i) lp = LpAppend(lp, "element-value");
    benchmark::DoNotOptimize(lp);
    LpFree(lp);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_LpAppend)->Arg(128)->Arg(1024);

// As BM_LpAppend with integer-looking strings, which are parsed and stored as integers.
void BM_LpAppendNumericString(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::string> values;
  for (size_t i = 0; i < n; ++i) values.push_back(std::to_string(i * 7919));
  for (auto _ : state) {
    uint8_t* lp = LpNew();
    for (const std::string& v : values) lp = LpAppend(lp, v);
    benchmark::DoNotOptimize(lp);
    LpFree(lp);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_LpAppendNumericString)->Arg(128)->Arg(1024);

// Appends n entries at once.
void BM_LpBatchAppend(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<LpEntry> entries(n, LpEntry::String("element-value"));
  for (auto _ : state) {
    uint8_t* lp = LpBatchAppend(LpNew(), entries);
    benchmark::DoNotOptimize(lp);
    LpFree(lp);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_LpBatchAppend)->Arg(128)->Arg(1024);

// HGET on a listpack hash of n fields: LpFind with skip 1 for a random present field.
void BM_LpFindField(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  uint8_t* lp = MakeHash(n);
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back(Field(i));
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    uint8_t* p = LpFind(lp, LpFirst(lp), keys[rng() % n], 1);
    benchmark::DoNotOptimize(p);
  }
  LpFree(lp);
}
BENCHMARK(BM_LpFindField)->Arg(16)->Arg(128)->Arg(512);

// LINDEX on a listpack list of n elements: LpSeek at a random index.
void BM_LpSeek(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  uint8_t* lp = LpNew();
  for (size_t i = 0; i < n; ++i) lp = LpAppend(lp, "element-" + std::to_string(i));
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    uint8_t* p = LpSeek(lp, static_cast<int64_t>(rng() % n));
    benchmark::DoNotOptimize(LpGet(p));
  }
  LpFree(lp);
}
BENCHMARK(BM_LpSeek)->Arg(128)->Arg(512);

// LRANGE 0 -1 / HGETALL: walk every element and read it. Time per element.
void BM_LpIterate(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  uint8_t* lp = MakeHash(n / 2);
  for (auto _ : state) {
    size_t bytes = 0;
    char buf[kLpIntBufSize];
    for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p)) {
      bytes += LpGet(p).AsBytes(buf).size();
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  LpFree(lp);
}
BENCHMARK(BM_LpIterate)->Arg(128)->Arg(1024);

// LINSERT / HSET of a new field in the middle, then delete it again (steady size).
void BM_LpInsertDeleteMiddle(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  uint8_t* lp = MakeHash(n / 2);
  for (auto _ : state) {
    LpEdit e =
        LpInsertString(lp, "inserted", LpSeek(lp, static_cast<int64_t>(n / 2)), LpWhere::kBefore);
    lp = LpDelete(e.lp, e.p).lp;
  }
  LpFree(lp);
}
BENCHMARK(BM_LpInsertDeleteMiddle)->Arg(128)->Arg(1024);

// Deep validation of a 256-element listpack (RDB load with sanitize-dump-payload).
void BM_LpValidateDeep(benchmark::State& state) {
  uint8_t* lp = MakeHash(128);
  for (auto _ : state) benchmark::DoNotOptimize(LpValidate(lp, LpBytes(lp), true));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * LpBytes(lp)));
  LpFree(lp);
}
BENCHMARK(BM_LpValidateDeep);

}  // namespace

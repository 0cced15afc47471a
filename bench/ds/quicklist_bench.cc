// quicklist_bench.cc: push, pop, index and iteration of quicklists with and without compression
// (layer: ds). The second argument of each benchmark is list-compress-depth.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "mnemo/ds/quicklist.h"

namespace {

using mnemo::ds::Quicklist;

std::string Value(size_t i) { return "list-element-value:" + std::to_string(i); }

Quicklist MakeList(size_t n, int depth) {
  Quicklist ql(Quicklist::kDefaultFill, depth);
  for (size_t i = 0; i < n; ++i) ql.PushTail(Value(i));
  return ql;
}

// RPUSH of n elements into an empty list. Time per push.
void BM_QuicklistPushTail(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int depth = static_cast<int>(state.range(1));
  const std::string v = Value(12345);
  for (auto _ : state) {
    Quicklist ql(Quicklist::kDefaultFill, depth);
    for (size_t i = 0; i < n; ++i) ql.PushTail(v);
    benchmark::DoNotOptimize(ql.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_QuicklistPushTail)->Args({100000, 0})->Args({100000, 1});

// LPUSH + RPOP at steady size (a queue).
void BM_QuicklistPushPop(benchmark::State& state) {
  Quicklist ql = MakeList(10000, static_cast<int>(state.range(0)));
  const std::string v = Value(7);
  for (auto _ : state) {
    ql.PushHead(v);
    benchmark::DoNotOptimize(ql.Pop(Quicklist::Where::kTail));
  }
}
BENCHMARK(BM_QuicklistPushPop)->Arg(0)->Arg(1);

// LINDEX at a random index of a 100k-element list.
void BM_QuicklistIndex(benchmark::State& state) {
  const size_t n = 100000;
  Quicklist ql = MakeList(n, static_cast<int>(state.range(0)));
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    Quicklist::Iterator it =
        ql.IterateFrom(static_cast<int64_t>(rng() % n), Quicklist::Direction::kHeadToTail);
    it.Next();
    benchmark::DoNotOptimize(it.value());
  }
}
BENCHMARK(BM_QuicklistIndex)->Arg(0)->Arg(1);

// LRANGE 0 -1 over a 100k-element list. Time per element.
void BM_QuicklistIterate(benchmark::State& state) {
  const size_t n = 100000;
  Quicklist ql = MakeList(n, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    size_t bytes = 0;
    char buf[mnemo::ds::kLpIntBufSize];
    Quicklist::Iterator it = ql.Iterate(Quicklist::Direction::kHeadToTail);
    while (it.Next()) bytes += it.value().AsBytes(buf).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["bytes_per_element"] =
      static_cast<double>(ql.AllocatedBytes()) / static_cast<double>(n);
}
BENCHMARK(BM_QuicklistIterate)->Arg(0)->Arg(1);

// LINSERT in the middle of a 10k-element list, then LREM-style removal of it by index.
void BM_QuicklistInsertMiddle(benchmark::State& state) {
  Quicklist ql = MakeList(10000, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Quicklist::Iterator it = ql.IterateFrom(5000, Quicklist::Direction::kHeadToTail);
    it.Next();
    it.InsertAfter("inserted");
    ql.DeleteRange(5001, 1);
  }
}
BENCHMARK(BM_QuicklistInsertMiddle)->Arg(0)->Arg(1);

}  // namespace

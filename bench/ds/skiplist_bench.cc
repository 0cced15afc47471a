// skiplist_bench.cc: ds::Skiplist insert, lookup, rank, range scan and delete (layer: ds, bench).
//
// Members are 10 bytes ("m" + 9 digits), scores random integers below n/4 so that ties (ordered
// by member) are common, as in leaderboards.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mnemo/base/random.h"
#include "mnemo/ds/skiplist.h"

namespace mnemo::ds {
namespace {

struct Workload {
  std::vector<std::string> members;
  std::vector<double> scores;
};

Workload MakeWorkload(size_t n) {
  Workload w;
  std::mt19937_64 rng(42);
  w.members.reserve(n);
  w.scores.reserve(n);
  char buf[32];  // 10 bytes used; room for any size_t keeps -Wformat-truncation quiet
  for (size_t i = 0; i < n; ++i) {
    // Distinct 10-byte members: a letter and the index, in random order.
    std::snprintf(buf, sizeof(buf), "%c%09zu", static_cast<char>('a' + i % 26), i);
    w.members.emplace_back(buf, 10);
    w.scores.push_back(static_cast<double>(rng() % (n / 4 + 1)));
  }
  std::shuffle(w.members.begin(), w.members.end(), rng);
  return w;
}

void Fill(Skiplist& s, const Workload& w) {
  for (size_t i = 0; i < w.members.size(); ++i) s.Insert(w.members[i], w.scores[i]);
}

void BM_Insert(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  SeedRandom(1);
  double bytes_per_member = 0;
  for (auto _ : state) {
    Skiplist s;
    Fill(s, w);
    bytes_per_member = static_cast<double>(s.MemoryUsage()) / static_cast<double>(n);
    state.PauseTiming();
    s.Clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["bytes_per_member"] = bytes_per_member;
}

void BM_Find(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Find(w.members[i]));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Rank(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Rank(w.members[i]));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_NodeByRank(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  std::mt19937_64 rng(7);
  for (auto _ : state) benchmark::DoNotOptimize(s.NodeByRank(rng() % n));
  state.SetItemsProcessed(state.iterations());
}

// ZRANGEBYSCORE min +inf LIMIT 0 100: seek, then walk 100 nodes reading member and score.
void BM_RangeScan100(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  std::mt19937_64 rng(9);
  const double top = static_cast<double>(n / 4);
  for (auto _ : state) {
    const ScoreRange r{static_cast<double>(rng() % (n / 4 + 1)), top, false, false};
    size_t bytes = 0;
    int k = 0;
    for (const SkiplistNode* x = s.FirstInRange(r); x != nullptr && k < 100;
         x = Skiplist::Next(x), ++k) {
      bytes += x->member().size() + (x->score() > 0 ? 1 : 0);
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

// ZCOUNT on a random interval: two seeks with ranks.
void BM_CountInRange(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  std::mt19937_64 rng(11);
  const uint64_t span = n / 4 + 1;
  for (auto _ : state) {
    const double a = static_cast<double>(rng() % span);
    const ScoreRange r{a, a + static_cast<double>(rng() % span), false, true};
    benchmark::DoNotOptimize(s.CountInRange(r));
  }
  state.SetItemsProcessed(state.iterations());
}

// ZINCRBY-like: small moves, mostly in place, sometimes past a neighbour.
void BM_UpdateScore(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  Skiplist s;
  Fill(s, w);
  size_t i = 0;
  for (auto _ : state) {
    const SkiplistNode* x = s.Find(w.members[i]);
    s.UpdateScore(x, x->score() + 0.5);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Delete(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Workload w = MakeWorkload(n);
  SeedRandom(1);
  for (auto _ : state) {
    state.PauseTiming();
    Skiplist s;
    Fill(s, w);
    state.ResumeTiming();
    for (const std::string& m : w.members) s.Delete(m);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

constexpr int64_t kSmall = 1 << 10;
constexpr int64_t kLarge = 1 << 20;

BENCHMARK(BM_Insert)->RangeMultiplier(32)->Range(kSmall, kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Find)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_Rank)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_NodeByRank)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_RangeScan100)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_CountInRange)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_UpdateScore)->RangeMultiplier(32)->Range(kSmall, kLarge);
BENCHMARK(BM_Delete)->RangeMultiplier(32)->Range(kSmall, kLarge)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mnemo::ds

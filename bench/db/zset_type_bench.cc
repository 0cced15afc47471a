// zset_type_bench.cc: the sorted set type API on both encodings: adds, score lookups, rank and
// score ranges, pops, unions, and bytes per member (layer: db, bench).
//
// Members are "m" + 9 digits (10 bytes), scores random integers below n/4 so that ties (ordered
// by member) are common. Each benchmark runs on a listpack (n <= 128, the default
// zset-max-listpack-entries) and on skiplists of growing size.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mnemo/base/random.h"
#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

struct Workload {
  std::vector<std::string> members;
  std::vector<double> scores;
};

Workload MakeWorkload(size_t n, uint64_t seed = 42) {
  Workload w;
  std::mt19937_64 rng(seed);
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "m%09zu", i);
    w.members.emplace_back(buf);
    w.scores.push_back(static_cast<double>(rng() % (n / 4 + 1)));
  }
  std::shuffle(w.members.begin(), w.members.end(), rng);
  return w;
}

// A zset object filled with the workload (not in any Db).
Object* Build(Keyspace& ks, const Workload& w) {
  Object* o = NewZsetObject(ks, "bench", 0, 0);
  for (size_t i = 0; i < w.members.size(); ++i) {
    ZsetAdd(ks, o, w.members[i], w.scores[i], kZaddNone);
  }
  return o;
}

void BM_Add(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  const Workload w = MakeWorkload(n);
  SeedRandom(1);
  double bytes_per_member = 0;
  for (auto _ : state) {
    Object* o = Build(ks, w);
    bytes_per_member = static_cast<double>(ValueMemoryUsage(ValueOf(*o), 0) + o->BlockSize()) /
                       static_cast<double>(n);
    state.PauseTiming();
    FreeObject(o);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["bytes_per_member"] = bytes_per_member;
}
BENCHMARK(BM_Add)->Arg(16)->Arg(128)->Arg(1000)->Arg(100000);

void BM_Score(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  const Workload w = MakeWorkload(n);
  Object* o = Build(ks, w);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ZsetScore(o, w.members[i]));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  FreeObject(o);
}
BENCHMARK(BM_Score)->Arg(16)->Arg(128)->Arg(1000)->Arg(100000);

void BM_Rank(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  const Workload w = MakeWorkload(n);
  Object* o = Build(ks, w);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ZsetRank(o, w.members[i], false));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  FreeObject(o);
}
BENCHMARK(BM_Rank)->Arg(16)->Arg(128)->Arg(1000)->Arg(100000);

// ZRANGE key start start+9: ten members from a random rank.
void BM_RangeByRank10(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  Object* o = Build(ks, MakeWorkload(n));
  std::mt19937_64 rng(7);
  double sum = 0;
  for (auto _ : state) {
    const size_t start = rng() % (n - 10);
    ZsetRangeByRank(o, start, start + 9, false, [&sum](std::string_view, double s) { sum += s; });
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 10);
  FreeObject(o);
}
BENCHMARK(BM_RangeByRank10)->Arg(128)->Arg(1000)->Arg(100000);

// ZRANGEBYSCORE key s +inf LIMIT 0 10 from a random score.
void BM_RangeByScore10(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  Object* o = Build(ks, MakeWorkload(n));
  std::mt19937_64 rng(7);
  size_t visited = 0;
  for (auto _ : state) {
    const ds::ScoreRange r{static_cast<double>(rng() % (n / 4 + 1)), 1e300, false, false};
    visited += ZsetRangeByScore(o, r, 0, 10, false, [](std::string_view, double) {});
  }
  benchmark::DoNotOptimize(visited);
  state.SetItemsProcessed(state.iterations());
  FreeObject(o);
}
BENCHMARK(BM_RangeByScore10)->Arg(128)->Arg(1000)->Arg(100000);

// ZPOPMIN of every member, one at a time.
void BM_PopAll(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  const Workload w = MakeWorkload(n);
  for (auto _ : state) {
    state.PauseTiming();
    Object* o = Build(ks, w);
    state.ResumeTiming();
    while (ZsetPop(o, false, 1, [](std::string_view, double) {}) == 1) {
    }
    state.PauseTiming();
    FreeObject(o);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_PopAll)->Arg(128)->Arg(10000);

// ZUNIONSTORE of two sets of n members that share half of them.
void BM_Union(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Keyspace ks(1);
  const Workload all = MakeWorkload(n + n / 2);
  Workload a, b;
  a.members.assign(all.members.begin(), all.members.begin() + static_cast<ptrdiff_t>(n));
  a.scores.assign(all.scores.begin(), all.scores.begin() + static_cast<ptrdiff_t>(n));
  b.members.assign(all.members.begin() + static_cast<ptrdiff_t>(n / 2), all.members.end());
  b.scores.assign(all.scores.begin() + static_cast<ptrdiff_t>(n / 2), all.scores.end());
  Object* oa = Build(ks, a);
  Object* ob = Build(ks, b);
  auto sa = OpenZsetOpSource(oa);
  auto sb = OpenZsetOpSource(ob);
  for (auto _ : state) {
    ZsetOpInput inputs[2] = {{oa, sa.get(), 1}, {ob, sb.get(), 1}};
    ZsetOpResult r = ZsetSetOperation(ZsetSetOp::kUnion, inputs, ZsetAggregate::kSum);
    Object* out = r.ToObject(ks, "dst");
    benchmark::DoNotOptimize(out);
    FreeObject(out);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(2 * n));
  FreeObject(oa);
  FreeObject(ob);
}
BENCHMARK(BM_Union)->Arg(64)->Arg(1000)->Arg(100000);

// Listpack to skiplist: the 129th member of a full listpack.
void BM_ConvertAt129(benchmark::State& state) {
  Keyspace ks(1);
  const Workload w = MakeWorkload(129);
  for (auto _ : state) {
    state.PauseTiming();
    Object* o = NewZsetObject(ks, "bench", 0, 0);
    for (size_t i = 0; i < 128; ++i) ZsetAdd(ks, o, w.members[i], w.scores[i], kZaddNone);
    state.ResumeTiming();
    ZsetAdd(ks, o, w.members[128], w.scores[128], kZaddNone);
    state.PauseTiming();
    FreeObject(o);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ConvertAt129);

}  // namespace
}  // namespace mnemo::db

// set_type_bench.cc: the set type API in each encoding: SADD, SISMEMBER, random members,
// intersections, and bytes per member (layer: db).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mnemo/db/set_type.h"
#include "mnemo/db/value.h"

namespace {

using namespace mnemo::db;  // NOLINT: benchmark file

// Members for each encoding: integers (intset), short strings (listpack while few, hashtable
// when many).
std::vector<std::string> Members(size_t n, bool integers) {
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    v.push_back(integers ? std::to_string(i * 7) : "member:" + std::to_string(i));
  }
  return v;
}

Keyspace& Ks() {
  static Keyspace ks(1);
  return ks;
}

Object* MakeSet(const std::vector<std::string>& members) {
  Object* o = NewSetObject(Ks(), "bench", members[0], members.size());
  for (const std::string& m : members) SetAdd(Ks(), o, m);
  return o;
}

// Args: number of members, 1 = integers. The encodings that result: 100 ints -> intset,
// 100 strings -> listpack, 10000 of either -> hashtable.
void EncodingArgs(benchmark::internal::Benchmark* b) {
  b->Args({100, 1})->Args({100, 0})->Args({10000, 1})->Args({10000, 0});
}

void Label(benchmark::State& state, const Object* o) {
  state.SetLabel(EncodingName(o->encoding()));
}

// Building a set member by member (SADD). Time per member.
void BM_SetAdd(benchmark::State& state) {
  const auto members = Members(static_cast<size_t>(state.range(0)), state.range(1) == 1);
  Object* last = nullptr;
  for (auto _ : state) {
    Object* o = MakeSet(members);
    benchmark::DoNotOptimize(o);
    if (last != nullptr) FreeObject(last);
    last = o;
  }
  Label(state, last);
  FreeObject(last);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * members.size()));
}
BENCHMARK(BM_SetAdd)->Apply(EncodingArgs);

// SISMEMBER, half hits and half misses.
void BM_SetIsMember(benchmark::State& state) {
  const auto members = Members(static_cast<size_t>(state.range(0)), state.range(1) == 1);
  Object* o = MakeSet(members);
  const auto probes = Members(members.size() * 2, state.range(1) == 1);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(SetIsMember(o, probes[i]));
    if (++i == probes.size()) i = 0;
  }
  Label(state, o);
  FreeObject(o);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SetIsMember)->Apply(EncodingArgs);

// SRANDMEMBER (one member).
void BM_SetRandomMember(benchmark::State& state) {
  const auto members = Members(static_cast<size_t>(state.range(0)), state.range(1) == 1);
  Object* o = MakeSet(members);
  for (auto _ : state) benchmark::DoNotOptimize(SetRandomMember(o));
  Label(state, o);
  FreeObject(o);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SetRandomMember)->Apply(EncodingArgs);

// SINTER of two sets of the same size that share half their members. Time per member walked.
void BM_SetIntersect(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool integers = state.range(1) == 1;
  const auto all = Members(n + n / 2, integers);
  Object* a = MakeSet(std::vector<std::string>(all.begin(), all.begin() + static_cast<long>(n)));
  Object* b = MakeSet(std::vector<std::string>(all.begin() + static_cast<long>(n / 2), all.end()));
  size_t found = 0;
  for (auto _ : state) {
    Object* sets[] = {a, b};
    SetIntersect(sets, [&](const SetMember&) {
      ++found;
      return true;
    });
  }
  benchmark::DoNotOptimize(found);
  Label(state, a);
  FreeObject(a);
  FreeObject(b);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_SetIntersect)->Apply(EncodingArgs);

// Bytes of value per member (counter "bytes_per_member"), exact (ValueMemoryUsage, samples 0).
void BM_SetBytesPerMember(benchmark::State& state) {
  const auto members = Members(static_cast<size_t>(state.range(0)), state.range(1) == 1);
  Object* o = MakeSet(members);
  size_t bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(bytes = ValueMemoryUsage(ValueOf(*o), 0));
  Label(state, o);
  state.counters["bytes_per_member"] =
      static_cast<double>(bytes) / static_cast<double>(members.size());
  FreeObject(o);
}
BENCHMARK(BM_SetBytesPerMember)->Apply(EncodingArgs);

}  // namespace

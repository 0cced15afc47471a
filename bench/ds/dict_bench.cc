// dict_bench.cc: lookups, inserts and sampling of the intrusive hash table (layer: ds).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mnemo/ds/dict.h"
#include "mnemo/ds/hash.h"

namespace {

struct Node {
  Node* next = nullptr;
  std::string key;
};
struct Traits {
  using Node = ::Node;
  static Node** NextField(Node* n) { return &n->next; }
  static std::string_view Key(const Node* n) { return n->key; }
  static uint64_t Hash(std::string_view k) { return mnemo::ds::HashBytes(k); }
};
using BenchDict = mnemo::ds::Dict<Traits>;

std::vector<Node*> MakeNodes(size_t n) {
  std::vector<Node*> v;
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "key:%08zu", i);
    v.push_back(new Node{nullptr, buf});
  }
  return v;
}

void BM_Insert(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto nodes = MakeNodes(n);
    BenchDict d;
    state.ResumeTiming();
    for (Node* node : nodes) d.Insert(node);
    state.PauseTiming();
    d.Clear([](Node* node) { delete node; });
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_Insert)->Arg(1000)->Arg(100000);

void BM_FindHit(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto nodes = MakeNodes(n);
  BenchDict d;
  for (Node* node : nodes) d.Insert(node);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.Find(nodes[i]->key));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  d.Clear([](Node* node) { delete node; });
}
BENCHMARK(BM_FindHit)->Arg(1000)->Arg(1000000);

void BM_SampleNodes(benchmark::State& state) {
  auto nodes = MakeNodes(100000);
  BenchDict d;
  for (Node* node : nodes) d.Insert(node);
  Node* out[16];
  for (auto _ : state) benchmark::DoNotOptimize(d.SampleNodes(out, 16));
  d.Clear([](Node* node) { delete node; });
}
BENCHMARK(BM_SampleNodes);

}  // namespace

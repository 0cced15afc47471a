// list_type_bench.cc: the list type API on both encodings: push/pop at steady size, a full walk,
// an index in the middle, LREM, and the cost of crossing the listpack/quicklist threshold (layer:
// db). The argument is the list length: 10 and 100 stay listpacks, 1,000 and more are
// quicklists under the default list-max-listpack-size (-2, 8 KiB per node).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "mnemo/db/db.h"
#include "mnemo/db/list_type.h"

namespace {

using mnemo::db::Keyspace;
using mnemo::db::ListDirection;
using mnemo::db::ListEnd;
using mnemo::db::Object;

std::string Value(size_t i) { return "element:" + std::to_string(i); }

// A list object of n elements (not in any Db); freed by FreeObject.
Object* MakeList(const Keyspace& ks, size_t n) {
  Object* o = mnemo::db::NewListObject(ks, "bench");
  for (size_t i = 0; i < n; ++i) mnemo::db::ListPush(o, ks.options(), Value(i), ListEnd::kTail);
  return o;
}

const char* EncodingOf(const Object* o) { return mnemo::db::EncodingName(o->encoding()); }

// LPUSH + RPOP at steady size (a queue).
void BM_ListPushPop(benchmark::State& state) {
  Keyspace ks(1);
  Object* o = MakeList(ks, static_cast<size_t>(state.range(0)));
  const std::string v = Value(7);
  for (auto _ : state) {
    mnemo::db::ListPush(o, ks.options(), v, ListEnd::kHead);
    benchmark::DoNotOptimize(mnemo::db::ListPop(o, ks.options(), ListEnd::kTail));
  }
  state.SetLabel(EncodingOf(o));
  mnemo::db::FreeObject(o);
}
BENCHMARK(BM_ListPushPop)->Arg(10)->Arg(100)->Arg(1000)->Arg(100000);

// LRANGE 0 -1: a walk over every element. Time per element.
void BM_ListWalk(benchmark::State& state) {
  Keyspace ks(1);
  const size_t n = static_cast<size_t>(state.range(0));
  Object* o = MakeList(ks, n);
  for (auto _ : state) {
    mnemo::db::ListIterator it(*o, 0, ListDirection::kHeadToTail);
    size_t bytes = 0;
    while (it.Next()) bytes += it.Value().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetLabel(EncodingOf(o));
  mnemo::db::FreeObject(o);
}
BENCHMARK(BM_ListWalk)->Arg(10)->Arg(100)->Arg(1000)->Arg(100000);

// LINDEX of the middle element.
void BM_ListIndexMiddle(benchmark::State& state) {
  Keyspace ks(1);
  const size_t n = static_cast<size_t>(state.range(0));
  Object* o = MakeList(ks, n);
  for (auto _ : state) {
    mnemo::db::ListIterator it(*o, static_cast<int64_t>(n / 2), ListDirection::kHeadToTail);
    it.Next();
    benchmark::DoNotOptimize(it.Value());
  }
  state.SetLabel(EncodingOf(o));
  mnemo::db::FreeObject(o);
}
BENCHMARK(BM_ListIndexMiddle)->Arg(10)->Arg(100)->Arg(1000)->Arg(100000);

// LREM 1 of an element in the middle, then RPUSH it back (the list keeps its size).
void BM_ListRemoveMiddle(benchmark::State& state) {
  Keyspace ks(1);
  const size_t n = static_cast<size_t>(state.range(0));
  Object* o = MakeList(ks, n);
  const std::string v = Value(n / 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(mnemo::db::ListRemove(o, ks.options(), v, 1));
    mnemo::db::ListPush(o, ks.options(), v, ListEnd::kTail);
  }
  state.SetLabel(EncodingOf(o));
  mnemo::db::FreeObject(o);
}
BENCHMARK(BM_ListRemoveMiddle)->Arg(10)->Arg(100)->Arg(1000);

// Grows a list one element past the listpack limit (a conversion to quicklist) and pops it back
// to half the limit (ListAfterRemove converts back), at list-max-listpack-size 16 (a count
// limit): the price of one round trip between the encodings, with the pushes and pops it takes.
void BM_ListConversionRoundTrip(benchmark::State& state) {
  Keyspace ks(1);
  ks.options().list_max_listpack_size = 16;
  mnemo::db::Db& d = ks.db(0);
  Object* o = MakeList(ks, 8);  // 8 = 16 / 2: at the shrinking threshold
  d.Add(o);
  const std::string v = Value(1);
  for (auto _ : state) {
    for (int i = 0; i < 9; ++i) mnemo::db::ListPush(o, ks.options(), v, ListEnd::kTail);  // 17
    for (int i = 0; i < 9; ++i) mnemo::db::ListPop(o, ks.options(), ListEnd::kTail);
    mnemo::db::ListAfterRemove(d, o);
  }
  state.SetLabel(EncodingOf(o));
  d.Delete("bench", false);
}
BENCHMARK(BM_ListConversionRoundTrip);

}  // namespace

// hash_type_bench.cc: HSET and HGET through the hash type API, on the listpack and hashtable
// encodings, with the memory each field costs as a counter (layer: db).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "mnemo/db/db.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/value.h"

namespace {

using mnemo::db::Object;

// 9-byte fields and values, as in the memory comparison with Redis.
std::vector<std::string> Names(char prefix, size_t n) {
  std::vector<std::string> v;
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%c%08zu", prefix, i);
    v.emplace_back(buf);
  }
  return v;
}

// A hash of `n` fields; listpack while n <= 512 (the default threshold), hashtable above.
struct Fixture {
  explicit Fixture(size_t n) : ks(1), fields(Names('f', n)), values(Names('v', n)) {
    o = mnemo::db::NewHashObject(ks, "bench");
    for (size_t i = 0; i < n; ++i) mnemo::db::HashSet(ks, o, fields[i], values[i]);
  }
  ~Fixture() { mnemo::db::FreeObject(o); }
  // The object block and the value's allocations (exact), per field.
  double BytesPerField() const {
    const size_t bytes = o->BlockSize() + mnemo::db::ValueMemoryUsage(mnemo::db::ValueOf(*o), 0);
    return static_cast<double>(bytes) / static_cast<double>(mnemo::db::HashLength(*o));
  }
  mnemo::db::Keyspace ks;
  std::vector<std::string> fields;
  std::vector<std::string> values;
  Object* o = nullptr;
};

void Report(benchmark::State& state, const Fixture& f) {
  state.counters["bytes_per_field"] = f.BytesPerField();
  state.SetLabel(mnemo::db::EncodingName(f.o->encoding()));
  state.SetItemsProcessed(state.iterations());
}

// HSET of an existing field with a value of the same size (the common update).
void BM_HsetUpdate(benchmark::State& state) {
  Fixture f(static_cast<size_t>(state.range(0)));
  const std::vector<std::string> other = Names('w', f.fields.size());
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mnemo::db::HashSet(f.ks, f.o, f.fields[i], other[i]));
    if (++i == f.fields.size()) i = 0;
  }
  Report(state, f);
}
BENCHMARK(BM_HsetUpdate)->Arg(8)->Arg(128)->Arg(512)->Arg(1000)->Arg(100000);

// HSET of new fields into a hash that starts with range(0) fields; every 65,536 inserts they are
// deleted again (untimed).
void BM_HsetInsert(benchmark::State& state) {
  Fixture f(static_cast<size_t>(state.range(0)));
  const std::vector<std::string> extra = Names('n', 1 << 16);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mnemo::db::HashSet(f.ks, f.o, extra[i], extra[i]));
    if (++i == extra.size()) {
      state.PauseTiming();
      for (const std::string& e : extra) mnemo::db::HashDelete(f.o, e);
      i = 0;
      state.ResumeTiming();
    }
  }
  Report(state, f);
}
BENCHMARK(BM_HsetInsert)->Arg(1000)->Arg(100000);

// HGET of present fields, in order.
void BM_HgetHit(benchmark::State& state) {
  Fixture f(static_cast<size_t>(state.range(0)));
  mnemo::db::HashValueBuffer buf;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mnemo::db::HashGet(*f.o, f.fields[i], buf));
    if (++i == f.fields.size()) i = 0;
  }
  Report(state, f);
}
BENCHMARK(BM_HgetHit)->Arg(8)->Arg(128)->Arg(512)->Arg(1000)->Arg(100000);

// HGET of absent fields: a listpack compares every field.
void BM_HgetMiss(benchmark::State& state) {
  Fixture f(static_cast<size_t>(state.range(0)));
  const std::vector<std::string> absent = Names('x', 1024);
  mnemo::db::HashValueBuffer buf;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mnemo::db::HashGet(*f.o, absent[i], buf));
    i = (i + 1) & 1023;
  }
  Report(state, f);
}
BENCHMARK(BM_HgetMiss)->Arg(8)->Arg(512)->Arg(100000);

}  // namespace

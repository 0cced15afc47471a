// evict.cc: the eviction pool and the eviction loop (layer: db). The algorithm is described in
// evict.h.
#include "mnemo/db/evict.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "mnemo/base/clock.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/value.h"

namespace mnemo::db {

Evictor::Evictor(Keyspace& keyspace, std::function<size_t()> used_memory)
    : keyspace_(keyspace), used_memory_(std::move(used_memory)) {
  for (PoolEntry& e : pool_) e.key.reserve(kCachedKeySize);
}

int64_t Evictor::TimeBudgetUs(int64_t tenacity) {
  // 0..10: linear 0..500 us; then +15% per step (about two minutes at 99); 100: no limit.
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return INT64_MAX;
}

uint64_t Evictor::Score(const Object* o) const {
  const Options& opts = keyspace_.options();
  if (IsLfu(opts.maxmemory_policy)) {
    return 255 - LfuDecayedCounter(o->lru(), keyspace_.now_ms(), opts.lfu_decay_time);
  }
  if (opts.maxmemory_policy == EvictionPolicy::kVolatileTtl) {
    return UINT64_MAX - static_cast<uint64_t>(o->expire_ms());  // nearest expiry scores highest
  }
  return static_cast<uint64_t>(EstimateIdleMs(o->lru(), keyspace_.lru_clock()));
}

void Evictor::Populate(Db& db, bool all_keys) {
  constexpr size_t kMaxSamples = 64;  // maxmemory-samples is bounded to 64 by the config
  Object* samples[kMaxSamples];
  size_t want = static_cast<size_t>(keyspace_.options().maxmemory_samples);
  if (want > kMaxSamples) want = kMaxSamples;
  const size_t n =
      all_keys ? db.keys().SampleNodes(samples, want) : db.SampleVolatile(samples, want);
  for (size_t j = 0; j < n; ++j) {
    const Object* o = samples[j];
    const uint64_t score = Score(o);
    // Find the first slot that is empty or holds a worse (lower-scored) candidate.
    int k = 0;
    while (k < kPoolSize && pool_[k].used && pool_[k].score < score) ++k;
    if (k == 0 && pool_[kPoolSize - 1].used) continue;  // worse than everything in a full pool
    if (k < kPoolSize && !pool_[k].used) {
      // An empty slot: insert here.
    } else if (!pool_[kPoolSize - 1].used) {
      // Room on the right: shift k.. right by one. The shifted string buffers move along, so
      // the reserved capacity is kept (std::string move keeps the buffer).
      PoolEntry spare = std::move(pool_[kPoolSize - 1]);
      for (int i = kPoolSize - 1; i > k; --i) pool_[i] = std::move(pool_[i - 1]);
      pool_[k] = std::move(spare);
    } else {
      // Full: drop the worst (index 0) and insert at k - 1.
      --k;
      PoolEntry spare = std::move(pool_[0]);
      for (int i = 0; i < k; ++i) pool_[i] = std::move(pool_[i + 1]);
      pool_[k] = std::move(spare);
    }
    PoolEntry& e = pool_[k];
    e.key.assign(o->key());
    e.score = score;
    e.db = db.id();
    e.used = true;
  }
}

Object* Evictor::PopBest(int* db_index, bool all_keys) {
  for (int k = kPoolSize - 1; k >= 0; --k) {
    PoolEntry& e = pool_[k];
    if (!e.used) continue;
    e.used = false;
    Db& db = keyspace_.db(e.db);
    // The candidate may have been deleted (or lost its TTL) since it was sampled.
    Object* o = db.keys().Find(e.key);
    if (o != nullptr && !all_keys && !o->has_expire()) o = nullptr;
    if (e.key.capacity() > kCachedKeySize) {
      std::string().swap(e.key);  // a huge key: give its buffer back
      e.key.reserve(kCachedKeySize);
    }
    if (o != nullptr) {
      *db_index = e.db;
      return o;
    }
  }
  return nullptr;
}

void Evictor::EvictObject(int db_index, Object* o) {
  Db& db = keyspace_.db(db_index);
  const bool lazy = keyspace_.options().lazyfree_lazy_eviction;
  db.Detach(o);
  // Announced while the key's block is alive (Redis performEvictions: the modified signal, the
  // "evicted" event, the propagated deletion).
  Changes& ch = keyspace_.changes();
  ch.Modified(db, o->key());
  ch.Event(kNotifyEvicted, "evicted", db, o->key());
  ch.PropagateDeletion(db, o->key(), lazy);
  // The deletion alone is timed (Redis's "eviction-del"): a big value freed here stalls the
  // server, which lazyfree-lazy-eviction avoids.
  const bool timed = latency_ != nullptr && latency_->enabled();
  const int64_t start = timed ? MonotonicUs() : 0;
  db.Dispose(o, lazy);
  if (timed) {
    latency_->AddSampleIfNeeded("eviction-del", (MonotonicUs() - start) / 1000,
                                UnixTimeMs() / 1000);
  }
  ++keyspace_.stats().evicted_keys;
}

void Evictor::ClearPool() {
  for (PoolEntry& e : pool_) e.used = false;
}

void Evictor::NoteOverLimit(bool over) {
  const int64_t now = MonotonicUs();
  if (over) {
    if (over_since_us_ == 0) over_since_us_ = now;
  } else if (over_since_us_ != 0) {
    total_over_us_ += static_cast<uint64_t>(now - over_since_us_);
    over_since_us_ = 0;
  }
}

uint64_t Evictor::current_exceeded_us() const {
  return over_since_us_ == 0 ? 0 : static_cast<uint64_t>(MonotonicUs() - over_since_us_);
}

uint64_t Evictor::total_exceeded_us() const { return total_over_us_ + current_exceeded_us(); }

void Evictor::ResetStats() {
  total_over_us_ = 0;
  if (over_since_us_ != 0) over_since_us_ = MonotonicUs();
}

Evictor::Result Evictor::Perform() {
  const Options& opts = keyspace_.options();
  const uint64_t limit = opts.maxmemory;
  if (limit == 0 || used_memory_() <= limit) {
    pending_ = false;
    NoteOverLimit(false);
    return Result::kOk;
  }
  NoteOverLimit(true);
  if (opts.maxmemory_policy == EvictionPolicy::kNoEviction) {
    pending_ = false;
    return Result::kFail;
  }
  const bool all_keys = !IsVolatile(opts.maxmemory_policy);
  const bool random = opts.maxmemory_policy == EvictionPolicy::kAllkeysRandom ||
                      opts.maxmemory_policy == EvictionPolicy::kVolatileRandom;
  const int64_t budget = TimeBudgetUs(opts.maxmemory_eviction_tenacity);
  const int64_t start = MonotonicUs();
  uint64_t evicted = 0;
  while (used_memory_() > limit) {
    Object* victim = nullptr;
    int victim_db = 0;
    if (random) {
      // RandomVolatile may meet no volatile key in one call where they are rare; its scan goes
      // on at the next call, so this ends within a sweep of the table.
      bool any = true;
      while (victim == nullptr && any) {
        any = false;
        for (int i = 0; i < keyspace_.num_dbs() && victim == nullptr; ++i) {
          next_db_ = (next_db_ + 1) % keyspace_.num_dbs();
          Db& db = keyspace_.db(next_db_);
          if ((all_keys ? db.size() : db.expires_size()) == 0) continue;
          any = true;
          victim = all_keys ? db.keys().RandomNode() : db.RandomVolatile();
          victim_db = next_db_;
        }
      }
    } else {
      while (victim == nullptr) {
        size_t candidates = 0;
        for (int i = 0; i < keyspace_.num_dbs(); ++i) {
          Db& db = keyspace_.db(i);
          const size_t n = all_keys ? db.size() : db.expires_size();
          if (n == 0) continue;
          candidates += n;
          Populate(db, all_keys);
        }
        if (candidates == 0) break;
        victim = PopBest(&victim_db, all_keys);
      }
    }
    if (victim == nullptr) {
      // Nothing left to evict. Values already handed to the lazy-free thread still count; wait
      // for them a little, within the budget.
      while (keyspace_.lazyfree().pending_objects() > 0 && used_memory_() > limit &&
             MonotonicUs() - start < budget) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      if (used_memory_() <= limit) break;
      pending_ = false;
      return Result::kFail;
    }
    EvictObject(victim_db, victim);
    ++evicted;
    if (evicted % 16 == 0 && MonotonicUs() - start > budget) {
      pending_ = used_memory_() > limit;
      if (!pending_) NoteOverLimit(false);  // this very eviction brought memory under the limit
      return pending_ ? Result::kRunning : Result::kOk;
    }
  }
  pending_ = false;
  NoteOverLimit(used_memory_() > limit);
  return Result::kOk;
}

Evictor::Result Evictor::RunPending() {
  if (!pending_) return Result::kOk;
  return Perform();
}

}  // namespace mnemo::db

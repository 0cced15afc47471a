// evict.h: keeping used memory under maxmemory by evicting keys (layer: db).
//
// How a victim is chosen (Redis's approximated LRU/LFU, evict.c):
// exact LRU would need a global ordering of keys (16+ bytes per key for a list); instead each
// round samples `maxmemory-samples` keys from every database (the whole keyspace, or only keys
// with a TTL under volatile-* policies), scores each (idle time for LRU, 255 - decayed counter
// for LFU, the negated expiry time for volatile-ttl) and merges them into a pool of the 16 best
// candidates seen so far. The pool survives between rounds, so good candidates found earlier
// are not forgotten: with 10 samples this tracks true LRU closely at no memory cost per key. The
// best candidate still present is evicted (the pool holds key names: a candidate deleted in the
// meantime is skipped). Random policies pick a random key of the next database in turn.
//
// How long it runs: eviction stops as soon as used memory is at most maxmemory. A single call
// works for at most a time budget derived from maxmemory-eviction-tenacity (500 us at the
// default 10; 0 means "evict only a little"; 100 means "until done"), checked every 16 keys; if
// memory is still above the limit, the call reports kRunning and the server's cron continues
// (RunPending) until it is not. A command that may grow memory is refused with -OOM only when
// nothing can be evicted (kFail).
//
// Lazy eviction (lazyfree-lazy-eviction): big evicted values are freed on the lazy-free thread.
// Their bytes stay in used_memory until freed, so they keep counting against the limit: the
// eviction loop does not stop early because a free was merely scheduled; if nothing is left to
// evict while frees are pending it waits for them, within its time budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "mnemo/base/latency_monitor.h"
#include "mnemo/db/db.h"

namespace mnemo::db {

class Evictor {
 public:
  enum class Result { kOk, kRunning, kFail };

  // The size of the candidate pool (Redis EVPOOL_SIZE).
  static constexpr int kPoolSize = 16;
  // Keys up to this length are copied into the pool without allocating (Redis
  // EVPOOL_CACHED_SDS_SIZE).
  static constexpr size_t kCachedKeySize = 255;

  // `used_memory` returns the memory counted against maxmemory (used_memory minus what Redis
  // does not count for eviction).
  Evictor(Keyspace& keyspace, std::function<size_t()> used_memory);
  Evictor(const Evictor&) = delete;
  Evictor& operator=(const Evictor&) = delete;

  // Evicts until memory is within maxmemory or the time budget is spent. kOk: within the limit
  // (or no limit). kRunning: still above, the cron will continue. kFail: above the limit and
  // nothing can be evicted (noeviction, or no candidate keys).
  Result Perform();
  // True while a previous Perform ran out of time with memory still above the limit.
  bool pending() const { return pending_; }
  // Continues unfinished eviction from the cron. Returns the result of the round.
  Result RunPending();

  // Microseconds spent above the limit in total and in the current stretch (INFO stats
  // total_eviction_exceeded_time, current_eviction_exceeded_time, in milliseconds there).
  uint64_t total_exceeded_us() const;
  uint64_t current_exceeded_us() const;
  void ResetStats();

  // Forgets the pool (called when the policy changes: scores of different policies do not
  // compare). Entries of deleted keys need no clearing: they are skipped as ghosts.
  void ClearPool();

  // Where a slow deletion of an evicted key is recorded (the latency monitor's "eviction-del"
  // event); null: nowhere.
  void set_latency_monitor(LatencyMonitor* m) { latency_ = m; }

  // The time budget of one Perform call for a tenacity 0..100 (exposed for tests).
  static int64_t TimeBudgetUs(int64_t tenacity);

 private:
  struct PoolEntry {
    uint64_t score = 0;  // higher = better candidate
    int db = 0;
    bool used = false;
    std::string key;  // reserved to kCachedKeySize up front: no allocation per insert
  };

  // Samples one database's table and merges the samples into the pool.
  void Populate(Db& db, bool all_keys);
  // Pops the best candidate that still exists; returns its object and db, or null.
  Object* PopBest(int* db_index, bool all_keys);
  uint64_t Score(const Object* o) const;
  // Deletes `o` from database `db_index` for eviction and counts it in evicted_keys.
  void EvictObject(int db_index, Object* o);
  void NoteOverLimit(bool over);

  Keyspace& keyspace_;
  std::function<size_t()> used_memory_;
  LatencyMonitor* latency_ = nullptr;
  PoolEntry pool_[kPoolSize];
  int next_db_ = 0;  // round robin for random policies
  bool pending_ = false;
  // Time spent over the limit.
  int64_t over_since_us_ = 0;  // 0 when under the limit
  uint64_t total_over_us_ = 0;
};

}  // namespace mnemo::db

// lazyfree.h: frees big values on a background thread so the event loop never stalls on a
// large DEL, UNLINK, FLUSHALL ASYNC or eviction (layer: db).
//
// Only memory is released on the thread: the values handed over are unreachable from the
// keyspace. The allocation counter stays exact because each thread counts into its own slot
// (mem/zmalloc.h). Until the thread gets to a value, its bytes are still in used_memory, so
// maxmemory sees them as used.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "mnemo/db/value.h"

namespace mnemo::db {

class LazyFree {
 public:
  // Values whose FreeEffort is above this go to the thread; smaller ones are freed inline
  // (handing them over would cost more than freeing them). Redis LAZYFREE_THRESHOLD.
  static constexpr size_t kThreshold = 64;

  LazyFree();
  LazyFree(const LazyFree&) = delete;
  LazyFree& operator=(const LazyFree&) = delete;
  // Finishes the queued work, then stops the thread.
  ~LazyFree();

  // Frees `v` on the background thread. `objects` is how many objects the job frees (for
  // lazyfree_pending_objects and lazyfreed_objects).
  void FreeValueAsync(const ValueRef& v);
  // Runs `job` on the background thread (for example: free a whole detached table). `objects`
  // is the number of objects it frees.
  void Submit(std::function<void()> job, size_t objects);

  // Objects queued and not yet freed (INFO lazyfree_pending_objects).
  size_t pending_objects() const { return pending_.load(std::memory_order_relaxed); }
  // Objects freed by the thread since start (INFO lazyfreed_objects).
  size_t freed_objects() const { return freed_.load(std::memory_order_relaxed); }
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }
  // Blocks until the queue is empty (tests, shutdown).
  void Drain();

 private:
  struct Job {
    std::function<void()> work;
    size_t objects;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;       // signals the thread: work or stop
  std::condition_variable idle_cv_;  // signals Drain: queue empty
  std::deque<Job> queue_;
  bool stop_ = false;
  bool busy_ = false;
  std::atomic<size_t> pending_{0};
  std::atomic<size_t> freed_{0};
  std::thread thread_;
};

}  // namespace mnemo::db

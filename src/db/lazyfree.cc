// lazyfree.cc: the background free thread (layer: db).
#include "mnemo/db/lazyfree.h"

#include <pthread.h>

namespace mnemo::db {

LazyFree::LazyFree() : thread_([this] { Run(); }) {}

LazyFree::~LazyFree() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LazyFree::FreeValueAsync(const ValueRef& v) {
  Submit([v] { FreeValue(v); }, 1);
}

void LazyFree::Submit(std::function<void()> job, size_t objects) {
  pending_.fetch_add(objects, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Job{std::move(job), objects});
  }
  cv_.notify_one();
}

void LazyFree::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void LazyFree::Run() {
  pthread_setname_np(pthread_self(), "lazyfree");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    job.work();
    job.work = nullptr;  // release the closure's captures on this thread too
    pending_.fetch_sub(job.objects, std::memory_order_relaxed);
    freed_.fetch_add(job.objects, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace mnemo::db

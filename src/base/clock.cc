// clock.cc: clocks (layer: base).
#include "mnemo/base/clock.h"

#include <atomic>
#include <chrono>

namespace mnemo {

namespace {

int64_t WallMinusMonotonicNs() {
  using namespace std::chrono;
  const int64_t wall = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  return wall - MonotonicNs();
}

std::atomic<int64_t> g_wall_minus_mono_ns{WallMinusMonotonicNs()};

}  // namespace

int64_t UnixTimeMsAt(int64_t mono_ns) {
  return (mono_ns + g_wall_minus_mono_ns.load(std::memory_order_relaxed)) / 1000000;
}

void SyncWallClock() {
  g_wall_minus_mono_ns.store(WallMinusMonotonicNs(), std::memory_order_relaxed);
}

int64_t UnixTimeMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t UnixTimeUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t MonotonicUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t MonotonicNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace mnemo

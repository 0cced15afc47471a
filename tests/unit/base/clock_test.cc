// clock_test.cc: the wall clock derived from the monotonic one (layer: base).
#include "mnemo/base/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace mnemo {
namespace {

// UnixTimeMsAt(now) is the wall clock now, to the millisecond (read before and after: the
// derived time lies between them), before and after a sync, and it follows the monotonic
// reading it is given: 250 ms later on that clock is 250 ms later on the wall.
TEST(ClockTest, WallClockDerivedFromMonotonicMatchesTheWallClock) {
  for (int sync = 0; sync < 2; ++sync) {
    if (sync == 1) SyncWallClock();
    const int64_t before = UnixTimeMs();
    const int64_t mono = MonotonicNs();
    const int64_t derived = UnixTimeMsAt(mono);
    const int64_t after = UnixTimeMs();
    EXPECT_GE(derived, before - 1) << sync;
    EXPECT_LE(derived, after + 1) << sync;
    EXPECT_EQ(UnixTimeMsAt(mono + 250'000'000), derived + 250);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t later = UnixTimeMsAt(MonotonicNs());
  EXPECT_GE(later - UnixTimeMs(), -2);
  EXPECT_LE(later - UnixTimeMs(), 2);
}

}  // namespace
}  // namespace mnemo

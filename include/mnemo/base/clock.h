// clock.h: wall and monotonic clocks in the units the server uses (layer: base).
#pragma once

#include <cstdint>

namespace mnemo {

// Milliseconds and microseconds since the Unix epoch (wall clock; may jump).
int64_t UnixTimeMs();
int64_t UnixTimeUs();
// Microseconds from an arbitrary origin; never goes backwards. For durations and budgets.
int64_t MonotonicUs();
// Nanoseconds from the same kind of origin, for latency histograms.
int64_t MonotonicNs();

// UnixTimeMs() as it was at the monotonic reading `mono_ns`, from the difference between the
// two clocks taken at start and at each SyncWallClock (the server cron, 10 times a second): a
// command that reads the monotonic clock for its latency gets its wall clock without a second
// read. A step of the wall clock (settimeofday, NTP) shows at the next sync; thread-safe.
int64_t UnixTimeMsAt(int64_t mono_ns);
void SyncWallClock();

}  // namespace mnemo

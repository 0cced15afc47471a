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

}  // namespace mnemo

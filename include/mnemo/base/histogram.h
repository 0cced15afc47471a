// histogram.h: a log-linear histogram of durations, for latency percentiles (layer: base).
//
// Values are nanoseconds. Below 64 every value has its own bucket; above, each power of two is
// split into 32 buckets, so a bucket is at most 1/32 (3.1%) wider than its lowest value. Values
// past 2^35 ns (34 s) count in the last bucket. That is 1,024 counters and nothing else: 8 KiB,
// one jemalloc size class exactly, about a third of the HdrHistogram Redis keeps per command
// (two significant digits over 1 ns .. 1 s).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mnemo {

class LatencyHistogram {
 public:
  static constexpr int kLinearBits = 6;      // 64 exact buckets, then 32 per power of two
  static constexpr int kMaxExponent = 35;    // the last power of two that has buckets
  static constexpr size_t kBuckets = (1u << kLinearBits) +
                                     (kMaxExponent - kLinearBits + 1) * (1u << (kLinearBits - 1));

  void Record(uint64_t ns) { ++counts_[BucketOf(ns)]; }
  // The number of values recorded (a sum over the buckets).
  uint64_t count() const;

  // The value at `percentile` (0 to 100) as HdrHistogram's hdr_value_at_percentile computes it:
  // the highest value of the bucket holding the ceil-rounded rank percentile * count / 100 (at
  // least the first value). 0 when nothing was recorded.
  uint64_t ValueAtPercentile(double percentile) const;

  // The number of values recorded below `ns`: exact when `ns` is where a bucket starts (0 to
  // 64, and every power of two); otherwise the values of the bucket holding `ns` are left out.
  uint64_t CountBelow(uint64_t ns) const;

  // The bucket of `ns`, and the lowest and highest value a bucket holds (exposed for tests).
  static size_t BucketOf(uint64_t ns);
  static uint64_t LowestIn(size_t bucket);
  static uint64_t HighestIn(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
};
static_assert(sizeof(LatencyHistogram) == 8192);

}  // namespace mnemo

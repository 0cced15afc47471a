// histogram_test.cc: the log-linear latency histogram against exact percentiles (layer: base).
#include "mnemo/base/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace mnemo {
namespace {

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  EXPECT_EQ(LatencyHistogram::kBuckets, 1024u);
  for (size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
    const uint64_t lo = LatencyHistogram::LowestIn(b);
    const uint64_t hi = LatencyHistogram::HighestIn(b);
    ASSERT_LE(lo, hi) << b;
    EXPECT_EQ(LatencyHistogram::BucketOf(lo), b) << b;
    EXPECT_EQ(LatencyHistogram::BucketOf(hi), b) << b;
    if (b + 1 < LatencyHistogram::kBuckets) {
      EXPECT_EQ(LatencyHistogram::LowestIn(b + 1), hi + 1) << b;
    }
    // Width at most 1/32 of the lowest value (exact below 64).
    if (lo >= 64) {
      EXPECT_LE(static_cast<double>(hi - lo + 1) / static_cast<double>(lo), 1.0 / 32) << b;
    } else {
      EXPECT_EQ(lo, hi);
    }
  }
  // Values past the last bucket count in it.
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::HighestIn(LatencyHistogram::kBuckets - 1), (1ULL << 36) - 1);
}

TEST(LatencyHistogramTest, EmptyAndSingleValue) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  h.Record(37);
  EXPECT_EQ(h.count(), 1u);
  for (double p : {0.0, 50.0, 99.9, 100.0}) EXPECT_EQ(h.ValueAtPercentile(p), 37u) << p;
  h.Record(1000000);  // 1 ms: in a 32 ns wide bucket
  EXPECT_EQ(h.ValueAtPercentile(0), 37u);
  EXPECT_EQ(h.ValueAtPercentile(50), 37u);  // rank round(0.5 * 2) = 1
  const uint64_t top = h.ValueAtPercentile(100);
  EXPECT_GE(top, 1000000u);
  EXPECT_LT(top, 1000000u + 1000000u / 32);
}

// Against the exact percentiles of a seeded, skewed sample: never below the exact value (the
// bucket's highest value is reported) and within a bucket's width above it.
TEST(LatencyHistogramTest, PercentilesWithinABucketOfTheExactValue) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(20000.0), 1.2);  // around 20 us
  LatencyHistogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(latency(rng)) + 1;
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size()) + 0.5);
    rank = std::max<size_t>(rank, 1);
    const uint64_t exact = values[rank - 1];
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + 1.0 / 32) + 1) << p;
  }
}

}  // namespace
}  // namespace mnemo

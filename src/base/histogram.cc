// histogram.cc: a log-linear histogram of durations (layer: base).
#include "mnemo/base/histogram.h"

#include <bit>
#include <cmath>

namespace mnemo {

namespace {

constexpr uint64_t kLinear = uint64_t{1} << LatencyHistogram::kLinearBits;
constexpr uint64_t kPerOctave = kLinear / 2;
constexpr uint64_t kMaxValue = (uint64_t{1} << (LatencyHistogram::kMaxExponent + 1)) - 1;

}  // namespace

size_t LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns > kMaxValue) ns = kMaxValue;
  if (ns < kLinear) return static_cast<size_t>(ns);
  // The top kLinearBits bits of ns: its octave and its place within it.
  const int exponent = std::bit_width(ns) - 1;  // >= kLinearBits
  const int shift = exponent - (kLinearBits - 1);
  const uint64_t top = ns >> shift;  // in [kPerOctave, kLinear)
  return static_cast<size_t>(kLinear + (exponent - kLinearBits) * kPerOctave + (top - kPerOctave));
}

uint64_t LatencyHistogram::LowestIn(size_t bucket) {
  if (bucket < kLinear) return bucket;
  const uint64_t octave = (bucket - kLinear) / kPerOctave;  // 0 for [64, 128)
  const uint64_t place = (bucket - kLinear) % kPerOctave;
  const int shift = static_cast<int>(octave) + 1;
  return (kPerOctave + place) << shift;
}

uint64_t LatencyHistogram::HighestIn(size_t bucket) {
  if (bucket < kLinear) return bucket;
  const uint64_t octave = (bucket - kLinear) / kPerOctave;
  return LowestIn(bucket) + (uint64_t{1} << (octave + 1)) - 1;
}

uint64_t LatencyHistogram::count() const {
  uint64_t n = 0;
  for (const uint64_t c : counts_) n += c;
  return n;
}

uint64_t LatencyHistogram::CountBelow(uint64_t ns) const {
  uint64_t n = 0;
  for (size_t b = 0; b < kBuckets && HighestIn(b) < ns; ++b) n += counts_[b];
  return n;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  const uint64_t total = count();
  if (total == 0) return 0;
  if (percentile > 100.0) percentile = 100.0;
  if (percentile < 0.0) percentile = 0.0;
  auto rank = static_cast<uint64_t>(percentile / 100.0 * static_cast<double>(total) + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) return HighestIn(b);
  }
  return HighestIn(kBuckets - 1);
}

}  // namespace mnemo

// latency_monitor.h: the latency monitor: named events (a slow command, an expire cycle, an
// eviction) and, per event, its last 160 spikes above a threshold, one per second (layer: base).
//
// Redis's model (latency.c, the LATENCY command): nothing is recorded while the threshold
// (latency-monitor-threshold, milliseconds) is 0; otherwise a duration at or above it is a
// sample of its event. An event keeps a ring of 160 samples of (Unix second, milliseconds):
// a second sample in the same second only raises that second's value, so the ring covers at
// least the last 160 spikes' seconds. Each event also keeps its all-time maximum. Events are
// made by their first sample and forgotten by a reset.
//
// Memory: one event is its name and 160 * 8 + 16 bytes of samples (a 1,536-byte jemalloc
// class with the map node), made only when something was slow; ForEachAllocation lists it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"

namespace mnemo {

class LatencyMonitor {
 public:
  // Redis LATENCY_TS_LEN.
  static constexpr size_t kSamples = 160;

  struct Sample {
    int32_t time = 0;      // Unix seconds; 0: an unused slot
    uint32_t latency = 0;  // milliseconds
  };
  static_assert(sizeof(Sample) == 8);

  // One event's samples. `next` is the slot the next new second goes to, so the samples in
  // time order are next, next+1, ... (mod kSamples), skipping unused slots.
  struct Series {
    std::array<Sample, kSamples> samples{};
    uint32_t next = 0;
    uint32_t max = 0;  // the highest latency ever recorded (until a reset)

    // The used samples, oldest first.
    std::vector<Sample> InOrder() const;
    // The newest sample. REQUIRES: at least one sample.
    const Sample& Latest() const;
  };

  LatencyMonitor() = default;
  LatencyMonitor(const LatencyMonitor&) = delete;
  LatencyMonitor& operator=(const LatencyMonitor&) = delete;

  // latency-monitor-threshold in milliseconds; 0 turns the monitor off (samples already kept
  // stay, as in Redis).
  void set_threshold_ms(int64_t ms) { threshold_ms_ = ms; }
  int64_t threshold_ms() const { return threshold_ms_; }
  bool enabled() const { return threshold_ms_ > 0; }

  // Records `latency_ms` for `event` at Unix second `now_s` iff the monitor is on and the
  // latency is at least the threshold (Redis latencyAddSampleIfNeeded).
  void AddSampleIfNeeded(std::string_view event, int64_t latency_ms, int64_t now_s) {
    if (threshold_ms_ > 0 && latency_ms >= threshold_ms_) AddSample(event, latency_ms, now_s);
  }
  // Records unconditionally (the threshold is the caller's business).
  void AddSample(std::string_view event, int64_t latency_ms, int64_t now_s);

  // Events with their samples, by name.
  const std::map<std::string, Series, std::less<>>& events() const { return events_; }
  // The event named `event`, or null.
  const Series* Find(std::string_view event) const;
  // Forgets `event`; returns whether it existed (LATENCY RESET event ...).
  bool Reset(std::string_view event);
  // Forgets every event; returns how many there were.
  size_t ResetAll();

  // Calls fn(bytes) for every heap block the monitor holds, with the size asked of the
  // allocator (the map nodes and the event names); the caller rounds to size classes.
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

 private:
  int64_t threshold_ms_ = 0;
  std::map<std::string, Series, std::less<>> events_;
};

}  // namespace mnemo

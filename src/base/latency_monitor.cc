// latency_monitor.cc: latency events and their sample rings (layer: base).
#include "mnemo/base/latency_monitor.h"

#include <algorithm>
#include <limits>

#include "mnemo/base/strings.h"

namespace mnemo {

std::vector<LatencyMonitor::Sample> LatencyMonitor::Series::InOrder() const {
  std::vector<Sample> out;
  for (size_t i = 0; i < kSamples; ++i) {
    const Sample& s = samples[(next + i) % kSamples];
    if (s.time != 0) out.push_back(s);
  }
  return out;
}

const LatencyMonitor::Sample& LatencyMonitor::Series::Latest() const {
  return samples[(next + kSamples - 1) % kSamples];
}

void LatencyMonitor::AddSample(std::string_view event, int64_t latency_ms, int64_t now_s) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  const auto latency = static_cast<uint32_t>(
      std::clamp<int64_t>(latency_ms, 0, std::numeric_limits<uint32_t>::max()));
  const auto time = static_cast<int32_t>(now_s);
  s.max = std::max(s.max, latency);
  // One sample per second: a later spike in the same second only raises it.
  Sample& prev = s.samples[(s.next + kSamples - 1) % kSamples];
  if (prev.time == time) {
    prev.latency = std::max(prev.latency, latency);
    return;
  }
  s.samples[s.next] = Sample{time, latency};
  s.next = static_cast<uint32_t>((s.next + 1) % kSamples);
}

const LatencyMonitor::Series* LatencyMonitor::Find(std::string_view event) const {
  auto it = events_.find(event);
  return it == events_.end() ? nullptr : &it->second;
}

bool LatencyMonitor::Reset(std::string_view event) {
  auto it = events_.find(event);
  if (it == events_.end()) return false;
  events_.erase(it);
  return true;
}

size_t LatencyMonitor::ResetAll() {
  const size_t n = events_.size();
  events_.clear();
  return n;
}

void LatencyMonitor::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  // A std::map node is 32 bytes of tree links (colour and three pointers) before its value.
  constexpr size_t kMapNodeHeader = 32;
  for (const auto& [name, series] : events_) {
    fn(kMapNodeHeader + sizeof(std::pair<const std::string, Series>));
    if (const size_t n = StringHeapRequest(name)) fn(n);
  }
}

}  // namespace mnemo

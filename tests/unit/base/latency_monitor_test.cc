// latency_monitor_test.cc: the latency monitor's events and sample rings against a reference
// model, over a seeded random workload (tests/unit/base).
#include "mnemo/base/latency_monitor.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

namespace mnemo {
namespace {

TEST(LatencyMonitorTest, OffRecordsNothingAndThresholdIsInclusive) {
  LatencyMonitor m;
  m.AddSampleIfNeeded("command", 500, 1000);
  EXPECT_TRUE(m.events().empty());
  m.set_threshold_ms(10);
  m.AddSampleIfNeeded("command", 9, 1000);
  EXPECT_TRUE(m.events().empty());
  m.AddSampleIfNeeded("command", 10, 1000);
  ASSERT_NE(m.Find("command"), nullptr);
  EXPECT_EQ(m.Find("command")->Latest().latency, 10u);
  // Turning it off keeps what was recorded (Redis).
  m.set_threshold_ms(0);
  EXPECT_FALSE(m.enabled());
  EXPECT_EQ(m.events().size(), 1u);
}

TEST(LatencyMonitorTest, SameSecondKeepsTheHighest) {
  LatencyMonitor m;
  m.AddSample("e", 5, 100);
  m.AddSample("e", 3, 100);
  m.AddSample("e", 8, 100);
  m.AddSample("e", 2, 101);
  const auto samples = m.Find("e")->InOrder();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].time, 100);
  EXPECT_EQ(samples[0].latency, 8u);
  EXPECT_EQ(samples[1].time, 101);
  EXPECT_EQ(samples[1].latency, 2u);
  EXPECT_EQ(m.Find("e")->max, 8u);
}

// The model: per event, the samples as a deque of (second, latency) capped at 160, and the max.
TEST(LatencyMonitorTest, RandomWorkloadMatchesModel) {
  std::mt19937_64 rng(20240607);
  LatencyMonitor m;
  struct Model {
    std::deque<std::pair<int32_t, uint32_t>> samples;
    uint32_t max = 0;
  };
  std::map<std::string, Model> model;
  const std::string names[] = {"command", "fast-command", "expire-cycle", "eviction-del"};
  int32_t now = 1'700'000'000;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 100);
    const std::string& name = names[rng() % 4];
    if (op < 2) {
      EXPECT_EQ(m.Reset(name), model.erase(name) == 1);
    } else if (op < 3) {
      EXPECT_EQ(m.ResetAll(), model.size());
      model.clear();
    } else {
      if (rng() % 3 == 0) now += static_cast<int32_t>(rng() % 5);
      const auto latency = static_cast<uint32_t>(rng() % 1000);
      m.AddSample(name, latency, now);
      Model& e = model[name];
      e.max = std::max(e.max, latency);
      if (!e.samples.empty() && e.samples.back().first == now) {
        e.samples.back().second = std::max(e.samples.back().second, latency);
      } else {
        e.samples.emplace_back(now, latency);
        if (e.samples.size() > LatencyMonitor::kSamples) e.samples.pop_front();
      }
    }
    if (step % 97 != 0) continue;
    ASSERT_EQ(m.events().size(), model.size());
    for (const auto& [n, e] : model) {
      const LatencyMonitor::Series* s = m.Find(n);
      ASSERT_NE(s, nullptr);
      EXPECT_EQ(s->max, e.max);
      const auto got = s->InOrder();
      ASSERT_EQ(got.size(), e.samples.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time, e.samples[i].first);
        EXPECT_EQ(got[i].latency, e.samples[i].second);
      }
      EXPECT_EQ(s->Latest().time, e.samples.back().first);
    }
  }
}

TEST(LatencyMonitorTest, AllocationsFollowEvents) {
  LatencyMonitor m;
  size_t blocks = 0;
  m.ForEachAllocation([&](size_t) { ++blocks; });
  EXPECT_EQ(blocks, 0u);
  m.AddSample("an-event-name-longer-than-sso", 1, 1);
  size_t bytes = 0;
  m.ForEachAllocation([&](size_t n) { bytes += n; });
  EXPECT_GT(bytes, sizeof(LatencyMonitor::Series));
  m.ResetAll();
  blocks = 0;
  m.ForEachAllocation([&](size_t) { ++blocks; });
  EXPECT_EQ(blocks, 0u);
}

}  // namespace
}  // namespace mnemo

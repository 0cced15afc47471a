// slowlog_test.cc: the slow log's ring against a reference model, over a seeded random
// workload with slowlog-max-len changing under it (tests/unit/cmd).
#include "mnemo/cmd/slowlog.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace mnemo::cmd {
namespace {

TEST(SlowLogTest, ThresholdRules) {
  SlowLog log;
  log.set_threshold_us(-1);
  EXPECT_FALSE(log.ShouldLog(1'000'000));
  log.set_threshold_us(0);
  EXPECT_TRUE(log.ShouldLog(0));
  log.set_threshold_us(100);
  EXPECT_FALSE(log.ShouldLog(99));
  EXPECT_TRUE(log.ShouldLog(100));
}

TEST(SlowLogTest, TrimsArgumentsAndRedacts) {
  SlowLog log;
  std::vector<std::string> args;
  for (int i = 0; i < 32; ++i) args.push_back("a" + std::to_string(i));
  args[1] = std::string(129, 'p');
  std::vector<std::string_view> views(args.begin(), args.end());
  const uint32_t redacted[] = {2};
  log.Push(views, redacted, 5, 6, "1.2.3.4:5", "n");
  const SlowLog::Entry& e = log.Newest(0);
  ASSERT_EQ(e.argv.size(), 32u);  // exactly 32 arguments: all kept
  EXPECT_EQ(e.argv[1], std::string(128, 'p') + "... (1 more bytes)");
  EXPECT_EQ(e.argv[2], "(redacted)");
  EXPECT_EQ(e.argv[31], "a31");
  EXPECT_EQ(e.duration_us, 5);
  EXPECT_EQ(e.time_s, 6);
  EXPECT_EQ(e.client_addr, "1.2.3.4:5");
  EXPECT_EQ(e.client_name, "n");
  args.push_back("a32");
  views.assign(args.begin(), args.end());
  log.Push(views, {}, 1, 1, "", "");
  ASSERT_EQ(log.Newest(0).argv.size(), 32u);
  EXPECT_EQ(log.Newest(0).argv[30], "a30");
  EXPECT_EQ(log.Newest(0).argv[31], "... (2 more arguments)");
}

TEST(SlowLogTest, RandomWorkloadMatchesModel) {
  std::mt19937_64 rng(77);
  SlowLog log;
  size_t max_len = 128;
  std::deque<uint64_t> model;  // ids, oldest first
  uint64_t next_id = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 1000);
    if (op < 5) {
      max_len = rng() % 20;
      log.set_max_len(max_len);
    } else if (op < 8) {
      log.Reset();
      model.clear();
    } else {
      const std::string arg = std::to_string(next_id);
      const std::string_view argv[] = {"cmd", arg};
      log.Push(argv, {}, 1, 1, "a", "");
      model.push_back(next_id++);
      if (max_len == 0) {
        model.clear();
      } else {
        while (model.size() > max_len) model.pop_front();
      }
    }
    ASSERT_EQ(log.size(), model.size()) << step;
    for (size_t i = 0; i < model.size(); i += 1 + rng() % 3) {
      const SlowLog::Entry& e = log.Newest(i);
      ASSERT_EQ(e.id, model[model.size() - 1 - i]);
      ASSERT_EQ(e.argv[1], std::to_string(e.id));
    }
  }
  log.Reset();
  size_t blocks = 0;
  log.ForEachAllocation([&](size_t) { ++blocks; });
  EXPECT_EQ(blocks, 0u);
}

}  // namespace
}  // namespace mnemo::cmd

// malloc_stats_test.cc: jemalloc's statistics, purge and the process's RSS (layer: mem).
#include "mnemo/mem/malloc_stats.h"

#include <gtest/gtest.h>

#include <string>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::mem {
namespace {

TEST(MallocStatsTest, ProcessFiguresAreKnown) {
  EXPECT_GT(ProcessRss(), 0u);
  EXPECT_GT(TotalSystemMemory(), 0u);
  EXPECT_GE(TotalSystemMemory(), ProcessRss());
}

TEST(MallocStatsTest, RssGrowsWhenMemoryIsTouched) {
  const size_t before = ProcessRss();
  constexpr size_t kBytes = 64u << 20;
  auto* p = static_cast<char*>(Alloc(kBytes));
  for (size_t i = 0; i < kBytes; i += 4096) p[i] = 1;
  EXPECT_GE(ProcessRss(), before + kBytes / 2);
  Free(p);
}

// jemalloc's view exists only in the jemalloc build: under MNEMO_SANITIZE the system allocator
// replaces it and these calls report "not available".
#ifndef MNEMO_SANITIZE

TEST(MallocStatsTest, AllocatorStatsAreValidAndCoverUsedMemory) {
  void* held = Alloc(1 << 20);  // something sizeable to see
  const AllocatorStats s = ReadAllocatorStats();
  EXPECT_TRUE(s.valid);
  // jemalloc's allocated counts every live block, ours and the ones made by plain malloc.
  EXPECT_GE(s.allocated, UsedMemory());
  EXPECT_GE(s.allocated, size_t{1} << 20);
  EXPECT_GE(s.active, s.allocated);
  EXPECT_GE(s.resident, s.active);
  EXPECT_GE(s.mapped, s.active);
  EXPECT_GT(s.metadata, 0u);
  Free(held);
}

TEST(MallocStatsTest, StatsFollowAnAllocation) {
  const size_t before = ReadAllocatorStats().allocated;
  constexpr size_t kBytes = 32u << 20;
  void* p = Alloc(kBytes);
  const size_t during = ReadAllocatorStats().allocated;
  EXPECT_GE(during, before + kBytes - (1u << 20));  // other threads may free a little meanwhile
  Free(p);
  EXPECT_LT(ReadAllocatorStats().allocated, during);
}

TEST(MallocStatsTest, PurgeReturnsDirtyPages) {
  // Free a large touched block: its pages become dirty until purged.
  constexpr size_t kBytes = 16u << 20;
  auto* p = static_cast<char*>(Alloc(kBytes));
  for (size_t i = 0; i < kBytes; i += 4096) p[i] = 1;
  Free(p);
  EXPECT_TRUE(PurgeAllocator());
  const AllocatorStats after = ReadAllocatorStats();
  EXPECT_TRUE(after.valid);
  EXPECT_EQ(after.muzzy, 0u);  // muzzy_decay_ms:0: nothing lingers in the MADV_FREE stage
  EXPECT_LT(after.dirty, kBytes);
}

TEST(MallocStatsTest, StatsTextIsJemallocsReport) {
  const std::string text = AllocatorStatsText();
  EXPECT_NE(text.find("jemalloc statistics"), std::string::npos);
  EXPECT_NE(text.find("Allocated:"), std::string::npos);
}

TEST(MallocStatsTest, BackgroundThreadCanBeSwitched) {
  EXPECT_TRUE(SetBackgroundThread(false));
  EXPECT_TRUE(SetBackgroundThread(true));
}

#else

TEST(MallocStatsTest, UnavailableUnderSanitizers) {
  EXPECT_FALSE(ReadAllocatorStats().valid);
  EXPECT_TRUE(PurgeAllocator());  // no error: there is nothing to purge
  EXPECT_FALSE(SetBackgroundThread(true));
  EXPECT_EQ(AllocatorStatsText(), "Stats not supported for the current allocator");
}

#endif  // MNEMO_SANITIZE

}  // namespace
}  // namespace mnemo::mem

// sds_test.cc: dynamic strings against std::string under a seeded random workload (layer: ds).
#include "mnemo/ds/sds.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

TEST(SdsTest, NewHoldsBytesAndTerminator) {
  sds s = SdsNew(std::string_view("a\0b", 3));
  EXPECT_EQ(SdsLen(s), 3u);
  EXPECT_EQ(SdsView(s), std::string_view("a\0b", 3));
  EXPECT_EQ(s[3], '\0');
  SdsFree(s);
}

TEST(SdsTest, CapacityIsTheUsableSizeOfTheSizeClass) {
  // 3 (type-8 header) + 20 + 1 = 24 bytes, which jemalloc serves from its 32-byte class.
  sds s = SdsNew(std::string(20, 'x'));
  EXPECT_EQ(SdsAllocSize(s), mem::SizeClass(24));
  EXPECT_EQ(SdsAlloc(s), SdsAllocSize(s) - 3 - 1);
  SdsFree(s);
}

TEST(SdsTest, HeaderTypeGrowsWithLength) {
  for (size_t len : {0u, 255u, 256u, 65535u, 65536u, 100000u}) {
    sds s = SdsNew(std::string(len, 'y'));
    EXPECT_EQ(SdsLen(s), len);
    // Exact fit: the block is the size class of header + bytes + terminator, where the header
    // is 3 bytes under 256, 5 under 64 KiB, 9 under 4 GiB.
    const size_t header = len < 256 ? 3u : len < 65536 ? 5u : 9u;
    EXPECT_EQ(SdsAllocSize(s), mem::SizeClass(header + len + 1)) << len;
    SdsFree(s);
  }
}

TEST(SdsTest, GrowthDoublesThenStepsByOneMegabyte) {
  sds s = SdsNew("");
  s = SdsMakeRoomFor(s, 1000);
  EXPECT_GE(SdsAvail(s), 1000u);
  EXPECT_LT(SdsAlloc(s), 2200u);  // doubled need (2000) rounded to a size class
  sds big = SdsNewZeroed(2 * kSdsMaxPrealloc);
  big = SdsMakeRoomFor(big, 10);
  EXPECT_GE(SdsAlloc(big), 2 * kSdsMaxPrealloc + 10);
  EXPECT_LE(SdsAlloc(big), 3 * kSdsMaxPrealloc + 8192);  // +1 MB, not doubled
  SdsFree(s);
  SdsFree(big);
}

TEST(SdsTest, GrowZeroFillsAndRemoveFreeSpaceShrinks) {
  sds s = SdsNew("abc");
  s = SdsGrowZero(s, 10);
  EXPECT_EQ(SdsView(s), std::string_view("abc\0\0\0\0\0\0\0", 10));
  s = SdsMakeRoomFor(s, 5000);
  const size_t before = SdsAllocSize(s);
  s = SdsRemoveFreeSpace(s);
  EXPECT_LT(SdsAllocSize(s), before);
  EXPECT_EQ(SdsLen(s), 10u);
  SdsFree(s);
}

TEST(SdsTest, RandomAppendsMatchStdString) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 50; ++round) {
    const size_t before_mem = mem::UsedMemory();
    {
      sds s = SdsNew("");
      std::string model;
      for (int op = 0; op < 200; ++op) {
        std::string chunk(rng() % (round % 5 == 0 ? 5000 : 40),
                          static_cast<char>('a' + rng() % 26));
        switch (rng() % 3) {
          case 0:
            s = SdsCat(s, chunk);
            model += chunk;
            break;
          case 1: {
            const size_t len = model.size() + rng() % 100;
            s = SdsGrowZero(s, len);
            model.resize(len, '\0');
            break;
          }
          default: {
            const size_t len = model.empty() ? 0 : rng() % model.size();
            SdsSetLen(s, len);
            model.resize(len);
          }
        }
        ASSERT_EQ(SdsView(s), model);
        ASSERT_EQ(s[SdsLen(s)], '\0');
        ASSERT_LE(SdsLen(s), SdsAlloc(s));
      }
      SdsFree(s);
    }
    EXPECT_EQ(mem::UsedMemory(), before_mem);  // everything given back, exactly
  }
}

}  // namespace
}  // namespace mnemo::ds

namespace mnemo::ds {
namespace {

// Non-greedy growth keeps the capacity within the allocator's class of what is needed, where
// greedy growth doubles it.
TEST(SdsNonGreedyTest, GrowsOnlyToWhatIsNeeded) {
  sds a = SdsNew("x");
  sds b = SdsNew("x");
  for (int i = 0; i < 3000; ++i) {
    a = SdsMakeRoomForNonGreedy(a, 3);
    ASSERT_GE(SdsAvail(a), 3u);
    SdsSetLen(a, SdsLen(a) + 1);
    a[SdsLen(a) - 1] = 'y';
    b = SdsMakeRoomFor(b, 3);
    SdsSetLen(b, SdsLen(b) + 1);
    b[SdsLen(b) - 1] = 'y';
    // At most the next size class up: jemalloc's classes are at most 25% apart above 64 bytes.
    ASSERT_LE(SdsAllocSize(a), std::max<size_t>(64, (SdsLen(a) + 3 + 5) * 5 / 4 + 16));
  }
  EXPECT_EQ(SdsView(a), SdsView(b));
  EXPECT_LT(SdsAllocSize(a), SdsAllocSize(b));
  SdsFree(a);
  SdsFree(b);
}

}  // namespace
}  // namespace mnemo::ds

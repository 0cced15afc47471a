// crc64_test.cc: persist::Crc64 against Redis's published check value and a reference
// bit-by-bit implementation (tests/unit/persist).
#include "mnemo/persist/crc64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mnemo::persist {
namespace {

// The textbook reflected CRC, one bit at a time: slow and obviously right.
uint64_t BitwiseCrc64(uint64_t crc, const std::string& s) {
  for (unsigned char c : s) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64Test, RedisCheckValue) {
  // redis/src/crc64.c's test: crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, "", 0), 0u);
}

TEST(Crc64Test, MatchesBitwiseAtEveryLengthAndSplit) {
  std::mt19937_64 rng(7);
  for (size_t len = 0; len < 200; ++len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const uint64_t want = BitwiseCrc64(0, s);
    ASSERT_EQ(Crc64(0, s.data(), s.size()), want) << len;
    const size_t split = len == 0 ? 0 : rng() % len;
    const uint64_t first = Crc64(0, s.data(), split);
    ASSERT_EQ(Crc64(first, s.data() + split, len - split), want) << len << " split " << split;
  }
}

}  // namespace
}  // namespace mnemo::persist

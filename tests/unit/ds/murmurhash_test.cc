// murmurhash_test.cc: MurmurHash64A against vectors from an independent implementation, checked
// against redis-server (PFADD "a" sets register 12711, the low 14 bits of the first vector's
// hash with HyperLogLog's seed) (tests/unit/ds).
#include "mnemo/ds/murmurhash.h"

#include <gtest/gtest.h>

#include <string>

namespace mnemo::ds {
namespace {

constexpr uint64_t kHllSeed = 0xadc83b19ULL;

TEST(MurmurHashTest, KnownVectors) {
  EXPECT_EQ(MurmurHash64A("a", kHllSeed), 0x53d2470a9b43b1a7ULL);
  EXPECT_EQ(MurmurHash64A("", kHllSeed), 0xd8dfea6585bc9732ULL);
  EXPECT_EQ(MurmurHash64A("hello", kHllSeed), 0x0f656f01eecfe400ULL);
  EXPECT_EQ(MurmurHash64A("12345678", kHllSeed), 0x95ebb86389132953ULL);         // one whole block
  EXPECT_EQ(MurmurHash64A("123456789abcdef", kHllSeed), 0x0a295e5895af07b9ULL);  // block + 7
  EXPECT_EQ(MurmurHash64A(std::string("\xff\x00\x80", 3), kHllSeed), 0xfe93fc73c4134391ULL);
  EXPECT_EQ(MurmurHash64A("", 0), 0u);
  EXPECT_EQ(MurmurHash64A("a", 0), 0x071717d2d36b6b11ULL);
  EXPECT_EQ(MurmurHash64A("123456789abcdef", 0), 0xffda8e09177414c3ULL);
}

TEST(MurmurHashTest, EveryByteAndLengthMatters) {
  // Unaligned views hash as their bytes, whatever their address.
  const std::string buf = "x123456789abcdef";
  EXPECT_EQ(MurmurHash64A(std::string_view(buf).substr(1), kHllSeed), 0x0a295e5895af07b9ULL);
  std::string s(40, 'q');
  const uint64_t base = MurmurHash64A(s, 1);
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] ^= 1;
    EXPECT_NE(MurmurHash64A(t, 1), base) << i;
  }
  EXPECT_NE(MurmurHash64A(s.substr(0, 39), 1), base);
  EXPECT_NE(MurmurHash64A(s, 2), base);
}

}  // namespace
}  // namespace mnemo::ds

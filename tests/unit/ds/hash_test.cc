// hash_test.cc: the SipHash code of every hash table, checked at the standard round counts
// (2-4) against the reference vector of the SipHash paper and against libsodium for every length
// up to 80 bytes; the tables' 1-2 variant (under the fixed key used until RandomizeHashSeed)
// against vectors computed by an independent Python implementation that reproduces the paper's
// 2-4 vector (tests/unit/ds).
#include "mnemo/ds/hash.h"
#include "mnemo/ds/siphash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace mnemo::ds {
namespace {

TEST(HashTest, SipHash24ReferenceVector) {
  // Appendix A of "SipHash: a fast short-input PRF": key 00..0f, message 00..0e.
  unsigned char key[16];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<unsigned char>(i);
  std::string msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(msg, key), 0xa129ca6149be45e5ULL);
}

TEST(HashTest, SipHash24MatchesLibsodiumAtEveryLength) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937_64 rng(16);
  unsigned char key[crypto_shorthash_siphash24_KEYBYTES];
  for (auto& k : key) k = static_cast<unsigned char>(rng());
  std::string buf;
  for (int i = 0; i < 81; ++i) buf.push_back(static_cast<char>(rng()));
  for (size_t len = 0; len <= 80; ++len) {
    // An unaligned view too: the words are loaded without alignment.
    const std::string_view data = std::string_view(buf).substr(1, len);
    unsigned char out[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(out, reinterpret_cast<const unsigned char*>(data.data()),
                               data.size(), key);
    uint64_t expected;
    std::memcpy(&expected, out, sizeof(expected));
    EXPECT_EQ(SipHash24(data, key), expected) << "length " << len;
  }
}

TEST(HashTest, SipHash12VectorsUnderTheFixedKey) {
  EXPECT_EQ(HashBytes(""), 0xb591384d74ab61aaULL);
  EXPECT_EQ(HashBytes("a"), 0x8fea1dcc341aaa72ULL);
  EXPECT_EQ(HashBytes("key:000000000001"), 0x500f14f09b31da35ULL);
  EXPECT_EQ(HashBytes("hello world, 0123456789"), 0x58df121923e1ce03ULL);
}

TEST(HashTest, TablesHashIsStableAndSpreads) {
  // Same bytes, same hash, wherever they sit; one byte more or different, another hash.
  const std::string a = "key:000000000001";
  const std::string b = "xkey:000000000001";
  EXPECT_EQ(HashBytes(a), HashBytes(std::string_view(b).substr(1)));
  EXPECT_NE(HashBytes("key:000000000001"), HashBytes("key:000000000002"));
  EXPECT_NE(HashBytes(""), HashBytes(std::string_view("\0", 1)));
  // The low bits (the bucket index) of consecutive keys spread over a 1024-bucket table.
  std::vector<int> buckets(1024);
  for (int i = 0; i < 100000; ++i) ++buckets[HashBytes("key:" + std::to_string(i)) & 1023];
  for (int n : buckets) {
    EXPECT_GT(n, 40);  // mean 97.7, sd ~9.9
    EXPECT_LT(n, 160);
  }
}

}  // namespace
}  // namespace mnemo::ds

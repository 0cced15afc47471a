// compress_test.cc: compressed blocks and dictionaries (ds/compress.h): round trips for every
// codec against the original bytes, the 7/8 rule, reference counts, totals and corrupt payloads.
#include "mnemo/ds/compress.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

// Text from a small vocabulary: compresses well, like real values.
std::string Words(std::mt19937_64& rng, size_t len) {
  static const char* kWords[] = {"alpha", "beta", "gamma", "delta", "user", "name", "email",
                                 "city", "\"id\":", "{", "}", "true", "false", "2024-01-"};
  std::string s;
  while (s.size() < len) {
    s += kWords[rng() % std::size(kWords)];
    s += ' ';
  }
  s.resize(len);
  return s;
}

std::string Random(std::mt19937_64& rng, size_t len) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

size_t PlainCost(size_t len) { return mem::SizeClass(len + (len < 256 ? 3 : 5) + 1); }

std::string Decompress(const uint8_t* b) {
  std::string out(BlockOriginalLength(b), '\0');
  EXPECT_TRUE(DecompressBlock(b, out.data()));
  return out;
}

TEST(CompressTest, RoundTripsEveryCodecAndLength) {
  std::mt19937_64 rng(1);
  for (Codec codec : {Codec::kLzf, Codec::kZstd}) {
    for (size_t len : {45, 64, 100, 255, 256, 1000, 4096, 16384, 100000}) {
      const std::string v = Words(rng, len);
      uint8_t* b = CompressBlock(v, codec, 3, nullptr, PlainCost(len));
      // The shortest values may not save an eighth (LZF barely compresses 45 bytes of text).
      if (len < 100 && b == nullptr) continue;
      ASSERT_NE(b, nullptr) << CodecName(codec) << " " << len;
      EXPECT_EQ(BlockCodec(b), codec);
      EXPECT_EQ(BlockOriginalLength(b), len);
      EXPECT_LE(mem::UsableSize(b), PlainCost(len) - PlainCost(len) / 8);
      EXPECT_EQ(Decompress(b), v);
      uint8_t* copy = DuplicateBlock(b);
      EXPECT_EQ(Decompress(copy), v);
      FreeBlock(copy);
      FreeBlock(b);
    }
  }
}

TEST(CompressTest, IncompressibleValuesAllocateNothing) {
  std::mt19937_64 rng(2);
  for (Codec codec : {Codec::kLzf, Codec::kZstd}) {
    const std::string v = Random(rng, 1000);
    const size_t before = mem::UsedMemory();
    EXPECT_EQ(CompressBlock(v, codec, 3, nullptr, PlainCost(v.size())), nullptr);
    // The thread's scratch buffer and zstd context may be created once; a second try costs 0.
    const size_t after_first = mem::UsedMemory();
    EXPECT_EQ(CompressBlock(v, codec, 3, nullptr, PlainCost(v.size())), nullptr);
    EXPECT_EQ(mem::UsedMemory(), after_first);
    (void)before;
  }
}

TEST(CompressTest, SavingOfLessThanAnEighthIsRefused) {
  // Half random, half repetitive: compresses to a bit over half; with a plain cost only slightly
  // above the result the 7/8 rule refuses it.
  std::mt19937_64 rng(3);
  const std::string v = Random(rng, 500) + std::string(500, 'a');
  uint8_t* b = CompressBlock(v, Codec::kZstd, 3, nullptr, PlainCost(v.size()));
  ASSERT_NE(b, nullptr);
  const size_t cost = mem::UsableSize(b);
  FreeBlock(b);
  // A plain cost whose 7/8 is below the block's cost.
  EXPECT_EQ(CompressBlock(v, Codec::kZstd, 3, nullptr, cost), nullptr);
}

TEST(CompressTest, DictionaryTrainsCompressesBetterAndIsReferenceCounted) {
  std::mt19937_64 rng(4);
  std::string samples;
  std::vector<size_t> sizes;
  for (int i = 0; i < 2000; ++i) {
    const std::string v = "{\"user_name\":\"" + Words(rng, 20) + "\",\"email_address\":\"" +
                          Words(rng, 30) + "\",\"preferences\":{\"newsletter\":true}}";
    samples += v;
    sizes.push_back(v.size());
  }
  std::string content(32 * 1024, '\0');
  const size_t n = TrainDictionary(samples, sizes, content.data(), content.size());
  ASSERT_GT(n, 0u);
  const CompressionTotals t0 = GetCompressionTotals();
  CompressionDict* d = CompressionDict::Create(std::string_view(content.data(), n), 3, 7);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->id(), 7u);
  EXPECT_EQ(GetCompressionTotals().dictionaries, t0.dictionaries + 1);
  EXPECT_EQ(GetCompressionTotals().dictionary_bytes, t0.dictionary_bytes + d->MemoryUsage());

  const std::string v = std::string(samples.data(), sizes[0]);
  uint8_t* plain = CompressBlock(v, Codec::kZstd, 3, nullptr, PlainCost(v.size()));
  uint8_t* with = CompressBlock(v, Codec::kZstdDict, 0, d, PlainCost(v.size()));
  ASSERT_NE(with, nullptr);
  EXPECT_EQ(BlockDict(with), d);
  EXPECT_EQ(d->refs(), 2u);
  if (plain != nullptr) {
    EXPECT_LT(BlockCompressedLength(with), BlockCompressedLength(plain));
  }
  EXPECT_EQ(Decompress(with), v);
  // The creator's reference goes; the block keeps the dictionary alive.
  d->Unref();
  EXPECT_EQ(GetCompressionTotals().dictionaries, t0.dictionaries + 1);
  EXPECT_EQ(Decompress(with), v);
  uint8_t* copy = DuplicateBlock(with);
  FreeBlock(with);
  EXPECT_EQ(Decompress(copy), v);
  FreeBlock(copy);  // the last reference
  EXPECT_EQ(GetCompressionTotals().dictionaries, t0.dictionaries);
  EXPECT_EQ(GetCompressionTotals().dictionary_bytes, t0.dictionary_bytes);
  if (plain != nullptr) FreeBlock(plain);
}

TEST(CompressTest, TotalsFollowBlocks) {
  std::mt19937_64 rng(5);
  const CompressionTotals t0 = GetCompressionTotals();
  const std::string v = Words(rng, 2000);
  uint8_t* b = CompressBlock(v, Codec::kLzf, 0, nullptr, PlainCost(v.size()));
  ASSERT_NE(b, nullptr);
  CompressionTotals t = GetCompressionTotals();
  EXPECT_EQ(t.blocks, t0.blocks + 1);
  EXPECT_EQ(t.original_bytes, t0.original_bytes + v.size());
  EXPECT_EQ(t.compressed_bytes, t0.compressed_bytes + mem::UsableSize(b));
  FreeBlock(b);
  t = GetCompressionTotals();
  EXPECT_EQ(t.blocks, t0.blocks);
  EXPECT_EQ(t.compressed_bytes, t0.compressed_bytes);
}

TEST(CompressTest, CorruptPayloadsAreRefused) {
  std::mt19937_64 rng(6);
  const std::string v = Words(rng, 3000);
  for (Codec codec : {Codec::kLzf, Codec::kZstd}) {
    uint8_t* b = CompressBlock(v, codec, 3, nullptr, PlainCost(v.size()));
    ASSERT_NE(b, nullptr);
    const std::string payload(BlockPayload(b));
    std::string out(v.size(), '\0');
    // Truncated, wrong length claimed, bytes flipped: never a crash, never a false success
    // with the wrong length.
    EXPECT_FALSE(DecompressPayload(codec, nullptr, payload.substr(0, payload.size() / 2),
                                   out.data(), out.size()));
    EXPECT_FALSE(DecompressPayload(codec, nullptr, payload, out.data(), out.size() - 1));
    for (int i = 0; i < 200; ++i) {
      std::string bad = payload;
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      (void)DecompressPayload(codec, nullptr, bad, out.data(), out.size());
    }
    EXPECT_FALSE(DecompressPayload(Codec::kZstdDict, nullptr, payload, out.data(), out.size()));
    FreeBlock(b);
  }
}

}  // namespace
}  // namespace mnemo::ds

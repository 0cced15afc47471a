// string_compression_test.cc: compressed string values through the string type API
// (db/string_type.h, db/value_compression.h): StringView, StringLength, StringMakeRaw, the
// in-place edits, copies and memory accounting, against the plain bytes as the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mnemo/db/db.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/db/value_compression.h"
#include "mnemo/ds/compress.h"
#include "mnemo/ds/sds.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

std::string Doc(std::mt19937_64& rng, size_t len) {
  static const char* kParts[] = {"{\"name\":\"", "alice", "bob",           "\",\"city\":\"",
                                 "Berlin",       "Paris", "\",\"tags\":[", "\"music\",",
                                 "\"travel\"",   "]}"};
  std::string s;
  while (s.size() < len) s += kParts[rng() % std::size(kParts)];
  s.resize(len);
  return s;
}

std::string Read(const Object& o) {
  StringBuffer buf;
  return std::string(StringView(o, buf));
}

class StringCompressionTest : public ::testing::TestWithParam<ValueCompression> {
 protected:
  void SetUp() override {
    ks_.options().value_compression = GetParam();
    ks_.options().value_compression_min_size = 64;
  }
  Keyspace ks_{2};
};

TEST_P(StringCompressionTest, ReadersSeeTheOriginalBytes) {
  std::mt19937_64 rng(7);
  for (size_t len : {45, 63, 64, 65, 200, 1000, 5000, 70000}) {
    const std::string v = Doc(rng, len);
    Object* o = NewStringObject(ks_, 0, "k", v, -1);
    // 64..199 bytes: compressed iff it saves an eighth, which short text may not.
    const bool expect_compressed =
        len >= 200 || (len >= 64 && o->encoding() == Encoding::kCompressed);
    if (len < 64) {
      EXPECT_NE(o->encoding(), Encoding::kCompressed) << len;
    }
    EXPECT_EQ(o->encoding() == Encoding::kCompressed, expect_compressed) << len;
    EXPECT_STREQ(EncodingName(*o), "raw");
    EXPECT_EQ(Read(*o), v);
    EXPECT_EQ(StringLength(*o), v.size());
    // StringCopyTo (GET's path, straight into the reply buffer) writes the same bytes and not
    // one past them.
    std::string copied(v.size() + 1, '#');
    StringCopyTo(*o, copied.data());
    EXPECT_EQ(copied, v + "#") << len;
    EXPECT_EQ(StringToInt64(*o), std::nullopt);
    if (expect_compressed) {
      const StringCompression c = StringCompressionOf(*o);
      ASSERT_NE(c.codec, nullptr);
      EXPECT_EQ(c.original_bytes, v.size());
      // MEMORY USAGE's value part is the block, and it is smaller than the plain sds.
      const size_t usage = ValueMemoryUsage(ValueOf(*o), 0);
      EXPECT_EQ(usage, c.stored_bytes);
      EXPECT_LE(usage, mem::SizeClass(v.size() + 9) * 7 / 8);
    }
    FreeObject(o);
  }
}

// Up to 255 bytes a plain value may live in the key's block (string_type.cc PlacePlain): a
// compressed block must then beat what embedding adds to the block, not the sds. Whatever is
// chosen never costs more than the cheaper uncompressed form.
TEST_P(StringCompressionTest, EmbeddedRangeIsCompressedOnlyWhenItBeatsTheBlock) {
  std::mt19937_64 rng(9);
  const std::string key = "key:00000001";
  const size_t word_block = Object::CostFor(11 + key.size() + 8);
  int compressed = 0;
  int embedded_long = 0;
  for (size_t len = 64; len <= 320; len += 3) {
    for (const std::string& v : {Doc(rng, len), std::string(len, 'a')}) {
      Object* o = NewStringObject(ks_, 0, key, v, -1);
      EXPECT_EQ(Read(*o), v);
      EXPECT_STREQ(EncodingName(*o), "raw");
      const size_t total = o->BlockSize() + ValueMemoryUsage(ValueOf(*o), 0);
      const size_t raw_total = word_block + ds::SdsAllocSizeFor(len);
      const size_t embedded_total =
          len <= kMaxEmbeddedLength ? Object::CostFor(11 + key.size() + len) : SIZE_MAX;
      const size_t plain_total = std::min(raw_total, embedded_total);
      EXPECT_LE(total, plain_total) << len;
      if (o->encoding() == Encoding::kCompressed) {
        ++compressed;
        const size_t cost = plain_total - word_block;
        EXPECT_LE(ValueMemoryUsage(ValueOf(*o), 0), cost - cost / 8) << len;
      } else if (o->encoding() == Encoding::kEmbstr) {
        ++embedded_long;
        EXPECT_LE(embedded_total, raw_total) << len;
        EXPECT_EQ(total, embedded_total);
      } else {
        EXPECT_EQ(total, raw_total) << len;
      }
      FreeObject(o);
    }
  }
  EXPECT_GT(compressed, 0);
  EXPECT_GT(embedded_long, 0);
}

TEST_P(StringCompressionTest, TwoBuffersHoldTwoValuesAtOnce) {
  std::mt19937_64 rng(8);
  const std::string a = Doc(rng, 500);
  const std::string b = Doc(rng, 700);
  Object* oa = NewStringObject(ks_, 0, "a", a, -1);
  Object* ob = NewStringObject(ks_, 0, "b", b, -1);
  StringBuffer ba;
  StringBuffer bb;
  const std::string_view va = StringView(*oa, ba);
  const std::string_view vb = StringView(*ob, bb);
  EXPECT_EQ(va, a);
  EXPECT_EQ(vb, b);
  EXPECT_TRUE(ba.Holds(va.data()));
  FreeObject(oa);
  FreeObject(ob);
}

TEST_P(StringCompressionTest, EditsInPlaceDecompressToRaw) {
  std::mt19937_64 rng(9);
  Db& d = ks_.db(0);
  std::string model = Doc(rng, 900);
  Object* o = NewStringObject(ks_, 0, "k", model, -1);
  ASSERT_EQ(o->encoding(), Encoding::kCompressed);
  d.Add(o);
  o = StringAppend(d, o, "tail");
  model += "tail";
  EXPECT_EQ(o->encoding(), Encoding::kRaw);
  EXPECT_EQ(Read(*o), model);
  o = StringSetRange(d, o, 10, "XYZ");
  model.replace(10, 3, "XYZ");
  EXPECT_EQ(Read(*o), model);
  // A copy of a compressed value is compressed and reads the same.
  Object* c = NewStringObject(ks_, 0, "c", model, -1);
  const uint64_t dup = DuplicateValue(ValueOf(*c));
  Object* copy =
      Object::Create("copy", ObjType::kString,
                     Object::ValueInit{Encoding::kCompressed, {}, dup, false}, false, 0, 0);
  EXPECT_EQ(Read(*copy), model);
  FreeObject(copy);
  FreeObject(c);
  EXPECT_TRUE(d.Delete("k", false));
}

TEST_P(StringCompressionTest, FreeingReturnsEveryByte) {
  std::mt19937_64 rng(10);
  std::vector<std::string> values;
  for (int i = 0; i < 50; ++i) values.push_back(Doc(rng, 100 + 97 * i));
  // Warm the thread's zstd context and scratch buffer, which live for the thread.
  FreeObject(NewStringObject(ks_, 0, "w", values.back(), -1));
  std::vector<Object*> objects;
  objects.reserve(values.size());
  const size_t before = mem::UsedMemory();
  const ds::CompressionTotals t0 = ds::GetCompressionTotals();
  for (const std::string& v : values) objects.push_back(NewStringObject(ks_, 0, "k", v, -1));
  EXPECT_GT(ds::GetCompressionTotals().blocks, t0.blocks);
  for (Object* o : objects) FreeObject(o);
  EXPECT_EQ(mem::UsedMemory(), before);
  EXPECT_EQ(ds::GetCompressionTotals().blocks, t0.blocks);
  EXPECT_EQ(ds::GetCompressionTotals().original_bytes, t0.original_bytes);
}

TEST_P(StringCompressionTest, IncompressibleValuesStayRaw) {
  std::mt19937_64 rng(11);
  std::string v(1000, '\0');
  for (char& c : v) c = static_cast<char>(rng());
  Object* o = NewStringObject(ks_, 0, "k", v, -1);
  EXPECT_EQ(o->encoding(), Encoding::kRaw);
  EXPECT_EQ(Read(*o), v);
  FreeObject(o);
}

INSTANTIATE_TEST_SUITE_P(Codecs, StringCompressionTest,
                         ::testing::Values(ValueCompression::kLzf, ValueCompression::kZstd));

TEST(ValueCompressorTest, OffByDefaultAndBelowMinSize) {
  Keyspace ks(1);
  std::string v(500, 'a');
  Object* o = NewStringObject(ks, 0, "k", v, -1);
  EXPECT_EQ(o->encoding(), Encoding::kRaw);
  FreeObject(o);
  ks.options().value_compression = ValueCompression::kZstd;
  ks.options().value_compression_min_size = 1000;
  o = NewStringObject(ks, 0, "k", v, -1);
  EXPECT_EQ(o->encoding(), Encoding::kRaw);
  FreeObject(o);
  // Short values live in the key's block whatever the minimum says.
  ks.options().value_compression_min_size = 0;
  o = NewStringObject(ks, 0, "k", std::string(44, 'a'), -1);
  EXPECT_EQ(o->encoding(), Encoding::kEmbstr);
  FreeObject(o);
}

TEST(ValueCompressorTest, TrainsADictionaryRecompressesAndRetrains) {
  Keyspace ks(2);
  ks.options().value_compression = ValueCompression::kZstd;
  ks.options().value_compression_dictionary = true;
  std::mt19937_64 rng(12);
  Db& d = ks.db(1);
  std::vector<std::string> model;
  auto add = [&](const std::string& v) {
    const std::string key = "k" + std::to_string(model.size());
    d.Add(NewStringObject(ks, 1, key, v, -1));
    model.push_back(v);
  };
  for (size_t i = 0; i < ValueCompressor::kTrainMinSamples + 200; ++i) add(Doc(rng, 300 + i % 300));
  ks.compressor().WaitForTraining();
  const ValueCompressor::DbInfo info = ks.compressor().Info(1);
  ASSERT_NE(info.dict_id, 0u);
  EXPECT_EQ(info.trainings, 1u);
  EXPECT_EQ(ks.compressor().Info(0).dict_id, 0u);  // per database
  // The values stored before the dictionary are recompressed with it by the cron's step.
  EXPECT_TRUE(ks.compressor().recompressing());
  while (ks.compressor().RecompressStep(ks, 1000)) {
  }
  EXPECT_GT(ks.compressor().recompressed(), 0u);
  size_t with_dict = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    Object* o = d.LookupNoTouch("k" + std::to_string(i));
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(Read(*o), model[i]);
    with_dict += StringCompressionOf(*o).dictionary == info.dict_id ? 1 : 0;
  }
  EXPECT_GT(with_dict, model.size() * 9 / 10);

  // A window of the same kind of data sets the ratio the dictionary is judged by.
  for (size_t i = 0; i < ValueCompressor::kRatioWindow; ++i) add(Doc(rng, 300 + i % 300));
  // Different data: the ratio degrades, a new sample is taken and a second dictionary trained.
  // The first lives on while values use it.
  for (size_t i = 0; i < 6 * ValueCompressor::kRatioWindow; ++i) {
    std::string v;
    while (v.size() < 400) v += std::to_string(rng()) + "|" + std::to_string(rng() % 1000) + ";";
    add(v);
    if (i % 500 == 0) ks.compressor().WaitForTraining();
  }
  ks.compressor().WaitForTraining();
  EXPECT_GE(ks.compressor().Info(1).trainings, 2u);
  EXPECT_NE(ks.compressor().Info(1).dict_id, info.dict_id);
  EXPECT_GE(ds::GetCompressionTotals().dictionaries, 2u);
  for (size_t i = 0; i < model.size(); ++i) {
    Object* o = d.LookupNoTouch("k" + std::to_string(i));
    EXPECT_EQ(Read(*o), model[i]) << i;
  }
}

}  // namespace
}  // namespace mnemo::db

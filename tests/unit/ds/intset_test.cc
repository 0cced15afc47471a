// intset_test.cc: tests of the intset (layer: ds): Redis's byte layout, upgrades, a seeded random
// workload against std::set, and validation of corrupt blobs (exact-size buffers for ASan).
#include "mnemo/ds/intset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "mnemo/base/random.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes BytesOf(const Intset* is) {
  return Bytes(IntsetBytes(is), IntsetBytes(is) + IntsetBlobLen(is));
}

// Little-endian bytes of v in `width` bytes.
Bytes Le(uint64_t v, size_t width) {
  Bytes out;
  for (size_t i = 0; i < width; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}

Bytes Blob(uint32_t encoding, const std::vector<int64_t>& values) {
  Bytes out = Le(encoding, 4);
  const Bytes len = Le(values.size(), 4);
  out.insert(out.end(), len.begin(), len.end());
  for (int64_t v : values) {
    const Bytes b = Le(static_cast<uint64_t>(v), encoding);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

Intset* Add(Intset* is, int64_t v, bool expect_changed = true) {
  const IntsetEdit e = IntsetAdd(is, v);
  EXPECT_EQ(e.changed, expect_changed) << v;
  return e.is;
}

TEST(IntsetLayout, EmptyAndSmall) {
  Intset* is = IntsetNew();
  EXPECT_EQ(BytesOf(is), (Bytes{2, 0, 0, 0, 0, 0, 0, 0}));
  is = Add(is, 2);
  is = Add(is, 1);
  is = Add(is, 1, false);
  // encoding 2, length 2, then 1 and 2 as little-endian int16.
  EXPECT_EQ(BytesOf(is), (Bytes{2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0}));
  is = Add(is, -2);
  EXPECT_EQ(BytesOf(is), (Bytes{2, 0, 0, 0, 3, 0, 0, 0, 0xFE, 0xFF, 1, 0, 2, 0}));
  IntsetFree(is);
}

TEST(IntsetLayout, UpgradesKeepOrderAndNeverNarrow) {
  Intset* is = IntsetNew();
  for (int64_t v : {5, -7, 32767, -32768}) is = Add(is, v);
  EXPECT_EQ(IntsetEncoding(is), 2u);
  is = Add(is, 32768);  // first value that needs 32 bits: appended after the upgrade
  EXPECT_EQ(IntsetEncoding(is), 4u);
  EXPECT_EQ(BytesOf(is), Blob(4, {-32768, -7, 5, 32767, 32768}));
  is = Add(is, INT64_MIN);  // negative upgrade: goes first
  EXPECT_EQ(IntsetEncoding(is), 8u);
  EXPECT_EQ(BytesOf(is), Blob(8, {INT64_MIN, -32768, -7, 5, 32767, 32768}));
  is = IntsetRemove(is, INT64_MIN).is;
  is = IntsetRemove(is, 32768).is;
  EXPECT_EQ(IntsetEncoding(is), 8u);  // as Redis: no downgrade
  EXPECT_EQ(BytesOf(is), Blob(8, {-32768, -7, 5, 32767}));
  EXPECT_EQ(IntsetBlobLen(is), 8u + 4 * 8);
  IntsetFree(is);

  is = IntsetNew();
  is = Add(is, 1);
  is = Add(is, INT32_MIN);  // 16 -> 32, negative
  EXPECT_EQ(BytesOf(is), Blob(4, {INT32_MIN, 1}));
  is = Add(is, int64_t{INT32_MAX} + 1);  // 32 -> 64
  EXPECT_EQ(BytesOf(is), Blob(8, {INT32_MIN, 1, int64_t{INT32_MAX} + 1}));
  IntsetFree(is);
}

TEST(Intset, FindGetMinMaxRandomDup) {
  SeedRandom(7);
  Intset* is = IntsetNew();
  const std::vector<int64_t> values = {INT64_MIN, -40000, -1, 0, 1, 70000, INT64_MAX};
  for (int64_t v : values) is = Add(is, v);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(IntsetGet(is, static_cast<uint32_t>(i)), values[i]);
    EXPECT_TRUE(IntsetFind(is, values[i]));
  }
  for (int64_t v : {INT64_MIN + 1, int64_t{-2}, int64_t{2}, INT64_MAX - 1, int64_t{69999}}) {
    EXPECT_FALSE(IntsetFind(is, v)) << v;
  }
  EXPECT_EQ(IntsetMin(is), INT64_MIN);
  EXPECT_EQ(IntsetMax(is), INT64_MAX);
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(IntsetRandom(is));
  EXPECT_EQ(seen, std::set<int64_t>(values.begin(), values.end()));
  Intset* copy = IntsetDup(is);
  EXPECT_EQ(BytesOf(copy), BytesOf(is));
  copy = IntsetRemove(copy, 0).is;
  EXPECT_TRUE(IntsetFind(is, 0));
  EXPECT_FALSE(IntsetFind(copy, 0));
  // A value wider than the encoding cannot be present: no search, no change.
  Intset* small = Add(IntsetNew(), 3);
  EXPECT_FALSE(IntsetFind(small, INT64_MAX));
  const IntsetEdit e = IntsetRemove(small, INT64_MAX);
  EXPECT_FALSE(e.changed);
  EXPECT_EQ(IntsetEncoding(e.is), 2u);
  IntsetFree(e.is);
  IntsetFree(copy);
  IntsetFree(is);
}

// Values drawn around every encoding boundary, plus a dense small range that makes collisions
// (re-adds and removes of present values) common.
int64_t DrawValue(std::mt19937_64& rng) {
  static constexpr int64_t kEdges[] = {INT16_MIN,
                                       INT16_MAX,
                                       int64_t{INT16_MIN} - 1,
                                       int64_t{INT16_MAX} + 1,
                                       INT32_MIN,
                                       INT32_MAX,
                                       int64_t{INT32_MIN} - 1,
                                       int64_t{INT32_MAX} + 1,
                                       INT64_MIN,
                                       INT64_MAX,
                                       0,
                                       -1};
  switch (rng() % 6) {
    case 0:
      return kEdges[rng() % std::size(kEdges)];
    case 1:
      return static_cast<int64_t>(rng());
    case 2:
      return static_cast<int32_t>(rng());
    default:
      return static_cast<int64_t>(rng() % 2000) - 1000;
  }
}

uint32_t WidthFor(int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) return 8;
  if (v < INT16_MIN || v > INT16_MAX) return 4;
  return 2;
}

TEST(IntsetModel, RandomWorkload) {
  for (uint64_t seed : {11, 12, 13, 14}) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    std::set<int64_t> model;
    uint32_t widest = 2;  // the widest value ever added: the encoding never narrows
    Intset* is = IntsetNew();
    for (int op = 0; op < 20000; ++op) {
      const int64_t v = DrawValue(rng);
      const uint64_t kind = rng() % 10;
      if (kind < 5) {
        const IntsetEdit e = IntsetAdd(is, v);
        is = e.is;
        ASSERT_EQ(e.changed, model.insert(v).second);
        widest = std::max(widest, WidthFor(v));
      } else if (kind < 8) {
        // Remove a present value most of the time.
        const int64_t target =
            (!model.empty() && rng() % 4 != 0)
                ? *std::next(model.begin(), static_cast<ptrdiff_t>(rng() % model.size()))
                : v;
        const IntsetEdit e = IntsetRemove(is, target);
        is = e.is;
        ASSERT_EQ(e.changed, model.erase(target) == 1);
      } else {
        ASSERT_EQ(IntsetFind(is, v), model.count(v) == 1);
      }
      ASSERT_EQ(IntsetLen(is), model.size());
      ASSERT_EQ(IntsetEncoding(is), widest);
      ASSERT_EQ(IntsetBlobLen(is), kIntsetHeaderSize + model.size() * widest);
      ASSERT_EQ(mem::UsableSize(is), mem::SizeClass(IntsetBlobLen(is)));
      if (op % 64 == 0 || model.size() < 3) {
        uint32_t i = 0;
        for (int64_t m : model) ASSERT_EQ(IntsetGet(is, i++), m);
        if (!model.empty()) {
          ASSERT_EQ(IntsetMin(is), *model.begin());
          ASSERT_EQ(IntsetMax(is), *model.rbegin());
          ASSERT_TRUE(IntsetValidate(IntsetBytes(is), IntsetBlobLen(is), true));
        }
      }
      // Keep the set in the size range intsets are used for.
      if (model.size() > 600) {
        while (model.size() > 300) {
          const int64_t m = *model.begin();
          is = IntsetRemove(is, m).is;
          model.erase(m);
        }
      }
    }
    IntsetFree(is);
  }
}

TEST(IntsetModel, NoLeaks) {
  const size_t before = mem::UsedMemory();
  {
    std::mt19937_64 rng(5);
    Intset* is = IntsetNew();
    for (int i = 0; i < 3000; ++i) {
      is = IntsetAdd(is, DrawValue(rng)).is;
      if (i % 3 == 0) is = IntsetRemove(is, IntsetGet(is, 0)).is;
    }
    Intset* copy = IntsetDup(is);
    IntsetFree(copy);
    IntsetFree(is);
  }
  EXPECT_EQ(mem::UsedMemory(), before);
}

// ---- validation ----

bool Validate(const Bytes& bytes, bool deep) {
  // An exact-size copy, so that ASan flags any read past the end.
  std::unique_ptr<uint8_t[]> buf(new uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
  if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
  return IntsetValidate(buf.get(), bytes.size(), deep);
}

TEST(IntsetValidate, Rules) {
  EXPECT_TRUE(Validate(Blob(2, {1, 2, 3}), true));
  EXPECT_TRUE(Validate(Blob(4, {-5, 1 << 20}), true));
  EXPECT_TRUE(Validate(Blob(8, {INT64_MIN, INT64_MAX}), true));
  EXPECT_TRUE(Validate(Blob(8, {1, 2}), true));  // wider than needed is allowed, as in Redis
  EXPECT_FALSE(Validate({}, true));
  EXPECT_FALSE(Validate({2, 0, 0, 0, 1, 0, 0}, true));  // header cut
  EXPECT_FALSE(Validate(Blob(2, {}), true));            // empty set
  EXPECT_FALSE(Validate(Blob(2, {}), false));
  for (uint32_t enc : {0u, 1u, 3u, 5u, 16u, 0x02000000u}) {
    Bytes b = Blob(2, {1, 2});
    const Bytes e = Le(enc, 4);
    std::copy(e.begin(), e.end(), b.begin());
    EXPECT_FALSE(Validate(b, false)) << enc;
  }
  Bytes b = Blob(2, {1, 2, 3});
  b.pop_back();  // size disagrees with the length
  EXPECT_FALSE(Validate(b, false));
  b = Blob(2, {1, 2, 3});
  b.push_back(0);
  EXPECT_FALSE(Validate(b, false));
  b = Blob(4, {1, 2});
  b[4] = 0xFF;  // length 255 with 2 elements' bytes
  EXPECT_FALSE(Validate(b, false));
  b = Blob(8, {1});
  b[4] = b[5] = b[6] = b[7] = 0xFF;  // length 2^32-1: 8 + len * 8 must not overflow into a match
  EXPECT_FALSE(Validate(b, false));
  // Order and duplicates: only the deep check sees them.
  EXPECT_TRUE(Validate(Blob(2, {1, 1}), false));
  EXPECT_FALSE(Validate(Blob(2, {1, 1}), true));
  EXPECT_FALSE(Validate(Blob(4, {3, 2}), true));
  EXPECT_FALSE(Validate(Blob(8, {INT64_MAX, INT64_MIN}), true));
  EXPECT_FALSE(IntsetValidate(nullptr, 0, true));
}

TEST(IntsetValidate, FuzzFlipsAndTruncations) {
  std::mt19937_64 rng(77);
  size_t accepted = 0, rejected = 0;
  for (int round = 0; round < 200; ++round) {
    Intset* is = IntsetNew();
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) is = IntsetAdd(is, DrawValue(rng)).is;
    const Bytes good = BytesOf(is);
    IntsetFree(is);
    ASSERT_TRUE(Validate(good, true));
    for (size_t cut = 0; cut < good.size(); ++cut) {
      EXPECT_FALSE(Validate(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(cut)), true));
    }
    for (size_t pos = 0; pos < good.size(); ++pos) {
      Bytes b = good;
      b[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (!Validate(b, true)) {
        ++rejected;
        continue;
      }
      ++accepted;
      // Accepted means usable: strictly ascending, and every lookup finds its element.
      const Intset* v = reinterpret_cast<const Intset*>(b.data());
      for (uint32_t i = 0; i < IntsetLen(v); ++i) {
        EXPECT_TRUE(IntsetFind(v, IntsetGet(v, i)));
        if (i > 0) {
          EXPECT_LT(IntsetGet(v, i - 1), IntsetGet(v, i));
        }
      }
    }
  }
  EXPECT_GT(accepted, 100u);  // flips inside element bytes that keep the order
  EXPECT_GT(rejected, 100u);
}

}  // namespace
}  // namespace mnemo::ds

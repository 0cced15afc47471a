// object_test.cc: the one-slot keyspace entry: layout, slot sizes, values (layer: db).
//
// Slots are byte-exact (mem/slab.h), so an object's BlockSize is the byte arithmetic drawn in
// object.h exactly:
//   11 (next handle, header word, flags, embedded_len, key_len) + 4 or 8 if it has an expiry
//   + 8 if the key is 255 bytes or longer + key bytes + (embstr bytes | the integer's 1..8
//   bytes | 8-byte value word).
#include "mnemo/db/object.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mnemo/base/clock.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {
namespace {

// The bytes of an object with an expiry at `expire` (-1: none): 4 for a compact one, 8 wide.
size_t ExpectedBytes(size_t key_len, int64_t expire, size_t value_bytes) {
  const size_t slot = expire < 0 ? 0 : Object::CompactExpire(expire) ? 4 : 8;
  return 11 + slot + (key_len >= 255 ? 8 : 0) + key_len + value_bytes;
}

// Expiries of every form: none, wide (before the compact range, far after it, and its first
// time past the end), compact (its first and last times, and across a 2^32 boundary).
// (A function: the base is set at run time, and the order of dynamic initialization across
// files is unspecified.)
std::vector<int64_t> Expiries() {
  return {-1,
          7,
          1700000000123,
          Object::ExpireBase() - 1,
          Object::ExpireBase() + (int64_t{1} << 36),
          INT64_MAX,
          Object::ExpireBase(),
          Object::ExpireBase() + (int64_t{1} << 32) - 1,
          Object::ExpireBase() + (int64_t{1} << 32),
          Object::ExpireBase() + (int64_t{1} << 36) - 1,
          Object::ExpireBase() + (int64_t{1} << 32) + 123456};
}

// A key whose bytes differ along its length (and include a NUL), so truncation would show.
std::string MakeKey(size_t len) {
  std::string k(len, 'k');
  for (size_t i = 0; i < len; ++i) k[i] = static_cast<char>('a' + i % 26);
  if (len > 3) k[len / 2] = '\0';
  return k;
}

Object::ValueInit Embstr(std::string_view s) { return {Encoding::kEmbstr, s}; }
Object::ValueInit IntWord(int64_t v) {
  return {Encoding::kInt, {}, static_cast<uint64_t>(v), false};
}

const std::vector<size_t> kKeyLengths = {0, 1, 12, 254, 255, 256, 1100, 65535, 70000};

TEST(ObjectTest, KeysOfEveryLengthWithAndWithoutExpiry) {
  for (size_t len : kKeyLengths) {
    for (int64_t expire : Expiries()) {
      const bool with_expire = expire >= 0;
      const std::string key = MakeKey(len);
      Object* o = Object::Create(key, ObjType::kString, Embstr("val"), with_expire, expire, 4242);
      EXPECT_EQ(o->key(), key) << len;
      EXPECT_EQ(o->type(), ObjType::kString);
      EXPECT_EQ(o->encoding(), Encoding::kEmbstr);
      EXPECT_EQ(o->lru(), 4242u);
      EXPECT_EQ(o->embedded(), "val");
      EXPECT_EQ(o->has_expire(), with_expire);
      EXPECT_FALSE(o->shared_value());
      EXPECT_FALSE(o->snapshot_mark());
      if (with_expire) {
        EXPECT_EQ(o->expire_ms(), expire) << len;
      }
      EXPECT_EQ(o->next_handle(), 0u);
      EXPECT_EQ(o->BlockSize(), ExpectedBytes(len, expire, 3)) << len << " " << expire;
      Object::Destroy(o);
    }
  }
}

TEST(ObjectTest, DocumentedBlockSizes) {
  // object.h: "key:00000001" with a 16-byte value is one slot of 11 + 12 + 16 = 39 bytes (it
  // was 44 bytes with an 8-byte chain pointer and a 2-byte key length, the 48-byte class).
  Object* o =
      Object::Create("key:00000001", ObjType::kString, Embstr("0123456789abcdef"), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 39u);
  EXPECT_EQ(o->BlockCost(), 39u);
  Object::Destroy(o);
  // The same key with an int value: 11 + 12 + 1 = 24 bytes.
  o = Object::Create("key:00000001", ObjType::kString, IntWord(7), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 24u);
  Object::Destroy(o);
  // With an expiry within two years: 4 more bytes (docs/memory.md).
  o = Object::Create("key:00000001", ObjType::kString, Embstr("0123456789abcdef"), true,
                     UnixTimeMs() + 3600 * 1000, 0);
  EXPECT_EQ(o->BlockSize(), 43u);
  Object::Destroy(o);
  // With an expiry outside the compact range: 8 more bytes.
  o = Object::Create("key:00000001", ObjType::kString, Embstr("0123456789abcdef"), true, 1, 0);
  EXPECT_EQ(o->BlockSize(), 47u);
  Object::Destroy(o);
  // A key too long for a slab page's slots (slab.h kMaxSmall) gets a jemalloc block of its own:
  // it costs the block's usable size, 8 bytes of handle included.
  o = Object::Create(std::string(2000, 'k'), ObjType::kString, Embstr("v"), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 11u + 8 + 2000 + 1);
  EXPECT_EQ(o->BlockCost(), mem::SizeClass(11 + 8 + 2000 + 1 + 8));
  Object::Destroy(o);
}

TEST(ObjectTest, EmbstrValuesUpTo44Bytes) {
  for (size_t len : kKeyLengths) {
    const std::string key = MakeKey(len);
    for (size_t n = 0; n <= kMaxEmbeddedLength; ++n) {
      std::string value(n, 'v');
      for (size_t i = 0; i < n; ++i) value[i] = static_cast<char>(i);  // includes NUL
      // No expiry, a wide one and a compact one in turn.
      const int64_t expire = n % 3 == 0 ? -1 : n % 3 == 1 ? 5 : Object::ExpireBase() + 5;
      Object* o = Object::Create(key, ObjType::kString, Embstr(value), expire >= 0, expire, 1);
      ASSERT_EQ(o->embedded(), value) << len << " " << n;
      ASSERT_EQ(o->key(), key);
      if (expire >= 0) {
        ASSERT_EQ(o->expire_ms(), expire);
      }
      const size_t bytes = ExpectedBytes(len, expire, n);
      ASSERT_EQ(o->BlockSize(), bytes) << len << " " << n;
      // The slot is exact: the value fills it.
      EXPECT_EQ(o->EmbeddedCapacity(), n);
      // OBJECT ENCODING answers as Redis: embstr up to 44 bytes, raw beyond.
      EXPECT_STREQ(EncodingName(*o), n <= kMaxEmbstrLength ? "embstr" : "raw");
      Object::Destroy(o);
    }
  }
}

TEST(ObjectTest, SetEmbeddedWithinCapacity) {
  Object* o = Object::Create("k", ObjType::kString, Embstr("abcdef"), false, 0, 0);
  const size_t cap = o->EmbeddedCapacity();
  ASSERT_EQ(cap, 6u);
  const std::string longest(cap, 'L');
  o->SetEmbedded(longest);
  EXPECT_EQ(o->embedded(), longest);
  EXPECT_EQ(o->key(), "k");
  o->SetEmbedded("");
  EXPECT_EQ(o->embedded(), "");
  o->SetEmbedded("xy");
  EXPECT_EQ(o->embedded(), "xy");
  Object::Destroy(o);
  // A slot holds exactly its value: 11 + 1 + 31 = 43 bytes, no room to grow.
  o = Object::Create("k", ObjType::kString, Embstr(std::string(31, 'f')), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 43u);
  EXPECT_EQ(o->EmbeddedCapacity(), 31u);
  Object::Destroy(o);
}

TEST(ObjectTest, CapacityIsTheSlotsRoom) {
  // A big slot (a 20,000-byte key) is exact too: an empty value has no room.
  const std::string key(20000, 'k');
  Object* o = Object::Create(key, ObjType::kString, Embstr(""), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), ExpectedBytes(key.size(), -1, 0));
  EXPECT_EQ(o->EmbeddedCapacity(), 0u);
  Object::Destroy(o);
  // A 255-byte value fills its slot, and never more than one byte of length can say.
  o = Object::Create(key, ObjType::kString, Embstr(std::string(255, 'z')), false, 0, 0);
  EXPECT_EQ(o->EmbeddedCapacity(), kMaxEmbeddedLength);
  o->SetEmbedded(std::string(100, 'y'));
  EXPECT_EQ(o->embedded(), std::string(100, 'y'));
  EXPECT_EQ(o->key(), key);
  Object::Destroy(o);
}

TEST(ObjectTest, IntWidthIsTheFewestSignExtendedBytes) {
  EXPECT_EQ(IntWidth(0), 1u);
  EXPECT_EQ(IntWidth(127), 1u);
  EXPECT_EQ(IntWidth(128), 2u);
  EXPECT_EQ(IntWidth(-128), 1u);
  EXPECT_EQ(IntWidth(-129), 2u);
  EXPECT_EQ(IntWidth(9999), 2u);
  EXPECT_EQ(IntWidth(32767), 2u);
  EXPECT_EQ(IntWidth(32768), 3u);
  EXPECT_EQ(IntWidth(-32768), 2u);
  EXPECT_EQ(IntWidth(-32769), 3u);
  EXPECT_EQ(IntWidth(INT32_MAX), 4u);
  EXPECT_EQ(IntWidth(int64_t{INT32_MAX} + 1), 5u);
  EXPECT_EQ(IntWidth(INT32_MIN), 4u);
  EXPECT_EQ(IntWidth(int64_t{INT32_MIN} - 1), 5u);
  EXPECT_EQ(IntWidth(INT64_MAX), 8u);
  EXPECT_EQ(IntWidth(INT64_MIN), 8u);
  EXPECT_EQ(IntWidth(-1), 1u);
  // Against a reference: the width is the fewest bytes whose sign-extension gives v back.
  for (int shift = 0; shift < 64; ++shift) {
    for (int64_t delta : {-1, 0, 1}) {
      for (int64_t sign : {1, -1}) {
        const int64_t v = static_cast<int64_t>(static_cast<uint64_t>(sign) << shift) + delta;
        size_t ref = 8;
        for (size_t w = 1; w < 8; ++w) {
          const int64_t lo = -(int64_t{1} << (8 * w - 1));
          const int64_t hi = (int64_t{1} << (8 * w - 1)) - 1;
          if (v >= lo && v <= hi) {
            ref = w;
            break;
          }
        }
        EXPECT_EQ(IntWidth(v), ref) << v;
      }
    }
  }
}

// Every int value is stored in its block in IntWidth(v) bytes and read back exactly.
TEST(ObjectTest, IntsAreInlineAndNarrow) {
  const std::vector<int64_t> values = {0,
                                       1,
                                       127,
                                       128,
                                       -1,
                                       -128,
                                       -129,
                                       255,
                                       256,
                                       9999,
                                       10000,
                                       32767,
                                       32768,
                                       -32768,
                                       -32769,
                                       65535,
                                       8388607,
                                       8388608,
                                       INT32_MAX,
                                       INT32_MIN,
                                       int64_t{INT32_MAX} + 1,
                                       int64_t{INT32_MIN} - 1,
                                       INT64_MAX,
                                       INT64_MIN,
                                       INT64_MAX - 1,
                                       INT64_MIN + 1};
  for (size_t len : {size_t{0}, size_t{5}, size_t{12}, size_t{255}, size_t{65535}}) {
    const std::string key = MakeKey(len);
    for (int64_t v : values) {
      for (int64_t expire : {int64_t{-1}, int64_t{7}, Object::ExpireBase() + 5}) {
        const bool with_expire = expire >= 0;
        Object* o = Object::Create(key, ObjType::kString, IntWord(v), with_expire, expire, 0);
        EXPECT_EQ(o->encoding(), Encoding::kInt);
        EXPECT_STREQ(EncodingName(*o), "int");
        EXPECT_FALSE(o->shared_value());
        EXPECT_EQ(o->int_value(), v);
        EXPECT_EQ(o->key(), key);
        EXPECT_EQ(o->BlockSize(), ExpectedBytes(len, expire, IntWidth(v))) << len << " " << v;
        const size_t spare = o->BlockSize() - ExpectedBytes(len, expire, 0);
        EXPECT_EQ(o->IntCapacity(), std::min<size_t>(spare, 8));
        const Object::ValueInit back = o->value_init();
        EXPECT_EQ(back.encoding, Encoding::kInt);
        EXPECT_EQ(static_cast<int64_t>(back.word), v);
        if (with_expire) {
          EXPECT_EQ(o->expire_ms(), expire);
        }
        Object::Destroy(o);
      }
    }
  }
}

// "key:%08d" -> 0..9999: 11 + 12 + 2 = 25 bytes (an 8-byte word made it 48 once, the 32-byte
// class before slots were exact).
TEST(ObjectTest, SmallIntegerUnderTwelveByteKeyIs25Bytes) {
  Object* o = Object::Create("key:00001234", ObjType::kString, IntWord(1234), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 25u);
  EXPECT_EQ(o->IntCapacity(), 2u);  // exact: a wider integer moves the key to a bigger slot
  Object::Destroy(o);
  // A 100-byte embedded string under the same key: 11 + 12 + 100 = 123 bytes, one slot.
  o = Object::Create("key:00001234", ObjType::kString, Embstr(std::string(100, 'v')), false, 0, 0);
  EXPECT_EQ(o->BlockSize(), 123u);
  EXPECT_STREQ(EncodingName(*o), "raw");
  Object::Destroy(o);
}

// TrySetInt writes in place while the block has room for the new width and refuses (changing
// nothing) when it has not; the caller then moves the value (string_type_test covers that).
TEST(ObjectTest, TrySetIntAcrossWidthBoundaries) {
  const std::vector<std::pair<int64_t, int64_t>> steps = {{127, 128},
                                                          {128, 127},
                                                          {-128, -129},
                                                          {-129, -128},
                                                          {32767, 32768},
                                                          {32768, 32767},
                                                          {-32768, -32769},
                                                          {INT32_MAX, int64_t{INT32_MAX} + 1},
                                                          {int64_t{INT32_MAX} + 1, INT32_MAX},
                                                          {INT32_MIN, int64_t{INT32_MIN} - 1},
                                                          {INT64_MAX - 1, INT64_MAX},
                                                          {INT64_MIN + 1, INT64_MIN},
                                                          {0, INT64_MIN},
                                                          {INT64_MIN, 0},
                                                          {-1, 0},
                                                          {9999, 10000}};
  for (size_t len : {size_t{1}, size_t{12}, size_t{13}, size_t{100}}) {
    const std::string key = MakeKey(len);
    for (const auto& [from, to] : steps) {
      Object* o = Object::Create(key, ObjType::kString, IntWord(from), false, 0, 0);
      const size_t block = o->BlockSize();
      const size_t cap = o->IntCapacity();
      const bool fits = IntWidth(to) <= cap;
      EXPECT_EQ(o->TrySetInt(to, false), fits) << len << " " << from << "->" << to;
      EXPECT_EQ(o->int_value(), fits ? to : from);
      EXPECT_EQ(o->BlockSize(), block);
      EXPECT_EQ(o->key(), key);
      // A narrower value always fits the block its wider predecessor had.
      if (IntWidth(to) <= IntWidth(from)) {
        EXPECT_TRUE(fits);
      }
      Object::Destroy(o);
    }
  }
}

// kSharedValue only records that Redis would share the integer (OBJECT REFCOUNT); the integer
// is inline either way.
TEST(ObjectTest, SharedFlagFollowsRedisSharing) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{9999}, int64_t{10000}, int64_t{-1}, INT64_MAX}) {
    Object* o = Object::Create("n", ObjType::kString, IntWord(v), false, 0, 0);
    const bool shareable = v >= 0 && v < kSharedIntegers;
    if (IntWidth(v) <= o->IntCapacity()) {
      ASSERT_TRUE(o->TrySetInt(v, /*allow_shared=*/true));
      EXPECT_EQ(o->shared_value(), shareable) << v;
      EXPECT_EQ(o->int_value(), v);
      EXPECT_EQ(o->value_init().shared, shareable);
      ASSERT_TRUE(o->TrySetInt(v, /*allow_shared=*/false));
      EXPECT_FALSE(o->shared_value());
      EXPECT_EQ(o->int_value(), v);
    }
    Object::Destroy(o);
  }
  Object::ValueInit shared{Encoding::kInt, {}, 77, true};
  Object* o = Object::Create("n", ObjType::kString, shared, false, 0, 0);
  EXPECT_TRUE(o->shared_value());
  EXPECT_EQ(o->int_value(), 77);
  EXPECT_TRUE(o->value_init().shared);
  EXPECT_EQ(o->value_init().word, 77u);
  Object::Destroy(o);
}

TEST(ObjectTest, PointerWordsForOtherEncodings) {
  int payload = 5;
  Object::ValueInit raw{Encoding::kRaw, {}, reinterpret_cast<uint64_t>(&payload), false};
  Object* o = Object::Create("list", ObjType::kList, raw, true, 9, 3);
  EXPECT_EQ(o->ptr(), &payload);
  EXPECT_EQ(o->type(), ObjType::kList);
  EXPECT_EQ(o->encoding(), Encoding::kRaw);
  o->set_encoding(Encoding::kQuicklist);
  EXPECT_EQ(o->encoding(), Encoding::kQuicklist);
  EXPECT_EQ(o->type(), ObjType::kList);  // the header's other fields are untouched
  EXPECT_EQ(o->lru(), 3u);
  int other = 6;
  o->set_ptr(&other);
  EXPECT_EQ(o->ptr(), &other);
  EXPECT_EQ(o->expire_ms(), 9);
  Object::Destroy(o);
}

TEST(ObjectTest, LruIs24Bits) {
  Object* o = Object::Create("k", ObjType::kHash, IntWord(1), false, 0, kLruMax);
  EXPECT_EQ(o->lru(), kLruMax);
  EXPECT_EQ(o->type(), ObjType::kHash);
  o->set_lru(kLruMax + 5);  // wraps into 24 bits
  EXPECT_EQ(o->lru(), 4u);
  o->set_lru(0);
  EXPECT_EQ(o->lru(), 0u);
  EXPECT_EQ(o->type(), ObjType::kHash);
  EXPECT_EQ(o->encoding(), Encoding::kInt);
  Object::Destroy(o);
}

TEST(ObjectTest, SetExpireInPlace) {
  // A wide slot holds any time.
  Object* o = Object::Create("k", ObjType::kString, Embstr("v"), true, 100, 0);
  EXPECT_TRUE(o->TrySetExpire(200));
  EXPECT_EQ(o->expire_ms(), 200);
  const int64_t compact = Object::ExpireBase() + 1000;
  EXPECT_TRUE(o->TrySetExpire(compact));
  EXPECT_EQ(o->expire_ms(), compact);
  EXPECT_EQ(o->embedded(), "v");
  EXPECT_EQ(o->key(), "k");
  Object::Destroy(o);
}

TEST(ObjectTest, CompactExpirySlotHoldsOnlyCompactTimes) {
  const int64_t base = Object::ExpireBase();
  Object* o = Object::Create("key", ObjType::kString, IntWord(-3), true, base + 10, 0);
  EXPECT_EQ(o->BlockSize(), 11u + 4 + 3 + 1);
  // The flags that share the byte with the expiry's high bits survive every change of it.
  Object* shared = Object::Create("key", ObjType::kString, {Encoding::kInt, {}, 5, true}, true,
                                  base + (int64_t{1} << 35), 0);
  shared->set_snapshot_mark(true);
  for (Object* x : {o, shared}) {
    for (int64_t when : {base, base + (int64_t{1} << 36) - 1, base + (int64_t{1} << 32),
                         base + (int64_t{1} << 32) - 1, base + 12345678901}) {
      EXPECT_TRUE(x->TrySetExpire(when));
      EXPECT_EQ(x->expire_ms(), when);
      EXPECT_TRUE(x->has_expire());
      EXPECT_EQ(x->key(), "key");
    }
    // Outside the compact range: refused, nothing changed.
    const int64_t before = x->expire_ms();
    for (int64_t when : {base - 1, base + (int64_t{1} << 36), int64_t{1}, INT64_MAX}) {
      EXPECT_FALSE(x->TrySetExpire(when));
      EXPECT_EQ(x->expire_ms(), before);
    }
  }
  EXPECT_EQ(o->int_value(), -3);
  EXPECT_FALSE(o->shared_value());
  EXPECT_FALSE(o->snapshot_mark());
  EXPECT_EQ(shared->int_value(), 5);
  EXPECT_TRUE(shared->shared_value());
  EXPECT_TRUE(shared->snapshot_mark());
  shared->set_snapshot_mark(false);
  EXPECT_EQ(shared->expire_ms(), base + 12345678901);
  Object::Destroy(shared);
  Object::Destroy(o);
}

TEST(ObjectTest, CloneWithValueKeepsKeyAndLru) {
  for (size_t len : kKeyLengths) {
    const std::string key = MakeKey(len);
    Object* o = Object::Create(key, ObjType::kString, Embstr("small"), false, 0, 777);
    const uint32_t h = 12345;
    std::memcpy(o->next_field(), &h,
                sizeof(h));  // chained somewhere: the clone must not inherit it
    // Reshape: int -> embstr, add an expiry, and back.
    Object* c = Object::CloneWithValue(*o, ObjType::kString, IntWord(12345), true, 55);  // wide
    EXPECT_EQ(c->key(), key);
    EXPECT_EQ(c->lru(), 777u);
    EXPECT_EQ(c->encoding(), Encoding::kInt);
    EXPECT_EQ(c->int_value(), 12345);
    EXPECT_TRUE(c->has_expire());
    EXPECT_EQ(c->expire_ms(), 55);
    EXPECT_EQ(c->next_handle(), 0u);
    EXPECT_EQ(c->BlockSize(), ExpectedBytes(len, 55, 2));  // 12345: 2 bytes
    // The original is untouched.
    EXPECT_EQ(o->embedded(), "small");
    EXPECT_FALSE(o->has_expire());

    Object* back = Object::CloneWithValue(*c, ObjType::kString, o->value_init(), false, 0);
    EXPECT_EQ(back->key(), key);
    EXPECT_EQ(back->lru(), 777u);
    EXPECT_EQ(back->embedded(), "small");
    EXPECT_FALSE(back->has_expire());
    EXPECT_EQ(back->BlockSize(), o->BlockSize());
    Object::Destroy(back);
    Object::Destroy(c);
    Object::Destroy(o);
  }
}

TEST(ObjectTest, ValueInitRoundTrips) {
  Object* e = Object::Create("k", ObjType::kString, Embstr("hello"), false, 0, 0);
  const Object::ValueInit vi = e->value_init();
  EXPECT_EQ(vi.encoding, Encoding::kEmbstr);
  EXPECT_EQ(vi.embedded, "hello");
  Object* i = Object::Create("k", ObjType::kString, IntWord(-5), false, 0, 0);
  const Object::ValueInit vj = i->value_init();
  EXPECT_EQ(vj.encoding, Encoding::kInt);
  EXPECT_EQ(vj.word, static_cast<uint64_t>(-5));
  EXPECT_FALSE(vj.shared);
  Object::Destroy(e);
  Object::Destroy(i);
}

// A listpack of `pairs` field/value pairs "f<i>" -> "v<i>" in a block of its own.
uint8_t* PairsListpack(int pairs) {
  uint8_t* lp = ds::LpNew();
  for (int i = 0; i < pairs; ++i) {
    lp = ds::LpAppend(lp, "f" + std::to_string(i));
    lp = ds::LpAppend(lp, "v" + std::to_string(i));
  }
  return lp;
}

TEST(ObjectTest, InlineListpacksSitPackedInTheSlotAndMoveOutToBeWritten) {
  std::string copy;
  for (int64_t expire : Expiries()) {
    uint8_t* lp = PairsListpack(10);
    const size_t lp_bytes = ds::LpBytes(lp);
    // 20 entries of 3 bytes ("f0", "v0", ...) lose their 1-byte back-lengths; the header loses
    // 2 bytes and the terminator goes: 87 -> 64.
    const size_t packed_bytes = ds::LpPackedSize(lp);
    EXPECT_EQ(packed_bytes, lp_bytes - 20 - 3);
    copy.assign(reinterpret_cast<const char*>(lp), lp_bytes);
    const int64_t used = static_cast<int64_t>(mem::UsedMemory());
    const int64_t lp_cost = static_cast<int64_t>(mem::UsableSize(lp));
    // CreateWithListpack takes the block (freed): the object is its slot, exactly the layout's
    // bytes.
    Object* o =
        Object::CreateWithListpack("hash:00000001", ObjType::kHash, lp, expire >= 0, expire, 7);
    ASSERT_TRUE(o->has_inline_listpack());
    EXPECT_EQ(o->encoding(), Encoding::kListpack);
    EXPECT_EQ(o->BlockSize(), ExpectedBytes(13, expire, packed_bytes)) << expire;
    EXPECT_EQ(static_cast<int64_t>(mem::UsedMemory()) - used,
              static_cast<int64_t>(o->BlockCost()) - lp_cost);
    EXPECT_EQ(ds::LpPackedBytes(o->packed_listpack()), packed_bytes);
    EXPECT_EQ(o->ListpackLength(), 20u);
    {
      // A view unpacks Redis's bytes exactly, and allocates nothing.
      const size_t before = mem::UsedMemory();
      const ListpackView view(*o);
      EXPECT_TRUE(view.unpacked());
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(view.get()), lp_bytes), copy);
      EXPECT_EQ(mem::UsedMemory(), before);
    }
    EXPECT_EQ(o->has_expire(), expire >= 0);
    if (expire >= 0) {
      EXPECT_EQ(o->expire_ms(), expire);
    }
    EXPECT_EQ(o->key(), "hash:00000001");
    // value_init refers to the slot's packed bytes; a clone holds its own copy.
    const Object::ValueInit vi = o->value_init();
    EXPECT_EQ(vi.encoding, Encoding::kListpack);
    EXPECT_EQ(vi.embedded,
              std::string_view(reinterpret_cast<const char*>(o->packed_listpack()), packed_bytes));
    Object* clone = Object::CloneWithValue(*o, ObjType::kHash, vi, false, 0);
    EXPECT_TRUE(clone->has_inline_listpack());
    EXPECT_NE(clone->packed_listpack(), o->packed_listpack());
    {
      const ListpackView view(*clone);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(view.get()), lp_bytes), copy);
    }
    // Written without a view: unpacked into a block of its own.
    const ds::LpForward w = clone->ForwardListpack();
    EXPECT_TRUE(w.packed());
    EXPECT_EQ(ds::LpGet(w.Next(w.First())).ToString(), "v0");
    uint8_t* clone_own = clone->WritableListpack();
    EXPECT_FALSE(clone->has_inline_listpack());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(clone_own), lp_bytes), copy);
    ds::LpFree(clone_own);
    Object::Destroy(clone);
    // Written through a view: the listpack moves to a block of its own, with the position
    // rebased, and the word takes its place in the same slot.
    const size_t slot = o->BlockSize();
    uint8_t* own = nullptr;
    {
      const ListpackView view(*o);
      uint8_t* pos = ds::LpSeek(view.get(), 3);
      own = o->WritableListpack(view, &pos);
      EXPECT_EQ(pos, ds::LpSeek(own, 3));
      EXPECT_EQ(ds::LpGet(pos).ToString(), "v1");
    }
    EXPECT_FALSE(o->has_inline_listpack());
    EXPECT_EQ(o->ptr(), own);
    EXPECT_EQ(o->listpack_block(), own);
    EXPECT_EQ(o->BlockSize(), slot);
    if (expire >= 0) {
      EXPECT_EQ(o->expire_ms(), expire);
    }
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(own), lp_bytes), copy);
    // A second call gives the same block; a view of it is the block itself.
    EXPECT_EQ(o->WritableListpack(), own);
    EXPECT_EQ(ListpackView(*o).get(), own);
    EXPECT_FALSE(ListpackView(*o).unpacked());
    ds::LpFree(own);
    Object::Destroy(o);
    EXPECT_EQ(static_cast<int64_t>(mem::UsedMemory()), used - lp_cost);
  }
}

TEST(ObjectTest, AnInlineListpackTakesAtLeastAWord) {
  // One pair "a" -> "1": a 4-byte header and 3 bytes of entries, padded to the 8 bytes of the
  // word that WritableListpack puts in its place.
  uint8_t* lp = ds::LpAppend(ds::LpAppend(ds::LpNew(), "a"), "1");
  ASSERT_EQ(ds::LpPackedSize(lp), 7u);
  Object* o = Object::CreateWithListpack("k", ObjType::kHash, lp, false, 0, 0);
  ASSERT_TRUE(o->has_inline_listpack());
  EXPECT_EQ(o->BlockSize(), ExpectedBytes(1, -1, 8));
  Object* clone = Object::CloneWithValue(*o, ObjType::kHash, o->value_init(), false, 0);
  EXPECT_EQ(clone->BlockSize(), o->BlockSize());
  EXPECT_EQ(clone->ListpackLength(), 2u);
  Object::Destroy(clone);
  uint8_t* own = o->WritableListpack();
  EXPECT_EQ(ds::LpLength(own), 2u);
  EXPECT_EQ(ds::LpGet(ds::LpFirst(own)).ToString(), "a");
  ds::LpFree(own);
  Object::Destroy(o);
}

TEST(ObjectTest, ListpacksTooBigForASmallSlotKeepTheirBlock) {
  // About 1.6 KB of listpack: more than a small slot (1 KB) holds, packed or not.
  uint8_t* lp = PairsListpack(200);
  ASSERT_GT(ds::LpPackedSize(lp), mem::SlabArena::kMaxSmall);
  EXPECT_FALSE(Object::InlineListpack(5, false, 0, lp).has_value());
  Object* o = Object::CreateWithListpack("big", ObjType::kZset, lp, false, 0, 0);
  EXPECT_FALSE(o->has_inline_listpack());
  EXPECT_EQ(o->listpack_block(), lp);
  EXPECT_EQ(o->BlockSize(), ExpectedBytes(3, -1, 8));
  // At the limit it fits, one byte over not (the key counts: a key of 255 bytes or more with
  // its 8-byte length).
  uint8_t* small = PairsListpack(10);
  const size_t room = mem::SlabArena::kMaxSmall - ds::LpPackedSize(small) - 11 - 8;
  ASSERT_GE(room, 255u);
  EXPECT_TRUE(Object::InlineListpack(room, false, 0, small).has_value());
  EXPECT_FALSE(Object::InlineListpack(room + 1, false, 0, small).has_value());
  ds::LpFree(small);
  ds::LpFree(o->listpack_block());
  Object::Destroy(o);
}

TEST(ObjectTest, BlocksAreCountedInUsedMemory) {
  // A big slot (its own jemalloc block) and a small one, after a first slot of each has made the
  // arena's bookkeeping (page table, lists).
  for (size_t len : {size_t{70000}, size_t{12}}) {
    Object::Destroy(Object::Create(MakeKey(len), ObjType::kString, Embstr("v"), true, 1, 0));
    const size_t before = mem::UsedMemory();
    Object* o = Object::Create(MakeKey(len), ObjType::kString, Embstr("v"), true, 1, 0);
    EXPECT_EQ(mem::UsedMemory() - before, o->BlockCost()) << len;
    Object::Destroy(o);
    EXPECT_EQ(mem::UsedMemory(), before);
  }
}

TEST(ObjectTest, Names) {
  EXPECT_STREQ(TypeName(ObjType::kString), "string");
  EXPECT_STREQ(TypeName(ObjType::kList), "list");
  EXPECT_STREQ(TypeName(ObjType::kSet), "set");
  EXPECT_STREQ(TypeName(ObjType::kZset), "zset");
  EXPECT_STREQ(TypeName(ObjType::kHash), "hash");
  EXPECT_STREQ(EncodingName(Encoding::kRaw), "raw");
  EXPECT_STREQ(EncodingName(Encoding::kInt), "int");
  EXPECT_STREQ(EncodingName(Encoding::kHashtable), "hashtable");
  EXPECT_STREQ(EncodingName(Encoding::kIntset), "intset");
  EXPECT_STREQ(EncodingName(Encoding::kSkiplist), "skiplist");
  EXPECT_STREQ(EncodingName(Encoding::kEmbstr), "embstr");
  EXPECT_STREQ(EncodingName(Encoding::kQuicklist), "quicklist");
  EXPECT_STREQ(EncodingName(Encoding::kListpack), "listpack");
  // Redis's OBJ_ENCODING_* numbers.
  EXPECT_EQ(static_cast<int>(Encoding::kEmbstr), 8);
  EXPECT_EQ(static_cast<int>(Encoding::kListpack), 11);
}

TEST(ObjectDeathTest, ContractsAreEnforced) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Object::Create("k", ObjType::kString, Embstr(std::string(256, 'x')), false, 0, 0),
               "");
  Object* o = Object::Create("k", ObjType::kString, Embstr("v"), false, 0, 0);
  EXPECT_DEATH(o->expire_ms(), "has_expire");
  EXPECT_DEATH(o->SetEmbedded(std::string(o->EmbeddedCapacity() + 1, 'x')), "");
  EXPECT_DEATH(static_cast<void>(o->TrySetInt(1, false)), "kInt");
  Object::Destroy(o);
}

}  // namespace
}  // namespace mnemo::db

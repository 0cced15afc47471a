// listpack_test.cc: tests of the listpack (layer: ds): exact Redis byte layouts derived from the
// format spec, a seeded random workload against a std::vector model, and validation of corrupt
// blobs (run under ASan too: every blob handed to LpValidate sits in an exact-size buffer).
#include "mnemo/ds/listpack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/random.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes BytesOf(const uint8_t* lp) { return Bytes(lp, lp + LpBytes(lp)); }

std::vector<std::string> Forward(uint8_t* lp) {
  std::vector<std::string> out;
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p))
    out.push_back(LpGet(p).ToString());
  return out;
}

std::vector<std::string> Backward(uint8_t* lp) {
  std::vector<std::string> out;
  for (uint8_t* p = LpLast(lp); p != nullptr; p = LpPrev(lp, p)) out.push_back(LpGet(p).ToString());
  std::reverse(out.begin(), out.end());
  return out;
}

// A whole listpack from its entries' bytes: header (total, count), entries, terminator.
Bytes Listpack(const std::vector<Bytes>& entries) {
  size_t total = kLpEmptySize;
  for (const Bytes& e : entries) total += e.size();
  Bytes out = {static_cast<uint8_t>(total),          static_cast<uint8_t>(total >> 8),
               static_cast<uint8_t>(total >> 16),    static_cast<uint8_t>(total >> 24),
               static_cast<uint8_t>(entries.size()), static_cast<uint8_t>(entries.size() >> 8)};
  for (const Bytes& e : entries) out.insert(out.end(), e.begin(), e.end());
  out.push_back(0xFF);
  return out;
}

Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

// ---- exact layouts ----

TEST(ListpackLayout, Empty) {
  uint8_t* lp = LpNew();
  EXPECT_EQ(BytesOf(lp), (Bytes{0x07, 0, 0, 0, 0, 0, 0xFF}));
  EXPECT_EQ(LpLength(lp), 0u);
  EXPECT_EQ(LpFirst(lp), nullptr);
  EXPECT_EQ(LpLast(lp), nullptr);
  EXPECT_EQ(LpSeek(lp, 0), nullptr);
  EXPECT_EQ(LpSeek(lp, -1), nullptr);
  EXPECT_TRUE(LpValidate(lp, LpBytes(lp), true));
  LpFree(lp);
}

TEST(ListpackLayout, HelloAnd1024) {
  // "hello": 6-bit string 10|000101, 5 bytes, back-length 6.
  // 1024: 13-bit integer 110|00100 00000000 (0x0400), back-length 2.
  // Total 6 + 7 + 3 + 1 = 17 bytes, 2 elements.
  const Bytes expected = {0x11, 0x00, 0x00, 0x00, 0x02, 0x00, 0x85, 'h', 'e',
                          'l',  'l',  'o',  0x06, 0xC4, 0x00, 0x02, 0xFF};
  uint8_t* lp = LpNew();
  lp = LpAppend(lp, "hello");
  lp = LpAppend(lp, "1024");
  EXPECT_EQ(BytesOf(lp), expected);
  uint8_t* lp2 = LpNew();
  lp2 = LpAppend(lp2, "hello");
  lp2 = LpAppendInteger(lp2, 1024);
  EXPECT_EQ(BytesOf(lp2), expected);
  const LpEntry e = LpGet(LpSeek(lp, 1));
  EXPECT_TRUE(e.is_int);
  EXPECT_EQ(e.int_value, 1024);
  LpFree(lp);
  LpFree(lp2);
}

struct IntCase {
  int64_t value;
  Bytes entry;  // encoding + data + back-length
};

// Every integer encoding and both sides of each boundary, from the spec's table.
const IntCase kIntCases[] = {
    {0, {0x00, 0x01}},
    {1, {0x01, 0x01}},
    {127, {0x7F, 0x01}},
    {128, {0xC0, 0x80, 0x02}},
    {-1, {0xDF, 0xFF, 0x02}},
    {4095, {0xCF, 0xFF, 0x02}},
    {-4096, {0xD0, 0x00, 0x02}},
    {4096, {0xF1, 0x00, 0x10, 0x03}},
    {-4097, {0xF1, 0xFF, 0xEF, 0x03}},
    {32767, {0xF1, 0xFF, 0x7F, 0x03}},
    {-32768, {0xF1, 0x00, 0x80, 0x03}},
    {32768, {0xF2, 0x00, 0x80, 0x00, 0x04}},
    {-32769, {0xF2, 0xFF, 0x7F, 0xFF, 0x04}},
    {8388607, {0xF2, 0xFF, 0xFF, 0x7F, 0x04}},
    {-8388608, {0xF2, 0x00, 0x00, 0x80, 0x04}},
    {8388608, {0xF3, 0x00, 0x00, 0x80, 0x00, 0x05}},
    {-8388609, {0xF3, 0xFF, 0xFF, 0x7F, 0xFF, 0x05}},
    {INT32_MAX, {0xF3, 0xFF, 0xFF, 0xFF, 0x7F, 0x05}},
    {INT32_MIN, {0xF3, 0x00, 0x00, 0x00, 0x80, 0x05}},
    {int64_t{INT32_MAX} + 1, {0xF4, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x09}},
    {int64_t{INT32_MIN} - 1, {0xF4, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0x09}},
    {INT64_MAX, {0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x09}},
    {INT64_MIN, {0xF4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x09}},
};

TEST(ListpackLayout, IntegerEncodings) {
  for (const IntCase& c : kIntCases) {
    SCOPED_TRACE(c.value);
    uint8_t* from_int = LpAppendInteger(LpNew(), c.value);
    uint8_t* from_str = LpAppend(LpNew(), Int64ToString(c.value));
    EXPECT_EQ(BytesOf(from_int), Listpack({c.entry}));
    EXPECT_EQ(BytesOf(from_str), Listpack({c.entry}));
    EXPECT_EQ(LpEncodedEntryBytes(LpEntry::Int(c.value)), c.entry.size());
    const LpEntry e = LpGet(LpFirst(from_str));
    EXPECT_TRUE(e.is_int);
    EXPECT_EQ(e.int_value, c.value);
    char buf[kLpIntBufSize];
    EXPECT_EQ(e.AsBytes(buf), Int64ToString(c.value));
    EXPECT_TRUE(LpValidate(from_int, LpBytes(from_int), true));
    LpFree(from_int);
    LpFree(from_str);
  }
}

TEST(ListpackLayout, AllIntegersInOneListpack) {
  uint8_t* lp = LpNew();
  std::vector<Bytes> entries;
  for (const IntCase& c : kIntCases) {
    lp = LpAppendInteger(lp, c.value);
    entries.push_back(c.entry);
  }
  EXPECT_EQ(BytesOf(lp), Listpack(entries));
  size_t i = 0;
  for (uint8_t* p = LpLast(lp); p != nullptr; p = LpPrev(lp, p), ++i) {
    EXPECT_EQ(LpGet(p).int_value, kIntCases[std::size(kIntCases) - 1 - i].value);
  }
  EXPECT_EQ(i, std::size(kIntCases));
  LpFree(lp);
}

TEST(ListpackLayout, StringEncodingsAndBacklengths) {
  struct Case {
    size_t len;
    Bytes head;     // encoding bytes before the data
    Bytes backlen;  // after the data
  };
  const Case cases[] = {
      {0, {0x80}, {0x01}},
      {1, {0x81}, {0x02}},
      {63, {0xBF}, {0x40}},                                   // 6-bit max; entry 64
      {64, {0xE0, 0x40}, {0x42}},                             // 12-bit min; entry 66
      {125, {0xE0, 0x7D}, {0x7F}},                            // entry 127: last 1-byte back-length
      {126, {0xE0, 0x7E}, {0x01, 0x80}},                      // entry 128: 128 = 1<<7 | 0
      {4095, {0xEF, 0xFF}, {0x20, 0x81}},                     // entry 4097 = 32<<7 | 1
      {4096, {0xF0, 0x00, 0x10, 0x00, 0x00}, {0x20, 0x85}},   // 32-bit length; entry 4101
      {16377, {0xF0, 0xF9, 0x3F, 0x00, 0x00}, {0x7F, 0xFE}},  // entry 16382: 2 bytes
      {16378, {0xF0, 0xFA, 0x3F, 0x00, 0x00}, {0x00, 0xFF, 0xFF}},          // entry 16383: 3 bytes
      {2097146, {0xF0, 0xFA, 0xFF, 0x1F, 0x00}, {0x00, 0xFF, 0xFF, 0xFF}},  // entry 2097151
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.len);
    const std::string s(c.len, 'x');
    uint8_t* lp = LpAppend(LpNew(), s);
    const Bytes entry = Concat(Concat(c.head, Str(s)), c.backlen);
    EXPECT_EQ(BytesOf(lp), Listpack({entry}));
    EXPECT_EQ(LpEncodedEntryBytes(s), entry.size());
    EXPECT_EQ(LpEntryBytes(LpFirst(lp)), entry.size());
    // The back-length leads LpPrev (via LpLast) to the entry's first byte.
    EXPECT_EQ(LpLast(lp), lp + kLpHeaderSize);
    const LpEntry e = LpGet(LpFirst(lp));
    EXPECT_FALSE(e.is_int);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.str), e.len), s);
    EXPECT_TRUE(LpValidate(lp, LpBytes(lp), true));
    LpFree(lp);
  }
}

TEST(ListpackLayout, NonCanonicalIntegersStayStrings) {
  const std::string cases[] = {"007",
                               "+5",
                               " 5",
                               "5 ",
                               "-0",
                               "1.0",
                               "12a",
                               "-",
                               "0x10",
                               "1e3",
                               "",
                               "00",
                               "--1",
                               "9223372036854775808",
                               "-9223372036854775809",
                               "99999999999999999999"};
  for (const std::string& s : cases) {
    SCOPED_TRACE(s);
    uint8_t* lp = LpAppend(LpNew(), s);
    Bytes entry = Concat(Bytes{static_cast<uint8_t>(0x80 | s.size())}, Str(s));
    entry.push_back(static_cast<uint8_t>(1 + s.size()));
    EXPECT_EQ(BytesOf(lp), Listpack({entry}));
    EXPECT_FALSE(LpGet(LpFirst(lp)).is_int);
    LpFree(lp);
  }
}

TEST(ListpackLayout, CountBecomesUnknownAndIsRecounted) {
  uint8_t* lp = LpNew();
  std::vector<LpEntry> batch(65534, LpEntry::Int(7));
  lp = LpBatchAppend(lp, batch);
  EXPECT_EQ(lp[4] | lp[5] << 8, 65534);
  lp = LpAppendInteger(lp, 8);  // 65535 elements: the field says "unknown"
  EXPECT_EQ(lp[4] | lp[5] << 8, kLpCountUnknown);
  EXPECT_EQ(LpLength(lp), 65535u);
  EXPECT_EQ(lp[4] | lp[5] << 8, kLpCountUnknown);  // 65535 does not fit: still unknown
  lp = LpAppendInteger(lp, 9);
  EXPECT_EQ(LpLength(lp), 65536u);
  EXPECT_TRUE(LpValidate(lp, LpBytes(lp), true));
  EXPECT_EQ(LpGet(LpSeek(lp, -1)).int_value, 9);
  EXPECT_EQ(LpGet(LpSeek(lp, 65534)).int_value, 8);
  lp = LpDelete(lp, LpFirst(lp)).lp;
  lp = LpDelete(lp, LpFirst(lp)).lp;
  EXPECT_EQ(lp[4] | lp[5] << 8, kLpCountUnknown);  // deletes do not recount
  EXPECT_EQ(LpLength(lp), 65534u);
  EXPECT_EQ(lp[4] | lp[5] << 8, 65534);  // LpLength wrote the count back
  EXPECT_EQ(LpBytes(lp), kLpEmptySize + 65534 * 2);
  LpFree(lp);
}

// ---- operations ----

TEST(Listpack, InsertDeleteReplacePositions) {
  uint8_t* lp = LpNew();
  lp = LpAppend(lp, "b");
  lp = LpPrepend(lp, "a");
  lp = LpAppendInteger(lp, 3);
  LpEdit e = LpInsertString(lp, "x", LpSeek(lp, 1), LpWhere::kAfter);  // a b x 3
  lp = e.lp;
  EXPECT_TRUE(LpEquals(e.p, "x"));
  e = LpInsertInteger(lp, -5, LpSeek(lp, 0), LpWhere::kBefore);  // -5 a b x 3
  lp = e.lp;
  EXPECT_EQ(e.p, LpFirst(lp));
  e = LpReplace(lp, LpSeek(lp, 2), "B-long-replacement-string-that-grows-the-entry");
  lp = e.lp;
  EXPECT_TRUE(LpEquals(e.p, "B-long-replacement-string-that-grows-the-entry"));
  e = LpReplaceInteger(lp, LpSeek(lp, -1), 300);
  lp = e.lp;
  EXPECT_EQ(Forward(lp),
            (std::vector<std::string>{"-5", "a", "B-long-replacement-string-that-grows-the-entry",
                                      "x", "300"}));
  e = LpDelete(lp, LpSeek(lp, 1));  // returns the next element
  lp = e.lp;
  EXPECT_TRUE(LpEquals(e.p, "B-long-replacement-string-that-grows-the-entry"));
  e = LpDelete(lp, LpLast(lp));  // last: returns null
  lp = e.lp;
  EXPECT_EQ(e.p, nullptr);
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{
                             "-5", "B-long-replacement-string-that-grows-the-entry", "x"}));
  EXPECT_EQ(LpLength(lp), 3u);
  LpFree(lp);
}

TEST(Listpack, ReplaceInPlaceOnlyWhenTheSizeStays) {
  uint8_t* lp = LpNew();
  for (std::string_view s : {"abc", "12", "x", "1000"}) lp = LpAppend(lp, s);
  const std::vector<uint8_t> header(lp, lp + kLpHeaderSize);
  const size_t bytes = LpBytes(lp);
  // Same encoded size: a 3-byte string for a 3-byte string, a 7-bit integer for another, a
  // 13-bit one for another; written where it was, header and neighbours untouched.
  EXPECT_TRUE(LpReplaceInPlace(LpSeek(lp, 0), "xyz"));
  EXPECT_TRUE(LpReplaceInPlace(LpSeek(lp, 1), "99"));
  EXPECT_TRUE(LpReplaceInPlace(LpSeek(lp, 3), "-4000"));
  EXPECT_EQ(std::vector<uint8_t>(lp, lp + kLpHeaderSize), header);
  EXPECT_EQ(LpBytes(lp), bytes);
  // Another size: refused, nothing changed.
  EXPECT_FALSE(LpReplaceInPlace(LpSeek(lp, 2), "xy"));
  EXPECT_FALSE(LpReplaceInPlace(LpSeek(lp, 1), "128"));  // needs the 13-bit encoding
  EXPECT_FALSE(LpReplaceInPlace(LpSeek(lp, 0), "abcd"));
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"xyz", "99", "x", "-4000"}));
  EXPECT_EQ(Backward(lp), Forward(lp));  // the back-lengths agree
  EXPECT_TRUE(LpValidate(lp, LpBytes(lp), true));
  // The string may be the element's own bytes.
  uint8_t* p = LpSeek(lp, 0);
  const LpEntry e = LpGet(p);
  EXPECT_TRUE(LpReplaceInPlace(p, {reinterpret_cast<const char*>(e.str), e.len}));
  EXPECT_TRUE(LpEquals(LpSeek(lp, 0), "xyz"));
  LpFree(lp);
}

TEST(Listpack, DeleteRangeLikeRedis) {
  uint8_t* lp = LpNew();
  for (const char* s : {"abc", "def", "bob", "foo"}) lp = LpAppend(lp, s);
  lp = LpDeleteRange(lp, 4, 1);  // out of range: nothing
  EXPECT_EQ(LpLength(lp), 4u);
  lp = LpDeleteRange(lp, -5, 1);
  EXPECT_EQ(LpLength(lp), 4u);
  lp = LpDeleteRange(lp, 1, UINT32_MAX);  // more than there is: to the end
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"abc"}));
  lp = LpAppend(lp, "x");
  lp = LpAppend(lp, "y");
  lp = LpDeleteRange(lp, -2, 1);
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"abc", "y"}));
  lp = LpDeleteRange(lp, 0, 2);
  EXPECT_EQ(LpBytes(lp), kLpEmptySize);
  EXPECT_EQ(LpLength(lp), 0u);
  LpFree(lp);
}

TEST(Listpack, MergeDupShrink) {
  uint8_t* a = LpNew();
  uint8_t* b = LpNew();
  a = LpAppend(a, "abc");
  a = LpAppend(a, "def");
  b = LpAppendInteger(b, 12345);
  b = LpAppend(b, std::string(100, 'z'));
  uint8_t* copy = LpDup(b);
  EXPECT_EQ(BytesOf(copy), BytesOf(b));
  uint8_t* m = LpMerge(a, b);
  EXPECT_EQ(Forward(m), (std::vector<std::string>{"abc", "def", "12345", std::string(100, 'z')}));
  EXPECT_EQ(Backward(m), Forward(m));
  EXPECT_EQ(LpLength(m), 4u);
  EXPECT_TRUE(LpValidate(m, LpBytes(m), true));
  uint8_t* big = LpNew(4096);
  EXPECT_GE(mem::UsableSize(big), 4096u);
  big = LpAppend(big, "x");
  big = LpShrinkToFit(big);
  EXPECT_EQ(mem::UsableSize(big), mem::SizeClass(LpBytes(big)));
  LpFree(m);
  LpFree(copy);
  LpFree(big);
}

TEST(Listpack, StringsFromInsideTheListpack) {
  uint8_t* lp = LpNew();
  const std::string big(5000, 'q');
  lp = LpAppend(lp, big);
  for (int i = 0; i < 5; ++i) {
    const LpEntry e = LpGet(LpFirst(lp));  // points into lp, which the append may move
    lp = LpAppend(lp, std::string_view(reinterpret_cast<const char*>(e.str), e.len));
  }
  const LpEntry first = LpGet(LpFirst(lp));
  lp = LpBatchAppend(lp, std::vector<LpEntry>{first, LpEntry::Int(1), first});
  const LpEntry again = LpGet(LpFirst(lp));  // `first` died with the old block
  lp = LpReplace(lp, LpSeek(lp, 1), std::string_view(reinterpret_cast<const char*>(again.str), 10))
           .lp;
  const std::vector<std::string> got = Forward(lp);
  ASSERT_EQ(got.size(), 9u);
  EXPECT_EQ(got[1], big.substr(0, 10));
  for (size_t i : {0, 2, 3, 4, 5, 6, 8}) EXPECT_EQ(got[i], big) << i;
  EXPECT_EQ(got[7], "1");
  EXPECT_TRUE(LpValidate(lp, LpBytes(lp), true));
  LpFree(lp);
}

TEST(Listpack, FindWithSkipSearchesOnlyFields) {
  // A hash: field, value, field, value... Values that equal fields must not match with skip 1.
  uint8_t* lp = LpNew();
  const std::vector<std::string> items = {"f1", "f2", "f2", "100", "100", "x", "", "7", "-3", ""};
  for (const std::string& s : items) lp = LpAppend(lp, s);
  auto index_of = [&](uint8_t* p) {
    if (p == nullptr) return -1;
    int i = 0;
    for (uint8_t* q = LpFirst(lp); q != p; q = LpNext(lp, q)) ++i;
    return i;
  };
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "f2", 1)), 2);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "f2", 0)), 1);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "100", 1)), 4);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "x", 1)), -1);  // only a value
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "", 1)), 6);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "", 0)), 6);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "7", 1)), -1);
  EXPECT_EQ(index_of(LpFind(lp, LpSeek(lp, 1), "7", 1)), 7);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "-3", 1)), 8);
  EXPECT_EQ(index_of(LpFind(lp, LpFirst(lp), "0100", 0)), -1);  // not canonical: no int match
  EXPECT_EQ(LpFind(lp, nullptr, "f1", 0), nullptr);
  LpFree(lp);
}

TEST(Listpack, SafeToAdd) {
  EXPECT_TRUE(LpSafeToAdd(nullptr, kLpMaxSafetySize));
  EXPECT_FALSE(LpSafeToAdd(nullptr, kLpMaxSafetySize + 1));
  EXPECT_FALSE(LpSafeToAdd(nullptr, SIZE_MAX));
  uint8_t* lp = LpNew();
  EXPECT_TRUE(LpSafeToAdd(lp, kLpMaxSafetySize - kLpEmptySize));
  EXPECT_FALSE(LpSafeToAdd(lp, kLpMaxSafetySize - kLpEmptySize + 1));
  LpFree(lp);
}

// ---- random sampling ----

TEST(ListpackRandom, PairsAndEntries) {
  SeedRandom(42);
  uint8_t* lp = LpNew();
  const int kPairs = 10;
  for (int i = 0; i < kPairs; ++i) {
    lp = LpAppend(lp, "k" + std::to_string(i));
    lp = LpAppendInteger(lp, i * 1000);
  }
  auto key_index = [](const LpEntry& k) { return std::stoi(k.ToString().substr(1)); };
  std::set<int> seen;
  for (int i = 0; i < 500; ++i) {
    const LpPair pair = LpRandomPair(lp, kPairs);
    const int k = key_index(pair.key);
    ASSERT_TRUE(pair.value.is_int);
    EXPECT_EQ(pair.value.int_value, k * 1000);
    seen.insert(k);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPairs));  // 500 draws miss one with p ~ 1e-22

  std::vector<LpEntry> keys(300), values(300);
  LpRandomPairs(lp, keys, values);
  seen.clear();
  for (size_t i = 0; i < keys.size(); ++i) {
    const int k = key_index(keys[i]);
    EXPECT_EQ(values[i].int_value, k * 1000);
    seen.insert(k);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPairs));
  // Picks come back in random order, not sorted by position.
  EXPECT_FALSE(std::is_sorted(keys.begin(), keys.end(), [&](const LpEntry& a, const LpEntry& b) {
    return key_index(a) < key_index(b);
  }));

  std::vector<LpEntry> ukeys(4), uvalues(4);
  EXPECT_EQ(LpRandomPairsUnique(lp, ukeys, uvalues), 4u);
  std::set<int> unique;
  int last = -1;
  for (size_t i = 0; i < 4; ++i) {
    const int k = key_index(ukeys[i]);
    EXPECT_GT(k, last);  // listpack order, no repeats
    last = k;
    EXPECT_EQ(uvalues[i].int_value, k * 1000);
    unique.insert(k);
  }
  EXPECT_EQ(unique.size(), 4u);
  std::vector<LpEntry> all(25);
  EXPECT_EQ(LpRandomPairsUnique(lp, all, {}), static_cast<size_t>(kPairs));
  for (int i = 0; i < kPairs; ++i) EXPECT_EQ(key_index(all[i]), i);

  // Every 3-subset of the pairs should show up over many draws (uniformity, coarsely).
  std::map<std::vector<int>, int> subsets;
  for (int draw = 0; draw < 20000; ++draw) {
    std::vector<LpEntry> k3(3);
    ASSERT_EQ(LpRandomPairsUnique(lp, k3, {}), 3u);
    subsets[{key_index(k3[0]), key_index(k3[1]), key_index(k3[2])}]++;
  }
  EXPECT_EQ(subsets.size(), 120u);                                        // C(10, 3)
  for (const auto& [subset, n] : subsets) EXPECT_GT(n, 80) << subset[0];  // expected ~167

  // Single elements (a set).
  std::vector<LpEntry> elems(50);
  LpRandomEntries(lp, elems);
  for (const LpEntry& e : elems) EXPECT_TRUE(LpFind(lp, LpFirst(lp), e.ToString(), 0) != nullptr);
  std::vector<LpEntry> uelems(20);
  EXPECT_EQ(LpRandomEntriesUnique(lp, uelems), 20u);
  EXPECT_EQ(LpRandomEntry(lp).ToString().empty(), false);
  std::set<std::string> distinct;
  for (const LpEntry& e : uelems) distinct.insert(e.ToString());
  EXPECT_EQ(distinct.size(), 20u);
  LpFree(lp);
}

// ---- random workload against a model ----

class ValueGen {
 public:
  explicit ValueGen(uint64_t seed) : rng_(seed) {}

  std::string Next() {
    switch (Below(12)) {
      case 0:
        return std::to_string(static_cast<int64_t>(Below(300)) - 150);
      case 1:
        return Int64ToString(kEdges[Below(std::size(kEdges))]);
      case 2:
        return Int64ToString(static_cast<int64_t>(rng_()));
      case 3:
        return "";
      case 4:
        return RandomString(1 + Below(20));
      case 5:
        return RandomString(kLengths[Below(std::size(kLengths))]);
      case 6:
        return kNonCanonical[Below(std::size(kNonCanonical))];
      case 7:
        return RandomString(Below(200));
      case 8:
        return Int64ToString(static_cast<int64_t>(rng_() >> Below(64)));
      default:
        return RandomString(1 + Below(8));
    }
  }
  uint64_t Below(uint64_t n) { return rng_() % n; }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::string RandomString(size_t n) {
    std::string s(n, ' ');
    for (char& c : s) c = static_cast<char>('a' + Below(26));
    return s;
  }

  static constexpr int64_t kEdges[] = {0,
                                       127,
                                       128,
                                       -1,
                                       4095,
                                       4096,
                                       -4096,
                                       -4097,
                                       32767,
                                       32768,
                                       -32768,
                                       -32769,
                                       8388607,
                                       8388608,
                                       -8388608,
                                       -8388609,
                                       INT32_MAX,
                                       INT32_MIN,
                                       int64_t{INT32_MAX} + 1,
                                       int64_t{INT32_MIN} - 1,
                                       INT64_MAX,
                                       INT64_MIN,
                                       INT64_MAX - 1,
                                       INT64_MIN + 1};
  static constexpr size_t kLengths[] = {63, 64, 4095, 4096, 125, 126, 16377, 16378, 40000};
  static constexpr const char* kNonCanonical[] = {
      "007", "+1", "-0", " 1", "1 ", "1.5", "9223372036854775808", "0x1"};
  std::mt19937_64 rng_;
};

void ExpectSame(uint8_t* lp, const std::vector<std::string>& model) {
  ASSERT_TRUE(LpValidate(lp, LpBytes(lp), true));
  ASSERT_EQ(LpLength(lp), model.size());
  ASSERT_EQ(Forward(lp), model);
  ASSERT_EQ(Backward(lp), model);
  // Blocks stay tight: the usable size is the size class of the content.
  ASSERT_EQ(mem::UsableSize(lp), mem::SizeClass(LpBytes(lp)));
}

TEST(ListpackModel, RandomWorkload) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    ValueGen gen(seed);
    std::vector<std::string> model;
    uint8_t* lp = LpNew();
    for (int op = 0; op < 6000; ++op) {
      const size_t n = model.size();
      // Keep the listpack around a few hundred elements: shrink harder when it is big.
      const uint64_t kind = gen.Below(n > 300 ? 14 : 11);
      if (kind == 0 || n == 0) {
        const std::string v = gen.Next();
        lp = LpAppend(lp, v);
        model.push_back(v);
      } else if (kind == 1) {
        const std::string v = gen.Next();
        lp = LpPrepend(lp, v);
        model.insert(model.begin(), v);
      } else if (kind == 2 || kind == 3) {
        const size_t i = gen.Below(n);
        const bool after = kind == 3;
        const std::string v = gen.Next();
        LpEdit e = LpInsertString(lp, v, LpSeek(lp, static_cast<int64_t>(i)),
                                  after ? LpWhere::kAfter : LpWhere::kBefore);
        lp = e.lp;
        ASSERT_TRUE(LpEquals(e.p, v));
        model.insert(model.begin() + static_cast<ptrdiff_t>(i + (after ? 1 : 0)), v);
      } else if (kind == 4) {
        const size_t i = gen.Below(n);
        const std::string v = gen.Next();
        // Negative index half the time.
        const int64_t idx = gen.Below(2) ? static_cast<int64_t>(i)
                                         : static_cast<int64_t>(i) - static_cast<int64_t>(n);
        lp = LpReplace(lp, LpSeek(lp, idx), v).lp;
        model[i] = v;
      } else if (kind == 5) {
        const size_t i = gen.Below(n);
        const LpEdit e = LpDelete(lp, LpSeek(lp, static_cast<int64_t>(i)));
        lp = e.lp;
        model.erase(model.begin() + static_cast<ptrdiff_t>(i));
        if (i == model.size()) {
          ASSERT_EQ(e.p, nullptr);
        } else {
          ASSERT_TRUE(LpEquals(e.p, model[i]));
        }
      } else if (kind == 6) {
        std::vector<std::string> vals(gen.Below(6));
        std::vector<LpEntry> entries;
        for (std::string& v : vals) {
          v = gen.Next();
          if (gen.Below(3) == 0 && ParseInt64(v)) {
            entries.push_back(LpEntry::Int(*ParseInt64(v)));
          } else {
            entries.push_back(LpEntry::String(v));
          }
        }
        lp = LpBatchAppend(lp, entries);
        model.insert(model.end(), vals.begin(), vals.end());
      } else if (kind == 7) {
        const int64_t idx =
            static_cast<int64_t>(gen.Below(n + 2)) - static_cast<int64_t>(gen.Below(n + 2));
        const size_t num = gen.Below(5);
        lp = LpDeleteRange(lp, idx, num);
        int64_t start = idx < 0 ? idx + static_cast<int64_t>(n) : idx;
        if (start >= 0 && start < static_cast<int64_t>(n)) {
          const size_t end = std::min(n, static_cast<size_t>(start) + num);
          model.erase(model.begin() + start, model.begin() + static_cast<ptrdiff_t>(end));
        }
      } else if (kind == 8) {
        // Find (skip 0) agrees with the model's first match from a random start.
        const size_t from = gen.Below(n);
        const std::string needle = gen.Below(2) ? model[gen.Below(n)] : gen.Next();
        uint8_t* p = LpFind(lp, LpSeek(lp, static_cast<int64_t>(from)), needle, 0);
        auto it = std::find(model.begin() + static_cast<ptrdiff_t>(from), model.end(), needle);
        if (it == model.end()) {
          ASSERT_EQ(p, nullptr) << needle;
        } else {
          ASSERT_EQ(p, LpSeek(lp, it - model.begin())) << needle;
        }
      } else if (kind == 9) {
        const size_t i = gen.Below(n);
        ASSERT_EQ(LpGet(LpSeek(lp, static_cast<int64_t>(i))).ToString(), model[i]);
        ASSERT_EQ(LpGet(LpSeek(lp, static_cast<int64_t>(i) - static_cast<int64_t>(n))).ToString(),
                  model[i]);
        ASSERT_EQ(LpSeek(lp, static_cast<int64_t>(n)), nullptr);
        ASSERT_EQ(LpSeek(lp, -static_cast<int64_t>(n) - 1), nullptr);
      } else if (kind == 10) {
        const size_t i = gen.Below(n);
        const int64_t v = static_cast<int64_t>(gen.rng()()) >> gen.Below(64);
        lp = LpInsertInteger(lp, v, LpSeek(lp, static_cast<int64_t>(i)), LpWhere::kReplace).lp;
        model[i] = Int64ToString(v);
      } else {
        const size_t start = gen.Below(n);
        const size_t num = 1 + gen.Below(40);
        lp = LpDeleteRangeWithEntry(lp, LpSeek(lp, static_cast<int64_t>(start)), num).lp;
        model.erase(model.begin() + static_cast<ptrdiff_t>(start),
                    model.begin() + static_cast<ptrdiff_t>(std::min(n, start + num)));
      }
      if (op % 16 == 0) ExpectSame(lp, model);
      if (HasFatalFailure()) return;
    }
    ExpectSame(lp, model);
    LpFree(lp);
  }
}

TEST(ListpackModel, NoLeaks) {
  const size_t before = mem::UsedMemory();
  {
    ValueGen gen(99);
    uint8_t* lp = LpNew();
    for (int i = 0; i < 2000; ++i) {
      lp = LpAppend(lp, gen.Next());
      if (i % 3 == 0) lp = LpDelete(lp, LpFirst(lp)).lp;
    }
    lp = LpMerge(lp, LpDup(lp));
    LpFree(lp);
  }
  EXPECT_EQ(mem::UsedMemory(), before);
}

// ---- validation ----

// A copy of `bytes` in a block of exactly that size, so that ASan flags any read past it.
class ExactBuffer {
 public:
  explicit ExactBuffer(const Bytes& bytes) : size_(bytes.size()), data_(new uint8_t[size_]) {
    if (size_ != 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  const uint8_t* data() const { return data_.get(); }
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<uint8_t[]> data_;
};

bool Validate(const Bytes& bytes, bool deep) {
  ExactBuffer buf(bytes);
  return LpValidate(buf.data(), buf.size(), deep);
}

// When a blob passes deep validation, every reader must work on it without leaving it: walk it
// both ways, read every element, seek and count.
void ExerciseValid(const Bytes& bytes) {
  ExactBuffer buf(bytes);
  uint8_t* lp = buf.data();
  size_t forward = 0, backward = 0;
  char ibuf[kLpIntBufSize];
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p), ++forward) {
    (void)LpGet(p).AsBytes(ibuf);
  }
  for (uint8_t* p = LpLast(lp); p != nullptr; p = LpPrev(lp, p), ++backward) {
    (void)LpGet(p).AsBytes(ibuf);
  }
  EXPECT_EQ(forward, backward);
  EXPECT_EQ(LpLength(lp), forward);
  if (forward > 0) {
    EXPECT_NE(LpSeek(lp, -1), nullptr);
    (void)LpFind(lp, LpFirst(lp), "needle", 1);
  }
}

Bytes SampleListpack(uint64_t seed, int elements) {
  ValueGen gen(seed);
  uint8_t* lp = LpNew();
  for (int i = 0; i < elements; ++i) {
    std::string v = gen.Next();
    if (v.size() > 300) v.resize(300);  // keep fuzz blobs small
    lp = LpAppend(lp, v);
  }
  Bytes out = BytesOf(lp);
  LpFree(lp);
  return out;
}

void SetTotal(Bytes& b, size_t total) {
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(total >> (8 * i));
}

// ---- the packed form ----

// Every encoding: 7-bit, 13-bit, 16/24/32/64-bit integers; 6-bit, 12-bit and 32-bit strings
// (with 1- and 2-byte back-lengths); strings that look like numbers but are not canonical.
std::vector<std::string> EveryEncoding() {
  return {"0",
          "127",
          "128",
          "-1",
          "4095",
          "-4096",
          "32767",
          "-8388608",
          "2147483647",
          "9223372036854775807",
          "",
          "a",
          std::string(63, 'x'),
          std::string(64, 'y'),
          std::string(200, 'z'),
          std::string(4096, 'w'),
          "1.5",
          "007",
          "-0",
          "f1"};
}

Bytes Packed(const uint8_t* lp) {
  Bytes out(LpPackedSize(lp));
  LpPack(lp, out.data());
  return out;
}

TEST(ListpackPacked, RoundTripsEveryEncodingAndWalksForwards) {
  const std::vector<std::string> elems = EveryEncoding();
  uint8_t* lp = LpNew();
  for (const std::string& e : elems) lp = LpAppend(lp, e);
  // Each entry loses its back-length, the header 2 bytes, the terminator 1.
  size_t backlens = 0;
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p)) {
    backlens += LpEntryBytes(p) < 128 + 1 ? 1 : 2;  // entries here are < 16383 + 2 bytes
  }
  Bytes packed = Packed(lp);
  ASSERT_EQ(packed.size(), LpBytes(lp) - backlens - 3);
  EXPECT_EQ(LpPackedBytes(packed.data()), packed.size());
  EXPECT_EQ(LpPackedLength(packed.data()), elems.size());
  EXPECT_EQ(LpUnpackedSize(packed.data()), LpBytes(lp));
  EXPECT_LE(LpBytes(lp), LpUnpackedBound(packed.size()));
  Bytes out(LpUnpackedSize(packed.data()));
  EXPECT_EQ(LpUnpack(packed.data(), out.data()), out.data());
  EXPECT_EQ(out, BytesOf(lp));
  EXPECT_TRUE(LpValidate(out.data(), out.size(), true));
  // Forwards, element by element, in both forms; every position maps to the unpacked one.
  const LpForward w = LpForward::Packed(packed.data());
  const LpForward wl = LpForward::Listpack(lp);
  EXPECT_TRUE(w.packed());
  EXPECT_FALSE(wl.packed());
  size_t i = 0;
  uint8_t* q = wl.First();
  for (uint8_t* p = w.First(); p != nullptr; p = w.Next(p), q = wl.Next(q), ++i) {
    ASSERT_LT(i, elems.size());
    EXPECT_EQ(LpGet(p).ToString(), elems[i]) << i;
    EXPECT_TRUE(LpEquals(p, elems[i])) << i;
    EXPECT_EQ(q, LpSeek(lp, static_cast<int64_t>(i))) << i;
    Bytes again(out.size());
    uint8_t* pos = p;
    LpUnpack(packed.data(), again.data(), &pos);
    EXPECT_EQ(pos, LpSeek(again.data(), static_cast<int64_t>(i))) << i;
  }
  EXPECT_EQ(i, elems.size());
  EXPECT_EQ(q, nullptr);
  LpFree(lp);
}

TEST(ListpackPacked, FindAgreesWithLpFind) {
  const std::vector<std::string> elems = EveryEncoding();
  uint8_t* lp = LpNew();
  for (const std::string& e : elems) lp = LpAppend(lp, e);
  Bytes packed = Packed(lp);
  std::vector<std::string> probes = elems;
  probes.insert(probes.end(), {"missing", "126", "1", std::string(64, 'x'), "7"});
  for (size_t skip : {size_t{0}, size_t{1}}) {
    for (const std::string& s : probes) {
      uint8_t* want = LpFind(lp, LpFirst(lp), s, skip);
      uint8_t* got = LpForward::Packed(packed.data()).Find(s, skip);
      ASSERT_EQ(want == nullptr, got == nullptr) << s << " skip " << skip;
      if (want != nullptr) {
        // The same element: unpacking maps the one found to the one LpFind found.
        Bytes out(LpUnpackedSize(packed.data()));
        uint8_t* pos = got;
        LpUnpack(packed.data(), out.data(), &pos);
        EXPECT_EQ(pos - out.data(), want - lp) << s;
      }
    }
  }
  // Empty.
  uint8_t* empty = LpNew();
  Bytes packed_empty = Packed(empty);
  EXPECT_EQ(packed_empty.size(), kLpPackedHeaderSize);
  EXPECT_EQ(LpForward::Packed(packed_empty.data()).First(), nullptr);
  EXPECT_EQ(LpForward::Packed(packed_empty.data()).Find("", 0), nullptr);
  EXPECT_EQ(LpForward::Listpack(empty).First(), nullptr);
  EXPECT_EQ(LpUnpackedSize(packed_empty.data()), kLpEmptySize);
  LpFree(empty);
  LpFree(lp);
}

TEST(ListpackPacked, ReplaceInPlaceTakesOnlyTheSameSize) {
  uint8_t* lp = LpNew();
  for (const char* e : {"f1", "10", "f2", "abc", "f3", "100000"}) lp = LpAppend(lp, e);
  Bytes packed = Packed(lp);
  const Bytes before = packed;
  const LpForward w = LpForward::Packed(packed.data());
  uint8_t* v1 = w.Find("10", 0);
  uint8_t* v2 = w.Find("abc", 0);
  uint8_t* v3 = w.Find("100000", 0);
  // Another size: refused, nothing changed.
  EXPECT_FALSE(w.ReplaceInPlace(v1, LpEntry::String("x")));  // 7-bit int -> 2-byte string
  EXPECT_FALSE(w.ReplaceInPlace(v2, LpEntry::String("abcd")));
  EXPECT_FALSE(w.ReplaceInPlace(v3, LpEntry::Int(5)));
  EXPECT_EQ(packed, before);
  // The same size: written where it is.
  EXPECT_TRUE(w.ReplaceInPlace(v1, LpEntry::Int(99)));
  EXPECT_TRUE(w.ReplaceInPlace(v2, LpEntry::String("xyz")));
  EXPECT_TRUE(w.ReplaceInPlace(v3, LpEntry::Int(-100000)));
  // It unpacks to what the same edits make of the listpack.
  uint8_t* p = LpFind(lp, LpFirst(lp), "10", 0);
  lp = LpReplaceInteger(lp, p, 99).lp;
  p = LpFind(lp, LpFirst(lp), "abc", 0);
  lp = LpReplace(lp, p, "xyz").lp;
  p = LpFind(lp, LpFirst(lp), "100000", 0);
  lp = LpReplaceInteger(lp, p, -100000).lp;
  Bytes out(LpUnpackedSize(packed.data()));
  LpUnpack(packed.data(), out.data());
  EXPECT_EQ(out, BytesOf(lp));
  LpFree(lp);
}

TEST(ListpackPacked, TooBigOrUncountedHasNoPackedForm) {
  uint8_t* lp = LpAppend(LpNew(), std::string(kLpPackedMaxBytes, 'x'));
  EXPECT_EQ(LpPackedSize(lp), 0u);  // 4 + 5 + 65535 bytes
  LpFree(lp);
  lp = LpAppend(LpNew(), std::string(kLpPackedMaxBytes - 9, 'x'));
  EXPECT_EQ(LpPackedSize(lp), kLpPackedMaxBytes);  // exactly the limit
  LpFree(lp);
  lp = LpNew();
  for (size_t i = 0; i < kLpCountUnknown; ++i) lp = LpAppendInteger(lp, 1);
  EXPECT_EQ(LpPackedSize(lp), 0u);  // the count says unknown
  LpFree(lp);
}

TEST(ListpackValidate, AcceptsWellFormed) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Bytes b = SampleListpack(seed, static_cast<int>(seed * 3));
    EXPECT_TRUE(Validate(b, true));
    EXPECT_TRUE(Validate(b, false));
  }
}

TEST(ListpackValidate, RejectsHeaderProblems) {
  const Bytes good = SampleListpack(7, 10);
  EXPECT_FALSE(Validate({}, true));
  EXPECT_FALSE(Validate({0x06, 0, 0, 0, 0, 0}, true));             // shorter than 7
  EXPECT_FALSE(Validate({0x07, 0, 0, 0, 0, 0, 0xFE}, true));       // no terminator
  EXPECT_FALSE(Validate({0x08, 0, 0, 0, 0, 0, 0xFF}, true));       // header says 8, have 7
  EXPECT_FALSE(Validate({0x07, 0, 0, 0, 1, 0, 0xFF}, true));       // count 1, no entries
  EXPECT_TRUE(Validate({0x07, 0, 0, 0, 0xFF, 0xFF, 0xFF}, true));  // unknown count is fine
  Bytes longer = good;
  longer.push_back(0xFF);  // one byte more than the header says
  EXPECT_FALSE(Validate(longer, true));
  EXPECT_FALSE(LpValidate(nullptr, 0, true));
  // Every truncation disagrees with the header.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(Validate(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(n)), true));
    EXPECT_FALSE(Validate(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(n)), false));
  }
}

TEST(ListpackValidate, RejectsEntryProblems) {
  auto with = [](const Bytes& entry, uint16_t count = 1) {
    Bytes b = Listpack({entry});
    b[4] = static_cast<uint8_t>(count);
    b[5] = static_cast<uint8_t>(count >> 8);
    return b;
  };
  EXPECT_TRUE(Validate(with({0x85, 'h', 'e', 'l', 'l', 'o', 0x06}), true));
  for (uint8_t unused = 0xF5; unused <= 0xFE; ++unused) {
    EXPECT_FALSE(Validate(with({unused, 0x01}), true)) << int{unused};
    EXPECT_FALSE(Validate(with({unused, 0x01}), false)) << int{unused};  // shallow: first entry
  }
  EXPECT_FALSE(Validate(with({0xFF, 0x01}), true));                           // terminator inside
  EXPECT_FALSE(Validate(with({0x85, 'h', 'e', 'l', 'l', 'o', 0x07}), true));  // wrong back-length
  EXPECT_FALSE(Validate(with({0x85, 'h', 'e', 'l', 'l', 0x06}), true));       // string runs over
  EXPECT_FALSE(Validate(with({0x85, 'h', 'e', 'l', 'l', 'o'}), true));        // no back-length
  EXPECT_FALSE(Validate(with({0x85, 'h', 'e', 'l', 'l', 'o', 0x06}, 2), true));  // count 2
  EXPECT_TRUE(Validate(with({0x85, 'h', 'e', 'l', 'l', 'o', 0x06}, kLpCountUnknown), true));
  // A 12-bit string header cut by the terminator, and one whose length runs past the end.
  EXPECT_FALSE(Validate(with({0xE0}), true));
  EXPECT_FALSE(Validate(with({0xEF, 0xFF, 'a', 0x03}), true));
  // 32-bit string lengths near 4 GiB must not wrap around the bounds check.
  EXPECT_FALSE(Validate(with({0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0x06}), true));
  EXPECT_FALSE(Validate(with({0xF0, 0xFA, 0xFF, 0xFF, 0xFF, 'a', 0x06}), true));
  EXPECT_FALSE(Validate(with({0xF0, 0x01, 0x00}), true));  // length field cut
  // Integers cut short, or with the wrong back-length.
  EXPECT_FALSE(Validate(with({0xF4, 1, 2, 3, 4, 5, 6, 7}), true));
  EXPECT_FALSE(Validate(with({0xF1, 0x00, 0x10, 0x02}), true));
  EXPECT_FALSE(Validate(with({0xC0}), true));
  // A back-length in a non-canonical form (0x00 0x82 also decodes to 2): only 0x02 is accepted.
  Bytes padded = Listpack({{0xC4, 0x00, 0x00, 0x82}});
  EXPECT_FALSE(Validate(padded, true));
}

TEST(ListpackValidate, FuzzFlipsAndTruncationsNeverReadOutOfBounds) {
  std::mt19937_64 rng(2024);
  size_t accepted = 0, rejected = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const Bytes good = SampleListpack(seed, 1 + static_cast<int>(seed % 12));
    // Every byte position, several flips each.
    for (size_t pos = 0; pos < good.size(); ++pos) {
      for (int k = 0; k < 4; ++k) {
        Bytes b = good;
        b[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
        const bool ok = Validate(b, true);
        (void)Validate(b, false);
        if (ok) {
          ++accepted;
          ExerciseValid(b);
        } else {
          ++rejected;
        }
      }
    }
    // Truncations with the header patched to agree, so the entries themselves are checked.
    for (size_t n = kLpEmptySize; n < good.size(); ++n) {
      Bytes b(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
      SetTotal(b, n);
      b[n - 1] = 0xFF;
      if (Validate(b, true)) {
        ++accepted;
        ExerciseValid(b);
      } else {
        ++rejected;
      }
    }
    // Random bytes after a valid header.
    for (int k = 0; k < 50; ++k) {
      Bytes b(kLpEmptySize + rng() % 40);
      for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
      SetTotal(b, b.size());
      b.back() = 0xFF;
      if (rng() % 2) b[4] = b[5] = 0xFF;
      if (Validate(b, true)) {
        ++accepted;
        ExerciseValid(b);
      } else {
        ++rejected;
      }
    }
  }
  // Both outcomes must have happened, or the fuzzing did not reach the entry checks.
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(rejected, 1000u);
}

// ---- checks of loaded blobs ----

TEST(ListpackChecks, UniqueElementsAgainstASet) {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 400; ++round) {
    // Small and large listpacks (both code paths), few distinct values so that duplicates occur,
    // integers and strings that print alike ("12" stored as an integer equals "12"), long
    // strings alike at both ends.
    const size_t n = round % 2 == 0 ? rng() % 30 : 20 + rng() % 200;
    const size_t skip = rng() % 2;
    uint8_t* lp = LpNew();
    std::set<std::string> seen;
    bool unique = true;
    for (size_t i = 0; i < n; ++i) {
      // Long values share their first and last 8 bytes, so that only the middle tells them apart.
      const std::string middle = std::to_string(rng() % (n * 3 + 1));
      const std::string v = rng() % 3 == 0 ? "common-prefix:" + middle + ":common-suffix"
                                           : middle + (rng() % 3 == 0 ? "x" : "");
      lp = LpAppend(lp, v);
      if (i % (skip + 1) == 0 && !seen.insert(v).second) unique = false;
    }
    EXPECT_EQ(LpHasUniqueElements(lp, skip), unique) << round;
    size_t longest = 0;
    for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p)) {
      longest = std::max(longest, LpGet(p).ToString().size());
    }
    EXPECT_EQ(LpMaxElementBytes(lp), longest);
    LpFree(lp);
  }
}

}  // namespace
}  // namespace mnemo::ds

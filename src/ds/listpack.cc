// listpack.cc: Redis 7's listpack format (layer: ds). The byte layout is described in listpack.h.
#include "mnemo/ds/listpack.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "mnemo/base/assert.h"
#include "mnemo/base/random.h"
#include "mnemo/ds/hash.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

// First-byte patterns of the encodings (listpack.h has the table).
constexpr uint8_t k7BitUintMask = 0x80, k7BitUint = 0x00;
constexpr uint8_t k6BitStrMask = 0xC0, k6BitStr = 0x80;
constexpr uint8_t k13BitIntMask = 0xE0, k13BitInt = 0xC0;
constexpr uint8_t k12BitStrMask = 0xF0, k12BitStr = 0xE0;
constexpr uint8_t k32BitStr = 0xF0;
constexpr uint8_t k16BitInt = 0xF1;
constexpr uint8_t k24BitInt = 0xF2;
constexpr uint8_t k32BitInt = 0xF3;
constexpr uint8_t k64BitInt = 0xF4;

// Longest string for the 6-bit and 12-bit length encodings.
constexpr size_t k6BitStrMax = 63;
constexpr size_t k12BitStrMax = 4095;
// Largest integer encoding (64-bit: 1 + 8) and largest back-length.
constexpr size_t kMaxIntEncodingBytes = 9;
constexpr size_t kMaxBacklenBytes = 5;

uint32_t ReadU32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
void WriteU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

size_t HeaderBytes(const uint8_t* lp) { return ReadU32(lp); }
void SetHeaderBytes(uint8_t* lp, size_t bytes) {
  MNEMO_ASSERT(bytes <= UINT32_MAX);
  WriteU32(lp, static_cast<uint32_t>(bytes));
}
uint16_t HeaderCount(const uint8_t* lp) { return static_cast<uint16_t>(lp[4] | lp[5] << 8); }
// Stores n, or "unknown" when it does not fit.
void SetHeaderCount(uint8_t* lp, size_t n) {
  const uint16_t v = n >= kLpCountUnknown ? kLpCountUnknown : static_cast<uint16_t>(n);
  lp[4] = static_cast<uint8_t>(v);
  lp[5] = static_cast<uint8_t>(v >> 8);
}
// Adds `delta` to a known count; an unknown count stays unknown (LpLength recounts it).
void AdjustHeaderCount(uint8_t* lp, int64_t delta) {
  const uint16_t n = HeaderCount(lp);
  if (n == kLpCountUnknown) return;
  SetHeaderCount(lp, static_cast<size_t>(int64_t{n} + delta));
}

// ---- back-length ----

size_t BacklenBytes(uint64_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// Writes the back-length of `len` at out; returns its size. Leftmost byte first: the most
// significant 7-bit group without the continuation bit, then the others with it.
size_t WriteBacklen(uint8_t* out, uint64_t len) {
  const size_t n = BacklenBytes(len);
  for (size_t i = 0; i < n; ++i) {
    const size_t shift = 7 * (n - 1 - i);
    uint8_t byte = static_cast<uint8_t>((len >> shift) & 127);
    if (i != 0) byte |= 128;
    out[i] = byte;
  }
  return n;
}

// Reads a back-length whose rightmost byte is at `last`, walking left.
// REQUIRES: a well-formed back-length ends at `last` (true in any listpack this code wrote or
// LpValidate accepted).
uint64_t ReadBacklen(const uint8_t* last) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxBacklenBytes; ++i) {
    v |= uint64_t{last[-static_cast<ptrdiff_t>(i)] & 127u} << (7 * i);
    if ((last[-static_cast<ptrdiff_t>(i)] & 128) == 0) return v;
  }
  MNEMO_ASSERT(false && "back-length longer than 5 bytes");
  return 0;
}

// ---- sizes of stored entries ----

// How many bytes of the entry must be read to know its size: 1, 2 or 5; 0 for a byte that
// starts no entry (the unused encodings and the terminator).
size_t SizePrefixBytes(uint8_t first) {
  if ((first & k7BitUintMask) == k7BitUint) return 1;
  if ((first & k6BitStrMask) == k6BitStr) return 1;
  if ((first & k13BitIntMask) == k13BitInt) return 1;
  if ((first & k12BitStrMask) == k12BitStr) return 2;
  switch (first) {
    case k32BitStr:
      return 5;
    case k16BitInt:
    case k24BitInt:
    case k32BitInt:
    case k64BitInt:
      return 1;
    default:
      return 0;
  }
}

// Size of <encoding + data>. REQUIRES: p starts an entry and its size prefix is readable.
size_t EncodedSize(const uint8_t* p) {
  const uint8_t first = p[0];
  if ((first & k7BitUintMask) == k7BitUint) return 1;
  if ((first & k6BitStrMask) == k6BitStr) return 1 + (first & 0x3F);
  if ((first & k13BitIntMask) == k13BitInt) return 2;
  if ((first & k12BitStrMask) == k12BitStr) return 2 + (size_t{first & 0x0Fu} << 8 | p[1]);
  switch (first) {
    case k32BitStr:
      return 5 + size_t{ReadU32(p + 1)};
    case k16BitInt:
      return 3;
    case k24BitInt:
      return 4;
    case k32BitInt:
      return 5;
    case k64BitInt:
      return 9;
    default:
      MNEMO_ASSERT(false && "corrupt listpack entry");
      return 0;
  }
}

size_t EntrySize(const uint8_t* p) {
  const size_t encoded = EncodedSize(p);
  return encoded + BacklenBytes(encoded);
}

uint8_t* Terminator(uint8_t* lp) { return lp + HeaderBytes(lp) - 1; }

// ---- encoding new entries ----

// An element ready to be written: the integer bytes or the string header, then the string.
struct Encoded {
  uint8_t head[kMaxIntEncodingBytes];
  size_t head_len = 0;
  const uint8_t* data = nullptr;
  size_t data_len = 0;

  size_t encoded_size() const { return head_len + data_len; }
  size_t entry_size() const { return encoded_size() + BacklenBytes(encoded_size()); }
};

// Writes the low `n` bytes of v little-endian.
void PutLittleEndian(uint8_t* out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

Encoded EncodeInt(int64_t v) {
  Encoded e;
  const uint64_t u = static_cast<uint64_t>(v);  // two's complement; truncated below per width
  if (v >= 0 && v <= 127) {
    e.head[0] = static_cast<uint8_t>(v);
    e.head_len = 1;
  } else if (v >= -4096 && v <= 4095) {
    const uint64_t t = u & 0x1FFF;  // 13-bit two's complement
    e.head[0] = static_cast<uint8_t>(k13BitInt | (t >> 8));
    e.head[1] = static_cast<uint8_t>(t);
    e.head_len = 2;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    e.head[0] = k16BitInt;
    PutLittleEndian(e.head + 1, u, 2);
    e.head_len = 3;
  } else if (v >= -(int64_t{1} << 23) && v < (int64_t{1} << 23)) {
    e.head[0] = k24BitInt;
    PutLittleEndian(e.head + 1, u, 3);
    e.head_len = 4;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    e.head[0] = k32BitInt;
    PutLittleEndian(e.head + 1, u, 4);
    e.head_len = 5;
  } else {
    e.head[0] = k64BitInt;
    PutLittleEndian(e.head + 1, u, 8);
    e.head_len = 9;
  }
  return e;
}

Encoded EncodeRawString(const uint8_t* s, size_t len) {
  Encoded e;
  if (len <= k6BitStrMax) {
    e.head[0] = static_cast<uint8_t>(k6BitStr | len);
    e.head_len = 1;
  } else if (len <= k12BitStrMax) {
    e.head[0] = static_cast<uint8_t>(k12BitStr | (len >> 8));
    e.head[1] = static_cast<uint8_t>(len);
    e.head_len = 2;
  } else {
    MNEMO_ASSERT(len <= UINT32_MAX);
    e.head[0] = k32BitStr;
    PutLittleEndian(e.head + 1, len, 4);
    e.head_len = 5;
  }
  e.data = s;
  e.data_len = len;
  return e;
}

Encoded EncodeString(const uint8_t* s, size_t len) {
  if (auto v = ParseInt64({reinterpret_cast<const char*>(s), len})) return EncodeInt(*v);
  return EncodeRawString(s, len);
}

Encoded EncodeEntry(const LpEntry& e) {
  return e.is_int ? EncodeInt(e.int_value) : EncodeString(e.str, e.len);
}

// Writes the entry (encoding, data, back-length) at dst. REQUIRES: entry_size() bytes at dst,
// and e.data does not overlap them.
void WriteEntry(uint8_t* dst, const Encoded& e) {
  std::memcpy(dst, e.head, e.head_len);
  if (e.data_len != 0) std::memcpy(dst + e.head_len, e.data, e.data_len);
  WriteBacklen(dst + e.encoded_size(), e.encoded_size());
}

bool PointsInto(const uint8_t* lp, const void* data) {
  const auto* d = static_cast<const uint8_t*>(data);
  return d != nullptr && d >= lp && d < lp + HeaderBytes(lp);
}

// Resizes the block to hold `bytes`. Growing reallocates only past the usable size; shrinking
// only when a smaller size class would do, so that the usable size stays the size class of the
// content and small edits cost no allocator call.
uint8_t* Resize(uint8_t* lp, size_t bytes) {
  const size_t usable = mem::UsableSize(lp);
  if (bytes > usable || mem::SizeClass(bytes) < usable) {
    lp = static_cast<uint8_t*>(mem::Realloc(lp, bytes));
  }
  return lp;
}

// Replaces `old_size` bytes at `offset` with `new_size` bytes whose content the caller writes
// after; moves the tail and resizes. Returns the (possibly moved) listpack; the total-bytes field
// is updated.
uint8_t* Splice(uint8_t* lp, size_t offset, size_t old_size, size_t new_size) {
  const size_t old_bytes = HeaderBytes(lp);
  const size_t new_bytes = old_bytes - old_size + new_size;
  MNEMO_ASSERT(new_bytes <= UINT32_MAX);
  const size_t tail = old_bytes - offset - old_size;
  if (new_bytes > old_bytes) lp = Resize(lp, new_bytes);
  std::memmove(lp + offset + new_size, lp + offset + old_size, tail);
  if (new_bytes < old_bytes) lp = Resize(lp, new_bytes);
  SetHeaderBytes(lp, new_bytes);
  return lp;
}

LpEdit InsertEncoded(uint8_t* lp, const Encoded& enc, uint8_t* p, LpWhere where) {
  MNEMO_ASSERT(p >= lp + kLpHeaderSize && p < lp + HeaderBytes(lp));
  if (where == LpWhere::kAfter) {
    MNEMO_ASSERT(*p != kLpEof);
    p += EntrySize(p);
    where = LpWhere::kBefore;
  }
  const size_t offset = static_cast<size_t>(p - lp);
  size_t old_size = 0;
  if (where == LpWhere::kReplace) {
    MNEMO_ASSERT(*p != kLpEof);
    old_size = EntrySize(p);
  }
  lp = Splice(lp, offset, old_size, enc.entry_size());
  WriteEntry(lp + offset, enc);
  if (where != LpWhere::kReplace) AdjustHeaderCount(lp, 1);
  return {lp, lp + offset};
}

// As InsertEncoded, copying the string first when it lives inside the listpack (a resize or the
// move of the tail could overwrite or free it).
LpEdit InsertChecked(uint8_t* lp, Encoded enc, uint8_t* p, LpWhere where) {
  if (enc.data_len != 0 && PointsInto(lp, enc.data)) {
    std::string copy(reinterpret_cast<const char*>(enc.data), enc.data_len);
    enc.data = reinterpret_cast<const uint8_t*>(copy.data());
    return InsertEncoded(lp, enc, p, where);
  }
  return InsertEncoded(lp, enc, p, where);
}

int64_t SignExtend(uint64_t v, unsigned bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  if (v & sign) v |= ~((sign << 1) - 1);
  return static_cast<int64_t>(v);
}

uint64_t GetLittleEndian(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

// ---- LpEntry ----

std::string_view LpEntry::AsBytes(std::span<char, kLpIntBufSize> buf) const {
  if (!is_int) return {reinterpret_cast<const char*>(str), len};
  return {buf.data(), FormatInt64(buf.data(), int_value)};
}

std::string LpEntry::ToString() const {
  char buf[kLpIntBufSize];
  return std::string(AsBytes(buf));
}

// ---- create, free, size ----

uint8_t* LpNew(size_t capacity) {
  auto* lp = static_cast<uint8_t*>(mem::Alloc(std::max(capacity, kLpEmptySize)));
  SetHeaderBytes(lp, kLpEmptySize);
  SetHeaderCount(lp, 0);
  lp[kLpHeaderSize] = kLpEof;
  return lp;
}

void LpFree(uint8_t* lp) { mem::Free(lp); }

uint8_t* LpDup(const uint8_t* lp) {
  const size_t bytes = HeaderBytes(lp);
  auto* copy = static_cast<uint8_t*>(mem::Alloc(bytes));
  std::memcpy(copy, lp, bytes);
  return copy;
}

uint8_t* LpShrinkToFit(uint8_t* lp) {
  const size_t bytes = HeaderBytes(lp);
  if (mem::SizeClass(bytes) < mem::UsableSize(lp)) {
    lp = static_cast<uint8_t*>(mem::Realloc(lp, bytes));
  }
  return lp;
}

size_t LpBytes(const uint8_t* lp) { return HeaderBytes(lp); }

size_t LpLength(uint8_t* lp) {
  const uint16_t n = HeaderCount(lp);
  if (n != kLpCountUnknown) return n;
  size_t count = 0;
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p)) ++count;
  if (count < kLpCountUnknown) SetHeaderCount(lp, count);
  return count;
}

bool LpSafeToAdd(const uint8_t* lp, size_t add) {
  const size_t len = lp == nullptr ? 0 : HeaderBytes(lp);
  return add <= kLpMaxSafetySize && len + add <= kLpMaxSafetySize;
}

// ---- navigation ----

uint8_t* LpFirst(uint8_t* lp) {
  uint8_t* p = lp + kLpHeaderSize;
  return *p == kLpEof ? nullptr : p;
}

uint8_t* LpLast(uint8_t* lp) {
  uint8_t* eof = Terminator(lp);
  return eof == lp + kLpHeaderSize ? nullptr : LpPrev(lp, eof);
}

uint8_t* LpNext(uint8_t* lp, uint8_t* p) {
  MNEMO_ASSERT(p != nullptr && *p != kLpEof);
  p += EntrySize(p);
  MNEMO_ASSERT(p < lp + HeaderBytes(lp));
  return *p == kLpEof ? nullptr : p;
}

uint8_t* LpPrev(uint8_t* lp, uint8_t* p) {
  MNEMO_ASSERT(p != nullptr);
  if (p == lp + kLpHeaderSize) return nullptr;
  const uint64_t encoded = ReadBacklen(p - 1);
  p -= encoded + BacklenBytes(encoded);
  MNEMO_ASSERT(p >= lp + kLpHeaderSize);
  return p;
}

uint8_t* LpSeek(uint8_t* lp, int64_t index) {
  const auto n = static_cast<int64_t>(LpLength(lp));
  if (index < 0) index += n;
  if (index < 0 || index >= n) return nullptr;
  if (index <= n / 2) {
    uint8_t* p = LpFirst(lp);
    for (int64_t i = 0; i < index; ++i) p = LpNext(lp, p);
    return p;
  }
  uint8_t* p = LpLast(lp);
  for (int64_t i = n - 1; i > index; --i) p = LpPrev(lp, p);
  return p;
}

// ---- reading ----

LpEntry LpGet(const uint8_t* p) {
  const uint8_t first = p[0];
  if ((first & k7BitUintMask) == k7BitUint) return LpEntry::Int(first & 0x7F);
  if ((first & k6BitStrMask) == k6BitStr) {
    return LpEntry{p + 1, size_t{first & 0x3Fu}, 0, false};
  }
  if ((first & k13BitIntMask) == k13BitInt) {
    return LpEntry::Int(SignExtend(uint64_t{first & 0x1Fu} << 8 | p[1], 13));
  }
  if ((first & k12BitStrMask) == k12BitStr) {
    return LpEntry{p + 2, size_t{first & 0x0Fu} << 8 | p[1], 0, false};
  }
  switch (first) {
    case k32BitStr:
      return LpEntry{p + 5, ReadU32(p + 1), 0, false};
    case k16BitInt:
      return LpEntry::Int(SignExtend(GetLittleEndian(p + 1, 2), 16));
    case k24BitInt:
      return LpEntry::Int(SignExtend(GetLittleEndian(p + 1, 3), 24));
    case k32BitInt:
      return LpEntry::Int(SignExtend(GetLittleEndian(p + 1, 4), 32));
    case k64BitInt:
      return LpEntry::Int(static_cast<int64_t>(GetLittleEndian(p + 1, 8)));
    default:
      MNEMO_ASSERT(false && "corrupt listpack entry");
      return {};
  }
}

size_t LpEntryBytes(const uint8_t* p) { return EntrySize(p); }

bool LpEquals(const uint8_t* p, std::string_view s) {
  const LpEntry e = LpGet(p);
  if (!e.is_int)
    return e.len == s.size() && (s.empty() || std::memcmp(e.str, s.data(), e.len) == 0);
  const std::optional<int64_t> v = ParseInt64(s);
  return v.has_value() && *v == e.int_value;
}

uint8_t* LpFind(uint8_t* lp, uint8_t* p, std::string_view s, size_t skip) {
  return LpForward::Listpack(lp).Find(p, s, skip);
}

size_t LpEncodedEntryBytes(const LpEntry& e) { return EncodeEntry(e).entry_size(); }
size_t LpEncodedEntryBytes(std::string_view s) {
  return EncodeString(reinterpret_cast<const uint8_t*>(s.data()), s.size()).entry_size();
}

// ---- writing ----

LpEdit LpInsert(uint8_t* lp, const LpEntry& value, uint8_t* p, LpWhere where) {
  return InsertChecked(lp, EncodeEntry(value), p, where);
}

LpEdit LpInsertString(uint8_t* lp, std::string_view s, uint8_t* p, LpWhere where) {
  return InsertChecked(lp, EncodeString(reinterpret_cast<const uint8_t*>(s.data()), s.size()), p,
                       where);
}

LpEdit LpInsertInteger(uint8_t* lp, int64_t v, uint8_t* p, LpWhere where) {
  return InsertEncoded(lp, EncodeInt(v), p, where);
}

uint8_t* LpAppend(uint8_t* lp, std::string_view s) {
  return LpInsertString(lp, s, Terminator(lp), LpWhere::kBefore).lp;
}

uint8_t* LpAppendInteger(uint8_t* lp, int64_t v) {
  return LpInsertInteger(lp, v, Terminator(lp), LpWhere::kBefore).lp;
}

uint8_t* LpPrepend(uint8_t* lp, std::string_view s) {
  return LpInsertString(lp, s, lp + kLpHeaderSize, LpWhere::kBefore).lp;
}

uint8_t* LpPrependInteger(uint8_t* lp, int64_t v) {
  return LpInsertInteger(lp, v, lp + kLpHeaderSize, LpWhere::kBefore).lp;
}

uint8_t* LpBatchAppend(uint8_t* lp, std::span<const LpEntry> values) {
  // Strings that live inside the listpack would dangle once it grows: copy them first.
  for (const LpEntry& v : values) {
    if (v.is_int || v.len == 0 || !PointsInto(lp, v.str)) continue;
    std::vector<std::string> copies;
    copies.reserve(values.size());  // no reallocation: the entries point into these strings
    std::vector<LpEntry> owned;
    owned.reserve(values.size());
    for (const LpEntry& w : values) {
      if (!w.is_int && w.len != 0 && PointsInto(lp, w.str)) {
        copies.emplace_back(reinterpret_cast<const char*>(w.str), w.len);
        owned.push_back(LpEntry::String(copies.back()));
      } else {
        owned.push_back(w);
      }
    }
    return LpBatchAppend(lp, owned);
  }
  size_t add = 0;
  for (const LpEntry& v : values) add += EncodeEntry(v).entry_size();
  const size_t offset = HeaderBytes(lp) - 1;  // the terminator
  lp = Splice(lp, offset, 0, add);
  uint8_t* dst = lp + offset;
  for (const LpEntry& v : values) {
    const Encoded enc = EncodeEntry(v);
    WriteEntry(dst, enc);
    dst += enc.entry_size();
  }
  const uint16_t n = HeaderCount(lp);
  if (n != kLpCountUnknown) SetHeaderCount(lp, n + values.size());
  return lp;
}

LpEdit LpReplace(uint8_t* lp, uint8_t* p, std::string_view s) {
  return LpInsertString(lp, s, p, LpWhere::kReplace);
}

bool LpReplaceInPlace(uint8_t* p, std::string_view s) {
  return LpReplaceInPlace(p, LpEntry::String(s));
}

namespace {

// LpReplaceInPlace, with or without the back-length after the entry (the packed form has none).
bool ReplaceEntryInPlace(uint8_t* p, const LpEntry& value, bool backlen) {
  MNEMO_ASSERT(*p != kLpEof);
  const Encoded enc = EncodeEntry(value);
  // Equal sizes with the back-length iff equal without it (its size depends on nothing else).
  if (enc.encoded_size() != EncodedSize(p)) return false;
  // The entry keeps its size, so nothing after it moves and the header stays; only the string
  // may overlap the entry it replaces (memmove, after the head is known).
  std::memcpy(p, enc.head, enc.head_len);
  if (enc.data_len != 0) std::memmove(p + enc.head_len, enc.data, enc.data_len);
  if (backlen) WriteBacklen(p + enc.encoded_size(), enc.encoded_size());
  return true;
}

}  // namespace

bool LpReplaceInPlace(uint8_t* p, const LpEntry& value) {
  return ReplaceEntryInPlace(p, value, true);
}

LpEdit LpReplaceInteger(uint8_t* lp, uint8_t* p, int64_t v) {
  return LpInsertInteger(lp, v, p, LpWhere::kReplace);
}

LpEdit LpDelete(uint8_t* lp, uint8_t* p) { return LpDeleteRangeWithEntry(lp, p, 1); }

LpEdit LpDeleteRangeWithEntry(uint8_t* lp, uint8_t* p, size_t num) {
  MNEMO_ASSERT(p >= lp + kLpHeaderSize && p < lp + HeaderBytes(lp));
  const size_t offset = static_cast<size_t>(p - lp);
  uint8_t* q = p;
  size_t deleted = 0;
  while (deleted < num && *q != kLpEof) {
    q += EntrySize(q);
    ++deleted;
  }
  if (deleted == 0) return {lp, nullptr};
  lp = Splice(lp, offset, static_cast<size_t>(q - p), 0);
  AdjustHeaderCount(lp, -static_cast<int64_t>(deleted));
  uint8_t* next = lp + offset;
  return {lp, *next == kLpEof ? nullptr : next};
}

uint8_t* LpDeleteRange(uint8_t* lp, int64_t index, size_t num) {
  uint8_t* p = LpSeek(lp, index);
  if (p == nullptr || num == 0) return lp;
  return LpDeleteRangeWithEntry(lp, p, num).lp;
}

uint8_t* LpMerge(uint8_t* first, uint8_t* second) {
  MNEMO_ASSERT(first != second);
  const size_t first_bytes = HeaderBytes(first);
  const size_t second_bytes = HeaderBytes(second);
  const size_t count = LpLength(first) + LpLength(second);
  const size_t body = second_bytes - kLpEmptySize;  // second's entries
  first = Splice(first, first_bytes - 1, 0, body);
  std::memcpy(first + first_bytes - 1, second + kLpHeaderSize, body);
  SetHeaderCount(first, count);
  LpFree(second);
  return first;
}

// ---- random sampling ----

namespace {

uint64_t RandomBelow(uint64_t n) { return RandomU64() % n; }

// Picks keys.size() groups of `stride` elements with repetition (see LpRandomPairs).
void RandomGroups(uint8_t* lp, size_t stride, std::span<LpEntry> keys, std::span<LpEntry> values) {
  MNEMO_ASSERT(values.empty() || values.size() == keys.size());
  const size_t groups = LpLength(lp) / stride;
  MNEMO_ASSERT(groups > 0);
  struct Pick {
    size_t group;
    size_t order;
  };
  std::vector<Pick> picks(keys.size());
  for (size_t i = 0; i < picks.size(); ++i) picks[i] = {RandomBelow(groups), i};
  std::sort(picks.begin(), picks.end(),
            [](const Pick& a, const Pick& b) { return a.group < b.group; });
  uint8_t* p = LpFirst(lp);
  size_t group = 0;
  for (size_t i = 0; i < picks.size(); ++group) {
    uint8_t* value_p = stride > 1 ? LpNext(lp, p) : nullptr;
    for (; i < picks.size() && picks[i].group == group; ++i) {
      keys[picks[i].order] = LpGet(p);
      if (!values.empty()) values[picks[i].order] = LpGet(value_p);
    }
    if (i == picks.size()) break;
    for (size_t s = 0; s < stride; ++s) p = LpNext(lp, p);
  }
}

// Picks min(keys.size(), groups) distinct groups (see LpRandomPairsUnique).
size_t RandomGroupsUnique(uint8_t* lp, size_t stride, std::span<LpEntry> keys,
                          std::span<LpEntry> values) {
  MNEMO_ASSERT(values.empty() || values.size() == keys.size());
  const size_t groups = LpLength(lp) / stride;
  const size_t want = std::min(keys.size(), groups);
  // Selection sampling (Knuth's algorithm S): take each group with probability
  // needed / remaining, which makes every subset of size `want` equally likely.
  size_t picked = 0;
  uint8_t* p = LpFirst(lp);
  for (size_t group = 0; picked < want; ++group) {
    if (RandomBelow(groups - group) < want - picked) {
      keys[picked] = LpGet(p);
      if (!values.empty()) values[picked] = LpGet(LpNext(lp, p));
      ++picked;
      if (picked == want) break;
    }
    for (size_t s = 0; s < stride; ++s) p = LpNext(lp, p);
  }
  return picked;
}

}  // namespace

LpEntry LpRandomEntry(uint8_t* lp) {
  const size_t n = LpLength(lp);
  MNEMO_ASSERT(n > 0);
  return LpGet(LpSeek(lp, static_cast<int64_t>(RandomBelow(n))));
}

LpPair LpRandomPair(uint8_t* lp, size_t total_pairs) {
  MNEMO_ASSERT(total_pairs > 0);
  uint8_t* p = LpSeek(lp, static_cast<int64_t>(2 * RandomBelow(total_pairs)));
  MNEMO_ASSERT(p != nullptr);
  uint8_t* v = LpNext(lp, p);
  MNEMO_ASSERT(v != nullptr);
  return {LpGet(p), LpGet(v)};
}

void LpRandomPairs(uint8_t* lp, std::span<LpEntry> keys, std::span<LpEntry> values) {
  RandomGroups(lp, 2, keys, values);
}

size_t LpRandomPairsUnique(uint8_t* lp, std::span<LpEntry> keys, std::span<LpEntry> values) {
  return RandomGroupsUnique(lp, 2, keys, values);
}

void LpRandomEntries(uint8_t* lp, std::span<LpEntry> out) { RandomGroups(lp, 1, out, {}); }

size_t LpRandomEntriesUnique(uint8_t* lp, std::span<LpEntry> out) {
  return RandomGroupsUnique(lp, 1, out, {});
}

// ---- the packed form ----

namespace {

uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
void WriteU16(uint8_t* p, size_t v) {
  MNEMO_ASSERT(v <= UINT16_MAX);
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
const uint8_t* PackedEnd(const uint8_t* packed) { return packed + ReadU16(packed); }

}  // namespace

size_t LpPackedSize(const uint8_t* lp) {
  const uint16_t count = HeaderCount(lp);
  if (count == kLpCountUnknown) return 0;
  // Each entry loses its back-length; the header loses 2 bytes and the terminator goes.
  size_t bytes = kLpPackedHeaderSize;
  const uint8_t* end = lp + HeaderBytes(lp) - 1;
  for (const uint8_t* p = lp + kLpHeaderSize; p < end;) {
    const size_t encoded = EncodedSize(p);
    bytes += encoded;
    if (bytes > kLpPackedMaxBytes) return 0;
    p += encoded + BacklenBytes(encoded);
  }
  return bytes;
}

void LpPack(const uint8_t* lp, uint8_t* out) {
  uint8_t* o = out + kLpPackedHeaderSize;
  const uint8_t* end = lp + HeaderBytes(lp) - 1;
  for (const uint8_t* p = lp + kLpHeaderSize; p < end;) {
    const size_t encoded = EncodedSize(p);
    std::memcpy(o, p, encoded);
    o += encoded;
    p += encoded + BacklenBytes(encoded);
  }
  MNEMO_ASSERT(HeaderCount(lp) != kLpCountUnknown);
  WriteU16(out, static_cast<size_t>(o - out));
  WriteU16(out + 2, HeaderCount(lp));
}

size_t LpPackedBytes(const uint8_t* packed) { return ReadU16(packed); }
size_t LpPackedLength(const uint8_t* packed) { return ReadU16(packed + 2); }

size_t LpUnpackedSize(const uint8_t* packed) {
  size_t bytes = kLpEmptySize;
  const uint8_t* end = PackedEnd(packed);
  for (const uint8_t* p = packed + kLpPackedHeaderSize; p < end;) {
    const size_t encoded = EncodedSize(p);
    bytes += encoded + BacklenBytes(encoded);
    p += encoded;
  }
  return bytes;
}

uint8_t* LpUnpack(const uint8_t* packed, uint8_t* out, uint8_t** pos) {
  const uint8_t* end = PackedEnd(packed);
  const uint8_t* want = pos != nullptr ? *pos : nullptr;
  uint8_t* o = out + kLpHeaderSize;
  for (const uint8_t* p = packed + kLpPackedHeaderSize; p < end;) {
    if (p == want) *pos = o;
    const size_t encoded = EncodedSize(p);
    MNEMO_ASSERT(p + encoded <= end);
    std::memcpy(o, p, encoded);
    o += encoded;
    if (encoded <= 127) {
      *o++ = static_cast<uint8_t>(encoded);  // the common case: a 1-byte back-length
    } else {
      o += WriteBacklen(o, encoded);
    }
    p += encoded;
  }
  *o++ = kLpEof;
  SetHeaderBytes(out, static_cast<size_t>(o - out));
  SetHeaderCount(out, LpPackedLength(packed));
  return out;
}

LpForward LpForward::Listpack(uint8_t* lp) {
  return LpForward(lp + kLpHeaderSize, Terminator(lp), false);
}

LpForward LpForward::Packed(uint8_t* packed) {
  return LpForward(packed + kLpPackedHeaderSize, packed + ReadU16(packed), true);
}

uint8_t* LpForward::Next(uint8_t* p) const {
  MNEMO_ASSERT(p != nullptr && p < end_);
  const size_t encoded = EncodedSize(p);
  p += packed_ ? encoded : encoded + BacklenBytes(encoded);
  MNEMO_ASSERT(p <= end_);
  return p < end_ ? p : nullptr;
}

uint8_t* LpForward::Find(uint8_t* from, std::string_view s, size_t skip) const {
  // The search string as an integer, parsed once: integer elements compare by value.
  const std::optional<int64_t> s_int = ParseInt64(s);
  size_t to_skip = 0;
  for (uint8_t* p = from; p != nullptr && p < end_; p = Next(p)) {
    if (to_skip != 0) {
      --to_skip;
      continue;
    }
    const LpEntry e = LpGet(p);
    if (e.is_int) {
      if (s_int.has_value() && *s_int == e.int_value) return p;
    } else if (e.len == s.size()) {
      MNEMO_ASSERT(e.str + e.len <= end_);
      if (s.empty() || std::memcmp(e.str, s.data(), s.size()) == 0) return p;
    }
    to_skip = skip;
  }
  return nullptr;
}

bool LpForward::ReplaceInPlace(uint8_t* p, const LpEntry& value) const {
  return ReplaceEntryInPlace(p, value, !packed_);
}

// ---- validation ----

namespace {

// Checks the entry at `p` and returns the position after it, or null when it is malformed.
// `end` is one past the terminator. Reads nothing at or beyond `end`.
const uint8_t* ValidateEntry(const uint8_t* p, const uint8_t* end) {
  const uint8_t* eof = end - 1;
  const size_t prefix = SizePrefixBytes(p[0]);
  if (prefix == 0) return nullptr;  // unused encoding, or a 0xFF before the end
  if (prefix > static_cast<size_t>(eof - p)) return nullptr;
  const size_t encoded = EncodedSize(p);
  const size_t backlen = BacklenBytes(encoded);
  // The whole entry must end at or before the terminator (compare sizes, not pointers, so that
  // a huge 32-bit string length cannot wrap).
  if (encoded > static_cast<size_t>(eof - p) || backlen > static_cast<size_t>(eof - p) - encoded) {
    return nullptr;
  }
  uint8_t expected[kMaxBacklenBytes];
  WriteBacklen(expected, encoded);
  // At most 5 bytes: a loop, not a call to memcmp (this runs once per entry of every listpack
  // loaded from a file).
  for (size_t i = 0; i < backlen; ++i) {
    if (p[encoded + i] != expected[i]) return nullptr;
  }
  return p + encoded + backlen;
}

}  // namespace

bool LpValidate(const uint8_t* lp, size_t size, bool deep) {
  if (lp == nullptr || size < kLpEmptySize) return false;
  if (HeaderBytes(lp) != size) return false;
  if (lp[size - 1] != kLpEof) return false;
  const uint8_t* end = lp + size;
  const uint8_t* p = lp + kLpHeaderSize;
  if (!deep) return *p == kLpEof || ValidateEntry(p, end) != nullptr;
  size_t count = 0;
  while (p != end - 1) {
    p = ValidateEntry(p, end);
    if (p == nullptr) return false;
    ++count;
  }
  const uint16_t n = HeaderCount(lp);
  return n == kLpCountUnknown || n == count;
}

// ---- checks of loaded blobs ---------------------------------------------------------------------

namespace {

// Up to this many elements are compared pairwise, with no allocation: a small listpack (the
// common case, loading a file of small hashes) costs n^2/2 comparisons of fingerprints. Beyond,
// elements are sorted by hash.
constexpr size_t kPairwiseMax = 24;

// A cheap summary of `b` for inequality tests: equal bytes give equal fingerprints.
uint64_t Fingerprint(std::string_view b) {
  uint64_t head = 0;
  uint64_t tail = 0;
  if (b.size() >= 8) {
    std::memcpy(&head, b.data(), 8);
    std::memcpy(&tail, b.data() + b.size() - 8, 8);
  } else if (!b.empty()) {
    std::memcpy(&head, b.data(), b.size());
  }
  return (head * 0x9E3779B97F4A7C15ull) ^ tail ^ (uint64_t{b.size()} << 56);
}

}  // namespace

bool BytesAllDistinct(std::span<const std::string_view> items) {
  const size_t n = items.size();
  if (n < 2) return true;
  if (n <= kPairwiseMax) {
    // A small open-addressing table on the stack, keyed by a cheap fingerprint (the length and
    // the first and last 8 bytes, no hashing): only items whose fingerprints are equal, which
    // for the fields of one hash ("field1", "field2") almost never happens, compare bytes.
    constexpr size_t kSlots = 32;  // a power of two above kPairwiseMax: load at most 3/4
    static_assert(kSlots > kPairwiseMax && kSlots <= 32);
    uint64_t prints[kSlots];
    uint8_t index[kSlots];
    uint32_t used = 0;  // bit s: slot s is taken
    for (size_t i = 0; i < n; ++i) {
      const uint64_t print = Fingerprint(items[i]);
      size_t slot = print >> 59;  // the top 5 bits, which the fingerprint's multiply mixes best
      while ((used >> slot) & 1) {
        if (prints[slot] == print && items[index[slot]] == items[i]) return false;
        slot = (slot + 1) % kSlots;
      }
      used |= uint32_t{1} << slot;
      prints[slot] = print;
      index[slot] = static_cast<uint8_t>(i);
    }
    return true;
  }
  struct Hashed {
    uint64_t hash;
    size_t index;
  };
  std::vector<Hashed> hashed;
  hashed.reserve(n);
  for (size_t i = 0; i < n; ++i) hashed.push_back({HashBytes(items[i]), i});
  std::sort(hashed.begin(), hashed.end(),
            [](const Hashed& a, const Hashed& b) { return a.hash < b.hash; });
  for (size_t k = 1; k < n; ++k) {
    // Equal hashes are rare: compare the bytes of every earlier element of the run.
    for (size_t m = k; m > 0 && hashed[m - 1].hash == hashed[k].hash; --m) {
      if (items[hashed[k].index] == items[hashed[m - 1].index]) return false;
    }
  }
  return true;
}

bool LpHasUniqueElements(uint8_t* lp, size_t skip, size_t* max_bytes) {
  const size_t stride = skip + 1;
  const size_t selected = (LpLength(lp) + stride - 1) / stride;
  // The longest element of all, when asked for, in the same walk.
  size_t max = 0;
  auto note_length = [&](const LpEntry& e) {
    if (max_bytes == nullptr) return;
    char buf[kLpIntBufSize];
    max = std::max(max, e.is_int ? e.AsBytes(buf).size() : e.len);
  };
  if (selected <= kPairwiseMax) {
    // The common case (a file of small hashes): views on the stack, integers printed beside.
    std::string_view views[kPairwiseMax];
    char ints[kPairwiseMax][kLpIntBufSize];
    size_t count = 0;
    size_t i = 0;
    for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p), ++i) {
      const LpEntry e = LpGet(p);
      note_length(e);
      if (i % stride == 0) {
        views[count] = e.AsBytes(ints[count]);
        ++count;
      }
    }
    if (max_bytes != nullptr) *max_bytes = max;
    return BytesAllDistinct({views, count});
  }
  // Big: sorted by hash, without copying the elements; bytes are read again on equal hashes.
  auto bytes = [](const uint8_t* p, char(&buf)[kLpIntBufSize]) { return LpGet(p).AsBytes(buf); };
  struct Hashed {
    uint64_t hash;
    const uint8_t* p;
  };
  std::vector<Hashed> hashed;
  hashed.reserve(selected);
  char buf[kLpIntBufSize];
  size_t i = 0;
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p), ++i) {
    note_length(LpGet(p));
    if (i % stride == 0) hashed.push_back({HashBytes(bytes(p, buf)), p});
  }
  if (max_bytes != nullptr) *max_bytes = max;
  std::sort(hashed.begin(), hashed.end(),
            [](const Hashed& a, const Hashed& b) { return a.hash < b.hash; });
  char other[kLpIntBufSize];
  for (size_t k = 1; k < hashed.size(); ++k) {
    // Equal hashes are rare: compare the bytes of every earlier element of the run.
    for (size_t m = k; m > 0 && hashed[m - 1].hash == hashed[k].hash; --m) {
      if (bytes(hashed[k].p, buf) == bytes(hashed[m - 1].p, other)) return false;
    }
  }
  return true;
}

size_t LpMaxElementBytes(uint8_t* lp) {
  size_t max = 0;
  for (uint8_t* p = LpFirst(lp); p != nullptr; p = LpNext(lp, p)) {
    const LpEntry e = LpGet(p);
    size_t len = e.len;
    if (e.is_int) {
      char buf[kLpIntBufSize];
      len = FormatInt64(buf, e.int_value);
    }
    max = std::max(max, len);
  }
  return max;
}

}  // namespace mnemo::ds

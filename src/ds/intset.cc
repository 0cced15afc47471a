// intset.cc: sorted unique integers with 16/32/64-bit encodings (layer: ds). Layout in intset.h.
#include "mnemo/ds/intset.h"

#include <cstring>

#include "mnemo/base/assert.h"
#include "mnemo/base/random.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

constexpr uint32_t kEnc16 = 2;
constexpr uint32_t kEnc32 = 4;
constexpr uint32_t kEnc64 = 8;

// Little-endian fields, read and written byte by byte: the compiler turns these into plain loads
// and stores on little-endian machines, and the format stays right on big-endian ones.
uint64_t LoadLe(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}
void StoreLe(uint8_t* p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint8_t* Bytes(Intset* is) { return reinterpret_cast<uint8_t*>(is); }
const uint8_t* Bytes(const Intset* is) { return reinterpret_cast<const uint8_t*>(is); }

uint32_t EncodingOf(const uint8_t* b) { return static_cast<uint32_t>(LoadLe(b, 4)); }
uint32_t LengthOf(const uint8_t* b) { return static_cast<uint32_t>(LoadLe(b + 4, 4)); }
void SetEncoding(uint8_t* b, uint32_t enc) { StoreLe(b, enc, 4); }
void SetLength(uint8_t* b, uint32_t len) { StoreLe(b + 4, len, 4); }

// The element at `pos` for width `enc`.
int64_t GetAt(const uint8_t* b, uint32_t enc, uint32_t pos) {
  const uint8_t* p = b + kIntsetHeaderSize + size_t{pos} * enc;
  switch (enc) {
    case kEnc16:
      return static_cast<int16_t>(LoadLe(p, 2));
    case kEnc32:
      return static_cast<int32_t>(LoadLe(p, 4));
    default:
      return static_cast<int64_t>(LoadLe(p, 8));
  }
}

void SetAt(uint8_t* b, uint32_t enc, uint32_t pos, int64_t v) {
  StoreLe(b + kIntsetHeaderSize + size_t{pos} * enc, static_cast<uint64_t>(v), enc);
}

uint32_t EncodingFor(int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) return kEnc64;
  if (v < INT16_MIN || v > INT16_MAX) return kEnc32;
  return kEnc16;
}

size_t BlobSize(uint32_t enc, uint32_t len) { return kIntsetHeaderSize + size_t{len} * enc; }

// Resizes the block for `len` elements of width `enc`. Growing reallocates only past the usable
// size, shrinking only when a smaller size class would do, so the usable size stays the size
// class of the content.
uint8_t* Resize(uint8_t* b, uint32_t enc, uint32_t len) {
  const size_t bytes = BlobSize(enc, len);
  const size_t usable = mem::UsableSize(b);
  if (bytes > usable || mem::SizeClass(bytes) < usable) {
    b = static_cast<uint8_t*>(mem::Realloc(b, bytes));
  }
  return b;
}

// Binary search. Returns true iff found; `*pos` is where value is or would be inserted.
bool Search(const uint8_t* b, int64_t value, uint32_t* pos) {
  const uint32_t enc = EncodingOf(b);
  const uint32_t len = LengthOf(b);
  if (len == 0) {
    *pos = 0;
    return false;
  }
  // Values beyond either end: no search (appending ascending values is the common case).
  if (value > GetAt(b, enc, len - 1)) {
    *pos = len;
    return false;
  }
  if (value < GetAt(b, enc, 0)) {
    *pos = 0;
    return false;
  }
  uint32_t lo = 0, hi = len;  // the answer is in [lo, hi)
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    const int64_t cur = GetAt(b, enc, mid);
    if (cur == value) {
      *pos = mid;
      return true;
    }
    if (cur < value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

// Moves elements [from, len) to start at `to` (same width).
void MoveTail(uint8_t* b, uint32_t enc, uint32_t len, uint32_t from, uint32_t to) {
  uint8_t* base = b + kIntsetHeaderSize;
  std::memmove(base + size_t{to} * enc, base + size_t{from} * enc, size_t{len - from} * enc);
}

// Rewrites every element at the wider encoding needed by `value` and adds it. value is beyond
// every element (it needs more bits than any of them), so it goes first if negative, else last.
uint8_t* UpgradeAndAdd(uint8_t* b, int64_t value) {
  const uint32_t old_enc = EncodingOf(b);
  const uint32_t new_enc = EncodingFor(value);
  const uint32_t len = LengthOf(b);
  const uint32_t shift = value < 0 ? 1 : 0;
  b = Resize(b, new_enc, len + 1);
  SetEncoding(b, new_enc);
  // Back to front, so that no element is overwritten before it is read.
  for (uint32_t i = len; i-- > 0;) SetAt(b, new_enc, i + shift, GetAt(b, old_enc, i));
  SetAt(b, new_enc, value < 0 ? 0 : len, value);
  SetLength(b, len + 1);
  return b;
}

}  // namespace

Intset* IntsetNew() {
  auto* b = static_cast<uint8_t*>(mem::Alloc(kIntsetHeaderSize));
  SetEncoding(b, kEnc16);
  SetLength(b, 0);
  return reinterpret_cast<Intset*>(b);
}

void IntsetFree(Intset* is) { mem::Free(is); }

Intset* IntsetDup(const Intset* is) {
  const size_t bytes = IntsetBlobLen(is);
  auto* b = static_cast<uint8_t*>(mem::Alloc(bytes));
  std::memcpy(b, Bytes(is), bytes);
  return reinterpret_cast<Intset*>(b);
}

IntsetEdit IntsetAdd(Intset* is, int64_t value) {
  uint8_t* b = Bytes(is);
  if (EncodingFor(value) > EncodingOf(b)) {
    return {reinterpret_cast<Intset*>(UpgradeAndAdd(b, value)), true};
  }
  uint32_t pos;
  if (Search(b, value, &pos)) return {is, false};
  const uint32_t enc = EncodingOf(b);
  const uint32_t len = LengthOf(b);
  MNEMO_ASSERT(len < UINT32_MAX);
  b = Resize(b, enc, len + 1);
  if (pos < len) MoveTail(b, enc, len, pos, pos + 1);
  SetAt(b, enc, pos, value);
  SetLength(b, len + 1);
  return {reinterpret_cast<Intset*>(b), true};
}

IntsetEdit IntsetRemove(Intset* is, int64_t value) {
  uint8_t* b = Bytes(is);
  const uint32_t enc = EncodingOf(b);
  uint32_t pos;
  if (EncodingFor(value) > enc || !Search(b, value, &pos)) return {is, false};
  const uint32_t len = LengthOf(b);
  if (pos + 1 < len) MoveTail(b, enc, len, pos + 1, pos);
  SetLength(b, len - 1);
  b = Resize(b, enc, len - 1);
  return {reinterpret_cast<Intset*>(b), true};
}

bool IntsetFind(const Intset* is, int64_t value) {
  const uint8_t* b = Bytes(is);
  uint32_t pos;
  return EncodingFor(value) <= EncodingOf(b) && Search(b, value, &pos);
}

uint32_t IntsetLen(const Intset* is) { return LengthOf(Bytes(is)); }

uint32_t IntsetEncoding(const Intset* is) { return EncodingOf(Bytes(is)); }

int64_t IntsetGet(const Intset* is, uint32_t pos) {
  const uint8_t* b = Bytes(is);
  MNEMO_ASSERT(pos < LengthOf(b));
  return GetAt(b, EncodingOf(b), pos);
}

int64_t IntsetRandom(const Intset* is) {
  const uint32_t len = IntsetLen(is);
  MNEMO_ASSERT(len > 0);
  return IntsetGet(is, static_cast<uint32_t>(RandomU64() % len));
}

int64_t IntsetMin(const Intset* is) { return IntsetGet(is, 0); }

int64_t IntsetMax(const Intset* is) {
  const uint32_t len = IntsetLen(is);
  MNEMO_ASSERT(len > 0);
  return IntsetGet(is, len - 1);
}

size_t IntsetBlobLen(const Intset* is) {
  const uint8_t* b = Bytes(is);
  return BlobSize(EncodingOf(b), LengthOf(b));
}

const uint8_t* IntsetBytes(const Intset* is) { return Bytes(is); }

Intset* IntsetAdopt(uint8_t* blob) { return reinterpret_cast<Intset*>(blob); }

bool IntsetValidate(const uint8_t* p, size_t size, bool deep) {
  if (p == nullptr || size < kIntsetHeaderSize) return false;
  const uint32_t enc = EncodingOf(p);
  if (enc != kEnc16 && enc != kEnc32 && enc != kEnc64) return false;
  const uint32_t len = LengthOf(p);
  // 64-bit arithmetic: len * enc cannot overflow it.
  if (BlobSize(enc, len) != size) return false;
  if (len == 0) return false;
  if (!deep) return true;
  int64_t prev = GetAt(p, enc, 0);
  for (uint32_t i = 1; i < len; ++i) {
    const int64_t cur = GetAt(p, enc, i);
    if (cur <= prev) return false;
    prev = cur;
  }
  return true;
}

}  // namespace mnemo::ds

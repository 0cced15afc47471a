// sds.cc: dynamic strings (layer: ds). Header layouts are documented in sds.h.
#include "mnemo/ds/sds.h"

#include <cstdint>
#include <cstring>

#include "mnemo/base/assert.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

enum SdsType : uint8_t { kType8 = 1, kType16 = 2, kType32 = 3, kType64 = 4 };
constexpr uint8_t kTypeMask = 7;

#pragma pack(push, 1)
template <typename T>
struct Header {
  T len;
  T alloc;
  uint8_t flags;
};
#pragma pack(pop)
static_assert(sizeof(Header<uint8_t>) == 3);
static_assert(sizeof(Header<uint16_t>) == 5);
static_assert(sizeof(Header<uint32_t>) == 9);
static_assert(sizeof(Header<uint64_t>) == 17);

uint8_t TypeOf(const char* s) { return static_cast<uint8_t>(s[-1]) & kTypeMask; }

size_t HeaderSize(uint8_t type) {
  switch (type) {
    case kType8:
      return sizeof(Header<uint8_t>);
    case kType16:
      return sizeof(Header<uint16_t>);
    case kType32:
      return sizeof(Header<uint32_t>);
    default:
      return sizeof(Header<uint64_t>);
  }
}

uint8_t TypeFor(size_t size) {
  if (size < (1u << 8)) return kType8;
  if (size < (1u << 16)) return kType16;
  if (size < (1ull << 32)) return kType32;
  return kType64;
}

size_t MaxFor(uint8_t type) {
  switch (type) {
    case kType8:
      return UINT8_MAX;
    case kType16:
      return UINT16_MAX;
    case kType32:
      return UINT32_MAX;
    default:
      return SIZE_MAX;
  }
}

template <typename T>
Header<T>* Hdr(char* s) {
  return reinterpret_cast<Header<T>*>(s - sizeof(Header<T>));
}
template <typename T>
const Header<T>* Hdr(const char* s) {
  return reinterpret_cast<const Header<T>*>(s - sizeof(Header<T>));
}

void SetFields(char* s, uint8_t type, size_t len, size_t alloc) {
  switch (type) {
    case kType8:
      Hdr<uint8_t>(s)->len = static_cast<uint8_t>(len);
      Hdr<uint8_t>(s)->alloc = static_cast<uint8_t>(alloc);
      break;
    case kType16:
      Hdr<uint16_t>(s)->len = static_cast<uint16_t>(len);
      Hdr<uint16_t>(s)->alloc = static_cast<uint16_t>(alloc);
      break;
    case kType32:
      Hdr<uint32_t>(s)->len = static_cast<uint32_t>(len);
      Hdr<uint32_t>(s)->alloc = static_cast<uint32_t>(alloc);
      break;
    default:
      Hdr<uint64_t>(s)->len = len;
      Hdr<uint64_t>(s)->alloc = alloc;
      break;
  }
  s[-1] = static_cast<char>(type);
}

// Allocates a block for capacity `cap` and returns the string pointer, with len set to `len`
// and alloc set from the usable size (capped by what the header type can express).
char* Allocate(size_t len, size_t cap) {
  uint8_t type = TypeFor(cap);
  size_t hdr = HeaderSize(type);
  MNEMO_ASSERT(hdr + cap + 1 > cap);  // overflow
  void* block = mem::Alloc(hdr + cap + 1);
  size_t usable = mem::UsableSize(block) - hdr - 1;
  if (usable > MaxFor(type)) usable = MaxFor(type);
  char* s = static_cast<char*>(block) + hdr;
  SetFields(s, type, len, usable);
  return s;
}

}  // namespace

size_t SdsLen(const char* s) {
  switch (TypeOf(s)) {
    case kType8:
      return Hdr<uint8_t>(s)->len;
    case kType16:
      return Hdr<uint16_t>(s)->len;
    case kType32:
      return Hdr<uint32_t>(s)->len;
    default:
      return Hdr<uint64_t>(s)->len;
  }
}

size_t SdsAlloc(const char* s) {
  switch (TypeOf(s)) {
    case kType8:
      return Hdr<uint8_t>(s)->alloc;
    case kType16:
      return Hdr<uint16_t>(s)->alloc;
    case kType32:
      return Hdr<uint32_t>(s)->alloc;
    default:
      return Hdr<uint64_t>(s)->alloc;
  }
}

size_t SdsAvail(const char* s) { return SdsAlloc(s) - SdsLen(s); }

size_t SdsAllocSize(const char* s) { return mem::UsableSize(s - HeaderSize(TypeOf(s))); }

size_t SdsAllocSizeFor(size_t len) { return mem::SizeClass(HeaderSize(TypeFor(len)) + len + 1); }

sds SdsNew(std::string_view init) {
  char* s = Allocate(init.size(), init.size());
  if (!init.empty()) std::memcpy(s, init.data(), init.size());
  s[init.size()] = '\0';
  return s;
}

sds SdsNewZeroed(size_t len) {
  char* s = Allocate(len, len);
  std::memset(s, 0, len + 1);
  return s;
}

void SdsFree(sds s) {
  if (s == nullptr) return;
  mem::Free(s - HeaderSize(TypeOf(s)));
}

sds SdsDefrag(sds s) {
  const size_t header = HeaderSize(TypeOf(s));
  void* p = mem::DefragMove(s - header);
  return p == nullptr ? nullptr : static_cast<char*>(p) + header;
}

void SdsSetLen(sds s, size_t len) {
  MNEMO_ASSERT(len <= SdsAlloc(s));
  const uint8_t type = TypeOf(s);
  SetFields(s, type, len, SdsAlloc(s));
  s[len] = '\0';
}

namespace {

sds MakeRoom(sds s, size_t addlen, bool greedy) {
  const size_t len = SdsLen(s);
  if (SdsAvail(s) >= addlen) return s;
  size_t need = len + addlen;
  MNEMO_ASSERT(need > len);  // overflow
  if (greedy) need = need < kSdsMaxPrealloc ? need * 2 : need + kSdsMaxPrealloc;
  const uint8_t old_type = TypeOf(s);
  const uint8_t new_type = TypeFor(need);
  if (old_type == new_type) {
    const size_t hdr = HeaderSize(old_type);
    void* block = mem::Realloc(s - hdr, hdr + need + 1);
    char* ns = static_cast<char*>(block) + hdr;
    size_t usable = mem::UsableSize(block) - hdr - 1;
    if (usable > MaxFor(new_type)) usable = MaxFor(new_type);
    SetFields(ns, new_type, len, usable);
    return ns;
  }
  // The header grows: copy into a fresh block.
  char* ns = Allocate(len, need);
  std::memcpy(ns, s, len + 1);
  SdsFree(s);
  return ns;
}

}  // namespace

sds SdsMakeRoomFor(sds s, size_t addlen) { return MakeRoom(s, addlen, true); }

sds SdsMakeRoomForNonGreedy(sds s, size_t addlen) { return MakeRoom(s, addlen, false); }

sds SdsCat(sds s, std::string_view t) {
  s = SdsMakeRoomFor(s, t.size());
  const size_t len = SdsLen(s);
  if (!t.empty()) std::memcpy(s + len, t.data(), t.size());
  SdsSetLen(s, len + t.size());
  return s;
}

sds SdsGrowZero(sds s, size_t len) {
  const size_t cur = SdsLen(s);
  if (len <= cur) return s;
  s = SdsMakeRoomFor(s, len - cur);
  std::memset(s + cur, 0, len - cur + 1);
  SdsSetLen(s, len);
  return s;
}

sds SdsRemoveFreeSpace(sds s) {
  const size_t len = SdsLen(s);
  const uint8_t type = TypeOf(s);
  const size_t hdr = HeaderSize(type);
  if (mem::SizeClass(hdr + len + 1) >= SdsAllocSize(s)) return s;
  char* ns = Allocate(len, len);
  std::memcpy(ns, s, len + 1);
  SdsFree(s);
  return ns;
}

}  // namespace mnemo::ds

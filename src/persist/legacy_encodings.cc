// legacy_encodings.cc: ziplist and zipmap decoders for old RDB encodings (layer: persist).
// Formats: legacy_encodings_internal.h.
#include "legacy_encodings_internal.h"

#include <cstring>
#include <string_view>
#include <vector>

#include "mnemo/ds/listpack.h"

namespace mnemo::persist {

namespace {

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

constexpr size_t kZlHeader = 10;  // zlbytes, zltail, zllen
constexpr uint8_t kZlEnd = 0xFF;
constexpr uint8_t kZlBigPrevlen = 0xFE;
constexpr uint16_t kZlUnknownCount = 0xFFFF;

// Decodes the ziplist entry at p (which must start before end); returns the byte after it, or
// null if it does not fit or is malformed. *prevlen gets its prevlen field, *e its element.
const uint8_t* ZiplistEntry(const uint8_t* p, const uint8_t* end, size_t* prevlen, ds::LpEntry* e) {
  if (*p == kZlBigPrevlen) {
    if (end - p < 5) return nullptr;
    *prevlen = Load32(p + 1);
    p += 5;
  } else {
    *prevlen = *p;
    p += 1;
  }
  if (p >= end) return nullptr;
  const uint8_t enc = *p;
  const size_t avail = static_cast<size_t>(end - p);
  size_t header;
  size_t len = 0;
  switch (enc >> 6) {
    case 0:
      header = 1;
      len = enc & 0x3F;
      break;
    case 1:
      if (avail < 2) return nullptr;
      header = 2;
      len = (size_t{enc & 0x3Fu} << 8) | p[1];
      break;
    case 2:
      if (avail < 5) return nullptr;
      header = 5;
      len = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
      break;
    default: {
      int64_t v;
      size_t bytes;
      switch (enc) {
        case 0xC0:
          bytes = 2;
          break;
        case 0xD0:
          bytes = 4;
          break;
        case 0xE0:
          bytes = 8;
          break;
        case 0xF0:
          bytes = 3;
          break;
        case 0xFE:
          bytes = 1;
          break;
        default:
          if (enc < 0xF1 || enc > 0xFD) return nullptr;  // 0xFF is the end, never an entry
          *e = ds::LpEntry::Int(static_cast<int64_t>(enc & 0x0F) - 1);
          return p + 1;
      }
      if (avail < 1 + bytes) return nullptr;
      const uint8_t* d = p + 1;
      switch (bytes) {
        case 1:
          v = static_cast<int8_t>(d[0]);
          break;
        case 2:
          v = static_cast<int16_t>(Load16(d));
          break;
        case 3: {
          // 24 bits little-endian, sign-extended.
          const uint32_t u = uint32_t{d[0]} | (uint32_t{d[1]} << 8) | (uint32_t{d[2]} << 16);
          v = static_cast<int32_t>(u << 8) >> 8;
          break;
        }
        case 4:
          v = static_cast<int32_t>(Load32(d));
          break;
        default:
          std::memcpy(&v, d, 8);
          break;
      }
      *e = ds::LpEntry::Int(v);
      return p + 1 + bytes;
    }
  }
  if (len > avail - header) return nullptr;
  *e = ds::LpEntry::String({reinterpret_cast<const char*>(p + header), len});
  return p + header + len;
}

uint8_t* BuildListpack(const std::vector<ds::LpEntry>& entries) {
  size_t bytes = ds::kLpEmptySize;
  for (const ds::LpEntry& e : entries) bytes += ds::LpEncodedEntryBytes(e);
  if (bytes > ds::kLpMaxSafetySize) return nullptr;
  return ds::LpBatchAppend(ds::LpNew(bytes), entries);
}

}  // namespace

uint8_t* ZiplistToListpack(const uint8_t* zl, size_t size) {
  if (size < kZlHeader + 1 || Load32(zl) != size || zl[size - 1] != kZlEnd) return nullptr;
  const size_t tail = Load32(zl + 4);
  const uint16_t count = Load16(zl + 8);
  const uint8_t* end = zl + size - 1;  // the end marker
  const uint8_t* p = zl + kZlHeader;
  std::vector<ds::LpEntry> entries;
  size_t prev_size = 0;
  size_t last_offset = kZlHeader;  // an empty ziplist's tail points at the end marker... or here
  while (p < end) {
    size_t prevlen;
    ds::LpEntry e;
    const uint8_t* next = ZiplistEntry(p, end, &prevlen, &e);
    if (next == nullptr || prevlen != prev_size) return nullptr;
    last_offset = static_cast<size_t>(p - zl);
    prev_size = static_cast<size_t>(next - p);
    entries.push_back(e);
    p = next;
  }
  if (p != end) return nullptr;
  if (entries.empty() ? (tail != kZlHeader) : (tail != last_offset)) return nullptr;
  if (count != kZlUnknownCount && count != entries.size()) return nullptr;
  if (count == kZlUnknownCount && entries.size() < kZlUnknownCount) return nullptr;
  return BuildListpack(entries);
}

namespace {

constexpr uint8_t kZmBigLen = 254;
constexpr uint8_t kZmEnd = 255;

// Reads a zipmap length at *p; false if it does not fit before end.
bool ZipmapLen(const uint8_t** p, const uint8_t* end, size_t* len) {
  if (*p >= end) return false;
  if (**p < kZmBigLen) {
    *len = **p;
    *p += 1;
    return true;
  }
  if (**p != kZmBigLen || end - *p < 5) return false;
  *len = Load32(*p + 1);
  *p += 5;
  return true;
}

}  // namespace

uint8_t* ZipmapToListpack(const uint8_t* zm, size_t size) {
  if (size < 2 || zm[size - 1] != kZmEnd) return nullptr;
  const uint8_t declared = zm[0];
  const uint8_t* end = zm + size - 1;
  const uint8_t* p = zm + 1;
  std::vector<ds::LpEntry> entries;
  while (p < end) {
    size_t flen;
    if (!ZipmapLen(&p, end, &flen) || flen > static_cast<size_t>(end - p)) return nullptr;
    const uint8_t* field = p;
    p += flen;
    size_t vlen;
    if (!ZipmapLen(&p, end, &vlen) || p >= end) return nullptr;
    const size_t free = *p++;
    if (vlen > static_cast<size_t>(end - p) || free > static_cast<size_t>(end - p) - vlen) {
      return nullptr;
    }
    entries.push_back(ds::LpEntry::String({reinterpret_cast<const char*>(field), flen}));
    entries.push_back(ds::LpEntry::String({reinterpret_cast<const char*>(p), vlen}));
    p += vlen + free;
  }
  if (p != end) return nullptr;
  if (declared < kZmBigLen && declared != entries.size() / 2) return nullptr;
  return BuildListpack(entries);
}

}  // namespace mnemo::persist

// legacy_builder.h: builds ziplists, zipmaps and RDB value bytes by hand, from the format
// description (tests/unit/persist). Redis 7.0 no longer writes these encodings, so tests make
// them to prove that they are still read.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

namespace mnemo::persist::test {

// One ziplist element: a string, or an integer with the encoding byte to use for it (0xF1..0xFD
// immediate, 0xFE int8, 0xC0 int16, 0xF0 int24, 0xD0 int32, 0xE0 int64).
struct ZlInt {
  int64_t v;
  uint8_t enc;
};
using ZlElement = std::variant<std::string, ZlInt>;

inline void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>(v >> (8 * i));
}

inline std::string Ziplist(const std::vector<ZlElement>& elements) {
  std::string entries;
  size_t prev = 0;
  size_t tail = 10;
  for (const ZlElement& e : elements) {
    std::string entry;
    if (prev < 254) {
      entry += static_cast<char>(prev);
    } else {
      entry += static_cast<char>(0xFE);
      PutLe(entry, prev, 4);
    }
    if (const auto* s = std::get_if<std::string>(&e)) {
      const size_t n = s->size();
      if (n < 64) {
        entry += static_cast<char>(n);
      } else if (n < 16384) {
        entry += static_cast<char>(0x40 | (n >> 8));
        entry += static_cast<char>(n & 0xFF);
      } else {
        entry += static_cast<char>(0x80);
        for (int i = 3; i >= 0; --i) entry += static_cast<char>(n >> (8 * i));
      }
      entry += *s;
    } else {
      const ZlInt& x = std::get<ZlInt>(e);
      entry += static_cast<char>(x.enc);
      switch (x.enc) {
        case 0xFE:
          PutLe(entry, static_cast<uint64_t>(x.v), 1);
          break;
        case 0xC0:
          PutLe(entry, static_cast<uint64_t>(x.v), 2);
          break;
        case 0xF0:
          PutLe(entry, static_cast<uint64_t>(x.v), 3);
          break;
        case 0xD0:
          PutLe(entry, static_cast<uint64_t>(x.v), 4);
          break;
        case 0xE0:
          PutLe(entry, static_cast<uint64_t>(x.v), 8);
          break;
        default:
          break;  // immediate: the value is in the encoding byte
      }
    }
    tail = 10 + entries.size();
    prev = entry.size();
    entries += entry;
  }
  std::string zl;
  PutLe(zl, 10 + entries.size() + 1, 4);
  PutLe(zl, tail, 4);
  PutLe(zl, elements.size() < 0xFFFF ? elements.size() : 0xFFFF, 2);
  zl += entries;
  zl += static_cast<char>(0xFF);
  return zl;
}

inline std::string ZipmapLen(size_t n) {
  std::string out;
  if (n < 254) {
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(254);
    PutLe(out, n, 4);
  }
  return out;
}

// A zipmap; `free` unused bytes follow each value.
inline std::string Zipmap(const std::vector<std::pair<std::string, std::string>>& pairs,
                          size_t free = 0) {
  std::string zm;
  zm += static_cast<char>(pairs.size() < 254 ? pairs.size() : 254);
  for (const auto& [f, v] : pairs) {
    zm += ZipmapLen(f.size()) + f + ZipmapLen(v.size());
    zm += static_cast<char>(free);
    zm += v + std::string(free, '\0');
  }
  zm += static_cast<char>(0xFF);
  return zm;
}

// RDB pieces.
inline std::string RdbLen(uint64_t n) {
  std::string out;
  if (n < 64) {
    out += static_cast<char>(n);
  } else if (n < 16384) {
    out += static_cast<char>(0x40 | (n >> 8));
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(0x80);
    for (int i = 3; i >= 0; --i) out += static_cast<char>(n >> (8 * i));
  }
  return out;
}
inline std::string RdbStr(const std::string& s) { return RdbLen(s.size()) + s; }

}  // namespace mnemo::persist::test

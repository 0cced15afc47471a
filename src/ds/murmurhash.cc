// murmurhash.cc: MurmurHash64A (layer: ds).
#include "mnemo/ds/murmurhash.h"

#include <cstddef>

namespace mnemo::ds {

namespace {

constexpr uint64_t kMultiplier = 0xc6a4a7935bd1e995ULL;
constexpr int kShift = 47;

// The 8 bytes at p as a little-endian integer.
uint64_t LoadLittleEndian64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const size_t len = data.size();
  uint64_t h = seed ^ (static_cast<uint64_t>(len) * kMultiplier);

  const size_t blocks = len / 8;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k = LoadLittleEndian64(p + 8 * i);
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    h ^= k;
    h *= kMultiplier;
  }

  // The last 1..7 bytes, the lowest-addressed one in the lowest bits.
  const unsigned char* tail = p + 8 * blocks;
  const size_t rest = len & 7;
  if (rest != 0) {
    for (size_t i = rest; i-- > 0;) h ^= static_cast<uint64_t>(tail[i]) << (8 * i);
    h *= kMultiplier;
  }

  h ^= h >> kShift;
  h *= kMultiplier;
  h ^= h >> kShift;
  return h;
}

}  // namespace mnemo::ds

// hash.cc: SipHash-1-2 keyed hash of every hash table (layer: ds).
//
// SipHash (Aumasson and Bernstein) with c compression rounds per 8-byte word and d finalization
// rounds. Tables use c=1, d=2 as Redis does (siphash.c): about twice as fast as SipHash-2-4 on
// short keys and still keyed, which is what hash-flooding resistance needs. The same code with
// c=2, d=4 is checked against libsodium's crypto_shorthash_siphash24 in tests/unit/ds/hash_test.cc.
#include "mnemo/ds/hash.h"
#include "mnemo/ds/siphash.h"

#include <bit>
#include <cstring>

#include <sodium.h>

namespace mnemo::ds {

namespace {

unsigned char g_seed[16] = {'m', 'n', 'e', 'm', 'o', '-', 'f', 'i',
                            'x', 'e', 'd', '-', 's', 'e', 'e', 'd'};

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  inline void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
};

template <int C, int D>
uint64_t SipHash(const unsigned char* in, size_t len, const unsigned char key[16]) {
  const uint64_t k0 = Load64(key);
  const uint64_t k1 = Load64(key + 8);
  SipState s{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
             0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
  const unsigned char* end = in + (len & ~size_t{7});
  for (; in != end; in += 8) {
    const uint64_t m = Load64(in);
    s.v3 ^= m;
    for (int i = 0; i < C; ++i) s.Round();
    s.v0 ^= m;
  }
  uint64_t b = static_cast<uint64_t>(len) << 56;
  switch (len & 7) {
    case 7: b |= static_cast<uint64_t>(in[6]) << 48; [[fallthrough]];
    case 6: b |= static_cast<uint64_t>(in[5]) << 40; [[fallthrough]];
    case 5: b |= static_cast<uint64_t>(in[4]) << 32; [[fallthrough]];
    case 4: b |= static_cast<uint64_t>(in[3]) << 24; [[fallthrough]];
    case 3: b |= static_cast<uint64_t>(in[2]) << 16; [[fallthrough]];
    case 2: b |= static_cast<uint64_t>(in[1]) << 8; [[fallthrough]];
    case 1: b |= static_cast<uint64_t>(in[0]); break;
    case 0: break;
  }
  s.v3 ^= b;
  for (int i = 0; i < C; ++i) s.Round();
  s.v0 ^= b;
  s.v2 ^= 0xff;
  for (int i = 0; i < D; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

uint64_t HashBytes(std::string_view data) {
  return SipHash<1, 2>(reinterpret_cast<const unsigned char*>(data.data()), data.size(), g_seed);
}

uint64_t SipHash24(std::string_view data, const unsigned char key[16]) {
  return SipHash<2, 4>(reinterpret_cast<const unsigned char*>(data.data()), data.size(), key);
}

void RandomizeHashSeed() {
  if (sodium_init() < 0) return;  // keep the fixed seed; libsodium could not initialise
  randombytes_buf(g_seed, sizeof(g_seed));
}

}  // namespace mnemo::ds

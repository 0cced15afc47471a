// hash.cc: SipHash-2-4 through libsodium (layer: ds).
#include "mnemo/ds/hash.h"

#include <cstring>

#include <sodium.h>

namespace mnemo::ds {

namespace {

unsigned char g_seed[crypto_shorthash_siphash24_KEYBYTES] = {
    'm', 'n', 'e', 'm', 'o', '-', 'f', 'i', 'x', 'e', 'd', '-', 's', 'e', 'e', 'd'};

}  // namespace

uint64_t HashBytes(std::string_view data) {
  unsigned char out[crypto_shorthash_siphash24_BYTES];
  crypto_shorthash_siphash24(out, reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                             g_seed);
  uint64_t h;
  std::memcpy(&h, out, sizeof(h));
  return h;
}

void RandomizeHashSeed() {
  if (sodium_init() < 0) return;  // keep the fixed seed; libsodium could not initialise
  randombytes_buf(g_seed, sizeof(g_seed));
}

}  // namespace mnemo::ds

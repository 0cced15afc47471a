// siphash.h: SipHash-2-4 of the code behind ds::HashBytes (layer: ds).
//
// ds::HashBytes is SipHash-1-2 (hash.h); the same implementation at the standard round counts
// is exposed here so that tests can check it against the paper's vectors and libsodium.
#pragma once

#include <cstdint>
#include <string_view>

namespace mnemo::ds {

// SipHash-2-4 of `data` under the 16-byte `key`.
uint64_t SipHash24(std::string_view data, const unsigned char key[16]);

}  // namespace mnemo::ds

// tls_memory.h: OpenSSL's allocations, routed through the mem layer so that the memory of TLS
// connections is part of used_memory (layer: server).
//
// The routing is installed before anything runs (a constructor function of priority 101, before
// every C++ static initializer), because OpenSSL accepts new allocation functions only before
// its first allocation.
#pragma once

#include <cstddef>

namespace mnemo::server {

// Bytes OpenSSL holds now: the TLS context and the state and buffers of every TLS connection.
size_t TlsAllocatedBytes();
// Whether OpenSSL's allocations go through the mem layer (false if OpenSSL had allocated before
// the routing could be installed; then its memory is not in used_memory).
bool TlsMemoryRouted();

}  // namespace mnemo::server

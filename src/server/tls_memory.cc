// tls_memory.cc: OpenSSL's malloc/realloc/free replaced by the mem layer's (layer: server).
#include "mnemo/server/tls_memory.h"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdint>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::server {

namespace {

// OpenSSL runs on the event loop thread only; atomic all the same, as the count is cheap.
std::atomic<int64_t> tls_allocated{0};
bool tls_memory_routed = false;

void* TlsMalloc(size_t n, const char*, int) {
  void* p = mem::Alloc(n);
  tls_allocated.fetch_add(static_cast<int64_t>(mem::UsableSize(p)), std::memory_order_relaxed);
  return p;
}

void TlsFree(void* p, const char*, int) {
  if (p == nullptr) return;
  tls_allocated.fetch_sub(static_cast<int64_t>(mem::UsableSize(p)), std::memory_order_relaxed);
  mem::Free(p);
}

void* TlsRealloc(void* p, size_t n, const char* file, int line) {
  // OpenSSL's own CRYPTO_realloc frees on 0 and returns null; a replacement must too.
  if (n == 0) {
    TlsFree(p, file, line);
    return nullptr;
  }
  const int64_t before = p == nullptr ? 0 : static_cast<int64_t>(mem::UsableSize(p));
  void* q = mem::Realloc(p, n);
  tls_allocated.fetch_add(static_cast<int64_t>(mem::UsableSize(q)) - before,
                          std::memory_order_relaxed);
  return q;
}

__attribute__((constructor(101))) void RouteOpenSslAllocations() {
  tls_memory_routed = CRYPTO_set_mem_functions(TlsMalloc, TlsRealloc, TlsFree) == 1;
}

}  // namespace

size_t TlsAllocatedBytes() {
  const int64_t n = tls_allocated.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool TlsMemoryRouted() { return tls_memory_routed; }

}  // namespace mnemo::server

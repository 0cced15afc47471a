// zmalloc.cc: counted allocation on jemalloc, and the global operator new/delete (layer: mem).
//
// The replacement operator new/delete live in this file on purpose: this object file is always
// linked (everything calls Alloc), so the replacements cannot be dropped by the static linker.
#include "mnemo/mem/zmalloc.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#ifdef MNEMO_SANITIZE
#include <malloc.h>
#else
#include <jemalloc/jemalloc.h>
#endif

#include "mnemo/base/thread_counters.h"

#ifndef MNEMO_SANITIZE
// jemalloc reads this at its first allocation, before main. Tuned for a long-running server:
// - background_thread: a jemalloc thread returns unused dirty pages to the kernel over time, so
//   memory freed by a big DEL comes back without the event loop paying for madvise calls.
// - max_background_threads:1: one purging thread is enough for a single-threaded server.
// - dirty_decay_ms:10000: freed pages stay reusable for ~10s (cheap reuse under churn), then go.
// - muzzy_decay_ms:0: skip the MADV_FREE stage; MADV_FREE pages still count in RSS until the
//   kernel is under pressure, which makes RSS and fragmentation figures lie to the operator.
extern "C" {
const char* malloc_conf =
    "background_thread:true,max_background_threads:1,dirty_decay_ms:10000,muzzy_decay_ms:0";
}
#endif

#ifdef MNEMO_SANITIZE
// mem::TryAlloc promises null, not an abort, when a request cannot be met; ASan aborts on such
// requests unless told otherwise.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif

namespace mnemo::mem {

namespace {

// used_memory: one counter slot per thread (base::ThreadCounters): every allocation and free
// counts, and the server reads it after every command (the peak).
struct UsedMemoryTag {};
base::ThreadCounters<1, 16, UsedMemoryTag> g_used;

inline void Count(int64_t delta) { g_used.Add(delta); }

#ifdef MNEMO_SANITIZE
// Under the sanitizers the system allocator (intercepted by ASan) stands in for jemalloc so that
// every out-of-bounds access in our data structures is caught. Counting stays exact.
inline void* RawAlloc(size_t size) { return std::malloc(size); }
inline void* RawRealloc(void* p, size_t size) { return std::realloc(p, size); }
inline size_t RawUsable(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }
inline void RawFree(void* p, size_t) { std::free(p); }
inline size_t RawSizeClass(size_t size) { return size; }
#else
inline void* RawAlloc(size_t size) { return mallocx(size, 0); }
inline void* RawRealloc(void* p, size_t size) { return rallocx(p, size, 0); }
inline size_t RawUsable(const void* p) { return sallocx(p, 0); }
inline void RawFree(void* p, size_t usable) { sdallocx(p, usable, 0); }
inline size_t RawSizeClass(size_t size) { return nallocx(size, 0); }
#endif

}  // namespace

namespace internal {

[[noreturn]] void OutOfMemory(size_t size) {
  std::fprintf(stderr, "zmalloc: Out of memory trying to allocate %zu bytes\n", size);
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal

using internal::OutOfMemory;

void* TryAlloc(size_t size) {
  if (size == 0) size = 1;  // mallocx(0) is undefined
  void* p = RawAlloc(size);
  if (p == nullptr) return nullptr;
  Count(static_cast<int64_t>(RawUsable(p)));
  return p;
}

void* Alloc(size_t size) {
  void* p = TryAlloc(size);
  if (p == nullptr) OutOfMemory(size);
  return p;
}

void* AllocZeroed(size_t size) {
  void* p = Alloc(size);
  std::memset(p, 0, UsableSize(p));
  return p;
}

void* Realloc(void* p, size_t size) {
  if (p == nullptr) return Alloc(size);
  if (size == 0) size = 1;
  const size_t old_usable = RawUsable(p);
  void* np = RawRealloc(p, size);
  if (np == nullptr) OutOfMemory(size);
  Count(static_cast<int64_t>(RawUsable(np)) - static_cast<int64_t>(old_usable));
  return np;
}

void Free(void* p) {
  if (p == nullptr) return;
  const size_t usable = RawUsable(p);
  Count(-static_cast<int64_t>(usable));
  RawFree(p, usable);
}

size_t UsableSize(const void* p) { return p == nullptr ? 0 : RawUsable(p); }

size_t SizeClass(size_t size) { return RawSizeClass(size == 0 ? 1 : size); }

size_t UsedMemory() { return static_cast<size_t>(g_used.Sum(0)); }

const char* AllocatorName() {
#ifdef MNEMO_SANITIZE
  return "libc";
#else
  // JEMALLOC_VERSION is "5.3.0-0-g<hash>"; Redis prints the part before the first '-'.
  static char name[64] = {0};
  if (name[0] == '\0') {
    const char* v = JEMALLOC_VERSION;
    size_t n = std::strcspn(v, "-");
    std::snprintf(name, sizeof(name), "jemalloc-%.*s", static_cast<int>(n), v);
  }
  return name;
#endif
}

DefragCounters& DefragStats() {
  static DefragCounters counters;
  return counters;
}

#ifdef MNEMO_SANITIZE
bool DefragSupported() { return false; }
bool DefragHint(const void*) { return false; }
void* DefragMove(void* p) {
  if (p != nullptr) ++DefragStats().misses;
  return nullptr;
}
#else
namespace {

// The output of experimental.utilization.query (jemalloc's inspect_extent_util_stats_verbose_t,
// include/jemalloc/internal/inspect.h of 5.3; the mallctl checks the length we pass).
struct UtilizationQuery {
  void* slabcur_addr;  // first byte of the slab the bin allocates from, or null
  size_t nfree;        // free regions in the block's slab
  size_t nregs;        // regions per slab of this size class (1 for a large block)
  size_t size;         // bytes of the slab (or of the large extent)
  size_t bin_nfree;    // free regions over all slabs of the bin (shard)
  size_t bin_nregs;    // regions over all slabs of the bin: nregs * slabs
};

// The query's MIB, looked up once (a name lookup per call would cost more than the query).
struct UtilizationMib {
  size_t mib[4];
  size_t len = 4;
  bool ok = false;
  UtilizationMib() { ok = mallctlnametomib("experimental.utilization.query", mib, &len) == 0; }
};

const UtilizationMib& QueryMib() {
  static const UtilizationMib m;
  return m;
}

}  // namespace

bool DefragSupported() { return QueryMib().ok; }

bool DefragHint(const void* p) {
  const UtilizationMib& m = QueryMib();
  if (!m.ok || p == nullptr) return false;
  UtilizationQuery q{};
  size_t qlen = sizeof(q);
  const void* in = p;
  if (mallctlbymib(m.mib, m.len, &q, &qlen, const_cast<void**>(&in), sizeof(in)) != 0) {
    return false;
  }
  // A large block (nfree 0, nregs 1) or a full slab: nothing to gain.
  if (q.nfree == 0 || q.nregs == 0 || q.bin_nregs == 0) return false;
  // The slab new allocations come from would take the copy right back.
  const auto* addr = static_cast<const char*>(p);
  const auto* cur = static_cast<const char*>(q.slabcur_addr);
  if (cur != nullptr && addr >= cur && addr < cur + q.size) return false;
  // Redis: move when this slab's used regions, extrapolated to every slab of the bin, do not
  // exceed the bin's used regions, i.e. the slab is at most as used as the average.
  const size_t used = q.nregs - q.nfree;
  const size_t bin_used = q.bin_nregs - q.bin_nfree;
  return static_cast<unsigned __int128>(used) * q.bin_nregs <=
         static_cast<unsigned __int128>(bin_used) * q.nregs;
}

void* DefragMove(void* p) {
  if (p == nullptr) return nullptr;
  if (!DefragHint(p)) {
    ++DefragStats().misses;
    return nullptr;
  }
  const size_t usable = RawUsable(p);
  // The copy must not come from the thread cache (which holds regions of any slab, the sparse
  // ones included), and the old region must go back to its slab, not to the cache.
  void* np = mallocx(usable, MALLOCX_TCACHE_NONE);
  if (np == nullptr) return nullptr;
  std::memcpy(np, p, usable);
  const size_t new_usable = RawUsable(np);
  Count(static_cast<int64_t>(new_usable) - static_cast<int64_t>(usable));
  sdallocx(p, usable, MALLOCX_TCACHE_NONE);
  ++DefragStats().hits;
  return np;
}
#endif

namespace internal {

void CountBytes(int64_t delta) { Count(delta); }

void* AllocUncounted(size_t size) {
  void* p = RawAlloc(size == 0 ? 1 : size);
  if (p == nullptr) OutOfMemory(size);
  return p;
}

void FreeUncounted(void* p) {
  if (p != nullptr) RawFree(p, RawUsable(p));
}

void* TryAllocAligned(size_t size, size_t align) {
  if (size == 0) size = 1;
#ifdef MNEMO_SANITIZE
  void* p = std::aligned_alloc(align, (size + align - 1) / align * align);
#else
  void* p = mallocx(size, MALLOCX_ALIGN(align));
#endif
  if (p == nullptr) return nullptr;
  Count(static_cast<int64_t>(RawUsable(p)));
  return p;
}

}  // namespace internal

}  // namespace mnemo::mem

// ---- The global operator new/delete, routed through the counted layer ---------------------

void* operator new(size_t size) { return mnemo::mem::Alloc(size); }
void* operator new[](size_t size) { return mnemo::mem::Alloc(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return mnemo::mem::TryAlloc(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return mnemo::mem::TryAlloc(size);
}
void operator delete(void* p) noexcept { mnemo::mem::Free(p); }
void operator delete[](void* p) noexcept { mnemo::mem::Free(p); }
void operator delete(void* p, size_t) noexcept { mnemo::mem::Free(p); }
void operator delete[](void* p, size_t) noexcept { mnemo::mem::Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { mnemo::mem::Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { mnemo::mem::Free(p); }

// Over-aligned allocations (asio asks for some) are counted the same way.
void* operator new(size_t size, std::align_val_t align) {
  void* p = mnemo::mem::internal::TryAllocAligned(size, static_cast<size_t>(align));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t size, std::align_val_t align) { return operator new(size, align); }
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return mnemo::mem::internal::TryAllocAligned(size, static_cast<size_t>(align));
}
void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return mnemo::mem::internal::TryAllocAligned(size, static_cast<size_t>(align));
}
void operator delete(void* p, std::align_val_t) noexcept { mnemo::mem::Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { mnemo::mem::Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { mnemo::mem::Free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { mnemo::mem::Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  mnemo::mem::Free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  mnemo::mem::Free(p);
}

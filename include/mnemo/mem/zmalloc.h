// zmalloc.h: the one allocation layer of the process and its exact used_memory count (layer: mem).
//
// Every heap byte the server owns comes from here: data structures call Alloc/Realloc/Free
// directly, everything else arrives through the global operator new/delete, which are routed
// here too. used_memory is the sum of jemalloc's usable sizes of the live allocations, exactly:
// each call adds or subtracts the usable size of the block it touched. The count is kept per
// thread (one cache line per thread, written only by its owner, no lock, no atomic
// read-modify-write on the hot path) and summed when read, so the lazy-free thread freeing
// memory allocated by the main thread keeps the total exact.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::mem {

// Returns a block of at least `size` bytes. Never returns null: running out of memory logs the
// size and aborts, as Redis's zmalloc does (a half-applied write is worse than a crash).
void* Alloc(size_t size);
// As Alloc, with the block zeroed.
void* AllocZeroed(size_t size);
// Returns null instead of aborting when the allocator cannot satisfy the request.
void* TryAlloc(size_t size);
// Resizes p (which may be null) to at least `size` bytes; the contents up to the smaller size
// are kept. Never returns null.
void* Realloc(void* p, size_t size);
// Frees p; null is allowed.
void Free(void* p);

// The usable size of a live block: what it really costs, and what may be written.
size_t UsableSize(const void* p);
// The usable size an Alloc(size) would return, without allocating (jemalloc's size classes:
// 8, 16, 32, 48, 64, 80, 96, 112, 128, 160, ...).
size_t SizeClass(size_t size);

// Sum of the usable sizes of all live blocks allocated through this layer.
size_t UsedMemory();

// Name and version of the allocator, as INFO's mem_allocator prints it ("jemalloc-5.3.0").
const char* AllocatorName();

// ---- Active defragmentation (db/defrag.h drives it; docs/memory.md explains it) ----------
//
// Stock jemalloc 5.3 has no defrag hint of its own (Redis patches one in); its
// experimental.utilization.query mallctl tells, for any live block, how many regions of its slab
// are free, the bin's totals over all its slabs, and which slab new allocations come from. The
// hint is Redis's je_get_defrag_hint rule on those figures: move a block when its slab is not
// full, is not the slab allocations are served from, and is no more used than the bin's average
// slab. A moved copy goes to a fuller slab (jemalloc fills the lowest non-full slab first), and
// emptied slabs go back to the kernel.

// True iff this build's allocator answers the utilization query (jemalloc; false under the
// sanitizers' libc allocator).
bool DefragSupported();
// Redis's defrag hint for the live block p (see above). False for large blocks (not in a slab).
bool DefragHint(const void* p);
// If DefragHint(p): allocates a block of p's size class bypassing the thread cache, copies p's
// usable bytes into it, frees p (bypassing the thread cache too, so its region returns to its slab
// at once) and returns the new address. Otherwise returns null and p is untouched. used_memory is
// unchanged either way (same size class). REQUIRES: the caller updates every pointer to p.
[[nodiscard]] void* DefragMove(void* p);
// Blocks DefragMove moved (hits) and left in place (misses) since the start: INFO's
// active_defrag_hits / active_defrag_misses. Counted on the thread that defragments only.
struct DefragCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
};
DefragCounters& DefragStats();

namespace internal {
// Logs the size and aborts, as every allocation of this layer does when memory runs out.
[[noreturn]] void OutOfMemory(size_t size);
// Allocator bookkeeping that used_memory does not count, as it does not count jemalloc's own
// metadata (the slab arena's lists, slab.h). Never returns null (aborts as Alloc does).
void* AllocUncounted(size_t size);
void FreeUncounted(void* p);
// Adds `delta` to used_memory on the calling thread's counter: for memory this layer hands out
// without a jemalloc block of its own (the slab arena's slots, slab.h).
void CountBytes(int64_t delta);
// For the aligned operator new only. Returns null on failure.
void* TryAllocAligned(size_t size, size_t align);
}  // namespace internal

}  // namespace mnemo::mem

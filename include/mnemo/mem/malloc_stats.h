// malloc_stats.h: what jemalloc and the kernel say about the process's memory (layer: mem).
//
// These figures complement used_memory (zmalloc.h): used_memory counts what Mnemo asked for;
// jemalloc's allocated/active/resident count what the allocator holds for it; RSS is what the
// kernel charges. The gaps between them are the fragmentation figures of INFO memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mnemo::mem {

struct AllocatorStats {
  size_t allocated = 0;  // stats.allocated: bytes in live allocations (includes uncounted mallocs)
  size_t active = 0;     // stats.active: bytes in active pages (allocated + page-internal slack)
  size_t resident = 0;   // stats.resident: bytes in physically resident pages jemalloc maps
  size_t retained = 0;   // stats.retained: virtual memory kept for reuse, not resident
  size_t mapped = 0;     // stats.mapped
  size_t metadata = 0;   // stats.metadata
  size_t muzzy = 0;  // pages purged lazily (MADV_FREE): counted in RSS until the kernel takes them
  size_t dirty = 0;  // unused dirty pages that MEMORY PURGE would return
  bool valid = false;  // false when the allocator cannot report (sanitizer builds)
};

// Refreshes jemalloc's statistics epoch and reads the figures above.
AllocatorStats ReadAllocatorStats();

// Returns dirty pages of every arena to the operating system (arena.<all>.purge).
// Returns false only if jemalloc refused; without jemalloc there is nothing to purge (true).
bool PurgeAllocator();

// jemalloc's own statistics report (malloc_stats_print), as MEMORY MALLOC-STATS prints it.
std::string AllocatorStatsText();

// Resident set size of the process in bytes (/proc/self/statm), 0 if unknown.
size_t ProcessRss();

// Physical memory of the machine in bytes, 0 if unknown.
uint64_t TotalSystemMemory();

// Sets jemalloc's background purging thread on or off at runtime. Returns true on success.
bool SetBackgroundThread(bool enable);

}  // namespace mnemo::mem

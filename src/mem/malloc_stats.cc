// malloc_stats.cc: jemalloc's mallctl statistics, purge, RSS (layer: mem).
#include "mnemo/mem/malloc_stats.h"

#include "mnemo/mem/slab.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#ifndef MNEMO_SANITIZE
#include <jemalloc/jemalloc.h>
#endif

namespace mnemo::mem {

#ifdef MNEMO_SANITIZE

AllocatorStats ReadAllocatorStats() { return AllocatorStats{}; }
bool PurgeAllocator() { return true; }  // nothing to purge; Redis answers OK here too
std::string AllocatorStatsText() { return "Stats not supported for the current allocator"; }
bool SetBackgroundThread(bool) { return false; }

#else

namespace {

size_t ReadSize(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  if (mallctl(name, &value, &len, nullptr, 0) != 0) return 0;
  return value;
}

void RefreshEpoch() {
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
}

// The text of malloc_stats_print arrives in pieces through this callback.
void AppendToString(void* opaque, const char* text) {
  static_cast<std::string*>(opaque)->append(text);
}

}  // namespace

AllocatorStats ReadAllocatorStats() {
  RefreshEpoch();
  AllocatorStats s;
  s.allocated = ReadSize("stats.allocated");
  s.active = ReadSize("stats.active");
  s.resident = ReadSize("stats.resident");
  s.retained = ReadSize("stats.retained");
  s.mapped = ReadSize("stats.mapped");
  s.metadata = ReadSize("stats.metadata");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // MALLCTL_ARENAS_ALL merges every arena.
  char name[96];
  std::snprintf(name, sizeof(name), "stats.arenas.%u.pdirty", MALLCTL_ARENAS_ALL);
  s.dirty = ReadSize(name) * page;
  std::snprintf(name, sizeof(name), "stats.arenas.%u.pmuzzy", MALLCTL_ARENAS_ALL);
  s.muzzy = ReadSize(name) * page;
  // The keyspace's slab pages (slab.h) are mapped beside jemalloc, and are the allocator of the
  // keyspace's entries: their live slots are allocated bytes, their pages active and resident
  // ones, so that the fragmentation figures (and active defragmentation) see free slots as
  // they see jemalloc's free regions. (Big slots are jemalloc blocks, counted by jemalloc.)
  // A page kept empty (the last of its size) is what jemalloc calls a dirty page: resident,
  // not active.
  const SlabArena::Stats slabs = KeyspaceSlabs().stats();
  s.allocated += slabs.small_bytes;
  s.active += slabs.active_bytes;
  s.dirty += slabs.empty_pages * SlabArena::kPageBytes;
  s.resident += slabs.page_bytes + slabs.metadata_bytes;
  s.mapped += slabs.page_bytes + slabs.metadata_bytes;
  s.metadata += slabs.metadata_bytes;
  s.valid = true;
  return s;
}

bool PurgeAllocator() {
  char name[64];
  std::snprintf(name, sizeof(name), "arena.%u.purge", MALLCTL_ARENAS_ALL);
  return mallctl(name, nullptr, nullptr, nullptr, 0) == 0;
}

std::string AllocatorStatsText() {
  std::string out;
  malloc_stats_print(AppendToString, &out, nullptr);
  return out;
}

bool SetBackgroundThread(bool enable) {
  bool value = enable;
  return mallctl("background_thread", nullptr, nullptr, &value, sizeof(value)) == 0;
}

#endif

size_t ProcessRss() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

uint64_t TotalSystemMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}

}  // namespace mnemo::mem

// slab.cc: byte-exact slots named by 32-bit handles (layer: mem). See slab.h.
#include "mnemo/mem/slab.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::mem {

namespace {

// Region pages are made readable and writable this many at a time (1 MiB), so that growing the
// keyspace costs an mprotect per 64 pages, and the kernel merges them into one mapping.
constexpr uint32_t kCommitChunk = 64;
// The page table's metadata is reported by the 4 KiB page of the table, as it is touched.
constexpr size_t kTablePage = 4096;

[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "slab: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

void* Reserve(size_t bytes, int prot) {
  void* p = mmap(nullptr, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

SlabArena::SlabArena(uint32_t max_pages)
    : owner_(std::this_thread::get_id()),
      max_pages_(std::min(max_pages, kMaxPages)),
      bins_(kMaxSmall + 1) {
  region_bytes_ = (static_cast<size_t>(max_pages_) + 1) * kPageBytes;
  region_ = static_cast<char*>(Reserve(region_bytes_, PROT_NONE));
  if (region_ == nullptr) Fatal("cannot reserve the address space of the slab region");
  table_bytes_ = (static_cast<size_t>(max_pages_) + 1) * sizeof(Page);
  table_bytes_ = (table_bytes_ + kTablePage - 1) / kTablePage * kTablePage;
  pages_ = static_cast<Page*>(Reserve(table_bytes_, PROT_READ | PROT_WRITE));
  if (pages_ == nullptr) Fatal("cannot reserve the slab page table");
}

SlabArena::~SlabArena() {
  Collect();
  for (uint32_t i = 1; i < next_page_; ++i) {
    if (pages_[i].big && pages_[i].base != nullptr) Free(static_cast<Handle>(i) << kSlotBits);
  }
  internal::CountBytes(-static_cast<int64_t>(live_small_bytes_));
  munmap(pages_, table_bytes_);
  munmap(region_, region_bytes_);
}

uint32_t SlabArena::NewPageNumber() {
  if (!free_pages_.empty()) {
    const uint32_t n = free_pages_.back();
    free_pages_.pop_back();
    return n;
  }
  if (next_page_ > max_pages_) return 0;
  const uint32_t n = next_page_++;
  const size_t table_used =
      (static_cast<size_t>(next_page_) * sizeof(Page) + kTablePage - 1) / kTablePage * kTablePage;
  if (table_used > table_committed_) table_committed_ = table_used;
  return n;
}

bool SlabArena::Commit(uint32_t page) {
  if (page < committed_pages_) return true;
  const uint32_t end = std::min<uint32_t>((page / kCommitChunk + 1) * kCommitChunk, max_pages_ + 1);
  char* from = region_ + static_cast<size_t>(committed_pages_) * kPageBytes;
  const size_t bytes = static_cast<size_t>(end - committed_pages_) * kPageBytes;
  if (mprotect(from, bytes, PROT_READ | PROT_WRITE) != 0) return false;
  committed_pages_ = end;
  return true;
}

size_t SlabArena::CostFor(size_t size) {
  if (size <= kMaxSmall) return size < kMinSlot ? kMinSlot : size;
  return mem::SizeClass(size + sizeof(uint64_t));
}

SlabArena::Slot SlabArena::Alloc(size_t size) {
  const Slot s = TryAlloc(size);
  if (s.ptr == nullptr) internal::OutOfMemory(size);
  return s;
}

SlabArena::Slot SlabArena::TryAlloc(size_t size) {
  if (remote_count_.load(std::memory_order_relaxed) != 0) Collect();
  if (size < kMinSlot) size = kMinSlot;
  return size <= kMaxSmall ? AllocSmall(size) : AllocBig(size);
}

SlabArena::Slot SlabArena::AllocSmall(size_t size) {
  Bin& c = bins_[size];
  const bool fresh = c.heap.empty();
  if (fresh) {
    const uint32_t n = NewPageNumber();
    if (n == 0) return {};
    if (!Commit(n)) {
      free_pages_.push_back(n);
      return {};
    }
    Page& pg = pages_[n];
    pg = Page{};
    pg.base = region_ + static_cast<size_t>(n) * kPageBytes;
    pg.slot_size = static_cast<uint32_t>(size);
    pg.capacity = static_cast<uint16_t>(std::min(kMaxSlotsPerPage, kPageBytes / size));
    ++c.pages;
    ++small_pages_;
    HeapPush(c, n);
  }
  const uint32_t n = c.heap.front();
  Page& pg = pages_[n];
  uint32_t slot;
  if (pg.free_head != 0) {
    slot = pg.free_head - 1u;
    uint16_t next;
    std::memcpy(&next, pg.base + static_cast<size_t>(slot) * size, sizeof(next));
    pg.free_head = next;
  } else {
    slot = pg.bump++;
  }
  if (pg.used == 0 && !fresh) --empty_pages_;  // the kept page of its size, in use again
  if (++pg.used == pg.capacity) HeapRemove(c, n);
  ++c.live;
  ++live_slots_;
  live_small_bytes_ += size;
  internal::CountBytes(static_cast<int64_t>(size));
  return {(n << kSlotBits) | slot, pg.base + static_cast<size_t>(slot) * size};
}

SlabArena::Slot SlabArena::AllocBig(size_t size) {
  const uint32_t n = NewPageNumber();
  if (n == 0) return {};
  // The 8 bytes before the slot hold its handle (HandleOf); mem::Alloc counts the block.
  char* block = static_cast<char*>(mem::TryAlloc(size + sizeof(uint64_t)));
  if (block == nullptr) {
    free_pages_.push_back(n);
    return {};
  }
  const Handle h = n << kSlotBits;
  const uint64_t stored = h;
  std::memcpy(block, &stored, sizeof(stored));
  Page& pg = pages_[n];
  pg = Page{};
  pg.base = block + sizeof(uint64_t);
  pg.slot_size = static_cast<uint32_t>(size);
  pg.big = true;
  pg.block_bytes = static_cast<uint32_t>(mem::UsableSize(block));
  ++live_slots_;
  live_big_bytes_ += size;
  big_block_bytes_ += pg.block_bytes;
  return {h, pg.base};
}

void SlabArena::Free(Handle h) {
  const uint32_t n = h >> kSlotBits;
  Page& pg = pages_[n];
  if (pg.big) {
    mem::Free(pg.base - sizeof(uint64_t));
    ForgetBig(n);
    return;
  }
  internal::CountBytes(-static_cast<int64_t>(pg.slot_size));
  ReturnSmall(n, h & (kMaxSlotsPerPage - 1));
}

void SlabArena::FreeRemote(const void* p) {
  const Handle h = HandleOf(p);
  const Page& pg = pages_[h >> kSlotBits];  // the fields read here do not change while p lives
  std::lock_guard<std::mutex> lock(remote_mu_);
  if (pg.big) {
    mem::Free(pg.base - sizeof(uint64_t));  // counted on this thread by mem::Free
    remote_big_.push_back(h);
  } else {
    internal::CountBytes(-static_cast<int64_t>(pg.slot_size));
    remote_.push_back(h);
  }
  remote_count_.fetch_add(1, std::memory_order_relaxed);
}

void SlabArena::Collect() {
  List<Handle> small;
  List<Handle> big;
  {
    std::lock_guard<std::mutex> lock(remote_mu_);
    small.swap(remote_);
    big.swap(remote_big_);
    remote_count_.store(0, std::memory_order_relaxed);
  }
  for (Handle h : small) ReturnSmall(h >> kSlotBits, h & (kMaxSlotsPerPage - 1));
  for (Handle h : big) ForgetBig(h >> kSlotBits);  // their blocks went on the freeing thread
}

void SlabArena::ReturnSmall(uint32_t n, uint32_t slot) {
  Page& pg = pages_[n];
  Bin& c = bins_[pg.slot_size];
  const uint16_t next = pg.free_head;
  std::memcpy(pg.base + static_cast<size_t>(slot) * pg.slot_size, &next, sizeof(next));
  pg.free_head = static_cast<uint16_t>(slot + 1);
  if (pg.used-- == pg.capacity) HeapPush(c, n);
  --c.live;
  --live_slots_;
  live_small_bytes_ -= pg.slot_size;
  if (pg.used != 0) return;
  if (c.pages == 1) {
    // The last page of its size stays, emptied: the next slot starts again at its beginning.
    pg.free_head = 0;
    pg.bump = 0;
    ++empty_pages_;
    return;
  }
  HeapRemove(c, n);
  --c.pages;
  ReleasePage(n);
}

void SlabArena::ReleasePage(uint32_t n) {
  // The kernel drops the page's memory; the next touch reads zeros.
  madvise(pages_[n].base, kPageBytes, MADV_DONTNEED);
  pages_[n] = Page{};
  --small_pages_;
  free_pages_.push_back(n);
}

void SlabArena::ForgetBig(uint32_t n) {
  big_block_bytes_ -= pages_[n].block_bytes;
  live_big_bytes_ -= pages_[n].slot_size;
  --live_slots_;
  pages_[n] = Page{};
  free_pages_.push_back(n);
}

SlabArena::Handle SlabArena::HandleOf(const void* p) const {
  const char* c = static_cast<const char*>(p);
  if (InRegion(p)) {
    const size_t offset = static_cast<size_t>(c - region_);
    const uint32_t n = static_cast<uint32_t>(offset >> kPageShift);
    const uint32_t slot = static_cast<uint32_t>((offset & (kPageBytes - 1)) / pages_[n].slot_size);
    return (n << kSlotBits) | slot;
  }
  uint64_t stored;
  std::memcpy(&stored, c - sizeof(uint64_t), sizeof(stored));
  return static_cast<Handle>(stored);
}

SlabArena::Stats SlabArena::stats() const {
  Stats s;
  s.live_slots = live_slots_;
  s.live_bytes = live_small_bytes_ + live_big_bytes_;
  s.small_bytes = live_small_bytes_;
  s.small_pages = small_pages_;
  s.empty_pages = empty_pages_;
  s.page_bytes = small_pages_ * kPageBytes;
  s.active_bytes = (small_pages_ - empty_pages_) * kPageBytes;
  s.big_bytes = big_block_bytes_;
  s.metadata_bytes =
      table_committed_ + free_pages_.capacity() * sizeof(uint32_t) + bins_.capacity() * sizeof(Bin);
  for (const Bin& b : bins_) s.metadata_bytes += b.heap.capacity() * sizeof(uint32_t);
  s.free_bytes = s.active_bytes - live_small_bytes_;
  s.remote_pending = remote_count_.load(std::memory_order_relaxed);
  return s;
}

bool SlabArena::DefragHint(Handle h) const {
  const uint32_t n = h >> kSlotBits;
  const Page& pg = pages_[n];
  if (pg.big || pg.used == pg.capacity) return false;
  const Bin& c = bins_[pg.slot_size];
  if (!c.heap.empty() && c.heap.front() == n) return false;
  // No fuller than the average page of its size (all have the same capacity).
  return static_cast<uint64_t>(pg.used) * c.pages <= c.live;
}

SlabArena::Slot SlabArena::DefragMove(Handle h) {
  const size_t size = SlotSize(h);
  const Slot moved = DefragHint(h) ? AllocSmall(size) : Slot{};
  if (moved.ptr == nullptr) {
    ++DefragStats().misses;
    return {};
  }
  std::memcpy(moved.ptr, Ptr(h), size);
  Free(h);
  ++DefragStats().hits;
  return moved;
}

// ---- The heap of pages with room, per size: a min-heap on the page number ---------------------

void SlabArena::HeapSet(Bin& c, size_t i, uint32_t page) {
  c.heap[i] = page;
  pages_[page].heap_pos = static_cast<uint32_t>(i + 1);
}

void SlabArena::HeapSiftUp(Bin& c, size_t i) {
  const uint32_t page = c.heap[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (c.heap[parent] <= page) break;
    HeapSet(c, i, c.heap[parent]);
    i = parent;
  }
  HeapSet(c, i, page);
}

void SlabArena::HeapSiftDown(Bin& c, size_t i) {
  const uint32_t page = c.heap[i];
  const size_t n = c.heap.size();
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && c.heap[child + 1] < c.heap[child]) ++child;
    if (c.heap[child] >= page) break;
    HeapSet(c, i, c.heap[child]);
    i = child;
  }
  HeapSet(c, i, page);
}

void SlabArena::HeapPush(Bin& c, uint32_t page) {
  c.heap.push_back(page);
  HeapSiftUp(c, c.heap.size() - 1);
}

void SlabArena::HeapRemove(Bin& c, uint32_t page) {
  const size_t i = pages_[page].heap_pos - 1;
  pages_[page].heap_pos = 0;
  const uint32_t last = c.heap.back();
  c.heap.pop_back();
  if (i == c.heap.size()) return;  // it was the last element
  HeapSet(c, i, last);
  HeapSiftUp(c, i);
  HeapSiftDown(c, pages_[last].heap_pos - 1);
}

template <typename T>
T* SlabArena::Uncounted<T>::allocate(size_t n) {
  return static_cast<T*>(internal::AllocUncounted(n * sizeof(T)));
}

template <typename T>
void SlabArena::Uncounted<T>::deallocate(T* p, size_t) {
  internal::FreeUncounted(p);
}

namespace internal {

SlabArena* keyspace_slabs = nullptr;

SlabArena& MakeKeyspaceSlabs() {
  // Never destroyed (objects may outlive every static at exit), and not counted in used_memory
  // (its lists are not either): it is the allocator, not something it allocated.
  alignas(SlabArena) static unsigned char storage[sizeof(SlabArena)];
  static SlabArena* arena = new (storage) SlabArena();
  keyspace_slabs = arena;
  return *arena;
}

}  // namespace internal

}  // namespace mnemo::mem

// slab.h: byte-exact slots named by 32-bit handles, for the keyspace's entries (layer: mem).
//
// Why: jemalloc rounds every block up to its size class (32, 48, 64, 80, ... then 16 and 32
// bytes apart), and a pointer to a block costs 8 bytes. A keyspace entry of 40 bytes costs a
// 48-byte block plus the 8-byte pointers that chain it; here it costs 40 bytes, and the links
// to it 4 bytes each. (docs/memory.md, "Slots": the plan for the keyspace that uses this.)
//
// How:
//   - Small slots (at most kMaxSmall bytes) live in 16 KiB pages cut out of one virtual region
//     reserved at construction (address space only: a page costs memory once it is written).
//     Every page holds slots of one exact size, any size from kMinSlot to kMaxSmall bytes, so a
//     slot wastes nothing; a page wastes its tail (16384 mod the size, at most kMaxSmall - 1
//     bytes, and 16384 - 1024 * size for slots under 16 bytes).
//   - A handle is the page's number (the high 22 bits) and the slot's number in it (the low 10
//     bits); handle 0 names nothing. Ptr(h) is one read of the page table and a multiply.
//   - Bigger slots are jemalloc blocks of their own (a page number each, slot 0), with the
//     handle stored in the 8 bytes before the slot so that HandleOf finds it.
//   - A page with free slots is on its size's list of pages with room; a slot is taken from the
//     first of them (its free list first, then the never-used tail). A page whose last slot is
//     freed goes back to the region (madvise MADV_DONTNEED: its memory returns to the kernel),
//     except the last page of its size, kept so that a key created and deleted in a loop does
//     not cost a system call each time.
//
// Accounting: used_memory (mem::UsedMemory) counts each live slot's exact size, as it counts a
// jemalloc block's usable size (a big slot: its block's usable size). The free slots and tails
// of pages are the arena's fragmentation, and its page table and lists its metadata, reported
// by stats() and not counted in used_memory (as jemalloc's free regions and metadata are not).
//
// Threads: one owner thread allocates and frees. Another thread (the lazy-free thread) may free
// with FreeRemote: the slot is uncounted at once and given back to its page by the owner's next
// Alloc or Collect.
//
// Limits: 2^22 - 1 pages (small pages and big slots together): 64 GiB of small slots. Past that
// Alloc aborts as running out of memory does (TryAlloc returns {0, nullptr}).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mnemo::mem {

class SlabArena {
 public:
  using Handle = uint32_t;

  static constexpr unsigned kPageShift = 14;
  static constexpr size_t kPageBytes = size_t{1} << kPageShift;  // 16 KiB
  static constexpr unsigned kSlotBits = 10;
  static constexpr size_t kMaxSlotsPerPage = size_t{1} << kSlotBits;  // 1024
  // 4: a free slot holds the next free slot's number (2 bytes), and nothing the keyspace
  // stores is smaller.
  static constexpr size_t kMinSlot = 4;
  // 1024: 16 slots per page at least (the tail wastes under 1/16 of a page).
  static constexpr size_t kMaxSmall = 1024;
  static constexpr uint32_t kMaxPages = (uint32_t{1} << (32 - kSlotBits)) - 1;

  struct Slot {
    Handle handle = 0;
    void* ptr = nullptr;
  };

  struct Stats {
    size_t live_slots = 0;      // slots allocated and not freed
    size_t live_bytes = 0;      // their exact sizes (counted in used_memory)
    size_t small_bytes = 0;     // the part of live_bytes in small slots (in the pages)
    size_t small_pages = 0;     // pages of small slots (resident), empty_pages among them
    size_t empty_pages = 0;     // pages kept with no live slot (the last of their size)
    size_t page_bytes = 0;      // small_pages * kPageBytes (resident)
    size_t active_bytes = 0;    // (small_pages - empty_pages) * kPageBytes: jemalloc's "active"
    size_t big_bytes = 0;       // usable bytes of the big slots' jemalloc blocks
    size_t metadata_bytes = 0;  // the page table's pages in use and the lists (not counted)
    size_t free_bytes = 0;      // active_bytes - small_bytes: the fragmentation
    size_t remote_pending = 0;  // slots freed by another thread, not yet given back
  };

  // Reserves the address space of `max_pages` pages (tests pass a few; the server the default).
  explicit SlabArena(uint32_t max_pages = kMaxPages);
  SlabArena(const SlabArena&) = delete;
  SlabArena& operator=(const SlabArena&) = delete;
  // REQUIRES: every slot freed (Collect done); the region and the big blocks' bookkeeping go.
  ~SlabArena();

  // A slot of exactly `size` bytes (kMinSlot at least), uninitialized. Never fails: when the
  // page numbers are exhausted or the system refuses memory it aborts, as mem::Alloc does.
  [[nodiscard]] Slot Alloc(size_t size);
  // As Alloc, but returns {0, nullptr} instead of aborting.
  [[nodiscard]] Slot TryAlloc(size_t size);
  // Frees the slot `h`. REQUIRES: the owner thread; h live.
  void Free(Handle h);
  // Frees the slot at `p` from a thread that is not the owner (uncounted now, given back at the
  // owner's next Alloc or Collect). REQUIRES: p live, not freed elsewhere.
  void FreeRemote(const void* p);
  // Free or FreeRemote, whichever the calling thread needs (the owner is the thread that
  // constructed the arena).
  void FreeAt(const void* p) {
    if (std::this_thread::get_id() == owner_) {
      Free(HandleOf(p));
    } else {
      FreeRemote(p);
    }
  }
  // Gives back the slots freed by other threads. The owner's thread.
  void Collect();

  // What a slot of `size` bytes costs in used_memory (SlotCost of what Alloc(size) returns).
  static size_t CostFor(size_t size);

  // The slot's address. REQUIRES: h live.
  void* Ptr(Handle h) const {
    const Page& pg = pages_[h >> kSlotBits];
    return pg.base + static_cast<size_t>(h & (kMaxSlotsPerPage - 1)) * pg.slot_size;
  }
  // The slot's size in bytes (exactly what Alloc was asked for). REQUIRES: h live.
  size_t SlotSize(Handle h) const { return pages_[h >> kSlotBits].slot_size; }
  // What the slot costs in used_memory: its size, or a big slot's jemalloc block's usable size.
  size_t SlotCost(Handle h) const {
    const Page& pg = pages_[h >> kSlotBits];
    return pg.big ? pg.block_bytes : pg.slot_size;
  }
  // The handle of the live slot at `p`.
  Handle HandleOf(const void* p) const;
  // True iff `p` is a small slot (in the region) of this arena.
  bool InRegion(const void* p) const {
    const char* c = static_cast<const char*>(p);
    return c >= region_ && c < region_ + region_bytes_;
  }

  Stats stats() const;

  // Defragmentation, as jemalloc's rule (zmalloc.h): true iff moving the slot to another page
  // of its size would help: its page has free slots, is not the page new slots come from, and
  // is no fuller than the average page of its size.
  bool DefragHint(Handle h) const;
  // If DefragHint(h): copies the slot into a new one of the same size (taken from the fullest
  // pages first: the lowest-numbered page with room), frees `h` and returns the new slot;
  // otherwise {0, nullptr}. Counted in mem::DefragStats as mem::DefragMove counts (a move is a
  // hit, anything else a miss). REQUIRES: the caller updates every link to h.
  [[nodiscard]] Slot DefragMove(Handle h);

 private:
  struct Page {
    char* base = nullptr;      // first slot; null: the page number is free
    uint32_t slot_size = 0;    // bytes per slot (a big slot: the size asked for)
    uint16_t capacity = 0;     // slots in the page
    uint16_t used = 0;         // live slots
    uint16_t free_head = 0;    // a freed slot's number + 1; 0: none
    uint16_t bump = 0;         // slots from here on were never used
    uint32_t heap_pos = 0;     // position + 1 in its size's heap of pages with room; 0: none
    uint32_t block_bytes = 0;  // a big slot: the usable size of its jemalloc block
    bool big = false;          // a big slot's jemalloc block (base - 8 is the block); its
                               // capacity, used, free_head, bump and heap_pos are unused
  };
  // The arena's lists are metadata, uncounted in used_memory (zmalloc.h AllocUncounted).
  template <typename T>
  struct Uncounted {
    using value_type = T;
    Uncounted() = default;
    template <typename U>
    Uncounted(const Uncounted<U>&) {}  // NOLINT: allocators convert implicitly
    T* allocate(size_t n);
    void deallocate(T* p, size_t n);
    bool operator==(const Uncounted&) const { return true; }
  };
  template <typename T>
  using List = std::vector<T, Uncounted<T>>;

  // Per small size: the pages with room, as a min-heap on page number (new slots come from the
  // lowest-numbered page, as jemalloc fills its lowest slab: freed pages drain, full ones fill),
  // and the number of pages of the size.
  struct Bin {
    List<uint32_t> heap;
    uint32_t pages = 0;
    uint32_t live = 0;
  };

  Slot AllocSmall(size_t size);
  Slot AllocBig(size_t size);
  // Gives a slot back to its page; the bytes are uncounted by the caller (Free, or FreeRemote on
  // its own thread).
  void ReturnSmall(uint32_t page, uint32_t slot);
  // Forgets the big slot of `page` (its block is freed already) and gives the number back.
  void ForgetBig(uint32_t page);
  uint32_t NewPageNumber();
  bool Commit(uint32_t page);
  void ReleasePage(uint32_t page);
  void HeapPush(Bin& c, uint32_t page);
  void HeapRemove(Bin& c, uint32_t page);
  void HeapSiftUp(Bin& c, size_t i);
  void HeapSiftDown(Bin& c, size_t i);
  void HeapSet(Bin& c, size_t i, uint32_t page);

  std::thread::id owner_;
  uint32_t max_pages_;
  char* region_ = nullptr;  // max_pages_ * kPageBytes of address space
  size_t region_bytes_ = 0;
  Page* pages_ = nullptr;         // the page table (its own reserved mapping, never moved)
  size_t table_bytes_ = 0;        // reserved bytes of the table
  size_t table_committed_ = 0;    // bytes of the table's pages handed out (metadata)
  uint32_t next_page_ = 1;        // page numbers below this were handed out once (0: none)
  uint32_t committed_pages_ = 0;  // region pages below this are readable and writable
  List<uint32_t> free_pages_;     // page numbers given back, reused first
  List<Bin> bins_;                // indexed by slot size, kMaxSmall + 1 entries
  size_t live_slots_ = 0;
  size_t live_small_bytes_ = 0;
  size_t live_big_bytes_ = 0;   // sizes asked for
  size_t big_block_bytes_ = 0;  // jemalloc usable sizes
  size_t small_pages_ = 0;
  size_t empty_pages_ = 0;  // kept pages with no live slot (ReturnSmall), among small_pages_

  mutable std::mutex remote_mu_;
  List<Handle> remote_;      // small slots freed by other threads, not yet given back
  List<Handle> remote_big_;  // big slots freed by other threads (blocks already freed)
  std::atomic<size_t> remote_count_{0};
};

namespace internal {
// Set once, by the first KeyspaceSlabs() call (on the event loop's thread, before any entry
// exists; other threads only meet entries handed to them through a queue).
extern SlabArena* keyspace_slabs;
SlabArena& MakeKeyspaceSlabs();
}  // namespace internal

// The process's arena for keyspace entries (created at first use). Inline: every step along a
// keys table chain goes through it (Object::FromHandle).
inline SlabArena& KeyspaceSlabs() {
  SlabArena* arena = internal::keyspace_slabs;
  return arena != nullptr ? *arena : internal::MakeKeyspaceSlabs();
}

}  // namespace mnemo::mem

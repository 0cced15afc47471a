// slab_test.cc: the slab arena's slots are exact, named by stable handles, counted exactly in
// used_memory, and their pages go back when emptied (layer: mem).
#include "mnemo/mem/slab.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "mnemo/mem/zmalloc.h"

namespace mnemo::mem {
namespace {

using Handle = SlabArena::Handle;

int64_t Used() { return static_cast<int64_t>(UsedMemory()); }

// Fills a slot with bytes derived from its handle, so that an overlap of two slots or a slot
// handed out twice shows as a wrong byte.
void Fill(void* p, size_t size, Handle h) {
  auto* c = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < size; ++i) c[i] = static_cast<unsigned char>(h * 31 + i);
}
bool Check(const void* p, size_t size, Handle h) {
  const auto* c = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < size; ++i) {
    if (c[i] != static_cast<unsigned char>(h * 31 + i)) return false;
  }
  return true;
}

TEST(SlabArenaTest, SlotsAreExactAndCountedByTheirSize) {
  const int64_t before = Used();
  {
    SlabArena arena(64);
    std::vector<Handle> handles;
    handles.reserve(1000);
    const int64_t empty = Used();
    // A slot costs exactly its bytes; the page it made and the page table are the arena's
    // (uncounted, as jemalloc's own metadata is).
    handles.push_back(arena.Alloc(40).handle);
    EXPECT_EQ(Used() - empty, 40);
    EXPECT_GE(arena.stats().metadata_bytes, 4096u);
    const int64_t one = Used();
    for (int i = 1; i < 401; ++i) handles.push_back(arena.Alloc(40).handle);
    EXPECT_EQ(Used() - one, 400 * 40);
    for (int i = 401; i < 1000; ++i) {
      SlabArena::Slot s = arena.Alloc(40);
      ASSERT_NE(s.handle, 0u);
      ASSERT_EQ(arena.Ptr(s.handle), s.ptr);
      ASSERT_EQ(arena.HandleOf(s.ptr), s.handle);
      ASSERT_EQ(arena.SlotSize(s.handle), 40u);
      handles.push_back(s.handle);
    }
    const SlabArena::Stats st = arena.stats();
    EXPECT_EQ(st.live_slots, 1000u);
    EXPECT_EQ(st.live_bytes, 40'000u);
    // 409 slots of 40 bytes in a 16 KiB page: three pages.
    EXPECT_EQ(st.small_pages, 3u);
    EXPECT_EQ(st.empty_pages, 0u);
    EXPECT_EQ(st.active_bytes, 3 * SlabArena::kPageBytes);
    EXPECT_EQ(st.free_bytes, 3 * SlabArena::kPageBytes - 40'000);
    // Consecutive slots of a page are exactly 40 bytes apart: nothing between them.
    EXPECT_EQ(static_cast<char*>(arena.Ptr(handles[1])) - static_cast<char*>(arena.Ptr(handles[0])),
              40);
    // Freeing slots of a page that keeps some costs nothing else: exactly their bytes back.
    const int64_t full = Used();
    for (int i = 0; i < 400; ++i) arena.Free(handles[i]);
    EXPECT_EQ(full - Used(), 400 * 40);
    for (int i = 400; i < 1000; ++i) arena.Free(handles[i]);
    EXPECT_EQ(Used(), empty);
    // Emptied pages go back, but the last page of the size stays: resident, not active (as
    // jemalloc's dirty pages), so it is no fragmentation.
    EXPECT_EQ(arena.stats().small_pages, 1u);
    EXPECT_EQ(arena.stats().empty_pages, 1u);
    EXPECT_EQ(arena.stats().active_bytes, 0u);
    EXPECT_EQ(arena.stats().free_bytes, 0u);
    EXPECT_EQ(arena.stats().live_slots, 0u);
    // A slot of that size is cut from the kept page, which is active again.
    const Handle again = arena.Alloc(40).handle;
    EXPECT_EQ(again >> SlabArena::kSlotBits, handles[999] >> SlabArena::kSlotBits);
    EXPECT_EQ(arena.stats().empty_pages, 0u);
    EXPECT_EQ(arena.stats().active_bytes, SlabArena::kPageBytes);
    EXPECT_EQ(arena.stats().free_bytes, SlabArena::kPageBytes - 40);
    arena.Free(again);
    EXPECT_EQ(arena.stats().empty_pages, 1u);
  }
  EXPECT_EQ(Used(), before);
}

TEST(SlabArenaTest, RandomWorkloadMatchesAModel) {
  const int64_t before = Used();
  {
    SlabArena arena(4096);
    std::mt19937_64 rng(1234);
    std::map<Handle, size_t> live;  // handle -> size
    std::vector<Handle> order;
    int64_t small_bytes = 0;
    for (int step = 0; step < 60'000; ++step) {
      const bool grow = live.size() < 500 || rng() % 100 < 55;
      if (grow) {
        size_t size;
        switch (rng() % 8) {
          case 0:
            size = SlabArena::kMaxSmall + 1 + rng() % 3000;  // big
            break;
          case 1:
            size = SlabArena::kMinSlot + rng() % 12;
            break;
          default:
            size = SlabArena::kMinSlot + rng() % 200;
        }
        const int64_t u = Used();
        SlabArena::Slot s = arena.Alloc(size);
        ASSERT_NE(s.handle, 0u);
        // used_memory moves by the slot's size (a big slot: its block's usable size), and by
        // nothing else (the arena's lists are not counted).
        ASSERT_EQ(Used() - u, static_cast<int64_t>(arena.SlotCost(s.handle)));
        if (size <= SlabArena::kMaxSmall) {
          ASSERT_EQ(arena.SlotCost(s.handle), size);
        }
        ASSERT_TRUE(live.emplace(s.handle, size).second) << "a live handle handed out again";
        ASSERT_EQ(arena.HandleOf(s.ptr), s.handle);
        Fill(s.ptr, size, s.handle);
        order.push_back(s.handle);
        if (size <= SlabArena::kMaxSmall) small_bytes += static_cast<int64_t>(size);
      } else {
        const size_t i = rng() % order.size();
        const Handle h = order[i];
        order[i] = order.back();
        order.pop_back();
        const size_t size = live.at(h);
        ASSERT_EQ(arena.SlotSize(h), size);
        ASSERT_TRUE(Check(arena.Ptr(h), size, h)) << "slot " << h << " was overwritten";
        const int64_t cost = static_cast<int64_t>(arena.SlotCost(h));
        const int64_t u = Used();
        arena.Free(h);
        ASSERT_EQ(u - Used(), cost);
        live.erase(h);
        if (size <= SlabArena::kMaxSmall) small_bytes -= static_cast<int64_t>(size);
      }
    }
    const SlabArena::Stats st = arena.stats();
    EXPECT_EQ(st.live_slots, live.size());
    EXPECT_EQ(st.active_bytes - st.free_bytes, static_cast<size_t>(small_bytes));
    for (const auto& [h, size] : live) {
      ASSERT_TRUE(Check(arena.Ptr(h), size, h));
      arena.Free(h);
    }
    EXPECT_EQ(arena.stats().live_slots, 0u);
    EXPECT_EQ(arena.stats().big_bytes, 0u);
    // Every page left is its size's kept, empty page: none is active.
    EXPECT_EQ(arena.stats().empty_pages, arena.stats().small_pages);
    EXPECT_EQ(arena.stats().active_bytes, 0u);
  }
  EXPECT_EQ(Used(), before);
}

TEST(SlabArenaTest, BigSlotsAreJemallocBlocksWithAHandle) {
  SlabArena arena(16);
  const int64_t empty = Used();
  SlabArena::Slot s = arena.Alloc(5000);
  ASSERT_NE(s.ptr, nullptr);
  EXPECT_FALSE(arena.InRegion(s.ptr));
  EXPECT_EQ(arena.HandleOf(s.ptr), s.handle);
  EXPECT_EQ(arena.SlotSize(s.handle), 5000u);
  // The block (5000 bytes and the 8-byte handle before them) is counted by its usable size.
  EXPECT_EQ(Used() - empty, static_cast<int64_t>(arena.stats().big_bytes));
  EXPECT_GE(arena.stats().big_bytes, 5008u);
  arena.Free(s.handle);
  EXPECT_EQ(Used(), empty);
}

TEST(SlabArenaTest, PageNumbersRunOutWithoutACrash) {
  // TryAlloc says so with an empty slot (Alloc would abort, as mem::Alloc does).
  SlabArena arena(3);  // page numbers 1..3
  std::vector<Handle> handles;
  // 16 KiB pages of 1024-byte slots: 16 slots each; three pages hold 48.
  for (int i = 0; i < 48; ++i) {
    SlabArena::Slot s = arena.TryAlloc(1024);
    ASSERT_NE(s.ptr, nullptr) << i;
    handles.push_back(s.handle);
  }
  EXPECT_EQ(arena.TryAlloc(1024).ptr, nullptr);
  EXPECT_EQ(arena.TryAlloc(100).ptr, nullptr);   // a new size needs a page too
  EXPECT_EQ(arena.TryAlloc(4000).ptr, nullptr);  // a big slot takes a page number
  arena.Free(handles.back());
  handles.pop_back();
  SlabArena::Slot again = arena.TryAlloc(1024);
  ASSERT_NE(again.ptr, nullptr);
  handles.push_back(again.handle);
  for (Handle h : handles) arena.Free(h);
  // The emptied pages' numbers are reused by another size.
  SlabArena::Slot other = arena.TryAlloc(100);
  ASSERT_NE(other.ptr, nullptr);
  arena.Free(other.handle);
}

TEST(SlabArenaTest, AnotherThreadFreesAndTheOwnerCollects) {
  SlabArena arena(64);
  std::vector<void*> ptrs;
  ptrs.reserve(2001);
  const int64_t empty = Used();
  for (int i = 0; i < 2000; ++i) ptrs.push_back(arena.Alloc(24 + i % 3).ptr);
  ptrs.push_back(arena.Alloc(3000).ptr);  // and a big one
  EXPECT_EQ(Used() - empty, static_cast<int64_t>(arena.stats().live_bytes) - 3000 +
                                static_cast<int64_t>(arena.stats().big_bytes));
  std::thread t([&] {
    for (void* p : ptrs) arena.FreeRemote(p);
  });
  t.join();
  // Uncounted at once, on the freeing thread...
  EXPECT_EQ(Used(), empty);
  EXPECT_EQ(arena.stats().remote_pending, ptrs.size());
  EXPECT_EQ(arena.stats().live_slots, ptrs.size());
  // ...and back in their pages after the owner collects.
  arena.Collect();
  EXPECT_EQ(arena.stats().live_slots, 0u);
  EXPECT_EQ(arena.stats().remote_pending, 0u);
  EXPECT_EQ(arena.stats().small_pages, 3u);  // one page kept for each of the three sizes
  EXPECT_EQ(arena.stats().empty_pages, 3u);
  EXPECT_EQ(Used(), empty);
}

TEST(SlabArenaTest, DefragMovesSlotsOutOfSparsePagesUntilTheyEmpty) {
  SlabArena arena(256);
  std::vector<Handle> handles;
  for (int i = 0; i < 40 * 409; ++i) handles.push_back(arena.Alloc(40).handle);
  ASSERT_EQ(arena.stats().small_pages, 40u);
  // Keep one slot in eight: every page is sparse.
  std::vector<Handle> kept;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (i % 8 == 0) {
      Fill(arena.Ptr(handles[i]), 40, static_cast<Handle>(i));
      kept.push_back(handles[i]);
    } else {
      arena.Free(handles[i]);
    }
  }
  ASSERT_EQ(arena.stats().small_pages, 40u);
  const int64_t used = Used();
  const size_t live_bytes = arena.stats().live_bytes;
  size_t moved = 0;
  for (size_t k = 0; k < kept.size(); ++k) {
    SlabArena::Slot s = arena.DefragMove(kept[k]);
    if (s.ptr != nullptr) {
      kept[k] = s.handle;
      ++moved;
    }
  }
  EXPECT_GT(moved, 0u);
  // A move changes no count.
  EXPECT_EQ(arena.stats().live_bytes, live_bytes);
  EXPECT_EQ(Used(), used);
  // 2,045 slots of 40 bytes need 5 pages; the pass leaves few more than that.
  EXPECT_LE(arena.stats().small_pages, 8u);
  for (size_t k = 0; k < kept.size(); ++k) {
    ASSERT_TRUE(Check(arena.Ptr(kept[k]), 40, static_cast<Handle>(k * 8)));
    arena.Free(kept[k]);
  }
}

TEST(SlabArenaTest, TinySlotsAreCappedAt1024APage) {
  SlabArena arena(16);
  std::vector<Handle> handles;
  for (int i = 0; i < 1025; ++i) handles.push_back(arena.Alloc(SlabArena::kMinSlot).handle);
  EXPECT_EQ(arena.stats().small_pages, 2u);
  // Below kMinSlot the slot is kMinSlot bytes (a free slot holds the free list's link).
  SlabArena::Slot s = arena.Alloc(1);
  EXPECT_EQ(arena.SlotSize(s.handle), SlabArena::kMinSlot);
  arena.Free(s.handle);
  for (Handle h : handles) arena.Free(h);
}

}  // namespace
}  // namespace mnemo::mem

// zmalloc_test.cc: used_memory is the exact sum of the usable sizes of the live allocations,
// from any thread and through operator new (layer: mem).
//
// Every test reads UsedMemory() before and after a workload whose bookkeeping is allocated
// up front, and compares the difference with the sum it computed itself: nothing else in the
// process allocates through mem:: in between (gtest allocates only when an assertion fails).
#include "mnemo/mem/zmalloc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace mnemo::mem {
namespace {

// used_memory relative to a baseline taken at construction.
class UsedDelta {
 public:
  UsedDelta() : base_(static_cast<int64_t>(UsedMemory())) {}
  int64_t operator()() const { return static_cast<int64_t>(UsedMemory()) - base_; }

 private:
  int64_t base_;
};

// A size drawn over several magnitudes: mostly small (the common case), some large.
size_t RandomSize(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 64;
    case 1:
      return rng() % 1024;
    case 2:
      return rng() % 40000;
    default:
      return rng() % (3u << 20);
  }
}

TEST(ZmallocTest, AllocAndFreeMoveTheCounterByTheUsableSize) {
  UsedDelta delta;
  void* p = Alloc(100);
  const size_t usable = UsableSize(p);
  EXPECT_GE(usable, 100u);
  EXPECT_EQ(delta(), static_cast<int64_t>(usable));
  Free(p);
  EXPECT_EQ(delta(), 0);
}

TEST(ZmallocTest, EdgeCases) {
  UsedDelta delta;
  Free(nullptr);  // allowed, counts nothing
  EXPECT_EQ(UsableSize(nullptr), 0u);
  void* zero = Alloc(0);  // a real, freeable block
  ASSERT_NE(zero, nullptr);
  EXPECT_GE(UsableSize(zero), 1u);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(zero)));
  void* grown = Realloc(nullptr, 40);  // Realloc(null) allocates
  ASSERT_NE(grown, nullptr);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(zero) + UsableSize(grown)));
  void* shrunk = Realloc(grown, 0);  // to a minimal block, still live
  ASSERT_NE(shrunk, nullptr);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(zero) + UsableSize(shrunk)));
  Free(shrunk);
  Free(zero);
  EXPECT_EQ(delta(), 0);
}

TEST(ZmallocTest, AllocZeroedClearsTheWholeUsableSize) {
  // Dirty a block, free it, and ask for one of the same size class: likely the same memory.
  void* dirty = Alloc(200);
  std::memset(dirty, 0xAB, UsableSize(dirty));
  Free(dirty);
  auto* p = static_cast<unsigned char*>(AllocZeroed(200));
  const size_t usable = UsableSize(p);
  for (size_t i = 0; i < usable; ++i) ASSERT_EQ(p[i], 0) << i;
  Free(p);
}

TEST(ZmallocTest, ReallocKeepsContentsAndCountsTheDifference) {
  UsedDelta delta;
  auto* p = static_cast<unsigned char*>(Alloc(10));
  for (int i = 0; i < 10; ++i) p[i] = static_cast<unsigned char>(i);
  size_t prefix = 10;
  for (size_t size : {20u, 100u, 5000u, 70000u, 3u << 20, 64u, 7u, 100000u}) {
    p = static_cast<unsigned char*>(Realloc(p, size));
    const size_t keep = std::min(prefix, size);
    for (size_t i = 0; i < keep; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(i)) << size;
    for (size_t i = keep; i < size; ++i) p[i] = static_cast<unsigned char>(i);
    prefix = size;
    EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(p))) << size;
  }
  Free(p);
  EXPECT_EQ(delta(), 0);
}

TEST(ZmallocTest, ManySizesOnOneThreadSumExactly) {
  std::mt19937_64 rng(1);
  constexpr size_t kLive = 5000;
  std::vector<void*> live(kLive, nullptr);  // allocated before the baseline
  UsedDelta delta;
  int64_t expected = 0;
  for (int step = 0; step < 60000; ++step) {
    void*& slot = live[rng() % kLive];
    const int op = static_cast<int>(rng() % 3);
    if (slot == nullptr) {
      slot = Alloc(RandomSize(rng));
      expected += static_cast<int64_t>(UsableSize(slot));
    } else if (op == 0) {
      expected -= static_cast<int64_t>(UsableSize(slot));
      Free(slot);
      slot = nullptr;
    } else {
      expected -= static_cast<int64_t>(UsableSize(slot));
      slot = Realloc(slot, RandomSize(rng));
      expected += static_cast<int64_t>(UsableSize(slot));
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(delta(), expected) << step;
    }
  }
  ASSERT_EQ(delta(), expected);
  for (void*& p : live) {
    Free(p);
    p = nullptr;
  }
  EXPECT_EQ(delta(), 0);
}

// Allocations made on one thread and freed on another (as the lazy-free thread does).
TEST(ZmallocTest, FreesOnAnotherThreadKeepTheSumExact) {
  std::mt19937_64 rng(2);
  constexpr size_t kBlocks = 20000;
  std::vector<void*> blocks(kBlocks, nullptr);
  std::vector<size_t> sizes(kBlocks);
  for (size_t& s : sizes) s = RandomSize(rng);
  UsedDelta delta;

  int64_t allocated = 0;
  std::thread producer([&] {
    for (size_t i = 0; i < kBlocks; ++i) blocks[i] = Alloc(sizes[i]);
  });
  producer.join();
  for (void* p : blocks) allocated += static_cast<int64_t>(UsableSize(p));
  EXPECT_EQ(delta(), allocated);

  // The main thread frees half of them, a third thread frees and reallocates the rest.
  for (size_t i = 0; i < kBlocks; i += 2) {
    Free(blocks[i]);
    blocks[i] = nullptr;
  }
  int64_t kept = 0;
  std::thread other([&] {
    for (size_t i = 1; i < kBlocks; i += 2) {
      if (i % 4 == 1) {
        Free(blocks[i]);
        blocks[i] = nullptr;
      } else {
        blocks[i] = Realloc(blocks[i], sizes[i] / 2 + 1);
      }
    }
  });
  other.join();
  for (void* p : blocks) kept += static_cast<int64_t>(UsableSize(p));
  EXPECT_EQ(delta(), kept);
  for (void*& p : blocks) {
    Free(p);
    p = nullptr;
  }
  EXPECT_EQ(delta(), 0);
}

// More threads than the counter has private slots (16, the last shared by all later threads),
// running at once, each allocating, reallocating and freeing its own blocks and freeing blocks
// of its neighbour.
TEST(ZmallocTest, ManyThreadsAtOnceSumExactly) {
  constexpr int kThreads = 40;
  constexpr size_t kPerThread = 2000;
  std::vector<std::vector<void*>> blocks(kThreads, std::vector<void*>(kPerThread, nullptr));
  std::vector<int64_t> live_bytes(kThreads, 0);
  UsedDelta delta;

  std::atomic<int> ready{0};
  std::atomic<int> phase1_done{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      // Phase 1: churn on own blocks.
      for (int step = 0; step < 20000; ++step) {
        void*& slot = blocks[t][rng() % kPerThread];
        if (slot == nullptr) {
          slot = Alloc(RandomSize(rng) % 5000);
        } else if (rng() % 2) {
          Free(slot);
          slot = nullptr;
        } else {
          slot = Realloc(slot, RandomSize(rng) % 5000);
        }
      }
      phase1_done.fetch_add(1);
      while (phase1_done.load() < kThreads) std::this_thread::yield();
      // Phase 2: free every third block of the neighbour (allocated on another thread).
      std::vector<void*>& theirs = blocks[(t + 1) % kThreads];
      for (size_t i = 0; i < kPerThread; i += 3) {
        Free(theirs[i]);
        theirs[i] = nullptr;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  threads.clear();
  threads.shrink_to_fit();  // the vector's block is freed: back to what the baseline saw
  int64_t expected = 0;
  for (const auto& own : blocks) {
    for (void* p : own) expected += static_cast<int64_t>(UsableSize(p));
  }
  // threads' own block was allocated after the baseline and is freed again by shrink_to_fit.
  EXPECT_EQ(delta(), expected);
  for (auto& own : blocks) {
    for (void*& p : own) {
      Free(p);
      p = nullptr;
    }
  }
  EXPECT_EQ(delta(), 0);
}

// Threads that do little but allocate and free, all at once: every update of the counter
// races with the others, so a lost update (a non-atomic read-modify-write on a shared slot)
// leaves a residue that the final comparison sees.
TEST(ZmallocTest, ContendedCounterLosesNoUpdate) {
  constexpr int kThreads = 24;  // more than the 16 slots: several share the last one
  constexpr int kIterations = 200000;
  std::vector<void*> kept(kThreads, nullptr);
  UsedDelta delta;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kIterations; ++i) Free(Alloc(8 + static_cast<size_t>(i % 120)));
      kept[t] = Alloc(100 + static_cast<size_t>(t));
    });
  }
  for (std::thread& th : threads) th.join();
  threads.clear();
  threads.shrink_to_fit();
  int64_t expected = 0;
  for (void* p : kept) expected += static_cast<int64_t>(UsableSize(p));
  EXPECT_EQ(delta(), expected);
  for (void* p : kept) Free(p);
  EXPECT_EQ(delta(), 0);
}

// ---- The global operator new/delete --------------------------------------------------------

TEST(ZmallocTest, OperatorNewAndContainersAreCounted) {
  UsedDelta delta;
  {
    std::vector<char> v;
    v.reserve(1000);
    EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(v.data())));
    std::string s(5000, 'x');  // beyond the small-string buffer
    EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(v.data()) + UsableSize(s.data())));
  }
  EXPECT_EQ(delta(), 0);
  {
    std::map<int, int> m;
    for (int i = 0; i < 1000; ++i) m[i] = i;
    EXPECT_GE(delta(), static_cast<int64_t>(1000 * 40));  // one node of >= 40 bytes per entry
  }
  EXPECT_EQ(delta(), 0);

  int* one = new int(7);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(one)));
  delete one;
  int* many = new int[1000];
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(many)));
  delete[] many;
  char* nothrow = new (std::nothrow) char[300];
  ASSERT_NE(nothrow, nullptr);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(nothrow)));
  delete[] nothrow;
  auto shared = std::make_shared<std::string>(100, 'y');
  EXPECT_GT(delta(), 0);
  shared.reset();
  EXPECT_EQ(delta(), 0);
}

struct alignas(128) Aligned128 {
  char bytes[300];
};
struct alignas(4096) AlignedPage {
  char bytes[100];
};

TEST(ZmallocTest, AlignedNewIsCountedAndAligned) {
  UsedDelta delta;
  auto* a = new Aligned128;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 128, 0u);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(a)));
  auto* arr = new Aligned128[5];
  EXPECT_EQ(reinterpret_cast<uintptr_t>(arr) % 128, 0u);
  auto* page = new AlignedPage;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % 4096, 0u);
  auto* nothrow = new (std::nothrow) AlignedPage;
  ASSERT_NE(nothrow, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(nothrow) % 4096, 0u);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(a) + UsableSize(arr) + UsableSize(page) +
                                          UsableSize(nothrow)));
  delete a;
  delete[] arr;
  delete page;
  delete nothrow;
  EXPECT_EQ(delta(), 0);
  void* raw = ::operator new(1000, std::align_val_t(256));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(raw) % 256, 0u);
  EXPECT_EQ(delta(), static_cast<int64_t>(UsableSize(raw)));
  ::operator delete(raw, 1000, std::align_val_t(256));
  EXPECT_EQ(delta(), 0);
}

TEST(ZmallocTest, DeleteOnAnotherThreadIsCounted) {
  UsedDelta delta;
  auto* v = new std::vector<int>(10000, 1);
  const int64_t bytes = static_cast<int64_t>(UsableSize(v) + UsableSize(v->data()));
  EXPECT_EQ(delta(), bytes);
  std::thread([v] { delete v; }).join();
  EXPECT_EQ(delta(), 0);
}

// ---- jemalloc's size classes ------------------------------------------------------------------
// Under MNEMO_SANITIZE the system allocator stands in for jemalloc: there are no size classes
// (SizeClass(n) is n) and malloc_usable_size is not a class size, so these properties are
// jemalloc's only and are not checked in that build.
#ifndef MNEMO_SANITIZE

TEST(ZmallocTest, SizeClassesAreJemallocs) {
  const std::vector<std::pair<size_t, size_t>> classes = {
      {0, 8},     {1, 8},     {8, 8},     {9, 16},    {16, 16},     {17, 32},     {32, 32},
      {33, 48},   {48, 48},   {49, 64},   {64, 64},   {65, 80},     {80, 80},     {81, 96},
      {97, 112},  {113, 128}, {129, 160}, {161, 192}, {193, 224},   {225, 256},   {257, 320},
      {321, 384}, {385, 448}, {449, 512}, {513, 640}, {1025, 1280}, {4097, 5120}, {16385, 20480}};
  for (auto [request, cls] : classes) EXPECT_EQ(SizeClass(request), cls) << request;
}

TEST(ZmallocTest, SizeClassIsTheUsableSizeOfAnAllocation) {
  std::vector<size_t> sizes;
  for (size_t s = 0; s <= 20000; ++s) sizes.push_back(s);
  for (size_t s = 20000; s < (8u << 20); s = s * 5 / 4 + 1) sizes.push_back(s);
  for (size_t s : sizes) {
    void* p = Alloc(s);
    ASSERT_EQ(UsableSize(p), SizeClass(s)) << s;
    Free(p);
  }
}

TEST(ZmallocTest, TryAllocReturnsNullWithoutCounting) {
  UsedDelta delta;
  EXPECT_EQ(TryAlloc(SIZE_MAX / 2), nullptr);
  EXPECT_EQ(delta(), 0);
  void* p = TryAlloc(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(delta(), static_cast<int64_t>(SizeClass(100)));
  Free(p);
}

TEST(ZmallocTest, AllocatorNameIsJemallocsVersion) {
  const std::string name = AllocatorName();
  EXPECT_EQ(name.rfind("jemalloc-", 0), 0u) << name;
  EXPECT_EQ(name.find('-', 9), std::string::npos) << name;  // no "-0-g<hash>" suffix
  EXPECT_GT(name.size(), 9u);
}

#else

TEST(ZmallocTest, AllocatorNameUnderSanitizers) { EXPECT_STREQ(AllocatorName(), "libc"); }

#endif  // MNEMO_SANITIZE

}  // namespace
}  // namespace mnemo::mem

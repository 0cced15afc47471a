// thread_counters.h: counters that every thread adds to on a hot path and few read (layer: base).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace mnemo::base {

// kFields signed counters kept as one slot per thread, each slot padded to a cache line so that
// threads never share a line. A thread writes only its own slot, with a plain relaxed load and
// store (no locked instruction on the hot path: a locked add waits for the thread's earlier
// stores to drain); threads beyond the first kSlots - 1 share the last slot and update it with
// atomic adds. A reader sums the slots handed out so far. One slot may go negative (a thread
// frees what another made); the sum does not, except for a moment while slots are read one by
// one, which Sum clamps to 0.
//
// A thread's slot number is kept per instantiation: `Tag` makes two uses with the same shape
// distinct types, so that each numbers its threads from 0 and reads only the slots it handed
// out. Use one object per Tag.
template <int kFields, int kSlots, class Tag>
class ThreadCounters {
 public:
  // Adds deltas[i] to field i, in the calling thread's slot.
  template <class... Deltas>
  void Add(Deltas... deltas) {
    static_assert(sizeof...(Deltas) == kFields);
    int s = t_slot_;
    if (s < 0) s = AssignSlot();
    std::atomic<int64_t>* field = slots_[s].fields;
    if (s == kSlots - 1) {
      (field++->fetch_add(static_cast<int64_t>(deltas), std::memory_order_relaxed), ...);
    } else {
      ((field->store(field->load(std::memory_order_relaxed) + static_cast<int64_t>(deltas),
                     std::memory_order_relaxed),
        ++field),
       ...);
    }
  }

  // The sum of field `field` over every thread, at least 0. Reads only the slots handed out so
  // far (usually a few); a slot handed out after the load is read next time (it was zero until
  // its thread's first Add).
  int64_t Sum(int field) const {
    const int used = std::min(next_slot_.load(std::memory_order_relaxed), kSlots);
    int64_t total = 0;
    for (int i = 0; i < used; ++i) total += slots_[i].fields[field].load(std::memory_order_relaxed);
    return std::max<int64_t>(total, 0);
  }

 private:
  struct alignas(64) Slot {
    std::atomic<int64_t> fields[kFields] = {};
  };

  static int AssignSlot() {
    const int s = std::min(next_slot_.fetch_add(1, std::memory_order_relaxed), kSlots - 1);
    t_slot_ = s;
    return s;
  }

  static inline std::atomic<int> next_slot_{0};
  static inline thread_local int t_slot_ = -1;
  Slot slots_[kSlots];
};

}  // namespace mnemo::base

// lru.cc: LRU idle estimation and the LFU logarithmic counter (layer: db).
#include "mnemo/db/lru.h"

#include <algorithm>

#include "mnemo/base/random.h"

namespace mnemo::db {

int64_t EstimateIdleMs(uint32_t lru, uint32_t lru_clock) {
  if (lru_clock >= lru) return static_cast<int64_t>(lru_clock - lru) * kLruClockResolutionMs;
  // The clock wrapped around since the access.
  return static_cast<int64_t>(lru_clock + (kLruMax - lru)) * kLruClockResolutionMs;
}

uint32_t LfuMinutes(int64_t unix_ms) { return static_cast<uint32_t>(unix_ms / 1000 / 60) & 0xFFFF; }

uint32_t LfuInitialField(int64_t unix_ms) { return (LfuMinutes(unix_ms) << 8) | kLfuInitValue; }

uint8_t LfuDecayedCounter(uint32_t lru_field, int64_t unix_ms, int64_t decay_time) {
  const uint32_t last = lru_field >> 8;
  uint32_t counter = lru_field & 0xFF;
  const uint32_t now = LfuMinutes(unix_ms);
  const uint32_t elapsed = now >= last ? now - last : 65535 - last + now;
  const uint32_t periods = decay_time > 0 ? elapsed / static_cast<uint32_t>(decay_time) : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return static_cast<uint8_t>(counter);
}

uint8_t LfuLogIncrement(uint8_t counter, int64_t log_factor) {
  if (counter == 255) return 255;
  const double r = static_cast<double>(RandomU64() >> 11) * 0x1.0p-53;  // uniform in [0, 1)
  double base = static_cast<double>(counter) - kLfuInitValue;
  if (base < 0) base = 0;
  const double p = 1.0 / (base * static_cast<double>(log_factor) + 1);
  return r < p ? static_cast<uint8_t>(counter + 1) : counter;
}

uint32_t LfuTouch(uint32_t lru_field, int64_t unix_ms, const Options& options) {
  uint8_t counter = LfuDecayedCounter(lru_field, unix_ms, options.lfu_decay_time);
  counter = LfuLogIncrement(counter, options.lfu_log_factor);
  return (LfuMinutes(unix_ms) << 8) | counter;
}

bool SetIdleOrFreq(Object* o, const Options& options, int64_t idle_s, int lfu_freq,
                   uint32_t lru_clock, int64_t unix_ms) {
  if (IsLfu(options.maxmemory_policy)) {
    if (lfu_freq < 0) return false;
    o->set_lru((LfuMinutes(unix_ms) << 8) | static_cast<uint32_t>(lfu_freq & 0xFF));
    return true;
  }
  if (idle_s < 0) return false;
  // Clock ticks, computed so that no idle time can overflow.
  const int64_t max_seconds = int64_t{kLruMax - 1} * kLruClockResolutionMs / 1000;
  const int64_t ticks = std::min(idle_s, max_seconds) * 1000 / kLruClockResolutionMs;
  o->set_lru((lru_clock - static_cast<uint32_t>(ticks)) & kLruMax);
  return true;
}

}  // namespace mnemo::db

// lru.h: the per-object recency (LRU) and frequency (LFU) data in the 24-bit lru field
// (layer: db).
//
// LRU: the field holds the LRU clock (seconds, 24 bits, wrapping after 194 days) of the last
// access. LFU: the top 16 bits hold the minute of the last decrement (wrapping after 45 days),
// the low 8 bits a logarithmic access counter that starts at kLfuInitValue, grows with
// probability 1 / ((counter - kLfuInitValue) * lfu-log-factor + 1), and loses one per
// lfu-decay-time minutes without access. Both as Redis does.
#pragma once

#include <cstdint>

#include "mnemo/db/object.h"
#include "mnemo/db/options.h"

namespace mnemo::db {

// Milliseconds per tick of the LRU clock.
inline constexpr int64_t kLruClockResolutionMs = 1000;
// The counter a new key starts with, so that it is not evicted before it had a chance.
inline constexpr uint8_t kLfuInitValue = 5;

// Milliseconds since the access recorded in `lru`, given the current LRU clock.
int64_t EstimateIdleMs(uint32_t lru, uint32_t lru_clock);

// Minutes, 16 bits, from Unix milliseconds.
uint32_t LfuMinutes(int64_t unix_ms);
// The LFU field for a new object.
uint32_t LfuInitialField(int64_t unix_ms);
// The counter after applying decay for the time elapsed (does not store it).
uint8_t LfuDecayedCounter(uint32_t lru_field, int64_t unix_ms, int64_t decay_time);
// One probabilistic logarithmic increment.
uint8_t LfuLogIncrement(uint8_t counter, int64_t log_factor);
// The field after an access: decay, then increment, stamped with the current minute.
uint32_t LfuTouch(uint32_t lru_field, int64_t unix_ms, const Options& options);

}  // namespace mnemo::db

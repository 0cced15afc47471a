// lru.h: the per-object recency (LRU) and frequency (LFU) data in the 24-bit lru field
// (layer: db).
//
// LRU: the field holds the LRU clock (ticks of kLruClockResolutionMs, 24 bits) of the last
// access. LFU: the top 16 bits hold the minute of the last decrement (wrapping after 45 days),
// the low 8 bits a logarithmic access counter that starts at kLfuInitValue, grows with
// probability 1 / ((counter - kLfuInitValue) * lfu-log-factor + 1), and loses one per
// lfu-decay-time minutes without access. Both as Redis does.
#pragma once

#include <cstdint>

#include "mnemo/db/object.h"
#include "mnemo/db/options.h"

namespace mnemo::db {

// Milliseconds per tick of the LRU clock. Redis ticks once a second (wrapping after 194 days);
// here 250 ms, wrapping after 2^24 * 0.25 s = 48.5 days. Why: keys touched within one tick look
// equally idle, and a cache under pressure at a high request rate holds only a few seconds of
// recency. bench/compare/eviction.py at a fixed 200,000 ops/s with room for 7% of the keys
// (about one second of recency): the gap to an exact LRU's hit ratio is 0.70 / 0.41 points
// (maxmemory-samples 5 / 10) with 1 s ticks, 0.26 / 0.08 with 250 ms, 0.23 / 0.06 with 100 ms.
// Cost: idle times (eviction order, OBJECT IDLETIME) wrap after 48.5 days instead of 194, so a
// key untouched for longer than that looks more recent than it is; 100 ms would cut that to 19
// days for little more gain.
inline constexpr int64_t kLruClockResolutionMs = 250;
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

// Sets the LRU/LFU field of `o` from a snapshot or a RESTORE (Redis objectSetLRUOrLFU): under an
// LFU policy, the counter `lfu_freq` (0..255) stamped with the current minute, when given;
// otherwise the access time `idle_s` seconds before `lru_clock`, when given (at most what the
// 24-bit clock can tell apart). -1 means not given. Returns true iff the field was set.
bool SetIdleOrFreq(Object* o, const Options& options, int64_t idle_s, int lfu_freq,
                   uint32_t lru_clock, int64_t unix_ms);

}  // namespace mnemo::db

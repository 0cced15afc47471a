// expire.h: the active expiry cycle that reclaims expired keys nobody reads (layer: db).
//
// Lazy expiry (Db lookups) removes an expired key when it is touched; keys nobody touches are
// found here. Each cycle walks each database's keys table with a scan cursor, skipping keys
// without a TTL (there is no expires table: db.h), 20+ volatile keys at a time, deletes those
// past their time, and keeps going in a database while more than ~10% of what it saw had
// expired, or, where volatile keys are rare among the keys, until it has visited
// kRareScanBuckets buckets. It skips a database whose expire_floor is in the future (nothing
// can have expired), which a full pass of the scan raises to the nearest expiry it met. It stops
// when its time budget is spent: 25% of a cron period at the default active-expire-effort, so
// the loop always stays responsive (Redis activeExpireCycle, slow mode).
#pragma once

#include <cstdint>

#include "mnemo/db/db.h"

namespace mnemo::db {

class ExpireCycle {
 public:
  // Runs one cycle for a cron firing `hz` times per second.
  void Run(Keyspace& ks, int hz);
  // Buckets a run may visit in one database while its loops meet fewer volatile keys than they
  // want: about 1.5 ms on the development machine (a miss per key; 1,000,000 keys in 190 ms),
  // so at most ~1.5% of a core at hz 10 while a database holds a few expired keys among many.
  static constexpr size_t kRareScanBuckets = 8192;

 private:
  int next_db_ = 0;
};

}  // namespace mnemo::db

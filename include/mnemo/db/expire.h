// expire.h: the active expiry cycle that reclaims expired keys nobody reads (layer: db).
//
// Lazy expiry (Db lookups) removes an expired key when it is touched; keys nobody touches are
// found here. Each cycle walks each database's keys table with a scan cursor over the buckets
// marked as holding keys with a TTL (there is no expires table: db.h), 20+ volatile keys at a
// time, deletes those past their time, and keeps going in a database while more than ~10% of
// what it saw had expired. It skips a database whose expire_floor is in the future (nothing can
// have expired), which a full pass of the scan raises to the nearest expiry it met. It stops
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

 private:
  int next_db_ = 0;
};

}  // namespace mnemo::db

// defrag.cc: active defragmentation of the keyspace (layer: db). See defrag.h.
#include "mnemo/db/defrag.h"

#include <algorithm>
#include <vector>

#include "mnemo/base/clock.h"
#include "mnemo/base/log.h"
#include "mnemo/db/stream_type.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

// True iff the value has its own allocations that DefragValue can move.
bool HasOwnValue(const Object& o) {
  // Embedded strings, integers and inline listpacks live in the object's slot (word 0).
  return ValueOf(o).word != 0;
}

// Values walked over several turns when big, as Redis defers them (defragLater), with the
// measure Redis compares with active-defrag-max-scan-fields: elements of hashtable hashes and
// sets and of skiplist sorted sets, nodes of quicklists and of streams. 0: done in one visit.
size_t DeferrableSize(const Object& o) {
  switch (o.type()) {
    case ObjType::kHash:
    case ObjType::kSet:
      return o.encoding() == Encoding::kHashtable ? FreeEffort(ValueOf(o)) : 0;  // elements
    case ObjType::kList:
      return o.encoding() == Encoding::kQuicklist ? FreeEffort(ValueOf(o)) : 0;  // nodes
    case ObjType::kZset:
      return o.encoding() == Encoding::kSkiplist ? FreeEffort(ValueOf(o)) : 0;  // elements
    case ObjType::kStream:
      return StreamNodeCount(ValueOf(o));
    default:
      return 0;
  }
}

}  // namespace

Object* ActiveDefrag::DefragKeyNow(Db& db, Object* o) { return DefragKey(db, o, false, SIZE_MAX); }

Object* ActiveDefrag::DefragKey(Db& db, Object* o, bool defer_big, size_t max_scan_fields) {
  const uint64_t hits_before = mem::DefragStats().hits;
  if (Object* moved = Object::DefragMove(o)) o = moved;
  if (HasOwnValue(*o)) {
    if (defer_big && DeferrableSize(*o) > max_scan_fields) {
      later_.push_back(LaterItem{db.id(), std::string(o->key())});
      ++later_keys_;
    } else {
      uint64_t cursor = 0;
      const uint64_t word = DefragValue(ValueOf(*o), true, &cursor, SIZE_MAX);
      if (word != o->word()) o->set_word(word);
    }
  }
  if (mem::DefragStats().hits != hits_before) {
    ++key_hits_;
  } else {
    ++key_misses_;
  }
  return o;
}

void ActiveDefrag::PopLater() {
  if (later_head_ < later_.size()) ++later_head_;
  if (later_head_ == later_.size()) {
    std::vector<LaterItem>().swap(later_);
    later_head_ = 0;
  }
}

bool ActiveDefrag::LaterStep(Keyspace& ks, int64_t end_us, size_t max_scan_fields) {
  bool counted = false;
  while (later_head_ < later_.size()) {
    LaterItem& item = later_[later_head_];
    Object* o = nullptr;
    if (item.db < ks.num_dbs()) o = ks.db(item.db).keys().Find(item.key);
    // Gone, or no longer a table since it was queued (overwritten, converted): drop it.
    if (o == nullptr || DeferrableSize(*o) == 0) {
      PopLater();
      continue;
    }
    if (!counted) {
      counted = true;
      ++later_turns_;
    }
    do {
      const uint64_t word = DefragValue(ValueOf(*o), item.first, &item.cursor, max_scan_fields);
      item.first = false;
      if (word != o->word()) o->set_word(word);
      if (item.cursor == 0) break;
    } while (MonotonicUs() < end_us);
    if (item.cursor == 0) PopLater();
    if (MonotonicUs() >= end_us) return true;
  }
  return false;
}

void ActiveDefrag::ComputeCycles(const Options& opts, int64_t now_ms) {
  const mem::AllocatorStats st = mem::ReadAllocatorStats();
  if (!st.valid || st.allocated == 0) return;
  // Redis getAllocatorFragmentation: active pages over allocated bytes.
  const double frag_pct =
      static_cast<double>(st.active) / static_cast<double>(st.allocated) * 100.0 - 100.0;
  const int64_t frag_bytes = static_cast<int64_t>(st.active) - static_cast<int64_t>(st.allocated);
  const double lower = static_cast<double>(opts.active_defrag_threshold_lower);
  const double upper = static_cast<double>(opts.active_defrag_threshold_upper);
  if (cpu_pct_ == 0 && (frag_pct < lower || frag_bytes < opts.active_defrag_ignore_bytes)) {
    return;
  }
  // Redis INTERPOLATE + LIMIT: cycle-min at the lower threshold, cycle-max at the upper one.
  const double cmin = static_cast<double>(opts.active_defrag_cycle_min);
  const double cmax = static_cast<double>(opts.active_defrag_cycle_max);
  double pct = upper > lower ? cmin + (frag_pct - lower) * (cmax - cmin) / (upper - lower) : cmax;
  int cpu = static_cast<int>(pct);
  cpu = std::clamp(
      cpu, static_cast<int>(opts.active_defrag_cycle_min),
      static_cast<int>(std::max(opts.active_defrag_cycle_min, opts.active_defrag_cycle_max)));
  // The effort may rise during a scan, never fall.
  if (cpu > cpu_pct_) {
    if (cpu_pct_ == 0) {
      scan_started_ms_ = now_ms;
      scan_start_hits_ = mem::DefragStats().hits;
      LogVerbose("Starting active defrag, frag={:.0f}%, frag_bytes={}, cpu={}%", frag_pct,
                 frag_bytes, cpu);
    }
    cpu_pct_ = cpu;
  }
}

void ActiveDefrag::StopScan(int64_t now_ms) {
  if (cpu_pct_ != 0) {
    total_time_ms_ += static_cast<uint64_t>(now_ms - scan_started_ms_);
    LogVerbose("Active defrag done in {}ms, reallocated={}", now_ms - scan_started_ms_,
               mem::DefragStats().hits - scan_start_hits_);
  }
  cpu_pct_ = 0;
}

void ActiveDefrag::ResetStats() {
  mem::DefragStats() = mem::DefragCounters{};
  key_hits_ = 0;
  key_misses_ = 0;
  total_time_ms_ = 0;
  later_keys_ = 0;
  later_turns_ = 0;
}

uint64_t ActiveDefrag::total_time_ms(int64_t now_ms) const {
  return total_time_ms_ + current_time_ms(now_ms);
}

uint64_t ActiveDefrag::current_time_ms(int64_t now_ms) const {
  if (cpu_pct_ == 0 || now_ms < scan_started_ms_) return 0;
  return static_cast<uint64_t>(now_ms - scan_started_ms_);
}

void ActiveDefrag::Run(Keyspace& ks, int hz) {
  const Options& opts = ks.options();
  const int64_t now_ms = UnixTimeMs();
  if (!opts.active_defrag) {
    // Turned off: a scan in progress ends (Redis checks server.active_defrag_enabled each turn).
    StopScan(now_ms);
    db_ = -1;
    cursor_ = 0;
    later_head_ = later_.size();
    PopLater();
    return;
  }
  // A snapshot in progress (a write guard installed) walks the keyspace over many turns and may
  // be part-way through a value; as Redis waits while it has a child, this waits for it.
  if (ks.changes().write_guard() != nullptr) return;
  if (now_ms - last_compute_ms_ >= 1000 || now_ms < last_compute_ms_) {
    last_compute_ms_ = now_ms;
    ComputeCycles(opts, now_ms);
  }
  if (cpu_pct_ == 0) return;

  const size_t max_fields =
      static_cast<size_t>(std::max<int64_t>(1, opts.active_defrag_max_scan_fields));
  const int64_t start_us = MonotonicUs();
  int64_t limit_us = 1000000LL * cpu_pct_ / std::max(1, hz) / 100;
  if (limit_us <= 0) limit_us = 1;
  const int64_t end_us = start_us + limit_us;

  for (;;) {
    if (db_ < 0 || (cursor_ == 0 && keyspace_tables_done_)) {
      // The previous database is done (or none was begun): finish its big values first.
      if (db_ >= 0 && LaterStep(ks, end_us, max_fields)) return;
      if (++db_ >= ks.num_dbs()) {
        // A full pass is done. Another starts at once if the figures still call for one.
        ++passes_;
        db_ = -1;
        StopScan(UnixTimeMs());
        ComputeCycles(opts, UnixTimeMs());
        if (cpu_pct_ != 0 && MonotonicUs() < end_us) continue;
        return;
      }
      cursor_ = 0;
      keyspace_tables_done_ = false;
    }
    Db& d = ks.db(db_);
    if (!keyspace_tables_done_) {
      keyspace_tables_done_ = true;
      d.keys().DefragTables();
      if (d.size() == 0) continue;  // cursor_ stays 0: next database
    }
    int iterations = 0;
    for (;;) {
      if (LaterStep(ks, end_us, max_fields)) return;
      cursor_ = d.keys().ScanMoving(cursor_,
                                    [&](Object* o) { return DefragKey(d, o, true, max_fields); });
      if (cursor_ == 0) break;
      // Look at the clock every 16 buckets (Redis: 16 scan steps).
      if (++iterations >= 16) {
        iterations = 0;
        if (MonotonicUs() >= end_us) return;
      }
    }
    if (MonotonicUs() >= end_us) return;
  }
}

}  // namespace mnemo::db

// defrag.h: active defragmentation of the keyspace on stock jemalloc (layer: db).
//
// After many deletions, jemalloc's slabs are left partly used: the freed regions cannot go back
// to the kernel while one live block remains on their pages, so RSS stays at its peak
// (allocator_frag_ratio = active / allocated well above 1). The cure is Redis's: walk the
// keyspace and move every block that sits in a sparse slab to a fresh allocation, which jemalloc
// serves from its fullest slabs; the sparse slabs empty and their pages are returned.
//
// Which blocks to move is mem::DefragHint's call (zmalloc.h: jemalloc's utilization query and
// Redis's rule); moving one is mem::DefragMove. Object slots live in the keyspace's slab arena,
// which has its own hint and move with the same rule (mem/slab.h, Object::DefragMove). This file
// knows who points at what:
//   - the object's slot (key, header, expiry, embstr value): the keys table's chain link (a
//     handle), relinked by Dict::ScanMoving;
//   - the value's blocks, through DefragValue (value.h), one type module each: sds, listpacks,
//     intsets, quicklist nodes, skiplist nodes and index, hash and set nodes and tables, stream
//     listpacks;
//   - the keys and expires tables' bucket arrays.
// Nothing else holds an Object* across cron turns: blocked clients, WATCH, client tracking and
// keyspace listeners hold keys by name (changes.h), scan cursors are table positions. A moved
// key is not a change: nothing is announced or propagated. While a fork-less snapshot runs (a
// KeyWriteGuard is installed) defragmentation waits, as Redis waits while it has a child.
//
// Work is bounded as Redis's activeDefragCycle bounds it: each cron turn spends at most
// cycle-percent / hz of a second, resuming a scan cursor over the keys table. Big values (more
// than active-defrag-max-scan-fields elements of a hashtable hash or set or a skiplist zset,
// nodes of a quicklist or a stream) are queued and walked over later turns, at most
// max-scan-fields elements (or nodes) between two looks at the clock, with a cursor of their
// own (the key is found again by name each turn, so it may change or go away meanwhile): a
// table scan cursor for hashes and sets, a node number for lists, a rank for sorted sets, a
// node-index chunk number for streams. Positions rather than pointers survive the edits made
// between two turns; an edit may shift one, so a node may be visited twice or once skipped,
// which never breaks anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnemo/db/db.h"

namespace mnemo::db {

class ActiveDefrag {
 public:
  ActiveDefrag() = default;
  ActiveDefrag(const ActiveDefrag&) = delete;
  ActiveDefrag& operator=(const ActiveDefrag&) = delete;

  // One cron turn of a cron firing `hz` times per second (Redis activeDefragCycle): once a
  // second decides from jemalloc's figures whether to run and with which CPU percentage, then
  // moves blocks for at most that share of the turn. Does nothing while activedefrag is off or a
  // snapshot is in progress.
  void Run(Keyspace& ks, int hz);

  // Moves what can be moved of one key: the object block and its value (all of it, whatever its
  // size). Returns the object's new address (or `o`). For tests and DEBUG-like callers.
  [[nodiscard]] Object* DefragKeyNow(Db& db, Object* o);

  // The CPU percentage of the scan in progress, 0 when none runs (INFO active_defrag_running).
  int running() const { return cpu_pct_; }
  // Keys with at least one block moved / with none (INFO active_defrag_key_hits/misses).
  uint64_t key_hits() const { return key_hits_; }
  uint64_t key_misses() const { return key_misses_; }
  // Milliseconds spent with a scan running: in all, and in the current one (INFO
  // total_active_defrag_time, current_active_defrag_time).
  uint64_t total_time_ms(int64_t now_ms) const;
  uint64_t current_time_ms(int64_t now_ms) const;
  // CONFIG RESETSTAT: the hit and miss counters (mem's too) start again from 0.
  void ResetStats();
  // Full passes over the keyspace completed (for tests and logs).
  uint64_t passes() const { return passes_; }
  // Big values queued to be walked over several turns, and turns that walked a part of one
  // (INFO active_defrag_later_keys, active_defrag_later_turns: Mnemo's own fields).
  uint64_t later_keys() const { return later_keys_; }
  uint64_t later_turns() const { return later_turns_; }

 private:
  // Redis computeDefragCycles: starts a scan, or raises its CPU percentage, from the
  // fragmentation jemalloc reports.
  void ComputeCycles(const Options& opts, int64_t now_ms);
  // Moves o and, unless it is deferred, its value. With `defer_big`, values bigger than
  // max_scan_fields (DeferrableSize) are queued for LaterStep (Redis defragLater) instead.
  Object* DefragKey(Db& db, Object* o, bool defer_big, size_t max_scan_fields);
  // Continues the queued values until they are done or `end_us`; returns true iff work remains.
  bool LaterStep(Keyspace& ks, int64_t end_us, size_t max_scan_fields);
  void StopScan(int64_t now_ms);
  // Drops the front of the later-queue (releasing its storage when it empties).
  void PopLater();

  int cpu_pct_ = 0;
  int64_t last_compute_ms_ = 0;
  int64_t scan_started_ms_ = 0;
  uint64_t scan_start_hits_ = 0;
  uint64_t total_time_ms_ = 0;
  int db_ = -1;  // database being scanned, -1 before the first
  uint64_t cursor_ = 0;
  bool keyspace_tables_done_ = false;
  // Big values defragmented over several turns, found again by name.
  struct LaterItem {
    int db;
    std::string key;
    uint64_t cursor = 0;
    bool first = true;
  };
  // A queue: later_[later_head_..] are pending. Its storage is released whenever it empties, so
  // the defragmenter holds no memory between scans.
  std::vector<LaterItem> later_;
  size_t later_head_ = 0;
  uint64_t key_hits_ = 0;
  uint64_t key_misses_ = 0;
  uint64_t passes_ = 0;
  uint64_t later_keys_ = 0;
  uint64_t later_turns_ = 0;
};

}  // namespace mnemo::db

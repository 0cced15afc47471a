// db.h: the keyspace: numbered databases of keys with optional expiry (layer: db).
//
// A Db holds one intrusive table of its objects, `keys`. A key's expiry lives in its object
// (object.h) and there is no second table of the keys with a TTL, as Redis's `expires` dict: that
// table cost a bucket and a chain pointer per volatile key (16.4 bytes at 1M keys). Its users scan
// or sample `keys` instead: the active expiry cycle (expire.cc) and the volatile-* eviction
// policies (evict.cc, SampleVolatile below). The table keeps a bit per bucket that says whether
// it may hold a key with a TTL (KeyTraits::Marked, ds/dict.h: 1 bit where the expires table
// cost 16.4 bytes a volatile key), so a scan of the volatile keys reads the buckets that hold
// them and a bit for each other bucket; a counter keeps their number (INFO keyspace expires=).
// Objects move when they are reallocated (a TTL added, a string value grown); Relocate puts the new
// block in place of the old one.
//
// Pointer validity: an Object* returned by a lookup stays valid until the next call that may
// reallocate or delete it (those calls return the new address, or say that they free).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "mnemo/db/changes.h"
#include "mnemo/db/lazyfree.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/object.h"
#include "mnemo/db/options.h"
#include "mnemo/db/value_compression.h"
#include "mnemo/ds/dict.h"
#include "mnemo/ds/hash.h"

namespace mnemo::db {

struct KeyTraits {
  using Node = Object;
  // The links are the objects' 4-byte slab handles (ds/dict.h "Handles"): a bucket costs 4
  // bytes, and an object's chain field too.
  using Link = uint32_t;
  static Object* Deref(uint32_t h) { return Object::FromHandle(h); }
  static uint32_t LinkOf(const Object* o) { return o->handle(); }
  static void* NextField(Object* o) { return o->next_field(); }
  static std::string_view Key(const Object* o) { return o->key(); }
  static uint64_t Hash(std::string_view key) { return ds::HashBytes(key); }
  // The table marks the buckets that hold keys with a TTL (ds/dict.h): the expiry cycle and
  // SampleVolatile read a bit, not a bucket, for each bucket without one.
  static bool Marked(const Object* o) { return o->has_expire(); }
};

using KeyTable = ds::Dict<KeyTraits>;

// Counters INFO stats prints; names follow Redis's fields.
struct Stats {
  uint64_t expired_keys = 0;
  uint64_t expired_time_cap_reached_count = 0;
  uint64_t expire_cycle_cpu_us = 0;  // INFO prints milliseconds, as Redis (it sums microseconds)
  double expired_stale_perc = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t evicted_keys = 0;
};

class Keyspace;

class Db {
 public:
  Db(Keyspace* keyspace, int id);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  int id() const { return id_; }
  // Keys, including expired ones not yet reclaimed (as DBSIZE counts).
  size_t size() const { return keys_.size(); }
  // The key's share of this database's bucket array: its bytes divided by the keys (MEMORY USAGE).
  size_t TableShare() const;
  // Keys with a TTL, including expired ones not yet reclaimed.
  size_t expires_size() const { return expires_; }

  // Returns the live object for `key` or null. An expired key is deleted first (lazy expiry).
  // LookupRead counts keyspace_hits/misses; both update the object's LRU/LFU data.
  Object* LookupRead(std::string_view key);
  Object* LookupWrite(std::string_view key);
  // As LookupWrite without touching LRU/LFU data or stats.
  Object* LookupNoTouch(std::string_view key);
  // As LookupRead without touching LRU/LFU data: counts keyspace_hits/misses (Redis
  // lookupKeyReadWithFlags(LOOKUP_NOTOUCH): EXISTS, TYPE, TTL, OBJECT).
  Object* LookupReadNoTouch(std::string_view key);

  // Adds a new object and announces the "new" keyspace event. REQUIRES: no object with its key
  // (live or expired) is in this Db.
  void Add(Object* o);
  // As Add, without any announcement (loading a snapshot or a replica's initial sync).
  void AddQuietly(Object* o);
  // Puts `o` in place of `old` (same key) and frees `old` with its value (lazily when
  // lazyfree-lazy-server-del says so and the value is big). Under an LFU policy, o keeps old's
  // counter (Redis dbSetValue).
  void Overwrite(Object* old, Object* o);
  // Puts the block `moved` in place of `old`; `old` is not freed (it was realloc'd away or is
  // freed by the caller). REQUIRES: same key, same has_expire().
  void Relocate(Object* old, Object* moved);

  // After a write to a hash or sorted set `o`: gives its value the slot that fits it. A listpack
  // small enough moves into the slot (object.h, "Inline listpacks"), and a slot left bigger than
  // its value (an inline listpack taken out, grown or converted) shrinks to the value's word.
  // Returns the object's address, which changes when it moves. Any other object is returned as
  // is. REQUIRES: `o` is a key of this Db, found through a write lookup in this command.
  Object* Repack(Object* o);
  // After a write that may have removed elements from the hash or sorted set `o`: DeleteIfEmpty,
  // or, when something is left, Repack. `o` is gone either way.
  void DeleteIfEmptyOrRepack(Object* o) {
    if (!DeleteIfEmpty(o)) Repack(o);
  }

  // Deletes `key` if present (live or expired); returns true iff it was live.
  // `lazy` hands a big value to the lazy-free thread.
  bool Delete(std::string_view key, bool lazy);
  // Unlinks `o` and returns it; the caller owns it.
  Object* Detach(Object* o);
  // Frees a detached object, its value on the lazy-free thread when `lazy` and big.
  void Dispose(Object* o, bool lazy);

  // Gives `o` an expiry at `when_ms` (adding the slot if it had none). Returns the object's
  // address, which changes when the slot is added or widened (object.h).
  Object* SetExpire(Object* o, int64_t when_ms);
  // Removes the expiry of `o` if any; returns its (possibly new) address.
  Object* RemoveExpire(Object* o);
  // Absolute expiry in Unix milliseconds, or -1.
  static int64_t ExpireOf(const Object* o) { return o->has_expire() ? o->expire_ms() : -1; }
  // True iff `o` has an expiry in the past of the command's clock.
  bool IsExpired(const Object* o) const;
  // Deletes `o` because it expired: counts expired_keys, frees lazily per lazyfree-lazy-expire,
  // announces the "expired" event and propagates the deletion (DEL, or UNLINK when lazy).
  void DeleteExpired(Object* o);
  // Deletes `o` if its collection is empty, announcing the generic "del" event (every command
  // that removes elements calls this after announcing its own event, as Redis emits "lrem" then
  // "del"). Returns true iff it was deleted (and `o` is gone).
  bool DeleteIfEmpty(Object* o);

  // A random live key's object, or null if there is none (expired keys met on the way are
  // deleted; gives up after a bounded number of tries if all sampled keys are expired).
  Object* RandomKey();
  // Up to `count` keys with a TTL, sampled (Dict::SampleNodes) or, when they are rare, taken from
  // a scan of the marked buckets (Dict::ScanMarked) that goes on where the last one stopped, so
  // that every volatile key is met within a sweep of the table. Examines at most
  // kVolatileExamine keys or scan steps a call; returns how many it stored (0 only if none was
  // met in that many).
  size_t SampleVolatile(Object** out, size_t count);
  // One key with a TTL, or null if SampleVolatile met none.
  Object* RandomVolatile();
  static constexpr size_t kVolatileExamine = 1024;

  // Removes every key without any announcement (Keyspace::FlushDb announces). With `async`, the
  // tables are handed to the lazy-free thread whole and this call is O(1).
  void Clear(bool async);
  // Exchanges the contents of two databases, silently (Keyspace::SwapDbs announces).
  void Swap(Db& other);

  KeyTable& keys() { return keys_; }
  const KeyTable& keys() const { return keys_; }
  Keyspace& keyspace() { return *keyspace_; }
  Changes& changes();

  // Cluster mode (cluster-enabled): counts the keys of each of the 16384 hash slots from now on
  // (64 KB), for CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT. REQUIRES: the database is empty.
  void CountSlots();
  bool counts_slots() const { return slot_keys_ != nullptr; }
  // The number of keys in `slot`. REQUIRES: counts_slots().
  uint32_t KeysInSlot(int slot) const { return slot_keys_[slot]; }

  // Where the active expiry cycle left off in `keys` (a scan cursor).
  uint64_t expires_cursor = 0;
  // A lower bound of the expiry of every volatile key (INT64_MAX: none): while the command clock
  // is below it, nothing can have expired and the cycle skips this database. Lowered by every
  // expiry set; raised at the end of each pass of the cycle's scan (EndExpirePass) to the least
  // expiry the pass met on a live key (NoteExpire) or that was set while it ran (a key present
  // throughout the pass was met by it, as SCAN guarantees; any other was set during it).
  int64_t expire_floor() const { return expire_floor_; }
  void NoteExpire(int64_t when) {
    if (when < expire_floor_) expire_floor_ = when;
    if (when < pass_floor_) pass_floor_ = when;
  }
  void EndExpirePass() {
    expire_floor_ = pass_floor_;
    pass_floor_ = INT64_MAX;
  }
  // When the cycle last sampled this database (command clock): below the floor it still samples
  // one loop a second, for avg_ttl.
  int64_t expire_sampled_ms = 0;
  // Average TTL of keys with an expiry, milliseconds (INFO keyspace avg_ttl).
  int64_t avg_ttl_ms = 0;

 private:
  Object* Lookup(std::string_view key, bool touch, bool count, bool write);
  void Touch(Object* o);
  // The write guard's turn before `o` is modified or removed (changes.h, "Before a change"): one
  // test unless a snapshot is in progress and has not written `o` yet.
  void GuardWrite(Object* o) {
    KeyWriteGuard* g = changes_->write_guard();
    if (g != nullptr && o->snapshot_mark() != changes_->snapshot_epoch()) {
      g->BeforeKeyWrite(*this, o);
    }
  }
  // An object entering the tables is not part of a snapshot in progress.
  void MarkNew(Object* o) { o->set_snapshot_mark(changes_->snapshot_epoch()); }

  Keyspace* keyspace_;
  Changes* changes_;
  int id_;
  // Bookkeeping of the keys with a TTL, at every change of the table or of a key's expiry.
  void CountExpire(const Object* o, int delta) {
    if (!o->has_expire()) return;
    expires_ = static_cast<size_t>(static_cast<int64_t>(expires_) + delta);
    if (delta > 0) NoteExpire(o->expire_ms());
  }

  KeyTable keys_;
  size_t expires_ = 0;                     // keys with a TTL
  int64_t expire_floor_ = INT64_MAX;       // see expire_floor()
  int64_t pass_floor_ = INT64_MAX;         // the least expiry of the scan's current pass
  uint64_t volatile_cursor_ = 0;           // where SampleVolatile's scan left off
  std::unique_ptr<uint32_t[]> slot_keys_;  // keys per cluster slot; null unless CountSlots
};

// All databases, the options they obey and the counters they share.
class Keyspace {
 public:
  explicit Keyspace(int num_dbs);
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;
  ~Keyspace();

  int num_dbs() const { return static_cast<int>(dbs_.size()); }
  Db& db(int i) { return *dbs_[static_cast<size_t>(i)]; }
  size_t TotalKeys() const;

  Options& options() { return options_; }
  const Options& options() const { return options_; }
  Stats& stats() { return stats_; }
  LazyFree& lazyfree() { return lazyfree_; }
  // Decides and performs value compression. A service rather than state of the keyspace:
  // reachable through a const Keyspace (snapshot loading creates objects through one).
  ValueCompressor& compressor() const { return compressor_; }
  // The keyspace-change seam (changes.h).
  Changes& changes() { return changes_; }

  // The time commands see: set once per command so that a command sees one instant
  // (Redis commandTimeSnapshot).
  int64_t now_ms() const { return now_ms_; }
  void set_now_ms(int64_t now) { now_ms_ = now; }

  // The LRU clock in ticks of kLruClockResolutionMs, 24 bits, refreshed before every command
  // (and by the server cron).
  uint32_t lru_clock() const { return lru_clock_; }
  void UpdateLruClock(int64_t unix_ms) {
    lru_clock_ = static_cast<uint32_t>(unix_ms / kLruClockResolutionMs) & kLruMax;
  }
  // CLIENT NO-TOUCH for the command running: lookups leave LRU/LFU data alone.
  // A replica's keys expire when its primary says (a DEL in the stream): reads hide expired
  // keys without deleting them, and while the primary's commands run they see them as live
  // (Redis expireIfNeeded with server.masterhost set).
  bool replica_expiry() const { return replica_expiry_; }
  void set_replica_expiry(bool on) { replica_expiry_ = on; }
  // True iff a write with an expiry already past deletes its key at once (EXPIREAT, SET PXAT,
  // GETEX PXAT): not on a replica, where the key is stored and the primary's DEL removes it,
  // nor during a replay (Options::keys_expire; Redis checkAlreadyExpired).
  bool DeletesAlreadyExpired() const { return options_.keys_expire && !replica_expiry_; }
  bool applying_master() const { return applying_master_; }
  void set_applying_master(bool on) { applying_master_ = on; }
  bool no_touch() const { return no_touch_; }
  void set_no_touch(bool on) { no_touch_ = on; }

  // The initial LRU/LFU field of a new object under the current policy.
  uint32_t InitialLru() const;

  // Removes every key of database `db` (FLUSHDB) / of every database (FLUSHALL), announcing the
  // flush to the listeners first. Returns the number of keys removed.
  size_t FlushDb(int db, bool async);
  size_t FlushAll(bool async);
  // Exchanges databases a and b (SWAPDB), announcing it first.
  void SwapDbs(int a, int b);

 private:
  Options options_;
  mutable ValueCompressor compressor_;
  Stats stats_;
  Changes changes_;
  LazyFree lazyfree_;
  int64_t now_ms_ = 0;
  uint32_t lru_clock_ = 0;
  bool no_touch_ = false;
  bool replica_expiry_ = false;
  bool applying_master_ = false;
  std::vector<std::unique_ptr<Db>> dbs_;
};

}  // namespace mnemo::db

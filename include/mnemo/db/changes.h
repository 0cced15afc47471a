// changes.h: the keyspace-change seam: every change to a key is announced here, once, by the
// layer that made it, and every write's effect leaves through here as commands (layer: db).
//
// Redis spreads this over signalModifiedKey (WATCH, client tracking), notifyKeyspaceEvent
// (keyspace notifications), signalKeyAsReady (blocked clients), server.dirty (save points) and
// alsoPropagate (AOF, replicas). Here one object owns all of it:
//
//   handler / expiry / eviction / flush --KeyChanged(db, key, class, event)--> Changes
//       listeners (ChangeListener): WATCH, keyspace notifications, blocked clients, client
//       tracking; the dirty counter
//   handler (write) --the effect as commands--> Changes::Propagate
//       sinks (PropagationSink): AOF, replication, the replay test
//
// Who announces what:
//   - a command handler announces each key it changed with Redis's event name ("set", "lpush",
//     "hdel", "rename_from", ...); a write that changed nothing announces nothing;
//   - Db announces what it does by itself: "new" when a key is added, "expired" (lazy and
//     active expiry), "del" when a collection emptied by a command is deleted
//     (Db::DeleteIfEmpty), and the deletions' propagation as DEL/UNLINK;
//   - the Evictor announces "evicted";
//   - Keyspace announces flushes and SWAPDB (FlushDb, FlushAll, SwapDbs).
// Listeners decide what to do; announcers never know who listens.
//
// Before a change, one more party may look (KeyWriteGuard, at most one, installed only while
// it is needed): the fork-less snapshot (persist/snapshot.h) must write a key's old value before
// the key changes. Db calls it itself, at every point where a key is about to be modified or
// removed: the write lookups (LookupWrite, LookupNoTouch), Detach (every deletion: DEL,
// expiry, eviction, MOVE, RENAME), Overwrite, SetExpire/RemoveExpire, Clear (FLUSHDB/FLUSHALL)
// and Swap (SWAPDB). Handlers need not know: whatever they write, they found through one of
// those. Every object carries one "snapshot mark" bit (object.h); the guard is called only for
// objects whose mark differs from Changes::snapshot_epoch(), so between snapshots, and for keys
// already written, a write costs one test. New objects take the current epoch when Db inserts
// them (they are not part of a snapshot in progress).
//
// Propagation follows Redis 7.0: the effects of one execution unit (a top-level command, EXEC,
// a script, with the lazy-expiry deletions it caused) are collected and handed to the sinks
// together when the unit ends, wrapped in MULTI/EXEC when there is more than one. A deletion
// outside any unit (active expiry, eviction between commands) is its own unit. The dispatcher
// propagates a command that made the dirty counter move as it was called unless its handler
// rewrote it (SET ... EX as SET ... PXAT, SPOP as SREM, ...; see cmd::Context).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mnemo::db {

class Db;
class Object;

// The classes of keyspace events: Redis's NOTIFY_* bits, one letter of notify-keyspace-events
// each.
enum NotifyClass : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K: __keyspace@<db>__:<key> channels
  kNotifyKeyevent = 1u << 1,  // E: __keyevent@<db>__:<event> channels
  kNotifyGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME, ...
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZset = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m: a read found no key (not part of A)
  kNotifyLoaded = 1u << 12,   // module events only; no letter
  kNotifyModule = 1u << 13,   // d
  kNotifyNew = 1u << 14,      // n: a key was created (not part of A)
  // A: every class but m and n.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// Parses a notify-keyspace-events value ("KEA", "Elg", "") into NotifyClass bits; returns false
// on a letter Redis does not know.
bool ParseNotifyClasses(std::string_view letters, uint32_t* out);
// The canonical letters of `classes`, as CONFIG GET prints them (Redis
// keyspaceEventsFlagsToString: "A" replaces its classes).
std::string NotifyClassesToString(uint32_t classes);

// Hears about changes. Every method has an empty default; a listener overrides what it needs.
// Listeners run inside the announcing call: they must not change the keyspace.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // `key` in `db` was created, changed or deleted (Redis signalModifiedKey).
  virtual void OnKeyModified(Db& db, std::string_view key) {
    (void)db;
    (void)key;
  }
  // A keyspace event of one NotifyClass bit (Redis notifyKeyspaceEvent). Only classes enabled
  // by Changes::set_notify_classes are announced.
  virtual void OnKeyspaceEvent(uint32_t cls, std::string_view event, Db& db, std::string_view key) {
    (void)cls;
    (void)event;
    (void)db;
    (void)key;
  }
  // Every key of `db` is about to be removed (FLUSHDB, FLUSHALL): called while the keys are
  // still there (Redis signalFlushedDb).
  virtual void OnDbFlushing(Db& db) { (void)db; }
  // Databases `a` and `b` are about to exchange their contents (SWAPDB).
  virtual void OnDbsSwapping(Db& a, Db& b) {
    (void)a;
    (void)b;
  }
};

// Sees keys just before they change, while installed (Changes::set_write_guard). Called from
// inside Db; it must not change the keyspace. See "Before a change" above.
class KeyWriteGuard {
 public:
  virtual ~KeyWriteGuard() = default;
  // `o`, a key of `db` whose snapshot mark is not the current epoch, is about to be modified or
  // removed. The guard sets the mark (Object::set_snapshot_mark) once it is done with it.
  virtual void BeforeKeyWrite(Db& db, Object* o) = 0;
  // Every key of `db` is about to be removed (Db::Clear).
  virtual void BeforeDbClear(Db& db) = 0;
  // The contents of `a` and `b` are about to be exchanged (Db::Swap).
  virtual void BeforeDbSwap(Db& a, Db& b) = 0;
};

// Where a propagated command goes (Redis PROPAGATE_AOF / PROPAGATE_REPL; a script chooses with
// redis.set_repl, whose REPL_* values these are).
enum PropagateTarget : uint8_t {
  kPropagateNone = 0,
  kPropagateAof = 1u << 0,
  kPropagateReplicas = 1u << 1,
  kPropagateAll = kPropagateAof | kPropagateReplicas,
};

// One command of the propagation stream: its arguments, the database it applies to (-1 for
// commands that apply to none: MULTI, EXEC, FLUSHALL) and its targets.
struct PropagatedCommand {
  int db = -1;
  std::vector<std::string> argv;
  uint8_t targets = kPropagateAll;
};

// Consumes the propagation stream (AOF, replication backlog, tests).
class PropagationSink {
 public:
  virtual ~PropagationSink() = default;
  // The effects of one execution unit, in order; a unit of more than one command arrives
  // wrapped in MULTI ... EXEC.
  virtual void OnPropagate(std::span<const PropagatedCommand> unit) = 0;
  // The PropagateTarget bits this sink is (the AOF: kPropagateAof). It sees the commands aimed
  // at any of them.
  virtual uint8_t targets() const { return kPropagateAll; }
};

class Changes {
 public:
  Changes() = default;
  Changes(const Changes&) = delete;
  Changes& operator=(const Changes&) = delete;

  void AddListener(ChangeListener* l);
  void RemoveListener(ChangeListener* l);
  void AddSink(PropagationSink* s);
  void RemoveSink(PropagationSink* s);

  // ---- announcements ----
  // The usual announcement of a write: `key` in `db` changed (OnKeyModified), the keyspace
  // event `event` of class `cls` happened, and the dirty counter grows by `dirty` (Redis counts
  // one per element for multi-element writes).
  void KeyChanged(Db& db, std::string_view key, uint32_t cls, std::string_view event,
                  uint64_t dirty = 1) {
    Modified(db, key);
    Event(cls, event, db, key);
    dirty_ += dirty;
  }
  // Only OnKeyModified.
  void Modified(Db& db, std::string_view key) {
    for (ChangeListener* l : listeners_) l->OnKeyModified(db, key);
  }
  // Only the keyspace event, if its class is enabled.
  void Event(uint32_t cls, std::string_view event, Db& db, std::string_view key) {
    if ((cls & notify_classes_) == 0) return;
    for (ChangeListener* l : listeners_) l->OnKeyspaceEvent(cls, event, db, key);
  }
  void Flushing(Db& db) {
    for (ChangeListener* l : listeners_) l->OnDbFlushing(db);
  }
  void Swapping(Db& a, Db& b) {
    for (ChangeListener* l : listeners_) l->OnDbsSwapping(a, b);
  }

  // The classes whose events are announced (notify-keyspace-events). Events need K or E to go
  // anywhere, so without either no event is announced at all.
  void set_notify_classes(uint32_t classes);
  uint32_t notify_classes() const { return notify_classes_; }

  // Changes since the start (Redis server.dirty). The persistence layer reads the difference
  // from its last save (rdb_changes_since_last_save).
  uint64_t dirty() const { return dirty_; }
  void AddDirty(uint64_t n) { dirty_ += n; }

  // ---- the write guard (see "Before a change" above) ----
  // Installs `g` (null removes it). At most one.
  void set_write_guard(KeyWriteGuard* g) { guard_ = g; }
  KeyWriteGuard* write_guard() const { return guard_; }
  // The mark that objects written by the snapshot in progress (or, between snapshots, every
  // object) carry. A snapshot flips it when it starts.
  bool snapshot_epoch() const { return snapshot_epoch_; }
  void FlipSnapshotEpoch() { snapshot_epoch_ = !snapshot_epoch_; }

  // ---- propagation ----
  // True iff some sink consumes the stream: callers may skip building commands otherwise.
  bool propagating() const { return !sinks_.empty(); }
  // Units nest (EXEC runs commands, a script runs commands); the effects go out when the
  // outermost one ends.
  void BeginUnit() { ++unit_depth_; }
  void EndUnit();
  bool in_unit() const { return unit_depth_ > 0; }
  // Where the commands given to Propagate from now on go (a script's redis.set_repl; the
  // script's run sets kPropagateAll again when it ends). A command whose targets no sink is
  // (kPropagateNone, or only replicas while there are none) is dropped at once, as Redis 7.0
  // drops it (shouldPropagate): it does not count towards the MULTI/EXEC wrapping of its unit.
  void set_targets(uint8_t targets) { targets_ = targets; }
  // Adds a command to the current unit (outside a unit, it is a unit of its own).
  void Propagate(int db, std::span<const std::string_view> argv);
  void Propagate(int db, std::initializer_list<std::string_view> argv);
  void Propagate(int db, std::vector<std::string> argv);
  // Propagates the deletion of `key` as DEL, or UNLINK when `lazy` (Redis propagateDeletion).
  void PropagateDeletion(Db& db, std::string_view key, bool lazy);

 private:
  void Deliver();

  std::vector<ChangeListener*> listeners_;
  std::vector<PropagationSink*> sinks_;
  uint32_t notify_classes_ = 0;
  uint64_t dirty_ = 0;
  KeyWriteGuard* guard_ = nullptr;
  bool snapshot_epoch_ = false;
  int unit_depth_ = 0;
  uint8_t targets_ = kPropagateAll;
  uint8_t sink_targets_ = 0;  // union of the sinks' targets
  std::vector<PropagatedCommand> pending_;
};

}  // namespace mnemo::db

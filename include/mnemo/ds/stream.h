// stream.h: an append-only log of entries (ID -> field/value pairs) with consumer groups, in
// Redis 7.0's node format (layer: ds). Byte layout and costs: docs/memory.md, "Streams".
//
// Entries live in listpack nodes (ds/listpack.h), each holding up to stream-node-max-entries
// entries and about stream-node-max-bytes bytes, byte for byte as Redis's t_stream.c writes
// them, so that an RDB or DUMP writer can emit the blobs as they are:
//
//   master entry: <count> <deleted> <num-fields> <field-1> ... <field-N> <0>
//   each entry:   <flags> <ms-delta> <seq-delta> <num-fields> <f-1> <v-1> ... <f-n> <v-n>
//   <lp-count>
//             or, when its fields are the master's (flags & kStreamItemSameFields):
//                 <flags> <ms-delta> <seq-delta> <v-1> ... <v-N> <lp-count>
//
// `count` and `deleted` are the live and deleted (tombstone) entries of the node; the deltas
// are the entry ID minus the node's master ID (the ID of its first entry, which is the node's
// key), each as a two's-complement int64; lp-count is the number of elements of the entry before
// it, so that a walk can go backwards; the master entry's trailing 0 stops such a walk. A
// deleted entry keeps its bytes with kStreamItemDeleted set, until its whole node has no live
// entry and is freed.
//
// The nodes are indexed by master ID in a ChunkMap (ds/chunk_map.h), Mnemo's replacement for
// Redis's radix tree: 24 bytes per node (16-byte ID, 8-byte pointer) in 1 KiB chunks, filled
// completely by appends. At 100 entries per node that is a quarter of a byte per entry.
//
// Consumer groups (by name) hold a pending entries list (PEL: ID -> delivery time, delivery
// count, consumer) and their consumers (by name); each consumer holds the IDs of its own pending
// entries. Names sort by bytes, as Redis's radix trees do, so XINFO lists in Redis's order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mnemo/ds/chunk_map.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/ds/stream_id.h"

namespace mnemo::ds {

// Entry flags (Redis STREAM_ITEM_FLAG_*).
inline constexpr int64_t kStreamItemDeleted = 1;
inline constexpr int64_t kStreamItemSameFields = 2;
// A group's entries_read when it is not known (Redis SCG_INVALID_ENTRIES_READ).
inline constexpr int64_t kStreamInvalidEntriesRead = -1;
// The largest node (and the largest sum of an entry's field and value lengths) Redis accepts
// (STREAM_LISTPACK_MAX_SIZE).
inline constexpr size_t kStreamListpackMaxSize = size_t{1} << 30;

// How big a node may grow (stream-node-max-bytes, stream-node-max-entries; 0: no limit).
struct StreamNodeLimits {
  size_t max_bytes = 4096;
  int64_t max_entries = 100;
};

struct StreamConsumer;

// One pending entry of a group: delivered to `consumer`, not acknowledged yet.
// 24 bytes: stored inline in the group PEL's chunks (40 bytes per pending entry with its ID).
struct StreamNack {
  int64_t delivery_time;  // Unix ms of the last delivery
  uint64_t delivery_count;
  StreamConsumer* consumer;
};
static_assert(sizeof(StreamNack) == 24);

struct StreamEmpty {};

// A consumer: one allocation of this header (48 bytes) followed by the name's bytes.
struct StreamConsumer {
  int64_t seen_time;                    // Unix ms of its last attempted interaction (XINFO "idle")
  int64_t active_time;                  // Unix ms of its last successful interaction, -1 when none
  ChunkMap<StreamId, StreamEmpty> pel;  // its pending IDs (the details are in the group PEL)
  uint32_t name_len;
  std::string_view name() const { return {reinterpret_cast<const char*>(this + 1), name_len}; }
};
static_assert(sizeof(StreamConsumer) == 48);

// A consumer group: one allocation of this header (80 bytes) followed by the name's bytes.
struct StreamGroup {
  StreamId last_id;      // the last ID delivered to the group
  int64_t entries_read;  // its logical read counter, or kStreamInvalidEntriesRead
  ChunkMap<StreamId, StreamNack> pel;
  ChunkMap<std::string_view, StreamConsumer*> consumers;  // keys view the consumers' names
  uint32_t name_len;
  std::string_view name() const { return {reinterpret_cast<const char*>(this + 1), name_len}; }
};
static_assert(sizeof(StreamGroup) == 80);

// How XTRIM and XADD trim (Redis streamAddTrimArgs).
struct StreamTrimArgs {
  enum class Strategy : uint8_t { kNone, kMaxLen, kMinId };
  Strategy strategy = Strategy::kNone;
  int64_t maxlen = 0;   // kMaxLen: keep at most this many entries
  StreamId minid;       // kMinId: remove entries below this ID
  bool approx = false;  // '~': remove whole nodes only
  int64_t limit = 0;    // with approx: remove at most about this many entries (0: no limit)
};

class Stream {
 public:
  Stream() = default;
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // A new empty stream in a block of its own (mem::), and its release.
  static Stream* New();
  static void Delete(Stream* s);
  // A deep copy (COPY).
  Stream* Clone() const;

  uint64_t length() const { return length_; }
  const StreamId& last_id() const { return last_id_; }
  const StreamId& first_id() const { return first_id_; }
  const StreamId& max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  void set_last_id(const StreamId& id) { last_id_ = id; }
  void set_first_id(const StreamId& id) { first_id_ = id; }
  void set_max_deleted_id(const StreamId& id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }
  size_t node_count() const { return nodes_.size(); }

  // Appends an entry. `fields_values` is field, value, field, value... REQUIRES: id > last_id(),
  // at least one pair, and the sum of their lengths <= kStreamListpackMaxSize.
  void Append(const StreamId& id, std::span<const std::string_view> fields_values,
              const StreamNodeLimits& limits);
  // Removes entries from the head as `args` says (Redis streamTrim) and updates first_id.
  // Returns how many were removed.
  int64_t Trim(const StreamTrimArgs& args);
  // Marks the entry `id` deleted (freeing its node when no live entry is left). Returns true
  // iff it was a live entry. Does not update first_id / max_deleted_id (XDEL does).
  bool DeleteEntry(const StreamId& id);
  bool EntryExists(const StreamId& id) const;
  // The ID of the first (or last) entry, counting tombstones unless `skip_tombstones`; Max() for
  // the first and Min() for the last of a stream without one (Redis streamGetEdgeID).
  StreamId EdgeId(bool first, bool skip_tombstones) const;

  // ---- consumer-group counters (Redis 7.0 lag) -----------------------------------------------
  // True iff a tombstone may lie in [start, end] (null: unbounded) (streamRangeHasTombstones).
  bool RangeHasTombstones(const StreamId* start, const StreamId* end) const;
  // The logical read counter of `id` when it can be known, else kStreamInvalidEntriesRead
  // (streamEstimateDistanceFromFirstEverEntry).
  int64_t EstimateDistanceFromFirstEverEntry(const StreamId& id) const;

  // ---- consumer groups ------------------------------------------------------------------------
  StreamGroup* FindGroup(std::string_view name) const;
  // Null when a group of that name exists.
  StreamGroup* CreateGroup(std::string_view name, const StreamId& last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);
  const ChunkMap<std::string_view, StreamGroup*>& groups() const { return groups_; }

  // ---- nodes, for RDB/DUMP writers and loaders --------------------------------------------------
  // Calls fn(master_id, listpack) for every node in ID order (Redis RDB_TYPE_STREAM_LISTPACKS:
  // the key is the master ID big-endian, EncodeStreamIdBigEndian; the value the listpack bytes).
  template <typename Fn>
  void ForEachNode(Fn&& fn) const {
    nodes_.ForEach([&](const StreamId& id, uint8_t* const& lp) {
      fn(id, static_cast<const uint8_t*>(lp));
      return true;
    });
  }
  // Adds a node read from a snapshot, taking ownership of `lp`, and counts its live entries in
  // length(). Returns false (leaving lp to the caller) unless StreamValidateNode accepts it
  // (deep), it has a live entry... (Redis refuses empty nodes) and master_id is above every
  // node's. The loader then sets last_id, first_id, max_deleted_id and entries_added, and
  // creates the groups (CreateGroup), consumers (StreamCreateConsumer) and PELs
  // (StreamPelInsertLoaded).
  bool AppendLoadedNode(const StreamId& master_id, uint8_t* lp);

  // Usable bytes of every allocation of the stream, its block included. samples == 0: exact;
  // otherwise nodes beyond the first `samples` are estimated from their average, plus the last
  // one (Redis objectComputeSize); groups are always counted exactly.
  size_t MemoryUsage(size_t samples) const;
  // Active defragmentation, in steps: moves the node index's chunks and the entry listpacks
  // where mem::DefragMove hints to, from node index chunk number *pos (0: the start, which also
  // moves the chunk array) until the chunks visited hold `max_nodes` nodes (at least one chunk);
  // leaves in *pos the next chunk's number, or 0 after the last. Returns the number moved.
  // Consumer groups, consumers and PELs stay where they are. (The Stream block itself may be
  // moved by a byte copy: nothing points into it.)
  size_t Defrag(size_t* pos, size_t max_nodes);
  // About how many allocations freeing takes (lazy-free effort).
  size_t FreeEffort() const;

 private:
  friend class StreamIterator;

  ChunkMap<StreamId, uint8_t*> nodes_;
  uint64_t length_ = 0;
  StreamId last_id_;
  StreamId first_id_;
  StreamId max_deleted_id_;
  uint64_t entries_added_ = 0;
  ChunkMap<std::string_view, StreamGroup*> groups_;
};
// 112 bytes: the 112-byte jemalloc class.
static_assert(sizeof(Stream) == 112);

// Walks the entries of a stream with start <= ID <= end, ascending or (rev) descending,
// skipping tombstones unless told otherwise. The stream must not change while an iterator is
// alive (commands collect the IDs to change, then change them).
class StreamIterator {
 public:
  StreamIterator(const Stream& s, const StreamId& start, const StreamId& end, bool rev,
                 bool skip_tombstones = true);
  StreamIterator(const StreamIterator&) = delete;
  StreamIterator& operator=(const StreamIterator&) = delete;

  // Moves to the next entry; false at the end.
  bool Next();
  // The current entry. REQUIRES: the last Next() returned true.
  const StreamId& id() const { return id_; }
  size_t num_fields() const { return static_cast<size_t>(num_fields_); }
  bool deleted() const { return (flags_ & kStreamItemDeleted) != 0; }
  // The next field/value pair of the current entry, in order; false after the last. The
  // entries point into the node (valid until the iterator moves).
  bool NextField(LpEntry* field, LpEntry* value);

 private:
  // Enters the node at pos_ (first or last entry by direction); false when there is none.
  bool EnterNode();
  // Reads the entry whose flags element is at p into the current entry.
  void ReadEntry(uint8_t* p);

  const Stream* s_;
  StreamId start_, end_;
  bool rev_;
  bool skip_tombstones_;
  bool done_ = false;
  ChunkMap<StreamId, uint8_t*>::Pos pos_;  // the node being walked
  bool in_node_ = false;
  // The node being walked.
  StreamId master_id_;
  uint8_t* lp_ = nullptr;
  int64_t master_fields_ = 0;
  uint8_t* master_first_field_ = nullptr;
  uint8_t* first_entry_ = nullptr;  // flags element of the node's first entry
  // The current entry.
  uint8_t* entry_ = nullptr;    // its flags element
  uint8_t* lpcount_ = nullptr;  // its lp-count element
  StreamId id_;
  int64_t flags_ = 0;
  int64_t num_fields_ = 0;
  // NextField's cursor.
  uint8_t* field_pos_ = nullptr;
  uint8_t* master_field_pos_ = nullptr;
  int64_t fields_left_ = 0;
};

// ---- consumers and PELs -----------------------------------------------------------------------

StreamConsumer* StreamFindConsumer(const StreamGroup& g, std::string_view name);
// A new consumer (seen now, never active); null when one of that name exists.
StreamConsumer* StreamCreateConsumer(StreamGroup* g, std::string_view name, int64_t now_ms);
// Deletes the consumer and its pending entries from the group PEL. Returns how many it had.
size_t StreamDeleteConsumer(StreamGroup* g, StreamConsumer* c);

// Records the delivery of `id` to `c` at `now_ms` (XREADGROUP with ">"): a new pending entry,
// or an existing one (delivered before, then the group's last ID moved back) moved to `c` with
// a delivery count of 1. Returns the pending entry (valid until the PEL changes).
StreamNack* StreamPelDeliver(StreamGroup* g, StreamConsumer* c, const StreamId& id, int64_t now_ms);
// Removes `id` from the group PEL and its consumer's. Returns true iff it was pending.
bool StreamPelRemove(StreamGroup* g, const StreamId& id);
// Gives the pending entry `id` to consumer `c` (no-op when it has it already).
// REQUIRES: id is in the group PEL.
void StreamPelAssign(StreamGroup* g, const StreamId& id, StreamConsumer* c);
// Adds a pending entry read from a snapshot (consumer may be null until assigned). Returns false
// when it is already there.
bool StreamPelInsertLoaded(StreamGroup* g, const StreamId& id, const StreamNack& nack);

// ---- validation ---------------------------------------------------------------------------------

// Returns true iff the `size` bytes at lp are a well-formed stream node whose first entry...
// Shallow: the listpack header and terminator only. Deep: the listpack deeply
// (LpValidate), the master entry, every entry's shape (integers where Redis writes integers,
// field counts, lp-count), IDs strictly ascending from `master_id`, and the counts in the
// master entry. On success with `deep`, *live gets the number of live entries and *last_id the
// ID of the last entry (either may be null). Never reads outside [lp, lp + size).
bool StreamValidateNode(const uint8_t* lp, size_t size, const StreamId& master_id, bool deep,
                        int64_t* live = nullptr, StreamId* last_id = nullptr);

}  // namespace mnemo::ds

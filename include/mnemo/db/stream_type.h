// stream_type.h: the stream type API: stream objects, their one encoding ("stream": a
// ds::Stream of listpack nodes), the node limits, and the snapshot view and builder the RDB and
// DUMP code will use (layer: db).
//
// A stream has one encoding, so the type API is the ds::Stream class itself (ds/stream.h: the
// log, its iterator, consumer groups and PELs), reached through StreamOf; this module owns the
// object side: creation, the limits from the config (stream-node-max-bytes,
// stream-node-max-entries), and the value operations of value.h (free, memory, copy).
//
// Persistence (RDB type 19, RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0; DUMP/RESTORE) lives in
// persist (RdbWriter::WriteStream, RdbReader::ReadStream). The writer reads a stream through StreamSnapshot (below), which lists in Redis's RDB order:
//   nodes: ForEachNode(fn(master_id, listpack)): the key is EncodeStreamIdBigEndian(master_id),
//          the value the listpack bytes as they are (Redis's node format, byte for byte);
//   length, last_id, first_id, max_deleted_id, entries_added;
//   groups (by name, byte order): name, last_id, entries_read, the group PEL (ID, delivery
//          time, delivery count), then consumers (name, seen_time, their PEL IDs).
// The loader builds one with StreamBuilder: AppendNode for each node (validated deeply, refused
// when malformed), SetMeta, then AddGroup / AddConsumer / AddPending; Finish returns the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/stream.h"

namespace mnemo::db {

using ds::Stream;
using ds::StreamConsumer;
using ds::StreamGroup;
using ds::StreamId;
using ds::StreamIterator;
using ds::StreamNack;
using ds::StreamTrimArgs;

// A new empty stream object for `key` (no expiry), not yet in any Db. Unlike other collections
// an empty stream is a valid value (XADD ... NOMKSTREAM aside, MKSTREAM creates one).
Object* NewStreamObject(std::string_view key);
// The stream of a stream object. REQUIRES: o.type() == ObjType::kStream.
Stream& StreamOf(const Object& o);
// stream-node-max-bytes and stream-node-max-entries as the options say.
ds::StreamNodeLimits StreamLimits(const Keyspace& ks);

// ---- snapshot view and builder (persistence) ---------------------------------------------------

// A read-only view for writers (RDB, DUMP). See the top of this file for the order.
inline const Stream& StreamSnapshot(const Object& o) { return StreamOf(o); }

// Builds a stream object from a snapshot. Each step returns false when the data is invalid (the
// loader then reports a corrupt payload and destroys the builder, which frees what it built).
class StreamBuilder {
 public:
  explicit StreamBuilder(std::string_view key);
  ~StreamBuilder();
  StreamBuilder(const StreamBuilder&) = delete;
  StreamBuilder& operator=(const StreamBuilder&) = delete;

  // Takes ownership of `lp` on success (see Stream::AppendLoadedNode).
  [[nodiscard]] bool AppendNode(const StreamId& master_id, uint8_t* lp);
  // The counters after the nodes. Returns false when `length` disagrees with the nodes.
  [[nodiscard]] bool SetMeta(uint64_t length, const StreamId& last_id, const StreamId& first_id,
                             const StreamId& max_deleted_id, uint64_t entries_added);
  // The counters of a Redis 5/6 stream (RDB_TYPE_STREAM_LISTPACKS), which has only its length and
  // last ID: the first ID is the first live entry's, nothing counts as deleted, and entries_added
  // is the length, as Redis 7.0 loads it. Returns false when `length` disagrees with the nodes.
  [[nodiscard]] bool SetLegacyMeta(uint64_t length, const StreamId& last_id);
  // A group's read counter as Redis 7.0 estimates it for a group loaded without one (Redis 5/6).
  [[nodiscard]] int64_t EstimateEntriesRead(const StreamId& group_last_id) const;
  // A group (null when the name repeats).
  [[nodiscard]] StreamGroup* AddGroup(std::string_view name, const StreamId& last_id,
                                      int64_t entries_read);
  // A pending entry of the group PEL, owner not known yet.
  [[nodiscard]] bool AddPending(StreamGroup* g, const StreamId& id, int64_t delivery_time,
                                uint64_t delivery_count);
  // A consumer (null when the name repeats).
  [[nodiscard]] StreamConsumer* AddConsumer(StreamGroup* g, std::string_view name,
                                            int64_t seen_time, int64_t active_time);
  // Gives the group's pending `id` to consumer `c`; false unless it is pending and unowned.
  [[nodiscard]] bool AddConsumerPending(StreamGroup* g, StreamConsumer* c, const StreamId& id);
  // The finished object (the builder is empty afterwards). Returns null when some pending entry
  // of a group has no consumer (Redis refuses such a payload).
  [[nodiscard]] Object* Finish();

 private:
  Object* o_;
};

// ---- value operations, for value.h's dispatch
// ----------------------------------------------------

void FreeStreamValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragStreamValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
size_t StreamFreeEffort(const ValueRef& v);
// The listpack nodes of the stream (what active defrag walks in steps).
size_t StreamNodeCount(const ValueRef& v);
// Exact usable bytes of every allocation (samples is ignored: the walk is one size lookup per
// node of ~100 entries).
size_t StreamValueMemory(const ValueRef& v, size_t samples);
uint64_t DuplicateStreamValue(const ValueRef& v);

}  // namespace mnemo::db

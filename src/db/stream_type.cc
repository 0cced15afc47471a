// stream_type.cc: stream objects and their value operations (layer: db). See stream_type.h.
#include "mnemo/db/stream_type.h"

#include "mnemo/base/assert.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

Object* NewStreamObject(std::string_view key) {
  Stream* s = Stream::New();
  return Object::Create(key, ObjType::kStream,
                        Object::ValueInit{Encoding::kStream, {}, reinterpret_cast<uint64_t>(s)},
                        false, 0, 0);
}

Stream& StreamOf(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kStream);
  return *static_cast<Stream*>(o.ptr());
}

ds::StreamNodeLimits StreamLimits(const Keyspace& ks) {
  ds::StreamNodeLimits l;
  l.max_bytes = static_cast<size_t>(ks.options().stream_node_max_bytes);
  l.max_entries = ks.options().stream_node_max_entries;
  return l;
}

StreamBuilder::StreamBuilder(std::string_view key) : o_(NewStreamObject(key)) {}

StreamBuilder::~StreamBuilder() {
  if (o_ != nullptr) FreeObject(o_);
}

bool StreamBuilder::AppendNode(const StreamId& master_id, uint8_t* lp) {
  return StreamOf(*o_).AppendLoadedNode(master_id, lp);
}

bool StreamBuilder::SetMeta(uint64_t length, const StreamId& last_id, const StreamId& first_id,
                            const StreamId& max_deleted_id, uint64_t entries_added) {
  Stream& s = StreamOf(*o_);
  if (s.length() != length) return false;
  s.set_last_id(last_id);
  s.set_first_id(first_id);
  s.set_max_deleted_id(max_deleted_id);
  s.set_entries_added(entries_added);
  return true;
}

bool StreamBuilder::SetLegacyMeta(uint64_t length, const StreamId& last_id) {
  const Stream& s = StreamOf(*o_);
  return SetMeta(length, last_id, s.EdgeId(/*first=*/true, /*skip_tombstones=*/true), StreamId{},
                 length);
}

int64_t StreamBuilder::EstimateEntriesRead(const StreamId& group_last_id) const {
  return StreamOf(*o_).EstimateDistanceFromFirstEverEntry(group_last_id);
}

StreamGroup* StreamBuilder::AddGroup(std::string_view name, const StreamId& last_id,
                                     int64_t entries_read) {
  return StreamOf(*o_).CreateGroup(name, last_id, entries_read);
}

bool StreamBuilder::AddPending(StreamGroup* g, const StreamId& id, int64_t delivery_time,
                               uint64_t delivery_count) {
  return ds::StreamPelInsertLoaded(g, id, StreamNack{delivery_time, delivery_count, nullptr});
}

StreamConsumer* StreamBuilder::AddConsumer(StreamGroup* g, std::string_view name, int64_t seen_time,
                                           int64_t active_time) {
  StreamConsumer* c = ds::StreamCreateConsumer(g, name, seen_time);
  if (c != nullptr) c->active_time = active_time;
  return c;
}

bool StreamBuilder::AddConsumerPending(StreamGroup* g, StreamConsumer* c, const StreamId& id) {
  StreamNack* n = g->pel.Find(id);
  if (n == nullptr || n->consumer != nullptr) return false;
  ds::StreamPelAssign(g, id, c);
  return true;
}

Object* StreamBuilder::Finish() {
  bool ok = true;
  StreamOf(*o_).groups().ForEach([&](const std::string_view&, StreamGroup* const& g) {
    g->pel.ForEach([&](const StreamId&, const StreamNack& n) {
      ok = n.consumer != nullptr;
      return ok;
    });
    return ok;
  });
  if (!ok) return nullptr;
  Object* o = o_;
  o_ = nullptr;
  return o;
}

void FreeStreamValue(const ValueRef& v) { Stream::Delete(reinterpret_cast<Stream*>(v.word)); }

size_t StreamFreeEffort(const ValueRef& v) {
  return reinterpret_cast<const Stream*>(v.word)->FreeEffort();
}

size_t StreamNodeCount(const ValueRef& v) {
  return reinterpret_cast<const Stream*>(v.word)->node_count();
}

size_t StreamValueMemory(const ValueRef& v, size_t samples) {
  return reinterpret_cast<const Stream*>(v.word)->MemoryUsage(samples);
}

uint64_t DuplicateStreamValue(const ValueRef& v) {
  return reinterpret_cast<uint64_t>(reinterpret_cast<const Stream*>(v.word)->Clone());
}

uint64_t DefragStreamValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  // Nothing points into a Stream block but the value word (groups are reached through it); its
  // node listpacks are walked max_elements nodes at a time.
  return DefragTopThenWalk<Stream>(v, true, first, cursor, max_elements);
}

}  // namespace mnemo::db

// stream.cc: the stream log in Redis's listpack node format, its iterator, consumer groups and
// PELs (layer: ds). Layout: stream.h.
#include "mnemo/ds/stream.h"

#include <new>
#include <unordered_map>
#include <vector>

#include "mnemo/base/assert.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

int64_t IntAt(const uint8_t* p) {
  const LpEntry e = LpGet(p);
  MNEMO_ASSERT(e.is_int);
  return e.int_value;
}

// The parts of a node's master entry.
struct NodeHead {
  int64_t count;          // live entries
  int64_t deleted;        // tombstones
  int64_t master_fields;  // number of master fields
  uint8_t* first_field;   // the first master field
  uint8_t* first_entry;   // flags element of the first entry (null when none)
};

NodeHead ReadHead(uint8_t* lp) {
  NodeHead h;
  uint8_t* p = LpFirst(lp);
  h.count = IntAt(p);
  p = LpNext(lp, p);
  h.deleted = IntAt(p);
  p = LpNext(lp, p);
  h.master_fields = IntAt(p);
  p = LpNext(lp, p);
  h.first_field = p;
  for (int64_t i = 0; i < h.master_fields; ++i) p = LpNext(lp, p);
  // p is the master terminator (0).
  h.first_entry = LpNext(lp, p);
  return h;
}

// Reads the entry at `p` (its flags element): flags and ID; returns its lp-count element.
uint8_t* ScanEntry(uint8_t* lp, uint8_t* p, const StreamId& master, int64_t master_fields,
                   int64_t* flags, StreamId* id) {
  *flags = IntAt(p);
  p = LpNext(lp, p);
  id->ms = master.ms + static_cast<uint64_t>(IntAt(p));
  p = LpNext(lp, p);
  id->seq = master.seq + static_cast<uint64_t>(IntAt(p));
  p = LpNext(lp, p);
  int64_t skip;
  if ((*flags & kStreamItemSameFields) != 0) {
    skip = master_fields;
  } else {
    skip = IntAt(p) * 2;
    p = LpNext(lp, p);
  }
  for (int64_t i = 0; i < skip; ++i) p = LpNext(lp, p);
  return p;
}

// The ID of the last entry of a node (tombstones included).
StreamId NodeLastId(uint8_t* lp, const StreamId& master) {
  uint8_t* p = LpLast(lp);
  const int64_t back = IntAt(p);
  for (int64_t i = 0; i < back; ++i) p = LpPrev(lp, p);
  const NodeHead h = ReadHead(lp);
  int64_t flags;
  StreamId id;
  ScanEntry(lp, p, master, h.master_fields, &flags, &id);
  return id;
}

// Rewrites the count and deleted fields of a node's master entry.
uint8_t* SetCounts(uint8_t* lp, int64_t count, int64_t deleted) {
  uint8_t* p = LpFirst(lp);
  LpEdit e = LpReplaceInteger(lp, p, count);
  lp = e.lp;
  p = LpNext(lp, e.p);
  return LpReplaceInteger(lp, p, deleted).lp;
}

template <typename T>
T* NewNamed(std::string_view name) {
  void* block = mem::Alloc(sizeof(T) + name.size());
  T* t = new (block) T();
  t->name_len = static_cast<uint32_t>(name.size());
  if (!name.empty()) std::memcpy(reinterpret_cast<char*>(t + 1), name.data(), name.size());
  return t;
}

void FreeConsumer(StreamConsumer* c) {
  c->~StreamConsumer();
  mem::Free(c);
}

void FreeGroup(StreamGroup* g) {
  g->consumers.ForEach([](const std::string_view&, StreamConsumer* const& c) {
    FreeConsumer(c);
    return true;
  });
  g->~StreamGroup();
  mem::Free(g);
}

}  // namespace

// ---- Stream ------------------------------------------------------------------------------------

Stream::~Stream() {
  nodes_.ForEach([](const StreamId&, uint8_t* const& lp) {
    LpFree(lp);
    return true;
  });
  groups_.ForEach([](const std::string_view&, StreamGroup* const& g) {
    FreeGroup(g);
    return true;
  });
}

Stream* Stream::New() { return new (mem::Alloc(sizeof(Stream))) Stream(); }

void Stream::Delete(Stream* s) {
  if (s == nullptr) return;
  s->~Stream();
  mem::Free(s);
}

Stream* Stream::Clone() const {
  Stream* c = New();
  nodes_.ForEach([&](const StreamId& id, uint8_t* const& lp) {
    c->nodes_.Insert(id, LpDup(lp));
    return true;
  });
  c->length_ = length_;
  c->last_id_ = last_id_;
  c->first_id_ = first_id_;
  c->max_deleted_id_ = max_deleted_id_;
  c->entries_added_ = entries_added_;
  groups_.ForEach([&](const std::string_view& name, StreamGroup* const& g) {
    StreamGroup* ng = c->CreateGroup(name, g->last_id, g->entries_read);
    std::unordered_map<const StreamConsumer*, StreamConsumer*> map;
    g->consumers.ForEach([&](const std::string_view& cname, StreamConsumer* const& con) {
      StreamConsumer* nc = StreamCreateConsumer(ng, cname, con->seen_time);
      nc->active_time = con->active_time;
      nc->pel.CopyFrom(con->pel);
      map[con] = nc;
      return true;
    });
    ng->pel.CopyFrom(g->pel);
    for (auto p = ng->pel.Begin(); ng->pel.Valid(p); p = ng->pel.Next(p)) {
      StreamNack& n = ng->pel.ValueAt(p);
      n.consumer = n.consumer != nullptr ? map[n.consumer] : nullptr;
    }
    return true;
  });
  return c;
}

void Stream::Append(const StreamId& id, std::span<const std::string_view> fields_values,
                    const StreamNodeLimits& limits) {
  MNEMO_ASSERT(fields_values.size() >= 2 && fields_values.size() % 2 == 0);
  const int64_t numfields = static_cast<int64_t>(fields_values.size() / 2);
  size_t totelelen = 0;
  for (std::string_view s : fields_values) totelelen += s.size();

  uint8_t* lp = nullptr;
  StreamId master;
  ChunkMap<StreamId, uint8_t*>::Pos pos = nodes_.Last();
  if (nodes_.Valid(pos)) {
    lp = nodes_.ValueAt(pos);
    master = nodes_.KeyAt(pos);
    if (limits.max_bytes != 0 && LpBytes(lp) + totelelen >= limits.max_bytes) {
      lp = nullptr;
    } else if (limits.max_entries != 0) {
      uint8_t* p = LpFirst(lp);
      const int64_t count = IntAt(p) + IntAt(LpNext(lp, p));
      if (count >= limits.max_entries) lp = nullptr;
    }
  }

  std::vector<LpEntry> out;
  out.reserve(fields_values.size() + 8);
  int64_t flags = 0;
  if (lp == nullptr) {
    // A new node: its master entry holds this entry's fields.
    master = id;
    out.push_back(LpEntry::Int(1));
    out.push_back(LpEntry::Int(0));
    out.push_back(LpEntry::Int(numfields));
    for (int64_t i = 0; i < numfields; ++i) {
      out.push_back(LpEntry::String(fields_values[static_cast<size_t>(2 * i)]));
    }
    out.push_back(LpEntry::Int(0));
    flags = kStreamItemSameFields;
    lp = LpNew();
  } else {
    const NodeHead h = ReadHead(lp);
    lp = SetCounts(lp, h.count + 1, h.deleted);
    if (h.master_fields == numfields) {
      const NodeHead h2 = ReadHead(lp);
      uint8_t* f = h2.first_field;
      bool same = true;
      for (int64_t i = 0; i < numfields && same; ++i) {
        same = LpEquals(f, fields_values[static_cast<size_t>(2 * i)]);
        f = LpNext(lp, f);
      }
      if (same) flags = kStreamItemSameFields;
    }
  }
  out.push_back(LpEntry::Int(flags));
  out.push_back(LpEntry::Int(static_cast<int64_t>(id.ms - master.ms)));
  out.push_back(LpEntry::Int(static_cast<int64_t>(id.seq - master.seq)));
  if ((flags & kStreamItemSameFields) != 0) {
    for (int64_t i = 0; i < numfields; ++i) {
      out.push_back(LpEntry::String(fields_values[static_cast<size_t>(2 * i + 1)]));
    }
    out.push_back(LpEntry::Int(numfields + 3));
  } else {
    out.push_back(LpEntry::Int(numfields));
    for (std::string_view s : fields_values) out.push_back(LpEntry::String(s));
    out.push_back(LpEntry::Int(2 * numfields + 4));
  }
  lp = LpBatchAppend(lp, out);
  if (nodes_.Valid(pos) && nodes_.KeyAt(pos) == master) {
    nodes_.ValueAt(pos) = lp;
  } else {
    nodes_.Insert(master, lp);
  }
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

int64_t Stream::Trim(const StreamTrimArgs& args) {
  using Strategy = StreamTrimArgs::Strategy;
  if (args.strategy == Strategy::kNone) return 0;
  if (args.strategy == Strategy::kMaxLen && length_ <= static_cast<uint64_t>(args.maxlen)) {
    return 0;
  }
  int64_t deleted = 0;
  auto pos = nodes_.Begin();
  while (nodes_.Valid(pos)) {
    if (args.strategy == Strategy::kMaxLen && length_ <= static_cast<uint64_t>(args.maxlen)) {
      break;
    }
    uint8_t* lp = nodes_.ValueAt(pos);
    const StreamId master = nodes_.KeyAt(pos);
    NodeHead h = ReadHead(lp);
    if (args.limit != 0 && deleted + h.count > args.limit) break;

    bool remove_node;
    if (args.strategy == Strategy::kMaxLen) {
      remove_node = length_ - static_cast<uint64_t>(h.count) >= static_cast<uint64_t>(args.maxlen);
    } else {
      remove_node = NodeLastId(lp, master) < args.minid;
    }
    if (remove_node) {
      LpFree(lp);
      pos = nodes_.EraseAt(pos);
      length_ -= static_cast<uint64_t>(h.count);
      deleted += h.count;
      continue;
    }
    if (args.approx) break;

    // Mark entries deleted from the head of this node.
    int64_t from_node = 0;
    uint8_t* p = h.first_entry;
    while (p != nullptr) {
      int64_t flags;
      StreamId id;
      uint8_t* lpcount = ScanEntry(lp, p, master, h.master_fields, &flags, &id);
      const bool stop = args.strategy == Strategy::kMaxLen
                            ? length_ <= static_cast<uint64_t>(args.maxlen)
                            : !(id < args.minid);
      if (stop) break;
      if ((flags & kStreamItemDeleted) == 0) {
        // Same-size replacement: flags stay below 128.
        const size_t next_off = static_cast<size_t>(lpcount - lp);
        lp = LpReplaceInteger(lp, p, flags | kStreamItemDeleted).lp;
        lpcount = lp + next_off;
        ++from_node;
        --length_;
      }
      p = LpNext(lp, lpcount);
    }
    deleted += from_node;
    lp = SetCounts(lp, h.count - from_node, h.deleted + from_node);
    nodes_.ValueAt(pos) = lp;
    break;
  }
  if (deleted > 0) first_id_ = length_ == 0 ? StreamId::Min() : EdgeId(true, true);
  return deleted;
}

bool Stream::DeleteEntry(const StreamId& target) {
  auto pos = nodes_.Floor(target);
  if (!nodes_.Valid(pos)) return false;
  uint8_t* lp = nodes_.ValueAt(pos);
  const StreamId master = nodes_.KeyAt(pos);
  const NodeHead h = ReadHead(lp);
  for (uint8_t* p = h.first_entry; p != nullptr;) {
    int64_t flags;
    StreamId id;
    uint8_t* lpcount = ScanEntry(lp, p, master, h.master_fields, &flags, &id);
    if (target < id) return false;
    if (id == target) {
      if ((flags & kStreamItemDeleted) != 0) return false;
      --length_;
      if (h.count == 1) {
        LpFree(lp);
        nodes_.EraseAt(pos);
        return true;
      }
      lp = LpReplaceInteger(lp, p, flags | kStreamItemDeleted).lp;
      nodes_.ValueAt(pos) = SetCounts(lp, h.count - 1, h.deleted + 1);
      return true;
    }
    p = LpNext(lp, lpcount);
  }
  return false;
}

bool Stream::EntryExists(const StreamId& id) const {
  StreamIterator it(*this, id, id, false);
  return it.Next();
}

StreamId Stream::EdgeId(bool first, bool skip_tombstones) const {
  StreamIterator it(*this, StreamId::Min(), StreamId::Max(), !first, skip_tombstones);
  if (it.Next()) return it.id();
  return first ? StreamId::Max() : StreamId::Min();
}

bool Stream::RangeHasTombstones(const StreamId* start, const StreamId* end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  const StreamId s = start != nullptr ? *start : StreamId::Min();
  const StreamId e = end != nullptr ? *end : StreamId::Max();
  return s <= max_deleted_id_ && max_deleted_id_ <= e;
}

int64_t Stream::EstimateDistanceFromFirstEverEntry(const StreamId& id) const {
  if (entries_added_ == 0) return 0;
  const auto added = static_cast<int64_t>(entries_added_);
  if (length_ == 0 && id <= last_id_) return added;
  if (id == last_id_) return added;
  if (id > last_id_) return kStreamInvalidEntriesRead;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return added - static_cast<int64_t>(length_);
    if (id == first_id_) return added - static_cast<int64_t>(length_) + 1;
  }
  return kStreamInvalidEntriesRead;
}

StreamGroup* Stream::FindGroup(std::string_view name) const {
  StreamGroup* const* g = groups_.Find(name);
  return g != nullptr ? *g : nullptr;
}

StreamGroup* Stream::CreateGroup(std::string_view name, const StreamId& last_id,
                                 int64_t entries_read) {
  if (groups_.Contains(name)) return nullptr;
  StreamGroup* g = NewNamed<StreamGroup>(name);
  g->last_id = last_id;
  g->entries_read = entries_read;
  groups_.Insert(g->name(), g);
  return g;
}

bool Stream::DestroyGroup(std::string_view name) {
  StreamGroup* g = FindGroup(name);
  if (g == nullptr) return false;
  groups_.Erase(name);
  FreeGroup(g);
  return true;
}

bool Stream::AppendLoadedNode(const StreamId& master_id, uint8_t* lp) {
  int64_t live = 0;
  StreamId last;
  if (!StreamValidateNode(lp, LpBytes(lp), master_id, true, &live, &last)) return false;
  if (live == 0) return false;
  auto pos = nodes_.Last();
  if (nodes_.Valid(pos) && !(nodes_.KeyAt(pos) < master_id)) return false;
  nodes_.Insert(master_id, lp);
  length_ += static_cast<uint64_t>(live);
  return true;
}

size_t Stream::Defrag(size_t* pos, size_t max_nodes) {
  size_t lps = 0;
  const size_t chunks = nodes_.Defrag(pos, max_nodes, [&](uint8_t*& lp) {
    if (void* p = mem::DefragMove(lp)) {
      lp = static_cast<uint8_t*>(p);
      ++lps;
    }
  });
  return chunks + lps;
}

size_t Stream::MemoryUsage(size_t samples) const {
  (void)samples;  // always exact: one usable-size lookup per node
  size_t bytes = mem::UsableSize(this) + nodes_.MemoryUsage();
  nodes_.ForEach([&](const StreamId&, uint8_t* const& lp) {
    bytes += mem::UsableSize(lp);
    return true;
  });
  bytes += groups_.MemoryUsage();
  groups_.ForEach([&](const std::string_view&, StreamGroup* const& g) {
    bytes += mem::UsableSize(g) + g->pel.MemoryUsage() + g->consumers.MemoryUsage();
    g->consumers.ForEach([&](const std::string_view&, StreamConsumer* const& c) {
      bytes += mem::UsableSize(c) + c->pel.MemoryUsage();
      return true;
    });
    return true;
  });
  return bytes;
}

size_t Stream::FreeEffort() const {
  size_t effort = 1 + nodes_.size() + nodes_.Allocations();
  groups_.ForEach([&](const std::string_view&, StreamGroup* const& g) {
    effort += 1 + g->pel.Allocations() + g->consumers.size();
    return true;
  });
  return effort;
}

// ---- StreamIterator
// ------------------------------------------------------------------------------

StreamIterator::StreamIterator(const Stream& s, const StreamId& start, const StreamId& end,
                               bool rev, bool skip_tombstones)
    : s_(&s), start_(start), end_(end), rev_(rev), skip_tombstones_(skip_tombstones) {
  if (end < start) {
    done_ = true;
    return;
  }
  if (rev) {
    pos_ = s.nodes_.Floor(end);
  } else {
    pos_ = s.nodes_.Floor(start);
    if (!s.nodes_.Valid(pos_)) pos_ = s.nodes_.Begin();
  }
}

bool StreamIterator::EnterNode() {
  const auto& nodes = s_->nodes_;
  if (!nodes.Valid(pos_)) return false;
  master_id_ = nodes.KeyAt(pos_);
  lp_ = nodes.ValueAt(pos_);
  const NodeHead h = ReadHead(lp_);
  master_fields_ = h.master_fields;
  master_first_field_ = h.first_field;
  first_entry_ = h.first_entry;
  return true;
}

void StreamIterator::ReadEntry(uint8_t* p) {
  entry_ = p;
  flags_ = IntAt(p);
  p = LpNext(lp_, p);
  id_.ms = master_id_.ms + static_cast<uint64_t>(IntAt(p));
  p = LpNext(lp_, p);
  id_.seq = master_id_.seq + static_cast<uint64_t>(IntAt(p));
  p = LpNext(lp_, p);
  int64_t skip;
  if ((flags_ & kStreamItemSameFields) != 0) {
    num_fields_ = master_fields_;
    skip = num_fields_;
    master_field_pos_ = master_first_field_;
  } else {
    num_fields_ = IntAt(p);
    p = LpNext(lp_, p);
    skip = 2 * num_fields_;
  }
  field_pos_ = p;
  fields_left_ = num_fields_;
  for (int64_t i = 0; i < skip; ++i) p = LpNext(lp_, p);
  lpcount_ = p;
}

bool StreamIterator::Next() {
  const auto& nodes = s_->nodes_;
  while (!done_) {
    uint8_t* p;
    if (!in_node_) {
      if (!EnterNode()) {
        done_ = true;
        return false;
      }
      in_node_ = true;
      if (rev_) {
        p = LpLast(lp_);
        const int64_t back = IntAt(p);
        for (int64_t i = 0; i < back; ++i) p = LpPrev(lp_, p);
      } else {
        p = first_entry_;
      }
    } else if (rev_) {
      if (entry_ == first_entry_) {
        p = nullptr;
      } else {
        p = LpPrev(lp_, entry_);
        const int64_t back = IntAt(p);
        for (int64_t i = 0; i < back; ++i) p = LpPrev(lp_, p);
      }
    } else {
      p = LpNext(lp_, lpcount_);
    }
    if (p == nullptr) {
      in_node_ = false;
      pos_ = rev_ ? nodes.Prev(pos_) : nodes.Next(pos_);
      continue;
    }
    ReadEntry(p);
    if (!rev_) {
      if (end_ < id_) {
        done_ = true;
        return false;
      }
      if (id_ < start_) continue;
    } else {
      if (id_ < start_) {
        done_ = true;
        return false;
      }
      if (end_ < id_) continue;
    }
    if (skip_tombstones_ && deleted()) continue;
    return true;
  }
  return false;
}

bool StreamIterator::NextField(LpEntry* field, LpEntry* value) {
  if (fields_left_ == 0) return false;
  --fields_left_;
  if ((flags_ & kStreamItemSameFields) != 0) {
    *field = LpGet(master_field_pos_);
    master_field_pos_ = LpNext(lp_, master_field_pos_);
  } else {
    *field = LpGet(field_pos_);
    field_pos_ = LpNext(lp_, field_pos_);
  }
  *value = LpGet(field_pos_);
  field_pos_ = LpNext(lp_, field_pos_);
  return true;
}

// ---- consumers and PELs
// ---------------------------------------------------------------------------

StreamConsumer* StreamFindConsumer(const StreamGroup& g, std::string_view name) {
  StreamConsumer* const* c = g.consumers.Find(name);
  return c != nullptr ? *c : nullptr;
}

StreamConsumer* StreamCreateConsumer(StreamGroup* g, std::string_view name, int64_t now_ms) {
  if (g->consumers.Contains(name)) return nullptr;
  StreamConsumer* c = NewNamed<StreamConsumer>(name);
  c->seen_time = now_ms;
  c->active_time = -1;
  g->consumers.Insert(c->name(), c);
  return c;
}

size_t StreamDeleteConsumer(StreamGroup* g, StreamConsumer* c) {
  const size_t pending = c->pel.size();
  c->pel.ForEach([&](const StreamId& id, const StreamEmpty&) {
    g->pel.Erase(id);
    return true;
  });
  g->consumers.Erase(c->name());
  FreeConsumer(c);
  return pending;
}

StreamNack* StreamPelDeliver(StreamGroup* g, StreamConsumer* c, const StreamId& id,
                             int64_t now_ms) {
  StreamNack* n = g->pel.Find(id);
  if (n == nullptr) {
    g->pel.Insert(id, StreamNack{now_ms, 1, c});
    c->pel.Insert(id, StreamEmpty{});
    return g->pel.Find(id);
  }
  if (n->consumer != nullptr) n->consumer->pel.Erase(id);
  n->consumer = c;
  n->delivery_time = now_ms;
  n->delivery_count = 1;
  c->pel.Insert(id, StreamEmpty{});
  return n;
}

bool StreamPelRemove(StreamGroup* g, const StreamId& id) {
  StreamNack* n = g->pel.Find(id);
  if (n == nullptr) return false;
  if (n->consumer != nullptr) n->consumer->pel.Erase(id);
  g->pel.Erase(id);
  return true;
}

void StreamPelAssign(StreamGroup* g, const StreamId& id, StreamConsumer* c) {
  StreamNack* n = g->pel.Find(id);
  MNEMO_ASSERT(n != nullptr);
  if (n->consumer == c) return;
  if (n->consumer != nullptr) n->consumer->pel.Erase(id);
  n->consumer = c;
  c->pel.Insert(id, StreamEmpty{});
}

bool StreamPelInsertLoaded(StreamGroup* g, const StreamId& id, const StreamNack& nack) {
  if (!g->pel.Insert(id, nack)) return false;
  if (nack.consumer != nullptr) nack.consumer->pel.Insert(id, StreamEmpty{});
  return true;
}

// ---- validation
// ------------------------------------------------------------------------------------

bool StreamValidateNode(const uint8_t* lp_const, size_t size, const StreamId& master_id, bool deep,
                        int64_t* live, StreamId* last_id) {
  if (!LpValidate(lp_const, size, deep)) return false;
  if (!deep) return true;
  uint8_t* lp = const_cast<uint8_t*>(lp_const);
  // Every step checks for the end; integers must be integers.
  auto next_int = [&](uint8_t*& p, int64_t* v) {
    if (p == nullptr) return false;
    const LpEntry e = LpGet(p);
    if (!e.is_int) return false;
    *v = e.int_value;
    p = LpNext(lp, p);
    return true;
  };
  auto skip = [&](uint8_t*& p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      if (p == nullptr) return false;
      p = LpNext(lp, p);
    }
    return true;
  };
  uint8_t* p = LpFirst(lp);
  int64_t count, deleted, master_fields, zero;
  if (!next_int(p, &count) || !next_int(p, &deleted) || !next_int(p, &master_fields)) {
    return false;
  }
  if (count < 0 || deleted < 0 || master_fields <= 0 ||
      master_fields > static_cast<int64_t>(size)) {
    return false;
  }
  if (!skip(p, master_fields) || !next_int(p, &zero) || zero != 0) return false;
  int64_t seen_live = 0, seen_deleted = 0;
  StreamId prev;
  bool have_prev = false;
  while (p != nullptr) {
    int64_t flags, ms_delta, seq_delta, nf, lp_count;
    if (!next_int(p, &flags) || !next_int(p, &ms_delta) || !next_int(p, &seq_delta)) return false;
    if ((flags & ~(kStreamItemDeleted | kStreamItemSameFields)) != 0) return false;
    const StreamId id{master_id.ms + static_cast<uint64_t>(ms_delta),
                      master_id.seq + static_cast<uint64_t>(seq_delta)};
    if (have_prev ? !(prev < id) : id != master_id) return false;
    prev = id;
    have_prev = true;
    int64_t expect;
    if ((flags & kStreamItemSameFields) != 0) {
      if (!skip(p, master_fields)) return false;
      expect = master_fields + 3;
    } else {
      if (!next_int(p, &nf) || nf <= 0 || nf > static_cast<int64_t>(size)) return false;
      if (!skip(p, 2 * nf)) return false;
      expect = 2 * nf + 4;
    }
    if (!next_int(p, &lp_count) || lp_count != expect) return false;
    if ((flags & kStreamItemDeleted) != 0) {
      ++seen_deleted;
    } else {
      ++seen_live;
    }
  }
  if (!have_prev || seen_live != count || seen_deleted != deleted) return false;
  if (live != nullptr) *live = seen_live;
  if (last_id != nullptr) *last_id = prev;
  return true;
}

}  // namespace mnemo::ds

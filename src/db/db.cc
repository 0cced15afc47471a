// db.cc: databases, lookups with lazy expiry, relocation of moved objects (layer: db).
#include "mnemo/db/db.h"

#include <algorithm>
#include <memory>

#include "mnemo/base/crc16.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

// The expand guard of the keys table (Redis 7 dictExpandAllowed): under maxmemory,
// a table does not grow (until its load passes ds::Dict's kMaxLoadFactor) when the new bucket
// array would take used memory over the limit. Without it, the doubling that comes when the key
// count reaches a power of two allocates 16 bytes per key at once (2 MB at 131,072 keys): memory
// jumps that far over the limit and eviction must then throw out that many bytes of keys.
bool ExpandAllowed(const void* context, size_t more_bytes, double /*load*/) {
  const uint64_t limit = static_cast<const Keyspace*>(context)->options().maxmemory;
  return limit == 0 || mem::UsedMemory() + more_bytes <= limit;
}

}  // namespace

Db::Db(Keyspace* keyspace, int id) : keyspace_(keyspace), changes_(&keyspace->changes()), id_(id) {
  keys_.set_expand_guard(&ExpandAllowed, keyspace);
}

Db::~Db() { Clear(false); }

bool Db::IsExpired(const Object* o) const {
  return o->has_expire() && o->expire_ms() < keyspace_->now_ms() &&
         keyspace_->options().keys_expire;
}

void Db::Touch(Object* o) {
  const Options& opts = keyspace_->options();
  if (IsLfu(opts.maxmemory_policy)) {
    o->set_lru(LfuTouch(o->lru(), keyspace_->now_ms(), opts));
  } else {
    o->set_lru(keyspace_->lru_clock());
  }
}

Object* Db::Lookup(std::string_view key, bool touch, bool count, bool write) {
  Object* o = keys_.Find(key);
  if (o != nullptr && IsExpired(o)) {
    if (!keyspace_->replica_expiry()) {
      DeleteExpired(o);
      o = nullptr;
    } else if (!keyspace_->applying_master()) {
      o = nullptr;  // hidden; the primary's DEL removes it
    }
  }
  if (o != nullptr && write) GuardWrite(o);
  if (count) {
    if (o != nullptr) {
      ++keyspace_->stats().keyspace_hits;
    } else {
      ++keyspace_->stats().keyspace_misses;
      changes().Event(kNotifyKeyMiss, "keymiss", *this, key);
    }
  }
  if (o != nullptr && touch && !keyspace_->no_touch()) Touch(o);
  return o;
}

Object* Db::LookupRead(std::string_view key) { return Lookup(key, true, true, false); }
Object* Db::LookupWrite(std::string_view key) { return Lookup(key, true, false, true); }
Object* Db::LookupNoTouch(std::string_view key) { return Lookup(key, false, false, true); }
Object* Db::LookupReadNoTouch(std::string_view key) { return Lookup(key, false, true, false); }

Changes& Db::changes() { return keyspace_->changes(); }

void Db::CountSlots() {
  MNEMO_ASSERT(keys_.size() == 0);
  slot_keys_ = std::make_unique<uint32_t[]>(kClusterSlots);
}

void Db::AddQuietly(Object* o) {
  MarkNew(o);
  keys_.Insert(o);
  if (slot_keys_) ++slot_keys_[KeyHashSlot(o->key())];
  CountExpire(o, 1);
}

void Db::Add(Object* o) {
  AddQuietly(o);
  changes().Event(kNotifyNew, "new", *this, o->key());
}

void Db::Relocate(Object* old, Object* moved) {
  MNEMO_ASSERT(old->has_expire() == moved->has_expire());
  // The change that moved it came through a write lookup: the guard has seen the key.
  MarkNew(moved);
  const KeyTable::Pos pos = keys_.FindLink(old->key());
  MNEMO_ASSERT(pos && pos.node() == old);
  keys_.ReplaceAt(pos, moved);
}

Object* Db::Repack(Object* o) {
  if (o->type() != ObjType::kHash && o->type() != ObjType::kZset) return o;
  // An inline listpack's slot is always exact: created at its size, and taken out
  // (WritableListpack) before any write that changes it.
  if (o->has_inline_listpack()) return o;
  const bool with_expire = o->has_expire();
  const int64_t expire_ms = with_expire ? o->expire_ms() : 0;
  Object::ValueInit v = o->value_init();
  uint8_t* own_block = nullptr;  // a listpack that moves into the slot
  if (o->encoding() == Encoding::kListpack) {
    uint8_t* lp = o->listpack_block();
    if (auto in_slot = Object::InlineListpack(o->key().size(), with_expire, expire_ms, lp)) {
      own_block = lp;
      v = *in_slot;
    }
  }
  if (own_block == nullptr &&
      Object::SizeFor(o->key().size(), with_expire, expire_ms, v) == o->BlockSize()) {
    return o;  // in its slot already, or a word in a slot of the word's size
  }
  Object* moved = Object::CloneWithValue(*o, o->type(), v, with_expire, expire_ms);
  Relocate(o, moved);
  Object::Destroy(o);
  if (own_block != nullptr) ds::LpFree(own_block);
  return moved;
}

void Db::Overwrite(Object* old, Object* o) {
  GuardWrite(old);
  MarkNew(o);
  const Options& opts = keyspace_->options();
  if (IsLfu(opts.maxmemory_policy)) o->set_lru(old->lru());
  const KeyTable::Pos pos = keys_.FindLink(old->key());
  MNEMO_ASSERT(pos && pos.node() == old);
  keys_.ReplaceAt(pos, o);
  CountExpire(old, -1);
  CountExpire(o, 1);
  Dispose(old, opts.lazyfree_lazy_server_del);
}

Object* Db::Detach(Object* o) {
  GuardWrite(o);
  const KeyTable::Pos pos = keys_.FindLink(o->key());
  MNEMO_ASSERT(pos && pos.node() == o);
  keys_.UnlinkAt(pos);
  if (slot_keys_) --slot_keys_[KeyHashSlot(o->key())];
  CountExpire(o, -1);
  return o;
}

void Db::Dispose(Object* o, bool lazy) {
  const ValueRef v = ValueOf(*o);
  if (lazy && FreeEffort(v) > LazyFree::kThreshold) {
    keyspace_->lazyfree().FreeValueAsync(v);
    Object::Destroy(o);
    return;
  }
  FreeObject(o);
}

bool Db::Delete(std::string_view key, bool lazy) {
  Object* o = keys_.Find(key);
  if (o == nullptr) return false;
  const bool live = !IsExpired(o) || keyspace_->replica_expiry();
  if (!live) {
    DeleteExpired(o);
    return false;
  }
  Dispose(Detach(o), lazy);
  return true;
}

void Db::DeleteExpired(Object* o) {
  const bool lazy = keyspace_->options().lazyfree_lazy_expire;
  Detach(o);
  // The key lives in the block: announce before it is freed (Redis deleteExpiredKeyAndPropagate:
  // the event, the modified signal, then the propagated deletion).
  Changes& ch = changes();
  ch.Event(kNotifyExpired, "expired", *this, o->key());
  ch.Modified(*this, o->key());
  ch.PropagateDeletion(*this, o->key(), lazy);
  Dispose(o, lazy);
  ++keyspace_->stats().expired_keys;
}

bool Db::DeleteIfEmpty(Object* o) {
  if (!ValueIsEmpty(*o)) return false;
  Detach(o);
  changes().KeyChanged(*this, o->key(), kNotifyGeneric, "del", 0);
  Dispose(o, false);
  return true;
}

Object* Db::SetExpire(Object* o, int64_t when_ms) {
  GuardWrite(o);
  if (o->has_expire() && o->TrySetExpire(when_ms)) {
    NoteExpire(when_ms);
    return o;
  }
  // No slot, or a compact slot that cannot hold this time: a block with the right slot.
  Object* moved = Object::CloneWithValue(*o, o->type(), o->value_init(), true, when_ms);
  MarkNew(moved);
  const KeyTable::Pos pos = keys_.FindLink(o->key());
  MNEMO_ASSERT(pos && pos.node() == o);
  keys_.ReplaceAt(pos, moved);
  CountExpire(o, -1);
  CountExpire(moved, 1);
  Object::Destroy(o);  // the value now belongs to `moved`
  return moved;
}

Object* Db::RemoveExpire(Object* o) {
  if (!o->has_expire()) return o;
  GuardWrite(o);
  CountExpire(o, -1);
  Object* moved = Object::CloneWithValue(*o, o->type(), o->value_init(), false, 0);
  MarkNew(moved);
  const KeyTable::Pos pos = keys_.FindLink(o->key());
  MNEMO_ASSERT(pos && pos.node() == o);
  keys_.ReplaceAt(pos, moved);
  Object::Destroy(o);
  return moved;
}

Object* Db::RandomKey() {
  // If every key has a TTL, all sampled keys may be expired; stop after a bounded number of
  // tries and return an expired one rather than loop (Redis dbRandomKey).
  int max_tries = 100;
  const bool all_volatile = expires_ == keys_.size();
  while (keys_.size() > 0) {
    Object* o = keys_.FairRandomNode();
    if (!IsExpired(o)) return o;
    if (all_volatile && --max_tries == 0) return o;
    if (keyspace_->replica_expiry()) {
      // A replica does not delete: it looks a bounded number of times for a live key.
      if (--max_tries <= 0) return o;
      continue;
    }
    DeleteExpired(o);
  }
  return nullptr;
}

void Db::Clear(bool async) {
  if (keys_.size() == 0) return;
  if (KeyWriteGuard* g = changes_->write_guard()) g->BeforeDbClear(*this);
  if (slot_keys_) std::fill_n(slot_keys_.get(), kClusterSlots, 0u);
  if (async) {
    // Hand the table over whole: O(1) here, O(n) on the lazy-free thread.
    auto keys = std::make_shared<KeyTable>(std::move(keys_));
    const size_t n = keys->size();
    keyspace_->lazyfree().Submit([keys] { keys->Clear([](Object* o) { FreeObject(o); }); }, n);
  } else {
    keys_.Clear([](Object* o) { FreeObject(o); });
  }
  expires_ = 0;
  expires_cursor = 0;
  expire_floor_ = pass_floor_ = INT64_MAX;
  volatile_cursor_ = 0;
}

void Db::Swap(Db& other) {
  if (KeyWriteGuard* g = changes_->write_guard()) g->BeforeDbSwap(*this, other);
  keys_.Swap(other.keys_);
  std::swap(expires_, other.expires_);
  std::swap(expires_cursor, other.expires_cursor);
  std::swap(expire_floor_, other.expire_floor_);
  std::swap(pass_floor_, other.pass_floor_);
  std::swap(volatile_cursor_, other.volatile_cursor_);
  std::swap(avg_ttl_ms, other.avg_ttl_ms);
  std::swap(slot_keys_, other.slot_keys_);
}

Keyspace::Keyspace(int num_dbs) : compressor_(&options_, num_dbs) {
  for (int i = 0; i < num_dbs; ++i) dbs_.push_back(std::make_unique<Db>(this, i));
}

Keyspace::~Keyspace() {
  dbs_.clear();
  lazyfree_.Drain();
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& d : dbs_) n += d->size();
  return n;
}

uint32_t Keyspace::InitialLru() const {
  if (IsLfu(options_.maxmemory_policy)) return LfuInitialField(now_ms_);
  return lru_clock_;
}

size_t Keyspace::FlushDb(int i, bool async) {
  Db& d = db(i);
  const size_t n = d.size();
  changes_.Flushing(d);
  d.Clear(async);
  return n;
}

size_t Keyspace::FlushAll(bool async) {
  size_t n = 0;
  for (int i = 0; i < num_dbs(); ++i) n += FlushDb(i, async);
  return n;
}

void Keyspace::SwapDbs(int a, int b) {
  if (a == b) return;
  changes_.Swapping(db(a), db(b));
  db(a).Swap(db(b));
}

size_t Db::TableShare() const { return keys_.size() > 0 ? keys_.BucketBytes() / keys_.size() : 0; }

size_t Db::SampleVolatile(Object** out, size_t count) {
  if (expires_ == 0 || count == 0) return 0;
  if (count > expires_) count = expires_;
  size_t stored = 0;
  size_t examined = 0;
  // Random runs of buckets (Redis samples its expires dict the same way) while volatile keys are
  // common enough that a run finds some: at least one key in 8.
  if (expires_ * 8 >= keys_.size()) {
    constexpr size_t kRun = 64;
    Object* run[kRun];
    while (stored < count && examined < kVolatileExamine) {
      const size_t got = keys_.SampleNodes(run, kRun);
      if (got == 0) break;
      examined += got;
      for (size_t i = 0; i < got && stored < count; ++i) {
        if (run[i]->has_expire()) out[stored++] = run[i];
      }
    }
    if (stored > 0) return stored;
  }
  // Rare: go on with the scan of the marked buckets, so that a sweep of the table meets every
  // one of them.
  while (stored < count && examined < kVolatileExamine) {
    volatile_cursor_ = keys_.ScanMarked(volatile_cursor_, [&](Object* o) {
      ++examined;
      if (stored < count) out[stored++] = o;
    });
    ++examined;  // a step over unmarked buckets costs one too
    if (volatile_cursor_ == 0 && stored > 0) break;
  }
  return stored;
}

Object* Db::RandomVolatile() {
  Object* o = nullptr;
  return SampleVolatile(&o, 1) == 1 ? o : nullptr;
}

}  // namespace mnemo::db

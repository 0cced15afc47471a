// set_type.cc: set encodings (intset, listpack, hashtable) and their conversions, following
// Redis 7.2's t_set.c (layer: db). Encodings and memory arithmetic: set_type.h.
#include "mnemo/db/set_type.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <unordered_set>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/random.h"
#include "mnemo/ds/dict.h"
#include "mnemo/ds/hash.h"
#include "mnemo/ds/intset.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/ds/varint.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

std::string_view SetMember::Bytes(IntBuffer& buf) const {
  if (!is_int) return str;
  return {buf, FormatInt64(buf, ll)};
}

namespace {

// ---- hashtable member nodes -------------------------------------------------------------------
//
// A node is one allocation: [SetNode* next: 8][member length: varint][member bytes].
// The varint is LEB128: 7 bits per byte, low bits first, the high bit set on every byte but the
// last; one byte for members below 128 bytes (nearly all), two below 16 KiB, at most ten.
struct SetNode;

constexpr size_t kNextSize = sizeof(SetNode*);
using ds::PutVarint;
using ds::VarintSize;

std::string_view NodeMember(const SetNode* n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(n) + kNextSize;
  uint64_t len = 0;
  p = ds::GetVarint(p, &len);
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(len)};
}

SetNode* NewNode(std::string_view member) {
  const size_t vs = VarintSize(member.size());
  auto* b = static_cast<uint8_t*>(mem::Alloc(kNextSize + vs + member.size()));
  std::memset(b, 0, kNextSize);
  PutVarint(b + kNextSize, member.size());
  if (!member.empty()) std::memcpy(b + kNextSize + vs, member.data(), member.size());
  return reinterpret_cast<SetNode*>(b);
}

void FreeNode(SetNode* n) { mem::Free(n); }

struct SetNodeTraits {
  using Node = SetNode;
  static SetNode** NextField(SetNode* n) { return reinterpret_cast<SetNode**>(n); }
  static std::string_view Key(const SetNode* n) { return NodeMember(n); }
  static uint64_t Hash(std::string_view key) { return ds::HashBytes(key); }
};

using SetDict = ds::Dict<SetNodeTraits>;

// The table lives in a heap block of its own (80 bytes) that the value word points to.
SetDict* NewDict(size_t capacity) {
  auto* d = new (mem::Alloc(sizeof(SetDict))) SetDict();
  if (capacity > 0) d->Reserve(capacity);
  return d;
}

void FreeDict(SetDict* d) {
  d->Clear(FreeNode);
  d->~SetDict();
  mem::Free(d);
}

// Inserts a member known not to be in the table.
void DictInsertNew(SetDict* d, std::string_view member) { d->Insert(NewNode(member)); }

// Walks every node until fn returns false. Uses the scan cursor with rehashing paused: with the
// tables unchanged, a full scan reports every node exactly once, and unlike ForEach it can stop.
template <typename F>
void DictForEachUntil(SetDict* d, F&& fn) {
  d->PauseRehash();
  bool go = true;
  uint64_t cursor = 0;
  do {
    cursor = d->Scan(cursor, [&](SetNode* n) {
      if (go && !fn(n)) go = false;
    });
  } while (cursor != 0 && go);
  d->ResumeRehash();
}

// ---- accessors ----------------------------------------------------------------------------------

uint8_t* Lp(const Object* o) { return static_cast<uint8_t*>(o->ptr()); }
ds::Intset* Is(const Object* o) { return static_cast<ds::Intset*>(o->ptr()); }
SetDict* Ht(const Object* o) { return static_cast<SetDict*>(o->ptr()); }

SetMember FromLp(const ds::LpEntry& e) {
  if (e.is_int) return SetMember::Int(e.int_value);
  return SetMember::String({reinterpret_cast<const char*>(e.str), e.len});
}

std::optional<int64_t> AsInt(const SetMember& m) {
  if (m.is_int) return m.ll;
  return ParseInt64(m.str);
}

// Bounds from the options, as unsigned sizes (the config table keeps them >= 0).
size_t MaxIntsetEntries(const Keyspace& ks) {
  // Redis intsetMaxEntries: at most 2^30 because of the intset's 32-bit length arithmetic.
  const auto v = static_cast<size_t>(ks.options().set_max_intset_entries);
  return std::min(v, size_t{1} << 30);
}
size_t MaxListpackEntries(const Keyspace& ks) {
  return static_cast<size_t>(ks.options().set_max_listpack_entries);
}
size_t MaxListpackValue(const Keyspace& ks) {
  return static_cast<size_t>(ks.options().set_max_listpack_value);
}

bool LpContains(uint8_t* lp, std::string_view s) {
  uint8_t* p = ds::LpFirst(lp);
  return p != nullptr && ds::LpFind(lp, p, s, 0) != nullptr;
}

// Digits of v in base 10, with the minus sign (Redis sdigits10).
size_t SignedDigits(int64_t v) {
  IntBuffer buf;
  return FormatInt64(buf, v);
}

void FreeEncoded(Encoding enc, void* ptr) {
  switch (enc) {
    case Encoding::kIntset:
      ds::IntsetFree(static_cast<ds::Intset*>(ptr));
      return;
    case Encoding::kListpack:
      ds::LpFree(static_cast<uint8_t*>(ptr));
      return;
    case Encoding::kHashtable:
      FreeDict(static_cast<SetDict*>(ptr));
      return;
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
}

void* NewEmptyValue(Encoding enc, size_t capacity) {
  switch (enc) {
    case Encoding::kIntset:
      return ds::IntsetNew();
    case Encoding::kListpack:
      return ds::LpNew(capacity);
    case Encoding::kHashtable:
      return NewDict(capacity);
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return nullptr;
}

// An empty set object of the given encoding (for results under construction).
Object* NewEmptySet(const Keyspace& ks, std::string_view key, Encoding enc, size_t capacity) {
  Object::ValueInit v{enc, {}, reinterpret_cast<uint64_t>(NewEmptyValue(enc, capacity)), false};
  return Object::Create(key, ObjType::kSet, v, false, 0, ks.InitialLru());
}

// Gives `o` the value of `from` and frees o's old value and the block of `from`.
void TakeValue(Object* o, Object* from) {
  FreeEncoded(o->encoding(), o->ptr());
  o->set_encoding(from->encoding());
  o->set_ptr(from->ptr());
  Object::Destroy(from);
}

void ForEachMember(Object* o, SetMemberUntilFn fn) {
  switch (o->encoding()) {
    case Encoding::kIntset: {
      const ds::Intset* is = Is(o);
      const uint32_t n = ds::IntsetLen(is);
      for (uint32_t i = 0; i < n; ++i) {
        if (!fn(SetMember::Int(ds::IntsetGet(is, i)))) return;
      }
      return;
    }
    case Encoding::kListpack: {
      uint8_t* lp = Lp(o);
      for (uint8_t* p = ds::LpFirst(lp); p != nullptr; p = ds::LpNext(lp, p)) {
        if (!fn(FromLp(ds::LpGet(p)))) return;
      }
      return;
    }
    case Encoding::kHashtable:
      DictForEachUntil(Ht(o), [&](SetNode* n) { return fn(SetMember::String(NodeMember(n))); });
      return;
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
}

// ---- conversions (Redis setTypeConvertAndExpand, maybeConvertToIntset) --------------------------

// REQUIRES: o is not a hashtable. The table is presized for `capacity` members.
void ConvertToHashtable(Object* o, size_t capacity) {
  MNEMO_ASSERT(o->encoding() != Encoding::kHashtable);
  SetDict* d = NewDict(std::max(capacity, SetSize(*o)));
  ForEachMember(o, [&](const SetMember& m) {
    IntBuffer buf;
    DictInsertNew(d, m.Bytes(buf));
    return true;
  });
  FreeEncoded(o->encoding(), o->ptr());
  o->set_encoding(Encoding::kHashtable);
  o->set_ptr(d);
}

// REQUIRES: o is an intset. Reserves room for `capacity` members (the caller shrinks the
// listpack once it has added what it meant to add).
void ConvertIntsetToListpack(Object* o, size_t capacity) {
  ds::Intset* is = Is(o);
  size_t estimate = capacity * 2;  // the smallest entry: 1 byte + 1 byte of back-length
  if (ds::IntsetLen(is) > 0) {
    estimate = capacity * std::max(ds::LpEncodedEntryBytes(ds::LpEntry::Int(ds::IntsetMin(is))),
                                   ds::LpEncodedEntryBytes(ds::LpEntry::Int(ds::IntsetMax(is))));
  }
  uint8_t* lp = ds::LpNew(ds::kLpEmptySize + estimate);
  const uint32_t n = ds::IntsetLen(is);
  for (uint32_t i = 0; i < n; ++i) lp = ds::LpAppendInteger(lp, ds::IntsetGet(is, i));
  ds::IntsetFree(is);
  o->set_encoding(Encoding::kListpack);
  o->set_ptr(lp);
}

// After an intset grew: a hashtable once it holds more than set-max-intset-entries.
void MaybeConvertIntset(const Keyspace& ks, Object* o) {
  if (ds::IntsetLen(Is(o)) > MaxIntsetEntries(ks)) ConvertToHashtable(o, SetSize(*o));
}

// When every member is known to be an integer: an intset if the set is small enough for one.
void MaybeConvertToIntset(const Keyspace& ks, Object* o) {
  if (o->encoding() == Encoding::kIntset) return;
  if (SetSize(*o) > MaxIntsetEntries(ks)) return;
  ds::Intset* is = ds::IntsetNew();
  ForEachMember(o, [&](const SetMember& m) {
    const std::optional<int64_t> v = AsInt(m);
    MNEMO_ASSERT(v.has_value());
    is = ds::IntsetAdd(is, *v).is;
    return true;
  });
  FreeEncoded(o->encoding(), o->ptr());
  o->set_encoding(Encoding::kIntset);
  o->set_ptr(is);
}

// Replaces the value with an empty one of the same encoding.
void MakeEmpty(Object* o) {
  FreeEncoded(o->encoding(), o->ptr());
  o->set_ptr(NewEmptyValue(o->encoding(), 0));
}

// Removes the node from the table and frees it. REQUIRES: n is in d.
void DictRemoveNode(SetDict* d, SetNode* n, bool shrink) {
  SetNode* removed = d->Remove(NodeMember(n));
  MNEMO_ASSERT(removed == n);
  FreeNode(n);
  if (shrink) d->ShrinkIfNeeded();
}

}  // namespace

// ---- create, grow, shrink, query
// ------------------------------------------------------------------

Object* NewSetObject(const Keyspace& ks, std::string_view key, std::string_view first,
                     size_t size_hint) {
  // Compared with the option itself, not the 2^30 cap (as Redis setTypeCreate).
  const auto intset_limit = static_cast<uint64_t>(ks.options().set_max_intset_entries);
  if (ParseInt64(first).has_value() && size_hint <= intset_limit) {
    return NewEmptySet(ks, key, Encoding::kIntset, 0);
  }
  if (size_hint <= MaxListpackEntries(ks)) return NewEmptySet(ks, key, Encoding::kListpack, 0);
  return NewEmptySet(ks, key, Encoding::kHashtable, size_hint);
}

void SetMaybeConvert(const Keyspace& ks, Object* o, size_t size_hint) {
  const auto intset_limit = static_cast<uint64_t>(ks.options().set_max_intset_entries);
  if ((o->encoding() == Encoding::kListpack && size_hint > MaxListpackEntries(ks)) ||
      (o->encoding() == Encoding::kIntset && size_hint > intset_limit)) {
    ConvertToHashtable(o, size_hint);
  }
}

bool SetAdd(const Keyspace& ks, Object* o, const SetMember& m) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  IntBuffer buf;
  switch (o->encoding()) {
    case Encoding::kHashtable: {
      SetDict* d = Ht(o);
      const std::string_view s = m.Bytes(buf);
      if (d->Find(s) != nullptr) return false;
      DictInsertNew(d, s);
      return true;
    }
    case Encoding::kListpack: {
      uint8_t* lp = Lp(o);
      const std::string_view s = m.Bytes(buf);
      if (LpContains(lp, s)) return false;
      if (ds::LpLength(lp) < MaxListpackEntries(ks) && s.size() <= MaxListpackValue(ks) &&
          ds::LpSafeToAdd(lp, s.size())) {
        o->set_ptr(m.is_int ? ds::LpAppendInteger(lp, m.ll) : ds::LpAppend(lp, s));
      } else {
        ConvertToHashtable(o, ds::LpLength(lp) + 1);
        DictInsertNew(Ht(o), s);
      }
      return true;
    }
    case Encoding::kIntset: {
      if (const std::optional<int64_t> v = AsInt(m)) {
        const ds::IntsetEdit e = ds::IntsetAdd(Is(o), *v);
        o->set_ptr(e.is);
        if (e.changed) MaybeConvertIntset(ks, o);
        return e.changed;
      }
      // Not an integer: a listpack if it would stay within the listpack bounds, with every
      // current member assumed as long as the longest of min and max (an upper bound).
      const std::string_view s = m.str;
      const ds::Intset* is = Is(o);
      const size_t n = ds::IntsetLen(is);
      size_t longest = 0;
      size_t total = 0;
      if (n != 0) {
        const int64_t lo = ds::IntsetMin(is);
        const int64_t hi = ds::IntsetMax(is);
        longest = std::max(SignedDigits(lo), SignedDigits(hi));
        total = n * std::max(ds::LpEncodedEntryBytes(ds::LpEntry::Int(lo)),
                             ds::LpEncodedEntryBytes(ds::LpEntry::Int(hi)));
      }
      if (n < MaxListpackEntries(ks) && s.size() <= MaxListpackValue(ks) &&
          longest <= MaxListpackValue(ks) && ds::LpSafeToAdd(nullptr, total + s.size())) {
        ConvertIntsetToListpack(o, n + 1);
        uint8_t* lp = ds::LpAppend(Lp(o), s);
        o->set_ptr(ds::LpShrinkToFit(lp));
      } else {
        ConvertToHashtable(o, n + 1);
        DictInsertNew(Ht(o), s);
      }
      return true;
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return false;
}

bool SetRemove(Object* o, const SetMember& m) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  IntBuffer buf;
  switch (o->encoding()) {
    case Encoding::kHashtable: {
      SetDict* d = Ht(o);
      SetNode* n = d->Remove(m.Bytes(buf));
      if (n == nullptr) return false;
      FreeNode(n);
      d->ShrinkIfNeeded();
      return true;
    }
    case Encoding::kListpack: {
      uint8_t* lp = Lp(o);
      uint8_t* p = ds::LpFirst(lp);
      if (p != nullptr) p = ds::LpFind(lp, p, m.Bytes(buf), 0);
      if (p == nullptr) return false;
      o->set_ptr(ds::LpDelete(lp, p).lp);
      return true;
    }
    case Encoding::kIntset: {
      const std::optional<int64_t> v = AsInt(m);
      if (!v) return false;
      const ds::IntsetEdit e = ds::IntsetRemove(Is(o), *v);
      o->set_ptr(e.is);
      return e.changed;
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return false;
}

bool SetIsMember(Object* o, const SetMember& m) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  IntBuffer buf;
  switch (o->encoding()) {
    case Encoding::kHashtable:
      return Ht(o)->Find(m.Bytes(buf)) != nullptr;
    case Encoding::kListpack:
      return LpContains(Lp(o), m.Bytes(buf));
    case Encoding::kIntset: {
      const std::optional<int64_t> v = AsInt(m);
      return v.has_value() && ds::IntsetFind(Is(o), *v);
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return false;
}

size_t SetSize(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kSet);
  switch (o.encoding()) {
    case Encoding::kHashtable:
      return Ht(&o)->size();
    case Encoding::kListpack:
      return ds::LpLength(Lp(&o));
    case Encoding::kIntset:
      return ds::IntsetLen(Is(&o));
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return 0;
}

void SetForEach(Object* o, SetMemberUntilFn fn) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  ForEachMember(o, fn);
}

uint64_t SetScan(Object* o, uint64_t cursor, size_t count, SetMemberFn fn) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  if (o->encoding() != Encoding::kHashtable) {
    ForEachMember(o, [&](const SetMember& m) {
      fn(m);
      return true;
    });
    return 0;
  }
  SetDict* d = Ht(o);
  // Redis: at most count*10 scan steps, so that a sparse table cannot make one call unbounded.
  size_t steps = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  size_t reported = 0;
  do {
    cursor = d->Scan(cursor, [&](SetNode* n) {
      fn(SetMember::String(NodeMember(n)));
      ++reported;
    });
  } while (cursor != 0 && steps-- > 0 && reported < count);
  return cursor;
}

// ---- random members
// ---------------------------------------------------------------------------------

SetMember SetRandomMember(Object* o) {
  MNEMO_ASSERT(o->type() == ObjType::kSet && SetSize(*o) > 0);
  switch (o->encoding()) {
    case Encoding::kHashtable:
      return SetMember::String(NodeMember(Ht(o)->UniformRandomNode()));
    case Encoding::kListpack:
      return FromLp(ds::LpRandomEntry(Lp(o)));
    case Encoding::kIntset:
      return SetMember::Int(ds::IntsetRandom(Is(o)));
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return {};
}

void SetRandomMembers(Object* o, uint64_t count, bool unique, SetMemberFn emit) {
  MNEMO_ASSERT(o->type() == ObjType::kSet);
  const size_t size = SetSize(*o);
  MNEMO_ASSERT(size > 0);
  if (!unique || count == 1) {
    if (o->encoding() == Encoding::kListpack && count > 1) {
      // One pass over the listpack per batch; batches bound the temporary array (Redis
      // SRANDFIELD_RANDOM_SAMPLE_LIMIT).
      constexpr uint64_t kBatch = 1000;
      std::vector<ds::LpEntry> entries(static_cast<size_t>(std::min(count, kBatch)));
      while (count > 0) {
        const auto n = static_cast<size_t>(std::min(count, kBatch));
        ds::LpRandomEntries(Lp(o), std::span(entries.data(), n));
        for (size_t i = 0; i < n; ++i) emit(FromLp(entries[i]));
        count -= n;
      }
      return;
    }
    while (count-- > 0) emit(SetRandomMember(o));
    return;
  }
  if (count >= size) {
    ForEachMember(o, [&](const SetMember& m) {
      emit(m);
      return true;
    });
    return;
  }
  const auto want = static_cast<size_t>(count);
  switch (o->encoding()) {
    case Encoding::kListpack: {
      std::vector<ds::LpEntry> entries(want);
      const size_t got = ds::LpRandomEntriesUnique(Lp(o), entries);
      for (size_t i = 0; i < got; ++i) emit(FromLp(entries[i]));
      return;
    }
    case Encoding::kIntset: {
      // Selection sampling (Knuth's algorithm S): each position is taken with probability
      // needed / left, which makes every subset of `want` positions equally likely.
      const ds::Intset* is = Is(o);
      size_t need = want;
      for (size_t i = 0; i < size && need > 0; ++i) {
        if (RandomU64() % (size - i) < need) {
          emit(SetMember::Int(ds::IntsetGet(is, static_cast<uint32_t>(i))));
          --need;
        }
      }
      return;
    }
    case Encoding::kHashtable: {
      SetDict* d = Ht(o);
      if (want * 3 > size) {
        // Many of the members: a partial Fisher-Yates shuffle of all of them (Redis CASE 3 copies
        // the set and removes random members instead; same result, less hashing).
        std::vector<SetNode*> all;
        all.reserve(size);
        DictForEachUntil(d, [&](SetNode* n) {
          all.push_back(n);
          return true;
        });
        for (size_t i = 0; i < want; ++i) {
          const size_t j = i + static_cast<size_t>(RandomU64() % (all.size() - i));
          std::swap(all[i], all[j]);
          emit(SetMember::String(NodeMember(all[i])));
        }
      } else {
        // Few of many: draw until `want` distinct members came up (Redis CASE 4).
        std::unordered_set<SetNode*> picked;
        picked.reserve(want);
        while (picked.size() < want) {
          SetNode* n = d->UniformRandomNode();
          if (picked.insert(n).second) emit(SetMember::String(NodeMember(n)));
        }
      }
      return;
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
}

void SetPop(const Keyspace& ks, Object* o, uint64_t count, SetMemberFn emit) {
  MNEMO_ASSERT(o->type() == ObjType::kSet && count > 0);
  const size_t size = SetSize(*o);
  if (count >= size) {
    ForEachMember(o, [&](const SetMember& m) {
      emit(m);
      return true;
    });
    MakeEmpty(o);
    return;
  }
  const auto n = static_cast<size_t>(count);
  const size_t remaining = size - n;
  // Redis SPOP_MOVE_STRATEGY_MUL: when few members stay, build a new set from them instead of
  // removing many members one by one.
  const bool keep_few = remaining * 5 <= n;
  switch (o->encoding()) {
    case Encoding::kListpack: {
      // One pass: selection sampling picks `n` positions uniformly; then delete them from the
      // last to the first, so that the offsets of the earlier ones stay valid.
      uint8_t* lp = Lp(o);
      std::vector<size_t> offsets;
      offsets.reserve(n);
      size_t need = n;
      size_t left = size;
      for (uint8_t* p = ds::LpFirst(lp); p != nullptr && need > 0; p = ds::LpNext(lp, p)) {
        if (RandomU64() % left < need) {
          emit(FromLp(ds::LpGet(p)));
          offsets.push_back(static_cast<size_t>(p - lp));
          --need;
        }
        --left;
      }
      for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) {
        lp = ds::LpDelete(lp, lp + *it).lp;
      }
      o->set_ptr(lp);
      return;
    }
    case Encoding::kIntset: {
      if (!keep_few) {
        for (size_t i = 0; i < n; ++i) {
          const int64_t v = ds::IntsetRandom(Is(o));
          emit(SetMember::Int(v));
          o->set_ptr(ds::IntsetRemove(Is(o), v).is);
        }
        return;
      }
      // Keep `remaining` positions chosen by selection sampling; emit the others.
      const ds::Intset* is = Is(o);
      ds::Intset* kept = ds::IntsetNew();
      size_t need = remaining;
      for (size_t i = 0; i < size; ++i) {
        const int64_t v = ds::IntsetGet(is, static_cast<uint32_t>(i));
        if (need > 0 && RandomU64() % (size - i) < need) {
          kept = ds::IntsetAdd(kept, v).is;
          --need;
        } else {
          emit(SetMember::Int(v));
        }
      }
      ds::IntsetFree(Is(o));
      o->set_ptr(kept);
      return;
    }
    case Encoding::kHashtable: {
      SetDict* d = Ht(o);
      if (!keep_few) {
        for (size_t i = 0; i < n; ++i) {
          SetNode* node = d->UniformRandomNode();
          emit(SetMember::String(NodeMember(node)));
          DictRemoveNode(d, node, true);
        }
        return;
      }
      // The members that stay move to a new set, which starts as a listpack as in Redis (and
      // becomes a hashtable again only if they do not fit one); the rest are emitted.
      Object* rest = NewEmptySet(ks, {}, Encoding::kListpack, 0);
      for (size_t i = 0; i < remaining; ++i) {
        SetNode* node = d->UniformRandomNode();
        SetAdd(ks, rest, SetMember::String(NodeMember(node)));
        DictRemoveNode(d, node, false);
      }
      DictForEachUntil(d, [&](SetNode* node) {
        emit(SetMember::String(NodeMember(node)));
        return true;
      });
      TakeValue(o, rest);
      return;
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
}

// ---- algebra
// ------------------------------------------------------------------------------------------

namespace {

void SortBySize(std::span<Object*> sets) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const Object* a, const Object* b) { return SetSize(*a) < SetSize(*b); });
}

// Calls fn for each member of sets[0] that every other set holds. REQUIRES: sorted, no null.
void IntersectSorted(std::span<Object*> sets, SetMemberUntilFn fn) {
  Object* first = sets[0];
  ForEachMember(first, [&](const SetMember& m) {
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] == first) continue;
      if (!SetIsMember(sets[j], m)) return true;
    }
    return fn(m);
  });
}

}  // namespace

void SetIntersect(std::span<Object*> sets, SetMemberUntilFn emit) {
  MNEMO_ASSERT(!sets.empty());
  SortBySize(sets);
  IntersectSorted(sets, emit);
}

Object* SetIntersectStore(const Keyspace& ks, std::span<Object*> sets, std::string_view key) {
  MNEMO_ASSERT(!sets.empty());
  SortBySize(sets);
  // Redis sinterGenericCommand: an intset when the smallest set is one (members arrive in
  // ascending order, cheap to append); otherwise a listpack sized like the smallest set's, which
  // SetAdd converts if the result outgrows it; and at the end an intset if every member is an
  // integer and there are few enough.
  Object* dst;
  if (sets[0]->encoding() == Encoding::kIntset) {
    dst = NewEmptySet(ks, key, Encoding::kIntset, 0);
  } else if (sets[0]->encoding() == Encoding::kListpack) {
    dst = NewEmptySet(ks, key, Encoding::kListpack, ds::LpBytes(Lp(sets[0])));
  } else {
    dst = NewEmptySet(ks, key, Encoding::kListpack, 0);
  }
  bool only_integers = true;
  IntersectSorted(sets, [&](const SetMember& m) {
    if (only_integers && !AsInt(m).has_value()) only_integers = false;
    SetAdd(ks, dst, m);
    return true;
  });
  if (SetSize(*dst) == 0) {
    FreeObject(dst);
    return nullptr;
  }
  if (only_integers) MaybeConvertToIntset(ks, dst);
  if (dst->encoding() == Encoding::kListpack) dst->set_ptr(ds::LpShrinkToFit(Lp(dst)));
  return dst;
}

Object* SetUnionDiff(const Keyspace& ks, std::span<Object*> sets, SetOp op, std::string_view key) {
  MNEMO_ASSERT(!sets.empty());
  // Redis sunionDiffGenericCommand: the result starts as an intset and SetAdd converts it as
  // members arrive, so it ends with the encoding Redis gives it.
  Object* dst = NewEmptySet(ks, key, Encoding::kIntset, 0);
  auto add = [&](const SetMember& m) {
    SetAdd(ks, dst, m);
    return true;
  };
  if (op == SetOp::kUnion) {
    for (Object* s : sets) {
      if (s != nullptr) ForEachMember(s, add);
    }
  } else if (sets[0] != nullptr) {
    bool same_set = false;
    for (size_t j = 1; j < sets.size(); ++j) same_set = same_set || sets[j] == sets[0];
    if (!same_set) {
      // Algorithm 1 walks the first set and probes the others (N*M); algorithm 2 adds the first
      // set and removes every other set's members (total size). Redis picks with these weights,
      // and so do we: the result's encoding can depend on the choice.
      uint64_t one = 0;
      uint64_t two = 0;
      for (Object* s : sets) {
        if (s == nullptr) continue;
        one += SetSize(*sets[0]);
        two += SetSize(*s);
      }
      one /= 2;
      if (one <= two) {
        if (sets.size() > 1) {
          // Largest first: a member found early in a big set is rejected early.
          std::stable_sort(sets.begin() + 1, sets.end(), [](const Object* a, const Object* b) {
            const size_t sa = a == nullptr ? 0 : SetSize(*a);
            const size_t sb = b == nullptr ? 0 : SetSize(*b);
            return sa > sb;
          });
        }
        ForEachMember(sets[0], [&](const SetMember& m) {
          for (size_t j = 1; j < sets.size(); ++j) {
            if (sets[j] != nullptr && SetIsMember(sets[j], m)) return true;
          }
          SetAdd(ks, dst, m);
          return true;
        });
      } else {
        ForEachMember(sets[0], add);
        for (size_t j = 1; j < sets.size() && SetSize(*dst) > 0; ++j) {
          if (sets[j] == nullptr) continue;
          ForEachMember(sets[j], [&](const SetMember& m) {
            SetRemove(dst, m);
            return true;
          });
        }
      }
    }
  }
  if (SetSize(*dst) == 0) {
    FreeObject(dst);
    return nullptr;
  }
  return dst;
}

// ---- snapshots ---------------------------------------------------------------------------------

const ds::Intset* SetIntset(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kSet);
  return o.encoding() == Encoding::kIntset ? Is(&o) : nullptr;
}

Object* NewSetObjectFromIntset(const Keyspace& ks, std::string_view key, ds::Intset* is) {
  Object::ValueInit v{Encoding::kIntset, {}, reinterpret_cast<uint64_t>(is), false};
  Object* o = Object::Create(key, ObjType::kSet, v, false, 0, ks.InitialLru());
  SetMaybeConvert(ks, o, ds::IntsetLen(is));
  return o;
}

// ---- value operations --------------------------------------------------------------------------

void FreeSetValue(const ValueRef& v) { FreeEncoded(v.encoding, reinterpret_cast<void*>(v.word)); }

size_t SetFreeEffort(const ValueRef& v) {
  if (v.encoding == Encoding::kHashtable) return reinterpret_cast<SetDict*>(v.word)->size();
  return 1;
}

size_t SetValueMemory(const ValueRef& v, size_t samples) {
  void* p = reinterpret_cast<void*>(v.word);
  switch (v.encoding) {
    case Encoding::kIntset:
    case Encoding::kListpack:
      return mem::UsableSize(p);
    case Encoding::kHashtable: {
      auto* d = static_cast<SetDict*>(p);
      size_t bytes = mem::UsableSize(d) + d->BucketBytes();
      const size_t size = d->size();
      if (samples == 0 || samples >= size) {
        DictForEachUntil(d, [&](SetNode* n) {
          bytes += mem::UsableSize(n);
          return true;
        });
        return bytes;
      }
      // Redis objectComputeSize: the average of the first `samples` members times the count.
      size_t seen = 0;
      size_t seen_bytes = 0;
      DictForEachUntil(d, [&](SetNode* n) {
        seen_bytes += mem::UsableSize(n);
        return ++seen < samples;
      });
      return bytes + static_cast<size_t>(static_cast<double>(seen_bytes) /
                                         static_cast<double>(seen) * static_cast<double>(size));
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return 0;
}

uint64_t DuplicateSetValue(const ValueRef& v) {
  void* p = reinterpret_cast<void*>(v.word);
  switch (v.encoding) {
    case Encoding::kIntset:
      return reinterpret_cast<uint64_t>(ds::IntsetDup(static_cast<ds::Intset*>(p)));
    case Encoding::kListpack:
      return reinterpret_cast<uint64_t>(ds::LpDup(static_cast<uint8_t*>(p)));
    case Encoding::kHashtable: {
      auto* d = static_cast<SetDict*>(p);
      SetDict* copy = NewDict(d->size());
      DictForEachUntil(d, [&](SetNode* n) {
        DictInsertNew(copy, NodeMember(n));
        return true;
      });
      return reinterpret_cast<uint64_t>(copy);
    }
    default:
      MNEMO_ASSERT(false && "bad set encoding");
  }
  return 0;
}

uint64_t DefragSetValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  if (v.encoding != Encoding::kHashtable) {
    *cursor = 0;
    void* p = mem::DefragMove(reinterpret_cast<void*>(v.word));
    return p == nullptr ? v.word : reinterpret_cast<uint64_t>(p);
  }
  auto* d = reinterpret_cast<SetDict*>(v.word);
  if (first) {
    // A Dict has no pointer into itself: a byte copy is a valid move.
    if (void* p = mem::DefragMove(d)) d = static_cast<SetDict*>(p);
    d->DefragTables();
  }
  size_t visited = 0;
  do {
    *cursor = d->ScanMoving(*cursor, [&](SetNode* n) {
      ++visited;
      void* p = mem::DefragMove(n);
      return p == nullptr ? n : static_cast<SetNode*>(p);
    });
  } while (*cursor != 0 && visited < max_elements);
  return reinterpret_cast<uint64_t>(d);
}

}  // namespace mnemo::db

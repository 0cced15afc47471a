// hash_type.cc: the hash encodings (listpack, hashtable) and the conversion between them
// (layer: db).
#include "mnemo/db/hash_type.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mnemo/base/random.h"
#include "mnemo/ds/dict.h"
#include "mnemo/ds/hash.h"
#include "mnemo/ds/varint.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

// ---- hashtable nodes ---------------------------------------------------------------------------
//
// A field of a hashtable hash is ONE block holding the chain pointer, the field and the value:
//    0  HashNode* next     8   chain of the Dict bucket
//    8  field length       1+  varint (LEB128: 7 bits per byte, low bits first, high bit set
//                              on every byte but the last: 1 byte below 128, 2 below 16384,
//                              3 below 2^21, at most 10)
//       field bytes
//       value length       1+  varint
//       value bytes
// No NUL terminators, no capacity, no padding. The node's size class is its only slack: a value
// rewritten with a size in the same class is rewritten in place, otherwise the node is
// reallocated (Dict::FindLink + ReplaceAt).
//
// Byte arithmetic, 9-byte field and 9-byte value: 8 + 1 + 9 + 1 + 9 = 28 bytes, the 32-byte
// jemalloc class, plus an 8-byte bucket pointer per field at load factor <= 1: 40 bytes. Field
// plus value up to 22 bytes fit the 32-byte class, up to 38 the 48-byte class.
// Redis 7.0 for the same field: a dictEntry (key, value, next: 24 bytes, the 32-byte class), a
// field sds and a value sds (sdshdr8: 3-byte header + 9 bytes + NUL = 13, the 16-byte class,
// each) and the bucket pointer: 32 + 16 + 16 + 8 = 72 bytes, three allocations instead of one.
struct HashNode {
  HashNode* next;
  // Followed by the varint-prefixed field and value.
};

constexpr size_t kNodeHead = sizeof(HashNode*);

using ds::GetVarint;
using ds::PutVarint;
using ds::VarintSize;

const uint8_t* NodePayload(const HashNode* n) {
  return reinterpret_cast<const uint8_t*>(n) + kNodeHead;
}

// A length-prefixed string at p.
std::string_view ReadString(const uint8_t* p) {
  uint64_t len;
  const uint8_t* data = GetVarint(p, &len);
  return {reinterpret_cast<const char*>(data), static_cast<size_t>(len)};
}

std::string_view NodeField(const HashNode* n) { return ReadString(NodePayload(n)); }

std::string_view NodeValue(const HashNode* n) {
  const std::string_view f = NodeField(n);
  return ReadString(reinterpret_cast<const uint8_t*>(f.data() + f.size()));
}

// Bytes a node for these lengths takes (before rounding up to its size class).
size_t NodeSize(size_t field_len, size_t value_len) {
  return kNodeHead + VarintSize(field_len) + field_len + VarintSize(value_len) + value_len;
}

// Bytes the node's contents take.
size_t NodeBytes(const HashNode* n) {
  const std::string_view v = NodeValue(n);
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(v.data() + v.size()) -
                             reinterpret_cast<const uint8_t*>(n));
}

// Writes the value part of node n, whose field is in place. REQUIRES: it fits n's block.
void WriteNodeValue(HashNode* n, std::string_view value) {
  const std::string_view f = NodeField(n);
  uint8_t* p = reinterpret_cast<uint8_t*>(const_cast<char*>(f.data() + f.size()));
  p = PutVarint(p, value.size());
  if (!value.empty()) std::memmove(p, value.data(), value.size());
}

HashNode* NewNode(std::string_view field, std::string_view value) {
  auto* n = static_cast<HashNode*>(mem::Alloc(NodeSize(field.size(), value.size())));
  n->next = nullptr;
  uint8_t* p = reinterpret_cast<uint8_t*>(n) + kNodeHead;
  p = PutVarint(p, field.size());
  if (!field.empty()) std::memcpy(p, field.data(), field.size());
  WriteNodeValue(n, value);
  return n;
}

struct HashNodeTraits {
  using Node = HashNode;
  static HashNode** NextField(HashNode* n) { return &n->next; }
  static std::string_view Key(const HashNode* n) { return NodeField(n); }
  static uint64_t Hash(std::string_view key) { return ds::HashBytes(key); }
};

using FieldTable = ds::Dict<HashNodeTraits>;

// What a hashtable hash's value word points to: the Dict and nothing else. 80 bytes (two tables
// of four words, the rehash index and the pause counter), exactly the 80-byte class.
struct HashTable {
  FieldTable dict;
};

HashTable* NewHashTable() { return new (mem::Alloc(sizeof(HashTable))) HashTable(); }

void FreeHashTable(HashTable* ht) {
  ht->dict.Clear([](HashNode* n) { mem::Free(n); });
  ht->~HashTable();
  mem::Free(ht);
}

// ---- access to the two encodings ---------------------------------------------------------------

FieldTable& Table(const Object& o) { return static_cast<HashTable*>(o.ptr())->dict; }

void CheckHash(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kHash);
  MNEMO_ASSERT(o.encoding() == Encoding::kListpack || o.encoding() == Encoding::kHashtable);
}

// Calls fn for a pair read from a listpack, integers printed into buffers that live for the call.
void VisitLpPair(const ds::LpEntry& field, const ds::LpEntry& value, const HashVisitor& fn) {
  HashValueBuffer fbuf;
  HashValueBuffer vbuf;
  fn(field.AsBytes(fbuf), value.AsBytes(vbuf));
}

// Position of the value of `field` in a listpack hash, walked forwards wherever it is (packed
// in the slot: read where it is, so HGET's answer points into it), or null.
uint8_t* FindValue(const ds::LpForward& w, std::string_view field) {
  uint8_t* p = w.Find(field, 1);
  return p == nullptr ? nullptr : w.Next(p);
}

// Calls fn for every pair of a listpack hash, walked forwards wherever it is.
void ForEachLpPair(const ds::LpForward& w, const HashVisitor& fn) {
  for (uint8_t* p = w.First(); p != nullptr;) {
    uint8_t* vp = w.Next(p);
    VisitLpPair(ds::LpGet(p), ds::LpGet(vp), fn);
    p = w.Next(vp);
  }
}

void VisitNode(const HashNode* n, const HashVisitor& fn) { fn(NodeField(n), NodeValue(n)); }

size_t MaxEntries(const Keyspace& ks) {
  return static_cast<size_t>(std::max<int64_t>(ks.options().hash_max_listpack_entries, 0));
}
size_t MaxValue(const Keyspace& ks) {
  return static_cast<size_t>(std::max<int64_t>(ks.options().hash_max_listpack_value, 0));
}

// Rewrites a listpack hash as a hashtable whose bucket array is sized for max(its fields,
// `reserve`) fields (Redis hashTypeConvertListpack + dictExpand).
void ConvertToHashtable(Object* o, size_t reserve) {
  MNEMO_ASSERT(o->encoding() == Encoding::kListpack);
  HashTable* ht = NewHashTable();
  ht->dict.Reserve(std::max(o->ListpackLength() / 2, reserve));
  ForEachLpPair(o->ForwardListpack(), [&](std::string_view field, std::string_view value) {
    ht->dict.Insert(NewNode(field, value));
  });
  if (!o->has_inline_listpack()) ds::LpFree(o->listpack_block());
  o->set_ptr(ht);  // the slot keeps its size until Db::Repack
  o->set_encoding(Encoding::kHashtable);
}

// Sets field in a hashtable; returns true iff it is new.
bool TableSet(FieldTable& d, std::string_view field, std::string_view value) {
  const FieldTable::Pos pos = d.FindLink(field);
  if (!pos) {
    d.Insert(NewNode(field, value));
    return true;
  }
  HashNode* old = pos.node();
  if (mem::SizeClass(NodeSize(field.size(), value.size())) == mem::UsableSize(old)) {
    WriteNodeValue(old, value);  // same size class: no allocator call, same footprint
    return false;
  }
  d.ReplaceAt(pos, NewNode(field, value));
  mem::Free(old);
  return false;
}

}  // namespace

// ---- create and read ---------------------------------------------------------------------------

Object* NewHashObject(const Keyspace& ks, std::string_view key) {
  const Object::ValueInit v{Encoding::kListpack, {}, reinterpret_cast<uint64_t>(ds::LpNew())};
  return Object::Create(key, ObjType::kHash, v, false, 0, ks.InitialLru());
}

size_t HashLength(const Object& o) {
  CheckHash(o);
  if (o.encoding() == Encoding::kListpack) return o.ListpackLength() / 2;
  return Table(o).size();
}

std::optional<std::string_view> HashGet(const Object& o, std::string_view field,
                                        HashValueBuffer& buf) {
  CheckHash(o);
  if (o.encoding() == Encoding::kListpack) {
    uint8_t* vp = FindValue(o.ForwardListpack(), field);
    if (vp == nullptr) return std::nullopt;
    return ds::LpGet(vp).AsBytes(buf);
  }
  HashNode* n = Table(o).Find(field);
  if (n == nullptr) return std::nullopt;
  return NodeValue(n);
}

bool HashExists(const Object& o, std::string_view field) {
  CheckHash(o);
  if (o.encoding() == Encoding::kListpack) return o.ForwardListpack().Find(field, 1) != nullptr;
  return Table(o).Find(field) != nullptr;
}

// ---- write -------------------------------------------------------------------------------------

void HashTryConversion(const Keyspace& ks, Object* o, std::span<const std::string_view> strings) {
  CheckHash(*o);
  if (o->encoding() != Encoding::kListpack) return;
  // Redis 7.2: when the command brings more fields than a listpack may hold, convert now and size
  // the table for them, instead of growing a listpack that is about to be thrown away (and
  // searching it linearly for every field). Duplicates among the fields may make this early.
  const size_t new_fields = strings.size() / 2;
  if (new_fields > MaxEntries(ks)) {
    ConvertToHashtable(o, HashLength(*o) + new_fields);
    return;
  }
  size_t sum = 0;
  for (std::string_view s : strings) {
    if (s.size() > MaxValue(ks)) {
      ConvertToHashtable(o, 0);
      return;
    }
    sum += s.size();
  }
  if (!o->ListpackSafeToAdd(sum)) ConvertToHashtable(o, 0);
}

bool HashSet(const Keyspace& ks, Object* o, std::string_view field, std::string_view value) {
  CheckHash(*o);
  if (o->encoding() == Encoding::kListpack) {
    // Also what converts for HINCRBYFLOAT results, which no HashTryConversion saw.
    if (field.size() > MaxValue(ks) || value.size() > MaxValue(ks) ||
        !o->ListpackSafeToAdd(field.size() + value.size())) {
      ConvertToHashtable(o, 0);
    }
  }
  if (o->encoding() == Encoding::kHashtable) return TableSet(Table(*o), field, value);

  const ds::LpForward w = o->ForwardListpack();
  if (uint8_t* vp = FindValue(w, field); vp != nullptr) {
    // A value of the same encoded size is written where it is, in the slot too.
    if (w.ReplaceInPlace(vp, ds::LpEntry::String(value))) return false;
    uint8_t* lp = o->WritableListpack(&vp);
    o->set_ptr(ds::LpReplace(lp, vp, value).lp);
    return false;
  }
  const ds::LpEntry pair[2] = {ds::LpEntry::String(field), ds::LpEntry::String(value)};
  uint8_t* lp = ds::LpBatchAppend(o->WritableListpack(), pair);
  o->set_ptr(lp);
  if (ds::LpLength(lp) / 2 > MaxEntries(ks)) ConvertToHashtable(o, 0);
  return true;
}

bool HashDelete(Object* o, std::string_view field) {
  CheckHash(*o);
  if (o->encoding() == Encoding::kListpack) {
    uint8_t* p = o->ForwardListpack().Find(field, 1);
    if (p == nullptr) return false;
    uint8_t* lp = o->WritableListpack(&p);
    o->set_ptr(ds::LpDeleteRangeWithEntry(lp, p, 2).lp);
    return true;
  }
  FieldTable& d = Table(*o);
  HashNode* n = d.Remove(field);
  if (n == nullptr) return false;
  mem::Free(n);
  d.ShrinkIfNeeded();  // as Redis's hashTypeDelete: give back a sparse bucket array
  return true;
}

// ---- iterate -----------------------------------------------------------------------------------

void HashForEach(const Object& o, HashVisitor fn) {
  CheckHash(o);
  if (o.encoding() == Encoding::kListpack) {
    ForEachLpPair(o.ForwardListpack(), fn);
    return;
  }
  Table(o).ForEach([&](HashNode* n) { VisitNode(n, fn); });
}

uint64_t HashScan(const Object& o, uint64_t cursor, size_t count, HashVisitor fn) {
  CheckHash(o);
  if (o.encoding() == Encoding::kListpack) {
    HashForEach(o, fn);
    return 0;
  }
  if (count == 0) count = 1;
  size_t max_buckets = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  size_t visited = 0;
  FieldTable& d = Table(o);
  do {
    cursor = d.Scan(cursor, [&](HashNode* n) {
      VisitNode(n, fn);
      ++visited;
    });
  } while (cursor != 0 && --max_buckets > 0 && visited < count);
  return cursor;
}

// ---- random fields -----------------------------------------------------------------------------

void HashRandomField(const Object& o, HashVisitor fn) {
  CheckHash(o);
  MNEMO_ASSERT(HashLength(o) > 0);
  if (o.encoding() == Encoding::kListpack) {
    ListpackView view(o);
    uint8_t* lp = view.get();
    const ds::LpPair pair = ds::LpRandomPair(lp, ds::LpLength(lp) / 2);
    VisitLpPair(pair.key, pair.value, fn);
    return;
  }
  VisitNode(Table(o).UniformRandomNode(), fn);
}

void HashRandomFields(const Object& o, size_t count, HashVisitor fn) {
  CheckHash(o);
  MNEMO_ASSERT(HashLength(o) > 0);
  if (o.encoding() == Encoding::kListpack) {
    // In batches, so that a huge count does not allocate a huge sample (Redis
    // HRANDFIELD_RANDOM_SAMPLE_LIMIT).
    constexpr size_t kBatch = 1000;
    ListpackView view(o);
    uint8_t* lp = view.get();
    std::vector<ds::LpEntry> keys(std::min(count, kBatch));
    std::vector<ds::LpEntry> values(keys.size());
    while (count > 0) {
      const size_t n = std::min(count, kBatch);
      count -= n;
      ds::LpRandomPairs(lp, std::span(keys.data(), n), std::span(values.data(), n));
      for (size_t i = 0; i < n; ++i) VisitLpPair(keys[i], values[i], fn);
    }
    return;
  }
  FieldTable& d = Table(o);
  while (count-- > 0) VisitNode(d.UniformRandomNode(), fn);
}

void HashRandomDistinctFields(const Object& o, size_t count, HashVisitor fn) {
  CheckHash(o);
  const size_t size = HashLength(o);
  if (count >= size) {
    HashForEach(o, fn);
    return;
  }
  if (o.encoding() == Encoding::kListpack) {
    std::vector<ds::LpEntry> keys(count);
    std::vector<ds::LpEntry> values(count);
    ListpackView view(o);
    const size_t got = ds::LpRandomPairsUnique(view.get(), keys, values);
    for (size_t i = 0; i < got; ++i) VisitLpPair(keys[i], values[i], fn);
    return;
  }
  FieldTable& d = Table(o);
  if (count * 3 > size) {
    // Many of the fields: draw `count` of them without replacement from the list of all of them
    // (a partial Fisher-Yates shuffle). Redis's CASE 3 copies the hash and deletes random
    // fields instead; both cost O(size).
    std::vector<HashNode*> nodes;
    nodes.reserve(size);
    d.ForEach([&](HashNode* n) { nodes.push_back(n); });
    for (size_t i = 0; i < count; ++i) {
      const size_t j = i + RandomU64() % (nodes.size() - i);
      std::swap(nodes[i], nodes[j]);
      VisitNode(nodes[i], fn);
    }
    return;
  }
  // Few of the fields: draw random fields until `count` distinct ones were seen (Redis CASE 4);
  // with count <= size / 3 each draw is new with probability >= 2/3.
  std::unordered_set<HashNode*> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    HashNode* n = d.UniformRandomNode();
    if (seen.insert(n).second) VisitNode(n, fn);
  }
}

// ---- snapshots ---------------------------------------------------------------------------------

Object* NewHashObjectFromListpack(const Keyspace& ks, std::string_view key, uint8_t* lp) {
  const size_t n = ds::LpLength(lp);
  size_t longest = 0;
  if (n == 0 || n % 2 != 0 || !ds::LpHasUniqueElements(lp, 1, &longest)) {
    ds::LpFree(lp);
    return nullptr;
  }
  if (n / 2 > MaxEntries(ks) || longest > MaxValue(ks)) {
    const Object::ValueInit v{Encoding::kListpack, {}, reinterpret_cast<uint64_t>(lp)};
    Object* o = Object::Create(key, ObjType::kHash, v, false, 0, ks.InitialLru());
    ConvertToHashtable(o, 0);
    return o;
  }
  return Object::CreateWithListpack(key, ObjType::kHash, lp, false, 0, ks.InitialLru());
}

void HashPresize(const Keyspace& ks, Object* o, size_t fields) {
  CheckHash(*o);
  if (o->encoding() == Encoding::kListpack && fields > MaxEntries(ks)) {
    ConvertToHashtable(o, fields);
  }
}

// ---- value operations --------------------------------------------------------------------------

void FreeHashValue(const ValueRef& v) {
  switch (v.encoding) {
    case Encoding::kListpack:
      ds::LpFree(reinterpret_cast<uint8_t*>(v.word));
      return;
    case Encoding::kHashtable:
      FreeHashTable(reinterpret_cast<HashTable*>(v.word));
      return;
    default:
      MNEMO_ASSERT(false && "bad hash encoding");
  }
}

size_t HashFreeEffort(const ValueRef& v) {
  if (v.encoding == Encoding::kHashtable) return reinterpret_cast<HashTable*>(v.word)->dict.size();
  return 1;
}

size_t HashValueMemory(const ValueRef& v, size_t samples) {
  if (v.encoding == Encoding::kListpack) return mem::UsableSize(reinterpret_cast<void*>(v.word));
  MNEMO_ASSERT(v.encoding == Encoding::kHashtable);
  HashTable* ht = reinterpret_cast<HashTable*>(v.word);
  FieldTable& d = ht->dict;
  size_t node_bytes = 0;
  if (samples == 0 || d.size() <= samples) {
    d.ForEach([&](HashNode* n) { node_bytes += mem::UsableSize(n); });
  } else {
    // Nodes from a few consecutive buckets starting at a random one (bounded work), scaled up.
    std::vector<HashNode*> sample(samples);
    const size_t got = d.SampleNodes(sample.data(), samples);
    size_t sampled = 0;
    for (size_t i = 0; i < got; ++i) sampled += mem::UsableSize(sample[i]);
    node_bytes = static_cast<size_t>(static_cast<double>(sampled) / static_cast<double>(got) *
                                     static_cast<double>(d.size()));
  }
  // After the walk: sampling may have moved buckets and finished a rehash.
  return mem::UsableSize(ht) + d.BucketBytes() + node_bytes;
}

uint64_t DuplicateHashValue(const ValueRef& v) {
  if (v.encoding == Encoding::kListpack) {
    return reinterpret_cast<uint64_t>(ds::LpDup(reinterpret_cast<const uint8_t*>(v.word)));
  }
  MNEMO_ASSERT(v.encoding == Encoding::kHashtable);
  FieldTable& src = reinterpret_cast<HashTable*>(v.word)->dict;
  HashTable* copy = NewHashTable();
  copy->dict.Reserve(src.size());
  src.ForEach([&](HashNode* n) {
    const size_t bytes = NodeBytes(n);
    auto* c = static_cast<HashNode*>(mem::Alloc(bytes));
    std::memcpy(c, n, bytes);
    c->next = nullptr;
    copy->dict.Insert(c);
  });
  return reinterpret_cast<uint64_t>(copy);
}

uint64_t DefragHashValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  if (v.encoding == Encoding::kListpack) {
    *cursor = 0;
    void* p = mem::DefragMove(reinterpret_cast<void*>(v.word));
    return p == nullptr ? v.word : reinterpret_cast<uint64_t>(p);
  }
  MNEMO_ASSERT(v.encoding == Encoding::kHashtable);
  auto* ht = reinterpret_cast<HashTable*>(v.word);
  if (first) {
    // The block holds the Dict by value; a Dict has no pointer into itself, so a byte copy is a
    // valid move.
    if (void* p = mem::DefragMove(ht)) ht = static_cast<HashTable*>(p);
    ht->dict.DefragTables();
  }
  size_t visited = 0;
  do {
    *cursor = ht->dict.ScanMoving(*cursor, [&](HashNode* n) {
      ++visited;
      void* p = mem::DefragMove(n);
      return p == nullptr ? n : static_cast<HashNode*>(p);
    });
  } while (*cursor != 0 && visited < max_elements);
  return reinterpret_cast<uint64_t>(ht);
}

}  // namespace mnemo::db

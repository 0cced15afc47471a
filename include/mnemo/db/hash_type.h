// hash_type.h: the hash type API; every branch on a hash's encoding and every conversion between
// its encodings lives in hash_type.cc (layer: db).
//
// Encodings (OBJECT ENCODING names as Redis 7):
//   listpack   field, value, field, value... in one ds/listpack blob, in insertion order, while
//              the hash has at most hash-max-listpack-entries fields and every field and value
//              is at most hash-max-listpack-value bytes. Lookups are linear; the blob is tiny.
//   hashtable  an intrusive ds::Dict over one-block nodes that hold the field AND the value
//              (layout and byte arithmetic in hash_type.cc). About 40 bytes per field for short
//              fields and values, where Redis 7 spends about 72.
// A hash converts listpack -> hashtable when a write would break either bound (HSET of a long
// field or value, the 513th field, an HINCRBYFLOAT result longer than the value bound) and never
// converts back, as in Redis. The object's value word points to the listpack or to the
// hashtable's heap struct, or a small listpack sits in the object's slot (object.h, "Inline
// listpacks"). The functions here never move the object: a write takes such a listpack out to a
// block of its own (Object::WritableListpack), and the command then calls Db::Repack, which may
// move it.
//
// Strings handed to visitors (HashVisitor) and returned by HashGet may point into the hash or
// into a caller buffer: they stay valid only until the hash is next modified (and, for values a
// listpack keeps as integers, only during the visitor call / while the buffer lives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/listpack.h"

namespace mnemo::db {

// Room to print a field or value that a listpack keeps as an integer.
using HashValueBuffer = char[ds::kLpIntBufSize];

// What iteration calls for each field: a borrowed callable, fn(field, value). It does not own
// the callable (no allocation, unlike std::function); pass a lambda directly in the call.
class HashVisitor {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, HashVisitor>>>
  HashVisitor(F&& fn)  // NOLINT(google-explicit-constructor): meant to convert from lambdas
      : obj_(const_cast<void*>(static_cast<const void*>(&fn))),
        call_([](void* obj, std::string_view field, std::string_view value) {
          (*static_cast<std::remove_reference_t<F>*>(obj))(field, value);
        }) {}

  void operator()(std::string_view field, std::string_view value) const {
    call_(obj_, field, value);
  }

 private:
  void* obj_;
  void (*call_)(void*, std::string_view, std::string_view);
};

// ---- create and read -------------------------------------------------------------------------

// A new empty hash object (listpack) for `key`, not yet in any Db. The caller adds fields before
// the command ends: Redis never keeps an empty hash.
Object* NewHashObject(const Keyspace& ks, std::string_view key);

// Number of fields. REQUIRES (every function here): o.type() == ObjType::kHash.
size_t HashLength(const Object& o);
// The value of `field`, or nullopt. An integer kept by a listpack is printed into `buf`.
std::optional<std::string_view> HashGet(const Object& o, std::string_view field,
                                        HashValueBuffer& buf);
// Returns true iff `field` is present.
bool HashExists(const Object& o, std::string_view field);

// ---- write -----------------------------------------------------------------------------------

// Converts a listpack hash to a hashtable if any of `strings` (the fields and values a command is
// about to add) is longer than hash-max-listpack-value, or if together they would take the
// listpack beyond its safe size. Call it once before a multi-field write (HSET, HMSET, HSETNX),
// as Redis's hashTypeTryConversion, so that the write does not convert halfway through.
void HashTryConversion(const Keyspace& ks, Object* o, std::span<const std::string_view> strings);
// Sets `field` to `value`; returns true iff the field is new. Converts to hashtable first when
// the field or value is too long for a listpack, and after the insert when there are too many
// fields. The object does not move.
bool HashSet(const Keyspace& ks, Object* o, std::string_view field, std::string_view value);
// Deletes `field`; returns true iff it was present. The caller deletes the key when the hash
// becomes empty. A hashtable shrinks its bucket array when it becomes sparse.
bool HashDelete(Object* o, std::string_view field);

// ---- iterate (HKEYS, HVALS, HGETALL, HSCAN) ---------------------------------------------------

// Calls fn(field, value) for every field: listpack order, or table order. fn must not modify the
// hash. O(n).
void HashForEach(const Object& o, HashVisitor fn);

// One HSCAN step from `cursor`: calls fn for the fields it visits and returns the next cursor, 0
// when the scan is complete. A listpack is small by definition, so it is returned whole in one
// call whatever the cursor, with next cursor 0 (as Redis). A hashtable is walked with the
// ds::Dict::Scan cursor, bucket by bucket, until `count` fields were visited or count * 10
// buckets were looked at (Redis's bound: an almost empty table cannot make one call unbounded).
// Every field present for the whole scan is visited at least once; some may be visited twice.
uint64_t HashScan(const Object& o, uint64_t cursor, size_t count, HashVisitor fn);

// ---- random fields (HRANDFIELD) --------------------------------------------------------------

// Calls fn for one random field. REQUIRES: HashLength(o) > 0.
void HashRandomField(const Object& o, HashVisitor fn);
// Calls fn `count` times, each with a random field (repetitions allowed), in random order.
// REQUIRES: HashLength(o) > 0.
void HashRandomFields(const Object& o, size_t count, HashVisitor fn);
// Calls fn for min(count, HashLength(o)) distinct random fields, each subset equally likely for
// a listpack (selection sampling) and close to it for a hashtable (fair random nodes).
void HashRandomDistinctFields(const Object& o, size_t count, HashVisitor fn);

// ---- snapshots (RDB save and load, layer persist) ----------------------------------------------

// (An RDB writer serializes a listpack-encoded hash's listpack as is, read through a
// db::ListpackView, and walks a hashtable with HashForEach.)
// A new hash object for `key` whose value is `lp`, a listpack of field, value, ... pairs that
// passed ds::LpValidate(deep) and was allocated through mem::. Takes ownership of `lp` in every
// case. Returns null (having freed it) when `lp` is not a hash: an odd number of elements, no
// elements, or a field twice. Converts to a hashtable when the hash is beyond
// hash-max-listpack-entries or hash-max-listpack-value (Redis rdbLoadObject).
Object* NewHashObjectFromListpack(const Keyspace& ks, std::string_view key, uint8_t* lp);
// Before `fields` fields are added one by one (an RDB hash of that length): converts a listpack
// hash to a hashtable sized for them when they exceed hash-max-listpack-entries (Redis converts
// "right from the start").
void HashPresize(const Keyspace& ks, Object* o, size_t fields);

// ---- value operations, for value.h's dispatch -------------------------------------------------

// Frees the listpack, or every node, the bucket arrays and the heap struct of a hashtable. Only
// mem:: calls: safe on the lazy-free thread.
void FreeHashValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragHashValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
// 1 for a listpack, the number of fields for a hashtable.
size_t HashFreeEffort(const ValueRef& v);
// Usable bytes of every allocation the value owns. samples == 0: exact (walks every node).
// samples > 0 and fewer fields than that: exact too; otherwise the nodes' bytes are estimated
// from `samples` nodes (Redis objectComputeSize).
size_t HashValueMemory(const ValueRef& v, size_t samples);
// A deep copy with the same encoding (COPY). Returns the new value word.
uint64_t DuplicateHashValue(const ValueRef& v);

}  // namespace mnemo::db

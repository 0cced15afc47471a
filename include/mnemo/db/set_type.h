// set_type.h: the set type API; every branch on a set's encoding and every conversion between
// its encodings lives in set_type.cc (layer: db).
//
// Encodings and conversions, as Redis 7.2's t_set.c:
//   intset     while every member is a canonical int64 and there are at most
//              set-max-intset-entries (512) of them; ds::Intset, 2/4/8 bytes per member.
//   listpack   while there are at most set-max-listpack-entries (128) members of at most
//              set-max-listpack-value (64) bytes; ds listpack, 2..66 bytes per member.
//   hashtable  anything else: an intrusive ds::Dict whose nodes are the members themselves.
// A set grows intset -> listpack (a non-integer arrives while the set is small enough for a
// listpack) or intset -> hashtable (too many members, or a non-integer when a listpack would not
// fit) and listpack -> hashtable; it never converts back, except where Redis builds a new set:
// SINTERSTORE/SUNIONSTORE/SDIFFSTORE results and the rest of a set after a big SPOP.
//
// Hashtable memory, per member of n bytes (n < 128):
//   Redis 7.0/7.2: a dictEntry (24 bytes -> 32-byte class) + an sds key (3 header + n + 1, in its
//                  class: 16 for n <= 12, 32 for n <= 28) + 8 bytes of bucket
//                  = 56 bytes for n <= 12, 72 for n <= 28.
//   Mnemo:         one node [next 8][length varint 1][n bytes] (9 + n, in its class: 16 for
//                  n <= 7, 32 for n <= 23, 48 for n <= 39) + 8 bytes of bucket
//                  = 24 bytes for n <= 7, 40 for n <= 23.
// The table itself is one small heap block (the ds::Dict, 80 bytes) plus its bucket arrays.
//
// Members come out of a set as SetMember: bytes, or an integer (intset members, and listpack
// entries stored as integers) that callers print when they need bytes. The bytes of a SetMember
// point into the set and are valid until the set is next modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "mnemo/base/function_ref.h"
#include "mnemo/db/db.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"

namespace mnemo::ds {
struct Intset;
}  // namespace mnemo::ds

namespace mnemo::db {

struct SetMember {
  std::string_view str;  // when !is_int
  int64_t ll = 0;        // when is_int
  bool is_int = false;

  static SetMember Int(int64_t v) { return SetMember{{}, v, true}; }
  static SetMember String(std::string_view s) { return SetMember{s, 0, false}; }
  // The member's bytes; an integer is printed into `buf`.
  std::string_view Bytes(IntBuffer& buf) const;
};

// Visitors. A visitor returning bool stops the walk when it returns false.
using SetMemberFn = FunctionRef<void(const SetMember&)>;
using SetMemberUntilFn = FunctionRef<bool(const SetMember&)>;

// ---- create, grow, shrink, query --------------------------------------------------------------

// A new, empty set object for `key` with the encoding Redis 7.2's setTypeCreate picks for a set
// about to receive about `size_hint` members starting with `first`: intset if `first` is an
// integer and size_hint <= set-max-intset-entries, else listpack if size_hint <=
// set-max-listpack-entries, else a hashtable presized for size_hint. Not in any Db yet; callers
// add members before storing it (an empty set is never stored).
Object* NewSetObject(const Keyspace& ks, std::string_view key, std::string_view first,
                     size_t size_hint);
// Converts to a hashtable now if `size_hint` members alone exceed the limit of the current
// compact encoding (Redis setTypeMaybeConvert: SADD of many members converts once, up front).
void SetMaybeConvert(const Keyspace& ks, Object* o, size_t size_hint);

// Adds a member; returns true iff it was not there. May convert the encoding.
// REQUIRES (all functions here): o->type() == ObjType::kSet.
bool SetAdd(const Keyspace& ks, Object* o, const SetMember& m);
inline bool SetAdd(const Keyspace& ks, Object* o, std::string_view m) {
  return SetAdd(ks, o, SetMember::String(m));
}
// Removes a member; returns true iff it was there. Never converts; a hashtable shrinks its
// buckets when they are mostly empty. The caller deletes the key when the set becomes empty.
bool SetRemove(Object* o, const SetMember& m);
inline bool SetRemove(Object* o, std::string_view m) { return SetRemove(o, SetMember::String(m)); }
bool SetIsMember(Object* o, const SetMember& m);
inline bool SetIsMember(Object* o, std::string_view m) {
  return SetIsMember(o, SetMember::String(m));
}
size_t SetSize(const Object& o);

// Calls fn for every member (the order is the encoding's: ascending for intsets, insertion order
// for listpacks, bucket order for hashtables) until fn returns false. fn must not modify this set.
void SetForEach(Object* o, SetMemberUntilFn fn);

// SSCAN: calls fn for the members of the next step of a scan from `cursor` and returns the next
// cursor, 0 when the scan is complete. Compact sets are returned whole in one step (cursor 0);
// hashtables visit buckets until about `count` members were reported or count*10 buckets were
// visited (Redis scanGenericCommand), with Dict::Scan's guarantee across resizes.
uint64_t SetScan(Object* o, uint64_t cursor, size_t count, SetMemberFn fn);

// ---- random members ---------------------------------------------------------------------------

// A random member, each equally likely in every encoding. REQUIRES: the set is not empty.
SetMember SetRandomMember(Object* o);
// SRANDMEMBER with a count. unique: min(count, size) distinct members (all of them when
// count >= size), each subset equally likely. !unique: exactly `count`
// independent random members (repetitions allowed). REQUIRES: the set is not empty.
void SetRandomMembers(Object* o, uint64_t count, bool unique, SetMemberFn emit);
// SPOP: removes `count` distinct random members, calling emit for each before it is removed.
// May replace the value with a new, smaller set (Redis's strategy for pops that leave few
// members, whose result may be a listpack where a hashtable was). REQUIRES: 0 < count < size.
void SetPop(const Keyspace& ks, Object* o, uint64_t count, SetMemberFn emit);

// ---- algebra ------------------------------------------------------------------------------------

// SINTER, SINTERCARD: calls emit for every member of the intersection, walking the smallest set,
// until emit returns false. Sorts `sets` by size. REQUIRES: no null entry (a missing key makes
// the intersection empty, which the caller answers without calling this).
void SetIntersect(std::span<Object*> sets, SetMemberUntilFn emit);
// SINTERSTORE: the intersection as a new set object for `key`, with the encoding Redis 7.2 gives
// it, or null when it is empty. Not in any Db yet. Same REQUIRES as SetIntersect.
Object* SetIntersectStore(const Keyspace& ks, std::span<Object*> sets, std::string_view key);

enum class SetOp : uint8_t { kUnion, kDiff };
// SUNION[STORE], SDIFF[STORE]: the union of all sets, or the first minus all others, as a new set
// object for `key` (built as Redis 7.2 builds it, so it has Redis's encoding), or null when it is
// empty. Null entries are empty sets. Not in any Db yet; a caller that only replies disposes of
// it afterwards.
Object* SetUnionDiff(const Keyspace& ks, std::span<Object*> sets, SetOp op, std::string_view key);

// ---- snapshots (RDB save and load, layer persist) ----------------------------------------------

// The intset of an intset-encoded set, or null (listpack and hashtable sets are written member by
// member with SetForEach, as Redis 7.0 writes a set that is not an intset).
const ds::Intset* SetIntset(const Object& o);
// A new set object for `key` whose value is `is`, an intset that passed ds::IntsetValidate(deep)
// (sorted, unique, not empty) and was allocated through mem::; takes ownership. Converts to a
// hashtable when it holds more than set-max-intset-entries members (Redis rdbLoadObject).
Object* NewSetObjectFromIntset(const Keyspace& ks, std::string_view key, ds::Intset* is);

// ---- for value.h's dispatch
// -----------------------------------------------------------------------
void FreeSetValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragSetValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
size_t SetFreeEffort(const ValueRef& v);
// Exact with samples == 0; otherwise a hashtable's members are estimated from `samples` of them.
size_t SetValueMemory(const ValueRef& v, size_t samples);
uint64_t DuplicateSetValue(const ValueRef& v);

}  // namespace mnemo::db

// zset_type.h: the sorted set type API; every branch on a zset's encoding, and every conversion
// between its encodings, lives in zset_type.cc (layer: db).
//
// Encodings (Redis 7.2 t_zset.c):
//   listpack  one listpack blob (ds/listpack.h) of member, score, member, score... pairs in
//             (score, member) order. A score is stored as Redis stores it: an integer entry when
//             it is integral and within +-LLONG_MAX/2 (Redis double2ll), otherwise its %.17g
//             text ("1.5", "0.10000000000000001", "inf"). So -0 is stored as 0, as in Redis.
//   skiplist  a heap-allocated ds::Skiplist (ds/skiplist.h), which already holds the member
//             index: one block per member instead of Redis's node + sds + dictEntry.
// The value word of the object points to the blob or to the Skiplist; a small blob may instead
// sit in the object's slot (object.h, "Inline listpacks"). The functions here never move the
// object: a write takes such a blob out to a block of its own (Object::WritableListpack), and
// the command then calls Db::Repack, which may move it.
//
// Conversions (thresholds zset-max-listpack-entries, default 128, and zset-max-listpack-value,
// default 64, from ks.options()):
//   - a new zset is created by NewZsetObject with the size hints of Redis's zsetTypeCreate: a
//     listpack if `size_hint` members of `value_len_hint` bytes fit both thresholds, otherwise a
//     skiplist whose index is pre-sized for size_hint members;
//   - ZsetMaybeConvert (zsetTypeMaybeConvert) converts a listpack before a command adds
//     size_hint > entries members to it;
//   - ZsetAdd converts a listpack before an insert that would exceed either threshold (or the
//     listpack safety limit);
//   - a skiplist never converts back, except that the result of a set operation becomes a
//     listpack when it is small enough (ZsetOpResult::ToObject, zsetConvertToListpackIfNeeded).
//
// Pointer rules: member views handed to a visitor point into the set and are valid only during
// that call. Functions that change a set take `Object*`; none of them moves the object block
// (Db::Repack does, after them).
// Deleting a key whose set became empty is the caller's job (Redis deletes empty collections).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "mnemo/base/function_ref.h"
#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/skiplist.h"

namespace mnemo::db {

// Receives one element: its member bytes (valid during the call only) and its score.
using ZsetVisitor = FunctionRef<void(std::string_view member, double score)>;

// ---- creation and size ------------------------------------------------------------------------

// A new, empty zset object for `key` (no expiry), not yet in any Db, encoded for `size_hint`
// members of about `value_len_hint` bytes (Redis zsetTypeCreate). Callers add members at once:
// an empty zset must never be left in a Db.
Object* NewZsetObject(const Keyspace& ks, std::string_view key, size_t size_hint,
                      size_t value_len_hint);
// Converts a listpack zset to a skiplist pre-sized for size_hint members if size_hint exceeds
// zset-max-listpack-entries (Redis zsetTypeMaybeConvert, before ZADD adds that many).
void ZsetMaybeConvert(const Keyspace& ks, Object* o, size_t size_hint);

// Number of members. REQUIRES for this and every function below: o is a zset.
size_t ZsetLength(const Object& o);

// ---- members ----------------------------------------------------------------------------------

// ZADD/ZINCRBY options (Redis ZADD_IN_*). XX may be combined with GT or LT; callers reject the
// other combinations before calling.
enum ZaddFlag : unsigned {
  kZaddNone = 0,
  kZaddIncr = 1u << 0,  // add `score` to the current score (0 for a new member)
  kZaddNx = 1u << 1,    // only add new members
  kZaddXx = 1u << 2,    // only update existing members
  kZaddGt = 1u << 3,    // only update when the new score is greater
  kZaddLt = 1u << 4,    // only update when the new score is less
};

struct ZaddResult {
  enum class Outcome : uint8_t {
    kAdded,      // a new member
    kUpdated,    // an existing member got a different score
    kUnchanged,  // an existing member, same score: processed, nothing changed
    kSkipped,    // NX, XX, GT or LT said no (Redis ZADD_OUT_NOP)
    kNan,        // the score (or the incremented score) is NaN; nothing changed
  };
  Outcome outcome;
  double score = 0;  // the member's score afterwards, for kAdded, kUpdated and kUnchanged
};

// Adds or updates one member (Redis zsetAdd). May convert the set to a skiplist first.
ZaddResult ZsetAdd(const Keyspace& ks, Object* o, std::string_view member, double score,
                   unsigned flags);
// Removes member; returns true iff it was present. The set may become empty.
bool ZsetDelete(Object* o, std::string_view member);
// The score of member, or nullopt if it is absent.
std::optional<double> ZsetScore(Object* o, std::string_view member);

struct ZsetRankResult {
  size_t rank;  // 0-based, counted from the highest score when reverse
  double score;
};
// The rank (and score) of member, or nullopt if it is absent (Redis zsetRank).
std::optional<ZsetRankResult> ZsetRank(Object* o, std::string_view member, bool reverse);

// ---- ranges -----------------------------------------------------------------------------------

// Calls fn for the members of ranks start..end (0-based, in ascending order or, when reverse,
// counted and walked from the highest). REQUIRES: start <= end < ZsetLength(o).
void ZsetRangeByRank(Object* o, size_t start, size_t end, bool reverse, ZsetVisitor fn);
// Calls fn for the members whose score is in `range`, walking up from the lowest (down from the
// highest when reverse), skipping the first `offset` of them and stopping after `limit` (limit <
// 0: no limit). A negative offset yields nothing, as in Redis. Returns the number visited.
size_t ZsetRangeByScore(Object* o, const ds::ScoreRange& range, int64_t offset, int64_t limit,
                        bool reverse, ZsetVisitor fn);
// As ZsetRangeByScore for a lexicographic range (meaningful when all scores are equal).
size_t ZsetRangeByLex(Object* o, const ds::LexRange& range, int64_t offset, int64_t limit,
                      bool reverse, ZsetVisitor fn);
// Number of members with a score in range (ZCOUNT) / a member in range (ZLEXCOUNT).
size_t ZsetCount(Object* o, const ds::ScoreRange& range);
size_t ZsetLexCount(Object* o, const ds::LexRange& range);

// Remove the members in the range and return how many were removed (ZREMRANGEBY*). For ranks,
// REQUIRES: start <= end < ZsetLength(o).
size_t ZsetDeleteRangeByScore(Object* o, const ds::ScoreRange& range);
size_t ZsetDeleteRangeByLex(Object* o, const ds::LexRange& range);
size_t ZsetDeleteRangeByRank(Object* o, size_t start, size_t end);

// Removes the min(count, length) lowest members (highest when `max`), one at a time, calling fn
// for each just before it is removed (ZPOPMIN, ZPOPMAX, ZMPOP). Returns how many were popped.
size_t ZsetPop(Object* o, bool max, size_t count, ZsetVisitor fn);

// ---- random members and scans -----------------------------------------------------------------

// Calls fn for one random member. REQUIRES: the set is not empty.
void ZsetRandomMember(Object* o, ZsetVisitor fn);
// Calls fn `count` times, each with a member picked at random independently (ZRANDMEMBER with a
// negative count). REQUIRES: the set is not empty.
void ZsetRandomMembers(Object* o, size_t count, ZsetVisitor fn);
// Calls fn for min(count, length) distinct random members (ZRANDMEMBER with a positive count);
// all of them, from the highest score down (as Redis), when count >= length.
void ZsetRandomDistinctMembers(Object* o, size_t count, ZsetVisitor fn);

// Receives one ZSCAN element: member and score as ZSCAN prints it.
using ZsetScanVisitor = FunctionRef<void(std::string_view member, std::string_view score)>;
// One ZSCAN step (Redis scanGenericCommand): a listpack reports every member and returns cursor
// 0; a skiplist walks its index from `cursor` until about `count` members were reported (at
// most count * 10 buckets) and returns the next cursor (0 when done). Scores print as Redis
// prints them: the listpack's stored form, or d2string for a skiplist.
uint64_t ZsetScan(Object* o, uint64_t cursor, size_t count, ZsetScanVisitor fn);

// ---- set operations (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD) --------------------

// An input of a set operation, whatever its type: a sorted set, or a set whose members count
// with score 1 (Redis zuiInitIterator/zuiNext/zuiFind). A set type adds its own implementation
// (see OpenZsetOpSource).
class ZsetOpSource {
 public:
  virtual ~ZsetOpSource() = default;
  virtual size_t Length() = 0;
  // Calls fn for every element, in any order, until fn returns false.
  virtual void ForEach(FunctionRef<bool(std::string_view member, double score)> fn) = 0;
  // The element's score, or nullopt if it is absent.
  virtual std::optional<double> Score(std::string_view member) = 0;
};

// The source reading key value `o`, or null when o's type cannot be an input (the command then
// replies WRONGTYPE): sorted sets, and sets (every member with score 1, as Redis).
std::unique_ptr<ZsetOpSource> OpenZsetOpSource(Object* o);

enum class ZsetSetOp : uint8_t { kUnion, kInter, kDiff };
enum class ZsetAggregate : uint8_t { kSum, kMin, kMax };

struct ZsetOpInput {
  const Object* object = nullptr;  // identity of the input (same key given twice); null: absent
  ZsetOpSource* source = nullptr;  // null: an absent key, i.e. an empty input
  double weight = 1;
};

// The result of a set operation, ordered by (score, member). Move-only.
class ZsetOpResult {
 public:
  ZsetOpResult() = default;
  ZsetOpResult(ZsetOpResult&&) = default;
  ZsetOpResult& operator=(ZsetOpResult&&) = default;

  size_t size() const { return set_.size(); }
  // Calls fn for each element in ascending order.
  void ForEach(ZsetVisitor fn) const;
  // A new zset object for `key` holding the result, a listpack when it fits the thresholds
  // (Redis zsetConvertToListpackIfNeeded); the result is empty afterwards. REQUIRES: size() > 0.
  Object* ToObject(const Keyspace& ks, std::string_view key);

 private:
  friend ZsetOpResult ZsetSetOperation(ZsetSetOp, std::span<ZsetOpInput>, ZsetAggregate);
  ds::Skiplist set_;
  size_t max_member_len_ = 0;
  size_t total_member_len_ = 0;
};

// Computes a union, intersection or difference as Redis's zunionInterDiffGenericCommand: scores
// are multiplied by the weights (a NaN product, 0 * inf, counts as 0), combined with `aggregate`
// (a NaN sum, inf + -inf, counts as 0); the difference keeps the first input's scores and
// ignores weights and aggregate. May reorder `inputs` (by size, smallest first, for union and
// intersection).
ZsetOpResult ZsetSetOperation(ZsetSetOp op, std::span<ZsetOpInput> inputs, ZsetAggregate aggregate);
// The size of the intersection, counting stops at `limit` (0: no limit) (ZINTERCARD). May
// reorder `inputs`.
size_t ZsetInterCard(std::span<ZsetOpInput> inputs, size_t limit);

// ---- snapshots (RDB save and load, layer persist) ----------------------------------------------

// (An RDB writer serializes a listpack-encoded zset's listpack as is, read through a
// db::ListpackView, and walks a skiplist from the highest score down with ZsetRangeByRank, as
// Redis writes ZSET_2.)
// A new zset object for `key` whose value is `lp`, a listpack of member, score, ... pairs that
// passed ds::LpValidate(deep) and was allocated through mem::. Takes ownership of `lp` in every
// case. Returns null (having freed it) when `lp` is not a sorted set as this encoding keeps one:
// no elements or an odd number, a score that is not a number (or is NaN), pairs not in strictly
// ascending (score, member) order, or a member twice. Converts to a skiplist when beyond
// zset-max-listpack-entries or zset-max-listpack-value.
Object* NewZsetObjectFromListpack(const Keyspace& ks, std::string_view key, uint8_t* lp);

// ---- value operations, for value.h's dispatch --------------------------------------------------

void FreeZsetValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragZsetValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
// 1 for a listpack; the member count for a skiplist (Redis lazyfreeGetFreeEffort).
size_t ZsetFreeEffort(const ValueRef& v);
// Exact bytes of the value's allocations, whatever `samples` (a skiplist keeps its own count).
size_t ZsetValueMemory(const ValueRef& v, size_t samples);
uint64_t DuplicateZsetValue(const ValueRef& v);

}  // namespace mnemo::db

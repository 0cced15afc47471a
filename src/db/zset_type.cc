// zset_type.cc: sorted set encodings (listpack, skiplist) and their conversions (layer: db).
// The rules are in zset_type.h; the listpack layout of a zset is Redis 7's (t_zset.c zzl*).
#include "mnemo/db/zset_type.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mnemo/base/assert.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/random.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

using ds::LpEntry;
using ds::Skiplist;
using SkiplistNode = ds::SkiplistNode;

// ---- the two structures behind the value word -------------------------------------------------

Skiplist* Sl(const Object& o) { return static_cast<Skiplist*>(o.ptr()); }
bool IsListpack(const Object& o) {
  MNEMO_ASSERT(o.type() == ObjType::kZset);
  return o.encoding() == Encoding::kListpack;
}

// The Skiplist struct lives in its own block (the object's value word is 8 bytes); its usable
// size is part of the value's memory.
Skiplist* NewSkiplist() { return new (mem::Alloc(sizeof(Skiplist))) Skiplist(); }
Skiplist* NewSkiplist(Skiplist&& from) {
  return new (mem::Alloc(sizeof(Skiplist))) Skiplist(std::move(from));
}
void DeleteSkiplist(Skiplist* s) {
  s->~Skiplist();
  mem::Free(s);
}

// ---- listpack entries -------------------------------------------------------------------------

// 128: Redis zzlStrtod's buffer; a stored score is at most 24 bytes ("%.17g"), so longer text
// can only come from a corrupt listpack, and is cut as Redis cuts it.
constexpr size_t kScoreParseBuf = 128;
// Room for "%.17g" of any double ("-1.7976931348623157e+308" is 24 bytes) and the NUL.
constexpr size_t kScoreTextBuf = 32;

using MemberBuf = char[ds::kLpIntBufSize];

double EntryScore(const LpEntry& e) {
  if (e.is_int) return static_cast<double>(e.int_value);
  char buf[kScoreParseBuf];
  const size_t n = std::min(e.len, sizeof(buf) - 1);
  std::memcpy(buf, e.str, n);
  buf[n] = '\0';
  return std::strtod(buf, nullptr);
}

double LpScore(const uint8_t* sptr) { return EntryScore(ds::LpGet(sptr)); }

std::string_view LpMember(const uint8_t* eptr, MemberBuf& buf) {
  return ds::LpGet(eptr).AsBytes(buf);
}

// The entry a score is stored as (Redis zzlInsertAt): an integer when the double is integral and
// within +-LLONG_MAX/2 (double2ll), otherwise its "%.17g" text in `buf`.
LpEntry ScoreEntry(double score, char (&buf)[kScoreTextBuf]) {
  constexpr double kHalfRange = static_cast<double>(INT64_MAX / 2);
  if (score >= -kHalfRange && score <= kHalfRange) {
    const auto ll = static_cast<int64_t>(score);
    if (static_cast<double>(ll) == score) return LpEntry::Int(ll);
  }
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  return LpEntry::String({buf, static_cast<size_t>(n)});
}

// Member entry of the pair before the one at eptr, or null at the first pair.
uint8_t* PrevPair(uint8_t* lp, uint8_t* eptr) {
  uint8_t* sptr = ds::LpPrev(lp, eptr);
  return sptr == nullptr ? nullptr : ds::LpPrev(lp, sptr);
}
// Member entry of the pair after the one at eptr, or null at the last pair.
uint8_t* NextPair(uint8_t* lp, uint8_t* eptr) { return ds::LpNext(lp, ds::LpNext(lp, eptr)); }
// The same in a forward walk (a listpack wherever it is: Object::ForwardListpack).
uint8_t* NextPair(const ds::LpForward& w, uint8_t* eptr) { return w.Next(w.Next(eptr)); }

size_t LpPairs(uint8_t* lp) { return ds::LpLength(lp) / 2; }

// Inserts (member, score) at its place in (score, member) order (Redis zzlInsert). Returns the
// listpack, which may have moved. REQUIRES: member is absent.
uint8_t* LpInsertPair(uint8_t* lp, std::string_view member, double score) {
  MemberBuf mbuf;
  uint8_t* eptr = ds::LpFirst(lp);
  while (eptr != nullptr) {
    uint8_t* sptr = ds::LpNext(lp, eptr);
    const double s = LpScore(sptr);
    if (s > score || (s == score && LpMember(eptr, mbuf).compare(member) > 0)) break;
    eptr = ds::LpNext(lp, sptr);
  }
  char sbuf[kScoreTextBuf];
  const LpEntry score_entry = ScoreEntry(score, sbuf);
  // Before the pair found, or before the terminator (an append) when there is none.
  uint8_t* at = eptr != nullptr ? eptr : lp + ds::LpBytes(lp) - 1;
  ds::LpEdit e = ds::LpInsertString(lp, member, at, ds::LpWhere::kBefore);
  e = ds::LpInsert(e.lp, score_entry, e.p, ds::LpWhere::kAfter);
  return e.lp;
}

// True iff the pair at eptr, given `score`, still sorts after the pair before it and before the
// pair after it, so that a new score leaves it in place. The pair before is found walking from
// the first (a packed form has no way back).
bool LpPairStaysBetween(const ds::LpForward& w, uint8_t* eptr, std::string_view member,
                        double score) {
  MemberBuf mbuf;
  uint8_t* prev = nullptr;
  for (uint8_t* p = w.First(); p != eptr; p = NextPair(w, p)) prev = p;
  if (prev != nullptr) {
    const double ps = LpScore(w.Next(prev));
    if (ps > score || (ps == score && LpMember(prev, mbuf) > member)) return false;
  }
  if (uint8_t* next = NextPair(w, eptr); next != nullptr) {
    const double ns = LpScore(w.Next(next));
    if (ns < score || (ns == score && LpMember(next, mbuf) < member)) return false;
  }
  return true;
}

uint8_t* LpDeletePair(uint8_t* lp, uint8_t* eptr) {
  return ds::LpDeleteRangeWithEntry(lp, eptr, 2).lp;
}

// Appends a pair at the end (the caller knows it sorts last).
uint8_t* LpAppendPair(uint8_t* lp, std::string_view member, double score) {
  char sbuf[kScoreTextBuf];
  const LpEntry entries[2] = {LpEntry::String(member), ScoreEntry(score, sbuf)};
  return ds::LpBatchAppend(lp, entries);
}

// ---- ranges on a listpack (Redis zzlFirstInRange and friends) -----------------------------------

// Redis zzlIsInRange / zzlIsInLexRange: false when no element can be in the range, judged from
// the range itself and the two ends only. Kept as Redis has it, so that a lex range on a set with
// unequal scores answers as Redis's does.
bool LpMayOverlap(uint8_t* lp, const ds::ScoreRange& r) {
  if (r.IsEmpty()) return false;
  uint8_t* last = ds::LpSeek(lp, -1);
  if (last == nullptr || !r.GteMin(LpScore(last))) return false;
  return r.LteMax(LpScore(ds::LpSeek(lp, 1)));
}

bool LpMayOverlap(uint8_t* lp, const ds::LexRange& r) {
  if (r.IsEmpty()) return false;
  MemberBuf buf;
  uint8_t* last = ds::LpSeek(lp, -2);
  if (last == nullptr || !r.GteMin(LpMember(last, buf))) return false;
  return r.LteMax(LpMember(ds::LpFirst(lp), buf));
}

// Element tests shared by the score and lex walks.
bool GteMin(uint8_t* eptr, const ds::ScoreRange& r) {
  return r.GteMin(LpScore(eptr + ds::LpEntryBytes(eptr)));
}
bool LteMax(uint8_t* eptr, const ds::ScoreRange& r) {
  return r.LteMax(LpScore(eptr + ds::LpEntryBytes(eptr)));
}
bool GteMin(uint8_t* eptr, const ds::LexRange& r) {
  MemberBuf buf;
  return r.GteMin(LpMember(eptr, buf));
}
bool LteMax(uint8_t* eptr, const ds::LexRange& r) {
  MemberBuf buf;
  return r.LteMax(LpMember(eptr, buf));
}

// First pair in range, or null.
template <typename Range>
uint8_t* LpFirstInRange(uint8_t* lp, const Range& r) {
  if (!LpMayOverlap(lp, r)) return nullptr;
  for (uint8_t* eptr = ds::LpFirst(lp); eptr != nullptr; eptr = NextPair(lp, eptr)) {
    if (GteMin(eptr, r)) return LteMax(eptr, r) ? eptr : nullptr;
  }
  return nullptr;
}

// Last pair in range, or null.
template <typename Range>
uint8_t* LpLastInRange(uint8_t* lp, const Range& r) {
  if (!LpMayOverlap(lp, r)) return nullptr;
  for (uint8_t* eptr = ds::LpSeek(lp, -2); eptr != nullptr; eptr = PrevPair(lp, eptr)) {
    if (LteMax(eptr, r)) return GteMin(eptr, r) ? eptr : nullptr;
  }
  return nullptr;
}

// Number of consecutive pairs from eptr that are still below the range's max.
template <typename Range>
size_t LpRunInRange(uint8_t* lp, uint8_t* eptr, const Range& r) {
  size_t n = 0;
  for (; eptr != nullptr && LteMax(eptr, r); eptr = NextPair(lp, eptr)) ++n;
  return n;
}

// Calls fn for the pair at eptr of a listpack (in Redis's form: a block or a ListpackView).
void VisitPair(uint8_t* eptr, ZsetVisitor fn) {
  MemberBuf buf;
  const std::string_view member = LpMember(eptr, buf);
  fn(member, LpScore(eptr + ds::LpEntryBytes(eptr)));
}
// The same in a forward walk.
void VisitPair(const ds::LpForward& w, uint8_t* eptr, ZsetVisitor fn) {
  MemberBuf buf;
  const std::string_view member = LpMember(eptr, buf);
  fn(member, LpScore(w.Next(eptr)));
}

// The range walk of ZRANGEBYSCORE / ZRANGEBYLEX on either encoding (Redis
// genericZrangebyscoreCommand / genericZrangebylexCommand).
template <typename Range>
size_t RangeWalk(Object* o, const Range& r, int64_t offset, int64_t limit, bool reverse,
                 ZsetVisitor fn) {
  // Redis: an offset at or past the end returns at once; a negative one walks off the end.
  if (offset < 0 || static_cast<uint64_t>(offset) >= ZsetLength(*o)) return 0;
  size_t visited = 0;
  if (IsListpack(*o)) {
    ListpackView view(*o);
    uint8_t* lp = view.get();
    uint8_t* eptr = reverse ? LpLastInRange(lp, r) : LpFirstInRange(lp, r);
    for (int64_t i = 0; eptr != nullptr && i < offset; ++i) {
      eptr = reverse ? PrevPair(lp, eptr) : NextPair(lp, eptr);
    }
    for (; eptr != nullptr && limit != 0; --limit) {
      if (reverse ? !GteMin(eptr, r) : !LteMax(eptr, r)) break;
      VisitPair(eptr, fn);
      ++visited;
      eptr = reverse ? PrevPair(lp, eptr) : NextPair(lp, eptr);
    }
    return visited;
  }
  const Skiplist* sl = Sl(*o);
  const SkiplistNode* x;
  if constexpr (std::is_same_v<Range, ds::ScoreRange>) {
    x = reverse ? sl->LastInRange(r) : sl->FirstInRange(r);
  } else {
    x = reverse ? sl->LastInLexRange(r) : sl->FirstInLexRange(r);
  }
  // The offset in O(log n) through ranks instead of a walk.
  if (x != nullptr && offset > 0) {
    x = sl->NodeByRank(sl->RankOf(x, reverse) + static_cast<size_t>(offset), reverse);
  }
  for (; x != nullptr && limit != 0; --limit) {
    if constexpr (std::is_same_v<Range, ds::ScoreRange>) {
      if (reverse ? !r.GteMin(x->score()) : !r.LteMax(x->score())) break;
    } else {
      if (reverse ? !r.GteMin(x->member()) : !r.LteMax(x->member())) break;
    }
    fn(x->member(), x->score());
    ++visited;
    x = reverse ? Skiplist::Prev(x) : Skiplist::Next(x);
  }
  return visited;
}

// ---- conversions ------------------------------------------------------------------------------

// Listpack to skiplist, index pre-sized for `capacity` members (Redis zsetConvertAndExpand).
void ConvertToSkiplist(Object* o, size_t capacity) {
  MNEMO_ASSERT(IsListpack(*o));
  Skiplist* sl = NewSkiplist();
  sl->Reserve(std::max(capacity, o->ListpackLength() / 2));
  const ds::LpForward w = o->ForwardListpack();
  for (uint8_t* eptr = w.First(); eptr != nullptr; eptr = NextPair(w, eptr)) {
    VisitPair(w, eptr, [&](std::string_view member, double score) { sl->Insert(member, score); });
  }
  if (!o->has_inline_listpack()) ds::LpFree(o->listpack_block());
  o->set_ptr(sl);  // the slot keeps its size until Db::Repack
  o->set_encoding(Encoding::kSkiplist);
}

bool FitsListpack(const Options& opt, size_t entries, size_t max_member_len) {
  return entries <= static_cast<uint64_t>(opt.zset_max_listpack_entries) &&
         max_member_len <= static_cast<uint64_t>(opt.zset_max_listpack_value);
}

// ---- set operation sources ----------------------------------------------------------------------

class ZsetObjectSource final : public ZsetOpSource {
 public:
  explicit ZsetObjectSource(Object* o) : o_(o) {}
  size_t Length() override { return ZsetLength(*o_); }
  void ForEach(FunctionRef<bool(std::string_view, double)> fn) override {
    if (IsListpack(*o_)) {
      const ds::LpForward w = o_->ForwardListpack();
      MemberBuf buf;
      for (uint8_t* eptr = w.First(); eptr != nullptr; eptr = NextPair(w, eptr)) {
        const std::string_view member = LpMember(eptr, buf);
        if (!fn(member, LpScore(w.Next(eptr)))) return;
      }
      return;
    }
    for (const SkiplistNode* x = Sl(*o_)->First(); x != nullptr; x = Skiplist::Next(x)) {
      if (!fn(x->member(), x->score())) return;
    }
  }
  std::optional<double> Score(std::string_view member) override { return ZsetScore(o_, member); }

 private:
  Object* o_;
};

size_t SourceLength(const ZsetOpInput& in) {
  return in.source == nullptr ? 0 : in.source->Length();
}

// Redis zunionInterAggregate: a NaN sum (inf + -inf) counts as 0; MIN and MAX keep the target
// when the comparison fails (NaN included).
void Aggregate(double* target, double value, ZsetAggregate aggregate) {
  switch (aggregate) {
    case ZsetAggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;
      break;
    case ZsetAggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case ZsetAggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// Smallest input first, as Redis sorts them (a stable sort, so ties keep the command's order).
void SortBySize(std::span<ZsetOpInput> inputs) {
  std::stable_sort(inputs.begin(), inputs.end(), [](const ZsetOpInput& a, const ZsetOpInput& b) {
    return SourceLength(a) < SourceLength(b);
  });
}

// Calls emit(member, score) for each member of the intersection (Redis's SET_OP_INTER loop);
// emit returns false to stop.
template <typename Emit>
void Intersect(std::span<ZsetOpInput> inputs, ZsetAggregate aggregate, Emit emit) {
  SortBySize(inputs);
  if (inputs.empty() || SourceLength(inputs[0]) == 0) return;
  // Every other input is non-empty too (sorted by size).
  inputs[0].source->ForEach([&](std::string_view member, double s) {
    double score = inputs[0].weight * s;
    if (std::isnan(score)) score = 0;
    for (size_t j = 1; j < inputs.size(); ++j) {
      double value;
      if (inputs[j].object == inputs[0].object) {
        value = s * inputs[j].weight;
      } else {
        const std::optional<double> found = inputs[j].source->Score(member);
        if (!found) return true;  // not in every input: next member
        value = *found * inputs[j].weight;
      }
      Aggregate(&score, value, aggregate);
    }
    return emit(member, score);
  });
}

}  // namespace

// ---- creation and size --------------------------------------------------------------------------

Object* NewZsetObject(const Keyspace& ks, std::string_view key, size_t size_hint,
                      size_t value_len_hint) {
  Object::ValueInit v{Encoding::kListpack, {}, 0, false};
  if (FitsListpack(ks.options(), size_hint, value_len_hint)) {
    v.word = reinterpret_cast<uint64_t>(ds::LpNew(0));
  } else {
    Skiplist* sl = NewSkiplist();
    sl->Reserve(size_hint);
    v.encoding = Encoding::kSkiplist;
    v.word = reinterpret_cast<uint64_t>(sl);
  }
  return Object::Create(key, ObjType::kZset, v, false, 0, ks.InitialLru());
}

void ZsetMaybeConvert(const Keyspace& ks, Object* o, size_t size_hint) {
  if (IsListpack(*o) && size_hint > static_cast<uint64_t>(ks.options().zset_max_listpack_entries)) {
    ConvertToSkiplist(o, size_hint);
  }
}

size_t ZsetLength(const Object& o) {
  return IsListpack(o) ? o.ListpackLength() / 2 : Sl(o)->size();
}

// ---- members ------------------------------------------------------------------------------------

ZaddResult ZsetAdd(const Keyspace& ks, Object* o, std::string_view member, double score,
                   unsigned flags) {
  using Outcome = ZaddResult::Outcome;
  const bool incr = (flags & kZaddIncr) != 0;
  const bool nx = (flags & kZaddNx) != 0;
  const bool xx = (flags & kZaddXx) != 0;
  const bool gt = (flags & kZaddGt) != 0;
  const bool lt = (flags & kZaddLt) != 0;
  if (std::isnan(score)) return {Outcome::kNan};

  // What an existing member with score `current` becomes (shared by both encodings).
  auto update = [&](double current, double* new_score) -> std::optional<Outcome> {
    if (nx) return Outcome::kSkipped;
    double s = score;
    if (incr) {
      s += current;
      if (std::isnan(s)) return Outcome::kNan;
    }
    if ((lt && s >= current) || (gt && s <= current)) return Outcome::kSkipped;
    *new_score = s;
    return std::nullopt;  // go on: set the score
  };

  if (IsListpack(*o)) {
    const ds::LpForward w = o->ForwardListpack();
    if (uint8_t* eptr = w.Find(member, 1); eptr != nullptr) {
      const double current = LpScore(w.Next(eptr));
      double s = 0;
      if (auto done = update(current, &s)) return {*done};
      if (s == current) return {Outcome::kUnchanged, s};
      // A new score that keeps the pair's place and its encoded size is written where it is
      // (in the slot too: ZINCRBY on a small leaderboard moves nothing).
      if (LpPairStaysBetween(w, eptr, member, s)) {
        char sbuf[kScoreTextBuf];
        if (w.ReplaceInPlace(w.Next(eptr), ScoreEntry(s, sbuf))) return {Outcome::kUpdated, s};
      }
      // `member` may not point into the listpack (it is the caller's argument), so deleting the
      // pair first is safe.
      uint8_t* lp = o->WritableListpack(&eptr);
      lp = LpDeletePair(lp, eptr);
      o->set_ptr(LpInsertPair(lp, member, s));
      return {Outcome::kUpdated, s};
    }
    if (xx) return {Outcome::kSkipped};
    const Options& opt = ks.options();
    const size_t n = o->ListpackLength() / 2;
    if (FitsListpack(opt, n + 1, member.size()) && o->ListpackSafeToAdd(member.size())) {
      o->set_ptr(LpInsertPair(o->WritableListpack(), member, score));
      return {Outcome::kAdded, score};
    }
    ConvertToSkiplist(o, n + 1);
  }

  Skiplist* sl = Sl(*o);
  if (const SkiplistNode* x = sl->Find(member); x != nullptr) {
    const double current = x->score();
    double s = 0;
    if (auto done = update(current, &s)) return {*done};
    if (s == current) return {Outcome::kUnchanged, s};
    sl->UpdateScore(x, s);
    return {Outcome::kUpdated, s};
  }
  if (xx) return {Outcome::kSkipped};
  sl->Insert(member, score);
  return {Outcome::kAdded, score};
}

bool ZsetDelete(Object* o, std::string_view member) {
  if (IsListpack(*o)) {
    uint8_t* eptr = o->ForwardListpack().Find(member, 1);
    if (eptr == nullptr) return false;
    uint8_t* lp = o->WritableListpack(&eptr);
    o->set_ptr(LpDeletePair(lp, eptr));
    return true;
  }
  return Sl(*o)->Delete(member);
}

std::optional<double> ZsetScore(Object* o, std::string_view member) {
  if (IsListpack(*o)) {
    const ds::LpForward w = o->ForwardListpack();
    uint8_t* eptr = w.Find(member, 1);
    if (eptr == nullptr) return std::nullopt;
    return LpScore(w.Next(eptr));
  }
  const SkiplistNode* x = Sl(*o)->Find(member);
  if (x == nullptr) return std::nullopt;
  return x->score();
}

std::optional<ZsetRankResult> ZsetRank(Object* o, std::string_view member, bool reverse) {
  if (IsListpack(*o)) {
    const ds::LpForward w = o->ForwardListpack();
    const size_t n = o->ListpackLength() / 2;
    size_t rank = 0;
    for (uint8_t* eptr = w.First(); eptr != nullptr; eptr = NextPair(w, eptr), ++rank) {
      if (ds::LpEquals(eptr, member)) {
        return ZsetRankResult{reverse ? n - 1 - rank : rank, LpScore(w.Next(eptr))};
      }
    }
    return std::nullopt;
  }
  Skiplist* sl = Sl(*o);
  const SkiplistNode* x = sl->Find(member);
  if (x == nullptr) return std::nullopt;
  return ZsetRankResult{sl->RankOf(x, reverse), x->score()};
}

// ---- ranges -------------------------------------------------------------------------------------

void ZsetRangeByRank(Object* o, size_t start, size_t end, bool reverse, ZsetVisitor fn) {
  MNEMO_ASSERT(start <= end && end < ZsetLength(*o));
  size_t n = end - start + 1;
  if (IsListpack(*o) && !reverse) {  // forwards: read where it is, packed or not
    const ds::LpForward w = o->ForwardListpack();
    uint8_t* eptr = w.First();
    for (size_t i = 0; i < start; ++i) eptr = NextPair(w, eptr);
    for (; n > 0; --n) {
      MNEMO_ASSERT(eptr != nullptr);
      VisitPair(w, eptr, fn);
      eptr = NextPair(w, eptr);
    }
    return;
  }
  if (IsListpack(*o)) {
    ListpackView view(*o);
    uint8_t* lp = view.get();
    for (uint8_t* eptr = ds::LpSeek(lp, -2 - 2 * static_cast<int64_t>(start)); n > 0; --n) {
      MNEMO_ASSERT(eptr != nullptr);
      VisitPair(eptr, fn);
      eptr = PrevPair(lp, eptr);
    }
    return;
  }
  const Skiplist* sl = Sl(*o);
  const SkiplistNode* x = sl->NodeByRank(start, reverse);
  for (; n > 0; --n) {
    MNEMO_ASSERT(x != nullptr);
    fn(x->member(), x->score());
    x = reverse ? Skiplist::Prev(x) : Skiplist::Next(x);
  }
}

size_t ZsetRangeByScore(Object* o, const ds::ScoreRange& range, int64_t offset, int64_t limit,
                        bool reverse, ZsetVisitor fn) {
  return RangeWalk(o, range, offset, limit, reverse, fn);
}

size_t ZsetRangeByLex(Object* o, const ds::LexRange& range, int64_t offset, int64_t limit,
                      bool reverse, ZsetVisitor fn) {
  return RangeWalk(o, range, offset, limit, reverse, fn);
}

size_t ZsetCount(Object* o, const ds::ScoreRange& range) {
  if (IsListpack(*o)) {
    ListpackView view(*o);
    uint8_t* lp = view.get();
    uint8_t* eptr = LpFirstInRange(lp, range);
    return eptr == nullptr ? 0 : LpRunInRange(lp, eptr, range);
  }
  return Sl(*o)->CountInRange(range);
}

size_t ZsetLexCount(Object* o, const ds::LexRange& range) {
  if (IsListpack(*o)) {
    ListpackView view(*o);
    uint8_t* lp = view.get();
    uint8_t* eptr = LpFirstInRange(lp, range);
    return eptr == nullptr ? 0 : LpRunInRange(lp, eptr, range);
  }
  return Sl(*o)->CountInLexRange(range);
}

namespace {

// The run of pairs from the first in range on, removed with one listpack edit (Redis
// zzlDeleteRangeByScore / zzlDeleteRangeByLex remove them one by one; the result is the same).
template <typename Range>
size_t LpDeleteRun(Object* o, const Range& range) {
  ListpackView view(*o);
  uint8_t* lp = view.get();
  uint8_t* eptr = LpFirstInRange(lp, range);
  if (eptr == nullptr) return 0;
  const size_t n = LpRunInRange(lp, eptr, range);
  lp = o->WritableListpack(view, &eptr);
  o->set_ptr(ds::LpDeleteRangeWithEntry(lp, eptr, 2 * n).lp);
  return n;
}

}  // namespace

size_t ZsetDeleteRangeByScore(Object* o, const ds::ScoreRange& range) {
  if (IsListpack(*o)) return LpDeleteRun(o, range);
  return Sl(*o)->DeleteRangeByScore(range);
}

size_t ZsetDeleteRangeByLex(Object* o, const ds::LexRange& range) {
  if (IsListpack(*o)) return LpDeleteRun(o, range);
  return Sl(*o)->DeleteRangeByLex(range);
}

size_t ZsetDeleteRangeByRank(Object* o, size_t start, size_t end) {
  MNEMO_ASSERT(start <= end && end < ZsetLength(*o));
  if (IsListpack(*o)) {
    const size_t n = end - start + 1;
    o->set_ptr(ds::LpDeleteRange(o->WritableListpack(), static_cast<int64_t>(2 * start), 2 * n));
    return n;
  }
  return Sl(*o)->DeleteRangeByRank(start, end);
}

size_t ZsetPop(Object* o, bool max, size_t count, ZsetVisitor fn) {
  size_t popped = 0;
  for (; popped < count; ++popped) {
    if (IsListpack(*o)) {
      ListpackView view(*o);
      uint8_t* lp = view.get();
      uint8_t* eptr = max ? ds::LpSeek(lp, -2) : ds::LpFirst(lp);
      if (eptr == nullptr) break;
      VisitPair(eptr, fn);
      lp = o->WritableListpack(view, &eptr);
      o->set_ptr(LpDeletePair(lp, eptr));
    } else {
      Skiplist* sl = Sl(*o);
      const SkiplistNode* x = max ? sl->Last() : sl->First();
      if (x == nullptr) break;
      fn(x->member(), x->score());
      sl->Delete(x->member());
    }
  }
  return popped;
}

// ---- random members and scans
// ---------------------------------------------------------------------

void ZsetRandomMember(Object* o, ZsetVisitor fn) {
  if (IsListpack(*o)) {
    ListpackView view(*o);
    uint8_t* lp = view.get();
    const ds::LpPair pair = ds::LpRandomPair(lp, LpPairs(lp));
    MemberBuf buf;
    fn(pair.key.AsBytes(buf), EntryScore(pair.value));
    return;
  }
  const SkiplistNode* x = Sl(*o)->RandomNode();
  MNEMO_ASSERT(x != nullptr);
  fn(x->member(), x->score());
}

void ZsetRandomMembers(Object* o, size_t count, ZsetVisitor fn) {
  if (!IsListpack(*o)) {
    Skiplist* sl = Sl(*o);
    for (size_t i = 0; i < count; ++i) {
      const SkiplistNode* x = sl->RandomNode();
      fn(x->member(), x->score());
    }
    return;
  }
  // Picked in batches of at most 1000 (Redis ZRANDMEMBER_RANDOM_SAMPLE_LIMIT), so that a huge
  // count does not need a huge temporary array.
  constexpr size_t kBatch = 1000;
  ListpackView view(*o);
  uint8_t* lp = view.get();
  std::vector<LpEntry> keys(std::min(count, kBatch));
  std::vector<LpEntry> values(keys.size());
  MemberBuf buf;
  while (count > 0) {
    const size_t n = std::min(count, kBatch);
    count -= n;
    ds::LpRandomPairs(lp, std::span(keys).first(n), std::span(values).first(n));
    for (size_t i = 0; i < n; ++i) fn(keys[i].AsBytes(buf), EntryScore(values[i]));
  }
}

void ZsetRandomDistinctMembers(Object* o, size_t count, ZsetVisitor fn) {
  const size_t size = ZsetLength(*o);
  if (count >= size) {
    // Everything (Redis CASE 2), from the highest score down: Redis walks sorted sets backwards
    // here (zuiInitIterator), and redis-server 7.0.15 answers in that order.
    if (size > 0) ZsetRangeByRank(o, 0, size - 1, true, fn);
    return;
  }
  if (count == 0) return;
  if (IsListpack(*o)) {  // one pass over the listpack (Redis CASE 2.5)
    std::vector<LpEntry> keys(count);
    std::vector<LpEntry> values(count);
    ListpackView view(*o);
    const size_t got = ds::LpRandomPairsUnique(view.get(), keys, values);
    MNEMO_ASSERT(got == count);
    MemberBuf buf;
    for (size_t i = 0; i < got; ++i) fn(keys[i].AsBytes(buf), EntryScore(values[i]));
    return;
  }
  Skiplist* sl = Sl(*o);
  if (count * 3 > size) {
    // A large share of the set (Redis CASE 3): take every node and keep a random `count` of
    // them (a partial Fisher-Yates shuffle), rather than drawing until enough are distinct.
    std::vector<const SkiplistNode*> nodes;
    nodes.reserve(size);
    for (const SkiplistNode* x = sl->First(); x != nullptr; x = Skiplist::Next(x)) {
      nodes.push_back(x);
    }
    for (size_t i = 0; i < count; ++i) {
      const size_t j = i + RandomU64() % (size - i);
      std::swap(nodes[i], nodes[j]);
      fn(nodes[i]->member(), nodes[i]->score());
    }
    return;
  }
  // A small share (Redis CASE 4): draw until `count` distinct members came up.
  std::unordered_set<const SkiplistNode*> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    const SkiplistNode* x = sl->RandomNode();
    if (seen.insert(x).second) fn(x->member(), x->score());
  }
}

uint64_t ZsetScan(Object* o, uint64_t cursor, size_t count, ZsetScanVisitor fn) {
  if (IsListpack(*o)) {
    const ds::LpForward w = o->ForwardListpack();
    MemberBuf mbuf;
    MemberBuf sbuf;
    for (uint8_t* eptr = w.First(); eptr != nullptr; eptr = NextPair(w, eptr)) {
      const std::string_view member = LpMember(eptr, mbuf);
      fn(member, ds::LpGet(w.Next(eptr)).AsBytes(sbuf));
    }
    return 0;
  }
  // Redis scanGenericCommand: at most count * 10 buckets per call, so that a sparse table
  // cannot make one call long.
  Skiplist* sl = Sl(*o);
  size_t reported = 0;
  size_t max_iterations = count * 10;
  do {
    cursor = sl->Scan(cursor, [&](const SkiplistNode* x) {
      fn(x->member(), DoubleToString(x->score()));
      ++reported;
    });
  } while (cursor != 0 && max_iterations-- > 0 && reported < count);
  return cursor;
}

// ---- set operations -----------------------------------------------------------------------------

namespace {

// A set as an input of ZUNION/ZINTER/ZDIFF: every member with score 1 (Redis zuiNext/zuiFind),
// read through the set type's API.
class SetObjectSource final : public ZsetOpSource {
 public:
  explicit SetObjectSource(Object* o) : o_(o) {}
  size_t Length() override { return SetSize(*o_); }
  void ForEach(FunctionRef<bool(std::string_view member, double score)> fn) override {
    SetForEach(o_, [&fn](const SetMember& m) {
      IntBuffer buf;
      return fn(m.Bytes(buf), 1.0);
    });
  }
  std::optional<double> Score(std::string_view member) override {
    if (!SetIsMember(o_, member)) return std::nullopt;
    return 1.0;
  }

 private:
  Object* o_;
};

}  // namespace

std::unique_ptr<ZsetOpSource> OpenZsetOpSource(Object* o) {
  MNEMO_ASSERT(o != nullptr);
  switch (o->type()) {
    case ObjType::kZset:
      return std::make_unique<ZsetObjectSource>(o);
    case ObjType::kSet:
      return std::make_unique<SetObjectSource>(o);
    default:
      return nullptr;
  }
}

void ZsetOpResult::ForEach(ZsetVisitor fn) const {
  for (const SkiplistNode* x = set_.First(); x != nullptr; x = Skiplist::Next(x)) {
    fn(x->member(), x->score());
  }
}

Object* ZsetOpResult::ToObject(const Keyspace& ks, std::string_view key) {
  MNEMO_ASSERT(size() > 0);
  Object::ValueInit v{Encoding::kSkiplist, {}, 0, false};
  if (FitsListpack(ks.options(), size(), max_member_len_) &&
      ds::LpSafeToAdd(nullptr, total_member_len_)) {
    uint8_t* lp = ds::LpNew(0);
    ForEach([&lp](std::string_view member, double score) { lp = LpAppendPair(lp, member, score); });
    set_.Clear();
    v.encoding = Encoding::kListpack;
    v.word = reinterpret_cast<uint64_t>(lp);
  } else {
    v.word = reinterpret_cast<uint64_t>(NewSkiplist(std::move(set_)));
  }
  max_member_len_ = 0;
  total_member_len_ = 0;
  return Object::Create(key, ObjType::kZset, v, false, 0, ks.InitialLru());
}

ZsetOpResult ZsetSetOperation(ZsetSetOp op, std::span<ZsetOpInput> inputs,
                              ZsetAggregate aggregate) {
  ZsetOpResult r;
  Skiplist& out = r.set_;
  auto add = [&r, &out](std::string_view member, double score) {
    out.Insert(member, score);
    r.max_member_len_ = std::max(r.max_member_len_, member.size());
    r.total_member_len_ += member.size();
  };
  switch (op) {
    case ZsetSetOp::kInter:
      Intersect(inputs, aggregate, [&add](std::string_view member, double score) {
        add(member, score);
        return true;
      });
      break;

    case ZsetSetOp::kUnion: {
      SortBySize(inputs);
      // The union is at least as large as the largest input: size the index once.
      if (!inputs.empty()) out.Reserve(SourceLength(inputs.back()));
      for (ZsetOpInput& in : inputs) {
        if (SourceLength(in) == 0) continue;
        in.source->ForEach([&](std::string_view member, double s) {
          double score = in.weight * s;
          if (std::isnan(score)) score = 0;
          if (const SkiplistNode* x = out.Find(member); x != nullptr) {
            double total = x->score();
            Aggregate(&total, score, aggregate);
            out.UpdateScore(x, total);  // also when equal: -0 and 0 differ in print
          } else {
            add(member, score);
          }
          return true;
        });
      }
      break;
    }

    case ZsetSetOp::kDiff: {
      if (inputs.empty() || SourceLength(inputs[0]) == 0) break;
      // Redis zsetChooseDiffAlgorithm: the first input given again means an empty result;
      // otherwise (1) look every member of the first input up in the others, or (2) copy the
      // first input and delete the others' members from it, whichever is less work.
      size_t lookup_work = 0;
      size_t delete_work = 0;
      for (size_t j = 0; j < inputs.size(); ++j) {
        if (j > 0 && inputs[j].object == inputs[0].object) return r;
        lookup_work += SourceLength(inputs[0]);
        delete_work += SourceLength(inputs[j]);
      }
      lookup_work /= 2;  // Redis: algorithm 1 has the better constant
      if (lookup_work <= delete_work) {
        inputs[0].source->ForEach([&](std::string_view member, double score) {
          for (size_t j = 1; j < inputs.size(); ++j) {
            if (SourceLength(inputs[j]) > 0 && inputs[j].source->Score(member)) return true;
          }
          add(member, score);
          return true;
        });
      } else {
        inputs[0].source->ForEach([&add](std::string_view member, double score) {
          add(member, score);
          return true;
        });
        for (size_t j = 1; j < inputs.size() && !out.empty(); ++j) {
          if (SourceLength(inputs[j]) == 0) continue;
          inputs[j].source->ForEach([&](std::string_view member, double) {
            if (out.Delete(member)) r.total_member_len_ -= member.size();
            return !out.empty();  // nothing left to take away
          });
        }
        // The longest member cannot be tracked while deleting: measure it again (Redis
        // zsetDictGetMaxElementLength).
        r.max_member_len_ = 0;
        r.ForEach([&r](std::string_view member, double) {
          r.max_member_len_ = std::max(r.max_member_len_, member.size());
        });
      }
      break;
    }
  }
  return r;
}

size_t ZsetInterCard(std::span<ZsetOpInput> inputs, size_t limit) {
  size_t count = 0;
  Intersect(inputs, ZsetAggregate::kSum, [&count, limit](std::string_view, double) {
    ++count;
    return limit == 0 || count < limit;
  });
  return count;
}

// ---- snapshots ----------------------------------------------------------------------------------

namespace {

// The score of a listpack score entry read from a file, or nullopt when it is not a number as a
// writer stores one (an integer entry, or text strtod reads whole) or is NaN.
std::optional<double> CheckedEntryScore(const LpEntry& e) {
  if (e.is_int) return static_cast<double>(e.int_value);
  if (e.len >= kScoreParseBuf) return std::nullopt;
  return ParseDouble({reinterpret_cast<const char*>(e.str), e.len});
}

// Returns true iff the pairs of `lp` are in strictly ascending (score, member) order with valid
// scores and no member twice; fills *max_member with the longest member's length. One walk for a
// small listpack (the members' views are kept for the duplicate check), two for a big one.
// REQUIRES: a valid listpack with an even number of entries.
bool ListpackPairsValid(uint8_t* lp, size_t* max_member) {
  constexpr size_t kKeptMembers = 32;
  const size_t pairs = ds::LpLength(lp) / 2;
  const bool keep = pairs <= kKeptMembers;
  std::string_view members[kKeptMembers];
  MemberBuf ints[kKeptMembers];  // integer members, printed
  MemberBuf prev_int;
  MemberBuf buf;
  std::string_view prev;
  double prev_score = 0;
  size_t i = 0;
  *max_member = 0;
  for (uint8_t* eptr = ds::LpFirst(lp); eptr != nullptr; ++i) {
    uint8_t* sptr = ds::LpNext(lp, eptr);
    const std::optional<double> score = CheckedEntryScore(ds::LpGet(sptr));
    if (!score) return false;
    const std::string_view member = LpMember(eptr, keep ? ints[i] : buf);
    *max_member = std::max(*max_member, member.size());
    if (i > 0 && (*score < prev_score || (*score == prev_score && member <= prev))) return false;
    if (keep) {
      members[i] = member;
      prev = member;
    } else if (member.data() == buf) {
      // An integer member was printed into `buf`, which the next read reuses.
      std::memcpy(prev_int, buf, member.size());
      prev = {prev_int, member.size()};
    } else {
      prev = member;
    }
    prev_score = *score;
    eptr = ds::LpNext(lp, sptr);
  }
  return keep ? ds::BytesAllDistinct({members, i}) : ds::LpHasUniqueElements(lp, 1);
}

}  // namespace

Object* NewZsetObjectFromListpack(const Keyspace& ks, std::string_view key, uint8_t* lp) {
  const size_t n = ds::LpLength(lp);
  size_t max_member = 0;
  if (n == 0 || n % 2 != 0 || !ListpackPairsValid(lp, &max_member)) {
    ds::LpFree(lp);
    return nullptr;
  }
  if (FitsListpack(ks.options(), n / 2, max_member)) {
    return Object::CreateWithListpack(key, ObjType::kZset, lp, false, 0, ks.InitialLru());
  }
  const Object::ValueInit v{Encoding::kListpack, {}, reinterpret_cast<uint64_t>(lp)};
  Object* o = Object::Create(key, ObjType::kZset, v, false, 0, ks.InitialLru());
  ConvertToSkiplist(o, n / 2);
  return o;
}

// ---- value operations ---------------------------------------------------------------------------

void FreeZsetValue(const ValueRef& v) {
  if (v.encoding == Encoding::kListpack) {
    ds::LpFree(reinterpret_cast<uint8_t*>(v.word));
  } else {
    MNEMO_ASSERT(v.encoding == Encoding::kSkiplist);
    DeleteSkiplist(reinterpret_cast<Skiplist*>(v.word));
  }
}

size_t ZsetFreeEffort(const ValueRef& v) {
  if (v.encoding == Encoding::kListpack) return 1;
  return reinterpret_cast<const Skiplist*>(v.word)->size();
}

size_t ZsetValueMemory(const ValueRef& v, size_t /*samples*/) {
  if (v.encoding == Encoding::kListpack) {
    return mem::UsableSize(reinterpret_cast<const void*>(v.word));
  }
  const auto* sl = reinterpret_cast<const Skiplist*>(v.word);
  return sl->MemoryUsage() + mem::UsableSize(sl);
}

uint64_t DuplicateZsetValue(const ValueRef& v) {
  if (v.encoding == Encoding::kListpack) {
    return reinterpret_cast<uint64_t>(ds::LpDup(reinterpret_cast<const uint8_t*>(v.word)));
  }
  const auto* sl = reinterpret_cast<const Skiplist*>(v.word);
  return reinterpret_cast<uint64_t>(NewSkiplist(sl->Copy()));
}

uint64_t DefragZsetValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements) {
  // A Skiplist holds no pointer into itself (only the head's block points at nodes); its nodes
  // are walked max_elements at a time, by rank.
  return DefragTopThenWalk<Skiplist>(v, v.encoding == Encoding::kSkiplist, first, cursor,
                                     max_elements);
}

}  // namespace mnemo::db

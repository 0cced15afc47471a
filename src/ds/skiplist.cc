// skiplist.cc: the zset skiplist with its member index (layer: ds). Layout and byte arithmetic
// are documented in skiplist.h.
#include "mnemo/ds/skiplist.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "mnemo/base/assert.h"
#include "mnemo/base/random.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

// Returns true iff (s1, m1) sorts before (s2, m2). string_view::compare is memcmp on the common
// prefix (bytes as unsigned char), then the shorter first: Redis's sdscmp order.
inline bool KeyLess(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1.compare(m2) < 0);
}

// A random level in 1..kSkiplistMaxLevel with P(level > k) = (1/4)^k, as Redis's with
// ZSKIPLIST_P = 0.25: each pair of low bits of one random word is a 1-in-4 trial.
int RandomLevel() {
  const int level = 1 + std::countr_zero(RandomU64()) / 2;
  return std::min(level, kSkiplistMaxLevel);
}

std::optional<std::pair<double, bool>> ParseScoreBound(std::string_view arg) {
  const bool exclusive = !arg.empty() && arg[0] == '(';
  if (exclusive) arg.remove_prefix(1);
  // strtod needs a terminator. Redis reads the argument as a C string and checks that strtod
  // stopped at a NUL: the end, or an embedded NUL (whatever follows it is ignored).
  const std::string buf(arg);
  char* end = nullptr;
  const double v = std::strtod(buf.c_str(), &end);
  if (*end != '\0' || std::isnan(v)) return std::nullopt;
  return std::make_pair(v, exclusive);
}

std::optional<LexBound> ParseLexBound(std::string_view arg) {
  if (arg.empty()) return std::nullopt;
  // Redis tests c[1] != '\0' on a C string: "+" and "+\0..." are both the infinity.
  const bool alone = arg.size() == 1 || arg[1] == '\0';
  switch (arg[0]) {
    case '+':
      if (!alone) return std::nullopt;
      return LexBound{LexBound::Kind::kPlusInfinity, {}, true};
    case '-':
      if (!alone) return std::nullopt;
      return LexBound{LexBound::Kind::kMinusInfinity, {}, true};
    case '(':
      return LexBound{LexBound::Kind::kValue, arg.substr(1), true};
    case '[':
      return LexBound{LexBound::Kind::kValue, arg.substr(1), false};
    default:
      return std::nullopt;
  }
}

// <0, 0 or >0 as member sorts before, equal to or after the bound (Redis sdscmplex).
int CompareToBound(std::string_view member, const LexBound& bound) {
  switch (bound.kind) {
    case LexBound::Kind::kMinusInfinity:
      return 1;
    case LexBound::Kind::kPlusInfinity:
      return -1;
    case LexBound::Kind::kValue:
      break;
  }
  return member.compare(bound.value);
}

int CompareBounds(const LexBound& a, const LexBound& b) {
  using Kind = LexBound::Kind;
  if (a.kind == b.kind && a.kind != Kind::kValue) return 0;
  if (a.kind == Kind::kMinusInfinity || b.kind == Kind::kPlusInfinity) return -1;
  if (a.kind == Kind::kPlusInfinity || b.kind == Kind::kMinusInfinity) return 1;
  return a.value.compare(b.value);
}

}  // namespace

// ---- ranges ------------------------------------------------------------------------------------

bool LexRange::GteMin(std::string_view member) const {
  const int c = CompareToBound(member, min);
  return min.exclusive ? c > 0 : c >= 0;
}

bool LexRange::LteMax(std::string_view member) const {
  const int c = CompareToBound(member, max);
  return max.exclusive ? c < 0 : c <= 0;
}

bool LexRange::IsEmpty() const {
  const int c = CompareBounds(min, max);
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

std::optional<ScoreRange> ParseScoreRange(std::string_view min, std::string_view max) {
  const auto lo = ParseScoreBound(min);
  const auto hi = ParseScoreBound(max);
  if (!lo || !hi) return std::nullopt;
  return ScoreRange{lo->first, hi->first, lo->second, hi->second};
}

std::optional<LexRange> ParseLexRange(std::string_view min, std::string_view max) {
  auto lo = ParseLexBound(min);
  auto hi = ParseLexBound(max);
  if (!lo || !hi) return std::nullopt;
  return LexRange{*lo, *hi};
}

// ---- node blocks -------------------------------------------------------------------------------

SkiplistNode* Skiplist::NewNode(int level, double score, std::string_view member) {
  static_assert(offsetof(Node, member_head_) == Node::kMemberOffset);
  static_assert(sizeof(Node) == 40,
                "fixed part: 5 words, the last holding length, level and 3 "
                "member bytes");
  static_assert(sizeof(Node::Link) == 16);
  MNEMO_ASSERT(level >= 1 && level <= kSkiplistMaxLevel);
  MNEMO_ASSERT(member.size() <= kSkiplistMaxMemberLength);
  const size_t links = sizeof(Node::Link) * static_cast<size_t>(level - 1);
  // Never below sizeof(Node), so that the whole fixed part is inside the block; for members
  // shorter than 3 bytes this rounds to the same jemalloc class anyway.
  const size_t fixed = std::max(sizeof(Node), Node::kMemberOffset + member.size());
  char* block = static_cast<char*>(mem::Alloc(links + fixed));
  block_bytes_ += mem::UsableSize(block);
  Node* x = new (block + links) Node;
  x->forward_ = nullptr;
  x->backward_ = nullptr;
  x->score_ = score;
  x->dict_next_ = nullptr;
  x->member_len_ = static_cast<uint32_t>(member.size());
  x->level_ = static_cast<uint8_t>(level);
  if (!member.empty()) std::memcpy(x->MemberData(), member.data(), member.size());
  for (int i = 1; i < level; ++i) *x->UpperLink(i) = Node::Link{nullptr, 0};
  return x;
}

void Skiplist::FreeNode(Node* x) {
  char* block =
      reinterpret_cast<char*>(x) - sizeof(Node::Link) * static_cast<size_t>(x->level_ - 1);
  block_bytes_ -= mem::UsableSize(block);
  mem::Free(block);
}

void Skiplist::EnsureHeadLevels(int level) {
  if (head_ == nullptr) {
    head_ = NewNode(level, 0, {});
    level_ = 1;
    return;
  }
  if (head_->level_ >= level) return;
  // The level in use grew past the head's: move the head to a taller block. Only forward links
  // point at nodes, never at the head (the first node's backward is null), so nothing else
  // refers to the old block. Happens about log4(n) times over the life of a set.
  Node* old = head_;
  Node* head = NewNode(level, 0, {});
  head->forward_ = old->forward_;
  for (int i = 1; i < old->level_; ++i) *head->UpperLink(i) = *old->UpperLink(i);
  FreeNode(old);
  head_ = head;
}

// ---- active defragmentation ------------------------------------------------------------------

size_t Skiplist::Defrag() {
  size_t pos = 0;
  return Defrag(&pos, SIZE_MAX);
}

size_t Skiplist::Defrag(size_t* pos, size_t max_nodes) {
  if (head_ == nullptr || *pos >= length_) {
    *pos = 0;
    return 0;
  }
  size_t moved = 0;
  auto links_of = [](const Node* x) {
    return sizeof(Node::Link) * static_cast<size_t>(x->level_ - 1);
  };
  if (*pos == 0) {
    moved += static_cast<size_t>(index_.DefragTables());
    // Only head_ points at the head (the first node's backward is null).
    const size_t links = links_of(head_);
    if (void* p = mem::DefragMove(reinterpret_cast<char*>(head_) - links)) {
      head_ = reinterpret_cast<Node*>(static_cast<char*>(p) + links);
      ++moved;
    }
  }
  // update[i]: the last node (or the head) seen on level i, whose level-i link points at the
  // node being looked at when that node has level > i. For a start inside the list, the
  // descent by rank finds them (spans), O(log n): a rank is what survives the edits made
  // between two steps.
  Node* update[kSkiplistMaxLevel];
  {
    Node* x = head_;
    uint64_t traversed = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (Forward(x, i) != nullptr && traversed + Span(x, i) <= *pos) {
        traversed += Span(x, i);
        x = Forward(x, i);
      }
      update[i] = x;
    }
  }
  // The index lookups below only find links; they must not also move the index's rehash along.
  index_.PauseRehash();
  size_t visited = 0;
  Node* x = Forward(update[0], 0);
  for (; x != nullptr && visited < max_nodes; x = x->forward_, ++visited) {
    const int level = x->level_;
    const size_t links = links_of(x);
    // The index link that points at x, found while x is still there (it compares members).
    const Index::Pos ilink = index_.FindLink(x->member());
    MNEMO_ASSERT(ilink && ilink.node() == x);
    if (void* p = mem::DefragMove(reinterpret_cast<char*>(x) - links)) {
      Node* nx = reinterpret_cast<Node*>(static_cast<char*>(p) + links);
      for (int i = 0; i < level; ++i) SetForward(update[i], i, nx);
      if (nx->forward_ != nullptr) {
        nx->forward_->backward_ = nx;
      } else {
        tail_ = nx;
      }
      index_.RelinkAt(ilink, nx);  // nx->dict_next_ is x's, copied
      x = nx;
      ++moved;
    }
    for (int i = 0; i < level; ++i) update[i] = x;
  }
  index_.ResumeRehash();
  *pos = x == nullptr ? 0 : *pos + visited;
  return moved;
}

// ---- linking -----------------------------------------------------------------------------------

void Skiplist::LinkNode(Node* x) {
  Node* update[kSkiplistMaxLevel];
  uint64_t rank[kSkiplistMaxLevel];  // rank of update[i]
  const double score = x->score_;
  const std::string_view member = x->member();
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    for (Node* f = Forward(p, i); f != nullptr && KeyLess(f->score_, f->member(), score, member);
         f = Forward(p, i)) {
      rank[i] += Span(p, i);
      p = f;
    }
    update[i] = p;
  }
  const int level = x->level_;
  MNEMO_ASSERT(level <= head_->level_);
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = head_;
      SetSpan(head_, i, length_);  // a null link spans to the end
    }
    level_ = level;
  }
  for (int i = 0; i < level; ++i) {
    SetForward(x, i, Forward(update[i], i));
    SetForward(update[i], i, x);
    // update[i] is at rank[i], x lands at rank[0] + 1.
    SetSpan(x, i, Span(update[i], i) - (rank[0] - rank[i]));
    SetSpan(update[i], i, rank[0] - rank[i] + 1);
  }
  for (int i = level; i < level_; ++i) SetSpan(update[i], i, Span(update[i], i) + 1);
  x->backward_ = update[0] == head_ ? nullptr : update[0];
  if (x->forward_ != nullptr) {
    x->forward_->backward_ = x;
  } else {
    tail_ = x;
  }
  ++length_;
}

void Skiplist::UnlinkWithPredecessors(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (Forward(update[i], i) == x) {
      SetSpan(update[i], i, Span(update[i], i) + Span(x, i) - 1);
      SetForward(update[i], i, Forward(x, i));
    } else {
      SetSpan(update[i], i, Span(update[i], i) - 1);
    }
  }
  if (x->forward_ != nullptr) {
    x->forward_->backward_ = x->backward_;
  } else {
    tail_ = x->backward_;
  }
  while (level_ > 1 && Forward(head_, level_ - 1) == nullptr) --level_;
  --length_;
}

void Skiplist::UnlinkNode(Node* x) {
  Node* update[kSkiplistMaxLevel];
  const double score = x->score_;
  const std::string_view member = x->member();
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i); f != nullptr && KeyLess(f->score_, f->member(), score, member);
         f = Forward(p, i)) {
      p = f;
    }
    update[i] = p;
  }
  MNEMO_ASSERT(p->forward_ == x);
  UnlinkWithPredecessors(x, update);
}

void Skiplist::RemoveNode(Node* x, Node** update, const RemovedFn& on_removed) {
  UnlinkWithPredecessors(x, update);
  Node* removed = index_.Remove(x->member());
  MNEMO_ASSERT(removed == x);
  if (on_removed) on_removed(x->member(), x->score_);
  FreeNode(x);
}

// ---- single members ----------------------------------------------------------------------------

const SkiplistNode* Skiplist::Insert(std::string_view member, double score) {
  MNEMO_ASSERT(!std::isnan(score));
  const int level = RandomLevel();
  EnsureHeadLevels(level);  // before LinkNode: it may move the head
  Node* x = NewNode(level, score, member);
  LinkNode(x);
  index_.Insert(x);
  return x;
}

const SkiplistNode* Skiplist::Find(std::string_view member) { return index_.Find(member); }

bool Skiplist::Delete(std::string_view member) {
  const Index::Pos link = index_.FindLink(member);
  if (!link) return false;
  Node* x = link.node();
  index_.UnlinkAt(link);
  UnlinkNode(x);
  FreeNode(x);
  index_.ShrinkIfNeeded();
  return true;
}

void Skiplist::UpdateScore(const Node* node, double score) {
  MNEMO_ASSERT(!std::isnan(score));
  Node* x = const_cast<Node*>(node);  // the set owns its nodes; handles are const for callers
  const std::string_view member = x->member();
  const Node* prev = x->backward_;
  const Node* next = x->forward_;
  // Still between its neighbours: same position, only the score changes (Redis
  // zslUpdateScore's fast path, here exact on (score, member) and without a search first).
  if ((prev == nullptr || KeyLess(prev->score_, prev->member(), score, member)) &&
      (next == nullptr || KeyLess(score, member, next->score_, next->member()))) {
    x->score_ = score;
    return;
  }
  // Move it: unlink, rescore, relink the same block at its new place, keeping its level. The
  // index holds the node by address and is not touched.
  UnlinkNode(x);
  x->score_ = score;
  LinkNode(x);
}

const SkiplistNode* Skiplist::UpdateScore(std::string_view member, double score) {
  const Node* x = index_.Find(member);
  if (x != nullptr) UpdateScore(x, score);
  return x;
}

// ---- ranks -------------------------------------------------------------------------------------

std::optional<size_t> Skiplist::Rank(std::string_view member, bool reverse) {
  const Node* x = index_.Find(member);
  if (x == nullptr) return std::nullopt;
  return RankOf(x, reverse);
}

size_t Skiplist::RankOf(const Node* x, bool reverse) const {
  uint64_t rank = 0;
  const Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i);
         f != nullptr && (f == x || KeyLess(f->score_, f->member(), x->score_, x->member()));
         f = Forward(p, i)) {
      rank += Span(p, i);
      p = f;
    }
    if (p == x) return reverse ? length_ - rank : rank - 1;
  }
  MNEMO_ASSERT(false && "RankOf: node not in this skiplist");
  return 0;
}

const SkiplistNode* Skiplist::NodeByRank(size_t rank, bool reverse) const {
  if (rank >= length_) return nullptr;
  const uint64_t target = (reverse ? length_ - 1 - rank : rank) + 1;  // 1-based
  uint64_t traversed = 0;
  const Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i); f != nullptr && traversed + Span(p, i) <= target;
         f = Forward(p, i)) {
      traversed += Span(p, i);
      p = f;
    }
    if (traversed == target) return p;
  }
  MNEMO_ASSERT(false && "NodeByRank: spans are inconsistent");
  return nullptr;
}

// ---- ranges ------------------------------------------------------------------------------------

template <typename Pred>
Skiplist::Found Skiplist::SeekFirst(Pred at_or_after) const {
  uint64_t rank = 0;
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i); f != nullptr && !at_or_after(f); f = Forward(p, i)) {
      rank += Span(p, i);
      p = f;
    }
  }
  if (p->forward_ == nullptr) return {nullptr, 0};
  return {p->forward_, rank + 1};
}

template <typename Pred>
Skiplist::Found Skiplist::SeekLast(Pred not_after) const {
  uint64_t rank = 0;
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i); f != nullptr && not_after(f); f = Forward(p, i)) {
      rank += Span(p, i);
      p = f;
    }
  }
  if (p == head_) return {nullptr, 0};
  return {p, rank};
}

// O(1) rejections before any walk (Redis zslIsInRange): an empty interval, or one entirely
// above the last score or below the first.
bool Skiplist::ScoreRangeMayOverlap(const ScoreRange& range) const {
  if (range.IsEmpty() || length_ == 0) return false;
  return range.GteMin(tail_->score_) && range.LteMax(head_->forward_->score_);
}

bool Skiplist::LexRangeMayOverlap(const LexRange& range) const {
  if (range.IsEmpty() || length_ == 0) return false;
  return range.GteMin(tail_->member()) && range.LteMax(head_->forward_->member());
}

const SkiplistNode* Skiplist::FirstInRange(const ScoreRange& range) const {
  if (!ScoreRangeMayOverlap(range)) return nullptr;
  const Found f = SeekFirst([&](const Node* n) { return range.GteMin(n->score_); });
  return f.node != nullptr && range.LteMax(f.node->score_) ? f.node : nullptr;
}

const SkiplistNode* Skiplist::LastInRange(const ScoreRange& range) const {
  if (!ScoreRangeMayOverlap(range)) return nullptr;
  const Found l = SeekLast([&](const Node* n) { return range.LteMax(n->score_); });
  return l.node != nullptr && range.GteMin(l.node->score_) ? l.node : nullptr;
}

size_t Skiplist::CountInRange(const ScoreRange& range) const {
  if (!ScoreRangeMayOverlap(range)) return 0;
  const Found f = SeekFirst([&](const Node* n) { return range.GteMin(n->score_); });
  if (f.node == nullptr || !range.LteMax(f.node->score_)) return 0;
  const Found l = SeekLast([&](const Node* n) { return range.LteMax(n->score_); });
  return l.rank - f.rank + 1;
}

const SkiplistNode* Skiplist::FirstInLexRange(const LexRange& range) const {
  if (!LexRangeMayOverlap(range)) return nullptr;
  const Found f = SeekFirst([&](const Node* n) { return range.GteMin(n->member()); });
  return f.node != nullptr && range.LteMax(f.node->member()) ? f.node : nullptr;
}

const SkiplistNode* Skiplist::LastInLexRange(const LexRange& range) const {
  if (!LexRangeMayOverlap(range)) return nullptr;
  const Found l = SeekLast([&](const Node* n) { return range.LteMax(n->member()); });
  return l.node != nullptr && range.GteMin(l.node->member()) ? l.node : nullptr;
}

size_t Skiplist::CountInLexRange(const LexRange& range) const {
  if (!LexRangeMayOverlap(range)) return 0;
  const Found f = SeekFirst([&](const Node* n) { return range.GteMin(n->member()); });
  if (f.node == nullptr || !range.LteMax(f.node->member())) return 0;
  const Found l = SeekLast([&](const Node* n) { return range.LteMax(n->member()); });
  return l.rank - f.rank + 1;
}

template <typename AtOrAfter, typename InRange>
size_t Skiplist::DeleteRun(AtOrAfter at_or_after, InRange in_range, const RemovedFn& on_removed) {
  if (length_ == 0) return 0;
  Node* update[kSkiplistMaxLevel];
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (Node* f = Forward(p, i); f != nullptr && !at_or_after(f); f = Forward(p, i)) p = f;
    update[i] = p;
  }
  size_t removed = 0;
  // update[] stays right: every removed node is the successor of update[0], and on the levels it
  // is not linked on, update[i] is still its predecessor.
  for (Node* x = p->forward_; x != nullptr && in_range(x);) {
    Node* next = x->forward_;
    RemoveNode(x, update, on_removed);
    ++removed;
    x = next;
  }
  if (removed > 0) index_.ShrinkIfNeeded();
  return removed;
}

size_t Skiplist::DeleteRangeByScore(const ScoreRange& range, const RemovedFn& on_removed) {
  return DeleteRun([&](const Node* n) { return range.GteMin(n->score_); },
                   [&](const Node* n) { return range.LteMax(n->score_); }, on_removed);
}

size_t Skiplist::DeleteRangeByLex(const LexRange& range, const RemovedFn& on_removed) {
  return DeleteRun([&](const Node* n) { return range.GteMin(n->member()); },
                   [&](const Node* n) { return range.LteMax(n->member()); }, on_removed);
}

size_t Skiplist::DeleteRangeByRank(size_t start, size_t end, const RemovedFn& on_removed) {
  if (start >= length_ || start > end) return 0;
  end = std::min(end, length_ - 1);
  const size_t count = end - start + 1;
  Node* update[kSkiplistMaxLevel];
  uint64_t traversed = 0;
  Node* p = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    // Stop on the node at 0-based rank start - 1 (1-based rank start), or the head.
    for (Node* f = Forward(p, i); f != nullptr && traversed + Span(p, i) <= start;
         f = Forward(p, i)) {
      traversed += Span(p, i);
      p = f;
    }
    update[i] = p;
  }
  size_t removed = 0;
  for (Node* x = p->forward_; x != nullptr && removed < count;) {
    Node* next = x->forward_;
    RemoveNode(x, update, on_removed);
    ++removed;
    x = next;
  }
  if (removed > 0) index_.ShrinkIfNeeded();
  return removed;
}

// ---- whole set ---------------------------------------------------------------------------------

Skiplist::Skiplist(Skiplist&& other) noexcept
    : index_(std::move(other.index_)),
      head_(std::exchange(other.head_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      length_(std::exchange(other.length_, 0)),
      level_(std::exchange(other.level_, 1)),
      block_bytes_(std::exchange(other.block_bytes_, 0)) {}

Skiplist& Skiplist::operator=(Skiplist&& other) noexcept {
  if (this != &other) {
    Clear();
    index_ = std::move(other.index_);
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    length_ = std::exchange(other.length_, 0);
    level_ = std::exchange(other.level_, 1);
    block_bytes_ = std::exchange(other.block_bytes_, 0);
  }
  return *this;
}

Skiplist Skiplist::Copy() const {
  Skiplist out;
  if (length_ == 0) return out;
  out.EnsureHeadLevels(level_);
  out.level_ = level_;
  out.index_.Reserve(length_);  // one table of the final size: no rehashing while copying
  // Appending in order: the last node on each level so far, and its rank.
  Node* last[kSkiplistMaxLevel];
  uint64_t last_rank[kSkiplistMaxLevel];
  for (int i = 0; i < level_; ++i) {
    last[i] = out.head_;
    last_rank[i] = 0;
  }
  uint64_t rank = 0;
  Node* prev = nullptr;
  for (const Node* s = head_->forward_; s != nullptr; s = s->forward_) {
    ++rank;
    Node* y = out.NewNode(s->level_, s->score_, s->member());
    for (int i = 0; i < y->level_; ++i) {
      SetForward(last[i], i, y);
      SetSpan(last[i], i, rank - last_rank[i]);
      last[i] = y;
      last_rank[i] = rank;
    }
    y->backward_ = prev;
    prev = y;
    out.index_.Insert(y);
  }
  for (int i = 0; i < level_; ++i) SetSpan(last[i], i, rank - last_rank[i]);  // null links
  out.tail_ = prev;
  out.length_ = rank;
  return out;
}

void Skiplist::Clear() {
  index_.Clear([this](Node* x) { FreeNode(x); });
  if (head_ != nullptr) FreeNode(head_);
  MNEMO_ASSERT(block_bytes_ == 0);
  head_ = nullptr;
  tail_ = nullptr;
  length_ = 0;
  level_ = 1;
}

SkiplistLink Skiplist::HeadLink(int level) const {
  MNEMO_ASSERT(level >= 0 && level < level_);
  if (head_ == nullptr) return {nullptr, 0};
  return {Forward(head_, level), Span(head_, level)};
}

SkiplistLink Skiplist::NodeLink(const Node* node, int level) {
  MNEMO_ASSERT(level >= 0 && level < node->level_);
  return {Forward(node, level), Span(node, level)};
}

}  // namespace mnemo::ds

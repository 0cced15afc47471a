// chunk_map.h: a compact ordered map of small trivially copyable keys and values, kept as a
// sorted array of sorted chunks (a B+ tree of height two) (layer: ds).
//
// Streams need three ordered indexes: listpack nodes by master ID, pending entries by ID (per
// group and per consumer) and groups/consumers by name. Redis uses a radix tree for each; here
// one structure serves all of them, chosen by bytes:
//   - a chunk is one allocation: <count: uint32> <capacity: uint32> <keys[capacity]>
//     <values[capacity]>, sorted; capacity doubles from 1 up to kMaxChunkBytes worth of pairs,
//     so a map of one pair costs one 32-byte block and a big map costs about
//     sizeof(K) + sizeof(V) bytes per pair plus 8 bytes per chunk (a 1 KiB chunk of
//     16-byte IDs and 8-byte pointers holds 42 pairs: 24.4 bytes per pair when full);
//   - the chunks are listed in an array of pointers sorted by first key (8 bytes per chunk).
// Appending after the last key (the common case: XADD creates nodes in ID order, XREADGROUP
// delivers IDs in order) fills chunks completely: a full last chunk is followed by a new one
// rather than split. An insert into a full chunk elsewhere splits it in two halves; a chunk
// left empty is freed. So sequential workloads use ~100% of the chunk bytes and random ones
// at least half.
//
// Costs: lookups O(log n); inserts and erases move at most one chunk's pairs plus, when a
// chunk is created or freed, the chunk array (n / pairs-per-chunk pointers).
//
// Values with no bytes (std::is_empty_v<V>) make a set: only keys are stored.
//
// Positions (Pos) are invalidated by any insert or erase. Memory is allocated through mem::,
// so MemoryUsage() is exact (usable sizes).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "mnemo/base/assert.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

template <typename K, typename V>
class ChunkMap {
  static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

 public:
  // A chunk's block grows up to this many bytes (jemalloc's 1024 class).
  static constexpr size_t kMaxChunkBytes = 1024;

  struct Pos {
    uint32_t chunk = 0;
    uint32_t index = 0;
  };

  ChunkMap() = default;
  ~ChunkMap() { Clear(); }
  ChunkMap(const ChunkMap&) = delete;
  ChunkMap& operator=(const ChunkMap&) = delete;
  ChunkMap(ChunkMap&& o) noexcept { Steal(o); }
  ChunkMap& operator=(ChunkMap&& o) noexcept {
    if (this != &o) {
      Clear();
      Steal(o);
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Frees everything.
  void Clear() {
    for (uint32_t i = 0; i < nchunks_; ++i) mem::Free(chunks_[i]);
    mem::Free(chunks_);
    chunks_ = nullptr;
    nchunks_ = 0;
    cap_chunks_ = 0;
    size_ = 0;
  }

  // ---- positions --------------------------------------------------------------------------
  Pos End() const { return Pos{nchunks_, 0}; }
  bool Valid(Pos p) const { return p.chunk < nchunks_; }
  Pos Begin() const { return empty() ? End() : Pos{0, 0}; }
  Pos Last() const { return empty() ? End() : Pos{nchunks_ - 1, chunks_[nchunks_ - 1]->count - 1}; }
  Pos Next(Pos p) const {
    if (++p.index < chunks_[p.chunk]->count) return p;
    return p.chunk + 1 < nchunks_ ? Pos{p.chunk + 1, 0} : End();
  }
  // The position before p, or End() before the first.
  Pos Prev(Pos p) const {
    if (p.index > 0) return Pos{p.chunk, p.index - 1};
    if (p.chunk == 0) return End();
    return Pos{p.chunk - 1, chunks_[p.chunk - 1]->count - 1};
  }
  const K& KeyAt(Pos p) const { return Keys(chunks_[p.chunk])[p.index]; }
  V& ValueAt(Pos p) { return ValueIn(chunks_[p.chunk], p.index); }
  const V& ValueAt(Pos p) const { return ValueIn(chunks_[p.chunk], p.index); }

  // The first pair with key >= k (LowerBound) or > k (UpperBound), or End().
  Pos LowerBound(const K& k) const { return Bound(k, false); }
  Pos UpperBound(const K& k) const { return Bound(k, true); }
  // The last pair with key <= k, or End().
  Pos Floor(const K& k) const {
    Pos p = UpperBound(k);
    return Valid(p) ? Prev(p) : Last();
  }
  Pos FindPos(const K& k) const {
    Pos p = LowerBound(k);
    return (Valid(p) && !(k < KeyAt(p))) ? p : End();
  }

  // ---- lookup and edits ----------------------------------------------------------------------
  V* Find(const K& k) {
    Pos p = FindPos(k);
    return Valid(p) ? &ValueAt(p) : nullptr;
  }
  const V* Find(const K& k) const {
    Pos p = FindPos(k);
    return Valid(p) ? &ValueAt(p) : nullptr;
  }
  bool Contains(const K& k) const { return Valid(FindPos(k)); }

  // Inserts (k, v) unless k is present. Returns true iff inserted.
  bool Insert(const K& k, const V& v) {
    if (nchunks_ == 0) {
      Chunk* c = NewChunk(1);
      InsertChunkAt(0, c);
      PutAt(c, 0, k, v);
      return true;
    }
    uint32_t ci = ChunkFor(k);
    Chunk* c = chunks_[ci];
    uint32_t i = IndexIn(c, k);
    if (i < c->count && !(k < Keys(c)[i])) return false;
    if (c->count == c->capacity) {
      if (c->capacity < kMaxPairs) {
        c = Grow(ci, std::min<uint32_t>(c->capacity * 2, kMaxPairs));
      } else if (i == c->count && ci + 1 == nchunks_) {
        // Appending after the last key: start a new chunk, leave this one full.
        Chunk* n = NewChunk(std::min<uint32_t>(c->capacity, kMaxPairs));
        InsertChunkAt(ci + 1, n);
        PutAt(n, 0, k, v);
        return true;
      } else {
        Split(ci);
        if (i > chunks_[ci]->count) {
          i -= chunks_[ci]->count;
          ++ci;
        }
        c = chunks_[ci];
      }
    }
    PutAt(c, i, k, v);
    return true;
  }

  // Inserts or overwrites.
  void Set(const K& k, const V& v) {
    if (V* existing = Find(k)) {
      *existing = v;
    } else {
      Insert(k, v);
    }
  }

  // Erases the pair at p. Returns the position of the pair that followed it (or End()).
  Pos EraseAt(Pos p) {
    Chunk* c = chunks_[p.chunk];
    const uint32_t tail = c->count - p.index - 1;
    std::memmove(Keys(c) + p.index, Keys(c) + p.index + 1, tail * sizeof(K));
    if constexpr (kValueBytes != 0) {
      std::memmove(Values(c) + p.index, Values(c) + p.index + 1, tail * sizeof(V));
    }
    --c->count;
    --size_;
    if (c->count == 0) {
      mem::Free(c);
      RemoveChunkAt(p.chunk);
      return p.chunk < nchunks_ ? Pos{p.chunk, 0} : End();
    }
    if (p.index < c->count) return p;
    return p.chunk + 1 < nchunks_ ? Pos{p.chunk + 1, 0} : End();
  }
  bool Erase(const K& k) {
    Pos p = FindPos(k);
    if (!Valid(p)) return false;
    EraseAt(p);
    return true;
  }

  // Calls fn(key, value) in order; stops early when fn returns false.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uint32_t ci = 0; ci < nchunks_; ++ci) {
      const Chunk* c = chunks_[ci];
      for (uint32_t i = 0; i < c->count; ++i) {
        if (!fn(Keys(c)[i], ValueIn(c, i))) return;
      }
    }
  }

  // Usable bytes of every allocation (the chunk array and the chunks).
  size_t MemoryUsage() const {
    size_t bytes = chunks_ != nullptr ? mem::UsableSize(chunks_) : 0;
    for (uint32_t i = 0; i < nchunks_; ++i) bytes += mem::UsableSize(chunks_[i]);
    return bytes;
  }
  // Active defragmentation, in steps: moves the chunk array when *pos is 0 (where
  // mem::DefragMove hints to), then the chunks from number *pos on until they hold `max_pairs`
  // pairs (at least one chunk), calling on_value(V&) for each of their pairs (which may move what
  // the value points at and store the new pointer). Positions stay valid (nothing is
  // reordered). Leaves in *pos the next chunk's number, or 0 after the last. Returns the blocks
  // moved here (not counting on_value's).
  template <typename F>
  size_t Defrag(size_t* pos, size_t max_pairs, F&& on_value) {
    size_t moved = 0;
    if (*pos == 0 && chunks_ != nullptr) {
      if (void* p = mem::DefragMove(chunks_)) {
        chunks_ = static_cast<Chunk**>(p);
        ++moved;
      }
    }
    size_t pairs = 0;
    size_t i = *pos;
    for (; i < nchunks_ && (pairs == 0 || pairs < max_pairs); ++i) {
      if (void* p = mem::DefragMove(chunks_[i])) {
        chunks_[i] = static_cast<Chunk*>(p);
        ++moved;
      }
      Chunk* c = chunks_[i];
      for (uint32_t j = 0; j < c->count; ++j) on_value(ValueIn(c, j));
      pairs += c->count;
    }
    *pos = i < nchunks_ ? i : 0;
    return moved;
  }
  // Number of allocations (lazy-free effort).
  size_t Allocations() const { return nchunks_ + (chunks_ != nullptr ? 1 : 0); }

  // A copy with the same pairs (values copied bitwise).
  void CopyFrom(const ChunkMap& o) {
    Clear();
    if (o.nchunks_ == 0) return;
    chunks_ = static_cast<Chunk**>(mem::Alloc(o.nchunks_ * sizeof(Chunk*)));
    cap_chunks_ = o.nchunks_;
    for (uint32_t i = 0; i < o.nchunks_; ++i) {
      const Chunk* src = o.chunks_[i];
      Chunk* c = NewChunk(src->capacity);
      c->count = src->count;
      std::memcpy(Keys(c), Keys(src), src->count * sizeof(K));
      if constexpr (kValueBytes != 0) std::memcpy(Values(c), Values(src), src->count * sizeof(V));
      chunks_[i] = c;
    }
    nchunks_ = o.nchunks_;
    size_ = o.size_;
  }

 private:
  static constexpr size_t kValueBytes = std::is_empty_v<V> ? 0 : sizeof(V);

  struct Chunk {
    uint32_t count;
    uint32_t capacity;
    // K keys[capacity]; V values[capacity]; follow (8-byte aligned: the header is 8 bytes).
  };
  static constexpr size_t kChunkHeader = sizeof(Chunk);
  static_assert(kChunkHeader == 8);
  static_assert(alignof(K) <= 8 && alignof(V) <= 8);
  static constexpr uint32_t kMaxPairs =
      static_cast<uint32_t>((kMaxChunkBytes - kChunkHeader) / (sizeof(K) + kValueBytes));
  static_assert(kMaxPairs >= 4);

  static size_t KeysBytes(uint32_t capacity) {
    // Values start 8-byte aligned after the keys.
    return (capacity * sizeof(K) + 7) & ~size_t{7};
  }
  static K* Keys(Chunk* c) { return reinterpret_cast<K*>(reinterpret_cast<char*>(c) + 8); }
  static const K* Keys(const Chunk* c) {
    return reinterpret_cast<const K*>(reinterpret_cast<const char*>(c) + 8);
  }
  // REQUIRES: kValueBytes != 0.
  static V* Values(Chunk* c) {
    return reinterpret_cast<V*>(reinterpret_cast<char*>(c) + 8 + KeysBytes(c->capacity));
  }
  static const V* Values(const Chunk* c) { return Values(const_cast<Chunk*>(c)); }
  // The value of pair i of c; for a set (empty V) a shared empty value.
  static V& ValueIn(const Chunk* c, uint32_t i) {
    if constexpr (kValueBytes == 0) {
      static V empty;
      return empty;
    } else {
      return Values(const_cast<Chunk*>(c))[i];
    }
  }

  static Chunk* NewChunk(uint32_t capacity) {
    const size_t bytes = kChunkHeader + KeysBytes(capacity) + capacity * kValueBytes;
    Chunk* c = static_cast<Chunk*>(mem::Alloc(bytes));
    c->count = 0;
    c->capacity = capacity;
    return c;
  }

  void Steal(ChunkMap& o) {
    chunks_ = o.chunks_;
    nchunks_ = o.nchunks_;
    cap_chunks_ = o.cap_chunks_;
    size_ = o.size_;
    o.chunks_ = nullptr;
    o.nchunks_ = o.cap_chunks_ = 0;
    o.size_ = 0;
  }

  // The chunk where k belongs: the last one whose first key is <= k (the first chunk when k is
  // below every key). REQUIRES: nchunks_ > 0.
  uint32_t ChunkFor(const K& k) const {
    uint32_t lo = 0, hi = nchunks_;  // first chunk whose first key > k
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      if (k < Keys(chunks_[mid])[0]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo == 0 ? 0 : lo - 1;
  }
  static uint32_t IndexIn(const Chunk* c, const K& k) {
    const K* keys = Keys(c);
    return static_cast<uint32_t>(std::lower_bound(keys, keys + c->count, k) - keys);
  }
  Pos Bound(const K& k, bool upper) const {
    if (nchunks_ == 0) return End();
    const uint32_t ci = ChunkFor(k);
    const Chunk* c = chunks_[ci];
    const K* keys = Keys(c);
    const uint32_t i = static_cast<uint32_t>((upper ? std::upper_bound(keys, keys + c->count, k)
                                                    : std::lower_bound(keys, keys + c->count, k)) -
                                             keys);
    if (i < c->count) return Pos{ci, i};
    return ci + 1 < nchunks_ ? Pos{ci + 1, 0} : End();
  }

  void PutAt(Chunk* c, uint32_t i, const K& k, const V& v) {
    const uint32_t tail = c->count - i;
    std::memmove(Keys(c) + i + 1, Keys(c) + i, tail * sizeof(K));
    Keys(c)[i] = k;
    if constexpr (kValueBytes != 0) {
      std::memmove(Values(c) + i + 1, Values(c) + i, tail * sizeof(V));
      Values(c)[i] = v;
    }
    ++c->count;
    ++size_;
  }

  Chunk* Grow(uint32_t ci, uint32_t capacity) {
    Chunk* old = chunks_[ci];
    Chunk* c = NewChunk(capacity);
    c->count = old->count;
    std::memcpy(Keys(c), Keys(old), old->count * sizeof(K));
    if constexpr (kValueBytes != 0) std::memcpy(Values(c), Values(old), old->count * sizeof(V));
    mem::Free(old);
    chunks_[ci] = c;
    return c;
  }

  // Splits the full chunk ci into two halves.
  void Split(uint32_t ci) {
    Chunk* c = chunks_[ci];
    const uint32_t keep = c->count / 2;
    const uint32_t move = c->count - keep;
    Chunk* n = NewChunk(c->capacity);
    std::memcpy(Keys(n), Keys(c) + keep, move * sizeof(K));
    if constexpr (kValueBytes != 0) std::memcpy(Values(n), Values(c) + keep, move * sizeof(V));
    n->count = move;
    c->count = keep;
    InsertChunkAt(ci + 1, n);
  }

  void InsertChunkAt(uint32_t at, Chunk* c) {
    if (nchunks_ == cap_chunks_) {
      const uint32_t cap = cap_chunks_ == 0 ? 1 : cap_chunks_ + cap_chunks_ / 2 + 1;
      chunks_ = static_cast<Chunk**>(mem::Realloc(chunks_, cap * sizeof(Chunk*)));
      cap_chunks_ = cap;
    }
    std::memmove(chunks_ + at + 1, chunks_ + at, (nchunks_ - at) * sizeof(Chunk*));
    chunks_[at] = c;
    ++nchunks_;
  }
  void RemoveChunkAt(uint32_t at) {
    std::memmove(chunks_ + at, chunks_ + at + 1, (nchunks_ - at - 1) * sizeof(Chunk*));
    --nchunks_;
    if (nchunks_ == 0) {
      mem::Free(chunks_);
      chunks_ = nullptr;
      cap_chunks_ = 0;
    } else if (nchunks_ < cap_chunks_ / 4) {
      // Give back most of an array that shrank (a stream trimmed from the head).
      cap_chunks_ = nchunks_ * 2;
      chunks_ = static_cast<Chunk**>(mem::Realloc(chunks_, cap_chunks_ * sizeof(Chunk*)));
    }
  }

  Chunk** chunks_ = nullptr;
  uint32_t nchunks_ = 0;
  uint32_t cap_chunks_ = 0;
  uint64_t size_ = 0;
};

}  // namespace mnemo::ds

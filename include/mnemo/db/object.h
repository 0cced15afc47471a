// object.h: the object header and the keyspace entry it heads (layer: db).
//
// In Mnemo an object carries its key: the keyspace (ds::Dict) stores objects directly, chained
// through a 4-byte handle inside them, and an object's key, header, optional expiry and small
// value share one slot of the keyspace's slab arena (mem/slab.h), whose size is exactly the
// object's (no size-class rounding). Redis 7.0 spends four allocations and a bucket pointer on a
// key with a short string value (24-byte dictEntry -> 32, key sds 16, robj 16 + embstr value in
// 48, plus 8 for the bucket: 104 bytes for "key:00000001" -> 16 bytes). Here it is one slot of
// 39 bytes plus a 4-byte bucket: 43 bytes.
//
// Layout of one object (offsets in bytes; the slot is exactly as long as its contents, and has
// no alignment: every field wider than a byte is read and written with memcpy):
//    0  next                  4   handle (mem::SlabArena) of the next object in the bucket's
//                                 chain; 0: none
//    4  type:4 encoding:4     4   header word; lru is the LRU clock (seconds) or, under an LFU
//       lru:24                    policy, 16 bits of minutes and an 8-bit logarithmic counter
//    8  flags                 1   kHasExpire, kSharedValue, kSnapshotMark, kWideExpire; the top
//                                 4 bits are the high bits of a compact expiry (below)
//    9  embedded_len          1   embstr: the length of the value (<= kMaxEmbeddedLength);
//                                 int: the width of the integer in bytes (1..8)
//   10  key_len               1   key length; kLongKeyMarker (255) means an 8-byte length follows
//   11  [expiry]           4 or 8 only with kHasExpire: compact (4 bytes): the expiry's distance
//                                 in milliseconds from ExpireBase(), 36 bits with the flags'
//                                 top 4; wide (8 bytes, kWideExpire): absolute Unix time in
//                                 milliseconds, for an expiry outside the compact range
//       [uint64 key length]   8   only when key_len is kLongKeyMarker (keys >= 255 bytes)
//       key bytes
//       value                     embstr: the bytes (up to 255; see below)
//                                 int: the integer in as few bytes as it needs, little-endian
//                                 and sign-extended (0..127 in 1, 0..9999 in 2, ...)
//                                 every other encoding: an 8-byte word holding a pointer (raw
//                                 sds, listpack, ...), or, for a small hash or sorted set in a
//                                 listpack, the listpack itself (below)
//
// So "key:00000001" -> 1 is 11 + 12 + 1 = 24 bytes, and a 100-byte value under the same key
// 11 + 12 + 100 = 123 bytes, one slot instead of a 48-byte block and a 112-byte sds. Strings
// longer than kMaxEmbstrLength stay in the slot when that costs no more than the slot with a
// word plus an sds (string_type.cc PlacePlain decides); OBJECT ENCODING names them "raw", as
// Redis stores them (EncodingName(const Object&)).
//
// A volatile key costs 4 bytes more in its own slot (8 for an expiry outside the compact
// range), and nothing elsewhere but its bucket's bit in the keys table's marks: there is no
// expires table (db.h). Redis spends a second
// 32-byte dictEntry and a bucket on it. The compact range is 2^36 ms (795 days) from
// ExpireBase(), which is fixed for the process's life at about 50 days before it started: every
// TTL set within two years of the start is compact; after that, new expiries are wide (8
// bytes), which costs memory and never changes an answer. Snapshots hold absolute times.
//
// Inline listpacks: a listpack-encoded hash or sorted set whose object fits a small slot
// (mem::SlabArena::kMaxSmall bytes) holds its listpack in the slot after the key instead of a
// word pointing to a block of its own (embedded_len is then kInlineListpack), and holds it
// packed (ds/listpack.h, "the packed form": no back-lengths, no terminator, a 4-byte header
// whose first 2 bytes say its length; padded to at least 8 bytes). That saves the word, the
// block's size-class rounding and 1 byte an element: 49 bytes a hash of 10 small fields.
// Forward walks read the packed bytes where they are (ForwardListpack(): HGET, HGETALL,
// ZSCORE, ZRANGE...); the rest reads a ListpackView, which unpacks them into a buffer of its
// own. A write that keeps an element's encoded size is made in place (ds::LpForward::
// ReplaceInPlace). Any other unpacks the listpack to a block of its own first (WritableListpack:
// the slot keeps its size, the word fits in it) and edits it as before; the command then calls
// Db::Repack, which packs the result back into a slot of the exact size (or, grown too big, leaves
// it in its block and shrinks the slot to the word). A write whose handler does not call Repack
// leaves a correct object, only a bigger one.
//
// The refcount of Redis's robj has no use here (an object belongs to exactly one keyspace slot).
// Redis shares the integers 0..9999 between keys; a pointer to a shared integer would cost
// more than the at most 2 bytes such an integer takes inline, so every integer is stored in its
// block, and kSharedValue only records that Redis would have shared it (OBJECT REFCOUNT then
// answers 2147483647). Sharing is turned off under LRU/LFU policies, as in Redis.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "mnemo/base/assert.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/slab.h"

namespace mnemo::db {

enum class ObjType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kStream = 6
};

// Values follow Redis's OBJ_ENCODING_* numbering.
enum class Encoding : uint8_t {
  kRaw = 0,
  kInt = 1,
  kHashtable = 2,
  kIntset = 6,
  kSkiplist = 7,
  kEmbstr = 8,
  kQuicklist = 9,
  kStream = 10,
  kListpack = 11,
  // Mnemo's own: a string value held as a compressed block (ds/compress.h). Redis has no such
  // encoding; OBJECT ENCODING names it "raw", what Redis stores such a value as (compressed
  // values are always longer than kMaxEmbstrLength).
  kCompressed = 12,
};

// Names as TYPE and OBJECT ENCODING print them.
const char* TypeName(ObjType type);
const char* EncodingName(Encoding encoding);
class Object;
class ListpackView;
// OBJECT ENCODING's answer for `o`: EncodingName of its encoding, except that an embedded string
// longer than kMaxEmbstrLength is "raw" (what Redis stores it as).
const char* EncodingName(const Object& o);

// Bytes an int-encoded value takes in its block: the fewest bytes that hold v sign-extended.
inline size_t IntWidth(int64_t v) {
  // Bits needed beside the sign: leading copies of the sign bit are redundant.
  const uint64_t u = static_cast<uint64_t>(v < 0 ? ~v : v);
  const size_t bits = 64 - static_cast<size_t>(std::countl_zero(u)) + 1;  // + the sign bit
  return (bits + 7) / 8;
}

// 44: the longest string Redis embeds in its robj allocation (16 + 3 + 44 + 1 = 64 bytes). We
// keep the same bound so OBJECT ENCODING answers as Redis does.
inline constexpr size_t kMaxEmbstrLength = 44;
// 255: the longest string an object block holds (its length is one byte). Between
// kMaxEmbstrLength and this, a string is embedded only when that costs no more memory than a
// separate sds (string_type.cc); OBJECT ENCODING reports such a value as "raw".
inline constexpr size_t kMaxEmbeddedLength = 255;
// Integer values 0..kSharedIntegers-1 are those Redis shares (OBJECT REFCOUNT 2147483647).
inline constexpr int64_t kSharedIntegers = 10000;
// True iff Redis shares the integer `v` (when sharing is allowed at all: Options).
inline bool SharedByRedis(int64_t v) { return v >= 0 && v < kSharedIntegers; }
// OBJECT REFCOUNT of a shared value (Redis OBJ_SHARED_REFCOUNT).
inline constexpr int64_t kSharedRefcount = 2147483647;
// The lru field is 24 bits wide.
inline constexpr uint32_t kLruBits = 24;
inline constexpr uint32_t kLruMax = (1u << kLruBits) - 1;

class Object {
 public:
  Object() = delete;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  // How an object's value is given at creation.
  struct ValueInit {
    Encoding encoding;
    std::string_view embedded;  // kEmbstr: the bytes; kListpack: an inline listpack's packed
                                // form (empty: the listpack is a block of its own, in `word`,
                                // or `to_pack`)
    uint64_t word = 0;          // kInt: the int64's bits; other encodings: pointer bits
    bool shared = false;        // kInt: a value Redis would share (OBJECT REFCOUNT)
    const uint8_t* to_pack = nullptr;  // kListpack: a listpack to hold inline, packed (its
    size_t packed_size = 0;            // ds::LpPackedSize); InlineListpack sets both
  };

  // Bytes an object with these parts needs (before rounding to a size class); `expire_ms`
  // matters only `with_expire` (a compact expiry takes 4 bytes, a wide one 8).
  static size_t SizeFor(size_t key_len, bool with_expire, int64_t expire_ms,
                        const ValueInit& value);
  // What an object of `bytes` (SizeFor) costs in used_memory: its slot (BlockCost).
  static size_t CostFor(size_t bytes);
  // The origin of compact expiries: fixed for the life of the process (object.cc).
  static int64_t ExpireBase() { return expire_base_; }
  // True iff `when` is held in 4 bytes (see the layout).
  static bool CompactExpire(int64_t when) {
    return when >= expire_base_ && static_cast<uint64_t>(when - expire_base_) < kCompactRange;
  }

  // Allocates an object for `key` with the given type and value, optionally with an expiry slot.
  // lru is set to `lru`. REQUIRES: embedded.size() <= kMaxEmbeddedLength for kEmbstr.
  static Object* Create(std::string_view key, ObjType type, const ValueInit& value,
                        bool with_expire, int64_t expire_ms, uint32_t lru);
  // Allocates an object for a listpack-encoded value of `type` (a hash or a sorted set): with
  // the listpack inline when the object then fits a small slab slot (the block `lp` is freed),
  // otherwise with a word pointing to `lp`. Takes ownership of `lp`.
  static Object* CreateWithListpack(std::string_view key, ObjType type, uint8_t* lp,
                                    bool with_expire, int64_t expire_ms, uint32_t lru);
  // The ValueInit of an inline copy of `lp` (packed) for a key of `key_len` bytes, or
  // std::nullopt when the object would not fit a small slab slot. `lp` must live until the
  // object is created.
  static std::optional<ValueInit> InlineListpack(size_t key_len, bool with_expire,
                                                 int64_t expire_ms, const uint8_t* lp);
  // Allocates a copy of `o`'s header, key and expiry (if `with_expire`) with a new value.
  // The chain link of the copy is null.
  static Object* CloneWithValue(const Object& o, ObjType type, const ValueInit& value,
                                bool with_expire, int64_t expire_ms);
  // Frees the slot only (not the value's own allocations; see db/value.h). From the event loop's
  // thread, or from the lazy-free thread (the slot is then given back by the loop's next
  // allocation or cron, mem::SlabArena::FreeRemote).
  static void Destroy(Object* o);
  // Active defragmentation: if the slab arena advises it (mem::SlabArena::DefragHint), moves
  // the object to another slot and returns the new address (the old one is gone: the caller
  // relinks it); otherwise returns null.
  [[nodiscard]] static Object* DefragMove(Object* o);

  // The object's handle in the keyspace's slab arena: what the keys table's links hold.
  uint32_t handle() const { return mem::KeyspaceSlabs().HandleOf(this); }
  // The object named by `handle`. REQUIRES: handle != 0 and live.
  static Object* FromHandle(uint32_t handle) {
    return static_cast<Object*>(mem::KeyspaceSlabs().Ptr(handle));
  }

  ObjType type() const { return static_cast<ObjType>(header() & 0xF); }
  Encoding encoding() const { return static_cast<Encoding>((header() >> 4) & 0xF); }
  void set_encoding(Encoding e) {
    set_header((header() & ~0xF0u) | (static_cast<uint32_t>(e) << 4));
  }
  uint32_t lru() const { return header() >> 8; }
  void set_lru(uint32_t lru) { set_header((header() & 0xFFu) | ((lru & kLruMax) << 8)); }

  std::string_view key() const {
    if (key_len_ != kLongKeyMarker) return {VarStart(), key_len_};
    uint64_t len;
    std::memcpy(&len, VarStart(), sizeof(len));
    return {VarStart() + sizeof(uint64_t), static_cast<size_t>(len)};
  }

  bool has_expire() const { return (flags_ & kHasExpire) != 0; }
  // REQUIRES: has_expire().
  int64_t expire_ms() const {
    MNEMO_ASSERT(has_expire());
    if ((flags_ & kWideExpire) != 0) {
      int64_t when;
      std::memcpy(&when, ExpireSlot(), sizeof(when));
      return when;
    }
    uint32_t low;
    std::memcpy(&low, ExpireSlot(), sizeof(low));
    return expire_base_ + static_cast<int64_t>((static_cast<uint64_t>(flags_ >> 4) << 32) | low);
  }
  // Sets the expiry in place iff the slot holds `when` (a wide slot holds any time, a compact
  // one a compact time); returns false, changing nothing, otherwise (Db::SetExpire then moves
  // the object to a block with a wide slot). REQUIRES: has_expire().
  [[nodiscard]] bool TrySetExpire(int64_t when) {
    MNEMO_ASSERT(has_expire());
    if ((flags_ & kWideExpire) != 0) {
      std::memcpy(ExpireSlot(), &when, sizeof(when));
      return true;
    }
    if (!CompactExpire(when)) return false;
    StoreCompactExpire(when);
    return true;
  }

  // The embstr bytes. REQUIRES: encoding() == kEmbstr.
  std::string_view embedded() const { return {ValueStart(), embedded_len_}; }
  // Overwrites the embstr bytes in place. REQUIRES: encoding() == kEmbstr and
  // value.size() <= EmbeddedCapacity().
  void SetEmbedded(std::string_view value);
  // How long an embstr value this block can hold without reallocation.
  size_t EmbeddedCapacity() const;

  // The value of this object as a ValueInit (to clone it into a differently shaped block). An
  // embedded string's or inline listpack's bytes are referenced in this slot.
  ValueInit value_init() const {
    if (encoding() == Encoding::kEmbstr) return ValueInit{Encoding::kEmbstr, embedded()};
    if (encoding() == Encoding::kInt) {
      return ValueInit{Encoding::kInt, {}, static_cast<uint64_t>(int_value()), shared_value()};
    }
    if (has_inline_listpack()) return ValueInit{Encoding::kListpack, inline_listpack_bytes()};
    return ValueInit{encoding(), {}, word(), false};
  }

  // True iff the value is a listpack held in the slot (see "Inline listpacks" above).
  bool has_inline_listpack() const {
    return embedded_len_ == kInlineListpack && encoding() == Encoding::kListpack;
  }
  // The packed form (ds/listpack.h) of an inline listpack, in the slot. Valid until the object
  // moves or is written. REQUIRES: has_inline_listpack().
  uint8_t* packed_listpack() const {
    MNEMO_ASSERT(has_inline_listpack());
    return reinterpret_cast<uint8_t*>(const_cast<char*>(ValueStart()));
  }
  // The listpack of a listpack-encoded value held in a block of its own.
  // REQUIRES: encoding() == kListpack and !has_inline_listpack().
  uint8_t* listpack_block() const {
    MNEMO_ASSERT(!has_inline_listpack());
    return static_cast<uint8_t*>(ptr());
  }
  // The number of elements of a listpack-encoded value, wherever it is.
  size_t ListpackLength() const;
  // ds::LpSafeToAdd for a listpack-encoded value, wherever it is.
  bool ListpackSafeToAdd(size_t add) const;
  // A forward walk over the elements of a listpack-encoded value, wherever it is (packed in
  // the slot, or in its block); positions are valid until the object moves or is written.
  ds::LpForward ForwardListpack() const {
    return has_inline_listpack() ? ds::LpForward::Packed(packed_listpack())
                                 : ds::LpForward::Listpack(listpack_block());
  }
  // The listpack to edit, in a block of its own: an inline one is first unpacked into a new
  // block, which the value word then points to (the slot keeps its size until Db::Repack).
  // `*pos`, if given, is a position before the call (of ForwardListpack(), or of the view) and
  // the same element's position in the returned listpack after it. REQUIRES: encoding() ==
  // kListpack; the view, if any, is of this object.
  uint8_t* WritableListpack(uint8_t** pos = nullptr);
  uint8_t* WritableListpack(const ListpackView& view, uint8_t** pos);

  // The value word. REQUIRES: encoding() is neither kEmbstr nor kInt (those have no word), and
  // no inline listpack.
  uint64_t word() const {
    uint64_t w;
    std::memcpy(&w, ValueStart(), sizeof(w));
    return w;
  }
  // Sets the value word (the value is no longer an inline listpack, if it was).
  void set_word(uint64_t w) {
    std::memcpy(ValueStart(), &w, sizeof(w));
    embedded_len_ = 0;
  }
  void* ptr() const { return reinterpret_cast<void*>(word()); }
  void set_ptr(void* p) { set_word(reinterpret_cast<uint64_t>(p)); }
  // The integer of an int-encoded value. REQUIRES: encoding() == kInt.
  int64_t int_value() const {
    const size_t width = embedded_len_;
    uint64_t u = 0;
    std::memcpy(&u, ValueStart(), width);
    const int shift = static_cast<int>(64 - 8 * width);
    return static_cast<int64_t>(u << shift) >> shift;  // sign-extends the top stored byte
  }
  // True iff the value is one Redis would share (OBJECT REFCOUNT 2147483647).
  bool shared_value() const { return (flags_ & kSharedValue) != 0; }
  // How wide an integer this block can hold without reallocation (1..8).
  size_t IntCapacity() const;
  // Stores `v` in place, marked shared when `allow_shared` and Redis would share it, iff it fits
  // the block (IntWidth(v) <= IntCapacity()). Returns false, and changes nothing, when it does
  // not: the caller moves the value to a bigger block (string_type.cc StringSetInt).
  // REQUIRES: encoding() == kInt.
  [[nodiscard]] bool TrySetInt(int64_t v, bool allow_shared);

  // One bit for the fork-less snapshot: the key was written to the snapshot in progress when it
  // equals Changes::snapshot_epoch() (see changes.h, "Before a change").
  bool snapshot_mark() const { return (flags_ & kSnapshotMark) != 0; }
  void set_snapshot_mark(bool on) {
    flags_ = static_cast<uint8_t>(on ? (flags_ | kSnapshotMark) : (flags_ & ~kSnapshotMark));
  }

  // The bytes of this object's slot: what may be written (its exact size).
  size_t BlockSize() const;
  // What the slot costs in used_memory: BlockSize(), or for an object too big for a slab page
  // (a key of about 1 KB or more) the usable size of its own jemalloc block.
  size_t BlockCost() const;

  // The chain field of the keyspace table (4 bytes, a handle; any alignment).
  void* next_field() { return next_; }
  uint32_t next_handle() const {
    uint32_t h;
    std::memcpy(&h, next_, sizeof(h));
    return h;
  }

 private:
  static constexpr uint8_t kHasExpire = 1;
  static constexpr uint8_t kSharedValue = 2;
  static constexpr uint8_t kSnapshotMark = 4;
  static constexpr uint8_t kWideExpire = 8;
  static constexpr uint8_t kLowFlags = 0x0F;  // the flags below the compact expiry's high bits
  static constexpr uint8_t kLongKeyMarker = 0xFF;
  // embedded_len_ of a listpack-encoded value held in the slot (a word-valued object has 0).
  static constexpr uint8_t kInlineListpack = 1;
  static constexpr size_t kHeadSize = 11;  // next_, header_, flags_, embedded_len_, key_len_
  static constexpr size_t kCompactExpireSize = 4;
  static constexpr size_t kWideExpireSize = 8;
  static constexpr uint64_t kCompactRange = uint64_t{1} << 36;

  static const int64_t expire_base_;

  static size_t ExpireSize(bool with_expire, int64_t when) {
    if (!with_expire) return 0;
    return CompactExpire(when) ? kCompactExpireSize : kWideExpireSize;
  }
  // Branch-free: key() calls this for every key a table lookup compares (a wide slot has
  // kHasExpire too: 4 + 4).
  size_t ExpireSize() const {
    static_assert(kCompactExpireSize == 4 && kWideExpireSize == 8 && kWideExpire >> 1 == 4);
    return (flags_ & kHasExpire) * kCompactExpireSize + ((flags_ & kWideExpire) >> 1);
  }
  const char* ExpireSlot() const { return reinterpret_cast<const char*>(this) + kHeadSize; }
  char* ExpireSlot() { return reinterpret_cast<char*>(this) + kHeadSize; }
  // REQUIRES: a compact slot and CompactExpire(when).
  void StoreCompactExpire(int64_t when) {
    const uint64_t d = static_cast<uint64_t>(when - expire_base_);
    const uint32_t low = static_cast<uint32_t>(d);
    std::memcpy(ExpireSlot(), &low, sizeof(low));
    flags_ = static_cast<uint8_t>((flags_ & kLowFlags) | ((d >> 32) << 4));
  }

  // The packed bytes of an inline listpack `value` holds (to pack, or packed already), or 0.
  static size_t InlineListpackBytes(const ValueInit& value) {
    if (value.encoding != Encoding::kListpack) return 0;
    return value.to_pack != nullptr ? value.packed_size : value.embedded.size();
  }
  static Object* Construct(void* block, std::string_view key, ObjType type, const ValueInit& value,
                           bool with_expire, int64_t expire_ms, uint32_t lru);

  // An inline listpack's packed form: its header's first 2 bytes are its total length.
  std::string_view inline_listpack_bytes() const {
    uint16_t total;
    std::memcpy(&total, ValueStart(), sizeof(total));
    return {ValueStart(), total};
  }

  const char* VarStart() const {
    return reinterpret_cast<const char*>(this) + kHeadSize + ExpireSize();
  }
  char* VarStart() { return reinterpret_cast<char*>(this) + kHeadSize + ExpireSize(); }
  const char* ValueStart() const {
    std::string_view k = key();
    return k.data() + k.size();
  }
  char* ValueStart() { return const_cast<char*>(static_cast<const Object*>(this)->ValueStart()); }

  uint32_t header() const {
    uint32_t h;
    std::memcpy(&h, header_, sizeof(h));
    return h;
  }
  void set_header(uint32_t h) { std::memcpy(header_, &h, sizeof(h)); }

  unsigned char next_[4];
  unsigned char header_[4];
  uint8_t flags_;
  uint8_t embedded_len_;
  uint8_t key_len_;
  // The expiry slot, the key and the value follow (see the layout).
};

// The head is 11 bytes and needs no alignment: slots are byte-exact (mem/slab.h).
static_assert(sizeof(Object) == 11 && alignof(Object) == 1);

// A listpack-encoded value's listpack in Redis's form, to read: its own block, or an inline
// listpack unpacked into the view's buffer (ds::LpUnpack: one forward pass; about 0.1 us a
// ZREVRANGE in bench/compare/small_collections.py). Positions in get(), and LpEntry views read through them, are valid while the view
// lives and the object is neither written nor moved. A view is about 2 KiB: a local variable.
class ListpackView {
 public:
  // The most an inline listpack unpacks to: its packed form is at most a small slot's bytes.
  static constexpr size_t kBufferSize = ds::LpUnpackedBound(mem::SlabArena::kMaxSmall);

  // REQUIRES: o.encoding() == Encoding::kListpack.
  explicit ListpackView(const Object& o);
  ListpackView(const ListpackView&) = delete;
  ListpackView& operator=(const ListpackView&) = delete;

  uint8_t* get() const { return lp_; }
  // True iff get() is an unpacked copy of an inline listpack (an edit of it changes nothing).
  bool unpacked() const { return lp_ == buf_; }

 private:
  uint8_t* lp_;
  uint8_t buf_[kBufferSize];
};
static_assert(sizeof(void*) == 8, "the object layout assumes 64-bit pointers");
static_assert(std::endian::native == std::endian::little,
              "int values are stored as the low bytes of a little-endian int64");

}  // namespace mnemo::db

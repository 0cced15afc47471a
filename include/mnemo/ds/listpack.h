// listpack.h: a compact serialized sequence of strings and integers in one blob, in Redis 7's
// listpack byte format exactly, so that RDB files can carry it as is (layer: ds).
//
// Layout (every multi-byte field little-endian):
//   <total bytes: uint32> <element count: uint16> <entry> ... <entry> <0xFF>
// An empty listpack is 7 bytes. The count field says 65535 (kLpCountUnknown) once there are that
// many elements; LpLength then counts them, and writes the count back when it fits again.
//
// Each entry is <encoding + data> followed by its back-length. The first byte says the encoding:
//   0xxxxxxx                           7-bit unsigned integer 0..127          1 byte
//   10xxxxxx <data>                    string of 0..63 bytes                  1 + len
//   110xxxxx yyyyyyyy                  13-bit signed integer -4096..4095      2 bytes
//   1110xxxx yyyyyyyy <data>           string of 64..4095 bytes (12-bit len)  2 + len
//   11110000 <len: 4 bytes> <data>     string of 4096.. bytes (32-bit len)    5 + len
//   11110001 / 0010 / 0011 / 0100      16 / 24 / 32 / 64-bit signed integer   3 / 4 / 5 / 9
//   11110101 .. 11111110               unused: a blob holding one is corrupt
//   11111111                           the terminator (never an entry)
// Integers are two's complement in their width (13-bit: high 5 bits in the first byte). The
// back-length is the size of <encoding + data> in 1..5 bytes, 7 bits per byte, meant to be read
// right to left: the rightmost byte holds the low 7 bits and every byte but the leftmost has its
// high bit set. It is what lets LpPrev walk backwards without a per-entry "previous length" that
// would have to change when the neighbour changes (the ziplist cascade). Redis picks the width
// with `<= 127`, `< 16383`, `< 2097151`, `< 268435455` (note: 16383 itself takes 3 bytes); these
// exact thresholds are kept so that the bytes are Redis's bytes.
//
// A string that is a canonical int64 (ParseInt64 in base/numbers.h, Redis's string2ll: no '+',
// no spaces, no leading zeros, "-0" is not one) is stored as an integer in the smallest encoding
// that holds it, as Redis does: "1024" costs 3 bytes with its back-length, not 6. Reading it back
// gives the integer; LpEntry::AsBytes prints it back to the same bytes.
//
// Handles and ownership: a listpack is a `uint8_t*` to its first header byte, allocated through
// mem:: and owned by whoever holds it (LpFree). Every function that may change the size returns
// the listpack, which may have moved: the old pointer is dead after the call. A position `p` is
// a pointer to an entry's first byte. Positions, and LpEntry values read through them, stay valid
// until the next change to the listpack.
//
// Limits: the total size must fit the uint32 header (asserted on every insert). Callers keep far
// below that by checking LpSafeToAdd (1 GiB, Redis LISTPACK_MAX_SAFETY_SIZE) before they grow a
// listpack-encoded value, and convert to a bigger encoding when it says no.
//
// Memory: a change reallocates the blob only when its size leaves the jemalloc size class it is
// in, so its usable size is always the size class of its bytes (a 100-byte listpack costs 112)
// and most small edits make no allocator call. (LpNew with a capacity is the exception, until
// LpShrinkToFit.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mnemo/base/numbers.h"

namespace mnemo::ds {

// Header: 4 bytes of total size + 2 bytes of element count.
inline constexpr size_t kLpHeaderSize = 6;
// The size of an empty listpack: header + terminator.
inline constexpr size_t kLpEmptySize = kLpHeaderSize + 1;
// The count field's value when the count does not fit (or is not known).
inline constexpr uint16_t kLpCountUnknown = 65535;
// The terminator byte.
inline constexpr uint8_t kLpEof = 0xFF;
// LpSafeToAdd's limit (Redis LISTPACK_MAX_SAFETY_SIZE): far below the 4 GiB the header can
// express, so that no sum of sizes in a single operation can overflow it.
inline constexpr size_t kLpMaxSafetySize = size_t{1} << 30;
// A buffer this big holds any integer element printed in base 10 (with a terminating NUL).
inline constexpr size_t kLpIntBufSize = kMaxInt64Chars;

// One element: an integer or a byte string. Read from a listpack (LpGet), `str` points into the
// blob; written to one (LpBatchAppend), a string that is a canonical integer is stored as one.
struct LpEntry {
  const uint8_t* str = nullptr;  // the bytes, when !is_int
  size_t len = 0;                // their number, when !is_int
  int64_t int_value = 0;         // the value, when is_int
  bool is_int = false;

  static LpEntry Int(int64_t v) { return LpEntry{nullptr, 0, v, true}; }
  static LpEntry String(std::string_view s) {
    return LpEntry{reinterpret_cast<const uint8_t*>(s.data()), s.size(), 0, false};
  }
  // The element as bytes: the string itself, or the integer printed in base 10 into `buf`.
  std::string_view AsBytes(std::span<char, kLpIntBufSize> buf) const;
  // A copy of AsBytes (allocates; for tests and cold paths).
  std::string ToString() const;
};

// Where LpInsert puts the new element relative to the position it is given.
enum class LpWhere : uint8_t { kBefore, kAfter, kReplace };

// The result of an edit: the listpack (possibly moved) and a position in it. What the position
// is depends on the edit; each function says.
struct LpEdit {
  uint8_t* lp;
  uint8_t* p;
};

// ---- create, free, size -----------------------------------------------------------------------

// A new empty listpack whose block holds at least `capacity` bytes (so that a caller who knows
// the final size avoids reallocations; LpShrinkToFit gives back what is left).
uint8_t* LpNew(size_t capacity = 0);
// Frees the listpack; null is allowed.
void LpFree(uint8_t* lp);
// A copy of `lp` in a block of its own, sized to fit.
uint8_t* LpDup(const uint8_t* lp);
// Reallocates to the smallest block that holds the listpack. May move it.
uint8_t* LpShrinkToFit(uint8_t* lp);
// Total bytes of the listpack (the header field): header, entries and terminator.
size_t LpBytes(const uint8_t* lp);
// Number of elements. O(1) while fewer than 65535; otherwise counts them (O(n)) and, if the count
// now fits the header, writes it there, so that the next call is O(1) again.
size_t LpLength(uint8_t* lp);
// Returns true iff `add` more bytes keep the listpack within kLpMaxSafetySize. lp may be null
// (an empty listpack to be created).
bool LpSafeToAdd(const uint8_t* lp, size_t add);

// ---- navigation ---------------------------------------------------------------------------------

// The first / last element, or null when the listpack is empty.
uint8_t* LpFirst(uint8_t* lp);
uint8_t* LpLast(uint8_t* lp);
// The element after / before p, or null when p is the last / first one.
// REQUIRES: p is a position of an element of lp.
uint8_t* LpNext(uint8_t* lp, uint8_t* p);
uint8_t* LpPrev(uint8_t* lp, uint8_t* p);
// The element at `index` (0-based; negative counts from the end, -1 is the last), or null when
// out of range. Walks from the nearer end: O(min(index, length - index)).
uint8_t* LpSeek(uint8_t* lp, int64_t index);

// ---- reading ------------------------------------------------------------------------------------

// The element at p. REQUIRES: p is a position of an element.
LpEntry LpGet(const uint8_t* p);
// The bytes the element at p takes, back-length included (what deleting it would free).
size_t LpEntryBytes(const uint8_t* p);
// Returns true iff the element at p equals the bytes `s` (an integer element equals the string
// that prints it). REQUIRES: p is a position of an element.
bool LpEquals(const uint8_t* p, std::string_view s);
// Starting at p, compares one element, skips `skip` elements, compares the next one, and so on;
// returns the first compared element equal to `s`, or null. skip = 1 searches the fields of a
// hash (field, value, field, value...) and never matches a value. Null p returns null.
uint8_t* LpFind(uint8_t* lp, uint8_t* p, std::string_view s, size_t skip);

// The bytes an element would take once encoded, back-length included.
size_t LpEncodedEntryBytes(const LpEntry& e);
size_t LpEncodedEntryBytes(std::string_view s);

// ---- writing ------------------------------------------------------------------------------------
// REQUIRES for every function here: the resulting size fits uint32 (checked: the process aborts
// otherwise; callers are expected to have asked LpSafeToAdd). A string argument may point into
// the listpack itself.

// Inserts `value` before or after p, or replaces the element at p. p may be the terminator
// (LpBytes(lp) - 1 bytes past lp) with kBefore, which appends. Returns the listpack and the
// position of the new element.
LpEdit LpInsert(uint8_t* lp, const LpEntry& value, uint8_t* p, LpWhere where);
LpEdit LpInsertString(uint8_t* lp, std::string_view s, uint8_t* p, LpWhere where);
LpEdit LpInsertInteger(uint8_t* lp, int64_t v, uint8_t* p, LpWhere where);
// Adds at the end / at the front.
uint8_t* LpAppend(uint8_t* lp, std::string_view s);
uint8_t* LpAppendInteger(uint8_t* lp, int64_t v);
uint8_t* LpPrepend(uint8_t* lp, std::string_view s);
uint8_t* LpPrependInteger(uint8_t* lp, int64_t v);
// Appends all of `values` with one reallocation.
uint8_t* LpBatchAppend(uint8_t* lp, std::span<const LpEntry> values);
// Replaces the element at p. Returns the listpack and the position of the new element.
LpEdit LpReplace(uint8_t* lp, uint8_t* p, std::string_view s);
LpEdit LpReplaceInteger(uint8_t* lp, uint8_t* p, int64_t v);
// Replaces the element at p with `s` iff its encoding takes exactly as many bytes as the element
// does now: no byte after it moves, the header is unchanged and no allocator is called, so it
// works on a listpack held in memory the listpack functions may not reallocate (an inline
// listpack, db/object.h). Returns false, changing nothing, otherwise. `s` may point into the
// element. REQUIRES: p is a position of an element.
bool LpReplaceInPlace(uint8_t* p, std::string_view s);
bool LpReplaceInPlace(uint8_t* p, const LpEntry& value);

// Deletes the element at p. Returns the listpack and the position of the element that followed
// it, or null when it was the last.
LpEdit LpDelete(uint8_t* lp, uint8_t* p);
// Deletes up to `num` elements starting at p (fewer when the end comes first). Returns the
// listpack and the position of the element after the deleted ones, or null at the end.
LpEdit LpDeleteRangeWithEntry(uint8_t* lp, uint8_t* p, size_t num);
// Deletes up to `num` elements starting at `index` (negative from the end). Out of range does
// nothing.
uint8_t* LpDeleteRange(uint8_t* lp, int64_t index, size_t num);
// Appends `second`'s elements to `first`'s and returns the result; both inputs are consumed.
uint8_t* LpMerge(uint8_t* first, uint8_t* second);

// ---- random sampling (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER) -------------------------------------
// Entries returned point into the listpack. The random source is base/random.h.

// A random element. REQUIRES: the listpack is not empty.
LpEntry LpRandomEntry(uint8_t* lp);
// A random key/value pair of a listpack laid out as key, value, key, value...
// REQUIRES: total_pairs == LpLength(lp) / 2 > 0.
struct LpPair {
  LpEntry key;
  LpEntry value;
};
LpPair LpRandomPair(uint8_t* lp, size_t total_pairs);
// Fills keys (and values, unless `values` is empty) with keys.size() pairs picked at random with
// repetition, in random order, in one pass over the listpack. REQUIRES: values is empty or as
// long as keys; the listpack holds at least one pair.
void LpRandomPairs(uint8_t* lp, std::span<LpEntry> keys, std::span<LpEntry> values);
// As LpRandomPairs without repetition: picks min(keys.size(), pairs) distinct pairs, each pair
// equally likely, in listpack order, in one pass; returns how many were picked.
size_t LpRandomPairsUnique(uint8_t* lp, std::span<LpEntry> keys, std::span<LpEntry> values);
// The same two for a listpack of single elements (a set): with and without repetition.
void LpRandomEntries(uint8_t* lp, std::span<LpEntry> out);
size_t LpRandomEntriesUnique(uint8_t* lp, std::span<LpEntry> out);

// ---- the packed form (a listpack held in a key's slot: db/object.h "Inline listpacks") ------
//
// A small listpack kept inside its key's slot drops what the slot makes redundant:
//   <total bytes: uint16> <element count: uint16> <encoding + data> ... <encoding + data>
// with no back-lengths and no terminator (the total says where the entries end). Each entry is
// the listpack's own <encoding + data>, byte for byte, so LpGet and LpEquals read a packed entry
// at its position, and the LpEntry views they give point into the packed bytes. The form can
// only be walked forwards; everything that needs more (a backward walk, an edit that moves
// bytes, Redis's bytes for a file) works on an unpacked copy (LpUnpack), which is exactly the
// listpack that was packed.

// Header of the packed form: 2 bytes of total size + 2 bytes of element count.
inline constexpr size_t kLpPackedHeaderSize = 4;
// The largest packed form (its size field is 16 bits).
inline constexpr size_t kLpPackedMaxBytes = 65535;
// What unpacking adds at most to a packed form of n bytes: every entry gains a back-length no
// longer than itself (1 byte up to 127 bytes, 2 up to 16382), and the header 3 bytes.
inline constexpr size_t LpUnpackedBound(size_t packed_bytes) {
  return 2 * packed_bytes + kLpEmptySize - 2 * kLpPackedHeaderSize;
}

// The size of lp's packed form, or 0 when it has none (bigger than kLpPackedMaxBytes, or more
// elements than the count field holds).
size_t LpPackedSize(const uint8_t* lp);
// Writes lp's packed form, LpPackedSize(lp) bytes, at out. REQUIRES: LpPackedSize(lp) > 0.
void LpPack(const uint8_t* lp, uint8_t* out);
// The packed form's total bytes and element count (its header).
size_t LpPackedBytes(const uint8_t* packed);
size_t LpPackedLength(const uint8_t* packed);
// The size of the listpack LpUnpack writes.
size_t LpUnpackedSize(const uint8_t* packed);
// Writes the listpack `packed` was made from at out (LpUnpackedSize(packed) bytes, at most
// LpUnpackedBound(LpPackedBytes(packed))); returns out. If `pos` is given, *pos is a position
// in `packed` before the call and the same element's position in out after it.
uint8_t* LpUnpack(const uint8_t* packed, uint8_t* out, uint8_t** pos = nullptr);
// A forward walk over the elements of a listpack or of a packed form, whichever it is given:
// what the reads that only go forwards use, so that they read a packed form where it is.
class LpForward {
 public:
  static LpForward Listpack(uint8_t* lp);
  static LpForward Packed(uint8_t* packed);

  // The first element / the element after p, or null (empty / p was the last).
  uint8_t* First() const { return first_ < end_ ? first_ : nullptr; }
  uint8_t* Next(uint8_t* p) const;
  // As LpFind: from `from` (an element, or null: none), or from the first element.
  uint8_t* Find(uint8_t* from, std::string_view s, size_t skip) const;
  uint8_t* Find(std::string_view s, size_t skip) const { return Find(First(), s, skip); }
  // As LpReplaceInPlace of the element at p (of a packed form: without a back-length).
  bool ReplaceInPlace(uint8_t* p, const LpEntry& value) const;
  bool packed() const { return packed_; }

 private:
  LpForward(uint8_t* first, uint8_t* end, bool packed)
      : first_(first), end_(end), packed_(packed) {}
  uint8_t* first_;
  uint8_t* end_;  // the terminator, or the packed form's end
  bool packed_;
};

// ---- validation ---------------------------------------------------------------------------------

// Returns true iff the `size` bytes at lp are a well-formed listpack. Never reads outside
// [lp, lp + size). Shallow (deep = false): the header agrees with `size`, the terminator is in
// place, and the first entry is well formed. Deep: every entry's encoding is a known one, lies
// inside the blob, and is followed by the exact back-length Redis writes for it; the entries end
// exactly at the terminator; and the count field, unless it says unknown, is the number of
// entries. (Redis only checks that the back-length decodes to the right value; here the bytes
// must be the canonical ones, which every writer produces, so that no stray byte can make LpPrev
// read outside an entry.)
bool LpValidate(const uint8_t* lp, size_t size, bool deep);

// ---- checks of loaded blobs (RDB, RESTORE) ----------------------------------------------------

// Returns true iff no two of the elements at positions 0, 1 + skip, 2 + 2 * skip, ... are equal
// as bytes (an integer equals the string that prints it): skip 0 checks a set's members, 1 a
// hash's fields or a zset's members. With max_bytes, also gives the length of the longest
// element of all (the same walk). O(n log n). REQUIRES: a valid listpack.
bool LpHasUniqueElements(uint8_t* lp, size_t skip, size_t* max_bytes = nullptr);
// Returns true iff no two of `items` are equal. Up to a few dozen items are compared pairwise by
// a cheap fingerprint first, with no allocation; more are sorted by hash. O(n log n).
bool BytesAllDistinct(std::span<const std::string_view> items);
// The length in bytes of the longest element (integers as printed). O(n).
size_t LpMaxElementBytes(uint8_t* lp);

}  // namespace mnemo::ds

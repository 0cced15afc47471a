// string_type.h: the string type API; every branch on a string's encoding lives here
// (layer: db).
//
// Encodings, chosen when a value is stored (Redis tryObjectEncoding):
//   int     the value is a canonical int64 ("123", not "0123" or "+1"): 1 to 8 bytes inside the
//           object's block, as few as the integer needs (object.h)
//   embstr  up to kMaxEmbstrLength bytes, inside the object's own block; also, as Mnemo's own
//           representation that OBJECT ENCODING calls "raw", longer values up to
//           kMaxEmbeddedLength when embedding them costs no more than an sds (PlacePlain in
//           string_type.cc)
//   raw     longer values, and any value modified in place (APPEND, SETRANGE, SETBIT): an sds
//   compressed (Mnemo's; OBJECT ENCODING says "raw") a value given whole that
//           value_compression.h chose to compress: a ds/compress.h block. Readers see the
//           original bytes through StringView; writers in place go through StringMakeRaw,
//           which decompresses it back to raw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mnemo/base/numbers.h"
#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/sds.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

// Room to print an int-encoded value.
using IntBuffer = char[kMaxInt64Chars];

// Where StringView puts bytes it has to make: an int value printed, or a compressed value
// decompressed (into a mem:: block freed with the buffer). A view StringView returns lives as
// long as the buffer it was given, so two values read at once (LCS, BITOP) take two buffers.
class StringBuffer {
 public:
  StringBuffer() = default;
  StringBuffer(const StringBuffer&) = delete;
  StringBuffer& operator=(const StringBuffer&) = delete;
  ~StringBuffer() {
    if (heap_ != nullptr) mem::Free(heap_);
  }
  char* digits() { return digits_; }
  // Room for n bytes on the heap; earlier contents are lost.
  char* Reserve(size_t n);
  // True iff `p` points into this buffer (a view that dies with it).
  bool Holds(const char* p) const { return p == digits_ || (p != nullptr && p == heap_); }

 private:
  char digits_[kMaxInt64Chars];
  char* heap_ = nullptr;
  size_t heap_size_ = 0;
};

// A new string object for key/value with the encoding the value deserves (compressed when the
// value-compression options say so, with database `db`'s dictionary); expire_ms < 0 means no
// expiry. Not yet in any Db.
Object* NewStringObject(const Keyspace& ks, int db, std::string_view key, std::string_view value,
                        int64_t expire_ms);
// A new int-encoded string object.
Object* NewIntStringObject(const Keyspace& ks, std::string_view key, int64_t value,
                           int64_t expire_ms);
// A new raw string object that takes ownership of `s`.
Object* NewRawStringObject(const Keyspace& ks, std::string_view key, ds::sds s, int64_t expire_ms);
// A new string object that is never int-encoded: embstr up to kMaxEmbstrLength bytes, embedded
// or raw beyond (see the encodings above). INCRBYFLOAT stores its result this way, as Redis does,
// even when it reads "3".
Object* NewPlainStringObject(const Keyspace& ks, std::string_view key, std::string_view value,
                             int64_t expire_ms);
// A new raw string object holding `offset` zero bytes followed by `value`, with no expiry
// (SETRANGE on a missing key; Redis stores that raw whatever its length).
Object* NewPaddedStringObject(const Keyspace& ks, std::string_view key, size_t offset,
                              std::string_view value);

// A new raw string object of `len` zero bytes (SETBIT, BITFIELD on a missing key; BITOP fills its
// bytes through StringRawSds). Not yet in any Db.
Object* NewZeroedStringObject(const Keyspace& ks, std::string_view key, size_t len);

// The bytes of a string value; int values are printed and compressed ones decompressed into
// `buf`. Costs one switch on the encoding for raw and embstr values. REQUIRES: string type.
std::string_view StringView(const Object& o, StringBuffer& buf);
// The length, without decompressing.
size_t StringLength(const Object& o);
// Writes the value's StringLength(o) bytes to `out`: a compressed value is decompressed straight
// there (GET into the reply buffer: no intermediate buffer, no allocation, one copy less).
// REQUIRES: string type; out has room for StringLength(o) bytes.
void StringCopyTo(const Object& o, char* out);

// Starts loading the block a string value owns (a raw sds's header, a compressed block's) into
// the cache, for a caller about to overwrite the value: freeing it reads that header, and a
// miss there cost about a tenth of a compressed SET. SET issues it before compressing the new
// value, so the load overlaps the compression. Does nothing for other values.
inline void StringPrefetchValue(const Object& o) {
  if (o.type() != ObjType::kString) return;
  if (o.encoding() == Encoding::kCompressed) __builtin_prefetch(o.ptr());
  if (o.encoding() == Encoding::kRaw) __builtin_prefetch(static_cast<const char*>(o.ptr()) - 1);
}

// How a string value is compressed (OBJECT COMPRESSION). Null codec: not compressed.
struct StringCompression {
  const char* codec = nullptr;  // ds::CodecName
  size_t original_bytes = 0;
  size_t stored_bytes = 0;  // the block's usable size
  uint32_t dictionary = 0;  // dictionary id, 0: none
};
StringCompression StringCompressionOf(const Object& o);
// The compressed block of `o` (ds/compress.h), or null when the value is not compressed.
inline const uint8_t* StringCompressedBlock(const Object& o) {
  if (o.type() != ObjType::kString || o.encoding() != Encoding::kCompressed) return nullptr;
  return static_cast<const uint8_t*>(o.ptr());
}
// The value as an int64 if it is one (Redis getLongLongFromObject rules).
std::optional<int64_t> StringToInt64(const Object& o);
// The value as a long double if it is one (Redis getLongDoubleFromObject: string2ld rules for
// strings, the integer itself for int values).
std::optional<long double> StringToLongDouble(const Object& o);

// Makes `o` hold its value as a raw sds it may modify (Redis dbUnshareStringValue); a
// compressed value is decompressed. Returns the object's address, which changes when the block
// is reshaped.
Object* StringMakeRaw(Db& db, Object* o);
// A string a command may modify in place: the object's (possibly new) address and its raw sds,
// both valid until the next call that may reallocate the object or its value.
struct MutableString {
  Object* o;
  ds::sds s;
};
// Makes `o` raw (StringMakeRaw) and at least `len` bytes long, appending zero bytes as needed
// (Redis dbUnshareStringValue + sdsgrowzero: the bitmap commands write bits through the result).
// The sds grows greedily (doubling below 1 MiB), so growing a bitmap bit by bit is amortized O(1).
MutableString StringGrowZero(Db& db, Object* o, size_t len);

// The raw sds of `o`. REQUIRES: encoding raw.
inline ds::sds StringRawSds(const Object& o) { return static_cast<ds::sds>(o.ptr()); }
// Stores a new sds pointer after an operation that may have moved it. REQUIRES: encoding raw.
inline void StringSetRawSds(Object* o, ds::sds s) { o->set_ptr(s); }
// Stores an integer value, in place when the object is int-encoded. Returns the object's
// (possibly new) address.
Object* StringSetInt(Db& db, Object* o, int64_t value);
// Replaces the value with `value` stored as NewPlainStringObject stores it (never int), keeping
// the key, expiry and LRU/LFU field. Returns the object's new address.
Object* StringSetPlain(Db& db, Object* o, std::string_view value);

// The in-place edits (Redis APPEND, SETRANGE). Both first make the value raw (StringMakeRaw)
// and grow its sds greedily (ds::SdsMakeRoomFor), so a run of small appends is amortized O(1)
// per byte; the slack counts in ValueMemoryUsage. Both return the object's (possibly
// new) address. The caller checks proto-max-bulk-len before calling.
//
// Appends `tail` to the value (an empty tail still converts to raw, as in Redis).
Object* StringAppend(Db& db, Object* o, std::string_view tail);
// Writes `value` at byte `offset`, zero-filling any gap past the current end.
// REQUIRES: !value.empty() (SETRANGE with an empty value leaves the value and its encoding
// alone).
Object* StringSetRange(Db& db, Object* o, size_t offset, std::string_view value);

// For value.h's dispatch.
void FreeStringValue(const ValueRef& v);
// Active defragmentation of the value (db/value.h DefragValue).
uint64_t DefragStringValue(const ValueRef& v, bool first, uint64_t* cursor, size_t max_elements);
size_t StringValueMemory(const ValueRef& v);
uint64_t DuplicateStringValue(const ValueRef& v);

}  // namespace mnemo::db

// string_type.h: the string type API; every branch on a string's encoding lives here
// (layer: db).
//
// Encodings, chosen when a value is stored (Redis tryObjectEncoding):
//   int     the value is a canonical int64 ("123", not "0123" or "+1"): 8 bytes in the object's
//           value word, or a pointer to a shared integer for 0..9999
//   embstr  up to kMaxEmbstrLength bytes, inside the object's own block
//   raw     longer values, and any value modified in place (APPEND, SETRANGE, SETBIT): an sds
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mnemo/base/numbers.h"
#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/sds.h"

namespace mnemo::db {

// Room to print an int-encoded value.
using IntBuffer = char[kMaxInt64Chars];

// A new string object for key/value with the encoding the value deserves; expire_ms < 0 means
// no expiry. Not yet in any Db.
Object* NewStringObject(const Keyspace& ks, std::string_view key, std::string_view value,
                        int64_t expire_ms);
// A new int-encoded string object.
Object* NewIntStringObject(const Keyspace& ks, std::string_view key, int64_t value,
                           int64_t expire_ms);
// A new raw string object that takes ownership of `s`.
Object* NewRawStringObject(const Keyspace& ks, std::string_view key, ds::sds s,
                           int64_t expire_ms);

// A new raw string object of `len` zero bytes (SETBIT, BITFIELD on a missing key; BITOP fills its
// bytes through StringRawSds). Not yet in any Db.
Object* NewZeroedStringObject(const Keyspace& ks, std::string_view key, size_t len);

// The bytes of a string value; int values are printed into `buf`. REQUIRES: string type.
std::string_view StringView(const Object& o, IntBuffer& buf);
size_t StringLength(const Object& o);
// The value as an int64 if it is one (Redis getLongLongFromObject rules).
std::optional<int64_t> StringToInt64(const Object& o);

// Makes `o` hold its value as a raw sds it may modify (Redis dbUnshareStringValue). Returns
// the object's address, which changes when the block is reshaped.
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

// For value.h's dispatch.
void FreeStringValue(const ValueRef& v);
size_t StringValueMemory(const ValueRef& v);
uint64_t DuplicateStringValue(const ValueRef& v);

}  // namespace mnemo::db

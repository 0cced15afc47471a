// string_type.cc: string encodings and their conversions (layer: db).
#include "mnemo/db/string_type.h"

#include <cstring>

#include "mnemo/ds/compress.h"
#include "mnemo/ds/sds.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

namespace {

// 20: the longest canonical int64 ("-9223372036854775808"); longer strings are never ints.
constexpr size_t kMaxIntLength = 20;

Object::ValueInit IntValue(const Keyspace& ks, int64_t v) {
  if (ks.options().SharedIntegersAllowed() && v >= 0 && v < kSharedIntegers) {
    return Object::ValueInit{
        Encoding::kInt, {}, reinterpret_cast<uint64_t>(SharedInteger(v)), true};
  }
  return Object::ValueInit{Encoding::kInt, {}, static_cast<uint64_t>(v), false};
}

// embstr when the bytes fit the object block's 44-byte allowance, else a new exact-size sds
// (which the caller then owns through the object it creates).
Object::ValueInit PlainValue(std::string_view value) {
  if (value.size() <= kMaxEmbstrLength) return Object::ValueInit{Encoding::kEmbstr, value};
  return Object::ValueInit{
      Encoding::kRaw, {}, reinterpret_cast<uint64_t>(ds::SdsNew(value)), false};
}

const uint8_t* Block(const Object& o) { return static_cast<const uint8_t*>(o.ptr()); }

}  // namespace

char* StringBuffer::Reserve(size_t n) {
  if (n > heap_size_) {
    mem::Free(heap_);
    heap_ = static_cast<char*>(mem::Alloc(n));
    heap_size_ = mem::UsableSize(heap_);
  }
  return heap_;
}

Object* NewIntStringObject(const Keyspace& ks, std::string_view key, int64_t value,
                           int64_t expire_ms) {
  return Object::Create(key, ObjType::kString, IntValue(ks, value), expire_ms >= 0, expire_ms,
                        ks.InitialLru());
}

Object* NewRawStringObject(const Keyspace& ks, std::string_view key, ds::sds s, int64_t expire_ms) {
  Object::ValueInit v{Encoding::kRaw, {}, reinterpret_cast<uint64_t>(s), false};
  return Object::Create(key, ObjType::kString, v, expire_ms >= 0, expire_ms, ks.InitialLru());
}

Object* NewStringObject(const Keyspace& ks, int db, std::string_view key, std::string_view value,
                        int64_t expire_ms) {
  if (value.size() <= kMaxIntLength) {
    if (auto n = ParseInt64(value)) return NewIntStringObject(ks, key, *n, expire_ms);
  } else if (uint8_t* block = ks.compressor().Compress(db, value)) {
    Object::ValueInit v{Encoding::kCompressed, {}, reinterpret_cast<uint64_t>(block), false};
    return Object::Create(key, ObjType::kString, v, expire_ms >= 0, expire_ms, ks.InitialLru());
  }
  return NewPlainStringObject(ks, key, value, expire_ms);
}

Object* NewPlainStringObject(const Keyspace& ks, std::string_view key, std::string_view value,
                             int64_t expire_ms) {
  return Object::Create(key, ObjType::kString, PlainValue(value), expire_ms >= 0, expire_ms,
                        ks.InitialLru());
}

Object* NewPaddedStringObject(const Keyspace& ks, std::string_view key, size_t offset,
                              std::string_view value) {
  ds::sds s = ds::SdsNewZeroed(offset + value.size());
  if (!value.empty()) std::memcpy(s + offset, value.data(), value.size());
  return NewRawStringObject(ks, key, s, -1);
}

Object* NewZeroedStringObject(const Keyspace& ks, std::string_view key, size_t len) {
  return NewRawStringObject(ks, key, ds::SdsNewZeroed(len), -1);
}

std::string_view StringView(const Object& o, StringBuffer& buf) {
  MNEMO_ASSERT(o.type() == ObjType::kString);
  switch (o.encoding()) {
    case Encoding::kInt:
      return {buf.digits(), FormatInt64(buf.digits(), o.int_value())};
    case Encoding::kEmbstr:
      return o.embedded();
    case Encoding::kRaw:
      return ds::SdsView(StringRawSds(o));
    case Encoding::kCompressed: {
      const size_t n = ds::BlockOriginalLength(Block(o));
      char* out = buf.Reserve(n);
      // Blocks are only made by ds::CompressBlock from this process's values: a failure here
      // is memory corruption, not bad input.
      const bool ok = ds::DecompressBlock(Block(o), out);
      MNEMO_ASSERT(ok);
      return {out, n};
    }
    default:
      MNEMO_ASSERT(false && "bad string encoding");
  }
  return {};
}

size_t StringLength(const Object& o) {
  switch (o.encoding()) {
    case Encoding::kEmbstr:
      return o.embedded().size();
    case Encoding::kRaw:
      return ds::SdsLen(StringRawSds(o));
    case Encoding::kCompressed:
      return ds::BlockOriginalLength(Block(o));
    default: {
      StringBuffer buf;
      return StringView(o, buf).size();
    }
  }
}

void StringCopyTo(const Object& o, char* out) {
  if (o.encoding() == Encoding::kCompressed) {
    // As in StringView: a block that does not decompress is memory corruption.
    const bool ok = ds::DecompressBlock(Block(o), out);
    MNEMO_ASSERT(ok);
    return;
  }
  StringBuffer buf;
  const std::string_view v = StringView(o, buf);
  if (!v.empty()) std::memcpy(out, v.data(), v.size());
}

StringCompression StringCompressionOf(const Object& o) {
  StringCompression c;
  if (o.type() != ObjType::kString || o.encoding() != Encoding::kCompressed) return c;
  const uint8_t* b = Block(o);
  c.codec = ds::CodecName(ds::BlockCodec(b));
  c.original_bytes = ds::BlockOriginalLength(b);
  c.stored_bytes = ds::BlockMemory(b);
  if (const ds::CompressionDict* d = ds::BlockDict(b)) c.dictionary = d->id();
  return c;
}

std::optional<int64_t> StringToInt64(const Object& o) {
  if (o.encoding() == Encoding::kInt) return o.int_value();
  if (StringLength(o) > kMaxIntLength) return std::nullopt;
  StringBuffer buf;
  return ParseInt64(StringView(o, buf));
}

std::optional<long double> StringToLongDouble(const Object& o) {
  if (o.encoding() == Encoding::kInt) return static_cast<long double>(o.int_value());
  StringBuffer buf;
  return ParseLongDouble(StringView(o, buf));
}

Object* StringMakeRaw(Db& db, Object* o) {
  MNEMO_ASSERT(o->type() == ObjType::kString);
  if (o->encoding() == Encoding::kRaw) return o;
  if (o->encoding() == Encoding::kCompressed) {
    // The block holds a word like a raw sds: swap the word in place, no new object block.
    auto* b = static_cast<uint8_t*>(o->ptr());
    ds::sds s = ds::SdsNewZeroed(ds::BlockOriginalLength(b));
    const bool ok = ds::DecompressBlock(b, s);
    MNEMO_ASSERT(ok);
    ds::FreeBlock(b);
    o->set_ptr(s);
    o->set_encoding(Encoding::kRaw);
    return o;
  }
  StringBuffer buf;
  ds::sds s = ds::SdsNew(StringView(*o, buf));
  Object::ValueInit v{Encoding::kRaw, {}, reinterpret_cast<uint64_t>(s), false};
  Object* moved = Object::CloneWithValue(*o, ObjType::kString, v, o->has_expire(),
                                         o->has_expire() ? o->expire_ms() : 0);
  db.Relocate(o, moved);
  Object::Destroy(o);  // embstr and int values own no allocation
  return moved;
}

MutableString StringGrowZero(Db& db, Object* o, size_t len) {
  o = StringMakeRaw(db, o);
  ds::sds s = ds::SdsGrowZero(StringRawSds(*o), len);
  StringSetRawSds(o, s);
  return MutableString{o, s};
}

Object* StringSetInt(Db& db, Object* o, int64_t value) {
  const Keyspace& ks = db.keyspace();
  if (o->encoding() == Encoding::kInt) {
    o->SetInt(value, ks.options().SharedIntegersAllowed());
    return o;
  }
  Object* moved = Object::CloneWithValue(*o, ObjType::kString, IntValue(ks, value), o->has_expire(),
                                         o->has_expire() ? o->expire_ms() : 0);
  db.Relocate(o, moved);
  FreeObject(o);
  return moved;
}

Object* StringSetPlain(Db& db, Object* o, std::string_view value) {
  MNEMO_ASSERT(o->type() == ObjType::kString);
  Object* moved = Object::CloneWithValue(*o, ObjType::kString, PlainValue(value), o->has_expire(),
                                         o->has_expire() ? o->expire_ms() : 0);
  db.Relocate(o, moved);
  FreeObject(o);
  return moved;
}

Object* StringAppend(Db& db, Object* o, std::string_view tail) {
  o = StringMakeRaw(db, o);
  StringSetRawSds(o, ds::SdsCat(StringRawSds(*o), tail));
  return o;
}

Object* StringSetRange(Db& db, Object* o, size_t offset, std::string_view value) {
  MNEMO_ASSERT(!value.empty());
  o = StringMakeRaw(db, o);
  ds::sds s = ds::SdsGrowZero(StringRawSds(*o), offset + value.size());  // no-op if long enough
  std::memcpy(s + offset, value.data(), value.size());
  StringSetRawSds(o, s);
  return o;
}

void FreeStringValue(const ValueRef& v) {
  if (v.encoding == Encoding::kRaw) ds::SdsFree(reinterpret_cast<ds::sds>(v.word));
  if (v.encoding == Encoding::kCompressed) ds::FreeBlock(reinterpret_cast<uint8_t*>(v.word));
}

size_t StringValueMemory(const ValueRef& v) {
  if (v.encoding == Encoding::kRaw) return ds::SdsAllocSize(reinterpret_cast<ds::sds>(v.word));
  if (v.encoding == Encoding::kCompressed) {
    return ds::BlockMemory(reinterpret_cast<const uint8_t*>(v.word));
  }
  return 0;
}

uint64_t DuplicateStringValue(const ValueRef& v) {
  if (v.encoding == Encoding::kRaw) {
    return reinterpret_cast<uint64_t>(ds::SdsNew(ds::SdsView(reinterpret_cast<ds::sds>(v.word))));
  }
  if (v.encoding == Encoding::kCompressed) {
    return reinterpret_cast<uint64_t>(ds::DuplicateBlock(reinterpret_cast<const uint8_t*>(v.word)));
  }
  return v.word;
}

uint64_t DefragStringValue(const ValueRef& v, bool /*first*/, uint64_t* cursor,
                           size_t /*max_elements*/) {
  *cursor = 0;
  if (v.encoding == Encoding::kCompressed) {
    // A block holds no pointer into itself (only to its dictionary, which does not move), so a
    // byte copy moves it; its size class, and so the compression totals, stay the same.
    void* p = mem::DefragMove(reinterpret_cast<void*>(v.word));
    return p == nullptr ? v.word : reinterpret_cast<uint64_t>(p);
  }
  if (v.encoding != Encoding::kRaw) return v.word;
  ds::sds moved = ds::SdsDefrag(reinterpret_cast<ds::sds>(v.word));
  return moved == nullptr ? v.word : reinterpret_cast<uint64_t>(moved);
}

}  // namespace mnemo::db

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

// Every integer lives in the object's block (object.h); `shared` only records that Redis would
// share it (OBJECT REFCOUNT).
Object::ValueInit IntValue(const Keyspace& ks, int64_t v) {
  const bool shared = ks.options().SharedIntegersAllowed() && SharedByRedis(v);
  return Object::ValueInit{Encoding::kInt, {}, static_cast<uint64_t>(v), shared};
}

// Where a plain (uncompressed, never int) value goes, and what it costs there.
//   Up to kMaxEmbstrLength bytes: inside the object's block, as Redis's embstr.
//   Up to kMaxEmbeddedLength: inside the block iff the block holding the bytes is no bigger
//   than a block holding a value word plus the exact-size sds. With jemalloc's classes and a
//   12-byte key a 100-byte value is one 128-byte block instead of 48 + 112; a value never
//   loses by this rule, and one byte still holds the length.
//   Longer: an sds.
struct PlainPlacement {
  bool embed;
  // Bytes the value costs beside an object block holding a value word: the sds, or what
  // embedding adds to the block (the compression decision compares a block with this).
  size_t cost;
};

PlainPlacement PlacePlain(size_t key_len, bool with_expire, int64_t expire_ms,
                          std::string_view value) {
  if (value.size() <= kMaxEmbstrLength) return {true, 0};
  const size_t sds = ds::SdsAllocSizeFor(value.size());
  if (value.size() > kMaxEmbeddedLength) return {false, sds};
  const Object::ValueInit word{Encoding::kRaw, {}};
  const Object::ValueInit bytes{Encoding::kEmbstr, value};
  const size_t word_block = Object::CostFor(Object::SizeFor(key_len, with_expire, expire_ms, word));
  const size_t embedded_block =
      Object::CostFor(Object::SizeFor(key_len, with_expire, expire_ms, bytes));
  const size_t grown = embedded_block - word_block;  // the value is longer than a word
  if (grown <= sds) return {true, grown};
  return {false, sds};
}

// The value as PlacePlain placed it; a new exact-size sds is then owned by the object the
// caller creates.
Object::ValueInit PlainValue(const PlainPlacement& p, std::string_view value) {
  if (p.embed) return Object::ValueInit{Encoding::kEmbstr, value};
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
  }
  const bool with_expire = expire_ms >= 0;
  const PlainPlacement placed = PlacePlain(key.size(), with_expire, expire_ms, value);
  if (value.size() > kMaxEmbstrLength) {
    if (uint8_t* block = ks.compressor().Compress(db, value, placed.cost)) {
      Object::ValueInit v{Encoding::kCompressed, {}, reinterpret_cast<uint64_t>(block), false};
      return Object::Create(key, ObjType::kString, v, with_expire, expire_ms, ks.InitialLru());
    }
  }
  return Object::Create(key, ObjType::kString, PlainValue(placed, value), with_expire, expire_ms,
                        ks.InitialLru());
}

Object* NewPlainStringObject(const Keyspace& ks, std::string_view key, std::string_view value,
                             int64_t expire_ms) {
  const bool with_expire = expire_ms >= 0;
  return Object::Create(key, ObjType::kString,
                        PlainValue(PlacePlain(key.size(), with_expire, expire_ms, value), value),
                        with_expire, expire_ms, ks.InitialLru());
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
  // In place when the block has room for the integer's width (a narrower one always fits);
  // else the value moves to a block of the width it needs.
  if (o->encoding() == Encoding::kInt &&
      o->TrySetInt(value, ks.options().SharedIntegersAllowed())) {
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
  const int64_t expire_ms = Db::ExpireOf(o);
  const PlainPlacement placed = PlacePlain(o->key().size(), o->has_expire(), expire_ms, value);
  Object* moved = Object::CloneWithValue(*o, ObjType::kString, PlainValue(placed, value),
                                         o->has_expire(), expire_ms);
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

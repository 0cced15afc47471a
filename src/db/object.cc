// object.cc: object allocation and layout (layer: db). The layout is drawn in object.h.
#include "mnemo/db/object.h"

#include <algorithm>
#include <new>

#include "mnemo/base/clock.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/slab.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

// About 50 days before the process started (2^32 ms), so that keys loaded with an expiry a
// little in the past (a snapshot, a replica's sync) are compact too.
const int64_t Object::expire_base_ = UnixTimeMs() - (int64_t{1} << 32);

const char* TypeName(ObjType type) {
  switch (type) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZset:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kStream:
      return "stream";
  }
  return "unknown";
}

const char* EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kRaw:
    case Encoding::kCompressed:
      return "raw";
    case Encoding::kInt:
      return "int";
    case Encoding::kHashtable:
      return "hashtable";
    case Encoding::kIntset:
      return "intset";
    case Encoding::kSkiplist:
      return "skiplist";
    case Encoding::kEmbstr:
      return "embstr";
    case Encoding::kQuicklist:
      return "quicklist";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kStream:
      return "stream";
  }
  return "unknown";
}

const char* EncodingName(const Object& o) {
  if (o.encoding() == Encoding::kEmbstr && o.embedded().size() > kMaxEmbstrLength) return "raw";
  return EncodingName(o.encoding());
}

static_assert(kMaxEmbeddedLength <= 255, "embedded_len_ is one byte");

size_t Object::SizeFor(size_t key_len, bool with_expire, int64_t expire_ms,
                       const ValueInit& value) {
  size_t size = kHeadSize + ExpireSize(with_expire, expire_ms);
  if (key_len >= kLongKeyMarker) size += sizeof(uint64_t);
  size += key_len;
  switch (value.encoding) {
    case Encoding::kEmbstr:
      size += value.embedded.size();
      break;
    case Encoding::kInt:
      size += IntWidth(static_cast<int64_t>(value.word));
      break;
    case Encoding::kListpack:
      // The word, or an inline listpack of at least the word's 8 bytes, so that
      // WritableListpack can put the word in its place.
      size += std::max(InlineListpackBytes(value), sizeof(uint64_t));
      break;
    default:
      size += sizeof(uint64_t);
  }
  return size;
}

Object* Object::Construct(void* block, std::string_view key, ObjType type, const ValueInit& value,
                          bool with_expire, int64_t expire_ms, uint32_t lru) {
  Object* o = static_cast<Object*>(block);
  std::memset(o->next_, 0, sizeof(o->next_));
  o->set_header((static_cast<uint32_t>(type) & 0xF) |
                ((static_cast<uint32_t>(value.encoding) & 0xF) << 4) | ((lru & kLruMax) << 8));
  o->flags_ = 0;
  o->embedded_len_ = 0;
  if (with_expire) {
    if (CompactExpire(expire_ms)) {
      o->flags_ = kHasExpire;
      o->StoreCompactExpire(expire_ms);
    } else {
      o->flags_ = kHasExpire | kWideExpire;
      std::memcpy(o->ExpireSlot(), &expire_ms, sizeof(expire_ms));
    }
  }
  char* p = o->VarStart();
  if (key.size() >= kLongKeyMarker) {
    o->key_len_ = kLongKeyMarker;
    const uint64_t len = key.size();
    std::memcpy(p, &len, sizeof(len));
    p += sizeof(len);
  } else {
    o->key_len_ = static_cast<uint8_t>(key.size());
  }
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  if (value.encoding == Encoding::kEmbstr) {
    MNEMO_ASSERT(value.embedded.size() <= kMaxEmbeddedLength);
    o->embedded_len_ = static_cast<uint8_t>(value.embedded.size());
    if (!value.embedded.empty()) std::memcpy(p, value.embedded.data(), value.embedded.size());
  } else if (value.encoding == Encoding::kInt) {
    const size_t width = IntWidth(static_cast<int64_t>(value.word));
    o->embedded_len_ = static_cast<uint8_t>(width);
    std::memcpy(p, &value.word, width);  // the low bytes (little-endian)
    if (value.shared) o->flags_ |= kSharedValue;
  } else if (const size_t n = InlineListpackBytes(value); n != 0) {
    o->embedded_len_ = kInlineListpack;
    if (value.to_pack != nullptr) {
      ds::LpPack(value.to_pack, reinterpret_cast<uint8_t*>(p));
      MNEMO_ASSERT(ds::LpPackedBytes(reinterpret_cast<uint8_t*>(p)) == n);
    } else {
      std::memcpy(p, value.embedded.data(), n);
    }
    if (n < sizeof(uint64_t)) std::memset(p + n, 0, sizeof(uint64_t) - n);
  } else {
    std::memcpy(p, &value.word, sizeof(value.word));
  }
  return o;
}

Object* Object::Create(std::string_view key, ObjType type, const ValueInit& value, bool with_expire,
                       int64_t expire_ms, uint32_t lru) {
  // Never null: out of slots or memory, the arena aborts as mem::Alloc does (a half-applied
  // write is worse than a crash).
  const mem::SlabArena::Slot slot =
      mem::KeyspaceSlabs().Alloc(SizeFor(key.size(), with_expire, expire_ms, value));
  return Construct(slot.ptr, key, type, value, with_expire, expire_ms, lru);
}

std::optional<Object::ValueInit> Object::InlineListpack(size_t key_len, bool with_expire,
                                                        int64_t expire_ms, const uint8_t* lp) {
  const size_t packed = ds::LpPackedSize(lp);
  if (packed == 0 || packed > mem::SlabArena::kMaxSmall) return std::nullopt;
  ValueInit v{Encoding::kListpack};
  v.to_pack = lp;
  v.packed_size = packed;
  if (SizeFor(key_len, with_expire, expire_ms, v) > mem::SlabArena::kMaxSmall) return std::nullopt;
  return v;
}

Object* Object::CreateWithListpack(std::string_view key, ObjType type, uint8_t* lp,
                                   bool with_expire, int64_t expire_ms, uint32_t lru) {
  if (const auto v = InlineListpack(key.size(), with_expire, expire_ms, lp)) {
    Object* o = Create(key, type, *v, with_expire, expire_ms, lru);
    ds::LpFree(lp);
    return o;
  }
  const ValueInit v{Encoding::kListpack, {}, reinterpret_cast<uint64_t>(lp)};
  return Create(key, type, v, with_expire, expire_ms, lru);
}

Object* Object::CloneWithValue(const Object& o, ObjType type, const ValueInit& value,
                               bool with_expire, int64_t expire_ms) {
  return Create(o.key(), type, value, with_expire, expire_ms, o.lru());
}

void Object::Destroy(Object* o) { mem::KeyspaceSlabs().FreeAt(o); }

Object* Object::DefragMove(Object* o) {
  return static_cast<Object*>(mem::KeyspaceSlabs().DefragMove(o->handle()).ptr);
}

size_t Object::CostFor(size_t bytes) { return mem::SlabArena::CostFor(bytes); }

size_t Object::BlockSize() const { return mem::KeyspaceSlabs().SlotSize(handle()); }

size_t Object::BlockCost() const { return mem::KeyspaceSlabs().SlotCost(handle()); }

size_t Object::ListpackLength() const {
  MNEMO_ASSERT(encoding() == Encoding::kListpack);
  if (has_inline_listpack()) return ds::LpPackedLength(packed_listpack());
  return ds::LpLength(listpack_block());
}

bool Object::ListpackSafeToAdd(size_t add) const {
  MNEMO_ASSERT(encoding() == Encoding::kListpack);
  if (!has_inline_listpack()) return ds::LpSafeToAdd(listpack_block(), add);
  // O(1): an inline listpack is small, so its bound is as good as its size here.
  return ds::LpSafeToAdd(nullptr, add + ds::LpUnpackedBound(ds::LpPackedBytes(packed_listpack())));
}

uint8_t* Object::WritableListpack(uint8_t** pos) {
  MNEMO_ASSERT(encoding() == Encoding::kListpack);
  if (!has_inline_listpack()) return listpack_block();
  const uint8_t* packed = packed_listpack();
  auto* own = static_cast<uint8_t*>(mem::Alloc(ds::LpUnpackedSize(packed)));
  ds::LpUnpack(packed, own, pos != nullptr && *pos != nullptr ? pos : nullptr);
  set_ptr(own);
  return own;
}

uint8_t* Object::WritableListpack(const ListpackView& view, uint8_t** pos) {
  MNEMO_ASSERT(encoding() == Encoding::kListpack);
  if (!has_inline_listpack()) {
    MNEMO_ASSERT(view.get() == listpack_block());
    return listpack_block();
  }
  MNEMO_ASSERT(view.unpacked());
  uint8_t* own = ds::LpDup(view.get());
  if (pos != nullptr && *pos != nullptr) *pos = own + (*pos - view.get());
  set_ptr(own);
  return own;
}

ListpackView::ListpackView(const Object& o) {
  MNEMO_ASSERT(o.encoding() == Encoding::kListpack);
  if (!o.has_inline_listpack()) {
    lp_ = o.listpack_block();
    return;
  }
  const uint8_t* packed = o.packed_listpack();
  MNEMO_ASSERT(ds::LpUnpackedBound(ds::LpPackedBytes(packed)) <= sizeof(buf_));
  lp_ = ds::LpUnpack(packed, buf_);
}

size_t Object::EmbeddedCapacity() const {
  const size_t used = static_cast<size_t>(ValueStart() - reinterpret_cast<const char*>(this));
  size_t cap = BlockSize() - used;
  return cap > kMaxEmbeddedLength ? kMaxEmbeddedLength : cap;
}

size_t Object::IntCapacity() const {
  const size_t used = static_cast<size_t>(ValueStart() - reinterpret_cast<const char*>(this));
  const size_t cap = BlockSize() - used;
  return cap > sizeof(int64_t) ? sizeof(int64_t) : cap;
}

void Object::SetEmbedded(std::string_view value) {
  MNEMO_ASSERT(encoding() == Encoding::kEmbstr && value.size() <= EmbeddedCapacity());
  if (!value.empty()) std::memmove(ValueStart(), value.data(), value.size());
  embedded_len_ = static_cast<uint8_t>(value.size());
}

bool Object::TrySetInt(int64_t v, bool allow_shared) {
  MNEMO_ASSERT(encoding() == Encoding::kInt);
  const size_t width = IntWidth(v);
  // A width the block already holds fits without asking jemalloc for the block's size.
  if (width > embedded_len_ && width > IntCapacity()) return false;
  std::memcpy(ValueStart(), &v, width);  // the low bytes (little-endian)
  embedded_len_ = static_cast<uint8_t>(width);
  if (allow_shared && SharedByRedis(v)) {
    flags_ |= kSharedValue;
  } else {
    flags_ &= static_cast<uint8_t>(~kSharedValue);
  }
  return true;
}

}  // namespace mnemo::db

// rdb_reader.cc: RDB decoding with full validation (layer: persist). See rdb_reader.h.
#include "mnemo/persist/rdb_reader.h"

#include <lzf.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>

#include <fmt/format.h>

#include "legacy_encodings_internal.h"
#include "mnemo/base/numbers.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/stream_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/ds/intset.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/crc64.h"
#include "mnemo/persist/rdb_format.h"

namespace mnemo::persist {

namespace {

static_assert(std::endian::native == std::endian::little,
              "RDB integers are little-endian and are copied as they are");

// The file window: big enough for few read(2) calls, small enough not to matter in used_memory.
constexpr size_t kWindowBytes = 256 * 1024;
// LZF's best ratio: a 3-byte back reference copies at most 264 bytes. A claimed original length
// beyond 88 bytes per compressed byte cannot be true, so nothing that big is allocated.
constexpr uint64_t kLzfMaxRatio = 88;

// Frees a mem:: block on scope exit unless released.
struct BlobGuard {
  uint8_t* p;
  ~BlobGuard() { mem::Free(p); }
  uint8_t* release() {
    uint8_t* q = p;
    p = nullptr;
    return q;
  }
};

// Frees an object and its value on scope exit unless released.
struct ObjectGuard {
  db::Object* o;
  ~ObjectGuard() {
    if (o != nullptr) db::FreeObject(o);
  }
  db::Object* release() {
    db::Object* q = o;
    o = nullptr;
    return q;
  }
};

}  // namespace

// ---- RdbInput ----------------------------------------------------------------------------------

RdbInput::RdbInput(std::string_view bytes)
    : size_(bytes.size()),
      buf_(reinterpret_cast<const uint8_t*>(bytes.data())),
      pos_(buf_),
      end_(buf_ + bytes.size()),
      summed_(buf_) {}

RdbInput::RdbInput(int fd, uint64_t size)
    : fd_(fd), size_(size), owned_(new uint8_t[kWindowBytes]) {
  buf_ = pos_ = end_ = summed_ = owned_.get();
}

RdbInput::~RdbInput() = default;

void RdbInput::SumConsumed() {
  crc_ = Crc64(crc_, summed_, static_cast<size_t>(pos_ - summed_));
  summed_ = pos_;
}

uint64_t RdbInput::crc() {
  SumConsumed();
  return crc_;
}

bool RdbInput::ReadSlow(void* dst, size_t n) {
  if (fd_ < 0 || n > remaining()) return false;
  auto* out = static_cast<uint8_t*>(dst);
  const size_t have = static_cast<size_t>(end_ - pos_);
  if (have > 0) std::memcpy(out, pos_, have);
  out += have;
  n -= have;
  pos_ = end_;
  SumConsumed();
  base_ += static_cast<uint64_t>(end_ - buf_);
  pos_ = end_ = summed_ = buf_;
  // Reads exactly `want` bytes into p; false on an error or an early end of file.
  auto read_fully = [this](uint8_t* p, size_t want) {
    while (want > 0) {
      const ssize_t got = ::read(fd_, p, want);
      if (got < 0) {
        if (errno == EINTR) continue;
        io_error_ = std::strerror(errno);
        return false;
      }
      if (got == 0) return false;
      p += got;
      want -= static_cast<size_t>(got);
    }
    return true;
  };
  if (n >= kWindowBytes) {
    // A big piece goes straight to its destination.
    if (!read_fully(out, n)) return false;
    crc_ = Crc64(crc_, out, n);
    base_ += n;
    return true;
  }
  const size_t fill = static_cast<size_t>(std::min<uint64_t>(kWindowBytes, remaining()));
  if (!read_fully(owned_.get(), fill)) return false;
  end_ = buf_ + fill;
  std::memcpy(out, pos_, n);
  pos_ += n;
  return true;
}

// ---- primitives --------------------------------------------------------------------------------

RdbReader::RdbReader(RdbInput& in, const db::Keyspace& ks) : in_(in), ks_(ks) {}

ReadStatus RdbReader::Refuse(std::string_view what) {
  Fail(what);
  return ReadStatus::kError;
}

bool RdbReader::Fail(std::string_view what) {
  if (status_.ok()) {
    status_ = Status::Error(fmt::format("{} at offset {}", what, in_.offset()));
  }
  return false;
}

bool RdbReader::ReadByte(uint8_t* b) {
  if (in_.Read(b, 1)) return true;
  return Fail(in_.io_error().empty() ? "unexpected end of input" : in_.io_error());
}

bool RdbReader::ReadInt64(int64_t* v) {
  if (in_.Read(v, sizeof(*v))) return true;
  return Fail("unexpected end of input");
}

bool RdbReader::ReadInt32(int32_t* v) {
  if (in_.Read(v, sizeof(*v))) return true;
  return Fail("unexpected end of input");
}

bool RdbReader::ReadLenOrEncoding(uint64_t* len, bool* encoded) {
  uint8_t b;
  if (!ReadByte(&b)) return false;
  *encoded = false;
  switch (b >> 6) {
    case rdb::kLen6Bit:
      *len = b & 0x3F;
      return true;
    case rdb::kLen14Bit: {
      uint8_t low;
      if (!ReadByte(&low)) return false;
      *len = (uint64_t{b & 0x3Fu} << 8) | low;
      return true;
    }
    case rdb::kLenEncoded:
      *encoded = true;
      *len = b & 0x3F;
      return true;
    default:
      break;
  }
  if (b == rdb::kLen32Bit) {
    uint32_t be;
    if (!in_.Read(&be, 4)) return Fail("unexpected end of input");
    *len = __builtin_bswap32(be);
    return true;
  }
  if (b == rdb::kLen64Bit) {
    uint64_t be;
    if (!in_.Read(&be, 8)) return Fail("unexpected end of input");
    *len = __builtin_bswap64(be);
    return true;
  }
  return Fail(fmt::format("unknown length encoding 0x{:02x}", b));
}

bool RdbReader::ReadLen(uint64_t* len) {
  bool encoded;
  if (!ReadLenOrEncoding(len, &encoded)) return false;
  if (encoded) return Fail("string encoding where a length was expected");
  return true;
}

bool RdbReader::ReadCount(uint64_t* n, size_t min_bytes) {
  if (!ReadLen(n)) return false;
  if (*n > in_.remaining() / min_bytes) return Fail("element count beyond the end of input");
  return true;
}

uint8_t* RdbReader::ReadLzf(size_t* len) {
  uint64_t clen;
  uint64_t raw;
  if (!ReadLen(&clen) || !ReadLen(&raw)) return nullptr;
  if (clen == 0 || raw == 0 || clen > in_.remaining() || clen > UINT_MAX || raw > UINT_MAX ||
      raw > clen * kLzfMaxRatio) {
    Fail("bad LZF lengths");
    return nullptr;
  }
  BlobGuard compressed{static_cast<uint8_t*>(mem::TryAlloc(clen))};
  BlobGuard out{static_cast<uint8_t*>(mem::TryAlloc(raw))};
  if (compressed.p == nullptr || out.p == nullptr) {
    Fail("out of memory");
    return nullptr;
  }
  if (!in_.Read(compressed.p, clen)) {
    Fail("unexpected end of input");
    return nullptr;
  }
  const unsigned got =
      lzf_decompress(compressed.p, static_cast<unsigned>(clen), out.p, static_cast<unsigned>(raw));
  if (got != raw) {
    Fail("corrupt LZF data");
    return nullptr;
  }
  *len = raw;
  return out.release();
}

uint8_t* RdbReader::ReadBlob(size_t* len) {
  uint64_t n;
  bool encoded;
  if (!ReadLenOrEncoding(&n, &encoded)) return nullptr;
  if (encoded) {
    if (n == rdb::kEncLzf) return ReadLzf(len);
    // An integer-encoded string: its digits (no blob format starts like that; validation of
    // the caller refuses them).
    int64_t v;
    if (!ReadEncodedInt(n, &v)) return nullptr;
    char digits[kMaxInt64Chars];
    *len = FormatInt64(digits, v);
    auto* blob = static_cast<uint8_t*>(mem::Alloc(*len));
    std::memcpy(blob, digits, *len);
    return blob;
  }
  if (n > in_.remaining()) {
    Fail("string length beyond the end of input");
    return nullptr;
  }
  BlobGuard blob{static_cast<uint8_t*>(mem::TryAlloc(std::max<uint64_t>(n, 1)))};
  if (blob.p == nullptr) {
    Fail("out of memory");
    return nullptr;
  }
  if (!in_.Read(blob.p, n)) {
    Fail("unexpected end of input");
    return nullptr;
  }
  *len = n;
  return blob.release();
}

bool RdbReader::ReadEncodedInt(uint64_t enc, int64_t* v) {
  switch (enc) {
    case rdb::kEncInt8: {
      int8_t x;
      if (!in_.Read(&x, 1)) return Fail("unexpected end of input");
      *v = x;
      return true;
    }
    case rdb::kEncInt16: {
      int16_t x;
      if (!in_.Read(&x, 2)) return Fail("unexpected end of input");
      *v = x;
      return true;
    }
    case rdb::kEncInt32: {
      int32_t x;
      if (!in_.Read(&x, 4)) return Fail("unexpected end of input");
      *v = x;
      return true;
    }
    default:
      return Fail(fmt::format("unknown string encoding {}", enc));
  }
}

bool RdbReader::ReadString(std::string* out) {
  uint64_t n;
  bool encoded;
  if (!ReadLenOrEncoding(&n, &encoded)) return false;
  if (!encoded) {
    if (n > in_.remaining()) return Fail("string length beyond the end of input");
    out->resize(n);
    if (!in_.Read(out->data(), n)) return Fail("unexpected end of input");
    return true;
  }
  if (n == rdb::kEncLzf) {
    size_t len;
    BlobGuard blob{ReadLzf(&len)};
    if (blob.p == nullptr) return false;
    out->assign(reinterpret_cast<const char*>(blob.p), len);
    return true;
  }
  int64_t v;
  if (!ReadEncodedInt(n, &v)) return false;
  char digits[kMaxInt64Chars];
  out->assign(digits, FormatInt64(digits, v));
  return true;
}

bool RdbReader::ReadBinaryDouble(double* d) {
  if (!in_.Read(d, sizeof(*d))) return Fail("unexpected end of input");
  return true;
}

bool RdbReader::ReadStringDouble(double* d) {
  uint8_t len;
  if (!ReadByte(&len)) return false;
  switch (len) {
    case rdb::kDoubleNan:
      *d = std::nan("");
      return true;
    case rdb::kDoublePosInf:
      *d = HUGE_VAL;
      return true;
    case rdb::kDoubleNegInf:
      *d = -HUGE_VAL;
      return true;
    default:
      break;
  }
  char buf[256];
  if (!in_.Read(buf, len)) return Fail("unexpected end of input");
  const std::optional<double> v = ParseDouble({buf, len});
  if (!v) return Fail("bad double value");
  *d = *v;
  return true;
}

uint8_t* RdbReader::ReadListpack(std::string_view what) {
  size_t len;
  BlobGuard lp{ReadBlob(&len)};
  if (lp.p == nullptr) return nullptr;
  if (!ds::LpValidate(lp.p, len, true)) {
    Fail(fmt::format("{} listpack integrity check failed", what));
    return nullptr;
  }
  return lp.release();
}

// ---- objects -----------------------------------------------------------------------------------

ReadStatus RdbReader::ReadObject(uint8_t type, std::string_view key, int64_t expire_ms,
                                 db::Object** out) {
  *out = nullptr;
  ReadStatus st;
  switch (type) {
    case rdb::kTypeString:
      if (!ReadString(&scratch_)) return ReadStatus::kError;
      *out = db::NewStringObject(ks_, db_index_, key, scratch_, expire_ms);
      return ReadStatus::kOk;
    case rdb::kTypeList:
    case rdb::kTypeListZiplist:
    case rdb::kTypeListQuicklist:
    case rdb::kTypeListQuicklist2:
      st = ReadList(type, key, out);
      break;
    case rdb::kTypeSet:
    case rdb::kTypeSetIntset:
      st = ReadSet(type, key, out);
      break;
    case rdb::kTypeZset:
    case rdb::kTypeZset2:
    case rdb::kTypeZsetZiplist:
    case rdb::kTypeZsetListpack:
      st = ReadZset(type, key, out);
      break;
    case rdb::kTypeHash:
    case rdb::kTypeHashZipmap:
    case rdb::kTypeHashZiplist:
    case rdb::kTypeHashListpack:
      st = ReadHash(type, key, out);
      break;
    case rdb::kTypeModulePreGa:
    case rdb::kTypeModule2:
      Fail(fmt::format("module value (RDB type {}) not supported", type));
      return ReadStatus::kError;
    case rdb::kTypeStreamListpacks:
    case rdb::kTypeStreamListpacks2:
      st = ReadStream(type, key, out);
      break;
    default:
      Fail(fmt::format("unknown RDB type {}", type));
      return ReadStatus::kError;
  }
  if (st == ReadStatus::kOk && expire_ms >= 0) {
    db::Object* o = *out;
    *out = db::Object::CloneWithValue(*o, o->type(), o->value_init(), true, expire_ms);
    db::Object::Destroy(o);
  }
  return st;
}

ReadStatus RdbReader::ReadList(uint8_t type, std::string_view key, db::Object** out) {
  const db::Options& opts = ks_.options();
  ObjectGuard o{db::NewListObject(ks_, key)};
  if (type == rdb::kTypeList) {
    uint64_t n;
    if (!ReadCount(&n, 1)) return ReadStatus::kError;
    for (uint64_t i = 0; i < n; ++i) {
      if (!ReadString(&scratch_)) return ReadStatus::kError;
      db::ListPush(o.o, opts, scratch_, db::ListEnd::kTail);
    }
  } else if (type == rdb::kTypeListZiplist) {
    size_t len;
    BlobGuard zl{ReadBlob(&len)};
    if (zl.p == nullptr) return ReadStatus::kError;
    uint8_t* lp = ZiplistToListpack(zl.p, len);
    if (lp == nullptr) return Refuse("list ziplist integrity check failed");
    db::ListAppendListpack(o.o, opts, lp);
  } else {
    uint64_t nodes;
    if (!ReadCount(&nodes, 2)) return ReadStatus::kError;
    for (uint64_t i = 0; i < nodes; ++i) {
      uint64_t container = rdb::kContainerPacked;
      if (type == rdb::kTypeListQuicklist2) {
        if (!ReadLen(&container)) return ReadStatus::kError;
        if (container != rdb::kContainerPlain && container != rdb::kContainerPacked) {
          Fail("bad quicklist node container");
          return ReadStatus::kError;
        }
      }
      if (container == rdb::kContainerPlain) {
        if (!ReadString(&scratch_)) return ReadStatus::kError;
        if (scratch_.empty()) return Refuse("empty plain quicklist node");
        db::ListPush(o.o, opts, scratch_, db::ListEnd::kTail);
        continue;
      }
      uint8_t* lp;
      if (type == rdb::kTypeListQuicklist2) {
        lp = ReadListpack("quicklist node");
        if (lp == nullptr) return ReadStatus::kError;
      } else {
        size_t len;
        BlobGuard zl{ReadBlob(&len)};
        if (zl.p == nullptr) return ReadStatus::kError;
        lp = ZiplistToListpack(zl.p, len);
        if (lp == nullptr) return Refuse("quicklist ziplist integrity check failed");
      }
      db::ListAppendListpack(o.o, opts, lp);  // an empty node adds nothing, as Redis skips it
    }
  }
  if (db::ListLength(*o.o) == 0) return ReadStatus::kEmpty;
  db::ListLoaded(o.o, opts);
  *out = o.release();
  return ReadStatus::kOk;
}

ReadStatus RdbReader::ReadSet(uint8_t type, std::string_view key, db::Object** out) {
  if (type == rdb::kTypeSetIntset) {
    size_t len;
    BlobGuard blob{ReadBlob(&len)};
    if (blob.p == nullptr) return ReadStatus::kError;
    if (!ds::IntsetValidate(blob.p, len, true)) {
      Fail("intset integrity check failed");
      return ReadStatus::kError;
    }
    *out = db::NewSetObjectFromIntset(ks_, key, ds::IntsetAdopt(blob.release()));
    return ReadStatus::kOk;
  }
  uint64_t n;
  if (!ReadCount(&n, 1)) return ReadStatus::kError;
  if (n == 0) return ReadStatus::kEmpty;
  if (!ReadString(&scratch_)) return ReadStatus::kError;
  ObjectGuard o{db::NewSetObject(ks_, key, scratch_, n)};
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && !ReadString(&scratch_)) return ReadStatus::kError;
    if (!db::SetAdd(ks_, o.o, scratch_)) {
      Fail("duplicate set members detected");
      return ReadStatus::kError;
    }
  }
  *out = o.release();
  return ReadStatus::kOk;
}

ReadStatus RdbReader::ReadZset(uint8_t type, std::string_view key, db::Object** out) {
  if (type == rdb::kTypeZsetListpack || type == rdb::kTypeZsetZiplist) {
    uint8_t* lp;
    if (type == rdb::kTypeZsetListpack) {
      lp = ReadListpack("zset");
      if (lp == nullptr) return ReadStatus::kError;
    } else {
      size_t len;
      BlobGuard zl{ReadBlob(&len)};
      if (zl.p == nullptr) return ReadStatus::kError;
      lp = ZiplistToListpack(zl.p, len);
      if (lp == nullptr) return Refuse("zset ziplist integrity check failed");
    }
    if (ds::LpLength(lp) == 0) {
      ds::LpFree(lp);
      return ReadStatus::kEmpty;
    }
    *out = db::NewZsetObjectFromListpack(ks_, key, lp);
    if (*out == nullptr) return Refuse("bad zset listpack");
    return ReadStatus::kOk;
  }
  uint64_t n;
  // Each member takes at least one byte and each score one (old style) or eight (binary).
  if (!ReadCount(&n, type == rdb::kTypeZset2 ? 9 : 2)) return ReadStatus::kError;
  if (n == 0) return ReadStatus::kEmpty;
  ObjectGuard o{db::NewZsetObject(ks_, key, n, 0)};
  for (uint64_t i = 0; i < n; ++i) {
    double score;
    if (!ReadString(&scratch_)) return ReadStatus::kError;
    if (!(type == rdb::kTypeZset2 ? ReadBinaryDouble(&score) : ReadStringDouble(&score))) {
      return ReadStatus::kError;
    }
    if (std::isnan(score)) return Refuse("zset with NaN score detected");
    const db::ZaddResult r = db::ZsetAdd(ks_, o.o, scratch_, score, db::kZaddNx);
    if (r.outcome != db::ZaddResult::Outcome::kAdded) {
      Fail("duplicate zset members detected");
      return ReadStatus::kError;
    }
  }
  *out = o.release();
  return ReadStatus::kOk;
}

ReadStatus RdbReader::ReadHash(uint8_t type, std::string_view key, db::Object** out) {
  if (type != rdb::kTypeHash) {
    uint8_t* lp;
    if (type == rdb::kTypeHashListpack) {
      lp = ReadListpack("hash");
      if (lp == nullptr) return ReadStatus::kError;
    } else {
      size_t len;
      BlobGuard blob{ReadBlob(&len)};
      if (blob.p == nullptr) return ReadStatus::kError;
      lp = type == rdb::kTypeHashZipmap ? ZipmapToListpack(blob.p, len)
                                        : ZiplistToListpack(blob.p, len);
      if (lp == nullptr) {
        Fail(type == rdb::kTypeHashZipmap ? "zipmap integrity check failed"
                                          : "hash ziplist integrity check failed");
        return ReadStatus::kError;
      }
    }
    if (ds::LpLength(lp) == 0) {
      ds::LpFree(lp);
      return ReadStatus::kEmpty;
    }
    *out = db::NewHashObjectFromListpack(ks_, key, lp);
    if (*out == nullptr) return Refuse("bad hash listpack");
    return ReadStatus::kOk;
  }
  uint64_t n;
  if (!ReadCount(&n, 2)) return ReadStatus::kError;
  if (n == 0) return ReadStatus::kEmpty;
  ObjectGuard o{db::NewHashObject(ks_, key)};
  db::HashPresize(ks_, o.o, n);
  for (uint64_t i = 0; i < n; ++i) {
    if (!ReadString(&scratch_) || !ReadString(&scratch2_)) return ReadStatus::kError;
    if (!db::HashSet(ks_, o.o, scratch_, scratch2_)) {
      Fail("duplicate hash fields detected");
      return ReadStatus::kError;
    }
  }
  *out = o.release();
  return ReadStatus::kOk;
}

// RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0), in the order RdbWriter::WriteStream writes it, and
// RDB_TYPE_STREAM_LISTPACKS (Redis 5/6), which lacks the first ID, the deleted-entry ID, the
// added-entries counter and the groups' read counters (estimated as Redis 7.0 does). Every node
// is validated deeply by the builder; groups, consumers and PEL entries must be unique, and
// every pending entry must have exactly one consumer.
ReadStatus RdbReader::ReadStream(int type, std::string_view key, db::Object** out) {
  const bool v2 = type == rdb::kTypeStreamListpacks2;
  db::StreamBuilder b(key);
  auto read_id = [&](db::StreamId* id) { return ReadLen(&id->ms) && ReadLen(&id->seq); };
  auto read_raw_id = [&](db::StreamId* id) {
    uint8_t raw[16];
    if (!in_.Read(raw, sizeof(raw))) return Fail("unexpected end of input");
    *id = ds::DecodeStreamIdBigEndian(raw);
    return true;
  };
  uint64_t nodes;
  if (!ReadCount(&nodes, 2)) return ReadStatus::kError;
  for (uint64_t i = 0; i < nodes; ++i) {
    if (!ReadString(&scratch_)) return ReadStatus::kError;
    if (scratch_.size() != 16) return Refuse("stream node key is not a 128-bit ID");
    const db::StreamId master =
        ds::DecodeStreamIdBigEndian(reinterpret_cast<const uint8_t*>(scratch_.data()));
    BlobGuard lp{ReadListpack("stream")};
    if (lp.p == nullptr) return ReadStatus::kError;
    if (!b.AppendNode(master, lp.p)) return Refuse("bad stream node");
    lp.release();
  }
  uint64_t length;
  db::StreamId last_id;
  if (!ReadLen(&length) || !read_id(&last_id)) return ReadStatus::kError;
  if (v2) {
    uint64_t entries_added;
    db::StreamId first_id;
    db::StreamId max_deleted_id;
    if (!read_id(&first_id) || !read_id(&max_deleted_id) || !ReadLen(&entries_added)) {
      return ReadStatus::kError;
    }
    if (!b.SetMeta(length, last_id, first_id, max_deleted_id, entries_added)) {
      return Refuse("stream length disagrees with its nodes");
    }
  } else if (!b.SetLegacyMeta(length, last_id)) {
    return Refuse("stream length disagrees with its nodes");
  }
  uint64_t groups;
  if (!ReadCount(&groups, 4)) return ReadStatus::kError;
  for (uint64_t i = 0; i < groups; ++i) {
    db::StreamId group_last;
    if (!ReadString(&scratch_) || !read_id(&group_last)) return ReadStatus::kError;
    int64_t entries_read;
    if (v2) {
      uint64_t n;
      if (!ReadLen(&n)) return ReadStatus::kError;
      entries_read = static_cast<int64_t>(n);
    } else {
      entries_read = b.EstimateEntriesRead(group_last);
    }
    db::StreamGroup* g = b.AddGroup(scratch_, group_last, entries_read);
    if (g == nullptr) return Refuse("duplicated consumer group name");
    uint64_t pending;
    if (!ReadCount(&pending, 25)) return ReadStatus::kError;
    for (uint64_t j = 0; j < pending; ++j) {
      db::StreamId id;
      int64_t delivery_time;
      uint64_t delivery_count;
      if (!read_raw_id(&id) || !ReadInt64(&delivery_time) || !ReadLen(&delivery_count)) {
        return ReadStatus::kError;
      }
      if (!b.AddPending(g, id, delivery_time, delivery_count)) {
        return Refuse("duplicated global PEL entry");
      }
    }
    uint64_t consumers;
    if (!ReadCount(&consumers, 10)) return ReadStatus::kError;
    for (uint64_t j = 0; j < consumers; ++j) {
      int64_t seen_time;
      if (!ReadString(&scratch_) || !ReadInt64(&seen_time)) return ReadStatus::kError;
      // Redis 7.0 keeps no active time: the seen time stands for it.
      db::StreamConsumer* c = b.AddConsumer(g, scratch_, seen_time, seen_time);
      if (c == nullptr) return Refuse("duplicated consumer name");
      uint64_t owned;
      if (!ReadCount(&owned, 16)) return ReadStatus::kError;
      for (uint64_t k = 0; k < owned; ++k) {
        db::StreamId id;
        if (!read_raw_id(&id)) return ReadStatus::kError;
        if (!b.AddConsumerPending(g, c, id))
          return Refuse("consumer PEL entry not in the group PEL");
      }
    }
  }
  *out = b.Finish();
  if (*out == nullptr) return Refuse("stream PEL entry without a consumer");
  return ReadStatus::kOk;
}

}  // namespace mnemo::persist

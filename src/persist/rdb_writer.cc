// rdb_writer.cc: RDB serialization of keys and values (layer: persist). See rdb_writer.h.
#include "mnemo/persist/rdb_writer.h"

#include <lzf.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "mnemo/base/numbers.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/stream_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/ds/compress.h"
#include "mnemo/ds/intset.h"
#include "mnemo/ds/listpack.h"
#include "mnemo/ds/quicklist.h"
#include "mnemo/persist/crc64.h"
#include "mnemo/persist/rdb_format.h"

namespace mnemo::persist {

namespace {

static_assert(std::endian::native == std::endian::little,
              "RDB integers are little-endian and are copied as they are");

// The buffer is handed to the sink once it holds this much: big enough that a file gets few,
// large write(2) calls, small enough not to matter in used_memory.
constexpr size_t kFlushBytes = 256 * 1024;
// Pieces at least this big skip the buffer (after a flush), so that a huge value is not copied
// into a huge buffer.
constexpr size_t kDirectBytes = 64 * 1024;
// Redis: compression must save at least this much to be worth it.
constexpr size_t kMinLzfSaving = 4;

// The integer encoding of v (Redis rdbEncodeInteger): its bytes, or 0 if v needs more than 32
// bits.
size_t EncodeInteger(int64_t v, uint8_t* out) {
  if (v >= INT8_MIN && v <= INT8_MAX) {
    out[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt8;
    out[1] = static_cast<uint8_t>(v);
    return 2;
  }
  if (v >= INT16_MIN && v <= INT16_MAX) {
    const auto x = static_cast<int16_t>(v);
    out[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt16;
    std::memcpy(out + 1, &x, 2);
    return 3;
  }
  if (v >= INT32_MIN && v <= INT32_MAX) {
    const auto x = static_cast<int32_t>(v);
    out[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt32;
    std::memcpy(out + 1, &x, 4);
    return 5;
  }
  return 0;
}

}  // namespace

Status FdSink::Write(const uint8_t* data, size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

RdbWriter::RdbWriter(RdbSink* sink, RdbWriterOptions options) : sink_(sink), options_(options) {}

Status RdbWriter::Flush() {
  if (!status_.ok() || buf_.empty()) {
    buf_.clear();
    return status_;
  }
  crc_ = Crc64(crc_, buf_.data(), buf_.size());
  flushed_ += buf_.size();
  status_ = sink_->Write(reinterpret_cast<const uint8_t*>(buf_.data()), buf_.size());
  buf_.clear();
  return status_;
}

uint64_t RdbWriter::crc() { return Crc64(crc_, buf_.data(), buf_.size()); }

void RdbWriter::MaybeFlush() {
  if (buf_.size() >= kFlushBytes) (void)Flush();  // an error sticks in status_
}

void RdbWriter::WriteRaw(const void* data, size_t len) {
  if (len >= kDirectBytes) {
    (void)Flush();
    if (!status_.ok()) return;
    crc_ = Crc64(crc_, data, len);
    flushed_ += len;
    status_ = sink_->Write(static_cast<const uint8_t*>(data), len);
    return;
  }
  buf_.append(static_cast<const char*>(data), len);
  MaybeFlush();
}

void RdbWriter::WriteLen(uint64_t len) {
  uint8_t b[9];
  if (len < (1u << 6)) {
    b[0] = static_cast<uint8_t>(len);
    WriteRaw(b, 1);
  } else if (len < (1u << 14)) {
    b[0] = static_cast<uint8_t>((rdb::kLen14Bit << 6) | (len >> 8));
    b[1] = static_cast<uint8_t>(len);
    WriteRaw(b, 2);
  } else if (len <= UINT32_MAX) {
    b[0] = rdb::kLen32Bit;
    const uint32_t be = __builtin_bswap32(static_cast<uint32_t>(len));
    std::memcpy(b + 1, &be, 4);
    WriteRaw(b, 5);
  } else {
    b[0] = rdb::kLen64Bit;
    const uint64_t be = __builtin_bswap64(len);
    std::memcpy(b + 1, &be, 8);
    WriteRaw(b, 9);
  }
}

void RdbWriter::WriteIntString(int64_t v) {
  uint8_t enc[5];
  if (const size_t n = EncodeInteger(v, enc)) {
    WriteRaw(enc, n);
    return;
  }
  char digits[kMaxInt64Chars];
  const size_t len = FormatInt64(digits, v);
  WriteLen(len);
  WriteRaw(digits, len);
}

void RdbWriter::WriteLzfBlob(const uint8_t* data, size_t len, size_t raw_len) {
  WriteByte((rdb::kLenEncoded << 6) | rdb::kEncLzf);
  WriteLen(len);
  WriteLen(raw_len);
  WriteRaw(data, len);
}

void RdbWriter::WriteString(std::string_view s) {
  // Integer encoding for short canonical integers (Redis rdbTryIntegerEncoding).
  if (s.size() <= 11) {
    if (const std::optional<int64_t> v = ParseInt64(s)) {
      uint8_t enc[5];
      if (const size_t n = EncodeInteger(*v, enc)) {
        WriteRaw(enc, n);
        return;
      }
    }
  }
  if (options_.compression && s.size() >= rdb::kMinCompressLength && s.size() <= UINT_MAX) {
    const size_t room = s.size() - kMinLzfSaving;
    if (lzf_out_.size() < room) lzf_out_.resize(room);
    const unsigned n = lzf_compress(s.data(), static_cast<unsigned>(s.size()), lzf_out_.data(),
                                    static_cast<unsigned>(room));
    if (n > 0) {
      WriteLzfBlob(lzf_out_.data(), n, s.size());
      // Keep the scratch from pinning the memory of one huge value.
      if (lzf_out_.size() > kFlushBytes) std::vector<uint8_t>().swap(lzf_out_);
      return;
    }
  }
  WriteLen(s.size());
  WriteRaw(s.data(), s.size());
}

void RdbWriter::WriteBinaryDouble(double d) { WriteRaw(&d, sizeof(d)); }

void RdbWriter::WriteHeader() {
  const std::string header = fmt::format("{}{:04d}", rdb::kMagic, rdb::kVersion);
  WriteRaw(header.data(), header.size());
}

void RdbWriter::WriteAux(std::string_view name, std::string_view value) {
  WriteByte(rdb::kOpAux);
  WriteString(name);
  WriteString(value);
}

void RdbWriter::WriteAux(std::string_view name, int64_t value) {
  WriteAux(name, Int64ToString(value));
}

void RdbWriter::WriteFunction(std::string_view code) {
  WriteByte(rdb::kOpFunction2);
  WriteString(code);
}

void RdbWriter::WriteSelectDb(int db) {
  WriteByte(rdb::kOpSelectDb);
  WriteLen(static_cast<uint64_t>(db));
}

void RdbWriter::WriteResizeDb(uint64_t keys, uint64_t expires) {
  WriteByte(rdb::kOpResizeDb);
  WriteLen(keys);
  WriteLen(expires);
}

void RdbWriter::WriteKey(const db::Object& o, const KeyMeta& meta) {
  if (meta.expire_ms >= 0) {
    WriteByte(rdb::kOpExpireTimeMs);
    WriteRaw(&meta.expire_ms, sizeof(meta.expire_ms));
  }
  if (meta.idle_s >= 0) {
    WriteByte(rdb::kOpIdle);
    WriteLen(static_cast<uint64_t>(meta.idle_s));
  }
  if (meta.lfu_freq >= 0) {
    WriteByte(rdb::kOpFreq);
    WriteByte(static_cast<uint8_t>(meta.lfu_freq));
  }
  // The type goes before the key; WriteObject writes it, so the key is spliced in between.
  WriteObjectParts(o, true);
}

void RdbWriter::WriteObject(const db::Object& o) { WriteObjectParts(o, false); }

// The read-only walks of some type APIs take a non-const Object*; nothing is modified here.
void RdbWriter::WriteObjectParts(const db::Object& co, bool with_key) {
  auto* o = const_cast<db::Object*>(&co);
  auto type_and_key = [&](uint8_t type) {
    WriteByte(type);
    if (with_key) WriteString(o->key());
  };
  switch (o->type()) {
    case db::ObjType::kString: {
      type_and_key(rdb::kTypeString);
      const uint8_t* block = db::StringCompressedBlock(*o);
      if (o->encoding() == db::Encoding::kInt) {
        WriteIntString(o->int_value());
      } else if (block != nullptr && options_.compression &&
                 ds::BlockCodec(block) == ds::Codec::kLzf &&
                 ds::BlockCompressedLength(block) + kMinLzfSaving <=
                     ds::BlockOriginalLength(block)) {
        // An LZF value is already the RDB's LZF string encoding: written as it is, not
        // decompressed and compressed again.
        const std::string_view payload = ds::BlockPayload(block);
        WriteLzfBlob(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                     ds::BlockOriginalLength(block));
      } else {
        db::StringBuffer buf;
        WriteString(db::StringView(*o, buf));
      }
      break;
    }
    case db::ObjType::kList: {
      type_and_key(rdb::kTypeListQuicklist2);
      if (const uint8_t* lp = db::ListListpack(*o)) {
        WriteLen(1);
        WriteLen(rdb::kContainerPacked);
        WriteString({reinterpret_cast<const char*>(lp), ds::LpBytes(lp)});
        break;
      }
      const ds::Quicklist* ql = db::ListQuicklist(*o);
      WriteLen(ql->node_count());
      ql->ForEachNode([&](const ds::Quicklist::NodeView& n) {
        WriteLen(n.plain ? rdb::kContainerPlain : rdb::kContainerPacked);
        if (n.compressed) {
          WriteLzfBlob(n.data, n.size, n.raw_size);
        } else {
          WriteString({reinterpret_cast<const char*>(n.data), n.size});
        }
      });
      break;
    }
    case db::ObjType::kSet: {
      if (const ds::Intset* is = db::SetIntset(*o)) {
        type_and_key(rdb::kTypeSetIntset);
        WriteString({reinterpret_cast<const char*>(ds::IntsetBytes(is)), ds::IntsetBlobLen(is)});
        break;
      }
      type_and_key(rdb::kTypeSet);
      WriteLen(db::SetSize(*o));
      db::SetForEach(o, [&](const db::SetMember& m) {
        if (m.is_int) {
          WriteIntString(m.ll);
        } else {
          WriteString(m.str);
        }
        return true;
      });
      break;
    }
    case db::ObjType::kZset: {
      if (o->encoding() == db::Encoding::kListpack) {
        const db::ListpackView view(*o);  // Redis's bytes, also of a packed inline listpack
        type_and_key(rdb::kTypeZsetListpack);
        WriteString({reinterpret_cast<const char*>(view.get()), ds::LpBytes(view.get())});
        break;
      }
      type_and_key(rdb::kTypeZset2);
      const size_t n = db::ZsetLength(*o);
      WriteLen(n);
      db::ZsetRangeByRank(o, 0, n - 1, true, [&](std::string_view member, double score) {
        WriteString(member);
        WriteBinaryDouble(score);
      });
      break;
    }
    case db::ObjType::kStream:
      type_and_key(rdb::kTypeStreamListpacks2);
      WriteStream(db::StreamSnapshot(*o));
      break;
    case db::ObjType::kHash: {
      if (o->encoding() == db::Encoding::kListpack) {
        const db::ListpackView view(*o);  // Redis's bytes, also of a packed inline listpack
        type_and_key(rdb::kTypeHashListpack);
        WriteString({reinterpret_cast<const char*>(view.get()), ds::LpBytes(view.get())});
        break;
      }
      type_and_key(rdb::kTypeHash);
      WriteLen(db::HashLength(*o));
      db::HashForEach(*o, [&](std::string_view field, std::string_view value) {
        WriteString(field);
        WriteString(value);
      });
      break;
    }
  }
}

Status RdbWriter::WriteEof(bool checksum) {
  WriteByte(rdb::kOpEof);
  const uint64_t sum = checksum ? crc() : 0;
  WriteRaw(&sum, sizeof(sum));
  return Flush();
}

// RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0): the nodes (master ID big-endian, listpack), the
// counters, then each group with its PEL and its consumers (stream_type.h lists the order).
void RdbWriter::WriteStream(const db::Stream& s) {
  uint8_t raw_id[16];
  auto write_id = [&](const db::StreamId& id) {
    WriteLen(id.ms);
    WriteLen(id.seq);
  };
  auto write_raw_id = [&](const db::StreamId& id) {
    ds::EncodeStreamIdBigEndian(id, raw_id);
    WriteRaw(raw_id, sizeof(raw_id));
  };
  size_t nodes = 0;
  s.ForEachNode([&](const db::StreamId&, const uint8_t*) { ++nodes; });
  WriteLen(nodes);
  s.ForEachNode([&](const db::StreamId& master, const uint8_t* lp) {
    ds::EncodeStreamIdBigEndian(master, raw_id);
    WriteString({reinterpret_cast<const char*>(raw_id), sizeof(raw_id)});
    WriteString({reinterpret_cast<const char*>(lp), ds::LpBytes(lp)});
  });
  WriteLen(s.length());
  write_id(s.last_id());
  write_id(s.first_id());
  write_id(s.max_deleted_id());
  WriteLen(s.entries_added());
  WriteLen(s.groups().size());
  s.groups().ForEach([&](const std::string_view& name, db::StreamGroup* const& g) {
    WriteString(name);
    write_id(g->last_id);
    // Redis writes entries_read as a length: the invalid -1 goes out as its 64-bit pattern.
    WriteLen(static_cast<uint64_t>(g->entries_read));
    WriteLen(g->pel.size());
    g->pel.ForEach([&](const db::StreamId& id, const db::StreamNack& nack) {
      write_raw_id(id);
      WriteRaw(&nack.delivery_time, sizeof(nack.delivery_time));  // little-endian ms
      WriteLen(nack.delivery_count);
      return true;
    });
    WriteLen(g->consumers.size());
    g->consumers.ForEach([&](const std::string_view& cname, db::StreamConsumer* const& c) {
      WriteString(cname);
      WriteRaw(&c->seen_time, sizeof(c->seen_time));
      WriteLen(c->pel.size());
      c->pel.ForEach([&](const db::StreamId& id, const ds::StreamEmpty&) {
        write_raw_id(id);
        return true;
      });
      return true;
    });
    return true;
  });
}

}  // namespace mnemo::persist

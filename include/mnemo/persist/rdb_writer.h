// rdb_writer.h: serializes values and keys in Redis's RDB format, version 10, into a sink
// (layer: persist).
//
// The writer is a buffer in front of a sink: a file (SAVE), a string (DUMP) or anything else that
// takes bytes (the snapshot that the lead's incremental BGSAVE drives key by key). Nothing here
// walks the keyspace: a caller writes the header, then for each database SELECTDB, RESIZEDB and
// one WriteKey per key, in any number of steps, then the EOF. The CRC-64 of every byte is kept as
// bytes go out.
//
// Encodings written (Redis 7.0 writes the same for the same in-memory encodings):
//   string   int: an integer encoding when it fits 32 bits, else the digits; others: the bytes,
//            an integer encoding when they are a canonical integer of at most 11 characters,
//            LZF when rdbcompression is on, the string is longer than 20 bytes and LZF saves at
//            least 4 bytes
//   list     QUICKLIST_2: a listpack list as one packed node; a quicklist node by node, each a
//            listpack (packed) or one element (plain); a compressed node's LZF bytes as they are
//   set      intset: SET_INTSET with the intset's bytes; listpack and hashtable: SET, member by
//            member (7.2's SET_LISTPACK would not load in 7.0)
//   zset     listpack: ZSET_LISTPACK with the listpack's bytes; skiplist: ZSET_2, from the
//            highest score down (so that a loader inserting at the head does no search), scores
//            as 8-byte little-endian doubles
//   hash     listpack: HASH_LISTPACK with its bytes; hashtable: HASH, field and value by field
// Blobs (listpacks, intsets) are strings, so they get LZF too when it pays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/db/object.h"

namespace mnemo::ds {
class Stream;
}  // namespace mnemo::ds

namespace mnemo::persist {

// Where serialized bytes go.
class RdbSink {
 public:
  virtual ~RdbSink() = default;
  // Takes `len` bytes; an error stops the writer (it is returned by every later Flush).
  [[nodiscard]] virtual Status Write(const uint8_t* data, size_t len) = 0;
};

// Appends to a string (DUMP payloads, tests).
class StringSink final : public RdbSink {
 public:
  Status Write(const uint8_t* data, size_t len) override {
    out.append(reinterpret_cast<const char*>(data), len);
    return Status::Ok();
  }
  std::string out;
};

// Writes to an open file descriptor (retrying partial writes and EINTR). Does not own the fd.
class FdSink final : public RdbSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status Write(const uint8_t* data, size_t len) override;

 private:
  int fd_;
};

struct RdbWriterOptions {
  bool compression = true;  // rdbcompression: LZF for strings longer than 20 bytes
};

// What a key's record carries besides its value.
struct KeyMeta {
  int64_t expire_ms = -1;  // absolute Unix milliseconds, -1 for none
  int64_t idle_s = -1;     // LRU idle seconds (written under an LRU policy), -1 for none
  int lfu_freq = -1;       // LFU counter 0..255 (written under an LFU policy), -1 for none
};

class RdbWriter {
 public:
  RdbWriter(RdbSink* sink, RdbWriterOptions options);
  RdbWriter(const RdbWriter&) = delete;
  RdbWriter& operator=(const RdbWriter&) = delete;

  // "REDIS0010".
  void WriteHeader();
  // An AUX field; an integer value is written as its digits (which the string encoding then
  // stores as an integer, as Redis's rdbSaveAuxFieldStrInt does).
  void WriteAux(std::string_view name, std::string_view value);
  void WriteAux(std::string_view name, int64_t value);
  void WriteSelectDb(int db);
  // A function library (RDB_OPCODE_FUNCTION2 and its code), as Redis 7.0's rdbSaveFunctions.
  void WriteFunction(std::string_view code);
  void WriteResizeDb(uint64_t keys, uint64_t expires);
  // One key's record: its expiry and LRU/LFU data, type, key and value.
  void WriteKey(const db::Object& o, const KeyMeta& meta);
  // The type byte and the value of `o` (a DUMP payload's body).
  void WriteObject(const db::Object& o);
  // The EOF opcode and the CRC-64 of everything before it (or 8 zero bytes without checksum),
  // then Flush. Returns the first error of the whole write.
  [[nodiscard]] Status WriteEof(bool checksum);

  // Hands buffered bytes to the sink. Returns the first error met so far (it sticks: later
  // writes are dropped).
  [[nodiscard]] Status Flush();
  // The CRC-64 of every byte written so far, buffered or not.
  uint64_t crc();
  // The first error met so far (ok while none).
  const Status& status() const { return status_; }
  // Bytes written so far, buffered or not.
  uint64_t bytes() const { return flushed_ + buf_.size(); }

  // ---- pieces (also for tests and DUMP's footer) ----
  void WriteRaw(const void* data, size_t len);
  void WriteByte(uint8_t b) { buf_.push_back(static_cast<char>(b)); }
  void WriteLen(uint64_t len);
  // A string as Redis's rdbSaveRawString writes it (integer encoding, LZF, or verbatim).
  void WriteString(std::string_view s);
  // An integer value as Redis's rdbSaveLongLongAsStringObject writes it.
  void WriteIntString(int64_t v);
  // An LZF string from bytes already compressed: `data` decompresses to `raw_len` bytes.
  void WriteLzfBlob(const uint8_t* data, size_t len, size_t raw_len);
  void WriteBinaryDouble(double d);

 private:
  // Flushes when the buffer is past its target size.
  void MaybeFlush();
  // The type byte, the key if `with_key`, and the value.
  void WriteObjectParts(const db::Object& o, bool with_key);
  void WriteStream(const ds::Stream& s);

  RdbSink* sink_;
  RdbWriterOptions options_;
  std::string buf_;
  uint64_t flushed_ = 0;
  uint64_t crc_ = 0;  // of the flushed bytes
  Status status_;
  std::vector<uint8_t> lzf_out_;  // scratch for compression
};

}  // namespace mnemo::persist

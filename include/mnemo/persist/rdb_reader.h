// rdb_reader.h: reads RDB bytes back into Mnemo objects, validating everything (layer: persist).
//
// The input is untrusted: a file another program wrote, or a RESTORE payload a client sent. So
// every length is checked against the bytes left before anything is allocated for it (an LZF
// string may claim at most 88 output bytes per input byte, LZF's best ratio), every blob
// (listpack, intset, ziplist, zipmap) is validated in full before a structure adopts it, and a
// value that breaks its type's invariants (a field twice, a NaN score, an unsorted zset listpack)
// is refused. Redis's loader does the deep checks only with sanitize-dump-payload yes; here they
// are always on. Any failure is an error naming what was wrong and the byte offset where the
// reader stood; nothing is left allocated.
//
// Conversions follow Redis's loader and Mnemo's encoding rules (Redis 7.2's, see the type
// modules): a blob is adopted as it is when it fits the *-max-listpack-* limits, converted
// otherwise; old encodings (zipmap, ziplist, string scores, linked lists) become today's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "mnemo/base/status.h"
#include "mnemo/db/db.h"

namespace mnemo::persist {

// The bytes being read: a buffer in memory, or a file read through a buffer. Keeps the offset
// and the CRC-64 of everything consumed. Not copyable.
class RdbInput {
 public:
  // Reads `bytes`, which must outlive the input.
  explicit RdbInput(std::string_view bytes);
  // Reads `size` bytes of the open file `fd` from its current position (the fd is not owned).
  RdbInput(int fd, uint64_t size);
  RdbInput(const RdbInput&) = delete;
  RdbInput& operator=(const RdbInput&) = delete;
  ~RdbInput();

  // Copies exactly n bytes to dst and returns true, or returns false when the input ends first
  // or a read fails (io_error() says which).
  [[nodiscard]] bool Read(void* dst, size_t n) {
    if (static_cast<size_t>(end_ - pos_) >= n) {
      if (n > 0) std::memcpy(dst, pos_, n);
      pos_ += n;
      return true;
    }
    return ReadSlow(dst, n);
  }
  // Bytes consumed so far, and bytes left.
  uint64_t offset() const { return base_ + static_cast<uint64_t>(pos_ - buf_); }
  uint64_t remaining() const { return size_ - offset(); }
  // The CRC-64 of every byte consumed so far.
  uint64_t crc();
  // The error of a failed read(2), empty when the input simply ended.
  const std::string& io_error() const { return io_error_; }

 private:
  bool ReadSlow(void* dst, size_t n);
  // Folds the consumed, not yet summed bytes of the window into crc_.
  void SumConsumed();

  int fd_ = -1;
  uint64_t size_ = 0;  // total bytes of the input
  uint64_t base_ = 0;  // offset of buf_[0]
  const uint8_t* buf_ = nullptr;
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  const uint8_t* summed_ = nullptr;  // bytes of the window before this are in crc_
  uint64_t crc_ = 0;
  std::unique_ptr<uint8_t[]> owned_;  // the file window
  std::string io_error_;
};

// Where an object read from an RDB stream stands.
enum class ReadStatus : uint8_t {
  kOk,     // an object
  kEmpty,  // a well-formed but empty collection: Redis skips such keys (no object)
  kError,  // see RdbReader::status()
};

// Reads values (and the pieces of a file) from an input, into objects for a keyspace (whose
// options decide encodings and whose LRU clock stamps new objects).
class RdbReader {
 public:
  RdbReader(RdbInput& in, const db::Keyspace& ks);
  RdbReader(const RdbReader&) = delete;
  RdbReader& operator=(const RdbReader&) = delete;

  // ---- primitives: false on failure, with the reason in status() ----
  bool ReadByte(uint8_t* b);
  // A plain length (not a special string encoding).
  bool ReadLen(uint64_t* len);
  // A string in any of its encodings, into *out (reusing its capacity).
  bool ReadString(std::string* out);
  // A string as a block from mem::Alloc of exactly its length (to be adopted as a listpack,
  // intset...), or null on failure. *len gets the length.
  uint8_t* ReadBlob(size_t* len);
  bool ReadInt64(int64_t* v);
  bool ReadInt32(int32_t* v);

  // The database the objects read next go to (it picks the compression dictionary).
  void set_db_index(int db) { db_index_ = db; }

  // Reads a value of RDB type `type` for `key` and returns it as a new object (not in any Db)
  // in *out, with an expiry when expire_ms >= 0. The type byte has been consumed.
  ReadStatus ReadObject(uint8_t type, std::string_view key, int64_t expire_ms, db::Object** out);

  // Records the failure "<what> at offset <n>" (the first one sticks) and returns false.
  bool Fail(std::string_view what);
  const Status& status() const { return status_; }
  RdbInput& input() { return in_; }

 private:
  // Fail(what) for a value: returns kError.
  ReadStatus Refuse(std::string_view what);
  bool ReadLenOrEncoding(uint64_t* len, bool* encoded);
  // A count of items each taking at least `min_bytes` bytes: refused when the input cannot
  // hold that many (what bounds every allocation made from a count).
  bool ReadCount(uint64_t* n, size_t min_bytes);
  // The bytes of an LZF string after its 0xC3 byte, decompressed into a new mem:: block.
  uint8_t* ReadLzf(size_t* len);
  // The integer of a special encoding kEncInt8/16/32 (after its first byte).
  bool ReadEncodedInt(uint64_t enc, int64_t* v);
  bool ReadBinaryDouble(double* d);
  bool ReadStringDouble(double* d);
  // A listpack blob, validated deeply.
  uint8_t* ReadListpack(std::string_view what);

  ReadStatus ReadList(uint8_t type, std::string_view key, db::Object** out);
  ReadStatus ReadSet(uint8_t type, std::string_view key, db::Object** out);
  ReadStatus ReadZset(uint8_t type, std::string_view key, db::Object** out);
  ReadStatus ReadHash(uint8_t type, std::string_view key, db::Object** out);
  ReadStatus ReadStream(int type, std::string_view key, db::Object** out);

  RdbInput& in_;
  const db::Keyspace& ks_;
  int db_index_ = 0;
  Status status_;
  std::string scratch_;   // elements of collections
  std::string scratch2_;  // hash values
};

}  // namespace mnemo::persist

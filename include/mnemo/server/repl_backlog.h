// repl_backlog.h: the replication backlog: the last bytes of the replication stream, kept so
// that a replica that lost its link can continue from its offset (PSYNC +CONTINUE)
// (layer: server).
//
// The stream's bytes are numbered from 1 (Redis: master_repl_offset is the number of the last
// byte). The backlog is a ring of `size` bytes holding the newest histlen() bytes, those whose
// numbers are [first_byte_offset(), offset()]. A replica asking for offset `o` (the last byte
// it has) can continue iff o + 1 is in that range or o == offset() (nothing to send).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mnemo::server {

class ReplBacklog {
 public:
  // A backlog of `size` bytes (at least 1) whose stream so far ends at `offset` (the number of
  // the last byte: 0 for a new stream, or the primary's offset after a full sync).
  ReplBacklog(size_t size, int64_t offset);

  // Appends stream bytes.
  void Append(std::string_view bytes);
  // repl-backlog-size changed: keeps the newest bytes that fit.
  void Resize(size_t size);

  size_t size() const { return ring_.size(); }
  // master_repl_offset: the number of the last byte appended.
  int64_t offset() const { return offset_; }
  // repl_backlog_histlen: the bytes held.
  int64_t histlen() const { return static_cast<int64_t>(histlen_); }
  // repl_backlog_first_byte_offset: the number of the oldest byte held (offset() + 1 when
  // nothing is held, as Redis reports it).
  int64_t first_byte_offset() const { return offset_ - static_cast<int64_t>(histlen_) + 1; }

  // Whether a replica whose last byte is `replica_offset` can continue from here.
  bool CanContinueFrom(int64_t replica_offset) const;
  // The bytes after `replica_offset` up to offset(). REQUIRES: CanContinueFrom(replica_offset).
  std::string CopyFrom(int64_t replica_offset) const;
  // The heap bytes the ring holds (mem_replication_backlog).
  size_t memory() const { return ring_.capacity(); }

 private:
  std::vector<char> ring_;
  size_t head_ = 0;     // where the next byte goes
  size_t histlen_ = 0;  // bytes held, at most ring_.size()
  int64_t offset_ = 0;
};

}  // namespace mnemo::server

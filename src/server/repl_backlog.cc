// repl_backlog.cc: the replication backlog ring (layer: server).
#include "mnemo/server/repl_backlog.h"

#include <algorithm>
#include <cstring>

#include "mnemo/base/assert.h"

namespace mnemo::server {

ReplBacklog::ReplBacklog(size_t size, int64_t offset)
    : ring_(std::max<size_t>(size, 1)), offset_(offset) {}

void ReplBacklog::Append(std::string_view bytes) {
  offset_ += static_cast<int64_t>(bytes.size());
  const size_t cap = ring_.size();
  if (bytes.size() >= cap) {
    // Only the newest `cap` bytes stay.
    std::memcpy(ring_.data(), bytes.data() + bytes.size() - cap, cap);
    head_ = 0;
    histlen_ = cap;
    return;
  }
  const size_t first = std::min(bytes.size(), cap - head_);
  std::memcpy(ring_.data() + head_, bytes.data(), first);
  if (first < bytes.size()) std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
  head_ = (head_ + bytes.size()) % cap;
  histlen_ = std::min(cap, histlen_ + bytes.size());
}

void ReplBacklog::Resize(size_t size) {
  size = std::max<size_t>(size, 1);
  if (size == ring_.size()) return;
  const size_t keep = std::min(size, histlen_);
  std::string newest = keep == 0 ? std::string() : CopyFrom(offset_ - static_cast<int64_t>(keep));
  std::vector<char> ring(size);
  if (keep > 0) std::memcpy(ring.data(), newest.data(), keep);
  ring_.swap(ring);
  head_ = keep % size;
  histlen_ = keep;
}

bool ReplBacklog::CanContinueFrom(int64_t replica_offset) const {
  if (replica_offset == offset_) return true;
  return replica_offset + 1 >= first_byte_offset() && replica_offset < offset_ && histlen_ > 0;
}

std::string ReplBacklog::CopyFrom(int64_t replica_offset) const {
  MNEMO_ASSERT(CanContinueFrom(replica_offset));
  const auto n = static_cast<size_t>(offset_ - replica_offset);
  std::string out;
  out.resize(n);
  if (n == 0) return out;
  const size_t cap = ring_.size();
  // The oldest wanted byte sits n bytes before head_.
  const size_t start = (head_ + cap - n) % cap;
  const size_t first = std::min(n, cap - start);
  std::memcpy(out.data(), ring_.data() + start, first);
  if (first < n) std::memcpy(out.data() + first, ring_.data(), n - first);
  return out;
}

}  // namespace mnemo::server

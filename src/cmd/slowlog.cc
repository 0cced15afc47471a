// slowlog.cc: the slow log's ring of entries (layer: cmd).
#include "mnemo/cmd/slowlog.h"

#include <algorithm>

#include <fmt/format.h>

#include "mnemo/base/assert.h"
#include "mnemo/base/strings.h"

namespace mnemo::cmd {

namespace {

constexpr std::string_view kRedacted = "(redacted)";

}  // namespace

void SlowLog::Push(std::span<const std::string_view> argv, std::span<const uint32_t> redacted,
                   int64_t duration_us, int64_t time_s, std::string_view client_addr,
                   std::string_view client_name) {
  Entry e;
  e.id = next_id_++;
  e.time_s = time_s;
  e.duration_us = duration_us;
  // Past kMaxArgs arguments, the last slot tells how many were left out.
  const size_t kept = argv.size() > kMaxArgs ? kMaxArgs - 1 : argv.size();
  e.argv.reserve(argv.size() > kMaxArgs ? kMaxArgs : kept);
  for (size_t i = 0; i < kept; ++i) {
    std::string_view a = argv[i];
    if (std::find(redacted.begin(), redacted.end(), i) != redacted.end()) a = kRedacted;
    if (a.size() > kMaxArgBytes) {
      e.argv.push_back(
          fmt::format("{}... ({} more bytes)", a.substr(0, kMaxArgBytes), a.size() - kMaxArgBytes));
    } else {
      e.argv.emplace_back(a);
    }
  }
  if (argv.size() > kMaxArgs) {
    e.argv.push_back(fmt::format("... ({} more arguments)", argv.size() - kept));
  }
  e.client_addr = std::string(client_addr);
  e.client_name = std::string(client_name);

  if (ring_.size() < max_len_) {
    // Room to grow: the ring goes back to time order first, so the newest is last.
    std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(start_), ring_.end());
    start_ = 0;
    ring_.push_back(std::move(e));
    return;
  }
  if (max_len_ == 0) {
    Reset();
    return;
  }
  // Full: the newest takes the oldest's slot.
  ring_[start_] = std::move(e);
  start_ = (start_ + 1) % ring_.size();
  if (ring_.size() > max_len_) {
    // slowlog-max-len was lowered: drop the oldest beyond it.
    std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(start_), ring_.end());
    start_ = 0;
    ring_.erase(ring_.begin(),
                ring_.begin() + static_cast<std::ptrdiff_t>(ring_.size() - max_len_));
    ring_.shrink_to_fit();
  }
}

const SlowLog::Entry& SlowLog::Newest(size_t i) const {
  MNEMO_ASSERT(i < ring_.size());
  return ring_[(start_ + ring_.size() - 1 - i) % ring_.size()];
}

void SlowLog::Reset() {
  std::vector<Entry>().swap(ring_);
  start_ = 0;
}

void SlowLog::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (ring_.capacity() > 0) fn(ring_.capacity() * sizeof(Entry));
  for (const Entry& e : ring_) {
    if (e.argv.capacity() > 0) fn(e.argv.capacity() * sizeof(std::string));
    for (const std::string& a : e.argv) {
      if (const size_t n = StringHeapRequest(a)) fn(n);
    }
    if (const size_t n = StringHeapRequest(e.client_addr)) fn(n);
    if (const size_t n = StringHeapRequest(e.client_name)) fn(n);
  }
}

}  // namespace mnemo::cmd

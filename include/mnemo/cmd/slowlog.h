// slowlog.h: the slow log: the most recent commands that ran longer than a threshold, with their
// arguments, duration and client (layer: cmd). SLOWLOG GET/LEN/RESET read it.
//
// Redis's rules (slowlog.c): a command is logged when slowlog-log-slower-than (microseconds) is
// not negative and its duration is at least that (0 logs everything); the newest entries are
// kept, at most slowlog-max-len of them, trimmed when an entry is added (lowering the limit
// trims at the next entry). Each entry keeps at most 32 arguments (the 32nd says "... (N more
// arguments)") and at most 128 bytes of each ("... (N more bytes)"), so one entry is bounded
// (about 6 KB with the allocator's size classes) whatever the command was. Ids grow from 0 and are
// never reused, not even after a reset.
//
// Memory: the entries live in one ring (a vector, grown to the longest the log has been since
// the last reset) and their strings; ForEachAllocation lists every block for MEMORY STATS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"

namespace mnemo::cmd {

class SlowLog {
 public:
  // Redis SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  struct Entry {
    uint64_t id = 0;
    int64_t time_s = 0;       // Unix seconds when it was logged
    int64_t duration_us = 0;  // how long the command ran
    std::vector<std::string> argv;
    std::string client_addr;  // "ip:port", "<socket path>:0"
    std::string client_name;
  };

  SlowLog() = default;
  SlowLog(const SlowLog&) = delete;
  SlowLog& operator=(const SlowLog&) = delete;

  // slowlog-log-slower-than: negative disables the log.
  void set_threshold_us(int64_t us) { threshold_us_ = us; }
  // slowlog-max-len: applies from the next entry on.
  void set_max_len(size_t n) { max_len_ = n; }

  // True iff a command that ran `duration_us` is to be logged.
  bool ShouldLog(int64_t duration_us) const {
    return threshold_us_ >= 0 && duration_us >= threshold_us_;
  }
  // Adds an entry (arguments trimmed as above) and drops the oldest beyond slowlog-max-len.
  // `redacted` lists argument positions shown as "(redacted)" (passwords).
  void Push(std::span<const std::string_view> argv, std::span<const uint32_t> redacted,
            int64_t duration_us, int64_t time_s, std::string_view client_addr,
            std::string_view client_name);

  size_t size() const { return ring_.size(); }
  // The i-th newest entry. REQUIRES: i < size().
  const Entry& Newest(size_t i) const;
  // Forgets every entry (ids go on).
  void Reset();

  // Calls fn(bytes) for every heap block of the log, with the size asked of the allocator.
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

 private:
  int64_t threshold_us_ = 10000;
  size_t max_len_ = 128;
  uint64_t next_id_ = 0;
  // Oldest at `start_`, in time order around the ring.
  std::vector<Entry> ring_;
  size_t start_ = 0;
};

}  // namespace mnemo::cmd

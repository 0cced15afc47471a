// dispatcher_observe.cc: what the dispatcher tells MONITOR clients, the slow log and the latency
// monitor after each call (layer: cmd). Kept apart from dispatcher.cc: Call makes one call here.
#include "mnemo/base/clock.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::cmd {

namespace {

// The slow log's client address of `c` (Redis: "?:0" for a script's commands, whose client is
// the script's own, without a connection).
std::string_view SlowLogAddress(const Client& c) {
  if (c.in_script || c.link == nullptr) return "?:0";
  return c.link->PeerAddress();
}

}  // namespace

bool Dispatcher::MonitorRefuses(const CommandSpec& spec, const Client& client) {
  const uint32_t keyspace = kWrite | kReadOnly | kMayReplicate;
  if (spec.flags & keyspace) return true;
  // EXEC of a queue that reads or writes (a queued command is refused before EXEC anyway).
  return (spec.flags & kExec) && (client.multi.flags & keyspace);
}

void Dispatcher::Observe(const Entry& entry, Client& client, std::span<const std::string_view> argv,
                         const CallFrame& frame, uint64_t elapsed_ns) {
  const uint32_t flags = entry.spec->flags;
  BlockedState& blocked = client.blocked;
  // Monitors see a command after it ran, in the database it left the client in; admin commands
  // are too dangerous to show, and a blocked command is shown once, when it was called (Redis
  // call()).
  if (!monitors_.empty() && !blocked.reprocessing && !(flags & (kAdmin | kSkipMonitor))) {
    monitors_.Feed(client, client.db, argv, frame.redacted);
  }
  // A command that blocked (or blocked again) is timed when it is served.
  if (blocked.active && (!blocked.reprocessing || blocked.reblocked)) {
    blocked.elapsed_ns += elapsed_ns;
    return;
  }
  const uint64_t total_ns = elapsed_ns + (blocked.reprocessing ? blocked.elapsed_ns : 0);
  const auto duration_us = static_cast<int64_t>(total_ns / 1000);
  const bool log = !(flags & kSkipSlowlog) && slowlog_.ShouldLog(duration_us);
  if (!log && !latency_monitor_.enabled()) return;
  const int64_t now_s = UnixTimeMs() / 1000;
  if (log) {
    slowlog_.Push(argv, frame.redacted, duration_us, now_s, SlowLogAddress(client),
                  client.in_script ? std::string_view() : std::string_view(client.name));
  }
  latency_monitor_.AddSampleIfNeeded((flags & kFast) ? "fast-command" : "command",
                                     duration_us / 1000, now_s);
}

size_t Dispatcher::ObservabilityBytes() const {
  size_t total = 0;
  auto add = [&total](size_t n) { total += mem::SizeClass(n); };
  slowlog_.ForEachAllocation(add);
  latency_monitor_.ForEachAllocation(add);
  monitors_.ForEachAllocation(add);
  return total;
}

}  // namespace mnemo::cmd

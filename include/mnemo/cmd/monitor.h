// monitor.h: the clients in MONITOR mode, and the line each of them receives for every command
// the server runs (layer: cmd).
//
// The line is Redis 7.0's, as a status reply (RESP2 and RESP3 alike):
//   +1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"
// wall-clock seconds with microseconds, the database the command left the client in, where it
// came from ("ip:port", "unix:<socket path>", or "lua" for a command a script ran), then every
// argument quoted as Redis's sdscatrepr quotes (base/strings.h QuoteRepr). Arguments a command
// marked sensitive (AUTH's password) read "(redacted)".
//
// The dispatcher feeds a command after it ran (so a monitor sees its own PING after the reply),
// except commands flagged admin or skip_monitor; a blocked command once, when it was called.
// A script feeds its own EVAL before its commands (Redis evalGenericCommand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/cmd/client.h"

namespace mnemo::cmd {

class Monitors {
 public:
  Monitors() = default;
  Monitors(const Monitors&) = delete;
  Monitors& operator=(const Monitors&) = delete;

  // Makes `c` a monitor (MONITOR). REQUIRES: c.link != nullptr, !c.monitor.
  void Add(Client& c);
  // Ends `c`'s monitor mode (RESET, a closed connection); nothing if it is not a monitor.
  void Remove(Client& c);
  bool empty() const { return clients_.empty(); }
  size_t size() const { return clients_.size(); }

  // Sends every monitor the line of the command `argv` that `source` ran in database `db`.
  // `redacted` lists argument positions shown as "(redacted)".
  void Feed(const Client& source, int db, std::span<const std::string_view> argv,
            std::span<const uint32_t> redacted);

  // The line without its "+" and CRLF (exposed for tests). `origin` is "ip:port",
  // "unix:<path>" or "lua".
  static std::string FormatLine(int64_t unix_us, int db, std::string_view origin,
                                std::span<const std::string_view> argv,
                                std::span<const uint32_t> redacted);
  // Where `c`'s commands come from, as the line names it.
  static std::string Origin(const Client& c);

  // Calls fn(bytes) for the heap block of the monitor list.
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

 private:
  std::vector<Client*> clients_;  // in the order they became monitors
};

}  // namespace mnemo::cmd

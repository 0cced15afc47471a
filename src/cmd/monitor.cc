// monitor.cc: the MONITOR clients and their lines (layer: cmd).
#include "mnemo/cmd/monitor.h"

#include <algorithm>

#include <fmt/format.h>

#include "mnemo/base/assert.h"
#include "mnemo/base/clock.h"
#include "mnemo/base/strings.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::cmd {

void Monitors::Add(Client& c) {
  MNEMO_ASSERT(c.link != nullptr && !c.monitor);
  c.monitor = true;
  clients_.push_back(&c);
}

void Monitors::Remove(Client& c) {
  if (!c.monitor) return;
  c.monitor = false;
  std::erase(clients_, &c);
  if (clients_.empty()) std::vector<Client*>().swap(clients_);
}

std::string Monitors::Origin(const Client& c) {
  if (c.in_script) return "lua";
  if (c.link == nullptr) return "?:0";  // no connection (in-process callers)
  const std::string_view addr = c.link->PeerAddress();
  if (c.link->unix_socket()) {
    // CLIENT LIST's "<path>:0" becomes Redis's "unix:<path>".
    return "unix:" + std::string(addr.substr(0, addr.rfind(':')));
  }
  return std::string(addr);
}

std::string Monitors::FormatLine(int64_t unix_us, int db, std::string_view origin,
                                 std::span<const std::string_view> argv,
                                 std::span<const uint32_t> redacted) {
  std::string line =
      fmt::format("{}.{:06} [{} {}]", unix_us / 1000000, unix_us % 1000000, db, origin);
  for (size_t i = 0; i < argv.size(); ++i) {
    line += ' ';
    const bool hidden = std::find(redacted.begin(), redacted.end(), i) != redacted.end();
    line += QuoteRepr(hidden ? std::string_view("(redacted)") : argv[i]);
  }
  return line;
}

void Monitors::Feed(const Client& source, int db, std::span<const std::string_view> argv,
                    std::span<const uint32_t> redacted) {
  if (clients_.empty()) return;
  const std::string line = FormatLine(UnixTimeUs(), db, Origin(source), argv, redacted);
  for (Client* m : clients_) {
    m->link->Output().SimpleString(line);
    m->link->OutputAdded();
  }
}

void Monitors::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (clients_.capacity() > 0) fn(clients_.capacity() * sizeof(Client*));
}

}  // namespace mnemo::cmd

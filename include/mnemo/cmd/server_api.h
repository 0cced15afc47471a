// server_api.h: the server-level facts commands need, behind an interface the command layer
// declares and the server implements (layer: cmd). This keeps cmd below server in the module
// order: INFO, CONFIG, CLIENT and SHUTDOWN reach the server only through here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/cmd/client.h"

namespace mnemo::cmd {

// Which clients CLIENT LIST and CLIENT KILL select; unset fields match everything.
struct ClientFilter {
  std::vector<uint64_t> ids;
  std::optional<std::string> type;   // normal, master, replica, pubsub
  std::optional<std::string> addr;   // ip:port
  std::optional<std::string> laddr;  // ip:port
  std::optional<std::string> user;
  std::optional<int64_t> max_age_s;  // MAXAGE
  bool skip_me = false;              // SKIPME yes (KILL only)
};

class ServerApi {
 public:
  virtual ~ServerApi() = default;

  // INFO: the text of the requested sections (empty: the default sections).
  virtual std::string Info(std::span<const std::string_view> sections) = 0;

  // CONFIG GET: name/value pairs of the parameters matching any of the glob patterns.
  virtual std::vector<std::pair<std::string, std::string>> ConfigGet(
      std::span<const std::string_view> patterns) = 0;
  // CONFIG SET name value [name value ...]: all or nothing. The error is the reply text.
  virtual Status ConfigSet(std::span<const std::string_view> name_value_pairs) = 0;
  virtual Status ConfigRewrite() = 0;
  virtual void ResetStats() = 0;

  // One CLIENT LIST line per selected client (no trailing newline).
  virtual std::vector<std::string> ClientLines(const ClientFilter& filter) = 0;
  // CLIENT INFO of the calling client.
  virtual std::string ClientLine(const Client& self) = 0;
  // Closes the selected clients (the caller itself after its reply); returns how many.
  virtual size_t KillClients(const ClientFilter& filter, Client& self) = 0;

  // proto-max-bulk-len: the largest string a client may send, which also caps how far bitmap
  // commands may address (SETBIT offsets below proto-max-bulk-len * 8).
  virtual int64_t ProtoMaxBulkLen() const = 0;

  // The password of the default user ("" when there is none).
  virtual const std::string& RequirePass() const = 0;
  // Stops the server after the current command; returns the error text if it cannot.
  virtual Status Shutdown(bool nosave, bool now, bool force) = 0;
  // DEBUG is refused unless enable-debug-command allows it for this client.
  virtual bool DebugAllowed(const Client& self) const = 0;
  // Blocks the event loop (DEBUG SLEEP).
  virtual void Sleep(double seconds) = 0;
};

}  // namespace mnemo::cmd

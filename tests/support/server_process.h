// server_process.h: starts the real mnemo-server on a free loopback port for integration
// tests, and talks to it with hiredis and redis-cli (tests/support).
//
// The binary comes from the MNEMO_SERVER environment variable (CTest sets it). The server is
// stopped by PID (SIGTERM, then SIGKILL after 10 s) when the object goes away.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "resp_value.h"

namespace mnemo::test {

// Whether the server under test runs on jemalloc. The MNEMO_SANITIZE build runs on the system
// allocator (AddressSanitizer replaces malloc), so jemalloc's statistics, purge and malloc_conf
// do not exist there; tests assert what that build answers instead (as Redis built with libc).
#ifdef MNEMO_SANITIZE
inline constexpr bool kServerUsesJemalloc = false;
#else
inline constexpr bool kServerUsesJemalloc = true;
#endif

struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisConnection = std::unique_ptr<redisContext, RedisContextDeleter>;

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

class ServerProcess {
 public:
  // Starts mnemo-server with "--port <free> --bind 127.0.0.1 --dir <a new directory>" followed
  // by `args` (for example {"--maxclients", "10"}). Waits until it accepts connections; fails
  // the test if it does not.
  explicit ServerProcess(std::vector<std::string> args = {});
  // Starts mnemo-server with `config_file` as its first argument (as "mnemo-server file
  // --port ..."), then the same flags and `args`.
  ServerProcess(const std::string& config_file, std::vector<std::string> args);
  // Whether the launcher adds "--bind 127.0.0.1" (the default) or leaves bind as the config
  // file (or the built-in default "* -::*") has it.
  // `binary`: "" for mnemo-server, or another server that takes the same flags, such as
  // "redis-server" (Debian's 7.0.15, the reference for compatibility tests; pass
  // {"--save", ""} to it).
  enum class Bind { kLoopback, kAsConfigured };
  ServerProcess(const std::string& config_file, std::vector<std::string> args, Bind bind,
                const std::string& binary = "");
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  int port() const { return port_; }
  // The server's working directory ("--dir"), made for it and removed with this object.
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  // True while the process runs.
  bool Alive();
  // Sends SIGTERM and waits up to `timeout_ms`; returns the exit status (or -1).
  int Stop(int timeout_ms = 10000);
  // Waits up to `timeout_ms` for the process to exit on its own (no signal); returns the exit
  // status, or -1 if it died by a signal or still runs (it is left running then).
  int WaitExit(int timeout_ms = 10000);
  // After CONFIG SET port: where Connect(), Command() and Cli() go from now on.
  void set_port(int port) { port_ = port; }
  // Everything the server logged so far.
  std::string Log() const;

  // A new hiredis connection (null on failure).
  RedisConnection Connect(int timeout_ms = 5000);
  // Runs one command on a fresh connection and returns the reply, converted.
  RespValue Command(const std::vector<std::string>& argv);
  // Runs redis-cli -p <port> with `args`; returns stdout, sets *exit_code.
  std::string Cli(const std::vector<std::string>& args, int* exit_code = nullptr,
                  const std::string& stdin_text = "");
  // The value of a field of INFO (e.g. "used_memory"), or "" if absent.
  std::string InfoField(const std::string& field);
  // The same, read as an integer (0 if absent).
  int64_t InfoInt(const std::string& field);
  // used_memory once two readings 100 ms apart agree within 1 KB (a client being torn down or a
  // table being shrunk by the cron must not count). Every reading uses a fresh connection, so
  // each measures the same state: no data connection, one INFO connection. Gives up after 5 s
  // and returns the last reading.
  int64_t SettledUsedMemory();

 private:
  void Launch(const std::string& config_file, const std::vector<std::string>& args,
              Bind bind = Bind::kLoopback, const std::string& binary = "");

  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
  std::string dir_;
};

// Converts a hiredis reply into a RespValue.
RespValue FromHiredis(const redisReply* r);
// Runs argv on `c` and returns the converted reply; an I/O error becomes an error value whose
// text starts with "IO:".
RespValue Exec(redisContext* c, const std::vector<std::string>& argv);

}  // namespace mnemo::test

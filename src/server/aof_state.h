// aof_state.h: what the server keeps of its append-only file (layer: server, private to
// src/server). The logic is in aof.cc; the format and the files are persist/aof.h's.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <asio.hpp>

#include "mnemo/db/changes.h"
#include "mnemo/net/connection.h"
#include "mnemo/persist/aof.h"
#include "mnemo/persist/snapshot.h"
#include "mnemo/server/server.h"

namespace mnemo::server {

enum class AofStatus : uint8_t {
  kOff,
  kOn,
  // Turned on at runtime: the first rewrite runs; writes go to a temporary incremental file
  // that becomes part of the AOF when the rewrite succeeds (Redis AOF_WAIT_REWRITE).
  kWaitRewrite,
};

enum class FsyncPolicy : uint8_t { kAlways, kEverysec, kNo };

// The AOF is a sink of the propagation stream (db/changes.h): every execution unit arrives here
// whole, already wrapped in MULTI/EXEC when it has more than one command.
struct Server::AofState final : db::PropagationSink {
  AofState(Server* s, asio::io_context& io) : server(s), rewrite_timer(io) {}
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override;
  // The AOF: what scripts aim at replicas only (redis.set_repl(REPL_REPLICA)) does not come here.
  uint8_t targets() const override { return db::kPropagateAof; }

  Server* server;
  AofStatus status = AofStatus::kOff;
  FsyncPolicy policy = FsyncPolicy::kEverysec;
  bool sink_installed = false;
  persist::AofManifest manifest;
  // The incremental file writes go to (the temporary one while kWaitRewrite).
  persist::AofFile file;
  std::string file_name;
  // Commands not yet written (Redis aof_buf); written once per loop turn by the group commit.
  std::string buf;
  int selected_db = -1;   // the database the file's last SELECT chose; -1: none yet
  int64_t last_ts_s = 0;  // aof-timestamp-enabled: the second of the last annotation
  bool flush_posted = false;
  // Connections whose replies wait for the fsync of the current loop turn (appendfsync always).
  std::vector<std::shared_ptr<net::Connection>> held;
  std::unique_ptr<persist::FsyncThread> fsync_thread;  // everysec
  int64_t last_fsync_ms = 0;
  uint64_t delayed_fsync = 0;  // aof_delayed_fsync
  bool last_write_ok = true;   // aof_last_write_status
  std::string last_write_error;
  // Sizes: of the base and the incremental files no longer written to; aof_current_size adds
  // the open file's size. rewrite_base_size: aof_current_size after the last rewrite (or at
  // start), the reference of auto-aof-rewrite-percentage (aof_base_size).
  uint64_t fixed_size = 0;
  uint64_t rewrite_base_size = 0;
  // ---- the rewrite (BGREWRITEAOF), a fork-less snapshot into the next base file ----
  std::unique_ptr<persist::Snapshot> rewrite;
  asio::steady_timer rewrite_timer;
  bool step_pending = false;
  bool scheduled = false;  // aof_rewrite_scheduled: waits for a BGSAVE to end
  int64_t rewrite_start_ms = 0;
  int64_t last_rewrite_try_ms = 0;
  std::string new_base_name;
  int64_t new_base_seq = 0;
  int64_t last_rewrite_time_s = -1;  // aof_last_rewrite_time_sec
  bool last_rewrite_ok = true;       // aof_last_bgrewrite_status
  uint64_t rewrites = 0;             // aof_rewrites
  uint64_t consecutive_failures = 0;
  uint64_t last_cow_size = 0;  // aof_last_cow_size: the rewrite's peak buffer
};

}  // namespace mnemo::server

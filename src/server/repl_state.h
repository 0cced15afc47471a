// repl_state.h: what the server keeps of replication, as a primary (its replicas, the backlog,
// the synchronization in progress) and as a replica (the link to its primary) (layer: server,
// private to src/server). The logic is in replication.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <asio.hpp>

#include "mnemo/db/changes.h"
#include "mnemo/net/connection.h"
#include "mnemo/persist/snapshot.h"
#include "mnemo/server/repl_backlog.h"
#include "mnemo/server/repl_protocol.h"
#include "mnemo/server/server.h"

namespace mnemo::server {

// A replica as its primary sees it (attached to the replica's Session).
struct ReplicaLink {
  enum class State : uint8_t {
    kNone,       // REPLCONF seen, no SYNC/PSYNC yet
    kWaitStart,  // full sync asked: waits for a snapshot to start (repl-diskless-sync-delay)
    kWaitEnd,    // its snapshot is being sent; the stream since it started is kept in pending
    kOnline,     // receives the stream as it is produced
  };
  State state = State::kNone;
  int64_t listening_port = 0;  // REPLCONF listening-port
  std::string announced_ip;    // REPLCONF ip-address
  bool capa_eof = false;       // REPLCONF capa eof: takes "$EOF:<mark>" transfers
  bool capa_psync2 = false;    // REPLCONF capa psync2: "+CONTINUE <replid>"
  bool psync = true;           // false: old SYNC (no +FULLRESYNC line)
  bool disk = false;           // gets the snapshot as "$<len>" from a file
  bool wait_ack = false;       // diskless snapshot sent: the stream starts at its first ACK
  int64_t ack_offset = 0;      // REPLCONF ACK
  int64_t ack_time_ms = 0;
  int64_t wait_since_ms = 0;
  std::string pending;  // the stream produced while its snapshot is sent
  // A disk transfer in progress: the file, its size, what was sent.
  int file_fd = -1;
  uint64_t file_size = 0;
  uint64_t file_sent = 0;
  std::string file_path;  // shared by the replicas of one snapshot; the last one removes it
};

// Where the replica side of the link to the primary stands (Redis repl_state, simplified).
enum class LinkState : uint8_t {
  kNone,        // a primary
  kConnect,     // must connect (at the next cron run)
  kConnecting,  // TCP connect in progress
  kHandshake,   // PING, AUTH, REPLCONF, PSYNC
  kTransfer,    // receiving the RDB
  kConnected,   // applying the stream
};

struct Server::ReplState final : db::PropagationSink {
  explicit ReplState(Server* s) : server(s), snapshot_timer(s->io()), bulk_timer(s->io()) {}
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override {
    server->ReplFeedUnit(unit);
  }
  uint8_t targets() const override { return db::kPropagateReplicas; }

  Server* server;
  // ---- the replication ids and offsets (psync2) ----
  std::string replid;                          // master_replid
  std::string replid2 = std::string(40, '0');  // master_replid2
  int64_t second_offset = -1;                  // second_repl_offset
  int64_t offset = 0;                          // master_repl_offset
  std::unique_ptr<ReplBacklog> backlog;
  bool sink_installed = false;
  int selected_db = -1;            // the database the stream last selected (-1: SELECT next)
  int64_t no_replicas_since_s = 0;  // for repl-backlog-ttl
  int64_t last_ping_s = 0;
  int64_t last_newline_s = 0;
  // ---- as a primary ----
  std::vector<std::shared_ptr<net::Connection>> replicas;  // in the order they attached
  std::unique_ptr<persist::Snapshot> snapshot;             // the diskless/disk sync in progress
  std::vector<std::shared_ptr<net::Connection>> snapshot_targets;
  std::string snapshot_file;  // a disk sync's file ("" when every target is diskless)
  asio::steady_timer snapshot_timer;
  bool snapshot_step_pending = false;
  asio::steady_timer bulk_timer;
  bool bulk_step_pending = false;
  // The stream reaches the online replicas once per event-loop turn, at its end (Server::EndTurn),
  // for all the commands of that turn (Redis writes replicas' output in beforeSleep): one write
  // and one wake-up of the replica per turn rather than one per client batch.
  bool stream_flush_due = false;
  // Clients' output held until that flush: a reply leaves after the stream of the writes it
  // acknowledges (Redis writes a turn's replica output before the replies, see ReplHoldOutput).
  std::vector<std::shared_ptr<net::Connection>> held;
  bool getack_due = false;  // REPLCONF GETACK goes to the replicas at the turn's end
  uint64_t sync_full = 0;
  uint64_t sync_partial_ok = 0;
  uint64_t sync_partial_err = 0;
  // ---- as a replica ----
  std::string master_host;  // "" while a primary
  int master_port = 0;
  LinkState link = LinkState::kNone;
  uint64_t generation = 0;  // bumps when the link is dropped: stale callbacks see it and stop
  std::unique_ptr<net::Connection::Socket> socket;  // during connect, handshake and transfer
  std::string inbuf;                                // received, not consumed yet
  std::unique_ptr<char[]> readbuf;
  int hs_step = 0;         // handshake: 0 PONG, 1 pipelined replies, 2 PSYNC, 3 bulk, 4 body
  int replies_pending = 0;  // pipelined handshake replies still to read
  bool auth_sent = false;
  // The transfer of the RDB.
  int transfer_fd = -1;
  std::string transfer_path;
  std::unique_ptr<repl::EofMarkWatcher> eof_watcher;
  bool transfer_eof = false;
  int64_t transfer_left = 0;  // "$<len>": bytes still to come
  uint64_t transfer_read = 0;
  std::string sync_replid;  // from +FULLRESYNC
  int64_t sync_offset = 0;
  std::shared_ptr<net::Connection> master;  // the primary's client once the link is up
  int64_t master_last_io_ms = 0;
  int64_t link_down_since_s = 0;  // 0: never connected
  int64_t last_ack_ms = 0;
  int64_t sync_start_ms = 0;
  // What PSYNC asks for: the id and offset of the stream this replica has (a cached primary,
  // or its own history after being a primary); empty: "PSYNC ? -1".
  std::string psync_replid;
  int64_t psync_offset = -1;
};

}  // namespace mnemo::server

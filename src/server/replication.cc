// replication.cc: replication with Redis 7.0's protocol, as a primary and as a replica
// (layer: server).
//
// As a primary. The propagation stream (db/changes.h) reaches ReplState, a PropagationSink for
// replicas: each execution unit becomes RESP commands (SELECT when the database changes), which
// go into the backlog (server/repl_backlog.h) and to every online replica's connection. A
// replica says REPLCONF listening-port / capa, then PSYNC <replid> <offset>: when the backlog
// holds everything after its offset and the id is ours (or our previous one, up to
// second_repl_offset), it gets +CONTINUE and the missing bytes; otherwise +FULLRESYNC <replid>
// <offset> and a snapshot. The snapshot is the fork-less one (persist/snapshot.h) written
// straight to the replicas' sockets as "$EOF:<40 random bytes>" ... <the same 40 bytes>
// (repl-diskless-sync yes and REPLCONF capa eof), or into a file sent as "$<length>" (disk
// sync). Meanwhile the stream produced since the snapshot started is kept per replica and sent
// after the RDB, and the replica is online. The snapshot's walk pauses while a replica's socket
// is behind (ReplicaSnapshotOutput::over_soft_limit): memory stays bounded and no fork doubles
// it. Every repl-ping-replica-period seconds a PING goes into the stream; replicas answer
// REPLCONF ACK <offset> each second and on REPLCONF GETACK, which WAIT and min-replicas-to-write
// count.
//
// As a replica. REPLICAOF host port: a TCP connection, PING, AUTH (masterauth/masteruser),
// REPLCONF listening-port, REPLCONF capa eof capa psync2 (pipelined), PSYNC with the id and
// offset it has (or "? -1"). After +FULLRESYNC, the RDB is received into a file (EOF-marked or
// of known length: repl/repl_protocol.h parses all of it), the dataset is replaced by it (the
// RDB reader, serving -LOADING meanwhile), and the socket becomes a net::Connection whose
// requests are the primary's commands: run without replies (REPLCONF GETACK excepted), counted
// in bytes (master_repl_offset), and passed on verbatim to this server's own backlog and
// replicas (chained replication keeps the same offsets, psync2). A replica does not expire or
// evict keys: reads hide expired keys, the primary's DELs remove them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/log.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/random.h"
#include "mnemo/base/strings.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/aof.h"
#include "mnemo/persist/rdb_file.h"
#include "mnemo/persist/rdb_format.h"
#include "mnemo/protocol/errors.h"
#include "repl_state.h"
#include "session.h"

namespace mnemo::server {

namespace {

constexpr auto kWaitInterval = std::chrono::milliseconds(1);
// A replica's socket may hold this much of the snapshot unsent before the walk pauses.
constexpr size_t kReplicaSoftLimit = 8 * 1024 * 1024;
// A disk sync sends the file in slices of this size.
constexpr size_t kBulkSlice = 1024 * 1024;

std::string NewReplid() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 40; ++i) out.push_back(kHex[RandomU64() % 16]);
  return out;
}

Server::Session* SessionOf(net::Connection& c) { return static_cast<Server::Session*>(c.state()); }

std::string EncodeCommand(std::initializer_list<std::string_view> argv) {
  std::string out;
  persist::AppendAofCommand(&out, std::span<const std::string_view>(argv.begin(), argv.size()));
  return out;
}

// The IP part of "ip:port" (CLIENT LIST's addr form).
std::string HostOf(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

// "ip:port" of a TCP socket's peer or local end ("" if unknown).
std::string SocketAddress(int fd, bool local) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  const int rc = local ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                       : ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  } else {
    return "";
  }
  return fmt::format("{}:{}", host, port);
}

}  // namespace

// The snapshot of a sync: diskless targets get the bytes in their connection's output as they
// are produced; with disk targets the bytes also go to a file, sent when it is complete.
class ReplicaSnapshotOutput final : public persist::SnapshotOutput {
 public:
  ReplicaSnapshotOutput(std::vector<std::shared_ptr<net::Connection>> diskless, std::string mark,
                        int fd)
      : diskless_(std::move(diskless)), mark_(std::move(mark)), fd_(fd) {}
  ~ReplicaSnapshotOutput() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Write(const uint8_t* data, size_t len) override {
    if (!status_.ok()) return status_;
    Prune();
    const std::string_view bytes(reinterpret_cast<const char*>(data), len);
    for (auto& c : diskless_) {
      c->reply().Raw(bytes);
      SessionOf(*c)->OutputAdded();
    }
    if (fd_ >= 0) {
      size_t off = 0;
      while (off < len) {
        const ssize_t n = ::write(fd_, data + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          status_ = Status::Error(fmt::format("Write error writing the sync file: {}",
                                              std::strerror(errno)));
          return status_;
        }
        off += static_cast<size_t>(n);
      }
    }
    if (diskless_.empty() && fd_ < 0) {
      status_ = Status::Error("every replica of the sync disconnected");
    }
    return status_;
  }
  void Commit() override {
    Prune();
    for (auto& c : diskless_) {
      c->reply().Raw(mark_);
      SessionOf(*c)->OutputAdded();
    }
    if (fd_ >= 0) {
      if (::fsync(fd_) != 0 && status_.ok()) {
        status_ = Status::Error(fmt::format("fsync of the sync file: {}", std::strerror(errno)));
      }
      ::close(fd_);
      fd_ = -1;
    }
    done_ = true;
  }
  void Abort() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    done_ = true;
  }
  bool done() const override { return done_; }
  Status status() const override { return status_; }
  size_t queued_bytes() const override {
    size_t most = 0;
    for (auto& c : diskless_) most = std::max(most, c->output_pending());
    return most;
  }
  size_t peak_queued_bytes() const override { return peak_; }
  bool over_soft_limit() const override {
    const size_t q = queued_bytes();
    if (q > peak_) peak_ = q;
    return q > kReplicaSoftLimit;
  }

 private:
  void Prune() {
    std::erase_if(diskless_, [](const std::shared_ptr<net::Connection>& c) { return c->closed(); });
  }
  std::vector<std::shared_ptr<net::Connection>> diskless_;
  std::string mark_;
  int fd_;
  Status status_;
  bool done_ = false;
  mutable size_t peak_ = 0;
};

// ---- setup ---------------------------------------------------------------------------------

void Server::ReplInit() {
  repl_ = std::make_unique<ReplState>(this);
  repl_->replid = NewReplid();
  repl_->readbuf = std::unique_ptr<char[]>(new char[net::Connection::kReadChunk]);
  dispatcher_.set_replication_check(
      [this](const cmd::Client& c, bool is_write, bool deny_stale) {
        return ReplRefusal(c, is_write, deny_stale);
      });
}

void Server::ReplStart() {
  if (config_.replicaof.empty()) return;
  const size_t sp = config_.replicaof.rfind(' ');
  const std::optional<int64_t> port = ParseInt64(config_.replicaof.substr(sp + 1));
  ReplSetPrimary(config_.replicaof.substr(0, sp), static_cast<int>(port.value_or(6379)));
}

bool Server::IsReplica() const { return repl_ && !repl_->master_host.empty(); }

bool Server::ReplSnapshotRunning() const { return repl_ && repl_->snapshot != nullptr; }

void Server::ReplUpdateSink() {
  ReplState& r = *repl_;
  // Redis shouldPropagate: commands for replicas exist only while a primary has a backlog
  // (a replica passes its primary's stream on instead).
  const bool want = r.backlog != nullptr && r.master_host.empty();
  if (want == r.sink_installed) return;
  if (want) {
    keyspace_.changes().AddSink(&r);
  } else {
    keyspace_.changes().RemoveSink(&r);
  }
  r.sink_installed = want;
}

void Server::ReplCreateBacklog() {
  ReplState& r = *repl_;
  if (r.backlog) return;
  // As Redis createReplicationBacklog on a primary: a new history starts with a new id.
  if (r.master_host.empty()) {
    r.replid = NewReplid();
    r.replid2 = std::string(40, '0');
    r.second_offset = -1;
  }
  r.backlog = std::make_unique<ReplBacklog>(static_cast<size_t>(config_.repl_backlog_size),
                                            r.offset);
  ReplUpdateSink();
}

// ---- the stream --------------------------------------------------------------------------------

void Server::ReplFeedUnit(std::span<const db::PropagatedCommand> unit) {
  ReplState& r = *repl_;
  // A replica passes its primary's stream on as it came (ReplApplyFromMaster); without a
  // backlog nobody listens (Redis feeds nothing before the first replica).
  if (!r.master_host.empty() || !r.backlog) return;
  std::string bytes;
  for (const db::PropagatedCommand& c : unit) {
    if (c.db >= 0 && c.db != r.selected_db) {
      const std::string db = std::to_string(c.db);
      const std::string_view select[] = {"SELECT", db};
      persist::AppendAofCommand(&bytes, std::span<const std::string_view>(select));
      r.selected_db = c.db;
    }
    persist::AppendAofCommand(&bytes, std::span<const std::string>(c.argv));
  }
  ReplFeed(bytes);
}

void Server::ReplFeed(std::string_view bytes) {
  ReplState& r = *repl_;
  if (!r.backlog || bytes.empty()) return;
  r.backlog->Append(bytes);
  r.offset = r.backlog->offset();
  bool online = false;
  for (auto& c : r.replicas) {
    if (c->closed()) continue;
    Session* s = SessionOf(*c);
    if (s == nullptr || !s->replica) continue;
    ReplicaLink& l = *s->replica;
    if (l.state == ReplicaLink::State::kOnline) {
      c->reply().Raw(bytes);
      online = true;
    } else if (l.state == ReplicaLink::State::kWaitEnd) {
      l.pending.append(bytes);
    }
  }
  if (online) r.stream_flush_due = true;
}

bool Server::ReplHoldOutput(net::Connection& c) {
  ReplState& r = *repl_;
  // A replica passing its primary's stream on holds nothing: its clients do not write.
  if (!r.stream_flush_due || !r.master_host.empty()) return false;
  Session* s = SessionOf(c);
  // Replicas and the link to our own primary are never held (the flush writes the former).
  if (s == nullptr || s->client.is_replica || s->client.is_master || s->replica) return false;
  if (!s->repl_held) {
    s->repl_held = true;
    r.held.push_back(c.shared_from_this());
  }
  return true;
}

void Server::ReplFlushStream() {
  ReplState& r = *repl_;
  r.stream_flush_due = false;
  // The replicas first, as Redis's beforeSleep writes them (they join its clients_pending_write
  // list last, at the head) before the clients whose writes they carry: a client that saw a
  // write acknowledged and reads from a replica finds it there sooner.
  std::vector<std::shared_ptr<net::Connection>> clients;
  clients.swap(pending_output_);
  for (auto& c : std::vector<std::shared_ptr<net::Connection>>(r.replicas)) {
    Session* s = SessionOf(*c);
    if (!c->closed() && s != nullptr && s->replica &&
        s->replica->state == ReplicaLink::State::kOnline) {
      s->OutputAdded();
    }
  }
  FlushPendingOutput();
  // Then the replies of the turn: those queued, and those held since the stream was fed.
  pending_output_.insert(pending_output_.end(), clients.begin(), clients.end());
  FlushPendingOutput();
  SendOutputOf(&r.held, &Session::repl_held);
}

// ---- REPLCONF, PSYNC, SYNC ---------------------------------------------------------------------

void Server::Replconf(cmd::Client& self, std::span<const std::string_view> argv,
                      protocol::ReplyBuilder& reply) {
  if (argv.size() % 2 == 0) {
    reply.Error(protocol::kErrSyntax);
    return;
  }
  auto it = clients_.find(self.id);
  Session* s = it == clients_.end() ? nullptr : SessionOf(*it->second);
  for (size_t i = 1; i < argv.size(); i += 2) {
    const std::string_view opt = argv[i];
    const std::string_view val = argv[i + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      const std::optional<int64_t> port = ParseInt64(val);
      if (!port) {
        reply.Error(protocol::kErrNotInteger);
        return;
      }
      if (s != nullptr) {
        if (!s->replica) s->replica = std::make_unique<ReplicaLink>();
        s->replica->listening_port = *port;
      }
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      if (val.size() >= 46) {  // NET_HOST_STR_LEN
        reply.Error(fmt::format("ERR REPLCONF ip-address provided by replica instance is too "
                                "long: {} bytes",
                                val.size()));
        return;
      }
      if (s != nullptr) {
        if (!s->replica) s->replica = std::make_unique<ReplicaLink>();
        s->replica->announced_ip = std::string(val);
      }
    } else if (EqualsIgnoreCase(opt, "capa")) {
      if (s != nullptr) {
        if (!s->replica) s->replica = std::make_unique<ReplicaLink>();
        if (EqualsIgnoreCase(val, "eof")) s->replica->capa_eof = true;
        if (EqualsIgnoreCase(val, "psync2")) s->replica->capa_psync2 = true;
      }
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // Sent by a replica: never answered.
      if (s == nullptr || !self.is_replica || !s->replica) return;
      const std::optional<int64_t> off = ParseInt64(val);
      if (!off) return;
      if (*off > s->replica->ack_offset) s->replica->ack_offset = *off;
      s->replica->ack_time_ms = UnixTimeMs();
      if (s->replica->wait_ack) {
        // The replica has loaded its snapshot: the stream may start.
        s->replica->wait_ack = false;
        ReplPutOnline(*it->second);
        FlushPendingOutput();
      }
      ReplWakeWaiters();
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // From our primary: answered with REPLCONF ACK once the command is counted
      // (ReplApplyFromMaster); never a reply.
      return;
    } else if (EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted (redis-cli --rdb); the whole dataset is sent anyway.
    } else {
      reply.Error(fmt::format("ERR Unrecognized REPLCONF option: {}", opt));
      return;
    }
  }
  reply.Ok();
}

void Server::Psync(cmd::Client& self, std::span<const std::string_view> argv,
                   protocol::ReplyBuilder& reply) {
  ReplState& r = *repl_;
  if (self.is_replica) return;  // already one: ignored, as Redis
  auto it = clients_.find(self.id);
  if (it == clients_.end()) {
    reply.Error("ERR PSYNC needs a connection");
    return;
  }
  net::Connection& c = *it->second;
  Session& s = *SessionOf(c);
  if (!r.master_host.empty() && r.link != LinkState::kConnected) {
    reply.Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (!s.replica) s.replica = std::make_unique<ReplicaLink>();
  ReplicaLink& l = *s.replica;
  const bool is_psync = EqualsIgnoreCase(argv[0], "psync");
  l.psync = is_psync;
  // Partial resynchronization (Redis masterTryPartialResynchronization).
  if (is_psync) {
    const std::string_view want_id = argv[1];
    const std::optional<int64_t> want = ParseInt64(argv[2]);
    bool ok = want.has_value() && r.backlog != nullptr;
    if (ok) {
      if (want_id == r.replid) {
        // ours
      } else if (want_id == r.replid2 && *want <= r.second_offset) {
        // our previous history, up to where it ended
      } else {
        ok = false;
      }
    }
    if (ok) ok = r.backlog->CanContinueFrom(*want - 1);
    if (ok) {
      self.is_replica = true;
      c.set_output_class(net::OutputClass::kReplica);
      l.state = ReplicaLink::State::kOnline;
      l.ack_time_ms = UnixTimeMs();
      l.ack_offset = *want - 1;
      r.replicas.push_back(c.shared_from_this());
      reply.Raw(l.capa_psync2 ? fmt::format("+CONTINUE {}\r\n", r.replid)
                              : std::string("+CONTINUE\r\n"));
      reply.Raw(r.backlog->CopyFrom(*want - 1));
      ++r.sync_partial_ok;
      LogNotice("Partial resynchronization request from {} accepted. Sending {} bytes of backlog "
                "starting from offset {}.",
                c.peer(), r.offset - (*want - 1), *want);
      return;
    }
    if (want_id != "?") ++r.sync_partial_err;
    if (want_id != "?") {
      LogNotice("Partial resynchronization not accepted for {}: replid {} offset {}", c.peer(),
                want_id, argv[2]);
    } else {
      LogNotice("Full resync requested by replica {}", c.peer());
    }
  }
  ++r.sync_full;
  self.is_replica = true;
  c.set_output_class(net::OutputClass::kReplica);
  ReplCreateBacklog();
  l.state = ReplicaLink::State::kWaitStart;
  l.wait_since_ms = UnixTimeMs();
  l.ack_time_ms = l.wait_since_ms;
  l.disk = !config_.repl_diskless_sync || !l.capa_eof;
  r.replicas.push_back(c.shared_from_this());
  if (r.no_replicas_since_s != 0) r.no_replicas_since_s = 0;
  // The snapshot starts now when nothing delays it, else from the cron.
  asio::post(io_, [this] { ReplMaybeStartSync(UnixTimeMs()); });
}

// ---- full synchronization ----------------------------------------------------------------------

void Server::ReplMaybeStartSync(int64_t now_ms) {
  ReplState& r = *repl_;
  if (shutting_down_ || r.snapshot || bgsave_ || AofRewriting() || loading_.active) return;
  std::vector<std::shared_ptr<net::Connection>> waiting;
  int64_t longest_ms = 0;
  bool any_diskless = false;
  for (auto& c : r.replicas) {
    Session* s = SessionOf(*c);
    if (c->closed() || s == nullptr || !s->replica ||
        s->replica->state != ReplicaLink::State::kWaitStart) {
      continue;
    }
    waiting.push_back(c);
    longest_ms = std::max(longest_ms, now_ms - s->replica->wait_since_ms);
    any_diskless = any_diskless || !s->replica->disk;
  }
  if (waiting.empty()) return;
  if (any_diskless && config_.repl_diskless_sync_delay > 0 &&
      longest_ms < config_.repl_diskless_sync_delay * 1000 &&
      !(config_.repl_diskless_sync_max_replicas > 0 &&
        static_cast<int64_t>(waiting.size()) >= config_.repl_diskless_sync_max_replicas)) {
    return;
  }
  std::vector<std::shared_ptr<net::Connection>> diskless;
  bool any_disk = false;
  const std::string mark = NewReplid();  // 40 random characters
  for (auto& c : waiting) {
    ReplicaLink& l = *SessionOf(*c)->replica;
    l.state = ReplicaLink::State::kWaitEnd;
    l.pending.clear();
    if (l.psync) c->reply().Raw(fmt::format("+FULLRESYNC {} {}\r\n", r.replid, r.offset));
    if (l.disk) {
      any_disk = true;
    } else {
      c->reply().Raw("$EOF:" + mark + "\r\n");
      diskless.push_back(c);
    }
    SessionOf(*c)->OutputAdded();
  }
  int fd = -1;
  if (any_disk) {
    r.snapshot_file = fmt::format("{}/temp-repl-{}-{}.rdb", config_.dir, ::getpid(), now_ms);
    fd = ::open(r.snapshot_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      LogWarning("Can't open the sync file {}: {}", r.snapshot_file, std::strerror(errno));
      r.snapshot_file.clear();
      for (auto& c : waiting) {
        if (SessionOf(*c)->replica->disk) c->Close();
      }
      if (diskless.empty()) return;
    }
  }
  persist::SnapshotOptions options;
  options.compression = config_.rdbcompression;
  options.checksum = config_.rdbchecksum;
  options.redis_version = std::string(persist::rdb::kFormatRedisVersion);
  options.function_codes = dispatcher_.scripting().LibraryCodes();
  options.repl_id = r.replid;
  options.repl_offset = r.offset;
  options.repl_stream_db = 0;
  // The stream after the snapshot starts with a SELECT (Redis sets slaveseldb to -1).
  r.selected_db = -1;
  r.snapshot_targets = waiting;
  r.snapshot = persist::Snapshot::StartTo(
      std::make_unique<ReplicaSnapshotOutput>(std::move(diskless), mark, fd), keyspace_,
      options);
  LogNotice("Starting BGSAVE for SYNC with target: {} ({} replicas, fork-less snapshot of {} keys)",
            any_disk ? "disk" : "replicas sockets", waiting.size(),
            r.snapshot->progress().keys_total);
  ReplScheduleSnapshotStep();
}

void Server::ReplScheduleSnapshotStep() {
  ReplState& r = *repl_;
  if (!r.snapshot || r.snapshot_step_pending || shutting_down_) return;
  r.snapshot_step_pending = true;
  auto run = [this] {
    ReplState& rs = *repl_;
    rs.snapshot_step_pending = false;
    if (!rs.snapshot || shutting_down_) return;
    if (rs.snapshot->Step(kSnapshotSliceUs) == persist::Snapshot::State::kDone) {
      ReplFinishSnapshot();
      return;
    }
    ReplScheduleSnapshotStep();
  };
  ScheduleSnapshotSlice(*r.snapshot, r.snapshot_timer, std::move(run),
                        [this] { repl_->snapshot_step_pending = false; });
}

void Server::ReplFinishSnapshot() {
  ReplState& r = *repl_;
  const Status st = r.snapshot->status();
  const persist::SnapshotProgress p = r.snapshot->progress();
  r.snapshot.reset();
  std::vector<std::shared_ptr<net::Connection>> targets;
  targets.swap(r.snapshot_targets);
  const std::string file = r.snapshot_file;
  r.snapshot_file.clear();
  if (!st.ok()) {
    LogWarning("Background RDB transfer error: {}", st.message());
    for (auto& c : targets) {
      if (!c->closed()) c->Close();
    }
    if (!file.empty()) ::unlink(file.c_str());
    return;
  }
  LogNotice("Background RDB transfer terminated with success: {} keys, {} bytes", p.keys_written,
            p.bytes);
  uint64_t size = 0;
  struct stat stbuf {};
  if (!file.empty() && ::stat(file.c_str(), &stbuf) == 0) size = static_cast<uint64_t>(stbuf.st_size);
  bool bulk = false;
  for (auto& c : targets) {
    if (c->closed()) continue;
    ReplicaLink& l = *SessionOf(*c)->replica;
    if (!l.disk) {
      // Nothing may follow the end mark until the replica has loaded the data and says so with
      // its first ACK: a replica that read stream bytes together with the mark would miss the
      // mark (Redis repl_start_cmd_stream_on_ack). The stream waits in its pending buffer.
      LogNotice("Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF "
                "ACK from replica to enable streaming",
                c->peer());
      l.wait_ack = true;
      l.ack_time_ms = UnixTimeMs();
      continue;
    }
    l.file_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (l.file_fd < 0) {
      c->Close();
      continue;
    }
    l.file_path = file;
    l.file_size = size;
    l.file_sent = 0;
    c->reply().Raw(fmt::format("${}\r\n", size));
    SessionOf(*c)->OutputAdded();
    bulk = true;
  }
  // The file is open where it is needed: its name can go now.
  if (!file.empty()) ::unlink(file.c_str());
  if (bulk) ReplScheduleBulkStep();
  // Replicas that asked meanwhile.
  ReplMaybeStartSync(UnixTimeMs());
}

void Server::ReplScheduleBulkStep() {
  ReplState& r = *repl_;
  if (r.bulk_step_pending || shutting_down_) return;
  r.bulk_step_pending = true;
  r.bulk_timer.expires_after(kWaitInterval);
  r.bulk_timer.async_wait([this](const asio::error_code& ec) {
    repl_->bulk_step_pending = false;
    if (ec || shutting_down_) return;
    ReplBulkStep();
  });
}

void Server::ReplBulkStep() {
  ReplState& r = *repl_;
  bool more = false;
  std::string chunk;
  for (auto& c : std::vector<std::shared_ptr<net::Connection>>(r.replicas)) {
    Session* s = SessionOf(*c);
    if (c->closed() || s == nullptr || !s->replica || s->replica->file_fd < 0) continue;
    ReplicaLink& l = *s->replica;
    if (c->output_pending() < kReplicaSoftLimit / 2) {
      chunk.resize(std::min<uint64_t>(kBulkSlice, l.file_size - l.file_sent));
      const ssize_t n = chunk.empty() ? 0 : ::pread(l.file_fd, chunk.data(), chunk.size(),
                                                    static_cast<off_t>(l.file_sent));
      if (n < 0 || (n == 0 && !chunk.empty())) {
        LogWarning("Read error sending the DB to replica {}", c->peer());
        ::close(l.file_fd);
        l.file_fd = -1;
        c->Close();
        continue;
      }
      l.file_sent += static_cast<uint64_t>(n);
      c->reply().Raw(std::string_view(chunk.data(), static_cast<size_t>(n)));
      s->OutputAdded();
    }
    if (l.file_sent >= l.file_size) {
      ::close(l.file_fd);
      l.file_fd = -1;
      LogNotice("Synchronization with replica {} succeeded", c->peer());
      ReplPutOnline(*c);
    } else {
      more = true;
    }
  }
  if (more) ReplScheduleBulkStep();
}

void Server::ReplPutOnline(net::Connection& c) {
  Session* s = SessionOf(c);
  ReplicaLink& l = *s->replica;
  l.state = ReplicaLink::State::kOnline;
  l.ack_time_ms = UnixTimeMs();
  if (!l.pending.empty()) {
    c.reply().Raw(l.pending);
    std::string().swap(l.pending);
  }
  s->OutputAdded();
}

void Server::ReplForgetReplica(net::Connection& c) {
  ReplState& r = *repl_;
  Session* s = SessionOf(c);
  if (s != nullptr && s->replica && s->replica->file_fd >= 0) {
    ::close(s->replica->file_fd);
    s->replica->file_fd = -1;
  }
  const auto it = std::find_if(r.replicas.begin(), r.replicas.end(),
                               [&c](const auto& p) { return p.get() == &c; });
  if (it == r.replicas.end()) return;
  LogNotice("Connection with replica {} lost.", c.peer());
  r.replicas.erase(it);
  if (r.replicas.empty()) r.no_replicas_since_s = UnixTimeMs() / 1000;
}

// ---- ACKs, WAIT, min-replicas ------------------------------------------------------------------

int64_t Server::ReplicasAcknowledged(int64_t offset) {
  int64_t n = 0;
  for (auto& c : repl_->replicas) {
    Session* s = SessionOf(*c);
    if (c->closed() || s == nullptr || !s->replica) continue;
    if (s->replica->state == ReplicaLink::State::kOnline && s->replica->ack_offset >= offset) ++n;
  }
  return n;
}

void Server::RequestReplicaAcks() {
  // Once per loop turn, at its end, after the commands of this one (Server::EndTurn, as Redis's
  // beforeSleep).
  repl_->getack_due = true;
}

void Server::ReplSendGetack() {
  if (repl_->master_host.empty()) ReplFeed(EncodeCommand({"REPLCONF", "GETACK", "*"}));
}

void Server::ReplWakeWaiters() {
  std::vector<cmd::Client*> ready;
  for (auto& [id, c] : clients_) {
    Session* s = SessionOf(*c);
    if (s == nullptr || !s->client.blocked.active || s->client.blocked.argv.size() != 3 ||
        !EqualsIgnoreCase(s->client.blocked.argv[0], "wait")) {
      continue;
    }
    const std::optional<int64_t> want = ParseInt64(s->client.blocked.argv[1]);
    if (want && ReplicasAcknowledged(s->client.woff) >= *want) ready.push_back(&s->client);
  }
  for (cmd::Client* c : ready) dispatcher_.Unblock(*c, false);
  if (!ready.empty()) FlushPendingOutput();
}

int64_t Server::ReplGoodReplicas() const {
  const int64_t now = UnixTimeMs();
  int64_t n = 0;
  for (auto& c : repl_->replicas) {
    const auto* s = static_cast<const Session*>(c->state());
    if (c->closed() || s == nullptr || !s->replica) continue;
    if (s->replica->state == ReplicaLink::State::kOnline &&
        (now - s->replica->ack_time_ms) / 1000 <= config_.min_replicas_max_lag) {
      ++n;
    }
  }
  return n;
}

std::string Server::ReplRefusal(const cmd::Client& c, bool is_write, bool deny_stale) {
  (void)c;
  const ReplState& r = *repl_;
  if (r.master_host.empty()) {
    if (is_write && config_.min_replicas_to_write > 0 && config_.min_replicas_max_lag > 0 &&
        ReplGoodReplicas() < config_.min_replicas_to_write) {
      return "NOREPLICAS Not enough good replicas to write.";
    }
    return "";
  }
  if (is_write && config_.replica_read_only) {
    return "READONLY You can't write against a read only replica.";
  }
  if (deny_stale && r.link != LinkState::kConnected && !config_.replica_serve_stale_data) {
    return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
  }
  return "";
}

// ---- the cron ----------------------------------------------------------------------------------

void Server::ReplCron(int64_t now_ms) {
  ReplState& r = *repl_;
  const int64_t now_s = now_ms / 1000;
  // ---- as a replica ----
  if (!r.master_host.empty()) {
    if (r.link == LinkState::kConnect && now_ms - r.master_last_io_ms >= 1000) ReplConnect();
    if ((r.link == LinkState::kConnecting || r.link == LinkState::kHandshake ||
         r.link == LinkState::kTransfer) &&
        now_ms - r.master_last_io_ms > config_.repl_timeout * 1000) {
      ReplLinkFailed(r.link == LinkState::kTransfer
                         ? "Timeout receiving bulk data from MASTER... If the problem persists "
                           "try to set the 'repl-timeout' parameter in redis.conf to a larger "
                           "value."
                         : "Timeout connecting to the MASTER...");
    }
    if (r.link == LinkState::kConnected && r.master) {
      if (now_ms - r.master_last_io_ms > config_.repl_timeout * 1000) {
        LogWarning("MASTER timeout: no data nor PING received...");
        r.master->Close();  // OnClose handles the rest
      } else if (now_ms - r.last_ack_ms >= 1000) {
        ReplSendAck();
      }
    }
  }
  // ---- as a primary ----
  ReplMaybeStartSync(now_ms);
  if (r.master_host.empty() && !r.replicas.empty() &&
      now_s - r.last_ping_s >= config_.repl_ping_replica_period) {
    r.last_ping_s = now_s;
    ReplFeed(EncodeCommand({"PING"}));
  }
  // Replicas waiting for their snapshot to start get a newline each second: their link stays
  // alive (Redis replicationCron).
  if (now_s != r.last_newline_s) {
    r.last_newline_s = now_s;
    for (auto& c : r.replicas) {
      Session* s = SessionOf(*c);
      if (c->closed() || s == nullptr || !s->replica) continue;
      if (s->replica->state == ReplicaLink::State::kWaitStart) {
        c->reply().Raw("\n");
        s->OutputAdded();
      }
    }
  }
  // Replicas silent for longer than repl-timeout (those that speak PSYNC send ACKs).
  std::vector<std::shared_ptr<net::Connection>> dead;
  for (auto& c : r.replicas) {
    Session* s = SessionOf(*c);
    if (c->closed() || s == nullptr || !s->replica) continue;
    const bool streaming = s->replica->state == ReplicaLink::State::kOnline || s->replica->wait_ack;
    if (streaming && s->replica->psync &&
        now_ms - s->replica->ack_time_ms > config_.repl_timeout * 1000) {
      dead.push_back(c);
    }
  }
  for (auto& c : dead) {
    LogWarning("Disconnecting timedout replica (streaming sync): {}", c->peer());
    c->Close();
  }
  // repl-backlog-ttl: a primary without replicas for that long frees its backlog.
  if (r.master_host.empty() && r.backlog && r.replicas.empty() && config_.repl_backlog_ttl > 0 &&
      r.no_replicas_since_s != 0 && now_s - r.no_replicas_since_s > config_.repl_backlog_ttl) {
    // As Redis: a new id, so that no replica continues a history this server can't serve.
    r.replid2 = r.replid;
    r.second_offset = r.offset + 1;
    r.replid = NewReplid();
    r.backlog.reset();
    ReplUpdateSink();
    LogNotice("Replication backlog freed after {} seconds without connected replicas.",
              config_.repl_backlog_ttl);
  }
  if (r.backlog && static_cast<int64_t>(r.backlog->size()) != config_.repl_backlog_size) {
    r.backlog->Resize(static_cast<size_t>(config_.repl_backlog_size));
  }
}

// ---- as a replica: REPLICAOF -----------------------------------------------------------------

void Server::ReplicaOf(cmd::Client& self, std::span<const std::string_view> argv,
                       protocol::ReplyBuilder& reply) {
  (void)self;
  ReplState& r = *repl_;
  if (EqualsIgnoreCase(argv[1], "no") && EqualsIgnoreCase(argv[2], "one")) {
    if (!r.master_host.empty()) {
      ReplBecomePrimary();
      LogNotice("MASTER MODE enabled (user request from '{}')", self.name);
    }
    reply.Ok();
    return;
  }
  const std::optional<int64_t> port = ParseInt64(argv[2]);
  if (!port || *port < 0 || *port > 65535) {
    reply.Error("ERR Invalid master port");
    return;
  }
  if (self.is_master) {
    reply.Error("ERR Command is not valid when client is a replica.");
    return;
  }
  if (!r.master_host.empty() && EqualsIgnoreCase(r.master_host, argv[1]) &&
      r.master_port == *port) {
    LogNotice("REPLICAOF would result into synchronization with the master we are already "
              "connected with. No operation performed.");
    reply.SimpleString("OK Already connected to specified master");
    return;
  }
  ReplSetPrimary(std::string(argv[1]), static_cast<int>(*port));
  LogNotice("REPLICAOF {}:{} enabled (user request from '{}')", argv[1], *port, self.name);
  reply.Ok();
}

void Server::ReplSetPrimary(const std::string& host, int port) {
  ReplState& r = *repl_;
  const bool was_primary = r.master_host.empty();
  ReplCloseLink();
  if (r.master) {
    // Its history stays ours: PSYNC to the new primary asks to continue it.
    auto m = r.master;
    r.master.reset();
    m->Close();
  }
  if (was_primary) {
    // Redis replicationCacheMasterUsingMyself: our own stream is what we ask to continue.
    r.psync_replid = r.replid;
    r.psync_offset = r.offset;
    if (r.snapshot) {
      r.snapshot->Abort();
      r.snapshot.reset();
      r.snapshot_targets.clear();
    }
  }
  // The replicas resynchronize with the new stream (Redis disconnectSlaves).
  for (auto& c : std::vector<std::shared_ptr<net::Connection>>(r.replicas)) c->Close();
  r.master_host = host;
  r.master_port = port;
  r.link = LinkState::kConnect;
  config_.replicaof = fmt::format("{} {}", host, port);
  keyspace_.set_replica_expiry(true);
  SetLogRole('S');
  ReplUpdateSink();
  // Connect now rather than at the next cron run.
  asio::post(io_, [this] {
    if (repl_->link == LinkState::kConnect && !shutting_down_) ReplConnect();
  });
}

void Server::ReplBecomePrimary() {
  ReplState& r = *repl_;
  ReplCloseLink();
  if (r.master) {
    auto m = r.master;
    r.master.reset();
    m->Close();
  }
  // psync2 (Redis shiftReplicationId): replicas of the old primary can continue with us.
  r.replid2 = r.replid;
  r.second_offset = r.offset + 1;
  r.replid = NewReplid();
  r.master_host.clear();
  r.master_port = 0;
  r.link = LinkState::kNone;
  r.link_down_since_s = 0;
  r.psync_replid.clear();
  r.psync_offset = -1;
  r.selected_db = -1;
  config_.replicaof.clear();
  keyspace_.set_replica_expiry(false);
  SetLogRole('M');
  // Our replicas (chained) reconnect and continue with the new id.
  for (auto& c : std::vector<std::shared_ptr<net::Connection>>(r.replicas)) c->Close();
  if (!r.backlog) {
    r.backlog = std::make_unique<ReplBacklog>(static_cast<size_t>(config_.repl_backlog_size),
                                              r.offset);
  }
  ReplUpdateSink();
}

void Server::ReplCloseLink() {
  ReplState& r = *repl_;
  ++r.generation;
  if (r.socket) {
    asio::error_code ec;
    r.socket->close(ec);
    r.socket.reset();
  }
  if (r.transfer_fd >= 0) {
    ::close(r.transfer_fd);
    r.transfer_fd = -1;
    ::unlink(r.transfer_path.c_str());
  }
  r.inbuf.clear();
  r.eof_watcher.reset();
}

void Server::ReplLinkFailed(const std::string& why) {
  ReplState& r = *repl_;
  LogWarning("{}", why);
  ReplCloseLink();
  if (!r.master_host.empty()) r.link = LinkState::kConnect;  // retried by the cron
}

void Server::ReplConnect() {
  ReplState& r = *repl_;
  ReplCloseLink();
  r.link = LinkState::kConnecting;
  r.master_last_io_ms = UnixTimeMs();
  LogNotice("Connecting to MASTER {}:{}", r.master_host, r.master_port);
  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(r.master_host, ec);
  if (ec) {
    // A host name: resolved synchronously, as Redis's anetResolve does.
    asio::ip::tcp::resolver resolver(io_);
    const auto results = resolver.resolve(r.master_host, std::to_string(r.master_port), ec);
    if (ec || results.empty()) {
      ReplLinkFailed(fmt::format("Unable to connect to MASTER: can't resolve {}", r.master_host));
      return;
    }
    addr = results.begin()->endpoint().address();
  }
  const asio::ip::tcp::endpoint tcp_ep(addr, static_cast<uint16_t>(r.master_port));
  const asio::generic::stream_protocol::endpoint ep(tcp_ep.data(), tcp_ep.size(), IPPROTO_TCP);
  r.socket = std::make_unique<net::Connection::Socket>(io_);
  r.socket->open(asio::generic::stream_protocol(tcp_ep.protocol().family(), IPPROTO_TCP), ec);
  if (ec) {
    ReplLinkFailed(fmt::format("Unable to connect to MASTER: {}", ec.message()));
    return;
  }
  const uint64_t gen = r.generation;
  r.socket->async_connect(ep, [this, gen](const asio::error_code& cec) {
    ReplState& rs = *repl_;
    if (gen != rs.generation || shutting_down_) return;
    if (cec) {
      ReplLinkFailed(fmt::format("Error condition on socket for SYNC: {}", cec.message()));
      return;
    }
    LogNotice("MASTER <-> REPLICA sync started");
    rs.link = LinkState::kHandshake;
    rs.hs_step = 0;
    rs.master_last_io_ms = UnixTimeMs();
    asio::error_code ignored;
    rs.socket->set_option(asio::ip::tcp::no_delay(true), ignored);
    ReplSend(EncodeCommand({"PING"}));
    ReplRead();
  });
}

void Server::ReplSend(std::string bytes) {
  ReplState& r = *repl_;
  if (!r.socket) return;
  // Handshake commands are small: a blocking-free write of all of it, or fail.
  auto buf = std::make_shared<std::string>(std::move(bytes));
  const uint64_t gen = r.generation;
  asio::async_write(*r.socket, asio::buffer(*buf),
                    [this, buf, gen](const asio::error_code& ec, size_t) {
                      if (gen != repl_->generation || shutting_down_) return;
                      if (ec) ReplLinkFailed(fmt::format("Error writing to MASTER: {}", ec.message()));
                    });
}

void Server::ReplRead() {
  ReplState& r = *repl_;
  if (!r.socket) return;
  const uint64_t gen = r.generation;
  r.socket->async_read_some(
      asio::buffer(r.readbuf.get(), net::Connection::kReadChunk),
      [this, gen](const asio::error_code& ec, size_t n) {
        ReplState& rs = *repl_;
        if (gen != rs.generation || shutting_down_) return;
        if (ec) {
          ReplLinkFailed(fmt::format("Error reading from MASTER: {}",
                                     ec == asio::error::eof ? "connection lost" : ec.message()));
          return;
        }
        rs.master_last_io_ms = UnixTimeMs();
        net_stats_.input_bytes += n;
        rs.inbuf.append(rs.readbuf.get(), n);
        ReplProcessInput();
        if (gen == rs.generation && rs.socket) ReplRead();
      });
}

void Server::ReplProcessInput() {
  ReplState& r = *repl_;
  const uint64_t gen = r.generation;
  while (gen == r.generation && r.socket) {
    if (r.hs_step == 4) {
      // The RDB's body.
      std::string_view data = r.inbuf;
      size_t take = data.size();
      if (!r.transfer_eof) take = static_cast<size_t>(std::min<int64_t>(take, r.transfer_left));
      const std::string_view part = data.substr(0, take);
      size_t off = 0;
      while (off < part.size()) {
        const ssize_t n = ::write(r.transfer_fd, part.data() + off, part.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          ReplLinkFailed(fmt::format("Write error saving DB on disk: {}", std::strerror(errno)));
          return;
        }
        off += static_cast<size_t>(n);
      }
      r.transfer_read += take;
      bool complete = false;
      if (r.transfer_eof) {
        r.eof_watcher->Feed(part);
        complete = r.eof_watcher->found();
      } else {
        r.transfer_left -= static_cast<int64_t>(take);
        complete = r.transfer_left == 0;
      }
      r.inbuf.erase(0, take);
      if (!complete) return;
      ReplLoadTransfer();
      return;
    }
    std::string_view line;
    size_t consumed = 0;
    const repl::LineStatus ls = repl::TakeLine(r.inbuf, repl::kMaxLine, &line, &consumed);
    if (ls == repl::LineStatus::kIncomplete) return;
    if (ls == repl::LineStatus::kTooLong) {
      ReplLinkFailed("Protocol error from MASTER: line too long");
      return;
    }
    const std::string text(line);
    r.inbuf.erase(0, consumed);
    switch (r.hs_step) {
      case 0: {  // PING's answer
        if (text.empty()) continue;
        if (text[0] == '-' && text.rfind("-NOAUTH", 0) != 0 && text.rfind("-NOPERM", 0) != 0 &&
            text.rfind("-ERR operation not permitted", 0) != 0) {
          ReplLinkFailed(fmt::format("Error reply to PING from master: '{}'", text));
          return;
        }
        LogNotice("Master replied to PING, replication can continue...");
        std::string out;
        r.auth_sent = !config_.masterauth.empty();
        if (r.auth_sent) {
          if (config_.masteruser.empty()) {
            out += EncodeCommand({"AUTH", config_.masterauth});
          } else {
            out += EncodeCommand({"AUTH", config_.masteruser, config_.masterauth});
          }
        }
        const int64_t port =
            config_.replica_announce_port > 0 ? config_.replica_announce_port : config_.port;
        out += EncodeCommand({"REPLCONF", "listening-port", std::to_string(port)});
        r.replies_pending = 2;
        if (!config_.replica_announce_ip.empty()) {
          out += EncodeCommand({"REPLCONF", "ip-address", config_.replica_announce_ip});
          ++r.replies_pending;
        }
        out += EncodeCommand({"REPLCONF", "capa", "eof", "capa", "psync2"});
        if (r.auth_sent) ++r.replies_pending;
        r.hs_step = 1;
        ReplSend(std::move(out));
        continue;
      }
      case 1: {  // AUTH, REPLCONF ... answers
        if (text.empty()) continue;
        if (r.auth_sent && text[0] == '-') {
          ReplLinkFailed(fmt::format("Unable to AUTH to MASTER: {}", text));
          return;
        }
        r.auth_sent = false;  // only the first reply is AUTH's
        if (text[0] == '-') {
          LogNotice("(Non critical) Master does not understand REPLCONF: {}", text);
        }
        if (--r.replies_pending > 0) continue;
        // PSYNC: continue our history if we have one.
        std::string id = r.psync_replid.empty() ? std::string("?") : r.psync_replid;
        std::string off = r.psync_replid.empty() ? std::string("-1")
                                                 : std::to_string(r.psync_offset + 1);
        if (!r.psync_replid.empty()) {
          LogNotice("Trying a partial resynchronization (request {}:{}).", id, off);
        } else {
          LogNotice("Partial resynchronization not possible (no cached master)");
        }
        r.hs_step = 2;
        ReplSend(EncodeCommand({"PSYNC", id, off}));
        continue;
      }
      case 2: {  // PSYNC's answer
        if (text.empty()) continue;
        const repl::PsyncReply reply = repl::ParsePsyncReply(text);
        switch (reply.kind) {
          case repl::PsyncReply::Kind::kFullResync:
            LogNotice("Full resync from master: {}:{}", reply.replid, reply.offset);
            r.sync_replid = reply.replid;
            r.sync_offset = reply.offset;
            r.hs_step = 3;
            continue;
          case repl::PsyncReply::Kind::kContinue: {
            LogNotice("Successful partial resynchronization with master.");
            if (!reply.replid.empty() && reply.replid != r.psync_replid) {
              // The primary's id changed (it was promoted): ours follows, keeping the old one
              // as history.
              r.replid2 = r.psync_replid;
              r.second_offset = r.psync_offset + 1;
              r.replid = reply.replid;
              LogNotice("Master replication ID changed to {}", reply.replid);
            } else {
              r.replid = r.psync_replid;
            }
            r.offset = r.psync_offset;
            if (!r.backlog) {
              r.backlog = std::make_unique<ReplBacklog>(
                  static_cast<size_t>(config_.repl_backlog_size), r.offset);
            }
            std::string rest;
            rest.swap(r.inbuf);
            ReplAdoptMaster(std::move(rest));
            LogNotice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            return;
          }
          case repl::PsyncReply::Kind::kTryLater:
            ReplLinkFailed(fmt::format("Master is currently unable to PSYNC but should be in "
                                       "the future: {}",
                                       text));
            return;
          default:
            ReplLinkFailed(fmt::format("Unexpected reply to PSYNC from master: {}", text));
            return;
        }
      }
      case 3: {  // the RDB's header; newlines before it keep the link alive
        if (text.empty()) continue;
        if (text[0] == '-') {
          ReplLinkFailed(fmt::format("MASTER aborted replication with an error: {}", text));
          return;
        }
        repl::BulkHeader h;
        if (!repl::ParseBulkHeader(text, &h)) {
          ReplLinkFailed(fmt::format("Bad protocol from MASTER, the first byte is not '$' (we "
                                     "received '{}'), are you sure the host and port are right?",
                                     text.substr(0, 64)));
          return;
        }
        r.transfer_eof = h.eof_marked;
        r.transfer_left = h.length;
        r.transfer_read = 0;
        if (h.eof_marked) {
          r.eof_watcher = std::make_unique<repl::EofMarkWatcher>(h.mark);
          LogNotice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
        } else {
          LogNotice("MASTER <-> REPLICA sync: receiving {} bytes from master to disk", h.length);
        }
        r.transfer_path = fmt::format("{}/temp-{}.{}.rdb", config_.dir, UnixTimeMs() / 1000,
                                      ::getpid());
        r.transfer_fd =
            ::open(r.transfer_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (r.transfer_fd < 0) {
          ReplLinkFailed(fmt::format("Opening the temp file needed for MASTER <-> REPLICA "
                                     "synchronization: {}",
                                     std::strerror(errno)));
          return;
        }
        r.link = LinkState::kTransfer;
        r.sync_start_ms = UnixTimeMs();
        r.hs_step = 4;
        if (!h.eof_marked && h.length == 0) {
          ReplLoadTransfer();
          return;
        }
        continue;
      }
      default:
        return;
    }
  }
}

void Server::ReplLoadTransfer() {
  ReplState& r = *repl_;
  if (r.transfer_eof && ::ftruncate(r.transfer_fd, static_cast<off_t>(r.transfer_read -
                                                                     repl::kEofMarkSize)) != 0) {
    ReplLinkFailed(fmt::format("Error truncating the RDB file received from the master: {}",
                               std::strerror(errno)));
    return;
  }
  if (::fsync(r.transfer_fd) != 0) {
    LogWarning("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
               std::strerror(errno));
  }
  ::close(r.transfer_fd);
  r.transfer_fd = -1;
  const std::string path = config_.RdbPath();
  if (::rename(r.transfer_path.c_str(), path.c_str()) != 0) {
    ReplLinkFailed(fmt::format("Failed trying to rename the temp DB into {} in MASTER <-> "
                               "REPLICA synchronization: {}",
                               config_.dbfilename, std::strerror(errno)));
    return;
  }
  // The socket waits, unread, while the data loads.
  std::unique_ptr<net::Connection::Socket> socket = std::move(r.socket);
  const uint64_t gen = ++r.generation;
  std::string rest;
  rest.swap(r.inbuf);
  LogNotice("MASTER <-> REPLICA sync: Flushing old data");
  if (bgsave_) AbortBgsave();
  keyspace_.FlushAll(config_.replica_lazy_flush);
  dispatcher_.scripting().FunctionFlush();
  LogNotice("MASTER <-> REPLICA sync: Loading DB in memory");
  loading_ = LoadingState{};
  loading_.active = true;
  loading_.start_s = UnixTimeMs() / 1000;
  loading_.start_us = MonotonicUs();
  loading_.next_events = persist::kLoadProgressBytes;
  persist::LoadOptions options;
  options.verify_checksum = config_.rdbchecksum;
  options.now_ms = UnixTimeMs();
  options.keep_expired = true;
  options.progress = [this](uint64_t loaded, uint64_t total) {
    loading_.total_bytes = total;
    return LoadingProgress(loaded);
  };
  std::vector<std::string> function_codes;
  options.function_codes = &function_codes;
  bool found = false;
  Result<persist::LoadStats> loaded = persist::LoadRdbFile(path, keyspace_, options, &found);
  loading_.active = false;
  if (shutting_down_) return;
  if (gen != r.generation) return;  // REPLICAOF meanwhile
  if (!loaded.ok()) {
    keyspace_.FlushAll(false);
    r.socket = std::move(socket);
    ReplLinkFailed(fmt::format("Failed trying to load the MASTER synchronization DB from disk: {}",
                               loaded.status().message()));
    return;
  }
  for (const std::string& code : function_codes) {
    std::string error;
    if (!dispatcher_.scripting().LoadLibraryCode(code, true, &error)) {
      LogWarning("Failed loading a function library from the MASTER: {}", error);
    }
  }
  if (config_.rdb_del_sync_files && config_.save.empty() && !config_.appendonly) {
    // rdb-del-sync-files: the file existed only for this sync (Redis bg_unlink).
    ::unlink(path.c_str());
  }
  persistence_.last_load_keys_loaded = loaded->keys_loaded;
  persistence_.last_load_keys_expired = loaded->keys_expired;
  persistence_.dirty_at_last_save = keyspace_.changes().dirty();
  // The stream continues the primary's: its id, its offset, a new backlog; no history of ours.
  r.replid = r.sync_replid;
  r.offset = r.sync_offset;
  r.replid2 = std::string(40, '0');
  r.second_offset = -1;
  r.backlog = std::make_unique<ReplBacklog>(static_cast<size_t>(config_.repl_backlog_size),
                                            r.offset);
  // Our own replicas must resynchronize with the new data.
  for (auto& c : std::vector<std::shared_ptr<net::Connection>>(r.replicas)) c->Close();
  LogNotice("MASTER <-> REPLICA sync: Finished with success");
  r.socket = std::move(socket);
  const int64_t stream_db = loaded->repl_stream_db >= 0 ? loaded->repl_stream_db : 0;
  ReplAdoptMaster(std::move(rest));
  if (r.master) {
    if (Session* s = SessionOf(*r.master)) {
      if (stream_db < keyspace_.num_dbs()) s->client.db = static_cast<int>(stream_db);
    }
  }
}

void Server::ReplAdoptMaster(std::string initial) {
  ReplState& r = *repl_;
  std::unique_ptr<net::Connection::Socket> socket = std::move(r.socket);
  ++r.generation;
  r.hs_step = 0;
  std::string peer = SocketAddress(socket->native_handle(), false);
  std::string local = SocketAddress(socket->native_handle(), true);
  if (peer.empty()) peer = fmt::format("{}:{}", r.master_host, r.master_port);
  sockets_peak_ = std::max(sockets_peak_, ++sockets_open_);
  auto c = std::make_shared<net::Connection>(std::move(*socket), this, &limits_, &net_stats_,
                                             next_client_id_++, std::move(peer), std::move(local),
                                             false, nullptr);
  c->set_greedy_reads(true);
  r.master = c;
  r.link = LinkState::kConnected;
  r.master_last_io_ms = UnixTimeMs();
  r.last_ack_ms = 0;
  r.link_down_since_s = 0;
  r.psync_replid.clear();
  r.psync_offset = -1;
  c->Adopt(initial);
  if (r.master && !r.master->closed()) ReplSendAck();
}

void Server::ReplApplyFromMaster(Session& s, net::Connection& c,
                                 std::span<const std::string_view> argv) {
  ReplState& r = *repl_;
  r.master_last_io_ms = UnixTimeMs();
  const size_t reply_start = c.reply().size();
  keyspace_.set_applying_master(true);
  dispatcher_.Execute(s.client, argv, c.reply());
  keyspace_.set_applying_master(false);
  // No replies to the primary (REPLCONF GETACK writes its ACK after this).
  c.reply().buffer().resize(reply_start);
  // The bytes as received, passed on and counted as they came (Redis feeds its sub-replicas
  // the master client's query buffer). Re-encoding argv cost a string per command, about 6% of
  // a replica's CPU under a SET load.
  const std::string_view bytes = c.current_request();
  if (r.backlog) {
    ReplFeed(bytes);
  } else {
    r.offset += static_cast<int64_t>(bytes.size());
  }
  // GETACK is answered with the offset after it.
  if (argv.size() >= 2 && EqualsIgnoreCase(argv[0], "replconf") &&
      EqualsIgnoreCase(argv[1], "getack")) {
    ReplSendAck();
  }
}

void Server::ReplSendAck() {
  ReplState& r = *repl_;
  if (!r.master || r.master->closed()) return;
  r.last_ack_ms = UnixTimeMs();
  Session* s = SessionOf(*r.master);
  if (s == nullptr) return;
  r.master->reply().Raw(EncodeCommand({"REPLCONF", "ACK", std::to_string(r.offset)}));
  s->OutputAdded();
}

// ---- ROLE, INFO replication --------------------------------------------------------------------

void Server::Role(protocol::ReplyBuilder& reply) {
  ReplState& r = *repl_;
  if (r.master_host.empty()) {
    reply.ArrayHeader(3);
    reply.Bulk("master");
    reply.Integer(r.offset);
    std::vector<ReplicaLink*> online;
    std::vector<net::Connection*> conns;
    for (auto& c : r.replicas) {
      Session* s = SessionOf(*c);
      if (c->closed() || s == nullptr || !s->replica) continue;
      if (s->replica->state != ReplicaLink::State::kOnline) continue;
      online.push_back(s->replica.get());
      conns.push_back(c.get());
    }
    reply.ArrayHeader(online.size());
    for (size_t i = 0; i < online.size(); ++i) {
      reply.ArrayHeader(3);
      reply.Bulk(online[i]->announced_ip.empty() ? HostOf(conns[i]->peer())
                                                 : online[i]->announced_ip);
      reply.Bulk(std::to_string(online[i]->listening_port));
      reply.Bulk(std::to_string(online[i]->ack_offset));
    }
    return;
  }
  reply.ArrayHeader(5);
  reply.Bulk("slave");
  reply.Bulk(r.master_host);
  reply.Integer(r.master_port);
  std::string_view state = "connect";
  switch (r.link) {
    case LinkState::kNone:
    case LinkState::kConnect: state = "connect"; break;
    case LinkState::kConnecting: state = "connecting"; break;
    case LinkState::kHandshake: state = "handshake"; break;
    case LinkState::kTransfer: state = "sync"; break;
    case LinkState::kConnected: state = "connected"; break;
  }
  reply.Bulk(state);
  reply.Integer(r.master ? r.offset : -1);
}

std::string Server::ReplicationInfo() {
  ReplState& r = *repl_;
  std::string out;
  auto line = [&out](std::string_view k, const auto& v) { out += fmt::format("{}:{}\r\n", k, v); };
  const int64_t now_ms = UnixTimeMs();
  if (r.master_host.empty()) {
    line("role", "master");
  } else {
    line("role", "slave");
    line("master_host", r.master_host);
    line("master_port", r.master_port);
    const bool up = r.link == LinkState::kConnected;
    line("master_link_status", up ? "up" : "down");
    line("master_last_io_seconds_ago", up ? (now_ms - r.master_last_io_ms) / 1000 : -1);
    line("master_sync_in_progress", r.link == LinkState::kTransfer ? 1 : 0);
    line("slave_read_repl_offset", r.offset);
    line("slave_repl_offset", r.offset);
    if (r.link == LinkState::kTransfer) {
      line("master_sync_total_bytes", r.transfer_eof ? -1 : r.transfer_left + static_cast<int64_t>(r.transfer_read));
      line("master_sync_read_bytes", r.transfer_read);
      line("master_sync_left_bytes", r.transfer_eof ? -1 : r.transfer_left);
      line("master_sync_perc", r.transfer_eof ? std::string("-1.00")
                                              : fmt::format("{:.2f}",
                                                            100.0 * static_cast<double>(r.transfer_read) /
                                                                static_cast<double>(r.transfer_left + static_cast<int64_t>(r.transfer_read) + 1)));
      line("master_sync_last_io_seconds_ago", (now_ms - r.master_last_io_ms) / 1000);
    }
    if (!up) {
      line("master_link_down_since_seconds",
           r.link_down_since_s != 0 ? now_ms / 1000 - r.link_down_since_s : int64_t{-1});
    }
    line("slave_priority", config_.replica_priority);
    line("slave_read_only", config_.replica_read_only ? 1 : 0);
    line("replica_announced", config_.replica_announced ? 1 : 0);
  }
  std::vector<std::string> slaves;
  for (auto& c : r.replicas) {
    Session* s = SessionOf(*c);
    if (c->closed() || s == nullptr || !s->replica) continue;
    const ReplicaLink& l = *s->replica;
    std::string_view state = "online";
    switch (l.state) {
      case ReplicaLink::State::kWaitStart: state = "wait_bgsave"; break;
      case ReplicaLink::State::kWaitEnd: state = l.file_fd >= 0 ? "send_bulk" : "wait_bgsave"; break;
      default: state = "online"; break;
    }
    if (l.file_fd >= 0) state = "send_bulk";
    slaves.push_back(fmt::format("ip={},port={},state={},offset={},lag={}",
                                 l.announced_ip.empty() ? HostOf(c->peer()) : l.announced_ip,
                                 l.listening_port, state, l.ack_offset,
                                 (now_ms - l.ack_time_ms) / 1000));
  }
  line("connected_slaves", slaves.size());
  if (r.master_host.empty() && config_.min_replicas_to_write > 0 &&
      config_.min_replicas_max_lag > 0) {
    line("min_slaves_good_slaves", ReplGoodReplicas());
  }
  for (size_t i = 0; i < slaves.size(); ++i) line(fmt::format("slave{}", i), slaves[i]);
  line("master_failover_state", "no-failover");
  line("master_replid", r.replid);
  line("master_replid2", r.replid2);
  line("master_repl_offset", r.offset);
  line("second_repl_offset", r.second_offset);
  line("repl_backlog_active", r.backlog ? 1 : 0);
  line("repl_backlog_size", config_.repl_backlog_size);
  line("repl_backlog_first_byte_offset", r.backlog ? r.backlog->first_byte_offset() : 0);
  line("repl_backlog_histlen", r.backlog ? r.backlog->histlen() : 0);
  return out;
}

}  // namespace mnemo::server

// server.cc: the server's life cycle, clients, cron and config application (layer: server).
#include "mnemo/server/server.h"

#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "aof_state.h"
#include "repl_state.h"
#include "session.h"
#include "mnemo/base/clock.h"
#include "mnemo/base/glob.h"
#include "mnemo/base/log.h"
#include "mnemo/base/random.h"
#include "mnemo/base/strings.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/mem/slab.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/net/loop.h"
#include "mnemo/protocol/errors.h"
#include "mnemo/server/tls_memory.h"

namespace mnemo::server {

void Server::QueueOutput(net::Connection& c) {
  auto* s = static_cast<Session*>(c.state());
  if (s == nullptr || s->output_queued || c.closed()) return;
  s->output_queued = true;
  pending_output_.push_back(c.shared_from_this());
}

void Server::QueueClose(net::Connection& c) {
  asio::post(io_, [conn = c.shared_from_this()] { conn->Close(); });
}

void Server::FlushPendingOutput() { SendOutputOf(&pending_output_, &Session::output_queued); }

void Server::SendOutputOf(std::vector<std::shared_ptr<net::Connection>>* list,
                          bool Session::*flag) {
  std::vector<std::shared_ptr<net::Connection>> now;
  now.swap(*list);
  for (auto& c : now) {
    if (auto* s = static_cast<Session*>(c->state()); s != nullptr && flag != nullptr) {
      s->*flag = false;
    }
    c->SendQueuedOutput();
  }
}

bool Server::HoldOutput(net::Connection& c) {
  // Queued output waits for the end of the loop turn (Run).
  if (auto* s = static_cast<Session*>(c.state()); s != nullptr && s->output_queued) return true;
  // A reply waits for the replication stream of its turn (written to the replicas first, as
  // Redis's beforeSleep does), then for the AOF's write (and fsync under `appendfsync always`).
  return ReplHoldOutput(c) || AofHoldOutput(c);
}

void Server::ArmBlockTimer() {
  // The earliest of the blocked clients' deadlines and the end of a CLIENT PAUSE.
  int64_t next = dispatcher_.blocking().NextDeadline();
  const int64_t pause_end = dispatcher_.CheckPause(UnixTimeMs());
  if (pause_end != 0 && (next == 0 || pause_end < next)) next = pause_end;
  if (next == 0 || (block_timer_armed_ms_ != 0 && block_timer_armed_ms_ <= next)) return;
  block_timer_armed_ms_ = next;
  const int64_t wait = next - UnixTimeMs();
  block_timer_.expires_after(std::chrono::milliseconds(wait > 0 ? wait : 0));
  block_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || shutting_down_) return;
    block_timer_armed_ms_ = 0;
    keyspace_.set_now_ms(UnixTimeMs());
    dispatcher_.ExpireBlocked(UnixTimeMs());
    dispatcher_.CheckPause(UnixTimeMs());
    FlushPendingOutput();
    ArmBlockTimer();
  });
}

namespace {

// Redis keeps this many file descriptors for itself beyond maxclients (CONFIG_MIN_RESERVED_FDS).
constexpr int64_t kReservedFds = 32;

// The user name CLIENT LIST prints ("(superuser)" for a client with no user, as Redis).
std::string_view UserName(const cmd::Client& c) {
  return c.user == nullptr ? std::string_view("(superuser)") : std::string_view(c.user->name());
}

std::string RandomHex(size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(kHex[RandomU64() % 16]);
  return out;
}

// Where and how to listen, from the config.
net::ListenOptions ListenOptionsFor(const ServerConfig& c) {
  net::ListenOptions lo;
  lo.bind = c.bind;
  lo.port = static_cast<int>(c.port);
  lo.tls_port = static_cast<int>(c.tls_port);
  lo.backlog = static_cast<int>(c.tcp_backlog);
  lo.keepalive_s = static_cast<int>(c.tcp_keepalive);
  lo.unix_socket = c.unixsocket;
  lo.unix_socket_perm = static_cast<int>(c.unixsocketperm);
  return lo;
}

// The TLS context the tls-* parameters describe.
Result<std::shared_ptr<net::TlsContext>> MakeTlsContext(const ServerConfig& c) {
  net::TlsOptions o;
  o.cert_file = c.tls_cert_file;
  o.key_file = c.tls_key_file;
  o.key_file_pass = c.tls_key_file_pass;
  o.ca_cert_file = c.tls_ca_cert_file;
  o.ca_cert_dir = c.tls_ca_cert_dir;
  o.auth_clients = c.tls_auth_clients == "no"         ? net::TlsAuthClients::kNo
                   : c.tls_auth_clients == "optional" ? net::TlsAuthClients::kOptional
                                                      : net::TlsAuthClients::kYes;
  o.protocols = c.tls_protocols;
  o.ciphers = c.tls_ciphers;
  o.ciphersuites = c.tls_ciphersuites;
  o.prefer_server_ciphers = c.tls_prefer_server_ciphers;
  if (!TlsMemoryRouted()) {
    LogWarning(
        "OpenSSL allocated memory before Mnemo could route it through its allocator: TLS "
        "memory is not counted in used_memory");
  }
  return net::TlsContext::Create(o);
}

}  // namespace

std::unique_ptr<net::Listener> Server::MakeListener() {
  return std::make_unique<net::Listener>(io_, [this](net::Connection::Socket socket,
                                                     std::string peer, std::string local,
                                                     bool unix_socket, bool tls) {
    sockets_peak_ = std::max(sockets_peak_, ++sockets_open_);
    // A TLS client keeps the context current when it was accepted (CONFIG SET may replace
    // it later).
    auto c = std::make_shared<net::Connection>(std::move(socket), this, &limits_, &net_stats_,
                                               next_client_id_++, std::move(peer), std::move(local),
                                               unix_socket, tls ? tls_context_ : nullptr);
    c->Start();
  });
}

Server::Server(ServerConfig config, std::string config_file)
    : config_(std::move(config)),
      config_file_(std::move(config_file)),
      keyspace_(static_cast<int>(config_.databases)),
      dispatcher_(keyspace_, *this),
      // As Redis freeMemoryGetNotCountedMemory: the AOF buffer does not count against maxmemory
      // (evicting keys to make room for the record of a write would lose data for nothing).
      evictor_(keyspace_, [this] { return mem::UsedMemory() - AofBufferBytes(); }),
      cron_timer_(io_),
      block_timer_(io_),
      signals_(io_),
      bgsave_timer_(io_) {
  keyspace_.options() = config_.db;
  keyspace_.changes().set_notify_classes(config_.notify_keyspace_events);
  for (const auto& [name, new_name] : config_.command_renames) {
    // Checked against the same command tables when the config was loaded (config_file.cc).
    const Status renamed = dispatcher_.Rename(name, new_name);
    MNEMO_ASSERT(renamed.ok());
  }
  keyspace_.UpdateLruClock(UnixTimeMs());
  keyspace_.set_now_ms(UnixTimeMs());
  run_id_ = RandomHex(40);
  evictor_.set_latency_monitor(&dispatcher_.latency_monitor());
  dispatcher_.set_memory_guard([this] {
    // No eviction while CLIENT PAUSE holds writes back; writes wait for the pause anyway.
    if (dispatcher_.writes_paused()) return true;
    // A replica does not evict (replica-ignore-maxmemory): its primary's DELs keep it in step.
    if (IsReplica() && config_.replica_ignore_maxmemory) return true;
    const db::Evictor::Result r = Evict(false);
    if (r == db::Evictor::Result::kRunning) StartEvictionProc();
    return r != db::Evictor::Result::kFail;
  });
  // BCAST invalidations collected during a loop turn go out once, at its end (EndTurn; Redis
  // sends them before the event loop sleeps).
  dispatcher_.tracking().set_wakeup([this] { tracking_broadcast_due_ = true; });
  // -MISCONF: writes refused after a failed save or AOF write (server/aof.cc).
  dispatcher_.set_disk_error_check([this] { return DiskErrorMessage(); });
  ReplInit();
  stats_.start_time_ms = UnixTimeMs();
  // At start the dataset counts as saved (Redis initServer sets lastsave to now).
  persistence_.lastsave_s = stats_.start_time_ms / 1000;
  ApplyLimits();
  acl_status_ = LoadUsers();
}

Status Server::LoadUsers() {
  cmd::Acl& acl = dispatcher_.acl();
  acl.set_pubsub_default_all(config_.acl_pubsub_default_all);
  acl.set_log_max_len(static_cast<size_t>(config_.acllog_max_len));
  // requirepass first: a `user default` line or the ACL file replaces it (Redis loads users
  // after the config).
  if (!config_.requirepass.empty()) acl.SetDefaultPassword(config_.requirepass);
  if (!config_.aclfile.empty() && !config_.users.empty()) {
    return Status::Error(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
        "path is invalid. This setup is very likely to lead to configuration errors and security "
        "holes, please define either an ACL file or declare users directly in your redis.conf, "
        "but not both.");
  }
  Status s = acl.LoadConfigUsers(config_.users);
  if (!s.ok()) {
    LogWarning("{}", s.message());
    return Status::Error("Critical error while loading ACLs. Exiting.");
  }
  if (!config_.aclfile.empty()) {
    auto loaded = acl.LoadFile(config_.aclfile);
    if (!loaded.ok()) {
      return Status::Error("Aborting Mnemo startup because of ACL errors: " +
                           loaded.status().message());
    }
  }
  return Status::Ok();
}

Server::~Server() {
  StopAll();
  AbortBgsave();  // before the keys go: a snapshot would write them all first
  if (repl_->snapshot) {
    repl_->snapshot->Abort();
    repl_->snapshot.reset();
  }
  StopAppendOnly();
  keyspace_.FlushAll(false);
  if (cluster_config_fd_ >= 0) ::close(cluster_config_fd_);
  if (repl_->sink_installed) keyspace_.changes().RemoveSink(repl_.get());
}

// Settings the connections and the dispatcher read on every request.
void Server::ApplyLimits() {
  RefreshClusterNode();
  dispatcher_.set_latency_tracking(config_.latency_tracking);
  dispatcher_.tracking().set_max_keys(static_cast<size_t>(config_.tracking_table_max_keys));
  dispatcher_.scripting().set_busy_threshold_ms(config_.busy_reply_threshold);
  dispatcher_.scripting().set_memory_limit(config_.LuaMemoryLimit());
  dispatcher_.slowlog().set_threshold_us(config_.slowlog_log_slower_than);
  dispatcher_.slowlog().set_max_len(static_cast<size_t>(config_.slowlog_max_len));
  dispatcher_.latency_monitor().set_threshold_ms(config_.latency_monitor_threshold);
  limits_.query_buffer_limit = static_cast<size_t>(config_.client_query_buffer_limit);
  limits_.max_bulk_len = config_.proto_max_bulk_len;
  auto set_limit = [this](net::OutputClass cls, int64_t hard, int64_t soft, int64_t seconds) {
    limits_.output[static_cast<int>(cls)] = {static_cast<size_t>(hard), static_cast<size_t>(soft),
                                             seconds};
  };
  set_limit(net::OutputClass::kNormal, config_.output_normal_hard, config_.output_normal_soft,
            config_.output_normal_soft_seconds);
  set_limit(net::OutputClass::kReplica, config_.output_replica_hard, config_.output_replica_soft,
            config_.output_replica_soft_seconds);
  set_limit(net::OutputClass::kPubSub, config_.output_pubsub_hard, config_.output_pubsub_soft,
            config_.output_pubsub_soft_seconds);
  // A reply whose length the client chooses (SRANDMEMBER key -9223372036854775807) stops at the
  // smallest of the hard output limit, maxmemory, a quarter of the machine's memory and 256 MiB,
  // and its client is closed. Redis builds it until memory runs out (or until the hard limit, if
  // set); past maxmemory it would also evict data to make room for a reply. 256 MiB of picks
  // take about 2.5 s to build: the ceiling bounds that stall as well as the memory.
  constexpr uint64_t kMaxReplyCeiling = 256ULL << 20;
  size_t ceiling = 0;
  for (const uint64_t bound : {kMaxReplyCeiling, mem::TotalSystemMemory() / 4,
                               static_cast<uint64_t>(config_.output_normal_hard),
                               static_cast<uint64_t>(config_.db.maxmemory)}) {
    if (bound > 0 && (ceiling == 0 || bound < ceiling)) ceiling = static_cast<size_t>(bound);
  }
  limits_.reply_ceiling = ceiling;
}

Status Server::Start() {
  if (!acl_status_.ok()) return acl_status_;
  // Raise the descriptor limit to fit maxclients, or lower maxclients to fit the limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    const rlim_t want = static_cast<rlim_t>(config_.maxclients + kReservedFds);
    if (rl.rlim_cur < want) {
      rlimit raised = rl;
      raised.rlim_cur = want <= rl.rlim_max ? want : rl.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
      if (rl.rlim_cur < want) {
        const int64_t fit = static_cast<int64_t>(rl.rlim_cur) - kReservedFds;
        LogWarning("You requested maxclients of {} requiring at least {} max file descriptors.",
                   config_.maxclients, want);
        LogWarning("Server can't set maximum open files to {} because of OS error: {}.", want,
                   "limit reached");
        if (fit >= 1) {
          LogWarning(
              "Current maximum open files is {}. maxclients has been reduced to {} to "
              "compensate for low ulimit.",
              rl.rlim_cur, fit);
          config_.maxclients = fit;
        }
      }
    }
  }
  mem::SetBackgroundThread(config_.jemalloc_bg_thread);

  if (config_.tls_port > 0) {
    Result<std::shared_ptr<net::TlsContext>> tls = MakeTlsContext(config_);
    if (!tls.ok()) {
      LogWarning("{}", tls.status().message());
      return Status::Error("Failed to configure TLS. Check logs for more info.");
    }
    tls_context_ = std::move(*tls);
  }
  listener_ = MakeListener();
  Status s = listener_->Open(ListenOptionsFor(config_));
  if (!s.ok()) return s;

  WarnIfExposed();

  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  WaitForSignals();
  ScheduleCron();

  net::Connection::PrepareSharedBuffers();
  started_ = true;
  used_memory_startup_ = mem::UsedMemory();
  tls_allocated_startup_ = TlsAllocatedBytes();
  stats_.used_memory_peak = used_memory_startup_;
  LogNotice("Server initialized");
  s = ClusterInit();
  if (!s.ok()) return s;
  // Before the loop runs: connections wait in the backlog until the data is there.
  s = LoadDataFromDisk();
  if (shutting_down_) return Status::Ok();  // SIGTERM or SHUTDOWN while loading: Run() returns
  if (!s.ok()) {
    LogWarning("{}", s.message());
    LogWarning("Fatal error loading the DB, check server logs. Exiting.");
    return Status::Error("Fatal error loading the DB");
  }
  s = VerifyClusterData();
  if (!s.ok()) return s;
  stats_.used_memory_peak = std::max(stats_.used_memory_peak, mem::UsedMemory());
  ReplStart();
  if (config_.port > 0) LogNotice("Ready to accept connections tcp");
  if (config_.tls_port > 0) LogNotice("Ready to accept connections tls");
  if (!config_.unixsocket.empty()) LogNotice("Ready to accept connections unix");
  supervised_by_systemd_ =
      config_.supervised == "systemd" ||
      (config_.supervised == "auto" && std::getenv("NOTIFY_SOCKET") != nullptr);
  if (supervised_by_systemd_) {
    sd_notify(0, "READY=1\nSTATUS=Ready to accept connections");
    LogNotice(
        "Supervised by systemd. Please make sure you set appropriate values for "
        "TimeoutStartSec and TimeoutStopSec in your service unit.");
  }
  return Status::Ok();
}

void Server::WarnIfExposed() const {
  if (DefaultUserHasPassword() || !listener_) return;
  const std::string address = listener_->NonLoopbackAddress();
  if (address.empty()) return;
  if (config_.protected_mode) {
    LogWarning(
        "WARNING: listening on {}, beyond the loopback interface, with no password for the "
        "default user: protected mode refuses every TCP client that is not local. Set a "
        "password (requirepass) to serve remote clients, or bind to 127.0.0.1 only.",
        address);
  } else {
    LogWarning(
        "WARNING: listening on {}, beyond the loopback interface, with no password for the "
        "default user and protected mode off: anyone who can reach this address can read, "
        "change and delete every key. Set a password (requirepass) or bind to 127.0.0.1.",
        address);
  }
}

void Server::Run() {
  // As Redis's beforeSleep: the output of a loop turn is written once every handler that was
  // ready has run, just before the loop polls epoll again. A client that pipelines or a woken
  // waiter then gets its replies in one burst with the others' (with 8 BLPOP/RPUSH pairs the
  // client thread slept 0.6 times per round trip when each batch wrote its own replies at its
  // end, 0.35 with Redis), and a reply never waits for more than one turn.
  while (io_.run_one() > 0) {
    if ((!pending_output_.empty() || repl_->stream_flush_due || repl_->getack_due ||
         tracking_broadcast_due_) &&
        net::ReactorPollsNext(io_)) {
      EndTurn();
    }
  }
}

void Server::EndTurn() {
  // In the order of Redis's beforeSleep: BCAST invalidations, the GETACK that WAIT asked for,
  // then the output (the AOF's group commit holds the replies it must precede; server/aof.cc).
  if (tracking_broadcast_due_) {
    tracking_broadcast_due_ = false;
    if (!shutting_down_) dispatcher_.tracking().Broadcast();
  }
  if (repl_->getack_due) {
    repl_->getack_due = false;
    if (!shutting_down_) ReplSendGetack();
  }
  WriteTurnOutput();
}

void Server::WriteTurnOutput() {
  if (repl_->stream_flush_due) {
    ReplFlushStream();  // the replicas, then the clients
  } else if (!pending_output_.empty()) {
    FlushPendingOutput();
  }
}

void Server::StopAll() {
  if (shutting_down_ || !started_) return;
  shutting_down_ = true;
  if (supervised_by_systemd_) {
    sd_notify(0, "STOPPING=1");
  }
  if (listener_) listener_->Close();
  asio::error_code ec;
  cron_timer_.cancel();
  block_timer_.cancel();
  AbortBgsave();
  if (repl_->snapshot) {
    repl_->snapshot->Abort();
    repl_->snapshot.reset();
  }
  ReplCloseLink();
  repl_->snapshot_timer.cancel();
  repl_->bulk_timer.cancel();
  StopAppendOnly();  // the AOF's last writes on disk (Redis: fsync of the AOF at shutdown)
  signals_.cancel(ec);
  // Closing calls OnClose, which erases from clients_: iterate over a copy.
  auto clients = clients_;
  for (auto& [id, c] : clients) c->Close();
  clients_.clear();
  if (!config_.pidfile.empty()) ::unlink(config_.pidfile.c_str());
  LogWarning("{} is now ready to exit, bye bye...", "Mnemo");
  io_.stop();
}

// ---- connections ---------------------------------------------------------------------------

// Redis 7.0 applies protected mode while the default user is nopass (on or off).
bool Server::DefaultUserHasPassword() const { return !dispatcher_.acl().default_user()->nopass(); }

bool Server::ProtectedModeRefuses(const net::Connection& c) const {
  if (!config_.protected_mode || DefaultUserHasPassword() || c.unix_socket()) return false;
  // The peer is "ip:port"; Redis compares the address text with exactly these two.
  const std::string& peer = c.peer();
  const std::string_view ip = std::string_view(peer).substr(0, peer.rfind(':'));
  return ip != "127.0.0.1" && ip != "::1";
}

bool Server::OnOpen(net::Connection& c) {
  // The link to our primary (replication.cc adopts its socket): a client with every right.
  if (repl_->master.get() == &c) {
    auto session = std::make_unique<Session>(this, &c);
    session->client.id = c.id();
    session->client.created_ms = UnixTimeMs();
    session->client.last_interaction_ms = session->client.created_ms;
    session->client.is_master = true;
    session->client.user = nullptr;
    session->client.authenticated = true;
    c.parser().set_authenticated(true);
    c.set_state(std::move(session));
    clients_.emplace(c.id(), c.shared_from_this());
    return true;
  }
  // Refused clients are not counted as received connections (Redis counts them in
  // rejected_connections only).
  if (static_cast<int64_t>(clients_.size()) >= config_.maxclients) {
    ++stats_.rejected_connections;
    c.reply().Error(protocol::kErrMaxClients);
    return false;
  }
  if (ProtectedModeRefuses(c)) {
    ++stats_.rejected_connections;
    c.reply().Error(protocol::kErrProtectedMode);
    return false;
  }
  ++stats_.total_connections_received;
  auto session = std::make_unique<Session>(this, &c);
  session->client.id = c.id();
  session->client.created_ms = UnixTimeMs();
  session->client.last_interaction_ms = session->client.created_ms;
  // Every connection starts as the default user, authenticated iff it needs no password (Redis
  // createClient).
  const cmd::Acl& acl = dispatcher_.acl();
  session->client.user = acl.default_user();
  session->client.authenticated = acl.default_user()->nopass() && acl.default_user()->enabled();
  c.parser().set_authenticated(!dispatcher_.AuthRequired(session->client));
  c.set_state(std::move(session));
  clients_.emplace(c.id(), c.shared_from_this());
  return true;
}

void Server::OnRequest(net::Connection& c, std::span<const std::string_view> argv) {
  HandleRequest(c, argv);
}

void Server::HandleRequest(net::Connection& c, std::span<const std::string_view> argv) {
  auto* s = static_cast<Session*>(c.state());
  if (s->client.is_master) {
    ReplApplyFromMaster(*s, c, argv);
    return;
  }
  const int64_t repl_offset = repl_->offset;
  // CLIENT REPLY OFF/SKIP: the command runs, its reply is dropped (messages pushed by other
  // clients' commands are not affected). The mode after the command decides, as Redis checks
  // its flags when the reply is added: CLIENT REPLY ON answers +OK even from OFF or SKIP, and
  // OFF and SKIP have no reply of their own.
  using ReplyMode = cmd::Client::ReplyMode;
  if (s->client.reply_mode == ReplyMode::kSkipNext) s->client.reply_mode = ReplyMode::kSkip;
  const size_t reply_start = c.reply().size();
  dispatcher_.Execute(s->client, argv, c.reply());
  // WAIT waits for the replicas to acknowledge this client's last write (Redis c->woff).
  if (repl_->offset != repl_offset) s->client.woff = repl_->offset;
  if (s->client.reply_mode != ReplyMode::kOn) {
    c.reply().buffer().resize(reply_start);
    if (s->client.reply_mode == ReplyMode::kSkip) s->client.reply_mode = ReplyMode::kOn;
  }
  // Invalidations of keys this client's own command changed follow its reply (and are not
  // replies: CLIENT REPLY OFF does not drop them).
  cmd::Tracking& tracking = dispatcher_.tracking();
  tracking.FlushPending(s->client);
  tracking.set_current(nullptr);
  // The peak after each command, before the eviction that runs before the next one (Redis 7
  // call()): the cron alone would miss what a pipeline allocates and frees between two ticks.
  const size_t used = mem::UsedMemory();
  if (used > stats_.used_memory_peak) stats_.used_memory_peak = used;
  // The command's clock (Dispatcher::Execute), unless a busy script froze it.
  s->client.last_interaction_ms =
      dispatcher_.scripting().busy() ? UnixTimeMs() : keyspace_.now_ms();
  c.parser().set_authenticated(!dispatcher_.AuthRequired(s->client));
  if (s->client.close_after_reply) c.CloseAfterReply();
  // A client whose own buffers are a good share of the client budget may have pushed the total
  // over it: check now rather than at the next cron run.
  const size_t client_limit = config_.ClientEvictionLimit();
  if (client_limit > 0 && ClientMemory(c) > client_limit / 8) {
    EvictClientsIfNeeded();
  }
}

void Server::OnBatchEnd(net::Connection& c) {
  // Its replies go out with the rest of the turn's output (Run).
  if (c.reply().size() > 0) QueueOutput(c);
  ArmBlockTimer();
}

void Server::OnClose(net::Connection& c) {
  // A closed client leaves nothing behind: watched keys, subscriptions, its place in the
  // queues of blocked clients.
  if (auto* s = static_cast<Session*>(c.state())) {
    dispatcher_.ForgetClient(s->client);
    if (s->client.is_replica) ReplForgetReplica(c);
    if (s->client.is_master && repl_->master.get() == &c) {
      // The link to the primary is down: what we have is what a partial resync asks for.
      ReplState& r = *repl_;
      LogNotice("Connection with master lost.");
      LogNotice("Caching the disconnected master state.");
      r.psync_replid = r.replid;
      r.psync_offset = r.offset;
      r.master.reset();
      r.link = r.master_host.empty() ? LinkState::kNone : LinkState::kConnect;
      r.link_down_since_s = UnixTimeMs() / 1000;
    }
  }
  clients_.erase(c.id());
  --sockets_open_;
}

void Server::EvictClientsIfNeeded() {
  const size_t limit = config_.ClientEvictionLimit();
  if (limit == 0) return;
  size_t total = 0;
  std::vector<std::pair<size_t, std::shared_ptr<net::Connection>>> candidates;
  for (auto& [id, c] : clients_) {
    const size_t bytes = ClientMemory(*c);
    total += bytes;
    auto* s = static_cast<Session*>(c->state());
    if (s != nullptr && !s->client.no_evict) candidates.emplace_back(bytes, c);
  }
  if (total <= limit) return;
  // Disconnect the biggest clients first until the total fits (Redis 7 client eviction).
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [bytes, c] : candidates) {
    if (total <= limit) break;
    LogVerbose("Evicting client: id={} addr={} ({} bytes, maxmemory-clients {})", c->id(),
               c->peer(), bytes, limit);
    c->Close();
    total -= bytes;
    ++stats_.evicted_clients;
  }
}

// ---- cron ----------------------------------------------------------------------------------

void Server::StartEvictionProc() {
  if (eviction_proc_running_ || shutting_down_) return;
  eviction_proc_running_ = true;
  asio::post(io_, [this] {
    eviction_proc_running_ = false;
    if (shutting_down_ || keyspace_.options().maxmemory == 0) return;
    // Not in the middle of a script (events are processed from inside a busy one): the cron
    // starts it again.
    if (dispatcher_.scripting().running() || loading_.active) return;
    keyspace_.set_now_ms(UnixTimeMs());  // LFU scores read the command clock
    if (Evict(false) == db::Evictor::Result::kRunning) StartEvictionProc();
  });
}

db::Evictor::Result Server::Evict(bool pending_only) {
  LatencyMonitor& latency = latency_monitor();
  if (!latency.enabled()) return pending_only ? evictor_.RunPending() : evictor_.Perform();
  const int64_t start = MonotonicUs();
  const db::Evictor::Result r = pending_only ? evictor_.RunPending() : evictor_.Perform();
  latency.AddSampleIfNeeded("eviction-cycle", (MonotonicUs() - start) / 1000, UnixTimeMs() / 1000);
  return r;
}

void Server::ScheduleCron() {
  cron_timer_.expires_after(std::chrono::milliseconds(1000 / config_.hz));
  cron_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || shutting_down_) return;
    // While a busy script lets the loop serve clients, the cron's work (expiry, eviction, save
    // points) waits for the script to end: the script must see a keyspace only it changes.
    // The same while the dataset loads (clients are answered between chunks of the file).
    if (!dispatcher_.scripting().running() && !loading_.active) Cron();
    ScheduleCron();
  });
}

void Server::Cron() {
  SyncWallClock();  // commands derive their clock from the monotonic one (Dispatcher::Execute)
  const int64_t now = UnixTimeMs();
  keyspace_.UpdateLruClock(now);
  keyspace_.set_now_ms(now);
  // Keyspace slots the lazy-free thread freed go back to their pages (and emptied pages to the
  // kernel) even when no command allocates one.
  mem::KeyspaceSlabs().Collect();
  const size_t used = mem::UsedMemory();
  if (used > stats_.used_memory_peak) stats_.used_memory_peak = used;
  SampleStats(now);
  ClientsCron(now);
  if (dispatcher_.tracking().total_keys() > 0) dispatcher_.tracking().LimitKeys();
  EvictClientsIfNeeded();
  // While CLIENT PAUSE holds writes back, neither expiry nor eviction deletes anything (a
  // replica or the AOF would see deletions the clients were promised would not happen).
  const bool writes_paused = dispatcher_.CheckPause(now) != 0;
  // Eviction that ran out of time continues in the eviction proc; this is a backstop.
  if (!writes_paused && keyspace_.options().maxmemory > 0 &&
      !(IsReplica() && config_.replica_ignore_maxmemory) &&
      Evict(true) == db::Evictor::Result::kRunning) {
    StartEvictionProc();
  }
  // A replica's keys expire when its primary deletes them.
  if (!writes_paused && !IsReplica()) {
    const int64_t expire_start = latency_monitor().enabled() ? MonotonicUs() : 0;
    expire_cycle_.Run(keyspace_, static_cast<int>(config_.hz));
    if (expire_start != 0) {
      latency_monitor().AddSampleIfNeeded("expire-cycle", (MonotonicUs() - expire_start) / 1000,
                                          now / 1000);
    }
  }
  CheckSavePoints(now);
  AofCron(now);
  ReplCron(now);
  // Active defragmentation: its own CPU budget (active-defrag-cycle-min/max percent of a
  // second), resuming its cursor each turn (db/defrag.h).
  {
    const int64_t defrag_start = latency_monitor().enabled() ? MonotonicUs() : 0;
    active_defrag_.Run(keyspace_, static_cast<int>(config_.hz));
    if (defrag_start != 0) {
      latency_monitor().AddSampleIfNeeded("active-defrag-cycle",
                                          (MonotonicUs() - defrag_start) / 1000, now / 1000);
    }
  }
  // Install zstd dictionaries the trainer thread finished (value_compression.h).
  keyspace_.compressor().Poll();
  if (keyspace_.compressor().recompressing()) {
    keyspace_.compressor().RecompressStep(keyspace_, db::ValueCompressor::kRecompressBudgetUs);
  }
  // Finish table resizes in the background: shrink tables that emptied, and give rehashing
  // 1 ms per run (Redis databasesCron with activerehashing).
  for (int i = 0; i < keyspace_.num_dbs(); ++i) {
    db::Db& d = keyspace_.db(i);
    d.keys().ShrinkIfNeeded();
  }
  if (config_.activerehashing) {
    int64_t budget_us = 1000;
    for (int i = 0; i < keyspace_.num_dbs() && budget_us > 0; ++i) {
      db::Db& d = keyspace_.db(i);
      const int64_t start = MonotonicUs();
      if (d.keys().IsRehashing()) d.keys().RehashForMicros(budget_us);
      budget_us -= MonotonicUs() - start;
    }
  }
}

void Server::SampleStats(int64_t now_ms) {
  auto& s = stats_.samples[stats_.sample_index % ServerStats::kSamples];
  const auto& prev =
      stats_.samples[(stats_.sample_index + ServerStats::kSamples - 1) % ServerStats::kSamples];
  s.commands = dispatcher_.total_commands();
  s.net_in = net_stats_.input_bytes;
  s.net_out = net_stats_.output_bytes;
  s.time_ms = now_ms;
  ++stats_.sample_index;
  if (prev.time_ms == 0 || now_ms <= prev.time_ms) return;
  // Average of the per-interval rates over the last kSamples intervals, as Redis does.
  double ops = 0;
  double in = 0;
  double out = 0;
  int n = 0;
  for (int i = 1; i < ServerStats::kSamples && i < stats_.sample_index; ++i) {
    const auto& a = stats_.samples[(stats_.sample_index - i - 1 + 2 * ServerStats::kSamples) %
                                   ServerStats::kSamples];
    const auto& b =
        stats_
            .samples[(stats_.sample_index - i + 2 * ServerStats::kSamples) % ServerStats::kSamples];
    const double dt = static_cast<double>(b.time_ms - a.time_ms) / 1000.0;
    if (a.time_ms == 0 || dt <= 0) continue;
    ops += static_cast<double>(b.commands - a.commands) / dt;
    in += static_cast<double>(b.net_in - a.net_in) / dt / 1024.0;
    out += static_cast<double>(b.net_out - a.net_out) / dt / 1024.0;
    ++n;
  }
  if (n > 0) {
    stats_.ops_per_sec = ops / n;
    stats_.input_kbps = in / n;
    stats_.output_kbps = out / n;
  }
}

void Server::ClientsCron(int64_t now_ms) {
  if (clients_.empty()) return;
  // Visit a slice of the clients per run so that the cron stays short with many clients, each
  // of them about once a second (Redis clientsCron: numclients / hz, at least 5).
  size_t per_run = clients_.size() / static_cast<size_t>(config_.hz);
  if (per_run < 5) per_run = 5;
  if (per_run > clients_.size()) per_run = clients_.size();
  std::vector<std::shared_ptr<net::Connection>> expired;
  auto it = clients_.lower_bound(cron_client_cursor_);
  for (size_t n = 0; n < per_run; ++n) {
    if (it == clients_.end()) it = clients_.begin();
    net::Connection& c = *it->second;
    auto* s = static_cast<Session*>(c.state());
    // Blocked clients wait for their own timeout and subscribers wait for messages: the idle
    // timeout is not for them (Redis clientsCronHandleTimeout).
    if (s != nullptr && config_.timeout > 0 && !s->client.blocked.active && !s->client.subs.any() &&
        !s->client.is_master && !s->client.is_replica &&
        now_ms - s->client.last_interaction_ms > config_.timeout * 1000) {
      expired.push_back(it->second);
    } else {
      // Give back what one big command left behind (argument tables, output buffer).
      c.ShrinkIdleBuffers();
    }
    cron_client_cursor_ = it->first + 1;
    ++it;
  }
  for (auto& c : expired) {
    LogVerbose("Closing idle client id={}", c->id());
    c->Close();
  }
}

// ---- clients -------------------------------------------------------------------------------

std::string Server::FormatClient(net::Connection& c, const Session& s, int64_t now_ms) {
  const cmd::Client& cl = s.client;
  // Redis's letters in its order; "N" only when no flag is set.
  std::string flags;
  if (cl.is_replica) flags += 'S';
  if (cl.is_master) flags += 'M';
  if (cl.monitor) flags += 'O';
  if (cl.subs.any()) flags += 'P';
  if (cl.multi.active) flags += 'x';
  if (cl.blocked.active) flags += 'b';
  if (cl.tracking.on) flags += 't';
  if (cl.tracking.broken_redirect) flags += 'R';
  if (cl.tracking.bcast) flags += 'B';
  if (cl.watch_touched) flags += 'd';
  if (cl.close_after_reply) flags += 'c';
  if (cl.cluster_readonly) flags += 'r';
  if (cl.no_evict) flags += 'e';
  if (flags.empty()) flags = "N";
  const size_t obl = c.output_pending();
  const int64_t multi = cl.multi.active ? static_cast<int64_t>(cl.multi.size()) : -1;
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp={} obl={} oll=0 omem={} "
      "tot-mem={} events=r{} cmd={} user={} redir={} resp={} lib-name={} lib-ver={}",
      cl.id, c.peer(), c.local(), c.fd(), cl.name, (now_ms - cl.created_ms) / 1000,
      (now_ms - cl.last_interaction_ms) / 1000, flags, cl.db, cl.subs.channels.size(),
      cl.subs.patterns.size(), cl.subs.shard_channels.size(), multi, c.query_buffer_used(),
      c.query_buffer_free(), cl.MultiBytes(), c.output_memory(), obl, obl, c.output_memory(),
      ClientMemory(c), c.writing() ? "w" : "", cl.last_command, UserName(cl),
      cl.tracking.on ? static_cast<int64_t>(cl.tracking.redirect) : int64_t{-1}, c.reply().resp(),
      cl.lib_name, cl.lib_ver);
}

bool Server::MatchesFilter(net::Connection& c, const Session& s, const cmd::ClientFilter& f) {
  if (!f.ids.empty()) {
    bool found = false;
    for (uint64_t id : f.ids) found = found || id == s.client.id;
    if (!found) return false;
  }
  if (f.type) {
    const std::string type = s.client.is_master    ? "master"
                             : s.client.is_replica ? "replica"
                             : s.client.subs.any()  ? "pubsub"
                                                    : "normal";
    if (*f.type != type) return false;
  }
  if (f.addr && *f.addr != c.peer()) return false;
  if (f.laddr && *f.laddr != c.local()) return false;
  if (f.user && *f.user != UserName(s.client)) return false;
  return true;
}

std::vector<std::string> Server::ClientLines(const cmd::ClientFilter& filter) {
  std::vector<std::string> lines;
  const int64_t now = UnixTimeMs();
  for (auto& [id, c] : clients_) {
    auto* s = static_cast<Session*>(c->state());
    if (s == nullptr || !MatchesFilter(*c, *s, filter)) continue;
    lines.push_back(FormatClient(*c, *s, now));
  }
  return lines;
}

std::string Server::ClientLine(const cmd::Client& self) {
  auto it = clients_.find(self.id);
  if (it == clients_.end()) {
    // In-process callers (tests) have no connection.
    return fmt::format("id={} addr= laddr= fd=-1 name={} db={} cmd={} user={} resp=2", self.id,
                       self.name, self.db, self.last_command, UserName(self));
  }
  return FormatClient(*it->second, *static_cast<Session*>(it->second->state()), UnixTimeMs());
}

size_t Server::KillClients(const cmd::ClientFilter& filter, cmd::Client& self) {
  std::vector<std::shared_ptr<net::Connection>> victims;
  for (auto& [id, c] : clients_) {
    auto* s = static_cast<Session*>(c->state());
    if (s == nullptr || !MatchesFilter(*c, *s, filter)) continue;
    if (filter.skip_me && id == self.id) continue;
    victims.push_back(c);
  }
  for (auto& c : victims) {
    if (c->id() == self.id) {
      self.close_after_reply = true;  // after the reply to this very command
    } else {
      c->Close();
    }
  }
  return victims.size();
}

void Server::DisconnectClients(FunctionRef<bool(const cmd::Client&)> which, cmd::Client& self) {
  // As Redis ACLFreeUserAndKillClients: back to the default user, unauthenticated, then
  // closed (the caller after its reply).
  auto reset = [this](cmd::Client& c) {
    c.user = dispatcher_.acl().default_user();
    c.authenticated = false;
  };
  if (which(self)) {
    reset(self);
    self.close_after_reply = true;
  }
  std::vector<std::shared_ptr<net::Connection>> victims;
  for (auto& [id, c] : clients_) {
    auto* s = static_cast<Session*>(c->state());
    if (s == nullptr || id == self.id || !which(s->client)) continue;
    reset(s->client);
    victims.push_back(c);
  }
  for (auto& c : victims) c->Close();
}

cmd::Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return nullptr;
  auto* s = static_cast<Session*>(it->second->state());
  return s == nullptr ? nullptr : &s->client;
}

size_t Server::ClientMemory(const net::Connection& c) {
  // std::make_shared puts the object after a 16-byte control block (vtable pointer and two
  // counts) in one allocation; a std::map node is 32 bytes of tree links before its value.
  constexpr size_t kSharedControlBlock = 16;
  constexpr size_t kMapNodeHeader = 32;
  using ClientsNode = decltype(clients_)::value_type;
  size_t total = 0;
  auto add = [&total](size_t bytes) { total += mem::SizeClass(bytes); };
  add(kSharedControlBlock + sizeof(net::Connection));
  add(kMapNodeHeader + sizeof(ClientsNode));
  if (const size_t n = net::Connection::SocketStateBytes()) add(n);
  c.ForEachAllocation(add);
  if (const auto* s = static_cast<const Session*>(c.state())) {
    add(sizeof(Session));
    for (const std::string* str :
         {&s->client.name, &s->client.lib_name, &s->client.lib_ver, &s->client.last_command}) {
      if (const size_t n = StringHeapRequest(*str)) add(n);
    }
    s->client.ForEachTransactionAllocation(add);
    s->client.ForEachStateAllocation(add);
    if (s->replica) {
      // A replica's record, and the stream kept for it while its sync runs.
      add(sizeof(ReplicaLink));
      for (const std::string* str : {&s->replica->announced_ip, &s->replica->pending,
                                     &s->replica->file_path}) {
        if (const size_t n = StringHeapRequest(*str)) add(n);
      }
    }
  }
  return total;
}

size_t Server::ClientsMemory() {
  size_t total = 0;
  for (auto& [id, c] : clients_) total += ClientMemory(*c);
  // asio keeps the per-socket state of closed connections for reuse and never frees it: as many
  // as were ever open at once, beyond those open now. That is memory kept for clients too.
  if (const size_t state = net::Connection::SocketStateBytes()) {
    total += (sockets_peak_ - sockets_open_) * mem::SizeClass(state);
  }
  // OpenSSL's state of the TLS clients: what it holds beyond what it held at start-up (the
  // library and the first context are part of used_memory_startup).
  const size_t tls = TlsAllocatedBytes();
  if (tls > tls_allocated_startup_) total += tls - tls_allocated_startup_;
  return total;
}

// ---- shutdown, debug -----------------------------------------------------------------------

Status Server::Shutdown(const cmd::ShutdownOptions& options) {
  // NOW has nothing to skip: no replicas exist to wait for.
  LogWarning("User requested shutdown...");
  if (loading_.active) {
    // As Redis: a half-loaded dataset is never saved (it would replace the file being read),
    // and the AOF is not open yet.
    LogWarning("Shutdown during loading: exiting without saving.");
    asio::post(io_, [this] { StopAll(); });
    return Status::Ok();
  }
  if (!AofBeforeShutdown(options.force)) {
    return Status::Error(std::string(protocol::kErrShutdownSave));
  }
  const bool save = options.save || (!options.nosave && !config_.SavePoints().empty());
  if (save) {
    Status saved = SaveBeforeShutdown();
    if (!saved.ok()) {
      if (!options.force) {
        LogWarning("Error trying to save the DB, can't exit.");
        return Status::Error(std::string(protocol::kErrShutdownSave));
      }
      LogWarning("Error trying to save the DB. Exit anyway.");
    }
  }
  asio::post(io_, [this] { StopAll(); });
  return Status::Ok();
}

bool Server::AbortShutdown() {
  // A shutdown is never pending: without replicas there is nothing to wait for.
  return false;
}

void Server::WaitForSignals() {
  signals_.async_wait([this](const asio::error_code& ec, int signo) {
    if (ec) return;
    LogWarning("Received {} scheduling shutdown...", signo == SIGINT ? "SIGINT" : "SIGTERM");
    asio::post(io_, [this, signo] {
      if (shutting_down_) return;
      if (!Shutdown(cmd::ShutdownOptions{}).ok()) {
        // As Redis: a shutdown whose final save failed does not happen; the server goes on.
        LogWarning(
            "{} received but errors trying to shut down the server, check the logs for "
            "more information",
            signo == SIGINT ? "SIGINT" : "SIGTERM");
        WaitForSignals();
      }
    });
  });
}

bool Server::DebugAllowed(const cmd::Client& self) const {
  if (config_.enable_debug_command == "yes") return true;
  if (config_.enable_debug_command != "local") return false;
  auto it = clients_.find(self.id);
  if (it == clients_.end()) return true;  // in-process
  const std::string& peer = it->second->peer();
  return it->second->unix_socket() || peer.rfind("127.", 0) == 0 || peer.rfind("::1:", 0) == 0;
}

bool Server::ProcessEventsWhileBusy() {
  if (shutting_down_) return false;
  // Bounded: the script resumes after at most this many handlers (Redis processes the events
  // ready at that moment, once per hook call).
  constexpr int kMaxHandlers = 1000;
  for (int i = 0; i < kMaxHandlers && !shutting_down_ && io_.poll_one() > 0; ++i) {
  }
  WriteTurnOutput();
  return !shutting_down_;
}

void Server::Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}

// ---- CONFIG --------------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> Server::ConfigGet(
    std::span<const std::string_view> patterns) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ConfigParam& p : ConfigTable()) {
    for (std::string_view pat : patterns) {
      // Aliases match only when named exactly, as in Redis.
      if (GlobMatch(pat, p.name, true)) {
        out.emplace_back(std::string(p.name), p.get(config_));
        break;
      }
      if (!p.alias.empty() && EqualsIgnoreCase(pat, p.alias)) {
        out.emplace_back(std::string(p.alias), p.get(config_));
        break;
      }
    }
  }
  return out;
}

Status Server::ConfigSet(std::span<const std::string_view> pairs) {
  const ServerConfig old = config_;
  std::vector<const ConfigParam*> seen;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const ConfigParam* p = FindConfigParam(pairs[i]);
    if (p == nullptr) {
      config_ = old;
      return Status::Error(
          fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'", pairs[i]));
    }
    for (const ConfigParam* q : seen) {
      if (q == p) {
        config_ = old;
        return Status::Error(fmt::format(
            "ERR CONFIG SET failed (possibly related to argument '{}') - duplicate parameter",
            pairs[i]));
      }
    }
    seen.push_back(p);
    if (p->flags & kImmutable) {
      config_ = old;
      return Status::Error(fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - can't set immutable "
          "config",
          pairs[i]));
    }
    Status s = p->set(config_, pairs[i + 1]);
    if (!s.ok()) {
      config_ = old;
      return Status::Error(fmt::format(
          "ERR CONFIG SET failed (possibly related to argument '{}') - {}", pairs[i], s.message()));
    }
  }
  Status applied = ApplyConfig(old);
  if (!applied.ok()) {
    config_ = old;
    ApplyConfig(config_);
    return applied;
  }
  return Status::Ok();
}

Status Server::ApplyConfig(const ServerConfig& old) {
  // TLS first: a context that cannot be made changes nothing (Redis applyTlsCfg).
  std::string_view tls_changed;
  for (const ConfigParam& p : ConfigTable()) {
    if (p.name.starts_with("tls-") && p.get(config_) != p.get(old)) {
      tls_changed = p.name;
      break;
    }
  }
  if (!tls_changed.empty()) {
    if (config_.tls_port > 0) {
      Result<std::shared_ptr<net::TlsContext>> tls = MakeTlsContext(config_);
      if (!tls.ok()) {
        LogWarning("{}", tls.status().message());
        LogWarning(
            "Failed applying new configuration. Possibly related to new {} setting. Restoring "
            "previous settings.",
            tls_changed);
        return Status::Error(
            fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - Unable to "
                        "update TLS configuration. Check server logs.",
                        tls_changed));
      }
      tls_context_ = std::move(*tls);
    } else {
      tls_context_.reset();  // clients accepted with it keep it
    }
  }
  if (config_.port != old.port || config_.bind != old.bind || config_.tls_port != old.tls_port) {
    const char* culprit = config_.port != old.port           ? "port"
                          : config_.tls_port != old.tls_port ? "tls-port"
                                                             : "bind";
    // The old listener must let go of its port first when only the bind list changes. It owns
    // the unix socket too, so the new one opens that again (accepted clients stay connected).
    if (listener_) listener_->Close();
    auto fresh = MakeListener();
    Status s = fresh->Open(ListenOptionsFor(config_));
    if (!s.ok()) {
      LogWarning("{}", s.message());
      // Reopen what we had.
      config_.port = old.port;
      config_.bind = old.bind;
      config_.tls_port = old.tls_port;
      if (listener_) listener_->Open(ListenOptionsFor(config_));
      return Status::Error(
          fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - Unable to "
                      "listen on this port. Check server logs.",
                      culprit));
    }
    listener_ = std::move(fresh);
  }
  if (config_.dir != old.dir) {
    // The working directory, as Redis's dir: chdir now, and keep the absolute path.
    if (::chdir(config_.dir.c_str()) != 0) {
      const std::string reason = std::strerror(errno);
      config_.dir = old.dir;
      return Status::Error(
          fmt::format("ERR CONFIG SET failed (possibly related to argument 'dir') - {}", reason));
    }
    if (char* cwd = ::getcwd(nullptr, 0)) {
      config_.dir = cwd;
      std::free(cwd);
    }
  }
  if (config_.appendonly != old.appendonly) {
    // As Redis: yes starts a rewrite that makes the AOF; no stops appending.
    if (config_.appendonly) {
      Status s = StartAppendOnly();
      if (!s.ok()) {
        LogWarning("{}", s.message());
        config_.appendonly = false;
        return Status::Error(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn "
            "on AOF. Check server logs.");
      }
    } else {
      StopAppendOnly();
    }
  }
  if (listener_) listener_->set_keepalive(static_cast<int>(config_.tcp_keepalive));
  SetLogLevel(config_.loglevel);
  if (config_.db.maxmemory_policy != old.db.maxmemory_policy) evictor_.ClearPool();
  if (config_.db.maxmemory != 0 && config_.db.maxmemory < mem::UsedMemory() &&
      config_.db.maxmemory != old.db.maxmemory) {
    LogWarning(
        "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the "
        "current memory usage ({}). This will result in key eviction and/or the "
        "inability to accept new write commands depending on the maxmemory-policy.",
        config_.db.maxmemory, mem::UsedMemory());
  }
  keyspace_.options() = config_.db;
  // requirepass is the default user's password (Redis updateRequirePass).
  if (config_.requirepass != old.requirepass) {
    dispatcher_.acl().SetDefaultPassword(config_.requirepass);
  }
  dispatcher_.acl().set_pubsub_default_all(config_.acl_pubsub_default_all);
  dispatcher_.acl().set_log_max_len(static_cast<size_t>(config_.acllog_max_len));
  keyspace_.changes().set_notify_classes(config_.notify_keyspace_events);
  // A lower limit takes effect now, not at the next command (Redis updateMaxmemory).
  if (config_.db.maxmemory != 0 && config_.db.maxmemory != old.db.maxmemory) StartEvictionProc();
  ApplyLimits();
  // A new client budget applies at once to clients already over it (Redis evicts clients on
  // every loop iteration).
  if (config_.ClientEvictionLimit() != old.ClientEvictionLimit()) EvictClientsIfNeeded();
  if (config_.jemalloc_bg_thread != old.jemalloc_bg_thread) {
    mem::SetBackgroundThread(config_.jemalloc_bg_thread);
  }
  return Status::Ok();
}

Status Server::ConfigRewrite() {
  if (config_file_.empty()) return Status::Error("ERR The server is running without a config file");
  // Users are rewritten as `user` lines unless they live in an ACL file (Redis
  // rewriteConfigUserOption).
  std::vector<std::string> user_lines;
  if (config_.aclfile.empty()) {
    const cmd::Acl& acl = dispatcher_.acl();
    for (const auto& [name, u] : acl.users()) {
      user_lines.push_back("user " + name + " " + acl.Describe(*u));
    }
  }
  Status s = RewriteConfigFile(config_file_, config_, user_lines);
  if (!s.ok()) return Status::Error("ERR " + s.message());
  LogNotice("CONFIG REWRITE executed with success.");
  return Status::Ok();
}

void Server::ResetStats() {
  dispatcher_.ResetStats();
  keyspace_.stats() = db::Stats{};
  keyspace_.lazyfree().ResetStats();
  stats_.total_connections_received = 0;
  stats_.rejected_connections = 0;
  stats_.evicted_clients = 0;
  evictor_.ResetStats();
  active_defrag_.ResetStats();
  stats_.used_memory_peak = mem::UsedMemory();
  net_stats_ = net::NetStats{};
}

}  // namespace mnemo::server

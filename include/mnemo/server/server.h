// server.h: the server: one event loop, the keyspace, the dispatcher, the clients, the cron
// (layer: server).
//
// Server implements the two interfaces the lower layers declare: net::ConnectionHandler (a
// connection hands it requests) and cmd::ServerApi (commands ask it for INFO, CONFIG, CLIENT
// and SHUTDOWN). Everything runs on one asio io_context on one thread; the only other threads
// are the lazy-free thread (db) and jemalloc's purging thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "mnemo/cmd/dispatcher.h"
#include "mnemo/cmd/server_api.h"
#include "mnemo/db/db.h"
#include "mnemo/db/defrag.h"
#include "mnemo/db/evict.h"
#include "mnemo/db/expire.h"
#include "mnemo/net/connection.h"
#include "mnemo/net/listener.h"
#include "mnemo/net/tls.h"
#include "mnemo/persist/aof.h"
#include "mnemo/persist/snapshot.h"
#include "mnemo/server/config.h"

namespace mnemo::server {

// Counters of the server as a whole (INFO stats).
struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t evicted_clients = 0;
  size_t used_memory_peak = 0;
  int64_t start_time_ms = 0;
  // Samples for instantaneous_ops_per_sec and the kbps figures: one per cron run, 16 kept.
  static constexpr int kSamples = 16;
  struct Sample {
    uint64_t commands = 0;
    uint64_t net_in = 0;
    uint64_t net_out = 0;
    int64_t time_ms = 0;
  };
  Sample samples[kSamples];
  int sample_index = 0;
  double ops_per_sec = 0;
  double input_kbps = 0;
  double output_kbps = 0;
};

// What INFO persistence reports about RDB files (Redis's field names in comments).
struct PersistenceStats {
  int64_t lastsave_s = 0;       // rdb_last_save_time, LASTSAVE: the start time before any
  int64_t last_save_try_s = 0;  // the last automatic save attempt (retry delay after errors)
  bool last_save_ok = true;     // rdb_last_bgsave_status
  int64_t last_save_duration_ms = -1;
  uint64_t dirty_at_last_save = 0;      // rdb_changes_since_last_save = dirty - this
  uint64_t saves = 0;                   // rdb_saves
  uint64_t last_load_keys_loaded = 0;   // rdb_last_load_keys_loaded
  uint64_t last_load_keys_expired = 0;  // rdb_last_load_keys_expired
  // ---- BGSAVE ----
  bool bgsave_scheduled = false;    // BGSAVE inside EXEC: started by the next cron run
  int64_t last_bgsave_time_s = -1;  // rdb_last_bgsave_time_sec
  uint64_t last_cow_size = 0;       // rdb_last_cow_size: the last snapshot's peak buffer
  uint64_t last_cow_keys = 0;       // rdb_last_cow_keys: keys it wrote before they changed
};

class Server final : public cmd::ServerApi, public net::ConnectionHandler {
 public:
  // `config_file` is the path given on the command line ("" if none; CONFIG REWRITE needs one).
  Server(ServerConfig config, std::string config_file);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() override;

  // Opens the listeners, starts the cron and the signal handlers. After this, used_memory is
  // recorded as used_memory_startup.
  Status Start();
  // Runs the event loop until shutdown.
  void Run();

  db::Keyspace& keyspace() { return keyspace_; }
  cmd::Dispatcher& dispatcher() { return dispatcher_; }
  const ServerConfig& config() const { return config_; }
  // Whether the users could be set up (requirepass, `user` lines, aclfile); Start() fails
  // with this status otherwise.
  const Status& acl_status() const { return acl_status_; }
  asio::io_context& io() { return io_; }

  // ---- cmd::ServerApi ----
  std::string Info(std::span<const std::string_view> sections) override;
  std::vector<std::pair<std::string, std::string>> ConfigGet(
      std::span<const std::string_view> patterns) override;
  Status ConfigSet(std::span<const std::string_view> name_value_pairs) override;
  Status ConfigRewrite() override;
  void ResetStats() override;
  std::vector<std::string> ClientLines(const cmd::ClientFilter& filter) override;
  std::string ClientLine(const cmd::Client& self) override;
  size_t KillClients(const cmd::ClientFilter& filter, cmd::Client& self) override;
  cmd::Client* FindClient(uint64_t id) override;
  int64_t ProtoMaxBulkLen() const override { return config_.proto_max_bulk_len; }
  void DisconnectClients(FunctionRef<bool(const cmd::Client&)> which, cmd::Client& self) override;
  std::string AclFile() const override { return config_.aclfile; }
  Status Shutdown(const cmd::ShutdownOptions& options) override;
  bool AbortShutdown() override;
  bool DebugAllowed(const cmd::Client& self) const override;
  cmd::MemoryOverview Memory() override;
  std::string MemoryDoctor() override;
  std::vector<cmd::MemoryFinding> MemoryFindings() override;
  void Sleep(double seconds) override;
  Status Save() override;
  Result<std::string> BgSave(bool schedule, bool in_exec) override;
  Result<std::string> BgRewriteAof() override;
  int64_t LastSave() const override { return persistence_.lastsave_s; }
  std::string DumpPayload(const db::Object& o) override;
  Status DecodePayload(int db, std::string_view key, std::string_view payload,
                       db::Object** out) override;
  std::string FunctionsPayload(std::span<const std::string> codes) override;
  Status DecodeFunctionsPayload(std::string_view payload, std::vector<std::string>* codes) override;
  bool ProcessEventsWhileBusy() override;
  Status SaveClusterConfig() override;
  void Replconf(cmd::Client& self, std::span<const std::string_view> argv,
                protocol::ReplyBuilder& reply) override;
  void Psync(cmd::Client& self, std::span<const std::string_view> argv,
             protocol::ReplyBuilder& reply) override;
  void ReplicaOf(cmd::Client& self, std::span<const std::string_view> argv,
                 protocol::ReplyBuilder& reply) override;
  void Role(protocol::ReplyBuilder& reply) override;
  int64_t ReplicasAcknowledged(int64_t offset) override;
  void RequestReplicaAcks() override;
  bool IsReplica() const override;

  const PersistenceStats& persistence() const { return persistence_; }
  // INFO persistence's aof_* fields (Redis's names and order), and mem_aof_buffer.
  std::vector<std::pair<std::string, std::string>> AofInfoFields() const;
  size_t AofBufferBytes() const;
  // The progress of the snapshot in progress, BGSAVE's or BGREWRITEAOF's (zeros when none).
  persist::SnapshotProgress SnapshotProgressNow() const;

  // What the server keeps per connection (src/server/session.h).
  struct Session;

  // ---- net::ConnectionHandler ----
  bool OnOpen(net::Connection& c) override;
  void OnRequest(net::Connection& c, std::span<const std::string_view> argv) override;
  void OnBatchEnd(net::Connection& c) override;
  bool HoldOutput(net::Connection& c) override;
  void OnClose(net::Connection& c) override;

 private:
  // MEMORY DOCTOR's findings that come from sampling the keys (server/memory_advisor.cc).
  void DataFindings(const cmd::MemoryOverview& m, std::vector<cmd::MemoryFinding>* out);

  // Whether the default user needs a password: it is not nopass (requirepass, `>pass` rules,
  // or no password at all after resetpass), as Redis 7.0 decides protected mode. Protected mode
  // and the start-up warning ask only this.
  bool DefaultUserHasPassword() const;
  // Protected mode refuses `c`: protected-mode yes, the default user has no password, and the
  // client came over TCP from an address other than exactly 127.0.0.1 or ::1 (as Redis 7.0).
  bool ProtectedModeRefuses(const net::Connection& c) const;
  // Start-up: warns when a TCP listener is bound beyond loopback while the default user has no
  // password.
  void WarnIfExposed() const;
  // A listener whose accepted sockets become this server's connections.
  std::unique_ptr<net::Listener> MakeListener();
  void ScheduleCron();
  // Output made for a connection, by its own requests, another client's command or a timer:
  // written at the end of the loop turn (Run), once per connection.
  void QueueOutput(net::Connection& c);
  // OnRequest's work.
  void HandleRequest(net::Connection& c, std::span<const std::string_view> argv);
  void FlushPendingOutput();
  // The end of a loop turn (Redis's beforeSleep): BCAST invalidations, GETACK, then
  // WriteTurnOutput.
  void EndTurn();
  // The replication stream, then the replies (also while a busy script lets clients in).
  void WriteTurnOutput();
  // Sends the queued output of every connection in *list, which is emptied first (sending may
  // add to it again), clearing each one's `flag` in its session (null: none).
  void SendOutputOf(std::vector<std::shared_ptr<net::Connection>>* list, bool Session::*flag);
  // How a snapshot's walk (BGSAVE, BGREWRITEAOF, a replica's sync) shares the loop with the
  // clients. It runs in slices of kSnapshotSliceUs. After a slice during which clients ran
  // commands, the next one waits kSnapshotPauseUs on a timer: the walk takes at most about half
  // of the thread while clients are busy, and the thread sleeps in epoll_wait when their work is
  // done, so that the kernel wakes it at once for the next request (a thread that never sleeps is
  // the first one the scheduler preempts, and a request then waits for a whole time slice of
  // another process). Without clients the next slice is posted at once, behind the input the
  // loop finds when it polls next (PostBehindNextPoll). While the walk is throttled (its
  // output is behind) or finishing, it looks again after kSnapshotWaitUs.
  static constexpr int64_t kSnapshotSliceUs = 500;
  static constexpr int64_t kSnapshotPauseUs = 500;
  static constexpr int64_t kSnapshotWaitUs = 1000;
  // Schedules `run`, the next slice of snapshot `s`, on `timer` or as a posted handler (above);
  // `cancelled` runs instead when the timer is cancelled.
  template <typename Run, typename Cancelled>
  void ScheduleSnapshotSlice(const persist::Snapshot& s, asio::steady_timer& timer, Run run,
                             Cancelled cancelled) {
    const int64_t delay_us = SnapshotSliceDelayUs(s);
    if (delay_us == 0) {
      PostBehindNextPoll(std::move(run));
      return;
    }
    timer.expires_after(std::chrono::microseconds(delay_us));
    timer.async_wait([run = std::move(run),
                      cancelled = std::move(cancelled)](const asio::error_code& ec) mutable {
      if (ec) {
        cancelled();
        return;
      }
      run();
    });
  }
  // The wait before the next slice of `s`: 0, kSnapshotPauseUs or kSnapshotWaitUs (above).
  int64_t SnapshotSliceDelayUs(const persist::Snapshot& s);
  // Posts `fn` to run after the events the loop finds when it polls next (and their handlers).
  // asio queues what a poll finds behind what was posted before the poll, so a handler posted
  // plainly runs before the input that arrives meanwhile. Posting a handler that posts `fn` puts
  // the poll first (one more epoll_wait). Used for a snapshot's next slice (a request that arrived
  // during a slice would otherwise wait for the next one too) and for the AOF's flush (the
  // requests that the poll finds join the same write and fdatasync).
  template <typename Fn>
  void PostBehindNextPoll(Fn fn) {
    asio::post(io_, [this, fn = std::move(fn)]() mutable { asio::post(io_, std::move(fn)); });
  }
  void QueueClose(net::Connection& c);
  // Arms the timer of blocked clients' deadlines for the earliest one (millisecond resolution).
  void ArmBlockTimer();
  // Continues eviction that ran out of its time budget (Perform returned kRunning) on the event
  // loop, one budget per turn between other events, until memory is within maxmemory or nothing
  // can be evicted (Redis evictionTimeProc). Without it an idle server would only get one
  // budget (500 us) per cron tick (100 ms) and stay over the limit for a long time.
  void StartEvictionProc();
  // Runs key eviction (only eviction left unfinished with `pending_only`) and records a round
  // that took long as the latency monitor's "eviction-cycle" event.
  db::Evictor::Result Evict(bool pending_only);
  LatencyMonitor& latency_monitor() { return dispatcher_.latency_monitor(); }
  void Cron();
  void SampleStats(int64_t now_ms);
  // A slice of the clients per run: idle timeouts, and buffers an idle client no longer needs.
  void ClientsCron(int64_t now_ms);
  // maxmemory-clients: disconnects the clients with the most buffer memory (except those with
  // CLIENT NO-EVICT on) while the clients' total is above the limit.
  void EvictClientsIfNeeded();
  // Sets up the users: requirepass, `user` lines of the config, the ACL file. Returns the
  // reason the server cannot start, if any (Start() reports it).
  Status LoadUsers();
  // Applies what changed between `old` and the current config (log level, limits, port...).
  Status ApplyConfig(const ServerConfig& old);
  void ApplyLimits();
  void StopAll();
  // ---- persistence (server/persistence.cc) ----
  // Loads the RDB file, if there is one, into the empty keyspace (before clients are served).
  Status LoadDataFromDisk();
  // Cluster mode (server/cluster.cc): reads or creates the nodes file and locks it, makes the
  // node's id, counts keys per slot. Before the data is loaded.
  Status ClusterInit();
  // The announced address of the node, from the config (at start and after CONFIG SET).
  void RefreshClusterNode();
  // Refuses data outside database 0 in cluster mode, after the load (as Redis).
  Status VerifyClusterData();
  int cluster_config_fd_ = -1;
  // Writes the RDB file now, synchronously, and updates the statistics. Logs the outcome.
  Status SaveRdb();
  // The save points and a scheduled BGSAVE: a background save when one is due (cron).
  void CheckSavePoints(int64_t now_ms);
  // Starts the fork-less snapshot (persist::Snapshot) and its steps on the event loop.
  Status StartBgsave();
  // Runs the snapshot's next slice, posted between other events (or on a 1 ms timer while the
  // disk is behind or the file is being finished).
  void ScheduleBgsaveStep();
  void BgsaveStep();
  // The snapshot ended (successfully or not): statistics, log.
  void FinishBgsave();
  // Stops a snapshot in progress (SHUTDOWN, FLUSHALL, the server's end); its file goes.
  void AbortBgsave();
  // The snapshot saved before exiting (Redis prepareForShutdown). REQUIRES: the event loop.
  // Writes the RDB file synchronously (SaveRdb); the error when it fails.
  Status SaveBeforeShutdown();
  // ---- replication (server/replication.cc) ----
  struct ReplState;
  friend struct ReplState;
  // At construction: the replication id; `replicaof` from the config is applied by Start.
  void ReplInit();
  void ReplStart();
  // Once per cron run: full syncs due, PINGs and ACKs, timeouts, reconnection, backlog TTL.
  void ReplCron(int64_t now_ms);
  // The propagation sink: one execution unit into the stream (SELECT when the database
  // changes), then ReplFeed.
  void ReplFeedUnit(std::span<const db::PropagatedCommand> unit);
  // Stream bytes into the backlog and to every replica (or its pending buffer while it syncs).
  void ReplFeed(std::string_view bytes);
  // HoldOutput's replication part: true (and the connection is sent after the stream) while
  // this turn's stream has not been written to the online replicas yet.
  bool ReplHoldOutput(net::Connection& c);
  // Writes the turn's stream to the online replicas, then the turn's replies (queued, and held
  // for the stream).
  void ReplFlushStream();
  // Feeds REPLCONF GETACK * to the replicas (a primary only; EndTurn, after RequestReplicaAcks).
  void ReplSendGetack();
  void ReplCreateBacklog();
  // The replication sink is installed while this primary has a backlog.
  void ReplUpdateSink();
  bool ReplSnapshotRunning() const;
  // Starts the snapshot for the replicas waiting for one, when due.
  void ReplMaybeStartSync(int64_t now_ms);
  void ReplScheduleSnapshotStep();
  void ReplFinishSnapshot();
  // A disk sync: sends the file to the replicas that are reading it, a slice at a time.
  void ReplScheduleBulkStep();
  void ReplBulkStep();
  // A replica's sync is over: the stream produced meanwhile follows, and it is online.
  void ReplPutOnline(net::Connection& c);
  // A replica connection closed (OnClose).
  void ReplForgetReplica(net::Connection& c);
  // Unblocks the WAIT clients whose replicas have acknowledged enough.
  void ReplWakeWaiters();
  // -NOREPLICAS / -READONLY / -MASTERDOWN (Dispatcher::ReplicationCheck).
  std::string ReplRefusal(const cmd::Client& c, bool is_write, bool deny_stale);
  int64_t ReplGoodReplicas() const;
  std::string ReplicationInfo();
  // ---- as a replica ----
  // REPLICAOF host port: drops the current link and the replicas, then connects.
  void ReplSetPrimary(const std::string& host, int port);
  // REPLICAOF NO ONE: keeps the data and the history of the stream (replid2).
  void ReplBecomePrimary();
  void ReplConnect();
  void ReplRead();
  void ReplProcessInput();
  void ReplSend(std::string bytes);
  // The link failed before it was up: logged, the socket closed, another try at the next cron.
  void ReplLinkFailed(const std::string& why);
  void ReplCloseLink();
  // The RDB arrived whole: loads it, then the stream starts.
  void ReplLoadTransfer();
  // The socket becomes the primary's client, with `initial` as its first input.
  void ReplAdoptMaster(std::string initial);
  // A command from the primary (OnRequest): run it, no reply, count its bytes, pass it on.
  void ReplApplyFromMaster(Session& s, net::Connection& c, std::span<const std::string_view> argv);
  void ReplSendAck();
  // ---- the AOF (server/aof.cc) ----
  struct AofState;
  // Loads the AOF directory (manifest, base, incremental files) into the empty keyspace.
  Status LoadAof();
  // A pre-7 single-file AOF (appendfilename in dir, no usable manifest) becomes the base of a
  // manifest in appenddirname, as Redis 7.0's aofUpgradePrepare; sets *manifest when it did.
  Status UpgradeOldAof(persist::AofManifest* manifest, bool* have_manifest);
  // After loading with appendonly yes: the base file when there is none, the incremental file
  // to append to, the manifest; then the AOF receives the propagation stream.
  Status OpenAofOnStart();
  // CONFIG SET appendonly yes / no.
  Status StartAppendOnly();
  void StopAppendOnly();
  // Appends one execution unit to the AOF buffer (the propagation sink).
  void AofFeed(std::span<const db::PropagatedCommand> unit);
  // The group commit: writes the buffer, fsyncs as appendfsync says, then sends the replies
  // held for it. Runs once per loop turn with writes (posted), and from the cron.
  void AofFlush(bool force_fsync);
  void PostAofFlush();
  // HoldOutput's AOF part: true (and the connection is sent by AofFlush) while the turn's AOF
  // records are not written yet, or under `appendfsync always` not yet synced.
  bool AofHoldOutput(net::Connection& c);
  Status StartAofRewrite();
  void ScheduleAofRewriteStep();
  void FinishAofRewrite();
  void AbortAofRewrite();
  void AofCron(int64_t now_ms);
  // SHUTDOWN: stops a rewrite and writes and syncs the AOF. False (the shutdown is refused, as
  // Redis's "Writing initial AOF, can't exit.") while the AOF being turned on has no complete
  // file yet, unless `force`.
  bool AofBeforeShutdown(bool force);
  bool AofRewriting() const;
  // The -MISCONF text while writes are refused for a persistence error, else "".
  std::string DiskErrorMessage() const;
  // SIGTERM / SIGINT: shuts down as SHUTDOWN without flags; waits for the next signal if that
  // fails.
  void WaitForSignals();
  std::string InfoSection(std::string_view name);
  std::string FormatClient(net::Connection& c, const Session& s, int64_t now_ms);
  bool MatchesFilter(net::Connection& c, const Session& s, const cmd::ClientFilter& f);
  // What one client costs, in allocator size classes: its Connection (with the shared_ptr
  // control block it was made with), every buffer it holds, its Session and its clients_ node.
  // This is mem_clients_normal's share, CLIENT LIST's tot-mem and what maxmemory-clients weighs.
  size_t ClientMemory(const net::Connection& c);
  // The sum of ClientMemory over all clients, plus asio's pooled socket state of clients gone
  // (mem_clients_normal).
  size_t ClientsMemory();

  ServerConfig config_;
  std::string config_file_;
  asio::io_context io_;
  db::Keyspace keyspace_;
  cmd::Dispatcher dispatcher_;
  db::ExpireCycle expire_cycle_;
  db::ActiveDefrag active_defrag_;
  db::Evictor evictor_;
  net::ConnectionLimits limits_;
  net::NetStats net_stats_;
  std::unique_ptr<net::Listener> listener_;
  // The TLS context new TLS clients get; null while tls-port is 0.
  std::shared_ptr<net::TlsContext> tls_context_;
  asio::steady_timer cron_timer_;
  asio::steady_timer block_timer_;
  int64_t block_timer_armed_ms_ = 0;  // the deadline the block timer waits for; 0: none
  std::vector<std::shared_ptr<net::Connection>> pending_output_;
  bool tracking_broadcast_due_ = false;  // BCAST invalidations wait for the turn's end
  asio::signal_set signals_;
  // Clients by id: CLIENT LIST prints them in creation order.
  std::map<uint64_t, std::shared_ptr<net::Connection>> clients_;
  uint64_t next_client_id_ = 1;
  // Sockets of connections open now, and the most ever open at once: asio's pool of
  // per-socket state (net::Connection::SocketStateBytes) has grown to the latter.
  size_t sockets_open_ = 0;
  size_t sockets_peak_ = 0;
  ServerStats stats_;
  PersistenceStats persistence_;
  // The load at start (INFO persistence loading*): between chunks of the input the loop answers
  // waiting clients, with only `loading` commands allowed (LoadingProgress).
  struct LoadingState {
    bool active = false;
    int64_t start_s = 0;
    int64_t start_us = 0;
    uint64_t total_bytes = 0;   // of every file to read
    uint64_t loaded_bytes = 0;  // read so far
    uint64_t next_events = 0;   // loaded_bytes at which clients are served next
    int64_t rdb_used_mem = 0;
  };
  LoadingState loading_;
  // Records progress; every kLoadProgressBytes serves the clients waiting. False when the
  // server is shutting down (the load stops).
  bool LoadingProgress(uint64_t loaded_bytes);
  // The background save in progress (null: none) and what drives it.
  std::unique_ptr<persist::Snapshot> bgsave_;
  asio::steady_timer bgsave_timer_;
  bool bgsave_step_pending_ = false;
  // dispatcher_.total_commands() when the last slice of a snapshot's walk was scheduled.
  uint64_t commands_at_last_slice_ = 0;
  int64_t bgsave_start_ms_ = 0;
  uint64_t dirty_at_bgsave_start_ = 0;
  std::unique_ptr<AofState> aof_;
  std::unique_ptr<ReplState> repl_;
  size_t used_memory_startup_ = 0;
  size_t tls_allocated_startup_ = 0;  // OpenSSL's bytes at start-up (server/tls_memory.h)
  std::string run_id_;
  Status acl_status_;  // LoadUsers() at construction
  bool started_ = false;
  bool supervised_by_systemd_ = false;  // sd_notify READY=1 / STOPPING=1
  bool shutting_down_ = false;
  size_t cron_client_cursor_ = 0;
  bool eviction_proc_running_ = false;  // a StartEvictionProc turn is posted
};

}  // namespace mnemo::server

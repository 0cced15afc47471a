// dispatcher.h: finds a command, checks it, runs it, counts it (layer: cmd).
//
// The generic work of every command happens here once: lookup (case-insensitive, with
// subcommands of container commands such as CLIENT or CONFIG), arity, authentication, ACL
// permissions (the client's user: the command, its keys, its channels), the memory limit
// (eviction, or -OOM for commands that may grow memory), and the statistics INFO commandstats
// and errorstats print.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mnemo/base/histogram.h"
#include "mnemo/base/latency_monitor.h"
#include "mnemo/cmd/acl.h"
#include "mnemo/cmd/blocking.h"
#include "mnemo/cmd/cluster.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/monitor.h"
#include "mnemo/cmd/pubsub.h"
#include "mnemo/cmd/scripting.h"
#include "mnemo/cmd/slowlog.h"
#include "mnemo/cmd/tracking.h"

namespace mnemo::cmd {

struct CommandStats {
  uint64_t calls = 0;
  uint64_t nsec = 0;  // total time in the handler; INFO prints microseconds
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
};

class Dispatcher : private db::ChangeListener {
 public:
  // A command or subcommand with its statistics.
  struct Entry {
    const CommandSpec* spec = nullptr;
    std::string full_name;  // "get", "client|id"
    const Entry* parent = nullptr;
    uint32_t acl_id = 0;  // id in the ACL command catalog
    CommandStats stats;
    // Durations of its calls while latency-tracking is on (INFO latencystats); made on the
    // first such call.
    std::unique_ptr<LatencyHistogram> latency;
    std::vector<std::unique_ptr<Entry>> subcommands;
    std::unordered_map<std::string, Entry*> sub_index;
    // rename-command NAME "": no name reaches it and COMMAND does not list it. (A renamed
    // command keeps its full_name: COMMAND prints the original name, as Redis.)
    bool disabled = false;
  };

  // Called before every command while maxmemory is set: evicts what it must and returns false
  // iff memory is still over the limit with nothing left to evict (commands flagged denyoom
  // are then refused with -OOM).
  using MemoryGuard = std::function<bool()>;

  Dispatcher(db::Keyspace& keyspace, ServerApi& server);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  ~Dispatcher() override;

  // Runs one request. REQUIRES: !argv.empty().
  void Execute(Client& client, std::span<const std::string_view> argv,
               protocol::ReplyBuilder& reply);

  // rename-command: the top-level command reached by `name` is reached by `new_name` from now
  // on, or by no name when `new_name` is empty. On error (Redis's texts: "No such command in
  // rename-command", "Target command name already exists") nothing changes.
  [[nodiscard]] Status Rename(std::string_view name, std::string_view new_name);
  // Top-level command by name (any case), or null. Names follow rename-command.
  const Entry* Find(std::string_view name) const;
  // Subcommand of `parent` by name (any case), or null.
  static const Entry* FindSub(const Entry& parent, std::string_view name);
  // Command or subcommand named by argv as the dispatcher would resolve it, or null.
  const Entry* Resolve(std::span<const std::string_view> argv) const;
  // Every top-level command, in table order, disabled ones included (their statistics stay
  // zero).
  const std::vector<std::unique_ptr<Entry>>& commands() const { return commands_; }

  // ---- ACL ----
  Acl& acl() { return acl_; }
  const Acl& acl() const { return acl_; }
  const CommandCatalog& catalog() const { return catalog_; }
  // Whether the client must AUTH before other commands: it has not, and the default user has a
  // password or is off (Redis authRequired).
  bool AuthRequired(const Client& client) const;
  // Whether the client's user may read every key while running `argv` (SORT's BY and GET
  // patterns; see Acl::CanReadAnyKey).
  bool CanReadAnyKey(const Client& client, std::span<const std::string_view> argv) const;
  // Records a refused AUTH / HELLO AUTH in the ACL log (object: the command as typed).
  void LogAuthFailure(Client& client, std::string_view command, std::string_view username);

  const std::map<std::string, uint64_t>& error_stats() const { return error_stats_; }
  uint64_t total_commands() const { return total_commands_; }
  uint64_t total_error_replies() const { return total_error_replies_; }
  uint64_t rejected_commands() const { return rejected_commands_; }
  void ResetStats();
  // The memory of the latency histograms (server overhead in INFO memory).
  size_t LatencyHistogramBytes() const;
  // latency-tracking: whether calls are recorded in their command's latency histogram.
  void set_latency_tracking(bool on) { latency_tracking_ = on; }

  void set_memory_guard(MemoryGuard guard) { memory_guard_ = std::move(guard); }
  // Writes refused because persistence failed (stop-writes-on-bgsave-error, AOF write errors):
  // returns the -MISCONF error text, or "" while writes may go on. Asked before each write
  // command (and EXEC of a queued write), as Redis's writeCommandsDeniedByDiskError.
  using DiskErrorCheck = std::function<std::string()>;
  void set_disk_error_check(DiskErrorCheck check) { disk_error_check_ = std::move(check); }
  // The -MISCONF text while writes are refused for a persistence error, else "" (scripts ask
  // it before a write, as Redis scriptVerifyWriteCommandAllow).
  std::string DiskError() const { return disk_error_check_ ? disk_error_check_() : std::string(); }

  // Replication's refusals (Redis processCommand): -NOREPLICAS (min-replicas-to-write), -READONLY
  // (a read-only replica), -MASTERDOWN (replica-serve-stale-data no while the link is down).
  // Called before each command with whether it writes and whether it may run on stale data;
  // returns the error text, or "" to let it run. Not asked for the primary's own commands.
  using ReplicationCheck =
      std::function<std::string(const Client& client, bool is_write, bool deny_stale)>;
  void set_replication_check(ReplicationCheck check) { replication_check_ = std::move(check); }
  // The refusal for `client` (scripts ask it before a write, as Redis
  // scriptVerifyWriteCommandAllow), or "".
  std::string ReplicationRefusal(const Client& client, bool is_write, bool deny_stale) const {
    if (!replication_check_ || client.is_master) return {};
    return replication_check_(client, is_write, deny_stale);
  }
  // ---- clients that wait and listen ----
  PubSub& pubsub() { return pubsub_; }
  Blocking& blocking() { return blocking_; }
  // Client-side caching (CLIENT TRACKING).
  Tracking& tracking() { return tracking_; }
  const Tracking& tracking() const { return tracking_; }
  // Times out blocked clients whose deadline has passed (the server's timer calls it).
  void ExpireBlocked(int64_t now_ms);
  // CLIENT UNBLOCK: unblocks `c` with its timeout reply, or with -UNBLOCKED when `error`.
  // Returns false if it was not blocked.
  bool Unblock(Client& c, bool error);
  // CLIENT PAUSE: until `end_ms` (Unix ms), postpone every client's commands (`all`) or those
  // that may change data (writes, may-replicate, EXEC of such). A second pause extends the
  // first and can only make it stricter. Unpause resumes the postponed clients in order.
  void Pause(int64_t end_ms, bool all);
  void Unpause();
  // Unpauses if the pause has run out; returns the pause's end (Unix ms) while one is active.
  int64_t CheckPause(int64_t now_ms);
  // True while writes are paused: expiry and eviction must not delete either.
  bool writes_paused() const { return pause_end_ms_ != 0; }

  // Forgets everything a client left behind: watched keys, subscriptions, its blocked state
  // (a closed connection, RESET).
  void ForgetClient(Client& c);

  // ---- observability: MONITOR, SLOWLOG, LATENCY (dispatcher_observe.cc) ----
  Monitors& monitors() { return monitors_; }
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency_monitor() { return latency_monitor_; }
  // The bytes the slow log, the latency samples and the monitor list hold, in allocator size
  // classes (server overhead: overhead.total in MEMORY STATS, used_memory_overhead in INFO).
  size_t ObservabilityBytes() const;

  // While the dataset loads at start, the server answers the clients that are waiting between
  // chunks of the file: then only commands flagged `loading` run, the rest get -LOADING.
  void set_loading(bool on) { loading_ = on; }
  bool loading() const { return loading_; }

  // ---- cluster mode (cluster.h) ----
  ClusterNode& cluster() { return cluster_; }
  const ClusterNode& cluster() const { return cluster_; }

  // ---- scripting (scripting.h) ----
  Scripting& scripting() { return *scripting_; }
  const Scripting& scripting() const { return *scripting_; }
  db::Keyspace& keyspace() { return keyspace_; }
  // Whether used memory was over maxmemory, with nothing left to evict, when the current
  // top-level command started (Redis server.pre_command_oom_state: scripts check it).
  bool oom_at_start() const { return oom_at_start_; }
  // The ACL check of a command a script runs, with Redis 7.0's scriptVerifyACL texts; logs
  // refusals. Returns false with *error on refusal.
  bool ScriptAclCheck(Client& client, std::span<const std::string_view> argv, std::string* error,
                      bool log = true);
  // Runs a command for a script (redis.call) after Scripting's checks: statistics, the slow
  // log, MONITOR and propagation as any call, inside the script's execution unit.
  // REQUIRES: entry is what LookupForScript(argv) returned.
  void ExecuteFromScript(Entry& entry, Client& client, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply);
  // A command a script called was refused before it ran (Redis scriptCall's error path): the
  // error counts in the error statistics (error code from a leading "-CODE", else ERR) and, for
  // a command that exists, in its rejected_calls.
  void CountScriptRejection(Entry* entry, std::string_view error);
  // The command or subcommand argv names, or null (redis.call's lookup).
  Entry* LookupForScript(std::span<const std::string_view> argv) { return Lookup(argv); }

  // ---- transactions (MULTI / EXEC / WATCH) ----
  // Runs a command that MULTI queued, for EXEC: it passed the checks when it was queued.
  void ExecuteQueued(Client& client, std::span<const std::string_view> argv,
                     protocol::ReplyBuilder& reply);
  // Adds a key to the client's watch list (WATCH).
  void Watch(Client& client, int db, std::string_view key, bool existed);
  // Forgets every key the client watches (UNWATCH, EXEC, DISCARD, a closed connection).
  void Unwatch(Client& client);
  // Whether EXEC must fail: a watched key was changed (the seam announced it), or one that
  // existed at WATCH time has expired since without being deleted yet.
  bool WatchBroken(Client& client);

 private:
  bool loading_ = false;
  ClusterNode cluster_;
  ReplicationCheck replication_check_;
  void AddTable(std::span<const CommandSpec> table);
  // The ACL check of one request: on refusal, logs it and returns the error text.
  std::optional<std::string> CheckAcl(Client& client, const Entry& entry,
                                      std::span<const std::string_view> argv, bool in_multi,
                                      bool at_exec);
  void Reject(Client& client, Entry* entry, protocol::ReplyBuilder& reply, std::string_view error);
  void CountErrors(protocol::ReplyBuilder& reply, uint64_t before);
  // Runs the handler with statistics, latency and propagation of its effect. `start_ns`: the
  // command's monotonic start if the caller read it (Execute), else -1 (read here).
  void Call(Entry& entry, Client& client, std::span<const std::string_view> argv,
            protocol::ReplyBuilder& reply, int64_t start_ns = -1);
  // Serves the clients blocked on keys that became ready (after a top-level command).
  void ServeBlocked();
  // Runs a blocked client's command again; true iff it blocked again.
  bool Rerun(Client& c);
  // Answers a client whose wait ended without data (its deadline, CLIENT UNBLOCK TIMEOUT) with
  // its command's timeout reply, and resumes it. `was` is its blocked state before removal.
  void AnswerTimeout(Client& c, const BlockedState& was);
  // The entry argv names (command or subcommand), or null.
  Entry* Lookup(std::span<const std::string_view> argv);
  // After a call (dispatcher_observe.cc): feeds the monitors, the slow log and the latency
  // monitor, as Redis call() does.
  void Observe(const Entry& entry, Client& client, std::span<const std::string_view> argv,
               const CallFrame& frame, uint64_t elapsed_ns);
  // A monitor may not run commands that read or write keys (Redis: "Replica can't interact
  // with the keyspace"; a monitor is a replica there).
  static bool MonitorRefuses(const CommandSpec& spec, const Client& client);

  // WATCH hears of changes through the seam (db::ChangeListener).
  void OnKeyModified(db::Db& db, std::string_view key) override;
  void OnDbFlushing(db::Db& db) override;
  void OnDbsSwapping(db::Db& a, db::Db& b) override;
  // Marks the watchers of `key` in database `db` touched; with `if_exists_in`, only when the
  // key exists in one of those databases (a flush or swap changes only keys that exist).
  void TouchWatchers(int db, std::string_view key);

  db::Keyspace& keyspace_;
  ServerApi& server_;
  CommandCatalog catalog_;
  Acl acl_;
  std::vector<std::unique_ptr<Entry>> commands_;
  std::unordered_map<std::string, Entry*> index_;
  std::map<std::string, uint64_t> error_stats_;
  uint64_t total_commands_ = 0;
  uint64_t total_error_replies_ = 0;
  uint64_t rejected_commands_ = 0;
  bool latency_tracking_ = true;
  MemoryGuard memory_guard_;
  DiskErrorCheck disk_error_check_;
  int64_t pause_end_ms_ = 0;  // 0: not paused
  bool pause_all_ = false;
  std::vector<Client*> postponed_;
  PubSub pubsub_;
  KeyspaceNotifier notifier_{pubsub_};
  Blocking blocking_;
  Tracking tracking_{server_};
  Monitors monitors_;
  SlowLog slowlog_;
  LatencyMonitor latency_monitor_;
  // Watched keys by "<db>:<key>", with the clients watching each (Redis db->watched_keys).
  struct WatchEntry {
    int db = 0;
    std::string key;
    std::vector<Client*> clients;
  };
  std::unordered_map<std::string, WatchEntry> watched_keys_;
  bool oom_at_start_ = false;
  std::unique_ptr<Scripting> scripting_;
};

}  // namespace mnemo::cmd

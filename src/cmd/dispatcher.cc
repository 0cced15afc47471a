// dispatcher.cc: command lookup, checks and statistics (layer: cmd).
#include "mnemo/cmd/dispatcher.h"

#include <algorithm>

#include "mnemo/base/clock.h"
#include "mnemo/base/strings.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/protocol/errors.h"

namespace mnemo::cmd {

namespace {

bool ArityOk(int arity, size_t argc) {
  if (arity > 0) return argc == static_cast<size_t>(arity);
  return argc >= static_cast<size_t>(-arity);
}

// The index of watched_keys_: database and key.
std::string WatchIndexKey(int db, std::string_view key) {
  std::string k = std::to_string(db);
  k += ':';
  k += key;
  return k;
}

}  // namespace

std::span<const std::span<const CommandSpec>> CommandTables() {
  static const std::span<const CommandSpec> kTables[] = {
      ConnectionCommands(), StringCommands(),      KeyCommands(),         ServerCommands(),
      MemoryCommands(),     HashCommands(),        ListCommands(),        ZsetCommands(),
      SetCommands(),        BitmapCommands(),      TransactionCommands(), PubsubCommands(),
      HllCommands(),        GeoCommands(),         SortCommands(),        AclCommands(),
      ObserveCommands(),    ReplicationCommands(), StreamCommands(),      PersistenceCommands(),
      ScriptingCommands(),  ClusterCommands(),
  };
  return kTables;
}

Dispatcher::Dispatcher(db::Keyspace& keyspace, ServerApi& server)
    : keyspace_(keyspace), server_(server), acl_(catalog_) {
  for (std::span<const CommandSpec> table : CommandTables()) AddTable(table);
  keyspace_.changes().AddListener(this);
  keyspace_.changes().AddListener(&notifier_);
  keyspace_.changes().AddListener(&blocking_);
  keyspace_.changes().AddListener(&tracking_);
  scripting_ = std::make_unique<Scripting>(*this, server_);
}

Dispatcher::~Dispatcher() {
  keyspace_.changes().RemoveListener(&tracking_);
  keyspace_.changes().RemoveListener(&blocking_);
  keyspace_.changes().RemoveListener(&notifier_);
  keyspace_.changes().RemoveListener(this);
}

void Dispatcher::AddTable(std::span<const CommandSpec> table) {
  // The catalog numbers a command, then its subcommands, in table order: the entries take the
  // same ids.
  uint32_t next_id = static_cast<uint32_t>(catalog_.size());
  catalog_.AddTable(table);
  for (const CommandSpec& spec : table) {
    auto entry = std::make_unique<Entry>();
    entry->spec = &spec;
    entry->full_name = std::string(spec.name);
    entry->acl_id = next_id++;
    MNEMO_ASSERT(catalog_.at(entry->acl_id).spec == &spec);
    for (const CommandSpec& sub : spec.subcommands) {
      auto s = std::make_unique<Entry>();
      s->spec = &sub;
      s->full_name = entry->full_name + "|" + std::string(sub.name);
      s->parent = entry.get();
      s->acl_id = next_id++;
      MNEMO_ASSERT(catalog_.at(s->acl_id).spec == &sub);
      entry->sub_index.emplace(std::string(sub.name), s.get());
      entry->subcommands.push_back(std::move(s));
    }
    MNEMO_ASSERT(index_.count(entry->full_name) == 0);
    index_.emplace(entry->full_name, entry.get());
    commands_.push_back(std::move(entry));
  }
}

Status Dispatcher::Rename(std::string_view name, std::string_view new_name) {
  auto it = index_.find(ToLower(name));
  if (it == index_.end()) return Status::Error("No such command in rename-command");
  Entry* entry = it->second;
  if (!new_name.empty() && ToLower(new_name) != it->first && index_.count(ToLower(new_name))) {
    return Status::Error("Target command name already exists");
  }
  index_.erase(it);
  if (new_name.empty()) {
    entry->disabled = true;
  } else {
    index_.emplace(ToLower(new_name), entry);
  }
  return Status::Ok();
}

const Dispatcher::Entry* Dispatcher::Find(std::string_view name) const {
  auto it = index_.find(ToLower(name));
  return it == index_.end() ? nullptr : it->second;
}

const Dispatcher::Entry* Dispatcher::FindSub(const Entry& parent, std::string_view name) {
  auto it = parent.sub_index.find(ToLower(name));
  return it == parent.sub_index.end() ? nullptr : it->second;
}

const Dispatcher::Entry* Dispatcher::Resolve(std::span<const std::string_view> argv) const {
  if (argv.empty()) return nullptr;
  const Entry* e = Find(argv[0]);
  if (e != nullptr && !e->subcommands.empty() && argv.size() >= 2) return FindSub(*e, argv[1]);
  return e;
}

void Dispatcher::CountErrors(protocol::ReplyBuilder& reply, uint64_t before) {
  if (reply.error_count() == before) return;
  total_error_replies_ += reply.error_count() - before;
  ++error_stats_[std::string(reply.last_error_code())];
}

void Dispatcher::Reject(Client& client, Entry* entry, protocol::ReplyBuilder& reply,
                        std::string_view error) {
  const uint64_t before = reply.error_count();
  if (entry != nullptr && (entry->spec->flags & kExec)) {
    // EXEC refused (arity, OOM): the whole transaction goes, with the reason (Redis
    // execCommandAbort, which answers so even without MULTI).
    const std::string_view reason = error.substr(error.find(' ') + 1);
    const bool ours = error.rfind("ERR ", 0) == 0;  // "ERR x" gives "x"; "OOM x" stays whole
    reply.Error("EXECABORT Transaction discarded because of: " +
                std::string(ours ? reason : error));
    client.multi.Clear();
    Unwatch(client);
  } else {
    reply.Error(error);
    // A command refused while MULTI queues makes EXEC fail (Redis flagTransaction).
    if (client.multi.active) client.multi.aborted = true;
  }
  CountErrors(reply, before);
  if (entry != nullptr) ++entry->stats.rejected_calls;
  ++rejected_commands_;
}

void Dispatcher::Execute(Client& client, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply) {
  MNEMO_ASSERT(!argv.empty());
  tracking_.BeginCommand(client);
  // The command's clock, read once: expiry decisions, the LRU tick, the pause, and the client's
  // last interaction (the server reads it back from the keyspace). A busy script's clock stays
  // where it started (the script's time is frozen). One monotonic read gives both the wall
  // clock and the start of the command's latency (Call): clock reads were ~10% of the server's
  // samples on pipelined small SETs (docs/performance.md).
  const bool script_busy = scripting_->busy();
  const int64_t start_ns = MonotonicNs();
  const int64_t now = UnixTimeMsAt(start_ns);
  if (!script_busy) keyspace_.set_now_ms(now);
  auto it = index_.find(ToLower(argv[0]));
  if (it == index_.end()) {
    Reject(client, nullptr, reply,
           protocol::UnknownCommand(argv[0], argv.data() + 1, argv.size() - 1));
    return;
  }
  Entry* entry = it->second;
  if (!entry->subcommands.empty() && argv.size() >= 2) {
    auto sub = entry->sub_index.find(ToLower(argv[1]));
    if (sub == entry->sub_index.end()) {
      Reject(client, nullptr, reply, protocol::UnknownSubcommand(argv[0], argv[1]));
      return;
    }
    entry = sub->second;
  }
  const CommandSpec& spec = *entry->spec;
  // CLIENT LIST's cmd= (and the ACL log's client info) name a command found, even if refused.
  client.last_command = entry->full_name;
  if (!ArityOk(spec.arity, argv.size())) {
    Reject(client, entry, reply, protocol::WrongArity(entry->full_name));
    return;
  }
  if (!(spec.flags & kNoAuth) && AuthRequired(client)) {
    Reject(client, entry, reply, protocol::kErrNoAuth);
    return;
  }
  const bool in_multi = client.multi.active;
  if (in_multi && (spec.flags & kNoMulti)) {
    Reject(client, entry, reply, "ERR Command not allowed inside a transaction");
    return;
  }
  if (client.user != nullptr && !client.user->unrestricted()) {
    if (auto denied = CheckAcl(client, *entry, argv, in_multi, false)) {
      Reject(client, entry, reply, *denied);
      return;
    }
  }
  // Cluster mode: every key of the request (of the queued commands, for EXEC) in one slot
  // (Redis processCommand's getNodeByQuery, right after the permission check). EXEC refused
  // so discards the transaction and answers the redirection error itself. The primary's
  // stream on a replica is applied whatever its slots (Redis exempts the master client).
  if (cluster_.enabled && !client.is_master && !KeysInOneSlot(*this, client, spec, argv)) {
    if (spec.flags & kExec) {
      const uint64_t before = reply.error_count();
      reply.Error(kErrCrossSlot);
      client.multi.Clear();
      Unwatch(client);
      CountErrors(reply, before);
      ++entry->stats.rejected_calls;
      ++rejected_commands_;
    } else {
      Reject(client, entry, reply, kErrCrossSlot);
    }
    return;
  }
  // A RESP2 subscriber's connection carries messages: only the subscription commands, PING,
  // QUIT and RESET may share it (Redis processCommand, after the permission check).
  if (client.subs.any() && reply.resp() == 2 && !(spec.flags & kSubscribedOk)) {
    Reject(client, entry, reply,
           "ERR Can't execute '" + entry->full_name +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context");
    return;
  }
  if (client.monitor && MonitorRefuses(spec, client)) {
    Reject(client, entry, reply, protocol::kErrReplicaKeyspace);
    return;
  }
  // Client-side caching: invalidations for this client wait for its reply (the server sends
  // them after writing it), and the table is brought back under tracking-table-max-keys.
  if (tracking_.total_keys() > 0) tracking_.LimitKeys();
  // While a script is busy (past busy-reply-threshold) the loop serves other clients from
  // inside it: only allow_busy commands run, and nothing else may touch the keyspace (no
  // eviction, no serving of blocked clients) until the script ends (Redis processCommand).
  if (loading_ && !(spec.flags & kLoading)) {
    Reject(client, entry, reply, protocol::kErrLoading);
    return;
  }
  if (script_busy && !(spec.flags & kAllowBusy)) {
    Reject(client, entry, reply, scripting_->BusyError());
    return;
  }
  // The LRU tick (250 ms) is finer than a 10 Hz cron could keep up to date.
  keyspace_.UpdateLruClock(now);
  // Under maxmemory, every command first makes room (evicting keys); a command that may grow
  // memory is refused when no room could be made (EXEC when a queued command may). Read-only
  // commands still run.
  // EVAL and FCALL of a script with flags write, or not, as the script says (Redis
  // getCommandFlags): CLIENT PAUSE WRITE lets no-writes scripts through, and EXEC of a queue
  // of them.
  // Only the pause and MULTI's queue read them (a script's run applies its flags itself), so
  // they are looked up only then.
  const uint32_t flags = (spec.flags & kScriptFlags) && (in_multi || pause_end_ms_ != 0)
                             ? scripting_->CommandFlags(spec, argv)
                             : spec.flags;
  const bool denyoom = (spec.flags & kDenyOom) ||
                       (in_multi && (client.multi.flags & kDenyOom) && (spec.flags & kExec));
  oom_at_start_ = !script_busy && memory_guard_ && keyspace_.options().maxmemory > 0 &&
                  !memory_guard_();
  if (oom_at_start_ && denyoom) {
    Reject(client, entry, reply, protocol::kErrOom);
    return;
  }
  // Redis processCommand: writes (EXEC of queued writes) and PING are refused while a save or
  // the AOF failed; inside MULTI they are refused when queued, so EXEC aborts.
  if (disk_error_check_ && ((spec.flags & (kWrite | kDiskErrorCheck)) ||
                            ((spec.flags & kExec) && (client.multi.flags & kWrite)))) {
    std::string misconf = disk_error_check_();
    if (!misconf.empty()) {
      Reject(client, entry, reply, misconf);
      return;
    }
  }
  if (replication_check_ && !client.is_master) {
    const bool is_write =
        (spec.flags & kWrite) || ((spec.flags & kExec) && (client.multi.flags & kWrite));
    const bool deny_stale = !(spec.flags & kStale);
    std::string refused = replication_check_(client, is_write, deny_stale);
    if (!refused.empty()) {
      Reject(client, entry, reply, refused);
      return;
    }
  }
  // CLIENT PAUSE: the command waits, unconsumed, until the pause ends (Redis
  // blockPostponeClient). Commands that run inside MULTI at once, and reads under a WRITE
  // pause, go on.
  if (pause_end_ms_ != 0 && client.link != nullptr && CheckPause(now) != 0) {
    const uint32_t writes = kWrite | kMayReplicate;
    const bool may_write =
        (flags & writes) || ((spec.flags & kExec) && (client.multi.flags & writes));
    if (pause_all_ || may_write) {
      client.postponed = true;
      postponed_.push_back(&client);
      client.link->Suspend(true);
      return;
    }
  }
  if (in_multi && !(spec.flags & kRunsInMulti)) {
    for (std::string_view a : argv) client.multi.args.emplace_back(a);
    client.multi.argc.push_back(static_cast<uint32_t>(argv.size()));
    client.multi.flags |= flags;
    reply.SimpleString("QUEUED");
    return;
  }
  // One execution unit: the command's effects, with the lazy-expiry deletions it causes (and
  // for EXEC every queued command's), reach the propagation sinks together.
  db::Changes& changes = keyspace_.changes();
  changes.BeginUnit();
  Call(*entry, client, argv, reply, start_ns);
  changes.EndUnit();
  // CLIENT CACHING's choice lasts for one command or transaction (and CLIENT commands).
  tracking_.AfterCommand(client, entry->parent != nullptr && entry->parent->spec->name == "client");
  // Clients blocked on keys this command (or EXEC's queue) made ready are served now, each as
  // an execution unit of its own, before any other client's command.
  if (blocking_.has_ready() && !script_busy) ServeBlocked();
}

bool Dispatcher::ScriptAclCheck(Client& client, std::span<const std::string_view> argv,
                                std::string* error, bool log) {
  if (client.user == nullptr || client.user->unrestricted()) return true;
  Entry* entry = Lookup(argv);
  MNEMO_ASSERT(entry != nullptr);
  const AclVerdict v = acl_.Check(*client.user, catalog_.at(entry->acl_id), argv);
  if (v.ok()) return true;
  if (!log) return false;
  std::string object = v.denial == AclDenial::kCommand ? entry->full_name : std::string(argv[v.arg]);
  acl_.AddLogEntry(v.denial, false, std::move(object), client.user->name(), "lua", UnixTimeMs());
  switch (v.denial) {
    case AclDenial::kCommand:
      *error = "The user executing the script can't run this command or subcommand";
      break;
    case AclDenial::kKey:
      *error =
          "The user executing the script can't access at least one of the keys mentioned in the "
          "command arguments";
      break;
    case AclDenial::kChannel:
      *error = "The user executing the script can't publish to the channel mentioned in the command";
      break;
    default:
      *error = "The user executing the script is lacking the permissions for the command";
  }
  return false;
}

void Dispatcher::CountScriptRejection(Entry* entry, std::string_view error) {
  ++total_error_replies_;
  std::string_view code = "ERR";
  if (error.size() > 1 && error[0] == '-') {
    // Redis looks for the space in the first 32 characters only.
    const size_t space = error.substr(0, 32).find(' ');
    if (space != std::string_view::npos) code = error.substr(1, space - 1);
  }
  ++error_stats_[std::string(code)];
  if (entry != nullptr) ++entry->stats.rejected_calls;
}

void Dispatcher::ExecuteFromScript(Entry& entry, Client& client,
                                   std::span<const std::string_view> argv,
                                   protocol::ReplyBuilder& reply) {
  Call(entry, client, argv, reply);
}

Dispatcher::Entry* Dispatcher::Lookup(std::span<const std::string_view> argv) {
  auto it = index_.find(ToLower(argv[0]));
  if (it == index_.end()) return nullptr;
  Entry* entry = it->second;
  if (!entry->subcommands.empty() && argv.size() >= 2) {
    auto sub = entry->sub_index.find(ToLower(argv[1]));
    if (sub == entry->sub_index.end()) return nullptr;
    entry = sub->second;
  }
  return entry;
}

void Dispatcher::ServeBlocked() {
  blocking_.ServeReady([this](Client& c) { return Rerun(c); });
}

bool Dispatcher::Rerun(Client& c) {
  // The kept arguments are the client's own strings: views into them stay valid while it runs
  // (Block does not replace them while reprocessing).
  std::vector<std::string_view> argv(c.blocked.argv.begin(), c.blocked.argv.end());
  Entry* entry = Lookup(argv);
  MNEMO_ASSERT(entry != nullptr);
  const int saved_db = c.db;
  c.db = c.blocked.db;  // blocked where it was; SELECT cannot have run since
  protocol::ReplyBuilder& out = c.link->Output();
  db::Changes& changes = keyspace_.changes();
  keyspace_.set_now_ms(UnixTimeMs());
  Client* const running = tracking_.current();
  tracking_.set_current(&c);
  changes.BeginUnit();
  Call(*entry, c, argv, out);
  changes.EndUnit();
  tracking_.set_current(running);
  c.db = saved_db;
  if (c.blocked.reblocked) return true;
  tracking_.FlushPending(c);
  c.link->OutputAdded();
  return false;
}

void Dispatcher::AnswerTimeout(Client& c, const BlockedState& was) {
  protocol::ReplyBuilder& out = c.link->Output();
  if (was.timeout_reply == TimeoutReply::kNullArray) {
    out.NullArray();
  } else if (was.timeout_reply == TimeoutReply::kNullBulk) {
    out.Null();
  } else {
    // The command answers for itself (WAIT: the acknowledgements by now). It runs without
    // being counted again: its call was counted when it blocked, and Redis does not count the
    // timeout either (no stats, no slow log, no monitor line).
    std::vector<std::string_view> argv(was.argv.begin(), was.argv.end());
    Entry* entry = Lookup(argv);
    MNEMO_ASSERT(entry != nullptr);
    const int saved_db = c.db;
    c.db = was.db;
    c.blocked.timed_out = true;
    CallFrame frame;
    Context ctx{argv, c, out, keyspace_, server_, *this, frame};
    entry->spec->handler(ctx);
    c.blocked = BlockedState{};
    c.db = saved_db;
  }
  c.link->OutputAdded();
  c.link->Resume();
}

void Dispatcher::ExpireBlocked(int64_t now_ms) {
  blocking_.ExpireDeadlines(now_ms,
                            [this](Client& c, const BlockedState& was) { AnswerTimeout(c, was); });
}

bool Dispatcher::Unblock(Client& c, bool error) {
  if (!c.blocked.active) return false;
  const BlockedState was = c.blocked;
  blocking_.Remove(c);
  if (error) {
    c.link->Output().Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    c.link->OutputAdded();
    c.link->Resume();
    return true;
  }
  AnswerTimeout(c, was);
  return true;
}

void Dispatcher::Pause(int64_t end_ms, bool all) {
  if (pause_end_ms_ != 0) {
    pause_all_ = pause_all_ || all;
    pause_end_ms_ = std::max(pause_end_ms_, end_ms);
    return;
  }
  pause_all_ = all;
  pause_end_ms_ = end_ms;
}

void Dispatcher::Unpause() {
  pause_end_ms_ = 0;
  pause_all_ = false;
  std::vector<Client*> waiting;
  waiting.swap(postponed_);
  for (Client* c : waiting) {
    c->postponed = false;
    c->link->Resume();
  }
}

int64_t Dispatcher::CheckPause(int64_t now_ms) {
  if (pause_end_ms_ != 0 && now_ms >= pause_end_ms_) Unpause();
  return pause_end_ms_;
}

void Dispatcher::ForgetClient(Client& c) {
  if (c.postponed) std::erase(postponed_, &c);
  Unwatch(c);
  pubsub_.Forget(c);
  blocking_.Remove(c);
  monitors_.Remove(c);
  tracking_.Disable(c);
}

void Context::Block(std::span<const std::string_view> keys, int64_t deadline_ms,
                    TimeoutReply timeout_reply) const {
  dispatcher.blocking().Block(client, client.db, keys, argv, deadline_ms, timeout_reply);
}

void Dispatcher::ExecuteQueued(Client& client, std::span<const std::string_view> argv,
                               protocol::ReplyBuilder& reply) {
  // Resolved when it was queued, and the table does not change.
  Entry* entry = Lookup(argv);
  MNEMO_ASSERT(entry != nullptr);
  // CLIENT LIST keeps showing cmd=exec while and after EXEC runs the queue (Redis lastcmd).
  // The rules may have changed since the command was queued (Redis execCommand checks again).
  if (client.user != nullptr && !client.user->unrestricted()) {
    if (auto denied = CheckAcl(client, *entry, argv, true, true)) {
      const uint64_t before = reply.error_count();
      reply.Error(*denied);
      CountErrors(reply, before);
      return;
    }
  }
  keyspace_.set_now_ms(UnixTimeMs());
  Call(*entry, client, argv, reply);
}

bool Dispatcher::AuthRequired(const Client& client) const {
  const User& d = *acl_.default_user();
  return (!d.nopass() || !d.enabled()) && !client.authenticated;
}

bool Dispatcher::CanReadAnyKey(const Client& client, std::span<const std::string_view> argv) const {
  if (client.user == nullptr || client.user->unrestricted()) return true;
  const CommandCatalog::Command* cmd = catalog_.Resolve(argv);
  return cmd != nullptr && acl_.CanReadAnyKey(*client.user, *cmd, argv);
}

std::optional<std::string> Dispatcher::CheckAcl(Client& client, const Entry& entry,
                                                std::span<const std::string_view> argv,
                                                bool in_multi, bool at_exec) {
  const AclVerdict v = acl_.Check(*client.user, catalog_.at(entry.acl_id), argv);
  if (v.ok()) return std::nullopt;
  std::string object = v.denial == AclDenial::kCommand ? entry.full_name : std::string(argv[v.arg]);
  acl_.AddLogEntry(v.denial, in_multi, std::move(object), client.user->name(),
                   server_.ClientLine(client), UnixTimeMs());
  if (at_exec) {
    std::string_view reason = "no permission";
    if (v.denial == AclDenial::kCommand) {
      reason = "no permission to execute the command or subcommand";
    } else if (v.denial == AclDenial::kKey) {
      reason = "no permission to touch the specified keys";
    } else if (v.denial == AclDenial::kChannel) {
      reason = "no permission to access one of the channels used as arguments";
    }
    return std::string(protocol::kErrAclChangedPrefix) + std::string(reason);
  }
  switch (v.denial) {
    case AclDenial::kKey:
      return std::string(protocol::kErrNoPermKeys);
    case AclDenial::kChannel:
      return std::string(protocol::kErrNoPermChannels);
    default:
      return protocol::NoPermCommand(entry.full_name);
  }
}

void Dispatcher::LogAuthFailure(Client& client, std::string_view command,
                                std::string_view username) {
  acl_.AddLogEntry(AclDenial::kAuth, client.multi.active, std::string(command),
                   std::string(username), server_.ClientLine(client), UnixTimeMs());
}

void Dispatcher::Call(Entry& entry, Client& client, std::span<const std::string_view> argv,
                      protocol::ReplyBuilder& reply, int64_t start_ns) {
  const CommandSpec& spec = *entry.spec;
  const uint64_t errors_before = reply.error_count();
  const uint64_t uncounted_before = reply.uncounted_error_count();
  db::Changes& changes = keyspace_.changes();
  const uint64_t dirty_before = changes.dirty();
  CallFrame frame;
  const int64_t start = start_ns >= 0 ? start_ns : MonotonicNs();
  keyspace_.set_no_touch(client.no_touch && !(spec.flags & kTouchesAlways));
  Context ctx{argv, client, reply, keyspace_, server_, *this, frame};
  spec.handler(ctx);
  const auto elapsed_ns = static_cast<uint64_t>(MonotonicNs() - start);
  // Client-side caching remembers what a tracking client read (Redis call(): the keys of
  // read-only commands, for the client that sent them).
  if ((spec.flags & kReadOnly) && client.tracking.on) {
    tracking_.RememberKeys(client, spec, argv);
  }
  // Propagate the effect (Redis call(): a command that moved the dirty counter goes to the AOF
  // and the replicas as it was called, unless its handler said otherwise).
  if (changes.propagating() && !frame.prevent && (frame.force || changes.dirty() != dirty_before)) {
    if (frame.has_rewrite) {
      changes.Propagate(client.db, std::move(frame.rewritten));
    } else {
      changes.Propagate(client.db, argv);
    }
  }

  ++total_commands_;
  ++entry.stats.calls;
  entry.stats.nsec += elapsed_ns;
  if (latency_tracking_) {
    if (!entry.latency) entry.latency = std::make_unique<LatencyHistogram>();
    entry.latency->Record(elapsed_ns);
  }
  // An error the statistics counted where it arose (a script returning a command's error)
  // still makes the call a failed one (Redis afterErrorReply with NO_STATS_UPDATE).
  const bool failed = reply.error_count() != errors_before ||
                      reply.uncounted_error_count() != uncounted_before;
  if (failed) ++entry.stats.failed_calls;
  CountErrors(reply, errors_before);
  Observe(entry, client, argv, frame, elapsed_ns);
}

// ---- WATCH ---------------------------------------------------------------------------------

void Dispatcher::Watch(Client& client, int db, std::string_view key, bool existed) {
  for (const WatchedKey& w : client.watched) {
    if (w.db == db && w.key == key) return;  // Redis: watching a key twice is once
  }
  client.watched.push_back({db, std::string(key), existed});
  WatchEntry& e = watched_keys_[WatchIndexKey(db, key)];
  if (e.clients.empty()) {
    e.db = db;
    e.key = std::string(key);
  }
  e.clients.push_back(&client);
}

void Dispatcher::Unwatch(Client& client) {
  for (const WatchedKey& w : client.watched) {
    auto it = watched_keys_.find(WatchIndexKey(w.db, w.key));
    if (it == watched_keys_.end()) continue;
    std::erase(it->second.clients, &client);
    if (it->second.clients.empty()) watched_keys_.erase(it);
  }
  std::vector<WatchedKey>().swap(client.watched);
  client.watch_touched = false;
}

bool Dispatcher::WatchBroken(Client& client) {
  if (client.watch_touched) return true;
  // A key that existed at WATCH time and has expired since, but was not deleted yet, breaks
  // the transaction too (Redis 7 isWatchedKeyExpired); looking it up deletes it, which the
  // seam announces.
  for (const WatchedKey& w : client.watched) {
    if (w.existed && keyspace_.db(w.db).LookupNoTouch(w.key) == nullptr) return true;
  }
  return client.watch_touched;
}

void Dispatcher::TouchWatchers(int db, std::string_view key) {
  auto it = watched_keys_.find(WatchIndexKey(db, key));
  if (it == watched_keys_.end()) return;
  for (Client* c : it->second.clients) c->watch_touched = true;
}

void Dispatcher::OnKeyModified(db::Db& db, std::string_view key) {
  if (watched_keys_.empty()) return;
  TouchWatchers(db.id(), key);
}

void Dispatcher::OnDbFlushing(db::Db& db) {
  // Only watched keys that exist are changed by a flush (Redis touchAllWatchedKeysInDb).
  for (auto& [index, e] : watched_keys_) {
    if (e.db != db.id() || db.keys().Find(e.key) == nullptr) continue;
    for (Client* c : e.clients) c->watch_touched = true;
  }
}

void Dispatcher::OnDbsSwapping(db::Db& a, db::Db& b) {
  // A watched key of either database changes if it exists in either of them.
  for (auto& [index, e] : watched_keys_) {
    if (e.db != a.id() && e.db != b.id()) continue;
    if (a.keys().Find(e.key) == nullptr && b.keys().Find(e.key) == nullptr) continue;
    for (Client* c : e.clients) c->watch_touched = true;
  }
}

size_t Dispatcher::LatencyHistogramBytes() const {
  size_t histograms = 0;
  for (const auto& e : commands_) {
    histograms += e->latency ? 1 : 0;
    for (const auto& s : e->subcommands) histograms += s->latency ? 1 : 0;
  }
  return histograms * mem::SizeClass(sizeof(LatencyHistogram));
}

void Dispatcher::ResetStats() {
  for (auto& e : commands_) {
    e->stats = CommandStats{};
    e->latency.reset();
    for (auto& s : e->subcommands) {
      s->stats = CommandStats{};
      s->latency.reset();
    }
  }
  error_stats_.clear();
  total_error_replies_ = 0;
  rejected_commands_ = 0;
}

}  // namespace mnemo::cmd

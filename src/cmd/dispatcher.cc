// dispatcher.cc: command lookup, checks and statistics (layer: cmd).
#include "mnemo/cmd/dispatcher.h"

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

}  // namespace

Dispatcher::Dispatcher(db::Keyspace& keyspace, ServerApi& server)
    : keyspace_(keyspace), server_(server) {
  AddTable(ConnectionCommands());
  AddTable(StringCommands());
  AddTable(KeyCommands());
  AddTable(ServerCommands());
  AddTable(MemoryCommands());
  AddTable(HashCommands());
  AddTable(ListCommands());
  AddTable(ZsetCommands());
  AddTable(SetCommands());
  AddTable(BitmapCommands());
  AddTable(TransactionCommands());
}

void Dispatcher::AddTable(std::span<const CommandSpec> table) {
  for (const CommandSpec& spec : table) {
    auto entry = std::make_unique<Entry>();
    entry->spec = &spec;
    entry->full_name = std::string(spec.name);
    for (const CommandSpec& sub : spec.subcommands) {
      auto s = std::make_unique<Entry>();
      s->spec = &sub;
      s->full_name = entry->full_name + "|" + std::string(sub.name);
      s->parent = entry.get();
      entry->sub_index.emplace(std::string(sub.name), s.get());
      entry->subcommands.push_back(std::move(s));
    }
    MNEMO_ASSERT(index_.count(entry->full_name) == 0);
    index_.emplace(entry->full_name, entry.get());
    commands_.push_back(std::move(entry));
  }
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
  if (entry != nullptr && entry->spec->name == "exec") {
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

namespace {

// Commands that run at once inside MULTI instead of being queued (Redis processCommand).
bool RunsInsideMulti(const CommandSpec& spec) {
  for (std::string_view name : {"exec", "discard", "multi", "watch", "quit", "reset"}) {
    if (spec.name == name) return true;
  }
  return false;
}

}  // namespace

void Dispatcher::Execute(Client& client, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply) {
  MNEMO_ASSERT(!argv.empty());
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
  if (!ArityOk(spec.arity, argv.size())) {
    Reject(client, entry, reply, protocol::WrongArity(entry->full_name));
    return;
  }
  if (!client.authenticated && !(spec.flags & kNoAuth)) {
    Reject(client, entry, reply, protocol::kErrNoAuth);
    return;
  }
  const bool in_multi = client.multi.active;
  if (in_multi && (spec.flags & kNoMulti)) {
    Reject(client, entry, reply, "ERR Command not allowed inside a transaction");
    return;
  }
  client.last_command = entry->full_name;
  const int64_t now = UnixTimeMs();
  keyspace_.set_now_ms(now);
  // The LRU tick (250 ms) is finer than a 10 Hz cron could keep up to date.
  keyspace_.UpdateLruClock(now);
  // Under maxmemory, every command first makes room (evicting keys); a command that may grow
  // memory is refused when no room could be made (EXEC when a queued command may). Read-only
  // commands still run.
  const bool denyoom =
      (spec.flags & kDenyOom) ||
      (in_multi && (client.multi.flags & kDenyOom) && spec.name == "exec");
  if (memory_guard_ && keyspace_.options().maxmemory > 0 && !memory_guard_() && denyoom) {
    Reject(client, entry, reply, protocol::kErrOom);
    return;
  }
  if (in_multi && !RunsInsideMulti(spec)) {
    for (std::string_view a : argv) client.multi.args.emplace_back(a);
    client.multi.argc.push_back(static_cast<uint32_t>(argv.size()));
    client.multi.flags |= spec.flags;
    reply.SimpleString("QUEUED");
    return;
  }
  Call(*entry, client, argv, reply);
}

void Dispatcher::ExecuteQueued(Client& client, std::span<const std::string_view> argv,
                               protocol::ReplyBuilder& reply) {
  // Resolved when it was queued, and the table does not change.
  auto it = index_.find(ToLower(argv[0]));
  MNEMO_ASSERT(it != index_.end());
  Entry* entry = it->second;
  if (!entry->subcommands.empty() && argv.size() >= 2) {
    auto sub = entry->sub_index.find(ToLower(argv[1]));
    MNEMO_ASSERT(sub != entry->sub_index.end());
    entry = sub->second;
  }
  client.last_command = entry->full_name;
  keyspace_.set_now_ms(UnixTimeMs());
  Call(*entry, client, argv, reply);
}

void Dispatcher::Call(Entry& entry, Client& client, std::span<const std::string_view> argv,
                      protocol::ReplyBuilder& reply) {
  const CommandSpec& spec = *entry.spec;
  const uint64_t errors_before = reply.error_count();
  const int64_t start = MonotonicNs();
  Context ctx{argv, client, reply, keyspace_, server_, *this};
  spec.handler(ctx);
  const auto elapsed_ns = static_cast<uint64_t>(MonotonicNs() - start);

  ++total_commands_;
  ++entry.stats.calls;
  entry.stats.nsec += elapsed_ns;
  if (latency_tracking_) {
    if (!entry.latency) entry.latency = std::make_unique<LatencyHistogram>();
    entry.latency->Record(elapsed_ns);
  }
  const bool failed = reply.error_count() != errors_before;
  if (failed) ++entry.stats.failed_calls;
  CountErrors(reply, errors_before);
  // A write that answered an error changed nothing (Redis signals only real changes; we also
  // count a successful write that happened to change nothing, which can only fail an EXEC that
  // Redis would run, never the reverse).
  if ((spec.flags & kWrite) && !failed && !watchers_.empty()) {
    TouchWatchedKeys(entry, client, argv);
  }
}

// ---- WATCH ---------------------------------------------------------------------------------

void Dispatcher::Watch(Client& client, int db, std::string_view key, bool existed) {
  for (const WatchedKey& w : client.watched) {
    if (w.db == db && w.key == key) return;  // Redis: watching a key twice is once
  }
  if (client.watched.empty()) watchers_.push_back(&client);
  client.watched.push_back({db, std::string(key), existed});
}

void Dispatcher::Unwatch(Client& client) {
  if (!client.watched.empty()) {
    std::erase(watchers_, &client);
    if (watchers_.empty()) std::vector<Client*>().swap(watchers_);
  }
  std::vector<WatchedKey>().swap(client.watched);
  client.watch_touched = false;
}

bool Dispatcher::WatchBroken(Client& client) {
  if (client.watch_touched) return true;
  for (const WatchedKey& w : client.watched) {
    if (w.existed && keyspace_.db(w.db).LookupNoTouch(w.key) == nullptr) return true;
  }
  return false;
}

void Dispatcher::TouchAllWatchers() {
  for (Client* c : watchers_) c->watch_touched = true;
}

void Dispatcher::TouchWatchedKeys(const Entry& entry, const Client& client,
                                  std::span<const std::string_view> argv) {
  const CommandSpec& spec = *entry.spec;
  // Keys the table cannot name (movable keys, none listed, another database): every watcher.
  const bool other_db = spec.name == "move" || spec.name == "copy" || spec.name == "swapdb";
  if ((spec.flags & kMovableKeys) || spec.first_key <= 0 || other_db) {
    TouchAllWatchers();
    return;
  }
  const auto argc = static_cast<int>(argv.size());
  const int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  const int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step) {
    for (Client* c : watchers_) {
      if (c->watch_touched) continue;
      for (const WatchedKey& w : c->watched) {
        if (w.db == client.db && w.key == argv[static_cast<size_t>(i)]) {
          c->watch_touched = true;
          break;
        }
      }
    }
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

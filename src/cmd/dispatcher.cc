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

void Dispatcher::Reject(Entry* entry, protocol::ReplyBuilder& reply, std::string_view error) {
  const uint64_t before = reply.error_count();
  reply.Error(error);
  CountErrors(reply, before);
  if (entry != nullptr) ++entry->stats.rejected_calls;
  ++rejected_commands_;
}

void Dispatcher::Execute(Client& client, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply) {
  MNEMO_ASSERT(!argv.empty());
  auto it = index_.find(ToLower(argv[0]));
  if (it == index_.end()) {
    Reject(nullptr, reply, protocol::UnknownCommand(argv[0], argv.data() + 1, argv.size() - 1));
    return;
  }
  Entry* entry = it->second;
  if (!entry->subcommands.empty() && argv.size() >= 2) {
    auto sub = entry->sub_index.find(ToLower(argv[1]));
    if (sub == entry->sub_index.end()) {
      Reject(nullptr, reply, protocol::UnknownSubcommand(argv[0], argv[1]));
      return;
    }
    entry = sub->second;
  }
  const CommandSpec& spec = *entry->spec;
  if (!ArityOk(spec.arity, argv.size())) {
    Reject(entry, reply, protocol::WrongArity(entry->full_name));
    return;
  }
  if (!client.authenticated && !(spec.flags & kNoAuth)) {
    Reject(entry, reply, protocol::kErrNoAuth);
    return;
  }
  client.last_command = entry->full_name;
  const int64_t now = UnixTimeMs();
  keyspace_.set_now_ms(now);
  // The LRU tick (250 ms) is finer than a 10 Hz cron could keep up to date.
  keyspace_.UpdateLruClock(now);
  // Under maxmemory, every command first makes room (evicting keys); a command that may grow
  // memory is refused when no room could be made. Read-only commands still run.
  if (memory_guard_ && keyspace_.options().maxmemory > 0 && !memory_guard_() &&
      (spec.flags & kDenyOom)) {
    Reject(entry, reply, protocol::kErrOom);
    return;
  }

  const uint64_t errors_before = reply.error_count();
  const int64_t start = MonotonicNs();
  Context ctx{argv, client, reply, keyspace_, server_, *this};
  spec.handler(ctx);
  const auto elapsed_ns = static_cast<uint64_t>(MonotonicNs() - start);

  ++total_commands_;
  ++entry->stats.calls;
  entry->stats.nsec += elapsed_ns;
  if (latency_tracking_) {
    if (!entry->latency) entry->latency = std::make_unique<LatencyHistogram>();
    entry->latency->Record(elapsed_ns);
  }
  if (reply.error_count() != errors_before) ++entry->stats.failed_calls;
  CountErrors(reply, errors_before);
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

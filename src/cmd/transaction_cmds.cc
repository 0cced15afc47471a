// transaction_cmds.cc: MULTI EXEC DISCARD WATCH UNWATCH (layer: cmd).
//
// The dispatcher queues every other command while a transaction is open (Dispatcher::Execute)
// and marks watching clients when a write command touches one of their keys.
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/dispatcher.h"

namespace mnemo::cmd {

void Client::ForEachMultiAllocation(FunctionRef<void(size_t)> fn) const {
  if (multi.args.capacity() > 0) fn(multi.args.capacity() * sizeof(std::string));
  for (const std::string& a : multi.args) {
    if (const size_t n = StringHeapRequest(a)) fn(n);
  }
  if (multi.argc.capacity() > 0) fn(multi.argc.capacity() * sizeof(uint32_t));
}

void Client::ForEachTransactionAllocation(FunctionRef<void(size_t)> fn) const {
  ForEachMultiAllocation(fn);
  if (watched.capacity() > 0) fn(watched.capacity() * sizeof(WatchedKey));
  for (const WatchedKey& w : watched) {
    if (const size_t n = StringHeapRequest(w.key)) fn(n);
  }
}

size_t Client::MultiBytes() const {
  size_t total = 0;
  ForEachMultiAllocation([&total](size_t n) { total += n; });
  return total;
}

namespace {

void MultiCommand(Context& ctx) {
  if (ctx.client.multi.active) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.multi.Clear();
  ctx.client.multi.active = true;
  ctx.reply.Ok();
}

void DiscardCommand(Context& ctx) {
  if (!ctx.client.multi.active) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  ctx.client.multi.Clear();
  ctx.dispatcher.Unwatch(ctx.client);
  ctx.reply.Ok();
}

void ExecCommand(Context& ctx) {
  Client& client = ctx.client;
  if (!client.multi.active) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  if (client.multi.aborted) {
    client.multi.Clear();
    ctx.dispatcher.Unwatch(client);
    ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  const bool broken = ctx.dispatcher.WatchBroken(client);
  // Unwatch before running the queue (Redis: no CPU spent marking our own writes).
  ctx.dispatcher.Unwatch(client);
  Transaction queued = std::move(client.multi);
  client.multi.Clear();
  if (broken) {
    ctx.reply.NullArray();
    return;
  }
  // The queued commands propagate their own effects, wrapped in MULTI/EXEC by the seam.
  ctx.PreventPropagation();
  ctx.reply.ArrayHeader(queued.size());
  client.in_exec = true;
  std::vector<std::string_view> argv;
  size_t next = 0;
  for (const uint32_t argc : queued.argc) {
    argv.assign(queued.args.begin() + static_cast<std::ptrdiff_t>(next),
                queued.args.begin() + static_cast<std::ptrdiff_t>(next + argc));
    next += argc;
    ctx.dispatcher.ExecuteQueued(client, argv, ctx.reply);
  }
  client.in_exec = false;
}

void WatchCommand(Context& ctx) {
  if (ctx.client.multi.active) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const bool existed = ctx.db().LookupNoTouch(ctx.arg(i)) != nullptr;
    ctx.dispatcher.Watch(ctx.client, ctx.client.db, ctx.arg(i), existed);
  }
  ctx.reply.Ok();
}

void UnwatchCommand(Context& ctx) {
  ctx.dispatcher.Unwatch(ctx.client);
  ctx.reply.Ok();
}

constexpr CommandSpec kTransactionCommands[] = {
    {"multi", MultiCommand, 1, kRunsInMulti | kNoScript | kLoading | kStale | kFast | kAllowBusy, 0,
     0, 0, "transactions", "Starts a transaction.", "1.2.0", "O(1)"},
    {"exec", ExecCommand, 1, kRunsInMulti | kExec | kNoScript | kLoading | kStale | kSkipSlowlog, 0,
     0, 0, "transactions", "Executes all commands in a transaction.", "1.2.0",
     "Depends on commands in the transaction"},
    {"discard", DiscardCommand, 1,
     kRunsInMulti | kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0, "transactions",
     "Discards a transaction.", "2.0.0", "O(N), when N is the number of queued commands"},
    {"watch", WatchCommand, -2, kRunsInMulti | kNoScript | kLoading | kStale | kFast | kAllowBusy,
     1, -1, 1, "transactions",
     "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
     "O(1) for every key."},
    {"unwatch", UnwatchCommand, 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
     "transactions", "Forgets about watched keys of a transaction.", "2.2.0", "O(1)"},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kTransactionCommands; }

}  // namespace mnemo::cmd

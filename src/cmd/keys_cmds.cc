// keys_cmds.cc: commands that work on keys of any type (layer: cmd).
#include <string>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/value.h"

namespace mnemo::cmd {

namespace {

using db::Object;

void DelGeneric(Context& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().Delete(ctx.arg(i), lazy)) ++deleted;
  }
  ctx.reply.Integer(deleted);
}

void DelCommand(Context& ctx) {
  DelGeneric(ctx, ctx.keyspace.options().lazyfree_lazy_user_del);
}
void UnlinkCommand(Context& ctx) { DelGeneric(ctx, true); }

void ExistsCommand(Context& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.db().LookupNoTouch(ctx.arg(i)) != nullptr) ++n;
  }
  ctx.reply.Integer(n);
}

// FLUSHDB/FLUSHALL [ASYNC|SYNC]. Returns nullopt (after replying) on a syntax error.
std::optional<bool> ParseFlushMode(Context& ctx) {
  if (ctx.argc() == 1) return ctx.keyspace.options().lazyfree_lazy_user_flush;
  if (ctx.argc() == 2) {
    if (EqualsIgnoreCase(ctx.arg(1), "ASYNC")) return true;
    if (EqualsIgnoreCase(ctx.arg(1), "SYNC")) return false;
  }
  ctx.reply.Error(protocol::kErrSyntax);
  return std::nullopt;
}

void FlushdbCommand(Context& ctx) {
  auto async = ParseFlushMode(ctx);
  if (!async) return;
  ctx.db().Clear(*async);
  ctx.reply.Ok();
}

void FlushallCommand(Context& ctx) {
  auto async = ParseFlushMode(ctx);
  if (!async) return;
  ctx.keyspace.FlushAll(*async);
  ctx.reply.Ok();
}

constexpr CommandSpec kKeyCommands[] = {
    {"del", DelCommand, -2, kWrite, 1, -1, 1, "generic", "Deletes one or more keys.", "1.0.0",
     "O(N) where N is the number of keys that will be removed."},
    {"unlink", UnlinkCommand, -2, kWrite | kFast, 1, -1, 1, "generic",
     "Asynchronously deletes one or more keys.", "4.0.0",
     "O(1) for each key removed regardless of its size."},
    {"exists", ExistsCommand, -2, kReadOnly | kFast, 1, -1, 1, "generic",
     "Determines whether one or more keys exist.", "1.0.0",
     "O(N) where N is the number of keys to check."},
    {"flushdb", FlushdbCommand, -1, kWrite, 0, 0, 0, "server",
     "Remove all keys from the current database.", "1.0.0",
     "O(N) where N is the number of keys in the selected database"},
    {"flushall", FlushallCommand, -1, kWrite, 0, 0, 0, "server",
     "Removes all keys from all databases.", "1.0.0",
     "O(N) where N is the total number of keys in all databases"},
};

}  // namespace

std::span<const CommandSpec> KeyCommands() { return kKeyCommands; }

}  // namespace mnemo::cmd

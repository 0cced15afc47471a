// client_state_cmds.cc: commands that change how a connection behaves: RESET and the CLIENT
// subcommands UNBLOCK, PAUSE, UNPAUSE, REPLY and NO-TOUCH (layer: cmd). Their rows sit in the
// CLIENT table of connection_cmds.cc and the connection table; see client_state_cmds.h.
#include "client_state_cmds.h"

#include "mnemo/base/clock.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/dispatcher.h"

namespace mnemo::cmd {

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: 1 if the client was blocked and is now unblocked.
void ClientUnblockCommand(Context& ctx) {
  auto id = IntArg(ctx, ctx.arg(2));
  if (!id) return;
  bool error = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "ERROR")) {
      error = true;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "TIMEOUT")) {
      ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  } else if (ctx.argc() > 4) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  Client* target = *id > 0 ? ctx.server.FindClient(static_cast<uint64_t>(*id)) : nullptr;
  const bool done = target != nullptr && ctx.dispatcher.Unblock(*target, error);
  ctx.reply.Integer(done ? 1 : 0);
}

// CLIENT PAUSE timeout [WRITE|ALL]: timeout in milliseconds.
void ClientPauseCommand(Context& ctx) {
  auto ms = IntArg(ctx, ctx.arg(2), "ERR timeout is not an integer or out of range");
  if (!ms) return;
  if (*ms < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return;
  }
  bool all = true;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "WRITE")) {
      all = false;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "ALL")) {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (ctx.argc() > 4) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  const int64_t now = UnixTimeMs();
  if (*ms > INT64_MAX - now) {
    ctx.reply.Error("ERR timeout is out of range");
    return;
  }
  ctx.dispatcher.Pause(now + *ms, all);
  ctx.reply.Ok();
}

void ClientUnpauseCommand(Context& ctx) {
  ctx.dispatcher.Unpause();
  ctx.reply.Ok();
}

// CLIENT REPLY ON|OFF|SKIP: only ON answers (+OK); OFF and SKIP are silent themselves.
void ClientReplyCommand(Context& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "ON")) {
    ctx.client.reply_mode = Client::ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    ctx.client.reply_mode = Client::ReplyMode::kOff;
  } else if (EqualsIgnoreCase(ctx.arg(2), "SKIP")) {
    if (ctx.client.reply_mode != Client::ReplyMode::kOff) {
      ctx.client.reply_mode = Client::ReplyMode::kSkipNext;
    }
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
  }
}

void ClientNoTouchCommand(Context& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "ON")) {
    ctx.client.no_touch = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    ctx.client.no_touch = false;
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  ctx.reply.Ok();
}

// RESET: the connection as new (Redis clearClientConnectionState): no transaction, no watched
// keys, no subscriptions, not a monitor, database 0, RESP2, the default user, no name, replies on,
// and the NO-EVICT and NO-TOUCH modes off. lib-name and lib-ver stay: they describe the library.
void ResetCommand(Context& ctx) {
  Client& c = ctx.client;
  c.multi.Clear();
  ctx.dispatcher.Unwatch(c);
  ctx.dispatcher.pubsub().Forget(c);
  ctx.dispatcher.monitors().Remove(c);
  c.db = 0;
  ctx.reply.set_resp(2);
  // Back to the default user, authenticated iff it needs no password (Redis
  // clientSetDefaultAuth).
  const std::shared_ptr<User>& default_user = ctx.dispatcher.acl().default_user();
  c.user = default_user;
  c.authenticated = default_user->nopass() && default_user->enabled();
  c.name.clear();
  c.reply_mode = Client::ReplyMode::kOn;
  c.no_evict = false;
  c.no_touch = false;
  ctx.reply.SimpleString("RESET");
}

}  // namespace mnemo::cmd

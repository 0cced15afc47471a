// client_state_cmds.cc: commands that change how a connection behaves: RESET and the CLIENT
// subcommands UNBLOCK, PAUSE, UNPAUSE, REPLY and NO-TOUCH (layer: cmd). Their rows sit in the
// CLIENT table of connection_cmds.cc and the connection table; see client_state_cmds.h.
#include "client_state_cmds.h"

#include <algorithm>
#include <string>
#include <vector>

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

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]: the
// checks and their order are Redis 7.0's (clientCommand).
void ClientTrackingCommand(Context& ctx) {
  uint64_t redirect = 0;
  bool bcast = false, optin = false, optout = false, noloop = false;
  std::vector<std::string_view> prefixes;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const bool more = j + 1 < ctx.argc();
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "REDIRECT") && more) {
      ++j;
      if (redirect != 0) {
        ctx.reply.Error("ERR A client can only redirect to a single other client");
        return;
      }
      auto id = IntArg(ctx, ctx.arg(j));
      if (!id) return;
      // The target must exist now, even if it may leave later (Redis's sanity check).
      if (*id <= 0 || ctx.server.FindClient(static_cast<uint64_t>(*id)) == nullptr) {
        ctx.reply.Error("ERR The client ID you want redirect to does not exist");
        return;
      }
      redirect = static_cast<uint64_t>(*id);
    } else if (EqualsIgnoreCase(opt, "BCAST")) {
      bcast = true;
    } else if (EqualsIgnoreCase(opt, "OPTIN")) {
      optin = true;
    } else if (EqualsIgnoreCase(opt, "OPTOUT")) {
      optout = true;
    } else if (EqualsIgnoreCase(opt, "NOLOOP")) {
      noloop = true;
    } else if (EqualsIgnoreCase(opt, "PREFIX") && more) {
      prefixes.push_back(ctx.arg(++j));
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  Client::TrackingState& t = ctx.client.tracking;
  if (EqualsIgnoreCase(ctx.arg(2), "ON")) {
    if (!bcast && !prefixes.empty()) {
      ctx.reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
      return;
    }
    if (t.on && t.bcast != bcast) {
      ctx.reply.Error(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
          "and then re-enabling it with a different mode.");
      return;
    }
    if (bcast && (optin || optout)) {
      ctx.reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
      return;
    }
    if (optin && optout) {
      ctx.reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if ((optin && t.optout) || (optout && t.optin)) {
      ctx.reply.Error(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
          "and then re-enabling it with a different mode.");
      return;
    }
    if (bcast) {
      // No prefix may be a prefix of another: a key would be invalidated twice (Redis
      // checkPrefixCollisionsOrReply, same texts and order).
      auto overlap = [](std::string_view a, std::string_view b) {
        const size_t n = std::min(a.size(), b.size());
        return a.compare(0, n, b.substr(0, n)) == 0;
      };
      for (size_t i = 0; i < prefixes.size(); ++i) {
        for (const std::string& mine : t.prefixes) {
          if (overlap(mine, prefixes[i])) {
            ctx.reply.Error("ERR Prefix '" + std::string(prefixes[i]) +
                            "' overlaps with an existing prefix '" + mine +
                            "'. Prefixes for a single client must not overlap.");
            return;
          }
        }
        for (size_t k = i + 1; k < prefixes.size(); ++k) {
          if (overlap(prefixes[i], prefixes[k])) {
            ctx.reply.Error("ERR Prefix '" + std::string(prefixes[i]) +
                            "' overlaps with another provided prefix '" +
                            std::string(prefixes[k]) +
                            "'. Prefixes for a single client must not overlap.");
            return;
          }
        }
      }
    }
    ctx.dispatcher.tracking().Enable(ctx.client, redirect, bcast, optin, optout, noloop,
                                     prefixes);
  } else if (EqualsIgnoreCase(ctx.arg(2), "OFF")) {
    ctx.dispatcher.tracking().Disable(ctx.client);
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  ctx.reply.Ok();
}

// CLIENT CACHING YES|NO: whether the next command's keys are remembered (OPTIN / OPTOUT).
void ClientCachingCommand(Context& ctx) {
  Client::TrackingState& t = ctx.client.tracking;
  if (!t.on) {
    ctx.reply.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
    return;
  }
  if (EqualsIgnoreCase(ctx.arg(2), "YES")) {
    if (!t.optin) {
      ctx.reply.Error(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (EqualsIgnoreCase(ctx.arg(2), "NO")) {
    if (!t.optout) {
      ctx.reply.Error(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  t.caching = true;
  ctx.reply.Ok();
}

// CLIENT GETREDIR: the redirect target, 0 without one, -1 when not tracking.
void ClientGetredirCommand(Context& ctx) {
  const Client::TrackingState& t = ctx.client.tracking;
  ctx.reply.Integer(t.on ? static_cast<int64_t>(t.redirect) : -1);
}

// CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis 7.0 prints them.
void ClientTrackinginfoCommand(Context& ctx) {
  const Client::TrackingState& t = ctx.client.tracking;
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  std::vector<std::string_view> flags;
  if (!t.on) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (t.bcast) flags.push_back("bcast");
    if (t.optin) {
      flags.push_back("optin");
      if (t.caching) flags.push_back("caching-yes");
    }
    if (t.optout) {
      flags.push_back("optout");
      if (t.caching) flags.push_back("caching-no");
    }
    if (t.noloop) flags.push_back("noloop");
    if (t.redirect != 0 && t.broken_redirect) flags.push_back("broken_redirect");
  }
  ctx.reply.SetHeader(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(t.on ? static_cast<int64_t>(t.redirect) : -1);
  ctx.reply.Bulk("prefixes");
  ctx.reply.ArrayHeader(t.prefixes.size());
  for (const std::string& p : t.prefixes) ctx.reply.Bulk(p);
}

// RESET: the connection as new (Redis clearClientConnectionState): no transaction, no watched
// keys, no subscriptions, no tracking, not a monitor, database 0, RESP2, the default user, no name, replies on,
// and the NO-EVICT and NO-TOUCH modes off. lib-name and lib-ver stay: they describe the library.
void ResetCommand(Context& ctx) {
  Client& c = ctx.client;
  c.multi.Clear();
  ctx.dispatcher.Unwatch(c);
  ctx.dispatcher.pubsub().Forget(c);
  ctx.dispatcher.monitors().Remove(c);
  ctx.dispatcher.tracking().Disable(c);
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

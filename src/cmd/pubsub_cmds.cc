// pubsub_cmds.cc: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB and the sharded
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH (layer: cmd). The registry and delivery are cmd/pubsub.h.
#include <string>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/dispatcher.h"
#include "mnemo/cmd/pubsub.h"

namespace mnemo::cmd {

namespace {

void SubscribeGeneric(Context& ctx, ChannelKind kind) {
  for (size_t i = 1; i < ctx.argc(); ++i) {
    ctx.dispatcher.pubsub().Subscribe(ctx.client, ctx.reply, kind, ctx.arg(i));
  }
}

void UnsubscribeGeneric(Context& ctx, ChannelKind kind) {
  PubSub& ps = ctx.dispatcher.pubsub();
  if (ctx.argc() == 1) {
    ps.UnsubscribeAll(ctx.client, ctx.reply, kind);
    return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) ps.Unsubscribe(ctx.client, ctx.reply, kind, ctx.arg(i));
}

void SubscribeCommand(Context& ctx) { SubscribeGeneric(ctx, ChannelKind::kChannel); }
void PsubscribeCommand(Context& ctx) { SubscribeGeneric(ctx, ChannelKind::kPattern); }
void SsubscribeCommand(Context& ctx) { SubscribeGeneric(ctx, ChannelKind::kShard); }
void UnsubscribeCommand(Context& ctx) { UnsubscribeGeneric(ctx, ChannelKind::kChannel); }
void PunsubscribeCommand(Context& ctx) { UnsubscribeGeneric(ctx, ChannelKind::kPattern); }
void SunsubscribeCommand(Context& ctx) { UnsubscribeGeneric(ctx, ChannelKind::kShard); }

void PublishCommand(Context& ctx) {
  const size_t n = ctx.dispatcher.pubsub().Publish(ctx.arg(1), ctx.arg(2), false);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void SpublishCommand(Context& ctx) {
  const size_t n = ctx.dispatcher.pubsub().Publish(ctx.arg(1), ctx.arg(2), true);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void ChannelsGeneric(Context& ctx, bool shard) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::SubcommandSyntax(ctx.arg(0), ctx.arg(1)));
    return;
  }
  const std::vector<std::string> names =
      ctx.dispatcher.pubsub().Channels(ctx.argc() == 3 ? ctx.arg(2) : std::string_view(), shard);
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

void NumsubGeneric(Context& ctx, bool shard) {
  // A flat array in RESP3 too (Redis 7.0).
  ctx.reply.ArrayHeader(2 * (ctx.argc() - 2));
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.pubsub().NumSub(ctx.arg(i), shard)));
  }
}

void PubsubChannelsCommand(Context& ctx) { ChannelsGeneric(ctx, false); }
void PubsubShardchannelsCommand(Context& ctx) { ChannelsGeneric(ctx, true); }
void PubsubNumsubCommand(Context& ctx) { NumsubGeneric(ctx, false); }
void PubsubShardnumsubCommand(Context& ctx) { NumsubGeneric(ctx, true); }
void PubsubNumpatCommand(Context& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.pubsub().NumPat()));
}

void PubsubHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

constexpr uint32_t kSubFlags = kPubSub | kNoScript | kLoading | kStale | kSubscribedOk;

constexpr CommandSpec kPubsubSubcommands[] = {
    {"channels", PubsubChannelsCommand, -2, kPubSub | kLoading | kStale, 0, 0, 0, "pubsub",
     "Returns the active channels.", "2.8.0",
     "O(N) where N is the number of active channels, and assuming constant time pattern "
     "matching (relatively short channels and patterns)"},
    {"numpat", PubsubNumpatCommand, 2, kPubSub | kLoading | kStale, 0, 0, 0, "pubsub",
     "Returns a count of unique pattern subscriptions.", "2.8.0", "O(1)"},
    {"numsub", PubsubNumsubCommand, -2, kPubSub | kLoading | kStale, 0, 0, 0, "pubsub",
     "Returns a count of subscribers to channels.", "2.8.0",
     "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
    {"shardchannels", PubsubShardchannelsCommand, -2, kPubSub | kLoading | kStale, 0, 0, 0,
     "pubsub", "Returns the active shard channels.", "7.0.0",
     "O(N) where N is the number of active shard channels, and assuming constant time pattern "
     "matching (relatively short shard channels)."},
    {"shardnumsub", PubsubShardnumsubCommand, -2, kPubSub | kLoading | kStale, 0, 0, 0, "pubsub",
     "Returns the count of subscribers of shard channels.", "7.0.0",
     "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
    {"help", PubsubHelpCommand, 2, kLoading | kStale, 0, 0, 0, "pubsub",
     "Returns helpful text about the different subcommands.", "6.2.0", "O(1)"},
};

constexpr CommandSpec kPubsubCommands[] = {
    {"subscribe", SubscribeCommand, -2, kSubFlags, 0, 0, 0, "pubsub",
     "Listens for messages published to channels.", "2.0.0",
     "O(N) where N is the number of channels to subscribe to."},
    {"unsubscribe", UnsubscribeCommand, -1, kSubFlags, 0, 0, 0, "pubsub",
     "Stops listening to messages posted to channels.", "2.0.0",
     "O(N) where N is the number of channels to unsubscribe."},
    {"psubscribe", PsubscribeCommand, -2, kSubFlags, 0, 0, 0, "pubsub",
     "Listens for messages published to channels that match one or more patterns.", "2.0.0",
     "O(N) where N is the number of patterns to subscribe to."},
    {"punsubscribe", PunsubscribeCommand, -1, kSubFlags, 0, 0, 0, "pubsub",
     "Stops listening to messages published to channels that match one or more patterns.", "2.0.0",
     "O(N) where N is the number of patterns to unsubscribe."},
    {"ssubscribe", SsubscribeCommand, -2, kSubFlags, 1, -1, 1, "pubsub",
     "Listens for messages published to shard channels.", "7.0.0",
     "O(N) where N is the number of shard channels to subscribe to."},
    {"sunsubscribe", SunsubscribeCommand, -1, kSubFlags, 1, -1, 1, "pubsub",
     "Stops listening to messages posted to shard channels.", "7.0.0",
     "O(N) where N is the number of shard channels to unsubscribe."},
    {"publish", PublishCommand, 3, kPubSub | kLoading | kStale | kFast | kMayReplicate, 0, 0, 0,
     "pubsub", "Posts a message to a channel.", "2.0.0",
     "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
     "total number of subscribed patterns (by any client)."},
    {"spublish", SpublishCommand, 3, kPubSub | kLoading | kStale | kFast | kMayReplicate, 1, 1, 1,
     "pubsub", "Post a message to a shard channel", "7.0.0",
     "O(N) where N is the number of clients subscribed to the receiving shard channel."},
    {"pubsub", nullptr, -2, 0, 0, 0, 0, "pubsub", "A container for Pub/Sub commands.", "2.8.0",
     "Depends on subcommand.", kPubsubSubcommands},
};

}  // namespace

std::span<const CommandSpec> PubsubCommands() { return kPubsubCommands; }

}  // namespace mnemo::cmd

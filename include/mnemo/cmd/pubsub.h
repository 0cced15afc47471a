// pubsub.h: Pub/Sub channels, patterns and shard channels, and the delivery of messages to
// subscribed clients (layer: cmd).
//
// The registry maps each channel (and pattern) to its subscribers; each client also keeps its
// own subscriptions (Client::subs) so that it can leave them all when it disconnects or RESETs.
// A message is written into each subscriber's connection output (ClientLink::Output) in its own
// protocol: a RESP2 array or a RESP3 push. A subscriber that does not read is closed by its
// connection once its output passes client-output-buffer-limit pubsub, so a flood cannot take
// the server's memory.
//
// Keyspace notifications are published here too: KeyspaceNotifier listens to the keyspace-change
// seam and publishes __keyspace@<db>__:<key> and __keyevent@<db>__:<event> messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/cmd/client.h"
#include "mnemo/db/changes.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::cmd {

enum class ChannelKind : uint8_t { kChannel, kPattern, kShard };

class PubSub {
 public:
  PubSub() = default;
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Subscribes `c` and replies the confirmation ("subscribe", "psubscribe" or "ssubscribe",
  // the name and the client's count) to `reply`, the client's own output.
  void Subscribe(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind, std::string_view name);
  // Unsubscribes and replies the confirmation. Unsubscribing a channel the client does not
  // have still confirms it, as Redis does.
  void Unsubscribe(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind,
                   std::string_view name);
  // Every subscription of the kind; replies one confirmation each, or a single one with a null
  // name when there were none.
  void UnsubscribeAll(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind);
  // Leaves everything without replies (disconnect, RESET).
  void Forget(Client& c);

  // Delivers `message` to the subscribers of `channel` (and, for kChannel, of every matching
  // pattern); returns how many clients received it.
  size_t Publish(std::string_view channel, std::string_view message, bool shard = false);

  // PUBSUB CHANNELS / SHARDCHANNELS [pattern]: active channels matching the pattern (all when
  // empty).
  std::vector<std::string> Channels(std::string_view pattern, bool shard) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: the subscribers of a channel.
  size_t NumSub(std::string_view channel, bool shard) const;
  // PUBSUB NUMPAT: patterns with at least one subscriber.
  size_t NumPat() const { return patterns_.size(); }
  // INFO pubsub_channels / pubsubshard_channels.
  size_t NumChannels(bool shard) const { return shard ? shard_channels_.size() : channels_.size(); }

  // The registry's own memory (channel tables), server overhead.
  size_t OverheadBytes() const;

 private:
  using Table = std::unordered_map<std::string, std::vector<Client*>>;
  Table& TableOf(ChannelKind kind);
  std::set<std::string, std::less<>>& SetOf(Client& c, ChannelKind kind);
  // Removes one subscription from the client and the registry; false if it had none.
  bool Remove(Client& c, ChannelKind kind, std::string_view name);
  // The count a confirmation carries: channels and patterns, or shard channels.
  static size_t CountFor(const Client& c, ChannelKind kind);
  static void Confirm(protocol::ReplyBuilder& reply, std::string_view what,
                      const std::string_view* name, size_t count);
  // `frames` caches the message's bytes in RESP2 ([0]) and RESP3 ([1]): built for the first
  // subscriber that speaks each, copied for the others.
  void Deliver(Client& c, std::string_view kind, const std::string* pattern,
               std::string_view channel, std::string_view message, std::string (&frames)[2]);

  Table channels_;
  Table patterns_;
  Table shard_channels_;
};

// Publishes keyspace events as notifications (notify-keyspace-events).
class KeyspaceNotifier : public db::ChangeListener {
 public:
  explicit KeyspaceNotifier(PubSub& pubsub) : pubsub_(pubsub) {}
  void OnKeyspaceEvent(uint32_t cls, std::string_view event, db::Db& db,
                       std::string_view key) override;

 private:
  PubSub& pubsub_;
  std::string scratch_;
};

}  // namespace mnemo::cmd

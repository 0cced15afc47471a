// pubsub.cc: the Pub/Sub registry, message delivery and keyspace notifications (layer: cmd).
#include "mnemo/cmd/pubsub.h"

#include <algorithm>

#include "mnemo/base/glob.h"
#include "mnemo/base/strings.h"
#include "mnemo/db/db.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::cmd {

namespace {

struct KindNames {
  std::string_view subscribe;
  std::string_view unsubscribe;
};

KindNames NamesOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kChannel:
      return {"subscribe", "unsubscribe"};
    case ChannelKind::kPattern:
      return {"psubscribe", "punsubscribe"};
    case ChannelKind::kShard:
      return {"ssubscribe", "sunsubscribe"};
  }
  return {"", ""};
}

}  // namespace

PubSub::Table& PubSub::TableOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kChannel:
      return channels_;
    case ChannelKind::kPattern:
      return patterns_;
    case ChannelKind::kShard:
      return shard_channels_;
  }
  return channels_;
}

std::set<std::string, std::less<>>& PubSub::SetOf(Client& c, ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kChannel:
      return c.subs.channels;
    case ChannelKind::kPattern:
      return c.subs.patterns;
    case ChannelKind::kShard:
      return c.subs.shard_channels;
  }
  return c.subs.channels;
}

size_t PubSub::CountFor(const Client& c, ChannelKind kind) {
  return kind == ChannelKind::kShard ? c.subs.shard_channels.size() : c.subs.count();
}

void PubSub::Confirm(protocol::ReplyBuilder& reply, std::string_view what,
                     const std::string_view* name, size_t count) {
  reply.PushHeader(3);
  reply.Bulk(what);
  if (name != nullptr) {
    reply.Bulk(*name);
  } else {
    reply.Null();
  }
  reply.Integer(static_cast<int64_t>(count));
}

void PubSub::Subscribe(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind,
                       std::string_view name) {
  auto& mine = SetOf(c, kind);
  if (mine.find(name) == mine.end()) {
    const bool first = !c.subs.any();
    mine.emplace(name);
    TableOf(kind)[std::string(name)].push_back(&c);
    if (first && c.link != nullptr) c.link->SetPubSubClass(true);
  }
  Confirm(reply, NamesOf(kind).subscribe, &name, CountFor(c, kind));
}

bool PubSub::Remove(Client& c, ChannelKind kind, std::string_view name) {
  auto& mine = SetOf(c, kind);
  auto it = mine.find(name);
  if (it == mine.end()) return false;
  Table& table = TableOf(kind);
  auto entry = table.find(*it);
  if (entry != table.end()) {
    std::erase(entry->second, &c);
    if (entry->second.empty()) table.erase(entry);
  }
  mine.erase(it);
  if (!c.subs.any() && c.link != nullptr) c.link->SetPubSubClass(false);
  return true;
}

void PubSub::Unsubscribe(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind,
                         std::string_view name) {
  Remove(c, kind, name);
  Confirm(reply, NamesOf(kind).unsubscribe, &name, CountFor(c, kind));
}

void PubSub::UnsubscribeAll(Client& c, protocol::ReplyBuilder& reply, ChannelKind kind) {
  auto& mine = SetOf(c, kind);
  if (mine.empty()) {
    Confirm(reply, NamesOf(kind).unsubscribe, nullptr, CountFor(c, kind));
    return;
  }
  while (!mine.empty()) {
    const std::string name = *mine.begin();
    Remove(c, kind, name);
    const std::string_view view = name;
    Confirm(reply, NamesOf(kind).unsubscribe, &view, CountFor(c, kind));
  }
}

void PubSub::Forget(Client& c) {
  for (ChannelKind kind : {ChannelKind::kChannel, ChannelKind::kPattern, ChannelKind::kShard}) {
    auto& mine = SetOf(c, kind);
    while (!mine.empty()) Remove(c, kind, *mine.begin());
  }
}

void PubSub::Deliver(Client& c, std::string_view kind, const std::string* pattern,
                     std::string_view channel, std::string_view message,
                     std::string (&frames)[2]) {
  if (c.link == nullptr) return;
  protocol::ReplyBuilder& out = c.link->Output();
  std::string& frame = frames[out.resp() == 3 ? 1 : 0];
  if (frame.empty()) {
    protocol::ReplyBuilder b;
    b.set_resp(out.resp());
    b.PushHeader(pattern != nullptr ? 4 : 3);
    b.Bulk(kind);
    if (pattern != nullptr) b.Bulk(*pattern);
    b.Bulk(channel);
    b.Bulk(message);
    frame.swap(b.buffer());
  }
  out.Raw(frame);
  c.link->OutputAdded();
}

size_t PubSub::Publish(std::string_view channel, std::string_view message, bool shard) {
  size_t receivers = 0;
  const std::string key(channel);
  Table& table = shard ? shard_channels_ : channels_;
  if (auto it = table.find(key); it != table.end()) {
    // A copy: delivering may close a client (output limits), which unsubscribes it.
    const std::vector<Client*> subscribers = it->second;
    std::string frames[2];
    for (Client* c : subscribers) {
      Deliver(*c, shard ? "smessage" : "message", nullptr, channel, message, frames);
      ++receivers;
    }
  }
  if (shard) return receivers;
  std::vector<std::pair<const std::string*, Client*>> matched;
  for (const auto& [pattern, clients] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    for (Client* c : clients) matched.emplace_back(&pattern, c);
  }
  // The clients of one pattern are next to each other: one frame per pattern.
  std::string frames[2];
  std::string p;
  for (const auto& [pattern, c] : matched) {
    if (p != *pattern) {
      p = *pattern;  // a copy: the table may change while delivering
      frames[0].clear();
      frames[1].clear();
    }
    Deliver(*c, "pmessage", &p, channel, message, frames);
    ++receivers;
  }
  return receivers;
}

std::vector<std::string> PubSub::Channels(std::string_view pattern, bool shard) const {
  std::vector<std::string> out;
  for (const auto& [name, clients] : shard ? shard_channels_ : channels_) {
    if (pattern.empty() || GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSub::NumSub(std::string_view channel, bool shard) const {
  const Table& table = shard ? shard_channels_ : channels_;
  auto it = table.find(std::string(channel));
  return it == table.end() ? 0 : it->second.size();
}

size_t PubSub::OverheadBytes() const {
  // unordered_map nodes: next pointer, the key string, the vector, the cached hash.
  constexpr size_t kNode =
      sizeof(void*) + sizeof(std::string) + sizeof(std::vector<Client*>) + sizeof(size_t);
  size_t total = 0;
  for (const Table* t : {&channels_, &patterns_, &shard_channels_}) {
    if (t->bucket_count() > 1) total += mem::SizeClass(t->bucket_count() * sizeof(void*));
    for (const auto& [name, clients] : *t) {
      total += mem::SizeClass(kNode);
      if (const size_t n = StringHeapRequest(name)) total += mem::SizeClass(n);
      if (clients.capacity() > 0) total += mem::SizeClass(clients.capacity() * sizeof(Client*));
    }
  }
  return total;
}

void Client::ForEachStateAllocation(FunctionRef<void(size_t)> fn) const {
  // std::set nodes: three links and a colour (32 bytes) before the string.
  constexpr size_t kSetNode = 32 + sizeof(std::string);
  for (const auto* set : {&subs.channels, &subs.patterns, &subs.shard_channels}) {
    for (const std::string& name : *set) {
      fn(kSetNode);
      if (const size_t n = StringHeapRequest(name)) fn(n);
    }
  }
  if (blocked.keys.capacity() > 0) fn(blocked.keys.capacity() * sizeof(std::string));
  for (const std::string& k : blocked.keys) {
    if (const size_t n = StringHeapRequest(k)) fn(n);
  }
  if (blocked.argv.capacity() > 0) fn(blocked.argv.capacity() * sizeof(std::string));
  for (const std::string& a : blocked.argv) {
    if (const size_t n = StringHeapRequest(a)) fn(n);
  }
}

void KeyspaceNotifier::OnKeyspaceEvent(uint32_t cls, std::string_view event, db::Db& db,
                                       std::string_view key) {
  const uint32_t enabled = db.changes().notify_classes();
  if ((cls & enabled) == 0) return;
  const std::string db_id = std::to_string(db.id());
  if (enabled & db::kNotifyKeyspace) {
    scratch_ = "__keyspace@" + db_id + "__:";
    scratch_ += key;
    pubsub_.Publish(scratch_, event);
  }
  if (enabled & db::kNotifyKeyevent) {
    scratch_ = "__keyevent@" + db_id + "__:";
    scratch_ += event;
    pubsub_.Publish(scratch_, key);
  }
}

}  // namespace mnemo::cmd

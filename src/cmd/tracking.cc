// tracking.cc: client-side caching invalidation (layer: cmd). See tracking.h.
#include "mnemo/cmd/tracking.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "mnemo/base/random.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/cmd/server_api.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::cmd {

namespace {

constexpr std::string_view kInvalidateChannel = "__redis__:invalidate";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

void Tracking::Enable(Client& c, uint64_t redirect, bool bcast, bool optin, bool optout,
                      bool noloop, std::span<const std::string_view> prefixes) {
  Client::TrackingState& t = c.tracking;
  t.on = true;
  tracking_ids_.insert(c.id);
  t.broken_redirect = false;
  t.optin = optin;
  t.optout = optout;
  t.noloop = noloop;
  t.redirect = redirect;
  if (!bcast) return;
  t.bcast = true;
  auto add = [&](std::string_view prefix) {
    Bcast& b = prefixes_[std::string(prefix)];
    if (std::find(b.clients.begin(), b.clients.end(), c.id) != b.clients.end()) return;
    b.clients.push_back(c.id);
    // Sorted, as Redis's radix tree lists them (CLIENT TRACKINGINFO).
    t.prefixes.insert(std::lower_bound(t.prefixes.begin(), t.prefixes.end(), prefix),
                      std::string(prefix));
  };
  if (prefixes.empty()) add("");
  for (std::string_view p : prefixes) add(p);
}

void Tracking::Disable(Client& c) {
  Client::TrackingState& t = c.tracking;
  for (const std::string& p : t.prefixes) {
    auto it = prefixes_.find(p);
    if (it == prefixes_.end()) continue;
    std::erase(it->second.clients, c.id);
    if (it->second.clients.empty()) prefixes_.erase(it);
  }
  tracking_ids_.erase(c.id);
  std::erase_if(pending_, [&](const auto& p) { return p.first == c.id; });
  if (current_ == &c) current_ = nullptr;
  c.tracking = Client::TrackingState{};
}

void Tracking::BeginCommand(Client& c) {
  current_ = &c;
  ++command_seq_;
}

void Tracking::FlushPending(Client& c) {
  if (pending_.empty()) return;
  std::vector<std::pair<uint64_t, std::optional<std::string>>> mine;
  std::erase_if(pending_, [&](auto& p) {
    if (p.first != c.id) return false;
    mine.push_back(std::move(p));
    return true;
  });
  for (const auto& [id, key] : mine) {
    if (!c.tracking.on) break;
    if (key) {
      const std::vector<std::string_view> keys{*key};
      Send(c, &keys);
    } else {
      Send(c, nullptr);
    }
  }
}

void Tracking::RememberKeys(Client& caller, const CommandSpec& spec,
                            std::span<const std::string_view> argv) {
  const Client::TrackingState& t = caller.tracking;
  if (!t.on || t.bcast) return;
  // Shard channels count as keys for cluster routing only (Redis skips pubsub commands).
  if (spec.flags & kPubSub) return;
  if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
  std::vector<KeyRef> keys;
  if (!CommandKeys(spec, argv, keys)) return;
  for (const KeyRef& k : keys) {
    std::vector<uint64_t>& ids = table_[std::string(argv[k.pos])];
    if (std::find(ids.begin(), ids.end(), caller.id) != ids.end()) continue;
    ids.push_back(caller.id);
    ++total_items_;
  }
}

void Tracking::AfterCommand(Client& c, bool client_command) {
  // CACHING yes/no applies to the next command, or to the whole of the next transaction
  // (Redis resetClient keeps it while in MULTI and after CLIENT commands).
  if (!c.tracking.caching || c.multi.active || client_command) return;
  c.tracking.caching = false;
}

void Tracking::Send(Client& c, const std::vector<std::string_view>* keys) {
  Client* dest = &c;
  bool redirected = false;
  if (c.tracking.redirect != 0) {
    dest = server_.FindClient(c.tracking.redirect);
    if (dest == nullptr) {
      // The connection it redirects to is gone: the client is told (RESP3 only), once per
      // message that could not be delivered, as Redis does.
      c.tracking.broken_redirect = true;
      if (c.link != nullptr && c.link->Output().resp() > 2) {
        protocol::ReplyBuilder& out = c.link->Output();
        out.PushHeader(2);
        out.Bulk("tracking-redir-broken");
        out.Integer(static_cast<int64_t>(c.tracking.redirect));
        c.link->OutputAdded();
      }
      return;
    }
    redirected = true;
  }
  if (dest->link == nullptr) return;
  protocol::ReplyBuilder& out = dest->link->Output();
  if (out.resp() > 2) {
    out.PushHeader(2);
    out.Bulk("invalidate");
  } else if (redirected && dest->subs.any()) {
    // RESP2 has no pushes: a subscriber connection gets a Pub/Sub message instead.
    out.PushHeader(3);
    out.Bulk("message");
    out.Bulk(kInvalidateChannel);
  } else {
    return;  // RESP2 without a subscribed redirect target: nowhere to say it
  }
  if (keys == nullptr) {
    out.Null();
  } else {
    out.ArrayHeader(keys->size());
    for (std::string_view k : *keys) out.Bulk(k);
  }
  dest->link->OutputAdded();
}

void Tracking::InvalidateKey(std::string_view key, bool bcast) {
  if (bcast && !prefixes_.empty()) {
    const uint64_t by = current_ != nullptr ? current_->id : 0;
    for (auto& [prefix, b] : prefixes_) {
      if (!StartsWith(key, prefix)) continue;
      auto it = b.keys.find(key);
      if (it == b.keys.end()) {
        b.keys.emplace(std::string(key), by);
      } else {
        it->second = by;
      }
      Wake();
    }
  }
  auto it = table_.find(std::string(key));
  if (it == table_.end()) return;
  // Taken out first: sending cannot change the table, but the key must be gone when clients
  // read it again.
  std::vector<uint64_t> ids = std::move(it->second);
  table_.erase(it);
  total_items_ -= ids.size();
  for (uint64_t id : ids) {
    Client* target = server_.FindClient(id);
    // A client that stopped tracking, or switched to BCAST since, gets nothing.
    if (target == nullptr || !target->tracking.on || target->tracking.bcast) continue;
    if (target == current_) {
      if (target->tracking.noloop) continue;
      pending_.emplace_back(id, std::string(key));
      continue;
    }
    const std::vector<std::string_view> keys{key};
    Send(*target, &keys);
  }
}

void Tracking::InvalidateAll() {
  if (!tracking_ids_.empty()) {
    // Every tracking client, BCAST ones included, in the order they connected.
    const std::vector<uint64_t> ids(tracking_ids_.begin(), tracking_ids_.end());
    for (uint64_t id : ids) {
      Client* c = server_.FindClient(id);
      if (c == nullptr || !c->tracking.on) continue;
      if (c == current_) {
        pending_.emplace_back(c->id, std::nullopt);
      } else {
        Send(*c, nullptr);
      }
    }
  }
  std::unordered_map<std::string, std::vector<uint64_t>>().swap(table_);
  total_items_ = 0;
}

void Tracking::OnKeyModified(db::Db& db, std::string_view key) {
  (void)db;
  if (tracking_ids_.empty() && table_.empty()) return;
  InvalidateKey(key, true);
}

void Tracking::OnDbFlushing(db::Db& db) {
  (void)db;
  // FLUSHALL announces every database; its clients hear of it once.
  if (current_ != nullptr && flush_sent_seq_ == command_seq_) return;
  flush_sent_seq_ = command_seq_;
  InvalidateAll();
}

void Tracking::OnDbsSwapping(db::Db& a, db::Db& b) {
  (void)a;
  (void)b;
  // Every name of both databases may now hold something else. Redis 7.0 sends nothing here,
  // which leaves clients with stale caches; Mnemo invalidates everything, as a flush does.
  if (current_ != nullptr && flush_sent_seq_ == command_seq_) return;
  flush_sent_seq_ = command_seq_;
  InvalidateAll();
}

void Tracking::Wake() {
  if (broadcast_pending_) return;
  broadcast_pending_ = true;
  if (wake_) wake_();
}

void Tracking::Broadcast() {
  broadcast_pending_ = false;
  for (auto& [prefix, b] : prefixes_) {
    if (b.keys.empty()) continue;
    std::map<std::string, uint64_t, std::less<>> changed;
    changed.swap(b.keys);
    std::vector<std::string_view> all;
    all.reserve(changed.size());
    for (const auto& [k, by] : changed) all.push_back(k);
    const std::vector<uint64_t> clients = b.clients;  // sending may close a client
    for (uint64_t id : clients) {
      Client* c = server_.FindClient(id);
      if (c == nullptr || !c->tracking.on) continue;
      if (!c->tracking.noloop) {
        Send(*c, &all);
        continue;
      }
      std::vector<std::string_view> others;
      for (const auto& [k, by] : changed) {
        if (by != id) others.push_back(k);
      }
      if (!others.empty()) Send(*c, &others);
    }
  }
}

void Tracking::LimitKeys() {
  if (max_keys_ == 0 || table_.size() <= max_keys_) {
    limit_rounds_ = 0;
    return;
  }
  // The effort grows while the table stays over the limit (Redis: 100 keys per round more).
  size_t effort = 100 * static_cast<size_t>(limit_rounds_ + 1);
  while (effort-- > 0 && table_.size() > max_keys_) {
    // A random bucket, then the first key from it on: random enough, O(1) on average.
    const size_t buckets = table_.bucket_count();
    size_t bucket = RandomU64() % buckets;
    std::string key;
    for (size_t tries = 0; tries < buckets && key.empty(); ++tries) {
      if (table_.bucket_size(bucket) > 0) {
        key = table_.begin(bucket)->first;
        break;
      }
      bucket = (bucket + 1) % buckets;
    }
    if (key.empty() && !table_.empty()) key = table_.begin()->first;
    // Not a change: the clients are told only so that they stop caching it (no BCAST).
    InvalidateKey(key, false);
  }
  if (table_.size() > max_keys_) {
    ++limit_rounds_;
  } else {
    limit_rounds_ = 0;
  }
}

size_t Tracking::OverheadBytes() const {
  // unordered_map nodes: next pointer, the key string, the id vector, the cached hash.
  constexpr size_t kNode =
      sizeof(void*) + sizeof(std::string) + sizeof(std::vector<uint64_t>) + sizeof(size_t);
  size_t total = 0;
  if (table_.bucket_count() > 1) total += mem::SizeClass(table_.bucket_count() * sizeof(void*));
  for (const auto& [key, ids] : table_) {
    total += mem::SizeClass(kNode);
    if (const size_t n = StringHeapRequest(key)) total += mem::SizeClass(n);
    if (ids.capacity() > 0) total += mem::SizeClass(ids.capacity() * sizeof(uint64_t));
  }
  // std::set / std::map nodes: three links and a colour (32 bytes) before the value.
  total += tracking_ids_.size() * mem::SizeClass(32 + sizeof(uint64_t));
  constexpr size_t kPrefixNode = 32 + sizeof(std::string) + sizeof(Bcast);
  constexpr size_t kKeyNode = 32 + sizeof(std::string) + sizeof(uint64_t);
  for (const auto& [prefix, b] : prefixes_) {
    total += mem::SizeClass(kPrefixNode);
    if (const size_t n = StringHeapRequest(prefix)) total += mem::SizeClass(n);
    if (b.clients.capacity() > 0) {
      total += mem::SizeClass(b.clients.capacity() * sizeof(uint64_t));
    }
    for (const auto& [k, by] : b.keys) {
      total += mem::SizeClass(kKeyNode);
      if (const size_t n = StringHeapRequest(k)) total += mem::SizeClass(n);
    }
  }
  return total;
}

}  // namespace mnemo::cmd

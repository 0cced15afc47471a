// blocking.cc: the registry of clients blocked on keys (layer: cmd).
#include "mnemo/cmd/blocking.h"

#include <algorithm>

#include "mnemo/base/assert.h"
#include "mnemo/db/db.h"

namespace mnemo::cmd {

std::string Blocking::IndexKey(int db, std::string_view key) {
  std::string k = std::to_string(db);
  k += ':';
  k += key;
  return k;
}

void Blocking::Block(Client& c, int db, std::span<const std::string_view> keys,
                     std::span<const std::string_view> argv, int64_t deadline_ms,
                     TimeoutReply timeout_reply) {
  if (c.blocked.reprocessing) {
    c.blocked.reblocked = true;  // still blocked: keeps its place
    return;
  }
  MNEMO_ASSERT(c.CanBlock() && !c.blocked.active);
  BlockedState& b = c.blocked;
  b.active = true;
  b.db = db;
  b.deadline_ms = deadline_ms;
  b.timeout_reply = timeout_reply;
  b.argv.assign(argv.begin(), argv.end());
  b.keys.clear();
  for (std::string_view k : keys) {
    // A key named twice waits once (BLPOP k k 0).
    if (std::find(b.keys.begin(), b.keys.end(), k) != b.keys.end()) continue;
    b.keys.emplace_back(k);
    waiting_[IndexKey(db, k)].push_back(&c);
  }
  if (deadline_ms > 0) deadlines_.emplace(std::make_pair(deadline_ms, c.id), &c);
  ++blocked_count_;
  c.link->Suspend(false);
}

void Blocking::Remove(Client& c) {
  BlockedState& b = c.blocked;
  if (!b.active) return;
  for (const std::string& k : b.keys) {
    auto it = waiting_.find(IndexKey(b.db, k));
    if (it == waiting_.end()) continue;
    std::erase(it->second, &c);
    if (it->second.empty()) waiting_.erase(it);
  }
  if (b.deadline_ms > 0) deadlines_.erase(std::make_pair(b.deadline_ms, c.id));
  --blocked_count_;
  // The kept arguments go now: an idle client holds nothing of its old command.
  b = BlockedState{};
}

void Blocking::MarkReady(const std::string& index) {
  if (ready_set_.insert(index).second) ready_.push_back(index);
}

void Blocking::OnKeyModified(db::Db& db, std::string_view key) {
  if (waiting_.empty()) return;
  std::string index = IndexKey(db.id(), key);
  if (waiting_.count(index) != 0) MarkReady(index);
}

void Blocking::OnDbFlushing(db::Db& db) {
  // A flush only deletes keys: nothing a blocked client waits for appears.
  (void)db;
}

void Blocking::OnDbsSwapping(db::Db& a, db::Db& b) {
  // Keys of the other database may hold data now (Redis scanDatabaseForReadyKeys after SWAPDB).
  const std::string pa = std::to_string(a.id()) + ":";
  const std::string pb = std::to_string(b.id()) + ":";
  for (const auto& [index, clients] : waiting_) {
    if (index.rfind(pa, 0) == 0 || index.rfind(pb, 0) == 0) MarkReady(index);
  }
}

void Blocking::ServeReady(FunctionRef<bool(Client&)> rerun) {
  while (!ready_.empty()) {
    std::vector<std::string> batch;
    batch.swap(ready_);
    ready_set_.clear();
    for (const std::string& index : batch) {
      auto it = waiting_.find(index);
      if (it == waiting_.end()) continue;
      // A copy: serving removes clients from the queue (and may add ones that block again).
      const std::deque<Client*> queue = it->second;
      for (Client* c : queue) {
        // Served or gone meanwhile (a client earlier in this loop may have closed it).
        if (!c->blocked.active) continue;
        c->blocked.reprocessing = true;
        c->blocked.reblocked = false;
        const bool still_blocked = rerun(*c);
        c->blocked.reprocessing = false;
        if (!still_blocked) {
          Remove(*c);
          c->link->Resume();
        }
      }
    }
  }
}

int64_t Blocking::NextDeadline() const {
  return deadlines_.empty() ? 0 : deadlines_.begin()->first.first;
}

void Blocking::ExpireDeadlines(int64_t now_ms, FunctionRef<void(Client&, TimeoutReply)> expire) {
  while (!deadlines_.empty() && deadlines_.begin()->first.first <= now_ms) {
    Client* c = deadlines_.begin()->second;
    const TimeoutReply reply = c->blocked.timeout_reply;
    Remove(*c);
    expire(*c, reply);
  }
}

}  // namespace mnemo::cmd

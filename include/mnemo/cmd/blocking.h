// blocking.h: clients blocked on keys (BLPOP and family), served first-come first-served when
// a key they wait on changes, timed out at their deadline (layer: cmd).
//
// A blocking command that finds no data calls Context::Block: the client is registered on each
// key, its command's arguments are kept, and its connection is suspended (pipelined input
// waits). The registry listens to the keyspace-change seam: a change to a key with waiters
// marks it ready. After every top-level command (so after EXEC as a whole, and after a script)
// the dispatcher calls ServeReady, which runs each waiter's command again, in the order they
// blocked, through the same handler: if the data is there now the handler serves it (and
// propagates its effect as the non-blocking command it became), otherwise it blocks again and
// keeps its place. Serving one client may make other keys ready (BLMOVE pushes), which are
// served in the same call. This is Redis 7.2's design (the command is re-executed), so every
// blocking command, including XREAD BLOCK and WAIT later, needs no serving code of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/cmd/client.h"
#include "mnemo/db/changes.h"

namespace mnemo::cmd {

class Blocking : public db::ChangeListener {
 public:
  Blocking() = default;
  Blocking(const Blocking&) = delete;
  Blocking& operator=(const Blocking&) = delete;

  // Registers `c` as blocked on `keys` of database `db` until `deadline_ms` (Unix ms; 0:
  // forever), keeping `argv` to run again, and suspends its connection. When the client's
  // command is being run again (c.blocked.reprocessing), it keeps its place instead.
  // REQUIRES: c.CanBlock().
  void Block(Client& c, int db, std::span<const std::string_view> keys,
             std::span<const std::string_view> argv, int64_t deadline_ms,
             TimeoutReply timeout_reply);
  // Forgets `c`'s blocked state (served, timed out, unblocked, disconnected). Does not resume
  // the connection.
  void Remove(Client& c);

  // Runs the commands of clients waiting on keys that became ready, until none is ready.
  // `rerun(c)` runs c's kept command again and returns true iff it blocked again (the handler
  // called Block while c.blocked.reprocessing, which sets c.blocked.reblocked).
  void ServeReady(FunctionRef<bool(Client&)> rerun);
  bool has_ready() const { return !ready_.empty(); }

  // The earliest deadline of a blocked client (Unix ms), or 0 when none.
  int64_t NextDeadline() const;
  // Calls `expire(c, reply)` for every client whose deadline is at or before `now_ms`, after
  // removing it from the registry; `reply` is the shape of its command's timeout reply.
  void ExpireDeadlines(int64_t now_ms, FunctionRef<void(Client&, TimeoutReply)> expire);

  size_t blocked_clients() const { return blocked_count_; }
  size_t clients_with_deadline() const { return deadlines_.size(); }
  // Keys with at least one blocked client (INFO total_blocking_keys).
  size_t blocking_keys() const { return waiting_.size(); }

  // db::ChangeListener: a change to a key someone waits on makes it ready.
  void OnKeyModified(db::Db& db, std::string_view key) override;
  void OnDbFlushing(db::Db& db) override;
  void OnDbsSwapping(db::Db& a, db::Db& b) override;

 private:
  static std::string IndexKey(int db, std::string_view key);
  void MarkReady(const std::string& index);

  // "<db>:<key>" -> clients in the order they blocked.
  std::unordered_map<std::string, std::deque<Client*>> waiting_;
  // Keys marked ready since the last ServeReady, in the order they became ready.
  std::vector<std::string> ready_;
  std::unordered_set<std::string> ready_set_;
  // Deadlines: (deadline, client id) -> client.
  std::map<std::pair<int64_t, uint64_t>, Client*> deadlines_;
  size_t blocked_count_ = 0;
};

}  // namespace mnemo::cmd

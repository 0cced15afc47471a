// tracking.h: client-side caching: which clients may hold which keys, and the invalidation
// messages they get when those keys change (layer: cmd).
//
// Redis 7.0's tracking.c, as a listener of the keyspace-change seam (db/changes.h):
//   - default mode: after a read-only command of a tracking client, its keys are remembered in
//     one table, key name -> ids of the clients that read it (names, not databases, as Redis:
//     a change in any database invalidates the name). When the seam announces a change of the
//     key, every remembered client gets ["invalidate", [key]] and the key leaves the table;
//     OPTIN / OPTOUT with CLIENT CACHING select which reads are remembered; NOLOOP skips
//     changes made by the client itself.
//   - BCAST: nothing is remembered per read; a client registers prefixes ("" is every key),
//     the names changed under each prefix are collected and sent to its clients once per loop
//     turn (Broadcast, the server's equivalent of Redis's beforeSleep).
//   - messages go to the client in RESP3 (a push), or with REDIRECT to another connection: a
//     push if that one speaks RESP3, a message on __redis__:invalidate if it is a RESP2
//     subscriber. A vanished redirect target flags the client (tracking-redir-broken).
//   - a flush (FLUSHDB, FLUSHALL, and SWAPDB here, where Redis sends nothing) invalidates every
//     key: one message with a null instead of the key list, and the table is emptied.
// Invalidations for the client whose command is running are held until its reply is written
// (FlushPending), so they never land inside a reply.
//
// The table is bounded by tracking-table-max-keys: past it, keys are dropped at random (their
// clients are told, as if the keys changed), a bounded number per command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mnemo/cmd/client.h"
#include "mnemo/db/changes.h"

namespace mnemo::cmd {

class ServerApi;
struct CommandSpec;

class Tracking : public db::ChangeListener {
 public:
  explicit Tracking(ServerApi& server) : server_(server) {}
  Tracking(const Tracking&) = delete;
  Tracking& operator=(const Tracking&) = delete;

  // CLIENT TRACKING ON with the given options (already validated against each other and the
  // client's state by the command). `prefixes` only with `bcast`; none means every key.
  void Enable(Client& c, uint64_t redirect, bool bcast, bool optin, bool optout, bool noloop,
              std::span<const std::string_view> prefixes);
  // CLIENT TRACKING OFF, RESET, a closed connection. The client's ids in the table are left to
  // be dropped lazily, as Redis does.
  void Disable(Client& c);

  // The command of `c` begins (its invalidations are held until FlushPending) / the reply of
  // its command is written: the held invalidations go out after it.
  void BeginCommand(Client& c);
  void FlushPending(Client& c);
  // The client running the current command, if any (NOLOOP's "the client itself").
  Client* current() const { return current_; }
  void set_current(Client* c) { current_ = c; }

  // After a read-only command run for `caller` (the client that sent it; inside EXEC the
  // same): remembers the command's keys for it when it tracks in default mode.
  void RememberKeys(Client& caller, const CommandSpec& spec,
                    std::span<const std::string_view> argv);
  // The CACHING flag lasts for one command (or transaction): cleared after commands other than
  // CLIENT commands (`client_command`) and inside MULTI.
  void AfterCommand(Client& c, bool client_command);

  // Sends the BCAST invalidations collected since the last call.
  void Broadcast();
  bool broadcast_pending() const { return broadcast_pending_; }
  // Called when a BCAST invalidation is collected and no broadcast is scheduled yet.
  void set_wakeup(std::function<void()> wake) { wake_ = std::move(wake); }

  // tracking-table-max-keys (0: no limit); LimitKeys drops keys until the table is under it
  // again, with bounded effort per call (Redis trackingLimitUsedSlots).
  void set_max_keys(size_t n) { max_keys_ = n; }
  void LimitKeys();

  // INFO: tracking_clients, tracking_total_keys, tracking_total_items, tracking_total_prefixes.
  size_t clients() const { return tracking_ids_.size(); }
  size_t total_keys() const { return table_.size(); }
  size_t total_items() const { return total_items_; }
  size_t total_prefixes() const { return prefixes_.size(); }
  // The tables' memory (server overhead), in allocator size classes.
  size_t OverheadBytes() const;

  // ---- the seam ----
  void OnKeyModified(db::Db& db, std::string_view key) override;
  void OnDbFlushing(db::Db& db) override;
  void OnDbsSwapping(db::Db& a, db::Db& b) override;

 private:
  struct Bcast {
    std::vector<uint64_t> clients;
    // Names changed since the last broadcast, with the id of the client that changed each last
    // (0: none; NOLOOP leaves a client's own changes out).
    std::map<std::string, uint64_t, std::less<>> keys;
  };
  // Invalidates `key` for the clients that remember it and forgets it.
  void InvalidateKey(std::string_view key, bool bcast);
  void InvalidateAll();
  // Writes one invalidation for `c` (to its redirect target if it has one): the keys, or a
  // null meaning every key.
  void Send(Client& c, const std::vector<std::string_view>* keys);
  void Wake();

  ServerApi& server_;
  std::unordered_map<std::string, std::vector<uint64_t>> table_;
  std::map<std::string, Bcast, std::less<>> prefixes_;
  size_t total_items_ = 0;
  std::set<uint64_t> tracking_ids_;  // the clients with tracking on
  size_t max_keys_ = 1000000;
  unsigned limit_rounds_ = 0;  // consecutive LimitKeys calls that stayed over the limit
  Client* current_ = nullptr;
  uint64_t command_seq_ = 0;     // one per BeginCommand
  uint64_t flush_sent_seq_ = 0;  // the command whose flush was announced (FLUSHALL: once)
  // Invalidations held for the current client: a key, or nullopt for "every key".
  std::vector<std::pair<uint64_t, std::optional<std::string>>> pending_;
  bool broadcast_pending_ = false;
  std::function<void()> wake_;
};

}  // namespace mnemo::cmd

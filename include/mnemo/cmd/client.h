// client.h: what the command layer knows about a client (layer: cmd).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"

namespace mnemo::protocol {
class ReplyBuilder;
}

namespace mnemo::cmd {

// How the command layer reaches a client's connection outside the client's own command: a
// message published to it, a blocked client served by another client's push, a timeout, an
// invalidation. The server implements it per connection.
class ClientLink {
 public:
  virtual ~ClientLink() = default;
  // The connection's output. Whatever is added here is written in this loop iteration once
  // OutputAdded is called.
  virtual protocol::ReplyBuilder& Output() = 0;
  virtual void OutputAdded() = 0;
  // Stops handing the client's requests over after the current one (blocked), or before it
  // with `retry_current` (postponed by CLIENT PAUSE); Resume hands them over again.
  virtual void Suspend(bool retry_current) = 0;
  virtual void Resume() = 0;
  // The client-output-buffer-limit class: pubsub while it has subscriptions.
  virtual void SetPubSubClass(bool pubsub) = 0;
  // Closes the connection as soon as possible (an output limit, a deleted user).
  virtual void CloseAsap() = 0;
  // The client's address as CLIENT LIST prints it (addr=): "ip:port", or "<socket path>:0"
  // for a unix socket client (the slow log and MONITOR show it).
  virtual std::string_view PeerAddress() const = 0;
  virtual bool unix_socket() const = 0;
};

// What a blocked client's timeout replies: the shape its command answers with no data, or
// (kRerun) whatever its command answers when run once more with BlockedState::timed_out set
// (WAIT answers how many replicas acknowledged by then).
enum class TimeoutReply : uint8_t { kNullArray, kNullBulk, kRerun };

// A client blocked by BLPOP and family: the keys it waits on and the command to run again when
// one of them changes (Redis 7.2 re-executes the command, so every blocking command is served by
// its own handler).
struct BlockedState {
  bool active = false;
  bool reprocessing = false;  // its command is being run again for a key that changed
  bool reblocked = false;     // ... and found nothing again
  bool timed_out = false;     // its command runs a last time to answer its timeout (kRerun)
  int db = 0;
  std::vector<std::string> keys;
  std::vector<std::string> argv;
  int64_t deadline_ms = 0;  // Unix time; 0: forever
  TimeoutReply timeout_reply = TimeoutReply::kNullArray;
  // The time its runs took so far: the slow log and the latency monitor count the sum when it
  // is served (and nothing when it times out), as Redis does.
  uint64_t elapsed_ns = 0;
};

// Pub/Sub subscriptions of a client (sorted: UNSUBSCRIBE without arguments answers in this
// order).
struct Subscriptions {
  std::set<std::string, std::less<>> channels;
  std::set<std::string, std::less<>> patterns;
  std::set<std::string, std::less<>> shard_channels;

  size_t count() const { return channels.size() + patterns.size(); }
  bool any() const { return !channels.empty() || !patterns.empty() || !shard_channels.empty(); }
};

// MULTI ... EXEC: the commands queued since MULTI, stored flat (every argument in order, and
// each command's argument count), so that a transaction costs few allocations.
struct Transaction {
  bool active = false;   // between MULTI and EXEC / DISCARD
  bool aborted = false;  // a command was refused while queueing: EXEC answers EXECABORT
  uint32_t flags = 0;    // the union of the queued commands' flags (EXEC is denyoom if any is)
  std::vector<std::string> args;
  std::vector<uint32_t> argc;

  size_t size() const { return argc.size(); }
  void Clear() { *this = Transaction{}; }
};

// A key under WATCH, and whether it existed then (a key that disappears before EXEC, by expiry
// or eviction, aborts the transaction as in Redis 7).
struct WatchedKey {
  int db = 0;
  std::string key;
  bool existed = false;
};

class User;  // acl.h

struct Client {
  uint64_t id = 0;
  std::string name;      // CLIENT SETNAME
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  int db = 0;            // SELECT
  // The ACL user the client runs as (the default user until AUTH or HELLO AUTH). Null means no
  // user: every command is allowed (in-process callers that set none).
  std::shared_ptr<User> user;
  // AUTH succeeded (or the default user needed none when the client connected). Commands other
  // than AUTH/HELLO need it while the default user has a password or is off.
  bool authenticated = true;
  bool close_after_reply = false;     // QUIT, CLIENT KILL of itself, protocol errors
  bool no_evict = false;              // CLIENT NO-EVICT
  std::string last_command = "NULL";  // CLIENT LIST cmd=
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  Transaction multi;
  std::vector<WatchedKey> watched;
  bool watch_touched = false;  // a watched key was written since WATCH: EXEC fails
  bool in_exec = false;        // EXEC is running this client's queued commands
  bool in_script = false;      // a script is running commands on behalf of this client

  // CLIENT REPLY: kOff suppresses every reply; CLIENT REPLY SKIP sets kSkipNext, which becomes
  // kSkip for the next command, whose reply is suppressed (Redis's CLIENT_REPLY_SKIP_NEXT and
  // CLIENT_REPLY_SKIP: SKIP SKIP skips the command after the second SKIP).
  enum class ReplyMode : uint8_t { kOn, kOff, kSkip, kSkipNext };
  ReplyMode reply_mode = ReplyMode::kOn;
  bool no_touch = false;   // CLIENT NO-TOUCH: commands leave LRU/LFU data alone
  bool postponed = false;  // waiting for CLIENT PAUSE to end
  bool cluster_readonly = false;  // READONLY (cluster mode): CLIENT LIST flag r
  bool monitor = false;    // MONITOR: receives a line per command (cmd/monitor.h)
  // Replication: the link to the primary on a replica (CLIENT LIST flag M, type master), a
  // replica's link on a primary (flag S, type replica).
  bool is_master = false;
  bool is_replica = false;
  // The replication offset right after this client's last command (Redis c->woff): WAIT waits
  // for replicas to acknowledge it.
  int64_t woff = 0;

  // CLIENT TRACKING (cmd/tracking.h).
  struct TrackingState {
    bool on = false;
    bool bcast = false;
    bool optin = false;
    bool optout = false;
    bool noloop = false;
    bool caching = false;          // CLIENT CACHING yes/no given for the next command
    bool broken_redirect = false;  // the redirect target has disconnected
    uint64_t redirect = 0;         // client id; 0: none
    std::vector<std::string> prefixes;  // BCAST prefixes
  };
  TrackingState tracking;

  ClientLink* link = nullptr;  // null for clients without a connection
  BlockedState blocked;
  Subscriptions subs;

  // True iff a command of this client may block now (not inside EXEC or a script, and there
  // is a connection to suspend).
  bool CanBlock() const { return !in_exec && !in_script && link != nullptr; }

  // Calls fn(bytes) for every heap block of the MULTI queue, with the size asked of the
  // allocator; ForEachTransactionAllocation adds the watched keys (client memory, tot-mem).
  void ForEachMultiAllocation(FunctionRef<void(size_t)> fn) const;
  void ForEachTransactionAllocation(FunctionRef<void(size_t)> fn) const;
  // The bytes of the MULTI queue (CLIENT LIST multi-mem).
  size_t MultiBytes() const;
  // Calls fn(bytes) for every heap block of the client's subscriptions and blocked state.
  void ForEachStateAllocation(FunctionRef<void(size_t)> fn) const;
};

}  // namespace mnemo::cmd

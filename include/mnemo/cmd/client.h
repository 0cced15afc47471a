// client.h: what the command layer knows about a client (layer: cmd).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mnemo/base/function_ref.h"

namespace mnemo::cmd {

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

  // Calls fn(bytes) for every heap block of the MULTI queue, with the size asked of the
  // allocator; ForEachTransactionAllocation adds the watched keys (client memory, tot-mem).
  void ForEachMultiAllocation(FunctionRef<void(size_t)> fn) const;
  void ForEachTransactionAllocation(FunctionRef<void(size_t)> fn) const;
  // The bytes of the MULTI queue (CLIENT LIST multi-mem).
  size_t MultiBytes() const;
};

}  // namespace mnemo::cmd

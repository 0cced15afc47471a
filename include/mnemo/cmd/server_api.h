// server_api.h: the server-level facts commands need, behind an interface the command layer
// declares and the server implements (layer: cmd). This keeps cmd below server in the module
// order: INFO, CONFIG, CLIENT and SHUTDOWN reach the server only through here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/base/status.h"
#include "mnemo/cmd/client.h"
#include "mnemo/db/object.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::cmd {

// Which clients CLIENT LIST and CLIENT KILL select; unset fields match everything.
struct ClientFilter {
  std::vector<uint64_t> ids;
  std::optional<std::string> type;   // normal, master, replica, pubsub
  std::optional<std::string> addr;   // ip:port
  std::optional<std::string> laddr;  // ip:port
  std::optional<std::string> user;
  bool skip_me = false;  // SKIPME yes (KILL only)
};

// One finding of the memory doctor: a stable name (docs/commands.md lists them), the sentences
// MEMORY DOCTOR prints, and the figures they rest on, which MEMORY ADVISOR returns as a map.
struct MemoryFinding {
  using Fact = std::variant<int64_t, double, std::string>;
  std::string name;
  std::string text;
  std::vector<std::pair<std::string, Fact>> facts;
};

// Where memory goes: the figures INFO memory, MEMORY STATS and MEMORY DOCTOR share, computed
// in one place (server/memory_report.cc).
struct MemoryOverview {
  size_t peak_allocated = 0;     // used_memory_peak
  size_t total_allocated = 0;    // used_memory
  size_t startup_allocated = 0;  // used_memory_startup
  size_t clients_normal = 0;     // client buffers and state
  size_t aof_buffer = 0;         // aof.buffer: the AOF's buffer of commands not yet written
  // Serialized bytes a snapshot in progress (BGSAVE, BGREWRITEAOF) holds and has not written
  // yet, old values of keys written before they changed among them: part of overhead.total.
  size_t snapshot_buffer = 0;
  size_t repl_backlog = 0;  // the replication backlog's ring (replication.backlog)
  struct DbOverhead {
    int db = 0;
    size_t keys = 0;
    size_t expires = 0;
    size_t hashtable_main = 0;     // bucket arrays of the keys table
    size_t hashtable_expires = 0;  // bucket arrays of the expires table
  };
  std::vector<DbOverhead> dbs;  // non-empty databases only
  size_t overhead_total = 0;    // startup + clients + keyspace tables + latency histograms
                                // + slow log, latency events, monitors
  size_t keys_count = 0;
  size_t bytes_per_key = 0;       // (total - startup) / keys
  size_t dataset_bytes = 0;       // total - overhead
  double dataset_percentage = 0;  // of total - startup
  double peak_percentage = 0;     // total / peak
  size_t rss = 0;
  // jemalloc's view (0 in sanitizer builds).
  size_t allocator_allocated = 0;
  size_t allocator_active = 0;
  size_t allocator_resident = 0;
  size_t allocator_dirty = 0;     // freed pages jemalloc still holds; MEMORY PURGE returns them
  size_t allocator_metadata = 0;  // jemalloc's own bookkeeping (stats.metadata), resident
  double allocator_frag_ratio = 0;
  int64_t allocator_frag_bytes = 0;
  double allocator_rss_ratio = 0;
  int64_t allocator_rss_bytes = 0;
  double rss_overhead_ratio = 0;
  int64_t rss_overhead_bytes = 0;
  double fragmentation_ratio = 0;  // rss / used_memory
  int64_t fragmentation_bytes = 0;
  size_t lazyfree_pending_objects = 0;
  // Scripting (Redis's names in INFO memory; the Lua heaps are allocated through mem here, so
  // they are part of used_memory and of the overhead).
  size_t lua_vm_eval = 0;          // used_memory_vm_eval / used_memory_lua
  size_t lua_vm_functions = 0;     // used_memory_vm_functions
  size_t lua_caches = 0;           // used_memory_scripts_eval (MEMORY STATS lua.caches)
  size_t functions_caches = 0;     // used_memory_functions (MEMORY STATS functions.caches)
  size_t cached_scripts = 0;       // number_of_cached_scripts
  size_t functions = 0;            // number_of_functions
  size_t libraries = 0;            // number_of_libraries
  size_t clients = 0;
  // Value compression (Mnemo's, docs/memory.md). INFO memory and MEMORY STATS show these only
  // while compression is in use (configured, or values or dictionaries remain), so that a
  // server that does not use it answers exactly as Redis does.
  bool compression_in_use = false;
  std::string value_compression;          // value-compression
  size_t compressed_values = 0;           // values stored compressed
  size_t compressed_bytes = 0;            // their blocks' usable sizes
  size_t compressed_original_bytes = 0;   // their lengths uncompressed
  size_t compression_dictionaries = 0;    // dictionaries alive (in use or current)
  size_t compression_dictionaries_bytes = 0;
  uint64_t compression_dictionary_trainings = 0;
  bool compression_training = false;       // a dictionary is being trained
  bool compression_recompressing = false;  // the cron is recompressing with a new dictionary
  uint64_t compression_recompressed_values = 0;
};

// SHUTDOWN's flags (Redis 7.0). With neither NOSAVE nor SAVE, a snapshot is saved when save
// points are configured.
struct ShutdownOptions {
  bool nosave = false;  // never save
  bool save = false;    // save even without save points
  bool now = false;     // do not wait for lagging replicas
  bool force = false;   // exit even if saving fails
};

class ServerApi {
 public:
  virtual ~ServerApi() = default;

  // INFO: the text of the requested sections (empty: the default sections).
  virtual std::string Info(std::span<const std::string_view> sections) = 0;

  // CONFIG GET: name/value pairs of the parameters matching any of the glob patterns.
  virtual std::vector<std::pair<std::string, std::string>> ConfigGet(
      std::span<const std::string_view> patterns) = 0;
  // CONFIG SET name value [name value ...]: all or nothing. The error is the reply text.
  virtual Status ConfigSet(std::span<const std::string_view> name_value_pairs) = 0;
  virtual Status ConfigRewrite() = 0;
  virtual void ResetStats() = 0;

  // One CLIENT LIST line per selected client (no trailing newline).
  virtual std::vector<std::string> ClientLines(const ClientFilter& filter) = 0;
  // CLIENT INFO of the calling client.
  virtual std::string ClientLine(const Client& self) = 0;
  // The client with this id, or null (CLIENT UNBLOCK).
  virtual Client* FindClient(uint64_t id) = 0;
  // Closes the selected clients (the caller itself after its reply); returns how many.
  virtual size_t KillClients(const ClientFilter& filter, Client& self) = 0;

  // proto-max-bulk-len: the longest string a command may build (APPEND, SETRANGE; LCS's
  // scratch table), as well as the longest argument a client may send. Read live, so CONFIG
  // SET applies to the next command.
  virtual int64_t ProtoMaxBulkLen() const = 0;

  // INFO memory, MEMORY STATS, MEMORY DOCTOR (text) and MEMORY ADVISOR (the same findings with
  // their figures, for tools).
  virtual MemoryOverview Memory() = 0;
  virtual std::string MemoryDoctor() = 0;
  virtual std::vector<MemoryFinding> MemoryFindings() = 0;

  // ---- ACL ----
  // Disconnects the clients `which` selects, as Redis does with the clients of a deleted user:
  // each is first set back to the default user, unauthenticated, then closed; `self` (the
  // caller) is closed after its reply.
  virtual void DisconnectClients(FunctionRef<bool(const Client&)> which, Client& self) = 0;
  // aclfile: the ACL file ("" when users live in the config file).
  virtual std::string AclFile() const = 0;
  // Stops the server after the current command; returns the error text if it cannot (Redis's
  // "ERR Errors trying to SHUTDOWN. Check logs." when the final save fails without FORCE).
  virtual Status Shutdown(const ShutdownOptions& options) = 0;
  // SHUTDOWN ABORT: cancels a shutdown that is waiting (for replicas to catch up); false when
  // none is in progress.
  virtual bool AbortShutdown() = 0;
  // DEBUG is refused unless enable-debug-command allows it for this client.
  virtual bool DebugAllowed(const Client& self) const = 0;
  // Blocks the event loop (DEBUG SLEEP).
  virtual void Sleep(double seconds) = 0;

  // ---- persistence (the server owns the files; persist/ owns the format) ----
  // SAVE: writes the RDB file now, synchronously. The error is the reply text.
  virtual Status Save() = 0;
  // BGSAVE [SCHEDULE]: starts the fork-less snapshot (persist/snapshot.h), or schedules it when
  // called inside EXEC, as Redis does. The status text of the reply, or the error reply.
  // `schedule` matters only while another background job runs (none exists yet).
  virtual Result<std::string> BgSave(bool schedule, bool in_exec) = 0;
  // BGREWRITEAOF: starts the fork-less AOF rewrite (or schedules it while a BGSAVE runs). The
  // status text of the reply, or the error reply.
  virtual Result<std::string> BgRewriteAof() = 0;
  // LASTSAVE: Unix time in seconds of the last successful save (the start time before any).
  virtual int64_t LastSave() const = 0;
  // DUMP: the serialized value of `o` (Redis's payload: RDB value, version, CRC-64).
  virtual std::string DumpPayload(const db::Object& o) = 0;
  // RESTORE: decodes `payload` into a new object for `key` of database `db` (not in any Db, no
  // expiry) in *out, or returns the error reply text (bad version or checksum, bad data format).
  virtual Status DecodePayload(int db, std::string_view key, std::string_view payload,
                               db::Object** out) = 0;
  // FUNCTION DUMP: the libraries' code as Redis 7.0's payload (RDB_OPCODE_FUNCTION2 records,
  // RDB version, CRC-64).
  virtual std::string FunctionsPayload(std::span<const std::string> codes) = 0;
  // FUNCTION RESTORE: the libraries' code in `payload`, or the error reply text.
  virtual Status DecodeFunctionsPayload(std::string_view payload,
                                        std::vector<std::string>* codes) = 0;

  // ---- replication (server/replication.cc) ----
  // REPLCONF, PSYNC / SYNC, REPLICAOF / SLAVEOF, ROLE: the server writes the replies (PSYNC's
  // reply and the data follow later, on the connection).
  virtual void Replconf(Client& self, std::span<const std::string_view> argv,
                        protocol::ReplyBuilder& reply);
  virtual void Psync(Client& self, std::span<const std::string_view> argv,
                     protocol::ReplyBuilder& reply);
  virtual void ReplicaOf(Client& self, std::span<const std::string_view> argv,
                         protocol::ReplyBuilder& reply);
  virtual void Role(protocol::ReplyBuilder& reply);
  // WAIT: how many replicas acknowledged the stream up to `offset` (Redis
  // replicationCountAcksByOffset); RequestReplicaAcks asks them all for an ACK now
  // (REPLCONF GETACK *, sent once per loop turn).
  virtual int64_t ReplicasAcknowledged(int64_t offset) {
    (void)offset;
    return 0;
  }
  virtual void RequestReplicaAcks() {}
  // This server replicates a primary (HELLO's role).
  virtual bool IsReplica() const { return false; }
  // ---- scripting ----
  // Called from inside a script that has run past busy-reply-threshold: serves other clients
  // for a moment (they get -BUSY, or run SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE).
  // Returns false when the server is shutting down (the script must stop).
  virtual bool ProcessEventsWhileBusy() { return true; }

  // ---- cluster mode (cluster.h) ----
  // CLUSTER SAVECONFIG: writes the nodes file (cluster-config-file in dir) again.
  virtual Status SaveClusterConfig() = 0;
};

}  // namespace mnemo::cmd

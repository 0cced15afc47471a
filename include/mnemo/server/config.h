// config.h: the server's parameters, as one table (layer: server).
//
// Every parameter is a row: name (and alias), type, default, bounds, whether it can change at
// runtime, and where its value lives. The config file (redis.conf syntax), command-line
// overrides, CONFIG GET/SET/REWRITE and conf/mnemo.conf's documentation all read the same rows,
// so a parameter added here exists everywhere at once. A unit test checks the table's
// invariants (every default parses, names are unique, bounds hold the default).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mnemo/base/log.h"
#include "mnemo/base/status.h"
#include "mnemo/db/options.h"
#include "mnemo/server/config_file.h"

namespace mnemo::server {

// Values of every parameter. Fields that the db layer reads live in `db`.
struct ServerConfig {
  // Network
  std::vector<std::string> bind = {"*", "-::*"};
  int64_t port = 6379;
  int64_t tcp_backlog = 511;
  int64_t tcp_keepalive = 300;
  std::string unixsocket;
  int64_t unixsocketperm = 0;
  bool protected_mode = true;
  int64_t timeout = 0;  // seconds; 0: never close idle clients
  int64_t maxclients = 10000;
  // Protocol and client limits
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  // client-output-buffer-limit per class: hard, soft, soft seconds (0 = none).
  int64_t output_normal_hard = 0;
  int64_t output_normal_soft = 0;
  int64_t output_normal_soft_seconds = 0;
  int64_t output_replica_hard = 268435456;
  int64_t output_replica_soft = 67108864;
  int64_t output_replica_soft_seconds = 60;
  int64_t output_pubsub_hard = 33554432;
  int64_t output_pubsub_soft = 8388608;
  int64_t output_pubsub_soft_seconds = 60;
  // The three classes as CONFIG GET prints them.
  std::string output_buffer_limit_text =
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  // Bytes, or -N for "N%" of maxmemory (as Redis stores it); 0: no client eviction.
  int64_t maxmemory_clients = 0;
  // Server
  int64_t databases = 16;
  int64_t hz = 10;
  // notify-keyspace-events as db::NotifyClass bits.
  uint32_t notify_keyspace_events = 0;
  bool dynamic_hz = true;
  bool activerehashing = true;
  bool daemonize = false;
  std::string pidfile;
  std::string supervised = "no";
  std::string requirepass;
  LogLevel loglevel = LogLevel::kNotice;
  std::string logfile;
  // ---- cluster mode: one node owning every slot (cmd/cluster.h, server/cluster.cc) ----
  bool cluster_enabled = false;
  std::string cluster_config_file = "nodes.conf";
  int64_t cluster_node_timeout = 15000;
  int64_t cluster_port = 0;  // 0: port + 10000, as Redis (announced only; nothing listens)
  std::string cluster_announce_ip;
  int64_t cluster_announce_port = 0;
  int64_t cluster_announce_bus_port = 0;
  // ---- persistence: the AOF (server/aof.cc, persist/aof.h) ----
  bool appendonly = false;
  std::string appenddirname = "appendonlydir";  // under dir
  std::string appendfilename = "appendonly.aof";
  std::string appendfsync = "everysec";  // always, everysec or no
  bool no_appendfsync_on_rewrite = false;
  int64_t auto_aof_rewrite_percentage = 100;  // 0: no automatic rewrite
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
  bool aof_load_truncated = true;
  bool aof_use_rdb_preamble = true;
  bool aof_timestamp_enabled = false;
  bool aof_rewrite_incremental_fsync = true;
  // ---- persistence: RDB snapshots (server/persistence.cc) ----
  // The working directory, where the RDB file lives. main() and CONFIG SET chdir there and store
  // the absolute path.
  std::string dir = ".";
  std::string dbfilename = "dump.rdb";
  // Save points "<seconds> <changes> ..." (normalized, space-separated); "" means none.
  std::string save = "3600 1 300 100 60 10000";
  bool rdbcompression = true;
  bool rdbchecksum = true;
  bool rdb_del_sync_files = false;
  bool rdb_save_incremental_fsync = true;  // BGSAVE: fdatasync every 4 MB written
  bool stop_writes_on_bgsave_error = true;  // -MISCONF after a failed background save
  std::string sanitize_dump_payload = "no";  // accepted; Mnemo always validates deeply
  std::string enable_debug_command = "no";
  bool jemalloc_bg_thread = true;
  bool latency_tracking = true;
  std::vector<double> latency_percentiles = {50.0, 99.0, 99.9};
  int64_t io_threads = 1;
  // ACL (users and permissions)
  std::string aclfile;                  // users live in this file; exclusive with `user` lines
  int64_t acllog_max_len = 128;         // ACL LOG entries kept
  bool acl_pubsub_default_all = false;  // acl-pubsub-default: allchannels (true) or resetchannels
  // `user <name> <rules...>` lines of the config file: the name, then its rules (selectors
  // spread over several words already joined). Not a CONFIG parameter: CONFIG REWRITE writes
  // the users as they are then.
  std::vector<std::vector<std::string>> users;
  // ---- observability ----
  int64_t slowlog_log_slower_than = 10000;  // microseconds; -1: off, 0: every command
  int64_t slowlog_max_len = 128;
  int64_t tracking_table_max_keys = 1000000;
  int64_t latency_monitor_threshold = 0;  // milliseconds; 0: off
  // Everything the db layer obeys (encodings, lazy free, maxmemory and eviction, expiry).
  db::Options db;

  // The save points of `save` as (seconds, changes) pairs.
  std::vector<std::pair<int64_t, int64_t>> SavePoints() const;
  // Where the RDB file is: dir + "/" + dbfilename.
  std::string RdbPath() const;
  // The AOF directory: dir + "/" + appenddirname.
  std::string AofDir() const { return dir + "/" + appenddirname; }
  // ---- network security: directives that are not parameters (config_file.h) ----
  // rename-command lines in order: a top-level command's name and its new name ("" disables
  // it). Validated when loaded; the dispatcher applies them at start. Not shown by CONFIG GET
  // and never rewritten, as in Redis.
  std::vector<std::pair<std::string, std::string>> command_renames;
  // TLS (net/tls.h); tls-port 0: no TLS listener, and no context is made.
  int64_t tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_file_pass;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_auth_clients = "yes";  // yes, no or optional
  std::string tls_protocols;
  std::string tls_ciphers;
  std::string tls_ciphersuites;
  bool tls_prefer_server_ciphers = false;

  // Replication (server/replication.cc).
  std::string replicaof;
  std::string masterauth;
  std::string masteruser;
  bool replica_read_only = true;
  bool replica_serve_stale_data = true;
  int64_t repl_backlog_size = 1048576;
  int64_t repl_backlog_ttl = 3600;
  bool repl_diskless_sync = true;
  int64_t repl_diskless_sync_delay = 5;
  int64_t repl_diskless_sync_max_replicas = 0;
  std::string repl_diskless_load = "disabled";
  int64_t repl_timeout = 60;
  int64_t repl_ping_replica_period = 10;
  bool repl_disable_tcp_nodelay = false;
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;
  int64_t replica_priority = 100;
  std::string replica_announce_ip;
  int64_t replica_announce_port = 0;
  bool replica_announced = true;
  bool replica_lazy_flush = false;
  bool replica_ignore_maxmemory = true;

  // Scripting: busy-reply-threshold (alias lua-time-limit), in milliseconds; lua-memory-limit,
  // the most each Lua interpreter's heap may hold (0: automatic, see LuaMemoryLimit).
  int64_t busy_reply_threshold = 5000;
  int64_t lua_memory_limit = 0;

  // lua-memory-limit in bytes: the configured value, or by default a quarter of maxmemory
  // (at least 32 MiB) when maxmemory is set, else 1 GiB.
  size_t LuaMemoryLimit() const {
    if (lua_memory_limit > 0) return static_cast<size_t>(lua_memory_limit);
    if (db.maxmemory > 0) return std::max<size_t>(db.maxmemory / 4, size_t{32} << 20);
    return size_t{1} << 30;
  }

  // The client budget in bytes: maxmemory-clients, or its percentage of maxmemory (0 when
  // maxmemory is 0); 0 means no client eviction.
  size_t ClientEvictionLimit() const {
    if (maxmemory_clients >= 0) return static_cast<size_t>(maxmemory_clients);
    return static_cast<size_t>(static_cast<double>(db.maxmemory) *
                               static_cast<double>(-maxmemory_clients) / 100.0);
  }
};

// Parameter flags.
enum ConfigFlag : uint32_t {
  kImmutable = 1u << 0,  // only from the config file or command line
  kSensitive = 1u << 1,  // value never logged (requirepass)
  kMulti = 1u << 2,      // takes several arguments (bind, save)
  // CONFIG REWRITE removes the parameter's line when the value is empty instead of writing
  // `name ""`: `replicaof` on a primary (Redis rewriteConfigReplicaOfOption), so that the file
  // of a replica that Sentinel promoted starts a primary and stays readable by redis-server.
  kRewriteDropsEmpty = 1u << 3,
};

class Server;

struct ConfigParam {
  std::string_view name;
  std::string_view alias;  // e.g. hash-max-ziplist-entries for hash-max-listpack-entries
  uint32_t flags;
  std::string_view default_value;
  std::string_view doc;  // one line: what it does and why the default
  // Parses and stores a value; the error text is Redis's ("argument must be ...").
  Status (*set)(ServerConfig& c, std::string_view value);
  std::string (*get)(const ServerConfig& c);
};

// All parameters, in documentation order.
std::span<const ConfigParam> ConfigTable();
// The row for a name or alias (case-insensitive), or null.
const ConfigParam* FindConfigParam(std::string_view name);

// Turns "--port 7000 --bind a b" style arguments into config text lines.
std::string ArgsToConfigText(std::span<const std::string> args);

// Rewrites `path` so that it holds the current values: lines of parameters that exist are
// replaced in place (repeats collapse into the first), other lines stay as they are, and
// parameters that differ from their default and are missing are appended under one
// "# Generated by CONFIG REWRITE" line; a kRewriteDropsEmpty parameter with an empty value loses
// its lines. `user_lines` ("user <name> <rules>") replace the file's
// `user` lines in order; old ones left over go, new ones left over are appended.
Status RewriteConfigFile(const std::string& path, const ServerConfig& c,
                         std::span<const std::string> user_lines = {});

}  // namespace mnemo::server

// info_test.cc: INFO on the real server: section headers and Redis's field names, memory per
// key and its return after FLUSHALL (sync and async), commandstats and the keyspace line
// (tests/integration).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "redis_reference.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

// Adds keys "key:%08d" -> 16-byte values, [from, from + n), through one pipelined connection
// that is closed before returning.
void AddKeys(ServerProcess& s, int from, int n) {
  RedisConnection c = s.Connect(30000);
  ASSERT_TRUE(c);
  char key[32];
  char value[32];
  for (int i = from; i < from + n; ++i) {
    std::snprintf(key, sizeof(key), "key:%08d", i);
    std::snprintf(value, sizeof(value), "value-%010d", i);  // 16 bytes
    redisAppendCommand(c.get(), "SET %s %s", key, value);
  }
  for (int i = 0; i < n; ++i) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
    const RespValue v = FromHiredis(static_cast<redisReply*>(reply));
    freeReplyObject(reply);
    ASSERT_EQ(v.ToString(), "OK");
  }
}

struct Section {
  const char* name;    // as asked for
  const char* header;  // as printed after "# "
  std::vector<const char*> fields;
};

std::vector<const char*> MemoryFields() {
  std::vector<const char*> out;
  for (const std::string& f : kRedisInfoMemoryFields) out.push_back(f.c_str());
  return out;
}

// Redis 7.0's fields, section by section (its INFO everything), in its section order.
const std::vector<Section>& RedisSections() {
  static const std::vector<Section> sections = {
      {"server",
       "Server",
       {"redis_version",
        "redis_git_sha1",
        "redis_git_dirty",
        "redis_build_id",
        "redis_mode",
        "os",
        "arch_bits",
        "monotonic_clock",
        "multiplexing_api",
        "atomicvar_api",
        "gcc_version",
        "process_id",
        "process_supervised",
        "run_id",
        "tcp_port",
        "server_time_usec",
        "uptime_in_seconds",
        "uptime_in_days",
        "hz",
        "configured_hz",
        "lru_clock",
        "executable",
        "config_file",
        "io_threads_active"}},
      {"clients",
       "Clients",
       {"connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
        "client_recent_max_output_buffer", "blocked_clients", "tracking_clients",
        "clients_in_timeout_table"}},
      {"memory", "Memory", MemoryFields()},
      {"persistence",
       "Persistence",
       {"loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
        "current_fork_perc",
        "current_save_keys_processed",
        "current_save_keys_total",
        "rdb_changes_since_last_save",
        "rdb_bgsave_in_progress",
        "rdb_last_save_time",
        "rdb_last_bgsave_status",
        "rdb_last_bgsave_time_sec",
        "rdb_current_bgsave_time_sec",
        "rdb_saves",
        "rdb_last_cow_size",
        "rdb_last_load_keys_expired",
        "rdb_last_load_keys_loaded",
        "aof_enabled",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
        "aof_last_rewrite_time_sec",
        "aof_current_rewrite_time_sec",
        "aof_last_bgrewrite_status",
        "aof_rewrites",
        "aof_rewrites_consecutive_failures",
        "aof_last_write_status",
        "aof_last_cow_size",
        "module_fork_in_progress",
        "module_fork_last_cow_size"}},
      {"stats",
       "Stats",
       {"total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "total_net_repl_input_bytes",
        "total_net_repl_output_bytes",
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps",
        "instantaneous_output_repl_kbps",
        "rejected_connections",
        "sync_full",
        "sync_partial_ok",
        "sync_partial_err",
        "expired_keys",
        "expired_stale_perc",
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
        "evicted_keys",
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
        "keyspace_hits",
        "keyspace_misses",
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
        "total_error_replies",
        "dump_payload_sanitizations",
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands"}},
      {"replication",
       "Replication",
       {"role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
        "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
        "repl_backlog_first_byte_offset", "repl_backlog_histlen"}},
      {"cpu",
       "CPU",
       {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
        "used_cpu_sys_main_thread", "used_cpu_user_main_thread"}},
      {"modules", "Modules", {}},
      {"commandstats", "Commandstats", {}},
      {"errorstats", "Errorstats", {}},
      {"latencystats", "Latencystats", {}},
      {"cluster", "Cluster", {"cluster_enabled"}},
      {"keyspace", "Keyspace", {}},
  };
  return sections;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

// "a=1,b=x" -> {a: 1, b: x}
std::map<std::string, std::string> Fields(const std::string& value) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find(',', pos);
    if (end == std::string::npos) end = value.size();
    const std::string item = value.substr(pos, end - pos);
    const size_t eq = item.find('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
    pos = end + 1;
  }
  return out;
}

TEST(InfoTest, SectionsHeadersAndRedisFieldNames) {
  ServerProcess s;
  EXPECT_EQ(s.Command({"SET", "k", "v"}).ToString(), "OK");
  const std::regex field_line("[a-z0-9_]+:[^\r\n]*");
  for (const Section& sec : RedisSections()) {
    const RespValue r = s.Command({"INFO", sec.name});
    ASSERT_EQ(r.type, RespValue::Type::kBulk) << sec.name;
    const std::vector<std::string> lines = Lines(r.str);
    ASSERT_FALSE(lines.empty()) << sec.name;
    EXPECT_EQ(lines[0], std::string("# ") + sec.header);
    for (size_t i = 1; i < lines.size(); ++i) {
      EXPECT_TRUE(std::regex_match(lines[i], field_line)) << sec.name << ": '" << lines[i] << "'";
    }
    for (const char* f : sec.fields) {
      EXPECT_NE(r.str.find(std::string("\r\n") + f + ":"), std::string::npos)
          << sec.name << " lacks " << f;
    }
  }
  // INFO everything: every section, in Redis's order, separated by blank lines.
  const std::string all = s.Command({"INFO", "everything"}).str;
  std::vector<std::string> headers;
  for (const std::string& l : Lines(all)) {
    if (l.rfind("# ", 0) == 0) headers.push_back(l.substr(2));
  }
  std::vector<std::string> expected;
  for (const Section& sec : RedisSections()) expected.push_back(sec.header);
  EXPECT_EQ(headers, expected);
  EXPECT_NE(all.find("\r\n\r\n# Clients\r\n"), std::string::npos);
  // INFO without arguments (and "default") leaves out commandstats and latencystats.
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"INFO"}, std::vector<std::string>{"INFO", "default"}}) {
    const std::string text = s.Command(argv).str;
    EXPECT_NE(text.find("# Server\r\n"), std::string::npos);
    EXPECT_NE(text.find("# Keyspace\r\n"), std::string::npos);
    EXPECT_EQ(text.find("# Commandstats"), std::string::npos);
    EXPECT_EQ(text.find("# Latencystats"), std::string::npos);
  }
  EXPECT_NE(s.Command({"INFO", "all"}).str.find("# Commandstats\r\n"), std::string::npos);
  // Several sections at once; an unknown one is empty.
  const std::string two = s.Command({"INFO", "cpu", "CLUSTER"}).str;
  EXPECT_EQ(two.rfind("# CPU\r\n", 0), 0u) << two;
  EXPECT_NE(two.find("\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n"), std::string::npos) << two;
  const RespValue none = s.Command({"INFO", "nosuchsection"});
  EXPECT_EQ(none.type, RespValue::Type::kBulk);
  EXPECT_EQ(none.str, "");
  // A few values that must be right, not just present.
  EXPECT_EQ(s.InfoField("tcp_port"), std::to_string(s.port()));
  EXPECT_EQ(s.InfoField("process_id"), std::to_string(s.pid()));
  EXPECT_EQ(s.InfoField("role"), "master");
  if (kServerUsesJemalloc) {
    EXPECT_EQ(s.InfoField("mem_allocator").rfind("jemalloc-", 0), 0u);
  } else {
    EXPECT_EQ(s.InfoField("mem_allocator"), "libc");
  }
}

TEST(InfoTest, UsedMemoryPerKeyAndFlushall) {
  ServerProcess s;
  constexpr int kKeys = 100000;
  // Every command used below runs once first, so that their latency histograms (server
  // overhead, made on a command's first call) exist before the baseline.
  AddKeys(s, 0, 1);
  ASSERT_EQ(s.Command({"DBSIZE"}).integer, 1);
  ASSERT_EQ(s.Command({"FLUSHALL"}).ToString(), "OK");
  const int64_t before = s.SettledUsedMemory();
  AddKeys(s, 0, kKeys);
  ASSERT_EQ(s.Command({"DBSIZE"}).integer, kKeys);
  const int64_t loaded = s.SettledUsedMemory();
  const double per_key = static_cast<double>(loaded - before) / kKeys;
  // 43.2 bytes per key by design: a 39-byte slot (an 11-byte head, the 12-byte key, the 16-byte
  // value) and a 4-byte bucket (2^17 buckets for 100,000 keys: 5.2 bytes a key here).
  EXPECT_GE(per_key, 40.0) << "before " << before << " loaded " << loaded;
  EXPECT_LE(per_key, 46.0) << "before " << before << " loaded " << loaded;
  RecordProperty("bytes_per_key", std::to_string(per_key));
  std::printf("used_memory per key: %.2f bytes\n", per_key);

  EXPECT_EQ(s.Command({"FLUSHALL"}).ToString(), "OK");
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 0);
  const int64_t flushed = s.SettledUsedMemory();
  std::printf("used_memory after FLUSHALL: %+lld bytes\n",
              static_cast<long long>(flushed - before));
  EXPECT_LT(std::llabs(flushed - before), 8 * 1024)
      << "before " << before << " after FLUSHALL " << flushed;

  // FLUSHALL ASYNC: once the lazy-free thread has drained, the same.
  const int64_t lazyfreed = s.InfoInt("lazyfreed_objects");
  AddKeys(s, 0, kKeys);
  EXPECT_GT(s.SettledUsedMemory() - before, 40LL * kKeys);
  EXPECT_EQ(s.Command({"FLUSHALL", "ASYNC"}).ToString(), "OK");
  EXPECT_EQ(s.Command({"DBSIZE"}).integer, 0);  // gone from the keyspace at once
  bool drained = false;
  for (int i = 0; i < 300 && !drained; ++i) {
    drained = s.InfoField("lazyfree_pending_objects") == "0";
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(drained);
  EXPECT_EQ(s.InfoInt("lazyfreed_objects") - lazyfreed, kKeys);
  const int64_t async_flushed = s.SettledUsedMemory();
  std::printf("used_memory after FLUSHALL ASYNC: %+lld bytes\n",
              static_cast<long long>(async_flushed - before));
  EXPECT_LT(std::llabs(async_flushed - before), 8 * 1024)
      << "before " << before << " after FLUSHALL ASYNC " << async_flushed;
  // The peak remembers the loaded size.
  EXPECT_GE(s.InfoInt("used_memory_peak"), loaded);
}

TEST(InfoTest, CommandstatsCountCalls) {
  ServerProcess s;
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "RESETSTAT"}).ToString(), "OK");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Exec(c.get(), {"SET", "k" + std::to_string(i), "text"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"GET", "k0"}).ToString(), "text");
  EXPECT_EQ(Exec(c.get(), {"GET", "nope"}).ToString(), "(nil)");
  // A failed call (the command ran and replied an error) and a rejected one (arity).
  EXPECT_EQ(Exec(c.get(), {"INCR", "k0"}).ToString(),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Exec(c.get(), {"GET"}).ToString(),
            "(error) ERR wrong number of arguments for 'get' command");
  const std::string text = Exec(c.get(), {"INFO", "commandstats"}).str;
  std::map<std::string, std::map<std::string, std::string>> stats;
  for (const std::string& l : Lines(text)) {
    const size_t colon = l.find(':');
    if (l.rfind("cmdstat_", 0) == 0 && colon != std::string::npos) {
      stats[l.substr(0, colon)] = Fields(l.substr(colon + 1));
    }
  }
  ASSERT_TRUE(stats.count("cmdstat_set")) << text;
  ASSERT_TRUE(stats.count("cmdstat_get")) << text;
  ASSERT_TRUE(stats.count("cmdstat_incr")) << text;
  EXPECT_EQ(stats["cmdstat_set"]["calls"], "3");
  EXPECT_EQ(stats["cmdstat_set"]["failed_calls"], "0");
  EXPECT_EQ(stats["cmdstat_set"]["rejected_calls"], "0");
  EXPECT_EQ(stats["cmdstat_get"]["calls"], "2");
  EXPECT_EQ(stats["cmdstat_get"]["rejected_calls"], "1");
  EXPECT_EQ(stats["cmdstat_incr"]["calls"], "1");
  EXPECT_EQ(stats["cmdstat_incr"]["failed_calls"], "1");
  for (const auto& [name, f] : stats) {
    EXPECT_EQ(f.size(), 5u) << name;
    EXPECT_TRUE(f.count("usec") && f.count("usec_per_call")) << name;
  }
  EXPECT_FALSE(stats.count("cmdstat_del")) << "uncalled commands are not listed";
  // The error counters agree.
  EXPECT_EQ(s.InfoField("total_error_replies"), "2");
  EXPECT_NE(Exec(c.get(), {"INFO", "errorstats"}).str.find("errorstat_ERR:count=2\r\n"),
            std::string::npos);
  // RESETSTAT clears them.
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "RESETSTAT"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"INFO", "commandstats"}).str.find("cmdstat_set:"), std::string::npos);
  EXPECT_EQ(s.InfoField("total_error_replies"), "0");
}

// latencystats: one line per command called while latency-tracking is on, with the
// configured percentiles in microseconds (Redis 7's format), cleared by CONFIG RESETSTAT.
TEST(InfoTest, LatencystatsPercentiles) {
  ServerProcess s({"--enable-debug-command", "yes"});
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "RESETSTAT"}).ToString(), "OK");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Exec(c.get(), {"SET", "k", "v"}).ToString(), "OK");
  // 20 ms, 20 ms, 20 ms, 40 ms: p50 is a 20 ms call, p99 the 40 ms one.
  for (const char* secs : {"0.02", "0.02", "0.02", "0.04"}) {
    EXPECT_EQ(Exec(c.get(), {"DEBUG", "SLEEP", secs}).ToString(), "OK");
  }
  EXPECT_EQ(Exec(c.get(), {"GET"}).ToString(),
            "(error) ERR wrong number of arguments for 'get' command");  // rejected: not timed
  EXPECT_EQ(Exec(c.get(), {"CLIENT", "ID"}).type, RespValue::Type::kInteger);
  const std::string text = Exec(c.get(), {"INFO", "latencystats"}).str;
  std::map<std::string, std::map<std::string, std::string>> lat;
  for (const std::string& l : Lines(text)) {
    const size_t colon = l.find(':');
    if (l.rfind("latency_percentiles_usec_", 0) == 0 && colon != std::string::npos) {
      lat[l.substr(25, colon - 25)] = Fields(l.substr(colon + 1));
    }
  }
  ASSERT_TRUE(lat.count("set")) << text;
  ASSERT_TRUE(lat.count("debug")) << text;
  ASSERT_TRUE(lat.count("client|id")) << text;  // subcommands by their full name
  EXPECT_FALSE(lat.count("get")) << "a rejected call is not a latency sample";
  const std::regex usec("[0-9]+\\.[0-9]{3}");
  for (const auto& [name, f] : lat) {
    ASSERT_EQ(f.size(), 3u) << name;
    for (const char* p : {"p50", "p99", "p99.9"}) {
      ASSERT_TRUE(f.count(p)) << name << " " << p;
      EXPECT_TRUE(std::regex_match(f.at(p), usec)) << name << " " << f.at(p);
    }
  }
  const double p50 = std::stod(lat["debug"]["p50"]);
  const double p99 = std::stod(lat["debug"]["p99"]);
  EXPECT_GE(p50, 20000.0);
  EXPECT_LT(p50, 30000.0);
  EXPECT_GE(p99, 40000.0);
  EXPECT_LT(std::stod(lat["set"]["p50"]), 20000.0);

  // Other percentiles, none, and tracking off.
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "latency-tracking-info-percentiles", "0 100"})
                .ToString(),
            "OK");
  EXPECT_NE(Exec(c.get(), {"INFO", "latencystats"}).str.find("latency_percentiles_usec_debug:p0="),
            std::string::npos);
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "latency-tracking-info-percentiles", ""}).ToString(),
            "OK");
  EXPECT_NE(Exec(c.get(), {"INFO", "latencystats"}).str.find("latency_percentiles_usec_debug:\r\n"),
            std::string::npos);
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "SET", "latency-tracking", "no"}).ToString(), "OK");
  ASSERT_EQ(Exec(c.get(), {"CONFIG", "RESETSTAT"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"SET", "k", "v"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"INFO", "latencystats"}).str, "# Latencystats\r\n");
  // Commandstats still count.
  EXPECT_NE(Exec(c.get(), {"INFO", "commandstats"}).str.find("cmdstat_set:calls=1,"),
            std::string::npos);
}

TEST(InfoTest, KeyspaceLine) {
  ServerProcess s;
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"INFO", "keyspace"}).str, "# Keyspace\r\n");
  EXPECT_EQ(Exec(c.get(), {"SET", "a", "1"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"SET", "b", "2"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"SETEX", "c", "100", "3"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"SELECT", "3"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"SET", "x", "1"}).ToString(), "OK");
  const std::regex db0("db0:keys=3,expires=1,avg_ttl=([0-9]+)");
  // avg_ttl is an estimate the expiry cycle maintains: wait until it has sampled.
  int64_t avg_ttl = 0;
  std::string text;
  for (int i = 0; i < 100 && avg_ttl == 0; ++i) {
    text = Exec(c.get(), {"INFO", "keyspace"}).str;
    std::smatch m;
    const std::vector<std::string> lines = Lines(text);
    ASSERT_EQ(lines.size(), 3u) << text;
    EXPECT_EQ(lines[0], "# Keyspace");
    ASSERT_TRUE(std::regex_match(lines[1], m, db0)) << lines[1];
    avg_ttl = std::strtoll(m[1].str().c_str(), nullptr, 10);
    EXPECT_EQ(lines[2], "db3:keys=1,expires=0,avg_ttl=0");
    if (avg_ttl == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GT(avg_ttl, 0) << text;
  EXPECT_LE(avg_ttl, 100000) << text;
  // Emptied databases disappear from the section.
  EXPECT_EQ(Exec(c.get(), {"FLUSHDB"}).ToString(), "OK");
  EXPECT_EQ(Exec(c.get(), {"INFO", "keyspace"}).str.find("db3:"), std::string::npos);
}

}  // namespace
}  // namespace mnemo::test

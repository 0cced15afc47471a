// info.cc: INFO sections, with Redis's field names and formats (layer: server).
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/version.h"
#include "mnemo/db/lru.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/server/config.h"
#include "mnemo/server/server.h"
#include "repl_state.h"

namespace mnemo::server {

namespace {

// Every section in Redis's order; `in_default` marks those INFO prints without arguments
// ("default"); "all" and "everything" print them all, in this order.
struct SectionName {
  std::string_view name;
  bool in_default;
};
constexpr SectionName kSections[] = {
    {"server", true},        {"clients", true},     {"memory", true},        {"persistence", true},
    {"stats", true},         {"replication", true}, {"cpu", true},           {"modules", true},
    {"commandstats", false}, {"errorstats", true},  {"latencystats", false}, {"cluster", true},
    {"keyspace", true},
};

// The "# Header" line's name: capitalized, except CPU, which Redis spells in capitals.
std::string SectionHeader(std::string_view s) {
  if (s == "cpu") return "CPU";
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

std::string ExecutablePath() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

std::string Server::InfoSection(std::string_view name) {
  const int64_t now = UnixTimeMs();
  std::string o = "# " + SectionHeader(name) + "\r\n";
  auto line = [&o](std::string_view k, const auto& v) { o += fmt::format("{}:{}\r\n", k, v); };

  if (name == "server") {
    utsname u{};
    ::uname(&u);
    line("redis_version", cmd::kRedisVersion);
    line("redis_git_sha1", "00000000");
    line("redis_git_dirty", 0);
    line("redis_build_id", "0");
    line("redis_mode", "standalone");
    line("os", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
    line("arch_bits", 64);
    line("monotonic_clock", "POSIX clock_gettime");
    line("multiplexing_api", "epoll");
    line("atomicvar_api", "c11-builtin");
    line("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
    line("process_id", ::getpid());
    line("process_supervised", config_.supervised);
    line("run_id", run_id_);
    line("tcp_port", config_.port);
    line("server_time_usec", UnixTimeUs());
    line("uptime_in_seconds", (now - stats_.start_time_ms) / 1000);
    line("uptime_in_days", (now - stats_.start_time_ms) / 1000 / 86400);
    line("hz", config_.hz);
    line("configured_hz", config_.hz);
    // Redis's LRU clock: seconds, 24 bits (Mnemo's own ticks are finer; see db/lru.h).
    line("lru_clock", (now / 1000) & db::kLruMax);
    line("executable", ExecutablePath());
    line("config_file", config_file_);
    line("io_threads_active", 0);
    line("mnemo_version", cmd::kMnemoVersion);
  } else if (name == "clients") {
    size_t max_in = 0;
    size_t max_out = 0;
    for (auto& [id, c] : clients_) {
      max_in = std::max(max_in, c->query_buffer_capacity());
      max_out = std::max(max_out, c->output_memory());
    }
    line("connected_clients", clients_.size());
    line("cluster_connections", 0);
    line("maxclients", config_.maxclients);
    line("client_recent_max_input_buffer", max_in);
    line("client_recent_max_output_buffer", max_out);
    line("blocked_clients", dispatcher_.blocking().blocked_clients());
    line("tracking_clients", dispatcher_.tracking().clients());
    line("clients_in_timeout_table", dispatcher_.blocking().clients_with_deadline());
    line("total_blocking_keys", dispatcher_.blocking().blocking_keys());
    line("total_blocking_keys_on_nokey", 0);
  } else if (name == "memory") {
    const cmd::MemoryOverview m = Memory();
    const uint64_t total_mem = mem::TotalSystemMemory();
    line("used_memory", m.total_allocated);
    line("used_memory_human", BytesToHuman(m.total_allocated));
    line("used_memory_rss", m.rss);
    line("used_memory_rss_human", BytesToHuman(m.rss));
    line("used_memory_peak", m.peak_allocated);
    line("used_memory_peak_human", BytesToHuman(m.peak_allocated));
    line("used_memory_peak_perc", fmt::format("{:.2f}%", m.peak_percentage));
    line("used_memory_overhead", m.overhead_total);
    line("used_memory_startup", m.startup_allocated);
    line("used_memory_dataset", m.dataset_bytes);
    line("used_memory_dataset_perc", fmt::format("{:.2f}%", m.dataset_percentage));
    line("allocator_allocated", m.allocator_allocated);
    line("allocator_active", m.allocator_active);
    line("allocator_resident", m.allocator_resident);
    line("total_system_memory", total_mem);
    line("total_system_memory_human", BytesToHuman(total_mem));
    // Scripting, with Redis 7.0's names (the Lua heaps are part of used_memory here).
    line("used_memory_lua", m.lua_vm_eval);
    line("used_memory_vm_eval", m.lua_vm_eval);
    line("used_memory_lua_human", BytesToHuman(m.lua_vm_eval));
    line("used_memory_scripts_eval", m.lua_caches);
    line("number_of_cached_scripts", m.cached_scripts);
    line("number_of_functions", m.functions);
    line("number_of_libraries", m.libraries);
    line("used_memory_vm_functions", m.lua_vm_functions);
    line("used_memory_vm_total", m.lua_vm_eval + m.lua_vm_functions);
    line("used_memory_vm_total_human", BytesToHuman(m.lua_vm_eval + m.lua_vm_functions));
    line("used_memory_functions", m.functions_caches);
    line("used_memory_scripts", m.lua_caches + m.functions_caches);
    line("used_memory_scripts_human", BytesToHuman(m.lua_caches + m.functions_caches));
    line("maxmemory", config_.db.maxmemory);
    line("maxmemory_human", BytesToHuman(config_.db.maxmemory));
    line("maxmemory_policy", FindConfigParam("maxmemory-policy")->get(config_));
    line("allocator_frag_ratio", fmt::format("{:.2f}", m.allocator_frag_ratio));
    line("allocator_frag_bytes", m.allocator_frag_bytes);
    line("allocator_rss_ratio", fmt::format("{:.2f}", m.allocator_rss_ratio));
    line("allocator_rss_bytes", m.allocator_rss_bytes);
    line("rss_overhead_ratio", fmt::format("{:.2f}", m.rss_overhead_ratio));
    line("rss_overhead_bytes", m.rss_overhead_bytes);
    line("mem_fragmentation_ratio", fmt::format("{:.2f}", m.fragmentation_ratio));
    line("mem_fragmentation_bytes", m.fragmentation_bytes);
    line("mem_not_counted_for_evict", AofBufferBytes());
    line("mem_replication_backlog", repl_->backlog ? repl_->backlog->memory() : 0);
    line("mem_total_replication_buffers", 0);
    line("mem_clients_slaves", 0);
    line("mem_clients_normal", m.clients_normal);
    line("mem_cluster_links", 0);
    line("mem_aof_buffer", AofBufferBytes());
    line("mem_allocator", mem::AllocatorName());
    line("active_defrag_running", active_defrag_.running());
    line("lazyfree_pending_objects", m.lazyfree_pending_objects);
    line("lazyfreed_objects", keyspace_.lazyfree().freed_objects());
    if (m.compression_in_use) {
      // Mnemo's value compression (docs/memory.md); absent while it is not in use.
      line("value_compression", m.value_compression);
      line("compressed_values", m.compressed_values);
      line("compressed_bytes", m.compressed_bytes);
      line("compressed_original_bytes", m.compressed_original_bytes);
      line("compression_ratio",
           fmt::format("{:.2f}", m.compressed_bytes == 0
                                     ? 1.0
                                     : static_cast<double>(m.compressed_original_bytes) /
                                           static_cast<double>(m.compressed_bytes)));
      line("compression_dictionaries", m.compression_dictionaries);
      line("compression_dictionaries_bytes", m.compression_dictionaries_bytes);
      line("compression_dictionary_trainings", m.compression_dictionary_trainings);
      line("compression_training", m.compression_training ? 1 : 0);
      line("compression_recompressing", m.compression_recompressing ? 1 : 0);
      line("compression_recompressed_values", m.compression_recompressed_values);
    }
  } else if (name == "persistence") {
    // The fork-less snapshot has no copied pages: its "copy on write" is the serialized bytes it
    // holds and has not written yet (old values of keys written before they changed, and the
    // walk's output), which is what current_cow_* report.
    const persist::SnapshotProgress save = SnapshotProgressNow();
    const int64_t now_ms = UnixTimeMs();
    line("loading", loading_.active ? 1 : 0);
    line("async_loading", 0);
    line("current_cow_peak", save.buffer_peak);
    line("current_cow_size", save.buffer_bytes);
    line("current_cow_size_age", 0);
    line("current_fork_perc",
         fmt::format("{:.2f}", save.keys_total == 0
                                   ? 0.0
                                   : 100.0 * static_cast<double>(save.keys_written) /
                                         static_cast<double>(save.keys_total)));
    line("current_save_keys_processed", save.keys_written);
    line("current_save_keys_total", save.keys_total);
    line("rdb_changes_since_last_save",
         keyspace_.changes().dirty() - persistence_.dirty_at_last_save);
    line("rdb_bgsave_in_progress", bgsave_ ? 1 : 0);
    line("rdb_last_save_time", persistence_.lastsave_s);
    line("rdb_last_bgsave_status", persistence_.last_save_ok ? "ok" : "err");
    line("rdb_last_bgsave_time_sec", persistence_.last_bgsave_time_s);
    line("rdb_current_bgsave_time_sec", bgsave_ ? (now_ms - bgsave_start_ms_) / 1000 : -1);
    line("rdb_saves", persistence_.saves);
    line("rdb_last_cow_size", persistence_.last_cow_size);
    // Mnemo's own: keys the current / last snapshot wrote just before they changed, and the
    // bytes it holds now (serialized, not yet on disk; in used_memory).
    line("rdb_current_cow_keys", save.cow_keys);
    line("rdb_last_cow_keys", persistence_.last_cow_keys);
    line("rdb_snapshot_buffer_bytes", save.buffer_bytes);
    line("rdb_last_load_keys_expired", persistence_.last_load_keys_expired);
    line("rdb_last_load_keys_loaded", persistence_.last_load_keys_loaded);
    for (const auto& [k, v] : AofInfoFields()) line(k, v);
    if (loading_.active) {
      // Redis 7.0's fields while loading, after the rest of the section.
      const double perc = loading_.total_bytes == 0
                              ? 0.0
                              : 100.0 * static_cast<double>(loading_.loaded_bytes) /
                                    static_cast<double>(loading_.total_bytes);
      const double elapsed_s = static_cast<double>(MonotonicUs() - loading_.start_us) / 1e6;
      const double rate =
          elapsed_s > 0 ? static_cast<double>(loading_.loaded_bytes) / elapsed_s : 0;
      const int64_t eta =
          rate > 0 && loading_.total_bytes > loading_.loaded_bytes
              ? static_cast<int64_t>(
                    static_cast<double>(loading_.total_bytes - loading_.loaded_bytes) / rate)
              : 1;
      line("loading_start_time", loading_.start_s);
      line("loading_total_bytes", loading_.total_bytes);
      line("loading_rdb_used_mem", loading_.rdb_used_mem);
      line("loading_loaded_bytes", loading_.loaded_bytes);
      line("loading_loaded_perc", fmt::format("{:.2f}", perc));
      line("loading_eta_seconds", eta);
    }
  } else if (name == "stats") {
    const db::Stats& d = keyspace_.stats();
    line("total_connections_received", stats_.total_connections_received);
    line("total_commands_processed", dispatcher_.total_commands());
    line("instantaneous_ops_per_sec", static_cast<int64_t>(stats_.ops_per_sec));
    line("total_net_input_bytes", net_stats_.input_bytes);
    line("total_net_output_bytes", net_stats_.output_bytes);
    line("total_net_repl_input_bytes", 0);
    line("total_net_repl_output_bytes", 0);
    line("instantaneous_input_kbps", fmt::format("{:.2f}", stats_.input_kbps));
    line("instantaneous_output_kbps", fmt::format("{:.2f}", stats_.output_kbps));
    line("instantaneous_input_repl_kbps", "0.00");
    line("instantaneous_output_repl_kbps", "0.00");
    line("rejected_connections", stats_.rejected_connections);
    line("sync_full", repl_->sync_full);
    line("sync_partial_ok", repl_->sync_partial_ok);
    line("sync_partial_err", repl_->sync_partial_err);
    line("expired_keys", d.expired_keys);
    line("expired_stale_perc", fmt::format("{:.2f}", d.expired_stale_perc * 100));
    line("expired_time_cap_reached_count", d.expired_time_cap_reached_count);
    line("expire_cycle_cpu_milliseconds", d.expire_cycle_cpu_us / 1000);
    line("evicted_keys", d.evicted_keys);
    line("evicted_clients", stats_.evicted_clients);
    line("total_eviction_exceeded_time", evictor_.total_exceeded_us() / 1000);
    line("current_eviction_exceeded_time", evictor_.current_exceeded_us() / 1000);
    line("keyspace_hits", d.keyspace_hits);
    line("keyspace_misses", d.keyspace_misses);
    line("pubsub_channels", dispatcher_.pubsub().NumChannels(false));
    line("pubsub_patterns", dispatcher_.pubsub().NumPat());
    line("pubsubshard_channels", dispatcher_.pubsub().NumChannels(true));
    line("latest_fork_usec", 0);
    line("total_forks", 0);
    line("migrate_cached_sockets", 0);
    line("slave_expires_tracked_keys", 0);
    line("active_defrag_hits", mem::DefragStats().hits);
    line("active_defrag_misses", mem::DefragStats().misses);
    line("active_defrag_key_hits", active_defrag_.key_hits());
    line("active_defrag_key_misses", active_defrag_.key_misses());
    line("total_active_defrag_time", active_defrag_.total_time_ms(UnixTimeMs()));
    line("current_active_defrag_time", active_defrag_.current_time_ms(UnixTimeMs()));
    if (keyspace_.options().active_defrag || active_defrag_.later_keys() != 0) {
      // Mnemo's own (docs/memory.md); absent while activedefrag was never on, so a default
      // server answers as Redis 7.0 does.
      line("active_defrag_later_keys", active_defrag_.later_keys());
      line("active_defrag_later_turns", active_defrag_.later_turns());
    }
    line("tracking_total_keys", dispatcher_.tracking().total_keys());
    line("tracking_total_items", dispatcher_.tracking().total_items());
    line("tracking_total_prefixes", dispatcher_.tracking().total_prefixes());
    line("unexpected_error_replies", 0);
    line("total_error_replies", dispatcher_.total_error_replies());
    line("dump_payload_sanitizations", 0);
    line("total_reads_processed", net_stats_.reads_processed);
    line("total_writes_processed", net_stats_.writes_processed);
    line("io_threaded_reads_processed", 0);
    line("io_threaded_writes_processed", 0);
    line("client_query_buffer_limit_disconnections", net_stats_.query_buffer_limit_disconnections);
    line("client_output_buffer_limit_disconnections",
         net_stats_.output_buffer_limit_disconnections);
    line("reply_buffer_shrinks", 0);
    line("reply_buffer_expands", 0);
  } else if (name == "replication") {
    o += ReplicationInfo();
  } else if (name == "cpu") {
    rusage self{};
    rusage children{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& t) {
      return fmt::format("{:.6f}", static_cast<double>(t.tv_sec) + t.tv_usec / 1e6);
    };
    line("used_cpu_sys", secs(self.ru_stime));
    line("used_cpu_user", secs(self.ru_utime));
    line("used_cpu_sys_children", secs(children.ru_stime));
    line("used_cpu_user_children", secs(children.ru_utime));
    line("used_cpu_sys_main_thread", secs(self.ru_stime));
    line("used_cpu_user_main_thread", secs(self.ru_utime));
  } else if (name == "modules") {
    // none
  } else if (name == "errorstats") {
    for (const auto& [code, count] : dispatcher_.error_stats()) {
      line("errorstat_" + code, fmt::format("count={}", count));
    }
  } else if (name == "cluster") {
    line("cluster_enabled", config_.cluster_enabled ? 1 : 0);
  } else if (name == "keyspace") {
    for (int i = 0; i < keyspace_.num_dbs(); ++i) {
      db::Db& d = keyspace_.db(i);
      if (d.size() == 0) continue;
      line(fmt::format("db{}", i),
           fmt::format("keys={},expires={},avg_ttl={}", d.size(), d.expires_size(), d.avg_ttl_ms));
    }
  } else if (name == "commandstats") {
    auto emit = [&](const cmd::Dispatcher::Entry& e) {
      if (e.stats.calls == 0 && e.stats.rejected_calls == 0 && e.stats.failed_calls == 0) return;
      line("cmdstat_" + e.full_name,
           fmt::format(
               "calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
               e.stats.calls, e.stats.nsec / 1000,
               e.stats.calls ? static_cast<double>(e.stats.nsec) / 1000.0 / e.stats.calls : 0.0,
               e.stats.rejected_calls, e.stats.failed_calls));
    };
    for (const auto& e : dispatcher_.commands()) {
      emit(*e);
      for (const auto& s : e->subcommands) emit(*s);
    }
  } else if (name == "latencystats") {
    // Redis: "p<percentile>=<usec with 3 decimals>" for each latency-tracking-info-percentiles.
    auto emit = [&](const cmd::Dispatcher::Entry& e) {
      if (!e.latency) return;  // made by a command's first timed call
      std::string value;
      for (const double p : config_.latency_percentiles) {
        if (!value.empty()) value += ',';
        value += fmt::format("p{}={:.3f}", p,
                             static_cast<double>(e.latency->ValueAtPercentile(p)) / 1000.0);
      }
      line("latency_percentiles_usec_" + e.full_name, value);
    };
    for (const auto& e : dispatcher_.commands()) {
      emit(*e);
      for (const auto& s : e->subcommands) emit(*s);
    }
  } else {
    return "";
  }
  return o;
}

std::string Server::Info(std::span<const std::string_view> sections) {
  std::vector<std::string> wanted;
  auto add = [&wanted](std::string_view s) {
    for (const auto& w : wanted) {
      if (w == s) return;
    }
    wanted.emplace_back(s);
  };
  auto add_default = [&add] {
    for (const SectionName& d : kSections) {
      if (d.in_default) add(d.name);
    }
  };
  if (sections.empty()) add_default();
  for (std::string_view raw : sections) {
    const std::string s = ToLower(raw);
    if (s == "default") {
      add_default();
    } else if (s == "all" || s == "everything") {
      for (const SectionName& d : kSections) add(d.name);
    } else {
      add(s);
    }
  }
  std::string out;
  for (const std::string& s : wanted) {
    std::string text = InfoSection(s);
    if (text.empty()) continue;
    if (!out.empty()) out += "\r\n";
    out += text;
  }
  return out;
}

}  // namespace mnemo::server

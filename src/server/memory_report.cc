// memory_report.cc: where memory goes, computed once for INFO memory, MEMORY STATS and MEMORY
// DOCTOR (layer: server).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/compress.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/server/server.h"
#include "repl_state.h"

namespace mnemo::server {

namespace {

double SafeRatio(double a, double b) { return b > 0 ? a / b : 0; }

// MEMORY DOCTOR's thresholds, as Redis's: below 5 MB an instance is too small to judge; ratios
// above these and absolute waste above 10 MB are reported.
constexpr size_t kDoctorMinMemory = 5 * 1024 * 1024;
constexpr double kPeakRatio = 1.5;
constexpr double kTotalFragRatio = 1.4;
constexpr double kAllocatorRatio = 1.1;
constexpr int64_t kWasteBytes = 10 * 1024 * 1024;
constexpr size_t kBigClientBuffer = 200 * 1024;
// Our own: dirty pages worth a PURGE.
constexpr size_t kPurgeWorthBytes = 16 * 1024 * 1024;

std::string Mb(double bytes) { return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024.0)); }

}  // namespace

cmd::MemoryOverview Server::Memory() {
  cmd::MemoryOverview m;
  const size_t used = mem::UsedMemory();
  if (used > stats_.used_memory_peak) stats_.used_memory_peak = used;
  m.total_allocated = used;
  m.peak_allocated = stats_.used_memory_peak;
  m.startup_allocated = used_memory_startup_;
  m.clients_normal = ClientsMemory();
  m.clients = clients_.size();
  size_t tables = 0;
  for (int i = 0; i < keyspace_.num_dbs(); ++i) {
    db::Db& d = keyspace_.db(i);
    m.keys_count += d.size();
    const size_t main = d.keys().BucketBytes();
    tables += main;
    if (d.size() == 0 && main == 0) continue;
    // No expires table (db.h): MEMORY STATS keeps Redis's overhead.hashtable.expires field, 0.
    m.dbs.push_back({i, d.size(), d.expires_size(), main, 0});
  }
  // Server state that grows after startup: the per-command latency histograms (8 KiB each),
  // the slow log, the latency monitor's events, the list of monitors and the client-side
  // caching tables.
  m.aof_buffer = AofBufferBytes();
  m.snapshot_buffer = SnapshotProgressNow().buffer_bytes;
  m.repl_backlog = repl_->backlog ? repl_->backlog->memory() : 0;
  const cmd::Scripting::Memory lua = dispatcher_.scripting().MemoryUsage();
  m.lua_vm_eval = lua.vm_eval;
  m.lua_vm_functions = lua.vm_functions;
  m.lua_caches = lua.scripts_eval;
  m.functions_caches = lua.functions;
  m.cached_scripts = lua.cached_scripts;
  m.functions = lua.num_functions;
  m.libraries = lua.num_libraries;
  // The Lua heaps beyond what they held at startup (which used_memory_startup has), and the
  // script cache and libraries, are overhead as Redis counts lua.caches and functions.caches.
  const size_t vm_total = lua.vm_eval + lua.vm_functions;
  const size_t vm_growth = vm_total > lua.vm_baseline ? vm_total - lua.vm_baseline : 0;
  m.overhead_total = std::min(
      used, used_memory_startup_ + m.clients_normal + tables + m.aof_buffer + m.snapshot_buffer +
                m.repl_backlog +
                dispatcher_.LatencyHistogramBytes() + dispatcher_.ObservabilityBytes() +
                dispatcher_.tracking().OverheadBytes() + vm_growth + lua.scripts_eval +
                lua.functions + ds::GetCompressionTotals().dictionary_bytes);
  m.dataset_bytes = used - m.overhead_total;
  const size_t net = used > used_memory_startup_ ? used - used_memory_startup_ : 0;
  m.bytes_per_key = m.keys_count ? net / m.keys_count : 0;
  m.dataset_percentage = net ? 100.0 * static_cast<double>(m.dataset_bytes) / net : 0;
  m.peak_percentage = m.peak_allocated ? 100.0 * used / m.peak_allocated : 0;
  m.rss = mem::ProcessRss();
  const mem::AllocatorStats a = mem::ReadAllocatorStats();
  m.allocator_allocated = a.allocated;
  m.allocator_active = a.active;
  m.allocator_resident = a.resident;
  m.allocator_dirty = a.dirty + a.muzzy;
  m.allocator_metadata = a.metadata;
  m.allocator_frag_ratio = SafeRatio(a.active, a.allocated);
  m.allocator_frag_bytes = static_cast<int64_t>(a.active) - static_cast<int64_t>(a.allocated);
  m.allocator_rss_ratio = SafeRatio(a.resident, a.active);
  m.allocator_rss_bytes = static_cast<int64_t>(a.resident) - static_cast<int64_t>(a.active);
  m.rss_overhead_ratio = SafeRatio(m.rss, a.resident);
  m.rss_overhead_bytes = static_cast<int64_t>(m.rss) - static_cast<int64_t>(a.resident);
  m.fragmentation_ratio = SafeRatio(m.rss, used);
  m.fragmentation_bytes = static_cast<int64_t>(m.rss) - static_cast<int64_t>(used);
  m.lazyfree_pending_objects = keyspace_.lazyfree().pending_objects();
  const ds::CompressionTotals ct = ds::GetCompressionTotals();
  m.value_compression = FindConfigParam("value-compression")->get(config_);
  m.compressed_values = ct.blocks;
  m.compressed_bytes = ct.compressed_bytes;
  m.compressed_original_bytes = ct.original_bytes;
  m.compression_dictionaries = ct.dictionaries;
  m.compression_dictionaries_bytes = ct.dictionary_bytes;
  m.compression_dictionary_trainings = keyspace_.compressor().trainings();
  m.compression_training = keyspace_.compressor().training();
  m.compression_recompressing = keyspace_.compressor().recompressing();
  m.compression_recompressed_values = keyspace_.compressor().recompressed();
  m.compression_in_use = config_.db.value_compression != db::ValueCompression::kNo ||
                         ct.blocks > 0 || ct.dictionaries > 0;
  return m;
}

std::vector<cmd::MemoryFinding> Server::MemoryFindings() {
  const cmd::MemoryOverview m = Memory();
  std::vector<cmd::MemoryFinding> findings;
  if (m.total_allocated < kDoctorMinMemory) return findings;
  using Facts = std::vector<std::pair<std::string, cmd::MemoryFinding::Fact>>;
  auto add = [&findings](const char* name, std::string text, Facts facts) {
    findings.push_back({name, std::move(text), std::move(facts)});
  };
  auto i64 = [](size_t v) { return static_cast<int64_t>(v); };
  // Whether MEMORY PURGE would give back a worthwhile amount right now.
  const bool purge_worth = m.allocator_dirty > kPurgeWorthBytes;
  if (static_cast<double>(m.peak_allocated) / m.total_allocated > kPeakRatio) {
    add("peak", fmt::format(
        "Peak memory: at its peak this instance used {} ({:.0f}% of what it uses now, {}). "
        "The allocator keeps much of the memory of a peak for reuse, so RSS and fragmentation "
        "look high until the data grows back.{}",
        BytesToHuman(m.peak_allocated), 100.0 * m.peak_allocated / m.total_allocated,
        BytesToHuman(m.total_allocated),
        purge_worth ? " If the peak was a one-off, MEMORY PURGE returns the free pages to the "
                      "system now."
                    : ""),
        {{"peak_allocated", i64(m.peak_allocated)}, {"total_allocated", i64(m.total_allocated)}});
  }
  if (m.fragmentation_ratio > kTotalFragRatio && m.fragmentation_bytes > kWasteBytes) {
    add("high-rss", fmt::format(
        "High total RSS: the process's resident memory ({}) is {:.2f} times what the data "
        "uses ({}), {} more. This is usually the aftermath of a peak (see above) or of deleting "
        "many small keys, which leaves pages partly used. The findings below say which part "
        "is which: fully free pages go back with MEMORY PURGE, partly used pages are reused as "
        "new data arrives.",
        BytesToHuman(m.rss), m.fragmentation_ratio, BytesToHuman(m.total_allocated),
        Mb(static_cast<double>(m.fragmentation_bytes))),
        {{"rss", i64(m.rss)}, {"fragmentation_ratio", m.fragmentation_ratio},
         {"fragmentation_bytes", static_cast<int64_t>(m.fragmentation_bytes)}});
  }
  if (m.allocator_frag_ratio > kAllocatorRatio && m.allocator_frag_bytes > kWasteBytes) {
    // What to do depends on activedefrag: off, it is the remedy; on, it is at work, or waiting
    // for its thresholds (active-defrag-ignore-bytes, active-defrag-threshold-lower).
    const db::Options& o = keyspace_.options();
    std::string remedy;
    if (!o.active_defrag) {
      remedy =
          "New writes of similar sizes fill the holes; to get the memory back now, `CONFIG SET "
          "activedefrag yes` moves values out of the sparse pages (Mnemo does it on stock "
          "jemalloc).";
    } else if (active_defrag_.running() > 0) {
      remedy = fmt::format(
          "Active defragmentation is at work on it ({}% of the CPU); the figure falls as it "
          "proceeds.",
          active_defrag_.running());
    } else {
      remedy = fmt::format(
          "Active defragmentation is on but waits until the slack exceeds both "
          "active-defrag-threshold-lower ({}%) and active-defrag-ignore-bytes ({}).",
          o.active_defrag_threshold_lower,
          Mb(static_cast<double>(o.active_defrag_ignore_bytes)));
    }
    add("allocator-fragmentation", fmt::format(
        "Allocator fragmentation: jemalloc's active pages hold {:.2f} times the bytes in live "
        "allocations ({} of slack inside partly used pages). This follows deleting a large share "
        "of keys, or mixed workloads whose sizes change over time. {}",
        m.allocator_frag_ratio, Mb(static_cast<double>(m.allocator_frag_bytes)), remedy),
        {{"allocator_frag_ratio", m.allocator_frag_ratio},
         {"allocator_frag_bytes", static_cast<int64_t>(m.allocator_frag_bytes)},
         {"active_defrag_running", static_cast<int64_t>(active_defrag_.running())}});
  }
  if (m.allocator_rss_ratio > kAllocatorRatio && m.allocator_rss_bytes > kWasteBytes) {
    // resident - active is made of freed pages not yet returned (dirty: PURGE helps) and of
    // jemalloc's metadata, which grows with the address space it ever mapped (a past peak) and
    // is not returned by PURGE. Advising PURGE when the pages are metadata would be wrong.
    const double rss_bytes = static_cast<double>(m.allocator_rss_bytes);
    const double dirty = std::min(static_cast<double>(m.allocator_dirty), rss_bytes);
    const double metadata = std::min(static_cast<double>(m.allocator_metadata), rss_bytes - dirty);
    std::string why;
    if (dirty * 2 >= rss_bytes) {
      why = fmt::format(
          " {} of them are freed pages: MEMORY PURGE returns them now, jemalloc's background "
          "thread within dirty_decay_ms.",
          Mb(dirty));
    } else {
      why = fmt::format(
          " Only {} of them are freed pages, so MEMORY PURGE would not help much; {} is "
          "jemalloc's own metadata, which grows with the memory it ever mapped (a past peak) "
          "and stays until a restart.",
          Mb(dirty), Mb(metadata));
    }
    add("allocator-rss", fmt::format(
        "Allocator RSS overhead: jemalloc keeps {} of resident pages beyond those holding "
        "allocations (resident/active {:.2f}).{}",
        Mb(rss_bytes), m.allocator_rss_ratio, why),
        {{"allocator_rss_ratio", m.allocator_rss_ratio},
         {"allocator_rss_bytes", static_cast<int64_t>(m.allocator_rss_bytes)},
         {"allocator_dirty", i64(m.allocator_dirty)}});
  }
  if (m.rss_overhead_ratio > kAllocatorRatio && m.rss_overhead_bytes > kWasteBytes) {
    add("process-rss", fmt::format(
        "Process RSS overhead: {} of the process's resident memory is outside the allocator "
        "(RSS/allocator resident {:.2f}): thread stacks, libraries, or memory C libraries "
        "allocated directly.",
        Mb(static_cast<double>(m.rss_overhead_bytes)), m.rss_overhead_ratio),
        {{"rss_overhead_ratio", m.rss_overhead_ratio},
         {"rss_overhead_bytes", static_cast<int64_t>(m.rss_overhead_bytes)}});
  }
  if (m.clients > 0 && m.clients_normal / m.clients > kBigClientBuffer) {
    add("client-buffers", fmt::format(
        "Big client buffers: {} clients hold {} of buffers, {} each on average. Clients that "
        "pipeline large batches without reading replies, or read big values (KEYS, HGETALL of "
        "large hashes), cause this. Set client-output-buffer-limit for normal clients or "
        "maxmemory-clients to bound it.",
        m.clients, BytesToHuman(m.clients_normal), BytesToHuman(m.clients_normal / m.clients)),
        {{"clients", i64(m.clients)}, {"clients_normal", i64(m.clients_normal)}});
  }
  // Our own checks.
  if (m.allocator_dirty > kPurgeWorthBytes) {
    add("returnable", fmt::format(
        "Returnable memory: jemalloc holds {} of freed pages that it will hand back to the "
        "system over the next seconds (dirty_decay_ms); MEMORY PURGE returns them immediately.",
        Mb(static_cast<double>(m.allocator_dirty))),
        {{"allocator_dirty", i64(m.allocator_dirty)}});
  }
  const db::Options& opts = keyspace_.options();
  if (opts.maxmemory > 0 && db::IsVolatile(opts.maxmemory_policy)) {
    size_t keys = 0;
    size_t volatile_keys = 0;
    for (const auto& d : m.dbs) {
      keys += d.keys;
      volatile_keys += d.expires;
    }
    if (keys > 0 && volatile_keys * 2 < keys) {
      add("keys-without-ttl", fmt::format(
          "Keys that cannot be evicted: maxmemory-policy is {} but {} of {} keys ({:.0f}%) have "
          "no TTL, so eviction can never remove them. Give them a TTL or use an allkeys-* "
          "policy.",
          FindConfigParam("maxmemory-policy")->get(config_), keys - volatile_keys, keys,
          100.0 * (keys - volatile_keys) / keys),
          {{"keys", i64(keys)}, {"keys_without_ttl", i64(keys - volatile_keys)}});
    }
  }
  if (opts.maxmemory > 0 && opts.maxmemory_policy == db::EvictionPolicy::kNoEviction &&
      m.total_allocated > opts.maxmemory / 10 * 9) {
    add("near-maxmemory", fmt::format(
        "Near the limit: {} of maxmemory {} is used and maxmemory-policy is noeviction, so "
        "writes will soon be refused with -OOM. Raise maxmemory or choose an eviction policy.",
        BytesToHuman(m.total_allocated), BytesToHuman(opts.maxmemory)),
        {{"used_memory", i64(m.total_allocated)}, {"maxmemory", i64(opts.maxmemory)}});
  }
  // Scripting: the Lua heaps count in used_memory here (unlike Redis, whose Lua uses libc).
  const size_t lua_bytes =
      m.lua_vm_eval + m.lua_vm_functions + m.lua_caches + m.functions_caches;
  if (lua_bytes > static_cast<size_t>(kWasteBytes) && lua_bytes > m.total_allocated / 10) {
    add("scripting", fmt::format(
        "Scripting: the Lua interpreters and caches hold {} ({:.0f}% of used memory): EVAL "
        "interpreter {}, {} cached scripts ({}), functions interpreter {}, {} libraries ({}). "
        "Many distinct EVAL scripts (arguments pasted into the script text instead of ARGV) fill "
        "the cache: SCRIPT FLUSH empties it; lua-memory-limit bounds each interpreter.",
        BytesToHuman(lua_bytes), 100.0 * static_cast<double>(lua_bytes) / m.total_allocated,
        BytesToHuman(m.lua_vm_eval), m.cached_scripts, BytesToHuman(m.lua_caches),
        BytesToHuman(m.lua_vm_functions), m.libraries, BytesToHuman(m.functions_caches)),
        {{"lua_bytes", i64(lua_bytes)}, {"cached_scripts", i64(m.cached_scripts)}});
  }
  DataFindings(m, &findings);
  return findings;
}

std::string Server::MemoryDoctor() {
  const std::vector<cmd::MemoryFinding> findings = MemoryFindings();
  if (findings.empty()) {
    const size_t used = mem::UsedMemory();
    if (used < kDoctorMinMemory) {
      return fmt::format(
          "This instance is empty or uses very little memory ({} allocated), so there is "
          "nothing to diagnose yet. Run MEMORY DOCTOR again once it holds some data.\n",
          BytesToHuman(used));
    }
    return "No memory problem found.\n";
  }
  // "where-data" is information, not a problem.
  if (findings.size() == 1 && findings[0].name == "where-data") {
    return "No memory problem found. " + findings[0].text + "\n";
  }
  std::string out = "Memory report:\n\n";
  for (const cmd::MemoryFinding& f : findings) out += " * " + f.text + "\n\n";
  return out;
}

}  // namespace mnemo::server

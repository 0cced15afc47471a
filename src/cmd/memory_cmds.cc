// memory_cmds.cc: MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP (layer: cmd).
#include <climits>
#include <string>
#include <variant>
#include <vector>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/malloc_stats.h"

namespace mnemo::cmd {

namespace {

// Elements MEMORY USAGE looks at in a big collection unless SAMPLES says otherwise.
constexpr int64_t kDefaultSamples = 5;

// MEMORY USAGE key [SAMPLES count]: the object's block (key, header, expiry, small value), every
// allocation of its value, and the key's share of the keyspace's bucket array: the table's
// bytes divided by its keys (there is no expires table: db.h). With the shares, the sum over
// all keys is what the dataset costs in used_memory (capacity planning); deleting one key frees
// its own allocations, not its share (the arrays shrink only when a table is mostly empty).
// SAMPLES 0 measures everything exactly; a positive count estimates big hash tables and lists
// from that many elements.
void MemoryUsageCommand(Context& ctx) {
  int64_t samples = kDefaultSamples;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "SAMPLES") && i + 1 < ctx.argc()) {
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return;
      if (*n < 0) {
        ctx.reply.Error(protocol::kErrSyntax);
        return;
      }
      samples = *n;
      ++i;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }
  const db::Object* o = ctx.db().LookupNoTouch(ctx.arg(2));
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  const size_t bytes = o->BlockCost() +
                       db::ValueMemoryUsage(db::ValueOf(*o), static_cast<size_t>(samples)) +
                       ctx.db().TableShare();
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

// Fields of MEMORY STATS besides the db.<n> sub-maps (Redis 7.0 getMemoryOverheadData).
constexpr size_t kStatsFixedFields = 27;

// MEMORY STATS: the figures of INFO memory under Redis's names, as a map (a flat array of
// name/value pairs in RESP2; ratios are doubles, which RESP2 sends as bulk strings).
void MemoryStatsCommand(Context& ctx) {
  const MemoryOverview m = ctx.server.Memory();
  protocol::ReplyBuilder& r = ctx.reply;
  // Redis 7.0's reply: 27 fixed fields plus one sub-map per database that holds keys.
  size_t dbs_with_keys = 0;
  for (const auto& d : m.dbs) dbs_with_keys += d.keys > 0 ? 1 : 0;
  // Mnemo's value compression adds its fields at the end while it is in use.
  r.MapHeader(kStatsFixedFields + dbs_with_keys + (m.compression_in_use ? 4 : 0));
  auto num = [&r](std::string_view k, int64_t v) {
    r.Bulk(k);
    r.Integer(v);
  };
  auto ratio = [&r](std::string_view k, double v) {
    r.Bulk(k);
    r.Double(v);
  };
  num("peak.allocated", static_cast<int64_t>(m.peak_allocated));
  num("total.allocated", static_cast<int64_t>(m.total_allocated));
  num("startup.allocated", static_cast<int64_t>(m.startup_allocated));
  num("replication.backlog", m.repl_backlog);
  num("clients.slaves", 0);
  num("clients.normal", static_cast<int64_t>(m.clients_normal));
  num("cluster.links", 0);
  num("aof.buffer", static_cast<int64_t>(m.aof_buffer));
  num("lua.caches", static_cast<int64_t>(m.lua_caches));
  num("functions.caches", static_cast<int64_t>(m.functions_caches));
  for (const auto& d : m.dbs) {
    // As Redis, only databases with keys are listed; an emptied table that has not shrunk yet
    // still counts in overhead.total.
    if (d.keys == 0) continue;
    r.Bulk("db." + std::to_string(d.db));
    r.MapHeader(3);
    num("overhead.hashtable.main", static_cast<int64_t>(d.hashtable_main));
    num("overhead.hashtable.expires", static_cast<int64_t>(d.hashtable_expires));
    num("overhead.hashtable.slot-to-keys", 0);  // no cluster mode
  }
  num("overhead.total", static_cast<int64_t>(m.overhead_total));
  num("keys.count", static_cast<int64_t>(m.keys_count));
  num("keys.bytes-per-key", static_cast<int64_t>(m.bytes_per_key));
  num("dataset.bytes", static_cast<int64_t>(m.dataset_bytes));
  ratio("dataset.percentage", m.dataset_percentage);
  ratio("peak.percentage", m.peak_percentage);
  num("allocator.allocated", static_cast<int64_t>(m.allocator_allocated));
  num("allocator.active", static_cast<int64_t>(m.allocator_active));
  num("allocator.resident", static_cast<int64_t>(m.allocator_resident));
  ratio("allocator-fragmentation.ratio", m.allocator_frag_ratio);
  num("allocator-fragmentation.bytes", m.allocator_frag_bytes);
  ratio("allocator-rss.ratio", m.allocator_rss_ratio);
  num("allocator-rss.bytes", m.allocator_rss_bytes);
  ratio("rss-overhead.ratio", m.rss_overhead_ratio);
  num("rss-overhead.bytes", m.rss_overhead_bytes);
  ratio("fragmentation", m.fragmentation_ratio);
  num("fragmentation.bytes", m.fragmentation_bytes);
  if (m.compression_in_use) {
    num("compression.values", static_cast<int64_t>(m.compressed_values));
    num("compression.bytes", static_cast<int64_t>(m.compressed_bytes));
    num("compression.dictionaries", static_cast<int64_t>(m.compression_dictionaries));
    num("compression.dictionaries.bytes", static_cast<int64_t>(m.compression_dictionaries_bytes));
  }
}

void MemoryDoctorCommand(Context& ctx) { ctx.reply.Verbatim(ctx.server.MemoryDoctor()); }

// MEMORY ADVISOR (Mnemo's): MEMORY DOCTOR's findings for tools, an array of maps, each with
// "finding" (its name), "text" (what MEMORY DOCTOR prints) and the figures it rests on. Empty
// below the size MEMORY DOCTOR judges (5 MB).
void MemoryAdvisorCommand(Context& ctx) {
  const std::vector<MemoryFinding> findings = ctx.server.MemoryFindings();
  protocol::ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(findings.size());
  for (const MemoryFinding& f : findings) {
    r.MapHeader(2 + f.facts.size());
    r.Bulk("finding");
    r.Bulk(f.name);
    r.Bulk("text");
    r.Bulk(f.text);
    for (const auto& [name, fact] : f.facts) {
      r.Bulk(name);
      if (const auto* i = std::get_if<int64_t>(&fact)) {
        r.Integer(*i);
      } else if (const auto* d = std::get_if<double>(&fact)) {
        r.Double(*d);
      } else {
        r.Bulk(std::get<std::string>(fact));
      }
    }
  }
}

void MemoryPurgeCommand(Context& ctx) {
  if (!mem::PurgeAllocator()) {
    ctx.reply.Error("ERR Error purging dirty pages");
    return;
  }
  ctx.reply.Ok();
}

void MemoryMallocStatsCommand(Context& ctx) { ctx.reply.Verbatim(mem::AllocatorStatsText()); }

void MemoryHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "ADVISOR",
      "    Return the memory doctor's findings with the figures they rest on, as maps.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

constexpr CommandSpec kMemorySubcommands[] = {
    {"doctor", MemoryDoctorCommand, 2, 0, 0, 0, 0, "server", "Outputs a memory problems report.",
     "4.0.0", "O(1)"},
    {"advisor", MemoryAdvisorCommand, 2, 0, 0, 0, 0, "server",
     "Returns the memory doctor's findings with their figures.", "7.0.0",
     "O(1): a bounded sample of keys"},
    {"malloc-stats", MemoryMallocStatsCommand, 2, 0, 0, 0, 0, "server",
     "Returns the allocator statistics.", "4.0.0",
     "Depends on how much memory is allocated, could be slow"},
    {"purge", MemoryPurgeCommand, 2, 0, 0, 0, 0, "server", "Asks the allocator to release memory.",
     "4.0.0", "Depends on how much memory is allocated, could be slow"},
    {"stats", MemoryStatsCommand, 2, 0, 0, 0, 0, "server", "Returns details about memory usage.",
     "4.0.0", "O(1)"},
    {"usage", MemoryUsageCommand, -3, kReadOnly, 2, 2, 1, "server",
     "Estimates the memory usage of a key.", "4.0.0", "O(N) where N is the number of samples.",
     kNoSubcommands, 0, kKeysLookedAt},
    {"help", MemoryHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "4.0.0", "O(1)"},
};

constexpr CommandSpec kMemoryCommands[] = {
    {"memory", nullptr, -2, 0, 0, 0, 0, "server", "A container for memory diagnostics commands.",
     "4.0.0", "Depends on subcommand.", kMemorySubcommands},
};

}  // namespace

std::span<const CommandSpec> MemoryCommands() { return kMemoryCommands; }

}  // namespace mnemo::cmd

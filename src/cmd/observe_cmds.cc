// observe_cmds.cc: MONITOR, SLOWLOG and LATENCY: watching what the server runs and how long it
// takes (layer: cmd). The data live in the dispatcher (cmd/monitor.h, cmd/slowlog.h,
// base/latency_monitor.h), which feeds them after every call (dispatcher_observe.cc).
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/histogram.h"
#include "mnemo/base/sparkline.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/dispatcher.h"

namespace mnemo::cmd {

namespace {

void ReplyLines(Context& ctx, std::span<const std::string_view> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view l : lines) ctx.reply.SimpleString(l);
}

// ---- MONITOR -------------------------------------------------------------------------------

// MONITOR: from now on the connection receives a line per command the server runs. Refused
// where a reply per command is expected (inside EXEC, a script); a second MONITOR is ignored
// without a reply, as in Redis.
void MonitorCommand(Context& ctx) {
  if (!ctx.client.CanBlock()) {
    ctx.reply.Error(protocol::kErrMonitorDenyBlocking);
    return;
  }
  if (ctx.client.monitor) return;
  ctx.dispatcher.monitors().Add(ctx.client);
  ctx.reply.Ok();
}

// ---- SLOWLOG -------------------------------------------------------------------------------

// SLOWLOG GET [count]: the newest `count` entries (10; -1: all), each [id, unix time,
// microseconds, [arguments], client address, client name].
void SlowlogGetCommand(Context& ctx) {
  const SlowLog& log = ctx.dispatcher.slowlog();
  size_t count = 10;
  if (ctx.argc() == 3) {
    auto n = RangedIntArg(ctx, ctx.arg(2), -1, INT64_MAX, protocol::kErrSlowlogCount);
    if (!n) return;
    count = *n == -1 ? log.size() : static_cast<size_t>(*n);
  } else if (ctx.argc() > 3) {
    ctx.reply.Error(protocol::SubcommandSyntax("slowlog", ctx.arg(1)));
    return;
  }
  count = std::min(count, log.size());
  ctx.reply.ArrayHeader(count);
  for (size_t i = 0; i < count; ++i) {
    const SlowLog::Entry& e = log.Newest(i);
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.argv.size());
    for (const std::string& a : e.argv) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCommand(Context& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.slowlog().size()));
}

void SlowlogResetCommand(Context& ctx) {
  ctx.dispatcher.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
      "HELP",
      "    Prints this help.",
  };
  ReplyLines(ctx, kLines);
}

// ---- LATENCY -------------------------------------------------------------------------------

// LATENCY LATEST: per event [name, unix time of the latest sample, its latency, the all-time
// maximum] (milliseconds).
void LatencyLatestCommand(Context& ctx) {
  const auto& events = ctx.dispatcher.latency_monitor().events();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& [name, series] : events) {
    const LatencyMonitor::Sample& last = series.Latest();
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(last.time);
    ctx.reply.Integer(last.latency);
    ctx.reply.Integer(series.max);
  }
}

// LATENCY HISTORY event: [unix time, latency] for each sample, oldest first; empty for an
// unknown event.
void LatencyHistoryCommand(Context& ctx) {
  const LatencyMonitor::Series* series = ctx.dispatcher.latency_monitor().Find(ctx.arg(2));
  if (series == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  const std::vector<LatencyMonitor::Sample> samples = series->InOrder();
  ctx.reply.ArrayHeader(samples.size());
  for (const LatencyMonitor::Sample& s : samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.time);
    ctx.reply.Integer(s.latency);
  }
}

// LATENCY RESET [event ...]: how many events were forgotten (all of them without arguments).
void LatencyResetCommand(Context& ctx) {
  LatencyMonitor& m = ctx.dispatcher.latency_monitor();
  if (ctx.argc() == 2) {
    ctx.reply.Integer(static_cast<int64_t>(m.ResetAll()));
    return;
  }
  int64_t n = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) n += m.Reset(ctx.arg(i)) ? 1 : 0;
  ctx.reply.Integer(n);
}

// "12s", "5m", "3h", "2d": how long ago, as LATENCY GRAPH labels its columns.
std::string AgoLabel(int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

// LATENCY GRAPH event: the samples as an ASCII chart, 80 columns per band, 4 rows high, each
// column labelled with how long ago it was (Redis's layout).
void LatencyGraphCommand(Context& ctx) {
  const LatencyMonitor::Series* series = ctx.dispatcher.latency_monitor().Find(ctx.arg(2));
  if (series == nullptr) {
    ctx.reply.Error(fmt::format("ERR No samples available for event '{}'", ctx.arg(2)));
    return;
  }
  constexpr size_t kColumns = 80;
  constexpr int kRows = 4;
  const int64_t now_s = UnixTimeMs() / 1000;
  std::vector<SparklineSample> points;
  uint32_t low = 0;
  uint32_t high = 0;
  for (const LatencyMonitor::Sample& s : series->InOrder()) {
    low = points.empty() ? s.latency : std::min(low, s.latency);
    high = points.empty() ? s.latency : std::max(high, s.latency);
    points.push_back({static_cast<double>(s.latency), AgoLabel(now_s - s.time)});
  }
  std::string graph = fmt::format("{} - high {} ms, low {} ms (all time high {} ms)\n", ctx.arg(2),
                                  high, low, series->max);
  graph.append(kColumns, '-');
  graph += '\n';
  RenderSparkline(points, kColumns, kRows, graph);
  ctx.reply.Verbatim(graph);
}

// What an event measures and what to do about it, for LATENCY DOCTOR.
std::string_view EventAdvice(std::string_view event) {
  if (event == "command") {
    return "Commands that are not O(1) or O(log N) took long: SLOWLOG GET names them. Avoid "
           "KEYS, SMEMBERS/HGETALL/LRANGE of big collections and big SORTs on a busy server; "
           "SCAN, SSCAN, HSCAN and ZSCAN walk a collection in bounded steps.";
  }
  if (event == "fast-command") {
    return "Commands that take O(1) or O(log N) time took long. They cannot be slow by "
           "themselves: the process was kept from running (an overloaded machine, swapping, "
           "a virtual machine's stolen time) or deleted a big value (DEL of a big key: UNLINK "
           "frees it in the background).";
  }
  if (event == "expire-cycle") {
    return "The active expiry cycle took long: many keys expired at once. Spreading their "
           "expiry times (a little random jitter on each TTL) spreads the work; "
           "lazyfree-lazy-expire frees big expired values in the background.";
  }
  if (event == "eviction-cycle") {
    return "Making room under maxmemory took long: many keys, or big ones, were evicted to "
           "make room for a write. lazyfree-lazy-eviction frees evicted values in the "
           "background; a lower maxmemory-eviction-tenacity shortens each round.";
  }
  if (event == "eviction-del") {
    return "Deleting one evicted key took long: it was a big value. lazyfree-lazy-eviction "
           "frees evicted values in the background.";
  }
  return "";
}

// LATENCY DOCTOR: a report in prose on every event (Mnemo's own wording; Redis's report has
// the same figures: spikes, average, mean deviation, period, worst).
std::string LatencyReport(const LatencyMonitor& m) {
  if (m.events().empty()) {
    if (!m.enabled()) {
      return "Latency monitoring is off on this instance (latency-monitor-threshold is 0), and "
             "no event was ever recorded. Turn it on with \"CONFIG SET "
             "latency-monitor-threshold <milliseconds>\": from then on every event that takes at "
             "least that long is recorded, and this report explains them.\n";
    }
    return fmt::format(
        "No latency spike was recorded on this instance: nothing took {} ms or more since the "
        "monitor was turned on or last reset.\n",
        m.threshold_ms());
  }
  std::string out = fmt::format(
      "Latency spikes were recorded on this instance ({}). For each event: how many seconds "
      "had a spike, their average and mean deviation, how often they came, and the worst "
      "ever.\n\n",
      m.enabled() ? fmt::format("threshold {} ms", m.threshold_ms())
                  : std::string("the monitor is off now"));
  int n = 0;
  for (const auto& [name, series] : m.events()) {
    const std::vector<LatencyMonitor::Sample> samples = series.InOrder();
    double sum = 0;
    for (const LatencyMonitor::Sample& s : samples) sum += s.latency;
    const double avg = samples.empty() ? 0 : sum / static_cast<double>(samples.size());
    double dev = 0;
    for (const LatencyMonitor::Sample& s : samples) dev += std::fabs(s.latency - avg);
    if (!samples.empty()) dev /= static_cast<double>(samples.size());
    // The average time between two spikes (0 with a single one).
    const double period = samples.size() > 1
                              ? static_cast<double>(samples.back().time - samples.front().time) /
                                    static_cast<double>(samples.size() - 1)
                              : 0;
    out += fmt::format(
        "{}. {}: {} spike{}, average {:.0f} ms, mean deviation {:.0f} ms, one every {:.2f} s; "
        "worst ever {} ms.\n",
        ++n, name, samples.size(), samples.size() == 1 ? "" : "s", avg, dev, period, series.max);
    const std::string_view advice = EventAdvice(name);
    if (!advice.empty()) out += fmt::format("   {}\n", advice);
  }
  out +=
      "\nLATENCY HISTORY <event> lists the samples, LATENCY GRAPH <event> draws them, LATENCY "
      "RESET forgets them.\n";
  return out;
}

void LatencyDoctorCommand(Context& ctx) {
  ctx.reply.Verbatim(LatencyReport(ctx.dispatcher.latency_monitor()));
}

// One command's histogram as Redis 7.0 replies it: {calls, histogram_usec: {bucket: cumulative
// count}}. Redis's buckets are an HdrHistogram's (1 ns to 1 s, two significant digits) read
// at every power of two from 1,024 ns: the key is the highest value of that power's bucket in
// microseconds (1, 2, 4, 8, 16, 33, 66, ...), the count is of calls at most that long, and
// durations past 1 s count as 1 s, in the last key (1073741). Mnemo's buckets start at every
// power of two too; a duration less than 1/128 above a power of two is counted one key later
// than Redis counts it.
void ReplyCommandHistogram(Context& ctx, const LatencyHistogram& h) {
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("calls");
  const uint64_t total = h.count();
  ctx.reply.Integer(static_cast<int64_t>(total));
  ctx.reply.Bulk("histogram_usec");
  // 2^10 .. 2^29 ns, then the last bucket: 2^30 - 1 ns.
  constexpr int kFirstPower = 10;
  constexpr int kLastPower = 30;
  const size_t handle = ctx.reply.BeginDeferred();
  size_t pairs = 0;
  uint64_t previous = 0;
  for (int p = kFirstPower; p <= kLastPower; ++p) {
    const uint64_t level = uint64_t{1} << p;
    // HdrHistogram's bucket at 2^p is 2^(p-7) wide (two significant digits).
    const uint64_t highest = p == kLastPower ? level - 1 : level + (level >> 7) - 1;
    const uint64_t cumulative = p == kLastPower ? total : h.CountBelow(level);
    if (cumulative > previous) {
      ctx.reply.Integer(static_cast<int64_t>(highest / 1000));
      ctx.reply.Integer(static_cast<int64_t>(cumulative));
      ++pairs;
    }
    previous = cumulative;
  }
  ctx.reply.EndDeferredMap(handle, pairs);
}

// LATENCY HISTOGRAM [command ...]: the histograms of the named commands (a container command
// names its subcommands; unknown names are skipped), or of every command that has one.
void LatencyHistogramCommand(Context& ctx) {
  const size_t handle = ctx.reply.BeginDeferred();
  size_t n = 0;
  auto emit = [&](const Dispatcher::Entry& e) {
    if (!e.latency) return;
    ctx.reply.Bulk(e.full_name);
    ReplyCommandHistogram(ctx, *e.latency);
    ++n;
  };
  if (ctx.argc() == 2) {
    for (const auto& e : ctx.dispatcher.commands()) {
      emit(*e);
      for (const auto& s : e->subcommands) emit(*s);
    }
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      // "config|get" names a subcommand.
      const std::string_view name = ctx.arg(i);
      const size_t bar = name.find('|');
      const Dispatcher::Entry* e = ctx.dispatcher.Find(name.substr(0, bar));
      if (e != nullptr && bar != std::string_view::npos) {
        e = Dispatcher::FindSub(*e, name.substr(bar + 1));
      }
      if (e == nullptr || e->disabled) continue;
      emit(*e);
      for (const auto& s : e->subcommands) emit(*s);
    }
  }
  ctx.reply.EndDeferredMap(handle, n);
}

void LatencyHelpCommand(Context& ctx) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  };
  ReplyLines(ctx, kLines);
}

constexpr uint32_t kObserveFlags = kAdmin | kNoScript | kLoading | kStale;

constexpr CommandSpec kSlowlogSubcommands[] = {
    {"get", SlowlogGetCommand, -2, kAdmin | kLoading | kStale, 0, 0, 0, "server",
     "Returns the slow log's entries.", "2.2.12", "O(N) where N is the number of entries returned"},
    {"len", SlowlogLenCommand, 2, kAdmin | kLoading | kStale, 0, 0, 0, "server",
     "Returns the number of entries in the slow log.", "2.2.12", "O(1)"},
    {"reset", SlowlogResetCommand, 2, kAdmin | kLoading | kStale, 0, 0, 0, "server",
     "Clears all entries from the slow log.", "2.2.12",
     "O(N) where N is the number of entries in the slowlog"},
    {"help", SlowlogHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "6.2.0", "O(1)"},
};

constexpr CommandSpec kLatencySubcommands[] = {
    {"doctor", LatencyDoctorCommand, 2, kObserveFlags, 0, 0, 0, "server",
     "Returns a human-readable latency analysis report.", "2.8.13", "O(1)"},
    {"graph", LatencyGraphCommand, 3, kObserveFlags, 0, 0, 0, "server",
     "Returns a latency graph for an event.", "2.8.13", "O(1)"},
    {"help", LatencyHelpCommand, 2, kLoading | kStale, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "2.8.13", "O(1)"},
    {"histogram", LatencyHistogramCommand, -2, kObserveFlags, 0, 0, 0, "server",
     "Returns the cumulative distribution of latencies of a subset or all commands.", "7.0.0",
     "O(N) where N is the number of commands with latency information being retrieved."},
    {"history", LatencyHistoryCommand, 3, kObserveFlags, 0, 0, 0, "server",
     "Returns timestamp-latency samples for an event.", "2.8.13", "O(1)"},
    {"latest", LatencyLatestCommand, 2, kObserveFlags, 0, 0, 0, "server",
     "Returns the latest latency samples for all events.", "2.8.13", "O(1)"},
    {"reset", LatencyResetCommand, -2, kObserveFlags, 0, 0, 0, "server",
     "Resets the latency data for one or more events.", "2.8.13", "O(1)"},
};

constexpr CommandSpec kObserveCommands[] = {
    {"monitor", MonitorCommand, 1, kObserveFlags, 0, 0, 0, "server",
     "Listens for all requests received by the server in real-time.", "1.0.0", ""},
    {"slowlog", nullptr, -2, 0, 0, 0, 0, "server", "A container for slow log commands.", "2.2.12",
     "Depends on subcommand.", kSlowlogSubcommands},
    {"latency", nullptr, -2, 0, 0, 0, 0, "server", "A container for latency diagnostics commands.",
     "2.8.13", "Depends on subcommand.", kLatencySubcommands},
};

}  // namespace

std::span<const CommandSpec> ObserveCommands() { return kObserveCommands; }

}  // namespace mnemo::cmd

// config.cc: the parameter table, config-file parsing and CONFIG REWRITE (layer: server).
#include "mnemo/server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/db/changes.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/net/tls.h"

namespace mnemo::server {

namespace {

// ---- value parsers shared by the rows ------------------------------------------------------

Status ParseIntValue(std::string_view v, int64_t min, int64_t max, int64_t* out) {
  auto n = ParseInt64(v);
  if (!n) return Status::Error("argument couldn't be parsed into an integer");
  if (*n < min || *n > max) {
    return Status::Error(fmt::format("argument must be between {} and {} inclusive", min, max));
  }
  *out = *n;
  return Status::Ok();
}

Status ParseMemoryValue(std::string_view v, int64_t min, int64_t max, int64_t* out) {
  auto n = ParseMemory(v);
  if (!n) return Status::Error("argument must be a memory value");
  if (*n < min || *n > max) {
    return Status::Error(fmt::format("argument must be between {} and {} inclusive", min, max));
  }
  *out = *n;
  return Status::Ok();
}

// A memory value, or a percentage "N%" (0..100) stored as -N, as Redis stores PERCENT_CONFIG
// parameters; `ServerConfig::ClientEvictionLimit` turns it into bytes.
Status ParseMemoryOrPercentValue(std::string_view v, int64_t max, int64_t* out) {
  if (auto n = ParseMemory(v)) {
    if (*n > max) {
      return Status::Error(fmt::format("argument must be between 0 and {} inclusive", max));
    }
    *out = *n;
    return Status::Ok();
  }
  if (v.size() > 1 && v.back() == '%') {
    auto pct = ParseInt64(v.substr(0, v.size() - 1));
    if (pct && *pct >= 0) {
      if (*pct > 100) return Status::Error("percentage argument must be less or equal to 100");
      *out = -*pct;
      return Status::Ok();
    }
  }
  return Status::Error("argument must be a memory or percent value");
}

Status ParseBoolValue(std::string_view v, bool* out) {
  if (EqualsIgnoreCase(v, "yes")) {
    *out = true;
  } else if (EqualsIgnoreCase(v, "no")) {
    *out = false;
  } else {
    return Status::Error("argument must be 'yes' or 'no'");
  }
  return Status::Ok();
}

std::string BoolText(bool b) { return b ? "yes" : "no"; }

// ---- row builders: one template per value kind, bound to a field by member pointer ---------

template <int64_t ServerConfig::*F, int64_t Min, int64_t Max>
Status SetInt(ServerConfig& c, std::string_view v) {
  return ParseIntValue(v, Min, Max, &(c.*F));
}
template <int64_t ServerConfig::*F>
std::string GetInt(const ServerConfig& c) {
  return Int64ToString(c.*F);
}
template <int64_t ServerConfig::*F, int64_t Min, int64_t Max>
Status SetMemory(ServerConfig& c, std::string_view v) {
  return ParseMemoryValue(v, Min, Max, &(c.*F));
}
template <int64_t ServerConfig::*F, int64_t Max>
Status SetMemoryOrPercent(ServerConfig& c, std::string_view v) {
  return ParseMemoryOrPercentValue(v, Max, &(c.*F));
}
template <int64_t ServerConfig::*F>
std::string GetMemoryOrPercent(const ServerConfig& c) {
  return c.*F < 0 ? Int64ToString(-(c.*F)) + "%" : Int64ToString(c.*F);
}
template <bool ServerConfig::*F>
Status SetBool(ServerConfig& c, std::string_view v) {
  return ParseBoolValue(v, &(c.*F));
}
template <bool ServerConfig::*F>
std::string GetBool(const ServerConfig& c) {
  return BoolText(c.*F);
}
template <std::string ServerConfig::*F>
Status SetString(ServerConfig& c, std::string_view v) {
  c.*F = std::string(v);
  return Status::Ok();
}
template <std::string ServerConfig::*F>
std::string GetString(const ServerConfig& c) {
  return c.*F;
}
template <int64_t db::Options::*F, int64_t Min, int64_t Max>
Status SetDbInt(ServerConfig& c, std::string_view v) {
  return ParseIntValue(v, Min, Max, &(c.db.*F));
}
template <int64_t db::Options::*F>
std::string GetDbInt(const ServerConfig& c) {
  return Int64ToString(c.db.*F);
}
template <int64_t db::Options::*F, int64_t Min, int64_t Max>
Status SetDbMemory(ServerConfig& c, std::string_view v) {
  return ParseMemoryValue(v, Min, Max, &(c.db.*F));
}
template <bool db::Options::*F>
Status SetDbBool(ServerConfig& c, std::string_view v) {
  return ParseBoolValue(v, &(c.db.*F));
}
template <bool db::Options::*F>
std::string GetDbBool(const ServerConfig& c) {
  return BoolText(c.db.*F);
}

// Enumerations: name <-> value tables.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

template <typename E, size_t N>
Status SetEnum(const EnumName<E> (&names)[N], std::string_view v, E* out) {
  for (const auto& n : names) {
    if (EqualsIgnoreCase(v, n.name)) {
      *out = n.value;
      return Status::Ok();
    }
  }
  std::string list;
  for (const auto& n : names) {
    if (!list.empty()) list += ", ";
    list += n.name;
  }
  return Status::Error("argument(s) must be one of the following: " + list);
}

template <typename E, size_t N>
std::string GetEnum(const EnumName<E> (&names)[N], E v) {
  for (const auto& n : names) {
    if (n.value == v) return std::string(n.name);
  }
  return "";
}

constexpr EnumName<LogLevel> kLogLevels[] = {
    {"debug", LogLevel::kDebug},
    {"verbose", LogLevel::kVerbose},
    {"notice", LogLevel::kNotice},
    {"warning", LogLevel::kWarning},
};

constexpr EnumName<db::EvictionPolicy> kPolicies[] = {
    {"volatile-lru", db::EvictionPolicy::kVolatileLru},
    {"volatile-lfu", db::EvictionPolicy::kVolatileLfu},
    {"volatile-random", db::EvictionPolicy::kVolatileRandom},
    {"volatile-ttl", db::EvictionPolicy::kVolatileTtl},
    {"allkeys-lru", db::EvictionPolicy::kAllkeysLru},
    {"allkeys-lfu", db::EvictionPolicy::kAllkeysLfu},
    {"allkeys-random", db::EvictionPolicy::kAllkeysRandom},
    {"noeviction", db::EvictionPolicy::kNoEviction},
};

constexpr EnumName<db::ValueCompression> kValueCompressions[] = {
    {"no", db::ValueCompression::kNo},
    {"lzf", db::ValueCompression::kLzf},
    {"zstd", db::ValueCompression::kZstd},
};

Status SetChoice(std::span<const std::string_view> choices, std::string_view v, std::string* out) {
  for (std::string_view c : choices) {
    if (EqualsIgnoreCase(v, c)) {
      *out = std::string(c);
      return Status::Ok();
    }
  }
  std::string list;
  for (std::string_view c : choices) {
    if (!list.empty()) list += ", ";
    list += c;
  }
  return Status::Error("argument(s) must be one of the following: " + list);
}

constexpr std::string_view kSupervisedChoices[] = {"upstart", "systemd", "auto", "no"};
constexpr std::string_view kTlsAuthClientsChoices[] = {"no", "yes", "optional"};
constexpr std::string_view kDebugChoices[] = {"no", "yes", "local"};

// ---- rows that need their own parsing -------------------------------------------------------

Status SetLogLevel(ServerConfig& c, std::string_view v) {
  return SetEnum(kLogLevels, v, &c.loglevel);
}
std::string GetLogLevel(const ServerConfig& c) { return GetEnum(kLogLevels, c.loglevel); }

Status SetPolicy(ServerConfig& c, std::string_view v) {
  return SetEnum(kPolicies, v, &c.db.maxmemory_policy);
}
std::string GetPolicy(const ServerConfig& c) { return GetEnum(kPolicies, c.db.maxmemory_policy); }

Status SetValueCompression(ServerConfig& c, std::string_view v) {
  return SetEnum(kValueCompressions, v, &c.db.value_compression);
}
std::string GetValueCompression(const ServerConfig& c) {
  return GetEnum(kValueCompressions, c.db.value_compression);
}

Status SetMaxmemory(ServerConfig& c, std::string_view v) {
  int64_t n = 0;
  Status s = ParseMemoryValue(v, 0, INT64_MAX, &n);
  if (s.ok()) c.db.maxmemory = static_cast<uint64_t>(n);
  return s;
}
std::string GetMaxmemory(const ServerConfig& c) { return fmt::format("{}", c.db.maxmemory); }

Status SetBind(ServerConfig& c, std::string_view v) {
  auto parts = SplitArgs(v);
  if (!parts) return Status::Error("Too many bind addresses specified.");
  if (parts->size() > 16) return Status::Error("Too many bind addresses specified.");
  // An empty value (`bind ""`) means no TCP address, as in Redis. An empty address among
  // others names nothing: dropped, so that CONFIG GET prints a value CONFIG SET takes back.
  std::erase(*parts, std::string());
  // An address is an IP literal or a host name, optionally marked with a leading '-': nothing
  // else can be bound, and an address with a space or quote could not print back as one.
  for (const std::string& a : *parts) {
    const bool ok = std::all_of(a.begin(), a.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '.' || ch == ':' || ch == '-' || ch == '*' || ch == '%' ||
             ch == '_' || ch == '[' || ch == ']';
    });
    if (!ok) return Status::Error("Invalid bind address '" + a + "'");
  }
  c.bind = *parts;
  return Status::Ok();
}
std::string GetBind(const ServerConfig& c) {
  std::string out;
  for (const std::string& a : c.bind) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

Status SetUnixPerm(ServerConfig& c, std::string_view v) {
  if (v.empty()) return Status::Error("Invalid socket file permissions");
  int64_t perm = 0;
  for (char ch : v) {
    if (ch < '0' || ch > '7') return Status::Error("Invalid socket file permissions");
    perm = perm * 8 + (ch - '0');
    if (perm > 0777) return Status::Error("Invalid socket file permissions");
  }
  c.unixsocketperm = perm;
  return Status::Ok();
}
std::string GetUnixPerm(const ServerConfig& c) { return fmt::format("{:o}", c.unixsocketperm); }

Status SetSave(ServerConfig& c, std::string_view v) {
  auto split = SplitArgs(v);
  if (!split) return Status::Error("Invalid save parameters");
  // save "" (an empty argument) turns snapshots off.
  std::vector<std::string> parts_storage;
  for (std::string& p : *split) {
    if (!p.empty()) parts_storage.push_back(std::move(p));
  }
  const std::vector<std::string>* parts = &parts_storage;
  if (parts->size() % 2 != 0) return Status::Error("Invalid save parameters");
  // Pairs of <seconds> <changes>: seconds at least 1, changes at least 0 (Redis).
  for (size_t i = 0; i < parts->size(); ++i) {
    auto n = ParseInt64((*parts)[i]);
    if (!n || *n < (i % 2 == 0 ? 1 : 0)) return Status::Error("Invalid save parameters");
  }
  std::string joined;
  for (const std::string& p : *parts) {
    if (!joined.empty()) joined += ' ';
    joined += p;
  }
  c.save = joined;
  return Status::Ok();
}

constexpr std::string_view kAppendfsyncChoices[] = {"always", "everysec", "no"};

Status SetAppendfsync(ServerConfig& c, std::string_view v) {
  return SetChoice(kAppendfsyncChoices, v, &c.appendfsync);
}

// Redis: "appendfilename can't be a path, just a filename", and the same for appenddirname.
Status SetAppendfilename(ServerConfig& c, std::string_view v) {
  if (v.empty() || v.find('/') != std::string_view::npos) {
    return Status::Error("appendfilename can't be a path, just a filename");
  }
  c.appendfilename = std::string(v);
  return Status::Ok();
}
Status SetAppenddirname(ServerConfig& c, std::string_view v) {
  if (v.empty() || v.find('/') != std::string_view::npos) {
    return Status::Error("appenddirname can't be a path, just a dirname");
  }
  c.appenddirname = std::string(v);
  return Status::Ok();
}

// Redis: "dbfilename can't be a path, just a filename".
Status SetDbfilename(ServerConfig& c, std::string_view v) {
  if (v.find('/') != std::string_view::npos) {
    return Status::Error("dbfilename can't be a path, just a filename");
  }
  c.dbfilename = std::string(v);
  return Status::Ok();
}

constexpr std::string_view kSanitizeChoices[] = {"no", "yes", "clients"};
Status SetSanitizeDumpPayload(ServerConfig& c, std::string_view v) {
  return SetChoice(kSanitizeChoices, v, &c.sanitize_dump_payload);
}

Status SetSupervised(ServerConfig& c, std::string_view v) {
  return SetChoice(kSupervisedChoices, v, &c.supervised);
}
Status SetDebugCommand(ServerConfig& c, std::string_view v) {
  return SetChoice(kDebugChoices, v, &c.enable_debug_command);
}

// ---- replication ----
Status SetReplicaof(ServerConfig& c, std::string_view v) {
  // "<host> <port>", or "" / "no one" for none.
  std::optional<std::vector<std::string>> args = SplitArgs(v);
  if (!args || args->empty() ||
      (args->size() == 2 && EqualsIgnoreCase((*args)[0], "no") &&
       EqualsIgnoreCase((*args)[1], "one"))) {
    if (args && !args->empty() && args->size() != 2) return Status::Error("wrong number of arguments");
    c.replicaof.clear();
    return Status::Ok();
  }
  if (args->size() != 2) return Status::Error("wrong number of arguments");
  const std::optional<int64_t> port = ParseInt64((*args)[1]);
  if (!port || *port < 0 || *port > 65535) return Status::Error("Invalid master port");
  c.replicaof = (*args)[0] + " " + std::to_string(*port);
  return Status::Ok();
}
constexpr std::string_view kDisklessLoadChoices[] = {"disabled", "on-empty-db", "swapdb"};
Status SetDisklessLoad(ServerConfig& c, std::string_view v) {
  return SetChoice(kDisklessLoadChoices, v, &c.repl_diskless_load);
}

// ---- network security: TLS ----
Status SetTlsAuthClients(ServerConfig& c, std::string_view v) {
  return SetChoice(kTlsAuthClientsChoices, v, &c.tls_auth_clients);
}
// Checked here, so that a bad value is refused with its line (Redis checks it when it makes the
// TLS context, with the same text).
Status SetTlsProtocols(ServerConfig& c, std::string_view v) {
  Result<unsigned> parsed = net::ParseTlsProtocols(v);
  if (!parsed.ok()) return parsed.status();
  c.tls_protocols = std::string(v);
  return Status::Ok();
}

// Redis accepts 0..INT_MAX and clamps into 1..500 (CONFIG_MIN_HZ..CONFIG_MAX_HZ).
// Redis refuses `yes` when its jemalloc lacks the defrag patch (Debian's build); Mnemo needs only
// stock jemalloc's utilization query, so it refuses only without jemalloc (sanitizer builds).
Status SetActiveDefrag(ServerConfig& c, std::string_view v) {
  bool on = false;
  Status s = ParseBoolValue(v, &on);
  if (!s.ok()) return s;
  if (on && !mem::DefragSupported()) {
    return Status::Error(
        "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
        "modified Jemalloc like the one shipped by default with the Redis source distribution");
  }
  c.db.active_defrag = on;
  return Status::Ok();
}

Status SetHz(ServerConfig& c, std::string_view v) {
  int64_t hz = 0;
  Status s = ParseIntValue(v, 0, INT_MAX, &hz);
  if (!s.ok()) return s;
  c.hz = hz < 1 ? 1 : hz > 500 ? 500 : hz;
  return Status::Ok();
}

// Space-separated percentiles in [0, 100]; empty means none (Redis's texts for the errors).
Status SetLatencyPercentiles(ServerConfig& c, std::string_view v) {
  auto words = SplitArgs(v);
  if (!words) return Status::Error("Invalid latency-tracking-info-percentiles parameters");
  std::vector<double> out;
  for (const std::string& word : *words) {
    if (word.empty()) continue;  // latency-tracking-info-percentiles "" in a config file
    auto p = ParseDouble(word);
    if (!p || std::isnan(*p)) {
      return Status::Error("Invalid latency-tracking-info-percentiles parameters");
    }
    if (*p < 0.0 || *p > 100.0) {
      return Status::Error(
          "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
    }
    out.push_back(*p);
  }
  c.latency_percentiles = std::move(out);
  return Status::Ok();
}
std::string GetLatencyPercentiles(const ServerConfig& c) {
  std::string out;
  for (const double p : c.latency_percentiles) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}", p);
  }
  return out;
}

Status SetIoThreads(ServerConfig& c, std::string_view v) {
  // Accepted for compatibility; the event loop is single-threaded by design.
  return ParseIntValue(v, 1, 128, &c.io_threads);
}

// client-output-buffer-limit <class> <hard> <soft> <soft seconds> [<class> ...]
Status SetOutputLimits(ServerConfig& c, std::string_view v) {
  auto parts = SplitArgs(v);
  if (!parts || parts->empty() || parts->size() % 4 != 0) {
    return Status::Error("Wrong number of arguments in buffer limit configuration.");
  }
  ServerConfig probe = c;
  std::map<std::string, std::string> classes;
  // Keep the text of classes that are not set now.
  auto old = SplitArgs(c.output_buffer_limit_text);
  for (size_t i = 0; old && i + 3 < old->size(); i += 4) {
    classes[(*old)[i]] = (*old)[i + 1] + " " + (*old)[i + 2] + " " + (*old)[i + 3];
  }
  for (size_t i = 0; i < parts->size(); i += 4) {
    std::string cls = ToLower((*parts)[i]);
    if (cls == "replica") cls = "slave";
    if (cls != "normal" && cls != "slave" && cls != "pubsub") {
      return Status::Error("Invalid client class specified in buffer limit configuration.");
    }
    auto hard = ParseMemory((*parts)[i + 1]);
    auto soft = ParseMemory((*parts)[i + 2]);
    auto secs = ParseInt64((*parts)[i + 3]);
    if (!hard || !soft || !secs || *hard < 0 || *soft < 0 || *secs < 0) {
      return Status::Error(
          "Error in hard, soft or soft_seconds setting in buffer limit "
          "configuration.");
    }
    classes[cls] = fmt::format("{} {} {}", *hard, *soft, *secs);
    if (cls == "normal") {
      probe.output_normal_hard = *hard;
      probe.output_normal_soft = *soft;
      probe.output_normal_soft_seconds = *secs;
    } else if (cls == "slave") {
      probe.output_replica_hard = *hard;
      probe.output_replica_soft = *soft;
      probe.output_replica_soft_seconds = *secs;
    } else {
      probe.output_pubsub_hard = *hard;
      probe.output_pubsub_soft = *soft;
      probe.output_pubsub_soft_seconds = *secs;
    }
  }
  std::string text;
  for (const char* cls : {"normal", "slave", "pubsub"}) {
    if (!text.empty()) text += ' ';
    text += std::string(cls) + " " + classes[cls];
  }
  c.output_normal_hard = probe.output_normal_hard;
  c.output_normal_soft = probe.output_normal_soft;
  c.output_normal_soft_seconds = probe.output_normal_soft_seconds;
  c.output_replica_hard = probe.output_replica_hard;
  c.output_replica_soft = probe.output_replica_soft;
  c.output_replica_soft_seconds = probe.output_replica_soft_seconds;
  c.output_pubsub_hard = probe.output_pubsub_hard;
  c.output_pubsub_soft = probe.output_pubsub_soft;
  c.output_pubsub_soft_seconds = probe.output_pubsub_soft_seconds;
  c.output_buffer_limit_text = text;
  return Status::Ok();
}

constexpr EnumName<bool> kPubsubDefaults[] = {
    {"allchannels", true},
    {"resetchannels", false},
};
Status SetPubsubDefault(ServerConfig& c, std::string_view v) {
  return SetEnum(kPubsubDefaults, v, &c.acl_pubsub_default_all);
}
std::string GetPubsubDefault(const ServerConfig& c) {
  return GetEnum(kPubsubDefaults, c.acl_pubsub_default_all);
}
Status SetNotifyEvents(ServerConfig& c, std::string_view v) {
  uint32_t classes = 0;
  if (!db::ParseNotifyClasses(v, &classes)) {
    return Status::Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  c.notify_keyspace_events = classes;
  return Status::Ok();
}
std::string GetNotifyEvents(const ServerConfig& c) {
  return db::NotifyClassesToString(c.notify_keyspace_events);
}

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kLongMax = INT64_MAX;

constexpr ConfigParam kParams[] = {
    // ---- network ----
    {"bind", "", kMulti, "* -::*",
     "Addresses to listen on; '-' marks an address that may be missing.", SetBind, GetBind},
    {"port", "", 0, "6379", "TCP port; 0 disables TCP.", SetInt<&ServerConfig::port, 0, 65535>,
     GetInt<&ServerConfig::port>},
    {"tcp-backlog", "", kImmutable, "511", "listen(2) backlog for bursts of connects.",
     SetInt<&ServerConfig::tcp_backlog, 0, kIntMax>, GetInt<&ServerConfig::tcp_backlog>},
    {"tcp-keepalive", "", 0, "300", "Seconds between TCP keepalive probes; finds dead peers.",
     SetInt<&ServerConfig::tcp_keepalive, 0, kIntMax>, GetInt<&ServerConfig::tcp_keepalive>},
    {"unixsocket", "", kImmutable, "", "Path of a unix socket to listen on as well.",
     SetString<&ServerConfig::unixsocket>, GetString<&ServerConfig::unixsocket>},
    {"unixsocketperm", "", kImmutable, "0", "Octal permissions of the unix socket.", SetUnixPerm,
     GetUnixPerm},
    {"protected-mode", "", 0, "yes",
     "Without a password, refuse TCP clients from other than 127.0.0.1 and ::1 (DENIED).",
     SetBool<&ServerConfig::protected_mode>, GetBool<&ServerConfig::protected_mode>},
    {"timeout", "", 0, "0", "Close clients idle this many seconds; 0 never.",
     SetInt<&ServerConfig::timeout, 0, kIntMax>, GetInt<&ServerConfig::timeout>},
    {"maxclients", "", 0, "10000", "Most simultaneous clients; more are refused with an error.",
     SetInt<&ServerConfig::maxclients, 1, kIntMax>, GetInt<&ServerConfig::maxclients>},
    // ---- network security: TLS (net/tls.h) ----
    {"tls-port", "", 0, "0", "Port for TLS clients on the bind addresses; 0 none.",
     SetInt<&ServerConfig::tls_port, 0, 65535>, GetInt<&ServerConfig::tls_port>},
    {"tls-cert-file", "", 0, "", "The server's certificate (PEM; may hold the chain).",
     SetString<&ServerConfig::tls_cert_file>, GetString<&ServerConfig::tls_cert_file>},
    {"tls-key-file", "", 0, "", "The certificate's private key (PEM).",
     SetString<&ServerConfig::tls_key_file>, GetString<&ServerConfig::tls_key_file>},
    {"tls-key-file-pass", "", kSensitive, "", "Pass phrase of an encrypted tls-key-file.",
     SetString<&ServerConfig::tls_key_file_pass>, GetString<&ServerConfig::tls_key_file_pass>},
    {"tls-ca-cert-file", "", 0, "", "CA certificates that sign client certificates (PEM).",
     SetString<&ServerConfig::tls_ca_cert_file>, GetString<&ServerConfig::tls_ca_cert_file>},
    {"tls-ca-cert-dir", "", 0, "", "Directory of CA certificates (openssl rehash).",
     SetString<&ServerConfig::tls_ca_cert_dir>, GetString<&ServerConfig::tls_ca_cert_dir>},
    {"tls-auth-clients", "", 0, "yes",
     "Client certificates: yes (required), optional (checked if sent) or no.", SetTlsAuthClients,
     GetString<&ServerConfig::tls_auth_clients>},
    {"tls-protocols", "", 0, "", "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3, any of them; empty: 1.2 and 1.3.",
     SetTlsProtocols, GetString<&ServerConfig::tls_protocols>},
    {"tls-ciphers", "", 0, "", "OpenSSL cipher list for TLSv1.2 and below; empty: OpenSSL's.",
     SetString<&ServerConfig::tls_ciphers>, GetString<&ServerConfig::tls_ciphers>},
    {"tls-ciphersuites", "", 0, "", "TLSv1.3 ciphersuites; empty: OpenSSL's.",
     SetString<&ServerConfig::tls_ciphersuites>, GetString<&ServerConfig::tls_ciphersuites>},
    {"tls-prefer-server-ciphers", "", 0, "no", "Choose the cipher by the server's order.",
     SetBool<&ServerConfig::tls_prefer_server_ciphers>,
     GetBool<&ServerConfig::tls_prefer_server_ciphers>},
    // ---- limits ----
    {"proto-max-bulk-len", "", 0, "536870912", "Largest single argument a client may send (512mb).",
     SetMemory<&ServerConfig::proto_max_bulk_len, 1024 * 1024, kLongMax>,
     GetInt<&ServerConfig::proto_max_bulk_len>},
    {"client-query-buffer-limit", "", 0, "1073741824",
     "Most unparsed input one client may have buffered (1gb).",
     SetMemory<&ServerConfig::client_query_buffer_limit, 1024 * 1024, kLongMax>,
     GetInt<&ServerConfig::client_query_buffer_limit>},
    {"client-output-buffer-limit", "", kMulti,
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
     "Per class: hard limit, soft limit, soft seconds of unsent output before a client is closed.",
     SetOutputLimits, GetString<&ServerConfig::output_buffer_limit_text>},
    {"maxmemory-clients", "", 0, "0",
     "Evict clients when all client buffers exceed this (bytes, or N% of maxmemory); 0 off.",
     SetMemoryOrPercent<&ServerConfig::maxmemory_clients, kLongMax>,
     GetMemoryOrPercent<&ServerConfig::maxmemory_clients>},
    // ---- general ----
    // ---- cluster mode (cmd/cluster.h) ----
    {"cluster-enabled", "", kImmutable, "no",
     "Answer as a Redis Cluster of one node owning every slot (CLUSTER, -CROSSSLOT, db 0 only).",
     SetBool<&ServerConfig::cluster_enabled>, GetBool<&ServerConfig::cluster_enabled>},
    {"cluster-config-file", "", kImmutable, "nodes.conf",
     "The node's file in dir (its id); locked while the server runs.",
     SetString<&ServerConfig::cluster_config_file>,
     GetString<&ServerConfig::cluster_config_file>},
    {"cluster-node-timeout", "", 0, "15000",
     "Accepted for compatibility (milliseconds); one node has no peer to time out.",
     SetInt<&ServerConfig::cluster_node_timeout, 0, kLongMax>,
     GetInt<&ServerConfig::cluster_node_timeout>},
    {"cluster-port", "", kImmutable, "0",
     "Bus port CLUSTER NODES announces; 0: port + 10000. Nothing listens on it.",
     SetInt<&ServerConfig::cluster_port, 0, 65535>, GetInt<&ServerConfig::cluster_port>},
    {"cluster-announce-ip", "", 0, "", "Address CLUSTER SLOTS/SHARDS/NODES give clients.",
     SetString<&ServerConfig::cluster_announce_ip>,
     GetString<&ServerConfig::cluster_announce_ip>},
    {"cluster-announce-port", "", 0, "0", "Client port announced; 0: port.",
     SetInt<&ServerConfig::cluster_announce_port, 0, 65535>,
     GetInt<&ServerConfig::cluster_announce_port>},
    {"cluster-announce-bus-port", "", 0, "0", "Bus port announced; 0: cluster-port's.",
     SetInt<&ServerConfig::cluster_announce_bus_port, 0, 65535>,
     GetInt<&ServerConfig::cluster_announce_bus_port>},
    {"databases", "", kImmutable, "16", "Number of databases (SELECT 0..n-1).",
     SetInt<&ServerConfig::databases, 1, kIntMax>, GetInt<&ServerConfig::databases>},
    {"hz", "", 0, "10", "Cron frequency: active expiry, eviction, timeouts (1..500).", SetHz,
     GetInt<&ServerConfig::hz>},
    {"dynamic-hz", "", 0, "yes", "Accepted for compatibility; the cron runs at hz.",
     SetBool<&ServerConfig::dynamic_hz>, GetBool<&ServerConfig::dynamic_hz>},
    {"activerehashing", "", 0, "yes", "Give the cron 1 ms per run to finish hash table resizes.",
     SetBool<&ServerConfig::activerehashing>, GetBool<&ServerConfig::activerehashing>},
    {"daemonize", "", kImmutable, "no", "Fork into the background (not with systemd).",
     SetBool<&ServerConfig::daemonize>, GetBool<&ServerConfig::daemonize>},
    {"pidfile", "", kImmutable, "", "Write the process id to this file.",
     SetString<&ServerConfig::pidfile>, GetString<&ServerConfig::pidfile>},
    {"supervised", "", kImmutable, "no", "systemd: report readiness with sd_notify (Type=notify).",
     SetSupervised, GetString<&ServerConfig::supervised>},
    {"loglevel", "", 0, "notice", "debug, verbose, notice or warning.", SetLogLevel, GetLogLevel},
    {"logfile", "", kImmutable, "", "Log file; empty logs to standard output.",
     SetString<&ServerConfig::logfile>, GetString<&ServerConfig::logfile>},
    {"requirepass", "", kSensitive, "", "Password of the default user; empty: no AUTH needed.",
     SetString<&ServerConfig::requirepass>, GetString<&ServerConfig::requirepass>},
    {"enable-debug-command", "", kImmutable, "no", "Allow DEBUG: no, yes, or local (loopback).",
     SetDebugCommand, GetString<&ServerConfig::enable_debug_command>},
    {"io-threads", "", kImmutable, "1", "Accepted for compatibility; one event-loop thread.",
     SetIoThreads, GetInt<&ServerConfig::io_threads>},
    // ---- ACL (users and permissions; `user` lines are parsed by LoadConfigText) ----
    {"aclfile", "", kImmutable, "", "File of ACL users (ACL LOAD/SAVE); not with `user` lines.",
     SetString<&ServerConfig::aclfile>, GetString<&ServerConfig::aclfile>},
    {"acllog-max-len", "", 0, "128", "Entries ACL LOG keeps of refused commands and logins.",
     SetInt<&ServerConfig::acllog_max_len, 0, kLongMax>, GetInt<&ServerConfig::acllog_max_len>},
    {"acl-pubsub-default", "", 0, "resetchannels",
     "Channels of new users: resetchannels (none, Redis 7) or allchannels.", SetPubsubDefault,
     GetPubsubDefault},
    // ---- replication (server/replication.cc) ----
    {"replicaof", "slaveof", kMulti | kImmutable | kRewriteDropsEmpty, "",
     "Primary to replicate from: \"<host> <port>\"; empty: this server is a primary.",
     SetReplicaof, GetString<&ServerConfig::replicaof>},
    {"masterauth", "", kSensitive, "",
     "Password the replica sends to its primary (AUTH).",
     SetString<&ServerConfig::masterauth>, GetString<&ServerConfig::masterauth>},
    {"masteruser", "", kSensitive, "",
     "ACL user the replica authenticates as with its primary (AUTH user pass).",
     SetString<&ServerConfig::masteruser>, GetString<&ServerConfig::masteruser>},
    {"replica-read-only", "slave-read-only", 0, "yes",
     "A replica refuses writes from its clients (-READONLY).",
     SetBool<&ServerConfig::replica_read_only>, GetBool<&ServerConfig::replica_read_only>},
    {"replica-serve-stale-data", "slave-serve-stale-data", 0, "yes",
     "A replica whose link is down still answers reads; no: -MASTERDOWN.",
     SetBool<&ServerConfig::replica_serve_stale_data>, GetBool<&ServerConfig::replica_serve_stale_data>},
    {"repl-backlog-size", "", 0, "1048576",
     "Bytes of the replication stream kept for partial resynchronization (1mb).",
     SetMemory<&ServerConfig::repl_backlog_size, 16 * 1024, kLongMax>, GetInt<&ServerConfig::repl_backlog_size>},
    {"repl-backlog-ttl", "", 0, "3600",
     "Seconds without replicas after which a primary frees its backlog; 0 never.",
     SetInt<&ServerConfig::repl_backlog_ttl, 0, kLongMax>, GetInt<&ServerConfig::repl_backlog_ttl>},
    {"repl-diskless-sync", "", 0, "yes",
     "Full sync streams the fork-less snapshot to the replica's socket (no file).",
     SetBool<&ServerConfig::repl_diskless_sync>, GetBool<&ServerConfig::repl_diskless_sync>},
    {"repl-diskless-sync-delay", "", 0, "5",
     "Seconds a diskless full sync waits for more replicas to share it.",
     SetInt<&ServerConfig::repl_diskless_sync_delay, 0, kIntMax>, GetInt<&ServerConfig::repl_diskless_sync_delay>},
    {"repl-diskless-sync-max-replicas", "", 0, "0",
     "Start a delayed diskless sync as soon as this many replicas wait; 0 no limit.",
     SetInt<&ServerConfig::repl_diskless_sync_max_replicas, 0, kIntMax>, GetInt<&ServerConfig::repl_diskless_sync_max_replicas>},
    {"repl-diskless-load", "", 0, "disabled",
     "Replica: load the primary's RDB from a file (disabled; other values accepted, same).",
     SetDisklessLoad, GetString<&ServerConfig::repl_diskless_load>},
    {"repl-timeout", "", 0, "60",
     "Seconds of silence after which a replication link is dropped.",
     SetInt<&ServerConfig::repl_timeout, 1, kIntMax>, GetInt<&ServerConfig::repl_timeout>},
    {"repl-ping-replica-period", "repl-ping-slave-period", 0, "10",
     "Seconds between the PINGs a primary sends its replicas.",
     SetInt<&ServerConfig::repl_ping_replica_period, 1, kIntMax>, GetInt<&ServerConfig::repl_ping_replica_period>},
    {"repl-disable-tcp-nodelay", "", 0, "no",
     "Accepted for compatibility: replication links keep TCP_NODELAY.",
     SetBool<&ServerConfig::repl_disable_tcp_nodelay>, GetBool<&ServerConfig::repl_disable_tcp_nodelay>},
    {"min-replicas-to-write", "min-slaves-to-write", 0, "0",
     "Refuse writes (-NOREPLICAS) with fewer replicas than this within the max lag; 0 off.",
     SetInt<&ServerConfig::min_replicas_to_write, 0, kIntMax>, GetInt<&ServerConfig::min_replicas_to_write>},
    {"min-replicas-max-lag", "min-slaves-max-lag", 0, "10",
     "Seconds since its last ACK for a replica to count for min-replicas-to-write.",
     SetInt<&ServerConfig::min_replicas_max_lag, 0, kIntMax>, GetInt<&ServerConfig::min_replicas_max_lag>},
    {"replica-priority", "slave-priority", 0, "100",
     "Sentinel's preference when promoting a replica (lower first; 0 never).",
     SetInt<&ServerConfig::replica_priority, 0, kIntMax>, GetInt<&ServerConfig::replica_priority>},
    {"replica-announce-ip", "slave-announce-ip", 0, "",
     "Address a replica tells its primary (REPLCONF ip-address); empty: the socket's.",
     SetString<&ServerConfig::replica_announce_ip>, GetString<&ServerConfig::replica_announce_ip>},
    {"replica-announce-port", "slave-announce-port", 0, "0",
     "Port a replica tells its primary (REPLCONF listening-port); 0: port.",
     SetInt<&ServerConfig::replica_announce_port, 0, 65535>, GetInt<&ServerConfig::replica_announce_port>},
    {"replica-announced", "", 0, "yes",
     "Whether Sentinel should list this replica (INFO replica_announced).",
     SetBool<&ServerConfig::replica_announced>, GetBool<&ServerConfig::replica_announced>},
    {"replica-lazy-flush", "slave-lazy-flush", 0, "no",
     "A replica frees its old dataset in the background before a full sync.",
     SetBool<&ServerConfig::replica_lazy_flush>, GetBool<&ServerConfig::replica_lazy_flush>},
    {"replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, "yes",
     "A replica never evicts: its primary's deletions keep it in step.",
     SetBool<&ServerConfig::replica_ignore_maxmemory>, GetBool<&ServerConfig::replica_ignore_maxmemory>},
    // ---- persistence: RDB snapshots ----
    {"save", "", kMulti, "3600 1 300 100 60 10000",
     "Save points: snapshot after <seconds> if at least <changes> writes; \"\" for none.", SetSave,
     GetString<&ServerConfig::save>},
    {"dir", "", 0, ".", "Working directory; the RDB file is written and read here.",
     SetString<&ServerConfig::dir>, GetString<&ServerConfig::dir>},
    {"dbfilename", "", 0, "dump.rdb", "Name of the RDB file in dir (loaded at start).",
     SetDbfilename, GetString<&ServerConfig::dbfilename>},
    {"rdbcompression", "", 0, "yes", "LZF-compress strings over 20 bytes in the RDB file.",
     SetBool<&ServerConfig::rdbcompression>, GetBool<&ServerConfig::rdbcompression>},
    {"rdbchecksum", "", 0, "yes",
     "Write a CRC-64 at the end of the RDB file, and check it on load.",
     SetBool<&ServerConfig::rdbchecksum>, GetBool<&ServerConfig::rdbchecksum>},
    {"rdb-del-sync-files", "", 0, "no",
     "A replica deletes the RDB file it received from its primary when persistence is off.",
     SetBool<&ServerConfig::rdb_del_sync_files>, GetBool<&ServerConfig::rdb_del_sync_files>},
    {"rdb-save-incremental-fsync", "", 0, "yes",
     "BGSAVE: fsync the file every 4 MB written, so the kernel never holds a whole snapshot.",
     SetBool<&ServerConfig::rdb_save_incremental_fsync>,
     GetBool<&ServerConfig::rdb_save_incremental_fsync>},
    {"stop-writes-on-bgsave-error", "", 0, "yes",
     "After a failed background save, refuse writes with -MISCONF until a save succeeds.",
     SetBool<&ServerConfig::stop_writes_on_bgsave_error>,
     GetBool<&ServerConfig::stop_writes_on_bgsave_error>},
    {"sanitize-dump-payload", "", 0, "no",
     "Accepted for compatibility: RDB files and RESTORE payloads are always fully validated.",
     SetSanitizeDumpPayload, GetString<&ServerConfig::sanitize_dump_payload>},
    // ---- persistence: AOF ----
    {"appendonly", "", 0, "no",
     "Log every write to the AOF (loaded at start instead of the RDB file); yes at runtime "
     "starts a rewrite.",
     SetBool<&ServerConfig::appendonly>, GetBool<&ServerConfig::appendonly>},
    {"appenddirname", "", kImmutable, "appendonlydir",
     "Directory, under dir, of the AOF's base, incremental and manifest files.", SetAppenddirname,
     GetString<&ServerConfig::appenddirname>},
    {"appendfilename", "", kImmutable, "appendonly.aof",
     "Prefix of the AOF's file names (<name>.1.base.rdb, <name>.1.incr.aof, <name>.manifest).",
     SetAppendfilename, GetString<&ServerConfig::appendfilename>},
    {"appendfsync", "", 0, "everysec",
     "always: reply after fsync (grouped per loop turn); everysec: fsync each second in the "
     "background; no: leave it to the OS.",
     SetAppendfsync, GetString<&ServerConfig::appendfsync>},
    {"no-appendfsync-on-rewrite", "", 0, "no",
     "Skip AOF fsyncs while a rewrite or BGSAVE runs (less disk contention, less durability).",
     SetBool<&ServerConfig::no_appendfsync_on_rewrite>,
     GetBool<&ServerConfig::no_appendfsync_on_rewrite>},
    {"auto-aof-rewrite-percentage", "", 0, "100",
     "Rewrite when the AOF grew this % over its size after the last rewrite; 0: never.",
     SetInt<&ServerConfig::auto_aof_rewrite_percentage, 0, kIntMax>,
     GetInt<&ServerConfig::auto_aof_rewrite_percentage>},
    {"auto-aof-rewrite-min-size", "", 0, "67108864",
     "No automatic rewrite below this AOF size (64mb).",
     SetMemory<&ServerConfig::auto_aof_rewrite_min_size, 0, kLongMax>,
     GetInt<&ServerConfig::auto_aof_rewrite_min_size>},
    {"aof-load-truncated", "", 0, "yes",
     "At start, a last AOF file cut mid-command is truncated to its last whole command (no: "
     "refuse to start).",
     SetBool<&ServerConfig::aof_load_truncated>, GetBool<&ServerConfig::aof_load_truncated>},
    {"aof-use-rdb-preamble", "", 0, "yes",
     "Rewrites write the base file as RDB (smaller, faster to load) rather than commands.",
     SetBool<&ServerConfig::aof_use_rdb_preamble>, GetBool<&ServerConfig::aof_use_rdb_preamble>},
    {"aof-timestamp-enabled", "", 0, "no",
     "Write #TS:<unix time> annotations in the AOF when the second changes.",
     SetBool<&ServerConfig::aof_timestamp_enabled>, GetBool<&ServerConfig::aof_timestamp_enabled>},
    {"aof-rewrite-incremental-fsync", "", 0, "yes",
     "Rewrite: fsync the new base file every 4 MB written.",
     SetBool<&ServerConfig::aof_rewrite_incremental_fsync>,
     GetBool<&ServerConfig::aof_rewrite_incremental_fsync>},
    // ---- memory ----
    {"maxmemory", "", 0, "0", "Memory limit for data (used_memory); 0 none.", SetMaxmemory,
     GetMaxmemory},
    {"busy-reply-threshold", "lua-time-limit", 0, "5000",
     "Milliseconds a script runs before other clients get -BUSY and SCRIPT KILL works.",
     SetInt<&ServerConfig::busy_reply_threshold, 0, INT64_MAX>,
     GetInt<&ServerConfig::busy_reply_threshold>},
    {"lua-memory-limit", "", 0, "0",
     "Most bytes a Lua heap may hold; 0: a quarter of maxmemory (at least 32mb), or 1gb.",
     SetMemory<&ServerConfig::lua_memory_limit, 0, INT64_MAX>,
     GetInt<&ServerConfig::lua_memory_limit>},
    {"maxmemory-policy", "", 0, "noeviction", "What to evict at the limit.", SetPolicy, GetPolicy},
    {"maxmemory-samples", "", 0, "5", "Keys sampled per eviction; more is closer to true LRU.",
     SetDbInt<&db::Options::maxmemory_samples, 1, 64>, GetDbInt<&db::Options::maxmemory_samples>},
    {"maxmemory-eviction-tenacity", "", 0, "10",
     "How long one command may spend evicting (0..100).",
     SetDbInt<&db::Options::maxmemory_eviction_tenacity, 0, 100>,
     GetDbInt<&db::Options::maxmemory_eviction_tenacity>},
    {"lfu-log-factor", "", 0, "10", "LFU counter growth: higher needs more hits to saturate.",
     SetDbInt<&db::Options::lfu_log_factor, 0, kIntMax>, GetDbInt<&db::Options::lfu_log_factor>},
    {"lfu-decay-time", "", 0, "1", "Minutes of idleness that take one off an LFU counter.",
     SetDbInt<&db::Options::lfu_decay_time, 0, kIntMax>, GetDbInt<&db::Options::lfu_decay_time>},
    // ---- value compression (Mnemo's; docs/memory.md) ----
    {"value-compression", "", 0, "no",
     "Store string values compressed (no, lzf, zstd) when that saves an eighth or more.",
     SetValueCompression, GetValueCompression},
    {"value-compression-min-size", "", 0, "64",
     "Shortest value tried (bytes); values of 44 bytes or less are never compressed.",
     SetDbMemory<&db::Options::value_compression_min_size, 0, kLongMax>,
     GetDbInt<&db::Options::value_compression_min_size>},
    {"value-compression-level", "", 0, "3", "zstd level 1..19: 3 is zstd's own default.",
     SetDbInt<&db::Options::value_compression_level, 1, 19>,
     GetDbInt<&db::Options::value_compression_level>},
    {"value-compression-dictionary", "", 0, "no",
     "With zstd: train a dictionary per database from a sample of its values.",
     SetDbBool<&db::Options::value_compression_dictionary>,
     GetDbBool<&db::Options::value_compression_dictionary>},
    {"lazyfree-lazy-eviction", "", 0, "no", "Free evicted values on the background thread.",
     SetDbBool<&db::Options::lazyfree_lazy_eviction>,
     GetDbBool<&db::Options::lazyfree_lazy_eviction>},
    {"lazyfree-lazy-expire", "", 0, "no", "Free expired values on the background thread.",
     SetDbBool<&db::Options::lazyfree_lazy_expire>, GetDbBool<&db::Options::lazyfree_lazy_expire>},
    {"lazyfree-lazy-server-del", "", 0, "no", "Free overwritten values in the background.",
     SetDbBool<&db::Options::lazyfree_lazy_server_del>,
     GetDbBool<&db::Options::lazyfree_lazy_server_del>},
    {"lazyfree-lazy-user-del", "", 0, "no", "DEL behaves as UNLINK.",
     SetDbBool<&db::Options::lazyfree_lazy_user_del>,
     GetDbBool<&db::Options::lazyfree_lazy_user_del>},
    {"lazyfree-lazy-user-flush", "", 0, "no", "FLUSHDB/FLUSHALL default to ASYNC.",
     SetDbBool<&db::Options::lazyfree_lazy_user_flush>,
     GetDbBool<&db::Options::lazyfree_lazy_user_flush>},
    {"active-expire-effort", "", 0, "1", "CPU given to reclaiming expired keys (1..10).",
     SetDbInt<&db::Options::active_expire_effort, 1, 10>,
     GetDbInt<&db::Options::active_expire_effort>},
    {"activedefrag", "", 0, "no",
     "Move values out of sparse jemalloc slabs to give fragmented memory back (stock jemalloc).",
     SetActiveDefrag, GetDbBool<&db::Options::active_defrag>},
    {"active-defrag-ignore-bytes", "", 0, "104857600",
     "Defragment only when at least this many bytes are lost to fragmentation.",
     SetDbMemory<&db::Options::active_defrag_ignore_bytes, 1, INT64_MAX>,
     GetDbInt<&db::Options::active_defrag_ignore_bytes>},
    {"active-defrag-threshold-lower", "", 0, "10",
     "Start when fragmentation exceeds this percentage (allocator_frag_ratio - 1).",
     SetDbInt<&db::Options::active_defrag_threshold_lower, 0, 1000>,
     GetDbInt<&db::Options::active_defrag_threshold_lower>},
    {"active-defrag-threshold-upper", "", 0, "100",
     "At this fragmentation percentage, work with the maximum effort.",
     SetDbInt<&db::Options::active_defrag_threshold_upper, 0, 1000>,
     GetDbInt<&db::Options::active_defrag_threshold_upper>},
    {"active-defrag-cycle-min", "", 0, "1", "Least CPU percentage spent defragmenting (1..99).",
     SetDbInt<&db::Options::active_defrag_cycle_min, 1, 99>,
     GetDbInt<&db::Options::active_defrag_cycle_min>},
    {"active-defrag-cycle-max", "", 0, "25", "Most CPU percentage spent defragmenting (1..99).",
     SetDbInt<&db::Options::active_defrag_cycle_max, 1, 99>,
     GetDbInt<&db::Options::active_defrag_cycle_max>},
    {"active-defrag-max-scan-fields", "", 0, "1000",
     "Hashes and sets with more elements are walked over several cron turns.",
     SetDbInt<&db::Options::active_defrag_max_scan_fields, 1, INT64_MAX>,
     GetDbInt<&db::Options::active_defrag_max_scan_fields>},
    {"jemalloc-bg-thread", "", 0, "yes", "jemalloc's background thread returns freed pages.",
     SetBool<&ServerConfig::jemalloc_bg_thread>, GetBool<&ServerConfig::jemalloc_bg_thread>},
    {"latency-tracking", "", 0, "yes", "Keep a latency histogram per command (INFO latencystats).",
     SetBool<&ServerConfig::latency_tracking>, GetBool<&ServerConfig::latency_tracking>},
    {"latency-tracking-info-percentiles", "", 0, "50 99 99.9",
     "The percentiles INFO latencystats prints.", SetLatencyPercentiles, GetLatencyPercentiles},
    // ---- encodings of collections ----
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", 0, "512",
     "Hashes up to this many fields stay listpacks.",
     SetDbInt<&db::Options::hash_max_listpack_entries, 0, kLongMax>,
     GetDbInt<&db::Options::hash_max_listpack_entries>},
    {"hash-max-listpack-value", "hash-max-ziplist-value", 0, "64",
     "...and only while every field and value is at most this many bytes.",
     SetDbInt<&db::Options::hash_max_listpack_value, 0, kLongMax>,
     GetDbInt<&db::Options::hash_max_listpack_value>},
    {"list-max-listpack-size", "list-max-ziplist-size", 0, "-2",
     "List node size: -1..-5 = 4..64 KB per node, positive = entries per node.",
     SetDbInt<&db::Options::list_max_listpack_size, INT_MIN, kIntMax>,
     GetDbInt<&db::Options::list_max_listpack_size>},
    {"list-compress-depth", "", 0, "0",
     "List nodes kept uncompressed at each end; 0 no compression.",
     SetDbInt<&db::Options::list_compress_depth, 0, kIntMax>,
     GetDbInt<&db::Options::list_compress_depth>},
    {"set-max-intset-entries", "", 0, "512", "Integer-only sets up to this size stay intsets.",
     SetDbInt<&db::Options::set_max_intset_entries, 0, kLongMax>,
     GetDbInt<&db::Options::set_max_intset_entries>},
    {"set-max-listpack-entries", "", 0, "128", "Small sets up to this size stay listpacks.",
     SetDbInt<&db::Options::set_max_listpack_entries, 0, kLongMax>,
     GetDbInt<&db::Options::set_max_listpack_entries>},
    {"set-max-listpack-value", "", 0, "64", "...while every member is at most this many bytes.",
     SetDbInt<&db::Options::set_max_listpack_value, 0, kLongMax>,
     GetDbInt<&db::Options::set_max_listpack_value>},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", 0, "128",
     "Sorted sets up to this size stay listpacks.",
     SetDbInt<&db::Options::zset_max_listpack_entries, 0, kLongMax>,
     GetDbInt<&db::Options::zset_max_listpack_entries>},
    {"zset-max-listpack-value", "zset-max-ziplist-value", 0, "64",
     "...while every member is at most this many bytes.",
     SetDbInt<&db::Options::zset_max_listpack_value, 0, kLongMax>,
     GetDbInt<&db::Options::zset_max_listpack_value>},
    // ---- clients that wait and listen: keyspace notifications, pub/sub, blocking ----
    {"notify-keyspace-events", "", 0, "",
     "Keyspace events published as pub/sub messages (letters K E g $ l s h z x e t m d n A).",
     SetNotifyEvents, GetNotifyEvents},
    {"tracking-table-max-keys", "", 0, "1000000",
     "Client-side caching remembers at most this many keys (0: no limit); past it, keys are "
     "dropped and their clients told to forget them.",
     SetInt<&ServerConfig::tracking_table_max_keys, 0, kLongMax>,
     GetInt<&ServerConfig::tracking_table_max_keys>},
    // ---- HyperLogLog ----
    {"hll-sparse-max-bytes", "", 0, "3000",
     "A HyperLogLog stays sparse up to this many bytes (then dense: 12304 bytes).",
     SetDbMemory<&db::Options::hll_sparse_max_bytes, 0, kLongMax>,
     GetDbInt<&db::Options::hll_sparse_max_bytes>},
    // ---- observability: the slow log and the latency monitor ----
    {"slowlog-log-slower-than", "", 0, "10000",
     "Log commands that run at least this many microseconds (SLOWLOG); -1: none, 0: all.",
     SetInt<&ServerConfig::slowlog_log_slower_than, -1, kLongMax>,
     GetInt<&ServerConfig::slowlog_log_slower_than>},
    {"slowlog-max-len", "", 0, "128", "Keep the newest this many slow log entries.",
     SetInt<&ServerConfig::slowlog_max_len, 0, kLongMax>, GetInt<&ServerConfig::slowlog_max_len>},
    {"latency-monitor-threshold", "", 0, "0",
     "Record events (commands, expiry and eviction cycles) that take at least this many "
     "milliseconds (LATENCY); 0: off.",
     SetInt<&ServerConfig::latency_monitor_threshold, 0, kLongMax>,
     GetInt<&ServerConfig::latency_monitor_threshold>},
    // ---- streams ----
    {"stream-node-max-bytes", "", 0, "4096",
     "A stream node (one listpack of entries) takes at most about this many bytes (0: no limit).",
     SetDbMemory<&db::Options::stream_node_max_bytes, 0, kLongMax>,
     GetDbInt<&db::Options::stream_node_max_bytes>},
    {"stream-node-max-entries", "", 0, "100",
     "...and at most this many entries, deleted ones included (0: no limit).",
     SetDbInt<&db::Options::stream_node_max_entries, 0, kLongMax>,
     GetDbInt<&db::Options::stream_node_max_entries>},
};

}  // namespace

std::vector<std::pair<int64_t, int64_t>> ServerConfig::SavePoints() const {
  std::vector<std::pair<int64_t, int64_t>> points;
  auto words = SplitArgs(save);
  if (!words) return points;
  for (size_t i = 0; i + 1 < words->size(); i += 2) {
    auto seconds = ParseInt64((*words)[i]);
    auto changes = ParseInt64((*words)[i + 1]);
    if (seconds && changes) points.emplace_back(*seconds, *changes);
  }
  return points;
}

std::string ServerConfig::RdbPath() const {
  if (dir.empty()) return dbfilename;
  return dir.back() == '/' ? dir + dbfilename : dir + "/" + dbfilename;
}

std::span<const ConfigParam> ConfigTable() { return kParams; }

const ConfigParam* FindConfigParam(std::string_view name) {
  for (const ConfigParam& p : kParams) {
    if (EqualsIgnoreCase(p.name, name) || (!p.alias.empty() && EqualsIgnoreCase(p.alias, name))) {
      return &p;
    }
  }
  return nullptr;
}

std::string ArgsToConfigText(std::span<const std::string> args) {
  std::string out;
  for (const std::string& a : args) {
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      if (!out.empty()) out += '\n';
      out += a.substr(2);
    } else {
      out += ' ';
      out += QuoteRepr(a);
    }
  }
  out += '\n';
  return out;
}

namespace {

// How CONFIG REWRITE spells a value: bare when it is one plain word (numbers, yes/no, names),
// as Redis writes them; quoted when empty or when it has blanks, quotes or control bytes.
// Multi-argument parameters (bind, save) are written as their words.
std::string RewriteValue(const ConfigParam& p, const std::string& v) {
  if (v.empty()) return "\"\"";
  if (p.flags & kMulti) return v;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 127) return QuoteRepr(v);
  }
  return v;
}

}  // namespace

Status RewriteConfigFile(const std::string& path, const ServerConfig& c,
                         std::span<const std::string> user_lines) {
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    if (!in) return Status::Error(fmt::format("Rewriting config file: {}", std::strerror(errno)));
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  std::set<const ConfigParam*> done;
  std::vector<std::string> out;
  // Appended parameters go under one signature line; an earlier rewrite may have written it.
  constexpr std::string_view kSignature = "# Generated by CONFIG REWRITE";
  bool header = false;
  size_t next_user = 0;
  for (const std::string& l : lines) {
    if (l == kSignature) header = true;
    auto args = SplitArgs(l);
    const bool comment =
        l.find_first_not_of(" \t") == std::string::npos || l[l.find_first_not_of(" \t")] == '#';
    if (!comment && args && !args->empty() && EqualsIgnoreCase((*args)[0], "user")) {
      if (next_user < user_lines.size()) out.push_back(user_lines[next_user++]);
      continue;
    }
    const ConfigParam* p =
        (!comment && args && !args->empty()) ? FindConfigParam((*args)[0]) : nullptr;
    if (p == nullptr) {
      out.push_back(l);
      continue;
    }
    if (done.count(p)) continue;  // a repeated directive collapses into one line
    done.insert(p);
    const std::string v = p->get(c);
    if (v.empty() && (p->flags & kRewriteDropsEmpty)) continue;
    out.push_back(std::string(p->name) + " " + RewriteValue(*p, v));
  }
  for (const ConfigParam& p : kParams) {
    if (done.count(&p)) continue;
    const std::string v = p.get(c);
    ServerConfig defaults;
    if (v == p.get(defaults)) continue;
    if (!header) {
      out.push_back(std::string(kSignature));
      header = true;
    }
    out.push_back(std::string(p.name) + " " + RewriteValue(p, v));
  }
  for (; next_user < user_lines.size(); ++next_user) {
    if (!header) {
      out.push_back(std::string(kSignature));
      header = true;
    }
    out.push_back(user_lines[next_user]);
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream o(tmp, std::ios::trunc);
    if (!o) return Status::Error(fmt::format("Rewriting config file: {}", std::strerror(errno)));
    for (const std::string& l : out) o << l << '\n';
    o.flush();
    if (!o) return Status::Error("Rewriting config file: write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Error(fmt::format("Rewriting config file: {}", std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace mnemo::server

// memory_advisor.cc: MEMORY DOCTOR's findings that only a look at the data can give (layer:
// server). Bounded: at most kSamples keys are looked at per call (every key when there are no
// more than that, otherwise random keys, each database in proportion to its keys), and a
// collection is walked only when it is small (just over an encoding threshold), so one call
// costs about the same on any dataset.
//
// What it finds, each with the figures it rests on (MEMORY ADVISOR returns them as maps):
//   small-string-keys   many small string keys under one name pattern (digits as `*`), and
//                       what they would cost as hashes of 100 fields (Redis's memory guide)
//   big-keys            the biggest keys seen (1 MB and more)
//   near-threshold      hashes, sets and sorted sets just over their *-max-listpack-* limits,
//                       with the CONFIG SET that would keep them compact and the saving
//   compressible        string values of 128 bytes and more that LZF shrinks by a quarter or
//                       more, with the estimated saving
//   where-data          which type and encoding holds most of the sampled memory
#include <fmt/format.h>
#include <lzf.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/server/server.h"

namespace mnemo::server {

namespace {

constexpr size_t kSamples = 2000;
// A name pattern is reported when it stands for at least this many keys (estimated) and was
// seen at least kMinPatternSamples times (so that the estimate rests on something).
constexpr double kMinPatternKeys = 10000;
constexpr size_t kMinPatternSamples = 20;
// A string value is small (worth moving into a hash) up to this length.
constexpr size_t kSmallString = 64;
constexpr size_t kBigKey = 1024 * 1024;
constexpr size_t kMaxBigKeys = 5;
// Compression: values this long and more are tried; reported when LZF saves a quarter or more
// and at least kMinSaving in all (estimated).
constexpr size_t kCompressMin = 128;
constexpr double kCompressRatio = 0.75;
constexpr double kMinSaving = 1024 * 1024;
// Near-threshold: collections up to this factor over the entries limit, whose elements are at
// most this factor over the value limit.
constexpr int64_t kOverFactor = 2;
constexpr double kMinNearSaving = 1024 * 1024;

std::string Mb(double bytes) { return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024.0)); }

std::string Count(double n) {
  if (n >= 1e6) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.0f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

// The key with every run of digits replaced by `*` ("user:1234:name" -> "user:*:name"), and
// the bytes of the field the key would become in a hash of 100 fields: the last two digits of
// its first number and what follows that number ("34:name"). Empty when the key has no digit.
std::string Pattern(std::string_view key, size_t* field_len) {
  std::string out;
  size_t first_run_end = std::string_view::npos;
  size_t first_run_len = 0;
  for (size_t i = 0; i < key.size();) {
    if (key[i] >= '0' && key[i] <= '9') {
      const size_t start = i;
      while (i < key.size() && key[i] >= '0' && key[i] <= '9') ++i;
      if (first_run_end == std::string_view::npos) {
        first_run_end = i;
        first_run_len = i - start;
      }
      out.push_back('*');
    } else {
      out.push_back(key[i++]);
    }
  }
  if (first_run_end == std::string_view::npos) return {};
  *field_len = std::min<size_t>(first_run_len, 2) + (key.size() - first_run_end);
  return out;
}

// A listpack entry's bytes for a string of `len` bytes (encoding header, data, back-length).
size_t LpEntryBytes(size_t len) {
  const size_t head = len < 64 ? 1 : len < 4096 ? 2 : 5;
  const size_t total = head + len;
  return total + (total < 128 ? 1 : total < 16384 ? 2 : 3);
}

struct PatternStats {
  size_t samples = 0;
  double bytes = 0;      // sampled MEMORY USAGE
  double as_hash = 0;    // sampled bytes as a field and value of a listpack hash
  double weight = 0;     // keys each sample stands for, summed: the estimated key count
  double weighted_bytes = 0;
  double weighted_hash = 0;
};

struct NearStats {
  size_t samples = 0;
  double weight = 0;
  double weighted_bytes = 0;
  double weighted_listpack = 0;
  int64_t max_entries = 0;
  size_t max_value = 0;
};

}  // namespace

void Server::DataFindings(const cmd::MemoryOverview& m, std::vector<cmd::MemoryFinding>* out) {
  const db::Options& opts = keyspace_.options();
  std::map<std::string, size_t> by_encoding;
  std::map<std::string, PatternStats> patterns;
  std::map<std::string, NearStats> near;  // by type name
  struct BigKey {
    int db;
    std::string key;
    std::string type;
    size_t bytes;
  };
  std::vector<BigKey> big;
  double compress_orig = 0, compress_packed = 0, compress_weight_orig = 0,
         compress_weight_packed = 0;
  size_t compress_samples = 0;
  size_t sampled_bytes = 0;
  size_t sampled_keys = 0;
  std::string lzf_out;

  auto look = [&](int dbi, db::Db& d, db::Object* o, double weight) {
    // What MEMORY USAGE key (SAMPLES 5) answers.
    const size_t share = d.TableShare();
    const size_t bytes = o->BlockCost() + db::ValueMemoryUsage(db::ValueOf(*o), 5) + share;
    by_encoding[fmt::format("{} ({})", db::TypeName(o->type()), db::EncodingName(*o))] += bytes;
    sampled_bytes += bytes;
    ++sampled_keys;
    if (bytes >= kBigKey) {
      big.push_back({dbi, std::string(o->key()), db::TypeName(o->type()), bytes});
    }
    if (o->type() == db::ObjType::kString) {
      const size_t len = db::StringLength(*o);
      if (len <= kSmallString) {
        size_t field_len = 0;
        std::string p = Pattern(o->key(), &field_len);
        if (!p.empty()) {
          PatternStats& ps = patterns[p];
          ++ps.samples;
          // In a hash of 100 fields: the field and value entries, plus a hundredth of the hash's
          // own key block (about the key's size + 24, rounded to 16) and table share.
          const double as_hash = static_cast<double>(LpEntryBytes(field_len) + LpEntryBytes(len)) +
                                 static_cast<double>(o->key().size() + 24 + 16 + share) / 100.0;
          ps.weight += weight;
          ps.weighted_bytes += weight * static_cast<double>(bytes);
          ps.weighted_hash += weight * as_hash;
        }
      } else if (len >= kCompressMin && o->encoding() != db::Encoding::kCompressed) {
        db::StringBuffer buf;
        const std::string_view v = db::StringView(*o, buf);
        lzf_out.resize(v.size());
        // Room for at most the original size: what does not fit does not compress.
        const unsigned n = lzf_compress(v.data(), static_cast<unsigned>(v.size()), lzf_out.data(),
                                        static_cast<unsigned>(v.size() - 1));
        const double packed = n == 0 ? static_cast<double>(v.size()) : static_cast<double>(n);
        ++compress_samples;
        compress_orig += static_cast<double>(v.size());
        compress_packed += packed;
        compress_weight_orig += weight * static_cast<double>(v.size());
        compress_weight_packed += weight * packed;
      }
      return;
    }
    // Collections just over the listpack limits: walk them (they are small by definition).
    int64_t entries_limit = 0, value_limit = 0, length = 0;
    const char* entries_name = nullptr;
    const char* value_name = nullptr;
    if (o->type() == db::ObjType::kHash && o->encoding() == db::Encoding::kHashtable) {
      entries_limit = opts.hash_max_listpack_entries;
      value_limit = opts.hash_max_listpack_value;
      entries_name = "hash-max-listpack-entries";
      value_name = "hash-max-listpack-value";
      length = static_cast<int64_t>(db::HashLength(*o));
    } else if (o->type() == db::ObjType::kSet && o->encoding() == db::Encoding::kHashtable) {
      entries_limit = opts.set_max_listpack_entries;
      value_limit = opts.set_max_listpack_value;
      entries_name = "set-max-listpack-entries";
      value_name = "set-max-listpack-value";
      length = static_cast<int64_t>(db::SetSize(*o));
    } else if (o->type() == db::ObjType::kZset && o->encoding() == db::Encoding::kSkiplist) {
      entries_limit = opts.zset_max_listpack_entries;
      value_limit = opts.zset_max_listpack_value;
      entries_name = "zset-max-listpack-entries";
      value_name = "zset-max-listpack-value";
      length = static_cast<int64_t>(db::ZsetLength(*o));
    } else {
      return;
    }
    if (length > kOverFactor * std::max<int64_t>(entries_limit, 1)) return;
    size_t max_value = 0;
    size_t listpack = 7;  // header and end byte
    bool too_long = false;
    auto element = [&](std::string_view e) {
      max_value = std::max(max_value, e.size());
      if (static_cast<int64_t>(e.size()) > kOverFactor * std::max<int64_t>(value_limit, 1)) {
        too_long = true;
      }
      listpack += LpEntryBytes(e.size());
    };
    if (o->type() == db::ObjType::kHash) {
      db::HashForEach(*o, [&](std::string_view f, std::string_view v) {
        element(f);
        element(v);
      });
    } else if (o->type() == db::ObjType::kSet) {
      db::SetForEach(o, [&](const db::SetMember& mbr) {
        db::IntBuffer buf;
        element(mbr.Bytes(buf));
        return !too_long;
      });
    } else {
      db::ZsetRangeByRank(o, 0, static_cast<size_t>(length - 1), false, [&](std::string_view member, double) {
        element(member);
        listpack += 10;  // the score, as a listpack entry (an integer or up to 17 digits)
      });
    }
    if (too_long) return;
    const std::string type = db::TypeName(o->type());
    NearStats& ns = near[fmt::format("{}|{}|{}", type, entries_name, value_name)];
    ++ns.samples;
    ns.weight += weight;
    ns.weighted_bytes += weight * static_cast<double>(bytes);
    const size_t block = o->BlockCost() + share;
    ns.weighted_listpack += weight * static_cast<double>(block + mem::SizeClass(listpack));
    ns.max_entries = std::max(ns.max_entries, length);
    ns.max_value = std::max(ns.max_value, max_value);
  };

  // Every key of a small keyspace, or random keys of a big one (each standing for as many).
  const bool all = m.keys_count <= kSamples;
  for (int i = 0; i < keyspace_.num_dbs(); ++i) {
    db::Db& d = keyspace_.db(i);
    if (d.size() == 0) continue;
    if (all) {
      std::vector<db::Object*> objects;
      objects.reserve(d.size());
      d.keys().ForEach([&](db::Object* o) { objects.push_back(o); });
      for (db::Object* o : objects) look(i, d, o, 1.0);
      continue;
    }
    const size_t share = kSamples * d.size() / std::max<size_t>(m.keys_count, 1) + 1;
    const double weight = static_cast<double>(d.size()) / static_cast<double>(share);
    for (size_t s = 0; s < share; ++s) {
      db::Object* o = d.keys().RandomNode();
      if (o == nullptr) break;
      look(i, d, o, weight);
    }
  }
  using Facts = std::vector<std::pair<std::string, cmd::MemoryFinding::Fact>>;
  auto i64 = [](double v) { return static_cast<int64_t>(v); };

  // Small string keys under one pattern, biggest first.
  std::vector<std::pair<std::string, PatternStats>> pats(patterns.begin(), patterns.end());
  std::sort(pats.begin(), pats.end(), [](const auto& a, const auto& b) {
    return a.second.weighted_bytes > b.second.weighted_bytes;
  });
  for (const auto& [pattern, ps] : pats) {
    if (ps.samples < kMinPatternSamples || ps.weight < kMinPatternKeys) continue;
    if (ps.weighted_hash * 1.25 > ps.weighted_bytes) continue;  // not worth it
    // An example of the regrouping: the key with 1234 for its first number becomes field
    // "34..." of the hash "...12".
    const size_t star = pattern.find('*');
    std::string rest = pattern.substr(star + 1);
    std::replace(rest.begin(), rest.end(), '*', '7');
    const std::string example = fmt::format("`{}1234{}` as `HSET {}12 34{} <value>`",
                                            pattern.substr(0, star), rest,
                                            pattern.substr(0, star), rest);
    out->push_back(
        {"small-string-keys",
         fmt::format("Small string keys: about {} keys named like `{}` hold short values and "
                     "cost {}; stored as hashes of 100 fields each ({}) they would cost about "
                     "{}. A key's own block and table entry cost more than a hash field.",
                     Count(ps.weight), pattern, Mb(ps.weighted_bytes), example,
                     Mb(ps.weighted_hash)),
         Facts{{"pattern", pattern},
               {"keys", i64(ps.weight)},
               {"bytes", i64(ps.weighted_bytes)},
               {"bytes_as_hashes", i64(ps.weighted_hash)},
               {"sampled", static_cast<int64_t>(ps.samples)}}});
  }

  // The biggest keys seen.
  if (!big.empty()) {
    std::sort(big.begin(), big.end(), [](const BigKey& a, const BigKey& b) {
      return a.bytes > b.bytes;
    });
    big.erase(std::unique(big.begin(), big.end(),
                          [](const BigKey& a, const BigKey& b) {
                            return a.db == b.db && a.key == b.key;
                          }),
              big.end());
    if (big.size() > kMaxBigKeys) big.resize(kMaxBigKeys);
    std::string list;
    Facts facts;
    for (const BigKey& b : big) {
      if (!list.empty()) list += ", ";
      list += fmt::format("`{}` (db {}, {}, {})", b.key, b.db, b.type, BytesToHuman(b.bytes));
      facts.emplace_back(fmt::format("db{}:{}", b.db, b.key), static_cast<int64_t>(b.bytes));
    }
    out->push_back({"big-keys",
                    fmt::format("Big keys{}: {}. A big key is read, written, deleted and "
                                "replicated as one unit; UNLINK frees it off the event loop.",
                                all ? "" : " among the sampled", list),
                    std::move(facts)});
  }

  // Collections just over their compact encoding's limits.
  for (const auto& [what, ns] : near) {
    const double saving = ns.weighted_bytes - ns.weighted_listpack;
    if (saving < kMinNearSaving || ns.weighted_listpack * 1.5 > ns.weighted_bytes) continue;
    const size_t bar1 = what.find('|');
    const size_t bar2 = what.find('|', bar1 + 1);
    const std::string type = what.substr(0, bar1);
    const std::string entries_name = what.substr(bar1 + 1, bar2 - bar1 - 1);
    const std::string value_name = what.substr(bar2 + 1);
    std::string config = fmt::format("CONFIG SET {} {}", entries_name, ns.max_entries);
    const int64_t value_limit = type == "hash"  ? opts.hash_max_listpack_value
                                : type == "set" ? opts.set_max_listpack_value
                                                : opts.zset_max_listpack_value;
    if (static_cast<int64_t>(ns.max_value) > value_limit) {
      config += fmt::format(" {} {}", value_name, ns.max_value);
    }
    out->push_back(
        {"near-threshold",
         fmt::format("Collections just over a compact encoding's limit: about {} {} keys (up to "
                     "{} elements of up to {} bytes) cost {}; as listpacks they would cost about "
                     "{}. `{}` keeps such collections compact (operations on them become O(n) "
                     "in their size, which at this size is fast).",
                     Count(ns.weight), type, ns.max_entries, ns.max_value,
                     Mb(ns.weighted_bytes), Mb(ns.weighted_listpack), config),
         Facts{{"type", type},
               {"keys", i64(ns.weight)},
               {"bytes", i64(ns.weighted_bytes)},
               {"bytes_as_listpacks", i64(ns.weighted_listpack)},
               {"max_entries", ns.max_entries},
               {"max_value", static_cast<int64_t>(ns.max_value)},
               {"config", config}}});
  }

  // Values that compress well.
  if (compress_samples > 0 && compress_packed <= kCompressRatio * compress_orig &&
      compress_weight_orig - compress_weight_packed >= kMinSaving) {
    out->push_back(
        {"compressible",
         fmt::format("Compressible values: string values of {} bytes and more take about {} and "
                     "LZF shrinks the sampled ones to {:.0f}% of their size, a saving of about "
                     "{}. Mnemo does not compress values yet; a client can (or store them in a "
                     "more compact form).",
                     kCompressMin, Mb(compress_weight_orig),
                     100.0 * compress_packed / compress_orig,
                     Mb(compress_weight_orig - compress_weight_packed)),
         Facts{{"bytes", i64(compress_weight_orig)},
               {"bytes_compressed", i64(compress_weight_packed)},
               {"ratio", compress_packed / compress_orig},
               {"sampled", static_cast<int64_t>(compress_samples)}}});
  }

  // Which encodings hold the data (information).
  if (sampled_bytes > 0) {
    auto top = std::max_element(by_encoding.begin(), by_encoding.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
    const double share = 100.0 * static_cast<double>(top->second) / sampled_bytes;
    out->push_back(
        {"where-data",
         fmt::format("Where the data is: {} {} keys, {:.0f}% of their memory is in {} values.",
                     all ? "looking at all" : "sampling", sampled_keys, share, top->first),
         Facts{{"sampled", static_cast<int64_t>(sampled_keys)},
               {"encoding", top->first},
               {"percent", share}}});
  }
}

}  // namespace mnemo::server

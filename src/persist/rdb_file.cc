// rdb_file.cc: saving a keyspace to an RDB file atomically and loading one (layer: persist).
#include "mnemo/persist/rdb_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/numbers.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/files.h"
#include "mnemo/persist/rdb_format.h"

namespace mnemo::persist {

namespace {

// The smallest key record: type, a 1-byte key length, a 1-byte value. Bounds RESIZEDB's hint.
constexpr uint64_t kMinRecordBytes = 3;
// An idle time beyond this many seconds (~34,800 years) is as good as infinite.
constexpr uint64_t kMaxIdleSeconds = uint64_t{1} << 40;


}  // namespace

KeyMeta MetaOf(const db::Object& o, const db::Keyspace& ks) {
  KeyMeta m;
  m.expire_ms = db::Db::ExpireOf(&o);
  const db::Options& opts = ks.options();
  if (db::IsLru(opts.maxmemory_policy)) {
    m.idle_s = db::EstimateIdleMs(o.lru(), ks.lru_clock()) / 1000;
  } else if (db::IsLfu(opts.maxmemory_policy)) {
    m.lfu_freq = db::LfuDecayedCounter(o.lru(), UnixTimeMs(), opts.lfu_decay_time);
  }
  return m;
}

Status WriteKeyspace(RdbWriter& w, db::Keyspace& ks, const SaveOptions& options, SaveStats* stats) {
  w.WriteHeader();
  // Redis 7.0's AUX fields, in its order; then Mnemo's own (loaders ignore unknown ones).
  w.WriteAux("redis-ver", options.redis_version);
  w.WriteAux("redis-bits", int64_t{64});
  w.WriteAux("ctime", UnixTimeMs() / 1000);
  w.WriteAux("used-mem", static_cast<int64_t>(mem::UsedMemory()));
  w.WriteAux("aof-base", int64_t{0});
  if (!options.mnemo_version.empty()) w.WriteAux("mnemo-ver", options.mnemo_version);
  for (const std::string& code : options.function_codes) w.WriteFunction(code);
  uint64_t keys = 0;
  for (int i = 0; i < ks.num_dbs(); ++i) {
    db::Db& d = ks.db(i);
    if (d.size() == 0) continue;
    w.WriteSelectDb(i);
    w.WriteResizeDb(d.size(), d.expires_size());
    d.keys().ForEach([&](db::Object* o) {
      if (!w.status().ok()) return;  // a failed write: stop serializing
      w.WriteKey(*o, MetaOf(*o, ks));
      ++keys;
    });
  }
  Status s = w.WriteEof(options.checksum);
  if (stats != nullptr) {
    stats->keys = keys;
    stats->bytes = w.bytes();
  }
  return s;
}

Result<SaveStats> SaveRdbFile(const std::string& path, db::Keyspace& ks,
                              const SaveOptions& options) {
  const std::string dir = DirOf(path);
  const std::string tmp = fmt::format("{}/temp-{}.rdb", dir, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Error(fmt::format("Failed opening the temp RDB file {} for saving: {}", tmp,
                                     std::strerror(errno)));
  }
  FdSink sink(fd);
  RdbWriter w(&sink, RdbWriterOptions{options.compression});
  SaveStats stats;
  Status s = WriteKeyspace(w, ks, options, &stats);
  if (s.ok() && ::fsync(fd) != 0) s = Status::Error(std::strerror(errno));
  if (::close(fd) != 0 && s.ok()) s = Status::Error(std::strerror(errno));
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return Status::Error("Write error saving DB on disk: " + s.message());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::Error(fmt::format("Error moving temp DB file {} on the final destination {}: {}",
                                     tmp, path, std::strerror(err)));
  }
  s = FsyncDir(dir);
  if (!s.ok()) {
    return Status::Error(fmt::format("Failed to fsync directory {}: {}", dir, s.message()));
  }
  return stats;
}

Result<LoadStats> LoadRdb(RdbInput& in, db::Keyspace& ks, const LoadOptions& options) {
  RdbReader r(in, ks);
  LoadStats stats;
  auto fail = [&] { return Result<LoadStats>(r.status()); };
  char header[rdb::kHeaderSize];
  if (!in.Read(header, sizeof(header))) {
    r.Fail("short read loading the RDB header");
    return fail();
  }
  if (std::string_view(header, rdb::kMagic.size()) != rdb::kMagic) {
    r.Fail("wrong signature trying to load DB from file");
    return fail();
  }
  const std::string_view digits(header + rdb::kMagic.size(), 4);
  const bool numeric =
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  stats.version = numeric ? (digits[0] - '0') * 1000 + (digits[1] - '0') * 100 +
                                (digits[2] - '0') * 10 + (digits[3] - '0')
                          : -1;
  if (stats.version < 1 || stats.version > rdb::kVersion) {
    r.Fail(fmt::format("can't handle RDB format version {}", digits));
    return fail();
  }
  db::Db* db = &ks.db(0);
  int64_t expire_ms = -1;
  int64_t idle_s = -1;
  int lfu_freq = -1;
  std::string key;
  std::string aux_value;
  uint64_t next_progress = in.offset() + kLoadProgressBytes;
  for (;;) {
    if (options.progress && in.offset() >= next_progress) {
      next_progress = in.offset() + kLoadProgressBytes;
      if (!options.progress(in.offset(), in.offset() + in.remaining())) {
        r.Fail("loading interrupted (the server is shutting down)");
        return fail();
      }
    }
    uint8_t type;
    if (!r.ReadByte(&type)) return fail();
    switch (type) {
      case rdb::kOpExpireTime: {
        int32_t seconds;
        if (!r.ReadInt32(&seconds)) return fail();
        expire_ms = int64_t{seconds} * 1000;
        continue;
      }
      case rdb::kOpExpireTimeMs:
        if (!r.ReadInt64(&expire_ms)) return fail();
        continue;
      case rdb::kOpFreq: {
        uint8_t f;
        if (!r.ReadByte(&f)) return fail();
        lfu_freq = f;
        continue;
      }
      case rdb::kOpIdle: {
        uint64_t idle;
        if (!r.ReadLen(&idle)) return fail();
        idle_s = static_cast<int64_t>(std::min(idle, kMaxIdleSeconds));
        continue;
      }
      case rdb::kOpSelectDb: {
        uint64_t id;
        if (!r.ReadLen(&id)) return fail();
        if (id >= static_cast<uint64_t>(ks.num_dbs())) {
          r.Fail(
              fmt::format("database {} out of range: the server is configured for {} "
                          "databases",
                          id, ks.num_dbs()));
          return fail();
        }
        db = &ks.db(static_cast<int>(id));
        r.set_db_index(static_cast<int>(id));
        continue;
      }
      case rdb::kOpResizeDb: {
        uint64_t keys;
        uint64_t expires;
        if (!r.ReadLen(&keys) || !r.ReadLen(&expires)) return fail();
        // A hint: never more than the rest of the input could hold.
        const uint64_t cap = in.remaining() / kMinRecordBytes;
        (void)db->keys().Reserve(static_cast<size_t>(std::min(keys, cap)));
        (void)expires;  // no table of volatile keys to size (db.h)
        continue;
      }
      case rdb::kOpAux: {
        if (!r.ReadString(&key) || !r.ReadString(&aux_value)) return fail();
        if (key == "redis-ver") {
          stats.redis_version = aux_value;
        } else if (key == "ctime") {
          stats.ctime = ParseInt64(aux_value).value_or(-1);
        } else if (key == "used-mem") {
          stats.used_mem = ParseInt64(aux_value).value_or(-1);
          if (options.used_mem_seen != nullptr && stats.used_mem >= 0) {
            *options.used_mem_seen = stats.used_mem;
          }
        } else if (key == "repl-stream-db") {
          stats.repl_stream_db = ParseInt64(aux_value).value_or(-1);
        }
        continue;  // other AUX fields are ignored, as the format's contract says
      }
      case rdb::kOpModuleAux:
        r.Fail("module AUX data is not supported");
        return fail();
      case rdb::kOpFunction2:
        if (options.function_codes != nullptr) {
          std::string code;
          if (!r.ReadString(&code)) return fail();
          options.function_codes->push_back(std::move(code));
          continue;
        }
        r.Fail("function libraries are not supported");
        return fail();
      case rdb::kOpFunctionPreGa:
        r.Fail("function libraries are not supported");
        return fail();
      case rdb::kOpEof:
        break;
      default: {
        if (!r.ReadString(&key)) return fail();
        db::Object* o = nullptr;
        const ReadStatus st = r.ReadObject(type, key, expire_ms, &o);
        if (st == ReadStatus::kError) return fail();
        const int64_t expire = expire_ms;
        const int64_t idle = idle_s;
        const int freq = lfu_freq;
        expire_ms = idle_s = -1;
        lfu_freq = -1;
        if (st == ReadStatus::kEmpty) {
          ++stats.empty_keys_skipped;
          continue;
        }
        if (expire >= 0 && expire < options.now_ms && !options.keep_expired) {
          db::FreeObject(o);
          ++stats.keys_expired;
          continue;
        }
        if (db->keys().Find(key) != nullptr) {
          db::FreeObject(o);
          r.Fail(fmt::format("duplicated key '{}' in DB {}", key, db->id()));
          return fail();
        }
        db::SetIdleOrFreq(o, ks.options(), idle, freq, ks.lru_clock(), options.now_ms);
        db->AddQuietly(o);
        // A small hash or zset read from another encoding (a hashtable, a ziplist) goes into
        // its slot as the commands leave it (listpacks read as listpacks are there already).
        db->Repack(o);
        ++stats.keys_loaded;
        continue;
      }
    }
    break;  // EOF
  }
  if (stats.version >= 5) {
    const uint64_t expected = in.crc();
    uint64_t stored;
    if (!in.Read(&stored, sizeof(stored))) {
      r.Fail("unexpected end of input reading the checksum");
      return fail();
    }
    if (options.verify_checksum && stored != 0) {
      if (stored != expected) {
        r.Fail(
            fmt::format("wrong RDB checksum expected: ({:016x}) got ({:016x})", expected, stored));
        return fail();
      }
      stats.checksum_verified = true;
    }
  }
  stats.bytes = in.offset();
  return stats;
}

Result<LoadStats> LoadRdbFile(const std::string& path, db::Keyspace& ks, const LoadOptions& options,
                              bool* found) {
  *found = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return LoadStats{};
    return Status::Error(fmt::format("Can't open {}: {}", path, std::strerror(errno)));
  }
  *found = true;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Error(fmt::format("Can't stat {}: {}", path, std::strerror(err)));
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  Result<LoadStats> result = [&] {
    RdbInput in(fd, static_cast<uint64_t>(st.st_size));
    return LoadRdb(in, ks, options);
  }();
  ::close(fd);
  return result;
}

}  // namespace mnemo::persist

// aof.cc: the server's append-only file: loading at start, the propagation sink, the group
// commit of appendfsync always, the background fsync of everysec, the fork-less BGREWRITEAOF,
// turning it on and off at runtime (layer: server). Files and format: persist/aof.h.
//
// Group commit. Redis writes and fsyncs its AOF buffer in beforeSleep, before it sends any reply
// of that loop iteration. Here the first write of a loop turn posts one flush task (PostAofFlush)
// behind the events already ready and those the next poll finds (PostBehindNextPoll: the
// requests that arrived while the turn ran join the same write and fdatasync, about 10% fewer
// fdatasyncs per request with 50 clients); every connection that wants to send output meanwhile
// is held (AofHoldOutput, through HoldOutput, asked by net::Connection before each socket write)
// and sent when the task has written the buffer and, under appendfsync always, called fdatasync
// once for all of them. A reply therefore never leaves before the record of the write it
// acknowledges is in the file (a kill -9 loses no acknowledged write under any policy, as with
// Redis), under always on disk, and one fsync covers every write made by every client in that
// turn.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "aof_state.h"
#include "session.h"
#include "mnemo/base/clock.h"
#include "mnemo/base/log.h"
#include "mnemo/persist/rdb_file.h"
#include "mnemo/persist/rdb_format.h"
#include "mnemo/protocol/errors.h"
#include "mnemo/protocol/reply_builder.h"

namespace mnemo::server {

namespace {

// A failed rewrite is retried after this long (Redis: the cron retries a failed rewrite of an
// AOF being turned on).
constexpr int64_t kRewriteRetryDelayMs = 5000;
// The buffer's capacity is given back when it was grown past this by a burst.
constexpr size_t kKeepBufferCapacity = 1024 * 1024;

FsyncPolicy PolicyOf(const std::string& s) {
  if (s == "always") return FsyncPolicy::kAlways;
  if (s == "no") return FsyncPolicy::kNo;
  return FsyncPolicy::kEverysec;
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(std::strerror(errno));
  std::string out;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::Error(std::strerror(err));
    }
    if (n == 0) break;
    out.append(chunk, static_cast<size_t>(n));
    // A manifest has a few lines; a huge one is not a manifest (bounded allocation).
    if (out.size() > 16 * 1024 * 1024) {
      ::close(fd);
      return Status::Error("The AOF manifest file is too large");
    }
  }
  ::close(fd);
  return out;
}

Status EnsureDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Error(
        fmt::format("Can't open or create append-only dir {}: {}", dir, std::strerror(errno)));
  }
  return Status::Ok();
}

// Removes what a rewrite or a manifest update cut short by a crash left in the AOF directory:
// files named temp-* (the snapshot's temp-bg-<pid>.rdb, temp-<manifest>, the temporary
// incremental file of an AOF being turned on). The directory is the AOF's alone.
//
// And a base file numbered after the manifest's base: a rewrite killed after it renamed its file
// into place, before the manifest named it (the next rewrite would reuse the number).
void RemoveTempFiles(const std::string& dir, const std::string& appendfilename, int64_t base_seq) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n.starts_with("temp-")) {
      names.emplace_back(n);
      continue;
    }
    for (bool rdb : {true, false}) {
      if (n == persist::AofBaseFileName(appendfilename, base_seq + 1, rdb)) names.emplace_back(n);
    }
  }
  ::closedir(d);
  for (const std::string& n : names) {
    LogNotice("Removing the temporary file {} left in the AOF directory", n);
    ::unlink((dir + "/" + n).c_str());
  }
}

// The manifest of the AOF in `dir`, or an empty one when there is none or it does not parse.
persist::AofManifest ManifestOnDisk(const std::string& dir, const std::string& appendfilename) {
  const std::string path = dir + "/" + persist::AofManifestFileName(appendfilename);
  if (!Exists(path)) return {};
  Result<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return {};
  Result<persist::AofManifest> m = persist::ParseAofManifest(*text);
  if (!m.ok()) return {};
  return std::move(*m);
}

}  // namespace

void Server::AofState::OnPropagate(std::span<const db::PropagatedCommand> unit) {
  server->AofFeed(unit);
}

// ---- loading -----------------------------------------------------------------------------------

Status Server::UpgradeOldAof(persist::AofManifest* manifest, bool* have_manifest) {
  // As Redis 7.0's loadAppendOnlyFiles: an appendfilename in `dir` is a pre-7 single-file AOF
  // when the AOF directory is missing, has no manifest (or an empty one), or has a manifest
  // naming only that file as its base, which is not in the directory yet (a crash between
  // aofUpgradePrepare's two steps).
  const std::string dir = config_.AofDir();
  const std::string old_path = config_.dir + "/" + config_.appendfilename;
  if (!Exists(old_path)) return Status::Ok();
  const bool upgrade = !Exists(dir) || !*have_manifest ||
                       (!manifest->base && manifest->incrs.empty()) ||
                       (manifest->base && manifest->incrs.empty() &&
                        manifest->base->name == config_.appendfilename &&
                        !Exists(dir + "/" + config_.appendfilename));
  if (!upgrade) return Status::Ok();
  // aofUpgradePrepare: the manifest first (the old file as base 1), then the file moves in.
  Status s = EnsureDir(dir);
  if (!s.ok()) return s;
  persist::AofManifest m;
  m.base = persist::AofFileInfo{config_.appendfilename, 1, persist::AofFileType::kBase};
  m.curr_base_seq = 1;
  s = persist::WriteFileDurably(dir, persist::AofManifestFileName(config_.appendfilename),
                                m.Format());
  if (!s.ok()) return s;
  if (::rename(old_path.c_str(), (dir + "/" + config_.appendfilename).c_str()) != 0) {
    return Status::Error(fmt::format("Error trying to rename the existing AOF to dir {}: {}",
                                     config_.appenddirname, std::strerror(errno)));
  }
  LogNotice("Successfully migrated an old-style AOF into the AOF directory {}.",
            config_.appenddirname);
  *manifest = std::move(m);
  *have_manifest = true;
  return Status::Ok();
}

Status Server::LoadAof() {
  const std::string dir = config_.AofDir();
  const std::string manifest_path =
      dir + "/" + persist::AofManifestFileName(config_.appendfilename);
  Result<persist::AofManifest> m = persist::AofManifest{};
  bool have_manifest = Exists(manifest_path);
  if (have_manifest) {
    Result<std::string> text = ReadSmallFile(manifest_path);
    if (!text.ok()) {
      return Status::Error(
          fmt::format("Fatal error: can't open the AOF manifest {} for reading: {}", manifest_path,
                      text.status().message()));
    }
    m = persist::ParseAofManifest(*text);
    if (!m.ok()) return Status::Error(m.status().message());
  }
  Status up = UpgradeOldAof(&*m, &have_manifest);
  if (!up.ok()) return up;
  if (!have_manifest) return Status::Ok();  // nothing to load (Redis AOF_NOT_EXIST)
  std::vector<std::string> files;
  if (m->base) files.push_back(m->base->name);
  for (const persist::AofFileInfo& f : m->incrs) files.push_back(f.name);
  for (const std::string& f : files) {
    if (!Exists(dir + "/" + f)) {
      return Status::Error(fmt::format("The AOF file {} doesn't exist", f));
    }
  }
  const int64_t start = MonotonicUs();
  protocol::ReplyBuilder reply;
  // A replay writes what happened then: a key whose TTL has passed since is still there for the
  // commands that follow it (a PERSIST, a RENAME), and a write with an expiry already past
  // stores its key (Redis keyIsExpired and checkAlreadyExpired while loading). Keys expire
  // once the load is done.
  struct ExpiryPaused {
    db::Options& o;
    explicit ExpiryPaused(db::Options& opts) : o(opts) { o.keys_expire = false; }
    ~ExpiryPaused() { o.keys_expire = true; }
    ExpiryPaused(const ExpiryPaused&) = delete;
    ExpiryPaused& operator=(const ExpiryPaused&) = delete;
  } expiry_paused(keyspace_.options());
  for (const std::string& f : files) loading_.total_bytes += FileSize(dir + "/" + f);
  uint64_t files_done = 0;  // bytes of the files read before this one
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = dir + "/" + files[i];
    const bool last = i + 1 == files.size();
    const bool is_base = m->base && i == 0;
    uint64_t skip = 0;
    if (persist::AofFileIsRdb(path)) {
      LogNotice("Reading RDB {} file {}", is_base ? "base" : "preamble", files[i]);
      persist::LoadOptions options;
      options.verify_checksum = config_.rdbchecksum;
      options.now_ms = UnixTimeMs();
      // Expired keys stay for the commands that follow (Redis RDBFLAGS_AOF_PREAMBLE).
      options.keep_expired = true;
      options.progress = [this, files_done](uint64_t loaded, uint64_t) {
        return LoadingProgress(files_done + loaded);
      };
      bool found = false;
      Result<persist::LoadStats> r = persist::LoadRdbFile(path, keyspace_, options, &found);
      if (!r.ok()) {
        return Status::Error(
            fmt::format("Error reading the RDB base file {}: {}", files[i], r.status().message()));
      }
      skip = r->bytes;
      if (skip >= FileSize(path)) {
        LogNotice("DB loaded from {} file {}: {} keys", is_base ? "base" : "incr", files[i],
                  r->keys_loaded);
        files_done += FileSize(path);
        continue;
      }
      LogNotice("Reading the remaining AOF tail...");
    }
    // A fake client per file, as Redis: a transaction a file leaves open is dropped with it.
    cmd::Client fake;
    uint64_t cmd_bytes = 0;
    Result<persist::AofReadResult> r = persist::ReadAofCommands(
        path,
        [&](std::vector<std::string>& argv) -> Status {
          std::vector<std::string_view> views(argv.begin(), argv.end());
          reply.buffer().clear();
          dispatcher_.Execute(fake, views, reply);
          // Progress in bytes of the file, about: the RESP framing is counted at 16 bytes per
          // argument.
          for (const std::string& a : argv) cmd_bytes += a.size() + 16;
          if (!LoadingProgress(files_done + skip + cmd_bytes)) {
            return Status::Error("Loading interrupted: the server is shutting down");
          }
          if (reply.buffer().rfind("-ERR unknown command", 0) == 0) {
            return Status::Error(fmt::format("Unknown command '{}' reading the append only file {}",
                                             argv[0], files[i]));
          }
          return Status::Ok();
        },
        skip);
    if (!r.ok()) return r.status();
    if (r->truncated || r->open_multi) {
      const uint64_t valid = r->open_multi ? r->valid_before_multi : r->valid_up_to;
      if (r->open_multi) {
        LogWarning("Revert incomplete MULTI/EXEC transaction in AOF file {}", files[i]);
      }
      if (!last) {
        return Status::Error(fmt::format(
            "Unrecoverable error reading the append only file {}: the truncated file is not the "
            "last file",
            files[i]));
      }
      if (!config_.aof_load_truncated) {
        return Status::Error(fmt::format(
            "Unrecoverable error reading the append only file {}: unexpected end of file. You can: "
            "1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
            "<filename.manifest>. "
            "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and "
            "restart the server.",
            files[i]));
      }
      LogWarning("!!! Warning: short read while loading the AOF file {}!!!", files[i]);
      LogWarning("!!! Truncating the AOF {} at offset {} !!!", files[i], valid);
      if (::truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
        return Status::Error(
            fmt::format("Error truncating the AOF file {}: {}", files[i], std::strerror(errno)));
      }
      LogWarning("AOF {} loaded anyway because aof-load-truncated is enabled", files[i]);
    }
    LogNotice("DB loaded from {} file {}: {} commands", is_base ? "base" : "incr", files[i],
              r->commands);
    files_done += FileSize(path);
  }
  // Redis's fake client calls commands directly: nothing of the load shows in INFO
  // commandstats, errorstats or latencystats (total_commands_processed still counts it here).
  dispatcher_.ResetStats();
  LogNotice("DB loaded from append only file: {:.3f} seconds",
            static_cast<double>(MonotonicUs() - start) / 1e6);
  return Status::Ok();
}

Status Server::OpenAofOnStart() {
  if (!aof_) aof_ = std::make_unique<AofState>(this, io_);
  AofState& a = *aof_;
  const std::string dir = config_.AofDir();
  Status s = EnsureDir(dir);
  if (!s.ok()) return s;
  const std::string manifest_path =
      dir + "/" + persist::AofManifestFileName(config_.appendfilename);
  if (Exists(manifest_path)) {
    Result<std::string> text = ReadSmallFile(manifest_path);
    if (!text.ok()) return text.status();
    Result<persist::AofManifest> m = persist::ParseAofManifest(*text);
    if (!m.ok()) return m.status();
    a.manifest = std::move(*m);
  }
  RemoveTempFiles(dir, config_.appendfilename, a.manifest.curr_base_seq);
  bool changed = false;
  if (!a.manifest.base && a.manifest.incrs.empty()) {
    // As Redis 7.0: a new AOF starts with a base file of the dataset (empty, or the data loaded).
    const int64_t seq = a.manifest.curr_base_seq + 1;
    const std::string name =
        persist::AofBaseFileName(config_.appendfilename, seq, config_.aof_use_rdb_preamble);
    if (config_.aof_use_rdb_preamble) {
      persist::SaveOptions options;
      options.compression = config_.rdbcompression;
      options.checksum = config_.rdbchecksum;
      options.redis_version = std::string(persist::rdb::kFormatRedisVersion);
      Result<persist::SaveStats> saved = persist::SaveRdbFile(dir + "/" + name, keyspace_, options);
      if (!saved.ok()) return saved.status();
    } else {
      Status w = persist::WriteFileDurably(dir, name, "");
      if (!w.ok()) return w;
    }
    LogNotice("Creating AOF base file {} on server start", name);
    a.manifest.base = persist::AofFileInfo{name, seq, persist::AofFileType::kBase};
    a.manifest.curr_base_seq = seq;
    changed = true;
  }
  if (a.manifest.incrs.empty()) {
    const int64_t seq = a.manifest.curr_incr_seq + 1;
    const std::string name = persist::AofIncrFileName(config_.appendfilename, seq);
    a.manifest.incrs.push_back(persist::AofFileInfo{name, seq, persist::AofFileType::kIncr});
    a.manifest.curr_incr_seq = seq;
    LogNotice("Creating AOF incr file {} on server start", name);
    changed = true;
  }
  a.file_name = a.manifest.incrs.back().name;
  s = a.file.Open(dir + "/" + a.file_name, false);
  if (!s.ok()) return s;
  if (changed || !a.manifest.history.empty()) {
    for (const persist::AofFileInfo& h : a.manifest.history) ::unlink((dir + "/" + h.name).c_str());
    a.manifest.history.clear();
    s = persist::WriteFileDurably(dir, persist::AofManifestFileName(config_.appendfilename),
                                  a.manifest.Format());
    if (!s.ok()) return s;
  }
  a.fixed_size = FileSize(dir + "/" + a.manifest.base->name);
  for (size_t i = 0; i + 1 < a.manifest.incrs.size(); ++i) {
    a.fixed_size += FileSize(dir + "/" + a.manifest.incrs[i].name);
  }
  a.rewrite_base_size = a.fixed_size + a.file.size();
  a.selected_db = -1;
  a.policy = PolicyOf(config_.appendfsync);
  a.status = AofStatus::kOn;
  if (!a.fsync_thread) a.fsync_thread = std::make_unique<persist::FsyncThread>();
  a.last_fsync_ms = UnixTimeMs();
  keyspace_.changes().AddSink(&a);
  a.sink_installed = true;
  return Status::Ok();
}

// ---- writing -----------------------------------------------------------------------------------

void Server::AofFeed(std::span<const db::PropagatedCommand> unit) {
  AofState& a = *aof_;
  // Read here, so that the first write after CONFIG SET appendfsync already obeys it.
  a.policy = PolicyOf(config_.appendfsync);
  for (const db::PropagatedCommand& c : unit) {
    if (config_.aof_timestamp_enabled) {
      const int64_t now_s = UnixTimeMs() / 1000;
      if (now_s > a.last_ts_s) {
        persist::AppendAofTimestamp(&a.buf, now_s);
        a.last_ts_s = now_s;
      }
    }
    if (c.db >= 0 && c.db != a.selected_db) {
      const std::string db = std::to_string(c.db);
      const std::string_view select[] = {"SELECT", db};
      persist::AppendAofCommand(&a.buf, std::span<const std::string_view>(select));
      a.selected_db = c.db;
    }
    persist::AppendAofCommand(&a.buf, std::span<const std::string>(c.argv));
  }
  PostAofFlush();
}

void Server::PostAofFlush() {
  AofState& a = *aof_;
  if (a.flush_posted || shutting_down_) return;
  a.flush_posted = true;
  PostBehindNextPoll([this] {
    if (!aof_) return;
    aof_->flush_posted = false;
    AofFlush(false);
  });
}

bool Server::AofHoldOutput(net::Connection& c) {
  if (!aof_ || aof_->status != AofStatus::kOn) return false;
  AofState& a = *aof_;
  // Every policy writes the turn's records before its replies leave (Redis writes aof_buf in
  // beforeSleep before it sends replies), so a crash of the process alone never loses an
  // acknowledged write; `always` also waits for the fdatasync (unless no-appendfsync-on-rewrite
  // says not to sync now).
  const bool sync_first = a.policy == FsyncPolicy::kAlways &&
                          !(config_.no_appendfsync_on_rewrite && (a.rewrite || bgsave_));
  if (a.buf.empty() && !(sync_first && a.file.unsynced() > 0)) return false;
  // After a failed write the buffer stays until the cron's retry works: replies go meanwhile
  // (as Redis's; new writes are refused with -MISCONF), or they would wait on it for ever.
  if (!a.last_write_ok) return false;
  auto* s = static_cast<Session*>(c.state());
  if (s == nullptr || !s->aof_held) {
    if (s != nullptr) s->aof_held = true;
    a.held.push_back(c.shared_from_this());
  }
  PostAofFlush();
  return true;
}

void Server::AofFlush(bool force_fsync) {
  AofState& a = *aof_;
  if (a.status == AofStatus::kOff || !a.file.is_open()) {
    a.buf.clear();
  } else if (!a.buf.empty()) {
    Status s = a.file.Write(a.buf);
    if (!s.ok()) {
      LogWarning("Error writing to the AOF file: {}", s.message());
      if (a.policy == FsyncPolicy::kAlways && a.status == AofStatus::kOn) {
        // As Redis: a write that was acknowledged could be lost otherwise.
        LogWarning(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
            "Exiting...");
        std::_Exit(1);
      }
      a.last_write_ok = false;
      a.last_write_error = s.message();
      // The buffer stays: the cron tries again (Redis keeps aof_buf after a failed write).
    } else {
      if (!a.last_write_ok) LogWarning("AOF write error looks solved, Redis can write again.");
      a.last_write_ok = true;
      a.buf.clear();
      if (a.buf.capacity() > kKeepBufferCapacity) std::string().swap(a.buf);
    }
  }
  if (a.status == AofStatus::kOn && a.file.is_open() && a.file.unsynced() > 0) {
    const bool skip = config_.no_appendfsync_on_rewrite && (a.rewrite || bgsave_);
    const int64_t now = UnixTimeMs();
    if (force_fsync || (!skip && a.policy == FsyncPolicy::kAlways)) {
      Status s = a.file.Fdatasync();
      if (!s.ok() && a.policy == FsyncPolicy::kAlways) {
        LogWarning(
            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. "
            "Exiting...",
            s.message());
        std::_Exit(1);
      }
      if (!s.ok()) {
        // A forced sync (rewrite start, shutdown) under everysec or no: as a failed write.
        LogWarning("Fail to fsync the AOF file: {}.", s.message());
        a.last_write_ok = false;
        a.last_write_error = s.message();
      }
      a.last_fsync_ms = now;
    } else if (!skip && a.policy == FsyncPolicy::kEverysec && now - a.last_fsync_ms >= 1000) {
      if (a.fsync_thread->Request(a.file.fd())) {
        a.file.clear_unsynced();
        a.last_fsync_ms = now;
      } else if (now - a.last_fsync_ms >= 2000) {
        // The disk is slower than one sync per second (Redis counts these too).
        ++a.delayed_fsync;
        LogWarning(
            "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer "
            "without waiting for fsync to complete, this may slow down Redis.");
        a.last_fsync_ms = now;
      }
    }
  }
  if (a.fsync_thread) {
    if (const int err = a.fsync_thread->TakeError()) {
      LogWarning("Error in the background fsync of the AOF: {}", std::strerror(err));
      a.last_write_ok = false;
      a.last_write_error = std::strerror(err);
    }
  }
  SendOutputOf(&a.held, &Session::aof_held);
}

// ---- rewriting ---------------------------------------------------------------------------------

Result<std::string> Server::BgRewriteAof() {
  if (!aof_) aof_ = std::make_unique<AofState>(this, io_);
  if (aof_->rewrite) return Status::Error(std::string(protocol::kErrAofRewriteInProgress));
  if (bgsave_ || ReplSnapshotRunning()) {
    aof_->scheduled = true;
    return std::string("Background append only file rewriting scheduled");
  }
  Status s = StartAofRewrite();
  if (!s.ok())
    return Status::Error(
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
        "information.");
  return std::string("Background append only file rewriting started");
}

Status Server::StartAofRewrite() {
  AofState& a = *aof_;
  a.scheduled = false;
  a.last_rewrite_try_ms = UnixTimeMs();
  const std::string dir = config_.AofDir();
  Status s = EnsureDir(dir);
  if (!s.ok()) {
    LogWarning("{}", s.message());
    return s;
  }
  if (a.status == AofStatus::kOff) {
    // As Redis with appendonly no: the rewrite makes a base file listed in the manifest (numbered
    // after an AOF left in the directory, whose incremental files become history).
    a.manifest = ManifestOnDisk(dir, config_.appendfilename);
  }
  // Writes up to now belong to the files the rewrite replaces: on disk first.
  if (a.status == AofStatus::kOn) AofFlush(true);
  if (a.status == AofStatus::kOn) {
    const int64_t seq = a.manifest.curr_incr_seq + 1;
    const std::string name = persist::AofIncrFileName(config_.appendfilename, seq);
    persist::AofFile fresh;
    s = fresh.Open(dir + "/" + name, true);
    if (!s.ok()) {
      LogWarning("{}", s.message());
      return s;
    }
    persist::AofManifest next = a.manifest;
    next.incrs.push_back(persist::AofFileInfo{name, seq, persist::AofFileType::kIncr});
    next.curr_incr_seq = seq;
    s = persist::WriteFileDurably(dir, persist::AofManifestFileName(config_.appendfilename),
                                  next.Format());
    if (!s.ok()) {
      LogWarning("Can't persist the AOF manifest: {}", s.message());
      fresh.Close();
      ::unlink((dir + "/" + name).c_str());
      return s;
    }
    LogNotice("Creating AOF incr file {} on background rewrite", name);
    a.manifest = std::move(next);
    a.fixed_size += a.file.size();
    a.file.Close();
    a.file_name = name;
    s = a.file.Open(dir + "/" + name, false);
    if (!s.ok()) return s;
  } else if (a.status == AofStatus::kWaitRewrite) {
    // Everything written so far is in the snapshot about to start.
    a.buf.clear();
    a.file_name = persist::AofTempIncrFileName(config_.appendfilename);
    s = a.file.Open(dir + "/" + a.file_name, true);
    if (!s.ok()) {
      LogWarning("{}", s.message());
      return s;
    }
  }
  a.selected_db = -1;
  persist::SnapshotOptions options;
  options.compression = config_.rdbcompression;
  options.checksum = config_.rdbchecksum;
  options.redis_version = std::string(persist::rdb::kFormatRedisVersion);
  options.file.incremental_fsync = config_.aof_rewrite_incremental_fsync;
  options.aof_base = true;
  options.commands = !config_.aof_use_rdb_preamble;
  options.timestamp = config_.aof_timestamp_enabled;
  a.new_base_seq = a.manifest.curr_base_seq + 1;
  a.new_base_name = persist::AofBaseFileName(config_.appendfilename, a.new_base_seq,
                                             config_.aof_use_rdb_preamble);
  Result<std::unique_ptr<persist::Snapshot>> snap =
      persist::Snapshot::Start(dir + "/" + a.new_base_name, keyspace_, options);
  if (!snap.ok()) {
    LogWarning("Can't rewrite append only file in background: {}", snap.status().message());
    a.last_rewrite_ok = false;
    ++a.consecutive_failures;
    return snap.status();
  }
  a.rewrite = std::move(*snap);
  a.rewrite_start_ms = UnixTimeMs();
  LogNotice("Background append only file rewriting started (fork-less snapshot of {} keys)",
            a.rewrite->progress().keys_total);
  ScheduleAofRewriteStep();
  return Status::Ok();
}

void Server::ScheduleAofRewriteStep() {
  AofState& a = *aof_;
  if (!a.rewrite || a.step_pending || shutting_down_) return;
  a.step_pending = true;
  auto run = [this] {
    if (!aof_) return;
    aof_->step_pending = false;
    if (!aof_->rewrite || shutting_down_) return;
    if (aof_->rewrite->Step(kSnapshotSliceUs) == persist::Snapshot::State::kDone) {
      FinishAofRewrite();
      return;
    }
    ScheduleAofRewriteStep();
  };
  ScheduleSnapshotSlice(*a.rewrite, a.rewrite_timer, std::move(run), [this] {
    if (aof_) aof_->step_pending = false;
  });
}

void Server::FinishAofRewrite() {
  AofState& a = *aof_;
  const Status st = a.rewrite->status();
  const persist::SnapshotProgress p = a.rewrite->progress();
  a.rewrite.reset();
  const int64_t now_ms = UnixTimeMs();
  a.last_rewrite_time_s = (now_ms - a.rewrite_start_ms) / 1000;
  a.last_cow_size = p.buffer_peak;
  const std::string dir = config_.AofDir();
  Status s = st;
  if (s.ok()) {
    LogNotice("Background AOF rewrite terminated with success");
    persist::AofManifest next = a.manifest;
    if (next.base) {
      next.base->type = persist::AofFileType::kHistory;
      next.history.push_back(*next.base);
    }
    next.base = persist::AofFileInfo{a.new_base_name, a.new_base_seq, persist::AofFileType::kBase};
    next.curr_base_seq = a.new_base_seq;
    std::string temp_incr_to_rename;
    std::string new_incr_name;
    if (a.status == AofStatus::kWaitRewrite) {
      // The temporary incremental file becomes the AOF's only one.
      for (persist::AofFileInfo& f : next.incrs) {
        f.type = persist::AofFileType::kHistory;
        next.history.push_back(f);
      }
      next.incrs.clear();
      const int64_t seq = next.curr_incr_seq + 1;
      new_incr_name = persist::AofIncrFileName(config_.appendfilename, seq);
      next.incrs.push_back(persist::AofFileInfo{new_incr_name, seq, persist::AofFileType::kIncr});
      next.curr_incr_seq = seq;
      if (::rename((dir + "/" + a.file_name).c_str(), (dir + "/" + new_incr_name).c_str()) != 0) {
        s = Status::Error(
            fmt::format("Error trying to rename the temporary AOF incr file {} into {}: {}",
                        a.file_name, new_incr_name, std::strerror(errno)));
      }
    } else {
      // Every incremental file but the one opened when the rewrite started (none while the AOF
      // is off) is in the base now.
      const size_t keep = a.status == AofStatus::kOn ? 1 : 0;
      while (next.incrs.size() > keep) {
        persist::AofFileInfo f = next.incrs.front();
        f.type = persist::AofFileType::kHistory;
        next.history.push_back(f);
        next.incrs.erase(next.incrs.begin());
      }
    }
    // As Redis: the manifest first lists the replaced files as history (type h), then they are
    // deleted, then the manifest is written without them. A crash in between leaves history
    // entries, which the next start deletes; never a manifest naming files that are gone.
    if (s.ok()) {
      s = persist::WriteFileDurably(dir, persist::AofManifestFileName(config_.appendfilename),
                                    next.Format());
    }
    if (s.ok()) {
      LogNotice("Successfully renamed the temporary AOF base file into {}", a.new_base_name);
      for (const persist::AofFileInfo& h : next.history) {
        LogNotice("Removing the history file {} in the background", h.name);
        ::unlink((dir + "/" + h.name).c_str());
      }
      next.history.clear();
      const Status again = persist::WriteFileDurably(
          dir, persist::AofManifestFileName(config_.appendfilename), next.Format());
      if (!again.ok()) LogWarning("Can't persist the AOF manifest: {}", again.message());
      a.manifest = std::move(next);
      if (a.status == AofStatus::kWaitRewrite) {
        a.file_name = new_incr_name;
        a.status = AofStatus::kOn;
        LogNotice("AOF rewrite finished: the append only file is on");
      }
      a.fixed_size = FileSize(dir + "/" + a.new_base_name);
      a.rewrite_base_size = a.fixed_size + a.file.size();
      a.last_rewrite_ok = true;
      a.consecutive_failures = 0;
      ++a.rewrites;
      LogNotice("Background AOF rewrite finished successfully");
      return;
    }
    ::unlink((dir + "/" + a.new_base_name).c_str());
  }
  LogWarning("Background AOF rewrite terminated with error: {}", s.message());
  a.last_rewrite_ok = false;
  ++a.consecutive_failures;
  ++a.rewrites;
  // An AOF being turned on has no complete file yet: try again later.
  if (a.status == AofStatus::kWaitRewrite) a.scheduled = true;
}

void Server::AbortAofRewrite() {
  if (!aof_ || !aof_->rewrite) return;
  LogWarning("Background AOF rewrite in progress: stopping it and removing its temporary file");
  aof_->rewrite_timer.cancel();
  aof_->rewrite->Abort();
  aof_->rewrite.reset();
}

// ---- turning it on and off ---------------------------------------------------------------------

Status Server::StartAppendOnly() {
  if (!aof_) aof_ = std::make_unique<AofState>(this, io_);
  AofState& a = *aof_;
  const std::string dir = config_.AofDir();
  Status s = EnsureDir(dir);
  if (!s.ok()) return s;
  // An AOF left in the directory goes on numbering from where it was; its files become
  // history when the rewrite succeeds.
  a.manifest = ManifestOnDisk(dir, config_.appendfilename);
  a.policy = PolicyOf(config_.appendfsync);
  a.status = AofStatus::kWaitRewrite;
  a.buf.clear();
  a.file_name = persist::AofTempIncrFileName(config_.appendfilename);
  s = a.file.Open(dir + "/" + a.file_name, true);
  if (!s.ok()) {
    a.status = AofStatus::kOff;
    return s;
  }
  if (!a.fsync_thread) a.fsync_thread = std::make_unique<persist::FsyncThread>();
  if (!a.sink_installed) {
    keyspace_.changes().AddSink(&a);
    a.sink_installed = true;
  }
  if (bgsave_ || ReplSnapshotRunning()) {
    a.scheduled = true;
    LogWarning(
        "AOF was enabled but there is already another background operation. An AOF background "
        "was scheduled to start when possible.");
    return Status::Ok();
  }
  s = StartAofRewrite();
  if (!s.ok()) {
    StopAppendOnly();
    return s;
  }
  return Status::Ok();
}

void Server::StopAppendOnly() {
  if (!aof_ || aof_->status == AofStatus::kOff) return;
  AofState& a = *aof_;
  const bool waiting = a.status == AofStatus::kWaitRewrite;
  if (!waiting) {
    AofFlush(true);
    LogNotice("Calling fsync() on the AOF file.");
  }
  AbortAofRewrite();
  if (a.fsync_thread) a.fsync_thread->Drain();
  a.file.Close();
  if (waiting) ::unlink((config_.AofDir() + "/" + a.file_name).c_str());
  a.buf.clear();
  a.scheduled = false;
  if (a.sink_installed) {
    keyspace_.changes().RemoveSink(&a);
    a.sink_installed = false;
  }
  a.status = AofStatus::kOff;
  SendOutputOf(&a.held, &Session::aof_held);
}

bool Server::AofBeforeShutdown(bool force) {
  if (!aof_ || aof_->status == AofStatus::kOff) {
    AbortAofRewrite();  // a BGREWRITEAOF with the AOF off
    return true;
  }
  if (aof_->status == AofStatus::kWaitRewrite) {
    if (!force) {
      LogWarning("Writing initial AOF, can't exit.");
      return false;
    }
    LogWarning("Writing initial AOF. Exit anyway.");
  }
  if (aof_->rewrite) {
    LogWarning("There is a child rewriting the AOF. Killing it!");
    AbortAofRewrite();
  }
  if (aof_->status == AofStatus::kOn) {
    // The AOF stays on: a shutdown refused later (a failed final save) leaves it working.
    LogNotice("Calling fsync() on the AOF file.");
    AofFlush(true);
  }
  return true;
}

// ---- cron, INFO, errors ------------------------------------------------------------------------

void Server::AofCron(int64_t now_ms) {
  if (!aof_) return;
  AofState& a = *aof_;
  if (a.status == AofStatus::kOff && !a.scheduled) return;
  a.policy = PolicyOf(config_.appendfsync);
  if (!a.rewrite && !bgsave_ && !ReplSnapshotRunning()) {
    if (a.scheduled && (a.status == AofStatus::kOn || a.consecutive_failures == 0 ||
                        now_ms - a.last_rewrite_try_ms > kRewriteRetryDelayMs)) {
      (void)StartAofRewrite();  // logged
    } else if (a.status == AofStatus::kOn && config_.auto_aof_rewrite_percentage > 0) {
      const uint64_t current = a.fixed_size + a.file.size();
      if (current > static_cast<uint64_t>(config_.auto_aof_rewrite_min_size) &&
          (a.last_rewrite_ok || now_ms - a.last_rewrite_try_ms > kRewriteRetryDelayMs)) {
        const uint64_t base = a.rewrite_base_size > 0 ? a.rewrite_base_size : 1;
        const int64_t growth = static_cast<int64_t>(current * 100 / base) - 100;
        if (growth >= config_.auto_aof_rewrite_percentage) {
          LogNotice("Starting automatic rewriting of AOF on {}% growth", growth);
          (void)StartAofRewrite();
        }
      }
    }
  }
  // everysec's fsync, and another try of a failed write.
  if (a.status != AofStatus::kOff) AofFlush(false);
}

std::vector<std::pair<std::string, std::string>> Server::AofInfoFields() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](std::string_view k, auto v) {
    out.emplace_back(std::string(k), fmt::format("{}", v));
  };
  const AofState* a = aof_.get();
  const bool enabled = a != nullptr && a->status != AofStatus::kOff;
  const bool rewriting = a != nullptr && a->rewrite != nullptr;
  add("aof_enabled", enabled ? 1 : 0);
  add("aof_rewrite_in_progress", rewriting ? 1 : 0);
  add("aof_rewrite_scheduled", a != nullptr && a->scheduled ? 1 : 0);
  add("aof_last_rewrite_time_sec", a != nullptr ? a->last_rewrite_time_s : -1);
  add("aof_current_rewrite_time_sec",
      rewriting ? (UnixTimeMs() - a->rewrite_start_ms) / 1000 : int64_t{-1});
  add("aof_last_bgrewrite_status", a == nullptr || a->last_rewrite_ok ? "ok" : "err");
  add("aof_rewrites", a != nullptr ? a->rewrites : 0);
  add("aof_rewrites_consecutive_failures", a != nullptr ? a->consecutive_failures : 0);
  add("aof_last_write_status", a == nullptr || a->last_write_ok ? "ok" : "err");
  add("aof_last_cow_size", a != nullptr ? a->last_cow_size : 0);
  add("module_fork_in_progress", 0);
  add("module_fork_last_cow_size", 0);
  if (enabled) {
    add("aof_current_size", a->fixed_size + a->file.size());
    add("aof_base_size", a->rewrite_base_size);
    add("aof_pending_rewrite", a->scheduled ? 1 : 0);
    add("aof_buffer_length", a->buf.size());
    add("aof_pending_bio_fsync", a->fsync_thread && a->fsync_thread->pending() ? 1 : 0);
    add("aof_delayed_fsync", a->delayed_fsync);
  }
  return out;
}

persist::SnapshotProgress Server::SnapshotProgressNow() const {
  if (bgsave_) return bgsave_->progress();
  if (aof_ && aof_->rewrite) return aof_->rewrite->progress();
  return {};
}

bool Server::AofRewriting() const { return aof_ && aof_->rewrite; }

size_t Server::AofBufferBytes() const { return aof_ ? aof_->buf.capacity() : 0; }

std::string Server::DiskErrorMessage() const {
  // As Redis 7.0's writeCommandsDeniedByDiskError (cheapest test first: this runs per write).
  if (!persistence_.last_save_ok && config_.stop_writes_on_bgsave_error && !config_.save.empty()) {
    return std::string(protocol::kErrMisconfRdb);
  }
  if (aof_ && aof_->status != AofStatus::kOff && !aof_->last_write_ok) {
    return std::string(protocol::kErrMisconfAof) + aof_->last_write_error;
  }
  return {};
}

}  // namespace mnemo::server

// persistence.cc: the server's RDB file: loading at start, SAVE, save points, saving at
// shutdown, DUMP/RESTORE payloads (layer: server). The format is persist/'s.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "mnemo/base/clock.h"
#include "mnemo/base/log.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/dump.h"
#include "mnemo/persist/rdb_file.h"
#include "mnemo/persist/rdb_format.h"
#include "mnemo/protocol/errors.h"
#include "mnemo/server/server.h"

namespace mnemo::server {

namespace {

// After a failed automatic save, the next try waits this long (Redis CONFIG_BGSAVE_RETRY_DELAY).
constexpr int64_t kSaveRetryDelaySeconds = 5;

}  // namespace

bool Server::LoadingProgress(uint64_t loaded_bytes) {
  loading_.loaded_bytes = loaded_bytes;
  if (loaded_bytes < loading_.next_events) return !shutting_down_;
  loading_.next_events = loaded_bytes + persist::kLoadProgressBytes;
  // Clients that connected meanwhile get their answers: INFO, PING... with `loading`, -LOADING
  // for the rest (Redis processEventsWhileBlocked). The cron waits for the load to end.
  dispatcher_.set_loading(true);
  const bool go_on = ProcessEventsWhileBusy();
  dispatcher_.set_loading(false);
  return go_on;
}

Status Server::LoadDataFromDisk() {
  loading_ = LoadingState{};
  loading_.active = true;
  loading_.start_s = UnixTimeMs() / 1000;
  loading_.start_us = MonotonicUs();
  loading_.next_events = persist::kLoadProgressBytes;
  struct Done {
    LoadingState* l;
    ~Done() { l->active = false; }
  } done{&loading_};
  if (config_.appendonly) {
    // As Redis: with the AOF on, the AOF is the dataset and the RDB file is not read.
    Status s = LoadAof();
    if (s.ok()) s = OpenAofOnStart();
    return s;
  }
  const std::string path = config_.RdbPath();
  const int64_t start = MonotonicUs();
  persist::LoadOptions options;
  options.verify_checksum = config_.rdbchecksum;
  options.now_ms = UnixTimeMs();
  options.progress = [this](uint64_t loaded, uint64_t total) {
    loading_.total_bytes = total;
    return LoadingProgress(loaded);
  };
  options.used_mem_seen = &loading_.rdb_used_mem;
  std::vector<std::string> function_codes;
  options.function_codes = &function_codes;
  bool found = false;
  Result<persist::LoadStats> r = persist::LoadRdbFile(path, keyspace_, options, &found);
  if (!found && r.ok()) return Status::Ok();
  if (!r.ok())
    return Status::Error(fmt::format("Error loading {}: {}", path, r.status().message()));
  for (const std::string& code : function_codes) {
    std::string error;
    if (!dispatcher_.scripting().LoadLibraryCode(code, true, &error)) {
      return Status::Error(
          fmt::format("Error loading {}: failed loading library: {}", path, error));
    }
  }
  const persist::LoadStats& st = *r;
  if (!st.redis_version.empty()) LogNotice("Loading RDB produced by version {}", st.redis_version);
  if (st.ctime >= 0) LogNotice("RDB age {} seconds", UnixTimeMs() / 1000 - st.ctime);
  if (st.used_mem >= 0) {
    LogNotice("RDB memory usage when created {:.2f} Mb",
              static_cast<double>(st.used_mem) / 1048576);
  }
  if (options.verify_checksum && !st.checksum_verified && st.version >= 5) {
    LogWarning("RDB file was saved with checksum disabled: no check performed.");
  }
  if (st.empty_keys_skipped > 0) {
    LogWarning("Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
               st.keys_loaded, st.keys_expired, st.empty_keys_skipped);
  } else {
    LogNotice("Done loading RDB, keys loaded: {}, keys expired: {}.", st.keys_loaded,
              st.keys_expired);
  }
  LogNotice("DB loaded from disk: {:.3f} seconds",
            static_cast<double>(MonotonicUs() - start) / 1e6);
  persistence_.last_load_keys_loaded = st.keys_loaded;
  persistence_.last_load_keys_expired = st.keys_expired;
  persistence_.dirty_at_last_save = keyspace_.changes().dirty();
  return Status::Ok();
}

Status Server::SaveRdb() {
  persist::SaveOptions options;
  options.compression = config_.rdbcompression;
  options.checksum = config_.rdbchecksum;
  options.redis_version = std::string(persist::rdb::kFormatRedisVersion);
  options.function_codes = dispatcher_.scripting().LibraryCodes();
  // No "mnemo-ver" AUX field: the file is byte for byte the size Redis writes for the same data
  // (the target of issue 12); the log says which server wrote it.
  const int64_t start = MonotonicUs();
  // As Redis 7.0's rdbSave: every attempt counts in rdb_saves, and a failure leaves
  // rdb_last_bgsave_status (and so -MISCONF) as it was; only background saves set it to err.
  ++persistence_.saves;
  Result<persist::SaveStats> r = persist::SaveRdbFile(config_.RdbPath(), keyspace_, options);
  if (!r.ok()) {
    LogWarning("{}", r.status().message());
    return r.status();
  }
  LogNotice("DB saved on disk");
  persistence_.last_save_ok = true;
  persistence_.lastsave_s = UnixTimeMs() / 1000;
  persistence_.last_save_duration_ms = (MonotonicUs() - start) / 1000;
  persistence_.dirty_at_last_save = keyspace_.changes().dirty();
  return Status::Ok();
}

Status Server::Save() {
  if (bgsave_) return Status::Error(std::string(protocol::kErrBgsaveInProgress));
  if (SaveRdb().ok()) return Status::Ok();
  return Status::Error(std::string(protocol::kErrSaveFailed));
}

Result<std::string> Server::BgSave(bool schedule, bool in_exec) {
  if (bgsave_) return Status::Error(std::string(protocol::kErrBgsaveInProgress));
  if (AofRewriting() || ReplSnapshotRunning()) {
    // As Redis 7.0 while its AOF child runs: only one snapshot walks the keyspace at a time.
    if (!schedule && !in_exec) return Status::Error(std::string(protocol::kErrBgsaveAnotherChild));
    persistence_.bgsave_scheduled = true;
    return std::string("Background saving scheduled");
  }
  if (in_exec) {
    // As Redis 7.0: a save inside a transaction waits for the cron.
    persistence_.bgsave_scheduled = true;
    return std::string("Background saving scheduled");
  }
  // As Redis, whose forked child is what fails to create the file: the save starts, and a
  // failure shows in rdb_last_bgsave_status, the log and -MISCONF (StartBgsave).
  (void)StartBgsave();
  return std::string("Background saving started");
}

Status Server::StartBgsave() {
  persist::SnapshotOptions options;
  options.compression = config_.rdbcompression;
  options.checksum = config_.rdbchecksum;
  options.redis_version = std::string(persist::rdb::kFormatRedisVersion);
  options.function_codes = dispatcher_.scripting().LibraryCodes();
  options.file.incremental_fsync = config_.rdb_save_incremental_fsync;
  const int64_t now_ms = UnixTimeMs();
  persistence_.last_save_try_s = now_ms / 1000;
  persistence_.bgsave_scheduled = false;
  Result<std::unique_ptr<persist::Snapshot>> snap =
      persist::Snapshot::Start(config_.RdbPath(), keyspace_, options);
  ++persistence_.saves;
  if (!snap.ok()) {
    // Redis logs these three lines (the middle one from its child) for a file it cannot create.
    LogNotice("Background saving started");
    LogWarning("{}", snap.status().message());
    LogWarning("Background saving error");
    persistence_.last_save_ok = false;
    persistence_.last_bgsave_time_s = 0;
    return snap.status();
  }
  bgsave_ = std::move(*snap);
  bgsave_start_ms_ = now_ms;
  dirty_at_bgsave_start_ = keyspace_.changes().dirty();
  LogNotice("Background saving started (fork-less snapshot of {} keys)",
            bgsave_->progress().keys_total);
  ScheduleBgsaveStep();
  return Status::Ok();
}

void Server::ScheduleBgsaveStep() {
  if (!bgsave_ || bgsave_step_pending_ || shutting_down_) return;
  bgsave_step_pending_ = true;
  ScheduleSnapshotSlice(
      *bgsave_, bgsave_timer_,
      [this] {
        bgsave_step_pending_ = false;
        BgsaveStep();
      },
      [this] { bgsave_step_pending_ = false; });
}

int64_t Server::SnapshotSliceDelayUs(const persist::Snapshot& s) {
  if (s.state() != persist::Snapshot::State::kWalking || s.throttled()) return kSnapshotWaitUs;
  const uint64_t commands = dispatcher_.total_commands();
  const bool clients_ran = commands != commands_at_last_slice_;
  commands_at_last_slice_ = commands;
  return clients_ran ? kSnapshotPauseUs : 0;
}

void Server::BgsaveStep() {
  if (!bgsave_ || shutting_down_) return;
  if (bgsave_->Step(kSnapshotSliceUs) == persist::Snapshot::State::kDone) {
    FinishBgsave();
    return;
  }
  ScheduleBgsaveStep();
}

void Server::FinishBgsave() {
  const persist::SnapshotProgress p = bgsave_->progress();
  const Status s = bgsave_->status();
  const int64_t now_ms = UnixTimeMs();
  persistence_.last_bgsave_time_s = (now_ms - bgsave_start_ms_) / 1000;
  persistence_.last_cow_size = p.buffer_peak;
  persistence_.last_cow_keys = p.cow_keys;
  if (s.ok()) {
    LogNotice("DB saved on disk");
    LogNotice(
        "Background saving terminated with success: {} keys, {} written before they changed, "
        "{:.1f} MB buffered at most",
        p.keys_written, p.cow_keys, static_cast<double>(p.buffer_peak) / 1048576);
    persistence_.last_save_ok = true;
    persistence_.lastsave_s = now_ms / 1000;
    persistence_.last_save_duration_ms = now_ms - bgsave_start_ms_;
    // Changes made during the save are not in the file (Redis: dirty - dirty_before_bgsave).
    persistence_.dirty_at_last_save = dirty_at_bgsave_start_;
  } else {
    LogWarning("Background saving error: {}", s.message());
    persistence_.last_save_ok = false;
  }
  bgsave_.reset();
}

void Server::AbortBgsave() {
  if (!bgsave_) return;
  LogWarning("Background saving in progress: stopping it and removing its temporary file");
  bgsave_timer_.cancel();
  bgsave_->Abort();
  bgsave_.reset();
}

void Server::CheckSavePoints(int64_t now_ms) {
  if (bgsave_ || AofRewriting() || ReplSnapshotRunning()) return;
  const int64_t now_s = now_ms / 1000;
  if (persistence_.bgsave_scheduled &&
      (persistence_.last_save_ok ||
       now_s - persistence_.last_save_try_s > kSaveRetryDelaySeconds)) {
    (void)StartBgsave();  // the outcome is logged and kept in persistence_
    return;
  }
  const uint64_t changes = keyspace_.changes().dirty() - persistence_.dirty_at_last_save;
  if (changes == 0) return;
  for (const auto& [seconds, min_changes] : config_.SavePoints()) {
    // As Redis serverCron: enough changes, enough time since the last save, and after a failed
    // attempt, enough time since that attempt.
    if (changes < static_cast<uint64_t>(min_changes) ||
        now_s - persistence_.lastsave_s <= seconds ||
        (!persistence_.last_save_ok &&
         now_s - persistence_.last_save_try_s <= kSaveRetryDelaySeconds)) {
      continue;
    }
    LogNotice("{} changes in {} seconds. Saving...", min_changes, seconds);
    (void)StartBgsave();  // the outcome is logged and kept in persistence_
    return;
  }
}

Status Server::SaveBeforeShutdown() {
  if (bgsave_) {
    // As Redis kills its saving child: the synchronous save below replaces it.
    LogWarning("There is a background save in progress: stopping it before the final save");
    AbortBgsave();
  }
  LogNotice("Saving the final RDB snapshot before exiting.");
  return SaveRdb();
}

std::string Server::DumpPayload(const db::Object& o) {
  return persist::CreateDumpPayload(o, config_.rdbcompression);
}

Status Server::DecodePayload(int db, std::string_view key, std::string_view payload,
                             db::Object** out) {
  switch (persist::DecodeDumpPayload(payload, key, keyspace_, out, db)) {
    case persist::RestoreOutcome::kOk:
      return Status::Ok();
    case persist::RestoreOutcome::kBadVersionOrChecksum:
      return Status::Error(std::string(protocol::kErrDumpPayload));
    case persist::RestoreOutcome::kBadFormat:
      break;
  }
  return Status::Error(std::string(protocol::kErrBadDataFormat));
}

std::string Server::FunctionsPayload(std::span<const std::string> codes) {
  return persist::CreateFunctionsPayload(codes, config_.rdbcompression);
}

Status Server::DecodeFunctionsPayload(std::string_view payload, std::vector<std::string>* codes) {
  std::string error;
  switch (persist::DecodeFunctionsPayload(payload, keyspace_, codes, &error)) {
    case persist::RestoreOutcome::kOk:
      return Status::Ok();
    case persist::RestoreOutcome::kBadVersionOrChecksum:
      return Status::Error(std::string(protocol::kErrDumpPayload));
    default:
      return Status::Error("ERR " + error);
  }
}

}  // namespace mnemo::server

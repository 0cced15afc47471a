// persistence.cc: the server's RDB file: loading at start, SAVE, save points, saving at
// shutdown, DUMP/RESTORE payloads (layer: server). The format is persist/'s.
#include <algorithm>

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

Status Server::LoadDataFromDisk() {
  const std::string path = config_.RdbPath();
  const int64_t start = MonotonicUs();
  persist::LoadOptions options;
  options.verify_checksum = config_.rdbchecksum;
  options.now_ms = UnixTimeMs();
  bool found = false;
  Result<persist::LoadStats> r = persist::LoadRdbFile(path, keyspace_, options, &found);
  if (!found && r.ok()) return Status::Ok();
  if (!r.ok())
    return Status::Error(fmt::format("Error loading {}: {}", path, r.status().message()));
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
  // No "mnemo-ver" AUX field: the file is byte for byte the size Redis writes for the same data
  // (the target of issue 12); the log says which server wrote it.
  const int64_t start = MonotonicUs();
  Result<persist::SaveStats> r = persist::SaveRdbFile(config_.RdbPath(), keyspace_, options);
  if (!r.ok()) {
    LogWarning("{}", r.status().message());
    persistence_.last_save_ok = false;
    return r.status();
  }
  LogNotice("DB saved on disk");
  persistence_.last_save_ok = true;
  persistence_.lastsave_s = UnixTimeMs() / 1000;
  persistence_.last_save_duration_ms = (MonotonicUs() - start) / 1000;
  persistence_.dirty_at_last_save = keyspace_.changes().dirty();
  ++persistence_.saves;
  return Status::Ok();
}

Status Server::Save() {
  if (SaveRdb().ok()) return Status::Ok();
  return Status::Error(std::string(protocol::kErrSaveFailed));
}

void Server::CheckSavePoints(int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
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
    persistence_.last_save_try_s = now_s;
    // TEMPORARY: a synchronous save in the cron until the fork-less BGSAVE exists; it stalls
    // clients for the whole save. The save points must start a BGSAVE instead.
    (void)SaveRdb();  // the outcome is logged and kept in persistence_
    return;
  }
}

Status Server::SaveBeforeShutdown() {
  LogNotice("Saving the final RDB snapshot before exiting.");
  return SaveRdb();
}

std::string Server::DumpPayload(const db::Object& o) {
  return persist::CreateDumpPayload(o, config_.rdbcompression);
}

Status Server::DecodePayload(std::string_view key, std::string_view payload, db::Object** out) {
  switch (persist::DecodeDumpPayload(payload, key, keyspace_, out)) {
    case persist::RestoreOutcome::kOk:
      return Status::Ok();
    case persist::RestoreOutcome::kBadVersionOrChecksum:
      return Status::Error(std::string(protocol::kErrDumpPayload));
    case persist::RestoreOutcome::kBadFormat:
      break;
  }
  return Status::Error(std::string(protocol::kErrBadDataFormat));
}

}  // namespace mnemo::server

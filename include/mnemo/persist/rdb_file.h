// rdb_file.h: a whole keyspace to and from an RDB file (layer: persist).
//
// Saving is synchronous here (SAVE, SHUTDOWN, the save points for now); the writer underneath
// serializes one key at a time, so an incremental snapshot can drive it instead. The file is
// written atomically: into "temp-<pid>.rdb" in the target's directory, fsync'd, renamed over
// the target, and the directory fsync'd, so that a crash at any moment leaves either the old
// file or the new one, never a torn one.
//
// Loading reads any RDB version from 1 to 10, skipping keys whose expiry is already in the past
// (as a primary does) and empty collections (as Redis does). Keys are added with
// Db::AddQuietly: a load announces nothing to the keyspace-change seam.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/db/db.h"
#include "mnemo/persist/rdb_reader.h"
#include "mnemo/persist/rdb_writer.h"

namespace mnemo::persist {

struct SaveOptions {
  bool compression = true;    // rdbcompression
  bool checksum = true;       // rdbchecksum
  std::string redis_version;  // the "redis-ver" AUX field (the Redis version served)
  std::string mnemo_version;  // the "mnemo-ver" AUX field ("" to leave it out)
  // The function libraries' code, written before the databases (RDB_OPCODE_FUNCTION2).
  std::vector<std::string> function_codes;
};

struct SaveStats {
  uint64_t keys = 0;
  uint64_t bytes = 0;
};

// Writes header, AUX fields, every non-empty database and the EOF through `w`. Each key is
// written with its expiry and, under an LRU or LFU maxmemory-policy, its idle time or counter.
[[nodiscard]] Status WriteKeyspace(RdbWriter& w, db::Keyspace& ks, const SaveOptions& options,
                                   SaveStats* stats);
// The record of one key for `w` (its expiry and LRU/LFU data per the keyspace's policy).
KeyMeta MetaOf(const db::Object& o, const db::Keyspace& ks);

// Saves the keyspace to `path` atomically (see above). The error names the step that failed.
[[nodiscard]] Result<SaveStats> SaveRdbFile(const std::string& path, db::Keyspace& ks,
                                            const SaveOptions& options);

struct LoadOptions {
  bool verify_checksum = true;  // rdbchecksum: compare the trailing CRC-64 (unless it is 0)
  int64_t now_ms = 0;           // keys expiring before this are skipped
  // A replica loading its primary's data keeps expired keys: the primary deletes them (Redis
  // rdbLoad when the server is not a primary).
  bool keep_expired = false;
  // Receives the code of every function library in the file (RDB_OPCODE_FUNCTION2); null: a
  // file with libraries is refused.
  std::vector<std::string>* function_codes = nullptr;
  // Called about every kLoadProgressBytes of input, between keys, with the bytes read so far and
  // the input's size (Redis's loading_process_events_interval_bytes: the server answers its
  // clients meanwhile); returning false stops the load with an error.
  std::function<bool(uint64_t loaded, uint64_t total)> progress;
  // Set as soon as the "used-mem" AUX field is read (INFO's loading_rdb_used_mem while the
  // load goes on); null: not reported.
  int64_t* used_mem_seen = nullptr;
};

inline constexpr uint64_t kLoadProgressBytes = 2 * 1024 * 1024;

struct LoadStats {
  int version = 0;
  uint64_t keys_loaded = 0;
  uint64_t keys_expired = 0;        // skipped: already expired
  uint64_t empty_keys_skipped = 0;  // skipped: empty collections
  uint64_t bytes = 0;
  std::string redis_version;  // from the "redis-ver" AUX field, "" if absent
  int64_t ctime = -1;         // from "ctime"
  int64_t used_mem = -1;      // from "used-mem"
  int64_t repl_stream_db = -1;  // from "repl-stream-db" (a primary's synchronization)
  bool checksum_verified = false;
};

// Loads an RDB stream into `ks`. On error the keys loaded before it stay in `ks` (the caller
// decides; the server refuses to start). The error says what and at which byte offset.
[[nodiscard]] Result<LoadStats> LoadRdb(RdbInput& in, db::Keyspace& ks, const LoadOptions& options);
// Opens `path` and loads it. *found is false (and nothing happens) when the file does not exist.
[[nodiscard]] Result<LoadStats> LoadRdbFile(const std::string& path, db::Keyspace& ks,
                                            const LoadOptions& options, bool* found);

}  // namespace mnemo::persist

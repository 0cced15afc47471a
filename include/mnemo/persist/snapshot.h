// snapshot.h: the fork-less BGSAVE: a point-in-time RDB file of a keyspace written while the
// keyspace keeps changing (layer: persist).
//
// Redis forks and lets the kernel copy 4 KB pages on write; under writes its memory can double.
// Here the event loop serializes the keyspace itself, in bounded slices (Step), and a key about
// to change before the walk has reached it is serialized first, as it is (copy on write at the
// level of one key, through the KeyWriteGuard of the keyspace-change seam, changes.h). So every
// key in the file holds its value at the moment Start ran; keys created later are absent, and
// keys deleted later are present.
//
// Which keys are written is told by one bit in each object (Object::snapshot_mark): Start flips
// Changes::snapshot_epoch, which makes every existing key "not written"; writing a key sets its
// mark; objects that enter the keyspace afterwards are marked already (Db::MarkNew). The walk is
// a ds::Dict scan per database, which reaches every key present from its start to its end;
// marks keep a key from being written twice (Redis refuses duplicate keys on load).
//
// SWAPDB exchanges the walk's state of the two databases with their contents (and keys are
// written under the number their database had at Start); FLUSHDB/FLUSHALL first write every key
// of the database not written yet (an O(n) pause, as a synchronous flush is).
//
// Memory: besides the RdbWriter's 256 KB buffer, only the serialized bytes not yet written by
// the file's thread (BackgroundFile: the walk pauses above its soft limit, copy-on-write waits
// above its hard limit). A single key is serialized whole, so one huge key may pass the limit by
// its own size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/db/changes.h"
#include "mnemo/db/db.h"
#include "mnemo/persist/background_file.h"
#include "mnemo/persist/rdb_writer.h"

namespace mnemo::persist {

struct SnapshotOptions {
  bool compression = true;    // rdbcompression
  bool checksum = true;       // rdbchecksum
  std::string redis_version;  // the "redis-ver" AUX field
  // The function libraries' code, written before the databases (RDB_OPCODE_FUNCTION2).
  std::vector<std::string> function_codes;
  BackgroundFileOptions file;
  // The base file of an AOF rewrite (persist/aof.h): the AUX field aof-base is 1 (Redis's
  // RDB preamble), or, with `commands`, the file holds RESP commands instead of RDB, as Redis's
  // rewrite writes them: SET, RPUSH, SADD, ZADD, HMSET of at most 64 items each, PEXPIREAT,
  // SELECT when the database changes; a stream as RESTORE of its DUMP payload.
  bool aof_base = false;
  bool commands = false;
  // For a replica's synchronization: the AUX fields repl-stream-db, repl-id and repl-offset
  // (written when repl_id is not empty), as Redis's rdbSaveInfoAuxFields.
  int repl_stream_db = 0;
  std::string repl_id;
  int64_t repl_offset = 0;
  // With `commands` and aof-timestamp-enabled: a "#TS:" annotation first.
  bool timestamp = false;
};

// What INFO persistence shows of a snapshot in progress (and of the last one).
struct SnapshotProgress {
  uint64_t keys_total = 0;    // keys at Start (current_save_keys_total)
  uint64_t keys_written = 0;  // keys written so far (current_save_keys_processed)
  uint64_t cow_keys = 0;      // of which written because they were about to change
  uint64_t cow_bytes = 0;     // the bytes those took in the file
  uint64_t bytes = 0;         // serialized so far
  size_t buffer_bytes = 0;    // serialized, not yet on disk (the memory the snapshot holds)
  size_t buffer_peak = 0;
};

class Snapshot final : public db::KeyWriteGuard {
 public:
  enum class State {
    kWalking,     // Step serializes more
    kCommitting,  // every key is serialized; the file's thread finishes the file
    kDone,        // status() says how it went
  };

  // Starts a snapshot of `ks` into `path` (written as "temp-bg-<pid>.rdb" beside it, then
  // renamed). Installs itself as the keyspace's write guard.
  [[nodiscard]] static Result<std::unique_ptr<Snapshot>> Start(const std::string& path,
                                                               db::Keyspace& ks,
                                                               const SnapshotOptions& options);
  // Starts a snapshot of `ks` written to `out` (a replica's diskless synchronization).
  static std::unique_ptr<Snapshot> StartTo(std::unique_ptr<SnapshotOutput> out, db::Keyspace& ks,
                                           const SnapshotOptions& options);
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  // Aborts a snapshot not done.
  ~Snapshot() override;

  // One slice of work: serializes keys for about `budget_us` microseconds (at least one bucket
  // of the walk), unless the file's queue is over its soft limit. Returns the state after it.
  State Step(int64_t budget_us);
  // Stops now: removes the temporary file, marks every key not written (so that the next
  // snapshot starts clean: an O(n) walk setting one bit per key) and uninstalls the guard.
  void Abort();

  State state() const { return state_; }
  // The file's thread is behind (more than its soft limit queued): Step would do nothing now.
  bool throttled() const { return file_->over_soft_limit(); }
  // The outcome once kDone (an error also ends the walk early).
  const Status& status() const { return status_; }
  SnapshotProgress progress() const;

  // db::KeyWriteGuard
  void BeforeKeyWrite(db::Db& db, db::Object* o) override;
  void BeforeDbClear(db::Db& db) override;
  void BeforeDbSwap(db::Db& a, db::Db& b) override;

 private:
  // The walk's state of one database's contents.
  struct DbWalk {
    int origin = 0;       // the number of the database at Start (what SELECTDB says)
    uint64_t cursor = 0;  // ds::Dict scan cursor
    bool done = false;
    uint64_t keys_at_start = 0;
    uint64_t expires_at_start = 0;
  };

  Snapshot(db::Keyspace& ks, std::unique_ptr<SnapshotOutput> file, const SnapshotOptions& options);
  // Serializes `o`, a key of database `db_index`, and marks it written.
  void WriteOne(int db_index, db::Object* o);
  // The same as commands (SnapshotOptions::commands), under the database number `origin`.
  void WriteOneAsCommands(int origin, db::Object* o);
  // Ends the walk: EOF, then the file's thread finishes.
  void EndWalk();
  // An error: the file goes, the keys get marked, the guard goes.
  void Fail(Status s);
  void MarkAll();
  void Uninstall();

  db::Keyspace& ks_;
  std::unique_ptr<SnapshotOutput> file_;
  SnapshotOptions options_;
  RdbWriter writer_;
  std::vector<DbWalk> walks_;  // by database number (the contents now there)
  std::vector<bool> resized_;  // by origin: SELECTDB and RESIZEDB written once
  int selected_ = -1;          // the origin of the last SELECTDB written
  bool epoch_;
  bool installed_ = false;
  State state_ = State::kWalking;
  Status status_;
  SnapshotProgress progress_;
};

}  // namespace mnemo::persist

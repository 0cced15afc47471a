// background_file.h: a file written by a thread of its own from buffers the event loop hands it,
// then made durable and renamed into place (layer: persist).
//
// The fork-less BGSAVE serializes on the event loop and leaves the system calls here: write(2),
// the incremental fsyncs (rdb-save-incremental-fsync: one fdatasync per 4 MB, as Redis's
// REDIS_AUTOSYNC_BYTES, so that the kernel never holds a whole snapshot of dirty pages) and, at
// the end, fsync, close, rename over the target and fsync of the directory (a crash at any
// moment leaves the old file or the new one).
//
// Memory is bounded: the bytes queued and not yet written are counted (queued_bytes, counted in
// used_memory too, as every heap byte); Write blocks the caller while they are above the hard
// limit, and callers that can wait (the snapshot's walk) look at over_soft_limit() first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mnemo/base/status.h"
#include "mnemo/persist/rdb_writer.h"

namespace mnemo::persist {

struct BackgroundFileOptions {
  bool incremental_fsync = true;           // rdb-save-incremental-fsync
  uint64_t fsync_every = 4 * 1024 * 1024;  // bytes between two incremental fsyncs
  size_t soft_limit = 4 * 1024 * 1024;     // over_soft_limit() above this many queued bytes
  size_t hard_limit = 16 * 1024 * 1024;    // Write waits above this many queued bytes
};

// Where a snapshot's bytes go (persist/snapshot.h): a file on disk (BackgroundFile), or the
// sockets of replicas being synchronized without disk (server/replication.cc).
class SnapshotOutput : public RdbSink {
 public:
  // After the last Write: finish (the file goes into place; a stream is complete).
  virtual void Commit() = 0;
  // Drops what is pending; nothing is kept.
  virtual void Abort() = 0;
  // Finished (after Commit, after Abort, or after an error).
  virtual bool done() const = 0;
  // Ok while no error was met; after done() following Commit, ok means the output is complete.
  virtual Status status() const = 0;
  // Bytes written by the snapshot and not yet delivered, and their peak.
  virtual size_t queued_bytes() const = 0;
  virtual size_t peak_queued_bytes() const = 0;
  // The consumer is behind: the snapshot's walk pauses.
  virtual bool over_soft_limit() const = 0;
};

class BackgroundFile final : public SnapshotOutput {
 public:
  // Creates `tmp_path` (truncating it) and starts the thread. `final_path` is where Commit puts
  // it. The error names the file and the system's reason.
  [[nodiscard]] static Result<std::unique_ptr<BackgroundFile>> Create(
      std::string tmp_path, std::string final_path, const BackgroundFileOptions& options);
  BackgroundFile(const BackgroundFile&) = delete;
  BackgroundFile& operator=(const BackgroundFile&) = delete;
  // Stops the thread; a file not committed is removed.
  ~BackgroundFile() override;

  // Queues a copy of the bytes. Waits while more than hard_limit bytes are queued. Returns the
  // thread's error once it has one (later bytes are dropped).
  Status Write(const uint8_t* data, size_t len) override;
  // After the last Write: the thread writes what is queued, fsyncs, closes, renames the file
  // over the target and fsyncs the directory, then is done().
  void Commit() override;
  // Drops what is queued, stops the thread, removes the temporary file. Waits for the thread.
  void Abort() override;

  // The thread has finished (after Commit, after Abort, or after an error).
  bool done() const override { return done_.load(std::memory_order_acquire); }
  // The outcome: ok while no error was met; after done() following Commit, ok means the file
  // is in place.
  Status status() const override;

  size_t queued_bytes() const override { return queued_.load(std::memory_order_relaxed); }
  size_t peak_queued_bytes() const override { return peak_.load(std::memory_order_relaxed); }
  bool over_soft_limit() const override { return queued_bytes() > options_.soft_limit; }
  // Bytes the thread has written to the file so far.
  uint64_t written_bytes() const { return written_.load(std::memory_order_relaxed); }

 private:
  BackgroundFile(int fd, std::string tmp_path, std::string final_path,
                 const BackgroundFileOptions& options);
  void Run();
  // Writes one buffer whole (retrying partial writes and EINTR); fsyncs when due.
  Status WriteOut(const std::string& buf);
  Status Finish();
  void Fail(Status s);

  int fd_;
  std::string tmp_path_;
  std::string final_path_;
  BackgroundFileOptions options_;
  uint64_t since_fsync_ = 0;  // thread only

  mutable std::mutex mu_;
  std::condition_variable has_work_;  // the thread waits for buffers or a command
  std::condition_variable has_room_;  // Write waits for the queue to shrink
  std::deque<std::string> queue_;
  bool commit_ = false;
  bool abort_ = false;
  bool committed_ = false;  // the rename happened
  Status error_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> done_{false};
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> peak_{0};
  std::atomic<uint64_t> written_{0};
  std::thread thread_;
};

}  // namespace mnemo::persist

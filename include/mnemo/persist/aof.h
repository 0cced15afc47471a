// aof.h: the append-only file, Redis 7 multi-part: the manifest, file names, the command stream
// (writing and parsing) and the files' appender with its background fsync (layer: persist).
//
// An AOF is a directory (appenddirname) holding:
//   <appendfilename>.<seq>.base.rdb   the dataset at the last rewrite, as an RDB file
//                                     (aof-use-rdb-preamble yes), or
//   <appendfilename>.<seq>.base.aof   the same as commands (aof-use-rdb-preamble no);
//   <appendfilename>.<seq>.incr.aof   the writes since, as RESP commands (one file per rewrite);
//   <appendfilename>.manifest         which of them make up the AOF, in Redis 7.0's format:
//       file appendonly.aof.1.base.rdb seq 1 type b
//       file appendonly.aof.1.incr.aof seq 1 type i
//     (type b: base, i: incremental, h: history, to be deleted). A name that needs quoting is
//     written as Redis's sdscatrepr writes it.
// Loading reads the base, then the incremental files in order. Nothing here knows the server:
// commands read back are handed to a callback.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mnemo/base/status.h"
#include "mnemo/persist/files.h"

namespace mnemo::persist {

// ---- the manifest ----------------------------------------------------------------------------

enum class AofFileType : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };

struct AofFileInfo {
  std::string name;
  int64_t seq = 0;
  AofFileType type = AofFileType::kIncr;
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> incrs;    // in sequence order
  std::vector<AofFileInfo> history;  // files to delete
  int64_t curr_base_seq = 0;
  int64_t curr_incr_seq = 0;

  // The manifest's text: base, history, then incremental files, one line each.
  std::string Format() const;
};

// The longest manifest line Redis reads (AOF_MANIFEST_MAX_LINE).
inline constexpr size_t kAofManifestMaxLine = 1024;

// Parses a manifest's text as Redis 7.0's aofLoadManifestFromFile does; the error is Redis's
// text ("Invalid AOF manifest file format", "Found duplicate base file information", ...).
[[nodiscard]] Result<AofManifest> ParseAofManifest(std::string_view text);

// File names (Redis getNewBaseFileNameAndMarkPreAsHistory, getNewIncrAofName, ...).
std::string AofBaseFileName(std::string_view appendfilename, int64_t seq, bool rdb);
std::string AofIncrFileName(std::string_view appendfilename, int64_t seq);
std::string AofManifestFileName(std::string_view appendfilename);
// Where writes go while the first rewrite of an AOF being turned on runs ("temp-<name>.incr").
std::string AofTempIncrFileName(std::string_view appendfilename);

// Writes `content` to dir/temp-<name>, fsyncs it, renames it to dir/<name> and fsyncs dir.
[[nodiscard]] Status WriteFileDurably(const std::string& dir, const std::string& name,
                                      std::string_view content);

// ---- the command stream ----------------------------------------------------------------------

// Appends argv as a RESP multibulk ("*<argc>\r\n$<len>\r\n<arg>\r\n..."), as Redis's
// catAppendOnlyGenericCommand.
void AppendAofCommand(std::string* out, std::span<const std::string> argv);
void AppendAofCommand(std::string* out, std::span<const std::string_view> argv);
// "#TS:<unix seconds>\r\n" (aof-timestamp-enabled).
void AppendAofTimestamp(std::string* out, int64_t unix_s);

enum class AofParseStatus : uint8_t {
  kCommand,     // *argv holds one command; *consumed bytes were used
  kAnnotation,  // a "#..." line was skipped (*consumed bytes)
  kIncomplete,  // more bytes are needed (the stream ended mid-command: a truncated file)
  kError,       // not an AOF: *error says why (Redis's wording)
};

// Parses one item at the start of `data`. Bounds: an argument count up to INT32_MAX and argument
// lengths up to `max_bulk_len`; argv grows with the bytes actually present, never with a count
// read from the input.
AofParseStatus ParseAofItem(std::string_view data, std::vector<std::string>* argv, size_t* consumed,
                            std::string* error, int64_t max_bulk_len = 512LL * 1024 * 1024);

// What reading one command file found.
struct AofReadResult {
  uint64_t commands = 0;
  uint64_t valid_up_to = 0;         // the offset after the last whole command (or annotation)
  uint64_t valid_before_multi = 0;  // the offset before the MULTI still open, if any
  bool truncated = false;           // the file ends mid-command
  bool open_multi = false;          // the file ends inside MULTI ... (no EXEC)
  uint64_t size = 0;
};

// Reads the command file `path` (in bounded chunks) and hands every command to `fn`; stops at
// the first error `fn` returns or the first format error ("Bad file format reading the append
// only file ..."). A file that ends mid-command or inside MULTI is not an error: the result
// says so and the caller applies aof-load-truncated. `skip` bytes at the start are not read (an
// RDB preamble already loaded).
[[nodiscard]] Result<AofReadResult> ReadAofCommands(
    const std::string& path, const std::function<Status(std::vector<std::string>&)>& fn,
    uint64_t skip = 0);

// True iff the file starts with "REDIS" (an RDB base or preamble).
bool AofFileIsRdb(const std::string& path);

// ---- the appender ----------------------------------------------------------------------------

// fdatasync on a thread of its own (Redis's bio AOF fsync job), for appendfsync everysec. The
// descriptor is dup()ed, so the file may be closed while a sync is pending.
class FsyncThread {
 public:
  FsyncThread();
  FsyncThread(const FsyncThread&) = delete;
  FsyncThread& operator=(const FsyncThread&) = delete;
  ~FsyncThread();

  // Queues an fdatasync of `fd` unless one is pending. Returns false if one was pending.
  bool Request(int fd);
  bool pending() const { return pending_.load(std::memory_order_acquire); }
  // The errno of the last failed sync (0: none), cleared when read.
  int TakeError() { return error_.exchange(0); }
  // Waits until no sync is pending.
  void Drain();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;  // the dup to sync, -1: none
  bool stop_ = false;
  std::atomic<bool> pending_{false};
  std::atomic<int> error_{0};
  std::thread thread_;
};

// One open command file: O_WRONLY|O_APPEND, with its size.
class AofFile {
 public:
  AofFile() = default;
  AofFile(const AofFile&) = delete;
  AofFile& operator=(const AofFile&) = delete;
  ~AofFile() { Close(); }

  // Opens (creating, or truncating with `truncate`) `path` for appending.
  [[nodiscard]] Status Open(const std::string& path, bool truncate);
  void Close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Writes all of `data` (retrying EINTR and short writes). On error the file is truncated back
  // to where it was (as Redis does after a short write), and the error says why.
  [[nodiscard]] Status Write(std::string_view data);
  [[nodiscard]] Status Fdatasync();
  uint64_t size() const { return size_; }
  // Bytes written since the last Fdatasync (or since a background sync was requested).
  uint64_t unsynced() const { return unsynced_; }
  void clear_unsynced() { unsynced_ = 0; }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t unsynced_ = 0;
};

}  // namespace mnemo::persist

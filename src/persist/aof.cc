// aof.cc: the AOF's manifest, command stream and appender (layer: persist). See aof.h.
#include "mnemo/persist/aof.h"

#include "mnemo/base/strings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "mnemo/base/numbers.h"

namespace mnemo::persist {

namespace {

// Redis's sdsneedsrepr: a name with spaces, quotes, backslashes or unprintable bytes is quoted.
bool NeedsRepr(std::string_view s) {
  for (unsigned char c : s) {
    // A single quote too: unquoted, sdssplitargs would open a quoted word at it (Redis's
    // sdsneedsrepr misses it, so Redis writes a manifest it cannot read back for such a name).
    if (c == '\\' || c == '"' || c == '\'' || c == '\n' || c == '\r' || c == '\t' || c == '\a' ||
        c == '\b' || !std::isprint(c) || std::isspace(c)) {
      return true;
    }
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kBlank = " \t\r\n";
  const size_t b = s.find_first_not_of(kBlank);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(kBlank);
  return s.substr(b, e - b + 1);
}

}  // namespace

// ---- manifest ----------------------------------------------------------------------------------

std::string AofManifest::Format() const {
  std::string out;
  auto line = [&out](const AofFileInfo& f) {
    const std::string name = NeedsRepr(f.name) ? QuoteRepr(f.name) : f.name;
    out += fmt::format("file {} seq {} type {}\n", name, f.seq, static_cast<char>(f.type));
  };
  if (base) line(*base);
  for (const AofFileInfo& f : history) line(f);
  for (const AofFileInfo& f : incrs) line(f);
  return out;
}

Result<AofManifest> ParseAofManifest(std::string_view text) {
  AofManifest m;
  int64_t max_seq = 0;
  size_t lines = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // Redis reads with fgets(buf, 1024+1): a line without its newline in that many bytes is too
    // long (comment lines are skipped before that check, but their rest is read as a new line).
    size_t nl = text.find('\n', pos);
    const size_t limit = kAofManifestMaxLine;
    std::string_view raw;
    bool has_newline;
    if (nl == std::string_view::npos || nl - pos >= limit) {
      const size_t len = std::min(limit, text.size() - pos);
      raw = text.substr(pos, len);
      has_newline = false;
      pos += len;
    } else {
      raw = text.substr(pos, nl - pos + 1);
      has_newline = true;
      pos = nl + 1;
    }
    ++lines;
    if (!raw.empty() && raw[0] == '#') continue;
    if (!has_newline) return Status::Error("The AOF manifest file contains too long line");
    const std::string_view line = Trim(raw);
    if (line.empty()) return Status::Error("Invalid AOF manifest file format");
    // Redis's sdssplitargs (base SplitArgs). 'argc < 6' is Redis's forward compatibility: more
    // key/value pairs are allowed.
    const std::optional<std::vector<std::string>> split = SplitArgs(line);
    if (!split || split->size() < 6 || split->size() % 2 != 0) {
      return Status::Error("Invalid AOF manifest file format");
    }
    const std::vector<std::string>& argv = *split;
    AofFileInfo info;
    bool have_name = false;
    char type = 0;
    for (size_t i = 0; i < argv.size(); i += 2) {
      const std::string& k = argv[i];
      const std::string& v = argv[i + 1];
      if (strcasecmp(k.c_str(), "file") == 0) {
        if (v.find('/') != std::string::npos) {
          return Status::Error("File can't be a path, just a filename");
        }
        info.name = v;
        have_name = true;
      } else if (strcasecmp(k.c_str(), "seq") == 0) {
        // atoll: leading digits, 0 when none.
        info.seq = std::strtoll(v.c_str(), nullptr, 10);
      } else if (strcasecmp(k.c_str(), "type") == 0) {
        type = v.empty() ? 0 : v[0];
      }
    }
    if (!have_name || info.name.empty() || info.seq == 0 || type == 0) {
      return Status::Error("Invalid AOF manifest file format");
    }
    if (type == 'b') {
      if (m.base) return Status::Error("Found duplicate base file information");
      info.type = AofFileType::kBase;
      m.curr_base_seq = info.seq;
      m.base = std::move(info);
    } else if (type == 'h') {
      info.type = AofFileType::kHistory;
      m.history.push_back(std::move(info));
    } else if (type == 'i') {
      if (info.seq <= max_seq) return Status::Error("Found a non-monotonic sequence number");
      info.type = AofFileType::kIncr;
      max_seq = info.seq;
      m.curr_incr_seq = info.seq;
      m.incrs.push_back(std::move(info));
    } else {
      return Status::Error("Unknown AOF file type");
    }
  }
  if (lines == 0) return Status::Error("Found an empty AOF manifest");
  return m;
}

std::string AofBaseFileName(std::string_view appendfilename, int64_t seq, bool rdb) {
  return fmt::format("{}.{}.base.{}", appendfilename, seq, rdb ? "rdb" : "aof");
}

std::string AofIncrFileName(std::string_view appendfilename, int64_t seq) {
  return fmt::format("{}.{}.incr.aof", appendfilename, seq);
}

std::string AofManifestFileName(std::string_view appendfilename) {
  return fmt::format("{}.manifest", appendfilename);
}

std::string AofTempIncrFileName(std::string_view appendfilename) {
  return fmt::format("temp-{}.incr", appendfilename);
}

Status WriteFileDurably(const std::string& dir, const std::string& name, std::string_view content) {
  const std::string tmp = fmt::format("{}/temp-{}", dir, name);
  const std::string path = fmt::format("{}/{}", dir, name);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(fmt::format("Can't open {}: {}", tmp, std::strerror(errno)));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Error(fmt::format("Can't write {}: {}", tmp, std::strerror(err)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::Error(fmt::format("Can't fsync {}: {}", tmp, std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::Error(fmt::format("Can't rename {} to {}: {}", tmp, path, std::strerror(err)));
  }
  return FsyncDir(dir);
}

// ---- command stream ----------------------------------------------------------------------------

namespace {

template <typename S>
void AppendCommandImpl(std::string* out, std::span<const S> argv) {
  *out += '*';
  *out += Int64ToString(static_cast<int64_t>(argv.size()));
  *out += "\r\n";
  for (const auto& a : argv) {
    *out += '$';
    *out += Int64ToString(static_cast<int64_t>(a.size()));
    *out += "\r\n";
    out->append(a.data(), a.size());
    *out += "\r\n";
  }
}

// Reads "<prefix><integer>\r\n" at data[pos]. kIncomplete when the line is not whole yet.
AofParseStatus ReadLengthLine(std::string_view data, size_t pos, char prefix, int64_t* value,
                              size_t* next, std::string* error) {
  if (pos >= data.size()) return AofParseStatus::kIncomplete;
  if (data[pos] != prefix) {
    *error = prefix == '*' ? "Bad file format reading the append only file"
                           : "Bad file format reading the append only file (expected '$')";
    return AofParseStatus::kError;
  }
  // A length line is short: anything longer than this without a newline is not an AOF.
  constexpr size_t kMaxLengthLine = 32;
  const size_t nl = data.find('\n', pos);
  if (nl == std::string_view::npos) {
    if (data.size() - pos > kMaxLengthLine) {
      *error = "Bad file format reading the append only file (length line too long)";
      return AofParseStatus::kError;
    }
    return AofParseStatus::kIncomplete;
  }
  if (nl - pos > kMaxLengthLine || nl < pos + 2 || data[nl - 1] != '\r') {
    *error = "Bad file format reading the append only file (bad length line)";
    return AofParseStatus::kError;
  }
  auto v = ParseInt64(data.substr(pos + 1, nl - 1 - (pos + 1)));
  if (!v) {
    *error = "Bad file format reading the append only file (length is not a number)";
    return AofParseStatus::kError;
  }
  *value = *v;
  *next = nl + 1;
  return AofParseStatus::kCommand;
}

}  // namespace

void AppendAofCommand(std::string* out, std::span<const std::string> argv) {
  AppendCommandImpl(out, argv);
}

void AppendAofCommand(std::string* out, std::span<const std::string_view> argv) {
  AppendCommandImpl(out, argv);
}

void AppendAofTimestamp(std::string* out, int64_t unix_s) {
  *out += "#TS:";
  *out += Int64ToString(unix_s);
  *out += "\r\n";
}

AofParseStatus ParseAofItem(std::string_view data, std::vector<std::string>* argv, size_t* consumed,
                            std::string* error, int64_t max_bulk_len) {
  argv->clear();
  if (data.empty()) return AofParseStatus::kIncomplete;
  if (data[0] == '#') {
    // An annotation (Redis skips the line whole).
    const size_t nl = data.find('\n');
    if (nl == std::string_view::npos) return AofParseStatus::kIncomplete;
    *consumed = nl + 1;
    return AofParseStatus::kAnnotation;
  }
  int64_t argc = 0;
  size_t pos = 0;
  AofParseStatus st = ReadLengthLine(data, 0, '*', &argc, &pos, error);
  if (st != AofParseStatus::kCommand) return st;
  if (argc < 1 || argc > INT32_MAX) {
    *error = "Bad file format reading the append only file (bad argument count)";
    return AofParseStatus::kError;
  }
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    st = ReadLengthLine(data, pos, '$', &len, &pos, error);
    if (st != AofParseStatus::kCommand) return st;
    if (len < 0 || len > max_bulk_len) {
      *error = "Bad file format reading the append only file (bad argument length)";
      return AofParseStatus::kError;
    }
    const uint64_t need = static_cast<uint64_t>(len) + 2;
    if (data.size() - pos < need) return AofParseStatus::kIncomplete;
    if (data[pos + static_cast<size_t>(len)] != '\r' ||
        data[pos + static_cast<size_t>(len) + 1] != '\n') {
      *error = "Bad file format reading the append only file (argument not followed by CRLF)";
      return AofParseStatus::kError;
    }
    argv->emplace_back(data.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(need);
  }
  *consumed = pos;
  return AofParseStatus::kCommand;
}

bool AofFileIsRdb(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char sig[5];
  const ssize_t n = ::read(fd, sig, sizeof(sig));
  ::close(fd);
  return n == 5 && std::memcmp(sig, "REDIS", 5) == 0;
}

Result<AofReadResult> ReadAofCommands(const std::string& path,
                                      const std::function<Status(std::vector<std::string>&)>& fn,
                                      uint64_t skip) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error(
        fmt::format("Can't open the append-only file {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  ::fstat(fd, &st);
  AofReadResult r;
  r.size = static_cast<uint64_t>(st.st_size);
  r.valid_up_to = skip;
  if (skip > 0 && ::lseek(fd, static_cast<off_t>(skip), SEEK_SET) < 0) {
    ::close(fd);
    return Status::Error(fmt::format("Can't seek in {}: {}", path, std::strerror(errno)));
  }
  // The buffer holds at most one incomplete command beyond a chunk: it grows only as far as the
  // bytes actually read.
  constexpr size_t kChunk = 64 * 1024;
  std::string buf;
  size_t start = 0;        // first unparsed byte of buf
  uint64_t offset = skip;  // file offset of buf[start]
  bool eof = false;
  std::vector<std::string> argv;
  std::string error;
  Status failed;
  while (failed.ok()) {
    size_t consumed = 0;
    const AofParseStatus ps =
        ParseAofItem(std::string_view(buf).substr(start), &argv, &consumed, &error);
    if (ps == AofParseStatus::kIncomplete) {
      if (eof) {
        r.truncated = start < buf.size();
        break;
      }
      buf.erase(0, start);
      start = 0;
      const size_t old = buf.size();
      buf.resize(old + kChunk);
      ssize_t n;
      do {
        n = ::read(fd, buf.data() + old, kChunk);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        failed = Status::Error(fmt::format(
            "Unrecoverable error reading the append only file {}: {}", path, std::strerror(errno)));
        break;
      }
      buf.resize(old + static_cast<size_t>(n));
      if (n == 0) eof = true;
      continue;
    }
    if (ps == AofParseStatus::kError) {
      failed = Status::Error(fmt::format("{} {} at offset {}", error, path, offset));
      break;
    }
    start += consumed;
    offset += consumed;
    if (ps == AofParseStatus::kAnnotation) {
      if (!r.open_multi) r.valid_up_to = offset;
      continue;
    }
    const bool is_multi = strcasecmp(argv[0].c_str(), "multi") == 0;
    const bool is_exec = strcasecmp(argv[0].c_str(), "exec") == 0;
    if (is_multi) {
      r.valid_before_multi = offset - consumed;
      r.open_multi = true;
    }
    Status s = fn(argv);
    if (!s.ok()) {
      failed = std::move(s);
      break;
    }
    ++r.commands;
    if (is_exec) r.open_multi = false;
    r.valid_up_to = offset;
  }
  ::close(fd);
  if (!failed.ok()) return failed;
  return r;
}

// ---- appender ----------------------------------------------------------------------------------

FsyncThread::FsyncThread() : thread_([this] { Run(); }) {}

FsyncThread::~FsyncThread() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

bool FsyncThread::Request(int fd) {
  std::lock_guard lock(mu_);
  if (pending_.load(std::memory_order_relaxed)) return false;
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    error_.store(errno);
    return true;
  }
  fd_ = dup;
  pending_.store(true, std::memory_order_release);
  cv_.notify_all();
  return true;
}

void FsyncThread::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !pending_.load(std::memory_order_relaxed); });
}

void FsyncThread::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || fd_ >= 0; });
    if (fd_ >= 0) {
      const int fd = fd_;
      lock.unlock();
      const int rc = ::fdatasync(fd);
      const int err = rc == 0 ? 0 : errno;
      ::close(fd);
      lock.lock();
      if (err != 0) error_.store(err);
      fd_ = -1;
      pending_.store(false, std::memory_order_release);
      cv_.notify_all();
    }
    if (stop_) return;
  }
}

Status AofFile::Open(const std::string& path, bool truncate) {
  Close();
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  fd_ = ::open(path.c_str(), flags, 0644);
  if (fd_ < 0) {
    return Status::Error(
        fmt::format("Can't open the append-only file {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  ::fstat(fd_, &st);
  size_ = static_cast<uint64_t>(st.st_size);
  unsynced_ = 0;
  return Status::Ok();
}

void AofFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status AofFile::Write(std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      const size_t done = data.size() - left;
      // A partial write would leave half a command: cut it off (Redis ftruncate after a short
      // write), so that the next attempt appends at a command boundary.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        size_ += done;  // could not cut it: the file really has these bytes
        unsynced_ += done;
      }
      return Status::Error(std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  size_ += data.size();
  unsynced_ += data.size();
  return Status::Ok();
}

Status AofFile::Fdatasync() {
  if (::fdatasync(fd_) != 0) return Status::Error(std::strerror(errno));
  unsynced_ = 0;
  return Status::Ok();
}

}  // namespace mnemo::persist

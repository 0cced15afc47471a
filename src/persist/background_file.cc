// background_file.cc: the snapshot file's writer thread (layer: persist).
#include "mnemo/persist/background_file.h"
#include "mnemo/persist/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace mnemo::persist {

Result<std::unique_ptr<BackgroundFile>> BackgroundFile::Create(
    std::string tmp_path, std::string final_path, const BackgroundFileOptions& options) {
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Error(fmt::format("Failed opening the temp RDB file {} for saving: {}", tmp_path,
                                     std::strerror(errno)));
  }
  return std::unique_ptr<BackgroundFile>(
      new BackgroundFile(fd, std::move(tmp_path), std::move(final_path), options));
}

BackgroundFile::BackgroundFile(int fd, std::string tmp_path, std::string final_path,
                               const BackgroundFileOptions& options)
    : fd_(fd),
      tmp_path_(std::move(tmp_path)),
      final_path_(std::move(final_path)),
      options_(options) {
  thread_ = std::thread([this] { Run(); });
}

BackgroundFile::~BackgroundFile() {
  bool finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished = committed_;
  }
  if (!finished || !done()) Abort();
  if (thread_.joinable()) thread_.join();
}

Status BackgroundFile::Write(const uint8_t* data, size_t len) {
  std::unique_lock<std::mutex> lock(mu_);
  has_room_.wait(lock, [this] {
    return failed_.load(std::memory_order_relaxed) ||
           queued_.load(std::memory_order_relaxed) <= options_.hard_limit;
  });
  if (!error_.ok()) return error_;
  queue_.emplace_back(reinterpret_cast<const char*>(data), len);
  const size_t q = queued_.load(std::memory_order_relaxed) + len;
  queued_.store(q, std::memory_order_relaxed);
  if (q > peak_.load(std::memory_order_relaxed)) peak_.store(q, std::memory_order_relaxed);
  lock.unlock();
  has_work_.notify_one();
  return Status::Ok();
}

void BackgroundFile::Commit() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    commit_ = true;
  }
  has_work_.notify_one();
}

void BackgroundFile::Abort() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    abort_ = true;
    queue_.clear();
    queued_.store(0, std::memory_order_relaxed);
  }
  has_work_.notify_one();
  has_room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status BackgroundFile::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void BackgroundFile::Fail(Status s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = std::move(s);
  failed_.store(true, std::memory_order_relaxed);
  queue_.clear();
  queued_.store(0, std::memory_order_relaxed);
  has_room_.notify_all();
}

void BackgroundFile::Run() {
  for (;;) {
    std::string buf;
    bool finish = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      has_work_.wait(lock, [this] { return abort_ || commit_ || !queue_.empty(); });
      if (abort_) break;
      if (!queue_.empty()) {
        buf = std::move(queue_.front());
        queue_.pop_front();
      } else {
        finish = true;  // committed and everything written
      }
    }
    if (finish) {
      Status s = Finish();
      if (!s.ok()) {
        Fail(std::move(s));
        break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        committed_ = true;
      }
      done_.store(true, std::memory_order_release);
      return;
    }
    Status s = WriteOut(buf);
    const size_t len = buf.size();
    std::string().swap(buf);  // free before saying there is room
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued_.fetch_sub(std::min(len, queued_.load(std::memory_order_relaxed)),
                        std::memory_order_relaxed);
    }
    has_room_.notify_all();
    if (!s.ok()) {
      Fail(std::move(s));
      break;
    }
  }
  // Aborted or failed: the temporary file goes.
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  ::unlink(tmp_path_.c_str());
  done_.store(true, std::memory_order_release);
}

Status BackgroundFile::WriteOut(const std::string& buf) {
  const char* p = buf.data();
  size_t left = buf.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(fmt::format("Write error saving DB on disk: {}", std::strerror(errno)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  written_.fetch_add(buf.size(), std::memory_order_relaxed);
  since_fsync_ += buf.size();
  if (options_.incremental_fsync && since_fsync_ >= options_.fsync_every) {
    since_fsync_ = 0;
    if (::fdatasync(fd_) != 0) {
      return Status::Error(fmt::format("Write error saving DB on disk: {}", std::strerror(errno)));
    }
  }
  return Status::Ok();
}

Status BackgroundFile::Finish() {
  if (::fsync(fd_) != 0) {
    return Status::Error(fmt::format("Write error saving DB on disk: {}", std::strerror(errno)));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    return Status::Error(fmt::format("Write error saving DB on disk: {}", std::strerror(errno)));
  }
  if (::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
    return Status::Error(fmt::format("Error moving temp DB file {} on the final destination {}: {}",
                                     tmp_path_, final_path_, std::strerror(errno)));
  }
  const std::string dir = DirOf(final_path_);
  if (Status s = FsyncDir(dir); !s.ok()) {
    return Status::Error(fmt::format("Failed to fsync directory {}: {}", dir, s.message()));
  }
  return Status::Ok();
}

}  // namespace mnemo::persist

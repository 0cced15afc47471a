// raw_socket.cc: the raw TCP test client and the program runner (tests/support).
#include "raw_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace mnemo::test {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

namespace {

// Fills `out` with `ip`:`port` (IPv4 or IPv6); returns its length, or 0 if `ip` is no address.
socklen_t MakeAddress(const std::string& ip, int port, sockaddr_storage* out) {
  *out = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in6);
  }
  return 0;
}

}  // namespace

RawSocket::RawSocket(int port) : RawSocket("127.0.0.1", port, "") {}

RawSocket::RawSocket(const std::string& host, int port, const std::string& source) {
  ::signal(SIGPIPE, SIG_IGN);
  sockaddr_storage addr;
  const socklen_t len = MakeAddress(host, port, &addr);
  if (len == 0) return;
  const int fd = ::socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return;
  if (!source.empty()) {
    sockaddr_storage from;
    const socklen_t from_len = MakeAddress(source, 0, &from);
    if (from_len == 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), from_len) != 0) {
      ::close(fd);
      return;
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ::close(fd);
    return;
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = fd;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void RawSocket::SetReceiveBuffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

bool RawSocket::Drain() {
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    peer_closed_ = true;  // EOF or reset
    return false;
  }
}

bool RawSocket::SendAll(std::string_view data, bool read_while_sending, int timeout_ms) {
  if (fd_ < 0) return false;
  size_t off = 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (off < data.size()) {
    if (peer_closed_) return false;
    pollfd p{fd_, static_cast<short>(POLLOUT | (read_while_sending ? POLLIN : 0)), 0};
    const int r = ::poll(&p, 1, MillisLeft(deadline));
    if (r == 0) return false;  // nothing moved for timeout_ms
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if ((p.revents & POLLIN) != 0 && !Drain()) return false;
    if ((p.revents & (POLLERR | POLLHUP)) != 0) {
      if (read_while_sending) Drain();
      peer_closed_ = true;
      return false;
    }
    if ((p.revents & POLLOUT) == 0) continue;
    const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      bytes_sent_ += static_cast<size_t>(n);
      deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    peer_closed_ = true;  // EPIPE, ECONNRESET
    if (read_while_sending) Drain();
    return false;
  }
  return true;
}

bool RawSocket::SendByteByByte(std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (!SendAll(data.substr(i, 1))) return false;
    // Give the server a chance to read this byte on its own; correctness does not depend on
    // it, only how many reads the bytes are split into.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

std::vector<RespValue> RawSocket::ReadReplies(size_t n, int timeout_ms) {
  std::vector<RespValue> out;
  out.reserve(n);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out.size() < n) {
    // Parse what we have.
    while (out.size() < n) {
      RespValue v;
      const std::string_view rest = std::string_view(in_).substr(in_consumed_);
      const int64_t used = ParseResp(rest, &v);
      if (used <= 0) break;
      in_consumed_ += static_cast<size_t>(used);
      out.push_back(std::move(v));
    }
    if (in_consumed_ > (1u << 20)) {
      in_.erase(0, in_consumed_);
      in_consumed_ = 0;
    }
    if (out.size() == n || peer_closed_ || fd_ < 0) break;
    if (!WaitAndDrain(MillisLeft(deadline))) break;
  }
  return out;
}

bool RawSocket::WaitAndDrain(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int left = MillisLeft(deadline);
    if (left == 0) return false;
    const int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    Drain();
    return true;
  }
}

std::string RawSocket::ReadUntilClosed(int timeout_ms, bool* closed) {
  *closed = WaitClosed(timeout_ms);
  std::string rest = in_.substr(in_consumed_);
  in_.clear();
  in_consumed_ = 0;
  return rest;
}

bool RawSocket::WaitClosed(int timeout_ms) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!peer_closed_ && WaitAndDrain(MillisLeft(deadline))) {
  }
  return peer_closed_;
}

std::string RunProgram(const std::vector<std::string>& argv, int* exit_code,
                       const std::string& stdin_text, int timeout_ms) {
  char in_tmpl[] = "/tmp/mnemo-run-in-XXXXXX";
  char out_tmpl[] = "/tmp/mnemo-run-out-XXXXXX";
  const int in_fd = ::mkstemp(in_tmpl);
  const int out_fd = ::mkstemp(out_tmpl);
  (void)!::write(in_fd, stdin_text.data(), stdin_text.size());
  ::lseek(in_fd, 0, SEEK_SET);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    std::vector<char*> cargv;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    std::_Exit(127);
  }
  ::close(in_fd);
  int status = 0;
  bool exited = false;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  std::string out;
  ::lseek(out_fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(out_fd);
  ::unlink(in_tmpl);
  ::unlink(out_tmpl);
  if (exit_code != nullptr) {
    *exit_code = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return out;
}

}  // namespace mnemo::test

// systemd_test.cc: the Type=notify handshake of conf/mnemo.service, with a datagram socket
// standing in for systemd's notify socket (tests/integration).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "server_process.h"

namespace mnemo::test {
namespace {

// A unix datagram socket at a temporary path; NOTIFY_SOCKET points at it while it lives.
class FakeNotifySocket {
 public:
  FakeNotifySocket() {
    path_ = "/tmp/mnemo-notify-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~FakeNotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next notification message, or "" after `timeout_s` seconds.
  std::string Receive(int timeout_s = 10) {
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(SystemdTest, SupervisedSystemdNotifiesReadyAndStopping) {
  FakeNotifySocket notify;
  ServerProcess server({"--supervised", "systemd"});
  ASSERT_TRUE(server.Alive());
  const std::string ready = notify.Receive();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  // By the time READY=1 is sent the server answers.
  EXPECT_EQ(server.Command({"PING"}).ToString(), "PONG");
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_NE(notify.Receive().find("STOPPING=1"), std::string::npos);
}

TEST(SystemdTest, NotSupervisedSendsNothing) {
  FakeNotifySocket notify;
  ServerProcess server({"--supervised", "no"});
  ASSERT_TRUE(server.Alive());
  EXPECT_EQ(server.Command({"PING"}).ToString(), "PONG");
  // Shut down first, so that anything the server could have sent has been sent.
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(notify.Receive(1), "") << "an unsupervised server must not talk to systemd";
}

}  // namespace
}  // namespace mnemo::test

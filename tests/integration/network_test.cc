// network_test.cc: who may connect: protected mode over real sockets from a second loopback
// address (127.0.0.2), with the built-in defaults and with conf/mnemo.conf, the unix socket,
// and the start-up warning (tests/integration).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mnemo/protocol/errors.h"
#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

// What a refused client receives before the server closes the connection.
std::string Denied() { return "-" + std::string(protocol::kErrProtectedMode) + "\r\n"; }

// Connects to `host`:`port` from `source`, sends PING, and returns everything received until
// the server closes the connection or 2 s pass; *closed says which.
std::string PingFrom(const std::string& source, const std::string& host, int port, bool* closed) {
  RawSocket sock(host, port, source);
  EXPECT_TRUE(sock.ok()) << source << " -> " << host << ":" << port;
  if (!sock.ok()) return "";
  sock.SendAll("PING\r\n");
  std::string out = sock.ReadUntilClosed(2000, closed);
  return out;
}

// PING from `source` to `host`:`port` gets PONG and the connection stays open.
void ExpectServed(const std::string& source, const std::string& host, int port) {
  RawSocket sock(host, port, source);
  ASSERT_TRUE(sock.ok()) << source;
  ASSERT_TRUE(sock.SendAll("PING\r\n"));
  const std::vector<RespValue> replies = sock.ReadReplies(1, 5000);
  ASSERT_EQ(replies.size(), 1u) << source;
  EXPECT_EQ(replies[0].ToString(), "PONG") << source;
  EXPECT_FALSE(sock.WaitClosed(100)) << source;
}

// A client from `source` gets the DENIED text and is closed.
void ExpectDenied(const std::string& source, const std::string& host, int port) {
  bool closed = false;
  EXPECT_EQ(PingFrom(source, host, port, &closed), Denied()) << source;
  EXPECT_TRUE(closed) << source;
}

std::string SourceConf() { return std::string(MNEMO_SOURCE_DIR) + "/conf/mnemo.conf"; }

TEST(ProtectedModeTest, BuiltInDefaultsRefuseAnotherAddress) {
  // No config file and no bind: "bind * -::*", protected-mode yes, no password.
  ServerProcess s("", {}, ServerProcess::Bind::kAsConfigured);
  EXPECT_EQ(s.Command({"CONFIG", "GET", "bind"}).ToString(), "[bind, * -::*]");
  EXPECT_EQ(s.Command({"CONFIG", "GET", "protected-mode"}).ToString(), "[protected-mode, yes]");
  const int64_t received = s.InfoInt("total_connections_received");
  ExpectDenied("127.0.0.2", "127.0.0.1", s.port());
  ExpectDenied("127.0.0.2", "127.0.0.2", s.port());
  // Counted as rejected, not as received (as Redis).
  EXPECT_EQ(s.InfoInt("rejected_connections"), 2);
  EXPECT_EQ(s.InfoInt("total_connections_received"), received + 2);  // the two INFO calls
  // Exactly 127.0.0.1 and ::1 are local.
  ExpectServed("127.0.0.1", "127.0.0.1", s.port());
  ExpectServed("::1", "::1", s.port());
  // The start-up warning names the address that is not loopback.
  EXPECT_NE(s.Log().find("WARNING: listening on 0.0.0.0:" + std::to_string(s.port()) +
                         ", beyond the loopback interface, with no password"),
            std::string::npos)
      << s.Log();
}

TEST(ProtectedModeTest, ConfigSetProtectedModeNoLiftsIt) {
  ServerProcess s("", {}, ServerProcess::Bind::kAsConfigured);
  ExpectDenied("127.0.0.2", "127.0.0.1", s.port());
  EXPECT_EQ(s.Command({"CONFIG", "SET", "protected-mode", "no"}).ToString(), "OK");
  ExpectServed("127.0.0.2", "127.0.0.1", s.port());
  EXPECT_EQ(s.Command({"CONFIG", "SET", "protected-mode", "yes"}).ToString(), "OK");
  ExpectDenied("127.0.0.2", "127.0.0.1", s.port());
}

TEST(ProtectedModeTest, PasswordLiftsIt) {
  ServerProcess s("", {}, ServerProcess::Bind::kAsConfigured);
  ExpectDenied("127.0.0.2", "127.0.0.1", s.port());
  EXPECT_EQ(s.Command({"CONFIG", "SET", "requirepass", "s3cret"}).ToString(), "OK");
  // Accepted, and asked to authenticate like everyone else.
  RawSocket sock("127.0.0.1", s.port(), "127.0.0.2");
  ASSERT_TRUE(sock.ok());
  ASSERT_TRUE(sock.SendAll("PING\r\nAUTH s3cret\r\nPING\r\n"));
  const std::vector<RespValue> replies = sock.ReadReplies(3, 5000);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].ToString(), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(replies[1].ToString(), "OK");
  EXPECT_EQ(replies[2].ToString(), "PONG");
}

TEST(ProtectedModeTest, PasswordFromTheStartMeansNoWarning) {
  ServerProcess s("", {"--requirepass", "s3cret"}, ServerProcess::Bind::kAsConfigured);
  bool closed = false;
  EXPECT_EQ(PingFrom("127.0.0.2", "127.0.0.1", s.port(), &closed),
            "-NOAUTH Authentication required.\r\n");
  EXPECT_FALSE(closed);
  EXPECT_EQ(s.Log().find("beyond the loopback interface"), std::string::npos) << s.Log();
}

TEST(ProtectedModeTest, ProtectedModeOffWarnsLouder) {
  ServerProcess s("", {"--protected-mode", "no"}, ServerProcess::Bind::kAsConfigured);
  ExpectServed("127.0.0.2", "127.0.0.1", s.port());
  EXPECT_NE(s.Log().find("protected mode off: anyone who can reach this address"),
            std::string::npos)
      << s.Log();
}

TEST(ProtectedModeTest, ShippedConfigBindsLoopbackAndRefusesAnotherAddress) {
  // conf/mnemo.conf as shipped ("bind 127.0.0.1 -::1"), on a free port.
  ServerProcess s(SourceConf(), {}, ServerProcess::Bind::kAsConfigured);
  EXPECT_EQ(s.Command({"CONFIG", "GET", "bind"}).ToString(), "[bind, 127.0.0.1 -::1]");
  ExpectDenied("127.0.0.2", "127.0.0.1", s.port());
  ExpectServed("127.0.0.1", "127.0.0.1", s.port());
  ExpectServed("::1", "::1", s.port());
  // Nothing listens on 127.0.0.2.
  RawSocket other("127.0.0.2", s.port(), "127.0.0.2");
  EXPECT_FALSE(other.ok());
  // Only loopback addresses: no warning.
  EXPECT_EQ(s.Log().find("beyond the loopback interface"), std::string::npos) << s.Log();
  EXPECT_EQ(s.InfoInt("rejected_connections"), 1);
}

TEST(ProtectedModeTest, UnixSocketClientsAreLocal) {
  const std::string path = "/tmp/mnemo-pm-" + std::to_string(::getpid()) + ".sock";
  ServerProcess s("", {"--unixsocket", path}, ServerProcess::Bind::kAsConfigured);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::write(fd, "PING\r\n", 6), 6);
  char buf[64] = {};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "+PONG\r\n");
  EXPECT_EQ(s.InfoInt("rejected_connections"), 0);
}

TEST(ProtectedModeTest, SameTextAsRedis) {
  // redis-server 7.0.15 on its built-in defaults refuses the same client with the same words,
  // naming itself where Mnemo names Mnemo.
  ServerProcess redis("", {"--save", ""}, ServerProcess::Bind::kAsConfigured, "redis-server");
  ASSERT_TRUE(redis.Alive());
  bool closed = false;
  std::string from_redis = PingFrom("127.0.0.2", "127.0.0.1", redis.port(), &closed);
  EXPECT_TRUE(closed);
  for (size_t at = from_redis.find("Redis"); at != std::string::npos;
       at = from_redis.find("Redis", at)) {
    from_redis.replace(at, 5, "Mnemo");
  }
  EXPECT_EQ(from_redis, Denied());
  EXPECT_EQ(redis.InfoInt("rejected_connections"), 1);
}

}  // namespace
}  // namespace mnemo::test

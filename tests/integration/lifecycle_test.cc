// lifecycle_test.cc: the real mnemo-server's life: defaults, config files, command-line
// overrides, fatal config errors, --version, SIGTERM, SHUTDOWN, CONFIG SET port, CONFIG REWRITE
// and the unix socket (tests/integration).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mnemo/cmd/version.h"
#include "mnemo/server/config.h"
#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

std::string ServerBinary() {
  const char* env = std::getenv("MNEMO_SERVER");
  return env != nullptr ? env : "mnemo-server";
}

// A file under /tmp that is removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& text, const char* suffix = ".conf") {
    path_ = "/tmp/mnemo-itest-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
            suffix;
    std::ofstream(path_) << text;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// CONFIG GET of one parameter, as "value" (or the error display).
std::string ConfigGet(ServerProcess& s, const std::string& name) {
  RespValue v = s.Command({"CONFIG", "GET", name});
  if (v.IsError() || v.size() != 2) return v.ToString();
  return v[1].str;
}

// True iff a TCP connection to 127.0.0.1:port succeeds.
bool CanConnect(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  const bool ok = c != nullptr && c->err == 0;
  if (c != nullptr) redisFree(c);
  return ok;
}

TEST(LifecycleTest, DefaultsApplyWithoutConfigFile) {
  // Not truly without arguments: a test must not listen on 6379 or on every interface. The
  // launcher passes only --port, --bind and --dir; every other parameter must hold its default.
  ServerProcess s;
  ASSERT_TRUE(s.Alive());
  const server::ServerConfig defaults;
  int checked = 0;
  for (const server::ConfigParam& p : server::ConfigTable()) {
    if (p.name == "port" || p.name == "bind" || p.name == "dir") continue;
    EXPECT_EQ(ConfigGet(s, std::string(p.name)), p.get(defaults)) << p.name;
    ++checked;
  }
  EXPECT_GT(checked, 40);
  EXPECT_EQ(ConfigGet(s, "port"), std::to_string(s.port()));
  EXPECT_EQ(ConfigGet(s, "bind"), "127.0.0.1");
  EXPECT_EQ(ConfigGet(s, "dir"), s.dir());
  EXPECT_EQ(s.InfoField("tcp_port"), std::to_string(s.port()));
  EXPECT_EQ(s.InfoField("config_file"), "");
  EXPECT_EQ(s.InfoField("maxclients"), "10000");
  EXPECT_NE(s.Log().find("Ready to accept connections tcp"), std::string::npos) << s.Log();
}

TEST(LifecycleTest, ConfigFileIsRead) {
  TempFile conf(
      "# a comment line\n"
      "\n"
      "   maxmemory 10mb\n"
      "timeout 7\n"
      "hz 20\n"
      "maxmemory-policy allkeys-lru\n"
      "hash-max-ziplist-entries 100\n"
      "client-output-buffer-limit normal 1mb 512kb 10\n");
  ServerProcess s(conf.path(), {});
  ASSERT_TRUE(s.Alive());
  EXPECT_EQ(ConfigGet(s, "maxmemory"), "10485760");
  EXPECT_EQ(ConfigGet(s, "timeout"), "7");
  EXPECT_EQ(ConfigGet(s, "hz"), "20");
  EXPECT_EQ(ConfigGet(s, "maxmemory-policy"), "allkeys-lru");
  EXPECT_EQ(ConfigGet(s, "hash-max-listpack-entries"), "100");
  EXPECT_EQ(ConfigGet(s, "client-output-buffer-limit"),
            "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  char* abs = ::realpath(conf.path().c_str(), nullptr);
  ASSERT_NE(abs, nullptr);
  EXPECT_EQ(s.InfoField("config_file"), abs);
  std::free(abs);
  EXPECT_EQ(s.InfoField("hz"), "20");
}

TEST(LifecycleTest, CommandLineOverridesTheFile) {
  // The file asks for a port the launcher's --port overrides: the server must not listen there.
  const int file_port = FreePort();
  TempFile conf("port " + std::to_string(file_port) +
                "\ntimeout 7\nmaxmemory 10mb\nmaxmemory-policy allkeys-lru\n");
  ServerProcess s(conf.path(), {"--timeout", "9", "--maxmemory-policy", "volatile-lru"});
  ASSERT_TRUE(s.Alive());
  EXPECT_EQ(ConfigGet(s, "timeout"), "9");
  EXPECT_EQ(ConfigGet(s, "maxmemory-policy"), "volatile-lru");
  EXPECT_EQ(ConfigGet(s, "maxmemory"), "10485760");  // from the file, not overridden
  EXPECT_EQ(ConfigGet(s, "port"), std::to_string(s.port()));
  EXPECT_NE(s.port(), file_port);
  EXPECT_FALSE(CanConnect(file_port));
}

TEST(LifecycleTest, FatalConfigErrorsExitWithOne) {
  struct Case {
    std::string file;
    std::string line;    // the ">>> '...'" line
    std::string reason;  // the last line
    int line_no;
  };
  const Case cases[] = {
      {"port 7000\nbogus-directive 1\n", "bogus-directive 1",
       "Bad directive or wrong number of arguments", 2},
      {"maxmemory-policy sometimes\n", "maxmemory-policy sometimes",
       "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
       "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
       1},
      {"# c\ntimeout -1\n", "timeout -1", "argument must be between 0 and 2147483647 inclusive", 2},
      {"maxmemory lots\n", "maxmemory lots", "argument must be a memory value", 1},
      {"hz\n", "hz", "wrong number of arguments", 1},
      {"port 70000\n", "port 70000", "argument must be between 0 and 65535 inclusive", 1},
      {"bind \"127.0.0.1\n", "bind \"127.0.0.1", "Unbalanced quotes in configuration line", 1},
  };
  for (const Case& c : cases) {
    TempFile conf(c.file);
    int code = 0;
    const std::string out = RunProgram({ServerBinary(), conf.path()}, &code);
    EXPECT_EQ(code, 1) << out;
    EXPECT_EQ(out, "\n*** FATAL CONFIG FILE ERROR (Mnemo " + std::string(cmd::kMnemoVersion) +
                       ") ***\nReading the configuration file, at line " +
                       std::to_string(c.line_no) + "\n>>> '" + c.line + "'\n" + c.reason + "\n");
  }
  // A bad command-line option is a fatal config error too.
  int code = 0;
  std::string out = RunProgram(
      {ServerBinary(), "--port", std::to_string(FreePort()), "--maxclients", "0"}, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("*** FATAL CONFIG FILE ERROR"), std::string::npos) << out;
  EXPECT_NE(out.find(">>> 'maxclients \"0\"'"), std::string::npos) << out;
  EXPECT_NE(out.find("argument must be between 1 and"), std::string::npos) << out;
  // A file that cannot be opened.
  const std::string missing = "/tmp/mnemo-itest-no-such-file.conf";
  out = RunProgram({ServerBinary(), missing}, &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_EQ(out,
            "Fatal error, can't open config file '" + missing + "': No such file or directory\n");
}

TEST(LifecycleTest, VersionAndHelp) {
  for (const char* flag : {"--version", "-v"}) {
    int code = -1;
    const std::string out = RunProgram({ServerBinary(), flag}, &code);
    EXPECT_EQ(code, 0) << flag;
    EXPECT_EQ(out.rfind("Mnemo server v=" + std::string(cmd::kMnemoVersion) + " (Redis " +
                            std::string(cmd::kRedisVersion) + " compatible) malloc=" +
                            (kServerUsesJemalloc ? "jemalloc" : "libc"),
                        0),
              0u)
        << out;
    EXPECT_NE(out.find(" bits=64\n"), std::string::npos) << out;
  }
  int code = -1;
  const std::string out = RunProgram({ServerBinary(), "--help"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("Usage: ./mnemo-server [/path/to/mnemo.conf] [options]"), std::string::npos)
      << out;
}

TEST(LifecycleTest, SigtermExitsCleanly) {
  ServerProcess s;
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"SET", "k", "v"}).ToString(), "OK");
  EXPECT_EQ(s.Stop(), 0);
  const std::string log = s.Log();
  EXPECT_NE(log.find("Received SIGTERM scheduling shutdown..."), std::string::npos) << log;
  EXPECT_NE(log.find("ready to exit, bye bye..."), std::string::npos) << log;
  // The client's connection was closed by the exit.
  EXPECT_EQ(Exec(c.get(), {"PING"}).str.rfind("IO:", 0), 0u);
}

TEST(LifecycleTest, ShutdownNosaveClosesAndExits) {
  ServerProcess s;
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  // Errors first: the server must keep running after them.
  EXPECT_EQ(Exec(c.get(), {"SHUTDOWN", "SOMETIMES"}).ToString(), "(error) ERR syntax error");
  EXPECT_EQ(Exec(c.get(), {"SHUTDOWN", "SAVE", "NOSAVE"}).ToString(), "(error) ERR syntax error");
  EXPECT_EQ(Exec(c.get(), {"SHUTDOWN", "ABORT"}).ToString(),
            "(error) ERR No shutdown in progress.");
  EXPECT_EQ(Exec(c.get(), {"PING"}).ToString(), "PONG");
  RedisConnection other = s.Connect();
  ASSERT_TRUE(other);
  // As in Redis, a successful SHUTDOWN has no reply: the connection just closes.
  const RespValue r = Exec(c.get(), {"SHUTDOWN", "NOSAVE"});
  EXPECT_TRUE(r.IsError() && r.str.rfind("IO:", 0) == 0) << r.ToString();
  EXPECT_EQ(s.WaitExit(10000), 0);
  EXPECT_FALSE(s.Alive());
  EXPECT_NE(s.Log().find("ready to exit, bye bye..."), std::string::npos) << s.Log();
  EXPECT_EQ(Exec(other.get(), {"PING"}).str.rfind("IO:", 0), 0u);
  EXPECT_FALSE(CanConnect(s.port()));
}

TEST(LifecycleTest, ConfigSetPortMovesTheListener) {
  ServerProcess s;
  const int old_port = s.port();
  RedisConnection c = s.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Exec(c.get(), {"SET", "k", "v"}).ToString(), "OK");

  // A port someone else listens on: the error, and the old listener keeps working.
  const int busy_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(busy_fd, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(busy_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int busy_port = ntohs(addr.sin_port);
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "port", std::to_string(busy_port)}).ToString(),
            "(error) ERR CONFIG SET failed (possibly related to argument 'port') - Unable to "
            "listen on this port. Check server logs.");
  ::close(busy_fd);
  EXPECT_EQ(ConfigGet(s, "port"), std::to_string(old_port));
  EXPECT_TRUE(CanConnect(old_port));

  const int new_port = FreePort();
  EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "port", std::to_string(new_port)}).ToString(), "OK");
  // The connection that moved the listener stays open.
  EXPECT_EQ(Exec(c.get(), {"GET", "k"}).ToString(), "v");
  EXPECT_FALSE(CanConnect(old_port));
  s.set_port(new_port);
  EXPECT_EQ(s.Command({"GET", "k"}).ToString(), "v");
  EXPECT_EQ(s.InfoField("tcp_port"), std::to_string(new_port));
  EXPECT_EQ(ConfigGet(s, "port"), std::to_string(new_port));
}

// The keepalive timer of the server's end of the connection whose client side is bound to
// `client_port`, from /proc/net/tcp: seconds left (rounded up), or -1 if the socket has no
// keepalive timer, or -2 if the socket was not found.
int ServerKeepaliveSeconds(int server_port, int client_port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when ..."
    std::istringstream ss(line);
    std::string sl, local, remote, st, queues, timer;
    ss >> sl >> local >> remote >> st >> queues >> timer;
    const int lport = std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
    const int rport = std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16);
    if (lport != server_port || rport != client_port) continue;
    const int kind = std::stoi(timer.substr(0, timer.find(':')), nullptr, 16);
    if (kind != 2) return -1;  // 2: the keepalive timer
    const long ticks = std::stol(timer.substr(timer.find(':') + 1), nullptr, 16);
    return static_cast<int>((ticks + 99) / 100);  // clock ticks, USER_HZ = 100
  }
  return -2;
}

TEST(LifecycleTest, ConfigSetTcpKeepaliveAppliesToNewConnections) {
  ServerProcess s;
  auto local_port = [](const RawSocket& sock) {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    ::getsockname(sock.fd(), reinterpret_cast<sockaddr*>(&addr), &len);
    return static_cast<int>(ntohs(addr.sin_port));
  };
  auto ping = [](RawSocket& sock) {
    return sock.SendAll("PING\r\n") && sock.ReadReplies(1).size() == 1;
  };
  RawSocket by_default(s.port());
  ASSERT_TRUE(ping(by_default));
  const int default_left = ServerKeepaliveSeconds(s.port(), local_port(by_default));
  EXPECT_GT(default_left, 30);
  EXPECT_LE(default_left, 300);

  EXPECT_EQ(s.Command({"CONFIG", "SET", "tcp-keepalive", "20"}).ToString(), "OK");
  RawSocket short_keepalive(s.port());
  ASSERT_TRUE(ping(short_keepalive));
  const int short_left = ServerKeepaliveSeconds(s.port(), local_port(short_keepalive));
  EXPECT_GT(short_left, 0);
  EXPECT_LE(short_left, 20);

  EXPECT_EQ(s.Command({"CONFIG", "SET", "tcp-keepalive", "0"}).ToString(), "OK");
  RawSocket none(s.port());
  ASSERT_TRUE(ping(none));
  EXPECT_EQ(ServerKeepaliveSeconds(s.port(), local_port(none)), -1);
}

TEST(LifecycleTest, ConfigRewriteSurvivesRestart) {
  {
    ServerProcess no_file;
    EXPECT_EQ(no_file.Command({"CONFIG", "REWRITE"}).ToString(),
              "(error) ERR The server is running without a config file");
  }
  TempFile conf("# keep this comment\ntimeout 7\nmaxmemory 10mb\n");
  {
    ServerProcess s(conf.path(), {});
    ASSERT_TRUE(s.Alive());
    RedisConnection c = s.Connect();
    ASSERT_TRUE(c);
    EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory", "20mb"}).ToString(), "OK");
    EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "timeout", "33"}).ToString(), "OK");
    EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}).ToString(), "OK");
    EXPECT_EQ(Exec(c.get(), {"CONFIG", "REWRITE"}).ToString(), "OK");
    const std::string text = conf.Read();
    EXPECT_NE(text.find("# keep this comment\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nmaxmemory "), std::string::npos) << text;
    EXPECT_NE(text.find("\nmaxmemory-policy "), std::string::npos) << text;
    EXPECT_EQ(text.find("\ntimeout 7"), std::string::npos) << text;
    EXPECT_EQ(s.Stop(), 0);
  }
  ServerProcess again(conf.path(), {});
  ASSERT_TRUE(again.Alive());
  EXPECT_EQ(ConfigGet(again, "maxmemory"), "20971520");
  EXPECT_EQ(ConfigGet(again, "timeout"), "33");
  EXPECT_EQ(ConfigGet(again, "maxmemory-policy"), "allkeys-lfu");
}

TEST(LifecycleTest, UnixSocketServesHiredis) {
  const std::string path = "/tmp/mnemo-itest-" + std::to_string(::getpid()) + ".sock";
  {
    ServerProcess s({"--unixsocket", path, "--unixsocketperm", "700"});
    ASSERT_TRUE(s.Alive());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    redisContext* raw = redisConnectUnix(path.c_str());
    ASSERT_NE(raw, nullptr);
    RedisConnection c(raw);
    ASSERT_EQ(c->err, 0) << c->errstr;
    EXPECT_EQ(Exec(c.get(), {"SET", "k", "over unix"}).ToString(), "OK");
    EXPECT_EQ(Exec(c.get(), {"GET", "k"}).ToString(), "over unix");
    const std::string me = Exec(c.get(), {"CLIENT", "INFO"}).str;
    EXPECT_NE(me.find("addr=" + path + ":0 "), std::string::npos) << me;
    // TCP sees the same data.
    EXPECT_EQ(s.Command({"GET", "k"}).ToString(), "over unix");
    EXPECT_EQ(ConfigGet(s, "unixsocket"), path);
    // Moving the TCP port leaves the unix socket listening, and its clients connected.
    const int new_port = FreePort();
    EXPECT_EQ(Exec(c.get(), {"CONFIG", "SET", "port", std::to_string(new_port)}).ToString(), "OK");
    EXPECT_EQ(Exec(c.get(), {"GET", "k"}).ToString(), "over unix");
    redisContext* again = redisConnectUnix(path.c_str());
    ASSERT_NE(again, nullptr);
    RedisConnection c2(again);
    ASSERT_EQ(c2->err, 0) << c2->errstr;
    EXPECT_EQ(Exec(c2.get(), {"PING"}).ToString(), "PONG");
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(s.Stop(), 0);
  }
  // The socket file goes away with the server.
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0);
}

}  // namespace
}  // namespace mnemo::test

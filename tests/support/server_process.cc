// server_process.cc: launching and driving the real server (tests/support).
#include "server_process.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace mnemo::test {

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

namespace {

std::string ServerBinary() {
  const char* env = std::getenv("MNEMO_SERVER");
  return env != nullptr ? env : "mnemo-server";
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args) { Launch("", args); }

ServerProcess::ServerProcess(const std::string& config_file, std::vector<std::string> args) {
  Launch(config_file, args);
}

ServerProcess::ServerProcess(const std::string& config_file, std::vector<std::string> args,
                             Bind bind, const std::string& binary) {
  Launch(config_file, args, bind, binary);
}

void ServerProcess::Launch(const std::string& config_file, const std::vector<std::string>& args,
                           Bind bind, const std::string& binary) {
  // A server that closes a connection must not kill the test through SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  // A working directory of its own: the server writes dump.rdb there at shutdown (save points
  // are on by default) and loads it at start, so servers must not share one.
  if (dir_.empty()) {
    char dir_tmpl[] = "/tmp/mnemo-test-dir-XXXXXX";
    if (::mkdtemp(dir_tmpl) != nullptr) dir_ = dir_tmpl;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    char tmpl[] = "/tmp/mnemo-test-log-XXXXXX";
    const int log_fd = ::mkstemp(tmpl);
    log_path_ = tmpl;
    std::vector<std::string> argv = {binary.empty() ? ServerBinary() : binary};
    if (!config_file.empty()) argv.push_back(config_file);
    std::vector<std::string> fixed = {"--port", std::to_string(port_), "--dir", dir_};
    if (bind == Bind::kLoopback) {
      fixed.push_back("--bind");
      fixed.push_back("127.0.0.1");
    }
    argv.insert(argv.end(), fixed.begin(), fixed.end());
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execvp(cargv[0], cargv.data());
      std::_Exit(127);
    }
    ::close(log_fd);
    // Wait until it accepts connections.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Alive()) break;
      redisContext* c = redisConnect("127.0.0.1", port_);
      if (c != nullptr && c->err == 0) {
        redisFree(c);
        return;
      }
      if (c != nullptr) redisFree(c);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop(2000);  // port taken by someone else meanwhile, or a startup failure: try again
    if (attempt < 4) ::unlink(log_path_.c_str());
  }
  ADD_FAILURE() << "mnemo-server did not start; log:\n" << Log();
}

ServerProcess::~ServerProcess() {
  Stop();
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool ServerProcess::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ServerProcess::Stop(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const int code = WaitExit(timeout_ms);
  if (pid_ > 0) {  // still running: SIGKILL
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }
  return code;
}

int ServerProcess::WaitExit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RedisConnection ServerProcess::Connect(int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, tv);
  return RedisConnection(c);
}

RespValue FromHiredis(const redisReply* r) {
  RespValue v;
  if (r == nullptr) {
    v.type = RespValue::Type::kError;
    v.str = "IO: no reply";
    return v;
  }
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      v.type = RespValue::Type::kSimple;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RespValue::Type::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      v.type = RespValue::Type::kBulk;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RespValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_NIL:
      v.type = RespValue::Type::kNull;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RespValue::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(FromHiredis(r->element[i]));
      break;
    default:
      v.type = RespValue::Type::kError;
      v.str = "IO: unexpected reply type";
  }
  return v;
}

RespValue Exec(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (r == nullptr) {
    RespValue v;
    v.type = RespValue::Type::kError;
    v.str = std::string("IO: ") + (c->errstr[0] ? c->errstr : "error");
    return v;
  }
  RespValue v = FromHiredis(r);
  freeReplyObject(r);
  return v;
}

RespValue ServerProcess::Command(const std::vector<std::string>& argv) {
  RedisConnection c = Connect();
  if (!c) {
    RespValue v;
    v.type = RespValue::Type::kError;
    v.str = "IO: cannot connect";
    return v;
  }
  return Exec(c.get(), argv);
}

std::string ServerProcess::Cli(const std::vector<std::string>& args, int* exit_code,
                               const std::string& stdin_text) {
  std::string cmd = "redis-cli -p " + std::to_string(port_);
  for (const std::string& a : args) {
    std::string q = "'";
    for (char ch : a) {
      if (ch == '\'')
        q += "'\\''";
      else
        q += ch;
    }
    cmd += " " + q + "'";
  }
  char in_tmpl[] = "/tmp/mnemo-cli-in-XXXXXX";
  const int in_fd = ::mkstemp(in_tmpl);
  (void)!::write(in_fd, stdin_text.data(), stdin_text.size());
  ::close(in_fd);
  cmd += std::string(" < ") + in_tmpl + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  ::unlink(in_tmpl);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string ServerProcess::InfoField(const std::string& field) {
  RespValue info = Command({"INFO", "everything"});
  const std::string key = field + ":";
  size_t pos = info.str.find("\r\n" + key);
  if (pos == std::string::npos) {
    if (info.str.rfind(key, 0) != 0) return "";
    pos = 0;
  } else {
    pos += 2;
  }
  const size_t start = pos + key.size();
  return info.str.substr(start, info.str.find("\r\n", start) - start);
}

int64_t ServerProcess::InfoInt(const std::string& field) {
  return std::strtoll(InfoField(field).c_str(), nullptr, 10);
}

int64_t ServerProcess::SettledUsedMemory() {
  int64_t last = InfoInt("used_memory");
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int64_t now = InfoInt("used_memory");
    if (std::llabs(now - last) < 1024) return now;
    last = now;
  }
  return last;
}

}  // namespace mnemo::test

// main.cc: mnemo-server's entry point: arguments, config, daemonizing, the loop (layer: server).
//
//   mnemo-server [/path/to/mnemo.conf] [--name value ...]
// as redis-server: no arguments runs on built-in defaults; a config file in redis.conf syntax
// comes first; "--name value" pairs override it. "-" as the file reads the config from stdin.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "mnemo/base/log.h"
#include "mnemo/cmd/version.h"
#include "mnemo/ds/hash.h"
#include "mnemo/mem/malloc_stats.h"
#include "mnemo/server/config.h"
#include "mnemo/server/server.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "Usage: ./mnemo-server [/path/to/mnemo.conf] [options]\n"
               "       ./mnemo-server - (read config from stdin)\n"
               "       ./mnemo-server -v or --version\n"
               "       ./mnemo-server -h or --help\n\n"
               "Examples:\n"
               "       ./mnemo-server (run the server with default config)\n"
               "       ./mnemo-server /etc/mnemo/6379.conf\n"
               "       ./mnemo-server --port 7777\n"
               "       ./mnemo-server /etc/mymnemo.conf --loglevel verbose\n");
}

[[noreturn]] void FatalConfig(const std::string& message) {
  std::fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Mnemo %s) ***\n%s\n",
               std::string(mnemo::cmd::kMnemoVersion).c_str(), message.c_str());
  std::exit(1);
}

void Daemonize() {
  if (::fork() != 0) std::exit(0);  // the parent exits
  ::setsid();
  const int fd = ::open("/dev/null", O_RDWR, 0);
  if (fd != -1) {
    ::dup2(fd, STDIN_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) ::close(fd);
  }
  // jemalloc's purging thread does not survive fork(): start it again in the child.
  mnemo::mem::SetBackgroundThread(false);
  mnemo::mem::SetBackgroundThread(true);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mnemo;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_file;
  std::string text;
  if (!args.empty()) {
    if (args[0] == "-v" || args[0] == "--version") {
      std::printf("Mnemo server v=%s (Redis %s compatible) malloc=%s bits=64\n",
                  std::string(cmd::kMnemoVersion).c_str(), std::string(cmd::kRedisVersion).c_str(),
                  mem::AllocatorName());
      return 0;
    }
    if (args[0] == "-h" || args[0] == "--help") {
      Usage();
      return 0;
    }
    size_t first_option = 0;
    if (args[0] == "-") {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str() + "\n";
      first_option = 1;
    } else if (args[0].rfind("--", 0) != 0) {
      config_file = args[0];
      std::ifstream in(config_file);
      if (!in) {
        std::fprintf(stderr, "Fatal error, can't open config file '%s': %s\n", config_file.c_str(),
                     std::strerror(errno));
        return 1;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str() + "\n";
      // CONFIG REWRITE needs the absolute path (the working directory may change).
      char* abs = ::realpath(config_file.c_str(), nullptr);
      if (abs != nullptr) {
        config_file = abs;
        std::free(abs);
      }
      first_option = 1;
    }
    text += server::ArgsToConfigText(std::span(args).subspan(first_option));
  }

  server::ServerConfig config;
  Status loaded = server::LoadConfigText(text, config);
  if (!loaded.ok()) FatalConfig(loaded.message());

  if (config.daemonize && config.supervised != "systemd") Daemonize();
  if (!InitLogging(config.logfile, config.loglevel)) {
    std::fprintf(stderr, "Can't open the log file: %s\n", config.logfile.c_str());
    return 1;
  }
  if (!config.dir.empty() && ::chdir(config.dir.c_str()) != 0) {
    LogWarning("Can't chdir to '{}': {}", config.dir, std::strerror(errno));
    return 1;
  }
  // `dir` is the working directory: CONFIG GET answers it absolute, as Redis does (getcwd), and
  // the RDB path built from it stays right whatever the server's cwd.
  if (char* cwd = ::getcwd(nullptr, 0)) {
    config.dir = cwd;
    std::free(cwd);
  }
  ds::RandomizeHashSeed();
  LogNotice("oO0OoO0OoO0Oo Mnemo is starting oO0OoO0OoO0Oo");
  LogNotice("Mnemo version={}, Redis {} compatible, bits=64, pid={}, just started",
            cmd::kMnemoVersion, cmd::kRedisVersion, ::getpid());
  if (config_file.empty() && args.empty()) {
    LogWarning(
        "Warning: no config file specified, using the default config. In order to specify "
        "a config file use mnemo-server /path/to/mnemo.conf");
  } else {
    LogNotice("Configuration loaded");
  }
  if (!config.pidfile.empty()) {
    if (FILE* f = std::fopen(config.pidfile.c_str(), "w")) {
      std::fprintf(f, "%d\n", static_cast<int>(::getpid()));
      std::fclose(f);
    }
  }

  int exit_code = 0;
  {
    server::Server server(config, config_file);
    Status started = server.Start();
    if (!started.ok()) {
      LogWarning("{}", started.message());
      exit_code = 1;
    } else {
      server.Run();
    }
  }
  ShutdownLogging();
  return exit_code;
}

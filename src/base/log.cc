// log.cc: spdlog behind the Redis-format log API (layer: base).
#include "mnemo/base/log.h"

#include <unistd.h>

#include <atomic>
#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace mnemo {

namespace {

std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}
std::atomic<int> g_level{static_cast<int>(LogLevel::kNotice)};
std::atomic<char> g_role{'M'};

// pid:role day month year time.ms, then our own level symbol and the message.
void SetPattern(spdlog::logger& logger) {
  logger.set_pattern(fmt::format("{}:{} %d %b %Y %H:%M:%S.%e %v", ::getpid(), g_role.load()));
}

constexpr char kSymbols[] = {'.', '-', '*', '#'};

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::trace;
    case LogLevel::kVerbose:
      return spdlog::level::debug;
    case LogLevel::kNotice:
      return spdlog::level::info;
    case LogLevel::kWarning:
      return spdlog::level::warn;
  }
  return spdlog::level::info;
}

}  // namespace

bool InitLogging(const std::string& path, LogLevel level) {
  g_level = static_cast<int>(level);
  std::shared_ptr<spdlog::logger> logger;
  bool ok = true;
  if (!path.empty()) {
    try {
      logger = std::make_shared<spdlog::logger>(
          "mnemo", std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false));
    } catch (const spdlog::spdlog_ex&) {
      ok = false;
    }
  }
  if (!logger) {
    logger = std::make_shared<spdlog::logger>("mnemo",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
  }
  SetPattern(*logger);
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  Logger() = std::move(logger);
  return ok;
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

void SetLogRole(char role) {
  g_role = role;
  // The sinks are the _mt kind: a new pattern is installed under their locks.
  if (Logger()) SetPattern(*Logger());
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void LogMessage(LogLevel level, std::string_view message) {
  auto& logger = Logger();
  const char symbol = kSymbols[static_cast<int>(level)];
  if (!logger) {
    std::fprintf(stderr, "%c %.*s\n", symbol, static_cast<int>(message.size()), message.data());
    return;
  }
  logger->log(ToSpdlog(level), "{} {}", symbol, message);
}

void ShutdownLogging() {
  if (Logger()) Logger()->flush();
  Logger().reset();
}

}  // namespace mnemo

// log.h: the server log, in Redis's format and levels, written through spdlog (layer: base).
//
// Lines look like Redis's: "4242:M 25 Nov 2026 10:00:00.123 * Ready to accept connections".
// The role is 'M' for a primary and 'S' for a replica (SetLogRole); the level symbol is '.'
// debug, '-' verbose, '*' notice, '#' warning.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace mnemo {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Opens the log: an empty path means standard output. Returns false (and keeps logging to
// standard output) if the file cannot be opened.
bool InitLogging(const std::string& path, LogLevel level);
void SetLogLevel(LogLevel level);
// The role letter of the lines that follow: 'M' (the default) or 'S' (a replica), as Redis.
void SetLogRole(char role);
bool LogEnabled(LogLevel level);
void LogMessage(LogLevel level, std::string_view message);
// Flushes and closes the log; later messages go to standard error.
void ShutdownLogging();

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (LogEnabled(level)) LogMessage(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void LogNotice(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kNotice, format, std::forward<Args>(args)...);
}
template <typename... Args>
void LogWarning(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kWarning, format, std::forward<Args>(args)...);
}
template <typename... Args>
void LogVerbose(fmt::format_string<Args...> format, Args&&... args) {
  Log(LogLevel::kVerbose, format, std::forward<Args>(args)...);
}

}  // namespace mnemo

// config_file.h: reading configuration text: parameters, the `include` and `rename-command`
// directives, and Redis's fatal error format with line numbers (layer: server).
//
// The text is redis.conf syntax: one "name value..." per line, '#' comments, quoting as in
// redis-cli. Parameters are rows of the config table (config.h); directives are the lines that
// are not parameters: `include <path or glob>` reads other files at that position (so the last
// value of a parameter wins, wherever it is), `rename-command <name> <new name>` (new name "" to
// disable). Included files are reached through ConfigFiles, so that tests and the fuzzer can
// give them from memory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/status.h"

namespace mnemo::server {

struct ServerConfig;

// How the loader reaches the files `include` names.
class ConfigFiles {
 public:
  virtual ~ConfigFiles() = default;
  // The paths a glob pattern (with '*', '?' or '[') matches, sorted; none is not an error (an
  // empty conf.d is fine, as in Redis).
  virtual std::vector<std::string> Glob(const std::string& pattern) = 0;
  // The text of a file, or Redis's message: "Fatal error, can't open config file '<path>':
  // <reason>".
  virtual Result<std::string> Read(const std::string& path) = 0;
};

// The file system: relative paths from the working directory, as Redis resolves them.
ConfigFiles& RealConfigFiles();

// Includes deeper than this are refused (a file that includes itself would recurse forever).
inline constexpr int kMaxIncludeDepth = 16;

// Parses config text into `c`. A multi-argument parameter given one argument has it split again
// (`save "3600 1"`, `save ""`); the save lines of the text and of the files it includes add up,
// as in Redis. On error returns Redis's fatal message:
//   "Reading the configuration file, at line N\n>>> 'line'\nreason"
// where a line of an included file is named "at line N of '<path>'". `c` may then hold part of
// the text: the caller discards it (the server does not start).
Status LoadConfigText(std::string_view text, ServerConfig& c,
                      ConfigFiles& files = RealConfigFiles());

}  // namespace mnemo::server

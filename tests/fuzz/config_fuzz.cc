// config_fuzz.cc: libFuzzer target for the config file loader: parameters, include (with
// globs, nesting and the depth limit) and rename-command (tests/fuzz).
//
// Input: NUL bytes split it into the main text and the files f1.conf, f2.conf, ... that include
// lines can name (by path or glob), served from memory. A text that loads must leave every
// parameter in a state CONFIG GET can print and CONFIG SET can take back unchanged; anything
// else (a crash, a leak, undefined behaviour, an error without Redis's "Reading the
// configuration file" header) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/server/config.h"

namespace {

using mnemo::Result;
using mnemo::Status;

class MemoryFiles final : public mnemo::server::ConfigFiles {
 public:
  explicit MemoryFiles(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  std::vector<std::string> Glob(const std::string& pattern) override {
    std::vector<std::string> out;
    for (const auto& [name, text] : files_) {
      if (mnemo::GlobMatch(pattern, name)) out.push_back(name);
    }
    return out;
  }
  Result<std::string> Read(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) {
      return Status::Error("Fatal error, can't open config file '" + path +
                           "': No such file or directory");
    }
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); ++i) {
    if (i == input.size() || input[i] == '\0') {
      parts.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  std::map<std::string, std::string> files;
  for (size_t i = 1; i < parts.size(); ++i) {
    files["f" + std::to_string(i) + ".conf"] = std::string(parts[i]);
  }
  MemoryFiles fs(std::move(files));
  mnemo::server::ServerConfig c;
  const Status s = mnemo::server::LoadConfigText(parts[0], c, fs);
  if (!s.ok()) {
    Check(s.message().rfind("Reading the configuration file, at line ", 0) == 0);
    return 0;
  }
  for (const mnemo::server::ConfigParam& p : mnemo::server::ConfigTable()) {
    const std::string value = p.get(c);
    mnemo::server::ServerConfig again = c;
    Check(p.set(again, value).ok());
    Check(p.get(again) == value);
  }
  return 0;
}

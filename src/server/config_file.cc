// config_file.cc: the config text loader: parameters, include and rename-command (layer:
// server).
#include "mnemo/server/config_file.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "mnemo/base/strings.h"
#include "mnemo/cmd/command.h"
#include "mnemo/server/config.h"

namespace mnemo::server {

namespace {

class FileSystemConfigFiles final : public ConfigFiles {
 public:
  std::vector<std::string> Glob(const std::string& pattern) override {
    std::vector<std::string> paths;
    glob_t g{};
    // As Redis: a pattern that matches nothing, or a directory that cannot be read, includes
    // nothing. glob() sorts its results.
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    return paths;
  }

  Result<std::string> Read(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return CantOpen(path, errno);
    std::string text;
    char buf[16 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;  // a directory: EISDIR
        ::close(fd);
        return CantOpen(path, err);
      }
      text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
  }

 private:
  static Status CantOpen(const std::string& path, int err) {
    return Status::Error(
        fmt::format("Fatal error, can't open config file '{}': {}", path, std::strerror(err)));
  }
};

// Where a line comes from, for error messages.
struct LineRef {
  std::string_view text;              // trimmed
  size_t number = 0;                  // 1-based
  const std::string* file = nullptr;  // null for the main text
};

Status Fail(const LineRef& line, std::string_view reason) {
  if (line.file == nullptr) {
    return Status::Error(fmt::format("Reading the configuration file, at line {}\n>>> '{}'\n{}",
                                     line.number, line.text, reason));
  }
  return Status::Error(
      fmt::format("Reading the configuration file, at line {} of '{}'\n>>> '{}'\n{}", line.number,
                  *line.file, line.text, reason));
}

// What persists across the main text and the files it includes.
struct LoadState {
  ServerConfig& c;
  ConfigFiles& files;
  bool save_loaded = false;  // the first save line replaces the default, later ones add
  // The top-level command names as the rename-command lines so far leave them (lower case);
  // made at the first rename-command.
  std::optional<std::set<std::string>> command_names;
};

Status LoadText(std::string_view text, const std::string* file, int depth, LoadState& st);

Status IncludeDirective(const std::vector<std::string>& args, const LineRef& line, int depth,
                        LoadState& st) {
  const std::string& target = args[1];
  if (depth >= kMaxIncludeDepth) {
    return Fail(line, fmt::format("include nested more than {} levels deep", kMaxIncludeDepth));
  }
  std::vector<std::string> paths;
  if (target.find_first_of("*?[") != std::string::npos) {
    paths = st.files.Glob(target);
  } else {
    paths.push_back(target);
  }
  for (const std::string& path : paths) {
    Result<std::string> text = st.files.Read(path);
    if (!text.ok()) return Fail(line, text.status().message());
    Status s = LoadText(*text, &path, depth + 1, st);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status RenameCommandDirective(const std::vector<std::string>& args, const LineRef& line, int,
                              LoadState& st) {
  if (!st.command_names) {
    st.command_names.emplace();
    for (std::span<const cmd::CommandSpec> table : cmd::CommandTables()) {
      for (const cmd::CommandSpec& spec : table) st.command_names->insert(ToLower(spec.name));
    }
  }
  // As Redis: the old name goes first, so a command may be renamed to itself; a subcommand
  // ("config|get") is not a command of the table.
  if (st.command_names->erase(ToLower(args[1])) == 0) {
    return Fail(line, "No such command in rename-command");
  }
  if (!args[2].empty() && !st.command_names->insert(ToLower(args[2])).second) {
    return Fail(line, "Target command name already exists");
  }
  st.c.command_renames.emplace_back(args[1], args[2]);
  return Status::Ok();
}

// Lines that are not parameters. A directive with another number of arguments is a bad
// directive, as in Redis.
struct Directive {
  std::string_view name;
  size_t argc;  // including the name
  Status (*apply)(const std::vector<std::string>& args, const LineRef& line, int depth,
                  LoadState& st);
};

constexpr Directive kDirectives[] = {
    {"include", 2, IncludeDirective},
    {"rename-command", 3, RenameCommandDirective},
};

std::string JoinArgs(const std::vector<std::string>& args, size_t from) {
  std::string out;
  for (size_t i = from; i < args.size(); ++i) {
    if (i > from) out += ' ';
    // Keep arguments with spaces (or empty ones) intact for multi-argument parameters.
    if (args[i].empty() || args[i].find(' ') != std::string::npos) {
      out += QuoteRepr(args[i]);
    } else {
      out += args[i];
    }
  }
  return out;
}

Status LoadParameter(const ConfigParam& p, const std::vector<std::string>& args,
                     const LineRef& line, LoadState& st) {
  ServerConfig& c = st.c;
  std::string value;
  if (p.flags & kMulti) {
    // As Redis: a single argument is split again by the setter (so that `--save "3600 1"`
    // and `save ""` work); several are passed quoted where needed.
    value = args.size() == 2 ? args[1] : JoinArgs(args, 1);
    if (p.name == "save") {
      // The first save line replaces the default; later ones append, and `save ""` clears.
      if (st.save_loaded && !value.empty() && !c.save.empty()) value = c.save + " " + value;
      st.save_loaded = true;
    }
  } else {
    if (args.size() != 2) return Fail(line, "wrong number of arguments");
    value = args[1];
  }
  Status s = p.set(c, value);
  if (!s.ok()) return Fail(line, s.message());
  return Status::Ok();
}

Status LoadText(std::string_view text, const std::string* file, int depth, LoadState& st) {
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) {
      l.remove_suffix(1);
    }
    if (l.empty() || l[0] == '#') continue;
    const LineRef line{l, line_no, file};
    auto args = SplitArgs(l);
    if (!args) return Fail(line, "Unbalanced quotes in configuration line");
    if (args->empty()) continue;
    if (const ConfigParam* p = FindConfigParam((*args)[0])) {
      Status s = LoadParameter(*p, *args, line, st);
      if (!s.ok()) return s;
      continue;
    }
    const Directive* directive = nullptr;
    for (const Directive& d : kDirectives) {
      if (EqualsIgnoreCase(d.name, (*args)[0]) && d.argc == args->size()) directive = &d;
    }
    if (directive == nullptr) return Fail(line, "Bad directive or wrong number of arguments");
    Status s = directive->apply(*args, line, depth, st);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

ConfigFiles& RealConfigFiles() {
  static FileSystemConfigFiles files;
  return files;
}

Status LoadConfigText(std::string_view text, ServerConfig& c, ConfigFiles& files) {
  LoadState st{c, files};
  return LoadText(text, nullptr, 0, st);
}

}  // namespace mnemo::server

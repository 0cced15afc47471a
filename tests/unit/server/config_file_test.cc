// config_file_test.cc: the config text loader's directives: include (in memory and on the file
// system, globs, depth, errors with line numbers) and rename-command (layer: server).
#include "mnemo/server/config_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mnemo/base/glob.h"
#include "mnemo/server/config.h"

namespace mnemo::server {
namespace {

// Files given from memory; Glob matches the names with Redis's glob rules, sorted.
class MemoryFiles final : public ConfigFiles {
 public:
  MemoryFiles(std::initializer_list<std::pair<const std::string, std::string>> files)
      : files_(files) {}
  std::vector<std::string> Glob(const std::string& pattern) override {
    std::vector<std::string> out;
    for (const auto& [name, text] : files_) {
      if (GlobMatch(pattern, name)) out.push_back(name);
    }
    return out;
  }
  Result<std::string> Read(const std::string& path) override {
    ++reads_;
    auto it = files_.find(path);
    if (it == files_.end()) {
      return Status::Error("Fatal error, can't open config file '" + path +
                           "': No such file or directory");
    }
    return it->second;
  }
  int reads() const { return reads_; }

 private:
  std::map<std::string, std::string> files_;
  int reads_ = 0;
};

std::string Get(const ServerConfig& c, std::string_view name) {
  return FindConfigParam(name)->get(c);
}

// ---- include --------------------------------------------------------------------------------

TEST(IncludeTest, LastValueWinsWhereverTheIncludeIs) {
  MemoryFiles files{{"a.conf", "port 7001\nmaxclients 11\n"}};
  ServerConfig before;
  ASSERT_TRUE(LoadConfigText("port 7000\ninclude a.conf\n", before, files).ok());
  EXPECT_EQ(Get(before, "port"), "7001");
  EXPECT_EQ(Get(before, "maxclients"), "11");
  ServerConfig after;
  ASSERT_TRUE(LoadConfigText("include a.conf\nport 7000\n", after, files).ok());
  EXPECT_EQ(Get(after, "port"), "7000");
  EXPECT_EQ(Get(after, "maxclients"), "11");
}

TEST(IncludeTest, GlobIncludesEveryMatchInSortedOrder) {
  MemoryFiles files{{"conf.d/10-a.conf", "port 7010\nhz 20\n"},
                    {"conf.d/20-b.conf", "port 7020\n"},
                    {"conf.d/notes.txt", "this is not config\n"}};
  ServerConfig c;
  Status s = LoadConfigText("include conf.d/*.conf\n", c, files);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Get(c, "port"), "7020");
  EXPECT_EQ(Get(c, "hz"), "20");
  // A glob that matches nothing is fine (an empty conf.d), as in Redis.
  ServerConfig none;
  EXPECT_TRUE(LoadConfigText("include empty.d/*.conf\nport 1\n", none, files).ok());
  EXPECT_EQ(Get(none, "port"), "1");
}

TEST(IncludeTest, NestedIncludesAndSaveLinesAddUp) {
  MemoryFiles files{{"outer.conf", "save 100 1\ninclude inner.conf\n"},
                    {"inner.conf", "save 200 2\n"}};
  ServerConfig c;
  ASSERT_TRUE(LoadConfigText("include outer.conf\nsave 300 3\n", c, files).ok());
  EXPECT_EQ(Get(c, "save"), "100 1 200 2 300 3");
}

TEST(IncludeTest, MissingFileIsAnErrorAtTheIncludeLine) {
  MemoryFiles files{};
  ServerConfig c;
  Status s = LoadConfigText("port 7000\n  include   missing.conf  \n", c, files);
  EXPECT_EQ(s.message(),
            "Reading the configuration file, at line 2\n>>> 'include   missing.conf'\n"
            "Fatal error, can't open config file 'missing.conf': No such file or directory");
}

TEST(IncludeTest, ErrorsInsideAnIncludedFileNameTheFile) {
  MemoryFiles files{{"a.conf", "# a comment\nport 7001\nmaxclients zero\n"},
                    {"b.conf", "include missing.conf\n"}};
  ServerConfig c;
  EXPECT_EQ(LoadConfigText("include a.conf\n", c, files).message(),
            "Reading the configuration file, at line 3 of 'a.conf'\n>>> 'maxclients zero'\n"
            "argument couldn't be parsed into an integer");
  EXPECT_EQ(LoadConfigText("\ninclude b.conf\n", c, files).message(),
            "Reading the configuration file, at line 1 of 'b.conf'\n>>> 'include missing.conf'\n"
            "Fatal error, can't open config file 'missing.conf': No such file or directory");
}

TEST(IncludeTest, WrongArgumentCountIsABadDirective) {
  MemoryFiles files{{"a.conf", "port 1\n"}};
  for (const char* line : {"include", "include a.conf a.conf"}) {
    ServerConfig c;
    EXPECT_EQ(LoadConfigText(line, c, files).message(),
              std::string("Reading the configuration file, at line 1\n>>> '") + line +
                  "'\nBad directive or wrong number of arguments");
  }
  EXPECT_EQ(files.reads(), 0);
}

TEST(IncludeTest, SelfIncludeStopsAtTheDepthLimit) {
  MemoryFiles files{{"loop.conf", "include loop.conf\n"}};
  ServerConfig c;
  Status s = LoadConfigText("include loop.conf\n", c, files);
  EXPECT_EQ(s.message(),
            "Reading the configuration file, at line 1 of 'loop.conf'\n>>> 'include loop.conf'\n"
            "include nested more than 16 levels deep");
  EXPECT_EQ(files.reads(), kMaxIncludeDepth);
}

// The real file system: relative paths from the working directory, globs through glob(3).
class IncludeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mnemo_include_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "conf.d");
    std::filesystem::create_directories(dir_ / "empty.d");
    old_cwd_ = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(dir_ / path) << text;
  }

  std::filesystem::path dir_;
  std::filesystem::path old_cwd_;
};

TEST_F(IncludeFilesTest, RelativeGlobFromTheWorkingDirectory) {
  Write("conf.d/b.conf", "port 7002\n");
  Write("conf.d/a.conf", "port 7001\nhz 30\n");
  Write("single.conf", "maxclients 77");  // no final newline
  ServerConfig c;
  Status s = LoadConfigText("include conf.d/*.conf\ninclude single.conf\ninclude empty.d/*\n", c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Get(c, "port"), "7002");
  EXPECT_EQ(Get(c, "hz"), "30");
  EXPECT_EQ(Get(c, "maxclients"), "77");
}

TEST_F(IncludeFilesTest, MissingFileAndDirectoryGiveRedisTexts) {
  ServerConfig c;
  EXPECT_EQ(LoadConfigText("include nope.conf\n", c).message(),
            "Reading the configuration file, at line 1\n>>> 'include nope.conf'\n"
            "Fatal error, can't open config file 'nope.conf': No such file or directory");
  EXPECT_EQ(LoadConfigText("include conf.d\n", c).message(),
            "Reading the configuration file, at line 1\n>>> 'include conf.d'\n"
            "Fatal error, can't open config file 'conf.d': Is a directory");
}

// ---- rename-command -------------------------------------------------------------------------

TEST(RenameCommandTest, RecordsRenamesInOrder) {
  ServerConfig c;
  Status s = LoadConfigText(
      "rename-command get mget2\nrename-command FLUSHALL \"\"\nrename-command mget2 get3\n"
      "rename-command set set\n",
      c);
  ASSERT_TRUE(s.ok()) << s.message();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"get", "mget2"}, {"FLUSHALL", ""}, {"mget2", "get3"}, {"set", "set"}};
  EXPECT_EQ(c.command_renames, want);
}

TEST(RenameCommandTest, RedisErrors) {
  struct Case {
    const char* text;
    size_t line;
    const char* reason;
  };
  const Case cases[] = {
      {"rename-command nosuch x", 1, "No such command in rename-command"},
      // A subcommand is not a command of the table.
      {"rename-command config|get x", 1, "No such command in rename-command"},
      {"rename-command get x\nrename-command get y", 2, "No such command in rename-command"},
      {"rename-command flushall \"\"\nrename-command flushall y", 2,
       "No such command in rename-command"},
      {"rename-command get set", 1, "Target command name already exists"},
      {"rename-command get SET", 1, "Target command name already exists"},
      {"rename-command get x\nrename-command set x", 2, "Target command name already exists"},
      {"rename-command get", 1, "Bad directive or wrong number of arguments"},
      {"rename-command get a b", 1, "Bad directive or wrong number of arguments"},
  };
  for (const Case& k : cases) {
    ServerConfig c;
    const std::string text = k.text;
    const std::string last =
        text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    EXPECT_EQ(LoadConfigText(text, c).message(), "Reading the configuration file, at line " +
                                                     std::to_string(k.line) + "\n>>> '" + last +
                                                     "'\n" + k.reason)
        << text;
  }
  // A name freed by a rename can be taken.
  ServerConfig c;
  EXPECT_TRUE(LoadConfigText("rename-command get x\nrename-command set get\n", c).ok());
}

TEST(RenameCommandTest, WorksFromIncludedFilesAndTheCommandLine) {
  MemoryFiles files{{"r.conf", "rename-command get g2\n"}};
  ServerConfig c;
  const std::vector<std::string> args = {"--rename-command", "keys", ""};
  ASSERT_TRUE(LoadConfigText("include r.conf\n" + ArgsToConfigText(args), c, files).ok());
  const std::vector<std::pair<std::string, std::string>> want = {{"get", "g2"}, {"keys", ""}};
  EXPECT_EQ(c.command_renames, want);
}

}  // namespace
}  // namespace mnemo::server

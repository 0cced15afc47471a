// config_file_test.cc: include files and rename-command in the real server: globs relative to
// the working directory, last value wins, CONFIG REWRITE leaves included files and include
// lines alone, fatal errors with line numbers, and rename-command compared with redis-server
// 7.0.15 on the same file (tests/integration).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mnemo/cmd/version.h"
#include "raw_socket.h"
#include "server_process.h"

namespace mnemo::test {
namespace {

namespace fs = std::filesystem;

std::string ServerBinary() {
  const char* env = std::getenv("MNEMO_SERVER");
  return env != nullptr ? env : "mnemo-server";
}

// A temporary directory that is the working directory while the object lives (servers started
// meanwhile inherit it).
class TempWorkDir {
 public:
  TempWorkDir() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("mnemo-cfgtest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    old_ = fs::current_path();
    fs::current_path(dir_);
  }
  ~TempWorkDir() {
    fs::current_path(old_);
    fs::remove_all(dir_);
  }
  void Write(const std::string& path, const std::string& text) {
    fs::create_directories((dir_ / path).parent_path());
    std::ofstream(dir_ / path) << text;
  }
  std::string Read(const std::string& path) const {
    std::ifstream in(dir_ / path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string Path(const std::string& path) const { return (dir_ / path).string(); }

 private:
  fs::path dir_;
  fs::path old_;
};

std::string ConfigGet(ServerProcess& s, const std::string& name) {
  RespValue v = s.Command({"CONFIG", "GET", name});
  if (v.IsError() || v.size() != 2) return v.ToString();
  return v[1].str;
}

TEST(IncludeTest, RelativeGlobLastValueWinsAndRewriteKeepsIncludes) {
  TempWorkDir wd;
  const std::string included_a = "hz 25\nmaxclients 50\n";
  const std::string included_b = "timeout 7\n";
  wd.Write("conf.d/a.conf", included_a);
  wd.Write("conf.d/b.conf", included_b);
  wd.Write("conf.d/ignored.txt", "not config at all\n");
  wd.Write("main.conf", "hz 15\ninclude conf.d/*.conf\nmaxclients 100\n");
  ServerProcess s("main.conf", {});
  ASSERT_TRUE(s.Alive()) << s.Log();
  EXPECT_EQ(ConfigGet(s, "hz"), "25");           // the include comes after
  EXPECT_EQ(ConfigGet(s, "maxclients"), "100");  // the main file's line comes after
  EXPECT_EQ(ConfigGet(s, "timeout"), "7");       // only in an included file
  // CONFIG REWRITE writes the main file only: its lines in place, the include line kept, values
  // that differ from the main file's appended; the included files are not touched.
  EXPECT_EQ(s.Command({"CONFIG", "SET", "maxclients", "200", "loglevel", "verbose"}).ToString(),
            "OK");
  EXPECT_EQ(s.Command({"CONFIG", "REWRITE"}).ToString(), "OK");
  const std::string rewritten = wd.Read("main.conf");
  EXPECT_EQ(rewritten.rfind("hz 25\ninclude conf.d/*.conf\nmaxclients 200\n", 0), 0u) << rewritten;
  EXPECT_NE(rewritten.find("\nloglevel verbose\n"), std::string::npos) << rewritten;
  EXPECT_EQ(wd.Read("conf.d/a.conf"), included_a);
  EXPECT_EQ(wd.Read("conf.d/b.conf"), included_b);
  // And the rewritten file starts a server with the same values.
  s.Stop();
  ServerProcess again("main.conf", {});
  EXPECT_EQ(ConfigGet(again, "hz"), "25");
  EXPECT_EQ(ConfigGet(again, "maxclients"), "200");
  EXPECT_EQ(ConfigGet(again, "loglevel"), "verbose");
  EXPECT_EQ(ConfigGet(again, "timeout"), "7");
}

TEST(IncludeTest, FatalErrorsNameTheLine) {
  TempWorkDir wd;
  wd.Write("missing.conf", "port 0\n\ninclude nope.conf\n");
  wd.Write("bad-inside.conf", "include inner.conf\n");
  wd.Write("inner.conf", "# comment\nhz fast\n");
  const std::string header =
      "\n*** FATAL CONFIG FILE ERROR (Mnemo " + std::string(cmd::kMnemoVersion) + ") ***\n";
  int code = 0;
  std::string out = RunProgram({ServerBinary(), "missing.conf"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, header +
                     "Reading the configuration file, at line 3\n>>> 'include nope.conf'\n"
                     "Fatal error, can't open config file 'nope.conf': No such file or "
                     "directory\n");
  out = RunProgram({ServerBinary(), "bad-inside.conf"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, header +
                     "Reading the configuration file, at line 2 of 'inner.conf'\n>>> 'hz fast'\n"
                     "argument couldn't be parsed into an integer\n");
}

// ---- rename-command against redis-server 7.0.15 ---------------------------------------------

const char kRenames[] =
    "rename-command get mget2\n"
    "rename-command flushall \"\"\n"
    "rename-command config cfg\n";

// The replies that must agree, with the command count given as the difference it makes.
std::vector<std::string> RenameReplies(ServerProcess& s, int64_t plain_count) {
  std::vector<std::string> out;
  out.push_back("count delta " +
                std::to_string(s.Command({"COMMAND", "COUNT"}).integer - plain_count));
  const std::vector<std::vector<std::string>> commands = {
      {"SET", "k", "v"},
      {"mget2", "k"},
      {"get", "k"},
      {"FLUSHALL"},
      {"cfg", "GET", "maxclients"},
      {"config", "GET", "maxclients"},
      {"COMMAND", "GETKEYS", "mget2", "x"},
      {"COMMAND", "GETKEYS", "get", "x"},
      {"COMMAND", "LIST", "FILTERBY", "PATTERN", "flush*"},
  };
  for (const auto& argv : commands) out.push_back(s.Command(argv).ToString());
  const RespValue info = s.Command({"COMMAND", "INFO", "mget2", "get", "cfg|get"});
  out.push_back(info.size() == 3 ? info[0][0].str + " " + info[1].ToString() + " " + info[2][0].str
                                 : info.ToString());
  const RespValue docs = s.Command({"COMMAND", "DOCS", "mget2", "get"});
  out.push_back(docs.size() >= 1 ? docs[0].str + " " + std::to_string(docs.size())
                                 : docs.ToString());
  const std::string stats = s.Command({"INFO", "commandstats"}).str;
  out.push_back(stats.find("cmdstat_get:calls=1,") != std::string::npos ? "stats under get"
                                                                        : stats);
  return out;
}

TEST(RenameCommandTest, SameRepliesAsRedis) {
  TempWorkDir wd;
  wd.Write("renames.conf", kRenames);
  ServerProcess mnemo_plain("", {});
  ServerProcess mnemo("renames.conf", {});
  ServerProcess redis_plain("", {"--save", ""}, ServerProcess::Bind::kLoopback, "redis-server");
  ServerProcess redis("renames.conf", {"--save", ""}, ServerProcess::Bind::kLoopback,
                      "redis-server");
  ASSERT_TRUE(redis.Alive()) << redis.Log();
  const auto ours = RenameReplies(mnemo, mnemo_plain.Command({"COMMAND", "COUNT"}).integer);
  const auto theirs = RenameReplies(redis, redis_plain.Command({"COMMAND", "COUNT"}).integer);
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], theirs[i]) << i;
  EXPECT_EQ(ours[0], "count delta -1");
}

TEST(RenameCommandTest, SameFatalErrorsAsRedis) {
  TempWorkDir wd;
  const std::string bad[] = {
      "port 0\nrename-command nosuch x\n",
      "rename-command get set\n",
      "rename-command get x\nrename-command set X\n",
      "rename-command get\n",
  };
  for (const std::string& text : bad) {
    wd.Write("bad.conf", text);
    int code_ours = 0;
    int code_redis = 0;
    std::string ours = RunProgram({ServerBinary(), "bad.conf"}, &code_ours);
    std::string redis = RunProgram({"redis-server", "bad.conf"}, &code_redis);
    EXPECT_EQ(code_ours, 1) << text;
    EXPECT_EQ(code_redis, 1) << text;
    // Everything after the header line is the same.
    ours = ours.substr(ours.find(" ***\n"));
    redis = redis.substr(redis.find(" ***\n"));
    EXPECT_EQ(ours, redis) << text;
  }
}

}  // namespace
}  // namespace mnemo::test

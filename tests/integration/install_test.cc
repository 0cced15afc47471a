// install_test.cc: `cmake --install` into a DESTDIR staging directory puts the binary, the
// config and the systemd unit where they belong, the unit's ExecStart names the installed
// files, and systemd-analyze verify accepts the unit (tests/integration).
//
// systemd-analyze verify checks that ExecStart's program exists on this machine, and a test
// does not install into /usr: the unit is verified with its paths pointed into the staging
// directory (where the installed files are), which is what the check needs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mnemo/base/strings.h"
#include "raw_socket.h"

namespace mnemo::test {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of the first "Key=" line of a unit file.
std::string UnitValue(const std::string& unit, const std::string& key) {
  std::istringstream in(unit);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mnemo-install-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // DESTDIR=<root>/<name> cmake --install <build> [--prefix prefix]; returns the staging dir.
  fs::path Install(const std::string& name, const std::string& prefix) {
    const fs::path stage = root_ / name;
    std::vector<std::string> argv = {"env", "DESTDIR=" + stage.string(), "cmake", "--install",
                                     MNEMO_BINARY_DIR};
    if (!prefix.empty()) {
      argv.push_back("--prefix");
      argv.push_back(prefix);
    }
    int code = -1;
    const std::string out = RunProgram(argv, &code);
    EXPECT_EQ(code, 0) << out;
    return stage;
  }

  // systemd-analyze verify on `unit_text` written as mnemo.service; returns its output and sets
  // *code.
  std::string Verify(const std::string& unit_text, int* code) {
    const fs::path dir = root_ / ("verify-" + std::to_string(verify_count_++));
    fs::create_directories(dir);
    std::ofstream(dir / "mnemo.service") << unit_text;
    return RunProgram({"systemd-analyze", "verify", (dir / "mnemo.service").string()}, code);
  }

  fs::path root_;
  int verify_count_ = 0;
};

bool Executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

TEST_F(InstallTest, DefaultPrefixAndUsrPrefixPutEveryFileWhereTheUnitLooks) {
  struct Case {
    std::string prefix;  // "" : as configured (/usr/local)
    std::string bin;
    std::string conf;
    std::string doc;
  };
  const Case cases[] = {
      {"", "/usr/local/bin/mnemo-server", "/usr/local/etc/mnemo/mnemo.conf",
       "/usr/local/share/doc/mnemo"},
      {"/usr", "/usr/bin/mnemo-server", "/etc/mnemo/mnemo.conf", "/usr/share/doc/mnemo"},
      {"/opt/mnemo", "/opt/mnemo/bin/mnemo-server", "/etc/opt/mnemo/mnemo/mnemo.conf",
       "/opt/mnemo/share/doc/mnemo"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path stage = Install("stage" + std::to_string(n++), c.prefix);
    EXPECT_TRUE(Executable(stage.string() + c.bin)) << c.bin;
    // The installed config is the shipped one.
    EXPECT_EQ(ReadFile(stage.string() + c.conf),
              ReadFile(std::string(MNEMO_SOURCE_DIR) + "/conf/mnemo.conf"));
    // The unit in systemd's unit directory (Debian: /lib/systemd/system).
    const fs::path unit_path = stage / "lib/systemd/system/mnemo.service";
    ASSERT_TRUE(fs::exists(unit_path)) << unit_path;
    const std::string unit = ReadFile(unit_path);
    const std::vector<std::string> exec =
        SplitArgs(UnitValue(unit, "ExecStart")).value_or(std::vector<std::string>{});
    ASSERT_GE(exec.size(), 2u) << unit;
    EXPECT_EQ(exec[0], c.bin);
    EXPECT_EQ(exec[1], c.conf);
    EXPECT_NE(unit.find("ReadWritePaths=-" + fs::path(c.conf).parent_path().string() + "\n"),
              std::string::npos)
        << unit;
    // It is conf/mnemo.service with the default prefix's paths replaced, nothing else.
    std::string want = ReadFile(std::string(MNEMO_SOURCE_DIR) + "/conf/mnemo.service");
    want = ReplaceAll(want, "/usr/local/bin/mnemo-server", c.bin);
    want = ReplaceAll(want, "/usr/local/etc/mnemo", fs::path(c.conf).parent_path().string());
    want = ReplaceAll(want, "/usr/local/share/doc/mnemo", c.doc);
    EXPECT_EQ(unit, want);
    EXPECT_TRUE(fs::exists(stage.string() + c.doc + "/README.md"));
    // systemd accepts it, pointed at the staged files.
    int code = -1;
    const std::string staged = ReplaceAll(ReplaceAll(unit, c.bin, stage.string() + c.bin), c.conf,
                                          stage.string() + c.conf);
    EXPECT_EQ(Verify(staged, &code), "") << c.bin;
    EXPECT_EQ(code, 0);
    // Installing again keeps an operator's edited config and puts the shipped one beside it.
    std::ofstream(stage.string() + c.conf, std::ios::app) << "maxclients 5\n";
    Install("stage" + std::to_string(n - 1), c.prefix);
    EXPECT_NE(ReadFile(stage.string() + c.conf).find("maxclients 5\n"), std::string::npos);
    EXPECT_EQ(ReadFile(stage.string() + c.conf + ".dist"),
              ReadFile(std::string(MNEMO_SOURCE_DIR) + "/conf/mnemo.conf"));
  }
}

TEST_F(InstallTest, SystemdAnalyzeVerifiesTheSourceUnit) {
  // conf/mnemo.service itself, with its program pointed at the built binary.
  const std::string source = ReadFile(std::string(MNEMO_SOURCE_DIR) + "/conf/mnemo.service");
  ASSERT_NE(source.find("ExecStart=/usr/local/bin/mnemo-server "), std::string::npos);
  int code = -1;
  const std::string built = ReplaceAll(source, "/usr/local/bin/mnemo-server",
                                       std::string(MNEMO_BINARY_DIR) + "/bin/mnemo-server");
  EXPECT_EQ(Verify(built, &code), "");
  EXPECT_EQ(code, 0);
  // The check is not blind: a program that does not exist, or a wrong value, is reported.
  const std::string missing =
      ReplaceAll(source, "/usr/local/bin/mnemo-server", "/nonexistent/mnemo-server");
  EXPECT_NE(Verify(missing, &code).find("is not executable"), std::string::npos);
  EXPECT_NE(code, 0);
  const std::string bad_type = ReplaceAll(built, "Type=notify", "Type=notifyy");
  EXPECT_NE(Verify(bad_type, &code).find("Failed to parse service type"), std::string::npos);
}

}  // namespace
}  // namespace mnemo::test

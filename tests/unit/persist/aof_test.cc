// aof_test.cc: persist/aof.h: the manifest (Redis 7.0's format and error texts), the command
// stream (encoding, parsing, truncation, MULTI left open), the appender, and the snapshot writing
// an AOF base as commands (tests/unit/persist).
#include "mnemo/persist/aof.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "mnemo/persist/dump.h"
#include "mnemo/persist/snapshot.h"

namespace mnemo::persist {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 1'800'000'000'000;

class AofTest : public ::testing::Test {
 protected:
  AofTest() {
    dir_ = fs::temp_directory_path() /
           ("mnemo_aof_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  ~AofTest() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void WriteFile(const std::string& name, const std::string& data) {
    std::ofstream(Path(name), std::ios::binary | std::ios::trunc) << data;
  }
  std::string ReadFile(const std::string& name) {
    std::ifstream in(Path(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
};

std::string Cmd(std::vector<std::string> argv) {
  std::string out;
  AppendAofCommand(&out, std::span<const std::string>(argv));
  return out;
}

TEST(AofManifestTest, RedisFormatRoundTrips) {
  const std::string text =
      "file appendonly.aof.2.base.rdb seq 2 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type i\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n";
  Result<AofManifest> m = ParseAofManifest(text);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->base.has_value());
  EXPECT_EQ(m->base->name, "appendonly.aof.2.base.rdb");
  EXPECT_EQ(m->curr_base_seq, 2);
  EXPECT_EQ(m->curr_incr_seq, 3);
  ASSERT_EQ(m->incrs.size(), 2u);
  ASSERT_EQ(m->history.size(), 1u);
  EXPECT_EQ(m->Format(), text);
}

TEST(AofManifestTest, CommentsExtraPairsAndQuotedNames) {
  Result<AofManifest> m = ParseAofManifest(
      "# a comment\n"
      "file \"my file\\x01.aof\" seq 7 type b future value\n"
      "  file 'x y' seq 1 type i  \r\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->base->name, std::string("my file\x01.aof"));
  EXPECT_EQ(m->incrs[0].name, "x y");
  // Names that need it are written as Redis's sdscatrepr writes them.
  EXPECT_EQ(m->Format(), "file \"my file\\x01.aof\" seq 7 type b\nfile \"x y\" seq 1 type i\n");
  EXPECT_TRUE(ParseAofManifest(m->Format()).ok());
}

TEST(AofManifestTest, NameWithASingleQuoteIsQuotedSoItReadsBack) {
  // Unquoted, my'f would open a single-quoted word that never closes (found by aof_fuzz).
  Result<AofManifest> m = ParseAofManifest("file \"my'f\" seq 3 type b\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->Format(), "file \"my'f\" seq 3 type b\n");
  Result<AofManifest> again = ParseAofManifest(m->Format());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->base->name, "my'f");
}

TEST(AofManifestTest, ErrorsAreRedisTexts) {
  auto error = [](const std::string& text) {
    Result<AofManifest> m = ParseAofManifest(text);
    return m.ok() ? std::string("ok") : m.status().message();
  };
  EXPECT_EQ(error(""), "Found an empty AOF manifest");
  EXPECT_EQ(error("\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(error("file a seq 1\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(error("file a seq 1 type\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(error("file a seq 0 type b\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(error("file \"a seq 1 type b\n"), "Invalid AOF manifest file format");
  EXPECT_EQ(error("file a/b seq 1 type b\n"), "File can't be a path, just a filename");
  EXPECT_EQ(error("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information");
  EXPECT_EQ(error("file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number");
  EXPECT_EQ(error("file a seq 1 type x\n"), "Unknown AOF file type");
  EXPECT_EQ(error("file a seq 1 type b"), "The AOF manifest file contains too long line");
  EXPECT_EQ(error("file " + std::string(2000, 'a') + " seq 1 type b\n"),
            "The AOF manifest file contains too long line");
}

TEST(AofCommandTest, EncodesAndParses) {
  const std::string c = Cmd({"SET", "k", std::string("v\r\n\0x", 5)});
  EXPECT_EQ(c, std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\n\0x\r\n", 31));
  std::vector<std::string> argv;
  std::string error;
  size_t consumed = 0;
  ASSERT_EQ(ParseAofItem(c + "*1", &argv, &consumed, &error), AofParseStatus::kCommand);
  EXPECT_EQ(consumed, c.size());
  EXPECT_EQ(argv, (std::vector<std::string>{"SET", "k", std::string("v\r\n\0x", 5)}));
  // Every proper prefix is incomplete, never a shorter command or an error.
  for (size_t cut = 0; cut < c.size(); ++cut) {
    EXPECT_EQ(ParseAofItem(c.substr(0, cut), &argv, &consumed, &error), AofParseStatus::kIncomplete)
        << cut;
  }
  std::string ts;
  AppendAofTimestamp(&ts, 1796508489);
  EXPECT_EQ(ts, "#TS:1796508489\r\n");
  ASSERT_EQ(ParseAofItem(ts + c, &argv, &consumed, &error), AofParseStatus::kAnnotation);
  EXPECT_EQ(consumed, ts.size());
}

TEST(AofCommandTest, RefusesWhatIsNotAnAof) {
  std::vector<std::string> argv;
  std::string error;
  size_t consumed = 0;
  for (const std::string& bad : std::vector<std::string>{
           "+OK\r\n", "*0\r\n", "*-1\r\n", "*x\r\n", "*1\r\n+3\r\n", "*1\r\n$-1\r\n",
           "*1\r\n$3\r\nabcd\r\n", "*1\r\n$99999999999\r\n", "*1\n", std::string(100, '*')}) {
    EXPECT_EQ(ParseAofItem(bad, &argv, &consumed, &error, 1 << 20), AofParseStatus::kError) << bad;
    EXPECT_NE(error.find("Bad file format"), std::string::npos);
  }
  // A claimed length with no bytes behind it waits; nothing is allocated for it.
  EXPECT_EQ(ParseAofItem("*2147483647\r\n$1\r\na\r\n", &argv, &consumed, &error),
            AofParseStatus::kIncomplete);
  EXPECT_EQ(argv.size(), 1u);
}

TEST_F(AofTest, ReadsFilesAndReportsTruncationAndOpenMulti) {
  const std::string whole = Cmd({"SELECT", "0"}) + Cmd({"SET", "a", "1"}) + "#TS:1\r\n" +
                            Cmd({"MULTI"}) + Cmd({"INCR", "c"}) + Cmd({"EXEC"});
  std::vector<std::vector<std::string>> seen;
  auto collect = [&seen](std::vector<std::string>& argv) {
    seen.push_back(argv);
    return Status::Ok();
  };
  WriteFile("whole.aof", whole);
  Result<AofReadResult> r = ReadAofCommands(Path("whole.aof"), collect);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->commands, 5u);
  EXPECT_FALSE(r->truncated);
  EXPECT_FALSE(r->open_multi);
  EXPECT_EQ(r->valid_up_to, whole.size());
  EXPECT_EQ(seen.size(), 5u);

  const std::string before_multi = Cmd({"SET", "a", "1"});
  const std::string open = before_multi + Cmd({"MULTI"}) + Cmd({"INCR", "c"});
  WriteFile("open.aof", open + "*2\r\n$4\r\nINCR");
  seen.clear();
  r = ReadAofCommands(Path("open.aof"), collect);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->truncated);
  EXPECT_TRUE(r->open_multi);
  EXPECT_EQ(r->valid_before_multi, before_multi.size());
  EXPECT_EQ(r->valid_up_to, open.size());

  // Reading starts after `skip` bytes (an RDB preamble).
  WriteFile("skip.aof", "PREAMBLE" + before_multi);
  seen.clear();
  r = ReadAofCommands(Path("skip.aof"), collect, 8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen, (std::vector<std::vector<std::string>>{{"SET", "a", "1"}}));

  WriteFile("bad.aof", before_multi + "garbage");
  r = ReadAofCommands(Path("bad.aof"), collect);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Bad file format"), std::string::npos);
  EXPECT_NE(r.status().message().find("at offset " + std::to_string(before_multi.size())),
            std::string::npos);
}

TEST_F(AofTest, BigFileIsReadInChunks) {
  std::string data;
  for (int i = 0; i < 20000; ++i)
    data += Cmd({"SET", "key:" + std::to_string(i), std::string(i % 300, 'v')});
  WriteFile("big.aof", data);
  uint64_t n = 0;
  Result<AofReadResult> r = ReadAofCommands(Path("big.aof"), [&n](std::vector<std::string>& a) {
    EXPECT_EQ(a[1], "key:" + std::to_string(n));
    ++n;
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(n, 20000u);
}

TEST_F(AofTest, AppenderAndDurableFiles) {
  AofFile f;
  ASSERT_TRUE(f.Open(Path("incr.aof"), true).ok());
  ASSERT_TRUE(f.Write("abc").ok());
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f.unsynced(), 3u);
  ASSERT_TRUE(f.Fdatasync().ok());
  EXPECT_EQ(f.unsynced(), 0u);
  ASSERT_TRUE(f.Write("de").ok());
  FsyncThread bio;
  EXPECT_TRUE(bio.Request(f.fd()));
  f.Close();  // the thread syncs its own descriptor
  bio.Drain();
  EXPECT_FALSE(bio.pending());
  EXPECT_EQ(bio.TakeError(), 0);
  EXPECT_EQ(ReadFile("incr.aof"), "abcde");
  ASSERT_TRUE(f.Open(Path("incr.aof"), false).ok());
  EXPECT_EQ(f.size(), 5u);
  ASSERT_TRUE(WriteFileDurably(dir_.string(), "m.manifest", "file x seq 1 type i\n").ok());
  EXPECT_EQ(ReadFile("m.manifest"), "file x seq 1 type i\n");
  EXPECT_FALSE(fs::exists(Path("temp-m.manifest")));
  EXPECT_EQ(AofBaseFileName("appendonly.aof", 3, true), "appendonly.aof.3.base.rdb");
  EXPECT_EQ(AofBaseFileName("appendonly.aof", 3, false), "appendonly.aof.3.base.aof");
  EXPECT_EQ(AofIncrFileName("appendonly.aof", 4), "appendonly.aof.4.incr.aof");
  EXPECT_EQ(AofManifestFileName("appendonly.aof"), "appendonly.aof.manifest");
  EXPECT_EQ(AofTempIncrFileName("appendonly.aof"), "temp-appendonly.aof.incr");
}

// The snapshot writing an AOF base as commands, as Redis's rewrite: every key once, under its
// database's SELECT, collections in commands of at most 64 items, PEXPIREAT for expiring keys.
// (Replaying the commands is checked against redis-server and Mnemo in test_aof.py.)
TEST_F(AofTest, SnapshotAsCommandsWritesEveryKeyOnce) {
  db::Keyspace ks(16);
  ks.set_now_ms(kNow);
  ks.UpdateLruClock(kNow);
  test::FillEveryEncoding(ks, 11, 2);
  std::map<std::string, bool> want;  // "db:key" -> expires
  for (int i = 0; i < ks.num_dbs(); ++i) {
    ks.db(i).keys().ForEach([&](db::Object* o) {
      want[std::to_string(i) + ":" + std::string(o->key())] = db::Db::ExpireOf(o) >= 0;
    });
  }
  SnapshotOptions o;
  o.redis_version = "7.0.15";
  o.commands = true;
  o.aof_base = true;
  o.timestamp = true;
  Result<std::unique_ptr<Snapshot>> snap = Snapshot::Start(Path("base.aof"), ks, o);
  ASSERT_TRUE(snap.ok()) << snap.status().message();
  while ((*snap)->Step(1000) != Snapshot::State::kDone) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE((*snap)->status().ok()) << (*snap)->status().message();
  snap->reset();
  ASSERT_FALSE(AofFileIsRdb(Path("base.aof")));
  EXPECT_EQ(ReadFile("base.aof").rfind("#TS:", 0), 0u);

  int db = -1;
  std::map<std::string, bool> got;
  Result<AofReadResult> r = ReadAofCommands(Path("base.aof"), [&](std::vector<std::string>& a) {
    const std::string& c = a[0];
    if (c == "SELECT") {
      db = std::stoi(a[1]);
      return Status::Ok();
    }
    EXPECT_GE(db, 0);
    const std::string id = std::to_string(db) + ":" + a[1];
    if (c == "PEXPIREAT") {
      EXPECT_EQ(a.size(), 3u);
      EXPECT_TRUE(got.count(id)) << id;
      got[id] = true;
    } else if (c == "SET") {
      EXPECT_EQ(a.size(), 3u);
      EXPECT_FALSE(got.count(id)) << id;
      got[id] = false;
    } else if (c == "RPUSH" || c == "SADD") {
      EXPECT_LE(a.size(), 2u + 64);
      got.emplace(id, false);
    } else if (c == "ZADD" || c == "HMSET") {
      EXPECT_LE(a.size(), 2u + 128);
      EXPECT_EQ(a.size() % 2, 0u);
      got.emplace(id, false);
    } else {
      EXPECT_EQ(c, "RESTORE");
      got.emplace(id, false);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace mnemo::persist

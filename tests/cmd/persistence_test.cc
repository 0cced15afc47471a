// persistence_test.cc: SAVE LASTSAVE DUMP RESTORE through the dispatcher (tests/cmd): replies and
// error texts as Redis 7.0.15 gives them, DUMP/RESTORE of every type and encoding, RESTORE's
// options (REPLACE, ABSTTL, IDLETIME, FREQ), its keyspace events and its propagation (the TTL as
// an absolute time), SAVE's file and its failure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/clock.h"
#include "mnemo/db/changes.h"

namespace mnemo::test {
namespace {

namespace fs = std::filesystem;

// 2100-01-01T00:00:00Z in milliseconds.
constexpr int64_t kFarFutureMs = 4102444800000;

// Records keyspace events and propagated commands.
struct Recorder : db::ChangeListener, db::PropagationSink {
  std::vector<std::string> events;
  std::vector<std::vector<std::string>> propagated;
  void OnKeyspaceEvent(uint32_t, std::string_view event, db::Db&, std::string_view key) override {
    events.push_back(std::string(event) + ":" + std::string(key));
  }
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override {
    for (const db::PropagatedCommand& c : unit) propagated.push_back(c.argv);
  }
};

class PersistenceTest : public CommandTest {
 protected:
  PersistenceTest() {
    db::Changes& ch = h_.keyspace().changes();
    ch.set_notify_classes(db::kNotifyKeyspace | db::kNotifyKeyevent | db::kNotifyAll |
                          db::kNotifyNew);
    ch.AddListener(&rec_);
    ch.AddSink(&rec_);
  }
  ~PersistenceTest() override {
    h_.keyspace().changes().RemoveListener(&rec_);
    h_.keyspace().changes().RemoveSink(&rec_);
  }
  std::string Dump(std::string_view key) { return Run({"DUMP", key}).str; }

  Recorder rec_;
};

TEST_F(PersistenceTest, DumpOfAMissingKeyIsNil) { EXPECT_EQ(Str({"DUMP", "nope"}), "(nil)"); }

TEST_F(PersistenceTest, DumpPayloadIsRedisBytes) {
  Run({"SET", "b", "hello"});
  // redis-server 7.0.15: SET b hello; DUMP b.
  EXPECT_EQ(Dump("b"), std::string("\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a", 17));
}

TEST_F(PersistenceTest, EveryTypeAndEncodingRoundTrips) {
  Run({"SET", "s:int", "12345"});
  Run({"SET", "s:embstr", "short string"});
  Run({"SET", "s:raw", std::string(500, 'r')});
  Run({"RPUSH", "l:listpack", "a", "b", "1"});
  Run({"SADD", "set:intset", "1", "2", "3"});
  Run({"SADD", "set:listpack", "a", "b"});
  Run({"ZADD", "z:listpack", "1", "a", "2.5", "b"});
  Run({"HSET", "h:listpack", "f", "v"});
  std::vector<std::string> big_list = {"RPUSH", "l:quicklist"};
  std::vector<std::string> big_set = {"SADD", "set:hashtable"};
  std::vector<std::string> big_zset = {"ZADD", "z:skiplist"};
  std::vector<std::string> big_hash = {"HSET", "h:hashtable"};
  for (int i = 0; i < 1000; ++i) {
    big_list.push_back("element-" + std::to_string(i));
    big_set.push_back("member-" + std::to_string(i));
    big_zset.push_back(std::to_string(i * 0.5));
    big_zset.push_back("member-" + std::to_string(i));
    big_hash.push_back("field-" + std::to_string(i));
    big_hash.push_back("value-" + std::to_string(i));
  }
  Run(big_list);
  Run(big_set);
  Run(big_zset);
  Run(big_hash);
  struct Case {
    std::string key;
    std::string encoding;
    std::vector<std::string> read;  // the command that shows the value, with "K" for the key
  };
  const std::vector<Case> cases = {
      {"s:int", "int", {"GET", "K"}},
      {"s:embstr", "embstr", {"GET", "K"}},
      {"s:raw", "raw", {"GET", "K"}},
      {"l:listpack", "listpack", {"LRANGE", "K", "0", "-1"}},
      {"l:quicklist", "quicklist", {"LRANGE", "K", "0", "-1"}},
      {"set:intset", "intset", {"SMEMBERS", "K"}},
      {"set:listpack", "listpack", {"SMEMBERS", "K"}},
      {"set:hashtable", "hashtable", {"SINTER", "K"}},
      {"z:listpack", "listpack", {"ZRANGE", "K", "0", "-1", "WITHSCORES"}},
      {"z:skiplist", "skiplist", {"ZRANGE", "K", "0", "-1", "WITHSCORES"}},
      {"h:listpack", "listpack", {"HGETALL", "K"}},
      {"h:hashtable", "hashtable", {"HGETALL", "K"}},
  };
  for (const Case& c : cases) {
    const std::string payload = Dump(c.key);
    const std::string copy = c.key + ":copy";
    EXPECT_EQ(Str({"RESTORE", copy, "0", payload}), "OK") << c.key;
    EXPECT_EQ(Str({"OBJECT", "ENCODING", copy}), c.encoding) << c.key;
    auto read = [&](const std::string& key) {
      std::vector<std::string> argv = c.read;
      for (std::string& a : argv) {
        if (a == "K") a = key;
      }
      RespValue r = Run(argv);
      if (r.IsArray() && c.read[0][0] == 'S') {  // sets: any order
        std::sort(r.elements.begin(), r.elements.end(),
                  [](const RespValue& a, const RespValue& b) { return a.str < b.str; });
      }
      if (c.key == "h:hashtable") {  // hashtable hashes: pairs in any order
        std::vector<std::string> pairs;
        for (size_t i = 0; i + 1 < r.size(); i += 2) pairs.push_back(r[i].str + "=" + r[i + 1].str);
        std::sort(pairs.begin(), pairs.end());
        std::string s;
        for (const std::string& p : pairs) s += p + ",";
        return s;
      }
      return r.ToString();
    };
    EXPECT_EQ(read(copy), read(c.key)) << c.key;
    // Compact encodings dump to the same bytes (a hash table's order depends on its history).
    if (c.encoding != "hashtable") {
      EXPECT_EQ(Dump(copy), payload) << c.key;
    }
  }
}

TEST_F(PersistenceTest, RestoreErrors) {
  Run({"SET", "k", "v"});
  const std::string payload = Dump("k");
  EXPECT_EQ(Str({"RESTORE", "k", "0", payload}), "(error) BUSYKEY Target key name already exists.");
  EXPECT_EQ(Str({"RESTORE", "n", "-1", payload}), "(error) ERR Invalid TTL value, must be >= 0");
  EXPECT_EQ(Str({"RESTORE", "n", "x", payload}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"RESTORE", "n", "0", "garbage"}),
            "(error) ERR DUMP payload version or checksum are wrong");
  std::string bad_crc = payload;
  bad_crc[bad_crc.size() - 1] ^= 1;
  EXPECT_EQ(Str({"RESTORE", "n", "0", bad_crc}),
            "(error) ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "IDLETIME", "-1"}),
            "(error) ERR Invalid IDLETIME value, must be >= 0");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "FREQ", "256"}),
            "(error) ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "FREQ", "-1"}),
            "(error) ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "FREQ", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "IDLETIME", "1", "FREQ", "1"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "FREQ", "1", "IDLETIME", "1"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "IDLETIME"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"RESTORE", "n", "0", payload, "BOGUS"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"RESTORE", "n"}), "(error) ERR wrong number of arguments for 'restore' command");
  EXPECT_EQ(Str({"EXISTS", "n"}), "0");
}

TEST_F(PersistenceTest, BadDataFormat) {
  // Payloads whose footer is right (version 10, the CRC-64 of the rest, computed here bit by bit
  // as persist/dump.h describes it) but whose value is not.
  Run({"HSET", "h", "field", "value", "f2", "v2"});
  const std::string payload = Dump("h");
  auto crc64 = [](const std::string& s) {
    uint64_t crc = 0;
    for (unsigned char c : s) {
      crc ^= c;
      for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
  };
  auto with_footer = [&](std::string body) {
    body += std::string("\x0a\x00", 2);
    const uint64_t crc = crc64(body);
    body.append(reinterpret_cast<const char*>(&crc), 8);
    return body;
  };
  const std::string body = payload.substr(0, payload.size() - 10);
  ASSERT_EQ(with_footer(body), payload);  // the footer recipe is DUMP's
  EXPECT_EQ(Str({"RESTORE", "n", "0", with_footer(body.substr(0, body.size() - 1))}),
            "(error) ERR Bad data format");
  EXPECT_EQ(Str({"RESTORE", "n", "0", with_footer(body + "x")}), "(error) ERR Bad data format");
  EXPECT_EQ(Str({"RESTORE", "n", "0", with_footer("\x64")}), "(error) ERR Bad data format");
  // A hash listpack with a field twice.
  Run({"HSET", "h2", "aa", "1", "ab", "2"});
  std::string dup = Dump("h2");
  dup = dup.substr(0, dup.size() - 10);
  dup.replace(dup.find("ab"), 2, "aa");
  EXPECT_EQ(Str({"RESTORE", "n", "0", with_footer(dup)}), "(error) ERR Bad data format");
  EXPECT_EQ(Str({"EXISTS", "n"}), "0");
}

TEST_F(PersistenceTest, ReplaceTtlAbsttlAndPropagation) {
  Run({"SET", "k", "old"});
  Run({"SET", "src", "new"});
  const std::string payload = Dump("src");
  rec_.events.clear();
  rec_.propagated.clear();
  EXPECT_EQ(Str({"RESTORE", "k", "0", payload, "REPLACE"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "new");
  EXPECT_EQ(Str({"TTL", "k"}), "-1");
  EXPECT_EQ(rec_.events, (std::vector<std::string>{"new:k", "restore:k"}));
  ASSERT_EQ(rec_.propagated.size(), 1u);
  EXPECT_EQ(rec_.propagated[0][0], "RESTORE");
  EXPECT_EQ(rec_.propagated[0][2], "0");

  // A relative TTL is propagated as an absolute one, with ABSTTL appended.
  rec_.propagated.clear();
  const int64_t before = UnixTimeMs();
  EXPECT_EQ(Str({"RESTORE", "t", "100000", payload}), "OK");
  const int64_t pttl = Run({"PTTL", "t"}).integer;
  EXPECT_GT(pttl, 99000);
  EXPECT_LE(pttl, 100000);
  ASSERT_EQ(rec_.propagated.size(), 1u);
  const std::vector<std::string>& p = rec_.propagated[0];
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[4], "ABSTTL");
  EXPECT_GE(std::stoll(p[2]), before + 100000);
  EXPECT_LE(std::stoll(p[2]), UnixTimeMs() + 100000);

  // ABSTTL in the future: stored as given, propagated as given.
  rec_.propagated.clear();
  EXPECT_EQ(Str({"RESTORE", "a", std::to_string(kFarFutureMs), payload, "ABSTTL"}), "OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}).integer, kFarFutureMs);
  ASSERT_EQ(rec_.propagated.size(), 1u);
  EXPECT_EQ(rec_.propagated[0][2], std::to_string(kFarFutureMs));

  // ABSTTL in the past: OK, nothing stored; with REPLACE the old key is deleted ("del").
  rec_.events.clear();
  rec_.propagated.clear();
  EXPECT_EQ(Str({"RESTORE", "gone", "1", payload, "ABSTTL"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "gone"}), "0");
  EXPECT_TRUE(rec_.events.empty());
  EXPECT_TRUE(rec_.propagated.empty());
  EXPECT_EQ(Str({"RESTORE", "k", "1", payload, "ABSTTL", "REPLACE"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(rec_.events, (std::vector<std::string>{"del:k"}));
  ASSERT_EQ(rec_.propagated.size(), 1u);
  EXPECT_EQ(rec_.propagated[0], (std::vector<std::string>{"DEL", "k"}));
}

TEST_F(PersistenceTest, IdletimeAndFreqAreRestored) {
  Run({"SET", "src", "v"});
  const std::string payload = Dump("src");
  EXPECT_EQ(Str({"RESTORE", "idle", "0", payload, "IDLETIME", "1000"}), "OK");
  const int64_t idle = Run({"OBJECT", "IDLETIME", "idle"}).integer;
  EXPECT_GE(idle, 999);
  EXPECT_LE(idle, 1001);
  Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"});
  EXPECT_EQ(Str({"RESTORE", "hot", "0", payload, "FREQ", "200"}), "OK");
  EXPECT_EQ(Str({"OBJECT", "FREQ", "hot"}), "200");
}

class SaveTest : public ::testing::Test {
 protected:
  SaveTest()
      : dir_(fs::temp_directory_path() / ("mnemo_cmd_save_" + std::to_string(::getpid()))),
        h_(Prepare(dir_)) {}
  ~SaveTest() override { fs::remove_all(dir_); }
  static std::string Prepare(const fs::path& dir) {
    fs::create_directories(dir);
    return "dir " + dir.string() + "\n";
  }
  fs::path dir_;
  CommandHarness h_;
};

TEST_F(SaveTest, SaveWritesTheFileAndUpdatesStats) {
  h_.Run({"SET", "k", "v"});
  EXPECT_EQ(h_.Run({"INFO", "persistence"}).str.find("rdb_changes_since_last_save:1") !=
                std::string::npos,
            true);
  const int64_t before = UnixTimeMs() / 1000;
  EXPECT_EQ(h_.Run({"SAVE"}).ToString(), "OK");
  EXPECT_TRUE(fs::exists(dir_ / "dump.rdb"));
  EXPECT_GE(h_.Run({"LASTSAVE"}).integer, before);
  const std::string info = h_.Run({"INFO", "persistence"}).str;
  EXPECT_NE(info.find("rdb_changes_since_last_save:0"), std::string::npos) << info;
  EXPECT_NE(info.find("rdb_saves:1"), std::string::npos) << info;
  EXPECT_NE(info.find("rdb_last_bgsave_status:ok"), std::string::npos) << info;
  EXPECT_EQ(h_.Run({"MULTI"}).ToString(), "OK");
  EXPECT_EQ(h_.Run({"SAVE"}).ToString(), "(error) ERR Command not allowed inside a transaction");
  h_.Run({"DISCARD"});
}

TEST_F(SaveTest, FailedSaveRepliesErr) {
  EXPECT_EQ(h_.Run({"CONFIG", "SET", "dbfilename", "a/b"}).ToString(),
            "(error) ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
            "dbfilename can't be a path, just a filename");
  // The directory goes away under the server: the temp file cannot be created.
  fs::remove_all(dir_);
  const int64_t lastsave = h_.Run({"LASTSAVE"}).integer;
  EXPECT_EQ(h_.Run({"SAVE"}).ToString(), "(error) ERR");
  EXPECT_EQ(h_.Run({"LASTSAVE"}).integer, lastsave);
  // As Redis 7.0 (checked side by side with 7.0.15): the attempt counts, the status stays ok;
  // only a failed background save sets it to err.
  const std::string info = h_.Run({"INFO", "persistence"}).str;
  EXPECT_NE(info.find("rdb_last_bgsave_status:ok"), std::string::npos) << info;
  EXPECT_NE(info.find("rdb_saves:1"), std::string::npos) << info;
  EXPECT_EQ(h_.Run({"BGSAVE"}).ToString(), "Background saving started");
  const std::string after = h_.Run({"INFO", "persistence"}).str;
  EXPECT_NE(after.find("rdb_last_bgsave_status:err"), std::string::npos) << after;
  EXPECT_NE(after.find("rdb_saves:2"), std::string::npos) << after;
}

}  // namespace
}  // namespace mnemo::test

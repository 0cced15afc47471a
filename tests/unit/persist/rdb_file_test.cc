// rdb_file_test.cc: persist::SaveRdbFile and LoadRdbFile: atomic replacement (no temp file left,
// the old file intact when a save fails), keys already expired skipped and counted, LRU/LFU data
// carried, file-level errors (duplicate keys, databases out of range) (tests/unit/persist).
#include "mnemo/persist/rdb_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dataset.h"
#include "legacy_builder.h"
#include "mnemo/base/clock.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"
#include "mnemo/persist/rdb_format.h"

namespace mnemo::persist {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;
namespace fs = std::filesystem;

class RdbFileTest : public ::testing::Test {
 protected:
  RdbFileTest() {
    dir_ = fs::temp_directory_path() /
           ("mnemo_rdb_file_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  ~RdbFileTest() override { fs::remove_all(dir_); }

  static std::unique_ptr<db::Keyspace> NewKeyspace() {
    auto ks = std::make_unique<db::Keyspace>(16);
    ks->set_now_ms(kNow);
    ks->UpdateLruClock(kNow);
    return ks;
  }
  static SaveOptions Options() {
    SaveOptions o;
    o.redis_version = "7.0.15";
    o.mnemo_version = "test";
    return o;
  }
  Result<LoadStats> LoadFile(db::Keyspace& ks, bool* found) {
    LoadOptions lo;
    lo.now_ms = kNow;
    return LoadRdbFile(path(), ks, lo, found);
  }
  std::string path() const { return (dir_ / "dump.rdb").string(); }
  std::string Read() const {
    std::ifstream in(path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void Write(const std::string& bytes) { std::ofstream(path(), std::ios::binary) << bytes; }

  fs::path dir_;
};

TEST_F(RdbFileTest, SaveThenLoad) {
  auto src = NewKeyspace();
  test::FillEveryEncoding(*src, 1, 2);
  Result<SaveStats> saved = SaveRdbFile(path(), *src, Options());
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  EXPECT_EQ(saved->keys, src->TotalKeys());
  EXPECT_EQ(saved->bytes, fs::file_size(path()));
  // Only the file itself: the temp file was renamed.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
  auto dst = NewKeyspace();
  bool found = false;
  Result<LoadStats> loaded = LoadFile(*dst, &found);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(found);
  EXPECT_EQ(loaded->keys_loaded, src->TotalKeys());
  EXPECT_EQ(loaded->bytes, saved->bytes);
  EXPECT_EQ(test::DescribeAll(*dst, false), test::DescribeAll(*src, false));
}

TEST_F(RdbFileTest, MissingFileIsNotAnError) {
  auto ks = NewKeyspace();
  bool found = true;
  Result<LoadStats> r = LoadFile(*ks, &found);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(found);
}

TEST_F(RdbFileTest, FailedSaveLeavesThePreviousFile) {
  auto ks = NewKeyspace();
  ks->db(0).Add(db::NewStringObject(*ks, 0, "k", "first", -1));
  ASSERT_TRUE(SaveRdbFile(path(), *ks, Options()).ok());
  const std::string first = Read();
  // The temp file cannot be created: a directory has its name.
  fs::create_directory(dir_ / ("temp-" + std::to_string(::getpid()) + ".rdb"));
  ks->db(0).Add(db::NewStringObject(*ks, 0, "k2", "second", -1));
  Result<SaveStats> r = SaveRdbFile(path(), *ks, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Failed opening the temp RDB file"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Read(), first);
}

TEST_F(RdbFileTest, ExpiredKeysAreSkippedAndCounted) {
  auto ks = NewKeyspace();
  db::Db& d = ks->db(0);
  d.Add(db::NewStringObject(*ks, 0, "past", "v", kNow - 1));
  d.Add(db::NewStringObject(*ks, 0, "future", "v", kNow + 60'000));
  d.Add(db::NewStringObject(*ks, 0, "forever", "v", -1));
  ASSERT_TRUE(SaveRdbFile(path(), *ks, Options()).ok());
  auto dst = NewKeyspace();
  bool found;
  Result<LoadStats> r = LoadFile(*dst, &found);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->keys_loaded, 2u);
  EXPECT_EQ(r->keys_expired, 1u);
  EXPECT_EQ(dst->db(0).keys().Find("past"), nullptr);
  EXPECT_EQ(db::Db::ExpireOf(dst->db(0).keys().Find("future")), kNow + 60'000);
}

TEST_F(RdbFileTest, LruIdleAndLfuCounterAreCarried) {
  for (const db::EvictionPolicy policy :
       {db::EvictionPolicy::kAllkeysLru, db::EvictionPolicy::kAllkeysLfu}) {
    auto ks = NewKeyspace();
    ks->options().maxmemory_policy = policy;
    db::Object* o = db::NewStringObject(*ks, 0, "k", "v", -1);
    ks->db(0).Add(o);
    if (db::IsLru(policy)) {
      o->set_lru((ks->lru_clock() - 4 * 100) & db::kLruMax);  // 100 s idle at 250 ms per tick
    } else {
      o->set_lru((db::LfuMinutes(UnixTimeMs()) << 8) | 77);
    }
    ASSERT_TRUE(SaveRdbFile(path(), *ks, Options()).ok());
    auto dst = NewKeyspace();
    dst->options().maxmemory_policy = policy;
    bool found;
    ASSERT_TRUE(LoadFile(*dst, &found).ok());
    const db::Object* back = dst->db(0).keys().Find("k");
    if (db::IsLru(policy)) {
      EXPECT_EQ(db::EstimateIdleMs(back->lru(), dst->lru_clock()) / 1000, 100);
    } else {
      EXPECT_EQ(back->lru() & 0xFF, 77u);
    }
  }
}

// A file by hand: header, SELECTDB, the records, EOF and a zero checksum.
std::string HandFile(const std::string& records, int version = 10) {
  std::string f = "REDIS" + std::string(version < 10 ? "000" : "00") + std::to_string(version);
  return f + records + "\xff" + std::string(8, '\0');
}

TEST_F(RdbFileTest, FileLevelErrorsHaveOffsets) {
  auto expect_error = [&](const std::string& bytes, std::string_view what) {
    Write(bytes);
    auto ks = NewKeyspace();
    bool found;
    Result<LoadStats> r = LoadFile(*ks, &found);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(" at offset "), std::string::npos) << r.status().message();
  };
  const std::string key = std::string(1, rdb::kTypeString) + test::RdbStr("k") + test::RdbStr("v");
  const std::string db0("\xfe\x00", 2);
  expect_error(HandFile(db0 + key + key), "duplicated key 'k' in DB 0");
  expect_error(HandFile("\xfe\x20" + key), "database 32 out of range");
  expect_error("REDIS0011" + std::string(10, '\0'), "can't handle RDB format version 0011");
  expect_error("NOTREDIS0010", "wrong signature");
  expect_error(HandFile("\xf5" + key), "function libraries are not supported");
  // Old versions load (an RDB 6 file with a seconds expiry far in the future).
  Write(HandFile(db0 + std::string("\xfd\xff\xff\xff\x7f") + key, 6));
  auto ks = NewKeyspace();
  bool found;
  Result<LoadStats> r = LoadFile(*ks, &found);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(db::Db::ExpireOf(ks->db(0).keys().Find("k")), int64_t{0x7fffffff} * 1000);
}

}  // namespace
}  // namespace mnemo::persist

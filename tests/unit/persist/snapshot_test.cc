// snapshot_test.cc: persist::Snapshot, the fork-less BGSAVE: under a seeded random stream of
// changes made between its steps (in-place writes, overwrites, deletions, new keys, expiries,
// MOVE, SWAPDB, FLUSHDB), the file holds exactly the keyspace as it was at Start; aborts and
// write errors leave no file and no stale marks (tests/unit/persist).
#include "mnemo/persist/snapshot.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/persist/rdb_file.h"

namespace mnemo::persist {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;
namespace fs = std::filesystem;

class SnapshotTest : public ::testing::Test {
 protected:
  SnapshotTest() {
    dir_ = fs::temp_directory_path() /
           ("mnemo_snapshot_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ks_ = NewKeyspace();
  }
  ~SnapshotTest() override {
    snap_.reset();  // before the keyspace
    ks_.reset();
    fs::remove_all(dir_);
  }

  static std::unique_ptr<db::Keyspace> NewKeyspace() {
    auto ks = std::make_unique<db::Keyspace>(16);
    ks->set_now_ms(kNow);
    ks->UpdateLruClock(kNow);
    return ks;
  }
  std::string path() const { return (dir_ / "dump.rdb").string(); }

  // A keyspace with every encoding (databases 0 and 3) and plain keys in databases 0, 1 and 5.
  void Fill(uint64_t seed) {
    test::FillEveryEncoding(*ks_, seed, 2);
    for (int i = 0; i < 3000; ++i) {
      const int d = i % 3 == 0 ? 0 : (i % 3 == 1 ? 1 : 5);
      const std::string key = "plain:" + std::to_string(i);
      const int64_t expire = i % 7 == 0 ? kNow + 3'600'000 + i : -1;
      ks_->db(d).Add(db::NewStringObject(*ks_, 0, key, "value-" + std::to_string(i * 31), expire));
      if (i % 10 == 0) {
        db::Object* h = db::NewHashObject(*ks_, "hash:" + std::to_string(i));
        db::HashSet(*ks_, h, "a", "1");
        db::HashSet(*ks_, h, "b", std::to_string(i));
        ks_->db(d).Add(h);
      }
      if (i % 15 == 0) {
        db::Object* l = db::NewListObject(*ks_, "list:" + std::to_string(i));
        db::ListPush(l, ks_->options(), "x" + std::to_string(i), db::ListEnd::kTail);
        ks_->db(d).Add(l);
      }
    }
  }

  SnapshotOptions Options() const {
    SnapshotOptions o;
    o.redis_version = "7.0.15";
    return o;
  }

  // Steps the snapshot to its end, calling `between` before every step.
  template <typename F>
  Snapshot::State RunToEnd(F&& between) {
    for (int guard = 0; guard < 10'000'000; ++guard) {
      between();
      const Snapshot::State st = snap_->Step(0);
      if (st == Snapshot::State::kDone) return st;
      if (st == Snapshot::State::kCommitting || snap_->throttled()) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    ADD_FAILURE() << "the snapshot never ended";
    return snap_->state();
  }

  std::map<std::string, std::string> LoadedFile() {
    auto loaded = NewKeyspace();
    LoadOptions lo;
    lo.now_ms = kNow;
    bool found = false;
    Result<LoadStats> r = LoadRdbFile(path(), *loaded, lo, &found);
    EXPECT_TRUE(found);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return test::DescribeAll(*loaded, false);
  }

  bool TempFilesLeft() const {
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().rfind("temp-", 0) == 0) return true;
    }
    return false;
  }

  // Every object's mark equals the epoch (no snapshot in progress leaves it otherwise).
  bool AllMarksClean() {
    bool clean = true;
    for (int i = 0; i < ks_->num_dbs(); ++i) {
      ks_->db(i).keys().ForEach([&](db::Object* o) {
        if (o->snapshot_mark() != ks_->changes().snapshot_epoch()) clean = false;
      });
    }
    return clean;
  }

  fs::path dir_;
  std::unique_ptr<db::Keyspace> ks_;
  std::unique_ptr<Snapshot> snap_;
};

// A random change of the kinds commands make, through the Db API they use.
class Mutator {
 public:
  Mutator(db::Keyspace& ks, uint64_t seed, std::vector<std::pair<int, std::string>> keys)
      : ks_(ks), rng_(seed), keys_(std::move(keys)) {}

  void Once() {
    const auto& [d, key] = keys_[rng_() % keys_.size()];
    db::Db& db = ks_.db(d);
    switch (rng_() % 14) {
      case 0:
      case 1: {  // overwrite (SET)
        const std::string v = "new-" + std::to_string(rng_());
        db::Object* o = db.LookupWrite(key);
        db::Object* n = db::NewStringObject(ks_, 0, key, v, -1);
        if (o != nullptr) {
          db.Overwrite(o, n);
        } else {
          db.Add(n);
        }
        break;
      }
      case 2:
      case 3: {  // in place (HSET, RPUSH)
        db::Object* o = db.LookupWrite(key);
        if (o == nullptr) break;
        if (o->type() == db::ObjType::kHash) {
          db::HashSet(ks_, o, "f" + std::to_string(rng_() % 5), std::to_string(rng_()));
        } else if (o->type() == db::ObjType::kList) {
          db::ListPush(o, ks_.options(), std::to_string(rng_()), db::ListEnd::kHead);
        } else if (o->type() == db::ObjType::kString) {
          db.Overwrite(o, db::NewIntStringObject(ks_, key, static_cast<int64_t>(rng_() % 100), -1));
        }
        break;
      }
      case 4:
      case 5:  // DEL / UNLINK
        db.Delete(key, rng_() % 2 == 0);
        break;
      case 6: {  // a key created during the save
        const std::string k = "created:" + std::to_string(created_++);
        if (db.LookupWrite(k) == nullptr) db.Add(db::NewStringObject(ks_, 0, k, "fresh", -1));
        break;
      }
      case 7: {  // EXPIRE / PERSIST
        db::Object* o = db.LookupWrite(key);
        if (o == nullptr) break;
        if (rng_() % 2 == 0) {
          db.SetExpire(o, kNow + 1'000'000 + static_cast<int64_t>(rng_() % 1000));
        } else {
          db.RemoveExpire(o);
        }
        break;
      }
      case 8: {  // MOVE
        const int to = static_cast<int>(rng_() % 6);
        db::Object* o = db.LookupWrite(key);
        if (o == nullptr || to == d || ks_.db(to).LookupWrite(key) != nullptr) break;
        ks_.db(to).Add(db.Detach(o));
        break;
      }
      case 9: {  // RENAME: a new block under the new name, the old one detached
        db::Object* o = db.LookupWrite(key);
        if (o == nullptr || o->type() != db::ObjType::kString) break;
        const std::string to = "renamed:" + std::to_string(created_++);
        db.Add(db::NewStringObject(ks_, 0, to, "moved", -1));
        db.Dispose(db.Detach(o), false);
        break;
      }
      case 10:
        if (rng_() % 40 == 0)
          ks_.SwapDbs(static_cast<int>(rng_() % 6), static_cast<int>(rng_() % 6));
        break;
      case 11:
        if (rng_() % 200 == 0) ks_.FlushDb(static_cast<int>(rng_() % 6), rng_() % 2 == 0);
        break;
      default:  // reads change nothing
        (void)db.LookupRead(key);
        break;
    }
  }

 private:
  db::Keyspace& ks_;
  std::mt19937_64 rng_;
  std::vector<std::pair<int, std::string>> keys_;
  uint64_t created_ = 0;
};

std::vector<std::pair<int, std::string>> KeysOf(db::Keyspace& ks) {
  std::vector<std::pair<int, std::string>> out;
  for (int i = 0; i < ks.num_dbs(); ++i) {
    ks.db(i).keys().ForEach([&](db::Object* o) { out.emplace_back(i, std::string(o->key())); });
  }
  return out;
}

TEST_F(SnapshotTest, QuietKeyspaceIsSavedWhole) {
  Fill(1);
  const auto expected = test::DescribeAll(*ks_, false);
  auto s = Snapshot::Start(path(), *ks_, Options());
  ASSERT_TRUE(s.ok()) << s.status().message();
  snap_ = std::move(*s);
  EXPECT_EQ(ks_->changes().write_guard(), snap_.get());
  ASSERT_EQ(RunToEnd([] {}), Snapshot::State::kDone);
  ASSERT_TRUE(snap_->status().ok()) << snap_->status().message();
  EXPECT_EQ(ks_->changes().write_guard(), nullptr);
  const SnapshotProgress p = snap_->progress();
  EXPECT_EQ(p.keys_total, ks_->TotalKeys());
  EXPECT_EQ(p.keys_written, p.keys_total);
  EXPECT_EQ(p.cow_keys, 0u);
  EXPECT_EQ(LoadedFile(), expected);
  EXPECT_FALSE(TempFilesLeft());
  EXPECT_TRUE(AllMarksClean());
}

// The point of it all: whatever happens between the steps, the file is the keyspace at Start.
TEST_F(SnapshotTest, FileHoldsTheKeyspaceAsItWasAtStartWhateverChangesDuringTheSave) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    ks_ = NewKeyspace();
    Fill(seed);
    const auto expected = test::DescribeAll(*ks_, false);
    Mutator m(*ks_, seed * 7919, KeysOf(*ks_));
    // A second snapshot after the first must start from clean marks: run two in a row, each
    // checked against the keyspace at its own start.
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE(round);
      const auto at_start = round == 0 ? expected : test::DescribeAll(*ks_, false);
      auto s = Snapshot::Start(path(), *ks_, Options());
      ASSERT_TRUE(s.ok()) << s.status().message();
      snap_ = std::move(*s);
      const int per_step = static_cast<int>(1 + seed % 4);
      ASSERT_EQ(RunToEnd([&] {
                  for (int i = 0; i < per_step; ++i) m.Once();
                }),
                Snapshot::State::kDone);
      ASSERT_TRUE(snap_->status().ok()) << snap_->status().message();
      EXPECT_GT(snap_->progress().cow_keys, 0u);  // the stream did reach keys before the walk
      EXPECT_EQ(LoadedFile(), at_start);
      EXPECT_TRUE(AllMarksClean());
      snap_.reset();
    }
  }
}

TEST_F(SnapshotTest, FlushAllDuringTheSaveWritesWhatWasThere) {
  Fill(3);
  const auto expected = test::DescribeAll(*ks_, false);
  auto s = Snapshot::Start(path(), *ks_, Options());
  ASSERT_TRUE(s.ok());
  snap_ = std::move(*s);
  (void)snap_->Step(0);
  ks_->FlushAll(true);
  ks_->db(0).Add(db::NewStringObject(*ks_, 0, "after", "flush", -1));
  ASSERT_EQ(RunToEnd([] {}), Snapshot::State::kDone);
  ASSERT_TRUE(snap_->status().ok());
  EXPECT_EQ(LoadedFile(), expected);
}

TEST_F(SnapshotTest, AbortRemovesTheFileAndLeavesCleanMarks) {
  Fill(4);
  auto s = Snapshot::Start(path(), *ks_, Options());
  ASSERT_TRUE(s.ok());
  snap_ = std::move(*s);
  for (int i = 0; i < 5; ++i) (void)snap_->Step(0);
  EXPECT_GT(snap_->progress().keys_written, 0u);
  EXPECT_LT(snap_->progress().keys_written, snap_->progress().keys_total);
  snap_->Abort();
  EXPECT_EQ(snap_->state(), Snapshot::State::kDone);
  EXPECT_FALSE(snap_->status().ok());
  EXPECT_EQ(ks_->changes().write_guard(), nullptr);
  EXPECT_TRUE(AllMarksClean());
  EXPECT_FALSE(TempFilesLeft());
  EXPECT_FALSE(fs::exists(path()));
  snap_.reset();
  // The next one is whole.
  const auto expected = test::DescribeAll(*ks_, false);
  auto again = Snapshot::Start(path(), *ks_, Options());
  ASSERT_TRUE(again.ok());
  snap_ = std::move(*again);
  ASSERT_EQ(RunToEnd([] {}), Snapshot::State::kDone);
  ASSERT_TRUE(snap_->status().ok());
  EXPECT_EQ(LoadedFile(), expected);
}

TEST_F(SnapshotTest, WriteErrorFailsTheSaveKeepsTheOldFileAndCleanMarks) {
  Fill(5);
  {
    std::ofstream old(path(), std::ios::binary);
    old << "previous";
  }
  // Writes past 64 KB fail with EFBIG (SIGXFSZ ignored), as on a full disk.
  struct sigaction ign {
  }, old_action{};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ign, &old_action), 0);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto s = Snapshot::Start(path(), *ks_, Options());
  ASSERT_TRUE(s.ok());
  snap_ = std::move(*s);
  const Snapshot::State st = RunToEnd([] {});
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::sigaction(SIGXFSZ, &old_action, nullptr);
  ASSERT_EQ(st, Snapshot::State::kDone);
  EXPECT_FALSE(snap_->status().ok());
  EXPECT_NE(snap_->status().message().find("Write error"), std::string::npos)
      << snap_->status().message();
  EXPECT_EQ(ks_->changes().write_guard(), nullptr);
  EXPECT_TRUE(AllMarksClean());
  EXPECT_FALSE(TempFilesLeft());
  std::ifstream in(path(), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "previous");
}

TEST_F(SnapshotTest, BufferStaysWithinItsLimitsWhenTheDiskIsSlowerThanTheWalk) {
  Fill(6);
  for (int i = 0; i < 20000; ++i) {
    ks_->db(2).Add(
        db::NewStringObject(*ks_, 0, "big:" + std::to_string(i), std::string(700, 'a' + i % 26), -1));
  }
  SnapshotOptions o = Options();
  o.compression = false;
  o.file.soft_limit = 256 * 1024;
  o.file.hard_limit = 1024 * 1024;
  auto s = Snapshot::Start(path(), *ks_, o);
  ASSERT_TRUE(s.ok());
  snap_ = std::move(*s);
  Mutator m(*ks_, 99, KeysOf(*ks_));
  ASSERT_EQ(RunToEnd([&] { m.Once(); }), Snapshot::State::kDone);
  ASSERT_TRUE(snap_->status().ok());
  // Soft limit, plus one RdbWriter flush (256 KB) and one key, never past the hard limit by
  // more than one flush.
  EXPECT_LE(snap_->progress().buffer_peak, o.file.hard_limit + 256 * 1024);
  EXPECT_GT(snap_->progress().bytes, 13u * 1024 * 1024);
}

}  // namespace
}  // namespace mnemo::persist

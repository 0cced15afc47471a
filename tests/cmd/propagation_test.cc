// propagation_test.cc: the propagation stream of the keyspace-change seam reproduces the dataset
// (tests/cmd).
//
// A seeded random workload over every type, with expiries that happen during the run, evictions
// (a small maxmemory), transactions, database switches, SWAPDB, MOVE, COPY and the commands whose
// effect differs from their arguments (SPOP, SRANDMEMBER-free random picks are left out as they
// write nothing; INCRBYFLOAT, SET ... EX, EXPIRE, GETEX, LMPOP, BLPOP served at once, ...), and
// EVAL/FCALL scripts (whose effects leave as the commands they ran, wrapped in MULTI/EXEC) run on
// server A while a sink records what A propagates. Replaying the recording into an empty server B
// must give the same dataset, compared key by key: type, value and expiry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "command_harness.h"
#include "mnemo/db/changes.h"

namespace mnemo::test {
namespace {

class Recorder : public db::PropagationSink {
 public:
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override {
    ++units;
    for (const db::PropagatedCommand& c : unit) commands.push_back(c);
  }
  uint8_t targets() const override { return targets_; }
  std::vector<db::PropagatedCommand> commands;
  size_t units = 0;
  uint8_t targets_ = db::kPropagateAll;
};

// A recorder that keeps the stream in a temporary file: the workload runs under maxmemory in
// this process, where every operator new counts in used_memory, so an in-memory recording
// would itself push the server to evict. stdio's buffers come from malloc, which is not counted.
class FileRecorder : public db::PropagationSink {
 public:
  FileRecorder() : file_(std::tmpfile()) {}
  ~FileRecorder() override { std::fclose(file_); }
  void OnPropagate(std::span<const db::PropagatedCommand> unit) override {
    for (const db::PropagatedCommand& c : unit) {
      const int32_t head[2] = {c.db, static_cast<int32_t>(c.argv.size())};
      std::fwrite(head, sizeof(head), 1, file_);
      for (const std::string& a : c.argv) {
        const uint32_t n = static_cast<uint32_t>(a.size());
        std::fwrite(&n, sizeof(n), 1, file_);
        std::fwrite(a.data(), 1, n, file_);
      }
    }
  }
  // Reads the recording back (after the workload).
  std::vector<db::PropagatedCommand> Commands() {
    std::vector<db::PropagatedCommand> out;
    std::rewind(file_);
    int32_t head[2];
    while (std::fread(head, sizeof(head), 1, file_) == 1) {
      db::PropagatedCommand c;
      c.db = head[0];
      for (int32_t i = 0; i < head[1]; ++i) {
        uint32_t n = 0;
        EXPECT_EQ(std::fread(&n, sizeof(n), 1, file_), 1u);
        std::string a(n, '\0');
        EXPECT_EQ(std::fread(a.data(), 1, n, file_), n);
        c.argv.push_back(std::move(a));
      }
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::FILE* file_;
};

// The workload: keys of every type in two databases.
class Workload {
 public:
  explicit Workload(uint64_t seed) : rnd_(seed) {}

  std::vector<std::string> Next() {
    const std::string k = Key();
    const std::string v = Value();
    switch (Pick(50)) {
      case 0:
        return {"SET", k, v};
      case 1:
        return {"SET", k, v, "PX", Short()};  // expires during the run
      case 2:
        return {"SET", k, v, "EX", "1000"};
      case 3:
        return {"SET", k, v, "NX", "GET"};
      case 4:
        return {"SETEX", k, "1000", v};
      case 5:
        return {"APPEND", k, v};
      case 6:
        return {"INCRBY", k, Int()};
      case 7:
        return {"INCRBYFLOAT", k, "1.1"};
      case 8:
        return {"SETRANGE", k, Int(), v};
      case 9:
        return {"GETDEL", k};
      case 10:
        return {"GETEX", k, Pick(2) ? "PERSIST" : "PX", Short()};
      case 11:
        return {"EXPIRE", k, Pick(3) == 0 ? "-1" : "1000"};
      case 12:
        return {"PEXPIRE", k, Short()};
      case 13:
        return {"PERSIST", k};
      case 14:
        return {"DEL", k, Key()};
      case 15:
        return {"RENAME", k, Key()};
      case 16:
        return {"COPY", k, Key(), "REPLACE"};
      case 17:
        return {"MOVE", k, Pick(2) ? "0" : "1"};
      case 18:
        return {"LPUSH", k, v, Value()};
      case 19:
        return {"RPUSH", k, v};
      case 20:
        return {"LPOP", k, Int()};
      case 21:
        return {"LMOVE", k, Key(), "LEFT", "RIGHT"};
      case 22:
        return {"LMPOP", "2", k, Key(), "RIGHT", "COUNT", "2"};
      case 23:
        return {"BLPOP", k, Key(), "0.01"};  // at once here, or null
      case 24:
        return {"LTRIM", k, "0", Int()};
      case 25:
        return {"SADD", k, v, Value(), Int()};
      case 26:
        return {"SPOP", k};
      case 27:
        return {"SPOP", k, Int()};
      case 28:
        return {"SREM", k, v};
      case 29:
        return {"SINTERSTORE", k, Key(), Key()};
      case 30:
        return {"SMOVE", k, Key(), v};
      case 31:
        return {"HSET", k, v, Value(), Value(), Value()};
      case 32:
        return {"HINCRBYFLOAT", k, v, "0.5"};
      case 33:
        return {"HDEL", k, v};
      case 34:
        return {"ZADD", k, Int(), v, Int(), Value()};
      case 35:
        return {"ZINCRBY", k, "1.5", v};
      case 36:
        return {"ZPOPMIN", k, Int()};
      case 37:
        return {"ZMPOP", "2", Key(), k, "MAX", "COUNT", "3"};
      case 38:
        return {"ZUNIONSTORE", k, "2", Key(), Key()};
      case 39:
        return {"ZREMRANGEBYSCORE", k, "-inf", Int()};
      case 40:
        return {"BITFIELD", k, "OVERFLOW", "FAIL", "INCRBY", "u4", Int(), "9"};
      case 41:
        return {"SETBIT", k, Int(), "1"};
      case 42:
        return {"SELECT", Pick(2) ? "0" : "1"};
      case 43:
        return {"PFADD", k, v, Value()};
      case 44:
        return Pick(20) == 0 ? std::vector<std::string>{"SWAPDB", "0", "1"}
                             : std::vector<std::string>{"LINSERT", k, "BEFORE", v, v};
      // Scripts: their effects leave as the commands they ran, in one MULTI/EXEC unit.
      case 46:
        return {"EVAL",
                "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
                "redis.call('SADD', KEYS[2], ARGV[1], 'm2') redis.call('SPOP', KEYS[2]) "
                "return redis.pcall('INCRBYFLOAT', KEYS[2], '1.5')",
                "2", k, Key(), v, Short()};
      case 47:  // SELECT inside a script changes the script's database only
        return {"EVAL",
                "redis.call('SELECT', ARGV[1]) redis.call('RPUSH', KEYS[1], ARGV[2]) "
                "if redis.call('TYPE', KEYS[1]).ok == 'list' then redis.call('LPOP', KEYS[1]) end "
                "return redis.call('INCR', 'counter')",
                "1", k, Pick(2) ? "0" : "1", v};
      case 48:
        return {"FCALL", "touch", "1", k, v};
      case 49:
        return {"EVAL_RO", "return redis.call('EXISTS', KEYS[1])", "1", k};
      default:
        return {"BZPOPMIN", k, Key(), "0.01"};
    }
  }

  bool Chance(int n) { return Pick(n) == 0; }

 private:
  int Pick(int n) { return static_cast<int>(rnd_() % static_cast<uint64_t>(n)); }
  std::string Key() { return "k" + std::to_string(Pick(60)); }
  std::string Value() { return "v" + std::to_string(Pick(30)) + std::string(Pick(3) * 20, 'x'); }
  std::string Int() { return std::to_string(Pick(12)); }
  std::string Short() { return std::to_string(1 + Pick(30)); }  // milliseconds

  std::mt19937_64 rnd_;
};

// Every live key of `db` with its type, value and absolute expiry.
std::map<std::string, std::string> Snapshot(CommandHarness& h, int db) {
  std::map<std::string, std::string> out;
  h.Run({"SELECT", std::to_string(db)});
  const RespValue keys = h.Run({"KEYS", "*"});
  for (const RespValue& key : keys.elements) {
    const std::string k = key.str;
    const std::string type = h.Run({"TYPE", k}).str;
    std::string value;
    if (type == "string") {
      value = h.Run({"GET", k}).ToString();
    } else if (type == "list") {
      value = h.Run({"LRANGE", k, "0", "-1"}).ToString();
    } else if (type == "set") {
      std::vector<std::string> members;
      for (const RespValue& m : h.Run({"SMEMBERS", k}).elements) members.push_back(m.str);
      std::sort(members.begin(), members.end());
      for (const std::string& m : members) value += m + ",";
    } else if (type == "zset") {
      value = h.Run({"ZRANGE", k, "0", "-1", "WITHSCORES"}).ToString();
    } else if (type == "hash") {
      const RespValue all = h.Run({"HGETALL", k});
      std::vector<std::string> pairs;
      for (size_t i = 0; i + 1 < all.size(); i += 2)
        pairs.push_back(all[i].str + "=" + all[i + 1].str);
      std::sort(pairs.begin(), pairs.end());
      for (const std::string& p : pairs) value += p + ",";
    }
    out[k] = type + " " + value + " expire=" + h.Run({"PEXPIRETIME", k}).ToString();
  }
  return out;
}

TEST(PropagationTest, ReplayOfTheStreamRebuildsTheDataset) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // A small maxmemory, so that evictions happen and are propagated as deletions.
    CommandHarness a("maxmemory-policy allkeys-random\nlazyfree-lazy-eviction yes");
    // 1.9 MB above what the empty server holds, less than the filler needs (the process's own baseline varies by build).
    const std::string info = a.Run({"INFO", "memory"}).str;
    const size_t at = info.find("used_memory:") + strlen("used_memory:");
    const uint64_t baseline = std::stoull(info.substr(at, info.find('\r', at) - at));
    ASSERT_EQ(a.Run({"CONFIG", "SET", "maxmemory", std::to_string(baseline + 1900 * 1024)}).str,
              "OK");
    FileRecorder recorder;
    a.keyspace().changes().AddSink(&recorder);
    // The library FCALL calls: FUNCTION LOAD is propagated too, so B has it when it replays.
    ASSERT_EQ(a.Run({"FUNCTION", "LOAD",
                     "#!lua name=replay\n"
                     "redis.register_function('touch', function(keys, args)\n"
                     "  redis.pcall('HSET', keys[1], 'f', args[1])\n"
                     "  redis.pcall('EXPIRE', keys[1], 1000)\n"
                     "  return redis.pcall('HLEN', keys[1])\n"
                     "end)"})
                  .str,
              "replay");
    Workload w(seed);
    // Filler that makes the eviction pressure real.
    for (int i = 0; i < 2000; ++i)
      a.Run({"SET", "fill:" + std::to_string(i), std::string(900, 'f')});
    size_t transactions = 0;
    for (int i = 0; i < 12000; ++i) {
      if (w.Chance(40)) {
        // A transaction of a few commands: its effects arrive as one MULTI/EXEC unit.
        a.Run({"MULTI"});
        for (int j = 0; j < 3; ++j) a.Run(w.Next());
        a.Run({"EXEC"});
        ++transactions;
        continue;
      }
      a.Run(w.Next());
      if (i % 3000 == 2999) std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
    a.keyspace().changes().RemoveSink(&recorder);
    // B lives in this process too: its memory must not make A evict during the comparison.
    ASSERT_EQ(a.Run({"CONFIG", "SET", "maxmemory", "0"}).str, "OK");
    ASSERT_GT(transactions, 100u);
    ASSERT_GT(a.keyspace().stats().evicted_keys, 0u) << "the workload must evict";
    ASSERT_GT(a.keyspace().stats().expired_keys, 0u) << "the workload must expire keys";

    // Every short TTL has run out before the comparison (the longest is 30 ms).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // B follows A's stream as a replica does: its keys expire only by A's DELs (a key A
    // renamed a moment before its TTL ran out must still be there when B replays the RENAME).
    CommandHarness b;
    b.keyspace().options().keys_expire = false;
    int db = 0;
    const std::vector<db::PropagatedCommand> stream = recorder.Commands();
    ASSERT_GT(stream.size(), 5000u);
    for (const db::PropagatedCommand& c : stream) {
      if (c.db >= 0 && c.db != db) {
        b.Run({"SELECT", std::to_string(c.db)});
        db = c.db;
      }
      const RespValue r = b.Run(c.argv);
      ASSERT_FALSE(r.IsError()) << "replaying db" << c.db << " " << ::testing::PrintToString(c.argv)
                                << ": " << r.str;
    }
    // Both now judge TTLs by the same clock.
    b.keyspace().options().keys_expire = true;
    for (int d : {0, 1}) {
      const auto want = Snapshot(a, d);
      const auto got = Snapshot(b, d);
      EXPECT_GT(want.size(), 10u);
      EXPECT_EQ(want, got) << "database " << d;
    }
  }
}

TEST(PropagationTest, EffectsNotArgumentsArePropagated) {
  CommandHarness h;
  Recorder r;
  h.keyspace().changes().AddSink(&r);
  h.Run({"SET", "k", "v", "EX", "100"});
  h.Run({"SADD", "s", "a"});
  h.Run({"SPOP", "s"});
  h.Run({"INCRBYFLOAT", "f", "1.5"});
  h.Run({"GET", "k"});  // reads propagate nothing
  h.Run({"SADD", "t", "x"});
  h.Run({"SADD", "t", "x"});  // a write that changes nothing propagates nothing
  h.Run({"RPUSH", "l", "1", "2"});
  h.Run({"BLPOP", "l", "0"});  // served at once: an LPOP
  h.keyspace().changes().RemoveSink(&r);
  std::vector<std::string> lines;
  for (const auto& c : r.commands) {
    std::string line;
    for (const std::string& a : c.argv) line += (line.empty() ? "" : " ") + a;
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 7u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("SET k v PXAT ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1], "SADD s a");
  EXPECT_EQ(lines[2], "SREM s a");
  EXPECT_EQ(lines[3], "SET f 1.5 KEEPTTL");
  EXPECT_EQ(lines[4], "SADD t x");
  EXPECT_EQ(lines[5], "RPUSH l 1 2");
  EXPECT_EQ(lines[6], "LPOP l");
}

TEST(PropagationTest, ATransactionIsOneUnitWrappedInMultiExec) {
  CommandHarness h;
  Recorder r;
  h.keyspace().changes().AddSink(&r);
  h.Run({"MULTI"});
  h.Run({"SET", "a", "1"});
  h.Run({"GET", "a"});
  h.Run({"INCR", "a"});
  h.Run({"EXEC"});
  h.Run({"MULTI"});
  h.Run({"SET", "b", "1"});
  h.Run({"EXEC"});  // one command: not wrapped
  h.keyspace().changes().RemoveSink(&r);
  EXPECT_EQ(r.units, 2u);
  ASSERT_EQ(r.commands.size(), 5u);
  EXPECT_EQ(r.commands[0].argv, std::vector<std::string>{"MULTI"});
  EXPECT_EQ(r.commands[1].argv, (std::vector<std::string>{"SET", "a", "1"}));
  EXPECT_EQ(r.commands[2].argv, (std::vector<std::string>{"INCR", "a"}));
  EXPECT_EQ(r.commands[3].argv, std::vector<std::string>{"EXEC"});
  EXPECT_EQ(r.commands[4].argv, (std::vector<std::string>{"SET", "b", "1"}));
}

TEST(PropagationTest, AScriptIsOneUnitOfItsEffects) {
  CommandHarness h;
  Recorder r;
  h.keyspace().changes().AddSink(&r);
  // Two writes, a read and a random pick: the unit has the writes' effects, not EVAL.
  h.Run({"SADD", "s", "a"});
  h.Run({"EVAL",
         "redis.call('SET', KEYS[1], '1', 'EX', 100) redis.call('GET', KEYS[1]) "
         "redis.call('SPOP', KEYS[2]) return redis.call('INCR', KEYS[1])",
         "2", "k", "s"});
  // A script that writes nothing propagates nothing; one write is not wrapped.
  h.Run({"EVAL", "return redis.call('GET', 'k')", "0"});
  h.Run({"EVAL", "return redis.call('DEL', 'k')", "0"});
  // redis.set_repl(redis.REPL_NONE): what follows is not propagated.
  h.Run({"EVAL",
         "redis.call('SET', 'a', '1') redis.set_repl(redis.REPL_NONE) "
         "redis.call('SET', 'b', '2') redis.set_repl(redis.REPL_ALL) redis.call('SET', 'c', '3')",
         "0"});
  h.keyspace().changes().RemoveSink(&r);
  std::vector<std::string> lines;
  for (const auto& c : r.commands) {
    std::string line;
    for (const std::string& a : c.argv) line += (line.empty() ? "" : " ") + a;
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 11u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "SADD s a");
  EXPECT_EQ(lines[1], "MULTI");
  EXPECT_EQ(lines[2].rfind("SET k 1 PXAT ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3], "SREM s a");
  EXPECT_EQ(lines[4], "INCR k");
  EXPECT_EQ(lines[5], "EXEC");
  EXPECT_EQ(lines[6], "DEL k");
  EXPECT_EQ(lines[7], "MULTI");
  EXPECT_EQ(lines[8], "SET a 1");
  EXPECT_EQ(lines[9], "SET c 3");
  EXPECT_EQ(lines[10], "EXEC");
  EXPECT_EQ(h.Run({"GET", "b"}).str, "2");  // it ran, unpropagated
}

TEST(PropagationTest, SetReplChoosesTheSinksOfWhatFollows) {
  CommandHarness h;
  Recorder aof;  // an AOF-only sink, as the server's AOF
  aof.targets_ = db::kPropagateAof;
  Recorder all;  // a sink of both targets (a replica link, when there is one)
  h.keyspace().changes().AddSink(&aof);
  h.keyspace().changes().AddSink(&all);
  h.Run({"EVAL",
         "redis.call('SET', 'a', '1') redis.set_repl(redis.REPL_REPLICA) "
         "redis.call('SET', 'b', '2') redis.set_repl(redis.REPL_AOF) redis.call('SET', 'c', '3') "
         "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'd', '4')",
         "0"});
  // The choice ends with the script.
  h.Run({"SET", "e", "5"});
  h.keyspace().changes().RemoveSink(&all);
  h.keyspace().changes().RemoveSink(&aof);
  auto lines = [](const Recorder& r) {
    std::vector<std::string> out;
    for (const auto& c : r.commands) {
      std::string line;
      for (const std::string& a : c.argv) line += (line.empty() ? "" : " ") + a;
      out.push_back(line);
    }
    return out;
  };
  EXPECT_EQ(lines(aof),
            (std::vector<std::string>{"MULTI", "SET a 1", "SET c 3", "EXEC", "SET e 5"}));
  EXPECT_EQ(lines(all), (std::vector<std::string>{"MULTI", "SET a 1", "SET b 2", "SET c 3", "EXEC",
                                                  "SET e 5"}));
  EXPECT_EQ(h.Run({"GET", "d"}).str, "4");  // it ran, unpropagated
}

}  // namespace
}  // namespace mnemo::test

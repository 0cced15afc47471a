// keys_test.cc: the generic key commands through the dispatcher (tests/cmd): DEL UNLINK EXISTS
// TOUCH TYPE RENAME RENAMENX COPY MOVE SWAPDB KEYS SCAN RANDOMKEY, the expiry commands, OBJECT,
// FLUSHDB FLUSHALL. Expected replies and error texts were checked against Redis 7.0.15.
//
// Time: the dispatcher sets the command clock to the wall clock before each command. Tests use
// absolute times far in the past or future (PEXPIREAT), or make a key's expiry already past
// through the db API (ExpireInThePast) so that lazy expiry can be observed without sleeping.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/strings.h"
#include "mnemo/db/lru.h"
#include "mnemo/db/string_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

// 2100-01-01T00:00:00Z in milliseconds: far enough in the future for any test run.
constexpr int64_t kFarFutureMs = 4102444800000;

class KeysTest : public CommandTest {
 protected:
  db::Db& Db(int i = 0) { return h_.keyspace().db(i); }
  uint64_t ExpiredKeys() { return h_.keyspace().stats().expired_keys; }

  // Gives `key` (in database `db`) an expiry 1 ms after the epoch without deleting it, as if its
  // time had passed since it was set: the next access must expire it.
  void ExpireInThePast(std::string_view key, int db = 0) {
    db::Object* o = Db(db).LookupNoTouch(key);
    ASSERT_NE(o, nullptr) << key;
    Db(db).SetExpire(o, 1);
  }

  // Runs SCAN once; returns the next cursor and appends the keys to `out`.
  std::string ScanOnce(const std::string& cursor, std::vector<std::string> extra,
                       std::vector<std::string>* out) {
    std::vector<std::string> argv = {"SCAN", cursor};
    argv.insert(argv.end(), extra.begin(), extra.end());
    RespValue r = Run(argv);
    EXPECT_EQ(r.type, RespValue::Type::kArray) << r.ToString();
    if (r.size() != 2) {
      ADD_FAILURE() << r.ToString();
      return "0";
    }
    EXPECT_EQ(r[0].type, RespValue::Type::kBulk);
    for (const RespValue& k : r[1].elements) out->push_back(k.str);
    return r[0].str;
  }

  // A full SCAN iteration; `calls` receives the number of SCAN calls it took.
  std::vector<std::string> ScanAll(std::vector<std::string> extra, size_t* calls = nullptr) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    size_t n = 0;
    do {
      cursor = ScanOnce(cursor, extra, &keys);
      ++n;
    } while (cursor != "0" && n < 1000000);
    if (calls != nullptr) *calls = n;
    return keys;
  }

  static std::set<std::string> AsSet(const std::vector<std::string>& v) {
    return std::set<std::string>(v.begin(), v.end());
  }
};

// ---- DEL UNLINK EXISTS TOUCH TYPE ------------------------------------------------------------

TEST_F(KeysTest, DelUnlinkExists) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "2", "c", "3"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "a", "b", "nope", "a"}), "3");  // a counted twice, as in Redis
  EXPECT_EQ(Str({"DEL", "a", "nope"}), "1");
  EXPECT_EQ(Str({"UNLINK", "b", "c", "b"}), "2");
  EXPECT_EQ(Str({"EXISTS", "a", "b", "c"}), "0");
  EXPECT_EQ(Str({"DEL"}), "(error) ERR wrong number of arguments for 'del' command");
  EXPECT_EQ(Str({"UNLINK"}), "(error) ERR wrong number of arguments for 'unlink' command");
  EXPECT_EQ(Str({"EXISTS"}), "(error) ERR wrong number of arguments for 'exists' command");
}

TEST_F(KeysTest, ExistsCountsHitsAndMissesWithoutTouching) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  db::Object* o = Db().LookupNoTouch("k");
  const uint32_t old_lru =
      (h_.keyspace().lru_clock() - 100 * 1000 / db::kLruClockResolutionMs) & db::kLruMax;
  o->set_lru(old_lru);
  const db::Stats before = h_.keyspace().stats();
  EXPECT_EQ(Str({"EXISTS", "k", "missing"}), "1");
  EXPECT_EQ(h_.keyspace().stats().keyspace_hits, before.keyspace_hits + 1);
  EXPECT_EQ(h_.keyspace().stats().keyspace_misses, before.keyspace_misses + 1);
  EXPECT_EQ(Db().LookupNoTouch("k")->lru(), old_lru);
}

TEST_F(KeysTest, TouchUpdatesLruAndCountsExisting) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "2"}), "OK");
  const uint32_t old_lru =
      (h_.keyspace().lru_clock() - 100 * 1000 / db::kLruClockResolutionMs) & db::kLruMax;
  Db().LookupNoTouch("a")->set_lru(old_lru);
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "a"}), "100");
  EXPECT_EQ(Str({"TOUCH", "a", "b", "nope"}), "2");
  EXPECT_EQ(Db().LookupNoTouch("a")->lru(), h_.keyspace().lru_clock());
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "a"}), "0");
  EXPECT_EQ(Str({"TOUCH"}), "(error) ERR wrong number of arguments for 'touch' command");
}

TEST_F(KeysTest, Type) {
  EXPECT_EQ(Str({"SET", "s", "v"}), "OK");
  EXPECT_EQ(RunRaw({"TYPE", "s"}), "+string\r\n");
  EXPECT_EQ(RunRaw({"TYPE", "nope"}), "+none\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"TYPE", "s"}), "+string\r\n");  // a simple string in both protocols
  EXPECT_EQ(RunRaw({"TYPE", "nope"}), "+none\r\n");
  ExpireInThePast("s");
  EXPECT_EQ(Str({"TYPE", "s"}), "none");
  EXPECT_EQ(Str({"TYPE"}), "(error) ERR wrong number of arguments for 'type' command");
  EXPECT_EQ(Str({"TYPE", "a", "b"}), "(error) ERR wrong number of arguments for 'type' command");
}

// ---- RENAME RENAMENX -------------------------------------------------------------------------

TEST_F(KeysTest, RenameMovesValueAndKeepsTtl) {
  const std::string raw(100, 'r');
  EXPECT_EQ(Str({"SET", "int", "123456789"}), "OK");
  EXPECT_EQ(Str({"SET", "emb", "hello"}), "OK");
  EXPECT_EQ(Run({"SET", "raw", raw}).ToString(), "OK");
  EXPECT_EQ(Str({"PEXPIREAT", "raw", std::to_string(kFarFutureMs).c_str()}), "1");

  EXPECT_EQ(Str({"RENAME", "int", "int2"}), "OK");
  EXPECT_EQ(Str({"RENAME", "emb", "emb2"}), "OK");
  EXPECT_EQ(Str({"RENAME", "raw", "raw2"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "int", "emb", "raw"}), "0");
  EXPECT_EQ(Str({"GET", "int2"}), "123456789");
  EXPECT_EQ(Str({"GET", "emb2"}), "hello");
  EXPECT_EQ(Run({"GET", "raw2"}).str, raw);
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "int2"}), "int");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "emb2"}), "embstr");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "raw2"}), "raw");
  EXPECT_EQ(Run({"PEXPIRETIME", "raw2"}).integer, kFarFutureMs);
  EXPECT_EQ(Str({"TTL", "emb2"}), "-1");
  EXPECT_EQ(Db().size(), 3u);
  EXPECT_EQ(Db().expires_size(), 1u);
}

TEST_F(KeysTest, RenameKeepsSharedValue) {
  EXPECT_EQ(Str({"SET", "a", "7"}), "OK");
  EXPECT_EQ(Str({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "b"}), "2147483647");
  EXPECT_EQ(Str({"GET", "b"}), "7");
}

TEST(KeysLfuTest, RenameAndMoveKeepTheCounterCopyStartsFresh) {
  // lfu-decay-time 0: counters never decay, so the test does not depend on the minute.
  CommandHarness h("maxmemory-policy allkeys-lfu\nlfu-decay-time 0\n");
  EXPECT_EQ(h.Run({"SET", "a", "v"}).ToString(), "OK");
  db::Object* o = h.keyspace().db(0).LookupNoTouch("a");
  o->set_lru((o->lru() & ~0xFFu) | 255);  // 255 stays 255 when accessed
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "a"}).integer, 255);
  EXPECT_EQ(h.Run({"RENAME", "a", "b"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "b"}).integer, 255);
  EXPECT_EQ(h.Run({"MOVE", "b", "1"}).integer, 1);
  EXPECT_EQ(h.Run({"SELECT", "1"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "b"}).integer, 255);
  EXPECT_EQ(h.Run({"COPY", "b", "c"}).integer, 1);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "c"}).integer, db::kLfuInitValue);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "b"}).integer, 255);
}

TEST_F(KeysTest, RenameOverwritesDestinationAndItsTtl) {
  EXPECT_EQ(Str({"SET", "src", "one"}), "OK");
  EXPECT_EQ(Str({"SET", "dst", "two"}), "OK");
  EXPECT_EQ(Str({"PEXPIREAT", "dst", std::to_string(kFarFutureMs).c_str()}), "1");
  EXPECT_EQ(Str({"RENAME", "src", "dst"}), "OK");
  EXPECT_EQ(Str({"GET", "dst"}), "one");
  EXPECT_EQ(Str({"TTL", "dst"}), "-1");  // the destination's TTL went with its old value
  EXPECT_EQ(Db().expires_size(), 0u);
  EXPECT_EQ(Db().size(), 1u);
}

TEST_F(KeysTest, RenameErrorsAndSameKey) {
  EXPECT_EQ(Str({"RENAME", "nope", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"RENAME", "nope", "nope"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"RENAMENX", "nope", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"RENAMENX", "nope", "nope"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"RENAME", "k", "k"}), "OK");
  EXPECT_EQ(Str({"RENAMENX", "k", "k"}), "0");
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Str({"RENAME", "k"}), "(error) ERR wrong number of arguments for 'rename' command");
  EXPECT_EQ(Str({"RENAMENX", "k", "a", "b"}),
            "(error) ERR wrong number of arguments for 'renamenx' command");
  // An expired source does not exist.
  ExpireInThePast("k");
  EXPECT_EQ(Str({"RENAME", "k", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"EXISTS", "x"}), "0");
}

TEST_F(KeysTest, Renamenx) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Str({"RENAMENX", "a", "b"}), "0");
  EXPECT_EQ(Str({"GET", "a"}), "1");
  EXPECT_EQ(Str({"GET", "b"}), "2");
  EXPECT_EQ(Str({"RENAMENX", "a", "c"}), "1");
  EXPECT_EQ(Str({"EXISTS", "a"}), "0");
  EXPECT_EQ(Str({"GET", "c"}), "1");
  // An expired destination does not block.
  ExpireInThePast("b");
  EXPECT_EQ(Str({"RENAMENX", "c", "b"}), "1");
  EXPECT_EQ(Str({"GET", "b"}), "1");
  EXPECT_EQ(Str({"TTL", "b"}), "-1");
}

// ---- COPY ------------------------------------------------------------------------------------

TEST_F(KeysTest, CopyProducesAnIndependentValue) {
  // A value embedded in its key's block (100 bytes) is copied with the block.
  const std::string embedded(100, 'e');
  EXPECT_EQ(Run({"SET", "esrc", embedded}).ToString(), "OK");
  EXPECT_EQ(Str({"COPY", "esrc", "edst"}), "1");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "edst"}), "raw");
  EXPECT_EQ(Db().LookupNoTouch("edst")->encoding(), db::Encoding::kEmbstr);
  EXPECT_EQ(Str({"APPEND", "edst", "!"}), "101");
  EXPECT_EQ(Run({"GET", "esrc"}).str, embedded);
  EXPECT_EQ(Run({"GET", "edst"}).str, embedded + "!");

  const std::string raw(300, 'x');  // past 255 bytes: an sds of its own
  EXPECT_EQ(Run({"SET", "src", raw}).ToString(), "OK");
  EXPECT_EQ(Str({"COPY", "src", "dst"}), "1");
  EXPECT_EQ(Run({"GET", "dst"}).str, raw);
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "dst"}), "raw");
  db::Object* src = Db().LookupNoTouch("src");
  db::Object* dst = Db().LookupNoTouch("dst");
  ASSERT_NE(src, nullptr);
  ASSERT_NE(dst, nullptr);
  ASSERT_NE(db::StringRawSds(*src), db::StringRawSds(*dst));
  // Modify the copy's bytes in place: the source must not see it.
  db::StringRawSds(*dst)[0] = 'Y';
  EXPECT_EQ(Run({"GET", "src"}).str, raw);
  EXPECT_EQ(Run({"GET", "dst"}).str, "Y" + raw.substr(1));
  // And the source can go away without the copy noticing.
  EXPECT_EQ(Str({"DEL", "src"}), "1");
  EXPECT_EQ(Run({"GET", "dst"}).str, "Y" + raw.substr(1));

  // Int values: INCR on the copy leaves the source alone.
  EXPECT_EQ(Str({"SET", "n", "100000"}), "OK");
  EXPECT_EQ(Str({"COPY", "n", "m"}), "1");
  EXPECT_EQ(Str({"INCR", "m"}), "100001");
  EXPECT_EQ(Str({"GET", "n"}), "100000");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "m"}), "int");
  // Embedded strings.
  EXPECT_EQ(Str({"SET", "e", "hello"}), "OK");
  EXPECT_EQ(Str({"COPY", "e", "f"}), "1");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "f"}), "embstr");
  EXPECT_EQ(Str({"SET", "e", "changed"}), "OK");
  EXPECT_EQ(Str({"GET", "f"}), "hello");
}

TEST_F(KeysTest, CopyOfASharedIntegerHasItsOwn) {
  // Redis's dupStringObject gives the copy a refcount of 1.
  EXPECT_EQ(Str({"SET", "a", "5"}), "OK");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "a"}), "2147483647");
  EXPECT_EQ(Str({"COPY", "a", "b"}), "1");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "b"}), "1");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "b"}), "int");
  EXPECT_EQ(Str({"GET", "b"}), "5");
  EXPECT_EQ(Str({"INCR", "b"}), "6");
  EXPECT_EQ(Str({"GET", "a"}), "5");
}

TEST_F(KeysTest, CopyTtlReplaceAndDb) {
  EXPECT_EQ(Str({"SET", "src", "v"}), "OK");
  EXPECT_EQ(Str({"PEXPIREAT", "src", std::to_string(kFarFutureMs).c_str()}), "1");
  EXPECT_EQ(Str({"SET", "dst", "old"}), "OK");
  EXPECT_EQ(Str({"COPY", "src", "dst"}), "0");
  EXPECT_EQ(Str({"GET", "dst"}), "old");
  EXPECT_EQ(Str({"COPY", "src", "dst", "REPLACE"}), "1");
  EXPECT_EQ(Str({"GET", "dst"}), "v");
  EXPECT_EQ(Run({"PEXPIRETIME", "dst"}).integer, kFarFutureMs);
  EXPECT_EQ(Db().expires_size(), 2u);

  // To another database; the same name is fine there.
  EXPECT_EQ(Str({"COPY", "src", "src", "DB", "3"}), "1");
  EXPECT_EQ(Str({"COPY", "src", "src", "db", "3"}), "0");
  EXPECT_EQ(Str({"COPY", "src", "src", "REPLACE", "DB", "3"}), "1");
  // The last DB option counts.
  EXPECT_EQ(Str({"COPY", "src", "x", "DB", "1", "DB", "2"}), "1");
  EXPECT_EQ(Db(1).size(), 0u);
  EXPECT_EQ(Str({"SELECT", "3"}), "OK");
  EXPECT_EQ(Str({"GET", "src"}), "v");
  EXPECT_EQ(Run({"PEXPIRETIME", "src"}).integer, kFarFutureMs);
  EXPECT_EQ(Str({"SELECT", "2"}), "OK");
  EXPECT_EQ(Str({"GET", "x"}), "v");
  // Copying into the database of the client from elsewhere: DB 0 from 2.
  EXPECT_EQ(Str({"COPY", "x", "y", "DB", "0"}), "1");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"GET", "y"}), "v");

  // A missing or expired source copies nothing.
  EXPECT_EQ(Str({"COPY", "nope", "z"}), "0");
  ExpireInThePast("y");
  EXPECT_EQ(Str({"COPY", "y", "z"}), "0");
  EXPECT_EQ(Str({"EXISTS", "z"}), "0");
  // An expired destination does not block.
  EXPECT_EQ(Str({"SET", "w", "1"}), "OK");
  ExpireInThePast("dst");
  EXPECT_EQ(Str({"COPY", "w", "dst"}), "1");
  EXPECT_EQ(Str({"GET", "dst"}), "1");
  EXPECT_EQ(Str({"TTL", "dst"}), "-1");
}

TEST_F(KeysTest, CopyErrors) {
  EXPECT_EQ(Str({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Str({"COPY", "a", "a"}), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Str({"COPY", "a", "a", "DB", "0"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Str({"COPY", "nope", "nope"}),
            "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Str({"COPY", "a", "b", "DB", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"COPY", "a", "b", "DB", "4294967296"}),
            "(error) ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Str({"COPY", "a", "b", "DB", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"COPY", "a", "b", "DB", "-1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"COPY", "a", "b", "DB"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"COPY", "a", "b", "FOO"}), "(error) ERR syntax error");
  // Redis spells the option DB; DESTINATION-DB is the argument's name in the docs only.
  EXPECT_EQ(Str({"COPY", "a", "b", "DESTINATION-DB", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"COPY", "a"}), "(error) ERR wrong number of arguments for 'copy' command");
  EXPECT_EQ(Str({"EXISTS", "b"}), "0");
}

// ---- MOVE ------------------------------------------------------------------------------------

TEST_F(KeysTest, MoveKeepsValueAndTtl) {
  EXPECT_EQ(Str({"SET", "k", std::string(50, 'm').c_str()}), "OK");
  EXPECT_EQ(Str({"PEXPIREAT", "k", std::to_string(kFarFutureMs).c_str()}), "1");
  EXPECT_EQ(Str({"MOVE", "k", "1"}), "1");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Db(0).expires_size(), 0u);
  EXPECT_EQ(Db(1).size(), 1u);
  EXPECT_EQ(Db(1).expires_size(), 1u);
  EXPECT_EQ(Str({"SELECT", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}).str, std::string(50, 'm'));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}).integer, kFarFutureMs);
  // Back again, and a key without TTL.
  EXPECT_EQ(Str({"MOVE", "k", "0"}), "1");
  EXPECT_EQ(Str({"SET", "p", "plain"}), "OK");
  EXPECT_EQ(Str({"MOVE", "p", "0"}), "1");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"GET", "p"}), "plain");
  EXPECT_EQ(Str({"TTL", "p"}), "-1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}).integer, kFarFutureMs);
  EXPECT_EQ(Db(1).size(), 0u);
}

TEST_F(KeysTest, MoveRefusesWhenTargetHasKey) {
  EXPECT_EQ(Str({"SET", "k", "zero"}), "OK");
  EXPECT_EQ(Str({"SELECT", "1"}), "OK");
  EXPECT_EQ(Str({"SET", "k", "one"}), "OK");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"MOVE", "k", "1"}), "0");
  EXPECT_EQ(Str({"GET", "k"}), "zero");
  EXPECT_EQ(Str({"MOVE", "nope", "1"}), "0");
  // An expired key in the target does not count.
  ExpireInThePast("k", 1);
  EXPECT_EQ(Str({"MOVE", "k", "1"}), "1");
  EXPECT_EQ(Str({"SELECT", "1"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "zero");
  // An expired source is not moved.
  ExpireInThePast("k", 1);
  EXPECT_EQ(Str({"MOVE", "k", "0"}), "0");
}

TEST_F(KeysTest, MoveErrors) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"MOVE", "k", "0"}), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(Str({"MOVE", "k", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"MOVE", "k", "-1"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"MOVE", "k", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"MOVE", "k", "2147483648"}),
            "(error) ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Str({"MOVE", "k", "-2147483649"}),
            "(error) ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Str({"MOVE", "k"}), "(error) ERR wrong number of arguments for 'move' command");
  EXPECT_EQ(Str({"GET", "k"}), "v");
}

// ---- SWAPDB ----------------------------------------------------------------------------------

TEST_F(KeysTest, SwapdbExchangesContents) {
  EXPECT_EQ(Str({"SET", "a", "in0"}), "OK");
  EXPECT_EQ(Str({"PEXPIREAT", "a", std::to_string(kFarFutureMs).c_str()}), "1");
  EXPECT_EQ(Str({"SELECT", "5"}), "OK");
  EXPECT_EQ(Str({"MSET", "b", "in5", "c", "in5"}), "OK");
  EXPECT_EQ(Str({"SWAPDB", "0", "5"}), "OK");
  // The client still has database 5 selected: it now holds what 0 held.
  EXPECT_EQ(Str({"GET", "a"}), "in0");
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}).integer, kFarFutureMs);
  EXPECT_EQ(Str({"EXISTS", "b", "c"}), "0");
  EXPECT_EQ(Str({"DBSIZE"}), "1");
  EXPECT_EQ(Str({"SELECT", "0"}), "OK");
  EXPECT_EQ(Str({"DBSIZE"}), "2");
  EXPECT_EQ(Str({"GET", "b"}), "in5");
  EXPECT_EQ(Db(0).expires_size(), 0u);
  EXPECT_EQ(Db(5).expires_size(), 1u);
  EXPECT_EQ(Str({"SWAPDB", "5", "5"}), "OK");
  EXPECT_EQ(Str({"SWAPDB", "0", "5"}), "OK");
  EXPECT_EQ(Str({"GET", "a"}), "in0");
}

TEST_F(KeysTest, SwapdbErrors) {
  EXPECT_EQ(Str({"SWAPDB", "x", "1"}), "(error) ERR invalid first DB index");
  EXPECT_EQ(Str({"SWAPDB", "x", "y"}), "(error) ERR invalid first DB index");
  EXPECT_EQ(Str({"SWAPDB", "0", "y"}), "(error) ERR invalid second DB index");
  EXPECT_EQ(Str({"SWAPDB", "4294967296", "0"}), "(error) ERR invalid first DB index");
  EXPECT_EQ(Str({"SWAPDB", "0", "-4294967296"}), "(error) ERR invalid second DB index");
  EXPECT_EQ(Str({"SWAPDB", "0", "16"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"SWAPDB", "-1", "0"}), "(error) ERR DB index is out of range");
  EXPECT_EQ(Str({"SWAPDB", "0"}), "(error) ERR wrong number of arguments for 'swapdb' command");
}

// ---- KEYS ------------------------------------------------------------------------------------

TEST_F(KeysTest, KeysPatterns) {
  EXPECT_EQ(Str({"MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1",
                 "a*b", "1", "axb", "1"}),
            "OK");
  auto keys = [&](std::string_view pattern) {
    RespValue r = Run({"KEYS", pattern});
    std::vector<std::string> out;
    for (const RespValue& e : r.elements) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("*").size(), 7u);
  EXPECT_EQ(keys("h?llo"), (V{"hallo", "hello", "hxllo"}));
  EXPECT_EQ(keys("h*llo"), (V{"hallo", "heeeello", "hello", "hllo", "hxllo"}));
  EXPECT_EQ(keys("h[ae]llo"), (V{"hallo", "hello"}));
  EXPECT_EQ(keys("h[^e]llo"), (V{"hallo", "hxllo"}));
  EXPECT_EQ(keys("h[a-b]llo"), (V{"hallo"}));
  EXPECT_EQ(keys("a\\*b"), (V{"a*b"}));
  EXPECT_EQ(keys("nomatch*"), V{});
  EXPECT_EQ(RunRaw({"KEYS", "nomatch"}), "*0\r\n");
  EXPECT_EQ(Str({"KEYS"}), "(error) ERR wrong number of arguments for 'keys' command");
  EXPECT_EQ(Str({"KEYS", "a", "b"}), "(error) ERR wrong number of arguments for 'keys' command");
}

TEST_F(KeysTest, KeysSkipsExpiredWithoutDeleting) {
  EXPECT_EQ(Str({"MSET", "live", "1", "dead", "1"}), "OK");
  ExpireInThePast("dead");
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"KEYS", "*"}), "[live]");
  EXPECT_EQ(Db().size(), 2u);  // as Redis's KEYS: skipped, reclaimed later
  EXPECT_EQ(ExpiredKeys(), expired);
}

// ---- SCAN ------------------------------------------------------------------------------------

TEST_F(KeysTest, ScanReturnsEveryKey) {
  std::set<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    const std::string k = "key:" + std::to_string(i);
    EXPECT_EQ(Run({"SET", k, "v"}).ToString(), "OK");
    expected.insert(k);
  }
  for (const char* count : {"1", "10", "1000"}) {
    std::vector<std::string> got = ScanAll({"COUNT", count});
    EXPECT_EQ(AsSet(got), expected) << "COUNT " << count;
  }
  EXPECT_EQ(AsSet(ScanAll({})), expected);
  // A big COUNT finishes in one call.
  std::vector<std::string> keys;
  EXPECT_EQ(ScanOnce("0", {"COUNT", "100000"}, &keys), "0");
  EXPECT_EQ(keys.size(), 300u);
  // Empty database.
  EXPECT_EQ(Str({"FLUSHDB"}), "OK");
  EXPECT_EQ(RunRaw({"SCAN", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(KeysTest, ScanReplyShapeIsTheSameInResp3) {
  EXPECT_EQ(Str({"SET", "only", "1"}), "OK");
  const std::string resp2 = RunRaw({"SCAN", "0"});
  EXPECT_EQ(resp2, "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"SCAN", "0"}), resp2);
}

TEST_F(KeysTest, ScanCountBoundsTheWorkOnASparseTable) {
  // Fill the table, then empty most of it: the buckets stay (nothing shrinks without the cron),
  // so most buckets are empty. Each call visits at most COUNT*10 + 1 scan steps, so a complete
  // iteration takes many calls even though each call wants only one key.
  for (int i = 0; i < 4000; ++i) {
    EXPECT_EQ(Run({"SET", "k" + std::to_string(i), "v"}).ToString(), "OK");
  }
  for (int i = 10; i < 4000; ++i) EXPECT_EQ(Run({"DEL", "k" + std::to_string(i)}).integer, 1);
  ASSERT_EQ(Db().size(), 10u);
  Db().keys().RehashForMicros(1000000);  // finish any resize: one table of known size
  ASSERT_FALSE(Db().keys().IsRehashing());
  const size_t buckets = Db().keys().bucket_count();
  ASSERT_GE(buckets, 4096u);
  size_t calls = 0;
  std::vector<std::string> got = ScanAll({"COUNT", "1"}, &calls);
  EXPECT_EQ(AsSet(got).size(), 10u);
  // Unbounded, about ten calls would do (each would stop at its first key).
  EXPECT_GE(calls, buckets / 11);
  // A bigger COUNT allows proportionally more buckets per call.
  size_t calls_100 = 0;
  EXPECT_EQ(AsSet(ScanAll({"COUNT", "100"}, &calls_100)).size(), 10u);
  EXPECT_LE(calls_100, buckets / 1000 + 2);
}

TEST_F(KeysTest, ScanGuaranteeWhileKeysComeAndGo) {
  // Keys present for the whole iteration are returned at least once, while other keys are
  // added (growing and rehashing the table) and removed (and the table shrunk) between calls.
  std::set<std::string> stable;
  std::vector<std::string> removable;
  for (int i = 0; i < 600; ++i) {
    const std::string k = "k:" + std::to_string(i);
    EXPECT_EQ(Run({"SET", k, "v"}).ToString(), "OK");
    if (i % 3 == 0) {
      removable.push_back(k);
    } else {
      stable.insert(k);
    }
  }
  std::vector<std::string> got;
  std::string cursor = "0";
  int added = 0;
  size_t calls = 0;
  bool grew = false;
  bool shrank = false;
  do {
    cursor = ScanOnce(cursor, {"COUNT", "7"}, &got);
    ++calls;
    if (calls <= 10) {
      // Grow: 4000 new keys over the first calls take the table from 1024 to 8192 buckets,
      // rehashing while the scan goes on.
      for (int j = 0; j < 400; ++j) {
        EXPECT_EQ(Run({"SET", "new:" + std::to_string(added++), "v"}).ToString(), "OK");
      }
      grew = grew || Db().keys().bucket_count() >= 8192;
    } else if (calls == 11) {
      // Shrink: remove them all again; under 10% of the buckets in use, the table halves
      // several times at once.
      while (added > 0) Run({"DEL", "new:" + std::to_string(--added)});
      Db().keys().RehashForMicros(1000000);
      shrank = Db().keys().ShrinkIfNeeded();
    } else {
      // Then a trickle of additions and removals.
      EXPECT_EQ(Run({"SET", "late:" + std::to_string(added++), "v"}).ToString(), "OK");
      if (!removable.empty()) {
        EXPECT_EQ(Run({"DEL", removable.back()}).integer, 1);
        removable.pop_back();
      }
    }
  } while (cursor != "0" && calls < 100000);
  EXPECT_TRUE(grew);
  EXPECT_TRUE(shrank);
  EXPECT_GT(calls, 11u);
  const std::set<std::string> seen = AsSet(got);
  for (const std::string& k : stable) EXPECT_TRUE(seen.count(k)) << k << " never returned";
}

TEST_F(KeysTest, ScanMatchAndType) {
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Run({"SET", "user:" + std::to_string(i), "v"}).ToString(), "OK");
    EXPECT_EQ(Run({"SET", "item:" + std::to_string(i), "v"}).ToString(), "OK");
  }
  std::vector<std::string> users = ScanAll({"MATCH", "user:*", "COUNT", "5"});
  EXPECT_EQ(AsSet(users).size(), 50u);
  for (const std::string& k : users) EXPECT_EQ(k.rfind("user:", 0), 0u) << k;
  EXPECT_EQ(AsSet(ScanAll({"MATCH", "item:1?"})).size(), 10u);
  EXPECT_EQ(AsSet(ScanAll({"MATCH", "*"})).size(), 100u);
  EXPECT_EQ(AsSet(ScanAll({"TYPE", "string"})).size(), 100u);
  EXPECT_EQ(AsSet(ScanAll({"TYPE", "STRING"})).size(), 100u);  // case-insensitive
  // Types with no key of theirs, and unknown names (no error in Redis 7): nothing.
  for (const char* t : {"list", "set", "zset", "hash", "stream", "nosuchtype"}) {
    EXPECT_TRUE(ScanAll({"TYPE", t}).empty()) << t;
  }
  EXPECT_EQ(AsSet(ScanAll({"TYPE", "string", "MATCH", "item:*"})).size(), 50u);
  // The last of repeated options counts.
  EXPECT_EQ(AsSet(ScanAll({"MATCH", "nothing*", "MATCH", "user:*"})).size(), 50u);
}

TEST_F(KeysTest, ScanDeletesExpiredKeysItMeets) {
  EXPECT_EQ(Str({"MSET", "live", "1", "dead1", "1", "dead2", "1"}), "OK");
  ExpireInThePast("dead1");
  ExpireInThePast("dead2");
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(AsSet(ScanAll({})), (std::set<std::string>{"live"}));
  EXPECT_EQ(ExpiredKeys(), expired + 2);
  EXPECT_EQ(Db().size(), 1u);
}

TEST_F(KeysTest, ScanCursorParsingAndErrors) {
  EXPECT_EQ(Str({"SET", "a", "1"}), "OK");
  // As strtoul: "", "00", "+0" are cursor 0; a huge or negative cursor is fine too.
  for (const char* c : {"", "00", "+0", "-0"}) {
    EXPECT_EQ(Str({"SCAN", c}), "[0, [a]]") << c;
  }
  EXPECT_EQ(Run({"SCAN", "18446744073709551615"})[0].str, "0");
  EXPECT_EQ(Run({"SCAN", "-1"})[0].str, "0");
  for (const char* c : {" 0", "0 ", "0x", "abc", "-", "+", "18446744073709551616", "1.5"}) {
    EXPECT_EQ(Str({"SCAN", c}), "(error) ERR invalid cursor") << c;
  }
  EXPECT_EQ(Str({"SCAN", "x", "COUNT", "0"}), "(error) ERR invalid cursor");  // cursor first
  EXPECT_EQ(Str({"SCAN", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SCAN", "0", "COUNT", "-1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SCAN", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SCAN", "0", "COUNT", "10000000000000000000"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SCAN", "0", "COUNT", "9223372036854775807"}), "[0, [a]]");
  for (const char* opt : {"COUNT", "MATCH", "TYPE", "FOO"}) {
    EXPECT_EQ(Str({"SCAN", "0", opt}), "(error) ERR syntax error") << opt;
  }
  EXPECT_EQ(Str({"SCAN", "0", "FOO", "bar"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SCAN"}), "(error) ERR wrong number of arguments for 'scan' command");
}

// ---- RANDOMKEY -------------------------------------------------------------------------------

TEST_F(KeysTest, Randomkey) {
  EXPECT_EQ(RunRaw({"RANDOMKEY"}), "$-1\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"RANDOMKEY"}), "_\r\n");
  h_.SetResp(2);
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "2", "c", "3"}), "OK");
  std::set<std::string> seen;
  for (int i = 0; i < 300 && seen.size() < 3; ++i) seen.insert(Run({"RANDOMKEY"}).str);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Str({"RANDOMKEY", "x"}),
            "(error) ERR wrong number of arguments for 'randomkey' command");
}

TEST_F(KeysTest, RandomkeyReclaimsExpiredKeys) {
  // A few volatile keys, all expired: each draw deletes one, until none is left.
  for (const char* k : {"a", "b", "c"}) {
    EXPECT_EQ(Str({"SET", k, "1"}), "OK");
    ExpireInThePast(k);
  }
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(Db().size(), 0u);
  EXPECT_EQ(ExpiredKeys(), expired + 3);
  // Expired keys next to a live one without TTL: the live one is found.
  EXPECT_EQ(Str({"SET", "live", "1"}), "OK");
  for (const char* k : {"x", "y", "z"}) {
    EXPECT_EQ(Str({"SET", k, "1"}), "OK");
    ExpireInThePast(k);
  }
  EXPECT_EQ(Str({"RANDOMKEY"}), "live");
}

// ---- EXPIRE PEXPIRE EXPIREAT PEXPIREAT -------------------------------------------------------

TEST_F(KeysTest, ExpireFamilySetsTtl) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "1", "c", "1", "d", "1"}), "OK");
  // Relative times count from the command's clock, which the test reads back.
  EXPECT_EQ(Str({"EXPIRE", "a", "100"}), "1");
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}).integer, h_.keyspace().now_ms() + 100000);
  EXPECT_EQ(Str({"PEXPIRE", "b", "100500"}), "1");
  const int64_t b_at = h_.keyspace().now_ms() + 100500;
  EXPECT_EQ(Run({"PEXPIRETIME", "b"}).integer, b_at);
  EXPECT_EQ(Run({"PTTL", "b"}).integer, b_at - h_.keyspace().now_ms());
  EXPECT_EQ(Run({"TTL", "b"}).integer, (b_at - h_.keyspace().now_ms() + 500) / 1000);
  EXPECT_EQ(Str({"EXPIREAT", "c", "4102444800"}), "1");
  EXPECT_EQ(Run({"PEXPIRETIME", "c"}).integer, kFarFutureMs);
  EXPECT_EQ(Str({"EXPIRETIME", "c"}), "4102444800");
  EXPECT_EQ(Str({"PEXPIREAT", "d", "4102444800123"}), "1");
  EXPECT_EQ(Str({"PEXPIRETIME", "d"}), "4102444800123");
  EXPECT_EQ(Db().expires_size(), 4u);
  // Setting again changes the time in place.
  EXPECT_EQ(Str({"PEXPIREAT", "d", "4102444800999"}), "1");
  EXPECT_EQ(Str({"PEXPIRETIME", "d"}), "4102444800999");
  EXPECT_EQ(Db().expires_size(), 4u);
  // Missing keys.
  for (const char* cmd : {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}) {
    EXPECT_EQ(Str({cmd, "nope", "100"}), "0") << cmd;
  }
  EXPECT_EQ(Str({"EXISTS", "nope"}), "0");
}

TEST_F(KeysTest, ExpireInThePastDeletesTheKey) {
  // Redis 7: the key is deleted as by DEL; expired_keys does not count it.
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "1", "c", "1", "d", "1", "e", "1"}), "OK");
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"EXPIRE", "a", "-1"}), "1");
  EXPECT_EQ(Str({"EXPIRE", "b", "0"}), "1");
  EXPECT_EQ(Str({"PEXPIRE", "c", "-100"}), "1");
  EXPECT_EQ(Str({"EXPIREAT", "d", "1"}), "1");
  EXPECT_EQ(Str({"PEXPIREAT", "e", "1"}), "1");
  EXPECT_EQ(Str({"EXISTS", "a", "b", "c", "d", "e"}), "0");
  EXPECT_EQ(Db().size(), 0u);
  EXPECT_EQ(ExpiredKeys(), expired);
  // A past time still obeys the flags.
  EXPECT_EQ(Str({"SET", "f", "1"}), "OK");
  EXPECT_EQ(Str({"EXPIRE", "f", "-1", "XX"}), "0");
  EXPECT_EQ(Str({"EXPIRE", "f", "-1", "GT"}), "0");
  EXPECT_EQ(Str({"GET", "f"}), "1");
  EXPECT_EQ(Str({"EXPIRE", "f", "-1", "LT"}), "1");  // no TTL is an infinite one
  EXPECT_EQ(Str({"EXISTS", "f"}), "0");
}

TEST_F(KeysTest, ExpireOptions) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  // Without a TTL: XX and GT fail, NX and LT pass.
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000", "XX"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000", "GT"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000", "xx", "gt"}), "0");
  EXPECT_EQ(Str({"TTL", "k"}), "-1");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000", "LT"}), "1");
  EXPECT_EQ(Str({"PERSIST", "k"}), "1");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000", "NX"}), "1");
  // With a TTL.
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800500", "NX"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800500", "XX"}), "1");
  EXPECT_EQ(Str({"PEXPIRETIME", "k"}), "4102444800500");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800500", "GT"}), "0");  // equal is not greater
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800400", "GT"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800600", "gt"}), "1");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800600", "LT"}), "0");  // equal is not less
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800700", "LT"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800100", "lt"}), "1");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800200", "XX", "GT"}), "1");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800300", "XX", "LT"}), "0");
  EXPECT_EQ(Str({"PEXPIRETIME", "k"}), "4102444800200");
  // Repeated options are fine.
  EXPECT_EQ(Str({"EXPIRE", "k", "100", "XX", "XX"}), "1");
}

TEST_F(KeysTest, ExpireErrors) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  const std::string nx_err =
      "(error) ERR NX and XX, GT or LT options at the same time are not compatible";
  EXPECT_EQ(Str({"EXPIRE", "k", "100", "NX", "XX"}), nx_err);
  EXPECT_EQ(Str({"EXPIRE", "k", "100", "NX", "GT"}), nx_err);
  EXPECT_EQ(Str({"PEXPIRE", "k", "100", "LT", "NX"}), nx_err);
  EXPECT_EQ(Str({"EXPIREAT", "k", "100", "GT", "LT"}),
            "(error) ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "100", "NX", "GT", "LT"}), nx_err);  // NX checked first
  EXPECT_EQ(Str({"EXPIRE", "k", "100", "FOO"}), "(error) ERR Unsupported option FOO");
  // Options are checked before the time.
  EXPECT_EQ(Str({"EXPIRE", "k", "x", "foo"}), "(error) ERR Unsupported option foo");
  EXPECT_EQ(Str({"EXPIRE", "k", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"PEXPIRE", "k", "1.5"}), "(error) ERR value is not an integer or out of range");
  // Overflow: of the unit conversion, and of adding the current time.
  EXPECT_EQ(Str({"EXPIRE", "k", "9223372036854776"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Str({"EXPIRE", "k", "-9223372036854776"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Str({"EXPIRE", "k", "9223372036854775"}),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(Str({"PEXPIRE", "k", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(Str({"EXPIREAT", "k", "9223372036854776"}),
            "(error) ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(Str({"TTL", "k"}), "-1");
  // No overflow: these are valid times.
  EXPECT_EQ(Str({"EXPIREAT", "k", "9223372036854775"}), "1");
  EXPECT_EQ(Str({"PEXPIRETIME", "k"}), "9223372036854775000");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "9223372036854775807"}), "1");
  EXPECT_EQ(Str({"PEXPIRETIME", "k"}), "9223372036854775807");
  EXPECT_EQ(Str({"EXPIRETIME", "k"}), "9223372036854776");  // rounded, without overflow
  for (const char* cmd : {"expire", "pexpire", "expireat", "pexpireat"}) {
    EXPECT_EQ(Str({cmd, "k"}),
              "(error) ERR wrong number of arguments for '" + std::string(cmd) + "' command");
  }
}

// ---- TTL PTTL EXPIRETIME PEXPIRETIME PERSIST -------------------------------------------------

TEST_F(KeysTest, TtlFamily) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(Str({cmd, "nope"}), "-2") << cmd;
    EXPECT_EQ(Str({cmd, "k"}), "-1") << cmd;
    EXPECT_EQ(Str({cmd}),
              "(error) ERR wrong number of arguments for '" + ToLower(cmd) + "' command");
  }
  // EXPIRETIME rounds to the nearest second, as TTL does.
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800499"}), "1");
  EXPECT_EQ(Str({"EXPIRETIME", "k"}), "4102444800");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800500"}), "1");
  EXPECT_EQ(Str({"EXPIRETIME", "k"}), "4102444801");
  // The remaining time, from the command's clock (read back after each command).
  const int64_t ttl = Run({"TTL", "k"}).integer;
  EXPECT_EQ(ttl, (4102444800500 - h_.keyspace().now_ms() + 500) / 1000);
  const int64_t pttl = Run({"PTTL", "k"}).integer;
  EXPECT_EQ(pttl, 4102444800500 - h_.keyspace().now_ms());
  // TTL, TYPE and OBJECT count hits and misses (Redis LOOKUP_NOTOUCH reads).
  const db::Stats before = h_.keyspace().stats();
  Run({"TTL", "k"});
  Run({"PTTL", "nope"});
  EXPECT_EQ(h_.keyspace().stats().keyspace_hits, before.keyspace_hits + 1);
  EXPECT_EQ(h_.keyspace().stats().keyspace_misses, before.keyspace_misses + 1);
}

TEST_F(KeysTest, Persist) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"PERSIST", "k"}), "0");
  EXPECT_EQ(Str({"PERSIST", "nope"}), "0");
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000"}), "1");
  EXPECT_EQ(Db().expires_size(), 1u);
  EXPECT_EQ(Str({"PERSIST", "k"}), "1");
  EXPECT_EQ(Str({"TTL", "k"}), "-1");
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Db().expires_size(), 0u);
  EXPECT_EQ(Str({"PERSIST", "k"}), "0");
  // An expired key cannot be rescued.
  EXPECT_EQ(Str({"PEXPIREAT", "k", "4102444800000"}), "1");
  ExpireInThePast("k");
  EXPECT_EQ(Str({"PERSIST", "k"}), "0");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"PERSIST"}), "(error) ERR wrong number of arguments for 'persist' command");
}

// ---- lazy expiry -----------------------------------------------------------------------------

TEST_F(KeysTest, LazyExpiryHidesAndReclaimsKeys) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), "OK");
  for (const char* k : {"a", "b", "c", "d"}) ExpireInThePast(k);
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"DBSIZE"}), "4");  // not yet reclaimed
  EXPECT_EQ(Str({"EXISTS", "a"}), "0");
  EXPECT_EQ(ExpiredKeys(), expired + 1);
  EXPECT_EQ(Str({"GET", "b"}), "(nil)");
  EXPECT_EQ(ExpiredKeys(), expired + 2);
  EXPECT_EQ(Str({"TTL", "c"}), "-2");
  EXPECT_EQ(Str({"PTTL", "d"}), "-2");
  EXPECT_EQ(ExpiredKeys(), expired + 4);
  EXPECT_EQ(Str({"DBSIZE"}), "0");
  EXPECT_EQ(Db().expires_size(), 0u);
}

TEST_F(KeysTest, RealShortExpiry) {
  // The one test that waits for the clock: a 1 ms TTL, then a sleep well past it.
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"PEXPIRE", "k", "1"}), "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"GET", "k"}), "(nil)");
  EXPECT_EQ(ExpiredKeys(), expired + 1);
}

// ---- OBJECT ----------------------------------------------------------------------------------

TEST_F(KeysTest, ObjectEncoding) {
  EXPECT_EQ(Str({"SET", "i", "12345"}), "OK");
  EXPECT_EQ(Str({"SET", "neg", "-9223372036854775808"}), "OK");
  EXPECT_EQ(Str({"SET", "notcanon", "012"}), "OK");
  EXPECT_EQ(Run({"SET", "e44", std::string(44, 'e')}).ToString(), "OK");
  EXPECT_EQ(Run({"SET", "r45", std::string(45, 'r')}).ToString(), "OK");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "i"}), "int");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "neg"}), "int");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "notcanon"}), "embstr");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "e44"}), "embstr");
  EXPECT_EQ(Str({"object", "encoding", "r45"}), "raw");
  EXPECT_EQ(RunRaw({"OBJECT", "ENCODING", "nope"}), "$-1\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"OBJECT", "ENCODING", "nope"}), "_\r\n");
  EXPECT_EQ(RunRaw({"OBJECT", "ENCODING", "i"}), "$3\r\nint\r\n");
}

TEST_F(KeysTest, ObjectRefcountOfSharedIntegers) {
  EXPECT_EQ(Str({"MSET", "zero", "0", "small", "9999", "big", "10000", "neg", "-1", "s", "x"}),
            "OK");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "zero"}), "2147483647");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "small"}), "2147483647");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "big"}), "1");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "neg"}), "1");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "s"}), "1");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "nope"}), "(nil)");
}

TEST(KeysSharingTest, NoSharedIntegersUnderAnLruPolicyWithMaxmemory) {
  // Redis turns sharing off when an LRU/LFU policy needs per-key clocks and maxmemory is set.
  CommandHarness h("maxmemory 100mb\nmaxmemory-policy allkeys-lru\n");
  EXPECT_EQ(h.Run({"SET", "a", "5"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"OBJECT", "REFCOUNT", "a"}).ToString(), "1");
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "a"}).ToString(), "int");
  EXPECT_EQ(h.Run({"GET", "a"}).ToString(), "5");
  // Without maxmemory the policy alone does not turn it off.
  CommandHarness h2("maxmemory-policy allkeys-lru\n");
  EXPECT_EQ(h2.Run({"SET", "a", "5"}).ToString(), "OK");
  EXPECT_EQ(h2.Run({"OBJECT", "REFCOUNT", "a"}).ToString(), "2147483647");
}

TEST_F(KeysTest, ObjectIdletimeDoesNotTouch) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "k"}), "0");
  const uint32_t old_lru =
      (h_.keyspace().lru_clock() - 42 * 1000 / db::kLruClockResolutionMs) & db::kLruMax;
  Db().LookupNoTouch("k")->set_lru(old_lru);
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "k"}), "42");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "k"}), "embstr");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "k"}), "1");
  EXPECT_EQ(Str({"TYPE", "k"}), "string");
  EXPECT_EQ(Str({"TTL", "k"}), "-1");
  EXPECT_EQ(Str({"EXISTS", "k"}), "1");
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "k"}), "42");  // none of those was an access
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "k"}), "0");
  EXPECT_EQ(Str({"OBJECT", "IDLETIME", "nope"}), "(nil)");
  EXPECT_EQ(Str({"OBJECT", "FREQ", "k"}),
            "(error) ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU data will "
            "take some time to adjust.");
  EXPECT_EQ(Str({"OBJECT", "FREQ", "nope"}), "(nil)");  // the lookup comes first
}

TEST(KeysLfuTest, ObjectFreqUnderAnLfuPolicy) {
  // lfu-decay-time 0 first, so that the counter does not depend on the minute.
  CommandHarness h("maxmemory-policy allkeys-lfu\nlfu-decay-time 0\n");
  EXPECT_EQ(h.Run({"SET", "k", "v"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "k"}).integer, db::kLfuInitValue);
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "k"}).integer, db::kLfuInitValue);  // reading is no access
  // The first increment above the initial value is certain (probability 1).
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "v");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "k"}).integer, db::kLfuInitValue + 1);
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "k"}).ToString(),
            "(error) ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
            "that when switching between policies at runtime LRU and LFU data will take some "
            "time to adjust.");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "nope"}).ToString(), "(nil)");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "nope"}).ToString(), "(nil)");
  // Decay: with lfu-decay-time 1, a counter loses one per minute since its last access. The
  // elapsed minutes are taken from the clock of the OBJECT command itself.
  EXPECT_EQ(h.Run({"CONFIG", "SET", "lfu-decay-time", "1"}).ToString(), "OK");
  db::Object* o = h.keyspace().db(0).LookupNoTouch("k");
  const uint32_t stamp = (db::LfuMinutes(h.keyspace().now_ms()) - 3) & 0xFFFF;
  o->set_lru((stamp << 8) | 20);
  const int64_t freq = h.Run({"OBJECT", "FREQ", "k"}).integer;
  const int64_t elapsed = (db::LfuMinutes(h.keyspace().now_ms()) - stamp) & 0xFFFF;
  EXPECT_GE(elapsed, 3);
  EXPECT_EQ(freq, 20 - elapsed);
  EXPECT_EQ(h.keyspace().db(0).LookupNoTouch("k")->lru(), (stamp << 8) | 20);  // not stored
}

TEST_F(KeysTest, ObjectHelpAndErrors) {
  RespValue help = Run({"OBJECT", "HELP"});
  ASSERT_EQ(help.type, RespValue::Type::kArray);
  // Redis 7.0.15's 15 lines plus Mnemo's COMPRESSION (3 lines, first in alphabetical order).
  ASSERT_EQ(help.size(), 18u);
  EXPECT_EQ(help[0].type, RespValue::Type::kSimple);
  EXPECT_EQ(help[0].str, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  EXPECT_EQ(help[1].str, "COMPRESSION <key>");
  EXPECT_EQ(help[16].str, "HELP");
  EXPECT_EQ(Str({"OBJECT", "FOO", "k"}), "(error) ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
  EXPECT_EQ(Str({"OBJECT"}), "(error) ERR wrong number of arguments for 'object' command");
  EXPECT_EQ(Str({"OBJECT", "ENCODING"}),
            "(error) ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "a", "b"}),
            "(error) ERR wrong number of arguments for 'object|refcount' command");
  EXPECT_EQ(Str({"OBJECT", "IDLETIME"}),
            "(error) ERR wrong number of arguments for 'object|idletime' command");
  EXPECT_EQ(Str({"OBJECT", "FREQ"}),
            "(error) ERR wrong number of arguments for 'object|freq' command");
  EXPECT_EQ(Str({"OBJECT", "HELP", "x"}),
            "(error) ERR wrong number of arguments for 'object|help' command");
}

TEST_F(KeysTest, ObjectCountsHitsAndMisses) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  const db::Stats before = h_.keyspace().stats();
  Run({"OBJECT", "ENCODING", "k"});
  Run({"OBJECT", "ENCODING", "nope"});
  Run({"TYPE", "k"});
  EXPECT_EQ(h_.keyspace().stats().keyspace_hits, before.keyspace_hits + 2);
  EXPECT_EQ(h_.keyspace().stats().keyspace_misses, before.keyspace_misses + 1);
}

// ---- FLUSHDB FLUSHALL ------------------------------------------------------------------------

TEST_F(KeysTest, FlushdbAndFlushall) {
  EXPECT_EQ(Str({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Str({"SELECT", "1"}), "OK");
  EXPECT_EQ(Str({"SET", "b", "1"}), "OK");
  EXPECT_EQ(Str({"FLUSHDB"}), "OK");
  EXPECT_EQ(Str({"DBSIZE"}), "0");
  EXPECT_EQ(Db(0).size(), 1u);
  EXPECT_EQ(Str({"SET", "b", "1"}), "OK");
  EXPECT_EQ(Str({"FLUSHDB", "ASYNC"}), "OK");
  EXPECT_EQ(Str({"FLUSHDB", "sync"}), "OK");
  EXPECT_EQ(Str({"FLUSHDB", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"FLUSHDB", "SYNC", "ASYNC"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SET", "b", "1"}), "OK");
  EXPECT_EQ(Str({"FLUSHALL", "ASYNC"}), "OK");
  EXPECT_EQ(h_.keyspace().TotalKeys(), 0u);
  EXPECT_EQ(Str({"FLUSHALL", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SET", "a", "1"}), "OK");
  EXPECT_EQ(Str({"FLUSHALL"}), "OK");
  EXPECT_EQ(h_.keyspace().TotalKeys(), 0u);
  h_.keyspace().lazyfree().Drain();
}

// ---- memory --------------------------------------------------------------------------------

TEST_F(KeysTest, NoLeakAcrossRenameCopyMoveDel) {
  // One round of every command that builds, moves or frees object blocks; values of every
  // string encoding, with and without TTL. After a warm-up round (tables and buffers reach their
  // size), further rounds must leave used_memory exactly where it was.
  const std::string raw(200, 'r');
  const std::string far = std::to_string(kFarFutureMs);
  auto round = [&] {
    EXPECT_EQ(Run({"SET", "raw", raw}).ToString(), "OK");
    EXPECT_EQ(Run({"SET", "emb", "embedded"}).ToString(), "OK");
    EXPECT_EQ(Run({"SET", "int", "123456789"}).ToString(), "OK");
    EXPECT_EQ(Run({"SET", "shared", "7"}).ToString(), "OK");
    EXPECT_EQ(Run({"PEXPIREAT", "raw", far}).integer, 1);
    EXPECT_EQ(Run({"PEXPIREAT", "emb", far}).integer, 1);
    for (const char* k : {"raw", "emb", "int", "shared"}) {
      const std::string key = k;
      EXPECT_EQ(Run({"RENAME", key, key + "2"}).ToString(), "OK");
      EXPECT_EQ(Run({"COPY", key + "2", key + "3"}).integer, 1);
      EXPECT_EQ(Run({"COPY", key + "2", key + "3", "REPLACE"}).integer, 1);
      EXPECT_EQ(Run({"COPY", key + "2", key, "DB", "1"}).integer, 1);
      EXPECT_EQ(Run({"RENAME", key + "3", key + "2"}).ToString(), "OK");  // overwrites
      EXPECT_EQ(Run({"RENAMENX", key + "2", key}).integer, 1);
      EXPECT_EQ(Run({"MOVE", key, "2"}).integer, 1);
    }
    EXPECT_EQ(Run({"PERSIST", "nope"}).integer, 0);
    EXPECT_EQ(Run({"SWAPDB", "1", "2"}).ToString(), "OK");
    EXPECT_EQ(Run({"SELECT", "2"}).ToString(), "OK");
    EXPECT_EQ(Run({"PEXPIREAT", "int", far}).integer, 1);
    EXPECT_EQ(Run({"PERSIST", "raw"}).integer, 1);
    EXPECT_EQ(Run({"DEL", "raw", "emb", "int", "shared"}).integer, 4);
    EXPECT_EQ(Run({"SELECT", "1"}).ToString(), "OK");
    EXPECT_EQ(Run({"UNLINK", "raw", "emb", "int", "shared"}).integer, 4);
    EXPECT_EQ(Run({"SELECT", "0"}).ToString(), "OK");
    EXPECT_EQ(Run({"PEXPIREAT", "raw", "1"}).integer, 0);
  };
  round();
  round();
  ASSERT_EQ(h_.keyspace().TotalKeys(), 0u);
  h_.keyspace().lazyfree().Drain();
  const size_t baseline = mem::UsedMemory();
  for (int i = 0; i < 20; ++i) round();
  h_.keyspace().lazyfree().Drain();
  EXPECT_EQ(h_.keyspace().TotalKeys(), 0u);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

TEST_F(KeysTest, UsedMemoryReturnsToBaselineAfterDeletingCopies) {
  // Memory grows by what the copies hold and returns when they are gone.
  const std::string raw(1000, 'z');
  EXPECT_EQ(Run({"SET", "src", raw}).ToString(), "OK");
  auto copy_and_delete = [&](bool check) {
    const size_t before = mem::UsedMemory();
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(Run({"COPY", "src", "c" + std::to_string(i)}).integer, 1);
    }
    if (check) {
      EXPECT_GE(mem::UsedMemory(), before + 3 * raw.size());
    }
    EXPECT_EQ(Run({"DEL", "c0", "c1", "c2"}).integer, 3);
  };
  copy_and_delete(false);  // warm-up: the table reaches its size
  const size_t baseline = mem::UsedMemory();
  copy_and_delete(true);
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

}  // namespace
}  // namespace mnemo::test

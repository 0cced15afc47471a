// hll_test.cc: the HyperLogLog commands through the in-process dispatcher: replies, every
// error, the encodings and the promotion, the cached count, keyspace events and propagation,
// corrupted strings (tests/cmd).
//
// Expected strings, counts and decodings were taken from redis-server 7.0.15 for the same
// commands.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "change_recorder.h"
#include "command_harness.h"

namespace mnemo::test {
namespace {

class HllCmdTest : public CommandTest {
 protected:
  // PFADD key e<first>..e<first+n-1>.
  RespValue AddRange(std::string_view key, int n, int first = 0) {
    std::vector<std::string> argv = {"PFADD", std::string(key)};
    for (int i = first; i < first + n; ++i) argv.push_back("e" + std::to_string(i));
    return Run(argv);
  }
};

// The string PFADD h a b c leaves (redis-server 7.0.15, GET), before and after PFCOUNT caches.
const std::string kAbcStale = std::string("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16) +
                              "\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";
const std::string kAbcCached = std::string("HYLL\x01\0\0\0\x03\0\0\0\0\0\0\0", 16) +
                               "\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a";

TEST_F(HllCmdTest, PfaddBuildsRedisBytes) {
  EXPECT_EQ(Str({"PFADD", "h", "a", "b", "c"}), "1");
  EXPECT_EQ(Run({"GET", "h"}).str, kAbcStale);
  EXPECT_EQ(Str({"PFDEBUG", "DECODE", "h"}), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  EXPECT_EQ(Str({"PFADD", "h", "a", "b"}), "0");  // no register grew
  EXPECT_EQ(Str({"PFADD", "h"}), "0");
  EXPECT_EQ(Str({"PFCOUNT", "h"}), "3");
  EXPECT_EQ(Run({"GET", "h"}).str, kAbcCached);
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "h"}), "raw");
  EXPECT_EQ(Str({"TYPE", "h"}), "string");
  // PFADD with no element creates an empty HyperLogLog.
  EXPECT_EQ(Str({"PFADD", "empty"}), "1");
  EXPECT_EQ(Run({"STRLEN", "empty"}).integer, 18);
  EXPECT_EQ(Str({"PFCOUNT", "empty"}), "0");
  EXPECT_EQ(Str({"PFDEBUG", "DECODE", "empty"}), "Z:16384");
}

TEST_F(HllCmdTest, SparseUntilTheLimitThenDense) {
  AddRange("h1000", 1000);
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "h1000"}), "sparse");
  EXPECT_EQ(Str({"PFCOUNT", "h1000"}), "1008");
  EXPECT_LE(Run({"STRLEN", "h1000"}).integer, 3000);
  AddRange("h3000", 3000);
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "h3000"}), "dense");
  EXPECT_EQ(Run({"STRLEN", "h3000"}).integer, 12304);
  EXPECT_EQ(Str({"PFCOUNT", "h3000"}), "2979");
  // A lower hll-sparse-max-bytes promotes sooner; the value takes memory units as Redis.
  EXPECT_EQ(Str({"CONFIG", "SET", "hll-sparse-max-bytes", "1kb"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "hll-sparse-max-bytes"}), "[hll-sparse-max-bytes, 1024]");
  AddRange("small", 1000);
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "small"}), "dense");
  EXPECT_EQ(Str({"PFCOUNT", "small"}), "1008");  // same registers, same count
}

TEST_F(HllCmdTest, PfcountOfSeveralKeysIsTheUnion) {
  EXPECT_EQ(Str({"PFADD", "h", "a", "b", "c"}), "1");
  AddRange("h1000", 1000);
  EXPECT_EQ(Str({"PFCOUNT", "h", "h1000"}), "1012");
  EXPECT_EQ(Str({"PFCOUNT", "h", "h1000", "missing"}), "1012");
  EXPECT_EQ(Str({"PFCOUNT", "missing"}), "0");
  EXPECT_EQ(Str({"PFCOUNT", "missing", "missing2"}), "0");
  // The union does not cache anything in its inputs.
  const std::string before = Run({"GET", "h"}).str;
  EXPECT_EQ(Str({"PFCOUNT", "h", "h1000"}), "1012");
  EXPECT_EQ(Run({"GET", "h"}).str, before);
}

TEST_F(HllCmdTest, PfmergeMergesIntoNewOrExistingKey) {
  EXPECT_EQ(Str({"PFADD", "h", "a", "b", "c"}), "1");
  AddRange("h1000", 1000);
  EXPECT_EQ(Str({"PFMERGE", "m", "h", "h1000"}), "OK");
  EXPECT_EQ(Str({"PFCOUNT", "m"}), "1012");
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "m"}), "sparse");
  AddRange("d", 3000);
  EXPECT_EQ(Str({"PFMERGE", "h", "d"}), "OK");  // the destination is a source too
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "h"}), "dense");
  EXPECT_EQ(Str({"PFCOUNT", "h"}), Str({"PFCOUNT", "h", "d"}));
  EXPECT_EQ(Str({"PFMERGE", "alone"}), "OK");  // no source: an empty HyperLogLog
  EXPECT_EQ(Str({"PFCOUNT", "alone"}), "0");
  EXPECT_EQ(Str({"PFMERGE", "m", "missing"}), "OK");
  EXPECT_EQ(Str({"PFCOUNT", "m"}), "1012");
}

TEST_F(HllCmdTest, WrongTypes) {
  Run({"RPUSH", "l", "x"});
  Run({"SET", "s", "not a hyperloglog"});
  Run({"SET", "n", "12345678901234567890"});
  const std::string generic =
      "(error) WRONGTYPE Operation against a key holding the wrong kind "
      "of value";
  const std::string hll = "(error) WRONGTYPE Key is not a valid HyperLogLog string value.";
  EXPECT_EQ(Str({"PFADD", "l", "a"}), generic);
  EXPECT_EQ(Str({"PFADD", "s", "a"}), hll);
  EXPECT_EQ(Str({"PFADD", "n", "a"}), hll);
  EXPECT_EQ(Str({"PFCOUNT", "l"}), generic);
  EXPECT_EQ(Str({"PFCOUNT", "s"}), hll);
  EXPECT_EQ(Str({"PFCOUNT", "missing", "s"}), hll);
  EXPECT_EQ(Str({"PFMERGE", "dst", "s"}), hll);
  EXPECT_EQ(Str({"PFMERGE", "l", "missing"}), generic);
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "s"}), hll);
  // A header that claims dense with the wrong length is not a HyperLogLog either.
  Run({"SET", "fake", std::string("HYLL\x00\0\0\0\0\0\0\0\0\0\0\0xx", 18)});
  EXPECT_EQ(Str({"PFCOUNT", "fake"}), hll);
  EXPECT_EQ(Str({"PFADD"}), "(error) ERR wrong number of arguments for 'pfadd' command");
  EXPECT_EQ(Str({"PFCOUNT"}), "(error) ERR wrong number of arguments for 'pfcount' command");
  EXPECT_EQ(Str({"PFMERGE"}), "(error) ERR wrong number of arguments for 'pfmerge' command");
}

TEST_F(HllCmdTest, CorruptedSparseAnswersInvalidObj) {
  // Sparse opcodes describing 16383 registers instead of 16384 (XZERO of 16383).
  const std::string header("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16);
  Run({"SET", "bad", header + "\x7f\xfe"});
  const std::string invalid = "(error) INVALIDOBJ Corrupted HLL object detected";
  EXPECT_EQ(Str({"PFCOUNT", "bad"}), invalid);
  EXPECT_EQ(Str({"PFCOUNT", "bad", "missing"}), invalid);
  EXPECT_EQ(Str({"PFMERGE", "dst", "bad"}), invalid);
  EXPECT_EQ(Str({"PFDEBUG", "GETREG", "bad"}), invalid);
  EXPECT_EQ(Str({"PFDEBUG", "TODENSE", "bad"}), invalid);
  // A VAL run past the last register.
  Run({"SET", "bad2", header + std::string("\x7f\xff\x83", 3)});
  EXPECT_EQ(Str({"PFCOUNT", "bad2"}), invalid);
  EXPECT_EQ(Str({"PFMERGE", "dst", "bad2"}), invalid);
  // Adding to it: the element's register lies past the end of what the opcodes describe.
  Run({"SET", "bad3", header + "\x40\x00"});  // XZERO of 1
  EXPECT_EQ(Str({"PFADD", "bad3", "a", "b", "c"}), invalid);
  EXPECT_EQ(Str({"PING"}), "PONG");
}

TEST_F(HllCmdTest, PfdebugSubcommands) {
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "missing"}),
            "(error) ERR The specified key does not exist");
  EXPECT_EQ(Str({"PFDEBUG", "nope", "missing"}), "(error) ERR The specified key does not exist");
  Run({"PFADD", "h", "a", "b", "c"});
  EXPECT_EQ(Str({"PFDEBUG", "nope", "h"}), "(error) ERR Unknown PFDEBUG subcommand 'nope'");
  EXPECT_EQ(Str({"PFDEBUG", "encoding", "h"}), "sparse");
  const RespValue regs = Run({"PFDEBUG", "GETREG", "h"});  // converts to dense
  ASSERT_EQ(regs.elements.size(), 16384u);
  int64_t nonzero = 0;
  for (const RespValue& r : regs.elements) nonzero += r.integer != 0;
  EXPECT_EQ(nonzero, 3);
  EXPECT_EQ(regs.elements[8436].integer, 1);
  EXPECT_EQ(regs.elements[12711].integer, 2);  // "a": see the MurmurHash unit test
  EXPECT_EQ(Str({"PFDEBUG", "ENCODING", "h"}), "dense");
  EXPECT_EQ(Str({"PFDEBUG", "DECODE", "h"}), "(error) ERR HLL encoding is not sparse");
  EXPECT_EQ(Str({"PFDEBUG", "TODENSE", "h"}), "0");
  Run({"PFADD", "h2", "x"});
  EXPECT_EQ(Str({"PFDEBUG", "TODENSE", "h2"}), "1");
  EXPECT_EQ(Str({"PFCOUNT", "h"}), "3");
  EXPECT_EQ(Str({"PFSELFTEST"}), "OK");
  EXPECT_EQ(Str({"PFSELFTEST", "x"}),
            "(error) ERR wrong number of arguments for 'pfselftest' command");
}

TEST_F(HllCmdTest, EventsAndPropagation) {
  ChangeRecorder rec(h_.keyspace().changes());
  EXPECT_EQ(Str({"PFADD", "h", "a", "b"}), "1");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"pfadd h"}));
  EXPECT_EQ(rec.propagated, (std::vector<std::string>{"PFADD h a b"}));
  rec.Clear();
  EXPECT_EQ(Str({"PFADD", "h", "a"}), "0");  // nothing changed: nothing heard
  EXPECT_TRUE(rec.events.empty());
  EXPECT_TRUE(rec.propagated.empty());
  // PFCOUNT that recomputes writes the cache: a silent change, propagated.
  EXPECT_EQ(Str({"PFCOUNT", "h"}), "2");
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(rec.modified, (std::vector<std::string>{"h"}));
  EXPECT_EQ(rec.propagated, (std::vector<std::string>{"PFCOUNT h"}));
  rec.Clear();
  EXPECT_EQ(Str({"PFCOUNT", "h"}), "2");  // cached: nothing
  EXPECT_TRUE(rec.modified.empty());
  EXPECT_TRUE(rec.propagated.empty());
  // PFMERGE is announced as "pfadd", as Redis does.
  EXPECT_EQ(Str({"PFMERGE", "m", "h"}), "OK");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"pfadd m"}));
  EXPECT_EQ(rec.propagated, (std::vector<std::string>{"PFMERGE m h"}));
}

TEST_F(HllCmdTest, CommandRows) {
  EXPECT_EQ(Str({"COMMAND", "INFO", "pfcount"}).substr(0, 29), "[[pfcount, -2, [readonly], 1,");
  const RespValue info = Run({"COMMAND", "INFO", "pfadd", "pfmerge", "pfdebug", "pfselftest"});
  ASSERT_EQ(info.elements.size(), 4u);
  EXPECT_EQ(info.elements[0].elements[2].ToString(), "[write, denyoom, fast]");
  EXPECT_EQ(info.elements[1].elements[4].integer, -1);  // last key: every argument
  EXPECT_EQ(info.elements[2].elements[3].integer, 2);   // PFDEBUG's key is its 2nd argument
  EXPECT_EQ(info.elements[3].elements[2].ToString(), "[admin]");
}

}  // namespace
}  // namespace mnemo::test

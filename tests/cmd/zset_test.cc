// zset_test.cc: the sorted set commands through the in-process dispatcher: every command and
// error reply, RESP2/RESP3 shapes, encodings at the thresholds, a randomized test against a
// reference model with default and tiny thresholds, and the value operations (copy, lazy free,
// exact memory) (tests/cmd).
//
// Expected replies were taken from redis-server 7.0.15 (ZRANK WITHSCORE: Redis 7.2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "command_harness.h"
#include "mnemo/db/value.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class ZsetTest : public CommandTest {
 protected:
  // OBJECT ENCODING's answer for key, or "none".
  std::string Encoding(std::string_view key) {
    db::Object* o = h_.keyspace().db(0).LookupNoTouch(key);
    return o == nullptr ? "none" : db::EncodingName(*o);
  }
  // ZADD key with members m0..m{n-1} scored 0..n-1.
  void Fill(std::string_view key, int n, int first = 0) {
    std::vector<std::string> argv = {"ZADD", std::string(key)};
    for (int i = first; i < first + n; ++i) {
      argv.push_back(std::to_string(i));
      argv.push_back("m" + std::to_string(i));
    }
    ASSERT_EQ(Run(argv).integer, n);
  }
};

// ---- ZADD, ZINCRBY, ZREM, ZSCORE ---------------------------------------------------------------

TEST_F(ZsetTest, ZaddRepliesAndOptions) {
  EXPECT_EQ(Str({"ZADD", "z", "1", "a", "2.5", "b", "0.1", "c"}), "3");
  EXPECT_EQ(Str({"ZADD", "z", "1", "a"}), "0");
  EXPECT_EQ(Str({"ZADD", "z", "CH", "1", "a", "3", "b", "4", "d"}), "2");  // b changed, d added
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "[c, 0.10000000000000001, a, 1, b, 3, d, 4]");
  // NX: only new members; XX: only existing ones (and no key is created).
  EXPECT_EQ(Str({"ZADD", "z", "NX", "9", "a", "5", "e"}), "1");
  EXPECT_EQ(Str({"ZSCORE", "z", "a"}), "1");
  EXPECT_EQ(Str({"ZADD", "z", "XX", "CH", "7", "a", "5", "f"}), "1");
  EXPECT_EQ(Str({"ZSCORE", "z", "a"}), "7");
  EXPECT_EQ(Str({"ZSCORE", "z", "f"}), "(nil)");
  EXPECT_EQ(Str({"ZADD", "nokey", "XX", "1", "a"}), "0");
  EXPECT_EQ(Str({"EXISTS", "nokey"}), "0");
  // GT/LT compare with the current score; new members are added either way.
  EXPECT_EQ(Str({"ZADD", "z", "GT", "CH", "5", "a", "9", "b", "1", "g"}), "2");
  EXPECT_EQ(Str({"ZMSCORE", "z", "a", "b", "g"}), "[7, 9, 1]");
  EXPECT_EQ(Str({"ZADD", "z", "LT", "CH", "8", "a", "2", "b"}), "1");
  EXPECT_EQ(Str({"ZMSCORE", "z", "a", "b"}), "[7, 2]");
  EXPECT_EQ(Str({"ZADD", "z", "XX", "GT", "CH", "5", "a", "7", "c", "1", "new"}), "1");
  EXPECT_EQ(Str({"ZSCORE", "z", "c"}), "7");
  // Options are case-insensitive; a repeated score is no change.
  EXPECT_EQ(Str({"ZADD", "z", "ch", "7", "a"}), "0");
  // INCR: the new score, or nil when an option said no.
  EXPECT_EQ(Str({"ZADD", "z", "INCR", "1.5", "a"}), "8.5");
  EXPECT_EQ(Str({"ZADD", "z", "INCR", "NX", "5", "a"}), "(nil)");
  EXPECT_EQ(Str({"ZADD", "z", "XX", "INCR", "5", "nope"}), "(nil)");
  EXPECT_EQ(Str({"ZADD", "nokey", "XX", "INCR", "5", "a"}), "(nil)");
  EXPECT_EQ(Str({"ZADD", "z", "GT", "INCR", "-1", "a"}), "(nil)");
  EXPECT_EQ(Str({"ZADD", "z", "INCR", "2", "fresh"}), "2");
  // Infinities are scores; inf + -inf is not.
  EXPECT_EQ(Str({"ZADD", "z", "inf", "a"}), "0");
  EXPECT_EQ(Str({"ZSCORE", "z", "a"}), "inf");
  EXPECT_EQ(Str({"ZINCRBY", "z", "-inf", "a"}),
            "(error) ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Str({"ZSCORE", "z", "a"}), "inf");
}

TEST_F(ZsetTest, ZaddErrors) {
  EXPECT_EQ(Str({"ZADD", "z"}), "(error) ERR wrong number of arguments for 'zadd' command");
  EXPECT_EQ(Str({"ZADD", "z", "1"}), "(error) ERR wrong number of arguments for 'zadd' command");
  EXPECT_EQ(Str({"ZADD", "z", "1", "a", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZADD", "z", "NX", "XX"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZADD", "z", "XX", "NX", "1", "a"}),
            "(error) ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(Str({"ZADD", "z", "GT", "LT", "1", "a"}),
            "(error) ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Str({"ZADD", "z", "GT", "NX", "1", "a"}),
            "(error) ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Str({"ZADD", "z", "LT", "NX", "1", "a"}),
            "(error) ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Str({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
            "(error) ERR INCR option supports a single increment-element pair");
  EXPECT_EQ(Str({"ZADD", "z", "1", "a", "x", "b"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Str({"ZADD", "z", "nan", "a"}), "(error) ERR value is not a valid float");
  // Nothing was applied by the failed commands.
  EXPECT_EQ(Str({"EXISTS", "z"}), "0");
  EXPECT_EQ(Str({"ZINCRBY", "z", "x", "a"}), "(error) ERR value is not a valid float");
  // ZINCRBY parses its arguments as ZADD INCR does: an option word where the increment goes.
  EXPECT_EQ(Str({"ZINCRBY", "z", "nx", "a"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZINCRBY", "z", "1"}),
            "(error) ERR wrong number of arguments for 'zincrby' command");
}

TEST_F(ZsetTest, ZincrbyAndDoubleReplies) {
  EXPECT_EQ(RunRaw({"ZINCRBY", "z", "1.5", "a"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(RunRaw({"ZINCRBY", "z", "0.1", "a"}), "$18\r\n1.6000000000000001\r\n");
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "a"}), "$18\r\n1.6000000000000001\r\n");
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "nope"}), "$-1\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"ZINCRBY", "z", "-1.6000000000000001", "a"}), ",0\r\n");
  EXPECT_EQ(RunRaw({"ZINCRBY", "z", "-inf", "b"}), ",-inf\r\n");
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "nope"}), "_\r\n");
  EXPECT_EQ(RunRaw({"ZMSCORE", "z", "b", "nope"}), "*2\r\n,-inf\r\n_\r\n");
  EXPECT_EQ(RunRaw({"ZMSCORE", "nokey", "a"}), "*1\r\n_\r\n");
  EXPECT_EQ(RunRaw({"ZADD", "z", "INCR", "NX", "1", "a"}), "_\r\n");
}

TEST_F(ZsetTest, ZremDeletesEmptyKey) {
  EXPECT_EQ(Str({"ZREM", "nokey", "a"}), "0");
  EXPECT_EQ(Str({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), "3");
  EXPECT_EQ(Str({"ZREM", "z", "a", "nope", "a"}), "1");
  EXPECT_EQ(Str({"ZCARD", "z"}), "2");
  EXPECT_EQ(Str({"ZREM", "z", "b", "c", "d"}), "2");
  EXPECT_EQ(Str({"EXISTS", "z"}), "0");
  EXPECT_EQ(Str({"ZREM", "z"}), "(error) ERR wrong number of arguments for 'zrem' command");
  // The same on a skiplist.
  Fill("big", 200);
  EXPECT_EQ(Encoding("big"), "skiplist");
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Run({"ZREM", "big", "m" + std::to_string(i)}).integer, 1);
  }
  EXPECT_EQ(Str({"EXISTS", "big"}), "0");
}

// ---- ranges ------------------------------------------------------------------------------------

TEST_F(ZsetTest, RangeByRankBothEncodings) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", entries}), "OK");
    Run({"DEL", "z"});
    ASSERT_EQ(Str({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}), "4");
    ASSERT_EQ(Encoding("z"), std::string(entries) == "0" ? "skiplist" : "listpack");
    EXPECT_EQ(Str({"ZRANGE", "z", "0", "-1"}), "[a, b, c, d]");
    EXPECT_EQ(Str({"ZRANGE", "z", "1", "2", "WITHSCORES"}), "[b, 2, c, 3]");
    EXPECT_EQ(Str({"ZRANGE", "z", "-2", "100"}), "[c, d]");
    EXPECT_EQ(Str({"ZRANGE", "z", "-100", "0"}), "[a]");
    EXPECT_EQ(Str({"ZRANGE", "z", "3", "1"}), "[]");
    EXPECT_EQ(Str({"ZRANGE", "z", "4", "10"}), "[]");
    EXPECT_EQ(Str({"ZRANGE", "z", "0", "1", "REV"}), "[d, c]");
    EXPECT_EQ(Str({"ZREVRANGE", "z", "1", "-1", "WITHSCORES"}), "[c, 3, b, 2, a, 1]");
    EXPECT_EQ(Str({"ZRANGE", "nokey", "0", "-1"}), "[]");
    // "LIMIT 0 -1" passes with a rank range (Redis checks for limit != -1).
    EXPECT_EQ(Str({"ZRANGE", "z", "0", "0", "LIMIT", "0", "-1"}), "[a]");
  }
}

TEST_F(ZsetTest, RangeReplyShapesResp2AndResp3) {
  Run({"ZADD", "z", "1", "a", "2.5", "b"});
  EXPECT_EQ(RunRaw({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
  EXPECT_EQ(RunRaw({"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n");
  h_.SetResp(3);
  // RESP3: an array of [member, score] pairs (order matters, so not a map).
  EXPECT_EQ(RunRaw({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
  EXPECT_EQ(RunRaw({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "1"}),
            "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
  EXPECT_EQ(RunRaw({"ZRANGE", "z", "0", "-1"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(RunRaw({"ZRANGE", "nokey", "0", "-1"}), "*0\r\n");
}

TEST_F(ZsetTest, RangeByScore) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", entries}), "OK");
    Run({"DEL", "z"});
    Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "lo", "inf", "hi"});
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "-inf", "+inf"}), "[lo, a, b, c, d, e, hi]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "(1", "3"}), "[b, c]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "(1", "(3", "WITHSCORES"}), "[b, 2]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "(-inf", "(inf"}), "[a, b, c, d, e]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "3", "1"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "(2", "(2"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "1", "2"}), "[b, c]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "3", "-1"}), "[d, e]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "1", "0"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "5", "10"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "7", "1"}), "[]");
    // A negative offset walks off the end in Redis: nothing.
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "-1", "2"}), "[]");
    EXPECT_EQ(Str({"ZREVRANGEBYSCORE", "z", "4", "(1", "WITHSCORES"}), "[d, 4, c, 3, b, 2]");
    EXPECT_EQ(Str({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "3"}), "[e, d, c]");
    EXPECT_EQ(Str({"ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"}), "[b, c]");
    EXPECT_EQ(Str({"ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "2", "2"}), "[d, c]");
    // Redis's strtod quirks: "" and "(" are 0.
    EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "", "1"}), "[a]");
    EXPECT_EQ(Str({"ZCOUNT", "z", "(", "+inf"}), "6");
    EXPECT_EQ(Str({"ZCOUNT", "z", "-inf", "+inf"}), "7");
    EXPECT_EQ(Str({"ZCOUNT", "z", "(1", "5"}), "4");
    EXPECT_EQ(Str({"ZCOUNT", "z", "6", "(inf"}), "0");
    EXPECT_EQ(Str({"ZCOUNT", "nokey", "0", "1"}), "0");
  }
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "x", "1"}), "(error) ERR min or max is not a float");
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "nan"}), "(error) ERR min or max is not a float");
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "x", "1"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "2", "REV"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGEBYSCORE", "z", "1", "2", "BYLEX"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZCOUNT", "z", "x", "1"}), "(error) ERR min or max is not a float");
  EXPECT_EQ(Str({"ZCOUNT", "z", "1"}),
            "(error) ERR wrong number of arguments for 'zcount' command");
}

TEST_F(ZsetTest, RangeByLex) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", entries}), "OK");
    Run({"DEL", "l"});
    Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "10", "0", "9"});
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "-", "+"}), "[10, 9, a, b, c, d, e]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "[b", "(e"}), "[b, c, d]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "(b", "[e", "LIMIT", "1", "2"}), "[d, e]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "[1", "[9"}), "[10, 9]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "[e", "[a"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "+", "-"}), "[]");
    EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "-", "+", "LIMIT", "-1", "3"}), "[]");
    EXPECT_EQ(Str({"ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "3"}), "[d, c, b]");
    EXPECT_EQ(Str({"ZREVRANGEBYLEX", "l", "[e", "(a"}), "[e, d, c, b]");
    EXPECT_EQ(Str({"ZRANGE", "l", "[e", "(a", "BYLEX", "REV", "LIMIT", "0", "2"}), "[e, d]");
    EXPECT_EQ(Str({"ZLEXCOUNT", "l", "-", "+"}), "7");
    EXPECT_EQ(Str({"ZLEXCOUNT", "l", "[b", "(d"}), "2");
    EXPECT_EQ(Str({"ZLEXCOUNT", "l", "(e", "+"}), "0");
    EXPECT_EQ(Str({"ZLEXCOUNT", "nokey", "-", "+"}), "0");
  }
  EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "a", "b"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "[a", "+x"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "", "+"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZLEXCOUNT", "l", "x", "y"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"}),
            "(error) ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(Str({"ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"}),
            "(error) ERR syntax error, WITHSCORES not supported in combination with BYLEX");
}

TEST_F(ZsetTest, ZrangeOptionErrors) {
  Run({"ZADD", "z", "1", "a"});
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "-1", "LIMIT", "1", "2"}),
            "(error) ERR syntax error, LIMIT is only supported in combination with either "
            "BYSCORE or BYLEX");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "1", "REV", "REV"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "1", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGE", "z", "x", "1"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZRANGE", "z", "x", "y", "BYSCORE"}), "(error) ERR min or max is not a float");
  EXPECT_EQ(Str({"ZRANGE", "z", "a", "b", "BYLEX"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"}), "[a, 1]");
  EXPECT_EQ(Str({"ZREVRANGE", "z", "0", "1", "REV"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZREVRANGE", "z", "0", "1", "BYSCORE"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGE", "z", "0"}),
            "(error) ERR wrong number of arguments for 'zrange' command");
}

TEST_F(ZsetTest, Zrangestore) {
  Run({"ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "1", "2"}), "2");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[b, 2, c, 3]");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"}),
            "2");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[c, 3, d, 4]");
  Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c"});
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "lex", "[b", "+", "BYLEX"}), "2");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[b, 0, c, 0]");
  // Onto itself, and over a key of another type.
  EXPECT_EQ(Str({"ZRANGESTORE", "src", "src", "0", "0"}), "1");
  EXPECT_EQ(Str({"ZRANGE", "src", "0", "-1"}), "[a]");
  Run({"SET", "str", "x"});
  EXPECT_EQ(Str({"ZRANGESTORE", "str", "src", "0", "-1"}), "1");
  EXPECT_EQ(Str({"ZCARD", "str"}), "1");
  // An empty result deletes the destination.
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "5", "6"}), "0");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  Run({"ZADD", "dst", "1", "x"});
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "nokey", "0", "-1"}), "0");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1"}),
            "(error) ERR syntax error, LIMIT is only supported in combination with either "
            "BYSCORE or BYLEX");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "src", "0"}),
            "(error) ERR wrong number of arguments for 'zrangestore' command");
  // The destination's encoding follows Redis's size hint: a rank range's length is known, so
  // more than 128 members start as a skiplist; score ranges start as a listpack and convert.
  Fill("big", 300);
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "big", "0", "127"}), "128");
  EXPECT_EQ(Encoding("dst"), "listpack");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "big", "0", "128"}), "129");
  EXPECT_EQ(Encoding("dst"), "skiplist");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "big", "0", "(128", "BYSCORE"}), "128");
  EXPECT_EQ(Encoding("dst"), "listpack");
  EXPECT_EQ(Str({"ZRANGESTORE", "dst", "big", "0", "128", "BYSCORE"}), "129");
  EXPECT_EQ(Encoding("dst"), "skiplist");
  EXPECT_EQ(Str({"ZRANGE", "dst", "-1", "-1", "WITHSCORES"}), "[m128, 128]");
}

// ---- ranks, cards, scores ----------------------------------------------------------------------

TEST_F(ZsetTest, RanksAndScores) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-ziplist-entries", entries}), "OK");
    Run({"DEL", "z"});
    Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    EXPECT_EQ(Str({"ZRANK", "z", "a"}), "0");
    EXPECT_EQ(Str({"ZRANK", "z", "c"}), "2");
    EXPECT_EQ(Str({"ZREVRANK", "z", "c"}), "0");
    EXPECT_EQ(Str({"ZREVRANK", "z", "a"}), "2");
    EXPECT_EQ(Str({"ZRANK", "z", "nope"}), "(nil)");
    EXPECT_EQ(Str({"ZRANK", "nokey", "a"}), "(nil)");
    EXPECT_EQ(Str({"ZRANK", "z", "b", "WITHSCORE"}), "[1, 2]");
    EXPECT_EQ(Str({"ZREVRANK", "z", "b", "withscore"}), "[1, 2]");
    EXPECT_EQ(Str({"ZCARD", "z"}), "3");
  }
  EXPECT_EQ(Str({"ZCARD", "nokey"}), "0");
  EXPECT_EQ(RunRaw({"ZRANK", "z", "nope", "WITHSCORE"}), "*-1\r\n");
  EXPECT_EQ(RunRaw({"ZRANK", "nokey", "a", "WITHSCORE"}), "*-1\r\n");
  EXPECT_EQ(RunRaw({"ZRANK", "z", "nope"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"ZRANK", "z", "c", "WITHSCORE"}), "*2\r\n:2\r\n$1\r\n3\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"ZRANK", "z", "c", "WITHSCORE"}), "*2\r\n:2\r\n,3\r\n");
  EXPECT_EQ(RunRaw({"ZRANK", "z", "nope", "WITHSCORE"}), "_\r\n");
  h_.SetResp(2);
  EXPECT_EQ(Str({"ZRANK", "z", "a", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANK", "z", "a", "WITHSCORE", "x"}),
            "(error) ERR wrong number of arguments for 'zrank' command");
  EXPECT_EQ(Str({"ZREVRANK", "z", "a", "WITHSCORE", "x"}),
            "(error) ERR wrong number of arguments for 'zrevrank' command");
  EXPECT_EQ(Str({"ZRANK", "z"}), "(error) ERR wrong number of arguments for 'zrank' command");
  EXPECT_EQ(Str({"ZSCORE", "z"}), "(error) ERR wrong number of arguments for 'zscore' command");
  EXPECT_EQ(Str({"ZMSCORE", "z"}), "(error) ERR wrong number of arguments for 'zmscore' command");
  EXPECT_EQ(Str({"ZCARD"}), "(error) ERR wrong number of arguments for 'zcard' command");
}

// ---- removal by range --------------------------------------------------------------------------

TEST_F(ZsetTest, ZremrangeByRankScoreLex) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", entries}), "OK");
    Run({"ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
    EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "1", "2"}), "2");
    EXPECT_EQ(Str({"ZRANGE", "r", "0", "-1"}), "[a, d, e]");
    EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "5", "10"}), "0");
    EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "2", "1"}), "0");
    EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "-1", "100"}), "1");
    EXPECT_EQ(Str({"ZRANGE", "r", "0", "-1"}), "[a, d]");
    EXPECT_EQ(Str({"ZREMRANGEBYSCORE", "r", "(1", "+inf"}), "1");
    EXPECT_EQ(Str({"ZREMRANGEBYSCORE", "r", "2", "3"}), "0");
    EXPECT_EQ(Str({"ZREMRANGEBYSCORE", "r", "-inf", "+inf"}), "1");
    EXPECT_EQ(Str({"EXISTS", "r"}), "0");
    Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"});
    EXPECT_EQ(Str({"ZREMRANGEBYLEX", "l", "[b", "(d"}), "2");
    EXPECT_EQ(Str({"ZRANGE", "l", "0", "-1"}), "[a, d]");
    EXPECT_EQ(Str({"ZREMRANGEBYLEX", "l", "(d", "+"}), "0");
    EXPECT_EQ(Str({"ZREMRANGEBYLEX", "l", "-", "+"}), "2");
    EXPECT_EQ(Str({"EXISTS", "l"}), "0");
  }
  EXPECT_EQ(Str({"ZREMRANGEBYRANK", "nokey", "0", "1"}), "0");
  EXPECT_EQ(Str({"ZREMRANGEBYSCORE", "nokey", "0", "1"}), "0");
  EXPECT_EQ(Str({"ZREMRANGEBYLEX", "nokey", "-", "+"}), "0");
  EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "x", "1"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "0", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZREMRANGEBYSCORE", "r", "x", "1"}), "(error) ERR min or max is not a float");
  EXPECT_EQ(Str({"ZREMRANGEBYLEX", "r", "x", "1"}),
            "(error) ERR min or max not valid string range item");
  EXPECT_EQ(Str({"ZREMRANGEBYRANK", "r", "0"}),
            "(error) ERR wrong number of arguments for 'zremrangebyrank' command");
}

// ---- pops ---------------------------------------------------------------------------------------

TEST_F(ZsetTest, ZpopShapesAndErrors) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(RunRaw({"ZPOPMIN", "z"}), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(Str({"ZPOPMAX", "z", "2"}), "[e, 5, d, 4]");
  EXPECT_EQ(Str({"ZPOPMIN", "z", "0"}), "[]");
  EXPECT_EQ(Str({"ZPOPMIN", "nokey"}), "[]");
  EXPECT_EQ(Str({"ZPOPMIN", "nokey", "3"}), "[]");
  h_.SetResp(3);
  // RESP3: flat without a count, [member, score] pairs with one.
  EXPECT_EQ(RunRaw({"ZPOPMIN", "z"}), "*2\r\n$1\r\nb\r\n,2\r\n");
  EXPECT_EQ(RunRaw({"ZPOPMAX", "z", "1"}), "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
  EXPECT_EQ(Str({"EXISTS", "z"}), "0");  // the last pop deleted the key
  EXPECT_EQ(RunRaw({"ZPOPMIN", "nokey"}), "*0\r\n");
  h_.SetResp(2);
  EXPECT_EQ(Str({"ZPOPMIN", "z", "-1"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"ZPOPMIN", "z", "x"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"ZPOPMIN", "z", "1", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZPOPMAX"}), "(error) ERR wrong number of arguments for 'zpopmax' command");
  // More than there is: all of it, and the key is gone.
  Fill("big", 200);
  EXPECT_EQ(Run({"ZPOPMAX", "big", "1000"}).size(), 400u);
  EXPECT_EQ(Str({"EXISTS", "big"}), "0");
}

TEST_F(ZsetTest, Zmpop) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "MIN"}), "[z, [[a, 1]]]");
  EXPECT_EQ(Str({"ZMPOP", "2", "nokey", "z", "max", "COUNT", "5"}), "[z, [[c, 3], [b, 2]]]");
  EXPECT_EQ(Str({"EXISTS", "z"}), "0");
  EXPECT_EQ(RunRaw({"ZMPOP", "1", "nokey", "MIN"}), "*-1\r\n");
  Run({"ZADD", "z", "1.5", "a"});
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"ZMPOP", "1", "z", "MIN"}), "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n");
  EXPECT_EQ(RunRaw({"ZMPOP", "1", "nokey", "MIN"}), "_\r\n");
  h_.SetResp(2);
  EXPECT_EQ(Str({"ZMPOP", "0", "z", "MIN"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Str({"ZMPOP", "x", "z", "MIN"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}),
            "(error) ERR count should be greater than 0");
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "MIN", "COUNT", "x"}),
            "(error) ERR count should be greater than 0");
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZMPOP", "2", "z", "MIN"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZMPOP", "9223372036854775807", "z", "MIN"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZMPOP", "1", "z", "MIN", "COUNT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZMPOP", "1", "z"}), "(error) ERR wrong number of arguments for 'zmpop' command");
}

// ---- ZRANDMEMBER --------------------------------------------------------------------------------

TEST_F(ZsetTest, Zrandmember) {
  for (const char* entries : {"128", "0"}) {
    ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", entries}), "OK");
    Run({"DEL", "z"});
    Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
    const std::map<std::string, std::string> scores = {
        {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}};
    RespValue one = Run({"ZRANDMEMBER", "z"});
    ASSERT_EQ(one.type, RespValue::Type::kBulk);
    EXPECT_EQ(scores.count(one.str), 1u);
    // Distinct members up to the set's size; everything from the highest score down beyond.
    for (int count = 1; count <= 5; ++count) {
      RespValue r = Run({"ZRANDMEMBER", "z", std::to_string(count), "WITHSCORES"});
      ASSERT_EQ(r.size(), 2u * static_cast<size_t>(count));
      std::set<std::string> seen;
      for (size_t i = 0; i < r.size(); i += 2) {
        ASSERT_EQ(scores.at(r[i].str), r[i + 1].str);
        seen.insert(r[i].str);
      }
      EXPECT_EQ(seen.size(), static_cast<size_t>(count));
    }
    EXPECT_EQ(Str({"ZRANDMEMBER", "z", "100"}), "[e, d, c, b, a]");
    // Negative: that many independent picks; every member turns up over many draws.
    RespValue many = Run({"ZRANDMEMBER", "z", "-2000"});
    ASSERT_EQ(many.size(), 2000u);
    std::set<std::string> seen;
    for (const RespValue& v : many.elements) seen.insert(v.str);
    EXPECT_EQ(seen.size(), 5u);
    EXPECT_EQ(Str({"ZRANDMEMBER", "z", "0"}), "[]");
  }
  // A big skiplist exercises both distinct strategies (a large and a small share).
  Fill("big", 1000);
  for (const char* count : {"900", "10"}) {
    RespValue r = Run({"ZRANDMEMBER", "big", count});
    std::set<std::string> seen;
    for (const RespValue& v : r.elements) seen.insert(v.str);
    EXPECT_EQ(seen.size(), static_cast<size_t>(std::stoi(count)));
  }
  h_.SetResp(3);
  RespValue pairs = Run({"ZRANDMEMBER", "z", "-3", "WITHSCORES"});
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].size(), 2u);
  EXPECT_EQ(pairs[0][1].type, RespValue::Type::kDouble);
  EXPECT_EQ(RunRaw({"ZRANDMEMBER", "nokey"}), "_\r\n");
  EXPECT_EQ(RunRaw({"ZRANDMEMBER", "nokey", "3"}), "*0\r\n");
  h_.SetResp(2);
  EXPECT_EQ(Str({"ZRANDMEMBER", "nokey"}), "(nil)");
  EXPECT_EQ(Str({"ZRANDMEMBER", "nokey", "3", "WITHSCORES"}), "[]");
  EXPECT_EQ(Str({"ZRANDMEMBER", "z", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZRANDMEMBER", "z", "1", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANDMEMBER", "z", "1", "WITHSCORES", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(Str({"ZRANDMEMBER", "z", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
}

// ---- ZSCAN --------------------------------------------------------------------------------------

TEST_F(ZsetTest, ZscanBothEncodings) {
  // Listpack: everything in one call, scores as stored.
  Run({"ZADD", "f", "1e-20", "a", "0.1", "b", "-0", "e", "123456789012345678", "f", "1e30", "d"});
  EXPECT_EQ(Str({"ZSCAN", "f", "0"}),
            "[0, [e, 0, a, 9.9999999999999995e-21, b, 0.10000000000000001, f, "
            "123456789012345680, d, 1e+30]]");
  EXPECT_EQ(Str({"ZSCAN", "f", "0", "MATCH", "*b*"}), "[0, [b, 0.10000000000000001]]");
  // Skiplist: scores printed with d2string.
  ASSERT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", "0"}), "OK");
  Run({"ZADD", "s", "123456789012345678", "f", "-0", "e", "2", "two"});
  RespValue all = Run({"ZSCAN", "s", "0", "COUNT", "100"});
  EXPECT_EQ(all[0].str, "0");
  std::map<std::string, std::string> got;
  for (size_t i = 0; i < all[1].size(); i += 2) got[all[1][i].str] = all[1][i + 1].str;
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"f", "1.2345678901234568e+17"}, {"e", "-0"}, {"two", "2"}}));
  // A full iteration with a small COUNT reports every member of a big skiplist.
  Fill("big", 1000);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue r = Run({"ZSCAN", "big", cursor, "COUNT", "7", "MATCH", "m1*"});
    ASSERT_EQ(r.size(), 2u);
    cursor = r[0].str;
    for (size_t i = 0; i < r[1].size(); i += 2) {
      EXPECT_EQ(r[1][i].str.rfind("m1", 0), 0u);
      EXPECT_EQ("m" + r[1][i + 1].str, r[1][i].str);
      seen.insert(r[1][i].str);
    }
    ASSERT_LT(++calls, 10000);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 111u);  // m1, m10..m19, m100..m199
  EXPECT_GT(calls, 1);
  EXPECT_EQ(Str({"ZSCAN", "nokey", "0"}), "[0, []]");
  EXPECT_EQ(Str({"ZSCAN", "nokey", "0", "COUNT", "0"}), "[0, []]");  // options not parsed
  EXPECT_EQ(Str({"ZSCAN", "f", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"ZSCAN", "f", " 0"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"ZSCAN", "f", "99999999999999999999"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Run({"ZSCAN", "f", ""})[0].str, "0");  // strtoull reads "" as 0, as in Redis
  EXPECT_EQ(Run({"ZSCAN", "f", "-1"})[0].str, "0");
  EXPECT_EQ(Str({"ZSCAN", "f", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZSCAN", "f", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZSCAN", "f", "0", "TYPE", "zset"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZSCAN", "f", "0", "MATCH"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZSCAN", "f"}), "(error) ERR wrong number of arguments for 'zscan' command");
}

// ---- set operations -----------------------------------------------------------------------------

TEST_F(ZsetTest, UnionInterDiff) {
  Run({"ZADD", "u1", "1", "a", "2", "b", "3", "c"});
  Run({"ZADD", "u2", "10", "b", "20", "c", "30", "d"});
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u2"}), "[a, b, c, d]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u2", "WITHSCORES"}), "[a, 1, b, 12, c, 23, d, 30]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u2", "WEIGHTS", "2", "3", "WITHSCORES"}),
            "[a, 2, b, 34, c, 66, d, 90]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES"}),
            "[a, 1, b, 2, c, 3, d, 30]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u2", "aggregate", "max", "WITHSCORES"}),
            "[a, 1, b, 10, c, 20, d, 30]");
  EXPECT_EQ(Str({"ZINTER", "2", "u1", "u2", "WITHSCORES"}), "[b, 12, c, 23]");
  EXPECT_EQ(
      Str({"ZINTER", "2", "u1", "u2", "AGGREGATE", "MAX", "WEIGHTS", "1", "-1", "WITHSCORES"}),
      "[b, 2, c, 3]");
  EXPECT_EQ(Str({"ZDIFF", "2", "u1", "u2", "WITHSCORES"}), "[a, 1]");
  EXPECT_EQ(Str({"ZDIFF", "2", "u2", "u1"}), "[d]");
  EXPECT_EQ(Str({"ZDIFF", "1", "u1", "WITHSCORES"}), "[a, 1, b, 2, c, 3]");
  EXPECT_EQ(Str({"ZDIFF", "2", "u1", "u1"}), "[]");
  EXPECT_EQ(Str({"ZINTER", "2", "u1", "u1", "WITHSCORES"}), "[a, 2, b, 4, c, 6]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "u1", "WITHSCORES"}), "[a, 2, b, 4, c, 6]");
  EXPECT_EQ(Str({"ZUNION", "2", "u1", "nokey", "WITHSCORES"}), "[a, 1, b, 2, c, 3]");
  EXPECT_EQ(Str({"ZINTER", "2", "u1", "nokey"}), "[]");
  EXPECT_EQ(Str({"ZDIFF", "2", "nokey", "u1"}), "[]");
  EXPECT_EQ(Str({"ZINTERCARD", "2", "u1", "u2"}), "2");
  EXPECT_EQ(Str({"ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"}), "1");
  EXPECT_EQ(Str({"ZINTERCARD", "2", "u1", "u2", "LIMIT", "0"}), "2");
  EXPECT_EQ(Str({"ZINTERCARD", "1", "nokey"}), "0");
  // Infinities: inf + -inf and 0 * inf count as 0 (Redis).
  Run({"ZADD", "i1", "inf", "a", "-inf", "b", "1", "c"});
  Run({"ZADD", "i2", "-inf", "a", "inf", "b", "2", "c"});
  EXPECT_EQ(Str({"ZUNION", "2", "i1", "i2", "WITHSCORES"}), "[a, 0, b, 0, c, 3]");
  EXPECT_EQ(Str({"ZINTER", "2", "i1", "i2", "WEIGHTS", "0", "1", "WITHSCORES"}),
            "[a, -inf, c, 2, b, inf]");
  EXPECT_EQ(Str({"ZUNION", "2", "i1", "i2", "WEIGHTS", "0", "0", "WITHSCORES"}),
            "[a, 0, b, 0, c, 0]");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"ZUNION", "1", "u1", "WITHSCORES"}),
            "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n");
  EXPECT_EQ(RunRaw({"ZDIFF", "2", "u1", "u2"}), "*1\r\n$1\r\na\r\n");
}

TEST_F(ZsetTest, StoreForms) {
  Run({"ZADD", "u1", "1", "a", "2", "b", "3", "c"});
  Run({"ZADD", "u2", "10", "b", "20", "c", "30", "d"});
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "2", "u1", "u2"}), "4");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[a, 1, b, 12, c, 23, d, 30]");
  EXPECT_EQ(Str({"ZINTERSTORE", "dst", "2", "u1", "u2", "WEIGHTS", "1", "2"}), "2");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[b, 22, c, 43]");
  EXPECT_EQ(Str({"ZDIFFSTORE", "dst", "2", "u1", "u2"}), "1");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[a, 1]");
  // An empty result deletes the destination, whatever it held.
  Run({"SET", "str", "x"});
  EXPECT_EQ(Str({"ZINTERSTORE", "str", "2", "u1", "nokey"}), "0");
  EXPECT_EQ(Str({"EXISTS", "str"}), "0");
  // The destination may be an input; a string destination is replaced.
  EXPECT_EQ(Str({"ZUNIONSTORE", "u1", "2", "u1", "u2"}), "4");
  EXPECT_EQ(Str({"ZRANGE", "u1", "0", "-1", "WITHSCORES"}), "[a, 1, b, 12, c, 23, d, 30]");
  Run({"SET", "str", "x"});
  EXPECT_EQ(Str({"ZUNIONSTORE", "str", "1", "u2"}), "3");
  EXPECT_EQ(Str({"ZCARD", "str"}), "3");
  // The result's encoding: a listpack when it fits the thresholds, whatever the inputs were.
  Fill("big", 300);
  EXPECT_EQ(Encoding("big"), "skiplist");
  EXPECT_EQ(Str({"ZINTERSTORE", "dst", "2", "big", "u2"}), "0");
  Fill("big2", 128, 250);
  EXPECT_EQ(Str({"ZINTERSTORE", "dst", "2", "big", "big2"}), "50");
  EXPECT_EQ(Encoding("dst"), "listpack");
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "1", "big"}), "300");
  EXPECT_EQ(Encoding("dst"), "skiplist");
  EXPECT_EQ(Str({"ZDIFFSTORE", "dst", "2", "big", "big2"}), "250");
  EXPECT_EQ(Encoding("dst"), "skiplist");
  EXPECT_EQ(Str({"ZDIFFSTORE", "dst", "2", "big2", "big"}), "78");
  EXPECT_EQ(Encoding("dst"), "listpack");
  // A member longer than zset-max-listpack-value keeps a small result a skiplist.
  Run({"ZADD", "long", "1", std::string(65, 'x')});
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "1", "long"}), "1");
  EXPECT_EQ(Encoding("dst"), "skiplist");
  // Both ZDIFF strategies give the same answer: with two inputs Redis's cost model picks the
  // lookups in the others, with a third small input it copies the first and deletes from it.
  const std::string by_lookup = Str({"ZDIFF", "2", "big", "big2", "WITHSCORES"});
  const std::string by_delete = Str({"ZDIFF", "3", "big", "big2", "u2", "WITHSCORES"});
  EXPECT_EQ(by_lookup, by_delete);
  EXPECT_EQ(by_lookup.substr(0, 16), "[m0, 0, m1, 1, m");
  EXPECT_EQ(Run({"ZDIFF", "3", "big", "big2", "u2"}).size(), 250u);
  EXPECT_EQ(Str({"ZDIFFSTORE", "dst", "3", "big2", "big", "u2"}), "78");
  EXPECT_EQ(Encoding("dst"), "listpack");
}

TEST_F(ZsetTest, SetOperationErrors) {
  Run({"ZADD", "z", "1", "a"});
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(Str({"ZINTERSTORE", "dst", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zinterstore' command");
  EXPECT_EQ(Str({"ZDIFFSTORE", "dst", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zdiffstore' command");
  EXPECT_EQ(Str({"ZUNION", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zunion' command");
  EXPECT_EQ(Str({"ZINTER", "-1", "z"}),
            "(error) ERR at least 1 input key is needed for 'zinter' command");
  EXPECT_EQ(Str({"ZDIFF", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zdiff' command");
  EXPECT_EQ(Str({"ZINTERCARD", "0", "z"}),
            "(error) ERR at least 1 input key is needed for 'zintercard' command");
  EXPECT_EQ(Str({"ZUNION", "x", "z"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"ZUNION", "2", "z"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZUNION", "1", "z", "WEIGHTS", "x"}), "(error) ERR weight value is not a float");
  EXPECT_EQ(Str({"ZUNION", "1", "z", "WEIGHTS", "1", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZUNION", "1", "z", "AGGREGATE", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZUNION", "1", "z", "AGGREGATE"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "1", "z", "WITHSCORES"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZDIFF", "1", "z", "WEIGHTS", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZDIFF", "1", "z", "AGGREGATE", "SUM"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZINTERCARD", "1", "z", "WEIGHTS", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZINTERCARD", "1", "z", "WITHSCORES"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZINTERCARD", "1", "z", "LIMIT", "-1"}), "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Str({"ZINTERCARD", "1", "z", "LIMIT", "x"}), "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Str({"ZINTER", "1", "z", "LIMIT", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"ZUNION", "1"}), "(error) ERR wrong number of arguments for 'zunion' command");
  EXPECT_EQ(Str({"ZUNIONSTORE", "dst", "1"}),
            "(error) ERR wrong number of arguments for 'zunionstore' command");
  // The inputs' types are checked before the options are parsed.
  Run({"SET", "s", "v"});
  EXPECT_EQ(Str({"ZUNION", "2", "s", "z", "WEIGHTS", "x", "y"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
}

// ---- WRONGTYPE ---------------------------------------------------------------------------------

TEST_F(ZsetTest, WrongTypeAgainstStringKey) {
  Run({"SET", "s", "v"});
  Run({"ZADD", "z", "1", "a"});
  const std::vector<std::vector<std::string>> commands = {
      {"ZADD", "s", "1", "a"},
      {"ZINCRBY", "s", "1", "a"},
      {"ZREM", "s", "a"},
      {"ZSCORE", "s", "a"},
      {"ZMSCORE", "s", "a"},
      {"ZCARD", "s"},
      {"ZCOUNT", "s", "0", "1"},
      {"ZLEXCOUNT", "s", "-", "+"},
      {"ZRANK", "s", "a"},
      {"ZREVRANK", "s", "a", "WITHSCORE"},
      {"ZRANGE", "s", "0", "-1"},
      {"ZRANGESTORE", "dst", "s", "0", "-1"},
      {"ZREVRANGE", "s", "0", "-1"},
      {"ZRANGEBYSCORE", "s", "0", "1"},
      {"ZREVRANGEBYSCORE", "s", "1", "0"},
      {"ZRANGEBYLEX", "s", "-", "+"},
      {"ZREVRANGEBYLEX", "s", "+", "-"},
      {"ZREMRANGEBYRANK", "s", "0", "1"},
      {"ZREMRANGEBYSCORE", "s", "0", "1"},
      {"ZREMRANGEBYLEX", "s", "-", "+"},
      {"ZPOPMIN", "s"},
      {"ZPOPMAX", "s", "2"},
      {"ZMPOP", "2", "nokey", "s", "MIN"},
      {"ZRANDMEMBER", "s"},
      {"ZRANDMEMBER", "s", "2"},
      {"ZSCAN", "s", "0"},
      {"ZUNION", "2", "z", "s"},
      {"ZINTER", "2", "z", "s"},
      {"ZDIFF", "2", "z", "s"},
      {"ZUNIONSTORE", "dst", "2", "z", "s"},
      {"ZINTERSTORE", "dst", "2", "z", "s"},
      {"ZDIFFSTORE", "dst", "2", "z", "s"},
      {"ZINTERCARD", "2", "z", "s"},
  };
  for (const auto& argv : commands) {
    EXPECT_EQ(Run(argv).ToString(),
              "(error) WRONGTYPE Operation against a key holding the wrong kind of value")
        << argv[0];
  }
  EXPECT_EQ(Str({"GET", "s"}), "v");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
}

// ---- encodings ----------------------------------------------------------------------------------

TEST_F(ZsetTest, EncodingThresholds) {
  Fill("z", 128);
  EXPECT_EQ(Encoding("z"), "listpack");
  EXPECT_EQ(Str({"ZADD", "z", "1000", "one-more"}), "1");
  EXPECT_EQ(Encoding("z"), "skiplist");
  // Never back to a listpack when it shrinks.
  EXPECT_EQ(Str({"ZREMRANGEBYRANK", "z", "0", "-2"}), "128");
  EXPECT_EQ(Encoding("z"), "skiplist");
  EXPECT_EQ(Str({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[one-more, 1000]");
  // Member length: 64 bytes fit, 65 do not (on a new key and on an existing one).
  Run({"ZADD", "v", "1", std::string(64, 'a')});
  EXPECT_EQ(Encoding("v"), "listpack");
  Run({"ZADD", "v", "2", std::string(65, 'b')});
  EXPECT_EQ(Encoding("v"), "skiplist");
  Run({"ZADD", "w", "1", std::string(65, 'b')});
  EXPECT_EQ(Encoding("w"), "skiplist");
  // The ZADD size hint (Redis 7.2 zsetTypeCreate / zsetTypeMaybeConvert): 129 pairs make a
  // skiplist at once, even when they name fewer distinct members.
  std::vector<std::string> argv = {"ZADD", "h"};
  for (int i = 0; i < 129; ++i) {
    argv.push_back(std::to_string(i));
    argv.push_back("same");
  }
  EXPECT_EQ(Run(argv).integer, 1);
  EXPECT_EQ(Encoding("h"), "skiplist");
  Run({"ZADD", "h2", "1", "a"});
  argv[1] = "h2";
  EXPECT_EQ(Run(argv).integer, 1);
  EXPECT_EQ(Encoding("h2"), "skiplist");
  // ZINCRBY on a listpack keeps order.
  Run({"ZADD", "o", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Str({"ZINCRBY", "o", "5", "a"}), "6");
  EXPECT_EQ(Str({"ZRANGE", "o", "0", "-1"}), "[b, c, a]");
  EXPECT_EQ(Encoding("o"), "listpack");
}

TEST_F(ZsetTest, EncodingThresholdsFromConfig) {
  EXPECT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", "3"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "zset-max-ziplist-entries"}), "[zset-max-ziplist-entries, 3]");
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Encoding("z"), "listpack");
  Run({"ZADD", "z", "4", "d"});
  EXPECT_EQ(Encoding("z"), "skiplist");
  // The ziplist names are aliases.
  EXPECT_EQ(Str({"CONFIG", "SET", "zset-max-ziplist-entries", "10"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "SET", "zset-max-ziplist-value", "4"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "zset-max-listpack-value"}), "[zset-max-listpack-value, 4]");
  Run({"ZADD", "y", "1", "abcd"});
  EXPECT_EQ(Encoding("y"), "listpack");
  Run({"ZADD", "y", "1", "abcde"});
  EXPECT_EQ(Encoding("y"), "skiplist");
  // Integers are members too: "12345" is 5 bytes whatever the listpack stores.
  Run({"ZADD", "x", "1", "12345"});
  EXPECT_EQ(Encoding("x"), "skiplist");
  // Entries 0: every zset is a skiplist.
  EXPECT_EQ(Str({"CONFIG", "SET", "zset-max-listpack-entries", "0"}), "OK");
  Run({"ZADD", "e", "1", "a"});
  EXPECT_EQ(Encoding("e"), "skiplist");
}

// ---- randomized test against a reference model
// ---------------------------------------------------

// The model: member -> score and the same pairs in (score, member) order.
struct ModelZset {
  std::map<std::string, double> scores;
  std::set<std::pair<double, std::string>> order;

  void Set(const std::string& m, double s) {
    Remove(m);
    scores[m] = s;
    order.emplace(s, m);
  }
  void Remove(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return;
    order.erase({it->second, m});
    scores.erase(it);
  }
  std::vector<std::pair<std::string, double>> Sorted() const {
    std::vector<std::pair<std::string, double>> v;
    for (const auto& [s, m] : order) v.emplace_back(m, s);
    return v;
  }
};

// A score as ZSCORE prints it: %.17g, infinities as "inf"/"-inf". -0 prints as "0": Redis stores
// -0 as the integer 0 in a listpack but keeps it in a skiplist, the one answer that depends on
// the encoding in Redis too.
std::string Fmt(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

// RespValue::ToString with "-0" read as "0" (see Fmt).
std::string Show(const RespValue& v) {
  if (v.IsArray()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) s += ", ";
      s += Show(v[i]);
    }
    return s + "]";
  }
  std::string s = v.ToString();
  return s == "-0" ? "0" : s;
}

std::string List(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ", ";
    s += items[i];
  }
  return s + "]";
}

class ZsetModelTest {
 public:
  ZsetModelTest(CommandHarness& h, uint64_t seed, bool tiny) : h_(h), rng_(seed), tiny_(tiny) {
    // Members: short words, integers (stored as integers in a listpack), and a few long ones
    // (past zset-max-listpack-value with either setting).
    for (int i = 0; i < 160; ++i) members_.push_back("m" + std::to_string(i));
    for (int i = -5; i < 20; ++i) members_.push_back(std::to_string(i * 7));
    for (int i = 0; i < 4; ++i) members_.push_back(std::string(70, static_cast<char>('p' + i)));
    scores_ = {0, 1, -1, 2, 3, 0.5, -2.5, 7, 10, 0.1, 1e20, -1e20, 123456789012.25, kInf, -kInf};
  }

  // Encodings met at the checks, and the largest set: evidence that both encodings were tested.
  const std::set<std::string>& encodings_seen() const { return encodings_seen_; }
  size_t max_size() const { return max_size_; }

  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      Step(step);
      if (::testing::Test::HasFatalFailure()) return;
      if (step % 50 == 0) CheckAll(step);
    }
    CheckAll(steps);
  }

 private:
  // Runs a command and returns its display.
  std::string Do(const std::vector<std::string>& argv) { return Show(h_.Run(argv)); }

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Coin(int percent = 50) { return static_cast<int>(Pick(100)) < percent; }
  std::string Member() {
    // A smaller pool with tiny thresholds keeps sets small enough to hit both encodings often.
    const size_t pool = tiny_ ? 30 : members_.size();
    return members_[Pick(pool)];
  }
  double Score() { return scores_[Pick(scores_.size())]; }
  std::string Key() { return keys_[Pick(keys_.size())]; }
  static std::string ScoreArg(double d) {
    if (std::isinf(d)) return d > 0 ? "+inf" : "-inf";
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    return buf;
  }
  std::string Bound(bool lex) {
    if (lex) {
      const size_t k = Pick(10);
      if (k == 0) return "-";
      if (k == 1) return "+";
      return (Coin() ? "[" : "(") + Member();
    }
    return (Coin(30) ? "(" : "") + ScoreArg(Score());
  }

  std::string Elements(const std::vector<std::pair<std::string, double>>& v, bool withscores) {
    std::vector<std::string> out;
    for (const auto& [m, s] : v) {
      out.push_back(m);
      if (withscores) out.push_back(Fmt(s));
    }
    return List(out);
  }

  ModelZset& M(const std::string& key) { return model_[key]; }
  void DropIfEmpty(const std::string& key) {
    if (model_[key].scores.empty()) model_.erase(key);
  }

  // ZADD with random options, applied to the model as Redis's zsetAdd does.
  void Zadd(const std::string& key, bool lex) {
    bool nx = false, xx = false, gt = false, lt = false, incr = false, ch = false;
    if (Coin(30)) {
      switch (Pick(lex ? 3 : 6)) {
        case 0:
          nx = true;
          break;
        case 1:
          xx = true;
          break;
        case 2:
          ch = true;
          break;
        case 3:
          gt = true;
          xx = Coin();
          break;
        case 4:
          lt = true;
          ch = true;
          break;
        case 5:
          incr = true;
          nx = Coin(20);
          break;
      }
    }
    // Bigger batches with default thresholds, so that sets grow past 128 members.
    const size_t pairs = incr ? 1 : 1 + Pick(tiny_ ? 4 : 16);
    std::vector<std::string> argv = {"ZADD", key};
    if (nx) argv.push_back("NX");
    if (xx) argv.push_back("XX");
    if (gt) argv.push_back("GT");
    if (lt) argv.push_back("LT");
    if (ch) argv.push_back("CH");
    if (incr) argv.push_back("INCR");
    std::vector<std::pair<std::string, double>> items;
    for (size_t i = 0; i < pairs; ++i) {
      items.emplace_back(Member(), lex ? 0 : Score());
      argv.push_back(ScoreArg(items.back().second));
      argv.push_back(items.back().first);
    }
    const bool existed = model_.count(key) != 0;
    ModelZset& z = M(key);
    int added = 0, updated = 0, processed = 0;
    double last = 0;
    std::string expect;
    for (const auto& [m, s0] : items) {
      auto it = z.scores.find(m);
      double s = s0;
      if (it != z.scores.end()) {
        if (nx) continue;
        const double cur = it->second;
        if (incr) {
          s += cur;
          if (std::isnan(s)) {
            expect = "(error) ERR resulting score is not a number (NaN)";
            break;
          }
        }
        if ((lt && s >= cur) || (gt && s <= cur)) continue;
        ++processed;
        last = s;
        if (s != cur) {
          z.Set(m, s);
          ++updated;
        }
      } else {
        if (xx) continue;
        z.Set(m, s);
        ++added;
        ++processed;
        last = s;
      }
    }
    if (!existed && xx) {
      expect = incr ? "(nil)" : "0";
    } else if (expect.empty()) {
      expect = incr ? (processed > 0 ? Fmt(last) : "(nil)")
                    : std::to_string(ch ? added + updated : added);
    }
    DropIfEmpty(key);
    ASSERT_EQ(Do(argv), expect) << List(argv);
  }

  void Step(int step) {
    const bool lex_op = Coin(15);
    const std::string key = lex_op ? "lex" : Key();
    const size_t len = model_.count(key) ? model_[key].scores.size() : 0;
    if (lex_op) {
      switch (Pick(5)) {
        case 0:
        case 1:
          Zadd(key, true);
          return;
        case 2: {  // ZRANGEBYLEX / ZREVRANGEBYLEX with LIMIT
          const bool rev = Coin();
          std::string lo = Bound(true), hi = Bound(true);
          const int64_t offset = static_cast<int64_t>(Pick(len + 2)) - (Coin(10) ? 1 : 0);
          const int64_t count = static_cast<int64_t>(Pick(len + 2)) - 1;
          const bool limit = Coin();
          std::vector<std::string> argv = {rev ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX", key,
                                           rev ? hi : lo, rev ? lo : hi};
          if (limit) {
            argv.insert(argv.end(), {"LIMIT", std::to_string(offset), std::to_string(count)});
          }
          const auto range = ds::ParseLexRange(lo, hi);
          ASSERT_TRUE(range.has_value());
          std::vector<std::pair<std::string, double>> in;
          if (model_.count(key)) {
            for (const auto& e : model_[key].Sorted()) {
              if (range->Contains(e.first)) in.push_back(e);
            }
          }
          if (rev) std::reverse(in.begin(), in.end());
          ApplyLimit(&in, limit, offset, count);
          ASSERT_EQ(Do(argv), Elements(in, false)) << List(argv);
          return;
        }
        case 3: {  // ZLEXCOUNT
          std::string lo = Bound(true), hi = Bound(true);
          const auto range = ds::ParseLexRange(lo, hi);
          size_t n = 0;
          if (model_.count(key)) {
            for (const auto& [m, s] : model_[key].scores) n += range->Contains(m) ? 1 : 0;
          }
          ASSERT_EQ(Do({"ZLEXCOUNT", key, lo, hi}), std::to_string(n));
          return;
        }
        case 4: {  // ZREMRANGEBYLEX
          std::string lo = Bound(true), hi = Bound(true);
          const auto range = ds::ParseLexRange(lo, hi);
          size_t n = 0;
          if (model_.count(key)) {
            for (const auto& [m, s] : model_[key].Sorted()) {
              if (range->Contains(m)) {
                model_[key].Remove(m);
                ++n;
              }
            }
            DropIfEmpty(key);
          }
          ASSERT_EQ(Do({"ZREMRANGEBYLEX", key, lo, hi}), std::to_string(n));
          return;
        }
      }
    }
    switch (Pick(16)) {
      case 0:
      case 1:
      case 2:
        Zadd(key, false);
        return;
      case 3: {  // ZINCRBY
        const std::string m = Member();
        const double inc = Score();
        ModelZset& z = M(key);
        auto it = z.scores.find(m);
        const double s = (it == z.scores.end() ? 0 : it->second) + inc;
        std::string expect;
        if (std::isnan(s)) {
          expect = "(error) ERR resulting score is not a number (NaN)";
        } else {
          z.Set(m, s);
          expect = Fmt(s);
        }
        DropIfEmpty(key);
        ASSERT_EQ(Do({"ZINCRBY", key, ScoreArg(inc), m}), expect);
        return;
      }
      case 4: {  // ZREM
        std::vector<std::string> argv = {"ZREM", key};
        int n = 0;
        for (size_t i = 0, k = 1 + Pick(3); i < k; ++i) argv.push_back(Member());
        if (model_.count(key)) {
          for (size_t i = 2; i < argv.size(); ++i) {
            if (model_[key].scores.count(argv[i])) {
              model_[key].Remove(argv[i]);
              ++n;
            }
          }
          DropIfEmpty(key);
        }
        ASSERT_EQ(Do(argv), std::to_string(n));
        return;
      }
      case 5: {  // ZRANGE / ZREVRANGE by rank
        const int64_t l = static_cast<int64_t>(len);
        const int64_t start = static_cast<int64_t>(Pick(2 * len + 5)) - l - 2;
        const int64_t end = static_cast<int64_t>(Pick(2 * len + 5)) - l - 2;
        const bool rev = Coin();
        const bool ws = Coin();
        std::vector<std::string> argv = {"ZRANGE", key, std::to_string(start), std::to_string(end)};
        if (rev) argv.push_back("REV");
        if (ws) argv.push_back("WITHSCORES");
        std::vector<std::pair<std::string, double>> all;
        if (model_.count(key)) all = model_[key].Sorted();
        if (rev) std::reverse(all.begin(), all.end());
        int64_t s = start < 0 ? start + l : start, e = end < 0 ? end + l : end;
        if (s < 0) s = 0;
        std::vector<std::pair<std::string, double>> in;
        if (s <= e && s < l) {
          if (e >= l) e = l - 1;
          in.assign(all.begin() + s, all.begin() + e + 1);
        }
        ASSERT_EQ(Do(argv), Elements(in, ws)) << List(argv);
        return;
      }
      case 6: {  // ZRANGE BYSCORE [REV] [LIMIT] [WITHSCORES]
        const bool rev = Coin();
        const bool ws = Coin();
        const bool limit = Coin();
        std::string lo = Bound(false), hi = Bound(false);
        const int64_t offset = static_cast<int64_t>(Pick(len + 2)) - (Coin(10) ? 1 : 0);
        const int64_t count = static_cast<int64_t>(Pick(len + 2)) - 1;
        std::vector<std::string> argv = {"ZRANGE", key, rev ? hi : lo, rev ? lo : hi, "BYSCORE"};
        if (rev) argv.push_back("REV");
        if (ws) argv.push_back("WITHSCORES");
        if (limit) {
          argv.insert(argv.end(), {"LIMIT", std::to_string(offset), std::to_string(count)});
        }
        const auto range = ds::ParseScoreRange(lo, hi);
        ASSERT_TRUE(range.has_value());
        std::vector<std::pair<std::string, double>> in;
        if (model_.count(key)) {
          for (const auto& e : model_[key].Sorted()) {
            if (range->Contains(e.second)) in.push_back(e);
          }
        }
        if (rev) std::reverse(in.begin(), in.end());
        ApplyLimit(&in, limit, offset, count);
        ASSERT_EQ(Do(argv), Elements(in, ws)) << List(argv);
        return;
      }
      case 7: {  // ZCOUNT
        std::string lo = Bound(false), hi = Bound(false);
        const auto range = ds::ParseScoreRange(lo, hi);
        size_t n = 0;
        if (model_.count(key)) {
          for (const auto& [m, s] : model_[key].scores) n += range->Contains(s) ? 1 : 0;
        }
        ASSERT_EQ(Do({"ZCOUNT", key, lo, hi}), std::to_string(n));
        return;
      }
      case 8: {  // ZRANK / ZREVRANK [WITHSCORE], ZSCORE
        const std::string m = Member();
        const bool rev = Coin();
        std::string expect_rank = "(nil)", expect_score = "(nil)";
        if (model_.count(key) && model_[key].scores.count(m)) {
          const auto all = model_[key].Sorted();
          size_t r = 0;
          while (all[r].first != m) ++r;
          if (rev) r = all.size() - 1 - r;
          expect_rank = std::to_string(r);
          expect_score = Fmt(all[rev ? all.size() - 1 - r : r].second);
        }
        ASSERT_EQ(Do({rev ? "ZREVRANK" : "ZRANK", key, m}), expect_rank);
        ASSERT_EQ(Do({rev ? "ZREVRANK" : "ZRANK", key, m, "WITHSCORE"}),
                  expect_rank == "(nil)" ? "(nil)" : List({expect_rank, expect_score}));
        ASSERT_EQ(Do({"ZSCORE", key, m}), expect_score);
        return;
      }
      case 9: {  // ZPOPMIN / ZPOPMAX count
        const bool max = Coin();
        const size_t count = Pick(4);
        std::vector<std::pair<std::string, double>> in;
        if (model_.count(key)) {
          auto all = model_[key].Sorted();
          if (max) std::reverse(all.begin(), all.end());
          for (size_t i = 0; i < count && i < all.size(); ++i) {
            in.push_back(all[i]);
            model_[key].Remove(all[i].first);
          }
          DropIfEmpty(key);
        }
        ASSERT_EQ(Do({max ? "ZPOPMAX" : "ZPOPMIN", key, std::to_string(count)}),
                  Elements(in, true));
        return;
      }
      case 10: {  // ZREMRANGEBYSCORE
        std::string lo = Bound(false), hi = Bound(false);
        const auto range = ds::ParseScoreRange(lo, hi);
        size_t n = 0;
        if (model_.count(key)) {
          for (const auto& [m, s] : model_[key].Sorted()) {
            if (range->Contains(s)) {
              model_[key].Remove(m);
              ++n;
            }
          }
          DropIfEmpty(key);
        }
        ASSERT_EQ(Do({"ZREMRANGEBYSCORE", key, lo, hi}), std::to_string(n));
        return;
      }
      case 11: {  // ZREMRANGEBYRANK
        const int64_t l = static_cast<int64_t>(len);
        int64_t s = static_cast<int64_t>(Pick(2 * len + 3)) - l - 1;
        int64_t e = static_cast<int64_t>(Pick(2 * len + 3)) - l - 1;
        const std::vector<std::string> argv = {"ZREMRANGEBYRANK", key, std::to_string(s),
                                               std::to_string(e)};
        if (s < 0) s += l;
        if (e < 0) e += l;
        if (s < 0) s = 0;
        size_t n = 0;
        if (s <= e && s < l) {
          if (e >= l) e = l - 1;
          const auto all = model_[key].Sorted();
          for (int64_t i = s; i <= e; ++i) model_[key].Remove(all[static_cast<size_t>(i)].first);
          n = static_cast<size_t>(e - s + 1);
          DropIfEmpty(key);
        }
        ASSERT_EQ(Do(argv), std::to_string(n)) << List(argv);
        return;
      }
      case 12: {  // ZRANGESTORE by score into another key
        const std::string dst = Key();
        std::string lo = Bound(false), hi = Bound(false);
        const auto range = ds::ParseScoreRange(lo, hi);
        ModelZset result;
        if (model_.count(key)) {
          for (const auto& [m, s] : model_[key].scores) {
            if (range->Contains(s)) result.Set(m, s);
          }
        }
        const size_t n = result.scores.size();
        if (n > 0) {
          model_[dst] = result;
        } else {
          model_.erase(dst);
        }
        ASSERT_EQ(Do({"ZRANGESTORE", dst, key, lo, hi, "BYSCORE"}), std::to_string(n));
        return;
      }
      case 13: {  // ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE of two keys
        const std::string a = Key(), b = Key(), dst = Key();
        const int op = static_cast<int>(Pick(3));
        const double wa = static_cast<double>(Pick(5)) - 1, wb = static_cast<double>(Pick(5)) - 1;
        const int agg = static_cast<int>(Pick(3));
        static const char* kAgg[] = {"SUM", "MIN", "MAX"};
        static const char* kOp[] = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"};
        std::vector<std::string> argv = {kOp[op], dst, "2", a, b};
        if (op != 2) {
          argv.insert(argv.end(), {"WEIGHTS", ScoreArg(wa), ScoreArg(wb), "AGGREGATE", kAgg[agg]});
        }
        const ModelZset result = SetOp(op, a, b, wa, wb, agg);
        const size_t n = result.scores.size();
        if (n > 0) {
          model_[dst] = result;
        } else {
          model_.erase(dst);
        }
        ASSERT_EQ(Do(argv), std::to_string(n)) << List(argv);
        return;
      }
      case 14: {  // ZMPOP over two keys
        const std::string a = Key(), b = Key();
        const bool max = Coin();
        const size_t count = 1 + Pick(3);
        std::string expect = "(nil)";
        for (const std::string& k : {a, b}) {
          if (!model_.count(k)) continue;
          auto all = model_[k].Sorted();
          if (max) std::reverse(all.begin(), all.end());
          std::vector<std::string> pairs;
          for (size_t i = 0; i < count && i < all.size(); ++i) {
            pairs.push_back(List({all[i].first, Fmt(all[i].second)}));
            model_[k].Remove(all[i].first);
          }
          DropIfEmpty(k);
          expect = List({k, List(pairs)});
          break;
        }
        ASSERT_EQ(Do({"ZMPOP", "2", a, b, max ? "MAX" : "MIN", "COUNT", std::to_string(count)}),
                  expect);
        return;
      }
      case 15: {  // ZCARD, ZMSCORE
        const std::string m1 = Member(), m2 = Member();
        ASSERT_EQ(Do({"ZCARD", key}), std::to_string(len));
        std::vector<std::string> expect;
        for (const std::string& m : {m1, m2}) {
          expect.push_back(model_.count(key) && model_[key].scores.count(m)
                               ? Fmt(model_[key].scores[m])
                               : "(nil)");
        }
        ASSERT_EQ(Do({"ZMSCORE", key, m1, m2}), List(expect));
        return;
      }
    }
    (void)step;
  }

  static void ApplyLimit(std::vector<std::pair<std::string, double>>* v, bool limit, int64_t offset,
                         int64_t count) {
    if (!limit) return;
    if (offset < 0 || static_cast<size_t>(offset) >= v->size()) {
      v->clear();
      return;
    }
    v->erase(v->begin(), v->begin() + offset);
    if (count >= 0 && static_cast<size_t>(count) < v->size()) v->resize(static_cast<size_t>(count));
  }

  // Redis zunionInterAggregate.
  static void Aggregate(double* target, double value, int agg) {
    if (agg == 0) {
      *target += value;
      if (std::isnan(*target)) *target = 0;
    } else if (agg == 1) {
      *target = value < *target ? value : *target;
    } else {
      *target = value > *target ? value : *target;
    }
  }

  // The union, intersection or difference of keys a and b as Redis computes it: inputs sorted
  // by size (smallest first, ties in argument order) for union and intersection.
  ModelZset SetOp(int op, const std::string& a, const std::string& b, double wa, double wb,
                  int agg) {
    const ModelZset empty;
    const ModelZset& za = model_.count(a) ? model_[a] : empty;
    const ModelZset& zb = model_.count(b) ? model_[b] : empty;
    ModelZset out;
    if (op == 2) {  // difference: a's scores, weights ignored
      if (a == b) return out;
      for (const auto& [m, s] : za.scores) {
        if (!zb.scores.count(m)) out.Set(m, s);
      }
      return out;
    }
    std::vector<std::pair<const ModelZset*, double>> in = {{&za, wa}, {&zb, wb}};
    std::stable_sort(in.begin(), in.end(), [](const auto& x, const auto& y) {
      return x.first->scores.size() < y.first->scores.size();
    });
    if (op == 1) {  // intersection
      for (const auto& [m, s] : in[0].first->scores) {
        double score = in[0].second * s;
        if (std::isnan(score)) score = 0;
        auto it = in[1].first->scores.find(m);
        if (it == in[1].first->scores.end()) continue;
        Aggregate(&score, it->second * in[1].second, agg);
        out.Set(m, score);
      }
      return out;
    }
    for (const auto& [z, w] : in) {  // union
      for (const auto& [m, s] : z->scores) {
        double score = w * s;
        if (std::isnan(score)) score = 0;
        auto it = out.scores.find(m);
        if (it == out.scores.end()) {
          out.Set(m, score);
        } else {
          double total = it->second;
          Aggregate(&total, score, agg);
          out.Set(m, total);
        }
      }
    }
    return out;
  }

  void CheckAll(int step) {
    for (const std::string& key : {keys_[0], keys_[1], keys_[2], std::string("lex")}) {
      if (!model_.count(key)) {
        ASSERT_EQ(Do({"EXISTS", key}), "0") << key << " at step " << step;
        continue;
      }
      ASSERT_EQ(Do({"ZRANGE", key, "0", "-1", "WITHSCORES"}), Elements(model_[key].Sorted(), true))
          << key << " at step " << step;
      db::Object* o = h_.keyspace().db(0).LookupNoTouch(key);
      encodings_seen_.insert(db::EncodingName(*o));
      max_size_ = std::max(max_size_, model_[key].scores.size());
      // A full ZSCAN sees every member once, whatever the encoding.
      std::set<std::string> seen;
      std::string cursor = "0";
      do {
        RespValue r = h_.Run({"ZSCAN", key, cursor, "COUNT", "5"});
        cursor = r[0].str;
        for (size_t i = 0; i < r[1].size(); i += 2) seen.insert(r[1][i].str);
      } while (cursor != "0");
      ASSERT_EQ(seen.size(), model_[key].scores.size()) << key << " at step " << step;
    }
  }

  CommandHarness& h_;
  std::mt19937_64 rng_;
  bool tiny_;
  std::vector<std::string> members_;
  std::vector<double> scores_;
  const std::vector<std::string> keys_ = {"k0", "k1", "k2"};
  std::map<std::string, ModelZset> model_;
  std::set<std::string> encodings_seen_;
  size_t max_size_ = 0;
};

void RunModel(std::string_view config, uint64_t seed, int steps) {
  CommandHarness h(config);
  const bool tiny = !config.empty();
  // Warm up what the harness keeps between commands (error statistics, the reply buffer's
  // capacity, the client's last command name) so that the memory check below sees only the
  // keyspace.
  h.Run({"ZADD", "w", "x", "a"});
  h.Run({"ZREMRANGEBYSCORE", "w", "0", "1"});
  h.Run({"ZINCRBY", "w", "1", "a"});
  h.Run({"GET", "w"});
  std::vector<std::string> big = {"ZADD", "w"};
  for (int i = 0; i < 3000; ++i) {
    big.push_back(std::to_string(i));
    big.push_back(std::string(40, 'x') + std::to_string(i));
  }
  h.Run(big);
  h.Run({"ZRANGE", "w", "0", "-1", "WITHSCORES"});
  h.Run({"FLUSHALL", "SYNC"});
  const size_t base = mem::UsedMemory();
  {
    ZsetModelTest t(h, seed, tiny);
    t.Run(steps);
    EXPECT_EQ(t.encodings_seen(), (std::set<std::string>{"listpack", "skiplist"}));
    EXPECT_GT(t.max_size(), tiny ? 4u : 128u);  // past zset-max-listpack-entries
  }
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_EQ(h.Run({"FLUSHALL", "SYNC"}).ToString(), "OK");
  EXPECT_EQ(mem::UsedMemory(), base) << "leak";
}

TEST(ZsetModelTest, DefaultThresholds) { RunModel("", 20240601, 6000); }

TEST(ZsetModelTest, TinyThresholds) {
  RunModel("zset-max-listpack-entries 4\nzset-max-listpack-value 8\n", 7, 6000);
}

// ---- value operations ---------------------------------------------------------------------------

// COPY duplicates the value with DuplicateValue; the COPY command itself comes with the keys
// commands, so the copy is made here the way COPY makes it.
TEST_F(ZsetTest, DuplicateIsIndependentDeepCopy) {
  Fill("small", 10);
  Fill("big", 500);
  db::Db& d = h_.keyspace().db(0);
  for (const char* key : {"small", "big"}) {
    db::Object* o = d.LookupNoTouch(key);
    const std::string copy = std::string(key) + "-copy";
    d.Add(db::Object::Create(copy, db::ObjType::kZset, db::DuplicateValueInit(*o), false, 0, 0));
    // The small one's listpack is in each slot (object.h, "Inline listpacks"), not shared.
    db::Object* c = d.LookupNoTouch(copy);
    EXPECT_EQ(c->has_inline_listpack(), std::string(key) == "small");
    EXPECT_NE(c->has_inline_listpack() ? c->packed_listpack() : c->ptr(),
              o->has_inline_listpack() ? o->packed_listpack() : o->ptr());
    EXPECT_EQ(Encoding(copy), Encoding(key));
    EXPECT_EQ(Run({"ZRANGE", copy, "0", "-1", "WITHSCORES"}).ToString(),
              Run({"ZRANGE", key, "0", "-1", "WITHSCORES"}).ToString());
    EXPECT_EQ(Run({"ZSCAN", copy, "0", "COUNT", "1000"})[1].size(),
              Run({"ZSCAN", key, "0", "COUNT", "1000"})[1].size());
    // Changing the original leaves the copy alone, and the other way round.
    EXPECT_EQ(Run({"ZADD", key, "-1", "new"}).integer, 1);
    EXPECT_EQ(Run({"ZREM", key, "m0"}).integer, 1);
    EXPECT_EQ(Run({"ZINCRBY", copy, "100", "m1"}).str, "101");
    EXPECT_EQ(Run({"ZSCORE", copy, "new"}).ToString(), "(nil)");
    EXPECT_EQ(Run({"ZSCORE", copy, "m0"}).str, "0");
    EXPECT_EQ(Run({"ZSCORE", key, "m1"}).str, "1");
    EXPECT_EQ(Run({"ZRANK", copy, "m1"}).integer, Run({"ZCOUNT", copy, "-inf", "(101"}).integer);
    // Deleting one leaves the other whole.
    EXPECT_EQ(Run({"DEL", key}).integer, 1);
    EXPECT_EQ(Run({"ZCARD", copy}).integer, std::string(key) == "big" ? 500 : 10);
  }
}

// object.h "Inline listpacks": every write leaves a small zset's listpack in its slot, a slot of
// exactly the layout's size, and takes it out when it no longer fits.
TEST_F(ZsetTest, SmallZsetsKeepTheirListpackInTheSlotAcrossWrites) {
  db::Db& d = h_.keyspace().db(0);
  Fill("z", 10);
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZADD", "z", "5", "m1"}).integer, 0);  // a score updated
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZINCRBY", "z", "2", "m1"}).str, "7");
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZREM", "z", "m2", "nope"}).integer, 1);
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZPOPMIN", "z"})[0].str, "m0");
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "8", "8"}).integer, 1);
  ExpectPacked("z", true, __LINE__);
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "0"}).integer, 1);
  ExpectPacked("z", true, __LINE__);
  const RespValue all = Run({"ZRANGE", "z", "0", "-1"});
  std::vector<std::string> members;
  for (size_t i = 0; i < all.size(); ++i) members.push_back(all[i].str);
  EXPECT_EQ(members, (std::vector<std::string>{"m4", "m5", "m6", "m1", "m7", "m9"}));
  {
    // A score that keeps the pair's place and size is written in the slot: no move.
    db::Object* before = d.LookupNoTouch("z");
    EXPECT_EQ(Run({"ZADD", "z", "100", "m9"}).integer, 0);  // last, 9 -> 100: 1 byte each
    EXPECT_EQ(Run({"ZINCRBY", "z", "1", "m5"}).str, "6");   // 5 -> 6, before m6 (6)
    EXPECT_EQ(d.LookupNoTouch("z"), before);
    ExpectPacked("z", true, __LINE__);
    // One that moves the pair, or changes its size, is not.
    EXPECT_EQ(Run({"ZINCRBY", "z", "0.5", "m4"}).str, "4.5");  // 1 byte -> "4.5"
    ExpectPacked("z", true, __LINE__);
    EXPECT_EQ(Run({"ZADD", "z", "0", "m7"}).integer, 0);  // to the front
    ExpectPacked("z", true, __LINE__);
    const RespValue now = Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"});
    std::vector<std::string> flat;
    for (size_t i = 0; i < now.size(); ++i) flat.push_back(now[i].str);
    EXPECT_EQ(flat, (std::vector<std::string>{"m7", "0", "m4", "4.5", "m5", "6", "m6", "6", "m1",
                                              "7", "m9", "100"}));
  }
  // Stores make small results with the listpack in the slot.
  EXPECT_EQ(Run({"ZRANGESTORE", "r", "z", "0", "2"}).integer, 3);
  ExpectPacked("r", true, __LINE__);
  EXPECT_EQ(Run({"ZUNIONSTORE", "u", "2", "z", "r"}).integer, 6);
  ExpectPacked("u", true, __LINE__);
  EXPECT_EQ(Run({"GEOADD", "g", "13.361389", "38.115556", "Palermo"}).integer, 1);
  ExpectPacked("g", true, __LINE__);
  // Past 128 members the zset becomes a skiplist: the slot shrinks to the word.
  Fill("z", 200, 100);
  EXPECT_EQ(Encoding("z"), "skiplist");
  ExpectPacked("z", false, __LINE__);
}

TEST_F(ZsetTest, UnlinkOfBigZsetIsFreedLazily) {
  db::LazyFree& lf = h_.keyspace().lazyfree();
  lf.Drain();
  Run({"SET", "warm", "x"});
  Run({"UNLINK", "warm"});
  const size_t base = mem::UsedMemory();
  std::vector<std::string> argv;
  for (int batch = 0; batch < 100; ++batch) {
    argv = {"ZADD", "z"};
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) {
      argv.push_back(std::to_string(i));
      argv.push_back("member:" + std::to_string(i));
    }
    ASSERT_EQ(Run(argv).integer, 1000);
  }
  argv.clear();
  argv.shrink_to_fit();
  EXPECT_EQ(Run({"ZCARD", "z"}).integer, 100000);
  EXPECT_EQ(Encoding("z"), "skiplist");
  const size_t freed_before = lf.freed_objects();
  EXPECT_EQ(Run({"UNLINK", "z"}).integer, 1);
  EXPECT_EQ(Run({"EXISTS", "z"}).integer, 0);
  lf.Drain();
  EXPECT_EQ(lf.freed_objects(), freed_before + 1);  // the value went to the background thread
  EXPECT_EQ(lf.pending_objects(), 0u);
  EXPECT_EQ(mem::UsedMemory(), base);
  // A small zset is freed inline.
  Fill("small", 10);
  EXPECT_EQ(Run({"UNLINK", "small"}).integer, 1);
  lf.Drain();
  EXPECT_EQ(lf.freed_objects(), freed_before + 1);
}

// ValueMemoryUsage with samples 0 is exact: deleting the key frees exactly the object block and
// the value's bytes.
TEST_F(ZsetTest, ValueMemoryIsExactForBothEncodings) {
  Run({"SET", "other", "x"});
  Run({"DEL", "warm"});
  Fill("lp", 100);
  for (int i = 0; i < 100; ++i) {
    Run({"ZADD", "lpbig", std::to_string(i), std::string(40, 'm') + std::to_string(i)});
  }
  Fill("sl", 5000);
  Run({"ZADD", "sl", "1.5", std::string(200, 'q')});
  Run({"ZREMRANGEBYRANK", "sl", "0", "2999"});  // the index shrinks: still exact
  ASSERT_EQ(Encoding("lp"), "listpack");
  ASSERT_EQ(Encoding("lpbig"), "listpack");
  ASSERT_EQ(Encoding("sl"), "skiplist");
  db::Db& d = h_.keyspace().db(0);
  for (const char* key : {"lp", "lpbig", "sl"}) {
    db::Object* o = d.LookupNoTouch(key);
    const size_t value = db::ValueMemoryUsage(db::ValueOf(*o), 0);
    const size_t expected = o->BlockSize() + value;
    if (std::string_view(key) == "lp") {
      // 100 short members fit the slot (under 1 KB): the slot is all there is.
      EXPECT_TRUE(o->has_inline_listpack());
      EXPECT_EQ(value, 0u);
    } else {
      // A listpack too big for a small slot has a block of its own; a skiplist its nodes.
      EXPECT_FALSE(o->has_inline_listpack());
      EXPECT_GT(value, 0u);
    }
    const size_t before = mem::UsedMemory();
    ASSERT_EQ(Run({"DEL", key}).integer, 1);
    EXPECT_EQ(before - mem::UsedMemory(), expected) << key;
  }
}

}  // namespace
}  // namespace mnemo::test

namespace mnemo::test {
namespace {

// Sets are inputs of the union/intersection/difference commands: every member scores 1
// (expected replies taken from redis-server 7.0.15 with the same commands).
TEST(ZsetSetInputTest, SetsCountAsScoreOne) {
  CommandHarness h;
  ASSERT_EQ(h.Run({"SADD", "s", "a", "b", "c", "5"}).integer, 4);
  ASSERT_EQ(h.Run({"ZADD", "z", "1", "a", "2", "b", "7", "x"}).integer, 3);
  EXPECT_EQ(h.Run({"ZUNION", "2", "z", "s", "WITHSCORES"}).ToString(),
            "[5, 1, c, 1, a, 2, b, 3, x, 7]");
  EXPECT_EQ(h.Run({"ZINTER", "2", "z", "s", "WEIGHTS", "2", "3", "WITHSCORES"}).ToString(),
            "[a, 5, b, 7]");
  EXPECT_EQ(h.Run({"ZDIFF", "2", "s", "z", "WITHSCORES"}).ToString(), "[5, 1, c, 1]");
  EXPECT_EQ(h.Run({"ZINTERSTORE", "d", "2", "s", "s", "AGGREGATE", "MAX"}).integer, 4);
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "d"}).ToString(), "listpack");
  EXPECT_EQ(h.Run({"ZINTERCARD", "2", "s", "z"}).integer, 2);
  // An intset input too.
  ASSERT_EQ(h.Run({"SADD", "ints", "1", "2", "3"}).integer, 3);
  EXPECT_EQ(h.Run({"ZUNION", "1", "ints", "WITHSCORES"}).ToString(), "[1, 1, 2, 1, 3, 1]");
  // Other types still answer WRONGTYPE.
  h.Run({"SET", "str", "x"});
  EXPECT_EQ(h.Run({"ZUNION", "2", "z", "str"}).ToString(),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
}

}  // namespace
}  // namespace mnemo::test

// sort_test.cc: SORT and SORT_RO through the in-process dispatcher: numeric and ALPHA orders,
// BY patterns (keys, hash fields, constants), GET, LIMIT, STORE, every error, keyspace events
// (tests/cmd).
//
// Expected replies were taken from redis-server 7.0.15 for the same data.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "change_recorder.h"
#include "command_harness.h"

namespace mnemo::test {
namespace {

class SortCmdTest : public CommandTest {
 protected:
  void SetUp() override {
    Run({"RPUSH", "l", "3", "1", "2", "10", "-1", "1.5"});
    Run({"MSET", "w_3", "c", "w_1", "a", "w_2", "b", "w_10", "10"});
    Run({"HSET", "h_3", "f", "30"});
    Run({"HSET", "h_1", "f", "10"});
    Run({"HSET", "h_2", "f", "20"});
  }
};

TEST_F(SortCmdTest, NumericAlphaAndLimit) {
  EXPECT_EQ(Str({"SORT", "l"}), "[-1, 1, 1.5, 2, 3, 10]");
  EXPECT_EQ(Str({"SORT_RO", "l"}), "[-1, 1, 1.5, 2, 3, 10]");
  EXPECT_EQ(Str({"SORT", "l", "DESC", "LIMIT", "1", "2"}), "[3, 2]");
  EXPECT_EQ(Str({"SORT", "l", "ALPHA"}), "[-1, 1, 1.5, 10, 2, 3]");
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "-5", "2"}), "[-1, 1]");
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "2", "-1"}), "[1.5, 2, 3, 10]");
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "10", "5"}), "[]");
  EXPECT_EQ(Str({"SORT", "missing"}), "[]");
  Run({"RPUSH", "words", "b", "a", "C"});
  EXPECT_EQ(Str({"SORT", "words", "ALPHA"}), "[C, a, b]");
  // Numeric ties are broken by the elements' bytes, so the result is always the same.
  Run({"RPUSH", "ties", "b", "a", "c"});
  EXPECT_EQ(Str({"SORT", "ties", "BY", "nokey_*"}), "[a, b, c]");
}

TEST_F(SortCmdTest, ByAndGetPatterns) {
  EXPECT_EQ(Str({"SORT", "l", "BY", "w_*", "ALPHA", "GET", "#", "GET", "w_*"}),
            "[-1, (nil), 1.5, (nil), 10, 10, 1, a, 2, b, 3, c]");
  EXPECT_EQ(Str({"SORT", "l", "BY", "h_*->f", "GET", "h_*->f"}),
            "[(nil), (nil), (nil), 10, 20, 30]");
  // A pattern ending in "->" names a key, not a field.
  EXPECT_EQ(Str({"SORT", "l", "BY", "nosort", "GET", "h_*->"}),
            "[(nil), (nil), (nil), (nil), (nil), (nil)]");
  // A GET pattern without '*' names nothing.
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "0", "1", "GET", "w_1"}), "[(nil)]");
  // A string key read as a hash, or a hash read as a string, gives nothing.
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "0", "2", "GET", "w_*->f", "GET", "h_*"}),
            "[(nil), (nil), (nil), (nil)]");
}

TEST_F(SortCmdTest, ConstantByKeepsTheNativeOrder) {
  EXPECT_EQ(Str({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"}), "[-1, 10, 2]");
  EXPECT_EQ(Str({"SORT", "l", "BY", "nosort"}), "[3, 1, 2, 10, -1, 1.5]");
  Run({"ZADD", "z", "3", "c", "1", "a", "2", "b"});
  EXPECT_EQ(Str({"SORT", "z", "BY", "nosort", "DESC"}), "[c, b, a]");
  EXPECT_EQ(Str({"SORT", "z", "BY", "nosort", "LIMIT", "1", "5"}), "[b, c]");
  EXPECT_EQ(Str({"SORT", "z", "ALPHA", "LIMIT", "0", "2"}), "[a, b]");
  // A set has no order: stored, it is sorted ALPHA so replicas store the same list.
  Run({"SADD", "set", "b", "a", "c"});
  EXPECT_EQ(Str({"SORT", "set", "BY", "nosort", "STORE", "d"}), "3");
  EXPECT_EQ(Str({"LRANGE", "d", "0", "-1"}), "[a, b, c]");
  EXPECT_EQ(Str({"SORT", "set", "ALPHA", "DESC"}), "[c, b, a]");
  Run({"SADD", "ints", "5", "-3", "10"});
  EXPECT_EQ(Str({"SORT", "ints"}), "[-3, 5, 10]");
}

TEST_F(SortCmdTest, StoreWritesAListOrDeletes) {
  ChangeRecorder rec(h_.keyspace().changes());
  EXPECT_EQ(Str({"SORT", "l", "STORE", "dst"}), "6");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[-1, 1, 1.5, 2, 3, 10]");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"sortstore dst"}));
  EXPECT_EQ(rec.propagated, (std::vector<std::string>{"SORT l STORE dst"}));
  // Missing GET values are stored as empty strings.
  EXPECT_EQ(Str({"SORT", "l", "GET", "h_*->f", "STORE", "d3"}), "6");
  EXPECT_EQ(Str({"LRANGE", "d3", "0", "-1"}), "[, 10, , 20, 30, ]");
  // Overwrites whatever was there.
  Run({"SET", "str", "x"});
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "0", "1", "STORE", "str"}), "1");
  EXPECT_EQ(Str({"TYPE", "str"}), "list");
  rec.Clear();
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "0", "0", "STORE", "dst"}), "0");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"del dst"}));
  rec.Clear();
  EXPECT_EQ(Str({"SORT", "missing", "STORE", "dst"}), "0");  // nothing to delete: no event
  EXPECT_TRUE(rec.events.empty());
  // The source may be the destination.
  EXPECT_EQ(Str({"SORT", "l", "DESC", "STORE", "l"}), "6");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[10, 3, 2, 1.5, 1, -1]");
}

TEST_F(SortCmdTest, Errors) {
  EXPECT_EQ(Str({"SORT", "l", "BY", "w_*"}),
            "(error) ERR One or more scores can't be converted into double");
  Run({"RPUSH", "words", "b", "a", "C"});
  EXPECT_EQ(Str({"SORT", "words"}),
            "(error) ERR One or more scores can't be converted into double");
  EXPECT_EQ(Str({"SORT", "words", "STORE", "dst"}),
            "(error) ERR One or more scores can't be converted into double");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  EXPECT_EQ(Str({"SORT_RO", "l", "STORE", "dst"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "a", "1"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SORT", "l", "LIMIT", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SORT", "l", "BY"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SORT", "l", "foo"}), "(error) ERR syntax error");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Str({"SORT", "s"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  Run({"HSET", "hash", "a", "1"});
  EXPECT_EQ(Str({"SORT_RO", "hash"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Str({"SORT"}), "(error) ERR wrong number of arguments for 'sort' command");
  // Weights that strtod reads: spaces before, hex, infinities; NaN and overflow are refused.
  Run({"RPUSH", "odd", "a", "b", "c", "d"});
  Run({"MSET", "x_a", " 2", "x_b", "0x10", "x_c", "-inf", "x_d", ""});
  EXPECT_EQ(Str({"SORT", "odd", "BY", "x_*"}), "[c, d, a, b]");
  Run({"SET", "x_d", "nan"});
  EXPECT_EQ(Str({"SORT", "odd", "BY", "x_*"}),
            "(error) ERR One or more scores can't be converted into double");
  Run({"SET", "x_d", "1e400"});
  EXPECT_EQ(Str({"SORT", "odd", "BY", "x_*"}),
            "(error) ERR One or more scores can't be converted into double");
}

TEST_F(SortCmdTest, CommandRows) {
  const RespValue info = Run({"COMMAND", "INFO", "sort", "sort_ro"});
  ASSERT_EQ(info.elements.size(), 2u);
  EXPECT_EQ(info.elements[0].elements[2].ToString(), "[write, denyoom, movablekeys]");
  EXPECT_EQ(info.elements[1].elements[2].ToString(), "[readonly, movablekeys]");
  EXPECT_EQ(info.elements[0].elements[3].integer, 1);
}

}  // namespace
}  // namespace mnemo::test

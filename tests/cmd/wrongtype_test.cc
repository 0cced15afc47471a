// wrongtype_test.cc: every command of a type answers WRONGTYPE against a key of every other
// type, and leaves that key untouched (tests/cmd).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command_harness.h"

namespace mnemo::test {
namespace {

constexpr const char* kWrongType =
    "(error) WRONGTYPE Operation against a key holding the wrong kind of value";

enum class Kind { kString, kList, kHash, kSet, kZset };

struct Case {
  Kind kind;                      // the type the command works on
  std::vector<std::string> args;  // "K" stands for the key of the wrong type
};

// One valid invocation per command, with the key under test written as "K". Commands that read
// several keys use K in every key position, or K next to a key that does not exist.
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      // strings (bitmaps are strings)
      {Kind::kString, {"GET", "K"}},
      {Kind::kString, {"GETSET", "K", "v"}},
      {Kind::kString, {"GETDEL", "K"}},
      {Kind::kString, {"GETEX", "K", "PERSIST"}},
      {Kind::kString, {"SET", "K", "v", "GET"}},
      {Kind::kString, {"APPEND", "K", "v"}},
      {Kind::kString, {"STRLEN", "K"}},
      {Kind::kString, {"INCR", "K"}},
      {Kind::kString, {"DECR", "K"}},
      {Kind::kString, {"INCRBY", "K", "2"}},
      {Kind::kString, {"DECRBY", "K", "2"}},
      {Kind::kString, {"INCRBYFLOAT", "K", "1.5"}},
      {Kind::kString, {"GETRANGE", "K", "0", "-1"}},
      {Kind::kString, {"SUBSTR", "K", "0", "-1"}},
      {Kind::kString, {"SETRANGE", "K", "0", "v"}},
      {Kind::kString, {"SETBIT", "K", "7", "1"}},
      {Kind::kString, {"GETBIT", "K", "7"}},
      {Kind::kString, {"BITCOUNT", "K"}},
      {Kind::kString, {"BITPOS", "K", "1"}},
      {Kind::kString, {"BITOP", "AND", "dest", "K"}},
      {Kind::kString, {"BITFIELD", "K", "GET", "u8", "0"}},
      {Kind::kString, {"BITFIELD_RO", "K", "GET", "u8", "0"}},
      // lists
      {Kind::kList, {"LPUSH", "K", "a"}},
      {Kind::kList, {"RPUSH", "K", "a"}},
      {Kind::kList, {"LPUSHX", "K", "a"}},
      {Kind::kList, {"RPUSHX", "K", "a"}},
      {Kind::kList, {"LPOP", "K"}},
      {Kind::kList, {"RPOP", "K", "2"}},
      {Kind::kList, {"LLEN", "K"}},
      {Kind::kList, {"LINDEX", "K", "0"}},
      {Kind::kList, {"LINSERT", "K", "BEFORE", "a", "b"}},
      {Kind::kList, {"LRANGE", "K", "0", "-1"}},
      {Kind::kList, {"LREM", "K", "0", "a"}},
      {Kind::kList, {"LSET", "K", "0", "a"}},
      {Kind::kList, {"LTRIM", "K", "0", "-1"}},
      {Kind::kList, {"LPOS", "K", "a"}},
      {Kind::kList, {"RPOPLPUSH", "K", "dest"}},
      {Kind::kList, {"LMOVE", "K", "dest", "LEFT", "RIGHT"}},
      {Kind::kList, {"LMPOP", "1", "K", "LEFT"}},
      // hashes
      {Kind::kHash, {"HSET", "K", "f", "v"}},
      {Kind::kHash, {"HSETNX", "K", "f", "v"}},
      {Kind::kHash, {"HGET", "K", "f"}},
      {Kind::kHash, {"HMGET", "K", "f"}},
      {Kind::kHash, {"HMSET", "K", "f", "v"}},
      {Kind::kHash, {"HDEL", "K", "f"}},
      {Kind::kHash, {"HLEN", "K"}},
      {Kind::kHash, {"HSTRLEN", "K", "f"}},
      {Kind::kHash, {"HEXISTS", "K", "f"}},
      {Kind::kHash, {"HKEYS", "K"}},
      {Kind::kHash, {"HVALS", "K"}},
      {Kind::kHash, {"HGETALL", "K"}},
      {Kind::kHash, {"HINCRBY", "K", "f", "1"}},
      {Kind::kHash, {"HINCRBYFLOAT", "K", "f", "1.5"}},
      {Kind::kHash, {"HRANDFIELD", "K"}},
      {Kind::kHash, {"HSCAN", "K", "0"}},
      // sets
      {Kind::kSet, {"SADD", "K", "m"}},
      {Kind::kSet, {"SREM", "K", "m"}},
      {Kind::kSet, {"SISMEMBER", "K", "m"}},
      {Kind::kSet, {"SMISMEMBER", "K", "m"}},
      {Kind::kSet, {"SMEMBERS", "K"}},
      {Kind::kSet, {"SCARD", "K"}},
      {Kind::kSet, {"SPOP", "K"}},
      {Kind::kSet, {"SRANDMEMBER", "K"}},
      {Kind::kSet, {"SMOVE", "K", "dest", "m"}},
      {Kind::kSet, {"SINTER", "K"}},
      {Kind::kSet, {"SINTERCARD", "1", "K"}},
      {Kind::kSet, {"SINTERSTORE", "dest", "K"}},
      {Kind::kSet, {"SUNION", "K"}},
      {Kind::kSet, {"SUNIONSTORE", "dest", "K"}},
      {Kind::kSet, {"SDIFF", "K"}},
      {Kind::kSet, {"SDIFFSTORE", "dest", "K"}},
      {Kind::kSet, {"SSCAN", "K", "0"}},
      // sorted sets
      {Kind::kZset, {"ZADD", "K", "1", "m"}},
      {Kind::kZset, {"ZREM", "K", "m"}},
      {Kind::kZset, {"ZSCORE", "K", "m"}},
      {Kind::kZset, {"ZMSCORE", "K", "m"}},
      {Kind::kZset, {"ZINCRBY", "K", "1", "m"}},
      {Kind::kZset, {"ZCARD", "K"}},
      {Kind::kZset, {"ZCOUNT", "K", "-inf", "+inf"}},
      {Kind::kZset, {"ZLEXCOUNT", "K", "-", "+"}},
      {Kind::kZset, {"ZRANK", "K", "m"}},
      {Kind::kZset, {"ZREVRANK", "K", "m"}},
      {Kind::kZset, {"ZRANGE", "K", "0", "-1"}},
      {Kind::kZset, {"ZRANGESTORE", "dest", "K", "0", "-1"}},
      {Kind::kZset, {"ZREVRANGE", "K", "0", "-1"}},
      {Kind::kZset, {"ZRANGEBYSCORE", "K", "-inf", "+inf"}},
      {Kind::kZset, {"ZREVRANGEBYSCORE", "K", "+inf", "-inf"}},
      {Kind::kZset, {"ZRANGEBYLEX", "K", "-", "+"}},
      {Kind::kZset, {"ZREVRANGEBYLEX", "K", "+", "-"}},
      {Kind::kZset, {"ZPOPMIN", "K"}},
      {Kind::kZset, {"ZPOPMAX", "K"}},
      {Kind::kZset, {"ZMPOP", "1", "K", "MIN"}},
      {Kind::kZset, {"ZRANDMEMBER", "K"}},
      {Kind::kZset, {"ZREMRANGEBYSCORE", "K", "-inf", "+inf"}},
      {Kind::kZset, {"ZREMRANGEBYRANK", "K", "0", "-1"}},
      {Kind::kZset, {"ZREMRANGEBYLEX", "K", "-", "+"}},
      {Kind::kZset, {"ZSCAN", "K", "0"}},
      {Kind::kZset, {"ZDIFF", "1", "K"}},
      {Kind::kZset, {"ZDIFFSTORE", "dest", "1", "K"}},
  };
  return cases;
}

// Creates key "K" of the given type.
void MakeKey(CommandHarness& h, Kind kind) {
  switch (kind) {
    case Kind::kString:
      ASSERT_EQ(h.Run({"SET", "K", "text"}).ToString(), "OK");
      break;
    case Kind::kList:
      ASSERT_EQ(h.Run({"RPUSH", "K", "a", "b"}).integer, 2);
      break;
    case Kind::kHash:
      ASSERT_EQ(h.Run({"HSET", "K", "f", "v"}).integer, 1);
      break;
    case Kind::kSet:
      ASSERT_EQ(h.Run({"SADD", "K", "m"}).integer, 1);
      break;
    case Kind::kZset:
      ASSERT_EQ(h.Run({"ZADD", "K", "1", "m"}).integer, 1);
      break;
  }
}

const char* TypeNameOf(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kHash:
      return "hash";
    case Kind::kSet:
      return "set";
    case Kind::kZset:
      return "zset";
  }
  return "";
}

// Every pairing is refused, except sets as inputs of the sorted-set operations (ZDIFF here; ZUNION,
// ZINTER and the STORE forms below), which Redis accepts with every member scoring 1.
TEST(WrongTypeTest, EveryCommandAgainstEveryOtherType) {
  constexpr Kind kAll[] = {Kind::kString, Kind::kList, Kind::kHash, Kind::kSet, Kind::kZset};
  size_t checked = 0;
  size_t set_inputs = 0;
  for (const Case& c : Cases()) {
    for (Kind other : kAll) {
      if (other == c.kind) continue;
      const bool takes_sets = c.args[0] == "ZDIFF" || c.args[0] == "ZDIFFSTORE";
      if (takes_sets && other == Kind::kSet) {
        ++set_inputs;  // a valid input: see ZsetOperationsTakeSetsButNotOtherTypes
        continue;
      }
      CommandHarness h;
      MakeKey(h, other);
      const std::string type_before = h.Run({"TYPE", "K"}).ToString();
      EXPECT_EQ(h.Run(c.args).ToString(), kWrongType)
          << c.args[0] << " against a " << TypeNameOf(other);
      // The key is untouched: same type, still there.
      EXPECT_EQ(h.Run({"TYPE", "K"}).ToString(), type_before) << c.args[0];
      EXPECT_EQ(type_before, TypeNameOf(other));
      ++checked;
    }
  }
  EXPECT_EQ(checked + set_inputs, Cases().size() * 4);
  EXPECT_EQ(set_inputs, 2u);
}

TEST(WrongTypeTest, ZsetOperationsTakeSetsButNotOtherTypes) {
  for (Kind other : {Kind::kString, Kind::kList, Kind::kHash}) {
    CommandHarness h;
    MakeKey(h, other);
    for (const char* cmd : {"ZUNION", "ZINTER", "ZDIFF"}) {
      EXPECT_EQ(h.Run({cmd, "1", "K"}).ToString(), kWrongType) << cmd << " " << TypeNameOf(other);
    }
    EXPECT_EQ(h.Run({"ZUNIONSTORE", "d", "1", "K"}).ToString(), kWrongType);
    EXPECT_EQ(h.Run({"ZINTERSTORE", "d", "1", "K"}).ToString(), kWrongType);
    EXPECT_EQ(h.Run({"ZINTERCARD", "1", "K"}).ToString(), kWrongType);
  }
  CommandHarness h;
  MakeKey(h, Kind::kSet);
  EXPECT_EQ(h.Run({"ZUNION", "1", "K"}).ToString(), "[m]");
  EXPECT_EQ(h.Run({"ZDIFF", "1", "K"}).ToString(), "[m]");
  EXPECT_EQ(h.Run({"ZDIFFSTORE", "d", "1", "K"}).integer, 1);
}

// MGET is the one string command that answers null, not WRONGTYPE, for a key of another type.
TEST(WrongTypeTest, MgetAnswersNullForOtherTypes) {
  for (Kind other : {Kind::kList, Kind::kHash, Kind::kSet, Kind::kZset}) {
    CommandHarness h;
    MakeKey(h, other);
    h.Run({"SET", "s", "x"});
    EXPECT_EQ(h.Run({"MGET", "K", "s"}).ToString(), "[(nil), x]") << TypeNameOf(other);
  }
}

}  // namespace
}  // namespace mnemo::test

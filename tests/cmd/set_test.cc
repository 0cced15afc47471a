// set_test.cc: the set commands through the dispatcher: replies (RESP2 and RESP3), every error,
// encodings at every threshold, Redis 7.2's conversions, random members, value operations, and
// a randomized comparison with std::set (tests/cmd).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/random.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

using Strings = std::vector<std::string>;

class SetTest : public CommandTest {
 protected:
  db::Db& Db0() { return h_.keyspace().db(0); }

  // OBJECT ENCODING's answer; it must agree with the object's own encoding field.
  std::string Enc(std::string_view key) {
    const std::string answer = Run({"OBJECT", "ENCODING", key}).ToString();
    db::Object* o = Db0().LookupNoTouch(key);
    EXPECT_EQ(answer, o == nullptr ? "(nil)" : db::EncodingName(*o));
    return answer;
  }

  static Strings Sorted(const RespValue& r) {
    Strings out;
    for (const RespValue& e : r.elements) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  }
  Strings Members(std::string_view key) { return Sorted(Run({"SMEMBERS", key})); }

  // SADD key with the given members (one command).
  RespValue Sadd(std::string_view key, const Strings& members) {
    std::vector<std::string> argv = {"SADD", std::string(key)};
    argv.insert(argv.end(), members.begin(), members.end());
    return Run(argv);
  }

  static Strings Range(int from, int to, const std::string& prefix = "") {
    Strings out;
    for (int i = from; i <= to; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }

  static Strings SortedCopy(Strings v) {
    std::sort(v.begin(), v.end());
    return v;
  }
};

// ---- basic commands and reply shapes
// -------------------------------------------------------------

TEST_F(SetTest, AddRemoveMembership) {
  EXPECT_EQ(Str({"SADD", "s", "a", "b", "a"}), "2");
  EXPECT_EQ(Str({"SADD", "s", "b", "c"}), "1");
  EXPECT_EQ(Members("s"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Str({"SCARD", "s"}), "3");
  EXPECT_EQ(Str({"SCARD", "missing"}), "0");
  EXPECT_EQ(Str({"SISMEMBER", "s", "a"}), "1");
  EXPECT_EQ(Str({"SISMEMBER", "s", "z"}), "0");
  EXPECT_EQ(Str({"SISMEMBER", "missing", "a"}), "0");
  EXPECT_EQ(Str({"SMISMEMBER", "s", "a", "z", "c"}), "[1, 0, 1]");
  EXPECT_EQ(Str({"SMISMEMBER", "missing", "a", "b"}), "[0, 0]");
  EXPECT_EQ(Str({"SREM", "s", "a", "z"}), "1");
  EXPECT_EQ(Str({"SREM", "missing", "a"}), "0");
  EXPECT_EQ(Members("s"), (Strings{"b", "c"}));
  // Removing the last member deletes the key.
  EXPECT_EQ(Str({"SREM", "s", "b", "c", "d"}), "2");
  EXPECT_EQ(Str({"EXISTS", "s"}), "0");
  EXPECT_EQ(Str({"SMEMBERS", "s"}), "[]");
}

TEST_F(SetTest, IntegersPrintBackAsSent) {
  EXPECT_EQ(Str({"SADD", "s", "-5", "0", "9223372036854775807", "-9223372036854775808"}), "4");
  EXPECT_EQ(Enc("s"), "intset");
  EXPECT_EQ(Str({"SMEMBERS", "s"}), "[-9223372036854775808, -5, 0, 9223372036854775807]");
  // Non-canonical numbers are strings: "007" and "7" are different members.
  EXPECT_EQ(Str({"SADD", "s", "007", "+1", "1"}), "3");
  EXPECT_EQ(Enc("s"), "listpack");
  EXPECT_EQ(Str({"SISMEMBER", "s", "7"}), "0");
  EXPECT_EQ(Str({"SISMEMBER", "s", "007"}), "1");
  EXPECT_EQ(Str({"SISMEMBER", "s", "1"}), "1");
  EXPECT_EQ(Str({"SISMEMBER", "s", "-5"}), "1");
}

TEST_F(SetTest, ReplyShapesResp2AndResp3) {
  Run({"SADD", "s", "1", "2"});
  EXPECT_EQ(RunRaw({"SMEMBERS", "s"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"SMEMBERS", "missing"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"SPOP", "missing"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"SRANDMEMBER", "missing"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"SRANDMEMBER", "missing", "2"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"SSCAN", "missing", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"SMEMBERS", "s"}), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"SINTER", "s"}), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"SUNION", "s", "missing"}), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"SDIFF", "s", "missing"}), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  for (const char* cmd : {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}) {
    EXPECT_EQ(RunRaw({cmd, "missing"}), "~0\r\n") << cmd;
  }
  EXPECT_EQ(RunRaw({"SINTER", "s", "missing"}), "~0\r\n");
  EXPECT_EQ(RunRaw({"SPOP", "missing"}), "_\r\n");
  EXPECT_EQ(RunRaw({"SPOP", "missing", "2"}), "~0\r\n");
  EXPECT_EQ(RunRaw({"SPOP", "s", "0"}), "~0\r\n");
  EXPECT_EQ(RunRaw({"SRANDMEMBER", "missing"}), "_\r\n");
  EXPECT_EQ(RunRaw({"SRANDMEMBER", "missing", "2"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"SRANDMEMBER", "s", "0"}), "*0\r\n");
  // SRANDMEMBER with a count is an array (it may repeat), SPOP with a count a set.
  RespValue r = Run({"SRANDMEMBER", "s", "-3"});
  EXPECT_EQ(r.type, RespValue::Type::kArray);
  EXPECT_EQ(r.size(), 3u);
  r = Run({"SPOP", "s", "1"});
  EXPECT_EQ(r.type, RespValue::Type::kSet);
  EXPECT_EQ(r.size(), 1u);
  r = Run({"SMISMEMBER", "s", "1", "2"});  // one of them was popped
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].integer + r[1].integer, 1);
  r = Run({"SSCAN", "s", "0"});
  EXPECT_EQ(r.type, RespValue::Type::kArray);
  EXPECT_EQ(r[0].str, "0");
}

TEST_F(SetTest, SmembersOfEachEncoding) {
  Sadd("i", {"3", "1", "2"});
  EXPECT_EQ(Enc("i"), "intset");
  EXPECT_EQ(Str({"SMEMBERS", "i"}), "[1, 2, 3]");  // intsets are sorted
  Sadd("l", {"b", "a", "7"});
  EXPECT_EQ(Enc("l"), "listpack");
  EXPECT_EQ(Str({"SMEMBERS", "l"}), "[b, a, 7]");  // listpacks keep insertion order
  Sadd("h", Range(1, 300, "m"));
  EXPECT_EQ(Enc("h"), "hashtable");
  EXPECT_EQ(Members("h"), SortedCopy(Range(1, 300, "m")));
  EXPECT_EQ(Str({"SCARD", "h"}), "300");
}

// ---- errors
// ------------------------------------------------------------------------------------------

TEST_F(SetTest, ArityErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"SADD", "s"}, "sadd"},
      {{"SREM", "s"}, "srem"},
      {{"SISMEMBER", "s"}, "sismember"},
      {{"SMISMEMBER", "s"}, "smismember"},
      {{"SMEMBERS"}, "smembers"},
      {{"SCARD"}, "scard"},
      {{"SPOP"}, "spop"},
      {{"SRANDMEMBER"}, "srandmember"},
      {{"SMOVE", "a", "b"}, "smove"},
      {{"SINTER"}, "sinter"},
      {{"SINTERCARD", "1"}, "sintercard"},
      {{"SINTERSTORE", "d"}, "sinterstore"},
      {{"SUNION"}, "sunion"},
      {{"SUNIONSTORE", "d"}, "sunionstore"},
      {{"SDIFF"}, "sdiff"},
      {{"SDIFFSTORE", "d"}, "sdiffstore"},
      {{"SSCAN", "s"}, "sscan"},
  };
  for (const auto& [argv, name] : cases) {
    EXPECT_EQ(Run(argv).ToString(),
              "(error) ERR wrong number of arguments for '" + name + "' command");
  }
  EXPECT_EQ(Str({"SISMEMBER", "s", "a", "b"}),
            "(error) ERR wrong number of arguments for 'sismember' command");
}

TEST_F(SetTest, WrongTypeForEveryCommand) {
  Run({"SET", "str", "x"});
  Run({"SADD", "s", "a"});
  const std::string wrongtype =
      "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::vector<std::string>> cases = {
      {"SADD", "str", "a"},
      {"SREM", "str", "a"},
      {"SISMEMBER", "str", "a"},
      {"SMISMEMBER", "str", "a"},
      {"SMEMBERS", "str"},
      {"SCARD", "str"},
      {"SPOP", "str"},
      {"SPOP", "str", "1"},
      {"SRANDMEMBER", "str"},
      {"SRANDMEMBER", "str", "1"},
      {"SMOVE", "str", "s", "a"},
      {"SMOVE", "s", "str", "a"},
      {"SINTER", "str"},
      {"SINTER", "s", "str", "missing"},
      {"SINTER", "missing", "str"},  // a wrong type wins over a missing key
      {"SINTERCARD", "2", "missing", "str"},
      {"SINTERSTORE", "d", "missing", "str"},
      {"SUNION", "missing", "str"},
      {"SUNIONSTORE", "d", "s", "str"},
      {"SDIFF", "missing", "str"},
      {"SDIFF", "s", "str"},
      {"SDIFFSTORE", "d", "missing", "str"},
      {"SSCAN", "str", "0"},
  };
  for (const auto& argv : cases) {
    EXPECT_EQ(Run(argv).ToString(), wrongtype) << argv[0] << " " << argv[1];
  }
  // The other collection types too.
  Run({"HSET", "hash", "f", "v"});
  Run({"RPUSH", "list", "a"});
  Run({"ZADD", "zset", "1", "a"});
  for (const char* other : {"hash", "list", "zset"}) {
    const std::vector<std::vector<std::string>> more = {
        {"SADD", other, "a"},
        {"SISMEMBER", other, "a"},
        {"SMEMBERS", other},
        {"SCARD", other},
        {"SPOP", other},
        {"SRANDMEMBER", other, "2"},
        {"SINTER", "s", other},
        {"SUNIONSTORE", "d", other},
        {"SMOVE", "s", other, "a"},
        {"SDIFF", other, "s"},
        {"SSCAN", other, "0"},
        {"SINTERCARD", "1", other},
    };
    for (const auto& argv : more) {
      EXPECT_EQ(Run(argv).ToString(), wrongtype) << argv[0] << " " << other;
    }
  }
  // Nothing was changed or created by the failed commands.
  EXPECT_EQ(Str({"GET", "str"}), "x");
  EXPECT_EQ(Members("s"), (Strings{"a"}));
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
  // SMOVE of a missing source answers 0 before looking at the destination's type.
  EXPECT_EQ(Str({"SMOVE", "missing", "str", "a"}), "0");
  // A store command overwrites a destination of another type.
  EXPECT_EQ(Str({"SUNIONSTORE", "str", "s"}), "1");
  EXPECT_EQ(Members("str"), (Strings{"a"}));
}

TEST_F(SetTest, SpopAndSrandmemberErrors) {
  Run({"SADD", "s", "a", "b"});
  EXPECT_EQ(Str({"SPOP", "s", "-1"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"SPOP", "s", "x"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"SPOP", "missing", "x"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"SPOP", "s", "1", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SRANDMEMBER", "s", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Str({"SRANDMEMBER", "s", "1", "2"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SCARD", "s"}), "2");
}

TEST_F(SetTest, SintercardArgumentsAndLimit) {
  Sadd("a", {"1", "2", "3", "4", "x"});
  Sadd("b", {"2", "3", "4", "x", "y"});
  EXPECT_EQ(Str({"SINTERCARD", "0", "a"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Str({"SINTERCARD", "-1", "a"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Str({"SINTERCARD", "x", "a"}), "(error) ERR numkeys should be greater than 0");
  EXPECT_EQ(Str({"SINTERCARD", "3", "a", "b"}),
            "(error) ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Str({"SINTERCARD", "1", "a", "LIMIT", "-1"}), "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Str({"SINTERCARD", "1", "a", "LIMIT", "x"}), "(error) ERR LIMIT can't be negative");
  EXPECT_EQ(Str({"SINTERCARD", "1", "a", "LIMIT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SINTERCARD", "1", "a", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "b"}), "4");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "b", "LIMIT", "0"}), "4");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "b", "limit", "2"}), "2");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "b", "LIMIT", "9", "LIMIT", "3"}), "3");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "b", "LIMIT", "100"}), "4");
  EXPECT_EQ(Str({"SINTERCARD", "2", "a", "missing"}), "0");
  EXPECT_EQ(Str({"SINTERCARD", "1", "a"}), "5");
}

TEST_F(SetTest, SscanIteratesEveryMemberOnce) {
  EXPECT_EQ(Str({"SSCAN", "s", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"SSCAN", "s", " 1"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"SSCAN", "s", "18446744073709551616"}), "(error) ERR invalid cursor");
  // A missing key answers an empty scan without parsing the options (as Redis).
  EXPECT_EQ(Str({"SSCAN", "missing", "0", "COUNT", "0"}), "[0, []]");
  Sadd("s", {"1", "2", "3"});
  EXPECT_EQ(Str({"SSCAN", "s", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SSCAN", "s", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SSCAN", "s", "0", "TYPE", "string"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"SSCAN", "s", "0", "MATCH"}), "(error) ERR syntax error");
  // Compact sets come whole, whatever the cursor ("-1" wraps, "" is 0, as strtoul reads them).
  EXPECT_EQ(Str({"SSCAN", "s", "0"}), "[0, [1, 2, 3]]");
  EXPECT_EQ(Str({"SSCAN", "s", "-1"}), "[0, [1, 2, 3]]");
  EXPECT_EQ(Str({"SSCAN", "s", ""}), "[0, [1, 2, 3]]");
  EXPECT_EQ(Str({"SSCAN", "s", "0", "MATCH", "[12]"}), "[0, [1, 2]]");

  const Strings all = Range(0, 999, "member:");
  for (size_t i = 0; i < all.size(); i += 100) {
    Sadd("h", Strings(all.begin() + static_cast<ptrdiff_t>(i),
                      all.begin() + static_cast<ptrdiff_t>(i + 100)));
  }
  ASSERT_EQ(Enc("h"), "hashtable");
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    RespValue r = Run({"SSCAN", "h", cursor, "COUNT", "20"});
    ASSERT_EQ(r.size(), 2u);
    cursor = r[0].str;
    for (const RespValue& e : r[1].elements) seen.insert(e.str);
    ASSERT_LT(++calls, 10000);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), all.size());
  EXPECT_GT(calls, 10);  // it really was incremental
  // MATCH filters what each step found.
  seen.clear();
  cursor = "0";
  do {
    RespValue r = Run({"SSCAN", "h", cursor, "MATCH", "member:1?", "COUNT", "1000"});
    cursor = r[0].str;
    for (const RespValue& e : r[1].elements) seen.insert(e.str);
  } while (cursor != "0");
  EXPECT_EQ(seen, (std::set<std::string>{"member:10", "member:11", "member:12", "member:13",
                                         "member:14", "member:15", "member:16", "member:17",
                                         "member:18", "member:19"}));
}

// ---- SMOVE
// -----------------------------------------------------------------------------------------------

TEST_F(SetTest, Smove) {
  Sadd("src", {"1", "2", "a"});
  EXPECT_EQ(Str({"SMOVE", "src", "dst", "zz"}), "0");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
  EXPECT_EQ(Str({"SMOVE", "src", "dst", "1"}), "1");
  EXPECT_EQ(Enc("dst"), "intset");  // created for the member it receives
  EXPECT_EQ(Str({"SMOVE", "src", "dst", "a"}), "1");
  EXPECT_EQ(Enc("dst"), "listpack");
  EXPECT_EQ(Members("dst"), (Strings{"1", "a"}));
  EXPECT_EQ(Members("src"), (Strings{"2"}));
  // Same key: a membership test, nothing moves.
  EXPECT_EQ(Str({"SMOVE", "src", "src", "2"}), "1");
  EXPECT_EQ(Str({"SMOVE", "src", "src", "3"}), "0");
  // Moving a member the destination already has still removes it from the source.
  Run({"SADD", "dst", "2"});
  EXPECT_EQ(Str({"SMOVE", "src", "dst", "2"}), "1");
  EXPECT_EQ(Str({"EXISTS", "src"}), "0");  // emptied source is deleted
  EXPECT_EQ(Members("dst"), (Strings{"1", "2", "a"}));
  EXPECT_EQ(Str({"SMOVE", "dst", "new", "a"}), "1");
  EXPECT_EQ(Enc("new"), "listpack");
}

// ---- SPOP and SRANDMEMBER
// ----------------------------------------------------------------------------

TEST_F(SetTest, SpopRemovesWhatItReturns) {
  for (const auto& [name, members] :
       std::vector<std::pair<std::string, Strings>>{{"intset", Range(1, 50)},
                                                    {"listpack", Range(1, 50, "m")},
                                                    {"hashtable", Range(1, 500, "m")}}) {
    Sadd("s", members);
    ASSERT_EQ(Enc("s"), name);
    std::set<std::string> left(members.begin(), members.end());
    // Single pops, then counted pops of several sizes.
    for (int i = 0; i < 5; ++i) {
      RespValue r = Run({"SPOP", "s"});
      ASSERT_TRUE(r.IsString());
      EXPECT_EQ(left.erase(r.str), 1u) << name << " " << r.str;
    }
    for (const char* count : {"1", "3", "10"}) {
      RespValue r = Run({"SPOP", "s", count});
      EXPECT_EQ(r.size(), static_cast<size_t>(std::stoi(count)));
      for (const RespValue& e : r.elements) EXPECT_EQ(left.erase(e.str), 1u) << name;
    }
    EXPECT_EQ(Members("s"), Strings(left.begin(), left.end())) << name;
    // More than there is: everything, and the key goes.
    RespValue r = Run({"SPOP", "s", "100000"});
    EXPECT_EQ(Sorted(r), Strings(left.begin(), left.end())) << name;
    EXPECT_EQ(Str({"EXISTS", "s"}), "0");
  }
  // Popping the last member deletes the key.
  Run({"SADD", "one", "x"});
  EXPECT_EQ(Str({"SPOP", "one"}), "x");
  EXPECT_EQ(Str({"EXISTS", "one"}), "0");
}

TEST_F(SetTest, SpopLeavingFewMembersRebuildsTheSet) {
  // Redis 7.2: when the members left are few (left * 5 <= count), the rest is moved into a new
  // set, which starts as a listpack (hashtable source) or intset (intset source).
  Sadd("h", Range(1, 200, "m"));
  ASSERT_EQ(Enc("h"), "hashtable");
  RespValue r = Run({"SPOP", "h", "190"});
  EXPECT_EQ(r.size(), 190u);
  EXPECT_EQ(Str({"SCARD", "h"}), "10");
  EXPECT_EQ(Enc("h"), "listpack");
  Strings all = Sorted(r);
  for (const std::string& m : Members("h")) all.push_back(m);
  EXPECT_EQ(SortedCopy(all), SortedCopy(Range(1, 200, "m")));

  // A hashtable of integers: the rest is a listpack too (members come out of a table as strings).
  Sadd("hi", Range(1, 600));
  ASSERT_EQ(Enc("hi"), "hashtable");
  Run({"SPOP", "hi", "590"});
  EXPECT_EQ(Enc("hi"), "listpack");
  EXPECT_EQ(Str({"SCARD", "hi"}), "10");

  Sadd("i", Range(1, 100));
  ASSERT_EQ(Enc("i"), "intset");
  r = Run({"SPOP", "i", "90"});
  EXPECT_EQ(Enc("i"), "intset");
  all = Sorted(r);
  for (const std::string& m : Members("i")) all.push_back(m);
  EXPECT_EQ(SortedCopy(all), SortedCopy(Range(1, 100)));

  // Popping fewer keeps the hashtable.
  Sadd("h2", Range(1, 200, "m"));
  Run({"SPOP", "h2", "100"});
  EXPECT_EQ(Enc("h2"), "hashtable");
}

TEST_F(SetTest, SrandmemberCounts) {
  for (const auto& [name, members] :
       std::vector<std::pair<std::string, Strings>>{{"intset", Range(1, 30)},
                                                    {"listpack", Range(1, 30, "m")},
                                                    {"hashtable", Range(1, 300, "m")}}) {
    Run({"DEL", "s"});
    Sadd("s", members);
    ASSERT_EQ(Enc("s"), name);
    const std::set<std::string> all(members.begin(), members.end());
    EXPECT_TRUE(all.count(Run({"SRANDMEMBER", "s"}).str)) << name;
    // Positive: distinct, min(count, size). Exercise both of the hashtable's strategies
    // (count * 3 > size and not).
    for (int count : {1, 5, 20, 29, 30, 31, 150, 299, 300, 1000}) {
      RespValue r = Run({"SRANDMEMBER", "s", std::to_string(count)});
      const size_t want = std::min<size_t>(static_cast<size_t>(count), members.size());
      ASSERT_EQ(r.size(), want) << name << " " << count;
      std::set<std::string> got;
      for (const RespValue& e : r.elements) {
        EXPECT_TRUE(all.count(e.str)) << name;
        got.insert(e.str);
      }
      EXPECT_EQ(got.size(), want) << name << " " << count;  // no repetition
    }
    // Negative: exactly -count, repetitions allowed (and certain with more draws than members).
    for (int count : {1, 7, 2500}) {
      RespValue r = Run({"SRANDMEMBER", "s", std::to_string(-count)});
      ASSERT_EQ(r.size(), static_cast<size_t>(count)) << name;
      std::set<std::string> got;
      for (const RespValue& e : r.elements) {
        EXPECT_TRUE(all.count(e.str)) << name;
        got.insert(e.str);
      }
      if (count == 2500) {
        EXPECT_LT(got.size(), 2500u);
      }
    }
    EXPECT_EQ(Str({"SCARD", "s"}), std::to_string(members.size()));  // nothing removed
  }
}

// Frequencies of random picks: every member must come up about equally often. The bounds are
// loose (+-25% with >= 400 expected hits, five standard deviations), so only a biased sampler
// fails: Dict::FairRandomNode alone, for example, is off by up to 60% on the hashtable.
// Picks with repetition stop soon after the reply passes its ceiling, whatever the count; the
// connection then closes the client (tests/integration/limits_test.cc). Below the ceiling the
// reply is whole.
TEST(RandomPicksCeilingTest, SrandmemberHrandfieldZrandmemberStopPastTheCeiling) {
  constexpr size_t kCeiling = 64 * 1024;
  const std::vector<std::vector<std::string>> runaways = {
      {"SRANDMEMBER", "ints", "-9223372036854775807"},
      {"SRANDMEMBER", "strs", "-9223372036854775807"},
      {"HRANDFIELD", "h", "-9223372036854775807"},
      {"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
      {"ZRANDMEMBER", "z", "-9223372036854775807"},
      {"ZRANDMEMBER", "z", "-4611686018427387903", "WITHSCORES"},
  };
  for (const auto& argv : runaways) {
    CommandHarness h;
    ASSERT_EQ(h.Run({"SADD", "ints", "1", "2", "3"}).integer, 3);  // intset
    ASSERT_EQ(h.Run({"SADD", "strs", "a", "b"}).integer, 2);       // listpack
    ASSERT_EQ(h.Run({"HSET", "h", "f", "v"}).integer, 1);
    ASSERT_EQ(h.Run({"ZADD", "z", "1", "m"}).integer, 1);
    h.SetReplyCeiling(kCeiling);
    EXPECT_EQ(h.Run({"SRANDMEMBER", "ints", "-5000"}).size(), 5000u);  // below it: whole
    EXPECT_FALSE(h.reply().cut_short());
    const size_t bytes = h.RunRaw(argv).size();
    EXPECT_TRUE(h.reply().cut_short()) << argv[0] << " " << argv[1];
    EXPECT_GT(bytes, kCeiling) << argv[0] << " " << argv[1];
    // At most one chunk (1024 picks of a few bytes each) past the ceiling.
    EXPECT_LT(bytes, kCeiling + 1024 * 32) << argv[0] << " " << argv[1];
  }
}

TEST_F(SetTest, RandomMembersAreSpreadEvenly) {
  SeedRandom(12345);
  for (const auto& [name, members] :
       std::vector<std::pair<std::string, Strings>>{{"intset", Range(1, 10)},
                                                    {"listpack", Range(1, 10, "m")},
                                                    {"hashtable", Range(1, 200, "m")}}) {
    Run({"DEL", "s"});
    Sadd("s", members);
    ASSERT_EQ(Enc("s"), name);
    const size_t n = members.size();
    auto check = [&](const std::map<std::string, int>& hits, double expected, const char* what) {
      EXPECT_EQ(hits.size(), n) << name << " " << what;
      for (const auto& [m, c] : hits) {
        EXPECT_GT(c, expected * 0.75) << name << " " << what << " " << m;
        EXPECT_LT(c, expected * 1.25) << name << " " << what << " " << m;
      }
    };
    // SRANDMEMBER (one), SRANDMEMBER -k (repeats), SRANDMEMBER k (distinct).
    std::map<std::string, int> one, rep, uniq, pop;
    const int rounds = static_cast<int>(n) * 400;
    for (int i = 0; i < rounds; ++i) ++one[Run({"SRANDMEMBER", "s"}).str];
    check(one, 400, "single");
    for (int i = 0; i < rounds / 4; ++i) {
      for (const RespValue& e : Run({"SRANDMEMBER", "s", "-4"}).elements) ++rep[e.str];
    }
    check(rep, 400, "negative");
    const int k = static_cast<int>(n) / 4 + 1;  // below a third of the set: both HT strategies
    const int urounds = static_cast<int>(n) * 400 / k;
    for (int i = 0; i < urounds; ++i) {
      for (const RespValue& e : Run({"SRANDMEMBER", "s", std::to_string(k)}).elements) {
        ++uniq[e.str];
      }
    }
    check(uniq, static_cast<double>(urounds) * k / static_cast<double>(n), "distinct");
    // SPOP 3 then put them back.
    for (int i = 0; i < rounds / 3; ++i) {
      RespValue r = Run({"SPOP", "s", "3"});
      std::vector<std::string> argv = {"SADD", "s"};
      for (const RespValue& e : r.elements) {
        ++pop[e.str];
        argv.push_back(e.str);
      }
      Run(argv);
    }
    check(pop, static_cast<double>(rounds / 3) * 3 / static_cast<double>(n), "spop");
  }
}

// ---- algebra
// -------------------------------------------------------------------------------------------

TEST_F(SetTest, InterUnionDiff) {
  Sadd("a", {"1", "2", "3", "x"});
  Sadd("b", {"2", "3", "4", "y"});
  Sadd("c", {"3", "x", "y", "z"});
  EXPECT_EQ(Sorted(Run({"SINTER", "a", "b"})), (Strings{"2", "3"}));
  EXPECT_EQ(Sorted(Run({"SINTER", "a", "b", "c"})), (Strings{"3"}));
  EXPECT_EQ(Sorted(Run({"SINTER", "a", "a"})), (Strings{"1", "2", "3", "x"}));
  EXPECT_EQ(Str({"SINTER", "a", "missing"}), "[]");
  EXPECT_EQ(Sorted(Run({"SUNION", "a", "b", "missing"})), (Strings{"1", "2", "3", "4", "x", "y"}));
  EXPECT_EQ(Sorted(Run({"SDIFF", "a", "b"})), (Strings{"1", "x"}));
  EXPECT_EQ(Sorted(Run({"SDIFF", "a", "b", "c"})), (Strings{"1"}));
  EXPECT_EQ(Sorted(Run({"SDIFF", "a", "missing"})), (Strings{"1", "2", "3", "x"}));
  EXPECT_EQ(Str({"SDIFF", "a", "a"}), "[]");
  EXPECT_EQ(Str({"SDIFF", "missing", "a"}), "[]");

  EXPECT_EQ(Str({"SINTERSTORE", "d", "a", "b"}), "2");
  EXPECT_EQ(Members("d"), (Strings{"2", "3"}));
  EXPECT_EQ(Str({"SUNIONSTORE", "d", "a", "b"}), "6");
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "a", "b"}), "2");
  EXPECT_EQ(Members("d"), (Strings{"1", "x"}));
  // The destination may be a source.
  EXPECT_EQ(Str({"SUNIONSTORE", "a", "a", "c"}), "6");
  EXPECT_EQ(Members("a"), (Strings{"1", "2", "3", "x", "y", "z"}));
  // An empty result deletes the destination.
  EXPECT_EQ(Str({"SINTERSTORE", "d", "a", "missing"}), "0");
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
  Run({"SADD", "d", "q"});
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "b", "b"}), "0");
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
  Run({"SADD", "d", "q"});
  EXPECT_EQ(Str({"SUNIONSTORE", "d", "missing"}), "0");
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
  // The destination's old value and TTL are replaced (Redis setKey).
  Run({"SET", "d", "v", "EX", "100"});
  EXPECT_EQ(Str({"SINTERSTORE", "d", "b", "c"}), "2");
  EXPECT_FALSE(Db0().LookupNoTouch("d")->has_expire());
  EXPECT_EQ(Members("d"), (Strings{"3", "y"}));
}

TEST_F(SetTest, DiffWithBothAlgorithms) {
  // Algorithm 1 (probe the others) when the first set is small, 2 (add then remove) when the
  // others are small compared with it; the answers must agree.
  Sadd("small", {"1", "5", "a"});
  Sadd("small2", {"2", "3", "zz"});
  Sadd("big", Range(1, 400, ""));
  Sadd("big2", Range(1, 400, "m"));
  // Algorithm 1: 3 * 3 / 2 <= 3 + 400 + 400.
  EXPECT_EQ(Sorted(Run({"SDIFF", "small", "big", "big2"})), (Strings{"a"}));
  // Algorithm 2: 400 * 3 / 2 > 400 + 3 + 3.
  RespValue r = Run({"SDIFF", "big", "small", "small2"});
  Strings expect = Range(4, 400);
  expect.erase(std::find(expect.begin(), expect.end(), "5"));
  EXPECT_EQ(Sorted(r), SortedCopy(expect));
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "big", "small", "small2"}), "396");
  EXPECT_EQ(Enc("d"), "intset");
  // Algorithm 1 again (400 * 3 / 2 <= 400 + 3 + 400), a missing key among the others.
  r = Run({"SDIFF", "big2", "small", "missing", "big"});
  EXPECT_EQ(r.size(), 400u);
  EXPECT_EQ(Str({"SCARD", "big"}), "400");
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "big", "big"}), "0");
}

// ---- encodings and conversions
// ------------------------------------------------------------------------

TEST_F(SetTest, IntsetUpToItsLimitThenHashtable) {
  Sadd("s", Range(1, 512));
  EXPECT_EQ(Enc("s"), "intset");
  EXPECT_EQ(Str({"SADD", "s", "513"}), "1");
  EXPECT_EQ(Enc("s"), "hashtable");  // too many integers: straight to a hashtable
  EXPECT_EQ(Str({"SCARD", "s"}), "513");
  EXPECT_EQ(Str({"SISMEMBER", "s", "77"}), "1");
  // Removing does not convert back.
  Run({"SREM", "s", "513", "512"});
  EXPECT_EQ(Enc("s"), "hashtable");
  // One at a time, the 512th member keeps the intset too.
  for (int i = 1; i <= 512; ++i) Run({"SADD", "t", std::to_string(i * 1000)});
  EXPECT_EQ(Enc("t"), "intset");
  Run({"SADD", "t", "-1"});
  EXPECT_EQ(Enc("t"), "hashtable");
}

TEST_F(SetTest, IntsetToListpackWhenAStringArrives) {
  Sadd("s", Range(1, 127));
  EXPECT_EQ(Enc("s"), "intset");
  EXPECT_EQ(Str({"SADD", "s", "abc"}), "1");  // 128 members fit a listpack
  EXPECT_EQ(Enc("s"), "listpack");
  EXPECT_EQ(Members("s").size(), 128u);
  EXPECT_EQ(Str({"SISMEMBER", "s", "100"}), "1");
  EXPECT_EQ(Str({"SADD", "s", "abc"}), "0");

  Sadd("t", Range(1, 128));
  EXPECT_EQ(Str({"SADD", "t", "abc"}), "1");  // 129 would not: hashtable
  EXPECT_EQ(Enc("t"), "hashtable");

  Sadd("u", {"1", "2"});
  EXPECT_EQ(Str({"SADD", "u", std::string(65, 'x')}), "1");  // too long for a listpack
  EXPECT_EQ(Enc("u"), "hashtable");
  Sadd("v", {"1", "2"});
  EXPECT_EQ(Str({"SADD", "v", std::string(64, 'x')}), "1");
  EXPECT_EQ(Enc("v"), "listpack");
}

TEST_F(SetTest, ListpackUpToItsLimitsThenHashtable) {
  Sadd("s", Range(1, 128, "m"));
  EXPECT_EQ(Enc("s"), "listpack");
  Run({"SADD", "s", "m1"});  // already there: nothing changes
  EXPECT_EQ(Enc("s"), "listpack");
  Run({"SADD", "s", "m129"});
  EXPECT_EQ(Enc("s"), "hashtable");
  EXPECT_EQ(Members("s"), SortedCopy(Range(1, 129, "m")));

  Run({"SADD", "l", "a", std::string(64, 'y')});
  EXPECT_EQ(Enc("l"), "listpack");
  Run({"SADD", "l", std::string(65, 'y')});
  EXPECT_EQ(Enc("l"), "hashtable");
  // A listpack takes integers too (stored as integers).
  Run({"SADD", "m", "a"});
  Run({"SADD", "m", "5"});
  EXPECT_EQ(Enc("m"), "listpack");
  EXPECT_EQ(Str({"SMEMBERS", "m"}), "[a, 5]");
}

TEST_F(SetTest, SaddSizeHints) {
  // A new key: setTypeCreate looks at the first member and the number of members given.
  Sadd("a", Range(1, 512));
  EXPECT_EQ(Enc("a"), "intset");
  Sadd("b", Range(1, 513));
  EXPECT_EQ(Enc("b"), "hashtable");
  Sadd("c", Range(1, 128, "m"));
  EXPECT_EQ(Enc("c"), "listpack");
  Sadd("d", Range(1, 129, "m"));
  EXPECT_EQ(Enc("d"), "hashtable");
  Strings mixed = Range(1, 200);
  mixed.push_back("x");  // 201 members, the first an integer: intset, then a hashtable
  Sadd("e", mixed);
  EXPECT_EQ(Enc("e"), "hashtable");
  // An existing compact set converts up front when the members given alone exceed its limit.
  Sadd("f", {"a"});
  Sadd("f", Range(1, 129, "n"));
  EXPECT_EQ(Enc("f"), "hashtable");
  Sadd("g", {"1"});
  Sadd("g", Range(2, 513));
  EXPECT_EQ(Enc("g"), "hashtable");
  // 129 members given to an intset do not convert it up front (129 <= 512); the first string
  // makes it a listpack, and the 129th member a hashtable.
  Sadd("h", {"1"});
  Sadd("h", Range(1, 128, "n"));
  EXPECT_EQ(Enc("h"), "hashtable");
  Sadd("h2", {"1"});
  Sadd("h2", Range(1, 127, "n"));
  EXPECT_EQ(Enc("h2"), "listpack");
}

TEST_F(SetTest, ThresholdsFollowConfigSet) {
  EXPECT_EQ(Str({"CONFIG", "SET", "set-max-intset-entries", "4"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "SET", "set-max-listpack-entries", "6"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "SET", "set-max-listpack-value", "5"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "set-max-*"}).size(), 6u);
  Sadd("i", {"1", "2", "3", "4"});
  EXPECT_EQ(Enc("i"), "intset");
  Run({"SADD", "i", "5"});
  EXPECT_EQ(Enc("i"), "hashtable");

  Sadd("l", {"1", "2", "3"});
  EXPECT_EQ(Enc("l"), "intset");
  Run({"SADD", "l", "abcde"});  // 4 <= 6 members of <= 5 bytes
  EXPECT_EQ(Enc("l"), "listpack");
  Run({"SADD", "l", "f", "g"});
  EXPECT_EQ(Enc("l"), "listpack");
  Run({"SADD", "l", "h"});  // the 7th
  EXPECT_EQ(Enc("l"), "hashtable");

  Sadd("v", {"a"});
  Run({"SADD", "v", "abcdef"});  // 6 bytes > 5
  EXPECT_EQ(Enc("v"), "hashtable");

  // The integers of an intset count against the value limit when it becomes a listpack:
  // 123456 has 6 digits > 5, so a string makes it a hashtable.
  Sadd("w", {"123456"});
  Run({"SADD", "w", "a"});
  EXPECT_EQ(Enc("w"), "hashtable");

  // Zero means never compact.
  Run({"CONFIG", "SET", "set-max-intset-entries", "0"});
  Sadd("z", {"1"});
  EXPECT_EQ(Enc("z"), "listpack");
  Run({"CONFIG", "SET", "set-max-listpack-entries", "0"});
  Sadd("z2", {"1"});
  EXPECT_EQ(Enc("z2"), "hashtable");
}

TEST_F(SetTest, StoreResultsGetTheEncodingTheyDeserve) {
  // Hashtable sources whose intersection is a few integers: an intset.
  Strings a = Range(1, 300, "m");
  Strings b = Range(150, 450, "m");
  a.insert(a.end(), {"1", "2", "3"});
  b.insert(b.end(), {"2", "3", "4"});
  Sadd("a", a);
  Sadd("b", b);
  ASSERT_EQ(Enc("a"), "hashtable");
  Sadd("c", {"2", "3", "m160", "m170"});
  ASSERT_EQ(Enc("c"), "listpack");
  EXPECT_EQ(Str({"SINTERSTORE", "d", "a", "b", "c"}), "4");
  EXPECT_EQ(Enc("d"), "listpack");
  Run({"SREM", "c", "m160", "m170"});
  EXPECT_EQ(Str({"SINTERSTORE", "d", "a", "b", "c"}), "2");
  EXPECT_EQ(Enc("d"), "intset");  // all integers: converted at the end
  EXPECT_EQ(Str({"SINTERSTORE", "d", "a", "b"}), "153");
  EXPECT_EQ(Enc("d"), "hashtable");

  // An intset smallest set gives an intset result; past the intset limit a hashtable.
  Sadd("i1", Range(1, 512));
  Sadd("i2", Range(1, 600));
  EXPECT_EQ(Str({"SINTERSTORE", "d", "i1", "i2"}), "512");
  EXPECT_EQ(Enc("d"), "intset");

  // Unions and differences are built from an intset up.
  EXPECT_EQ(Str({"SUNIONSTORE", "d", "i1"}), "512");
  EXPECT_EQ(Enc("d"), "intset");
  EXPECT_EQ(Str({"SUNIONSTORE", "d", "i1", "i2"}), "600");
  EXPECT_EQ(Enc("d"), "hashtable");
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "i2", "i1"}), "88");
  EXPECT_EQ(Enc("d"), "intset");
  Sadd("s", {"x", "y"});
  EXPECT_EQ(Str({"SUNIONSTORE", "d", "s", "c"}), "4");
  EXPECT_EQ(Enc("d"), "listpack");
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "a", "b"}), "150");  // m1..m149 and 1
  EXPECT_EQ(Enc("d"), "hashtable");
  // Small differences of hashtables: algorithm 1 adds only what stays, so a listpack.
  Sadd("h1", Range(1, 200, "k"));
  Sadd("h2", Range(3, 300, "k"));
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "h1", "h2"}), "2");
  EXPECT_EQ(Enc("d"), "listpack");
  // ...while algorithm 2 (chosen when the first set is big next to the others together: here
  // 200 * 5 / 2 > 200 + 198) adds the whole first set before removing, so Redis 7.2's result is
  // a hashtable holding two members.
  Sadd("q1", Range(3, 50, "k"));
  Sadd("q2", Range(51, 100, "k"));
  Sadd("q3", Range(101, 150, "k"));
  Sadd("q4", Range(151, 200, "k"));
  EXPECT_EQ(Str({"SDIFFSTORE", "d", "h1", "q1", "q2", "q3", "q4"}), "2");
  EXPECT_EQ(Enc("d"), "hashtable");
  EXPECT_EQ(Members("d"), (Strings{"k1", "k2"}));
}

// ---- value operations (COPY, UNLINK, MEMORY USAGE)
// ---------------------------------------------------------

TEST_F(SetTest, DuplicateIsADeepCopy) {
  Sadd("i", Range(1, 20));
  Sadd("l", Range(1, 20, "m"));
  Sadd("h", Range(1, 300, "m"));
  for (const char* key : {"i", "l", "h"}) {
    db::Object* o = Db0().LookupNoTouch(key);
    const uint64_t word = db::DuplicateValue(db::ValueOf(*o));
    const std::string copy_key = std::string(key) + "-copy";
    db::Object* c =
        db::Object::Create(copy_key, db::ObjType::kSet,
                           db::Object::ValueInit{o->encoding(), {}, word, false}, false, 0, 0);
    Db0().Add(c);
    EXPECT_EQ(Enc(copy_key), Enc(key));
    EXPECT_EQ(Members(copy_key), Members(key));
    EXPECT_EQ(db::ValueMemoryUsage(db::ValueOf(*c), 0), db::ValueMemoryUsage(db::ValueOf(*o), 0))
        << key;
    // Independent: changing one leaves the other.
    const Strings before = Members(key);
    Run({"SADD", copy_key, "new"});
    Run({"SREM", copy_key, "1", "m1"});
    EXPECT_EQ(Members(key), before);
    Run({"DEL", key});
    EXPECT_EQ(Str({"SISMEMBER", copy_key, "new"}), "1");
  }
}

TEST_F(SetTest, CopyRenameMoveAndType) {
  Sadd("i", Range(1, 20));
  Sadd("l", Range(1, 20, "m"));
  Sadd("h", Range(1, 300, "m"));
  for (const std::string key : {"i", "l", "h"}) {
    EXPECT_EQ(Str({"TYPE", key}), "set");
    EXPECT_EQ(Str({"COPY", key, key + "2"}), "1");
    EXPECT_EQ(Enc(key + "2"), Enc(key));
    EXPECT_EQ(Members(key + "2"), Members(key));
    Run({"SADD", key + "2", "new"});
    EXPECT_EQ(Str({"SISMEMBER", key, "new"}), "0");  // a deep copy
    EXPECT_EQ(Str({"RENAME", key + "2", key + "3"}), "OK");
    EXPECT_EQ(Str({"SISMEMBER", key + "3", "new"}), "1");
    EXPECT_EQ(Str({"MOVE", key + "3", "1"}), "1");
    Run({"SELECT", "1"});
    EXPECT_EQ(Str({"SCARD", key + "3"}), std::to_string(Members(key + "3").size()));
    EXPECT_EQ(Str({"SISMEMBER", key + "3", "new"}), "1");
    Run({"SELECT", "0"});
  }
  // MEMORY USAGE SAMPLES 0 counts the value exactly, on top of the key's own block.
  db::Object* o = Db0().LookupNoTouch("h");
  EXPECT_GE(Run({"MEMORY", "USAGE", "h", "SAMPLES", "0"}).integer,
            static_cast<int64_t>(db::ValueMemoryUsage(db::ValueOf(*o), 0) + o->BlockSize()));
  EXPECT_EQ(Str({"SCAN", "0", "TYPE", "set", "COUNT", "100"}).find("str"), std::string::npos);
}

TEST_F(SetTest, ValueMemoryIsExact) {
  Sadd("i", Range(1, 100));
  Sadd("l", Range(1, 100, "member-"));
  Strings mixed = Range(1, 2000, "m");
  mixed.push_back(std::string(300, 'L'));  // a two-byte varint length
  mixed.push_back("");
  Sadd("h", mixed);
  ASSERT_EQ(Enc("h"), "hashtable");
  Sadd("u", Range(100000, 103000, "u"));
  for (int i = 0; i < 500; ++i) Run({"SREM", "u", "u" + std::to_string(100000 + i * 3)});
  for (const char* key : {"i", "l", "h", "u"}) {
    db::Object* o = Db0().LookupNoTouch(key);
    const size_t value = db::ValueMemoryUsage(db::ValueOf(*o), 0);
    const size_t block = o->BlockSize();
    if (std::string(key) == "u") {
      // Sampled estimates (MEMORY USAGE SAMPLES n) stay close for members of one size.
      const size_t est = db::ValueMemoryUsage(db::ValueOf(*o), 50);
      EXPECT_NEAR(static_cast<double>(est), static_cast<double>(value), value * 0.05);
    }
    const size_t before = mem::UsedMemory();
    ASSERT_TRUE(Db0().Delete(key, false));
    EXPECT_EQ(before - mem::UsedMemory(), value + block) << key;
  }
}

TEST_F(SetTest, HashtableNodesAreOneBlockPerMember) {
  // 2000 members of 5 bytes and one of 1: one block per member (8 + 1 + 5 = 14 bytes), the
  // bucket array (2048 pointers, presized by SADD's size hint) and the table struct; nothing
  // else.
  Sadd("h", Range(10000, 11999));
  Run({"SADD", "h", "x"});
  ASSERT_EQ(Enc("h"), "hashtable");
  auto usable = [](size_t n) {  // the allocator's block size for n bytes
    void* p = mem::Alloc(n);
    const size_t u = mem::UsableSize(p);
    mem::Free(p);
    return u;
  };
#ifndef MNEMO_SANITIZE
  EXPECT_EQ(usable(14), 16u);  // jemalloc's 16-byte class (the sanitizer build uses libc)
#endif
  const size_t nodes = 2000 * usable(14) + usable(10);
  const size_t buckets = usable(2048 * sizeof(void*));
  db::Object* o = Db0().LookupNoTouch("h");
  const size_t value = db::ValueMemoryUsage(db::ValueOf(*o), 0);
  EXPECT_GE(value, nodes + buckets);
  EXPECT_LE(value, nodes + buckets + 128);  // + the table struct
}

TEST_F(SetTest, UnlinkOfABigSetFreesInTheBackground) {
  for (int i = 0; i < 100; ++i) Sadd("big", Range(i * 1000, i * 1000 + 999, "member:"));
  ASSERT_EQ(Str({"SCARD", "big"}), "100000");
  db::Object* o = Db0().LookupNoTouch("big");
  const size_t value = db::ValueMemoryUsage(db::ValueOf(*o), 0);
  EXPECT_EQ(db::FreeEffort(db::ValueOf(*o)), 100000u);
  db::LazyFree& lazy = h_.keyspace().lazyfree();
  lazy.Drain();
  const size_t freed_before = lazy.freed_objects();
  const size_t mem_before = mem::UsedMemory();
  EXPECT_EQ(Str({"UNLINK", "big"}), "1");
  EXPECT_EQ(Str({"EXISTS", "big"}), "0");
  lazy.Drain();
  EXPECT_EQ(lazy.freed_objects(), freed_before + 1);  // went through the thread
  EXPECT_EQ(lazy.pending_objects(), 0u);
  EXPECT_GE(mem_before - mem::UsedMemory(), value);
  // A small set is freed inline.
  Sadd("small", Range(1, 50, "m"));
  EXPECT_EQ(Str({"UNLINK", "small"}), "1");
  lazy.Drain();
  EXPECT_EQ(lazy.freed_objects(), freed_before + 1);
}

// ---- randomized comparison with std::set
// ------------------------------------------------------------

struct Model {
  std::map<std::string, std::set<std::string>> sets;
};

class SetModelTest : public ::testing::TestWithParam<bool> {};

// A member for the random test: integers of several widths, non-canonical numbers, short and
// long strings, so that every encoding and conversion is reached.
std::string RandomMember(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return std::to_string(rng() % 40);
    case 1:
      return std::to_string(static_cast<int64_t>(rng() % 100) - 50);
    case 2:
      return std::to_string(static_cast<int64_t>(rng()));  // any int64
    case 3:
      return "0" + std::to_string(rng() % 10);  // "07": a string
    case 4:
      return std::string(1 + rng() % 3, static_cast<char>('a' + rng() % 6));
    case 5:
      return "m" + std::to_string(rng() % 60);
    case 6:
      return std::string(50 + rng() % 30, static_cast<char>('A' + rng() % 3));
    default:
      return std::to_string(1000 + rng() % 300);
  }
}

TEST_P(SetModelTest, AnswersNeverDependOnTheEncoding) {
  const bool tiny = GetParam();
  // Tiny thresholds make conversions happen all the time.
  CommandHarness h(tiny ? "set-max-intset-entries 3\nset-max-listpack-entries 5\n"
                          "set-max-listpack-value 6\n"
                        : "");
  // Warm up what the harness keeps (reply buffer capacity, error counters) so that the memory
  // check at the end sees only the keyspace.
  h.Run({"ECHO", std::string(1 << 20, 'w')});
  h.Run({"SET", "str", "x"});
  h.Run({"SADD", "str", "x"});
  h.Run({"SPOP", "str", "x"});
  h.Run({"FLUSHALL", "SYNC"});
  const size_t mem_start = mem::UsedMemory();
  const db::Options& opt = h.keyspace().options();
  {
    std::mt19937_64 rng(tiny ? 7 : 11);
    SeedRandom(tiny ? 70 : 110);
    Model model;
    const std::vector<std::string> keys = {"s0", "s1", "s2", "s3"};
    h.Run({"SET", "str", "text"});
    auto key = [&] { return keys[rng() % keys.size()]; };
    auto members_of = [&](const RespValue& r) {
      std::multiset<std::string> out;
      for (const RespValue& e : r.elements) out.insert(e.str);
      return out;
    };
    auto model_of = [&](const std::string& k) -> const std::set<std::string>& {
      static const std::set<std::string> empty;
      auto it = model.sets.find(k);
      return it == model.sets.end() ? empty : it->second;
    };
    auto set_model = [&](const std::string& k, std::set<std::string> v) {
      if (v.empty()) {
        model.sets.erase(k);
      } else {
        model.sets[k] = std::move(v);
      }
    };
    auto as_multiset = [](const std::set<std::string>& s) {
      return std::multiset<std::string>(s.begin(), s.end());
    };
    const int kOps = 12000;
    for (int step = 0; step < kOps; ++step) {
      const std::string k = key();
      const std::string trace = "step " + std::to_string(step) + " key " + k;
      switch (rng() % 16) {
        case 0:
        case 1:
        case 2: {  // SADD
          std::vector<std::string> argv = {"SADD", k};
          const int n = 1 + static_cast<int>(rng() % (rng() % 10 == 0 ? 40 : 4));
          std::set<std::string> s = model_of(k);
          int64_t added = 0;
          for (int i = 0; i < n; ++i) {
            argv.push_back(RandomMember(rng));
            added += s.insert(argv.back()).second ? 1 : 0;
          }
          ASSERT_EQ(h.Run(argv).integer, added) << trace;
          set_model(k, s);
          break;
        }
        case 3: {  // SREM
          std::vector<std::string> argv = {"SREM", k};
          std::set<std::string> s = model_of(k);
          int64_t removed = 0;
          for (int i = 0; i < 3; ++i) {
            std::string m = RandomMember(rng);
            if (!s.empty() && rng() % 2 == 0) {
              auto it = s.begin();
              std::advance(it, static_cast<long>(rng() % s.size()));
              m = *it;
            }
            argv.push_back(m);
            removed += static_cast<int64_t>(s.erase(m));
          }
          ASSERT_EQ(h.Run(argv).integer, removed) << trace;
          set_model(k, s);
          break;
        }
        case 4: {  // SISMEMBER / SMISMEMBER / SCARD
          const std::string m = RandomMember(rng);
          ASSERT_EQ(h.Run({"SISMEMBER", k, m}).integer, static_cast<int64_t>(model_of(k).count(m)))
              << trace;
          RespValue r = h.Run({"SMISMEMBER", k, m, "1"});
          ASSERT_EQ(r[1].integer, static_cast<int64_t>(model_of(k).count("1"))) << trace;
          ASSERT_EQ(h.Run({"SCARD", k}).integer, static_cast<int64_t>(model_of(k).size()));
          break;
        }
        case 5: {  // SPOP
          const bool with_count = rng() % 2 == 0;
          std::set<std::string> s = model_of(k);
          if (!with_count) {
            RespValue r = h.Run({"SPOP", k});
            if (s.empty()) {
              ASSERT_TRUE(r.IsNull()) << trace;
            } else {
              ASSERT_EQ(s.erase(r.str), 1u) << trace;
            }
          } else {
            const size_t count = rng() % 8;
            RespValue r = h.Run({"SPOP", k, std::to_string(count)});
            ASSERT_EQ(r.size(), std::min(count, s.size())) << trace;
            for (const RespValue& e : r.elements) ASSERT_EQ(s.erase(e.str), 1u) << trace;
          }
          set_model(k, s);
          break;
        }
        case 6: {  // SRANDMEMBER
          const auto count = static_cast<int64_t>(rng() % 12) - 4;
          RespValue r = h.Run({"SRANDMEMBER", k, std::to_string(count)});
          const std::set<std::string>& s = model_of(k);
          const size_t want = s.empty()
                                  ? 0
                                  : (count >= 0 ? std::min(static_cast<size_t>(count), s.size())
                                                : static_cast<size_t>(-count));
          ASSERT_EQ(r.size(), want) << trace;
          std::set<std::string> distinct;
          for (const RespValue& e : r.elements) {
            ASSERT_TRUE(s.count(e.str)) << trace;
            distinct.insert(e.str);
          }
          if (count >= 0) {
            ASSERT_EQ(distinct.size(), r.size()) << trace;
          }
          break;
        }
        case 7: {  // SMOVE
          const std::string dst = key();
          std::set<std::string> s = model_of(k);
          std::string m = RandomMember(rng);
          if (!s.empty() && rng() % 2 == 0) m = *s.begin();
          const int64_t moved = static_cast<int64_t>(s.count(m));
          ASSERT_EQ(h.Run({"SMOVE", k, dst, m}).integer, moved) << trace;
          if (moved && dst != k) {
            s.erase(m);
            std::set<std::string> d = model_of(dst);
            d.insert(m);
            set_model(k, s);
            set_model(dst, d);
          }
          break;
        }
        case 8: {  // SINTER, SINTERCARD
          const std::string k2 = key();
          std::set<std::string> expect;
          for (const std::string& m : model_of(k)) {
            if (model_of(k2).count(m)) expect.insert(m);
          }
          ASSERT_EQ(members_of(h.Run({"SINTER", k, k2})), as_multiset(expect)) << trace;
          ASSERT_EQ(h.Run({"SINTERCARD", "2", k, k2}).integer, static_cast<int64_t>(expect.size()))
              << trace;
          ASSERT_EQ(h.Run({"SINTERCARD", "2", k, k2, "LIMIT", "2"}).integer,
                    static_cast<int64_t>(std::min<size_t>(2, expect.size())))
              << trace;
          break;
        }
        case 9: {  // SUNION, SDIFF
          const std::string k2 = key();
          const std::string k3 = key();
          std::set<std::string> uni = model_of(k);
          uni.insert(model_of(k2).begin(), model_of(k2).end());
          ASSERT_EQ(members_of(h.Run({"SUNION", k, k2})), as_multiset(uni)) << trace;
          std::set<std::string> diff;
          for (const std::string& m : model_of(k)) {
            if (!model_of(k2).count(m) && !model_of(k3).count(m)) diff.insert(m);
          }
          ASSERT_EQ(members_of(h.Run({"SDIFF", k, k2, k3})), as_multiset(diff)) << trace;
          break;
        }
        case 10: {  // the STORE variants
          const std::string dst = key();
          const std::string k2 = key();
          std::set<std::string> result;
          const std::set<std::string> a = model_of(k);
          const std::set<std::string> b = model_of(k2);
          const int which = static_cast<int>(rng() % 3);
          const char* cmd = which == 0 ? "SINTERSTORE" : which == 1 ? "SUNIONSTORE" : "SDIFFSTORE";
          for (const std::string& m : a) {
            if ((which == 0 && b.count(m)) || which == 1 || (which == 2 && !b.count(m))) {
              result.insert(m);
            }
          }
          if (which == 1) result.insert(b.begin(), b.end());
          ASSERT_EQ(h.Run({cmd, dst, k, k2}).integer, static_cast<int64_t>(result.size()))
              << trace << " " << cmd;
          set_model(dst, result);
          break;
        }
        case 11: {  // SMEMBERS
          ASSERT_EQ(members_of(h.Run({"SMEMBERS", k})), as_multiset(model_of(k))) << trace;
          break;
        }
        case 12: {  // SSCAN, a complete iteration
          std::set<std::string> seen;
          std::string cursor = "0";
          int guard = 0;
          do {
            RespValue r = h.Run({"SSCAN", k, cursor, "COUNT", std::to_string(1 + rng() % 5)});
            ASSERT_EQ(r.size(), 2u) << trace;
            cursor = r[0].str;
            for (const RespValue& e : r[1].elements) seen.insert(e.str);
            ASSERT_LT(++guard, 100000) << trace;
          } while (cursor != "0");
          ASSERT_EQ(seen, model_of(k)) << trace;
          break;
        }
        case 13: {  // wrong type, and DEL now and then
          if (rng() % 4 == 0) {
            h.Run({"DEL", k});
            model.sets.erase(k);
          } else {
            ASSERT_TRUE(h.Run({"SADD", "str", "x"}).IsError()) << trace;
          }
          break;
        }
        default: {  // SRANDMEMBER / SPOP on the whole: counts bigger than the set
          const std::set<std::string>& s = model_of(k);
          RespValue r = h.Run({"SRANDMEMBER", k, "1000"});
          ASSERT_EQ(members_of(r), as_multiset(s)) << trace;
          break;
        }
      }
      // The encoding always agrees with the contents and the limits.
      db::Object* o = h.keyspace().db(0).LookupNoTouch(k);
      const std::set<std::string>& s = model_of(k);
      ASSERT_EQ(o != nullptr, !s.empty()) << trace;
      if (o != nullptr) {
        ASSERT_EQ(o->type(), db::ObjType::kSet);
        ASSERT_EQ(db::SetSize(*o), s.size()) << trace;
        if (o->encoding() == db::Encoding::kIntset) {
          ASSERT_LE(s.size(), static_cast<size_t>(opt.set_max_intset_entries)) << trace;
          for (const std::string& m : s) ASSERT_TRUE(ParseInt64(m).has_value()) << trace << m;
        } else if (o->encoding() == db::Encoding::kListpack) {
          ASSERT_LE(s.size(), static_cast<size_t>(opt.set_max_listpack_entries)) << trace;
          for (const std::string& m : s) {
            ASSERT_LE(m.size(), static_cast<size_t>(opt.set_max_listpack_value)) << trace;
          }
        } else {
          ASSERT_EQ(o->encoding(), db::Encoding::kHashtable) << trace;
        }
      }
    }
    // Every key's contents, at the end.
    for (const std::string& k : keys) {
      ASSERT_EQ(members_of(h.Run({"SMEMBERS", k})), as_multiset(model_of(k))) << k;
    }
  }
  EXPECT_EQ(h.Run({"FLUSHALL", "SYNC"}).ToString(), "OK");
  EXPECT_EQ(mem::UsedMemory(), mem_start);  // nothing leaked
}

INSTANTIATE_TEST_SUITE_P(DefaultAndTinyThresholds, SetModelTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Tiny" : "Default"; });

}  // namespace
}  // namespace mnemo::test

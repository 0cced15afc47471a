// hash_test.cc: the hash commands through the dispatcher: replies in RESP2 and RESP3, every
// error, both encodings and the conversions between them, value operations (free, lazy free,
// memory, duplicate) and a randomized comparison against a std::map model (tests/cmd).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/numbers.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

using Model = std::map<std::string, std::string>;

std::string Encoding(CommandHarness& h, std::string_view key) {
  db::Object* o = h.keyspace().db(0).LookupNoTouch(key);
  return o == nullptr ? "(none)" : db::EncodingName(*o);
}

// HSET key f<prefix>0 v0 ... with `n` fields; fields and values are `width` bytes wide.
std::vector<std::string> HsetArgs(std::string_view key, size_t first, size_t n, int width = 9) {
  std::vector<std::string> argv = {"HSET", std::string(key)};
  char buf[64];
  for (size_t i = first; i < first + n; ++i) {
    std::snprintf(buf, sizeof(buf), "f%0*zu", width - 1, i);
    argv.emplace_back(buf);
    std::snprintf(buf, sizeof(buf), "v%0*zu", width - 1, i);
    argv.emplace_back(buf);
  }
  return argv;
}

// The fields and values of a flat (RESP2) or map (RESP3) reply.
Model ToModel(const RespValue& r) {
  Model m;
  for (size_t i = 0; i + 1 < r.size(); i += 2) m[r[i].str] = r[i + 1].str;
  return m;
}

class HashTest : public CommandTest {
 protected:
  std::string Enc(std::string_view key) { return Encoding(h_, key); }
  void Fill(std::string_view key, size_t n, int width = 9) {
    ASSERT_EQ(Run(HsetArgs(key, 0, n, width)).integer, static_cast<int64_t>(n));
  }
  // Every field and value of `key` through a complete HSCAN (fields reported twice collapse).
  Model ScanAll(std::string_view key, std::string_view count = "10") {
    Model m;
    std::string cursor = "0";
    size_t calls = 0;
    do {
      RespValue r = Run({"HSCAN", key, cursor, "COUNT", count});
      EXPECT_EQ(r.size(), 2u);
      cursor = r[0].str;
      for (size_t i = 0; i + 1 < r[1].size(); i += 2) m[r[1][i].str] = r[1][i + 1].str;
      EXPECT_LT(++calls, 100000u);
    } while (cursor != "0" && calls < 100000);
    return m;
  }
};

// ---- single-field commands ---------------------------------------------------------------------

TEST_F(HashTest, HsetHgetHmsetHmget) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "two"}), "2");
  EXPECT_EQ(Str({"HSET", "h", "a", "uno", "c", "3"}), "1");  // a updated, c added
  EXPECT_EQ(Str({"HGET", "h", "a"}), "uno");
  EXPECT_EQ(Str({"HGET", "h", "c"}), "3");
  EXPECT_EQ(Str({"HGET", "h", "zz"}), "(nil)");
  EXPECT_EQ(Str({"HGET", "nokey", "a"}), "(nil)");
  EXPECT_EQ(Str({"HMSET", "h", "d", "4", "e", ""}), "OK");
  EXPECT_EQ(Str({"HMGET", "h", "a", "zz", "e", "d"}), "[uno, (nil), , 4]");
  EXPECT_EQ(Str({"HMGET", "nokey", "a", "b"}), "[(nil), (nil)]");
  EXPECT_EQ(Str({"HLEN", "h"}), "5");
  EXPECT_EQ(Str({"HLEN", "nokey"}), "0");
  EXPECT_EQ(RunRaw({"HGET", "h", "zz"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"HMGET", "nokey", "a"}), "*1\r\n$-1\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HGET", "h", "zz"}), "_\r\n");
  EXPECT_EQ(RunRaw({"HMGET", "nokey", "a"}), "*1\r\n_\r\n");
  // Binary-safe fields and values.
  EXPECT_EQ(Run({"HSET", "bin", std::string("a\0b", 3), std::string("\r\n\0", 3)}).integer, 1);
  EXPECT_EQ(Run({"HGET", "bin", std::string("a\0b", 3)}).str, std::string("\r\n\0", 3));
  EXPECT_EQ(Str({"HGET", "bin", "a"}), "(nil)");
}

TEST_F(HashTest, ArityAndOddArguments) {
  EXPECT_EQ(Str({"HSET", "h", "a"}), "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Str({"HMSET", "h", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(Str({"HMSET", "h"}), "(error) ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(Str({"EXISTS", "h"}), "0");  // nothing was created by the failed calls
  EXPECT_EQ(Str({"HGET", "h"}), "(error) ERR wrong number of arguments for 'hget' command");
  EXPECT_EQ(Str({"HSETNX", "h", "a"}),
            "(error) ERR wrong number of arguments for 'hsetnx' command");
  EXPECT_EQ(Str({"HMGET", "h"}), "(error) ERR wrong number of arguments for 'hmget' command");
  EXPECT_EQ(Str({"HDEL", "h"}), "(error) ERR wrong number of arguments for 'hdel' command");
  EXPECT_EQ(Str({"HLEN"}), "(error) ERR wrong number of arguments for 'hlen' command");
  EXPECT_EQ(Str({"HSTRLEN", "h"}), "(error) ERR wrong number of arguments for 'hstrlen' command");
  EXPECT_EQ(Str({"HEXISTS", "h"}), "(error) ERR wrong number of arguments for 'hexists' command");
  EXPECT_EQ(Str({"HKEYS"}), "(error) ERR wrong number of arguments for 'hkeys' command");
  EXPECT_EQ(Str({"HVALS", "a", "b"}), "(error) ERR wrong number of arguments for 'hvals' command");
  EXPECT_EQ(Str({"HGETALL"}), "(error) ERR wrong number of arguments for 'hgetall' command");
  EXPECT_EQ(Str({"HINCRBY", "h", "a"}),
            "(error) ERR wrong number of arguments for 'hincrby' command");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "a"}),
            "(error) ERR wrong number of arguments for 'hincrbyfloat' command");
  EXPECT_EQ(Str({"HRANDFIELD"}), "(error) ERR wrong number of arguments for 'hrandfield' command");
  EXPECT_EQ(Str({"HSCAN", "h"}), "(error) ERR wrong number of arguments for 'hscan' command");
}

TEST_F(HashTest, HsetnxHexistsHstrlen) {
  EXPECT_EQ(Str({"HSETNX", "h", "a", "1"}), "1");  // creates the key
  EXPECT_EQ(Str({"HSETNX", "h", "a", "2"}), "0");
  EXPECT_EQ(Str({"HGET", "h", "a"}), "1");
  EXPECT_EQ(Str({"HEXISTS", "h", "a"}), "1");
  EXPECT_EQ(Str({"HEXISTS", "h", "b"}), "0");
  EXPECT_EQ(Str({"HEXISTS", "nokey", "a"}), "0");
  EXPECT_EQ(Str({"HSET", "h", "s", "hello", "n", "-12345", "e", ""}), "3");
  EXPECT_EQ(Str({"HSTRLEN", "h", "s"}), "5");
  EXPECT_EQ(Str({"HSTRLEN", "h", "n"}), "6");  // a listpack keeps it as an integer
  EXPECT_EQ(Str({"HSTRLEN", "h", "e"}), "0");
  EXPECT_EQ(Str({"HSTRLEN", "h", "zz"}), "0");
  EXPECT_EQ(Str({"HSTRLEN", "nokey", "a"}), "0");
}

TEST_F(HashTest, IntegerLikeStringsReadBackUnchanged) {
  // Canonical integers are stored as integers by a listpack; others must stay strings.
  for (std::string v :
       {"0", "-1", "127", "4096", "-4097", "9223372036854775807", "-9223372036854775808", "007",
        "+1", " 1", "1.0", "-0", "9223372036854775808", ""}) {
    EXPECT_EQ(Run({"HSET", "h", v, v}).integer, 1) << v;
    EXPECT_EQ(Run({"HGET", "h", v}).str, v);
    EXPECT_EQ(Run({"HSTRLEN", "h", v}).integer, static_cast<int64_t>(v.size()));
  }
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Str({"HLEN", "h"}), "14");
}

TEST_F(HashTest, HdelDeletesEmptyHash) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "2", "c", "3"}), "3");
  EXPECT_EQ(Str({"HDEL", "h", "a", "zz", "a"}), "1");
  EXPECT_EQ(Str({"HDEL", "nokey", "a"}), "0");
  EXPECT_EQ(Str({"HLEN", "h"}), "2");
  EXPECT_EQ(Str({"HDEL", "h", "b", "c", "d"}), "2");
  EXPECT_EQ(Str({"EXISTS", "h"}), "0");  // an empty hash is deleted
  // The same on a hashtable.
  Fill("big", 600);
  EXPECT_EQ(Enc("big"), "hashtable");
  std::vector<std::string> del = {"HDEL", "big", "nope"};
  for (const std::string& s : HsetArgs("big", 0, 600)) {
    if (s[0] == 'f') del.push_back(s);
  }
  EXPECT_EQ(Run(del).integer, 600);
  EXPECT_EQ(Str({"EXISTS", "big"}), "0");
}

// ---- whole-hash replies ------------------------------------------------------------------------

TEST_F(HashTest, HkeysHvalsHgetallShapes) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "2"}), "2");
  // A listpack keeps insertion order.
  EXPECT_EQ(Str({"HKEYS", "h"}), "[a, b]");
  EXPECT_EQ(Str({"HVALS", "h"}), "[1, 2]");
  EXPECT_EQ(RunRaw({"HGETALL", "h"}), "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"HGETALL", "nokey"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"HKEYS", "nokey"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"HVALS", "nokey"}), "*0\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HGETALL", "h"}), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(RunRaw({"HGETALL", "nokey"}), "%0\r\n");
  EXPECT_EQ(RunRaw({"HKEYS", "nokey"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"HKEYS", "h"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");

  Fill("big", 700);
  RespValue all = Run({"HGETALL", "big"});
  ASSERT_EQ(all.type, RespValue::Type::kMap);
  Model m = ToModel(all);
  ASSERT_EQ(m.size(), 700u);
  EXPECT_EQ(m["f00000123"], "v00000123");
  RespValue keys = Run({"HKEYS", "big"});
  RespValue vals = Run({"HVALS", "big"});
  ASSERT_EQ(keys.size(), 700u);
  ASSERT_EQ(vals.size(), 700u);
  for (size_t i = 0; i < 700; ++i) {  // HKEYS and HVALS walk the table in the same order
    EXPECT_EQ(m[keys[i].str], vals[i].str);
  }
}

// ---- HINCRBY, HINCRBYFLOAT ---------------------------------------------------------------------

TEST_F(HashTest, Hincrby) {
  EXPECT_EQ(Str({"HINCRBY", "h", "n", "5"}), "5");  // creates key and field
  EXPECT_EQ(Str({"HINCRBY", "h", "n", "-7"}), "-2");
  EXPECT_EQ(Str({"HGET", "h", "n"}), "-2");
  EXPECT_EQ(Str({"HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807"}), "3");
  EXPECT_EQ(Str({"HINCRBY", "h", "s", "1"}), "(error) ERR hash value is not an integer");
  EXPECT_EQ(Str({"HINCRBY", "h", "sp", "1"}), "(error) ERR hash value is not an integer");
  EXPECT_EQ(Str({"HINCRBY", "h", "n", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HINCRBY", "h", "n", "9223372036854775808"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HINCRBY", "h", "big", "1"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"HSET", "h", "small", "-9223372036854775808"}), "1");
  EXPECT_EQ(Str({"HINCRBY", "h", "small", "-1"}),
            "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"HINCRBY", "h", "small", "9223372036854775807"}), "-1");
  EXPECT_EQ(Str({"HGET", "h", "big"}), "9223372036854775807");  // unchanged by the error
  EXPECT_EQ(Str({"HINCRBY", "nokey", "n", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"EXISTS", "nokey"}), "0");
  // The same on a hashtable.
  Fill("big", 600);
  EXPECT_EQ(Str({"HINCRBY", "big", "ctr", "10"}), "10");
  EXPECT_EQ(Str({"HINCRBY", "big", "ctr", "-3"}), "7");
  EXPECT_EQ(Str({"HINCRBY", "big", "f00000001", "1"}), "(error) ERR hash value is not an integer");
  EXPECT_EQ(Enc("big"), "hashtable");
}

TEST_F(HashTest, Hincrbyfloat) {
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "10.5"}), "10.5");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "0.1"}), "10.6");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "-5.6"}), "5");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "g", "5.0e3"}), "5000");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "g", "1e20"}), "100000000000000005000");
  EXPECT_EQ(Str({"HSET", "h", "i", "3"}), "1");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "i", "1.5"}), "4.5");  // from a listpack integer
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HINCRBYFLOAT", "h", "i", "1"}), "$3\r\n5.5\r\n");  // a bulk, also in RESP3
  h_.SetResp(2);
  EXPECT_EQ(Str({"HSET", "h", "s", "abc", "huge", "1e4932"}), "2");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "s", "1"}), "(error) ERR hash value is not a float");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "abc"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "nan"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "-inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "huge", "1e4932"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Str({"HGET", "h", "huge"}), "1e4932");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "nokey", "f", "inf"}), "(error) ERR value is NaN or Infinity");
  EXPECT_EQ(Str({"EXISTS", "nokey"}), "0");
}

// ---- HRANDFIELD --------------------------------------------------------------------------------

TEST_F(HashTest, HrandfieldErrorsAndEmptyCases) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "2", "c", "3"}), "3");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "-9223372036854775808"}),
            "(error) ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "4611686018427387904", "withvalues"}),
            "(error) ERR value is out of range");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "1", "foo"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HRANDFIELD", "nokey", "-9223372036854775807", "withvalues"}),
            "(error) ERR value is out of range");  // checked before the key
  EXPECT_EQ(RunRaw({"HRANDFIELD", "nokey"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "nokey", "5"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "h", "0"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "h", "0", "WITHVALUES"}), "*0\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HRANDFIELD", "nokey"}), "_\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "nokey", "-3", "WITHVALUES"}), "*0\r\n");
}

TEST_F(HashTest, HrandfieldReplyShapes) {
  EXPECT_EQ(Str({"HSET", "one", "a", "1"}), "1");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one"}), "$1\r\na\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "1"}), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "5", "WITHVALUES"}), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "-2", "WITHVALUES"}),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "-2"}), "*2\r\n$1\r\na\r\n$1\r\na\r\n");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one"}), "$1\r\na\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "1", "WITHVALUES"}), "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "5", "WITHVALUES"}), "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "-2", "WITHVALUES"}),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HRANDFIELD", "one", "5"}), "*1\r\n$1\r\na\r\n");
}

// Checks HRANDFIELD's counts on `key`, whose contents are `model`.
void CheckRandfield(CommandHarness& h, const std::string& key, const Model& model) {
  const int64_t size = static_cast<int64_t>(model.size());
  for (int resp : {2, 3}) {
    h.SetResp(resp);
    RespValue one = h.Run({"HRANDFIELD", key});
    EXPECT_TRUE(model.count(one.str)) << one.str;
    for (int64_t count :
         {int64_t{1}, int64_t{2}, size / 4, size / 3 + 1, size - 1, size, size + 5}) {
      if (count <= 0) continue;
      // Distinct fields.
      RespValue r = h.Run({"HRANDFIELD", key, std::to_string(count)});
      ASSERT_EQ(static_cast<int64_t>(r.size()), std::min(count, size));
      std::set<std::string> seen;
      for (const RespValue& f : r.elements) {
        EXPECT_TRUE(model.count(f.str)) << f.str;
        EXPECT_TRUE(seen.insert(f.str).second) << "repeated " << f.str;
      }
      // With values: pairs consistent with the hash.
      RespValue w = h.Run({"HRANDFIELD", key, std::to_string(count), "WITHVALUES"});
      seen.clear();
      if (resp == 2) {
        ASSERT_EQ(static_cast<int64_t>(w.size()), 2 * std::min(count, size));
        for (size_t i = 0; i < w.size(); i += 2) {
          EXPECT_EQ(model.at(w[i].str), w[i + 1].str);
          EXPECT_TRUE(seen.insert(w[i].str).second);
        }
      } else {
        ASSERT_EQ(static_cast<int64_t>(w.size()), std::min(count, size));
        for (const RespValue& pair : w.elements) {
          ASSERT_EQ(pair.size(), 2u);
          EXPECT_EQ(model.at(pair[0].str), pair[1].str);
          EXPECT_TRUE(seen.insert(pair[0].str).second);
        }
      }
      // Negative: exactly |count|, repetitions allowed.
      RespValue n = h.Run({"HRANDFIELD", key, std::to_string(-count), "WITHVALUES"});
      const int64_t per = resp == 2 ? 2 : 1;
      ASSERT_EQ(static_cast<int64_t>(n.size()), per * count);
      for (size_t i = 0; i < n.size(); i += static_cast<size_t>(per)) {
        const std::string f = resp == 2 ? n[i].str : n[i][0].str;
        const std::string v = resp == 2 ? n[i + 1].str : n[i][1].str;
        EXPECT_EQ(model.at(f), v);
      }
    }
  }
  h.SetResp(2);
}

TEST_F(HashTest, HrandfieldBothEncodings) {
  Fill("small", 40);
  Fill("big", 3000);
  EXPECT_EQ(Enc("small"), "listpack");
  EXPECT_EQ(Enc("big"), "hashtable");
  CheckRandfield(h_, "small", ToModel(Run({"HGETALL", "small"})));
  CheckRandfield(h_, "big", ToModel(Run({"HGETALL", "big"})));
  // A negative count bigger than the hash repeats fields; a big one crosses the listpack's
  // sampling batches.
  RespValue r = Run({"HRANDFIELD", "small", "-2500"});
  ASSERT_EQ(r.size(), 2500u);
  std::set<std::string> distinct;
  for (const RespValue& f : r.elements) distinct.insert(f.str);
  EXPECT_LE(distinct.size(), 40u);
  EXPECT_GT(distinct.size(), 30u);  // 2500 draws from 40 miss a field with p < 40 * e^-62
  // Every field turns up eventually (the choice is random, not stuck on a few fields).
  distinct.clear();
  for (int i = 0; i < 200; ++i) {
    for (const RespValue& f : Run({"HRANDFIELD", "big", "-100"}).elements) distinct.insert(f.str);
  }
  EXPECT_GT(distinct.size(), 2900u);  // 20,000 draws from 3,000: each missed with p ~ 0.0013
}

// ---- HSCAN -------------------------------------------------------------------------------------

TEST_F(HashTest, HscanListpackIsOneCall) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "2", "c", "3"}), "3");
  EXPECT_EQ(Str({"HSCAN", "h", "0"}), "[0, [a, 1, b, 2, c, 3]]");
  EXPECT_EQ(Str({"HSCAN", "h", "5", "COUNT", "1"}), "[0, [a, 1, b, 2, c, 3]]");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "MATCH", "[ab]"}), "[0, [a, 1, b, 2]]");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "MATCH", "*", "COUNT", "100"}), "[0, [a, 1, b, 2, c, 3]]");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "match", "zz*"}), "[0, []]");
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"HSCAN", "h", "0", "MATCH", "a"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(RunRaw({"HSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_F(HashTest, HscanErrors) {
  EXPECT_EQ(Str({"HSET", "h", "a", "1"}), "1");
  EXPECT_EQ(Str({"HSCAN", "h", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"HSCAN", "h", " 5"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"HSCAN", "h", "5 "}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"HSCAN", "h", "1e3"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"HSCAN", "h", "18446744073709551616"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"HSCAN", "nokey", "x"}), "(error) ERR invalid cursor");  // before the key
  // Accepted as Redis's strtoul accepts them.
  EXPECT_EQ(Str({"HSCAN", "h", "18446744073709551615"}), "[0, [a, 1]]");
  EXPECT_EQ(Str({"HSCAN", "h", "-1"}), "[0, [a, 1]]");
  EXPECT_EQ(Str({"HSCAN", "h", "+5"}), "[0, [a, 1]]");
  EXPECT_EQ(Str({"HSCAN", "h", "007"}), "[0, [a, 1]]");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "COUNT", "0"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "COUNT", "-1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "COUNT", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "COUNT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "MATCH"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "TYPE", "string"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"HSCAN", "h", "0", "NOVALUES"}), "(error) ERR syntax error");  // Redis 7.4
  // A missing key answers the empty scan before the options are read.
  EXPECT_EQ(Str({"HSCAN", "nokey", "0", "COUNT", "0"}), "[0, []]");
}

TEST_F(HashTest, HscanHashtableVisitsEverything) {
  Fill("big", 2000);
  EXPECT_EQ(Enc("big"), "hashtable");
  const Model all = ToModel(Run({"HGETALL", "big"}));
  ASSERT_EQ(all.size(), 2000u);
  EXPECT_EQ(ScanAll("big", "7"), all);
  EXPECT_EQ(ScanAll("big", "1000"), all);
  // A call returns about COUNT fields, not the whole table.
  RespValue first = Run({"HSCAN", "big", "0", "COUNT", "10"});
  EXPECT_NE(first[0].str, "0");
  EXPECT_LT(first[1].size(), 200u);
  EXPECT_GE(first[1].size(), 20u);  // at least COUNT fields (pairs: 2 * 10)
  // MATCH filters fields over a whole scan.
  Model matched;
  std::string cursor = "0";
  do {
    RespValue r = Run({"HSCAN", "big", cursor, "MATCH", "f0000001?", "COUNT", "50"});
    cursor = r[0].str;
    for (size_t i = 0; i + 1 < r[1].size(); i += 2) matched[r[1][i].str] = r[1][i + 1].str;
  } while (cursor != "0");
  EXPECT_EQ(matched.size(), 10u);
  EXPECT_EQ(matched["f00000013"], "v00000013");
  // Fields present for the whole scan are reported even while the table grows and shrinks.
  Model seen;
  cursor = "0";
  size_t step = 0;
  do {
    RespValue r = Run({"HSCAN", "big", cursor, "COUNT", "20"});
    cursor = r[0].str;
    for (size_t i = 0; i + 1 < r[1].size(); i += 2) seen[r[1][i].str] = r[1][i + 1].str;
    ++step;
    if (step == 5) Run(HsetArgs("big", 5000, 3000));  // grow: a rehash under way
    if (step == 40) {                                 // shrink back
      std::vector<std::string> del = {"HDEL", "big"};
      for (size_t i = 5000; i < 8000; ++i)
        del.push_back("f" + std::string(8 - 4, '0') + std::to_string(i));
      EXPECT_EQ(Run(del).integer, 3000);
    }
  } while (cursor != "0");
  for (const auto& [f, v] : all) EXPECT_EQ(seen[f], v) << f;
}

// ---- WRONGTYPE ---------------------------------------------------------------------------------

TEST_F(HashTest, WrongTypeForEveryCommand) {
  EXPECT_EQ(Str({"SET", "s", "x"}), "OK");
  const std::string wt =
      "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_EQ(Str({"HSET", "s", "a", "1"}), wt);
  EXPECT_EQ(Str({"HMSET", "s", "a", "1"}), wt);
  EXPECT_EQ(Str({"HSETNX", "s", "a", "1"}), wt);
  EXPECT_EQ(Str({"HGET", "s", "a"}), wt);
  EXPECT_EQ(Str({"HMGET", "s", "a"}), wt);
  EXPECT_EQ(Str({"HDEL", "s", "a"}), wt);
  EXPECT_EQ(Str({"HLEN", "s"}), wt);
  EXPECT_EQ(Str({"HSTRLEN", "s", "a"}), wt);
  EXPECT_EQ(Str({"HEXISTS", "s", "a"}), wt);
  EXPECT_EQ(Str({"HKEYS", "s"}), wt);
  EXPECT_EQ(Str({"HVALS", "s"}), wt);
  EXPECT_EQ(Str({"HGETALL", "s"}), wt);
  EXPECT_EQ(Str({"HINCRBY", "s", "a", "1"}), wt);
  EXPECT_EQ(Str({"HINCRBYFLOAT", "s", "a", "1"}), wt);
  EXPECT_EQ(Str({"HRANDFIELD", "s"}), wt);
  EXPECT_EQ(Str({"HRANDFIELD", "s", "0"}), wt);
  EXPECT_EQ(Str({"HRANDFIELD", "s", "-3", "WITHVALUES"}), wt);
  EXPECT_EQ(Str({"HSCAN", "s", "0"}), wt);
  EXPECT_EQ(Str({"HSCAN", "s", "0", "COUNT", "0"}), wt);  // the type before the options
  // Argument errors come first where Redis checks them first.
  EXPECT_EQ(Str({"HSET", "s", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Str({"HINCRBY", "s", "a", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "s", "a", "x"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Str({"HRANDFIELD", "s", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"HSCAN", "s", "x"}), "(error) ERR invalid cursor");
  EXPECT_EQ(Str({"GET", "s"}), "x");
}

// ---- encodings ---------------------------------------------------------------------------------

TEST_F(HashTest, EntriesThreshold) {
  Fill("h", 512);
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Str({"HSET", "h", "f00000000", "again"}), "0");  // an update adds nothing
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Str({"HSET", "h", "extra", "1"}), "1");  // the 513th field
  EXPECT_EQ(Enc("h"), "hashtable");
  EXPECT_EQ(Str({"HLEN", "h"}), "513");
  EXPECT_EQ(Str({"HGET", "h", "f00000000"}), "again");
  EXPECT_EQ(Str({"HGET", "h", "f00000511"}), "v00000511");
  EXPECT_EQ(Str({"HGET", "h", "extra"}), "1");
  // Never back, even when it becomes small again.
  std::vector<std::string> del = {"HDEL", "h"};
  for (size_t i = 0; i < 510; ++i) del.push_back(HsetArgs("h", i, 1)[2]);
  EXPECT_EQ(Run(del).integer, 510);
  EXPECT_EQ(Str({"HLEN", "h"}), "3");
  EXPECT_EQ(Enc("h"), "hashtable");
  // One HSET with more fields than a listpack may hold converts a new hash at once.
  EXPECT_EQ(Run(HsetArgs("h2", 0, 513)).integer, 513);
  EXPECT_EQ(Enc("h2"), "hashtable");
  EXPECT_EQ(Str({"HGET", "h2", "f00000512"}), "v00000512");
}

TEST_F(HashTest, ValueThreshold) {
  const std::string v64(64, 'x');
  const std::string v65(65, 'y');
  EXPECT_EQ(Run({"HSET", "h", "a", v64, v64, "b"}).integer, 2);
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Run({"HSET", "h", "c", v65}).integer, 1);  // one long value in a single HSET
  EXPECT_EQ(Enc("h"), "hashtable");
  EXPECT_EQ(Run({"HGET", "h", "c"}).str, v65);
  EXPECT_EQ(Run({"HGET", "h", v64}).str, "b");
  EXPECT_EQ(Run({"HGET", "h", "a"}).str, v64);

  EXPECT_EQ(Run({"HSET", "f", "a", "1", v65, "x"}).integer, 2);  // a long field
  EXPECT_EQ(Enc("f"), "hashtable");
  EXPECT_EQ(Run({"HGET", "f", v65}).str, "x");

  EXPECT_EQ(Run({"HSET", "n", "a", "1"}).integer, 1);
  EXPECT_EQ(Run({"HSETNX", "n", "a", v65}).integer, 0);  // nothing written: stays
  EXPECT_EQ(Enc("n"), "listpack");
  EXPECT_EQ(Run({"HSETNX", "n", "b", v65}).integer, 1);
  EXPECT_EQ(Enc("n"), "hashtable");
  EXPECT_EQ(Run({"HSETNX", "new", "b", v65}).integer, 1);
  EXPECT_EQ(Enc("new"), "hashtable");
}

TEST_F(HashTest, HincrbyfloatResultConverts) {
  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-listpack-value", "5"}), "OK");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "1.25"}), "1.25");
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "f", "0.0025"}), "1.2525");  // 6 bytes > 5
  EXPECT_EQ(Enc("h"), "hashtable");
  EXPECT_EQ(Str({"HGET", "h", "f"}), "1.2525");
  EXPECT_EQ(Str({"HINCRBY", "i", "n", "99999"}), "99999");
  EXPECT_EQ(Enc("i"), "listpack");
  EXPECT_EQ(Str({"HINCRBY", "i", "n", "1"}), "100000");  // 6 bytes
  EXPECT_EQ(Enc("i"), "hashtable");
}

TEST_F(HashTest, ConfigSetThresholdsAndZiplistAliases) {
  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-ziplist-entries", "2"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "hash-max-listpack-entries"}), "[hash-max-listpack-entries, 2]");
  EXPECT_EQ(Str({"HSET", "h", "a", "1", "b", "2"}), "2");
  EXPECT_EQ(Enc("h"), "listpack");
  EXPECT_EQ(Str({"HSET", "h", "c", "3"}), "1");
  EXPECT_EQ(Enc("h"), "hashtable");
  EXPECT_EQ(Str({"HSET", "h3", "a", "1", "b", "2", "c", "3"}), "3");
  EXPECT_EQ(Enc("h3"), "hashtable");

  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-listpack-entries", "512"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-ziplist-value", "3"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "hash-max-listpack-value"}), "[hash-max-listpack-value, 3]");
  EXPECT_EQ(Str({"HSET", "v", "abc", "xyz"}), "1");
  EXPECT_EQ(Enc("v"), "listpack");
  EXPECT_EQ(Str({"HSET", "v", "abcd", "1"}), "1");
  EXPECT_EQ(Enc("v"), "hashtable");

  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-listpack-value", "64"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "SET", "hash-max-listpack-entries", "0"}), "OK");
  EXPECT_EQ(Str({"HSET", "z", "a", "1"}), "1");  // no listpack at all
  EXPECT_EQ(Enc("z"), "hashtable");
  EXPECT_EQ(Str({"HGET", "z", "a"}), "1");
}

TEST(HashConfigFileTest, ThresholdsFromConfigLines) {
  CommandHarness h("hash-max-ziplist-entries 3\nhash-max-listpack-value 4\n");
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"}).integer, 3);
  EXPECT_EQ(Encoding(h, "h"), "listpack");
  EXPECT_EQ(h.Run({"HSET", "h", "d", "4"}).integer, 1);
  EXPECT_EQ(Encoding(h, "h"), "hashtable");
  EXPECT_EQ(h.Run({"HSET", "v", "a", "12345"}).integer, 1);
  EXPECT_EQ(Encoding(h, "v"), "hashtable");
}

// ---- value operations --------------------------------------------------------------------------

// The used_memory drop when `key` is deleted synchronously; also returns what ValueMemoryUsage
// with samples 0 (plus the object block) predicted.
std::pair<size_t, size_t> DeleteDrop(CommandHarness& h, std::string_view key) {
  db::Db& d = h.keyspace().db(0);
  db::Object* o = d.LookupNoTouch(key);
  EXPECT_NE(o, nullptr);
  if (o == nullptr) return {0, 0};
  const size_t predicted = o->BlockSize() + db::ValueMemoryUsage(db::ValueOf(*o), 0);
  const size_t before = mem::UsedMemory();
  EXPECT_TRUE(d.Delete(key, false));
  return {before - mem::UsedMemory(), predicted};
}

TEST_F(HashTest, ValueMemoryIsExact) {
  Fill("lp", 100);
  Fill("ht", 1000);
  Fill("rehashing", 1025);  // the 1025th field started a resize of the 1024-bucket table
  Fill("sparse", 5000);
  std::vector<std::string> del = {"HDEL", "sparse"};
  for (size_t i = 0; i < 4900; ++i) del.push_back(HsetArgs("x", i, 1)[2]);
  EXPECT_EQ(Run(del).integer, 4900);
  const std::string long_value(300, 'z');
  EXPECT_EQ(Run({"HSET", "mixed", "a", "1", "b", long_value, "c", ""}).integer, 3);
  EXPECT_EQ(Run({"HSET", "mixed", "b", "short"}).integer, 0);  // node reallocated smaller
  EXPECT_EQ(Enc("lp"), "listpack");
  EXPECT_EQ(Enc("ht"), "hashtable");
  EXPECT_EQ(Enc("mixed"), "hashtable");
  for (const char* key : {"lp", "ht", "rehashing", "sparse", "mixed"}) {
    auto [drop, predicted] = DeleteDrop(h_, key);
    EXPECT_EQ(drop, predicted) << key;
    EXPECT_GT(drop, 0u) << key;
  }
}

TEST_F(HashTest, ValueMemorySampledEstimate) {
  Fill("ht", 20000);
  db::Object* o = h_.keyspace().db(0).LookupNoTouch("ht");
  ASSERT_NE(o, nullptr);
  const double exact = static_cast<double>(db::ValueMemoryUsage(db::ValueOf(*o), 0));
  for (size_t samples : {5, 100}) {
    const double estimate = static_cast<double>(db::ValueMemoryUsage(db::ValueOf(*o), samples));
    EXPECT_NEAR(estimate, exact, exact * 0.05) << samples;
  }
  // Fewer fields than samples: exact.
  Fill("small", 600);
  o = h_.keyspace().db(0).LookupNoTouch("small");
  EXPECT_EQ(db::ValueMemoryUsage(db::ValueOf(*o), 1000), db::ValueMemoryUsage(db::ValueOf(*o), 0));
}

TEST_F(HashTest, BytesPerFieldOfThousandFieldHash) {
  // 1,000 hashes of 1,000 fields of 9-byte fields and 9-byte values, measured as used_memory,
  // the way bench/compare measures Redis.
  constexpr size_t kHashes = 1000;
  const size_t before = mem::UsedMemory();
  for (size_t k = 0; k < kHashes; ++k) {
    std::vector<std::string> argv = HsetArgs("hash:" + std::to_string(k), 0, 1000);
    ASSERT_EQ(Run(argv).integer, 1000);
  }
  const double per_field =
      static_cast<double>(mem::UsedMemory() - before) / static_cast<double>(kHashes * 1000);
  std::printf("bytes per field (1000 x 1000 fields, 9-byte fields and values): %.3f\n", per_field);
  EXPECT_EQ(Enc("hash:7"), "hashtable");
  // A node of 8 + 1 + 9 + 1 + 9 = 28 bytes (the 32-byte class under jemalloc) and an 8-byte
  // bucket (1,024 buckets for 1,000 fields: 8.19) per field, and the key, object and table struct
  // shared by 1,000 fields. Redis 7.0 spends about 72.
  const double node = static_cast<double>(mem::SizeClass(28));
  EXPECT_GT(per_field, node + 8.0);
  EXPECT_LT(per_field, node + 9.0);
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
}

TEST_F(HashTest, DuplicateIsIndependent) {
  // What COPY does with a hash value (the COPY command itself is the keys engineer's).
  Fill("lp", 10);
  Fill("ht", 700);
  db::Db& d = h_.keyspace().db(0);
  for (std::string key : {"lp", "ht"}) {
    db::Object* src = d.LookupNoTouch(key);
    ASSERT_NE(src, nullptr);
    // A small hash's listpack is in its slot (object.h, "Inline listpacks"), a big one's table
    // in blocks of its own.
    EXPECT_EQ(src->has_inline_listpack(), key == "lp");
    db::Object* dst = db::Object::Create(key + ":copy", db::ObjType::kHash,
                                         db::DuplicateValueInit(*src), false, 0, 0);
    d.Add(dst);
    EXPECT_EQ(Enc(key + ":copy"), Enc(key));
    EXPECT_EQ(ToModel(Run({"HGETALL", key + ":copy"})), ToModel(Run({"HGETALL", key})));
    // The copy's value is in its own slot or its own blocks: nothing is shared.
    db::Object* copy = d.LookupNoTouch(key + ":copy");
    EXPECT_EQ(copy->has_inline_listpack(), key == "lp");
    if (key == "lp") {
      EXPECT_NE(copy->packed_listpack(), src->packed_listpack());
      EXPECT_EQ(db::ValueMemoryUsage(db::ValueOf(*copy), 0), 0u);  // counted in the slot
    } else {
      EXPECT_NE(copy->ptr(), src->ptr());
      EXPECT_GT(db::ValueMemoryUsage(db::ValueOf(*copy), 0), 0u);
    }
    // Change both sides; neither sees the other's change.
    EXPECT_EQ(Str({"HSET", key, "f00000001", "changed", "new", "1"}), "1");
    EXPECT_EQ(Str({"HDEL", key + ":copy", "f00000002"}), "1");
    EXPECT_EQ(Str({"HGET", key + ":copy", "f00000001"}), "v00000001");
    EXPECT_EQ(Str({"HEXISTS", key + ":copy", "new"}), "0");
    EXPECT_EQ(Str({"HGET", key, "f00000002"}), "v00000002");
    EXPECT_EQ(Str({"HGET", key, "f00000001"}), "changed");
    // Deleting the source leaves the copy whole.
    EXPECT_EQ(Str({"DEL", key}), "1");
    EXPECT_EQ(Run({"HLEN", key + ":copy"}).integer, key == "lp" ? 9 : 699);
  }
}

// object.h "Inline listpacks": every write leaves a small hash's listpack in its slot, a slot of
// exactly the layout's size, and takes it out when it no longer fits; used_memory follows.
TEST_F(HashTest, SmallHashesKeepTheirListpackInTheSlotAcrossWrites) {
  db::Db& d = h_.keyspace().db(0);
  // Twice: the first round grows what stays (the keys table, reply buffers, command
  // counters), the second must give used_memory back to the byte.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    const size_t baseline = mem::UsedMemory();
    Fill("h", 10);
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HSET", "h", "f00000001", "changed"}), "0");  // a value replaced
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HGET", "h", "f00000001"}), "changed");
    EXPECT_EQ(Str({"HSETNX", "h", "n", "1"}), "1");
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HINCRBY", "h", "n", "41"}), "42");
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HINCRBYFLOAT", "h", "n", "0.5"}), "42.5");
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HDEL", "h", "n", "f00000002"}), "2");
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"EXPIRE", "h", "100"}), "1");  // the expiry slot moves the object, inline too
    ExpectPacked("h", true, __LINE__);
    EXPECT_EQ(Str({"HGET", "h", "f00000003"}), "v00000003");
    {
      // A value of the same encoded size is written in the slot: the object does not move.
      db::Object* before = d.LookupNoTouch("h");
      EXPECT_EQ(Str({"HSET", "h", "f00000003", "w00000003"}), "0");
      EXPECT_EQ(d.LookupNoTouch("h"), before);
      EXPECT_EQ(Str({"HGET", "h", "f00000003"}), "w00000003");
    }
    // 60 fields of 9 + 9 bytes: about 1.2 KB of listpack, more than a small slot holds.
    Fill("big", 60);
    EXPECT_EQ(Enc("big"), "listpack");
    ExpectPacked("big", false, __LINE__);
    // Back under the limit: into the slot again.
    {
      // (Scoped: the vector's own 2 KB are counted in used_memory too.)
      std::vector<std::string> del = {"HDEL", "big"};
      for (int i = 10; i < 60; ++i) del.push_back(HsetArgs("", i, 1)[2]);
      EXPECT_EQ(Run(del).integer, 50);
    }
    ExpectPacked("big", true, __LINE__);
    // Converted to a table: the slot shrinks to the word.
    Fill("ht", 10);
    Run(HsetArgs("ht", 10, 600));  // past hash-max-listpack-entries (512)
    EXPECT_EQ(Enc("ht"), "hashtable");
    ExpectPacked("ht", false, __LINE__);
    EXPECT_EQ(Str({"HLEN", "ht"}), "610");
    // RENAME and COPY keep the listpack in the slot.
    EXPECT_EQ(Str({"RENAME", "h", "renamed"}), "OK");
    ExpectPacked("renamed", true, __LINE__);
    EXPECT_EQ(Str({"COPY", "renamed", "copied"}), "1");
    ExpectPacked("copied", true, __LINE__);
    EXPECT_EQ(ToModel(Run({"HGETALL", "copied"})), ToModel(Run({"HGETALL", "renamed"})));
    // Nothing leaks: deleting everything gives used_memory back to the byte.
    EXPECT_EQ(Str({"DEL", "renamed", "copied", "big", "ht"}), "4");
    if (round == 1) {
      EXPECT_EQ(mem::UsedMemory(), baseline);
    }
  }
}

TEST_F(HashTest, UnlinkBigHashFreesLazily) {
  for (size_t i = 0; i < 10; ++i) Run(HsetArgs("big", i * 1000, 1000));
  EXPECT_EQ(Str({"HLEN", "big"}), "10000");
  db::Object* o = h_.keyspace().db(0).LookupNoTouch("big");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(db::FreeEffort(db::ValueOf(*o)), 10000u);
  const size_t predicted = o->BlockSize() + db::ValueMemoryUsage(db::ValueOf(*o), 0);
  db::LazyFree& lf = h_.keyspace().lazyfree();
  lf.Drain();
  const size_t freed_before = lf.freed_objects();
  const size_t before = mem::UsedMemory();
  EXPECT_EQ(Str({"UNLINK", "big"}), "1");
  EXPECT_EQ(Str({"EXISTS", "big"}), "0");
  // The job is queued or already done by the thread.
  EXPECT_EQ(lf.pending_objects() + (lf.freed_objects() - freed_before), 1u);
  lf.Drain();
  EXPECT_EQ(lf.pending_objects(), 0u);
  EXPECT_EQ(lf.freed_objects() - freed_before, 1u);
  // Exact: the job's closure and queue entry were freed again on the way.
  EXPECT_EQ(before - mem::UsedMemory(), predicted);
  // A small hash is freed inline.
  Fill("small", 10);
  EXPECT_EQ(Str({"UNLINK", "small"}), "1");
  EXPECT_EQ(lf.pending_objects(), 0u);
  EXPECT_EQ(lf.freed_objects() - freed_before, 1u);
}

// ---- randomized comparison with a model --------------------------------------------------------

// Seeded random operations on a few keys, each answer compared with a std::map model; the
// answers must not depend on the encoding. Ends with FLUSHALL SYNC and checks that used_memory
// is back where it was (no leak).
void RandomizedAgainstModel(std::string_view config, uint64_t seed) {
  CommandHarness h(config);
  // Warm-up: the reply buffer (kept at its largest capacity between commands), the error counters
  // and the command table's stats reach their final sizes first, so that the leak check below
  // compares like with like. 2 MB is more than any reply of the loop.
  h.Run({"HSET", "warm", "f", std::string(2 << 20, 'w')});
  h.Run({"HGETALL", "warm"});
  h.Run({"HINCRBY", "warm", "f", "1"});
  h.Run({"FLUSHALL", "SYNC"});
  const size_t baseline = mem::UsedMemory();
  {  // everything the test allocates is freed before the final count
    std::map<std::string, Model> models;
    std::set<std::string> encodings_seen;
    std::mt19937_64 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::vector<std::string> keys = {"k0", "k1", "k2", "k3"};
    auto field = [&]() -> std::string {
      switch (pick(10)) {
        case 0:
          return std::to_string(static_cast<int64_t>(pick(2000)) - 1000);  // integer fields
        case 1:
          return std::string(60 + pick(20), 'F') + std::to_string(pick(5));  // around 64
        default:
          return "f" + std::to_string(pick(300));
      }
    };
    auto value = [&]() -> std::string {
      switch (pick(8)) {
        case 0:
          return std::to_string(static_cast<int64_t>(rng()));
        case 1:
          return std::to_string(pick(100));
        case 2:
          return std::string(pick(130), 'v');
        case 3:
          return "";
        default:
          return "val" + std::to_string(pick(100000));
      }
    };
    auto reply_of = [&](const std::optional<std::string>& v) { return v ? *v : "(nil)"; };
    for (int step = 0; step < 6000; ++step) {
      const std::string& key = keys[pick(keys.size())];
      Model& m = models[key];
      auto get = [&](const std::string& f) -> std::optional<std::string> {
        auto it = m.find(f);
        if (it == m.end()) return std::nullopt;
        return it->second;
      };
      switch (pick(12)) {
        case 0:
        case 1:
        case 2: {  // HSET with 1..8 pairs (sometimes many, to cross the entries threshold)
          const size_t pairs = pick(10) == 0 ? 20 + pick(100) : 1 + pick(8);
          std::vector<std::string> argv = {"HSET", key};
          std::set<std::string> added;
          for (size_t i = 0; i < pairs; ++i) {
            std::string f = field();
            std::string v = value();
            if (!m.count(f)) added.insert(f);
            argv.push_back(f);
            argv.push_back(v);
          }
          for (size_t i = 2; i < argv.size(); i += 2) m[argv[i]] = argv[i + 1];
          ASSERT_EQ(h.Run(argv).integer, static_cast<int64_t>(added.size()));
          break;
        }
        case 3: {  // HSETNX
          const std::string f = field();
          const std::string v = value();
          const bool is_new = !m.count(f);
          if (is_new) m[f] = v;
          ASSERT_EQ(h.Run({"HSETNX", key, f, v}).integer, is_new ? 1 : 0);
          break;
        }
        case 4: {  // HDEL of 1..4 fields, sometimes existing ones
          std::vector<std::string> argv = {"HDEL", key};
          int64_t expect = 0;
          for (size_t i = 0, n = 1 + pick(4); i < n; ++i) {
            std::string f = field();
            if (!m.empty() && pick(2) == 0) {
              auto it = m.begin();
              std::advance(it, static_cast<long>(pick(m.size())));
              f = it->first;
            }
            expect += m.erase(f);
            argv.push_back(f);
          }
          ASSERT_EQ(h.Run(argv).integer, expect);
          break;
        }
        case 5: {  // HGET, HEXISTS, HSTRLEN
          const std::string f = m.empty() || pick(2) ? field() : m.begin()->first;
          const auto v = get(f);
          ASSERT_EQ(h.Run({"HGET", key, f}).ToString(), reply_of(v));
          ASSERT_EQ(h.Run({"HEXISTS", key, f}).integer, v ? 1 : 0);
          ASSERT_EQ(h.Run({"HSTRLEN", key, f}).integer, v ? static_cast<int64_t>(v->size()) : 0);
          break;
        }
        case 6: {  // HMGET, HLEN
          std::vector<std::string> argv = {"HMGET", key};
          std::string expect = "[";
          for (size_t i = 0, n = 1 + pick(5); i < n; ++i) {
            argv.push_back(field());
            if (i > 0) expect += ", ";
            expect += reply_of(get(argv.back()));
          }
          ASSERT_EQ(h.Run(argv).ToString(), expect + "]");
          ASSERT_EQ(h.Run({"HLEN", key}).integer, static_cast<int64_t>(m.size()));
          break;
        }
        case 7: {  // HINCRBY
          const std::string f = "ctr" + std::to_string(pick(5));
          const int64_t incr = static_cast<int64_t>(pick(2001)) - 1000;
          const auto cur = get(f);
          std::optional<int64_t> n = cur ? ParseInt64(*cur) : std::optional<int64_t>(0);
          RespValue r = h.Run({"HINCRBY", key, f, std::to_string(incr)});
          if (!n) {
            ASSERT_EQ(r.ToString(), "(error) ERR hash value is not an integer");
          } else {
            ASSERT_EQ(r.integer, *n + incr);
            m[f] = std::to_string(*n + incr);
          }
          break;
        }
        case 8: {  // HINCRBYFLOAT
          const std::string f = pick(2) ? "ctr" + std::to_string(pick(5)) : field();
          const std::string incr = std::to_string(static_cast<int64_t>(pick(200)) - 100) + ".25";
          const auto cur = get(f);
          std::optional<long double> n =
              cur ? ParseLongDouble(*cur) : std::optional<long double>(0);
          RespValue r = h.Run({"HINCRBYFLOAT", key, f, incr});
          if (!n) {
            ASSERT_EQ(r.ToString(), "(error) ERR hash value is not a float");
          } else {
            const std::string expect = LongDoubleToString(*n + *ParseLongDouble(incr));
            ASSERT_EQ(r.str, expect);
            m[f] = expect;
          }
          break;
        }
        case 9: {  // HGETALL, HKEYS, HVALS
          RespValue all = h.Run({"HGETALL", key});
          ASSERT_EQ(ToModel(all), m);
          ASSERT_EQ(all.size(), 2 * m.size());
          RespValue ks = h.Run({"HKEYS", key});
          RespValue vs = h.Run({"HVALS", key});
          ASSERT_EQ(ks.size(), m.size());
          ASSERT_EQ(vs.size(), m.size());
          for (size_t i = 0; i < ks.size(); ++i) ASSERT_EQ(m.at(ks[i].str), vs[i].str);
          break;
        }
        case 10: {  // HSCAN to the end
          Model seen;
          std::string cursor = "0";
          do {
            RespValue r = h.Run({"HSCAN", key, cursor, "COUNT", std::to_string(1 + pick(20))});
            cursor = r[0].str;
            for (size_t i = 0; i + 1 < r[1].size(); i += 2) seen[r[1][i].str] = r[1][i + 1].str;
          } while (cursor != "0");
          ASSERT_EQ(seen, m);
          break;
        }
        case 11: {  // HRANDFIELD
          const int64_t count = static_cast<int64_t>(pick(30)) - 15;
          RespValue r = h.Run({"HRANDFIELD", key, std::to_string(count), "WITHVALUES"});
          const size_t expect = m.empty()   ? 0
                                : count < 0 ? static_cast<size_t>(-count)
                                            : std::min(static_cast<size_t>(count), m.size());
          ASSERT_EQ(r.size(), 2 * expect);
          std::set<std::string> distinct;
          for (size_t i = 0; i < r.size(); i += 2) {
            ASSERT_EQ(m.at(r[i].str), r[i + 1].str);
            distinct.insert(r[i].str);
          }
          if (count > 0) {
            ASSERT_EQ(distinct.size(), expect);
          }
          break;
        }
      }
      if (m.empty()) {
        ASSERT_EQ(h.Run({"EXISTS", key}).integer, 0);  // an emptied hash is deleted
        models.erase(key);                             // m dangles from here on
      } else {
        encodings_seen.insert(Encoding(h, key));
      }
    }
    // The encodings seen must be legal for the contents.
    // Both encodings and the conversions between them were exercised.
    EXPECT_EQ(encodings_seen, (std::set<std::string>{"hashtable", "listpack"}));
    const db::Options& opt = h.keyspace().options();
    for (const auto& [key, m] : models) {
      ASSERT_EQ(ToModel(h.Run({"HGETALL", key})), m);
      size_t longest = 0;
      for (const auto& [f, v] : m) longest = std::max({longest, f.size(), v.size()});
      if (Encoding(h, key) == "listpack") {
        EXPECT_LE(m.size(), static_cast<size_t>(opt.hash_max_listpack_entries));
        EXPECT_LE(longest, static_cast<size_t>(opt.hash_max_listpack_value));
      }
    }
  }
  EXPECT_EQ(h.Run({"FLUSHALL", "SYNC"}).ToString(), "OK");
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

TEST(HashRandomizedTest, DefaultThresholds) { RandomizedAgainstModel("", 20240601); }

TEST(HashRandomizedTest, TinyThresholds) {
  RandomizedAgainstModel("hash-max-listpack-entries 4\nhash-max-listpack-value 8\n", 77);
}

}  // namespace
}  // namespace mnemo::test

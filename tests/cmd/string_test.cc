// string_test.cc: the string commands through the in-process dispatcher, with their encodings,
// expiries and error replies (tests/cmd). Expected replies were taken from Redis 7.0.15.
//
// WRONGTYPE cases wait for the first collection type: GET, GETEX, GETDEL, GETSET, SET ... GET,
// STRLEN, APPEND, SETRANGE, GETRANGE, INCR*, DECR*, INCRBYFLOAT on a non-string key, MGET's
// null for one, SET overwriting one, and LCS's "The specified keys must contain string values".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/clock.h"
#include "mnemo/db/object.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

class StringTest : public CommandTest {
 protected:
  db::Object* Obj(std::string_view key) { return h_.keyspace().db(0).LookupNoTouch(key); }
  // "int", "embstr", "raw", or "(none)" when the key is missing.
  std::string Enc(std::string_view key) {
    db::Object* o = Obj(key);
    return o == nullptr ? "(none)" : db::EncodingName(*o);
  }
  int64_t ExpireOf(std::string_view key) {
    db::Object* o = Obj(key);
    EXPECT_NE(o, nullptr) << key;
    return o == nullptr ? -2 : db::Db::ExpireOf(o);
  }
  // Runs a command and checks that it set `key` to expire `ms` after the command's clock (which
  // lies between the two wall-clock readings around the call).
  void ExpectRelativeExpiry(std::initializer_list<std::string_view> argv, std::string_view key,
                            int64_t ms, std::string_view reply = "OK") {
    const int64_t before = UnixTimeMs();
    EXPECT_EQ(h_.Run(argv).ToString(), reply);
    const int64_t after = UnixTimeMs();
    const int64_t when = ExpireOf(key);
    EXPECT_GE(when, before + ms);
    EXPECT_LE(when, after + ms);
  }
  uint64_t ExpiredKeys() { return h_.keyspace().stats().expired_keys; }
};

// ---- GET / SET ---------------------------------------------------------------------------

TEST_F(StringTest, GetAndSet) {
  EXPECT_EQ(RunRaw({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Str({"SET", "k", "hello"}), "OK");
  EXPECT_EQ(RunRaw({"GET", "k"}), "$5\r\nhello\r\n");
  EXPECT_EQ(Str({"SET", "k", ""}), "OK");
  EXPECT_EQ(RunRaw({"GET", "k"}), "$0\r\n\r\n");
  EXPECT_EQ(Str({"SET", "bin", std::string_view("a\0b\r\n", 5)}), "OK");
  EXPECT_EQ(RunRaw({"GET", "bin"}), std::string("$5\r\na\0b\r\n\r\n", 11));
  EXPECT_EQ(Str({"SET", "k"}), "(error) ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(Str({"GET"}), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Str({"GET", "a", "b"}), "(error) ERR wrong number of arguments for 'get' command");
}

TEST_F(StringTest, SetChoosesEncodingAtTheBoundaries) {
  EXPECT_EQ(Str({"SET", "k", "12345"}), "OK");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"SET", "k", "-9223372036854775808"}), "OK");  // 20 chars, INT64_MIN
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"GET", "k"}), "-9223372036854775808");
  EXPECT_EQ(Str({"SET", "k", "9223372036854775807"}), "OK");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"SET", "k", "9223372036854775808"}), "OK");  // one past INT64_MAX
  EXPECT_EQ(Enc("k"), "embstr");
  EXPECT_EQ(Str({"SET", "k", "12345678901234567890"}), "OK");  // 20 digits, too big
  EXPECT_EQ(Enc("k"), "embstr");
  for (const char* not_canonical : {"007", "+1", " 1", "1 ", "-0", "1.0", ""}) {
    EXPECT_EQ(Str({"SET", "k", not_canonical}), "OK");
    EXPECT_EQ(Enc("k"), "embstr") << not_canonical;
    EXPECT_EQ(Str({"GET", "k"}), not_canonical);
  }
  const std::string s44(44, 'x');
  const std::string s45(45, 'x');
  EXPECT_EQ(Str({"SET", "k", s44}), "OK");
  EXPECT_EQ(Enc("k"), "embstr");
  EXPECT_EQ(Str({"SET", "k", s45}), "OK");
  EXPECT_EQ(Enc("k"), "raw");
  EXPECT_EQ(Str({"GET", "k"}), s45);
}

TEST_F(StringTest, SharedIntegers) {
  EXPECT_EQ(Str({"SET", "k", "0"}), "OK");
  EXPECT_TRUE(Obj("k")->shared_value());
  EXPECT_EQ(Str({"SET", "k", "9999"}), "OK");
  EXPECT_TRUE(Obj("k")->shared_value());
  EXPECT_EQ(Str({"INCR", "k"}), "10000");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_FALSE(Obj("k")->shared_value());
  EXPECT_EQ(Str({"DECR", "k"}), "9999");
  EXPECT_TRUE(Obj("k")->shared_value());
  EXPECT_EQ(Str({"SET", "k", "-1"}), "OK");
  EXPECT_FALSE(Obj("k")->shared_value());
  EXPECT_EQ(Str({"INCR", "k"}), "0");
  EXPECT_TRUE(Obj("k")->shared_value());
  EXPECT_EQ(Obj("k")->int_value(), 0);
  // Two keys holding the same small integer are both what Redis would share (each holds it
  // inline: two bytes cost less than a pointer).
  EXPECT_EQ(Str({"SET", "a", "42"}), "OK");
  EXPECT_EQ(Str({"INCRBY", "b", "42"}), "42");
  EXPECT_TRUE(Obj("a")->shared_value());
  EXPECT_TRUE(Obj("b")->shared_value());
  EXPECT_EQ(Obj("a")->int_value(), Obj("b")->int_value());
  EXPECT_EQ(Str({"OBJECT", "REFCOUNT", "b"}), "2147483647");
  // An expiry keeps the value shared (the block moves, the flag moves with the value).
  EXPECT_EQ(Str({"GETEX", "a", "EX", "100"}), "42");
  EXPECT_TRUE(Obj("a")->shared_value());
  EXPECT_EQ(Str({"GET", "a"}), "42");
}

TEST(StringSharedIntegerPolicyTest, NoSharingUnderAnLruPolicy) {
  CommandHarness h("maxmemory 1gb\nmaxmemory-policy allkeys-lru\n");
  EXPECT_EQ(h.Run({"SET", "k", "5"}).ToString(), "OK");
  db::Object* o = h.keyspace().db(0).LookupNoTouch("k");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->encoding(), db::Encoding::kInt);
  EXPECT_FALSE(o->shared_value());
  EXPECT_EQ(h.Run({"INCR", "n"}).ToString(), "1");
  o = h.keyspace().db(0).LookupNoTouch("n");
  ASSERT_NE(o, nullptr);
  EXPECT_FALSE(o->shared_value());
  EXPECT_EQ(h.Run({"GET", "k"}).ToString(), "5");
}

TEST_F(StringTest, SetOptionSyntax) {
  const std::string syntax = "(error) ERR syntax error";
  EXPECT_EQ(Str({"SET", "k", "v", "NX", "XX"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "XX", "NX"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "KEEPTTL", "EX", "10"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "EX", "10", "KEEPTTL"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "EX", "10", "PX", "10"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "PX", "10", "EXAT", "10"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "EXAT", "10", "PXAT", "10"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "10", "EX", "10"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "EX"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "PERSIST"}), syntax);  // GETEX's, not SET's
  EXPECT_EQ(Str({"SET", "k", "v", "FOO"}), syntax);
  EXPECT_EQ(Str({"SET", "k", "v", "NXX"}), syntax);
  // Syntax is checked before the expiry number is read.
  EXPECT_EQ(Str({"SET", "k", "v", "EX", "abc", "NX", "XX"}), syntax);
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  // Repeats are allowed; the last expiry counts; options are case-insensitive.
  EXPECT_EQ(Str({"SET", "k", "v", "nx", "Nx"}), "OK");
  EXPECT_EQ(Str({"SET", "k", "v2", "get", "GET"}), "v");
  ExpectRelativeExpiry({"SET", "k", "v", "EX", "abc", "ex", "10"}, "k", 10000);
  ExpectRelativeExpiry({"SET", "k", "v", "PX", "5000", "px", "7000"}, "k", 7000);
}

TEST_F(StringTest, SetExpiryValues) {
  for (const char* opt : {"EX", "PX", "EXAT", "PXAT"}) {
    EXPECT_EQ(Str({"SET", "k", "v", opt, "0"}), "(error) ERR invalid expire time in 'set' command")
        << opt;
    EXPECT_EQ(Str({"SET", "k", "v", opt, "-1"}), "(error) ERR invalid expire time in 'set' command")
        << opt;
    EXPECT_EQ(Str({"SET", "k", "v", opt, "1.5"}),
              "(error) ERR value is not an integer or out of range")
        << opt;
    EXPECT_EQ(Str({"SET", "k", "v", opt, "9223372036854775808"}),
              "(error) ERR value is not an integer or out of range")
        << opt;
  }
  // Seconds that overflow in milliseconds, and relative times that overflow when added.
  EXPECT_EQ(Str({"SET", "k", "v", "EX", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(Str({"SET", "k", "v", "EXAT", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(Str({"SET", "k", "v", "PX", "9223372036854775000"}),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");  // no error stored anything

  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "9223372036854775807"}), "OK");
  EXPECT_EQ(ExpireOf("k"), INT64_MAX);
  EXPECT_EQ(Str({"SET", "k", "v", "EXAT", "4102444800"}), "OK");  // 2100-01-01
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "4102444800123"}), "OK");
  EXPECT_EQ(ExpireOf("k"), 4102444800123);
  ExpectRelativeExpiry({"SET", "k", "v", "EX", "100"}, "k", 100000);
  ExpectRelativeExpiry({"SET", "k", "v", "PX", "1500"}, "k", 1500);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 1u);
  // A plain SET drops the TTL.
  EXPECT_EQ(Str({"SET", "k", "w"}), "OK");
  EXPECT_EQ(ExpireOf("k"), -1);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 0u);
  EXPECT_EQ(Str({"GET", "k"}), "w");
}

TEST_F(StringTest, SetWithAnAbsoluteTimeInThePastExpiresAtOnce) {
  EXPECT_EQ(Str({"SET", "k", "old"}), "OK");
  const uint64_t expired = ExpiredKeys();
  EXPECT_EQ(Str({"SET", "k", "new", "PXAT", "1"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(ExpiredKeys(), expired + 1);
  EXPECT_EQ(Str({"SET", "k", "old"}), "OK");
  EXPECT_EQ(Str({"SET", "k", "new", "EXAT", "1", "GET"}), "old");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"SET", "missing", "v", "EXAT", "1"}), "OK");
  EXPECT_EQ(Str({"EXISTS", "missing"}), "0");
  EXPECT_EQ(ExpiredKeys(), expired + 3);
  EXPECT_EQ(h_.keyspace().db(0).size(), 0u);
}

TEST_F(StringTest, SetNxXxGet) {
  EXPECT_EQ(RunRaw({"SET", "k", "v", "XX"}), "$-1\r\n");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"SET", "k", "v", "NX"}), "OK");
  EXPECT_EQ(RunRaw({"SET", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Str({"SET", "k", "w", "XX"}), "OK");
  EXPECT_EQ(Str({"GET", "k"}), "w");
  // GET replies the old value instead of OK (nil when there was none); NX+GET is allowed
  // since Redis 7.0.
  EXPECT_EQ(RunRaw({"SET", "g", "1", "GET"}), "$-1\r\n");
  EXPECT_EQ(Str({"GET", "g"}), "1");
  EXPECT_EQ(RunRaw({"SET", "g", "2", "GET"}), "$1\r\n1\r\n");  // an int-encoded old value
  EXPECT_EQ(RunRaw({"SET", "g", "3", "NX", "GET"}), "$1\r\n2\r\n");
  EXPECT_EQ(Str({"GET", "g"}), "2");  // NX refused: unchanged
  EXPECT_EQ(RunRaw({"SET", "n", "1", "NX", "GET"}), "$-1\r\n");
  EXPECT_EQ(Str({"GET", "n"}), "1");
  EXPECT_EQ(RunRaw({"SET", "x", "1", "XX", "GET"}), "$-1\r\n");
  EXPECT_EQ(Str({"EXISTS", "x"}), "0");
  EXPECT_EQ(RunRaw({"SET", "g", "4", "XX", "GET"}), "$1\r\n2\r\n");
  EXPECT_EQ(Str({"GET", "g"}), "4");
  // SET ... GET reads like GET: a hit or a miss.
  const uint64_t hits = h_.keyspace().stats().keyspace_hits;
  const uint64_t misses = h_.keyspace().stats().keyspace_misses;
  EXPECT_EQ(Str({"SET", "g", "5", "GET"}), "4");
  EXPECT_EQ(Str({"SET", "y", "5", "GET"}), "(nil)");
  EXPECT_EQ(h_.keyspace().stats().keyspace_hits, hits + 1);
  EXPECT_EQ(h_.keyspace().stats().keyspace_misses, misses + 1);
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"SET", "k", "w", "NX"}), "_\r\n");
  EXPECT_EQ(RunRaw({"SET", "z", "1", "GET"}), "_\r\n");
}

TEST_F(StringTest, KeepTtl) {
  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "4102444800000"}), "OK");
  EXPECT_EQ(Str({"SET", "k", "v2", "KEEPTTL"}), "OK");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"SET", "k", "v3", "KEEPTTL", "GET"}), "v2");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"GET", "k"}), "v3");
  EXPECT_EQ(Str({"SET", "k", "v4"}), "OK");
  EXPECT_EQ(ExpireOf("k"), -1);
  EXPECT_EQ(Str({"SET", "fresh", "v", "KEEPTTL"}), "OK");
  EXPECT_EQ(ExpireOf("fresh"), -1);
}

TEST_F(StringTest, SetnxSetexPsetex) {
  EXPECT_EQ(Str({"SETNX", "k", "v"}), "1");
  EXPECT_EQ(Str({"SETNX", "k", "w"}), "0");
  EXPECT_EQ(Str({"GET", "k"}), "v");
  EXPECT_EQ(Str({"SETNX", "k"}), "(error) ERR wrong number of arguments for 'setnx' command");

  ExpectRelativeExpiry({"SETEX", "k", "100", "v"}, "k", 100000);
  EXPECT_EQ(Str({"GET", "k"}), "v");
  ExpectRelativeExpiry({"PSETEX", "p", "2500", "123"}, "p", 2500);
  EXPECT_EQ(Enc("p"), "int");
  for (const char* bad : {"0", "-5"}) {
    EXPECT_EQ(Str({"SETEX", "e", bad, "v"}), "(error) ERR invalid expire time in 'setex' command");
    EXPECT_EQ(Str({"PSETEX", "e", bad, "v"}),
              "(error) ERR invalid expire time in 'psetex' command");
  }
  EXPECT_EQ(Str({"SETEX", "e", "9223372036854775807", "v"}),
            "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Str({"PSETEX", "e", "9223372036854775807", "v"}),
            "(error) ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Str({"SETEX", "e", "ten", "v"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"PSETEX", "e", "1e3", "v"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"EXISTS", "e"}), "0");
  EXPECT_EQ(Str({"SETEX", "e", "10"}), "(error) ERR wrong number of arguments for 'setex' command");
  EXPECT_EQ(Str({"PSETEX", "e", "10"}),
            "(error) ERR wrong number of arguments for 'psetex' command");
}

// ---- GETSET / GETDEL / GETEX -------------------------------------------------------------

TEST_F(StringTest, Getset) {
  EXPECT_EQ(RunRaw({"GETSET", "k", "1"}), "$-1\r\n");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"GETSET", "k", "hello"}), "1");
  EXPECT_EQ(Enc("k"), "embstr");
  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "4102444800000"}), "OK");
  EXPECT_EQ(Str({"GETSET", "k", "w"}), "v");
  EXPECT_EQ(ExpireOf("k"), -1);  // GETSET drops the TTL, as SET does
  EXPECT_EQ(Str({"GET", "k"}), "w");
  EXPECT_EQ(Str({"GETSET", "k"}), "(error) ERR wrong number of arguments for 'getset' command");
}

TEST_F(StringTest, Getdel) {
  EXPECT_EQ(RunRaw({"GETDEL", "k"}), "$-1\r\n");
  EXPECT_EQ(Str({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Str({"GETDEL", "k"}), "v");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 0u);
  EXPECT_EQ(Str({"SET", "n", "-17"}), "OK");
  EXPECT_EQ(Str({"GETDEL", "n"}), "-17");
  EXPECT_EQ(RunRaw({"GETDEL", "n"}), "$-1\r\n");
  const std::string big(1000, 'b');
  EXPECT_EQ(Str({"SET", "big", big}), "OK");
  EXPECT_EQ(Str({"GETDEL", "big"}), big);
  EXPECT_EQ(h_.keyspace().db(0).size(), 0u);
  EXPECT_EQ(Str({"GETDEL"}), "(error) ERR wrong number of arguments for 'getdel' command");
  EXPECT_EQ(Str({"GETDEL", "a", "b"}),
            "(error) ERR wrong number of arguments for 'getdel' command");
}

TEST_F(StringTest, GetexSetsAndClearsExpiry) {
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"GETEX", "k"}), "v");
  EXPECT_EQ(ExpireOf("k"), -1);
  ExpectRelativeExpiry({"GETEX", "k", "EX", "100"}, "k", 100000, "v");
  ExpectRelativeExpiry({"GETEX", "k", "px", "2500"}, "k", 2500, "v");
  ExpectRelativeExpiry({"GETEX", "k", "EX", "10", "EX", "20"}, "k", 20000, "v");
  EXPECT_EQ(Str({"GETEX", "k"}), "v");  // no option: the TTL stays
  EXPECT_NE(ExpireOf("k"), -1);
  EXPECT_EQ(Str({"GETEX", "k", "EXAT", "4102444800"}), "v");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"GETEX", "k", "PXAT", "4102444800001"}), "v");
  EXPECT_EQ(ExpireOf("k"), 4102444800001);
  EXPECT_EQ(Str({"GETEX", "k", "PERSIST"}), "v");
  EXPECT_EQ(ExpireOf("k"), -1);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 0u);
  EXPECT_EQ(Str({"GETEX", "k", "PERSIST"}), "v");  // nothing to remove
  EXPECT_EQ(ExpireOf("k"), -1);
  // An int value keeps its encoding through the move of its block.
  EXPECT_EQ(Str({"SET", "n", "123456"}), "OK");
  EXPECT_EQ(Str({"GETEX", "n", "EX", "100"}), "123456");
  EXPECT_EQ(Enc("n"), "int");
  EXPECT_EQ(Str({"GET", "n"}), "123456");
  // A past absolute time returns the value and deletes the key.
  EXPECT_EQ(Str({"GETEX", "k", "PXAT", "1"}), "v");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"GETEX", "n", "EXAT", "1"}), "123456");
  EXPECT_EQ(Str({"EXISTS", "n"}), "0");
  EXPECT_EQ(h_.keyspace().db(0).size(), 0u);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 0u);
}

TEST_F(StringTest, GetexErrors) {
  const std::string syntax = "(error) ERR syntax error";
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"GETEX", "k", "PERSIST", "EX", "10"}), syntax);
  EXPECT_EQ(Str({"GETEX", "k", "EX", "10", "PERSIST"}), syntax);
  EXPECT_EQ(Str({"GETEX", "k", "EX", "10", "PX", "10"}), syntax);
  EXPECT_EQ(Str({"GETEX", "k", "EXAT", "10", "PXAT", "10"}), syntax);
  EXPECT_EQ(Str({"GETEX", "k", "EX"}), syntax);
  for (const char* set_only : {"KEEPTTL", "NX", "XX", "GET"}) {
    EXPECT_EQ(Str({"GETEX", "k", set_only}), syntax) << set_only;
  }
  EXPECT_EQ(Str({"GETEX", "k", "FOO"}), syntax);
  EXPECT_EQ(Str({"GETEX", "missing", "FOO"}), syntax);  // syntax before the lookup
  EXPECT_EQ(Str({"GETEX", "k", "EX", "0"}), "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Str({"GETEX", "k", "PXAT", "-1"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Str({"GETEX", "k", "EX", "9223372036854775807"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Str({"GETEX", "k", "PX", "9223372036854775000"}),
            "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Str({"GETEX", "k", "EX", "abc"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(ExpireOf("k"), -1);  // nothing changed
  // The expiry is read after the lookup: a missing key answers nil whatever the number.
  EXPECT_EQ(RunRaw({"GETEX", "missing", "EX", "0"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"GETEX", "missing", "EX", "abc"}), "$-1\r\n");
  EXPECT_EQ(Str({"GETEX"}), "(error) ERR wrong number of arguments for 'getex' command");
}

// ---- MGET / MSET / MSETNX ----------------------------------------------------------------

TEST_F(StringTest, MgetMsetMsetnx) {
  EXPECT_EQ(Str({"MSET", "a", "1", "b", "two", "c", std::string(50, 'c')}), "OK");
  EXPECT_EQ(Enc("a"), "int");
  EXPECT_EQ(Enc("b"), "embstr");
  EXPECT_EQ(Enc("c"), "raw");
  EXPECT_EQ(Str({"MGET", "a", "missing", "b"}), "[1, (nil), two]");
  EXPECT_EQ(RunRaw({"MGET", "missing"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(Str({"MSET", "a", "1", "b"}),
            "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Str({"MSET", "a"}), "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Str({"MGET"}), "(error) ERR wrong number of arguments for 'mget' command");
  // The last value of a repeated key wins; MSET drops TTLs.
  EXPECT_EQ(Str({"SET", "t", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Str({"MSET", "t", "1", "t", "2"}), "OK");
  EXPECT_EQ(Str({"GET", "t"}), "2");
  EXPECT_EQ(ExpireOf("t"), -1);

  EXPECT_EQ(Str({"MSETNX", "x", "1", "a", "9"}), "0");  // a exists: nothing is set
  EXPECT_EQ(Str({"EXISTS", "x"}), "0");
  EXPECT_EQ(Str({"GET", "a"}), "1");
  EXPECT_EQ(Str({"MSETNX", "x", "1", "y", "2"}), "1");
  EXPECT_EQ(Str({"MGET", "x", "y"}), "[1, 2]");
  EXPECT_EQ(Str({"MSETNX", "x", "1", "y"}),
            "(error) ERR wrong number of arguments for 'msetnx' command");
}

// ---- INCR family -------------------------------------------------------------------------

TEST_F(StringTest, IncrDecr) {
  EXPECT_EQ(Str({"INCR", "k"}), "1");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"INCRBY", "k", "41"}), "42");
  EXPECT_EQ(Str({"DECR", "k"}), "41");
  EXPECT_EQ(Str({"DECRBY", "k", "50"}), "-9");
  EXPECT_EQ(Str({"INCRBY", "k", "-1"}), "-10");
  EXPECT_EQ(Str({"DECRBY", "k", "-10"}), "0");
  EXPECT_EQ(Str({"DECR", "fresh"}), "-1");
  EXPECT_EQ(Str({"DECRBY", "fresh2", "5"}), "-5");
  EXPECT_EQ(Str({"INCRBY", "fresh3", "5"}), "5");

  const std::string not_int = "(error) ERR value is not an integer or out of range";
  for (const char* bad : {"abc", "", " 1", "1 ", "01", "+1", "1.5", "-0", "9223372036854775808",
                          "12345678901234567890123"}) {
    EXPECT_EQ(Str({"SET", "s", bad}), "OK");
    EXPECT_EQ(Str({"INCR", "s"}), not_int) << bad;
    EXPECT_EQ(Str({"DECRBY", "s", "1"}), not_int) << bad;
    EXPECT_EQ(Str({"GET", "s"}), bad);
  }
  EXPECT_EQ(Str({"INCRBY", "k", "x"}), not_int);
  EXPECT_EQ(Str({"INCRBY", "k", "1.0"}), not_int);
  EXPECT_EQ(Str({"DECRBY", "k", ""}), not_int);
  EXPECT_EQ(Str({"INCRBY", "k", "9223372036854775808"}), not_int);

  EXPECT_EQ(Str({"SET", "m", "9223372036854775807"}), "OK");
  EXPECT_EQ(Str({"INCR", "m"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"INCRBY", "m", "1"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"DECRBY", "m", "-1"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"INCRBY", "m", "-9223372036854775808"}), "-1");
  EXPECT_EQ(Str({"SET", "m", "-9223372036854775808"}), "OK");
  EXPECT_EQ(Str({"DECR", "m"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"INCRBY", "m", "-1"}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Str({"DECRBY", "m", "-9223372036854775808"}), "(error) ERR decrement would overflow");
  EXPECT_EQ(Str({"GET", "m"}), "-9223372036854775808");

  EXPECT_EQ(Str({"INCR"}), "(error) ERR wrong number of arguments for 'incr' command");
  EXPECT_EQ(Str({"DECR", "a", "b"}), "(error) ERR wrong number of arguments for 'decr' command");
  EXPECT_EQ(Str({"INCRBY", "a"}), "(error) ERR wrong number of arguments for 'incrby' command");
  EXPECT_EQ(Str({"DECRBY", "a"}), "(error) ERR wrong number of arguments for 'decrby' command");
}

// An integer is stored in as few bytes as it needs inside the key's block (object.h). INCR,
// DECR and INCRBY write in place while the new width fits the block's size class, and move the
// key to a bigger block only when it does not; the reply, the value, the TTL, OBJECT
// REFCOUNT/ENCODING and MEMORY USAGE follow each step.
TEST_F(StringTest, IntegerWidthChangesAcrossEveryBoundary) {
  const std::string key = "key:00000001";  // 12 bytes: the entry is 16 + 12 + width
  struct Step {
    std::vector<std::string> cmd;
    int64_t expect;
  };
  const std::vector<Step> steps = {
      {{"SET", key, "126"}, 126},
      {{"INCR", key}, 127},
      {{"INCR", key}, 128},  // 1 -> 2 bytes
      {{"DECR", key}, 127},  // back to 1
      {{"SET", key, "-128"}, -128},
      {{"DECR", key}, -129},  // 1 -> 2 bytes
      {{"INCR", key}, -128},
      {{"SET", key, "9999"}, 9999},
      {{"INCR", key}, 10000},  // no longer what Redis shares
      {{"DECR", key}, 9999},
      {{"SET", key, "32767"}, 32767},
      {{"INCR", key}, 32768},  // 2 -> 3 bytes
      {{"DECR", key}, 32767},
      {{"SET", key, "-32768"}, -32768},
      {{"DECR", key}, -32769},
      {{"SET", key, "2147483647"}, 2147483647},
      {{"INCR", key}, 2147483648},  // 4 -> 5 bytes: past the slot's 4 bytes
      {{"DECR", key}, 2147483647},  // stays in the bigger block
      {{"SET", key, "-2147483648"}, -2147483648LL},
      {{"DECR", key}, -2147483649LL},
      {{"INCRBY", key, "2147483649"}, 0},
      {{"INCRBY", key, "9223372036854775807"}, INT64_MAX},
      {{"DECRBY", key, "9223372036854775807"}, 0},
      {{"DECRBY", key, "9223372036854775807"}, -INT64_MAX},
      {{"DECR", key}, INT64_MIN},
      {{"INCRBY", key, "9223372036854775807"}, -1},
      {{"INCR", key}, 0},
      {{"DECR", key}, -1},
  };
  int64_t bucket_share = -1;
  for (const Step& step : steps) {
    db::Object* before = Obj(key);
    const size_t cap =
        before != nullptr && before->encoding() == db::Encoding::kInt ? before->IntCapacity() : 0;
    const size_t block = before != nullptr ? before->BlockSize() : 0;
    const bool is_set = step.cmd[0] == "SET";
    ASSERT_EQ(Run(step.cmd).ToString(), is_set ? "OK" : std::to_string(step.expect)) << step.cmd[0];
    db::Object* o = Obj(key);
    ASSERT_NE(o, nullptr);
    ASSERT_EQ(o->encoding(), db::Encoding::kInt);
    EXPECT_EQ(o->int_value(), step.expect);
    EXPECT_EQ(Str({"GET", key}), std::to_string(step.expect));
    EXPECT_EQ(Enc(key), "int");
    const bool redis_shares = step.expect >= 0 && step.expect < db::kSharedIntegers;
    EXPECT_EQ(Str({"OBJECT", "REFCOUNT", key}), redis_shares ? "2147483647" : "1");
    if (!is_set) {
      // In place iff the new width fits what the old block held room for.
      const bool in_place = db::IntWidth(step.expect) <= cap;
      EXPECT_EQ(o == before, in_place) << step.expect;
      if (in_place) {
        EXPECT_EQ(o->BlockSize(), block);
      } else {
        EXPECT_EQ(o->BlockSize(), db::Object::CostFor(11 + key.size() + db::IntWidth(step.expect)));
      }
    } else {
      EXPECT_EQ(o->BlockSize(), db::Object::CostFor(11 + key.size() + db::IntWidth(step.expect)));
    }
    // MEMORY USAGE is the block plus the key's share of the buckets (one key: constant).
    const int64_t share =
        Run({"MEMORY", "USAGE", key}).integer - static_cast<int64_t>(o->BlockSize());
    if (bucket_share < 0) bucket_share = share;
    EXPECT_EQ(share, bucket_share);
  }
  // Overflow leaves the value (and its block) as it was.
  EXPECT_EQ(Str({"SET", key, "9223372036854775807"}), "OK");
  db::Object* o = Obj(key);
  EXPECT_EQ(Str({"INCR", key}), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(Obj(key), o);
  EXPECT_EQ(o->int_value(), INT64_MAX);
  // A TTL survives a move to a wider block.
  EXPECT_EQ(Str({"SET", key, "127", "EX", "1000"}), "OK");
  EXPECT_EQ(Str({"INCRBY", key, "4294967296"}), "4294967423");
  EXPECT_GT(Run({"TTL", key}).integer, 990);
  EXPECT_EQ(Str({"GET", key}), "4294967423");
}

// MEMORY USAGE of the new layouts: the entry alone for integers and for strings embedded up to
// 255 bytes; the entry with a pointer plus the sds beyond (and after an in-place edit).
TEST_F(StringTest, MemoryUsageOfInlineIntegersAndEmbeddedStrings) {
  const std::string key = "key:00000001";
  auto usage = [&] { return Run({"MEMORY", "USAGE", key, "SAMPLES", "0"}).integer; };
  auto value_bytes = [&] {
    const db::Object* o = Obj(key);
    return static_cast<int64_t>(o->BlockSize() + db::ValueMemoryUsage(db::ValueOf(*o), 0));
  };
  EXPECT_EQ(Str({"SET", key, "1234"}), "OK");
  const int64_t buckets = usage() - static_cast<int64_t>(Obj(key)->BlockSize());
  EXPECT_EQ(value_bytes(), static_cast<int64_t>(db::Object::CostFor(11 + 12 + 2)));
  EXPECT_EQ(usage(), value_bytes() + buckets);
  const std::string v100(100, 'v');
  EXPECT_EQ(Str({"SET", key, v100}), "OK");
  EXPECT_EQ(Enc(key), "raw");
  EXPECT_EQ(Obj(key)->encoding(), db::Encoding::kEmbstr);  // embedded: no dearer than an sds
  EXPECT_EQ(value_bytes(), static_cast<int64_t>(db::Object::CostFor(11 + 12 + 100)));
  EXPECT_EQ(usage(), value_bytes() + buckets);
  EXPECT_EQ(Str({"GET", key}), v100);
  EXPECT_EQ(Run({"STRLEN", key}).integer, 100);
  // The first in-place edit makes it a real sds, as it does an embstr.
  EXPECT_EQ(Run({"APPEND", key, "w"}).integer, 101);
  EXPECT_EQ(Obj(key)->encoding(), db::Encoding::kRaw);
  EXPECT_EQ(Enc(key), "raw");
  EXPECT_EQ(Str({"GET", key}), v100 + "w");
  EXPECT_EQ(usage(), value_bytes() + buckets);
  const std::string v300(300, 'x');  // past 255: an sds
  EXPECT_EQ(Str({"SET", key, v300}), "OK");
  EXPECT_EQ(Obj(key)->encoding(), db::Encoding::kRaw);
  EXPECT_EQ(value_bytes(),
            static_cast<int64_t>(db::Object::CostFor(11 + 12 + 8) + mem::SizeClass(5 + 300 + 1)));
  EXPECT_EQ(Str({"SET", key, std::string(255, 'y')}), "OK");
  EXPECT_EQ(Str({"GET", key}), std::string(255, 'y'));
  EXPECT_EQ(Str({"SETRANGE", key, "254", "zz"}), "256");
  EXPECT_EQ(Str({"GET", key}), std::string(254, 'y') + "zz");
}

TEST_F(StringTest, IncrKeepsTtlAndReencodesAsInt) {
  EXPECT_EQ(Str({"SET", "k", "10", "PXAT", "4102444800000"}), "OK");
  EXPECT_EQ(Str({"INCRBY", "k", "100000"}), "100010");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"INCRBYFLOAT", "k", "0"}), "100010");  // now embstr "100010"
  EXPECT_EQ(Enc("k"), "embstr");
  EXPECT_EQ(Str({"INCR", "k"}), "100011");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(Str({"APPEND", "k", "2"}), "7");
  EXPECT_EQ(Enc("k"), "raw");
  EXPECT_EQ(Str({"DECR", "k"}), "1000111");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
}

TEST_F(StringTest, Incrbyfloat) {
  EXPECT_EQ(RunRaw({"INCRBYFLOAT", "f", "1.5"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(Enc("f"), "embstr");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f", "1"}), "2.5");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f", "0.1"}), "2.6");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f", "-2.6"}), "0");
  // An integral result is still stored as a string, never as int (as Redis stores it).
  EXPECT_EQ(Str({"INCRBYFLOAT", "one", "1"}), "1");
  EXPECT_EQ(Enc("one"), "embstr");
  EXPECT_EQ(Str({"SET", "i", "10"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "i", "5.0e3"}), "5010");
  EXPECT_EQ(Enc("i"), "embstr");
  EXPECT_EQ(Str({"INCRBYFLOAT", "i", "-5010.5"}), "-0.5");
  EXPECT_EQ(Str({"INCRBYFLOAT", "x", "0x10"}), "16");  // strtold reads hex, as in Redis
  // Formatting: %.17Lf with trailing zeros removed.
  EXPECT_EQ(Str({"INCRBYFLOAT", "tiny", "1e-20"}), "0");
  EXPECT_EQ(Str({"INCRBYFLOAT", "negzero", "-0.0"}), "0");
  EXPECT_EQ(Str({"INCRBYFLOAT", "p", "3.0000000000000000001"}), "3");
  EXPECT_EQ(Str({"INCRBYFLOAT", "q", "1.23456789012345678901234"}), "1.23456789012345679");
  EXPECT_EQ(Str({"INCRBYFLOAT", "r", "100000000000000000000000000000000000000000000"}),
            "100000000000000000001038625398088182045605888");
  EXPECT_EQ(Enc("r"), "raw");  // 45 bytes
  EXPECT_EQ(Str({"STRLEN", "r"}), "45");
  EXPECT_EQ(Str({"SET", "big", "1e308"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "big", "1e308"}),
            "1999999999999999999933717593116912913211201996948311344155940959898434697376761237"
            "4420025384377707864089349445010802644630426949918792116719484162886039283753591820"
            "0039206381557326219209014213335878306791577877829121087126122536729803237260434173"
            "178506889763247582601711514636284849020905456510092687857156096");
  // The TTL stays.
  EXPECT_EQ(Str({"SET", "t", "5", "PXAT", "4102444800000"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "t", "1.25"}), "6.25");
  EXPECT_EQ(ExpireOf("t"), 4102444800000);
  // A raw value (51 bytes) whose result fits embstr, then back to raw; the TTL follows.
  EXPECT_EQ(Str({"SET", "t", "0.0000000000000000000000000000000000000000000000001", "PXAT",
                 "4102444800000"}),
            "OK");
  EXPECT_EQ(Enc("t"), "raw");
  EXPECT_EQ(Str({"INCRBYFLOAT", "t", "1"}), "1");
  EXPECT_EQ(Enc("t"), "embstr");
  EXPECT_EQ(ExpireOf("t"), 4102444800000);
  EXPECT_EQ(Str({"INCRBYFLOAT", "t", "1e44"}), "100000000000000000001038625398088182045605888");
  EXPECT_EQ(Enc("t"), "raw");
  EXPECT_EQ(ExpireOf("t"), 4102444800000);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 1u);
}

TEST_F(StringTest, IncrbyfloatErrors) {
  const std::string not_float = "(error) ERR value is not a valid float";
  EXPECT_EQ(Str({"SET", "s", "abc"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(Str({"SET", "s", " 1"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(Str({"SET", "s", ""}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(Str({"GET", "s"}), "");
  EXPECT_EQ(Str({"SET", "f", "1.5"}), "OK");
  for (const char* bad : {"x", "", " 1", "1 ", "nan", "1e5000", "1.5.5"}) {
    EXPECT_EQ(Str({"INCRBYFLOAT", "f", bad}), not_float) << bad;
    EXPECT_EQ(Str({"INCRBYFLOAT", "new", bad}), not_float) << bad;
  }
  EXPECT_EQ(Str({"EXISTS", "new"}), "0");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f", "inf"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f", "-inf"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Str({"SET", "g", "1e4932"}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "g", "1e4932"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Str({"INCRBYFLOAT", "new", "inf"}),
            "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Str({"EXISTS", "new"}), "0");
  EXPECT_EQ(Str({"GET", "f"}), "1.5");
  EXPECT_EQ(Str({"INCRBYFLOAT", "f"}),
            "(error) ERR wrong number of arguments for 'incrbyfloat' command");
}

// ---- APPEND / STRLEN ---------------------------------------------------------------------

TEST_F(StringTest, AppendEncodings) {
  // A missing key gets the natural encoding of the value.
  EXPECT_EQ(Str({"APPEND", "n", "123"}), "3");
  EXPECT_EQ(Enc("n"), "int");
  EXPECT_EQ(Str({"APPEND", "e", "hello"}), "5");
  EXPECT_EQ(Enc("e"), "embstr");
  EXPECT_EQ(Str({"APPEND", "r", std::string(45, 'r')}), "45");
  EXPECT_EQ(Enc("r"), "raw");
  EXPECT_EQ(Str({"APPEND", "z", ""}), "0");
  EXPECT_EQ(Str({"EXISTS", "z"}), "1");
  EXPECT_EQ(Enc("z"), "embstr");
  // An existing key becomes raw, even for an empty tail.
  EXPECT_EQ(Str({"APPEND", "n", "4"}), "4");
  EXPECT_EQ(Enc("n"), "raw");
  EXPECT_EQ(Str({"GET", "n"}), "1234");
  EXPECT_EQ(Str({"APPEND", "e", ""}), "5");
  EXPECT_EQ(Enc("e"), "raw");
  EXPECT_EQ(Str({"GET", "e"}), "hello");
  EXPECT_EQ(Str({"SET", "i", "7"}), "OK");
  EXPECT_EQ(Str({"APPEND", "i", ""}), "1");
  EXPECT_EQ(Enc("i"), "raw");
  EXPECT_EQ(Str({"GET", "i"}), "7");
  EXPECT_EQ(Str({"APPEND", "r", "!"}), "46");
  EXPECT_EQ(Str({"GET", "r"}), std::string(45, 'r') + "!");
  EXPECT_EQ(Str({"APPEND", "k"}), "(error) ERR wrong number of arguments for 'append' command");
}

TEST_F(StringTest, AppendKeepsTtlAndGrowsGreedily) {
  EXPECT_EQ(Str({"SET", "k", "v", "PXAT", "4102444800000"}), "OK");
  std::string model = "v";
  for (int i = 0; i < 200; ++i) {
    const std::string tail = std::to_string(i);
    model += tail;
    EXPECT_EQ(Run({"APPEND", "k", tail}).integer, static_cast<int64_t>(model.size()));
  }
  EXPECT_EQ(Str({"GET", "k"}), model);
  EXPECT_EQ(Enc("k"), "raw");
  EXPECT_EQ(ExpireOf("k"), 4102444800000);
  EXPECT_EQ(h_.keyspace().db(0).expires_size(), 1u);
  // The sds holds slack from the greedy growth, but not more than doubling gives.
  const size_t alloc = db::ValueMemoryUsage(db::ValueOf(*Obj("k")), 0);
  EXPECT_GT(alloc, model.size());
  EXPECT_LT(alloc, 3 * model.size());
}

TEST_F(StringTest, Strlen) {
  EXPECT_EQ(Str({"STRLEN", "k"}), "0");
  EXPECT_EQ(Str({"SET", "k", "hello"}), "OK");
  EXPECT_EQ(Str({"STRLEN", "k"}), "5");
  EXPECT_EQ(Str({"SET", "k", "-12345"}), "OK");
  EXPECT_EQ(Enc("k"), "int");
  EXPECT_EQ(Str({"STRLEN", "k"}), "6");
  EXPECT_EQ(Str({"SET", "k", std::string(1000, 'x')}), "OK");
  EXPECT_EQ(Str({"STRLEN", "k"}), "1000");
  EXPECT_EQ(Str({"SET", "k", ""}), "OK");
  EXPECT_EQ(Str({"STRLEN", "k"}), "0");
  EXPECT_EQ(Str({"STRLEN"}), "(error) ERR wrong number of arguments for 'strlen' command");
}

// ---- GETRANGE / SUBSTR / SETRANGE --------------------------------------------------------

TEST_F(StringTest, GetrangeAndSubstr) {
  EXPECT_EQ(Str({"SET", "s", "This is a string"}), "OK");
  for (const char* cmd : {"GETRANGE", "SUBSTR"}) {
    EXPECT_EQ(Str({cmd, "s", "0", "3"}), "This");
    EXPECT_EQ(Str({cmd, "s", "-3", "-1"}), "ing");
    EXPECT_EQ(Str({cmd, "s", "0", "-1"}), "This is a string");
    EXPECT_EQ(Str({cmd, "s", "10", "100"}), "string");
    EXPECT_EQ(Str({cmd, "s", "-1", "-5"}), "");
    EXPECT_EQ(Str({cmd, "s", "5", "3"}), "");
    EXPECT_EQ(Str({cmd, "s", "-100", "-50"}), "T");  // Redis 7's clamping
    EXPECT_EQ(Str({cmd, "s", "100", "200"}), "");
    EXPECT_EQ(Str({cmd, "s", "-9223372036854775808", "9223372036854775807"}), "This is a string");
    EXPECT_EQ(RunRaw({cmd, "missing", "0", "-1"}), "$0\r\n\r\n");
    EXPECT_EQ(Str({cmd, "s", "a", "1"}), "(error) ERR value is not an integer or out of range");
    EXPECT_EQ(Str({cmd, "s", "0", "1.5"}), "(error) ERR value is not an integer or out of range");
  }
  EXPECT_EQ(Str({"SET", "i", "12345"}), "OK");
  EXPECT_EQ(Str({"GETRANGE", "i", "1", "2"}), "23");
  EXPECT_EQ(Str({"GETRANGE", "i", "-2", "-1"}), "45");
  EXPECT_EQ(Str({"SET", "e", ""}), "OK");
  EXPECT_EQ(RunRaw({"GETRANGE", "e", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(Str({"SET", "r", std::string(100, 'a') + "XYZ"}), "OK");
  EXPECT_EQ(Str({"GETRANGE", "r", "-3", "-1"}), "XYZ");
  EXPECT_EQ(Str({"GETRANGE", "s", "0"}),
            "(error) ERR wrong number of arguments for 'getrange' command");
  EXPECT_EQ(Str({"SUBSTR", "s", "0"}),
            "(error) ERR wrong number of arguments for 'substr' command");
}

TEST_F(StringTest, SetrangeEncodingsAndPadding) {
  // A missing key: zero bytes up to the offset, stored raw whatever its length.
  EXPECT_EQ(Str({"SETRANGE", "m", "3", "ab"}), "5");
  EXPECT_EQ(Str({"GET", "m"}), std::string("\0\0\0ab", 5));
  EXPECT_EQ(Enc("m"), "raw");
  EXPECT_EQ(Str({"SETRANGE", "m0", "0", "12"}), "2");
  EXPECT_EQ(Enc("m0"), "raw");
  EXPECT_EQ(Str({"SETRANGE", "none", "100", ""}), "0");  // nothing set: no key
  EXPECT_EQ(Str({"EXISTS", "none"}), "0");
  // An int value becomes raw.
  EXPECT_EQ(Str({"SET", "n", "12345"}), "OK");
  EXPECT_EQ(Str({"SETRANGE", "n", "1", "9"}), "5");
  EXPECT_EQ(Str({"GET", "n"}), "19345");
  EXPECT_EQ(Enc("n"), "raw");
  // An empty value changes nothing, not even the encoding.
  EXPECT_EQ(Str({"SET", "e", "hello"}), "OK");
  EXPECT_EQ(Str({"SETRANGE", "e", "0", ""}), "5");
  EXPECT_EQ(Str({"SETRANGE", "e", "1000", ""}), "5");
  EXPECT_EQ(Enc("e"), "embstr");
  EXPECT_EQ(Str({"SET", "i", "7"}), "OK");
  EXPECT_EQ(Str({"SETRANGE", "i", "0", ""}), "1");
  EXPECT_EQ(Enc("i"), "int");
  // Past the end: zero padding.
  EXPECT_EQ(Str({"SETRANGE", "e", "10", "x"}), "11");
  EXPECT_EQ(Str({"GET", "e"}), std::string("hello\0\0\0\0\0x", 11));
  EXPECT_EQ(Enc("e"), "raw");
  // Inside: overwrite only.
  EXPECT_EQ(Str({"SETRANGE", "e", "0", "HE"}), "11");
  EXPECT_EQ(Str({"GET", "e"}), std::string("HEllo\0\0\0\0\0x", 11));
  // Binary-safe, and the TTL stays.
  EXPECT_EQ(Str({"SET", "t", "abcdef", "PXAT", "4102444800000"}), "OK");
  EXPECT_EQ(Str({"SETRANGE", "t", "2", std::string_view("\0\r\n", 3)}), "6");
  EXPECT_EQ(Str({"GET", "t"}), std::string("ab\0\r\nf", 6));
  EXPECT_EQ(ExpireOf("t"), 4102444800000);
}

TEST_F(StringTest, SetrangeErrors) {
  EXPECT_EQ(Str({"SETRANGE", "k", "-1", "x"}), "(error) ERR offset is out of range");
  EXPECT_EQ(Str({"SETRANGE", "k", "-1", ""}), "(error) ERR offset is out of range");
  EXPECT_EQ(Str({"SETRANGE", "k", "abc", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"SETRANGE", "k", "9223372036854775808", "x"}),
            "(error) ERR value is not an integer or out of range");
  const std::string too_long =
      "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  // The default proto-max-bulk-len is 512 MB.
  EXPECT_EQ(Str({"SETRANGE", "k", "536870912", "x"}), too_long);
  EXPECT_EQ(Str({"SETRANGE", "k", "536870911", "xy"}), too_long);
  EXPECT_EQ(Str({"SETRANGE", "k", "9223372036854775807", "x"}), too_long);
  EXPECT_EQ(Str({"SETRANGE", "k", "536870911", ""}), "0");
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Str({"SETRANGE", "k", "9223372036854775807", "x"}), too_long);
  EXPECT_EQ(Str({"SETRANGE", "k", "9223372036854775807", ""}), "1");  // empty: no check
  EXPECT_EQ(Enc("k"), "embstr");
  EXPECT_EQ(Str({"SETRANGE", "k", "0"}),
            "(error) ERR wrong number of arguments for 'setrange' command");
}

TEST(StringLimitTest, ProtoMaxBulkLenBoundsAppendAndSetrange) {
  CommandHarness h("proto-max-bulk-len 1mb\n");
  const std::string too_long =
      "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)";
  constexpr int64_t kMax = 1024 * 1024;
  EXPECT_EQ(h.Run({"SETRANGE", "k", std::to_string(kMax), "x"}).ToString(), too_long);
  EXPECT_EQ(h.Run({"EXISTS", "k"}).ToString(), "0");
  EXPECT_EQ(h.Run({"SETRANGE", "k", std::to_string(kMax - 1), "x"}).integer, kMax);
  EXPECT_EQ(h.Run({"APPEND", "k", "y"}).ToString(), too_long);
  EXPECT_EQ(h.Run({"SETRANGE", "k", std::to_string(kMax - 1), "yz"}).ToString(), too_long);
  EXPECT_EQ(h.Run({"SETRANGE", "k", std::to_string(kMax - 1), "z"}).integer, kMax);
  EXPECT_EQ(h.Run({"APPEND", "k", ""}).integer, kMax);  // exactly the limit is allowed
  EXPECT_EQ(h.Run({"STRLEN", "k"}).integer, kMax);
  EXPECT_EQ(h.Run({"GETRANGE", "k", "-2", "-1"}).ToString(), std::string("\0z", 2));
  // APPEND to a missing key is bounded by the argument size only (as in Redis).
  const std::string big(kMax + 10, 'b');
  EXPECT_EQ(h.Run({"APPEND", "fresh", big}).integer, kMax + 10);
  // The limit is read live: CONFIG SET applies to the next command.
  EXPECT_EQ(h.Run({"CONFIG", "SET", "proto-max-bulk-len", "2mb"}).ToString(), "OK");
  EXPECT_EQ(h.Run({"APPEND", "k", "y"}).integer, kMax + 1);
  EXPECT_EQ(h.Run({"GETRANGE", "k", "-3", "-1"}).ToString(), std::string("\0zy", 3));
}

// ---- LCS ---------------------------------------------------------------------------------

class LcsTest : public StringTest {
 protected:
  void SetUp() override { ASSERT_EQ(Str({"MSET", "key1", "ohmytext", "key2", "mynewtext"}), "OK"); }
};

TEST_F(LcsTest, StringLenAndIdx) {
  EXPECT_EQ(Str({"LCS", "key1", "key2"}), "mytext");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "LEN"}), "6");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "withmatchlen"}), "mytext");  // only with IDX
  EXPECT_EQ(Str({"LCS", "key1", "key2", "MINMATCHLEN", "3", "LEN"}), "6");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "IDX"}),
            "[matches, [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], len, 6]");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"}),
            "[matches, [[[4, 7], [5, 8]]], len, 6]");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}),
            "[matches, [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], len, 6]");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "idx", "minmatchlen", "-5"}),
            "[matches, [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], len, 6]");
  // Exact bytes: a map in RESP3, a flat array of 4 in RESP2.
  const std::string body =
      "$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n";
  EXPECT_EQ(RunRaw({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "*4\r\n" + body);
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "%2\r\n" + body);
  EXPECT_EQ(Str({"LCS", "key1", "key2", "IDX"}),
            "{matches: [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], len: 6}");
}

TEST_F(LcsTest, MoreShapesAsRedisAnswersThem) {
  struct Case {
    const char* a;
    const char* b;
    const char* lcs;
    const char* idx;  // IDX WITHMATCHLEN
  };
  const Case cases[] = {
      {"abc", "abc", "abc", "[matches, [[[0, 2], [0, 2], 3]], len, 3]"},
      {"abcdef", "xbcdyef", "bcdef",
       "[matches, [[[4, 5], [5, 6], 2], [[1, 3], [1, 3], 3]], len, 5]"},
      {"aaaa", "aa", "aa", "[matches, [[[2, 3], [0, 1], 2]], len, 2]"},
      {"a", "b", "", "[matches, [], len, 0]"},
      {"GATTACA", "TAGACCA", "TACA",
       "[matches, [[[5, 6], [5, 6], 2], [[4, 4], [3, 3], 1], [[3, 3], [0, 0], 1]], len, 4]"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Str({"MSET", "a", c.a, "b", c.b}), "OK");
    EXPECT_EQ(Str({"LCS", "a", "b"}), c.lcs) << c.a << " " << c.b;
    EXPECT_EQ(Str({"LCS", "a", "b", "IDX", "WITHMATCHLEN"}), c.idx) << c.a << " " << c.b;
  }
  // int-encoded values compare as their digits.
  EXPECT_EQ(Str({"MSET", "n1", "12345", "n2", "2345"}), "OK");
  EXPECT_EQ(Enc("n1"), "int");
  EXPECT_EQ(Str({"LCS", "n1", "n2"}), "2345");
  EXPECT_EQ(Str({"LCS", "n1", "n2", "IDX", "WITHMATCHLEN"}),
            "[matches, [[[1, 4], [0, 3], 4]], len, 4]");
  // Missing keys are empty strings.
  EXPECT_EQ(RunRaw({"LCS", "key1", "nokey"}), "$0\r\n\r\n");
  EXPECT_EQ(Str({"LCS", "nokey", "nokey2", "LEN"}), "0");
  EXPECT_EQ(RunRaw({"LCS", "key1", "nokey", "IDX"}),
            "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
}

TEST_F(LcsTest, Errors) {
  EXPECT_EQ(Str({"LCS", "key1", "key2", "LEN", "IDX"}),
            "(error) ERR If you want both the length and indexes, please just use IDX.");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "MINMATCHLEN"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LCS", "key1", "key2", "MINMATCHLEN", "x"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LCS", "key1"}), "(error) ERR wrong number of arguments for 'lcs' command");
}

TEST(LcsLimitTest, TableIsBoundedByProtoMaxBulkLen) {
  CommandHarness h("proto-max-bulk-len 1mb\n");
  // (500+1)^2 * 4 bytes = 1004004 <= 1 MiB; (600+1)^2 * 4 = 1444804 > 1 MiB.
  EXPECT_EQ(h.Run({"MSET", "a", std::string(500, 'x'), "b", std::string(500, 'x')}).ToString(),
            "OK");
  EXPECT_EQ(h.Run({"LCS", "a", "b", "LEN"}).integer, 500);
  EXPECT_EQ(h.Run({"MSET", "a", std::string(600, 'x'), "b", std::string(600, 'x')}).ToString(),
            "OK");
  EXPECT_EQ(h.Run({"LCS", "a", "b", "LEN"}).ToString(),
            "(error) ERR Insufficient memory, transient memory for LCS exceeds "
            "proto-max-bulk-len");
  // The table is transient: no memory is left behind.
  EXPECT_EQ(h.Run({"MSET", "a", std::string(500, 'x'), "b", std::string(500, 'y')}).ToString(),
            "OK");
  const size_t with_values = mem::UsedMemory();
  EXPECT_EQ(h.Run({"LCS", "a", "b", "LEN"}).integer, 0);
  EXPECT_EQ(mem::UsedMemory(), with_values);
}

TEST(LcsLimitTest, TableAllocationFailureIsAnError) {
  CommandHarness h("proto-max-bulk-len 1000000000000000\n");
  // (8e6+1)^2 * 4 bytes is about 233 TiB: more than a 47-bit address space can map.
  const std::string a(8'000'000, 'a');
  EXPECT_EQ(h.Run({"MSET", "a", a, "b", a}).ToString(), "OK");
  EXPECT_EQ(h.Run({"LCS", "a", "b"}).ToString(),
            "(error) ERR Insufficient memory, failed allocating transient memory for LCS");
}

// ---- Memory ------------------------------------------------------------------------------

// Every command that reshapes a value (moves its block, converts its encoding, replaces it)
// leaves nothing behind once the keys are gone.
TEST_F(StringTest, EveryReshapeReturnsItsMemory) {
  EXPECT_EQ(Str({"SET", "warm", std::string(64 * 1024, 'w')}), "OK");
  EXPECT_EQ(Run({"GET", "warm"}).str.size(), 64u * 1024);
  EXPECT_EQ(Str({"INCR", "warm"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  const std::string raw(100, 'r');
  const size_t baseline = mem::UsedMemory();  // after the test's own `raw`
  for (const std::string& v : {std::string("7"), std::string("123456"), std::string("text"), raw}) {
    EXPECT_EQ(Str({"SET", "a", v, "EX", "100"}), "OK");
    EXPECT_EQ(Run({"APPEND", "a", "xyz"}).integer, static_cast<int64_t>(v.size() + 3));
    EXPECT_EQ(Str({"SET", "b", v}), "OK");
    EXPECT_EQ(Run({"SETRANGE", "b", "200", "z"}).integer, 201);
    EXPECT_EQ(Str({"SET", "c", v, "KEEPTTL"}), "OK");
    EXPECT_EQ(Str({"GETEX", "c", "PX", "100000"}), v);
    EXPECT_EQ(Str({"GETEX", "c", "PERSIST"}), v);
    EXPECT_EQ(Str({"GETSET", "c", raw}), v);
    EXPECT_EQ(Str({"SET", "d", v, "PXAT", "4102444800000"}), "OK");
    EXPECT_EQ(Run({"INCRBYFLOAT", "d", "1"}).IsError(), v == "text" || v == raw);
    EXPECT_EQ(Run({"INCRBY", "d", "10000"}).IsError(), v == "text" || v == raw);
    EXPECT_EQ(Str({"SET", "e", v}), "OK");
    EXPECT_EQ(Str({"GETDEL", "e"}), v);
    EXPECT_EQ(Str({"SET", "f", v}), "OK");
    EXPECT_EQ(Str({"SET", "f", "new", "PXAT", "1"}), "OK");  // deleted at once
    EXPECT_FALSE(Run({"LCS", "a", "b"}).IsError());
    EXPECT_EQ(Str({"MSET", "a", v, "b", raw, "c", "1"}), "OK");
  }
  // INCRBYFLOAT replacing raw with raw, raw with embstr, embstr with raw.
  EXPECT_EQ(Str({"SET", "g", "1." + std::string(60, '0')}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "g", "1e44"}), "100000000000000000001038625398088182045605888");
  EXPECT_EQ(Str({"SET", "g", "1." + std::string(60, '0')}), "OK");
  EXPECT_EQ(Str({"INCRBYFLOAT", "g", "1"}), "2");
  EXPECT_EQ(Str({"INCRBYFLOAT", "g", "1e44"}), "100000000000000000001038625398088182045605888");
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

// ---- Randomized: the answers never depend on the encoding ---------------------------------

// A strict int64 parse written independently of base/numbers (the model's own rules: "0", or
// an optional '-' and a non-zero leading digit, at most 19 digits, within range).
bool ModelInt(const std::string& s, int64_t* out) {
  size_t i = 0;
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) i = 1;
  if (i >= s.size() || s.size() - i > 19) return false;
  if (s[i] == '0') {
    if (s.size() != 1) return false;  // "0" only: no "00", "-0", "01"
    *out = 0;
    return true;
  }
  __int128 v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (neg) v = -v;
  if (v < INT64_MIN || v > INT64_MAX) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

std::string ModelGetrange(const std::string& v, int64_t start, int64_t end) {
  const int64_t len = static_cast<int64_t>(v.size());
  if (start < 0 && end < 0 && start > end) return "";
  if (start < 0) start = std::max<int64_t>(0, len + start);
  if (end < 0) end = std::max<int64_t>(0, len + end);
  end = std::min(end, len - 1);
  if (start > end || len == 0) return "";
  return v.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
}

TEST_F(StringTest, RandomizedAgainstModel) {
  // Warm up what the harness keeps between commands (reply buffer capacity, the "ERR" row of
  // the error statistics) so that the baseline covers it.
  EXPECT_EQ(Str({"SET", "warm", std::string(256 * 1024, 'w')}), "OK");
  EXPECT_EQ(Run({"GET", "warm"}).str.size(), 256u * 1024);
  EXPECT_EQ(Str({"INCR", "warm"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  { SCOPED_TRACE("warm-up"); }  // gtest keeps its trace stack's capacity (one 48-byte entry)
  const size_t baseline = mem::UsedMemory();

  {
    std::mt19937_64 rng(20240611);
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    auto random_string = [&](size_t len) {
      std::string s(len, ' ');
      for (char& c : s)
        c = static_cast<char>(uniform(0, 3) == 0 ? '0' + uniform(0, 9) : 'a' + uniform(0, 25));
      return s;
    };
    // Values that straddle the encoding boundaries.
    auto random_value = [&]() -> std::string {
      switch (uniform(0, 9)) {
        case 0:
          return std::to_string(uniform(-20, 20000));  // shared and unshared ints
        case 1:
          return std::to_string(uniform(INT64_MIN, INT64_MAX));
        case 2:
          return uniform(0, 1) ? "9223372036854775807" : "-9223372036854775808";
        case 3:
          return "12345678901234567890";  // 20 digits, not an int64
        case 4:
          return "00" + std::to_string(uniform(0, 99));
        case 5:
          return random_string(static_cast<size_t>(uniform(43, 46)));
        case 6:
          return random_string(static_cast<size_t>(uniform(100, 300)));
        default:
          return random_string(static_cast<size_t>(uniform(0, 12)));
      }
    };
    const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "k4"};
    std::map<std::string, std::string> model;
    std::map<std::string, int> encodings_seen;
    for (int step = 0; step < 20000; ++step) {
      const std::string& key = keys[static_cast<size_t>(uniform(0, 4))];
      auto it = model.find(key);
      const bool exists = it != model.end();
      const std::string current = exists ? it->second : "";
      const int op = static_cast<int>(uniform(0, 6));
      SCOPED_TRACE("step " + std::to_string(step) + " op " + std::to_string(op) + " key " + key);
      if (op == 0) {  // SET
        const std::string v = random_value();
        ASSERT_EQ(Str({"SET", key, v}), "OK");
        model[key] = v;
      } else if (op == 1) {  // APPEND
        const std::string tail = uniform(0, 1) ? std::to_string(uniform(0, 999))
                                               : random_string(static_cast<size_t>(uniform(0, 8)));
        model[key] = current + tail;
        ASSERT_EQ(Run({"APPEND", key, tail}).integer, static_cast<int64_t>(model[key].size()));
      } else if (op == 2) {  // SETRANGE
        const int64_t offset = uniform(0, 60);
        const std::string v = random_string(static_cast<size_t>(uniform(0, 6)));
        std::string expected = current;
        if (!v.empty()) {
          if (expected.size() < static_cast<size_t>(offset) + v.size()) {
            expected.resize(static_cast<size_t>(offset) + v.size(), '\0');
          }
          expected.replace(static_cast<size_t>(offset), v.size(), v);
        }
        ASSERT_EQ(Run({"SETRANGE", key, std::to_string(offset), v}).integer,
                  static_cast<int64_t>(expected.size()));
        if (exists || !v.empty()) model[key] = expected;
      } else if (op == 3) {  // INCRBY
        const int64_t delta =
            uniform(0, 9) == 0 ? uniform(INT64_MIN / 2, INT64_MAX / 2) : uniform(-1000, 1000);
        int64_t value = 0;
        if (exists && !ModelInt(current, &value)) {
          ASSERT_EQ(Str({"INCRBY", key, std::to_string(delta)}),
                    "(error) ERR value is not an integer or out of range");
        } else if ((delta > 0 && value > INT64_MAX - delta) ||
                   (delta < 0 && value < INT64_MIN - delta)) {
          ASSERT_EQ(Str({"INCRBY", key, std::to_string(delta)}),
                    "(error) ERR increment or decrement would overflow");
        } else {
          ASSERT_EQ(Run({"INCRBY", key, std::to_string(delta)}).integer, value + delta);
          model[key] = std::to_string(value + delta);
        }
      } else if (op == 4) {  // GETRANGE
        const int64_t start = uniform(-70, 70);
        const int64_t end = uniform(-70, 70);
        RespValue r = Run({"GETRANGE", key, std::to_string(start), std::to_string(end)});
        ASSERT_EQ(r.type, RespValue::Type::kBulk);
        ASSERT_EQ(r.str, ModelGetrange(current, start, end));
      } else if (op == 5) {  // STRLEN
        ASSERT_EQ(Run({"STRLEN", key}).integer, static_cast<int64_t>(current.size()));
      } else {  // GETDEL
        RespValue r = Run({"GETDEL", key});
        if (exists) {
          ASSERT_EQ(r.type, RespValue::Type::kBulk);
          ASSERT_EQ(r.str, current);
          model.erase(key);
        } else {
          ASSERT_TRUE(r.IsNull());
        }
      }
      // After every step: the stored value reads back as the model's, whatever its encoding,
      // and the encoding is one the value may have.
      auto m = model.find(key);
      db::Object* o = Obj(key);
      if (m == model.end()) {
        ASSERT_EQ(o, nullptr);
        continue;
      }
      ASSERT_NE(o, nullptr);
      RespValue got = Run({"GET", key});
      ASSERT_EQ(got.str, m->second);
      int64_t as_int;
      const bool canonical_int = ModelInt(m->second, &as_int);
      switch (o->encoding()) {
        case db::Encoding::kInt:
          ASSERT_TRUE(canonical_int) << m->second;
          ASSERT_EQ(o->int_value(), as_int);
          ASSERT_EQ(o->shared_value(), as_int >= 0 && as_int < db::kSharedIntegers);
          break;
        case db::Encoding::kEmbstr:
          // SET and APPEND-to-missing store every canonical int as int.
          // Longer than 44 bytes only when embedding costs no more than an sds, and then
          // OBJECT ENCODING says raw, as Redis.
          ASSERT_FALSE(canonical_int) << m->second;
          ASSERT_LE(m->second.size(), db::kMaxEmbeddedLength);
          ASSERT_STREQ(db::EncodingName(*o),
                       m->second.size() <= db::kMaxEmbstrLength ? "embstr" : "raw");
          break;
        case db::Encoding::kRaw:
          break;  // anything, once edited in place
        default:
          FAIL() << "not a string encoding";
      }
      ++encodings_seen[db::EncodingName(*o)];
    }
    EXPECT_GT(encodings_seen["int"], 100);
    EXPECT_GT(encodings_seen["embstr"], 100);
    EXPECT_GT(encodings_seen["raw"], 100);
    EXPECT_EQ(h_.keyspace().db(0).size(), model.size());
  }

  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  EXPECT_EQ(mem::UsedMemory(), baseline);
}

}  // namespace
}  // namespace mnemo::test

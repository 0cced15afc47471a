// bitmap_test.cc: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO through the dispatcher:
// answers checked against Redis, every error, the proto-max-bulk-len cap, and randomized
// comparisons with a std::vector<bool> model and a BITFIELD reference written here (tests/cmd).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/base/numbers.h"
#include "mnemo/db/string_type.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

class BitmapTest : public CommandTest {
 protected:
  std::string Enc(std::string_view key) { return Run({"OBJECT", "ENCODING", key}).ToString(); }
  std::string Get(std::string_view key) { return Run({"GET", key}).str; }
};

// ---- answers checked against Redis 7
// ----------------------------------------------------------------

TEST_F(BitmapTest, SetbitAndGetbit) {
  EXPECT_EQ(Str({"SETBIT", "k", "7", "1"}), "0");
  EXPECT_EQ(Get("k"), std::string("\x01", 1));
  EXPECT_EQ(Enc("k"), "raw");
  EXPECT_EQ(Str({"SETBIT", "k", "7", "1"}), "1");
  EXPECT_EQ(Str({"SETBIT", "k", "7", "0"}), "1");
  EXPECT_EQ(Str({"GETBIT", "k", "7"}), "0");
  EXPECT_EQ(Str({"SETBIT", "k", "100", "1"}), "0");  // grows with zero bytes
  EXPECT_EQ(Get("k"), std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08", 13));
  EXPECT_EQ(Str({"GETBIT", "k", "100"}), "1");
  EXPECT_EQ(Str({"GETBIT", "k", "99"}), "0");
  EXPECT_EQ(Str({"GETBIT", "k", "4294967295"}), "0");  // past the end
  EXPECT_EQ(Str({"GETBIT", "missing", "3"}), "0");
  // Strings of every encoding are bitmaps: "foobar" (embstr), 12 (int).
  Run({"SET", "f", "foobar"});
  EXPECT_EQ(Str({"GETBIT", "f", "1"}), "1");
  EXPECT_EQ(Str({"GETBIT", "f", "0"}), "0");
  Run({"SET", "i", "12"});
  EXPECT_EQ(Enc("i"), "int");
  EXPECT_EQ(Str({"GETBIT", "i", "2"}), "1");  // '1' = 0x31
  EXPECT_EQ(Str({"SETBIT", "i", "0", "1"}), "0");
  EXPECT_EQ(Get("i"),
            "\xb1"
            "2");
  EXPECT_EQ(Enc("i"), "raw");
  // A TTL survives SETBIT (the object is reshaped, not replaced).
  Run({"SET", "t", "abc", "EX", "100"});
  Run({"SETBIT", "t", "200", "1"});
  EXPECT_TRUE(h_.keyspace().db(0).LookupNoTouch("t")->has_expire());
}

TEST_F(BitmapTest, BitcountRanges) {
  Run({"SET", "k", "foobar"});
  EXPECT_EQ(Str({"BITCOUNT", "k"}), "26");
  EXPECT_EQ(Str({"BITCOUNT", "k", "0", "0"}), "4");
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "1"}), "6");
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "-2"}), "18");
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "1", "BYTE"}), "6");
  EXPECT_EQ(Str({"BITCOUNT", "k", "5", "30", "BIT"}), "17");
  EXPECT_EQ(Str({"BITCOUNT", "k", "-3", "-1", "bit"}), "1");
  EXPECT_EQ(Str({"BITCOUNT", "k", "0", "-1", "BIT"}), "26");
  EXPECT_EQ(Str({"BITCOUNT", "k", "-100", "100", "BIT"}), "26");
  EXPECT_EQ(Str({"BITCOUNT", "k", "7", "7", "BIT"}), "0");
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "1", "BIT"}), "1");
  EXPECT_EQ(Str({"BITCOUNT", "k", "2", "1"}), "0");
  EXPECT_EQ(Str({"BITCOUNT", "k", "-1", "-5"}), "0");
  // Both negative and inverted: empty even though clamping would make both 0.
  EXPECT_EQ(Str({"BITCOUNT", "k", "-100", "-200"}), "0");
  EXPECT_EQ(Str({"BITCOUNT", "missing"}), "0");
  EXPECT_EQ(Str({"BITCOUNT", "missing", "0", "1"}), "0");
  Run({"SET", "i", "12"});
  EXPECT_EQ(Str({"BITCOUNT", "i"}), "6");  // "12" = 0x31 0x32
}

TEST_F(BitmapTest, BitposRanges) {
  Run({"SET", "k", "foobar"});
  EXPECT_EQ(Str({"BITPOS", "k", "1"}), "1");
  EXPECT_EQ(Str({"BITPOS", "k", "0"}), "0");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "2"}), "17");
  EXPECT_EQ(Str({"BITPOS", "k", "0", "-1"}), "40");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "7", "15", "BIT"}), "9");
  EXPECT_EQ(Str({"BITPOS", "k", "0", "1", "1"}), "8");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "9", "9", "BIT"}), "9");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "8", "8", "BIT"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "k", "0", "100"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "-100", "-200"}), "1");  // clamped to byte 0
  EXPECT_EQ(Str({"BITPOS", "missing", "0"}), "0");
  EXPECT_EQ(Str({"BITPOS", "missing", "1"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "missing", "1", "0", "5", "BIT"}), "-1");
  // All ones: looking for a zero without an end finds the padding after the string, with an
  // end it finds nothing.
  Run({"SET", "ones", std::string(3, '\xff')});
  EXPECT_EQ(Str({"BITPOS", "ones", "0"}), "24");
  EXPECT_EQ(Str({"BITPOS", "ones", "0", "1"}), "24");
  EXPECT_EQ(Str({"BITPOS", "ones", "0", "0", "-1"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "ones", "0", "3", "20", "BIT"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "ones", "1", "3", "20", "BIT"}), "3");
  Run({"SET", "zeros", std::string(40, '\0')});
  EXPECT_EQ(Str({"BITPOS", "zeros", "1"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "zeros", "0", "9"}), "72");
  Run({"SETBIT", "zeros", "300", "1"});
  EXPECT_EQ(Str({"BITPOS", "zeros", "1"}), "300");
  EXPECT_EQ(Str({"BITPOS", "zeros", "1", "10", "-1"}), "300");
  EXPECT_EQ(Str({"BITPOS", "zeros", "1", "0", "299", "BIT"}), "-1");
  // An empty string: no bit of either value.
  Run({"SET", "e", ""});
  EXPECT_EQ(Str({"BITPOS", "e", "0"}), "-1");
  EXPECT_EQ(Str({"BITPOS", "e", "1"}), "-1");
  EXPECT_EQ(Str({"BITCOUNT", "e"}), "0");
}

TEST_F(BitmapTest, BitopAndNotSemantics) {
  Run({"SET", "k", "foobar"});
  Run({"SETBIT", "n", "7", "1"});
  EXPECT_EQ(Str({"BITOP", "AND", "d", "k", "n"}), "6");
  EXPECT_EQ(Get("d"), std::string(6, '\0'));
  EXPECT_EQ(Enc("d"), "raw");  // stored as it was computed, not re-encoded
  EXPECT_EQ(Str({"BITOP", "or", "d", "k", "n"}), "6");
  EXPECT_EQ(Get("d"), "goobar");
  EXPECT_EQ(Str({"BITOP", "XOR", "d", "k", "n", "n"}), "6");
  EXPECT_EQ(Get("d"), "foobar");
  EXPECT_EQ(Str({"BITOP", "NOT", "d", "n"}), "1");
  EXPECT_EQ(Get("d"), "\xfe");
  // The destination may be a source, and loses its TTL and old type.
  Run({"SADD", "s", "x"});
  Run({"SET", "k", "foobar", "EX", "100"});
  EXPECT_EQ(Str({"BITOP", "NOT", "s", "k"}), "6");
  EXPECT_EQ(Get("s"), "\x99\x90\x90\x9d\x9e\x8d");
  EXPECT_EQ(Str({"BITOP", "AND", "k", "k", "n"}), "6");
  EXPECT_FALSE(h_.keyspace().db(0).LookupNoTouch("k")->has_expire());
  // Missing sources are empty; all empty deletes the destination.
  EXPECT_EQ(Str({"BITOP", "AND", "d", "missing"}), "0");
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
  EXPECT_EQ(Str({"BITOP", "OR", "d", "missing", "n"}), "1");
  EXPECT_EQ(Get("d"), "\x01");
  // Int-encoded sources are their digits.
  Run({"SET", "i", "12"});
  EXPECT_EQ(Str({"BITOP", "OR", "d", "i", "n"}), "2");
  EXPECT_EQ(Get("d"), "12");
}

TEST_F(BitmapTest, BitfieldAnswers) {
  Run({"SET", "k", "foobar"});
  EXPECT_EQ(Str({"BITFIELD", "k",   "GET", "u8", "0",   "GET", "i8", "0",   "GET", "u4",
                 "4",        "GET", "i16", "#1", "GET", "u1",  "47", "GET", "u8",  "44"}),
            "[102, 102, 6, 28514, 0, 32]");
  EXPECT_EQ(Str({"BITFIELD", "missing", "GET", "i8", "0"}), "[0]");
  EXPECT_EQ(Str({"EXISTS", "missing"}), "0");  // GET alone does not create the key
  EXPECT_EQ(Str({"BITFIELD", "k"}), "[]");
  EXPECT_EQ(Str({"BITFIELD", "k", "OVERFLOW", "FAIL"}), "[]");
  // The sequence Redis 7.0.15 answered [0, 255, 9, 255, (nil), 0, -1, 15, (nil), -1, 0, max,
  // max, max] to.
  EXPECT_EQ(Str({"BITFIELD",
                 "bf",
                 "SET",
                 "u8",
                 "0",
                 "255",
                 "GET",
                 "u8",
                 "0",
                 "INCRBY",
                 "u8",
                 "0",
                 "10",
                 "OVERFLOW",
                 "SAT",
                 "INCRBY",
                 "u8",
                 "0",
                 "300",
                 "OVERFLOW",
                 "FAIL",
                 "INCRBY",
                 "u8",
                 "0",
                 "1",
                 "SET",
                 "i8",
                 "#1",
                 "-1",
                 "GET",
                 "i8",
                 "#1",
                 "GET",
                 "u4",
                 "4",
                 "SET",
                 "u8",
                 "0",
                 "-1",
                 "OVERFLOW",
                 "WRAP",
                 "SET",
                 "i8",
                 "8",
                 "-9223372036854775808",
                 "OVERFLOW",
                 "SAT",
                 "SET",
                 "i8",
                 "8",
                 "-9223372036854775808",
                 "INCRBY",
                 "i64",
                 "16",
                 "9223372036854775807",
                 "INCRBY",
                 "i64",
                 "16",
                 "9223372036854775807",
                 "GET",
                 "i64",
                 "16"}),
            "[0, 255, 9, 255, (nil), 0, -1, 15, (nil), -1, 0, 9223372036854775807, "
            "9223372036854775807, 9223372036854775807]");
  // Redis's saturation quirks, as 7.0.15 answers them: a SET of a value far below an i8's
  // range saturates to the top; an unsigned SET of a negative number saturates to the max.
  EXPECT_EQ(Str({"BITFIELD",
                 "q",
                 "OVERFLOW",
                 "SAT",
                 "SET",
                 "i8",
                 "0",
                 "-9223372036854775808",
                 "GET",
                 "i8",
                 "0",
                 "SET",
                 "i8",
                 "0",
                 "-200",
                 "GET",
                 "i8",
                 "0",
                 "SET",
                 "i8",
                 "0",
                 "9223372036854775807",
                 "GET",
                 "i8",
                 "0",
                 "INCRBY",
                 "i8",
                 "0",
                 "-9223372036854775808",
                 "SET",
                 "i64",
                 "8",
                 "-9223372036854775808",
                 "INCRBY",
                 "i64",
                 "8",
                 "-1",
                 "OVERFLOW",
                 "WRAP",
                 "INCRBY",
                 "i64",
                 "8",
                 "-1",
                 "SET",
                 "i8",
                 "0",
                 "-9223372036854775808",
                 "GET",
                 "i8",
                 "0"}),
            "[0, 127, 127, -128, -128, 127, -128, 0, -9223372036854775808, "
            "9223372036854775807, -128, 0]");
  EXPECT_EQ(Str({"BITFIELD", "q2",
                 "OVERFLOW", "SAT",
                 "SET",      "u8",
                 "0",        "-9223372036854775808",
                 "GET",      "u8",
                 "0",        "SET",
                 "u8",       "0",
                 "-1",       "SET",
                 "u63",      "8",
                 "-1",       "GET",
                 "u63",      "8",
                 "INCRBY",   "u63",
                 "8",        "-9223372036854775808",
                 "INCRBY",   "u8",
                 "0",        "9223372036854775807",
                 "OVERFLOW", "WRAP",
                 "INCRBY",   "u8",
                 "0",        "-9223372036854775808",
                 "GET",      "u8",
                 "0"}),
            "[0, 255, 255, 0, 9223372036854775807, 0, 255, 255, 255]");
  // A write creates the key, zero-filled up to the highest bit written, even when it fails.
  EXPECT_EQ(Str({"BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u2", "#10", "5"}), "[(nil)]");
  EXPECT_EQ(Get("w"), std::string(3, '\0'));
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"}), "*1\r\n_\r\n");
  h_.SetResp(2);
  EXPECT_EQ(RunRaw({"BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"}), "*1\r\n$-1\r\n");
  // BITFIELD_RO reads.
  EXPECT_EQ(Str({"BITFIELD_RO", "k", "GET", "u8", "0", "OVERFLOW", "SAT", "GET", "i4", "#3"}),
            "[102, -1]");
  Run({"SET", "i", "12"});
  EXPECT_EQ(Str({"BITFIELD_RO", "i", "GET", "u16", "0"}), "[12594]");
}

// ---- errors
// -----------------------------------------------------------------------------------------------

TEST_F(BitmapTest, ArgumentErrors) {
  const std::string bad_offset = "(error) ERR bit offset is not an integer or out of range";
  const std::string bad_bit = "(error) ERR bit is not an integer or out of range";
  const std::string bad_type =
      "(error) ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
      "supported but i64 is.";
  const std::string syntax = "(error) ERR syntax error";
  const std::string not_int = "(error) ERR value is not an integer or out of range";
  Run({"SET", "k", "foobar"});
  EXPECT_EQ(Str({"SETBIT", "k", "x", "1"}), bad_offset);
  EXPECT_EQ(Str({"SETBIT", "k", "-1", "1"}), bad_offset);
  EXPECT_EQ(Str({"SETBIT", "k", "4294967296", "1"}), bad_offset);  // byte 512 MB
  EXPECT_EQ(Str({"SETBIT", "k", "1", "2"}), bad_bit);
  EXPECT_EQ(Str({"SETBIT", "k", "1", "x"}), bad_bit);
  EXPECT_EQ(Str({"SETBIT", "k", "1", "-1"}), bad_bit);
  EXPECT_EQ(Str({"GETBIT", "k", "x"}), bad_offset);
  EXPECT_EQ(Str({"GETBIT", "missing", "4294967296"}), bad_offset);

  EXPECT_EQ(Str({"BITCOUNT", "k", "1"}), syntax);
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "1", "foo"}), syntax);
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "1", "BIT", "x"}), syntax);
  EXPECT_EQ(Str({"BITCOUNT", "k", "x", "1"}), not_int);
  EXPECT_EQ(Str({"BITCOUNT", "k", "1", "x"}), not_int);
  // Redis 7.2: arguments are checked even when the key is missing (7.0 answered 0).
  EXPECT_EQ(Str({"BITCOUNT", "missing", "1"}), syntax);
  EXPECT_EQ(Str({"BITCOUNT", "missing", "x", "1"}), not_int);
  EXPECT_EQ(Str({"BITCOUNT", "k", "-1", "-5", "foo"}), syntax);

  EXPECT_EQ(Str({"BITPOS", "k", "2"}), "(error) ERR The bit argument must be 1 or 0.");
  EXPECT_EQ(Str({"BITPOS", "missing", "-1"}), "(error) ERR The bit argument must be 1 or 0.");
  EXPECT_EQ(Str({"BITPOS", "k", "x"}), not_int);
  EXPECT_EQ(Str({"BITPOS", "k", "1", "x"}), not_int);
  EXPECT_EQ(Str({"BITPOS", "k", "1", "0", "x"}), not_int);
  EXPECT_EQ(Str({"BITPOS", "k", "1", "0", "1", "foo"}), syntax);
  EXPECT_EQ(Str({"BITPOS", "k", "1", "0", "1", "BIT", "x"}), syntax);
  EXPECT_EQ(Str({"BITPOS", "missing", "1", "x"}), not_int);
  EXPECT_EQ(Str({"BITPOS", "missing", "1", "0", "1", "foo"}), syntax);

  EXPECT_EQ(Str({"BITOP", "FOO", "d", "k"}), syntax);
  EXPECT_EQ(Str({"BITOP", "NOT", "d", "k", "k"}),
            "(error) ERR BITOP NOT must be called with a single source key.");
  EXPECT_EQ(Str({"BITOP", "NOT", "d", "missing", "k"}),
            "(error) ERR BITOP NOT must be called with a single source key.");

  EXPECT_EQ(Str({"BITFIELD", "k", "GET", "i8"}), syntax);
  EXPECT_EQ(Str({"BITFIELD", "k", "INCRBY", "i8", "0"}), syntax);
  EXPECT_EQ(Str({"BITFIELD", "k", "OVERFLOW"}), syntax);
  EXPECT_EQ(Str({"BITFIELD", "k", "FOO"}), syntax);
  EXPECT_EQ(Str({"BITFIELD", "k", "OVERFLOW", "FOO", "GET", "i8", "0"}),
            "(error) ERR Invalid OVERFLOW type specified");
  for (const char* type : {"u64", "i65", "I8", "i0", "u0", "i", "x8", "i-1", "", "u08x"}) {
    EXPECT_EQ(Str({"BITFIELD", "k", "GET", type, "0"}), bad_type) << type;
  }
  for (const char* offset : {"-1", "x", "#x", "#-1", "4294967296", "#4294967296", "#", "1.5"}) {
    EXPECT_EQ(Str({"BITFIELD", "k", "GET", "i8", offset}), bad_offset) << offset;
  }
  // "#" offsets that overflow when multiplied are out of range, not wrapped.
  EXPECT_EQ(Str({"BITFIELD", "k", "GET", "i64", "#9223372036854775807"}), bad_offset);
  EXPECT_EQ(Str({"BITFIELD", "k", "SET", "i8", "0", "x"}), not_int);
  EXPECT_EQ(Str({"BITFIELD", "k", "INCRBY", "i8", "0", "1.5"}), not_int);
  // Every operation is checked before any runs: nothing was written above.
  EXPECT_EQ(Str({"BITFIELD", "k", "SET", "u8", "0", "0", "GET", "u64", "0"}), bad_type);
  EXPECT_EQ(Get("k"), "foobar");
  EXPECT_EQ(Str({"BITFIELD_RO", "k", "SET", "i8", "0", "1"}),
            "(error) ERR BITFIELD_RO only supports the GET subcommand");
  EXPECT_EQ(Str({"BITFIELD_RO", "k", "INCRBY", "i8", "0", "1"}),
            "(error) ERR BITFIELD_RO only supports the GET subcommand");
  EXPECT_EQ(Str({"BITFIELD_RO", "k", "GET", "i8", "0", "SET", "u8", "x", "1"}), bad_offset);
  EXPECT_EQ(Get("k"), "foobar");
}

TEST_F(BitmapTest, ArityErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"SETBIT", "k", "0"}, "setbit"},
      {{"GETBIT", "k"}, "getbit"},
      {{"BITCOUNT"}, "bitcount"},
      {{"BITPOS", "k"}, "bitpos"},
      {{"BITOP", "AND", "d"}, "bitop"},
      {{"BITOP", "NOT", "d"}, "bitop"},
      {{"BITFIELD"}, "bitfield"},
      {{"BITFIELD_RO"}, "bitfield_ro"},
      {{"SETBIT", "k", "0", "1", "1"}, "setbit"},
      {{"GETBIT", "k", "0", "1"}, "getbit"},
  };
  for (const auto& [argv, name] : cases) {
    EXPECT_EQ(Run(argv).ToString(),
              "(error) ERR wrong number of arguments for '" + name + "' command");
  }
  EXPECT_EQ(Str({"BITCOUNT", "k", "0", "1", "BIT", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"BITPOS", "k", "1", "0", "1", "BIT", "x"}), "(error) ERR syntax error");
}

TEST_F(BitmapTest, WrongTypeForEveryCommand) {
  Run({"SADD", "s", "a"});
  const std::string wrongtype =
      "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::vector<std::string>> cases = {
      {"SETBIT", "s", "0", "1"},
      {"GETBIT", "s", "0"},
      {"BITCOUNT", "s"},
      {"BITCOUNT", "s", "0", "1", "BIT"},
      {"BITPOS", "s", "1"},
      {"BITPOS", "s", "0", "1", "2"},
      {"BITOP", "AND", "d", "s"},
      {"BITOP", "OR", "d", "missing", "s"},
      {"BITOP", "NOT", "d", "s"},
      {"BITFIELD", "s", "GET", "u8", "0"},
      {"BITFIELD", "s", "SET", "u8", "0", "1"},
      {"BITFIELD_RO", "s", "GET", "u8", "0"},
  };
  for (const auto& argv : cases) EXPECT_EQ(Run(argv).ToString(), wrongtype) << argv[0];
  Run({"HSET", "hash", "f", "v"});
  Run({"RPUSH", "list", "a"});
  Run({"ZADD", "zset", "1", "a"});
  for (const char* other : {"hash", "list", "zset"}) {
    EXPECT_EQ(Str({"SETBIT", other, "0", "1"}), wrongtype);
    EXPECT_EQ(Str({"BITCOUNT", other}), wrongtype);
    EXPECT_EQ(Str({"BITPOS", other, "0"}), wrongtype);
    EXPECT_EQ(Str({"BITOP", "OR", "d", "missing", other}), wrongtype);
    EXPECT_EQ(Str({"BITFIELD", other, "INCRBY", "u8", "0", "1"}), wrongtype);
  }
  EXPECT_EQ(Str({"SCARD", "s"}), "1");
  EXPECT_EQ(Str({"EXISTS", "d"}), "0");
}

TEST_F(BitmapTest, OffsetsAreCappedByProtoMaxBulkLen) {
  const std::string bad_offset = "(error) ERR bit offset is not an integer or out of range";
  EXPECT_EQ(Str({"CONFIG", "SET", "proto-max-bulk-len", "1mb"}), "OK");
  // Byte 1048576 is the first one past the limit.
  EXPECT_EQ(Str({"SETBIT", "k", "8388608", "1"}), bad_offset);
  EXPECT_EQ(Str({"GETBIT", "k", "8388608"}), bad_offset);
  EXPECT_EQ(Str({"BITFIELD", "k", "SET", "u8", "#1048576", "1"}), bad_offset);
  EXPECT_EQ(Str({"BITFIELD_RO", "k", "GET", "u8", "8388608"}), bad_offset);
  EXPECT_EQ(Str({"EXISTS", "k"}), "0");
  EXPECT_EQ(Str({"SETBIT", "k", "8388607", "1"}), "0");
  EXPECT_EQ(Str({"STRLEN", "k"}), "1048576");
  EXPECT_EQ(Str({"BITCOUNT", "k"}), "1");
  EXPECT_EQ(Str({"BITPOS", "k", "1"}), "8388607");
  EXPECT_EQ(Str({"BITPOS", "k", "0", "-1"}), "8388600");
  // As in Redis, BITFIELD checks the offset, not offset + width: a field may end past the cap.
  EXPECT_EQ(Str({"BITFIELD", "k", "SET", "u8", "8388607", "255"}), "[128]");
  EXPECT_EQ(Str({"STRLEN", "k"}), "1048577");
  EXPECT_EQ(Str({"CONFIG", "SET", "proto-max-bulk-len", "512mb"}), "OK");
  EXPECT_EQ(Str({"SETBIT", "k", "8388608", "1"}), "1");
}

// ---- randomized comparisons
// -------------------------------------------------------------------------------

// The reference bitmap: bits, most significant bit of byte 0 first; its length in bytes is what
// STRLEN would say.
struct BitModel {
  std::vector<bool> bits;
  size_t bytes() const { return bits.size() / 8; }
  void Grow(size_t nbytes) {
    if (nbytes > bytes()) bits.resize(nbytes * 8, false);
  }
  static BitModel FromString(const std::string& s) {
    BitModel m;
    for (unsigned char c : s) {
      for (int b = 7; b >= 0; --b) m.bits.push_back(((c >> b) & 1) != 0);
    }
    return m;
  }
  std::string ToString() const {
    std::string s(bytes(), '\0');
    for (size_t i = 0; i < bits.size(); ++i) {
      if (bits[i]) s[i / 8] = static_cast<char>(s[i / 8] | (0x80 >> (i % 8)));
    }
    return s;
  }
};

// Redis's range rules, bit by bit: negative indexes from the end, clamped.
bool Clamp(int64_t total, int64_t* s, int64_t* e) {
  if (*s < 0) *s += total;
  if (*e < 0) *e += total;
  *s = std::max<int64_t>(*s, 0);
  *e = std::max<int64_t>(*e, 0);
  *e = std::min<int64_t>(*e, total - 1);
  return *s <= *e;
}

int64_t ModelBitcount(const BitModel& m, std::optional<std::pair<int64_t, int64_t>> range,
                      bool in_bits) {
  int64_t s = 0;
  int64_t e = static_cast<int64_t>(m.bits.size()) - 1;
  if (range) {
    s = range->first;
    e = range->second;
    if (s < 0 && e < 0 && s > e) return 0;
    const int64_t total = static_cast<int64_t>(in_bits ? m.bits.size() : m.bytes());
    if (!Clamp(total, &s, &e)) return 0;
    if (!in_bits) {
      s *= 8;
      e = e * 8 + 7;
    }
  }
  int64_t n = 0;
  for (int64_t i = s; i <= e; ++i) n += m.bits[static_cast<size_t>(i)] ? 1 : 0;
  return n;
}

int64_t ModelBitpos(const BitModel& m, int bit, std::optional<int64_t> start,
                    std::optional<int64_t> end, bool in_bits) {
  const auto len = static_cast<int64_t>(m.bytes());
  int64_t s = start.value_or(0);
  int64_t e = end.value_or(in_bits ? len * 8 + 7 : len - 1);
  if (!Clamp(in_bits ? len * 8 : len, &s, &e)) return -1;
  if (!in_bits) {
    s *= 8;
    e = e * 8 + 7;
  }
  for (int64_t i = s; i <= e; ++i) {
    if (m.bits[static_cast<size_t>(i)] == (bit == 1)) return i;
  }
  if (bit == 1 || end.has_value()) return -1;
  return e + 1;  // a clear bit is found in the zero padding after the string
}

TEST(BitmapModelTest, SetbitGetbitBitcountBitposAgainstVectorOfBool) {
  CommandHarness h;
  h.Run({"ECHO", std::string(1 << 16, 'w')});  // reply buffer capacity, kept by the harness
  h.Run({"SADD", "s", "a"});
  h.Run({"SETBIT", "s", "1", "1"});  // error counters
  h.Run({"SETBIT", "x", "1", "2"});
  h.Run({"FLUSHALL", "SYNC"});
  const size_t mem_start = mem::UsedMemory();
  {
    std::mt19937_64 rng(2024);
    std::map<std::string, BitModel> model;
    const std::vector<std::string> keys = {"a", "b", "c"};
    auto rand_index = [&](int64_t len) {
      // Mostly inside [-len, len], sometimes far outside, sometimes 0 / -1.
      const int64_t span = std::max<int64_t>(len, 1);
      switch (rng() % 6) {
        case 0:
          return static_cast<int64_t>(rng() % 3) - 1;
        case 1:
          return static_cast<int64_t>(rng() % 1000) - 500;
        default:
          return static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * span + 1)) - span;
      }
    };
    for (int step = 0; step < 20000; ++step) {
      const std::string& k = keys[rng() % keys.size()];
      BitModel& m = model[k];
      const std::string trace = "step " + std::to_string(step) + " key " + k;
      switch (rng() % 10) {
        case 0: {  // SET a random value (sometimes an integer, which reads as its digits)
          std::string v;
          if (rng() % 3 == 0) {
            v = std::to_string(static_cast<int64_t>(rng() % 100000) - 50000);
          } else {
            v.resize(rng() % 70);
            // Long runs of 0x00 or 0xff, so that the word-skipping paths have work.
            const int style = static_cast<int>(rng() % 3);
            for (char& c : v) {
              c = style == 0   ? static_cast<char>(rng())
                  : style == 1 ? static_cast<char>(rng() % 50 == 0 ? 1 << (rng() % 8) : 0)
                               : static_cast<char>(rng() % 50 == 0 ? 0xfe : 0xff);
            }
          }
          h.Run({"SET", k, v});
          m = BitModel::FromString(v);
          break;
        }
        case 1:
        case 2: {  // SETBIT
          const uint64_t off = rng() % 4 == 0 ? rng() % 2000 : rng() % (m.bits.size() + 16);
          const int on = static_cast<int>(rng() % 2);
          m.Grow(off / 8 + 1);
          const int64_t old = m.bits[off] ? 1 : 0;
          m.bits[off] = on == 1;
          ASSERT_EQ(h.Run({"SETBIT", k, std::to_string(off), std::to_string(on)}).integer, old)
              << trace;
          break;
        }
        case 3: {  // GETBIT
          const uint64_t off = rng() % (m.bits.size() + 40);
          ASSERT_EQ(h.Run({"GETBIT", k, std::to_string(off)}).integer,
                    off < m.bits.size() && m.bits[off] ? 1 : 0)
              << trace;
          break;
        }
        case 4:
        case 5: {  // BITCOUNT
          const auto len = static_cast<int64_t>(m.bytes());
          const int form = static_cast<int>(rng() % 4);
          if (form == 0) {
            ASSERT_EQ(h.Run({"BITCOUNT", k}).integer, ModelBitcount(m, std::nullopt, false))
                << trace;
            break;
          }
          const bool in_bits = form == 3;
          const int64_t s = rand_index(in_bits ? len * 8 : len);
          const int64_t e = rand_index(in_bits ? len * 8 : len);
          std::vector<std::string> argv = {"BITCOUNT", k, std::to_string(s), std::to_string(e)};
          if (form >= 2) argv.push_back(in_bits ? "BIT" : "BYTE");
          ASSERT_EQ(h.Run(argv).integer, ModelBitcount(m, std::make_pair(s, e), in_bits))
              << trace << " " << s << " " << e << " " << in_bits;
          break;
        }
        default: {  // BITPOS
          const auto len = static_cast<int64_t>(m.bytes());
          const int bit = static_cast<int>(rng() % 2);
          const int form = static_cast<int>(rng() % 5);
          std::vector<std::string> argv = {"BITPOS", k, std::to_string(bit)};
          std::optional<int64_t> s;
          std::optional<int64_t> e;
          const bool in_bits = form == 4;
          if (form >= 1) s = rand_index(in_bits ? len * 8 : len);
          if (form >= 2) e = rand_index(in_bits ? len * 8 : len);
          if (s) argv.push_back(std::to_string(*s));
          if (e) argv.push_back(std::to_string(*e));
          if (form >= 3) argv.push_back(in_bits ? "BIT" : "BYTE");
          const int64_t expect = h.keyspace().db(0).LookupNoTouch(k) == nullptr
                                     ? (bit ? -1 : 0)
                                     : ModelBitpos(m, bit, s, e, in_bits);
          ASSERT_EQ(h.Run(argv).integer, expect)
              << trace << " bit " << bit << " form " << form << " " << s.value_or(-999) << " "
              << e.value_or(-999);
          break;
        }
      }
      // Whenever the key exists, its bytes are the model's.
      if (h.keyspace().db(0).LookupNoTouch(k) != nullptr && rng() % 10 == 0) {
        ASSERT_EQ(h.Run({"GET", k}).str, m.ToString()) << trace;
      }
    }
  }
  EXPECT_EQ(h.Run({"FLUSHALL", "SYNC"}).ToString(), "OK");
  EXPECT_EQ(mem::UsedMemory(), mem_start);  // nothing leaked
}

TEST(BitmapModelTest, BitopAgainstByteModel) {
  CommandHarness h;
  std::mt19937_64 rng(99);
  const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "missing"};
  std::map<std::string, std::string> values;
  for (int round = 0; round < 600; ++round) {
    for (int i = 0; i < 4; ++i) {
      const std::string k = "k" + std::to_string(i);
      std::string v;
      if (rng() % 5 == 0) {
        v = std::to_string(rng() % 1000000);  // int-encoded
      } else {
        v.resize(rng() % 45);  // across 8-byte words and embstr/raw sizes
        for (char& c : v) c = static_cast<char>(rng());
      }
      h.Run({"SET", k, v});
      values[k] = v;
    }
    const char* ops[] = {"AND", "OR", "XOR", "NOT"};
    const std::string op = ops[rng() % 4];
    std::vector<std::string> srcs;
    const size_t n = op == "NOT" ? 1 : 1 + rng() % 4;
    for (size_t i = 0; i < n; ++i) srcs.push_back(keys[rng() % keys.size()]);
    std::string dest = rng() % 4 == 0 ? srcs[0] : "dest";
    size_t maxlen = 0;
    for (const std::string& s : srcs) maxlen = std::max(maxlen, values[s].size());
    std::string expect(maxlen, '\0');
    for (size_t j = 0; j < maxlen; ++j) {
      auto byte = [&](const std::string& s) -> unsigned char {
        const std::string& v = values[s];
        return j < v.size() ? static_cast<unsigned char>(v[j]) : 0;
      };
      unsigned char acc = byte(srcs[0]);
      if (op == "NOT") acc = static_cast<unsigned char>(~acc);
      for (size_t i = 1; i < srcs.size(); ++i) {
        if (op == "AND") acc &= byte(srcs[i]);
        if (op == "OR") acc |= byte(srcs[i]);
        if (op == "XOR") acc ^= byte(srcs[i]);
      }
      expect[j] = static_cast<char>(acc);
    }
    std::vector<std::string> argv = {"BITOP", op, dest};
    argv.insert(argv.end(), srcs.begin(), srcs.end());
    ASSERT_EQ(h.Run(argv).integer, static_cast<int64_t>(maxlen)) << round;
    if (maxlen == 0) {
      ASSERT_EQ(h.Run({"EXISTS", dest}).integer, 0) << round;
    } else {
      ASSERT_EQ(h.Run({"GET", dest}).str, expect) << round << " " << op;
    }
    if (dest != "dest") values[dest] = expect;
    h.Run({"DEL", "dest"});
  }
}

// ---- BITFIELD against a reference written from the documented semantics
// ------------------------------

// The reference computes in 128-bit arithmetic: a value overflows when the exact result leaves
// the field's range; WRAP keeps the low bits (two's complement for signed fields), SAT clamps to
// the bound that was crossed, FAIL answers null and writes nothing. One Redis quirk is kept on
// purpose: a signed SET of a value so negative that max - value overflows int64 saturates to the
// maximum (checkSignedBitfieldOverflow computes that difference in 64 bits).
struct FieldRef {
  std::string bytes;

  uint64_t Read(uint64_t offset, int bits) const {
    uint64_t v = 0;
    for (int j = 0; j < bits; ++j) {
      const uint64_t bit = offset + static_cast<uint64_t>(j);
      const uint64_t byte = bit / 8;
      const int b =
          byte < bytes.size() ? (static_cast<unsigned char>(bytes[byte]) >> (7 - bit % 8)) & 1 : 0;
      v = (v << 1) | static_cast<uint64_t>(b);
    }
    return v;
  }
  void Write(uint64_t offset, int bits, uint64_t v) {
    for (int j = 0; j < bits; ++j) {
      const uint64_t bit = offset + static_cast<uint64_t>(j);
      const auto mask = static_cast<unsigned char>(0x80 >> (bit % 8));
      auto c = static_cast<unsigned char>(bytes[bit / 8]);
      c = ((v >> (bits - 1 - j)) & 1) != 0 ? (c | mask) : (c & ~mask);
      bytes[bit / 8] = static_cast<char>(c);
    }
  }
  static int64_t SignExtend(uint64_t v, int bits) {
    if (bits < 64 && ((v >> (bits - 1)) & 1) != 0) v |= ~uint64_t{0} << bits;
    return static_cast<int64_t>(v);
  }
  static uint64_t LowBits(__int128 v, int bits) {
    const auto u = static_cast<unsigned __int128>(v);
    return bits == 64
               ? static_cast<uint64_t>(u)
               : static_cast<uint64_t>(u & ((static_cast<unsigned __int128>(1) << bits) - 1));
  }

  // One SET or INCRBY; returns the reply (nullopt: null).
  std::optional<int64_t> Modify(bool incr, bool is_signed, int bits, uint64_t offset, int64_t arg,
                                const std::string& overflow) {
    const uint64_t raw_old = Read(offset, bits);
    __int128 lo;
    __int128 hi;
    __int128 old;
    if (is_signed) {
      old = SignExtend(raw_old, bits);
      hi = (static_cast<__int128>(1) << (bits - 1)) - 1;
      lo = -hi - 1;
    } else {
      old = raw_old;
      hi = (static_cast<__int128>(1) << bits) - 1;
      lo = 0;
    }
    // An unsigned SET takes the argument's 64 bits as unsigned (-1 is 2^64 - 1).
    __int128 target;
    if (incr) {
      target = old + arg;
    } else if (is_signed) {
      target = arg;
    } else {
      target = static_cast<uint64_t>(arg);
    }
    uint64_t store;
    if (target >= lo && target <= hi) {
      store = LowBits(target, bits);
    } else if (overflow == "FAIL") {
      return std::nullopt;
    } else if (overflow == "WRAP") {
      store = LowBits(target, bits);
    } else {  // SAT
      bool high = target > hi;
      if (!incr && is_signed && bits < 64 && static_cast<__int128>(hi) - arg > INT64_MAX) {
        high = true;  // the quirk described above
      }
      store = LowBits(high ? hi : lo, bits);
    }
    Write(offset, bits, store);
    if (!incr) return is_signed ? SignExtend(raw_old, bits) : static_cast<int64_t>(raw_old);
    return is_signed ? SignExtend(store, bits) : static_cast<int64_t>(store);
  }
};

TEST(BitmapModelTest, BitfieldAgainstReference) {
  CommandHarness h;
  std::mt19937_64 rng(31337);
  FieldRef ref;
  bool exists = false;
  int ops_run = 0;
  for (int round = 0; round < 1500; ++round) {
    std::vector<std::string> argv = {"BITFIELD", "bf"};
    std::vector<std::optional<int64_t>> expect;
    std::string overflow = "WRAP";
    // The string is grown to the highest written bit before anything runs.
    struct Op {
      int kind;  // 0 GET, 1 SET, 2 INCRBY
      bool is_signed;
      int bits;
      uint64_t offset;
      int64_t arg;
      std::string overflow;
    };
    std::vector<Op> ops;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) {
      if (rng() % 4 == 0) {
        const char* types[] = {"WRAP", "SAT", "FAIL"};
        overflow = types[rng() % 3];
        argv.push_back("OVERFLOW");
        argv.push_back(overflow);
      }
      Op op;
      op.kind = static_cast<int>(rng() % 3);
      op.is_signed = rng() % 2 == 0;
      op.bits = 1 + static_cast<int>(rng() % (op.is_signed ? 64 : 63));
      if (rng() % 3 == 0) {
        const uint64_t index = rng() % 40;
        op.offset = index * static_cast<uint64_t>(op.bits);
        argv.push_back(op.kind == 0 ? "GET" : op.kind == 1 ? "SET" : "INCRBY");
        argv.push_back((op.is_signed ? "i" : "u") + std::to_string(op.bits));
        argv.push_back("#" + std::to_string(index));
      } else {
        op.offset = rng() % 600;
        argv.push_back(op.kind == 0 ? "GET" : op.kind == 1 ? "SET" : "INCRBY");
        argv.push_back((op.is_signed ? "i" : "u") + std::to_string(op.bits));
        argv.push_back(std::to_string(op.offset));
      }
      switch (rng() % 4) {
        case 0:
          op.arg = static_cast<int64_t>(rng());
          break;
        case 1:
          op.arg = static_cast<int64_t>(rng() % 20) - 10;
          break;
        case 2:
          op.arg = rng() % 2 ? INT64_MAX - static_cast<int64_t>(rng() % 3)
                             : INT64_MIN + static_cast<int64_t>(rng() % 3);
          break;
        default:
          op.arg = static_cast<int64_t>(rng() % (uint64_t{1} << (rng() % 63)));
      }
      if (op.kind != 0) argv.push_back(std::to_string(op.arg));
      op.overflow = overflow;
      ops.push_back(op);
    }
    uint64_t highest = 0;
    bool writes = false;
    for (const Op& op : ops) {
      if (op.kind != 0) {
        writes = true;
        highest = std::max(highest, op.offset + static_cast<uint64_t>(op.bits) - 1);
      }
    }
    if (writes) {
      if (ref.bytes.size() < highest / 8 + 1) ref.bytes.resize(highest / 8 + 1, '\0');
      exists = true;
    }
    for (const Op& op : ops) {
      if (op.kind == 0) {
        const uint64_t raw = ref.Read(op.offset, op.bits);
        expect.push_back(op.is_signed ? FieldRef::SignExtend(raw, op.bits)
                                      : static_cast<int64_t>(raw));
      } else {
        expect.push_back(
            ref.Modify(op.kind == 2, op.is_signed, op.bits, op.offset, op.arg, op.overflow));
      }
      ++ops_run;
    }
    RespValue r = h.Run(argv);
    ASSERT_EQ(r.size(), expect.size()) << round << " " << r.ToString();
    for (size_t i = 0; i < expect.size(); ++i) {
      if (expect[i]) {
        ASSERT_EQ(r[i].type, RespValue::Type::kInteger) << round << " op " << i;
        ASSERT_EQ(r[i].integer, *expect[i]) << round << " op " << i;
      } else {
        ASSERT_TRUE(r[i].IsNull()) << round << " op " << i;
      }
    }
    if (exists) {
      ASSERT_EQ(h.Run({"GET", "bf"}).str, ref.bytes) << round;
    }
    // BITFIELD_RO reads the same.
    RespValue ro = h.Run({"BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i13", "5"});
    ASSERT_EQ(ro[0].integer, static_cast<int64_t>(ref.Read(0, 8)));
    ASSERT_EQ(ro[1].integer, FieldRef::SignExtend(ref.Read(5, 13), 13));
  }
  EXPECT_GT(ops_run, 3000);
}

}  // namespace
}  // namespace mnemo::test

// list_test.cc: the list commands through the dispatcher, the listpack/quicklist encodings and
// their conversions, and the list value operations (free, lazy free, memory, copy) (tests/cmd).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "command_harness.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/value.h"
#include "mnemo/ds/quicklist.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::test {
namespace {

// ---- helpers ------------------------------------------------------------------------------------

db::Object* Obj(CommandHarness& h, std::string_view key) {
  return h.keyspace().db(0).LookupNoTouch(key);
}

// OBJECT ENCODING's answer, read from the object ("none" for a missing key).
std::string Enc(CommandHarness& h, std::string_view key) {
  const db::Object* o = Obj(h, key);
  return o == nullptr ? "none" : db::EncodingName(*o);
}

// RPUSH key with every element of `values` in one command.
RespValue Rpush(CommandHarness& h, std::string_view key, const std::vector<std::string>& values) {
  std::vector<std::string> argv{"RPUSH", std::string(key)};
  argv.insert(argv.end(), values.begin(), values.end());
  return h.Run(argv);
}

// The reply display of an array of strings ("[a, b]").
std::string Display(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}
std::string Display(const std::deque<std::string>& d) {
  return Display(std::vector<std::string>(d.begin(), d.end()));
}

// For the model test: strings quoted, so that an empty string and an empty array differ.
std::string Q(const std::string& s) { return "\"" + s + "\""; }
std::string DisplayQ(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + Q(v[i]);
  return s + "]";
}
std::string DisplayQ(const std::deque<std::string>& d) {
  return DisplayQ(std::vector<std::string>(d.begin(), d.end()));
}
// A reply's display with its strings quoted (integers, nulls and errors as ToString).
std::string Show(const RespValue& v) {
  if (v.type == RespValue::Type::kBulk || v.type == RespValue::Type::kSimple) return Q(v.str);
  if (v.type != RespValue::Type::kArray) return v.ToString();
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + Show(v[i]);
  return s + "]";
}

// Runs one command whose reply is bigger than any the test will see, so that the harness's
// reply buffer has its final capacity before a memory baseline is taken, then FLUSHALL SYNC, which
// frees the key tables: the state a later FLUSHALL SYNC returns to.
void WarmReplyBuffer(CommandHarness& h, size_t bytes) {
  h.Run({"RPUSH", "__warm", std::string(bytes, 'w')});
  h.Run({"LRANGE", "__warm", "0", "-1"});
  h.Run({"FLUSHALL", "SYNC"});
  // The first error reply of a kind adds a counter to the error statistics (INFO errorstats).
  h.Run({"LSET", "__warm", "0", "x"});
}

// Bytes the object owns: its block and its value's allocations (what DEL gives back).
size_t ObjectBytes(const db::Object& o) {
  return o.BlockSize() + db::ValueMemoryUsage(db::ValueOf(o), 0);
}

class ListTest : public CommandTest {
 protected:
  std::string Encoding(std::string_view key) { return Enc(h_, key); }
  const ds::Quicklist* Ql(std::string_view key) { return db::ListQuicklist(*Obj(h_, key)); }
};

// ---- push, pop, length
// ----------------------------------------------------------------------------

TEST_F(ListTest, PushAddsAtEachEndAndRepliesLength) {
  EXPECT_EQ(Str({"LPUSH", "l", "a", "b", "c"}), "3");  // c b a
  EXPECT_EQ(Str({"RPUSH", "l", "d", "e"}), "5");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[c, b, a, d, e]");
  EXPECT_EQ(Str({"LLEN", "l"}), "5");
  EXPECT_EQ(Str({"LLEN", "missing"}), "0");
  EXPECT_EQ(Encoding("l"), "listpack");
  // Integers are stored as integers and read back as the same bytes; near-integers stay strings.
  EXPECT_EQ(Str({"RPUSH", "n", "1", "-7", "9223372036854775807", "007", "-0", "1.5", ""}), "7");
  EXPECT_EQ(Str({"LRANGE", "n", "0", "-1"}), "[1, -7, 9223372036854775807, 007, -0, 1.5, ]");
  EXPECT_EQ(Str({"LPUSH", "l"}), "(error) ERR wrong number of arguments for 'lpush' command");
  EXPECT_EQ(Str({"RPUSH", "l"}), "(error) ERR wrong number of arguments for 'rpush' command");
}

TEST_F(ListTest, PushxOnlyWhenTheKeyExists) {
  EXPECT_EQ(Str({"LPUSHX", "l", "a"}), "0");
  EXPECT_EQ(Str({"RPUSHX", "l", "a", "b"}), "0");
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");
  EXPECT_EQ(Str({"RPUSH", "l", "m"}), "1");
  EXPECT_EQ(Str({"LPUSHX", "l", "a", "b"}), "3");
  EXPECT_EQ(Str({"RPUSHX", "l", "y", "z"}), "5");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, a, m, y, z]");
  EXPECT_EQ(Str({"LPUSHX", "l"}), "(error) ERR wrong number of arguments for 'lpushx' command");
  EXPECT_EQ(Str({"RPUSHX", "l"}), "(error) ERR wrong number of arguments for 'rpushx' command");
}

TEST_F(ListTest, PopSingleAndWithCount) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Str({"LPOP", "l"}), "a");
  EXPECT_EQ(Str({"RPOP", "l"}), "e");
  EXPECT_EQ(Str({"LPOP", "l", "2"}), "[b, c]");
  EXPECT_EQ(Str({"RPUSH", "l", "x", "y"}), "3");  // d x y
  EXPECT_EQ(Str({"RPOP", "l", "2"}), "[y, x]");   // in the order they are popped
  EXPECT_EQ(Str({"LPOP", "l", "0"}), "[]");       // count 0: an empty array, nothing popped
  EXPECT_EQ(Str({"LLEN", "l"}), "1");
  EXPECT_EQ(Str({"RPOP", "l", "10"}), "[d]");  // more than there are
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");        // the emptied list is deleted
  Run({"RPUSH", "l", "only"});
  EXPECT_EQ(Str({"RPOP", "l"}), "only");
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");
}

TEST_F(ListTest, PopErrors) {
  Run({"RPUSH", "l", "a"});
  EXPECT_EQ(Str({"LPOP", "l", "-1"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"RPOP", "l", "-5"}), "(error) ERR value is out of range, must be positive");
  // Redis uses the same message for a count that is not a number.
  EXPECT_EQ(Str({"LPOP", "l", "abc"}), "(error) ERR value is out of range, must be positive");
  // The count is checked before the key is looked up.
  EXPECT_EQ(Str({"LPOP", "missing", "-1"}), "(error) ERR value is out of range, must be positive");
  EXPECT_EQ(Str({"LPOP", "l", "1", "2"}),
            "(error) ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(Str({"RPOP", "l", "1", "2"}),
            "(error) ERR wrong number of arguments for 'rpop' command");
  EXPECT_EQ(Str({"LPOP"}), "(error) ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(Str({"LLEN", "l"}), "1");  // nothing was popped
}

TEST_F(ListTest, NullShapesInResp2AndResp3) {
  Run({"RPUSH", "l", "a"});
  EXPECT_EQ(RunRaw({"LPOP", "missing"}), "$-1\r\n");       // null bulk
  EXPECT_EQ(RunRaw({"LPOP", "missing", "1"}), "*-1\r\n");  // null array
  EXPECT_EQ(RunRaw({"RPOP", "missing", "0"}), "*-1\r\n");  // the key is looked up first
  EXPECT_EQ(RunRaw({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"LINDEX", "l", "5"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"LPOS", "l", "zz"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"LPOS", "missing", "zz"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"LPOS", "missing", "zz", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"LMOVE", "missing", "l", "LEFT", "LEFT"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"RPOPLPUSH", "missing", "l"}), "$-1\r\n");
  EXPECT_EQ(RunRaw({"LMPOP", "1", "missing", "LEFT"}), "*-1\r\n");
  EXPECT_EQ(RunRaw({"LRANGE", "missing", "0", "-1"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"LPOP", "l", "1"}), "*1\r\n$1\r\na\r\n");
  Run({"RPUSH", "l", "a"});
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"LPOP", "missing"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LPOP", "missing", "1"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LINDEX", "l", "5"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LPOS", "l", "zz"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LMOVE", "missing", "l", "LEFT", "LEFT"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LMPOP", "1", "missing", "LEFT"}), "_\r\n");
  EXPECT_EQ(RunRaw({"LPOS", "l", "zz", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(RunRaw({"LMPOP", "1", "l", "RIGHT"}), "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n");
}

// ---- reading
// -------------------------------------------------------------------------------------

TEST_F(ListTest, Lindex) {
  Run({"RPUSH", "l", "a", "b", "100", "d"});
  EXPECT_EQ(Str({"LINDEX", "l", "0"}), "a");
  EXPECT_EQ(Str({"LINDEX", "l", "2"}), "100");
  EXPECT_EQ(Str({"LINDEX", "l", "-1"}), "d");
  EXPECT_EQ(Str({"LINDEX", "l", "-4"}), "a");
  EXPECT_EQ(Str({"LINDEX", "l", "4"}), "(nil)");
  EXPECT_EQ(Str({"LINDEX", "l", "-5"}), "(nil)");
  EXPECT_EQ(Str({"LINDEX", "l", "abc"}), "(error) ERR value is not an integer or out of range");
  // A missing key answers null before the index is parsed.
  EXPECT_EQ(Str({"LINDEX", "missing", "abc"}), "(nil)");
  EXPECT_EQ(Str({"LINDEX", "l"}), "(error) ERR wrong number of arguments for 'lindex' command");
}

TEST_F(ListTest, Lrange) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Str({"LRANGE", "l", "0", "0"}), "[a]");
  EXPECT_EQ(Str({"LRANGE", "l", "1", "3"}), "[b, c, d]");
  EXPECT_EQ(Str({"LRANGE", "l", "-3", "-1"}), "[c, d, e]");
  EXPECT_EQ(Str({"LRANGE", "l", "-100", "100"}), "[a, b, c, d, e]");
  EXPECT_EQ(Str({"LRANGE", "l", "3", "1"}), "[]");
  EXPECT_EQ(Str({"LRANGE", "l", "5", "10"}), "[]");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-6"}), "[]");
  EXPECT_EQ(Str({"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}), "[a, b, c, d, e]");
  EXPECT_EQ(Str({"LRANGE", "l", "a", "1"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "1x"}), "(error) ERR value is not an integer or out of range");
  // Indexes are parsed before the key is looked up.
  EXPECT_EQ(Str({"LRANGE", "missing", "a", "1"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LRANGE", "l", "0"}),
            "(error) ERR wrong number of arguments for 'lrange' command");
}

TEST_F(ListTest, Lpos) {
  // The example of Redis's documentation.
  Run({"RPUSH", "l", "a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3"});
  EXPECT_EQ(Str({"LPOS", "l", "3"}), "6");
  EXPECT_EQ(Str({"LPOS", "l", "3", "COUNT", "0", "RANK", "2"}), "[8, 9, 10]");
  EXPECT_EQ(Str({"LPOS", "l", "3", "RANK", "-1"}), "10");
  EXPECT_EQ(Str({"LPOS", "l", "3", "RANK", "-2", "COUNT", "2"}), "[9, 8]");
  EXPECT_EQ(Str({"LPOS", "l", "3", "COUNT", "0"}), "[6, 8, 9, 10]");
  EXPECT_EQ(Str({"LPOS", "l", "3", "COUNT", "2"}), "[6, 8]");
  EXPECT_EQ(Str({"LPOS", "l", "3", "RANK", "5"}), "(nil)");
  EXPECT_EQ(Str({"LPOS", "l", "3", "RANK", "5", "COUNT", "0"}), "[]");
  EXPECT_EQ(Str({"LPOS", "l", "3", "MAXLEN", "6"}), "(nil)");  // compares a..2 only
  EXPECT_EQ(Str({"LPOS", "l", "3", "MAXLEN", "7"}), "6");
  EXPECT_EQ(Str({"LPOS", "l", "3", "COUNT", "0", "MAXLEN", "9"}), "[6, 8]");
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "10"}), "(nil)");
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "-1", "MAXLEN", "11"}), "0");
  EXPECT_EQ(Str({"LPOS", "l", "b", "rank", "1", "count", "1", "maxlen", "0"}), "[1]");
  EXPECT_EQ(Str({"LPOS", "l", "zz"}), "(nil)");
  EXPECT_EQ(Str({"LPOS", "missing", "a"}), "(nil)");
  EXPECT_EQ(Str({"LPOS", "missing", "a", "COUNT", "1"}), "[]");
}

TEST_F(ListTest, LposErrors) {
  Run({"RPUSH", "l", "a"});
  const std::string rank_zero =
      "(error) ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
      "or use negative to start from the end of the list";
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "0"}), rank_zero);
  EXPECT_EQ(Str({"LPOS", "missing", "a", "RANK", "0"}), rank_zero);  // before the lookup
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "x"}),
            "(error) ERR value is not an integer or out of range");
  // Redis 7.2 refuses LONG_MIN (7.0 negated it and overflowed).
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "-9223372036854775808"}),
            "(error) ERR value is out of range, must be between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK", "-9223372036854775807"}), "(nil)");  // no such match
  EXPECT_EQ(Str({"LPOS", "l", "a", "COUNT", "-1"}), "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Str({"LPOS", "l", "a", "COUNT", "x"}), "(error) ERR COUNT can't be negative");
  EXPECT_EQ(Str({"LPOS", "l", "a", "MAXLEN", "-1"}), "(error) ERR MAXLEN can't be negative");
  EXPECT_EQ(Str({"LPOS", "l", "a", "MAXLEN", "x"}), "(error) ERR MAXLEN can't be negative");
  EXPECT_EQ(Str({"LPOS", "l", "a", "FOO", "1"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LPOS", "l", "a", "RANK"}), "(error) ERR syntax error");  // no value
  EXPECT_EQ(Str({"LPOS", "l"}), "(error) ERR wrong number of arguments for 'lpos' command");
}

// ---- editing
// -------------------------------------------------------------------------------------

TEST_F(ListTest, Linsert) {
  Run({"RPUSH", "l", "a", "5", "c"});
  EXPECT_EQ(Str({"LINSERT", "l", "BEFORE", "a", "x"}), "4");
  EXPECT_EQ(Str({"LINSERT", "l", "after", "5", "y"}), "5");  // integer pivot, any case
  EXPECT_EQ(Str({"LINSERT", "l", "AFTER", "c", "z"}), "6");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[x, a, 5, y, c, z]");
  EXPECT_EQ(Str({"LINSERT", "l", "BEFORE", "nope", "q"}), "-1");
  EXPECT_EQ(Str({"LINSERT", "missing", "BEFORE", "a", "q"}), "0");
  EXPECT_EQ(Str({"EXISTS", "missing"}), "0");
  EXPECT_EQ(Str({"LINSERT", "l", "MIDDLE", "a", "q"}), "(error) ERR syntax error");
  // The position is parsed before the key is looked up.
  EXPECT_EQ(Str({"LINSERT", "missing", "MIDDLE", "a", "q"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LINSERT", "l", "BEFORE", "a"}),
            "(error) ERR wrong number of arguments for 'linsert' command");
  // Only the first match is the pivot.
  Run({"RPUSH", "d", "p", "p"});
  EXPECT_EQ(Str({"LINSERT", "d", "AFTER", "p", "n"}), "3");
  EXPECT_EQ(Str({"LRANGE", "d", "0", "-1"}), "[p, n, p]");
}

TEST_F(ListTest, Lset) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Str({"LSET", "l", "0", "x"}), "OK");
  EXPECT_EQ(Str({"LSET", "l", "-1", "12"}), "OK");
  EXPECT_EQ(Str({"LSET", "l", "1", std::string(300, 'y')}), "OK");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "0"}), "[x]");
  EXPECT_EQ(Str({"LINDEX", "l", "1"}), std::string(300, 'y'));
  EXPECT_EQ(Str({"LINDEX", "l", "2"}), "12");
  EXPECT_EQ(Str({"LSET", "l", "3", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(Str({"LSET", "l", "-4", "x"}), "(error) ERR index out of range");
  EXPECT_EQ(Str({"LSET", "l", "abc", "x"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LSET", "missing", "0", "x"}), "(error) ERR no such key");
  // The key is looked up before the index is parsed.
  EXPECT_EQ(Str({"LSET", "missing", "abc", "x"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"LSET", "l", "0"}), "(error) ERR wrong number of arguments for 'lset' command");
}

TEST_F(ListTest, Lrem) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a", "1", "a"});
  EXPECT_EQ(Str({"LREM", "l", "2", "a"}), "2");  // the first two from the head
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, c, a, 1, a]");
  EXPECT_EQ(Str({"LREM", "l", "-1", "a"}), "1");  // the last one
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, c, a, 1]");
  EXPECT_EQ(Str({"LREM", "l", "0", "1"}), "1");  // an integer element by its bytes
  EXPECT_EQ(Str({"LREM", "l", "0", "zz"}), "0");
  Run({"RPUSH", "l", "a", "a"});
  EXPECT_EQ(Str({"LREM", "l", "0", "a"}), "3");  // all of them
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, c]");
  EXPECT_EQ(Str({"LREM", "l", "-9223372036854775808", "b"}), "1");
  EXPECT_EQ(Str({"LREM", "l", "0", "c"}), "1");
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");  // emptied: deleted
  EXPECT_EQ(Str({"LREM", "missing", "0", "a"}), "0");
  EXPECT_EQ(Str({"LREM", "l", "x", "a"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LREM", "missing", "x", "a"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LREM", "l", "0"}), "(error) ERR wrong number of arguments for 'lrem' command");
}

TEST_F(ListTest, Ltrim) {
  const std::vector<std::string> abcde{"a", "b", "c", "d", "e"};
  Rpush(h_, "l", abcde);
  EXPECT_EQ(Str({"LTRIM", "l", "1", "-2"}), "OK");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, c, d]");
  EXPECT_EQ(Str({"LTRIM", "l", "-100", "100"}), "OK");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b, c, d]");
  EXPECT_EQ(Str({"LTRIM", "l", "0", "0"}), "OK");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[b]");
  EXPECT_EQ(Str({"LTRIM", "l", "1", "0"}), "OK");  // empty range: the list goes
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");
  Rpush(h_, "l", abcde);
  EXPECT_EQ(Str({"LTRIM", "l", "5", "10"}), "OK");  // start past the end
  EXPECT_EQ(Str({"EXISTS", "l"}), "0");
  Rpush(h_, "l", abcde);
  EXPECT_EQ(Str({"LTRIM", "l", "-2", "-1"}), "OK");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[d, e]");
  EXPECT_EQ(Str({"LTRIM", "missing", "0", "1"}), "OK");
  EXPECT_EQ(Str({"LTRIM", "l", "a", "1"}), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LTRIM", "missing", "0", "b"}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Str({"LTRIM", "l", "0"}), "(error) ERR wrong number of arguments for 'ltrim' command");
}

// ---- moving between lists
// ------------------------------------------------------------------------

TEST_F(ListTest, RpoplpushAndLmove) {
  Run({"RPUSH", "src", "a", "b", "c"});
  EXPECT_EQ(Str({"RPOPLPUSH", "src", "dst"}), "c");  // creates dst
  EXPECT_EQ(Str({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), "a");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[c, a]");
  EXPECT_EQ(Str({"LMOVE", "dst", "src", "right", "left"}), "a");
  EXPECT_EQ(Str({"LRANGE", "src", "0", "-1"}), "[a, b]");
  EXPECT_EQ(Str({"LMOVE", "src", "dst", "LEFT", "LEFT"}), "a");
  EXPECT_EQ(Str({"LMOVE", "src", "dst", "RIGHT", "RIGHT"}), "b");
  EXPECT_EQ(Str({"EXISTS", "src"}), "0");  // emptied: deleted
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[a, c, b]");
  // Same source and destination: a rotation.
  EXPECT_EQ(Str({"RPOPLPUSH", "dst", "dst"}), "b");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[b, a, c]");
  EXPECT_EQ(Str({"LMOVE", "dst", "dst", "LEFT", "RIGHT"}), "b");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[a, c, b]");
  EXPECT_EQ(Str({"LMOVE", "dst", "dst", "LEFT", "LEFT"}), "a");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[a, c, b]");
  Run({"RPUSH", "one", "x"});
  EXPECT_EQ(Str({"LMOVE", "one", "one", "RIGHT", "LEFT"}), "x");  // a one-element rotation
  EXPECT_EQ(Str({"LRANGE", "one", "0", "-1"}), "[x]");
  EXPECT_EQ(Str({"RPOPLPUSH", "missing", "dst"}), "(nil)");
  EXPECT_EQ(Str({"LMOVE", "missing", "dst", "LEFT", "LEFT"}), "(nil)");
  EXPECT_EQ(Str({"LMOVE", "dst", "x", "UP", "LEFT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMOVE", "dst", "x", "LEFT", "DOWN"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMOVE", "missing", "x", "LEFT", "DOWN"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMOVE", "dst", "x", "LEFT"}),
            "(error) ERR wrong number of arguments for 'lmove' command");
  EXPECT_EQ(Str({"RPOPLPUSH", "dst"}),
            "(error) ERR wrong number of arguments for 'rpoplpush' command");
  EXPECT_EQ(Str({"LRANGE", "dst", "0", "-1"}), "[a, c, b]");
}

TEST_F(ListTest, Lmpop) {
  Run({"RPUSH", "b", "1", "2", "3", "4"});
  EXPECT_EQ(Str({"LMPOP", "2", "a", "b", "LEFT"}), "[b, [1]]");
  EXPECT_EQ(Str({"LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"}), "[b, [4, 3]]");
  Run({"RPUSH", "a", "x"});
  EXPECT_EQ(Str({"LMPOP", "2", "a", "b", "left", "count", "10"}), "[a, [x]]");  // first key wins
  EXPECT_EQ(Str({"EXISTS", "a"}), "0");
  EXPECT_EQ(Str({"LMPOP", "1", "b", "RIGHT", "COUNT", "5"}), "[b, [2]]");
  EXPECT_EQ(Str({"EXISTS", "b"}), "0");
  EXPECT_EQ(Str({"LMPOP", "2", "a", "b", "LEFT"}), "(nil)");
}

TEST_F(ListTest, LmpopErrors) {
  Run({"RPUSH", "l", "a"});
  const std::string numkeys = "(error) ERR numkeys should be greater than 0";
  EXPECT_EQ(Str({"LMPOP", "0", "l", "LEFT"}), numkeys);
  EXPECT_EQ(Str({"LMPOP", "-1", "l", "LEFT"}), numkeys);
  EXPECT_EQ(Str({"LMPOP", "abc", "l", "LEFT"}), numkeys);
  EXPECT_EQ(Str({"LMPOP", "2", "l", "LEFT"}), "(error) ERR syntax error");  // no LEFT|RIGHT left
  EXPECT_EQ(Str({"LMPOP", "9223372036854775807", "l", "LEFT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMPOP", "1", "l", "MIDDLE"}), "(error) ERR syntax error");
  const std::string count = "(error) ERR count should be greater than 0";
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "COUNT", "0"}), count);
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "COUNT", "-3"}), count);
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "COUNT", "abc"}), count);
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "COUNT"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMPOP", "1", "l", "LEFT", "FOO"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"LMPOP", "1", "l"}), "(error) ERR wrong number of arguments for 'lmpop' command");
  EXPECT_EQ(Str({"LLEN", "l"}), "1");  // no error popped anything
}

TEST_F(ListTest, WrongTypeForEveryCommand) {
  Run({"SET", "s", "x"});
  Run({"RPUSH", "l", "a", "b"});
  const std::string wt =
      "(error) WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::vector<std::string>> commands = {
      {"LPUSH", "s", "a"},
      {"RPUSH", "s", "a"},
      {"LPUSHX", "s", "a"},
      {"RPUSHX", "s", "a"},
      {"LPOP", "s"},
      {"LPOP", "s", "2"},
      {"RPOP", "s"},
      {"RPOP", "s", "0"},
      {"LLEN", "s"},
      {"LINDEX", "s", "0"},
      {"LINDEX", "s", "abc"},  // the type is checked before the index
      {"LINSERT", "s", "BEFORE", "a", "b"},
      {"LRANGE", "s", "0", "-1"},
      {"LREM", "s", "0", "a"},
      {"LSET", "s", "0", "a"},
      {"LSET", "s", "abc", "a"},
      {"LTRIM", "s", "0", "1"},
      {"LPOS", "s", "a"},
      {"LPOS", "s", "a", "COUNT", "0"},
      {"RPOPLPUSH", "s", "l"},
      {"RPOPLPUSH", "l", "s"},  // a list source with a string destination
      {"LMOVE", "s", "l", "LEFT", "LEFT"},
      {"LMOVE", "l", "s", "RIGHT", "LEFT"},
      {"LMPOP", "1", "s", "LEFT"},
      {"LMPOP", "2", "missing", "s", "LEFT"},
      {"LMPOP", "2", "s", "l", "LEFT"},  // the first existing key decides
  };
  for (const auto& c : commands) {
    EXPECT_EQ(h_.Run(c).ToString(), wt) << c[0] << " " << c[1];
  }
  EXPECT_EQ(Str({"GET", "s"}), "x");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[a, b]");  // nothing moved
}

// ---- encodings
// -----------------------------------------------------------------------------------

// 100-byte elements take 103 bytes in a listpack: a 2-byte header (a 64..4095-byte string), the
// bytes, and a 1-byte back-length. A listpack of n of them is 7 + 103n bytes.
const std::string kHundred(100, 'v');

TEST_F(ListTest, DefaultLimitIsEightKilobytesWithHysteresis) {
  // Growing (Redis checks listpack bytes + the new element's length against 8192): with 79
  // elements, 7 + 79*103 + 100 = 8244 > 8192, so the 80th converts; the 79th did not
  // (7 + 78*103 + 100 = 8141).
  for (int i = 1; i <= 79; ++i) {
    Run({"RPUSH", "l", kHundred});
    ASSERT_EQ(Encoding("l"), "listpack") << i;
  }
  Run({"RPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "quicklist");
  // Nodes are filled exactly to 8192: 79 elements (8144 bytes), then 1.
  ASSERT_EQ(Ql("l")->node_count(), 2u);
  // Shrinking: one node holding at most half the limit (4096): 7 + 39*103 = 4024 fits,
  // 7 + 40*103 = 4127 does not.
  for (int len = 79; len >= 40; --len) {
    Run({"RPOP", "l"});
    ASSERT_EQ(Encoding("l"), "quicklist") << len;
  }
  Run({"RPOP", "l"});
  EXPECT_EQ(Str({"LLEN", "l"}), "39");
  EXPECT_EQ(Encoding("l"), "listpack");
  // Hysteresis: growing back past 40 keeps the listpack until it would not fit 8192 again.
  Run({"LPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "listpack");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "0"}), "[" + kHundred + "]");
}

TEST_F(ListTest, ConversionMatchesTheByteRuleElementByElement) {
  // Varied sizes: before each push the rule is computed from the listpack's own size.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 400 && Encoding("l") != "quicklist"; ++i) {
    const std::string v(rng() % 300, 'a' + static_cast<char>(i % 26));
    const db::Object* o = Obj(h_, "l");
    const size_t bytes =
        o == nullptr ? ds::kLpEmptySize : ds::LpBytes(static_cast<uint8_t*>(o->ptr()));
    const bool expect_convert = bytes + v.size() > 8192;
    Run({"RPUSH", "l", v});
    ASSERT_EQ(Encoding("l"), expect_convert ? "quicklist" : "listpack") << i;
  }
  EXPECT_EQ(Encoding("l"), "quicklist");
}

TEST_F(ListTest, NegativeLimitsSelectNodeBytes) {
  EXPECT_EQ(Str({"CONFIG", "SET", "list-max-listpack-size", "-1"}), "OK");  // 4096 bytes
  // 7 + 38*103 + 100 = 4021 fits; 7 + 39*103 + 100 = 4124 does not: 39 listpack, 40 quicklist.
  for (int i = 1; i <= 39; ++i) Run({"RPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "listpack");
  Run({"RPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "quicklist");
  // Back at <= 2048 bytes in one node: 7 + 19*103 = 1964.
  for (int i = 0; i < 20; ++i) Run({"RPOP", "l"});
  EXPECT_EQ(Encoding("l"), "quicklist");  // 20 left: 2067 bytes
  Run({"RPOP", "l"});
  EXPECT_EQ(Encoding("l"), "listpack");
  // Values below -5 act as -5 (64 KiB): 600 such elements are ~62 KB, still one listpack.
  EXPECT_EQ(Str({"CONFIG", "SET", "list-max-listpack-size", "-100"}), "OK");
  std::vector<std::string> many(600, kHundred);
  Rpush(h_, "big", many);
  EXPECT_EQ(Encoding("big"), "listpack");
  Rpush(h_, "big", std::vector<std::string>(40, kHundred));  // ~66 KB
  EXPECT_EQ(Encoding("big"), "quicklist");
}

TEST_F(ListTest, PositiveLimitCountsElementsWithTheAlias) {
  // The old name is an alias.
  EXPECT_EQ(Str({"CONFIG", "SET", "list-max-ziplist-size", "5"}), "OK");
  EXPECT_EQ(Str({"CONFIG", "GET", "list-max-listpack-size"}), "[list-max-listpack-size, 5]");
  Run({"RPUSH", "l", "1", "2", "3", "4", "5"});
  EXPECT_EQ(Encoding("l"), "listpack");
  Run({"RPUSH", "l", "6"});
  EXPECT_EQ(Encoding("l"), "quicklist");
  EXPECT_EQ(Ql("l")->node_count(), 2u);  // [1..5] [6]
  // Back when one node holds at most 5 / 2 = 2 elements.
  Run({"RPOP", "l"});
  EXPECT_EQ(Encoding("l"), "quicklist");  // one node of 5
  Run({"LPOP", "l", "2"});
  EXPECT_EQ(Encoding("l"), "quicklist");  // 3 left
  Run({"LPOP", "l"});
  EXPECT_EQ(Encoding("l"), "listpack");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[4, 5]");
  // Several elements at once convert before any is added.
  Run({"RPUSH", "m", "a", "b", "c", "d", "e", "f"});
  EXPECT_EQ(Encoding("m"), "quicklist");
  EXPECT_EQ(Str({"LRANGE", "m", "0", "-1"}), "[a, b, c, d, e, f]");
}

TEST_F(ListTest, PositiveLimitStillCapsBytesAtEightKilobytes) {
  Run({"CONFIG", "SET", "list-max-listpack-size", "1000"});
  for (int i = 1; i <= 79; ++i) Run({"RPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "listpack");
  Run({"RPUSH", "l", kHundred});  // 8244 > the 8192-byte safety limit
  EXPECT_EQ(Encoding("l"), "quicklist");
  // Under a count limit only the count is halved: one node of 79 <= 500 converts back at once.
  Run({"RPOP", "l"});
  EXPECT_EQ(Encoding("l"), "listpack");
  // Fill 1 (and 0, which acts as 1) can never convert back: a node would need <= 0 elements.
  Run({"CONFIG", "SET", "list-max-listpack-size", "0"});
  Run({"RPUSH", "one", "a", "b"});
  EXPECT_EQ(Encoding("one"), "quicklist");
  Run({"RPOP", "one"});
  EXPECT_EQ(Encoding("one"), "quicklist");
}

TEST_F(ListTest, BigElementsAndLset) {
  const std::string big(9000, 'B');
  Run({"RPUSH", "l", big});  // 7 + 9000 > 8192 before anything is added
  EXPECT_EQ(Encoding("l"), "quicklist");
  EXPECT_EQ(Str({"LINDEX", "l", "0"}), big);
  // Replacing the big element by a small one leaves one small node: converted back.
  EXPECT_EQ(Str({"LSET", "l", "0", "b"}), "OK");
  EXPECT_EQ(Encoding("l"), "listpack");
  Run({"LPUSH", "l", "a"});
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[a, b]");
  // Two nodes ([a] [big]) do not convert back even when both are small again.
  Run({"RPUSH", "m", "a", big});
  EXPECT_EQ(Ql("m")->node_count(), 2u);
  EXPECT_EQ(Str({"LSET", "m", "1", "b"}), "OK");
  EXPECT_EQ(Encoding("m"), "quicklist");
  // LSET with a big value converts before replacing, even when the index is out of range.
  EXPECT_EQ(Str({"LSET", "l", "5", big}), "(error) ERR index out of range");
  EXPECT_EQ(Encoding("l"), "quicklist");
  EXPECT_EQ(Str({"LRANGE", "l", "0", "-1"}), "[a, b]");
}

TEST_F(ListTest, LinsertConvertsEvenWithoutThePivot) {
  for (int i = 0; i < 79; ++i) Run({"RPUSH", "l", kHundred});
  EXPECT_EQ(Encoding("l"), "listpack");
  EXPECT_EQ(Str({"LINSERT", "l", "BEFORE", "nope", kHundred}), "-1");
  EXPECT_EQ(Encoding("l"), "quicklist");  // as Redis 7.2: converted before the search
  EXPECT_EQ(Str({"LLEN", "l"}), "79");
  EXPECT_EQ(Str({"LINSERT", "l", "AFTER", kHundred, "x"}), "80");
  EXPECT_EQ(Str({"LINDEX", "l", "1"}), "x");
}

TEST_F(ListTest, LtrimAndLremConvertBack) {
  for (int i = 0; i < 200; ++i) Run({"RPUSH", "l", kHundred + std::to_string(i % 3)});
  EXPECT_EQ(Encoding("l"), "quicklist");
  EXPECT_EQ(Str({"LTRIM", "l", "0", "29"}), "OK");
  EXPECT_EQ(Encoding("l"), "listpack");
  // 101-byte elements take 104 bytes: nodes of 78 (7 + 78*104 = 8119). 156 A then 30 B fill
  // [78 A] [78 A] [30 B]; removing the A's leaves one node of 7 + 30*104 = 3127 <= 4096 bytes.
  const std::string a = kHundred + "A", b = kHundred + "B";
  for (int i = 0; i < 156; ++i) Run({"RPUSH", "m", a});
  for (int i = 0; i < 30; ++i) Run({"RPUSH", "m", b});
  EXPECT_EQ(Ql("m")->node_count(), 3u);
  EXPECT_EQ(Str({"LREM", "m", "100", a}), "100");
  EXPECT_EQ(Encoding("m"), "quicklist");  // two nodes remain
  EXPECT_EQ(Str({"LREM", "m", "0", a}), "56");
  EXPECT_EQ(Encoding("m"), "listpack");
  EXPECT_EQ(Str({"LLEN", "m"}), "30");
  EXPECT_EQ(Str({"LREM", "m", "-1", "nothing"}), "0");
}

TEST_F(ListTest, OptionsReachExistingListsWhenModified) {
  for (int i = 0; i < 500; ++i) Run({"RPUSH", "l", kHundred});
  const ds::Quicklist* ql = Ql("l");
  ASSERT_NE(ql, nullptr);
  EXPECT_EQ(ql->fill(), -2);
  EXPECT_EQ(ql->compress_depth(), 0);
  Run({"CONFIG", "SET", "list-max-listpack-size", "7"});
  Run({"CONFIG", "SET", "list-compress-depth", "2"});
  Run({"LRANGE", "l", "0", "-1"});  // reading changes nothing
  EXPECT_EQ(ql->fill(), -2);
  EXPECT_EQ(ql->compress_depth(), 0);
  Run({"RPUSH", "l", "x"});
  EXPECT_EQ(ql->fill(), 7);
  EXPECT_EQ(ql->compress_depth(), 2);
  EXPECT_EQ(ql->DescribeNodes().back().count, 1u);  // the new tail node under the new fill
  EXPECT_EQ(Str({"LLEN", "l"}), "501");
}

TEST(ListCompressionTest, InteriorNodesCompressedContentsUnchanged) {
  CommandHarness h("list-compress-depth 1\n");
  std::deque<std::string> model;
  for (int i = 0; i < 3000; ++i) {
    std::string v = "element:" + std::to_string(i) + ":" + std::string(24, 'p');
    model.push_back(v);
    h.Run({"RPUSH", "l", v});
  }
  const db::Object* o = Obj(h, "l");
  ASSERT_EQ(Enc(h, "l"), "quicklist");
  const ds::Quicklist* ql = db::ListQuicklist(*o);
  const auto nodes = ql->DescribeNodes();
  ASSERT_GE(nodes.size(), 4u);
  EXPECT_FALSE(nodes.front().compressed);
  EXPECT_FALSE(nodes.back().compressed);
  for (size_t i = 1; i + 1 < nodes.size(); ++i) EXPECT_TRUE(nodes[i].compressed) << i;
  EXPECT_TRUE(ql->CheckConsistency(true).ok()) << ql->CheckConsistency(true).message();
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}).ToString(), Display(model));
  EXPECT_EQ(h.Run({"LRANGE", "l", "1500", "1502"}).ToString(),
            Display(std::vector<std::string>(model.begin() + 1500, model.begin() + 1503)));
  EXPECT_EQ(h.Run({"LINDEX", "l", "1700"}).ToString(), model[1700]);
  EXPECT_EQ(h.Run({"LPOS", "l", model[2222]}).ToString(), "2222");
  // Edits in the compressed middle.
  EXPECT_EQ(h.Run({"LSET", "l", "1000", "changed"}).ToString(), "OK");
  model[1000] = "changed";
  EXPECT_EQ(h.Run({"LINSERT", "l", "AFTER", model[2000], "inserted"}).ToString(), "3001");
  model.insert(model.begin() + 2001, "inserted");
  EXPECT_EQ(h.Run({"LREM", "l", "0", model[1500]}).ToString(), "1");
  model.erase(model.begin() + 1500);
  EXPECT_TRUE(ql->CheckConsistency(true).ok()) << ql->CheckConsistency(true).message();
  EXPECT_EQ(h.Run({"LRANGE", "l", "0", "-1"}).ToString(), Display(model));
  // Compression pays: the same contents without it take more memory.
  CommandHarness plain;
  for (const std::string& v : model) plain.Run({"RPUSH", "l", v});
  EXPECT_LT(ObjectBytes(*Obj(h, "l")), ObjectBytes(*Obj(plain, "l")) / 2);
}

// ---- randomized model test
// -----------------------------------------------------------------------

// Seeded random commands on three keys against std::deque, asserting every reply; the same
// answers are expected whatever the thresholds. Ends with FLUSHALL SYNC and checks that
// used_memory is back where it started.
class ListModel {
 public:
  ListModel(CommandHarness& h, uint64_t seed) : h_(h), rng_(seed) {}

  void RunOps(int ops) {
    for (int i = 0; i < ops; ++i) {
      Step(i);
      if (i % 64 == 0) CheckAll(i);
    }
    CheckAll(ops);
  }

  size_t conversions_seen() const { return conversions_; }

 private:
  std::string Key() { return keys_[rng_() % 3]; }
  int64_t Rand(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  std::string Value() {
    static const char* const kSmall[] = {"a", "b", "c", "1", "-7", "12345678901", "007", "", "x y"};
    const uint64_t r = rng_() % 10;
    if (r < 7) return kSmall[rng_() % std::size(kSmall)];
    return std::string(static_cast<size_t>(Rand(40, 900)), static_cast<char>('k' + rng_() % 4));
  }
  std::deque<std::string>& L(const std::string& k) { return lists_[k]; }
  std::string Expect(const std::string& cmd, const std::vector<std::string>& argv,
                     const std::string& want, int step) {
    std::string got = Show(h_.Run(argv));
    EXPECT_EQ(got, want) << "step " << step << ": " << cmd;
    return got;
  }
  void Drop(const std::string& k) {
    if (L(k).empty()) lists_.erase(k);
  }
  static std::string Range(const std::deque<std::string>& d, int64_t s, int64_t e) {
    const auto len = static_cast<int64_t>(d.size());
    if (s < 0) s += len;
    if (e < 0) e += len;
    if (s < 0) s = 0;
    if (s > e || s >= len) return "[]";
    if (e >= len) e = len - 1;
    return DisplayQ(std::vector<std::string>(d.begin() + s, d.begin() + e + 1));
  }

  // Alternating phases of 500 steps that favour pushes, then pops, so that lists cross the
  // conversion thresholds in both directions whatever they are.
  int PickOp(int step) {
    const bool growing = (step / 500) % 2 == 0;
    const uint64_t r = rng_() % 100;
    if (growing && r < 40) return static_cast<int>(rng_() % 2);  // LPUSH / RPUSH
    if (!growing && r < 25) return 3;                            // LPOP / RPOP
    return static_cast<int>(rng_() % 13);
  }

  void Step(int step) {
    const std::string k = Key();
    const bool exists = lists_.count(k) != 0;
    const auto len = exists ? static_cast<int64_t>(L(k).size()) : 0;
    switch (PickOp(step)) {
      case 0:
      case 1: {  // LPUSH / RPUSH
        const bool head = rng_() % 2;
        std::vector<std::string> argv{head ? "LPUSH" : "RPUSH", k};
        for (int n = static_cast<int>(Rand(1, 4)); n > 0; --n) argv.push_back(Value());
        for (size_t i = 2; i < argv.size(); ++i) {
          if (head)
            L(k).push_front(argv[i]);
          else
            L(k).push_back(argv[i]);
        }
        Expect(argv[0], argv, std::to_string(L(k).size()), step);
        break;
      }
      case 2: {  // LPUSHX / RPUSHX
        const bool head = rng_() % 2;
        const std::string v = Value();
        if (exists) {
          if (head)
            L(k).push_front(v);
          else
            L(k).push_back(v);
        }
        Expect("PUSHX", {head ? "LPUSHX" : "RPUSHX", k, v},
               exists ? std::to_string(L(k).size()) : "0", step);
        break;
      }
      case 3: {  // LPOP / RPOP [count]
        const bool head = rng_() % 2;
        const bool with_count = rng_() % 2;
        std::vector<std::string> argv{head ? "LPOP" : "RPOP", k};
        std::string want;
        if (with_count) {
          const int64_t c = Rand(0, 5);
          argv.push_back(std::to_string(c));
          if (!exists) {
            want = "(nil)";
          } else {
            std::vector<std::string> out;
            for (int64_t i = 0; i < c && !L(k).empty(); ++i) {
              out.push_back(head ? L(k).front() : L(k).back());
              if (head)
                L(k).pop_front();
              else
                L(k).pop_back();
            }
            want = DisplayQ(out);
          }
        } else if (!exists) {
          want = "(nil)";
        } else {
          want = Q(head ? L(k).front() : L(k).back());
          if (head)
            L(k).pop_front();
          else
            L(k).pop_back();
        }
        if (exists) Drop(k);
        Expect(argv[0], argv, want, step);
        break;
      }
      case 4: {  // LINDEX
        const int64_t i = Rand(-len - 2, len + 2);
        const int64_t j = i < 0 ? i + len : i;
        Expect("LINDEX", {"LINDEX", k, std::to_string(i)},
               (j >= 0 && j < len) ? Q(L(k)[static_cast<size_t>(j)]) : "(nil)", step);
        if (!exists) lists_.erase(k);
        break;
      }
      case 5: {  // LSET
        const int64_t i = Rand(-len - 1, len + 1);
        const int64_t j = i < 0 ? i + len : i;
        const std::string v = Value();
        std::string want;
        if (!exists) {
          want = "(error) ERR no such key";
          lists_.erase(k);
        } else if (j < 0 || j >= len) {
          want = "(error) ERR index out of range";
        } else {
          L(k)[static_cast<size_t>(j)] = v;
          want = Q("OK");
        }
        Expect("LSET", {"LSET", k, std::to_string(i), v}, want, step);
        break;
      }
      case 6: {  // LINSERT
        const bool after = rng_() % 2;
        std::string pivot = Value();
        if (exists && rng_() % 3 != 0) pivot = L(k)[rng_() % L(k).size()];
        const std::string v = Value();
        std::string want = "0";
        if (exists) {
          auto it = std::find(L(k).begin(), L(k).end(), pivot);
          if (it == L(k).end()) {
            want = "-1";
          } else {
            L(k).insert(after ? it + 1 : it, v);
            want = std::to_string(L(k).size());
          }
        } else {
          lists_.erase(k);
        }
        Expect("LINSERT", {"LINSERT", k, after ? "AFTER" : "BEFORE", pivot, v}, want, step);
        break;
      }
      case 7: {  // LREM
        const int64_t count = Rand(-3, 3);
        std::string v = Value();
        if (exists && rng_() % 2) v = L(k)[rng_() % L(k).size()];
        int64_t removed = 0;
        if (exists) {
          auto& d = L(k);
          const uint64_t limit =
              count < 0 ? static_cast<uint64_t>(-count) : static_cast<uint64_t>(count);
          if (count >= 0) {
            for (auto it = d.begin(); it != d.end();) {
              if (*it == v && (limit == 0 || static_cast<uint64_t>(removed) < limit)) {
                it = d.erase(it);
                ++removed;
              } else {
                ++it;
              }
            }
          } else {
            for (int64_t i = static_cast<int64_t>(d.size()) - 1; i >= 0; --i) {
              if (d[static_cast<size_t>(i)] == v && static_cast<uint64_t>(removed) < limit) {
                d.erase(d.begin() + i);
                ++removed;
              }
            }
          }
          Drop(k);
        } else {
          lists_.erase(k);
        }
        Expect("LREM", {"LREM", k, std::to_string(count), v}, std::to_string(removed), step);
        break;
      }
      case 8: {  // LTRIM, rarely emptying
        const int64_t s = Rand(-len - 1, len / 2 + 1);
        const int64_t e = Rand(-len / 2 - 1, len + 1);
        if (exists) {
          const std::string kept = Range(L(k), s, e);
          auto& d = L(k);
          int64_t a = s < 0 ? s + len : s, b = e < 0 ? e + len : e;
          if (a < 0) a = 0;
          if (a > b || a >= len) {
            d.clear();
          } else {
            if (b >= len) b = len - 1;
            d = std::deque<std::string>(d.begin() + a, d.begin() + b + 1);
          }
          EXPECT_EQ(DisplayQ(d), kept);
          Drop(k);
        } else {
          lists_.erase(k);
        }
        Expect("LTRIM", {"LTRIM", k, std::to_string(s), std::to_string(e)}, Q("OK"), step);
        break;
      }
      case 9: {  // LRANGE
        const int64_t s = Rand(-len - 2, len + 2);
        const int64_t e = Rand(-len - 2, len + 2);
        Expect("LRANGE", {"LRANGE", k, std::to_string(s), std::to_string(e)},
               exists ? Range(L(k), s, e) : "[]", step);
        if (!exists) lists_.erase(k);
        break;
      }
      case 10: {  // LPOS with options
        std::string v = Value();
        if (exists && rng_() % 2) v = L(k)[rng_() % L(k).size()];
        int64_t rank = Rand(-3, 3);
        if (rank == 0) rank = 1;
        const bool with_count = rng_() % 2;
        const int64_t count = Rand(0, 3);
        const int64_t maxlen = rng_() % 3 == 0 ? Rand(0, len + 1) : 0;
        std::vector<std::string> argv{
            "LPOS", k, v, "RANK", std::to_string(rank), "MAXLEN", std::to_string(maxlen)};
        if (with_count) {
          argv.push_back("COUNT");
          argv.push_back(std::to_string(count));
        }
        std::vector<std::string> hits;
        if (exists) {
          const auto& d = L(k);
          int64_t matches = 0;
          for (int64_t n = 0; n < len && (maxlen == 0 || n < maxlen); ++n) {
            const int64_t idx = rank > 0 ? n : len - 1 - n;
            if (d[static_cast<size_t>(idx)] != v) continue;
            if (++matches < (rank > 0 ? rank : -rank)) continue;
            hits.push_back(std::to_string(idx));
            if (!with_count || (count != 0 && static_cast<int64_t>(hits.size()) >= count)) break;
          }
        } else {
          lists_.erase(k);
        }
        std::string want = with_count ? Display(hits) : (hits.empty() ? "(nil)" : hits[0]);
        Expect("LPOS", argv, want, step);
        break;
      }
      case 11: {  // LMOVE / RPOPLPUSH
        const std::string dst = Key();
        const bool from_head = rng_() % 2, to_head = rng_() % 2;
        std::string want = "(nil)";
        if (exists) {
          std::string v = from_head ? L(k).front() : L(k).back();
          if (from_head)
            L(k).pop_front();
          else
            L(k).pop_back();
          if (to_head)
            L(dst).push_front(v);
          else
            L(dst).push_back(v);
          Drop(k);
          want = Q(v);
        } else {
          lists_.erase(k);
        }
        if (!from_head && to_head && rng_() % 2) {
          Expect("RPOPLPUSH", {"RPOPLPUSH", k, dst}, want, step);
        } else {
          Expect("LMOVE",
                 {"LMOVE", k, dst, from_head ? "LEFT" : "RIGHT", to_head ? "LEFT" : "RIGHT"}, want,
                 step);
        }
        break;
      }
      default: {  // LMPOP over two keys
        const std::string k2 = Key();
        const bool head = rng_() % 2;
        const int64_t count = Rand(1, 4);
        std::string want = "(nil)";
        for (const std::string& key : {k, k2}) {
          if (lists_.count(key) == 0) continue;
          std::vector<std::string> out;
          for (int64_t i = 0; i < count && !L(key).empty(); ++i) {
            out.push_back(head ? L(key).front() : L(key).back());
            if (head)
              L(key).pop_front();
            else
              L(key).pop_back();
          }
          Drop(key);
          want = "[" + Q(key) + ", " + DisplayQ(out) + "]";
          break;
        }
        Expect("LMPOP",
               {"LMPOP", "2", k, k2, head ? "LEFT" : "RIGHT", "COUNT", std::to_string(count)}, want,
               step);
        break;
      }
    }
    NoteEncodings();
  }

  void NoteEncodings() {
    for (const std::string& k : keys_) {
      const std::string e = Enc(h_, k);
      if (e != "none" && last_[k] != "none" && !last_[k].empty() && e != last_[k]) ++conversions_;
      last_[k] = e;
    }
  }

  void CheckAll(int step) {
    for (const std::string& k : keys_) {
      const bool exists = lists_.count(k) != 0;
      ASSERT_EQ(h_.Run({"EXISTS", k}).ToString(), exists ? "1" : "0")
          << "step " << step << " " << k;
      if (!exists) continue;
      EXPECT_EQ(h_.Run({"LLEN", k}).ToString(), std::to_string(L(k).size())) << step;
      EXPECT_EQ(Show(h_.Run({"LRANGE", k, "0", "-1"})), DisplayQ(L(k))) << step;
      if (const ds::Quicklist* ql = db::ListQuicklist(*Obj(h_, k)); ql != nullptr) {
        const Status s = ql->CheckConsistency(false);
        EXPECT_TRUE(s.ok()) << "step " << step << " " << k << ": " << s.message();
      }
    }
  }

  CommandHarness& h_;
  std::mt19937_64 rng_;
  const std::vector<std::string> keys_{"k0", "k1", "k2"};
  std::map<std::string, std::deque<std::string>> lists_;
  std::map<std::string, std::string> last_;
  size_t conversions_ = 0;
};

void RunModelTest(std::string_view config, uint64_t seed, int ops, size_t min_conversions) {
  CommandHarness h(config);
  WarmReplyBuffer(h, 4 << 20);
  const size_t before = mem::UsedMemory();
  {
    ListModel model(h, seed);
    model.RunOps(ops);
    EXPECT_GE(model.conversions_seen(), min_conversions);
  }
  // FLUSHALL frees the key tables only when there is a key (Db::Clear returns early on an empty
  // db, keeping an emptied table): make sure there is one, as at the baseline.
  h.Run({"RPUSH", "__end", "x"});
  EXPECT_EQ(h.Run({"FLUSHALL", "SYNC"}).ToString(), "OK");
  EXPECT_EQ(mem::UsedMemory(), before);
}

TEST(ListModelTest, DefaultLimits) { RunModelTest("", 1, 6000, 6); }

TEST(ListModelTest, TinyCountLimitWithCompression) {
  RunModelTest("list-max-listpack-size 3\nlist-compress-depth 1\n", 2, 6000, 50);
}

TEST(ListModelTest, TinyByteLimitWithCompression) {
  RunModelTest("list-max-ziplist-size -1\nlist-compress-depth 2\n", 3, 6000, 20);
}

// ---- value operations
// ----------------------------------------------------------------------------

// COPY's deep copy, until COPY itself lands: a new key whose value is DuplicateValue's.
void CopyKey(CommandHarness& h, std::string_view from, std::string_view to) {
  db::Db& d = h.keyspace().db(0);
  const db::Object* src = d.LookupNoTouch(from);
  const db::Object::ValueInit v{src->encoding(), {}, db::DuplicateValue(db::ValueOf(*src))};
  d.Add(db::Object::Create(to, db::ObjType::kList, v, false, 0, h.keyspace().InitialLru()));
}

TEST_F(ListTest, CopyIsIndependentInBothEncodings) {
  std::vector<std::string> many;
  for (int i = 0; i < 3000; ++i) many.push_back("item-" + std::to_string(i) + std::string(20, 'z'));
  WarmReplyBuffer(h_, 1 << 20);
  const size_t before = mem::UsedMemory();
  Run({"CONFIG", "SET", "list-compress-depth", "1"});
  Run({"RPUSH", "small", "a", "1", "b"});
  Rpush(h_, "big", many);
  ASSERT_EQ(Encoding("small"), "listpack");
  ASSERT_EQ(Encoding("big"), "quicklist");
  CopyKey(h_, "small", "small2");
  CopyKey(h_, "big", "big2");
  EXPECT_EQ(Encoding("small2"), "listpack");
  EXPECT_EQ(Encoding("big2"), "quicklist");
  EXPECT_EQ(db::ValueMemoryUsage(db::ValueOf(*Obj(h_, "big2")), 0),
            db::ValueMemoryUsage(db::ValueOf(*Obj(h_, "big")), 0));
  EXPECT_TRUE(Ql("big2")->CheckConsistency(true).ok());
  EXPECT_EQ(Str({"LRANGE", "big2", "0", "-1"}), Display(many));
  // Changes to one are not seen in the other.
  Run({"RPUSH", "small", "c"});
  Run({"LSET", "small2", "0", "changed"});
  EXPECT_EQ(Str({"LRANGE", "small", "0", "-1"}), "[a, 1, b, c]");
  EXPECT_EQ(Str({"LRANGE", "small2", "0", "-1"}), "[changed, 1, b]");
  Run({"LSET", "big", "1500", "changed"});
  Run({"LTRIM", "big2", "0", "9"});
  EXPECT_EQ(Str({"LINDEX", "big", "1500"}), "changed");
  EXPECT_EQ(Str({"LLEN", "big"}), "3000");
  EXPECT_EQ(Str({"LRANGE", "big2", "0", "-1"}),
            Display(std::vector<std::string>(many.begin(), many.begin() + 10)));
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  EXPECT_EQ(mem::UsedMemory(), before);
}

// RPUSH of 100,000 short elements ("e0".."e99999": about 100 nodes of 8 KiB).
void PushHundredThousand(CommandHarness& h, std::string_view key) {
  for (int batch = 0; batch < 100; ++batch) {
    std::vector<std::string> values;
    for (int i = 0; i < 1000; ++i) values.push_back("e" + std::to_string(batch * 1000 + i));
    Rpush(h, key, values);
  }
}

TEST_F(ListTest, UnlinkOfABigListGoesToTheLazyFreeThread) {
  PushHundredThousand(h_, "big");
  EXPECT_EQ(Str({"LLEN", "big"}), "100000");
  const db::Object* o = Obj(h_, "big");
  const size_t effort = db::FreeEffort(db::ValueOf(*o));
  EXPECT_EQ(effort, Ql("big")->node_count());
  EXPECT_GT(effort, db::LazyFree::kThreshold);
  const size_t bytes = ObjectBytes(*o);
  db::LazyFree& lf = h_.keyspace().lazyfree();
  lf.Drain();
  lf.ResetStats();
  const size_t before = mem::UsedMemory();
  EXPECT_TRUE(h_.keyspace().db(0).Delete("big", /*lazy=*/true));  // what UNLINK does
  lf.Drain();
  EXPECT_EQ(lf.freed_objects(), 1u);
  EXPECT_EQ(lf.pending_objects(), 0u);
  EXPECT_EQ(before - mem::UsedMemory(), bytes);
  // Through the command too; a small list is freed inline.
  PushHundredThousand(h_, "big");
  Run({"RPUSH", "small", "a"});
  lf.ResetStats();
  EXPECT_EQ(Str({"UNLINK", "big", "small"}), "2");
  lf.Drain();
  EXPECT_EQ(lf.freed_objects(), 1u);
}

TEST_F(ListTest, ValueMemoryIsExactlyWhatDelFrees) {
  Run({"RPUSH", "lp", "a", "12345", std::string(50, 'q')});
  for (int i = 0; i < 5000; ++i) Run({"RPUSH", "ql", "value-" + std::to_string(i)});
  Run({"CONFIG", "SET", "list-compress-depth", "1"});
  for (int i = 0; i < 5000; ++i) Run({"RPUSH", "qz", "value-" + std::to_string(i)});
  ASSERT_EQ(Encoding("lp"), "listpack");
  ASSERT_EQ(Encoding("ql"), "quicklist");
  ASSERT_EQ(Encoding("qz"), "quicklist");
  db::Db& d = h_.keyspace().db(0);
  for (const char* key : {"lp", "ql", "qz"}) {
    const size_t bytes = ObjectBytes(*d.LookupNoTouch(key));
    const size_t before = mem::UsedMemory();
    ASSERT_TRUE(d.Delete(key, false));
    EXPECT_EQ(before - mem::UsedMemory(), bytes) << key;
  }
}

TEST_F(ListTest, SampledMemoryEstimateIsClose) {
  for (int i = 0; i < 20000; ++i) Run({"RPUSH", "l", "value-" + std::to_string(i % 1000)});
  const db::ValueRef v = db::ValueOf(*Obj(h_, "l"));
  const auto exact = static_cast<double>(db::ValueMemoryUsage(v, 0));
  const auto sampled = static_cast<double>(db::ValueMemoryUsage(v, 5));
  EXPECT_GT(Ql("l")->node_count(), 5u);
  EXPECT_NEAR(sampled, exact, exact * 0.05);
  // Enough samples to see every node: exact.
  EXPECT_EQ(db::ValueMemoryUsage(v, 100000), db::ValueMemoryUsage(v, 0));
}

TEST_F(ListTest, FlushallLeavesNothingBehind) {
  WarmReplyBuffer(h_, 1 << 20);
  const size_t before = mem::UsedMemory();
  for (int k = 0; k < 50; ++k) {
    const std::string key = "l" + std::to_string(k);
    for (int i = 0; i < (k % 5 == 0 ? 5000 : 10); ++i) Run({"RPUSH", key, std::to_string(i)});
  }
  Run({"SELECT", "1"});
  Run({"RPUSH", "other", "x"});
  Run({"SELECT", "0"});
  EXPECT_EQ(Encoding("l0"), "quicklist");
  EXPECT_EQ(Encoding("l1"), "listpack");
  EXPECT_EQ(Str({"FLUSHALL", "SYNC"}), "OK");
  EXPECT_EQ(mem::UsedMemory(), before);
}

}  // namespace
}  // namespace mnemo::test

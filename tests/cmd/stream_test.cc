// stream_test.cc: the stream commands through the in-process dispatcher: replies, errors,
// keyspace events, propagation (generated IDs, approximate trims, deliveries as XCLAIM), the
// type and encoding, memory accounting, COPY, the node limits (tests/cmd).
//
// Expected replies and error texts were taken from redis-server 7.0.15 for the same commands;
// tests/integration/python/test_streams.py compares them live.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "change_recorder.h"
#include "command_harness.h"

namespace mnemo::test {
namespace {

using Lines = std::vector<std::string>;

class StreamCmdTest : public CommandTest {};

TEST_F(StreamCmdTest, AddRangeLenDel) {
  EXPECT_EQ(Str({"XADD", "s", "1-1", "a", "1", "b", "2"}), "1-1");
  EXPECT_EQ(Str({"XADD", "s", "1-*", "a", "3"}), "1-2");
  EXPECT_EQ(Str({"XADD", "s", "5", "c", "x"}), "5-0");
  EXPECT_EQ(Str({"XLEN", "s"}), "3");
  EXPECT_EQ(Str({"XRANGE", "s", "-", "+"}), "[[1-1, [a, 1, b, 2]], [1-2, [a, 3]], [5-0, [c, x]]]");
  EXPECT_EQ(Str({"XRANGE", "s", "(1-1", "+", "COUNT", "1"}), "[[1-2, [a, 3]]]");
  EXPECT_EQ(Str({"XREVRANGE", "s", "+", "-", "COUNT", "2"}), "[[5-0, [c, x]], [1-2, [a, 3]]]");
  EXPECT_EQ(Str({"XRANGE", "s", "-", "+", "COUNT", "0"}), "(nil)");
  EXPECT_EQ(Str({"XRANGE", "nokey", "-", "+"}), "[]");
  EXPECT_EQ(Str({"TYPE", "s"}), "stream");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "s"}), "stream");
  EXPECT_EQ(Str({"XDEL", "s", "1-2", "9-9"}), "1");
  EXPECT_EQ(Str({"XLEN", "s"}), "2");
  EXPECT_EQ(Str({"XDEL", "s", "1-1", "5-0"}), "2");
  // An emptied stream stays.
  EXPECT_EQ(Str({"EXISTS", "s"}), "1");
  EXPECT_EQ(Str({"XADD", "s", "NOMKSTREAM", "6-0", "a", "1"}), "6-0");
  EXPECT_EQ(Str({"XADD", "none", "NOMKSTREAM", "*", "a", "1"}), "(nil)");
  EXPECT_EQ(Str({"EXISTS", "none"}), "0");
}

TEST_F(StreamCmdTest, Errors) {
  EXPECT_EQ(Str({"XADD", "s", "1-1", "a", "1"}), "1-1");
  EXPECT_EQ(Str({"XADD", "s", "1-1", "a", "1"}),
            "(error) ERR The ID specified in XADD is equal or smaller than the target stream top "
            "item");
  EXPECT_EQ(Str({"XADD", "s", "0-0", "a", "1"}),
            "(error) ERR The ID specified in XADD must be greater than 0-0");
  EXPECT_EQ(Str({"XADD", "s", "2-1", "a"}),
            "(error) ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Str({"XADD", "s", "x-1", "a", "1"}),
            "(error) ERR Invalid stream ID specified as stream command argument");
  EXPECT_EQ(Str({"XADD", "s", "MAXLEN", "1", "LIMIT", "1", "5-5", "a", "1"}),
            "(error) ERR syntax error, LIMIT cannot be used without the special ~ option");
  EXPECT_EQ(Str({"XADD", "s", "MAXLEN", "-1", "5-5", "a", "1"}),
            "(error) ERR The MAXLEN argument must be >= 0.");
  EXPECT_EQ(Str({"XTRIM", "s", "MAXLEN", "1", "MINID", "1"}),
            "(error) ERR syntax error, MAXLEN and MINID options at the same time are not "
            "compatible");
  EXPECT_EQ(Str({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}),
            "(error) ERR invalid start ID for the interval");
  EXPECT_EQ(Str({"XREAD", "BLOCK", "1", "STREAMS", "s"}),
            "(error) ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must "
            "be specified.");
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}),
            "(error) NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP "
            "option");
  EXPECT_EQ(Str({"XGROUP", "CREATE", "nokey", "g", "$"}),
            "(error) ERR The XGROUP subcommand requires the key to exist. Note that for CREATE "
            "you may want to use the MKSTREAM option to create an empty stream automatically.");
  EXPECT_EQ(Str({"XGROUP", "CREATE", "s", "g", "$"}), "OK");
  EXPECT_EQ(Str({"XGROUP", "CREATE", "s", "g", "$"}),
            "(error) BUSYGROUP Consumer Group name already exists");
  EXPECT_EQ(Str({"XGROUP", "SETID", "s", "nog", "0"}),
            "(error) NOGROUP No such consumer group 'nog' for key name 's'");
  EXPECT_EQ(Str({"XCLAIM", "s", "g", "c", "x", "1-1"}),
            "(error) ERR Invalid min-idle-time argument for XCLAIM");
  EXPECT_EQ(Str({"XCLAIM", "s", "g", "c", "0", "1-1", "bogus"}),
            "(error) ERR Unrecognized XCLAIM option 'bogus'");
  EXPECT_EQ(Str({"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"}),
            "(error) ERR COUNT must be > 0");
  EXPECT_EQ(Str({"XSETID", "s", "0-1"}),
            "(error) ERR The ID specified in XSETID is smaller than the target stream top item");
  EXPECT_EQ(Str({"XINFO", "STREAM", "nokey"}), "(error) ERR no such key");
  EXPECT_EQ(Str({"SET", "str", "v"}), "OK");
  EXPECT_EQ(Str({"XADD", "str", "*", "a", "1"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Str({"LPUSH", "s", "x"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(StreamCmdTest, TrimsExactAndApprox) {
  for (int i = 1; i <= 250; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  EXPECT_EQ(Str({"XTRIM", "s", "MAXLEN", "~", "120"}), "100");  // one whole node
  EXPECT_EQ(Str({"XLEN", "s"}), "150");
  EXPECT_EQ(Str({"XTRIM", "s", "MAXLEN", "=", "120"}), "30");
  EXPECT_EQ(Str({"XTRIM", "s", "MINID", "200"}), "69");
  EXPECT_EQ(Str({"XRANGE", "s", "-", "+", "COUNT", "1"}), "[[200-0, [f, v]]]");
  EXPECT_EQ(Str({"XADD", "s", "MAXLEN", "2", "300", "f", "v"}), "300-0");
  EXPECT_EQ(Str({"XLEN", "s"}), "2");
}

TEST_F(StreamCmdTest, GroupsReadAckClaim) {
  for (int i = 1; i <= 4; ++i) Run({"XADD", "s", std::to_string(i), "f", std::to_string(i)});
  EXPECT_EQ(Str({"XGROUP", "CREATE", "s", "g", "0"}), "OK");
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">"}),
            "[[s, [[1-0, [f, 1]], [2-0, [f, 2]]]]]");
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"}),
            "[[s, [[3-0, [f, 3]], [4-0, [f, 4]]]]]");
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"}), "(nil)");
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"}),
            "[[s, [[1-0, [f, 1]], [2-0, [f, 2]]]]]");
  EXPECT_EQ(Str({"XPENDING", "s", "g"}), "[4, 1-0, 4-0, [[c1, 2], [c2, 2]]]");
  EXPECT_EQ(Str({"XACK", "s", "g", "1-0", "1-0", "9-0"}), "1");
  EXPECT_EQ(Str({"XDEL", "s", "2-0"}), "1");
  // History shows a deleted entry as a null.
  EXPECT_EQ(Str({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"}), "[[s, [[2-0, (nil)]]]]");
  EXPECT_EQ(Str({"XCLAIM", "s", "g", "c3", "0", "3-0", "JUSTID"}), "[3-0]");
  EXPECT_EQ(Str({"XAUTOCLAIM", "s", "g", "c4", "0", "0", "JUSTID"}), "[0-0, [3-0, 4-0], [2-0]]");
  EXPECT_EQ(Str({"XPENDING", "s", "g"}), "[2, 3-0, 4-0, [[c4, 2]]]");
  EXPECT_EQ(Str({"XINFO", "GROUPS", "s"}),
            "[[name, g, consumers, 4, pending, 2, last-delivered-id, 4-0, entries-read, 4, lag, "
            "0]]");
  EXPECT_EQ(Str({"XGROUP", "DELCONSUMER", "s", "g", "c4"}), "2");
  EXPECT_EQ(Str({"XGROUP", "CREATECONSUMER", "s", "g", "c9"}), "1");
  EXPECT_EQ(Str({"XGROUP", "DESTROY", "s", "g"}), "1");
  EXPECT_EQ(Str({"XINFO", "GROUPS", "s"}), "[]");
}

TEST_F(StreamCmdTest, EventsAndPropagation) {
  ChangeRecorder rec(h_.keyspace().changes());
  const std::string id = Str({"XADD", "s", "*", "f", "v"});
  EXPECT_EQ(rec.events, (Lines{"xadd s"}));
  EXPECT_EQ(rec.propagated, (Lines{"XADD s " + id + " f v"}));
  rec.Clear();
  Run({"XADD", "s", "MAXLEN", "~", "0", "LIMIT", "5", "99999999999999-1", "f", "v"});
  // Whole nodes go, the new entry's too (as in Redis); the rewrite says what is left.
  EXPECT_EQ(rec.propagated, (Lines{"XADD s MAXLEN = 0 99999999999999-1 f v"}));
  EXPECT_EQ(Str({"XLEN", "s"}), "0");
  EXPECT_EQ(Str({"XADD", "s", "99999999999999-2", "f", "v"}), "99999999999999-2");
  const std::string id2 = "99999999999999-2";
  rec.Clear();
  EXPECT_EQ(Str({"XGROUP", "CREATE", "s", "g", "0"}), "OK");
  EXPECT_EQ(rec.events, (Lines{"xgroup-create s"}));
  rec.Clear();
  RespValue r = Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  ASSERT_TRUE(r.IsArray());
  EXPECT_EQ(rec.events, (Lines{"xgroup-createconsumer s"}));
  ASSERT_EQ(rec.propagated.size(), 5u);  // MULTI, CREATECONSUMER, XCLAIM, SETID, EXEC
  EXPECT_EQ(rec.propagated[1], "XGROUP CREATECONSUMER s g c");
  EXPECT_EQ(rec.propagated[2].rfind("XCLAIM s g c 0 " + id2 + " TIME ", 0), 0u);
  EXPECT_NE(rec.propagated[2].find(" RETRYCOUNT 1 FORCE JUSTID LASTID " + id2), std::string::npos);
  EXPECT_EQ(rec.propagated[3], "XGROUP SETID s g " + id2 + " ENTRIESREAD 3");
  rec.Clear();
  EXPECT_EQ(Str({"XDEL", "s", id2}), "1");
  EXPECT_EQ(Str({"XADD", "s", "99999999999999-3", "f", "v"}), "99999999999999-3");
  EXPECT_EQ(Str({"XTRIM", "s", "MAXLEN", "0"}), "1");
  EXPECT_EQ(Str({"XSETID", "s", "99999999999999-5"}), "OK");
  EXPECT_EQ(Str({"XGROUP", "SETID", "s", "g", "$"}), "OK");
  EXPECT_EQ(Str({"XGROUP", "DESTROY", "s", "g"}), "1");
  EXPECT_EQ(rec.events, (Lines{"xdel s", "xadd s", "xtrim s", "xsetid s", "xgroup-setid s",
                               "xgroup-destroy s"}));
  rec.Clear();
  EXPECT_EQ(Str({"XDEL", "s", "1-1"}), "0");  // nothing changed: nothing heard
  EXPECT_TRUE(rec.events.empty());
  EXPECT_TRUE(rec.propagated.empty());
}

TEST_F(StreamCmdTest, MemoryUsageCopyAndLimits) {
  Run({"XADD", "s", "1", "f", "v"});
  const int64_t one = Run({"MEMORY", "USAGE", "s"}).integer;
  for (int i = 2; i <= 1000; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  const int64_t many = Run({"MEMORY", "USAGE", "s"}).integer;
  EXPECT_GT(many, one);
  EXPECT_LT(many, one + 1000 * 16);  // a handful of bytes per small entry
  EXPECT_EQ(Str({"XINFO", "STREAM", "s"}).substr(0, 50),
            "[length, 1000, radix-tree-keys, 10, radix-tree-nod");
  EXPECT_EQ(Str({"COPY", "s", "t"}), "1");
  EXPECT_EQ(Str({"XRANGE", "t", "999", "+"}), "[[999-0, [f, v]], [1000-0, [f, v]]]");
  EXPECT_EQ(Str({"CONFIG", "SET", "stream-node-max-entries", "10"}), "OK");
  for (int i = 1; i <= 100; ++i) Run({"XADD", "u", std::to_string(i), "f", "v"});
  EXPECT_EQ(Run({"XINFO", "STREAM", "u"})[3].integer, 10);
  EXPECT_EQ(Str({"CONFIG", "GET", "stream-node-max-bytes"}), "[stream-node-max-bytes, 4096]");
}

TEST_F(StreamCmdTest, XreadWithoutBlocking) {
  EXPECT_EQ(Str({"XREAD", "STREAMS", "s", "0"}), "(nil)");
  Run({"XADD", "s", "1", "f", "v"});
  Run({"XADD", "t", "2", "g", "w"});
  EXPECT_EQ(Str({"XREAD", "COUNT", "1", "STREAMS", "s", "t", "0", "0"}),
            "[[s, [[1-0, [f, v]]]], [t, [[2-0, [g, w]]]]]");
  EXPECT_EQ(Str({"XREAD", "STREAMS", "s", "$"}), "(nil)");
  // Inside MULTI a BLOCK read answers at once.
  EXPECT_EQ(Str({"MULTI"}), "OK");
  Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  EXPECT_EQ(Str({"EXEC"}), "[(nil)]");
}

}  // namespace
}  // namespace mnemo::test

// reply_builder_test.cc: the exact bytes of every reply shape in RESP2 and RESP3
// (layer: protocol).
#include "mnemo/protocol/reply_builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

namespace mnemo::protocol {
namespace {

// The bytes `write` produces in a fresh builder speaking `resp`.
std::string Bytes(int resp, const std::function<void(ReplyBuilder&)>& write) {
  ReplyBuilder rb;
  rb.set_resp(resp);
  write(rb);
  return rb.buffer();
}

// Expects `write` to produce `resp2` in RESP2 and `resp3` in RESP3.
void ExpectBytes(const std::function<void(ReplyBuilder&)>& write, const std::string& resp2,
                 const std::string& resp3) {
  EXPECT_EQ(Bytes(2, write), resp2);
  EXPECT_EQ(Bytes(3, write), resp3);
}

TEST(ReplyBuilderTest, StartsInResp2) {
  ReplyBuilder rb;
  EXPECT_EQ(rb.resp(), 2);
  EXPECT_EQ(rb.size(), 0u);
  rb.set_resp(3);
  EXPECT_EQ(rb.resp(), 3);
}

TEST(ReplyBuilderTest, SameInBothProtocols) {
  ExpectBytes([](ReplyBuilder& rb) { rb.SimpleString("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Ok(); }, "+OK\r\n", "+OK\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Integer(0); }, ":0\r\n", ":0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Integer(-42); }, ":-42\r\n", ":-42\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Integer(INT64_MIN); }, ":-9223372036854775808\r\n",
              ":-9223372036854775808\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Integer(INT64_MAX); }, ":9223372036854775807\r\n",
              ":9223372036854775807\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
  ExpectBytes([](ReplyBuilder& rb) { std::memcpy(rb.BulkSpace(5), "hello", 5); }, "$5\r\nhello\r\n",
              "$5\r\nhello\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.BulkSpace(0); }, "$0\r\n\r\n", "$0\r\n\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Bulk(std::string_view("a\r\n\0", 4)); },
              std::string("$4\r\na\r\n\0\r\n", 10), std::string("$4\r\na\r\n\0\r\n", 10));
  ExpectBytes([](ReplyBuilder& rb) { rb.ArrayHeader(3); }, "*3\r\n", "*3\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.ArrayHeader(0); }, "*0\r\n", "*0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.EmptyArray(); }, "*0\r\n", "*0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Raw("+raw\r\n"); }, "+raw\r\n", "+raw\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Error("ERR oops"); }, "-ERR oops\r\n", "-ERR oops\r\n");
}

TEST(ReplyBuilderTest, ShapesThatDifferBetweenProtocols) {
  ExpectBytes([](ReplyBuilder& rb) { rb.Null(); }, "$-1\r\n", "_\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.NullArray(); }, "*-1\r\n", "_\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.MapHeader(2); }, "*4\r\n", "%2\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.MapHeader(0); }, "*0\r\n", "%0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.SetHeader(3); }, "*3\r\n", "~3\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.PushHeader(3); }, "*3\r\n", ">3\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Bool(true); }, ":1\r\n", "#t\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Bool(false); }, ":0\r\n", "#f\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Verbatim("hello"); }, "$5\r\nhello\r\n",
              "=9\r\ntxt:hello\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Verbatim("# x", "mkd"); }, "$3\r\n# x\r\n",
              "=7\r\nmkd:# x\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Verbatim(""); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
}

TEST(ReplyBuilderTest, DoubleIsPercent17g) {
  // Redis addReplyDouble: %.17g, "inf"/"-inf" spelled out; a bulk in RESP2.
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(3.0); }, "$1\r\n3\r\n", ",3\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
              ",0.10000000000000001\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(1e17); }, "$5\r\n1e+17\r\n", ",1e+17\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(-2.5e-10); }, "$23\r\n-2.5000000000000002e-10\r\n",
              ",-2.5000000000000002e-10\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(-0.0); }, "$2\r\n-0\r\n", ",-0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(HUGE_VAL); }, "$3\r\ninf\r\n", ",inf\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.Double(-HUGE_VAL); }, "$4\r\n-inf\r\n", ",-inf\r\n");
}

TEST(ReplyBuilderTest, HumanDoubleIsD2string) {
  ExpectBytes([](ReplyBuilder& rb) { rb.HumanDouble(3.0); }, "$1\r\n3\r\n", ",3\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.HumanDouble(1e15); }, "$16\r\n1000000000000000\r\n",
              ",1000000000000000\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.HumanDouble(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.HumanDouble(-0.0); }, "$2\r\n-0\r\n", ",-0\r\n");
  ExpectBytes([](ReplyBuilder& rb) { rb.HumanDouble(-HUGE_VAL); }, "$4\r\n-inf\r\n", ",-inf\r\n");
}

TEST(ReplyBuilderTest, ErrorsAreCountedWithTheirCode) {
  ReplyBuilder rb;
  EXPECT_EQ(rb.error_count(), 0u);
  EXPECT_EQ(rb.last_error_code(), "");
  rb.Error("ERR syntax error");
  EXPECT_EQ(rb.error_count(), 1u);
  EXPECT_EQ(rb.last_error_code(), "ERR");
  rb.Ok();
  rb.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(rb.error_count(), 2u);
  EXPECT_EQ(rb.last_error_code(), "WRONGTYPE");
  rb.Error("NOAUTH");  // no space: the whole message is the code
  EXPECT_EQ(rb.error_count(), 3u);
  EXPECT_EQ(rb.last_error_code(), "NOAUTH");
  EXPECT_EQ(rb.buffer(),
            "-ERR syntax error\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong "
            "kind of value\r\n-NOAUTH\r\n");
}

TEST(ReplyBuilderTest, ErrorCannotBreakTheProtocol) {
  ReplyBuilder rb;
  rb.Bulk("before\r\n");  // CR/LF in earlier output are left alone
  const size_t start = rb.size();
  rb.Error("ERR bad\r\nthing\nhere\r");
  EXPECT_EQ(rb.buffer().substr(start), "-ERR bad  thing here \r\n");
  EXPECT_EQ(rb.buffer().substr(0, start), "$8\r\nbefore\r\n\r\n");
  EXPECT_EQ(rb.last_error_code(), "ERR");
}

TEST(ReplyBuilderTest, DeferredArray) {
  ReplyBuilder rb;
  rb.Ok();  // output before the deferred reply stays in front of it
  const size_t h = rb.BeginDeferred();
  rb.Bulk("a");
  rb.Integer(2);
  rb.EndDeferredArray(h, 2);
  EXPECT_EQ(rb.buffer(), "+OK\r\n*2\r\n$1\r\na\r\n:2\r\n");
  // An empty deferred array.
  ReplyBuilder empty;
  empty.EndDeferredArray(empty.BeginDeferred(), 0);
  EXPECT_EQ(empty.buffer(), "*0\r\n");
}

TEST(ReplyBuilderTest, DeferredMapAndSet) {
  auto map = [](ReplyBuilder& rb) {
    const size_t h = rb.BeginDeferred();
    rb.Bulk("k");
    rb.Bulk("v");
    rb.EndDeferredMap(h, 1);
  };
  ExpectBytes(map, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n");
  auto set = [](ReplyBuilder& rb) {
    const size_t h = rb.BeginDeferred();
    rb.Bulk("m");
    rb.EndDeferredSet(h, 1);
  };
  ExpectBytes(set, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n");
}

TEST(ReplyBuilderTest, NestedDeferredLengths) {
  // Inner lengths end first; the outer handle lies before them and stays valid.
  auto nested = [](ReplyBuilder& rb) {
    const size_t outer = rb.BeginDeferred();
    for (int i = 0; i < 2; ++i) {
      const size_t inner = rb.BeginDeferred();
      for (int j = 0; j <= i; ++j) rb.Integer(j);
      rb.EndDeferredSet(inner, static_cast<size_t>(i + 1));
    }
    rb.EndDeferredMap(outer, 1);
  };
  ExpectBytes(nested, "*2\r\n*1\r\n:0\r\n*2\r\n:0\r\n:1\r\n",
              "%1\r\n~1\r\n:0\r\n~2\r\n:0\r\n:1\r\n");
  // Large counts print all their digits.
  ReplyBuilder rb;
  rb.EndDeferredArray(rb.BeginDeferred(), 1234567890123u);
  EXPECT_EQ(rb.buffer(), "*1234567890123\r\n");
}

TEST(ReplyBuilderTest, CeilingIsCrossedOnlyPastItsSize) {
  ReplyBuilder r;
  EXPECT_FALSE(r.over_ceiling());  // no ceiling by default
  r.Bulk(std::string(100, 'x'));
  EXPECT_FALSE(r.over_ceiling());
  r.set_ceiling(108);  // "$100\r\n" + 100 bytes + "\r\n" = 108
  EXPECT_FALSE(r.over_ceiling());
  r.Integer(1);
  EXPECT_TRUE(r.over_ceiling());
  r.set_ceiling(0);
  EXPECT_FALSE(r.over_ceiling());
  EXPECT_FALSE(r.cut_short());  // only the loops that stop at the ceiling mark it
  r.MarkCutShort();
  EXPECT_TRUE(r.cut_short());
}

}  // namespace
}  // namespace mnemo::protocol

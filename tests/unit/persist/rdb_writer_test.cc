// rdb_writer_test.cc: persist::RdbWriter byte for byte: lengths, string encodings, LZF, and a
// whole file identical to one redis-server 7.0.15 wrote (tests/unit/persist).
#include "mnemo/persist/rdb_writer.h"

#include <gtest/gtest.h>

#include <lzf.h>

#include <string>

#include "mnemo/db/db.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/persist/rdb_format.h"

namespace mnemo::persist {
namespace {

std::string Hex(const std::string& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

template <typename F>
std::string Written(F&& fn, bool compression = true) {
  StringSink sink;
  RdbWriter w(&sink, RdbWriterOptions{compression});
  fn(w);
  EXPECT_TRUE(w.Flush().ok());
  return sink.out;
}

TEST(RdbWriterTest, Lengths) {
  auto len = [](uint64_t n) { return Hex(Written([&](RdbWriter& w) { w.WriteLen(n); })); };
  EXPECT_EQ(len(0), "00");
  EXPECT_EQ(len(63), "3f");
  EXPECT_EQ(len(64), "4040");
  EXPECT_EQ(len(16383), "7fff");
  EXPECT_EQ(len(16384), "8000004000");
  EXPECT_EQ(len(UINT32_MAX), "80ffffffff");
  EXPECT_EQ(len(uint64_t{1} << 32), "810000000100000000");
}

TEST(RdbWriterTest, StringEncodingsAsRedisChoosesThem) {
  auto str = [](std::string_view s, bool compression = true) {
    return Hex(Written([&](RdbWriter& w) { w.WriteString(s); }, compression));
  };
  EXPECT_EQ(str("12"), "c00c");
  EXPECT_EQ(str("-128"), "c080");
  EXPECT_EQ(str("-129"), "c17fff");
  EXPECT_EQ(str("70000"), "c270110100");
  EXPECT_EQ(str("-2147483648"), "c200000080");
  // Canonical integers only, and only up to 11 characters and 32 bits.
  EXPECT_EQ(str("2147483648"), "0a" + Hex("2147483648"));
  EXPECT_EQ(str("0123"), "04" + Hex("0123"));
  EXPECT_EQ(str("+1"), "02" + Hex("+1"));
  EXPECT_EQ(str(""), "00");
  // Up to 20 bytes: never compressed, even when it would pay.
  EXPECT_EQ(str(std::string(20, 'a')), "14" + Hex(std::string(20, 'a')));
  // 21 bytes and more: LZF when it saves at least 4 bytes.
  const std::string a100(100, 'a');
  const std::string lzf = Unhex(str(a100));
  ASSERT_EQ(static_cast<uint8_t>(lzf[0]), 0xC3);
  const size_t clen = static_cast<uint8_t>(lzf[1]);  // < 64: one byte
  ASSERT_EQ(lzf.substr(2, 2), "\x40\x64");           // 100 as a 14-bit length
  ASSERT_EQ(lzf.size(), 4 + clen);
  std::string back(100, '\0');
  ASSERT_EQ(lzf_decompress(lzf.data() + 4, static_cast<unsigned>(clen), back.data(), 100), 100u);
  EXPECT_EQ(back, a100);
  // rdbcompression no: verbatim.
  EXPECT_EQ(str(a100, false),
            "40"
            "64" +
                Hex(a100));
  // Incompressible: verbatim.
  std::string noise;
  for (int i = 0; i < 64; ++i) noise += static_cast<char>(i * 37 + 11);
  EXPECT_EQ(str(noise),
            "40"
            "40" +
                Hex(noise));
}

TEST(RdbWriterTest, IntegerValuesAsRedisChoosesThem) {
  auto num = [](int64_t v) { return Hex(Written([&](RdbWriter& w) { w.WriteIntString(v); })); };
  EXPECT_EQ(num(5), "c005");
  EXPECT_EQ(num(1000), "c1e803");
  EXPECT_EQ(num(INT64_MAX), "13" + Hex("9223372036854775807"));
}

// redis-server 7.0.15 (Debian 12), `SET b hello`, `SET a 1`, `SAVE`: the file it wrote, byte for
// byte. Written here with the same AUX values and key order, Mnemo's bytes are the same,
// checksum included.
TEST(RdbWriterTest, SameBytesAsRedis) {
  const std::string redis = Unhex(
      "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374"
      "696d65c27ce4136bfa08757365642d6d656dc2e8b40e00fa08616f662d62617365c000fe00fb02000001620568"
      "656c6c6f000161c001ff9493707a29dc3836");
  db::Keyspace ks(1);
  db::Object* b = db::NewStringObject(ks, 0, "b", "hello", -1);
  db::Object* a = db::NewStringObject(ks, 0, "a", "1", -1);
  const std::string mine = Written([&](RdbWriter& w) {
    w.WriteHeader();
    w.WriteAux("redis-ver", "7.0.15");
    w.WriteAux("redis-bits", int64_t{64});
    w.WriteAux("ctime", int64_t{1796465788});
    w.WriteAux("used-mem", int64_t{963816});
    w.WriteAux("aof-base", int64_t{0});
    w.WriteSelectDb(0);
    w.WriteResizeDb(2, 0);
    w.WriteKey(*b, KeyMeta{});
    w.WriteKey(*a, KeyMeta{});
    EXPECT_TRUE(w.WriteEof(true).ok());
  });
  EXPECT_EQ(Hex(mine), Hex(redis));
  db::FreeObject(a);
  db::FreeObject(b);
}

TEST(RdbWriterTest, KeyRecordCarriesExpiryIdleAndFreq) {
  db::Keyspace ks(1);
  db::Object* o = db::NewStringObject(ks, 0, "k", "v", -1);
  KeyMeta meta;
  meta.expire_ms = 0x0102030405060708;
  meta.idle_s = 100;
  meta.lfu_freq = 7;
  EXPECT_EQ(Hex(Written([&](RdbWriter& w) { w.WriteKey(*o, meta); })),
            "fc0807060504030201"
            "f84064"
            "f907"
            "00016b"
            "0176");
  db::FreeObject(o);
}

TEST(RdbWriterTest, SinkErrorSticksAndStopsWriting) {
  struct FailingSink : RdbSink {
    int calls = 0;
    Status Write(const uint8_t*, size_t) override {
      ++calls;
      return Status::Error("No space left on device");
    }
  } sink;
  RdbWriter w(&sink, RdbWriterOptions{});
  w.WriteHeader();
  EXPECT_FALSE(w.Flush().ok());
  const std::string big(1 << 20, 'x');
  w.WriteRaw(big.data(), big.size());
  Status s = w.WriteEof(true);
  EXPECT_EQ(s.message(), "No space left on device");
  EXPECT_EQ(sink.calls, 1);
}

}  // namespace
}  // namespace mnemo::persist

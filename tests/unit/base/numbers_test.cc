// numbers_test.cc: strict number parsing and Redis's number formats (layer: base).
#include "mnemo/base/numbers.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>

namespace mnemo {
namespace {

// ---- ParseInt64 / ParseUint64: Redis string2ll ---------------------------------------------

TEST(ParseInt64Test, AcceptsCanonicalIntegers) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("1"), 1);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64("99"), 99);
  EXPECT_EQ(ParseInt64("-99"), -99);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
}

TEST(ParseInt64Test, RejectsWhatString2llRejects) {
  for (const char* s : {"", "-", "-0", "+1", "+0", " 1", "1 ", "01", "00", "-01", "1a", "a1",
                        "0x10", "1e3", "1.0", "--1", "1-", "\t1"}) {
    EXPECT_FALSE(ParseInt64(s).has_value()) << '"' << s << '"';
  }
}

TEST(ParseInt64Test, RejectsOnePastTheLimits) {
  EXPECT_FALSE(ParseInt64("9223372036854775808").has_value());
  EXPECT_FALSE(ParseInt64("-9223372036854775809").has_value());
  EXPECT_FALSE(ParseInt64("18446744073709551615").has_value());
  EXPECT_FALSE(ParseInt64("18446744073709551616").has_value());
  EXPECT_FALSE(ParseInt64("99999999999999999999").has_value());
}

TEST(ParseInt64Test, RejectsStringsOf21BytesOrMore) {
  // Redis refuses any string of LONG_STR_SIZE (21) bytes or more before looking at it.
  EXPECT_FALSE(ParseInt64(std::string(21, '1')).has_value());
  EXPECT_FALSE(ParseInt64("-" + std::string(20, '1')).has_value());
  EXPECT_FALSE(ParseInt64(std::string(30, '9')).has_value());
}

TEST(ParseInt64Test, EmbeddedNulIsNotADigit) {
  EXPECT_FALSE(ParseInt64(std::string_view("1\0", 2)).has_value());
  EXPECT_FALSE(ParseInt64(std::string_view("\0"
                                           "1",
                                           2))
                   .has_value());
}

// A string parses iff it is exactly how its value prints: the property that lets an int-encoded
// value give back the bytes that were stored. Checked against std::from_chars/to_chars.
TEST(ParseInt64Test, AcceptsExactlyTheCanonicalStringsUnderFuzz) {
  std::mt19937_64 rng(20240611);
  const std::string alphabet = "0123456789-+ ";
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    const size_t len = rng() % 22;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    const bool canonical =
        ec == std::errc() && ptr == s.data() + s.size() && std::to_string(v) == s;
    auto parsed = ParseInt64(s);
    ASSERT_EQ(parsed.has_value(), canonical) << '"' << s << '"';
    if (canonical) {
      ASSERT_EQ(*parsed, v) << s;
    }
  }
}

TEST(ParseInt64Test, RoundTripsRandomValues) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 100000; ++iter) {
    // Spread over magnitudes: shift a random word right by a random amount.
    const int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    ASSERT_EQ(ParseInt64(Int64ToString(v)), v);
  }
}

TEST(ParseUint64Test, AcceptsTheWholeRangeAndNoSign) {
  EXPECT_EQ(ParseUint64("0"), 0u);
  EXPECT_EQ(ParseUint64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseUint64("18446744073709551616").has_value());
  EXPECT_FALSE(ParseUint64("-1").has_value());
  EXPECT_FALSE(ParseUint64("-0").has_value());
  EXPECT_FALSE(ParseUint64("+1").has_value());
  EXPECT_FALSE(ParseUint64("01").has_value());
  EXPECT_FALSE(ParseUint64(" 1").has_value());
  EXPECT_FALSE(ParseUint64("").has_value());
  EXPECT_FALSE(ParseUint64(std::string(21, '1')).has_value());
}

TEST(ParseUint64Test, OnlyTheTwentiethDigitCanOverflow) {
  // 19 digits are parsed without overflow checks; the 20th is checked.
  EXPECT_EQ(ParseUint64("9999999999999999999"), 9999999999999999999u);
  EXPECT_EQ(ParseUint64("10000000000000000000"), 10000000000000000000u);
  EXPECT_EQ(ParseUint64("18446744073709551609"), UINT64_MAX - 6);
  EXPECT_FALSE(ParseUint64("18446744073709551620").has_value());
  EXPECT_FALSE(ParseUint64("19000000000000000000").has_value());
  EXPECT_FALSE(ParseUint64("99999999999999999999").has_value());
  // A non-digit anywhere, the 20th place included, refuses the string.
  EXPECT_FALSE(ParseUint64("1844674407370955161a").has_value());
  EXPECT_FALSE(ParseUint64("184467440737095516x5").has_value());
  EXPECT_FALSE(ParseUint64("1x").has_value());
}

TEST(FormatInt64Test, WritesDigitsAndTerminator) {
  char buf[kMaxInt64Chars];
  EXPECT_EQ(FormatInt64(buf, INT64_MIN), 20u);
  EXPECT_STREQ(buf, "-9223372036854775808");
  EXPECT_EQ(FormatInt64(buf, 0), 1u);
  EXPECT_STREQ(buf, "0");
  EXPECT_EQ(Int64ToString(INT64_MAX), "9223372036854775807");
  EXPECT_EQ(Int64ToString(-99), "-99");
}

// ---- ParseDouble / ParseLongDouble: Redis getDoubleFromObject / string2ld -----------------

TEST(ParseDoubleTest, AcceptsWhatStrtodAcceptsWhole) {
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("-1.5"), -1.5);
  EXPECT_EQ(ParseDouble("+1.5"), 1.5);
  EXPECT_EQ(ParseDouble("1e3"), 1000.0);
  EXPECT_EQ(ParseDouble(".5"), 0.5);
  EXPECT_EQ(ParseDouble("5."), 5.0);
  EXPECT_EQ(ParseDouble("007"), 7.0);
  EXPECT_EQ(ParseDouble("0x10"), 16.0);  // strtod reads hex
  EXPECT_EQ(ParseDouble("0x1p-2"), 0.25);
  EXPECT_EQ(ParseDouble("inf"), HUGE_VAL);
  EXPECT_EQ(ParseDouble("-inf"), -HUGE_VAL);
  EXPECT_EQ(ParseDouble("+inf"), HUGE_VAL);
  EXPECT_EQ(ParseDouble("Infinity"), HUGE_VAL);
  EXPECT_EQ(ParseDouble("1.7976931348623157e308"), std::numeric_limits<double>::max());
  // A subnormal result sets ERANGE but is neither zero nor infinite: accepted, as in Redis.
  EXPECT_EQ(ParseDouble("4.9e-324"), std::numeric_limits<double>::denorm_min());
  auto negzero = ParseDouble("-0");
  ASSERT_TRUE(negzero.has_value());
  EXPECT_TRUE(std::signbit(*negzero));
}

TEST(ParseDoubleTest, RejectsNanSpacesGarbageAndOverflow) {
  for (const char* s : {"", "nan", "NaN", "-nan", " 1", "\t1", "\n1", "1 ", "1x", "abc", "1e",
                        "--1", "1e400", "-1e400", "1e-400"}) {
    EXPECT_FALSE(ParseDouble(s).has_value()) << '"' << s << '"';
  }
  EXPECT_FALSE(ParseDouble(std::string_view("1\0", 2)).has_value());
}

// The rule ParseDouble implements, with strtod alone (its fast path must not change answers).
std::optional<double> ReferenceParseDouble(const std::string& s) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return std::nullopt;
  if (std::isnan(v)) return std::nullopt;
  return v;
}

TEST(ParseDoubleTest, AgreesWithStrtodOnRandomInputs) {
  std::mt19937_64 rng(20261205);
  const std::string alphabet = "0123456789.eE+-xXpPinfatyINF ";
  auto check = [](const std::string& s) {
    const std::optional<double> got = ParseDouble(s);
    const std::optional<double> want = ReferenceParseDouble(s);
    ASSERT_EQ(got.has_value(), want.has_value()) << '"' << s << '"';
    if (got) {
      // Bit for bit: the same rounding, the same sign of zero.
      uint64_t a;
      uint64_t b;
      std::memcpy(&a, &*got, 8);
      std::memcpy(&b, &*want, 8);
      ASSERT_EQ(a, b) << '"' << s << '"';
    }
  };
  for (const char* s :
       {"1e-320", "2.4703282292062328e-324", "2.4703282292062327e-324", "1e-400", "1e308",
        "1.8e308", "-0.0", "0e999", "0x1p-1074", "00000.5", "+inf", "infinity", "INFINITY",
        "infinit", "nan(123)", "1_000", "1.e5",
        // the simple-decimal path and its limits
        "0.1", "-0", "-.5", ".", "-", "1..2", "5.", "-0.0000", "249.75", "9007199254740992",
        "9007199254740993", "900719925474099.3", "0.0000000000000000000001",
        "0.00000000000000000000001", "1234567890123456789", "12345678901234567890",
        "0000000000000000000001", "-9007199254740991.0"}) {
    check(s);
  }
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    switch (rng() % 4) {
      case 0: {  // any double, printed as Redis prints scores
        uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, 8);
        std::snprintf(buf, sizeof(buf), "%.17g", d);
        s = buf;
        break;
      }
      case 1: {  // short decimals, as most scores are
        std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(rng() % 6),
                      static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) / 64);
        s = buf;
        break;
      }
      case 2: {  // exponents at the edges of the range
        std::snprintf(buf, sizeof(buf), "%llue%d", static_cast<unsigned long long>(rng() % 100000),
                      static_cast<int>(rng() % 700) - 350);
        s = buf;
        break;
      }
      default: {  // garbage from the characters that matter
        const size_t len = rng() % 12;
        for (size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
        break;
      }
    }
    check(s);
  }
}

TEST(ParseLongDoubleTest, AcceptsAndRejectsAsString2ld) {
  EXPECT_EQ(ParseLongDouble("10.5"), 10.5L);
  EXPECT_EQ(ParseLongDouble("-3"), -3.0L);
  EXPECT_EQ(ParseLongDouble("0x10"), 16.0L);
  EXPECT_EQ(ParseLongDouble("inf"), HUGE_VALL);
  EXPECT_EQ(ParseLongDouble("-inf"), -HUGE_VALL);
  // 1e400 overflows a double but not an x86 long double.
  EXPECT_TRUE(ParseLongDouble("1e400").has_value());
  for (const char* s : {"", "nan", "-nan", " 1", "1 ", "1x", "1e5000", "-1e5000", "1e-5000"}) {
    EXPECT_FALSE(ParseLongDouble(s).has_value()) << '"' << s << '"';
  }
  // Redis refuses strings that do not fit its MAX_LONG_DOUBLE_CHARS buffer.
  EXPECT_FALSE(ParseLongDouble(std::string(kMaxLongDoubleChars, '1')).has_value());
  EXPECT_TRUE(ParseLongDouble(std::string(kMaxLongDoubleChars - 1, '0')).has_value());
}

// ---- DoubleToString: Redis 7.0 d2string -----------------------------------------------------

TEST(DoubleToStringTest, IntegralValuesBelow2To52PrintAsIntegers) {
  EXPECT_EQ(DoubleToString(3.0), "3");
  EXPECT_EQ(DoubleToString(-3.0), "-3");
  EXPECT_EQ(DoubleToString(1e15), "1000000000000000");
  EXPECT_EQ(DoubleToString(4503599627370495.0), "4503599627370495");
  EXPECT_EQ(DoubleToString(-4503599627370494.0), "-4503599627370494");
  // From 2^52 on, and for anything with a fraction, %.17g.
  EXPECT_EQ(DoubleToString(1e17), "1e+17");
  EXPECT_EQ(DoubleToString(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(DoubleToString(1.5), "1.5");
  EXPECT_EQ(DoubleToString(0.1), "0.10000000000000001");
  EXPECT_EQ(DoubleToString(-2.5e-10), "-2.5000000000000002e-10");
}

TEST(DoubleToStringTest, ZerosInfinitiesAndNan) {
  EXPECT_EQ(DoubleToString(0.0), "0");
  EXPECT_EQ(DoubleToString(-0.0), "-0");
  EXPECT_EQ(DoubleToString(HUGE_VAL), "inf");
  EXPECT_EQ(DoubleToString(-HUGE_VAL), "-inf");
  EXPECT_EQ(DoubleToString(std::nan("")), "nan");
}

TEST(DoubleToStringTest, RoundTripsThroughParseDouble) {
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 20000; ++iter) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d)) continue;
    auto back = ParseDouble(DoubleToString(d));
    ASSERT_TRUE(back.has_value()) << DoubleToString(d);
    ASSERT_EQ(*back, d) << DoubleToString(d);
  }
}

// ---- LongDoubleToString: INCRBYFLOAT's ld2string(LD_STR_HUMAN) ------------------------------

// The sum as INCRBYFLOAT computes and prints it.
std::string IncrByFloat(const char* value, const char* increment) {
  return LongDoubleToString(*ParseLongDouble(value) + *ParseLongDouble(increment));
}

TEST(LongDoubleToStringTest, PrintsWhatIncrbyfloatPrints) {
  // Each expectation is the reply of redis-server 7.0.15 to SET f <value>; INCRBYFLOAT f <incr>.
  EXPECT_EQ(IncrByFloat("10.5", "0.1"), "10.6");
  EXPECT_EQ(IncrByFloat("3.0e3", "0"), "3000");
  EXPECT_EQ(IncrByFloat("5.0e3", "0"), "5000");
  EXPECT_EQ(IncrByFloat("17179869184", "1.5"), "17179869185.5");
  EXPECT_EQ(IncrByFloat("17179869184", "17179869184"), "34359738368");
  EXPECT_EQ(IncrByFloat("1", "-1.1"), "-0.1");
  EXPECT_EQ(IncrByFloat("0", "1e-5"), "0.00001");
  EXPECT_EQ(IncrByFloat("1.5", "1.5"), "3");
  EXPECT_EQ(IncrByFloat("0.1", "0.2"), "0.3");
  EXPECT_EQ(IncrByFloat("-0.5", "0.5"), "0");  // never "-0"
  EXPECT_EQ(IncrByFloat("1e300", "1"),
            "100000000000000000000899732407955919387052394427329074793826008232126564659618093575"
            "584915208375049719035037250861427483590359255618467298391309626052074864628732713564"
            "184365329408425510760601678972665293237003055138294762099454029477278188962060617926"
            "7611627097410650567187386105690089424915104006144");
}

TEST(LongDoubleToStringTest, ZerosAndInfinities) {
  EXPECT_EQ(LongDoubleToString(0.0L), "0");
  EXPECT_EQ(LongDoubleToString(-0.0L), "0");
  EXPECT_EQ(LongDoubleToString(HUGE_VALL), "inf");
  EXPECT_EQ(LongDoubleToString(-HUGE_VALL), "-inf");
  EXPECT_EQ(LongDoubleToString(1e-18L), "0");  // below the 17 decimals
  EXPECT_EQ(LongDoubleToString(-1e-18L), "0");
  EXPECT_EQ(LongDoubleToString(100.0L), "100");  // zeros before the point stay
}

// ---- ParseMemory: Redis memtoull --------------------------------------------------------------

TEST(ParseMemoryTest, UnitsAreDecimalOrBinary) {
  EXPECT_EQ(ParseMemory("42"), 42);
  EXPECT_EQ(ParseMemory("42b"), 42);
  EXPECT_EQ(ParseMemory("1k"), 1000);
  EXPECT_EQ(ParseMemory("1kb"), 1024);
  EXPECT_EQ(ParseMemory("1m"), 1000000);
  EXPECT_EQ(ParseMemory("1mb"), 1048576);
  EXPECT_EQ(ParseMemory("1g"), 1000000000);
  EXPECT_EQ(ParseMemory("1gb"), 1073741824);
  EXPECT_EQ(ParseMemory("1GB"), 1073741824);
  EXPECT_EQ(ParseMemory("1Gb"), 1073741824);
  EXPECT_EQ(ParseMemory("512K"), 512000);
  EXPECT_EQ(ParseMemory("100mb"), 100LL * 1024 * 1024);
}

TEST(ParseMemoryTest, DigitsAsRedisReadsThem) {
  // Checked against redis-server 7.0.15's CONFIG SET maxmemory.
  EXPECT_EQ(ParseMemory("01k"), 1000);
  EXPECT_EQ(ParseMemory(""), 0);
  EXPECT_EQ(ParseMemory("kb"), 0);
  EXPECT_EQ(ParseMemory("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseMemory("9223372036854775808").has_value());
  EXPECT_FALSE(ParseMemory("8589934592gb").has_value());  // 2^63 bytes
  EXPECT_EQ(ParseMemory("8589934591gb"), 8589934591LL * 1024 * 1024 * 1024);
}

TEST(ParseMemoryTest, RejectsGarbage) {
  for (const char* s : {"-1", "-1kb", "+5", " 5", "5 ", "1.5k", "0x10", "1bb", "1kbb", "1t", "1tb",
                        "k1", "abc", "1 kb"}) {
    EXPECT_FALSE(ParseMemory(s).has_value()) << '"' << s << '"';
  }
}

// ---- BytesToHuman: Redis bytesToHuman ---------------------------------------------------------

TEST(BytesToHumanTest, FormatsAsRedis) {
  constexpr uint64_t kK = 1024;
  EXPECT_EQ(BytesToHuman(0), "0B");
  EXPECT_EQ(BytesToHuman(1023), "1023B");
  EXPECT_EQ(BytesToHuman(kK), "1.00K");
  EXPECT_EQ(BytesToHuman(1536), "1.50K");
  EXPECT_EQ(BytesToHuman(1152), "1.12K");  // 1.125: round half to even, as printf
  EXPECT_EQ(BytesToHuman(kK * kK - 1), "1024.00K");
  EXPECT_EQ(BytesToHuman(kK * kK), "1.00M");
  EXPECT_EQ(BytesToHuman(kK * kK * 3 / 2), "1.50M");
  EXPECT_EQ(BytesToHuman(kK * kK * kK), "1.00G");
  EXPECT_EQ(BytesToHuman(12ULL * kK * kK * kK + 340ULL * kK * kK), "12.33G");
  EXPECT_EQ(BytesToHuman(kK * kK * kK * kK), "1.00T");
  EXPECT_EQ(BytesToHuman(kK * kK * kK * kK * kK), "1.00P");
  // From 1024^6 on Redis falls back to plain bytes.
  EXPECT_EQ(BytesToHuman(kK * kK * kK * kK * kK * kK), "1152921504606846976B");
  EXPECT_EQ(BytesToHuman(UINT64_MAX), "18446744073709551615B");
}

TEST(BytesToHumanTest, MatchesPrintfTwoDecimals) {
  // Redis formats with printf("%.2f"); fmt must round the same way everywhere.
  for (uint64_t n = 1024; n < 1024 * 1024; n += 7) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.2fK", static_cast<double>(n) / 1024);
    ASSERT_EQ(BytesToHuman(n), buf) << n;
  }
}

}  // namespace
}  // namespace mnemo

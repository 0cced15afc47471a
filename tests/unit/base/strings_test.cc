// strings_test.cc: argument splitting (Redis sdssplitargs), quoting, case helpers (layer: base).
#include "mnemo/base/strings.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace mnemo {
namespace {

using Args = std::vector<std::string>;

std::optional<Args> Split(std::string_view line) { return SplitArgs(line); }

TEST(SplitArgsTest, WordsSeparatedByBlanks) {
  EXPECT_EQ(Split("set key value"), (Args{"set", "key", "value"}));
  EXPECT_EQ(Split("  set\t key \r\n value  "), (Args{"set", "key", "value"}));
  EXPECT_EQ(Split(""), Args{});
  EXPECT_EQ(Split("   \t "), Args{});
  // isspace as in Redis: \v and \f are blanks between arguments too.
  EXPECT_EQ(Split("\va\fb"), (Args{"a\fb"}));
  EXPECT_EQ(Split("\v\fa"), (Args{"a"}));
}

TEST(SplitArgsTest, DoubleQuotesWithEscapes) {
  EXPECT_EQ(Split("\"hello world\""), (Args{"hello world"}));
  EXPECT_EQ(Split("\"\""), (Args{""}));
  EXPECT_EQ(Split("a \"\" b"), (Args{"a", "", "b"}));
  EXPECT_EQ(Split(R"("a\nb\rc\td\be\af")"), (Args{"a\nb\rc\td\be\af"}));
  EXPECT_EQ(Split(R"("q\"q" "b\\s")"), (Args{"q\"q", "b\\s"}));
  EXPECT_EQ(Split(R"("\z")"), (Args{"z"}));  // unknown escapes give the byte itself
  EXPECT_EQ(Split(R"("\x41\x62\x5A")"), (Args{"AbZ"}));
  EXPECT_EQ(Split(R"("\x00\xff")"), (Args{std::string("\0\xff", 2)}));
  // Not a valid \xHH: the 'x' is an escaped x and the rest is literal.
  EXPECT_EQ(Split(R"("\x4g")"), (Args{"x4g"}));
  EXPECT_EQ(Split(R"("\x4")"), (Args{"x4"}));
  // Quotes join with adjacent unquoted text into one argument.
  EXPECT_EQ(Split("foo\"bar baz\""), (Args{"foobar baz"}));
}

TEST(SplitArgsTest, SingleQuotesEscapeOnlyTheQuote) {
  EXPECT_EQ(Split("'hello world'"), (Args{"hello world"}));
  EXPECT_EQ(Split(R"('it\'s')"), (Args{"it's"}));
  EXPECT_EQ(Split(R"('a\nb')"), (Args{"a\\nb"}));
  EXPECT_EQ(Split(R"('\x41')"), (Args{"\\x41"}));
  EXPECT_EQ(Split("''"), (Args{""}));
}

TEST(SplitArgsTest, UnbalancedQuotes) {
  EXPECT_EQ(Split("\"abc"), std::nullopt);
  EXPECT_EQ(Split("'abc"), std::nullopt);
  EXPECT_EQ(Split("set \"a"), std::nullopt);
  EXPECT_EQ(Split(R"("abc\")"), std::nullopt);  // the quote is escaped
  EXPECT_EQ(Split(R"("abc\)"), std::nullopt);   // a lone backslash at the end
  EXPECT_EQ(Split(R"('abc\')"), std::nullopt);
}

TEST(SplitArgsTest, ClosingQuoteMustBeFollowedByABlank) {
  EXPECT_EQ(Split("\"a\"b"), std::nullopt);
  EXPECT_EQ(Split("'a'b"), std::nullopt);
  EXPECT_EQ(Split("\"a\"\"b\""), std::nullopt);
  EXPECT_EQ(Split("\"a\" b"), (Args{"a", "b"}));
  EXPECT_EQ(Split("\"a\"\tb"), (Args{"a", "b"}));
  EXPECT_EQ(Split("\"a\"\v"), (Args{"a"}));
  EXPECT_EQ(Split("'a'"), (Args{"a"}));
}

TEST(SplitArgsTest, NulSeparatesLikeABlank) {
  // Redis's C strings end at a NUL; our lines are binary, so NUL separates arguments.
  EXPECT_EQ(Split(std::string_view("a\0b", 3)), (Args{"a", "b"}));
  EXPECT_EQ(Split(std::string_view("\"a\"\0", 4)), (Args{"a"}));
  // Inside quotes it is a byte like any other.
  EXPECT_EQ(Split(std::string_view("\"a\0b\"", 5)), (Args{std::string("a\0b", 3)}));
}

TEST(QuoteReprTest, EscapesAsSdscatrepr) {
  EXPECT_EQ(QuoteRepr(""), "\"\"");
  EXPECT_EQ(QuoteRepr("abc"), "\"abc\"");
  EXPECT_EQ(QuoteRepr("a b"), "\"a b\"");
  EXPECT_EQ(QuoteRepr("\"\\"), R"("\"\\")");
  EXPECT_EQ(QuoteRepr("\n\r\t\a\b"), R"("\n\r\t\a\b")");
  EXPECT_EQ(QuoteRepr(std::string("\0\x01\x7f\x80\xff", 5)), R"("\x00\x01\x7f\x80\xff")");
  EXPECT_EQ(QuoteRepr("\v\f"), R"("\x0b\x0c")");
}

TEST(QuoteReprTest, SplitArgsReadsItBack) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (const std::string& s : {all, std::string(), std::string("it's \"quoted\"")}) {
    auto back = SplitArgs(QuoteRepr(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, Args{s});
  }
}

TEST(CaseTest, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("GET", "get"));
  EXPECT_TRUE(EqualsIgnoreCase("MaxMemory-Policy", "maxmemory-POLICY"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("get", "gets"));
  EXPECT_FALSE(EqualsIgnoreCase("get", "set"));
  // ASCII only: '@' (0x40) and '`' (0x60) differ by 32 but are not letters.
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3", "\xe3"));
  EXPECT_TRUE(EqualsIgnoreCase(std::string_view("a\0", 2), std::string_view("A\0", 2)));
  EXPECT_FALSE(EqualsIgnoreCase(std::string_view("a\0", 2), std::string_view("a", 1)));
}

TEST(CaseTest, ToLowerToUpper) {
  EXPECT_EQ(ToLower("HeLLo-World_1"), "hello-world_1");
  EXPECT_EQ(ToUpper("HeLLo-World_1"), "HELLO-WORLD_1");
  EXPECT_EQ(ToUpper("@[`{"), "@[`{");
  EXPECT_EQ(ToLower("\xc3"), "\xc3");
}

}  // namespace
}  // namespace mnemo

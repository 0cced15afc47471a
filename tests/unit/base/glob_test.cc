// glob_test.cc: glob matching against Redis's answers and a recursive reference (layer: base).
#include "mnemo/base/glob.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace mnemo {
namespace {

// The keys of the table below; "\x80" and "\xff" check that bytes above 127 are plain bytes.
const std::vector<std::string> kKeys = {
    "",   "a",     "ab",   "abc",   "A",     "aB",    "[",     "]",        "\\",    "-",  "^", "a*",
    "a?", "*",     "?",    "hello", "hallo", "hillo", "hxllo", "heeeello", "Hello", "x",  "Z", "b",
    "a]", "foo_a", "{a}x", "{b}a",  "\xff",  "\x80",  "a-",    "c",        "[a]",   "a\\"};

struct KeysCase {
  std::string pattern;
  std::set<std::string> matches;
};

// What redis-server 7.0.15 answers to KEYS <pattern> with exactly kKeys in the database
// (KEYS "*" is left out: Redis answers it without matching; see EmptyText below).
const std::vector<KeysCase> kRedisKeys = {
    {"**", {"*",     "-",   "?",    "A",    "Hello", "Z",     "[",        "[a]",   "\\",
            "]",     "^",   "a",    "a*",   "a-",    "a?",    "aB",       "a\\",   "a]",
            "ab",    "abc", "b",    "c",    "foo_a", "hallo", "heeeello", "hello", "hillo",
            "hxllo", "x",   "{a}x", "{b}a", "\x80",  "\xff"}},
    {"", {""}},
    {"?", {"*", "-", "?", "A", "Z", "[", "\\", "]", "^", "a", "b", "c", "x", "\x80", "\xff"}},
    {"a*", {"a", "a*", "a-", "a?", "aB", "a\\", "a]", "ab", "abc"}},
    {"*a", {"a", "foo_a", "{b}a"}},
    {"a?", {"a*", "a-", "a?", "aB", "a\\", "a]", "ab"}},
    {"h?llo", {"hallo", "hello", "hillo", "hxllo"}},
    {"h*llo", {"hallo", "heeeello", "hello", "hillo", "hxllo"}},
    {"h[ae]llo", {"hallo", "hello"}},
    {"h[^e]llo", {"hallo", "hillo", "hxllo"}},
    {"h[a-b]llo", {"hallo"}},
    {"[a-c]", {"a", "b", "c"}},
    {"[c-a]", {"a", "b", "c"}},
    {"[^a]", {"*", "-", "?", "A", "Z", "[", "\\", "]", "^", "b", "c", "x", "\x80", "\xff"}},
    {"[^", {"*", "-", "?", "A", "Z", "[", "\\", "]", "^", "a", "b", "c", "x", "\x80", "\xff"}},
    {"[", {}},
    {"[a", {"a"}},
    {"[]", {}},
    {"[]]", {}},
    {"[\\]]", {"]"}},
    {"\\*", {"*"}},
    {"\\?", {"?"}},
    {"a\\*", {"a*"}},
    {"\\", {"\\"}},
    {"a\\", {"a\\"}},
    {"[a-]", {"]", "^", "a"}},
    {"[-a]", {"-", "a"}},
    {"[\\-]", {"-"}},
    {"[a\\-c]", {"-", "a", "c"}},
    {"[Z-a]", {"Z", "[", "\\", "]", "^", "a"}},
    {"[\x80-\xff]", {"\x80", "\xff"}},
    {"*[", {}},
    {"a[", {}},
    {"[^]", {"*", "-", "?", "A", "Z", "[", "\\", "]", "^", "a", "b", "c", "x", "\x80", "\xff"}},
    {"{a}*", {"{a}x"}},
    {"*{b}*", {"{b}a"}},
    {"[!a]", {"a"}},
    {"?*", {"*",     "-",   "?",    "A",    "Hello", "Z",     "[",        "[a]",   "\\",
            "]",     "^",   "a",    "a*",   "a-",    "a?",    "aB",       "a\\",   "a]",
            "ab",    "abc", "b",    "c",    "foo_a", "hallo", "heeeello", "hello", "hillo",
            "hxllo", "x",   "{a}x", "{b}a", "\x80",  "\xff"}},
    {"a**", {"a", "a*", "a-", "a?", "aB", "a\\", "a]", "ab", "abc"}},
    {"**a", {"a", "foo_a", "{b}a"}},
};

TEST(GlobMatchTest, AnswersAsRedisKeys) {
  for (const KeysCase& c : kRedisKeys) {
    std::set<std::string> got;
    for (const std::string& k : kKeys) {
      if (GlobMatch(c.pattern, k)) got.insert(k);
    }
    EXPECT_EQ(got, c.matches) << "pattern \"" << c.pattern << '"';
  }
}

TEST(GlobMatchTest, EmptyText) {
  // Redis's stringmatchlen: the empty string matches only the empty pattern, not even "*"
  // (KEYS * lists an empty key only because KEYS skips matching for a lone "*").
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  // Text used up before the pattern: trailing stars still match nothing more.
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a***", "a"));
  EXPECT_FALSE(GlobMatch("a*?", "a"));
}

TEST(GlobMatchTest, RedisKeyspaceSuite) {
  // tests/unit/keyspace.tcl: "KEYS with pattern" and "KEYS with hashtag".
  for (const char* k : {"foo_a", "foo_b", "foo_c"}) EXPECT_TRUE(GlobMatch("foo*", k));
  for (const char* k : {"key_x", "key_y", "key_z"}) EXPECT_FALSE(GlobMatch("foo*", k));
  for (const char* k : {"{a}x", "{a}y", "{a}z"}) {
    EXPECT_TRUE(GlobMatch("{a}*", k));
    EXPECT_FALSE(GlobMatch("*{b}*", k));
  }
  for (const char* k : {"{b}a", "{b}b", "{b}c"}) {
    EXPECT_FALSE(GlobMatch("{a}*", k));
    EXPECT_TRUE(GlobMatch("*{b}*", k));
  }
}

TEST(GlobMatchTest, NocaseFoldsAsciiOnly) {
  EXPECT_TRUE(GlobMatch("MAXMEMORY", "maxmemory", true));
  EXPECT_FALSE(GlobMatch("MAXMEMORY", "maxmemory", false));
  EXPECT_TRUE(GlobMatch("max*", "MaxMemory-Policy", true));
  EXPECT_TRUE(GlobMatch("[M-M]axmemory", "maxmemory", true));
  EXPECT_TRUE(GlobMatch("h[AE]llo", "hello", true));
  EXPECT_TRUE(GlobMatch("h[^AE]llo", "hillo", true));
  EXPECT_FALSE(GlobMatch("h[^AE]llo", "hello", true));
  EXPECT_TRUE(GlobMatch("\\A", "a", true));  // an escaped byte folds too
  // Inside a class an escaped byte is compared exactly, as in Redis.
  EXPECT_FALSE(GlobMatch("[\\A]", "a", true));
  EXPECT_TRUE(GlobMatch("[\\A]", "A", true));
  // A range is put in order before it is folded: nocase "[Z-a]" is z..a, which holds nothing
  // (redis-server 7.0.15: CONFIG GET "[Z-a]axmemory" is empty).
  EXPECT_FALSE(GlobMatch("[Z-a]axmemory", "maxmemory", true));
  EXPECT_FALSE(GlobMatch("[Z-a]", "z", true));
  EXPECT_FALSE(GlobMatch("[Z-a]", "a", true));
  EXPECT_TRUE(GlobMatch("[Z-a]", "a", false));
  // Only ASCII letters fold.
  EXPECT_FALSE(GlobMatch("\xc3", "\xe3", true));
}

TEST(GlobMatchTest, BinarySafe) {
  const std::string text("a\0b", 3);
  EXPECT_TRUE(GlobMatch(std::string("a\0b", 3), text));
  EXPECT_TRUE(GlobMatch("a?b", text));
  EXPECT_TRUE(GlobMatch("a*", text));
  EXPECT_FALSE(GlobMatch("a", text));
  EXPECT_TRUE(GlobMatch(std::string("[\0]", 3), std::string("\0", 1)));
}

TEST(GlobMatchTest, BytesAbove127CompareUnsigned) {
  // Redis compares a range's ends as C chars, so "[a-\xff]" depends on the platform's char
  // signedness there; we compare bytes, which is what an unsigned-char platform answers.
  EXPECT_TRUE(GlobMatch("[a-\xff]", "\x80"));
  EXPECT_TRUE(GlobMatch("[a-\xff]", "z"));
  EXPECT_FALSE(GlobMatch("[a-\xff]", "A"));
}

// ---- Work stays bounded ---------------------------------------------------------------------

TEST(GlobMatchTest, PathologicalPatternsFinish) {
  // tests/unit/keyspace.tcl "Regression for pattern matching long nested loops", made bigger:
  // a naive backtracking matcher takes exponential time on these. No timing is asserted; the
  // test would simply not finish.
  const std::string a40(40, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", a40));
  const std::string long_text(100000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  EXPECT_FALSE(GlobMatch(pattern + "*b", long_text));
  EXPECT_TRUE(GlobMatch(pattern + "*", long_text));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*b", std::string(200000, 'a')));
  EXPECT_FALSE(GlobMatch("*[ab]*[ab]*[ab]*[ab]*c", std::string(100000, 'b')));
}

TEST(GlobMatchTest, MoreThan1000NestedStarsMatchNothing) {
  // Redis 7.0.15 stops recursing past 1000 nested stars; its answers with 2000 'a's:
  const std::string text(2000, 'a');
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  EXPECT_TRUE(GlobMatch(repeat("*a", 1000), text));
  EXPECT_TRUE(GlobMatch(repeat("*a", 1000) + "*", text));
  EXPECT_TRUE(GlobMatch(repeat("*a", 1000) + "**", text));
  EXPECT_FALSE(GlobMatch(repeat("*a", 1001), text));
  EXPECT_TRUE(GlobMatch(repeat("*?", 1000), text));
  EXPECT_FALSE(GlobMatch(repeat("*?", 1500), text));
  EXPECT_FALSE(GlobMatch(repeat("*?", 50000), std::string(50000, 'a')));
  // Stars inside a class or escaped are not stars.
  EXPECT_TRUE(GlobMatch(repeat("[*]", 1500), std::string(1500, '*')));
  EXPECT_TRUE(GlobMatch(repeat("\\*", 1500), std::string(1500, '*')));
}

// ---- Against a reference: Redis's recursive algorithm, written plainly ----------------------

// Returns whether text[t..] matches pattern[p..], with Redis's rules: the straightforward
// recursive matcher (exponential in the worst case, fine for the short inputs used here).
bool ReferenceMatch(const std::string& pat, size_t p, const std::string& text, size_t t,
                    bool nocase) {
  auto fold = [nocase](unsigned char c) {
    return nocase ? static_cast<unsigned char>(std::tolower(c)) : c;
  };
  while (p < pat.size() && t < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[t]);
    switch (pat[p]) {
      case '*': {
        while (p + 1 < pat.size() && pat[p + 1] == '*') ++p;
        if (p + 1 == pat.size()) return true;
        for (size_t k = t; k < text.size(); ++k) {
          if (ReferenceMatch(pat, p + 1, text, k, nocase)) return true;
        }
        return false;
      }
      case '?':
        ++p;
        break;
      case '[': {
        size_t i = p + 1;
        const bool negate = i < pat.size() && pat[i] == '^';
        if (negate) ++i;
        bool match = false;
        while (i < pat.size() && pat[i] != ']') {
          if (pat[i] == '\\' && i + 1 < pat.size()) {
            if (static_cast<unsigned char>(pat[i + 1]) == c) match = true;
            i += 2;
          } else if (i + 2 < pat.size() && pat[i + 1] == '-') {
            unsigned char lo = pat[i], hi = pat[i + 2];
            if (lo > hi) std::swap(lo, hi);
            if (fold(c) >= fold(lo) && fold(c) <= fold(hi)) match = true;
            i += 3;
          } else {
            if (fold(pat[i]) == fold(c)) match = true;
            ++i;
          }
        }
        if (negate) match = !match;
        if (!match) return false;
        p = i < pat.size() ? i + 1 : i;
        break;
      }
      case '\\':
        if (p + 1 < pat.size()) ++p;
        [[fallthrough]];
      default:
        if (fold(pat[p]) != fold(c)) return false;
        ++p;
        break;
    }
    ++t;
    if (t == text.size()) {
      while (p < pat.size() && pat[p] == '*') ++p;
    }
  }
  return p == pat.size() && t == text.size();
}

TEST(GlobMatchTest, AgreesWithTheReferenceOnRandomInputs) {
  std::mt19937 rng(12345);
  // Few distinct bytes so that matches are common; every special character is in play.
  const std::string pattern_bytes = "abAB*?[]^-\\";
  const std::string text_bytes = "abAB*?[]^-\\";
  int matches = 0;
  for (int iter = 0; iter < 300000; ++iter) {
    std::string pat, text;
    const size_t plen = rng() % 10;
    const size_t tlen = rng() % 10;
    for (size_t i = 0; i < plen; ++i) pat.push_back(pattern_bytes[rng() % pattern_bytes.size()]);
    for (size_t i = 0; i < tlen; ++i) text.push_back(text_bytes[rng() % text_bytes.size()]);
    const bool nocase = rng() % 2;
    const bool want = ReferenceMatch(pat, 0, text, 0, nocase);
    ASSERT_EQ(GlobMatch(pat, text, nocase), want)
        << "pattern \"" << pat << "\" text \"" << text << "\" nocase " << nocase;
    matches += want;
  }
  // The generator must exercise both answers.
  EXPECT_GT(matches, 5000);
  EXPECT_LT(matches, 290000);
}

}  // namespace
}  // namespace mnemo

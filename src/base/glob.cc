// glob.cc: iterative glob matching with single-star backtracking (layer: base).
//
// When a '*' is seen we remember where it was; on a later mismatch we let that star swallow one
// more byte and retry. Only the last star needs remembering: any match an earlier star could
// produce by swallowing more, the last star can produce too.
//
// The answers are Redis's stringmatchlen's, including its corner cases: an empty string matches
// only the empty pattern, a range is put in order before it is folded to lower case, and a
// pattern with more than 1000 nested stars matches nothing.
#include "mnemo/base/glob.h"

#include <cstddef>

namespace mnemo {

namespace {

// Redis 7.0.15 gives up on a pattern whose stars nest deeper than this (its matcher recurses
// once per star), so such a pattern matches nothing there; we answer the same.
constexpr size_t kMaxNestedStars = 1000;

unsigned char Fold(unsigned char c, bool nocase) {
  return (nocase && c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c;
}

// Matches one pattern element at pattern[p] against byte c. Sets `next` to the index after the
// element. Returns whether c matched.
bool MatchOne(std::string_view pattern, size_t p, unsigned char c, bool nocase, size_t* next) {
  const unsigned char pc = static_cast<unsigned char>(pattern[p]);
  if (pc == '?') {
    *next = p + 1;
    return true;
  }
  if (pc == '\\' && p + 1 < pattern.size()) {
    *next = p + 2;
    return Fold(static_cast<unsigned char>(pattern[p + 1]), nocase) == Fold(c, nocase);
  }
  if (pc == '[') {
    size_t i = p + 1;
    bool negate = false;
    if (i < pattern.size() && pattern[i] == '^') {
      negate = true;
      ++i;
    }
    bool matched = false;
    while (i < pattern.size() && pattern[i] != ']') {
      if (pattern[i] == '\\' && i + 1 < pattern.size()) {
        if (static_cast<unsigned char>(pattern[i + 1]) == c) matched = true;
        i += 2;
      } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
        // Ordered first, folded second, as Redis does: with nocase "[Z-a]" becomes z..a, which
        // holds nothing. Bytes compare unsigned (Redis compares C chars, whose sign depends on
        // the platform).
        unsigned char lo = static_cast<unsigned char>(pattern[i]);
        unsigned char hi = static_cast<unsigned char>(pattern[i + 2]);
        if (lo > hi) {
          const unsigned char t = lo;
          lo = hi;
          hi = t;
        }
        lo = Fold(lo, nocase);
        hi = Fold(hi, nocase);
        const unsigned char fc = Fold(c, nocase);
        if (fc >= lo && fc <= hi) matched = true;
        i += 3;
      } else {
        if (Fold(static_cast<unsigned char>(pattern[i]), nocase) == Fold(c, nocase)) matched = true;
        ++i;
      }
    }
    // An unterminated class runs to the end of the pattern, as in Redis.
    *next = i < pattern.size() ? i + 1 : i;
    return negate ? !matched : matched;
  }
  *next = p + 1;
  return Fold(pc, nocase) == Fold(c, nocase);
}

// Returns the index after the pattern element (one byte, an escape pair or a [class]) at p.
size_t SkipElement(std::string_view pattern, size_t p) {
  if (pattern[p] == '\\' && p + 1 < pattern.size()) return p + 2;
  if (pattern[p] != '[') return p + 1;
  size_t i = p + 1;
  if (i < pattern.size() && pattern[i] == '^') ++i;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      i += 2;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
      i += 3;
    } else {
      ++i;
    }
  }
  return i < pattern.size() ? i + 1 : i;
}

// The number of runs of stars that something other than stars follows: how deep Redis's
// matcher must recurse to match the whole pattern. A trailing run costs no recursion.
size_t NestedStars(std::string_view pattern) {
  size_t runs = 0;
  bool in_run = false;
  for (size_t p = 0; p < pattern.size(); p = SkipElement(pattern, p)) {
    if (pattern[p] == '*') {
      in_run = true;
    } else if (in_run) {
      ++runs;
      in_run = false;
    }
  }
  return runs;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  // Redis: an empty string matches only the empty pattern, not even "*" (KEYS and SCAN test for
  // a lone "*" before they match anything).
  if (text.empty()) return pattern.empty();
  if (NestedStars(pattern) > kMaxNestedStars) return false;
  size_t p = 0;
  size_t t = 0;
  size_t star_p = std::string_view::npos;  // index after the last '*' run
  size_t star_t = 0;                       // text position that star currently swallows up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    size_t next = p;
    if (p < pattern.size() &&
        MatchOne(pattern, p, static_cast<unsigned char>(text[t]), nocase, &next)) {
      p = next;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mnemo

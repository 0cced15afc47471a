// glob.h: Redis's glob-style pattern matching for KEYS, SCAN MATCH and CONFIG GET (layer: base).
#pragma once

#include <string_view>

namespace mnemo {

// Returns true iff `text` matches `pattern`: '*' any run, '?' any byte, [abc], [^abc], [a-z],
// and '\' escapes the next byte. Binary safe. Runs in O(|pattern| * |text|) time with no
// recursion, so no pattern can exhaust the stack or run away. Answers as Redis's stringmatchlen,
// corner cases included: an empty text matches only an empty pattern (callers that want "*" to
// match everything test for it first, as KEYS does), and a pattern with more than 1000 nested
// stars matches nothing.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace mnemo

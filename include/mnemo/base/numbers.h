// numbers.h: strict conversions between strings and numbers, with Redis's rules (layer: base).
//
// "Strict" means what Redis's string2ll/string2ld accept: no spaces, no '+', no leading zeros
// for integers, so that a string that parses as a number prints back to the same bytes. That
// property is what lets a value be stored with the `int` encoding without changing what GET sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mnemo {

// Longest decimal of an int64 ("-9223372036854775808") plus a terminating NUL.
inline constexpr size_t kMaxInt64Chars = 21;
// Buffer size for a formatted double or long double (Redis: MAX_LONG_DOUBLE_CHARS).
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Stores the value in *out and returns true iff s is a canonical base-10 int64 (Redis
// string2ll) / uint64. *out is unchanged when they return false.
bool ParseInt64To(std::string_view s, int64_t* out);
bool ParseUint64To(std::string_view s, uint64_t* out);
// The same as an optional. Inline on purpose: an optional returned from a function that is not
// inlined is built in memory with a 1-byte store and read back as two words, and that store
// forwarding stall was about 9% of the server's CPU at `redis-benchmark -P 16 -t set` (every
// bulk length of every request is parsed here).
inline std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v;
  if (!ParseInt64To(s, &v)) return std::nullopt;
  return v;
}
inline std::optional<uint64_t> ParseUint64(std::string_view s) {
  uint64_t v;
  if (!ParseUint64To(s, &v)) return std::nullopt;
  return v;
}
// Returns the value iff s is a finite or infinite double that strtod accepts whole, with no
// leading space and not NaN (Redis getDoubleFromObject).
std::optional<double> ParseDouble(std::string_view s);
// As ParseDouble for long double; rejects overflow to infinity (Redis string2ld).
std::optional<long double> ParseLongDouble(std::string_view s);

// Writes v in base 10 into buf; returns the length. REQUIRES: buf has kMaxInt64Chars bytes.
size_t FormatInt64(char* buf, int64_t v);
std::string Int64ToString(int64_t v);
// Redis d2string: integral values below 2^52 print as integers, others as %.17g; nan, inf, -inf,
// and -0 spelled as Redis spells them.
std::string DoubleToString(double v);
// Redis ld2string in "human" mode: %.17Lf with trailing zeros (and a bare '.') removed.
std::string LongDoubleToString(long double v);

// Parses a memory amount the way redis.conf does (Redis memtoull): "1gb", "100mb", "512k", "42"
// (bytes). k/m/g are powers of 1000, kb/mb/gb powers of 1024, b is 1; case-insensitive. The
// digits may have leading zeros or be missing ("" and "kb" are 0); no sign. Unlike Redis, which
// saturates, amounts above INT64_MAX are refused.
std::optional<int64_t> ParseMemory(std::string_view s);

// Formats bytes as Redis's bytesToHuman: "951B", "1.50K", "1.50M", "12.33G", ... "P", and
// plain bytes again from 1024^6 on.
std::string BytesToHuman(uint64_t bytes);

}  // namespace mnemo

// numbers.cc: strict string <-> number conversions (layer: base).
#include "mnemo/base/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace mnemo {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool ParseUint64To(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() >= kMaxInt64Chars) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;  // no sign, no leading zero, no space
  // 19 digits cannot overflow (10^19 - 1 < 2^64): only a 20th digit needs the check.
  constexpr size_t kSafeDigits = 19;
  const size_t safe = s.size() < kSafeDigits ? s.size() : kSafeDigits;
  uint64_t v = 0;
  for (size_t i = 0; i < safe; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  for (size_t i = safe; i < s.size(); ++i) {  // at most one (s.size() < kMaxInt64Chars)
    if (!IsDigit(s[i])) return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseInt64To(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  uint64_t magnitude;
  if (!ParseUint64To(s, &magnitude)) return false;
  if (negative) {
    if (magnitude == 0) return false;  // "-0" is not canonical
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - magnitude);
    return true;
  }
  if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = static_cast<int64_t>(magnitude);
  return true;
}

namespace {

// Powers of ten that a double holds exactly (10^22 < 2^53 * 2^22 is the last).
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// "[-]digits[.digits]" whose digits, read as one integer, fit 53 bits, with at most 22 after
// the point: that integer and the power of ten are exact doubles, so one division gives the
// correctly rounded value, the one strtod gives (Clinger's fast path). Most scores look like
// this ("1.5", "249.75"). False for anything else, which the caller parses the general way.
bool ParseSimpleDecimal(std::string_view s, double* out) {
  size_t i = s[0] == '-' ? 1 : 0;
  uint64_t mantissa = 0;
  int digits = 0;
  int decimals = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 19) return false;  // 19 digits cannot overflow 64 bits
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      if (point) ++decimals;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  if (digits == 0 || mantissa > (uint64_t{1} << 53) || decimals > 22) return false;
  double v = static_cast<double>(mantissa);
  if (decimals > 0) v /= kExactPowersOfTen[decimals];
  *out = s[0] == '-' ? -v : v;
  return true;
}

}  // namespace

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return std::nullopt;
  double simple;
  if (ParseSimpleDecimal(s, &simple)) return simple;  // starts with '-', '.' or a digit
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  // Then std::from_chars (correctly rounded, as strtod) reads the other common forms ("-2e10",
  // "1.7976931348623157e+308", "inf") several times faster than strtod. What it does not read whole
  // (a leading '+', hex, a result out of range, garbage) goes to strtod, which decides as before.
  double fast;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), fast);
  if (ec == std::errc() && ptr == s.data() + s.size()) {
    if (std::isnan(fast)) return std::nullopt;
    return fast;
  }
  char buf[kMaxLongDoubleChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buf, &end);
  if (end != buf + s.size()) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return std::nullopt;
  if (std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char buf[kMaxLongDoubleChars];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(buf, &end);
  if (end != buf + s.size()) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) return std::nullopt;
  if (errno == EINVAL || std::isnan(v)) return std::nullopt;
  return v;
}

size_t FormatInt64(char* buf, int64_t v) {
  auto res = std::to_chars(buf, buf + kMaxInt64Chars - 1, v);
  *res.ptr = '\0';
  return static_cast<size_t>(res.ptr - buf);
}

std::string Int64ToString(int64_t v) {
  char buf[kMaxInt64Chars];
  return std::string(buf, FormatInt64(buf, v));
}

std::string DoubleToString(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // Integral values that a double holds exactly print without a fraction, as Redis does.
  constexpr double kMin = -4503599627370495.0;  // -(2^52 - 1)
  constexpr double kMax = 4503599627370496.0;   // 2^52
  if (v > kMin && v < kMax && v == static_cast<double>(static_cast<int64_t>(v))) {
    return Int64ToString(static_cast<int64_t>(v));
  }
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(n));
}

std::string LongDoubleToString(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[kMaxLongDoubleChars];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return "0";
  std::string out(buf, static_cast<size_t>(n));
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::optional<int64_t> ParseMemory(std::string_view s) {
  // Redis memtoull: a run of digits (leading zeros allowed, even none at all: "" and "kb" are 0)
  // followed by an optional unit. No sign, no spaces.
  size_t digits_end = 0;
  while (digits_end < s.size() && IsDigit(s[digits_end])) ++digits_end;
  std::string unit;
  for (char c : s.substr(digits_end)) {
    unit.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  }
  int64_t mul = 1;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000 * 1000;
  else if (unit == "mb")
    mul = 1024 * 1024;
  else if (unit == "g")
    mul = 1000LL * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024LL * 1024 * 1024;
  else
    return std::nullopt;
  int64_t n = 0;
  for (char c : s.substr(0, digits_end)) {
    const int64_t d = c - '0';
    if (n > (INT64_MAX - d) / 10) return std::nullopt;  // Redis saturates; we refuse
    n = n * 10 + d;
  }
  if (n > INT64_MAX / mul) return std::nullopt;
  return n * mul;
}

std::string BytesToHuman(uint64_t n) {
  const double d = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024ULL * 1024) return fmt::format("{:.2f}K", d / 1024);
  if (n < 1024ULL * 1024 * 1024) return fmt::format("{:.2f}M", d / (1024.0 * 1024));
  if (n < 1024ULL * 1024 * 1024 * 1024) return fmt::format("{:.2f}G", d / (1024.0 * 1024 * 1024));
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024) {
    return fmt::format("{:.2f}T", d / (1024.0 * 1024 * 1024 * 1024));
  }
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024 * 1024) {
    return fmt::format("{:.2f}P", d / (1024.0 * 1024 * 1024 * 1024 * 1024));
  }
  return fmt::format("{}B", n);  // as Redis: "Let's hope we never need this"
}

}  // namespace mnemo

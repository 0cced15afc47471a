// args.cc: argument parsing helpers (layer: cmd).
#include "mnemo/cmd/args.h"

#include <cmath>
#include <limits>

#include "mnemo/base/clock.h"
#include "mnemo/base/glob.h"
#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"

namespace mnemo::cmd {

std::optional<int64_t> IntArg(Context& ctx, std::string_view arg, std::string_view error) {
  auto v = ParseInt64(arg);
  if (!v) ctx.reply.Error(error);
  return v;
}

std::optional<int> CIntArg(Context& ctx, std::string_view arg, std::string_view error) {
  auto n = ParseInt64(arg);
  if (!n) {
    ctx.reply.Error(error.empty() ? protocol::kErrNotInteger : error);
    return std::nullopt;
  }
  if (*n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
    ctx.reply.Error(error.empty() ? protocol::kErrIntRange : error);
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

std::optional<int64_t> RangedIntArg(Context& ctx, std::string_view arg, int64_t min, int64_t max,
                                    std::string_view error) {
  auto v = ParseInt64(arg);
  if (!v || *v < min || *v > max) {
    ctx.reply.Error(error);
    return std::nullopt;
  }
  return v;
}

std::optional<double> DoubleArg(Context& ctx, std::string_view arg) {
  auto v = ParseDouble(arg);
  if (!v) ctx.reply.Error(protocol::kErrNotFloat);
  return v;
}

std::optional<long double> LongDoubleArg(Context& ctx, std::string_view arg) {
  auto v = ParseLongDouble(arg);
  if (!v) ctx.reply.Error(protocol::kErrNotFloat);
  return v;
}

namespace {

std::optional<uint64_t> ParseScanCursor(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  if (i == s.size()) {
    // strtoul converts nothing: the end pointer is the start, valid only for "".
    if (s.empty()) return 0;
    return std::nullopt;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return negative ? ~v + 1 : v;
}

}  // namespace

std::optional<uint64_t> ScanCursorArg(Context& ctx, std::string_view arg) {
  auto v = ParseScanCursor(arg);
  if (!v) ctx.reply.Error(protocol::kErrInvalidCursor);
  return v;
}

bool ScanOptions::Matches(std::string_view s) const { return !pattern || GlobMatch(*pattern, s); }

std::optional<ScanOptions> ScanOptionsArg(Context& ctx, size_t first, bool allow_type) {
  ScanOptions opts;
  for (size_t i = first; i < ctx.argc(); i += 2) {
    const std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "COUNT") && has_value) {
      auto n = IntArg(ctx, ctx.arg(i + 1));
      if (!n) return std::nullopt;
      if (*n < 1) {
        ctx.reply.Error(protocol::kErrSyntax);
        return std::nullopt;
      }
      opts.count = *n;
    } else if (EqualsIgnoreCase(opt, "MATCH") && has_value) {
      opts.pattern = ctx.arg(i + 1);
      if (*opts.pattern == "*") opts.pattern.reset();  // matches everything: skip the work
    } else if (allow_type && EqualsIgnoreCase(opt, "TYPE") && has_value) {
      opts.type = ctx.arg(i + 1);
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return std::nullopt;
    }
  }
  return opts;
}

void ReplyScanPage(Context& ctx, uint64_t next, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));  // the cursor is a bulk string, as in Redis
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& item : items) ctx.reply.Bulk(item);
}

void PickInChunks(Context& ctx, uint64_t count, FunctionRef<void(size_t)> pick) {
  constexpr uint64_t kChunk = 1024;
  while (count > 0) {
    if (ctx.reply.over_ceiling()) {
      ctx.reply.MarkCutShort();
      return;
    }
    const uint64_t n = count < kChunk ? count : kChunk;
    pick(static_cast<size_t>(n));
    count -= n;
  }
}

bool WrongType(Context& ctx, const db::Object* o, db::ObjType type) {
  if (o == nullptr || o->type() == type) return false;
  ctx.reply.Error(protocol::kErrWrongType);
  return true;
}

}  // namespace mnemo::cmd

namespace mnemo::cmd {

std::optional<int64_t> TimeoutArg(Context& ctx, std::string_view arg) {
  auto seconds = ParseLongDouble(arg);
  if (!seconds || std::isnan(*seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return std::nullopt;
  }
  const long double ms = *seconds * 1000.0L;
  if (ms > static_cast<long double>(INT64_MAX)) {
    ctx.reply.Error("ERR timeout is out of range");
    return std::nullopt;
  }
  const auto t = static_cast<int64_t>(std::ceil(ms));
  if (t < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return std::nullopt;
  }
  if (t == 0) return 0;
  const int64_t now = UnixTimeMs();
  if (t > INT64_MAX - now) {
    ctx.reply.Error("ERR timeout is out of range");
    return std::nullopt;
  }
  return now + t;
}

}  // namespace mnemo::cmd

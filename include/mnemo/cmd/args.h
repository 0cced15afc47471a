// args.h: argument parsing helpers shared by command handlers (layer: cmd).
// Each helper replies with Redis's error and returns nullopt when the argument is bad, so a
// handler reads: `auto n = IntArg(ctx, ctx.arg(2)); if (!n) return;`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"
#include "mnemo/cmd/command.h"
#include "mnemo/protocol/errors.h"

namespace mnemo::cmd {

// An int64, else replies `error` (default: "ERR value is not an integer or out of range").
std::optional<int64_t> IntArg(Context& ctx, std::string_view arg,
                              std::string_view error = protocol::kErrNotInteger);
// An int argument as Redis's getIntFromObjectOrReply reads it: an int64 (else "value is not an
// integer or out of range") within the range of a C int (else "value is out of range, must be
// between..."); `error`, when given, replaces both texts.
std::optional<int> CIntArg(Context& ctx, std::string_view arg, std::string_view error = {});
// An int64 within [min, max], else replies "ERR value is out of range, must be positive" style
// `error`.
std::optional<int64_t> RangedIntArg(Context& ctx, std::string_view arg, int64_t min, int64_t max,
                                    std::string_view error);
// A double (Redis getDoubleFromObject), else replies "ERR value is not a valid float".
std::optional<double> DoubleArg(Context& ctx, std::string_view arg);
// A long double, else replies "ERR value is not a valid float".
std::optional<long double> LongDoubleArg(Context& ctx, std::string_view arg);

// A SCAN-family cursor as Redis's parseScanCursorOrReply reads it (strtoul, base 10): an
// optional sign then digits, the whole argument, no leading space, no overflow; '-' negates
// modulo 2^64 and an empty argument is cursor 0, as strtoul has them. Else replies
// "ERR invalid cursor".
std::optional<uint64_t> ScanCursorArg(Context& ctx, std::string_view arg);

// The options of SCAN, HSCAN, SSCAN and ZSCAN: COUNT n (n >= 1, default 10), MATCH pattern and,
// for SCAN only, TYPE name (an unknown name matches nothing, as in Redis 7).
struct ScanOptions {
  int64_t count = 10;
  std::optional<std::string_view> pattern;  // unset for "*", which matches everything
  std::optional<std::string_view> type;
  bool Matches(std::string_view s) const;
};
// Parses the options from argv[first..]. Replies "ERR syntax error" (or the integer error) and
// returns nullopt when an option is unknown, lacks its value, or COUNT is below 1.
std::optional<ScanOptions> ScanOptionsArg(Context& ctx, size_t first, bool allow_type);
// Replies a SCAN-family page: [next cursor as a bulk string, [items...]].
void ReplyScanPage(Context& ctx, uint64_t next, const std::vector<std::string>& items);

// Emits `count` random picks with repetition (the negative counts of SRANDMEMBER, HRANDFIELD,
// ZRANDMEMBER) by calling `pick(n)` for chunks of them, and stops once the reply is past its
// ceiling: such a reply's length is the client's choice, not the data's, and the connection
// closes that client rather than send it.
void PickInChunks(Context& ctx, uint64_t count, FunctionRef<void(size_t)> pick);

// A blocking command's timeout in seconds (fractional, millisecond resolution, rounded up) as
// an absolute deadline in Unix ms, 0 meaning forever (Redis getTimeoutFromObjectOrReply).
// Replies "timeout is not a float or out of range", "timeout is negative" or "timeout is out of
// range" and returns nullopt.
std::optional<int64_t> TimeoutArg(Context& ctx, std::string_view arg);

// True iff the object exists and is not of `type`, in which case WRONGTYPE was replied.
bool WrongType(Context& ctx, const db::Object* o, db::ObjType type);

}  // namespace mnemo::cmd

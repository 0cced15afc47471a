// parser.h: the incremental RESP request parser, multibulk and inline (layer: protocol).
//
// Requests arrive in pieces; the parser keeps its progress between calls so that a command whose
// bytes come in many reads is parsed once, not re-parsed from its start each time (otherwise a
// 1M-argument MSET arriving in 16 KB reads would cost quadratic time). The rules and the error
// texts are Redis's processMultibulkBuffer/processInlineBuffer:
//   *<n>\r\n then n times $<len>\r\n<bytes>\r\n; n <= INT_MAX, len <= proto-max-bulk-len;
//   a count line longer than 64 KB without '\r' is an error; n <= 0 is an empty request;
//   anything not starting with '*' is an inline command: one line (\n or \r\n), at most 64 KB,
//   split like redis.conf lines (quotes, escapes).
// Before authentication, multibulk counts above 10 and bulks above 16 KB are refused, so that
// an unauthenticated client cannot make the server buffer much.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/base/function_ref.h"

namespace mnemo::protocol {

enum class ParseStatus { kOk, kIncomplete, kError };

// 64 KB: the longest inline request or count line (Redis PROTO_INLINE_MAX_SIZE).
inline constexpr size_t kMaxInlineSize = 64 * 1024;
// Bulks of at least this size are read into a buffer sized for them at once (PROTO_MBULK_BIG_ARG).
inline constexpr size_t kBigArgSize = 32 * 1024;

class RequestParser {
 public:
  RequestParser() = default;
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses the request that starts at data[0]. `data` must begin where the previous kOk ended
  // (or at the start of the stream) and hold at least the bytes passed before: the parser keeps
  // offsets relative to data[0], so the caller may move its buffer between calls.
  // kOk: args() holds the request's arguments (views into `data` or into the parser, valid
  //   until the next call and while `data` is unchanged), *consumed its length in bytes. An
  //   empty request (blank inline line, "*0") gives kOk with no arguments.
  // kIncomplete: more bytes are needed. *consumed is 0.
  // kError: error() is the text to send before closing the connection.
  ParseStatus Parse(std::string_view data, size_t* consumed);

  const std::vector<std::string_view>& args() const { return args_; }
  const std::string& error() const { return error_; }

  // How many bytes, counted from data[0], the parser needs before it can make progress on a
  // big bulk; 0 when no big bulk is pending. Lets the caller size its buffer in one step.
  size_t bytes_wanted() const { return bytes_wanted_; }

  // Calls fn(bytes) once for every heap block the parser holds (argument tables, inline
  // arguments, the error text), with the size it asked the allocator for.
  void ForEachAllocation(FunctionRef<void(size_t)> fn) const;

  // Gives back the argument tables' capacity beyond what recent requests needed: called
  // periodically (about once a second per client), it shrinks the tables to the largest request
  // parsed since the previous call, so that one huge command does not pin megabytes for the
  // life of an idle connection while a busy pipeline keeps its tables. Never mid-request.
  void ShrinkToRecentPeak();
  // Frees argument tables of more than kBigTable entries at once (a command with thousands of
  // arguments: 100,000 keys of an EXISTS hold 3.2 MB of tables), between requests only. Called
  // when a batch of input is used up, so that an idle client does not pin them until the next
  // ShrinkToRecentPeak and they do not count towards maxmemory meanwhile (Redis frees argv
  // after every command). A pipeline of such commands pays one allocation per batch, next to
  // parsing thousands of arguments.
  void ReleaseBigTables();
  static constexpr size_t kBigTable = 1024;

  void set_max_bulk_len(int64_t n) { max_bulk_len_ = n; }
  void set_authenticated(bool a) { authenticated_ = a; }

 private:
  ParseStatus ParseInline(std::string_view data, size_t* consumed);
  ParseStatus ParseMultibulk(std::string_view data, size_t* consumed);
  ParseStatus Fail(std::string error);
  void ResetRequest();

  // Progress through the current multibulk request.
  int64_t remaining_ = 0;  // arguments still to read; 0 before the count line is parsed
  int64_t bulk_len_ = -1;  // length of the argument being read; -1 before its $ line
  size_t pos_ = 0;         // bytes of the request parsed so far
  std::vector<std::pair<size_t, size_t>> spans_;  // offset and length of each argument

  std::vector<std::string> inline_args_;
  std::vector<std::string_view> args_;
  std::string error_;
  size_t bytes_wanted_ = 0;
  size_t recent_peak_args_ = 0;  // the most arguments of a request since ShrinkToRecentPeak
  int64_t max_bulk_len_ = 512LL * 1024 * 1024;
  bool authenticated_ = true;
};

}  // namespace mnemo::protocol

// parser.cc: incremental RESP request parsing (layer: protocol).
#include "mnemo/protocol/parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/protocol/errors.h"

namespace mnemo::protocol {

namespace {

// Redis's string2ll also accepts a leading '+'? No: counts and lengths use the same strict
// parser as values, so "*+1" and "$01" are refused as Redis refuses them.
std::optional<int64_t> ParseCount(std::string_view s) { return ParseInt64(s); }

}  // namespace

void RequestParser::ResetRequest() {
  remaining_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
  bytes_wanted_ = 0;
}

ParseStatus RequestParser::Fail(std::string error) {
  error_ = std::move(error);
  ResetRequest();
  return ParseStatus::kError;
}

ParseStatus RequestParser::Parse(std::string_view data, size_t* consumed) {
  *consumed = 0;
  args_.clear();
  bytes_wanted_ = 0;  // set again below only while a big bulk is pending
  if (data.empty()) return ParseStatus::kIncomplete;
  const ParseStatus status =
      (pos_ > 0 || data[0] == '*') ? ParseMultibulk(data, consumed) : ParseInline(data, consumed);
  if (status == ParseStatus::kOk) recent_peak_args_ = std::max(recent_peak_args_, args_.size());
  return status;
}

ParseStatus RequestParser::ParseInline(std::string_view data, size_t* consumed) {
  const char* start = data.data();
  const void* nl = std::memchr(start, '\n', data.size());
  if (nl == nullptr) {
    if (data.size() > kMaxInlineSize) return Fail(std::string(kErrProtoTooBigInline));
    return ParseStatus::kIncomplete;
  }
  size_t line_len = static_cast<size_t>(static_cast<const char*>(nl) - start);
  const size_t total = line_len + 1;
  if (line_len > 0 && start[line_len - 1] == '\r') --line_len;
  auto split = SplitArgs(std::string_view(start, line_len));
  if (!split) return Fail(std::string(kErrProtoUnbalancedQuotes));
  inline_args_ = std::move(*split);
  for (const std::string& a : inline_args_) args_.emplace_back(a);
  *consumed = total;
  return ParseStatus::kOk;
}

ParseStatus RequestParser::ParseMultibulk(std::string_view data, size_t* consumed) {
  const char* base = data.data();
  const size_t size = data.size();
  if (remaining_ == 0) {
    // The count line: "*<n>\r\n".
    const void* cr = std::memchr(base + pos_, '\r', size - pos_);
    if (cr == nullptr) {
      if (size - pos_ > kMaxInlineSize) return Fail(std::string(kErrProtoTooBigMbulkCount));
      return ParseStatus::kIncomplete;
    }
    const size_t cr_at = static_cast<size_t>(static_cast<const char*>(cr) - base);
    if (cr_at + 1 >= size) return ParseStatus::kIncomplete;  // the '\n' has not arrived
    auto n = ParseCount(std::string_view(base + 1, cr_at - 1));
    if (!n || *n > INT_MAX) return Fail(std::string(kErrProtoInvalidMultibulkLength));
    if (*n > 10 && !authenticated_) return Fail(std::string(kErrProtoUnauthMultibulk));
    pos_ = cr_at + 2;
    if (*n <= 0) {
      *consumed = pos_;
      ResetRequest();
      return ParseStatus::kOk;
    }
    remaining_ = *n;
    spans_.reserve(static_cast<size_t>(*n < 1024 ? *n : 1024));
  }
  while (remaining_ > 0) {
    if (bulk_len_ < 0) {
      const void* cr = std::memchr(base + pos_, '\r', size - pos_);
      if (cr == nullptr) {
        if (size - pos_ > kMaxInlineSize) return Fail(std::string(kErrProtoTooBigBulkCount));
        return ParseStatus::kIncomplete;
      }
      const size_t cr_at = static_cast<size_t>(static_cast<const char*>(cr) - base);
      if (cr_at + 1 >= size) return ParseStatus::kIncomplete;
      if (base[pos_] != '$') return Fail(ProtoExpectedDollar(base[pos_]));
      auto len = ParseCount(std::string_view(base + pos_ + 1, cr_at - pos_ - 1));
      if (!len || *len < 0 || *len > max_bulk_len_) {
        return Fail(std::string(kErrProtoInvalidBulkLength));
      }
      if (*len > 16384 && !authenticated_) return Fail(std::string(kErrProtoUnauthBulk));
      pos_ = cr_at + 2;
      bulk_len_ = *len;
    }
    const size_t need = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (size < need) {
      bytes_wanted_ = static_cast<size_t>(bulk_len_) >= kBigArgSize ? need : 0;
      return ParseStatus::kIncomplete;
    }
    // Like Redis, the two bytes after the payload are skipped, not checked.
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
    --remaining_;
  }
  args_.reserve(spans_.size());
  for (const auto& [off, len] : spans_) args_.emplace_back(base + off, len);
  *consumed = pos_;
  ResetRequest();
  return ParseStatus::kOk;
}

void RequestParser::ReleaseBigTables() {
  if (remaining_ != 0 || bulk_len_ >= 0 || pos_ != 0) return;  // a request is in progress
  if (args_.capacity() > kBigTable) std::vector<std::string_view>().swap(args_);
  if (spans_.capacity() > kBigTable) std::vector<std::pair<size_t, size_t>>().swap(spans_);
  if (inline_args_.capacity() > kBigTable) std::vector<std::string>().swap(inline_args_);
}

void RequestParser::ShrinkToRecentPeak() {
  // Tables this small are not worth a reallocation.
  constexpr size_t kKeep = 64;
  const size_t peak = std::max(recent_peak_args_, kKeep);
  recent_peak_args_ = 0;
  if (remaining_ != 0 || bulk_len_ >= 0) return;  // a request is in progress
  if (args_.capacity() > 2 * peak) {
    args_.clear();
    args_.shrink_to_fit();
    args_.reserve(peak);
  }
  if (spans_.capacity() > 2 * peak) {
    spans_.clear();
    spans_.shrink_to_fit();
  }
  if (inline_args_.capacity() > 2 * peak) {
    inline_args_.clear();
    inline_args_.shrink_to_fit();
  }
}

void RequestParser::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (spans_.capacity() > 0) fn(spans_.capacity() * sizeof(spans_[0]));
  if (args_.capacity() > 0) fn(args_.capacity() * sizeof(args_[0]));
  if (inline_args_.capacity() > 0) fn(inline_args_.capacity() * sizeof(inline_args_[0]));
  for (const std::string& a : inline_args_) {
    if (const size_t n = StringHeapRequest(a)) fn(n);
  }
  if (const size_t n = StringHeapRequest(error_)) fn(n);
}

}  // namespace mnemo::protocol

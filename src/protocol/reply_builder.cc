// reply_builder.cc: RESP2/RESP3 encoding (layer: protocol).
#include "mnemo/protocol/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"

namespace mnemo::protocol {

void ReplyBuilder::Header(char type, int64_t n) {
  char buf[kMaxInt64Chars + 4];
  buf[0] = type;
  auto res = std::to_chars(buf + 1, buf + sizeof(buf), n);
  *res.ptr++ = '\r';
  *res.ptr++ = '\n';
  out_.append(buf, static_cast<size_t>(res.ptr - buf));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_.push_back('+');
  out_.append(s);
  out_.append("\r\n");
}

void ReplyBuilder::Error(std::string_view message) {
  ++error_count_;
  const size_t space = message.find(' ');
  last_error_code_.assign(
      message.substr(0, space == std::string_view::npos ? message.size() : space));
  out_.push_back('-');
  const size_t start = out_.size();
  out_.append(message);
  for (size_t i = start; i < out_.size(); ++i) {
    if (out_[i] == '\r' || out_[i] == '\n') out_[i] = ' ';
  }
  out_.append("\r\n");
}

void ReplyBuilder::ErrorUncounted(std::string_view message) {
  const uint64_t counted = error_count_;
  const std::string code = last_error_code_;
  Error(message);
  error_count_ = counted;
  last_error_code_ = code;
  ++uncounted_error_count_;
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_.append(s);
  out_.append("\r\n");
}

char* ReplyBuilder::BulkSpace(size_t n) {
  Header('$', static_cast<int64_t>(n));
  const size_t at = out_.size();
  out_.resize(at + n + 2);  // zero-fills n bytes: cheaper than an allocation and a copy
  out_[at + n] = '\r';
  out_[at + n + 1] = '\n';
  return out_.data() + at;
}

void ReplyBuilder::Null() { Raw(resp_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { Raw(resp_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyBuilder::MapHeader(size_t n) {
  if (resp_ >= 3) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(n * 2));
  }
}

void ReplyBuilder::SetHeader(size_t n) { Header(resp_ >= 3 ? '~' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::PushHeader(size_t n) { Header(resp_ >= 3 ? '>' : '*', static_cast<int64_t>(n)); }

void ReplyBuilder::Double(double d) {
  char buf[64];
  int n;
  if (std::isinf(d)) {
    n = std::snprintf(buf, sizeof(buf), "%s", d > 0 ? "inf" : "-inf");
  } else {
    n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  }
  const std::string_view s(buf, static_cast<size_t>(n));
  if (resp_ >= 3) {
    out_.push_back(',');
    out_.append(s);
    out_.append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::HumanDouble(double d) {
  const std::string s = DoubleToString(d);
  if (resp_ >= 3) {
    out_.push_back(',');
    out_.append(s);
    out_.append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::HumanLongDouble(long double d) {
  const std::string s = LongDoubleToString(d);
  if (resp_ >= 3) {
    out_.push_back(',');
    out_.append(s);
    out_.append("\r\n");
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::Bool(bool b) {
  if (resp_ >= 3) {
    Raw(b ? "#t\r\n" : "#f\r\n");
  } else {
    Raw(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view s, std::string_view format) {
  if (resp_ < 3) {
    Bulk(s);
    return;
  }
  Header('=', static_cast<int64_t>(s.size() + format.size() + 1));
  out_.append(format);
  out_.push_back(':');
  out_.append(s);
  out_.append("\r\n");
}

void ReplyBuilder::InsertHeader(size_t at, char type, size_t n) {
  char buf[kMaxInt64Chars + 4];
  buf[0] = type;
  auto res = std::to_chars(buf + 1, buf + sizeof(buf), static_cast<int64_t>(n));
  *res.ptr++ = '\r';
  *res.ptr++ = '\n';
  out_.insert(at, buf, static_cast<size_t>(res.ptr - buf));
}

void ReplyBuilder::EndDeferredArray(size_t handle, size_t n) { InsertHeader(handle, '*', n); }

void ReplyBuilder::EndDeferredMap(size_t handle, size_t pairs) {
  if (resp_ >= 3) {
    InsertHeader(handle, '%', pairs);
  } else {
    InsertHeader(handle, '*', pairs * 2);
  }
}

void ReplyBuilder::EndDeferredSet(size_t handle, size_t n) {
  InsertHeader(handle, resp_ >= 3 ? '~' : '*', n);
}

void ReplyBuilder::ForEachAllocation(FunctionRef<void(size_t)> fn) const {
  if (const size_t n = StringHeapRequest(out_)) fn(n);
  if (const size_t n = StringHeapRequest(last_error_code_)) fn(n);
}

}  // namespace mnemo::protocol

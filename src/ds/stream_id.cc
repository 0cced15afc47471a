// stream_id.cc: stream entry IDs, their parsing and printing (layer: ds).
#include "mnemo/ds/stream_id.h"

#include <cstring>

#include "mnemo/base/numbers.h"

namespace mnemo::ds {

bool StreamIdIncr(StreamId* id) {
  if (id->seq == UINT64_MAX) {
    if (id->ms == UINT64_MAX) return false;
    ++id->ms;
    id->seq = 0;
  } else {
    ++id->seq;
  }
  return true;
}

bool StreamIdDecr(StreamId* id) {
  if (id->seq == 0) {
    if (id->ms == 0) return false;
    --id->ms;
    id->seq = UINT64_MAX;
  } else {
    --id->seq;
  }
  return true;
}

namespace {

size_t FormatUint64(char* buf, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

size_t FormatStreamId(const StreamId& id, char* buf) {
  size_t n = FormatUint64(buf, id.ms);
  buf[n++] = '-';
  n += FormatUint64(buf + n, id.seq);
  buf[n] = '\0';
  return n;
}

std::string StreamIdToString(const StreamId& id) {
  char buf[kStreamIdMaxChars];
  return std::string(buf, FormatStreamId(id, buf));
}

void EncodeStreamIdBigEndian(const StreamId& id, uint8_t out[16]) {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(id.ms >> (56 - 8 * i));
    out[8 + i] = static_cast<uint8_t>(id.seq >> (56 - 8 * i));
  }
}

StreamId DecodeStreamIdBigEndian(const uint8_t in[16]) {
  StreamId id;
  for (int i = 0; i < 8; ++i) {
    id.ms = id.ms << 8 | in[i];
    id.seq = id.seq << 8 | in[8 + i];
  }
  return id;
}

std::optional<uint64_t> ParseStreamIdPart(std::string_view s) {
  if (auto v = ParseInt64(s)) {
    if (*v < 0) return std::nullopt;
    return static_cast<uint64_t>(*v);
  }
  // strtoull(s, &end, 10) accepting only a whole, non-empty, in-range conversion.
  size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  const size_t digits_start = i;
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;  // ERANGE
    v = v * 10 + d;
  }
  if (i == digits_start || i != s.size()) return std::nullopt;
  return negative ? 0 - v : v;
}

std::optional<ParsedStreamId> ParseStreamId(std::string_view arg, uint64_t missing_seq, bool strict,
                                            bool allow_seq_wildcard) {
  // Redis copies the argument into a 128-byte buffer and reads it as a C string.
  if (arg.size() > 127) return std::nullopt;
  if (const size_t nul = arg.find('\0'); nul != std::string_view::npos) arg = arg.substr(0, nul);
  if (arg == "-" || arg == "+") {
    if (strict) return std::nullopt;
    return ParsedStreamId{arg == "-" ? StreamId::Min() : StreamId::Max(), true};
  }
  ParsedStreamId out;
  const size_t dash = arg.find('-');
  auto ms = ParseStreamIdPart(arg.substr(0, dash));
  if (!ms) return std::nullopt;
  out.id.ms = *ms;
  if (dash == std::string_view::npos) {
    out.id.seq = missing_seq;
    return out;
  }
  const std::string_view seq = arg.substr(dash + 1);
  if (allow_seq_wildcard && seq == "*") {
    out.id.seq = 0;
    out.seq_given = false;
    return out;
  }
  auto s = ParseStreamIdPart(seq);
  if (!s) return std::nullopt;
  out.id.seq = *s;
  return out;
}

}  // namespace mnemo::ds

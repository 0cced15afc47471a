// stream_id.h: a stream entry ID (<milliseconds>-<sequence>, two uint64) and its textual forms
// as Redis 7.0 parses and prints them (layer: ds).
//
// Parsing follows Redis's streamGenericParseIDOrReply exactly, oddities included, because IDs
// come from clients and replies must match Redis's:
//   - the argument is read up to its first NUL byte (Redis copies it into a C string), but one
//     longer than 127 bytes in total is invalid;
//   - "-" is 0-0 and "+" is the largest ID, unless `strict` (XADD, XDEL, XSETID ...);
//   - otherwise <ms>[-<seq>] split at the first '-'; each part is read as Redis's string2ull:
//     a canonical int64 that is not negative, or else whatever strtoull(base 10) accepts whole
//     (leading spaces, a '+', leading zeros, and even a '-' that negates modulo 2^64);
//   - a missing <seq> takes `missing_seq` (0 for a start, UINT64_MAX for an end);
//   - "<ms>-*" only where the caller allows it (XADD): the sequence is to be generated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mnemo::ds {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamId Min() { return StreamId{0, 0}; }
  static constexpr StreamId Max() { return StreamId{UINT64_MAX, UINT64_MAX}; }

  bool IsZero() const { return ms == 0 && seq == 0; }
  friend bool operator==(const StreamId& a, const StreamId& b) = default;
  friend auto operator<=>(const StreamId& a, const StreamId& b) {
    if (a.ms != b.ms) return a.ms <=> b.ms;
    return a.seq <=> b.seq;
  }
};
static_assert(sizeof(StreamId) == 16);

// The next / previous ID in order. Returns false (and leaves id alone) at the end of the range
// (Redis streamIncrID / streamDecrID).
bool StreamIdIncr(StreamId* id);
bool StreamIdDecr(StreamId* id);

// "<ms>-<seq>". kStreamIdMaxChars holds any ID with a terminating NUL.
inline constexpr size_t kStreamIdMaxChars = 42;
size_t FormatStreamId(const StreamId& id, char* buf);
std::string StreamIdToString(const StreamId& id);

// The 16-byte big-endian form Redis uses as a radix-tree key (and RDB writes): IDs sort as
// these bytes do.
void EncodeStreamIdBigEndian(const StreamId& id, uint8_t out[16]);
StreamId DecodeStreamIdBigEndian(const uint8_t in[16]);

// Redis string2ull: see the top of this file. Returns nullopt when Redis would reject it.
std::optional<uint64_t> ParseStreamIdPart(std::string_view s);

struct ParsedStreamId {
  StreamId id;
  bool seq_given = true;  // false for "<ms>-*" (only when allow_seq_wildcard)
};
// Parses one ID argument (see the top of this file). Returns nullopt when invalid.
std::optional<ParsedStreamId> ParseStreamId(std::string_view arg, uint64_t missing_seq, bool strict,
                                            bool allow_seq_wildcard = false);

}  // namespace mnemo::ds

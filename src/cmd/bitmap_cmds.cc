// bitmap_cmds.cc: the bitmap commands, which treat a string as an array of bits (layer: cmd).
// Semantics and error texts follow Redis 7.2's bitops.c.
//
// Bit 0 is the most significant bit of the first byte. The bytes are read with StringView and
// written through the string type API (NewZeroedStringObject, StringGrowZero), which makes the
// string raw and long enough; the bit arithmetic is here and never looks at an encoding.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/string_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// ---- argument parsing ---------------------------------------------------------------------------

// A bit offset (Redis getBitOffsetFromArgument): a non-negative integer whose byte lies below
// proto-max-bulk-len, so that no command can grow a string past the largest one a client could
// send (512 MB by default). With hash_bits > 0 (BITFIELD), "#N" means N * hash_bits.
std::optional<uint64_t> BitOffsetArg(Context& ctx, std::string_view arg, int hash_bits) {
  const bool use_hash = hash_bits > 0 && !arg.empty() && arg[0] == '#';
  const std::optional<int64_t> v = ParseInt64(use_hash ? arg.substr(1) : arg);
  int64_t offset = v.value_or(-1);
  if (use_hash && offset >= 0) {
    offset = offset > INT64_MAX / hash_bits ? -1 : offset * hash_bits;
  }
  if (offset < 0 || (offset >> 3) >= ctx.server.ProtoMaxBulkLen()) {
    ctx.reply.Error(protocol::kErrBitOffset);
    return std::nullopt;
  }
  return static_cast<uint64_t>(offset);
}

// BIT or BYTE. Replies a syntax error and returns nullopt otherwise.
std::optional<bool> BitUnitArg(Context& ctx, std::string_view arg) {
  if (EqualsIgnoreCase(arg, "BIT")) return true;
  if (EqualsIgnoreCase(arg, "BYTE")) return false;
  ctx.reply.Error(protocol::kErrSyntax);
  return std::nullopt;
}

// ---- bytes
// ----------------------------------------------------------------------------------------

// A string's bytes, writable in place.
struct WritableBytes {
  uint8_t* p;
  size_t len;
  bool grew;  // the key was created or zero-extended: the keyspace changed already
};

// The bytes of the string at `key`, created or zero-extended to at least `len` bytes (Redis
// lookupStringForBitCommand), valid until the keyspace is next modified. Nullopt after replying
// WRONGTYPE.
std::optional<WritableBytes> StringForBitWrite(Context& ctx, std::string_view key, size_t len) {
  db::Db& d = ctx.db();
  Object* o = d.LookupWrite(key);
  if (WrongType(ctx, o, ObjType::kString)) return std::nullopt;
  bool grew = true;
  if (o == nullptr) {
    o = db::NewZeroedStringObject(ctx.keyspace, key, len);
    d.Add(o);
  } else {
    const size_t before = db::StringLength(*o);
    o = db::StringGrowZero(d, o, len).o;
    grew = db::StringLength(*o) != before;
  }
  return WritableBytes{reinterpret_cast<uint8_t*>(db::StringRawSds(*o)), db::StringLength(*o),
                       grew};
}

// A string's bytes for reading; an int-encoded value is printed into `buf`.
struct Bytes {
  const uint8_t* p = nullptr;
  size_t len = 0;
};

Bytes ReadBytes(const Object& o, db::StringBuffer& buf) {
  const std::string_view v = db::StringView(o, buf);
  return Bytes{reinterpret_cast<const uint8_t*>(v.data()), v.size()};
}

int BitAt(const uint8_t* p, uint64_t bit) { return (p[bit >> 3] >> (7 - (bit & 7))) & 1; }

// Set bits in n bytes: eight bytes at a time with the popcount instruction, then the tail.
uint64_t Popcount(const uint8_t* p, size_t n) {
  uint64_t bits = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, sizeof(w));
    bits += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  for (; i < n; ++i) bits += static_cast<uint64_t>(__builtin_popcount(p[i]));
  return bits;
}

// Set bits in the inclusive bit range [from, to]: whole bytes, minus the bits of the first and
// last byte that lie outside the range.
uint64_t CountBits(const uint8_t* p, uint64_t from, uint64_t to) {
  const uint64_t first = from >> 3;
  const uint64_t last = to >> 3;
  uint64_t bits = Popcount(p + first, static_cast<size_t>(last - first + 1));
  const auto before = static_cast<uint8_t>(~((1u << (8 - (from & 7))) - 1));  // bits before from
  const auto after = static_cast<uint8_t>((1u << (7 - (to & 7))) - 1);        // bits after to
  bits -= static_cast<uint64_t>(__builtin_popcount(p[first] & before));
  bits -= static_cast<uint64_t>(__builtin_popcount(p[last] & after));
  return bits;
}

// The position of the first bit equal to `bit` in the inclusive bit range [from, to], or -1.
// Whole words that cannot hold it (all zeros when looking for a one, all ones when looking for a
// zero) are skipped eight bytes at a time.
int64_t FindBit(const uint8_t* p, uint64_t from, uint64_t to, int bit) {
  uint64_t i = from;
  for (; i <= to && (i & 7) != 0; ++i) {
    if (BitAt(p, i) == bit) return static_cast<int64_t>(i);
  }
  if (i > to) return -1;
  uint64_t byte = i >> 3;
  const uint64_t end = (to + 1) >> 3;  // bytes [byte, end) lie wholly inside the range
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  const uint8_t skip_byte = bit ? 0 : 0xFF;
  for (; byte + 8 <= end; byte += 8) {
    uint64_t w;
    std::memcpy(&w, p + byte, sizeof(w));
    if (w != skip_word) break;
  }
  while (byte < end && p[byte] == skip_byte) ++byte;
  for (i = byte << 3; i <= to; ++i) {  // at most 8 bits before a match, or the partial tail
    if (BitAt(p, i) == bit) return static_cast<int64_t>(i);
  }
  return -1;
}

// Converts a [start, end] range with negative indexes counting from the end of `total` units
// (Redis's clamping): returns false when it is empty.
bool NormalizeRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
  return *start <= *end;
}

// ---- SETBIT, GETBIT, BITCOUNT, BITPOS
// ----------------------------------------------------------------

void SetbitCommand(Context& ctx) {
  auto offset = BitOffsetArg(ctx, ctx.arg(2), 0);
  if (!offset) return;
  auto on = IntArg(ctx, ctx.arg(3), protocol::kErrBit);
  if (!on) return;
  if ((*on & ~int64_t{1}) != 0) {
    ctx.reply.Error(protocol::kErrBit);
    return;
  }
  auto w = StringForBitWrite(ctx, ctx.arg(1), static_cast<size_t>(*offset >> 3) + 1);
  if (!w) return;
  uint8_t* p = w->p;
  const uint64_t byte = *offset >> 3;
  const auto mask = static_cast<uint8_t>(1u << (7 - (*offset & 7)));
  const bool old = (p[byte] & mask) != 0;
  if (*on) {
    p[byte] |= mask;
  } else {
    p[byte] &= static_cast<uint8_t>(~mask);
  }
  // Announced when the string was created or grew or the bit changed (Redis 7.0): setting a
  // bit to the value it has changes nothing.
  if (w->grew || old != (*on != 0)) ctx.Changed(ctx.arg(1), db::kNotifyString, "setbit");
  ctx.reply.Integer(old ? 1 : 0);
}

void GetbitCommand(Context& ctx) {
  auto offset = BitOffsetArg(ctx, ctx.arg(2), 0);
  if (!offset) return;
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  int value = 0;
  if (o != nullptr) {
    db::StringBuffer buf;
    const Bytes b = ReadBytes(*o, buf);
    if ((*offset >> 3) < b.len) value = BitAt(b.p, *offset);
  }
  ctx.reply.Integer(value);
}

// BITCOUNT key [start end [BYTE|BIT]]. As Redis 7.2: the arguments are checked before the key is
// looked up, so a bad range is an error even for a missing key.
void BitcountCommand(Context& ctx) {
  int64_t start = 0;
  int64_t end = -1;
  bool in_bits = false;
  const bool ranged = ctx.argc() == 4 || ctx.argc() == 5;
  if (ranged) {
    auto s = IntArg(ctx, ctx.arg(2));
    if (!s) return;
    auto e = IntArg(ctx, ctx.arg(3));
    if (!e) return;
    start = *s;
    end = *e;
    if (ctx.argc() == 5) {
      auto unit = BitUnitArg(ctx, ctx.arg(4));
      if (!unit) return;
      in_bits = *unit;
    }
  } else if (ctx.argc() != 2) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  if (o == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  db::StringBuffer buf;
  const Bytes b = ReadBytes(*o, buf);
  const auto len = static_cast<int64_t>(b.len);
  if (!ranged) {
    ctx.reply.Integer(static_cast<int64_t>(Popcount(b.p, b.len)));
    return;
  }
  // Both negative and inverted is empty before clamping could make it the first unit (Redis).
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Integer(0);
    return;
  }
  if (!NormalizeRange(in_bits ? len * 8 : len, &start, &end)) {
    ctx.reply.Integer(0);
    return;
  }
  const auto from = static_cast<uint64_t>(in_bits ? start : start * 8);
  const auto to = static_cast<uint64_t>(in_bits ? end : end * 8 + 7);
  ctx.reply.Integer(static_cast<int64_t>(CountBits(b.p, from, to)));
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitposCommand(Context& ctx) {
  auto bit = IntArg(ctx, ctx.arg(2));
  if (!bit) return;
  if (*bit != 0 && *bit != 1) {
    ctx.reply.Error(protocol::kErrBitposBit);
    return;
  }
  int64_t start = 0;
  int64_t end = 0;
  bool in_bits = false;
  bool end_given = false;
  const bool ranged = ctx.argc() >= 4 && ctx.argc() <= 6;
  if (ranged) {
    auto s = IntArg(ctx, ctx.arg(3));
    if (!s) return;
    start = *s;
    if (ctx.argc() == 6) {
      auto unit = BitUnitArg(ctx, ctx.arg(5));
      if (!unit) return;
      in_bits = *unit;
    }
    if (ctx.argc() >= 5) {
      auto e = IntArg(ctx, ctx.arg(4));
      if (!e) return;
      end = *e;
      end_given = true;
    }
  } else if (ctx.argc() != 3) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kString)) return;
  // A missing key is an infinite run of zeros.
  if (o == nullptr) {
    ctx.reply.Integer(*bit ? -1 : 0);
    return;
  }
  db::StringBuffer buf;
  const Bytes b = ReadBytes(*o, buf);
  const auto len = static_cast<int64_t>(b.len);
  if (!ranged) {
    start = 0;
    end = len - 1;
  } else if (!end_given) {
    end = in_bits ? len * 8 + 7 : len - 1;
  }
  // An empty range holds neither a 0 nor a 1.
  if (!NormalizeRange(in_bits ? len * 8 : len, &start, &end)) {
    ctx.reply.Integer(-1);
    return;
  }
  const auto from = static_cast<uint64_t>(in_bits ? start : start * 8);
  const auto to = static_cast<uint64_t>(in_bits ? end : end * 8 + 7);
  const int64_t pos = FindBit(b.p, from, to, static_cast<int>(*bit));
  if (pos >= 0 || *bit == 1 || end_given) {
    ctx.reply.Integer(pos);
    return;
  }
  // Looking for a 0 with no end given: the string is taken as padded with zeros on the right,
  // so the first clear bit is the one just past the range.
  ctx.reply.Integer(static_cast<int64_t>(to + 1));
}

// ---- BITOP
// ------------------------------------------------------------------------------------------

enum class BitOp { kAnd, kOr, kXor, kNot };

uint8_t ApplyByte(BitOp op, uint8_t acc, uint8_t b) {
  switch (op) {
    case BitOp::kAnd:
      return acc & b;
    case BitOp::kOr:
      return acc | b;
    case BitOp::kXor:
      return acc ^ b;
    case BitOp::kNot:
      return acc;
  }
  return acc;
}

uint64_t ApplyWord(BitOp op, uint64_t acc, uint64_t w) {
  switch (op) {
    case BitOp::kAnd:
      return acc & w;
    case BitOp::kOr:
      return acc | w;
    case BitOp::kXor:
      return acc ^ w;
    case BitOp::kNot:
      return acc;
  }
  return acc;
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys are empty strings, shorter strings
// are padded with zeros; the result is as long as the longest source and is stored as a raw
// string, or the destination is deleted when every source is empty. Replies the result length.
void BitopCommand(Context& ctx) {
  const std::string_view name = ctx.arg(1);
  BitOp op;
  if (EqualsIgnoreCase(name, "AND")) {
    op = BitOp::kAnd;
  } else if (EqualsIgnoreCase(name, "OR")) {
    op = BitOp::kOr;
  } else if (EqualsIgnoreCase(name, "XOR")) {
    op = BitOp::kXor;
  } else if (EqualsIgnoreCase(name, "NOT")) {
    op = BitOp::kNot;
  } else {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  if (op == BitOp::kNot && ctx.argc() != 4) {
    ctx.reply.Error(protocol::kErrBitopNot);
    return;
  }
  db::Db& d = ctx.db();
  const size_t n = ctx.argc() - 3;
  std::vector<Bytes> src(n);
  std::vector<std::string> printed;  // int-encoded sources, printed (stable addresses: reserved)
  printed.reserve(n);
  size_t maxlen = 0;
  size_t minlen = SIZE_MAX;
  for (size_t j = 0; j < n; ++j) {
    Object* o = d.LookupRead(ctx.arg(3 + j));
    if (WrongType(ctx, o, ObjType::kString)) return;
    if (o != nullptr) {
      db::StringBuffer buf;
      const std::string_view v = db::StringView(*o, buf);
      if (buf.Holds(v.data())) {  // printed or decompressed: dies with buf
        printed.emplace_back(v);
        src[j] = Bytes{reinterpret_cast<const uint8_t*>(printed.back().data()), v.size()};
      } else {
        src[j] = Bytes{reinterpret_cast<const uint8_t*>(v.data()), v.size()};
      }
    }
    maxlen = std::max(maxlen, src[j].len);
    minlen = std::min(minlen, src[j].len);
  }
  const std::string_view dest = ctx.arg(2);
  if (maxlen == 0) {
    if (d.Delete(dest, ctx.keyspace.options().lazyfree_lazy_server_del)) {
      ctx.Changed(dest, db::kNotifyGeneric, "del");
    }
    ctx.reply.Integer(0);
    return;
  }
  // The sources are read before the destination is replaced: it may be one of them.
  Object* result = db::NewZeroedStringObject(ctx.keyspace, dest, maxlen);
  auto* out = reinterpret_cast<uint8_t*>(db::StringRawSds(*result));
  size_t j = 0;
  // Where every source has bytes, eight bytes at a time.
  for (; j + 8 <= minlen; j += 8) {
    uint64_t acc;
    std::memcpy(&acc, src[0].p + j, sizeof(acc));
    if (op == BitOp::kNot) acc = ~acc;
    for (size_t i = 1; i < n; ++i) {
      uint64_t w;
      std::memcpy(&w, src[i].p + j, sizeof(w));
      acc = ApplyWord(op, acc, w);
    }
    std::memcpy(out + j, &acc, sizeof(acc));
  }
  for (; j < maxlen; ++j) {
    uint8_t acc = j < src[0].len ? src[0].p[j] : 0;
    if (op == BitOp::kNot) acc = static_cast<uint8_t>(~acc);
    for (size_t i = 1; i < n; ++i) acc = ApplyByte(op, acc, j < src[i].len ? src[i].p[j] : 0);
    out[j] = acc;
  }
  Object* old = d.LookupWrite(dest);
  if (old != nullptr) {
    d.Overwrite(old, result);
  } else {
    d.Add(result);
  }
  ctx.Changed(dest, db::kNotifyString, "set");
  ctx.reply.Integer(static_cast<int64_t>(maxlen));
}

// ---- BITFIELD
// -----------------------------------------------------------------------------------------

enum class FieldOp { kGet, kSet, kIncrby };
enum class Overflow { kWrap, kSat, kFail };

struct FieldCommand {
  FieldOp op;
  Overflow overflow;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET: the value; INCRBY: the increment
};

// Bits [offset, offset + bits) as an unsigned number, most significant first; bytes at or past
// `len` read as zero.
uint64_t GetUnsigned(const uint8_t* p, size_t len, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    const uint64_t byte = offset >> 3;
    const int bit = byte < len ? BitAt(p, offset) : 0;
    v = (v << 1) | static_cast<uint64_t>(bit);
  }
  return v;
}

int64_t GetSigned(const uint8_t* p, size_t len, uint64_t offset, int bits) {
  uint64_t v = GetUnsigned(p, len, offset, bits);
  // Sign-extend from the field's top bit.
  if (bits < 64 && (v & (uint64_t{1} << (bits - 1))) != 0) v |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(v);
}

// REQUIRES: the string holds bit offset + bits - 1.
void SetField(uint8_t* p, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j, ++offset) {
    const uint64_t bitval = (value >> (bits - 1 - j)) & 1;
    const auto mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    uint8_t& byte = p[offset >> 3];
    byte = static_cast<uint8_t>(bitval ? (byte | mask) : (byte & ~mask));
  }
}

// Redis checkUnsignedBitfieldOverflow: 0 if value + incr fits `bits` unsigned bits, 1 on
// overflow, -1 on underflow; on WRAP and SAT *limit is the value to store instead. A value that
// does not fit to begin with (SET of a negative number) counts as an overflow.
int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  const uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  const auto maxincr = static_cast<int64_t>(max - value);
  const auto minincr = static_cast<int64_t>(-value);
  int result = 0;
  if (value > max || (incr > 0 && incr > maxincr)) {
    result = 1;
    if (ow == Overflow::kSat) *limit = max;
  } else if (incr < 0 && incr < minincr) {
    result = -1;
    if (ow == Overflow::kSat) *limit = 0;
  }
  if (result != 0 && ow == Overflow::kWrap) {
    uint64_t res = value + static_cast<uint64_t>(incr);
    if (bits < 64) res &= ~(~uint64_t{0} << bits);
    *limit = res;
  }
  return result;
}

// Redis checkSignedBitfieldOverflow, with its arithmetic done in uint64_t where C's would
// overflow (the results are the same two's complement values).
int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  const auto maxincr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto minincr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  int result = 0;
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    result = 1;
    if (ow == Overflow::kSat) *limit = max;
  } else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr)) {
    result = -1;
    if (ow == Overflow::kSat) *limit = min;
  }
  if (result != 0 && ow == Overflow::kWrap) {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      // Propagate the field's sign bit to the bits above it.
      const uint64_t mask = ~uint64_t{0} << bits;
      c = (c & (uint64_t{1} << (bits - 1))) != 0 ? (c | mask) : (c & ~mask);
    }
    *limit = static_cast<int64_t>(c);
  }
  return result;
}

// i1..i64 or u1..u63 (u64 results would not fit RESP's signed integers).
std::optional<std::pair<bool, int>> FieldTypeArg(Context& ctx, std::string_view arg) {
  if (!arg.empty() && (arg[0] == 'i' || arg[0] == 'u')) {
    const bool is_signed = arg[0] == 'i';
    const std::optional<int64_t> bits = ParseInt64(arg.substr(1));
    if (bits && *bits >= 1 && *bits <= (is_signed ? 64 : 63)) {
      return std::make_pair(is_signed, static_cast<int>(*bits));
    }
  }
  ctx.reply.Error(protocol::kErrBitfieldType);
  return std::nullopt;
}

// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
// OVERFLOW WRAP|SAT|FAIL] ... Every argument is checked before anything runs; then the string is
// grown once to the highest bit any SET or INCRBY touches, and the operations run in order.
void BitfieldGeneric(Context& ctx, bool read_only) {
  std::vector<FieldCommand> ops;
  Overflow overflow = Overflow::kWrap;
  bool writes = false;
  uint64_t highest_write = 0;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const size_t remaining = ctx.argc() - j - 1;
    const std::string_view sub = ctx.arg(j);
    FieldOp op;
    if (EqualsIgnoreCase(sub, "GET") && remaining >= 2) {
      op = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "SET") && remaining >= 3) {
      op = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "INCRBY") && remaining >= 3) {
      op = FieldOp::kIncrby;
    } else if (EqualsIgnoreCase(sub, "OVERFLOW") && remaining >= 1) {
      const std::string_view type = ctx.arg(++j);
      if (EqualsIgnoreCase(type, "WRAP")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(type, "SAT")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(type, "FAIL")) {
        overflow = Overflow::kFail;
      } else {
        ctx.reply.Error(protocol::kErrBitfieldOverflowType);
        return;
      }
      continue;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
    auto type = FieldTypeArg(ctx, ctx.arg(j + 1));
    if (!type) return;
    auto offset = BitOffsetArg(ctx, ctx.arg(j + 2), type->second);
    if (!offset) return;
    int64_t value = 0;
    if (op != FieldOp::kGet) {
      writes = true;
      highest_write = std::max(highest_write, *offset + static_cast<uint64_t>(type->second) - 1);
      auto v = IntArg(ctx, ctx.arg(j + 3));
      if (!v) return;
      value = *v;
    }
    ops.push_back(FieldCommand{op, overflow, type->first, type->second, *offset, value});
    j += op == FieldOp::kGet ? 2 : 3;
  }

  uint8_t* bytes = nullptr;  // the string, when some operation writes
  size_t len = 0;
  Bytes view;  // what GET reads: the string as it is now (absent: no bytes)
  bool grew = false;
  db::StringBuffer buf;
  if (!writes) {
    Object* o = ctx.db().LookupRead(ctx.arg(1));
    if (WrongType(ctx, o, ObjType::kString)) return;
    if (o != nullptr) view = ReadBytes(*o, buf);
  } else {
    if (read_only) {
      ctx.reply.Error(protocol::kErrBitfieldRoWrite);
      return;
    }
    auto w = StringForBitWrite(ctx, ctx.arg(1), static_cast<size_t>(highest_write >> 3) + 1);
    if (!w) return;
    bytes = w->p;
    len = w->len;
    view = Bytes{bytes, len};
    grew = w->grew;
  }
  uint64_t changes = 0;

  ctx.reply.ArrayHeader(ops.size());
  for (const FieldCommand& f : ops) {
    if (f.op == FieldOp::kGet) {
      if (f.is_signed) {
        ctx.reply.Integer(GetSigned(view.p, view.len, f.offset, f.bits));
      } else {
        ctx.reply.Integer(static_cast<int64_t>(GetUnsigned(view.p, view.len, f.offset, f.bits)));
      }
      continue;
    }
    // SET replies the old value, INCRBY the new one; on overflow with FAIL nothing is written
    // and the reply is null.
    if (f.is_signed) {
      const int64_t old = GetSigned(bytes, len, f.offset, f.bits);
      int64_t wrapped = 0;
      int64_t next;
      int64_t reply;
      int ov;
      if (f.op == FieldOp::kIncrby) {
        ov = CheckSignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
        next =
            ov != 0
                ? wrapped
                : static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(f.value));
        reply = next;
      } else {
        next = f.value;
        ov = CheckSignedOverflow(next, 0, f.bits, f.overflow, &wrapped);
        if (ov != 0) next = wrapped;
        reply = old;
      }
      if (ov != 0 && f.overflow == Overflow::kFail) {
        ctx.reply.Null();
        continue;
      }
      ctx.reply.Integer(reply);
      SetField(bytes, f.offset, f.bits, static_cast<uint64_t>(next));
      ++changes;
    } else {
      const uint64_t old = GetUnsigned(bytes, len, f.offset, f.bits);
      uint64_t wrapped = 0;
      uint64_t next;
      uint64_t reply;
      int ov;
      if (f.op == FieldOp::kIncrby) {
        next = old + static_cast<uint64_t>(f.value);
        ov = CheckUnsignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
        if (ov != 0) next = wrapped;
        reply = next;
      } else {
        next = static_cast<uint64_t>(f.value);
        ov = CheckUnsignedOverflow(next, 0, f.bits, f.overflow, &wrapped);
        if (ov != 0) next = wrapped;
        reply = old;
      }
      if (ov != 0 && f.overflow == Overflow::kFail) {
        ctx.reply.Null();
        continue;
      }
      ctx.reply.Integer(static_cast<int64_t>(reply));
      SetField(bytes, f.offset, f.bits, next);
      ++changes;
    }
  }
  // Redis announces only fields written; a key created or grown for writes that all failed
  // (OVERFLOW FAIL) changed too, and must reach the propagation stream.
  if (changes > 0 || grew) {
    ctx.Changed(ctx.arg(1), db::kNotifyString, "setbit", changes > 0 ? changes : 1);
  }
}

void BitfieldCommand(Context& ctx) { BitfieldGeneric(ctx, false); }
void BitfieldRoCommand(Context& ctx) { BitfieldGeneric(ctx, true); }

constexpr CommandSpec kBitmapCommands[] = {
    {"setbit", SetbitCommand, 4, kWrite | kDenyOom, 1, 1, 1, "bitmap",
     "Sets or clears the bit at offset of the string value. Creates the key if it doesn't "
     "exist.",
     "2.2.0", "O(1)", kNoSubcommands, kAclBitmap, kKeysReadWritten},
    {"getbit", GetbitCommand, 3, kReadOnly | kFast, 1, 1, 1, "bitmap",
     "Returns a bit value by offset.", "2.2.0", "O(1)", kNoSubcommands, kAclBitmap, kKeysRead},
    {"bitcount", BitcountCommand, -2, kReadOnly, 1, 1, 1, "bitmap",
     "Counts the number of set bits (population counting) in a string.", "2.6.0", "O(N)",
     kNoSubcommands, kAclBitmap, kKeysRead},
    {"bitpos", BitposCommand, -3, kReadOnly, 1, 1, 1, "bitmap",
     "Finds the first set (1) or clear (0) bit in a string.", "2.8.7", "O(N)", kNoSubcommands,
     kAclBitmap, kKeysRead},
    {"bitop", BitopCommand, -4, kWrite | kDenyOom, 2, -1, 1, "bitmap",
     "Performs bitwise operations on multiple strings, and stores the result.", "2.6.0", "O(N)",
     kNoSubcommands, kAclBitmap, KeysFrom(BitopKeys)},
    {"bitfield", BitfieldCommand, -2, kWrite | kDenyOom, 1, 1, 1, "bitmap",
     "Performs arbitrary bitfield integer operations on strings.", "3.2.0",
     "O(1) for each subcommand specified", kNoSubcommands, kAclBitmap, KeysFrom(BitfieldKeys)},
    {"bitfield_ro", BitfieldRoCommand, -2, kReadOnly | kFast, 1, 1, 1, "bitmap",
     "Performs arbitrary read-only bitfield integer operations on strings.", "6.0.0",
     "O(1) for each subcommand specified", kNoSubcommands, kAclBitmap, kKeysRead},
};

}  // namespace

std::span<const CommandSpec> BitmapCommands() { return kBitmapCommands; }

}  // namespace mnemo::cmd

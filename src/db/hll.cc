// hll.cc: HyperLogLog registers, sparse and dense, and the estimator (layer: db).
#include "mnemo/db/hll.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "mnemo/ds/murmurhash.h"

namespace mnemo::db {

namespace {

constexpr uint64_t kHashSeed = 0xadc83b19ULL;
constexpr uint8_t kRegisterMax = (1 << kHllRegisterBits) - 1;   // 63
constexpr int kHashBitsLeft = 64 - kHllPrecision;               // 50
constexpr size_t kDenseBytes = kHllDenseSize - kHllHeaderSize;  // 12288

// Sparse opcode limits.
constexpr uint32_t kValMaxValue = 32;
constexpr uint32_t kValMaxLen = 4;
constexpr uint32_t kZeroMaxLen = 64;
constexpr uint32_t kXzeroMaxLen = 16384;

// The cached count's stale bit: the top bit of its last byte.
constexpr size_t kCardOffset = 8;
constexpr uint8_t kStaleBit = 0x80;

// Estimator constant: alpha for m -> infinity, 1 / (2 ln 2).
constexpr double kAlphaInf = 0.721347520444481703680;

uint8_t* Bytes(ds::sds s) { return reinterpret_cast<uint8_t*>(s); }
const uint8_t* Bytes(std::string_view v) { return reinterpret_cast<const uint8_t*>(v.data()); }

// ---- sparse opcodes ---------------------------------------------------------------------------

bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXzero(uint8_t b) { return (b & 0xc0) == 0x40; }
uint32_t ZeroLen(uint8_t b) { return (b & 0x3fu) + 1; }
uint32_t XzeroLen(uint8_t b0, uint8_t b1) { return ((uint32_t{b0} & 0x3f) << 8 | b1) + 1; }
uint32_t ValValue(uint8_t b) { return ((b >> 2) & 0x1fu) + 1; }
uint32_t ValLen(uint8_t b) { return (b & 0x3u) + 1; }
uint8_t ValOp(uint32_t value, uint32_t len) {
  return static_cast<uint8_t>(0x80 | (value - 1) << 2 | (len - 1));
}
uint8_t ZeroOp(uint32_t len) { return static_cast<uint8_t>(len - 1); }
void PutXzero(uint8_t* p, uint32_t len) {
  p[0] = static_cast<uint8_t>(0x40 | (len - 1) >> 8);
  p[1] = static_cast<uint8_t>((len - 1) & 0xff);
}

// One decoded opcode.
struct Opcode {
  uint32_t len;    // registers covered
  uint32_t value;  // 0 for ZERO and XZERO
  int size;        // bytes: 1 or 2
};

// The opcode at p. An XZERO cut off by the end of the string reads its missing second byte as
// zero, as Redis reads the terminator that follows every sds (so the same malformed strings are
// accepted or refused).
Opcode DecodeAt(const uint8_t* p, const uint8_t* end) {
  if (IsZero(*p)) return {ZeroLen(*p), 0, 1};
  if (IsXzero(*p)) return {XzeroLen(p[0], p + 1 < end ? p[1] : 0), 0, 2};
  return {ValLen(*p), ValValue(*p), 1};
}

// Calls fn(first_register, opcode) for each opcode. Returns the number of registers described.
template <typename Fn>
uint64_t WalkSparse(std::string_view bytes, Fn fn) {
  const uint8_t* p = Bytes(bytes) + kHllHeaderSize;
  const uint8_t* end = Bytes(bytes) + bytes.size();
  uint64_t index = 0;
  while (p < end) {
    const Opcode op = DecodeAt(p, end);
    if (!fn(index, op)) break;
    index += op.len;
    p += op.size;
  }
  return index;
}

// ---- dense registers --------------------------------------------------------------------------

uint8_t DenseGet(const uint8_t* regs, size_t i) {
  const size_t bit = i * kHllRegisterBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  unsigned v = regs[byte] >> shift;
  if (byte + 1 < kDenseBytes) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(v & kRegisterMax);
}

void DenseSet(uint8_t* regs, size_t i, uint8_t value) {
  const size_t bit = i * kHllRegisterBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << shift)) | (value << shift));
  if (byte + 1 < kDenseBytes) {
    const unsigned high = 8 - shift;
    regs[byte + 1] =
        static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> high)) | (value >> high));
  }
}

// Sets register i to `value` if larger; returns true iff it changed.
bool DenseRaise(uint8_t* regs, size_t i, uint8_t value) {
  if (DenseGet(regs, i) >= value) return false;
  DenseSet(regs, i, value);
  return true;
}

// ---- the estimator ----------------------------------------------------------------------------

// Histogram of register values; 64 slots hold any 6-bit value.
using Histogram = std::array<int64_t, 64>;

// Ertl's tau and sigma functions (arXiv:1702.01284), evaluated as Redis evaluates them so that
// the same histogram gives the same count to the last bit.
double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prev;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prev = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prev != z);
  return z / 3;
}

double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double z_prev;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prev = z;
    z += x * y;
    y += y;
  } while (z_prev != z);
  return z;
}

uint64_t Estimate(const Histogram& h) {
  const double m = kHllRegisters;
  double z = m * Tau((m - static_cast<double>(h[kHashBitsLeft + 1])) / m);
  for (int j = kHashBitsLeft; j >= 1; --j) {
    z += static_cast<double>(h[j]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(h[0]) / m);
  return static_cast<uint64_t>(std::llroundl(kAlphaInf * m * m / z));
}

// ---- sparse updates ---------------------------------------------------------------------------

HllUpdate Promote(ds::sds* s, uint32_t index, uint8_t count) {
  if (!HllToDense(s)) return HllUpdate::kCorrupt;
  DenseRaise(Bytes(*s) + kHllHeaderSize, index, count);
  return HllUpdate::kChanged;
}

// Merges runs of equal VAL opcodes around the change, scanning at most five opcodes from
// `from`, so the string stays as short as Redis keeps it. Returns the new end.
uint8_t* MergeValRuns(ds::sds s, uint8_t* from, uint8_t* end) {
  uint8_t* p = from;
  int budget = 5;
  while (p < end && budget-- > 0) {
    if (IsXzero(*p)) {
      p += 2;
      continue;
    }
    if (IsZero(*p)) {
      ++p;
      continue;
    }
    if (p + 1 < end && !IsZero(p[1]) && !IsXzero(p[1]) && ValValue(p[0]) == ValValue(p[1])) {
      const uint32_t len = ValLen(p[0]) + ValLen(p[1]);
      if (len <= kValMaxLen) {
        p[1] = ValOp(ValValue(p[0]), len);
        std::memmove(p, p + 1, static_cast<size_t>(end - p - 1));
        --end;
        ds::SdsSetLen(s, ds::SdsLen(s) - 1);
        continue;  // the merged run may merge with the next one too
      }
    }
    ++p;
  }
  return end;
}

HllUpdate SparseSet(ds::sds* sp, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kValMaxValue) return Promote(sp, index, count);
  // The worst case grows the string by 3 bytes: an XZERO split into XZERO VAL XZERO. Growth is
  // not greedy (Redis's is): a sparse string ends below hll-sparse-max-bytes, and growing to the
  // next jemalloc class at a time costs a few dozen small reallocations over its whole life while
  // keeping its memory at its size class, never up to twice its length.
  ds::sds s = ds::SdsMakeRoomForNonGreedy(*sp, 3);
  *sp = s;
  uint8_t* sparse = Bytes(s) + kHllHeaderSize;
  uint8_t* end = Bytes(s) + ds::SdsLen(s);

  // Find the opcode covering `index`, and the one before it.
  uint8_t* p = sparse;
  uint8_t* prev = nullptr;
  uint64_t first = 0;
  Opcode op{0, 0, 1};
  while (p < end) {
    op = DecodeAt(p, end);
    if (op.size == 2 && p + 1 >= end) return HllUpdate::kCorrupt;  // a cut-off XZERO
    if (index < first + op.len) break;
    prev = p;
    p += op.size;
    first += op.len;
  }
  if (p >= end) return HllUpdate::kCorrupt;
  const uint64_t last = first + op.len - 1;

  if (op.value != 0) {
    if (op.value >= count) return HllUpdate::kUnchanged;
    if (op.len == 1) {  // a VAL of one register: rewrite it in place
      *p = ValOp(count, 1);
      MergeValRuns(s, prev != nullptr ? prev : sparse, end);
      HllInvalidateCache(s);
      return HllUpdate::kChanged;
    }
  } else if (op.size == 1 && op.len == 1) {  // a ZERO of one register
    *p = ValOp(count, 1);
    MergeValRuns(s, prev != nullptr ? prev : sparse, end);
    HllInvalidateCache(s);
    return HllUpdate::kChanged;
  }

  // The general case: the opcode is split into up to three (left part, the register, right
  // part), at most 5 bytes.
  uint8_t seq[5];
  int n = 0;
  const auto emit_run = [&](uint64_t len) {
    const auto l = static_cast<uint32_t>(len);
    if (op.value != 0) {
      seq[n++] = ValOp(op.value, l);
    } else if (l > kZeroMaxLen) {
      PutXzero(seq + n, l);
      n += 2;
    } else {
      seq[n++] = ZeroOp(l);
    }
  };
  if (index != first) emit_run(index - first);
  seq[n++] = ValOp(count, 1);
  if (index != last) emit_run(last - index);

  const int delta = n - op.size;
  if (delta > 0 && ds::SdsLen(s) + static_cast<size_t>(delta) > sparse_max_bytes) {
    return Promote(sp, index, count);
  }
  uint8_t* next = p + op.size;
  if (delta != 0 && next < end) std::memmove(next + delta, next, static_cast<size_t>(end - next));
  ds::SdsSetLen(s, static_cast<size_t>(static_cast<ptrdiff_t>(ds::SdsLen(s)) + delta));
  std::memcpy(p, seq, static_cast<size_t>(n));
  end += delta;
  MergeValRuns(s, prev != nullptr ? prev : sparse, end);
  HllInvalidateCache(s);
  return HllUpdate::kChanged;
}

}  // namespace

bool HllIsValid(std::string_view bytes) {
  if (bytes.size() < kHllHeaderSize) return false;
  if (bytes.substr(0, 4) != "HYLL") return false;
  const auto encoding = static_cast<uint8_t>(bytes[4]);
  if (encoding > static_cast<uint8_t>(HllEncoding::kSparse)) return false;
  if (encoding == static_cast<uint8_t>(HllEncoding::kDense) && bytes.size() != kHllDenseSize) {
    return false;
  }
  return true;
}

HllEncoding HllEncodingOf(std::string_view bytes) { return static_cast<HllEncoding>(bytes[4]); }

ds::sds HllNew() {
  constexpr size_t kXzeros = (kHllRegisters + kXzeroMaxLen - 1) / kXzeroMaxLen;
  ds::sds s = ds::SdsNewZeroed(kHllHeaderSize + 2 * kXzeros);
  std::memcpy(s, "HYLL", 4);
  s[4] = static_cast<char>(HllEncoding::kSparse);
  uint8_t* p = Bytes(s) + kHllHeaderSize;
  for (size_t left = kHllRegisters; left > 0;) {
    const size_t run = left < kXzeroMaxLen ? left : kXzeroMaxLen;
    PutXzero(p, static_cast<uint32_t>(run));
    p += 2;
    left -= run;
  }
  return s;
}

HllPattern HllPatternOf(std::string_view element) {
  uint64_t hash = ds::MurmurHash64A(element, kHashSeed);
  const auto index = static_cast<uint32_t>(hash & (kHllRegisters - 1));
  hash >>= kHllPrecision;
  hash |= uint64_t{1} << kHashBitsLeft;  // so the count stops at 51
  // The count is the position of the lowest set bit, from 1.
  const auto count = static_cast<uint8_t>(__builtin_ctzll(hash) + 1);
  return HllPattern{index, count};
}

HllUpdate HllAdd(ds::sds* s, std::string_view element, size_t sparse_max_bytes) {
  const HllPattern pat = HllPatternOf(element);
  return HllSetRegister(s, pat.index, pat.count, sparse_max_bytes);
}

HllUpdate HllSetRegister(ds::sds* s, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  const std::string_view bytes = ds::SdsView(*s);
  if (HllEncodingOf(bytes) == HllEncoding::kDense) {
    if (!DenseRaise(Bytes(*s) + kHllHeaderSize, index, count)) return HllUpdate::kUnchanged;
    HllInvalidateCache(*s);
    return HllUpdate::kChanged;
  }
  return SparseSet(s, index, count, sparse_max_bytes);
}

bool HllToDense(ds::sds* s) {
  const std::string_view sparse = ds::SdsView(*s);
  if (HllEncodingOf(sparse) == HllEncoding::kDense) return true;
  ds::sds dense = ds::SdsNewZeroed(kHllDenseSize);
  std::memcpy(dense, *s, kHllHeaderSize);  // magic and cached count
  dense[4] = static_cast<char>(HllEncoding::kDense);
  uint8_t* regs = Bytes(dense) + kHllHeaderSize;
  bool overflow = false;
  const uint64_t registers = WalkSparse(sparse, [&](uint64_t index, const Opcode& op) {
    if (op.value == 0) return true;
    if (index + op.len > kHllRegisters) {
      overflow = true;
      return false;
    }
    for (uint32_t j = 0; j < op.len; ++j) DenseSet(regs, index + j, static_cast<uint8_t>(op.value));
    return true;
  });
  if (overflow || registers != kHllRegisters) {
    ds::SdsFree(dense);
    return false;
  }
  ds::SdsFree(*s);
  *s = dense;
  return true;
}

std::optional<uint64_t> HllCachedCount(std::string_view bytes) {
  const uint8_t* card = Bytes(bytes) + kCardOffset;
  if ((card[7] & kStaleBit) != 0) return std::nullopt;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | card[i];
  return v;
}

void HllSetCachedCount(ds::sds s, uint64_t count) {
  uint8_t* card = Bytes(s) + kCardOffset;
  for (int i = 0; i < 8; ++i) card[i] = static_cast<uint8_t>(count >> (8 * i));
}

void HllInvalidateCache(ds::sds s) { Bytes(s)[kCardOffset + 7] |= kStaleBit; }

std::optional<uint64_t> HllCount(std::string_view bytes) {
  Histogram h{};
  if (HllEncodingOf(bytes) == HllEncoding::kDense) {
    const uint8_t* regs = Bytes(bytes) + kHllHeaderSize;
    for (size_t i = 0; i < kHllRegisters; ++i) ++h[DenseGet(regs, i)];
  } else {
    const uint64_t registers = WalkSparse(bytes, [&](uint64_t, const Opcode& op) {
      h[op.value] += op.len;
      return true;
    });
    if (registers != kHllRegisters) return std::nullopt;
  }
  return Estimate(h);
}

uint64_t HllCountRegisters(const HllRegisters& registers) {
  Histogram h{};
  for (uint8_t r : registers) ++h[r & 63];
  return Estimate(h);
}

bool HllMerge(HllRegisters& max, std::string_view bytes) {
  if (HllEncodingOf(bytes) == HllEncoding::kDense) {
    const uint8_t* regs = Bytes(bytes) + kHllHeaderSize;
    for (size_t i = 0; i < kHllRegisters; ++i) max[i] = std::max(max[i], DenseGet(regs, i));
    return true;
  }
  bool overflow = false;
  const uint64_t registers = WalkSparse(bytes, [&](uint64_t index, const Opcode& op) {
    if (op.value == 0) return true;
    if (index + op.len > kHllRegisters) {
      overflow = true;
      return false;
    }
    for (uint32_t j = 0; j < op.len; ++j) {
      max[index + j] = std::max(max[index + j], static_cast<uint8_t>(op.value));
    }
    return true;
  });
  return !overflow && registers == kHllRegisters;
}

uint8_t HllDenseRegister(std::string_view bytes, size_t i) {
  return DenseGet(Bytes(bytes) + kHllHeaderSize, i);
}

std::string HllDecodeSparse(std::string_view bytes) {
  std::string out;
  WalkSparse(bytes, [&](uint64_t, const Opcode& op) {
    if (!out.empty()) out += ' ';
    if (op.value != 0) {
      out += "v:" + std::to_string(op.value) + "," + std::to_string(op.len);
    } else {
      out += (op.size == 2 ? "Z:" : "z:") + std::to_string(op.len);
    }
    return true;
  });
  return out;
}

std::string HllSelfTest(size_t sparse_max_bytes) {
  // 1. Dense register access: random values written to every register read back the same,
  // whatever their neighbours.
  std::mt19937_64 rnd(std::random_device{}());
  std::vector<uint8_t> regs(kDenseBytes, 0);
  std::vector<uint8_t> expected(kHllRegisters);
  for (int cycle = 0; cycle < 1000; ++cycle) {
    for (size_t i = 0; i < kHllRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rnd() & kRegisterMax);
      DenseSet(regs.data(), i, expected[i]);
    }
    for (size_t i = 0; i < kHllRegisters; ++i) {
      if (DenseGet(regs.data(), i) != expected[i]) {
        return "TESTFAILED Register error at " + std::to_string(i);
      }
    }
  }

  // 2. Approximation: the same elements to a dense and a sparse HyperLogLog.
  ds::sds dense = HllNew();
  ds::sds sparse = HllNew();
  if (!HllToDense(&dense)) return "TESTFAILED dense conversion";
  const double relative_error = 1.04 / std::sqrt(static_cast<double>(kHllRegisters));
  const uint64_t seed = rnd();
  std::string failure;
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 10000000 && failure.empty(); ++j) {
    const uint64_t element = j ^ seed;
    char buf[8];
    std::memcpy(buf, &element, sizeof(buf));
    const std::string_view e(buf, sizeof(buf));
    (void)HllAdd(&dense, e, sparse_max_bytes);
    (void)HllAdd(&sparse, e, sparse_max_bytes);
    if (j != checkpoint) continue;
    if (j < sparse_max_bytes / 2 && HllEncodingOf(ds::SdsView(sparse)) != HllEncoding::kSparse) {
      failure = "TESTFAILED sparse encoding not used";
      break;
    }
    const uint64_t count = HllCount(ds::SdsView(dense)).value_or(0);
    if (count != HllCount(ds::SdsView(sparse)).value_or(~uint64_t{0})) {
      failure = "TESTFAILED dense/sparse disagree";
      break;
    }
    const int64_t abserr =
        std::llabs(static_cast<int64_t>(checkpoint) - static_cast<int64_t>(count));
    // At 10 a collision is likely enough to be allowed one off (Redis allows the same).
    const auto maxerr =
        j == 10
            ? int64_t{1}
            : static_cast<int64_t>(std::ceil(relative_error * 6 * static_cast<double>(checkpoint)));
    if (abserr > maxerr) {
      failure = "TESTFAILED Too big error. card:" + std::to_string(checkpoint) +
                " abserr:" + std::to_string(abserr);
    }
    checkpoint *= 10;
  }
  ds::SdsFree(dense);
  ds::SdsFree(sparse);
  return failure;
}

}  // namespace mnemo::db

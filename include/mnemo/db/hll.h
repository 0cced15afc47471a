// hll.h: HyperLogLog in Redis's exact byte representation, as pure functions over the bytes of a
// string value (layer: db). Memory: docs/memory.md.
//
// A HyperLogLog is an ordinary string, so GET, SET, DUMP and RESTORE carry it unchanged, and the
// same PFADDs give the same bytes here and in redis-server. The string is:
//
//   0  "HYLL"            4   magic
//   4  encoding          1   0 dense, 1 sparse
//   5  unused            3   zero
//   8  cached count      8   little endian; the top bit of byte 15 set means "stale"
//  16  registers             16384 registers of 6 bits (precision 14), dense or sparse
//
// Dense: the registers packed 6 bits each, register i at bit 6*i counted from the least
// significant bit of byte 0: 12288 bytes, 12304 with the header.
// Sparse: run-length opcodes, Redis's three:
//   ZERO   00xxxxxx           1..64 registers at zero
//   XZERO  01xxxxxx yyyyyyyy  1..16384 registers at zero (14-bit length - 1)
//   VAL    1vvvvvxx           1..4 registers at value 1..32
// An empty HyperLogLog is one XZERO of 16384: 18 bytes. A sparse string grows as registers are
// set and becomes dense when a register needs a value above 32 or the string would exceed
// hll-sparse-max-bytes (default 3000), so it is never larger than min(3000, dense) bytes.
//
// An element picks its register with the low 14 bits of MurmurHash64A(element, 0xadc83b19) and
// the register keeps the largest run length of zero bits (plus one) seen in the other 50 bits.
// The count is Otmar Ertl's improved estimator over the register histogram (Redis 5+), with a
// standard error of 1.04/sqrt(16384) = 0.81%.
//
// Every function that reads a string accepts any bytes: a malformed one is reported (nullopt,
// false, kCorrupt), never read past its end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mnemo/ds/sds.h"

namespace mnemo::db {

inline constexpr size_t kHllHeaderSize = 16;
inline constexpr int kHllPrecision = 14;
inline constexpr size_t kHllRegisters = size_t{1} << kHllPrecision;  // 16384
inline constexpr int kHllRegisterBits = 6;
inline constexpr size_t kHllDenseSize =
    kHllHeaderSize + (kHllRegisters * kHllRegisterBits + 7) / 8;  // 12304
// hll-sparse-max-bytes' default.
inline constexpr int64_t kHllSparseMaxBytesDefault = 3000;

enum class HllEncoding : uint8_t { kDense = 0, kSparse = 1 };

// One byte per register: the registers of several HyperLogLogs merged (Redis's HLL_RAW form).
using HllRegisters = std::array<uint8_t, kHllRegisters>;

// What a change did.
enum class HllUpdate : uint8_t {
  kUnchanged,  // no register grew
  kChanged,    // a register grew (the cached count is then stale)
  kCorrupt,    // the sparse opcodes do not describe 16384 registers; nothing sensible was done
};

// True iff `bytes` may be used as a HyperLogLog (Redis isHLLObjectOrReply): at least a header,
// the magic, a known encoding, and exactly kHllDenseSize bytes when dense. The sparse opcodes are
// checked only when they are read.
bool HllIsValid(std::string_view bytes);
// REQUIRES: HllIsValid(bytes).
HllEncoding HllEncodingOf(std::string_view bytes);

// A new empty (sparse) HyperLogLog with a valid cached count of 0. The caller owns it.
ds::sds HllNew();

// The register an element goes to and the value it proposes (1..51).
struct HllPattern {
  uint32_t index;
  uint8_t count;
};
HllPattern HllPatternOf(std::string_view element);

// Adds `element` (PFADD): sets its register to at least its pattern length, converting to dense
// when a sparse string must grow past `sparse_max_bytes` or needs a value above 32. `*s` may be
// reallocated. REQUIRES for this and the functions below taking an sds: HllIsValid.
HllUpdate HllAdd(ds::sds* s, std::string_view element, size_t sparse_max_bytes);
// Sets register `index` to `count` if that is larger than its value (PFMERGE).
HllUpdate HllSetRegister(ds::sds* s, uint32_t index, uint8_t count, size_t sparse_max_bytes);
// Converts a sparse HyperLogLog to dense, keeping its header (cached count included). Returns
// false, leaving *s unchanged, if the sparse opcodes are malformed. A dense one is left alone.
[[nodiscard]] bool HllToDense(ds::sds* s);

// The cached count, or nullopt when it is stale.
std::optional<uint64_t> HllCachedCount(std::string_view bytes);
// Stores `count` as the (valid) cached count.
void HllSetCachedCount(ds::sds s, uint64_t count);
// Marks the cached count stale.
void HllInvalidateCache(ds::sds s);

// The estimated number of distinct elements, or nullopt when sparse opcodes are malformed.
std::optional<uint64_t> HllCount(std::string_view bytes);
// The estimate for merged registers.
uint64_t HllCountRegisters(const HllRegisters& registers);
// Raises each of `max` to the register of `bytes` (PFMERGE, PFCOUNT of several keys). Returns
// false if sparse opcodes are malformed (`max` may then be partly raised).
[[nodiscard]] bool HllMerge(HllRegisters& max, std::string_view bytes);

// Register i of a dense HyperLogLog. REQUIRES: dense, i < kHllRegisters.
uint8_t HllDenseRegister(std::string_view bytes, size_t i);
// The sparse opcodes as PFDEBUG DECODE prints them ("Z:16384", "z:3 v:2,1 ..."), separated by
// spaces. REQUIRES: sparse.
std::string HllDecodeSparse(std::string_view bytes);

// PFSELFTEST: register access of the dense form, then 10 million elements added to a dense and a
// sparse HyperLogLog at once, checking at 1, 10, 100, ... that both agree, that the sparse one is
// still sparse while small, and that the error is within 6 standard errors. Returns an empty
// string on success, else the failure ("TESTFAILED ..."). Takes about a second.
std::string HllSelfTest(size_t sparse_max_bytes);

}  // namespace mnemo::db

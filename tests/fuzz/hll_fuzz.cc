// hll_fuzz.cc: libFuzzer target for the HyperLogLog representation (db/hll.h), which reads
// string values any client can SET or RESTORE (tests/fuzz).
//
// Input: byte 0 chooses the form: even, the rest is the whole string (header included); odd, a
// valid sparse (or, when bit 1 is set, dense) header is put before the rest, so that most inputs
// reach the opcode walkers. Every reading function runs on the string, then elements and
// registers taken from the input are added to a copy. Checked: no function reads or writes out
// of bounds (the sanitizers), count and merge accept and refuse the same strings and agree on
// the estimate, a conversion to dense keeps the registers, and a HyperLogLog stays valid after
// every successful change.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mnemo/db/hll.h"

namespace {

using namespace mnemo;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string s;
  if (mode & 1) {
    s.assign("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16);
    if (mode & 2) s[4] = 0;
  }
  s.append(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((mode & 3) == 3) s.resize(db::kHllDenseSize, '\0');  // a dense body of the right size

  if (!db::HllIsValid(s)) return 0;
  const bool sparse = db::HllEncodingOf(s) == db::HllEncoding::kSparse;
  (void)db::HllCachedCount(s);
  const std::optional<uint64_t> count = db::HllCount(s);
  auto merged = std::make_unique<db::HllRegisters>();
  merged->fill(0);
  const bool merge_ok = db::HllMerge(*merged, s);
  if (sparse) {
    (void)db::HllDecodeSparse(s);
  } else {
    Check(count.has_value() && merge_ok);
    (void)db::HllDenseRegister(s, db::kHllRegisters - 1);
  }
  Check(count.has_value() == merge_ok);
  if (merge_ok) Check(*count == db::HllCountRegisters(*merged));

  ds::sds copy = ds::SdsNew(s);
  const bool dense_ok = db::HllToDense(&copy);
  Check(dense_ok == merge_ok);
  if (dense_ok) {
    Check(db::HllIsValid(ds::SdsView(copy)));
    auto again = std::make_unique<db::HllRegisters>();
    again->fill(0);
    Check(db::HllMerge(*again, ds::SdsView(copy)));
    Check(*again == *merged);
  }
  ds::SdsFree(copy);

  // Changes on the original form (sparse or dense), with elements and registers from the input.
  copy = ds::SdsNew(s);
  const size_t sparse_max = 16 + (mode >> 2) * 40;
  for (size_t i = 1; i + 3 <= size && i < 64; i += 3) {
    const db::HllUpdate r =
        (data[i] & 1)
            ? db::HllAdd(&copy, std::string_view(reinterpret_cast<const char*>(data + i), 3),
                         sparse_max)
            : db::HllSetRegister(&copy, (data[i + 1] << 8 | data[i + 2]) & 16383,
                                 static_cast<uint8_t>(1 + data[i] % 63), sparse_max);
    if (r == db::HllUpdate::kCorrupt) break;
    Check(db::HllIsValid(ds::SdsView(copy)));
  }
  ds::SdsFree(copy);
  return 0;
}

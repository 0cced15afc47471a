// stream_id_fuzz.cc: libFuzzer target for the stream ID parser (untrusted command arguments)
// and the stream node validator (untrusted RDB/RESTORE payloads) (tests/fuzz).
//
// Input byte 0 picks the mode. ID mode: the rest is an ID argument, parsed in every mode
// (strict or not, with and without "<ms>-*"); an accepted ID must print back to text that
// parses to the same ID, and the big-endian form must round-trip. Node mode: the rest is a
// listpack claimed to be a stream node; StreamValidateNode must never read outside it, and a
// node it accepts (deep) must load into a stream whose iterator walks exactly its live entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "mnemo/ds/listpack.h"
#include "mnemo/ds/stream.h"
#include "mnemo/ds/stream_id.h"
#include "mnemo/mem/zmalloc.h"

namespace {

using mnemo::ds::StreamId;

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzId(std::string_view arg) {
  for (int strict = 0; strict < 2; ++strict) {
    for (int wildcard = 0; wildcard < 2; ++wildcard) {
      auto p = mnemo::ds::ParseStreamId(arg, wildcard ? 0 : UINT64_MAX, strict != 0, wildcard != 0);
      if (!p) continue;
      Check(wildcard || p->seq_given);
      const std::string text = mnemo::ds::StreamIdToString(p->id);
      auto again = mnemo::ds::ParseStreamId(text, 0, true);
      Check(again && again->id == p->id);
      uint8_t be[16];
      mnemo::ds::EncodeStreamIdBigEndian(p->id, be);
      Check(mnemo::ds::DecodeStreamIdBigEndian(be) == p->id);
    }
  }
}

void FuzzNode(const uint8_t* data, size_t size) {
  if (size < 16) return;
  StreamId master;
  std::memcpy(&master.ms, data, 8);
  std::memcpy(&master.seq, data + 8, 8);
  data += 16;
  size -= 16;
  // Exact-size copy so that ASan sees any read past the end.
  std::vector<uint8_t> buf(data, data + size);
  int64_t live = 0;
  if (!mnemo::ds::StreamValidateNode(buf.data(), buf.size(), master, true, &live)) return;
  auto* lp = static_cast<uint8_t*>(mnemo::mem::Alloc(size));
  std::memcpy(lp, buf.data(), size);
  mnemo::ds::Stream* s = mnemo::ds::Stream::New();
  if (!s->AppendLoadedNode(master, lp)) {
    mnemo::mem::Free(lp);
    Check(live == 0);
  } else {
    size_t n = 0;
    mnemo::ds::StreamIterator it(*s, StreamId::Min(), StreamId::Max(), false);
    while (it.Next()) {
      mnemo::ds::LpEntry f, v;
      while (it.NextField(&f, &v)) {
      }
      ++n;
    }
    Check(n == static_cast<size_t>(live));
    mnemo::ds::StreamIterator rit(*s, StreamId::Min(), StreamId::Max(), true);
    size_t r = 0;
    while (rit.Next()) ++r;
    Check(r == n);
  }
  mnemo::ds::Stream::Delete(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    FuzzId(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    FuzzNode(data + 1, size - 1);
  }
  return 0;
}

// value_codec_fuzz.cc: libFuzzer target for the decompressors of compressed string values
// (ds/compress.h): liblzf's and zstd's (magicless frames, with and without a dictionary).
//
// Blocks are only made by the server from values it stores, so no client can hand one to the
// decompressor; it is fuzzed anyway, as the rules ask of every reader of bytes.
//
// Input: byte 0 picks the codec (low two bits: LZF, zstd, zstd with a dictionary), bytes 1-2
// the claimed original length (up to 64 KiB); the rest is the payload. Checked: no read or
// write out of bounds (the sanitizers, with the output buffer exactly the claimed length), and
// a payload that decompresses claims the length it produced. Then the input's tail is
// compressed and decompressed again as a value, which must round-trip exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/ds/compress.h"
#include "mnemo/mem/zmalloc.h"

namespace {

using namespace mnemo;

void Check(bool ok) {
  if (!ok) std::abort();
}

// One small dictionary, trained once from fixed samples.
ds::CompressionDict* Dictionary() {
  static ds::CompressionDict* dict = [] {
    std::string samples;
    std::vector<size_t> sizes;
    for (int i = 0; i < 400; ++i) {
      const std::string v = "{\"id\":" + std::to_string(i * 7919) + ",\"name\":\"user" +
                            std::to_string(i % 37) + "\",\"tags\":[\"a\",\"b" +
                            std::to_string(i % 5) + "\"],\"active\":true}";
      samples += v;
      sizes.push_back(v.size());
    }
    std::string content(8192, '\0');
    const size_t n = ds::TrainDictionary(samples, sizes, content.data(), content.size());
    return n == 0 ? nullptr : ds::CompressionDict::Create(std::string_view(content.data(), n), 3, 1);
  }();
  return dict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto codec = static_cast<ds::Codec>(data[0] % 3);
  const size_t claimed = static_cast<size_t>(data[1]) | (static_cast<size_t>(data[2]) << 8);
  const std::string_view payload(reinterpret_cast<const char*>(data + 3), size - 3);
  ds::CompressionDict* dict = codec == ds::Codec::kZstdDict ? Dictionary() : nullptr;
  if (codec == ds::Codec::kZstdDict && dict == nullptr) return 0;

  auto out = std::make_unique<char[]>(claimed + 1);
  (void)ds::DecompressPayload(codec, dict, payload, out.get(), claimed);

  // The compress side on the same bytes: whatever it accepts must come back exactly.
  if (payload.size() > 44 && payload.size() <= ds::kMaxCompressedOriginal) {
    const size_t plain = mem::SizeClass(payload.size() + 9 + 1);
    uint8_t* b = ds::CompressBlock(payload, codec, 1, dict, plain);
    if (b != nullptr) {
      std::string back(ds::BlockOriginalLength(b), '\0');
      Check(back.size() == payload.size());
      Check(ds::DecompressBlock(b, back.data()));
      Check(back == payload);
      ds::FreeBlock(b);
    }
  }
  return 0;
}

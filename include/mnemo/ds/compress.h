// compress.h: compressed blocks of bytes (LZF, zstd, zstd with a shared trained dictionary)
// and the dictionaries themselves (layer: ds).
//
// A block is one mem:: allocation:
//    0  uint32 original_len:30 codec:2   4   length of the bytes it decompresses to
//    4  uint32 compressed_len            4   length of the payload
//    8  [CompressionDict* dict]          8   only for kZstdDict: the dictionary it needs
//       payload                              liblzf output, or a magicless zstd frame without
//                                            content size, checksum or dictionary id (the
//                                            header holds the length, the pointer the
//                                            dictionary): 5 bytes less per value than a
//                                            standard frame
//
// So a value pays 8 bytes of header (16 with a dictionary) on top of its payload, and nothing
// when it does not compress: compression goes to a scratch buffer and a block is only
// allocated when its size class saves at least an eighth of what the plain bytes would cost.
//
// Dictionaries are reference counted: every block compressed with one holds a reference, so a
// retrained dictionary replaces the old one for new values while old values keep theirs. The
// last Unref frees it, on whatever thread drops it (the lazy-free thread may).
//
// All memory, including zstd's own contexts and dictionary tables, comes from mem::.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mnemo::ds {

enum class Codec : uint8_t { kLzf = 0, kZstd = 1, kZstdDict = 2 };

// "lzf", "zstd", "zstd+dict".
const char* CodecName(Codec codec);

// Longest value a block can hold (the 30 bits of original_len): 1 GiB - 1.
inline constexpr size_t kMaxCompressedOriginal = (size_t{1} << 30) - 1;

// A zstd dictionary ready for both directions. Create on any thread; Ref/Unref from any thread.
class CompressionDict {
 public:
  CompressionDict(const CompressionDict&) = delete;
  CompressionDict& operator=(const CompressionDict&) = delete;

  // A dictionary over `content` (ZDICT output) for compression level `level`, with one
  // reference held by the caller; null when zstd refuses the content.
  static CompressionDict* Create(std::string_view content, int level, uint32_t id);
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Drops a reference; the last one frees the dictionary.
  void Unref();

  uint32_t id() const { return id_; }
  int level() const { return level_; }
  // Bytes held: the object, the content and zstd's digested tables (usable sizes).
  size_t MemoryUsage() const { return memory_; }
  uint32_t refs() const { return refs_.load(std::memory_order_relaxed); }

  const void* cdict() const { return cdict_; }
  const void* ddict() const { return ddict_; }

 private:
  CompressionDict() = default;
  ~CompressionDict();

  std::atomic<uint32_t> refs_{1};
  uint32_t id_ = 0;
  int level_ = 0;
  size_t memory_ = 0;
  void* cdict_ = nullptr;  // ZSTD_CDict*
  void* ddict_ = nullptr;  // ZSTD_DDict*
};

// What the blocks and dictionaries alive hold, for INFO and MEMORY STATS (any thread updates).
struct CompressionTotals {
  uint64_t blocks = 0;
  uint64_t original_bytes = 0;    // sum of original lengths
  uint64_t compressed_bytes = 0;  // sum of the blocks' usable sizes
  uint64_t dictionaries = 0;
  uint64_t dictionary_bytes = 0;
};
CompressionTotals GetCompressionTotals();

// Compresses `value` with `codec` at `level` (zstd levels; LZF has none) and `dict` when codec
// is kZstdDict. Returns a new block iff its size class is at most 7/8 of `plain_cost` (the
// bytes the value would occupy uncompressed), else null, having allocated nothing that lasts.
// REQUIRES: value.size() <= kMaxCompressedOriginal; dict != null iff codec == kZstdDict.
uint8_t* CompressBlock(std::string_view value, Codec codec, int level, CompressionDict* dict,
                       size_t plain_cost);

size_t BlockOriginalLength(const uint8_t* block);
size_t BlockCompressedLength(const uint8_t* block);
Codec BlockCodec(const uint8_t* block);
// The dictionary of a kZstdDict block, else null.
CompressionDict* BlockDict(const uint8_t* block);
// The payload bytes (for the RDB's LZF string encoding).
std::string_view BlockPayload(const uint8_t* block);
// The usable size of the block.
size_t BlockMemory(const uint8_t* block);

// Decompresses the block into `out`, which has room for BlockOriginalLength bytes. Returns
// false (out undefined) iff the payload does not decompress to exactly that many bytes.
[[nodiscard]] bool DecompressBlock(const uint8_t* block, char* out);
// The same for untrusted bytes (the fuzz target): `payload` of `codec` (with `dict` for
// kZstdDict) into out[0..original_len). Never reads or writes out of bounds.
[[nodiscard]] bool DecompressPayload(Codec codec, const CompressionDict* dict,
                                     std::string_view payload, char* out, size_t original_len);

// A deep copy (the dictionary gains a reference).
uint8_t* DuplicateBlock(const uint8_t* block);
// Frees the block and drops its dictionary reference. Any thread.
void FreeBlock(uint8_t* block);

// Trains dictionary content from samples laid end to end in `samples` with their `sizes`
// (ZDICT_trainFromBuffer) into at most `capacity` bytes. Returns the content's length, or 0
// when zstd cannot train from these samples. May take a while: call it off the event loop.
size_t TrainDictionary(std::string_view samples, std::span<const size_t> sizes, char* out,
                       size_t capacity);

}  // namespace mnemo::ds

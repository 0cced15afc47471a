// compress.cc: LZF and zstd blocks, shared dictionaries (layer: ds). Layout: compress.h.
#define ZSTD_STATIC_LINKING_ONLY  // customMem and the magicless format (exported by libzstd.so)
#include "mnemo/ds/compress.h"

#include <lzf.h>
#include <zdict.h>
#include <zstd.h>

#include <cstring>
#include <string>

#include "mnemo/base/assert.h"
#include "mnemo/base/thread_counters.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::ds {

namespace {

constexpr size_t kHeaderBytes = 8;
constexpr size_t kDictPtrBytes = sizeof(CompressionDict*);

// ---- totals --------------------------------------------------------------------------------

// The block totals change on every compressed SET and every free, so they are kept as
// used_memory is (base::ThreadCounters: a slot per thread, no locked add; three locked adds per
// block after its bytes were copied cost about 4% of a compressed SET). Fields: blocks, original
// bytes, compressed bytes.
struct CompressionTotalsTag {};
base::ThreadCounters<3, 8, CompressionTotalsTag> g_totals;

void CountBlock(const uint8_t* b, int sign) {
  g_totals.Add(sign, sign * static_cast<int64_t>(BlockOriginalLength(b)),
               sign * static_cast<int64_t>(mem::UsableSize(b)));
}

std::atomic<uint64_t> g_dicts{0};
std::atomic<uint64_t> g_dict_bytes{0};

// ---- zstd through mem:: --------------------------------------------------------------------

// opaque: null, or a size_t that sums the usable sizes allocated (a dictionary's footprint).
void* ZstdAlloc(void* opaque, size_t size) {
  void* p = mem::Alloc(size);
  if (opaque != nullptr) *static_cast<size_t*>(opaque) += mem::UsableSize(p);
  return p;
}
void ZstdFree(void* opaque, void* p) {
  if (p == nullptr) return;
  if (opaque != nullptr) *static_cast<size_t*>(opaque) -= mem::UsableSize(p);
  mem::Free(p);
}
constexpr ZSTD_customMem kZstdMem{ZstdAlloc, ZstdFree, nullptr};

// One compression and one decompression context per thread (in practice the event loop's),
// reused for every value: zstd's tables are allocated once, through mem::.
struct ZstdContexts {
  ZSTD_CCtx* c = nullptr;
  ZSTD_DCtx* d = nullptr;
  ZstdContexts() = default;
  ZstdContexts(const ZstdContexts&) = delete;
  ZstdContexts& operator=(const ZstdContexts&) = delete;
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
  ZSTD_CCtx* cctx() {
    if (c == nullptr) {
      c = ZSTD_createCCtx_advanced(kZstdMem);
      MNEMO_ASSERT(c != nullptr);
      // The block header holds the length and the dictionary: the frame need not.
      ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
      ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
      ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
      ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0);
    }
    return c;
  }
  ZSTD_DCtx* dctx() {
    if (d == nullptr) {
      d = ZSTD_createDCtx_advanced(kZstdMem);
      MNEMO_ASSERT(d != nullptr);
      ZSTD_DCtx_setParameter(d, ZSTD_d_format, ZSTD_f_zstd1_magicless);
    }
    return d;
  }
};

ZstdContexts& Contexts() {
  thread_local ZstdContexts contexts;
  return contexts;
}

// The scratch buffer compression writes to before the result is known to be worth a block.
std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}

uint32_t Word0(const uint8_t* b) {
  uint32_t w;
  std::memcpy(&w, b, sizeof(w));
  return w;
}

size_t PayloadOffset(const uint8_t* b) {
  return kHeaderBytes + (BlockCodec(b) == Codec::kZstdDict ? kDictPtrBytes : 0);
}

}  // namespace

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kLzf:
      return "lzf";
    case Codec::kZstd:
      return "zstd";
    case Codec::kZstdDict:
      return "zstd+dict";
  }
  return "unknown";
}

// ---- dictionaries --------------------------------------------------------------------------

CompressionDict* CompressionDict::Create(std::string_view content, int level, uint32_t id) {
  auto* d = new CompressionDict();
  d->id_ = id;
  d->level_ = level;
  d->memory_ = mem::UsableSize(d);
  const ZSTD_customMem counted{ZstdAlloc, ZstdFree, &d->memory_};
  // Tables sized for values of a few KB: the values dictionaries help are small ones.
  const ZSTD_compressionParameters cp = ZSTD_getCParams(level, 4096, content.size());
  d->cdict_ = ZSTD_createCDict_advanced(content.data(), content.size(), ZSTD_dlm_byCopy,
                                        ZSTD_dct_auto, cp, counted);
  d->ddict_ = ZSTD_createDDict_advanced(content.data(), content.size(), ZSTD_dlm_byCopy,
                                        ZSTD_dct_auto, counted);
  if (d->cdict_ == nullptr || d->ddict_ == nullptr) {
    delete d;
    return nullptr;
  }
  g_dicts.fetch_add(1, std::memory_order_relaxed);
  g_dict_bytes.fetch_add(d->memory_, std::memory_order_relaxed);
  return d;
}

CompressionDict::~CompressionDict() {
  ZSTD_freeCDict(static_cast<ZSTD_CDict*>(cdict_));
  ZSTD_freeDDict(static_cast<ZSTD_DDict*>(ddict_));
}

void CompressionDict::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  g_dicts.fetch_sub(1, std::memory_order_relaxed);
  g_dict_bytes.fetch_sub(memory_, std::memory_order_relaxed);
  delete this;
}

CompressionTotals GetCompressionTotals() {
  CompressionTotals t;
  t.blocks = static_cast<uint64_t>(g_totals.Sum(0));
  t.original_bytes = static_cast<uint64_t>(g_totals.Sum(1));
  t.compressed_bytes = static_cast<uint64_t>(g_totals.Sum(2));
  t.dictionaries = g_dicts.load(std::memory_order_relaxed);
  t.dictionary_bytes = g_dict_bytes.load(std::memory_order_relaxed);
  return t;
}

// ---- blocks --------------------------------------------------------------------------------

uint8_t* CompressBlock(std::string_view value, Codec codec, int level, CompressionDict* dict,
                       size_t plain_cost) {
  MNEMO_ASSERT(value.size() <= kMaxCompressedOriginal);
  MNEMO_ASSERT((dict != nullptr) == (codec == Codec::kZstdDict));
  const size_t head = kHeaderBytes + (dict != nullptr ? kDictPtrBytes : 0);
  const size_t budget = plain_cost - plain_cost / 8;  // the block may cost at most this
  if (budget <= head) return nullptr;
  // The largest payload whose block still fits the budget once rounded to its size class.
  // Binary search: size classes are monotonic in the request.
  size_t lo = 0;
  size_t hi = budget - head;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo + 1) / 2;
    if (mem::SizeClass(head + mid) <= budget) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const size_t room = lo;
  if (room == 0) return nullptr;

  std::string& out = Scratch();
  if (out.size() < room) out.resize(room);
  size_t n = 0;
  if (codec == Codec::kLzf) {
    n = lzf_compress(value.data(), static_cast<unsigned>(value.size()), out.data(),
                     static_cast<unsigned>(room));
  } else {
    ZSTD_CCtx* c = Contexts().cctx();
    if (dict != nullptr) {
      ZSTD_CCtx_refCDict(c, static_cast<const ZSTD_CDict*>(dict->cdict()));
    } else {
      ZSTD_CCtx_refCDict(c, nullptr);
      ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    }
    // ZSTD_compress2 refuses a destination below ZSTD_compressBound even when the frame would
    // fit (its output buffer is "stable"), so it gets the bound and the size is checked after.
    const size_t bound = ZSTD_compressBound(value.size());
    if (out.size() < bound) out.resize(bound);
    const size_t r = ZSTD_compress2(c, out.data(), bound, value.data(), value.size());
    n = ZSTD_isError(r) || r > room ? 0 : r;  // an error leaves the value plain too
  }
  if (n == 0) return nullptr;

  auto* b = static_cast<uint8_t*>(mem::Alloc(head + n));
  const uint32_t w0 = static_cast<uint32_t>(value.size()) | (static_cast<uint32_t>(codec) << 30);
  const auto w1 = static_cast<uint32_t>(n);
  std::memcpy(b, &w0, 4);
  std::memcpy(b + 4, &w1, 4);
  if (dict != nullptr) {
    dict->Ref();
    std::memcpy(b + kHeaderBytes, &dict, kDictPtrBytes);
  }
  std::memcpy(b + head, out.data(), n);
  CountBlock(b, +1);
  return b;
}

size_t BlockOriginalLength(const uint8_t* block) { return Word0(block) & ((1u << 30) - 1); }
Codec BlockCodec(const uint8_t* block) { return static_cast<Codec>(Word0(block) >> 30); }
size_t BlockCompressedLength(const uint8_t* block) {
  uint32_t n;
  std::memcpy(&n, block + 4, sizeof(n));
  return n;
}
CompressionDict* BlockDict(const uint8_t* block) {
  if (BlockCodec(block) != Codec::kZstdDict) return nullptr;
  CompressionDict* d;
  std::memcpy(&d, block + kHeaderBytes, kDictPtrBytes);
  return d;
}
std::string_view BlockPayload(const uint8_t* block) {
  return {reinterpret_cast<const char*>(block) + PayloadOffset(block),
          BlockCompressedLength(block)};
}
size_t BlockMemory(const uint8_t* block) { return mem::UsableSize(block); }

bool DecompressPayload(Codec codec, const CompressionDict* dict, std::string_view payload,
                       char* out, size_t original_len) {
  if (codec == Codec::kLzf) {
    if (payload.empty() || original_len == 0) return payload.empty() && original_len == 0;
    const unsigned n = lzf_decompress(payload.data(), static_cast<unsigned>(payload.size()), out,
                                      static_cast<unsigned>(original_len));
    return n == original_len;
  }
  if (codec == Codec::kZstdDict && dict == nullptr) return false;
  ZSTD_DCtx* d = Contexts().dctx();
  ZSTD_DCtx_refDDict(d, dict != nullptr && codec == Codec::kZstdDict
                            ? static_cast<const ZSTD_DDict*>(dict->ddict())
                            : nullptr);
  const size_t r = ZSTD_decompressDCtx(d, out, original_len, payload.data(), payload.size());
  return !ZSTD_isError(r) && r == original_len;
}

bool DecompressBlock(const uint8_t* block, char* out) {
  return DecompressPayload(BlockCodec(block), BlockDict(block), BlockPayload(block), out,
                           BlockOriginalLength(block));
}

uint8_t* DuplicateBlock(const uint8_t* block) {
  const size_t n = PayloadOffset(block) + BlockCompressedLength(block);
  auto* b = static_cast<uint8_t*>(mem::Alloc(n));
  std::memcpy(b, block, n);
  if (CompressionDict* d = BlockDict(b)) d->Ref();
  CountBlock(b, +1);
  return b;
}

void FreeBlock(uint8_t* block) {
  CountBlock(block, -1);
  CompressionDict* d = BlockDict(block);
  mem::Free(block);
  if (d != nullptr) d->Unref();
}

size_t TrainDictionary(std::string_view samples, std::span<const size_t> sizes, char* out,
                       size_t capacity) {
  if (sizes.empty()) return 0;
  const size_t r = ZDICT_trainFromBuffer(out, capacity, samples.data(), sizes.data(),
                                         static_cast<unsigned>(sizes.size()));
  return ZDICT_isError(r) ? 0 : r;
}

}  // namespace mnemo::ds

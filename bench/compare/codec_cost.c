/* codec_cost.c: CPU time per value of each codec Mnemo offers, on a dataset (issue 13).
 *
 * What one compressed SET adds (compression) and one GET adds (decompression), outside the
 * server: reads values as <uint32 length LE><bytes> from stdin (compression.py --dump-json or
 * --dump-text writes them so) and prints, for liblzf and for zstd at a few levels with and
 * without a dictionary trained on the first 3.2 MB of values (as value-compression-dictionary
 * does), the payload ratio and the thread CPU time per value to compress and to decompress:
 * the best of 3 passes, so a loaded machine's preemptions count as little as possible. The zstd
 * frames are magicless without content size, as Mnemo writes them; a SET also pays a block
 * allocation and a GET a copy, which are not counted here.
 * Build and run:
 *   cc -O2 codec_cost.c -o codec_cost -llzf -lzstd
 *   ./compression.py --keys 20000 --dump-json json.bin && ./codec_cost < json.bin
 *   ./compression.py --text-keys 2000 --dump-text text.bin && ./codec_cost < text.bin
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <liblzf/lzf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

enum { kPasses = 3, kDictBytes = 32768, kSampleBudget = 3200000 };

static double CpuSeconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static char** vals;
static size_t* lens;
static size_t n, total;
static char** packed;
static size_t* packed_len;
static char out[1 << 24], back[1 << 24];

static void Read(void) {
  size_t cap = 1024;
  vals = malloc(cap * sizeof *vals);
  lens = malloc(cap * sizeof *lens);
  uint32_t len;
  while (fread(&len, 4, 1, stdin) == 1) {
    if (n == cap) {
      cap *= 2;
      vals = realloc(vals, cap * sizeof *vals);
      lens = realloc(lens, cap * sizeof *lens);
    }
    vals[n] = malloc(len);
    if (fread(vals[n], 1, len, stdin) != len) break;
    lens[n] = len;
    total += len;
    ++n;
  }
  packed = calloc(n, sizeof *packed);
  packed_len = calloc(n, sizeof *packed_len);
}

static void Report(const char* name, size_t stored, double comp, double decomp) {
  printf("%-16s ratio %5.2f  compress %8.2f us/value  decompress %8.2f us/value\n", name,
         (double)total / stored, comp / n * 1e6, decomp / n * 1e6);
}

static void Lzf(void) {
  size_t stored = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned r = lzf_compress(vals[i], lens[i], out, lens[i]);
    packed_len[i] = r;
    free(packed[i]);
    packed[i] = malloc(r + 1);
    memcpy(packed[i], out, r);
    stored += r ? r : lens[i];
  }
  double comp = 1e9, decomp = 1e9;
  for (int p = 0; p < kPasses; ++p) {
    double a = CpuSeconds();
    for (size_t i = 0; i < n; ++i) lzf_compress(vals[i], lens[i], out, lens[i]);
    double b = CpuSeconds();
    for (size_t i = 0; i < n; ++i) {
      if (packed_len[i] != 0 && lzf_decompress(packed[i], packed_len[i], back, lens[i]) != lens[i]) {
        fprintf(stderr, "lzf round trip failed\n");
        exit(1);
      }
    }
    double c = CpuSeconds();
    if (b - a < comp) comp = b - a;
    if (c - b < decomp) decomp = c - b;
  }
  Report("lzf", stored, comp, decomp);
}

static void Zstd(int level, const char* dict, size_t dict_len) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0);
  ZSTD_DCtx_setParameter(d, ZSTD_d_format, ZSTD_f_zstd1_magicless);
  ZSTD_CDict* cd = NULL;
  ZSTD_DDict* dd = NULL;
  if (dict != NULL) {
    /* As CompressionDict::Create: tables sized for values of a few KB. */
    ZSTD_compressionParameters cp = ZSTD_getCParams(level, 4096, dict_len);
    cd = ZSTD_createCDict_advanced(dict, dict_len, ZSTD_dlm_byCopy, ZSTD_dct_auto, cp,
                                   ZSTD_defaultCMem);
    dd = ZSTD_createDDict(dict, dict_len);
    ZSTD_CCtx_refCDict(c, cd);
    ZSTD_DCtx_refDDict(d, dd);
  } else {
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  }
  size_t stored = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t r = ZSTD_compress2(c, out, sizeof out, vals[i], lens[i]);
    packed_len[i] = r;
    free(packed[i]);
    packed[i] = malloc(r);
    memcpy(packed[i], out, r);
    stored += r;
  }
  double comp = 1e9, decomp = 1e9;
  for (int p = 0; p < kPasses; ++p) {
    double a = CpuSeconds();
    for (size_t i = 0; i < n; ++i) ZSTD_compress2(c, out, sizeof out, vals[i], lens[i]);
    double b = CpuSeconds();
    for (size_t i = 0; i < n; ++i) {
      if (ZSTD_decompressDCtx(d, back, lens[i], packed[i], packed_len[i]) != lens[i]) {
        fprintf(stderr, "zstd round trip failed\n");
        exit(1);
      }
    }
    double c2 = CpuSeconds();
    if (b - a < comp) comp = b - a;
    if (c2 - b < decomp) decomp = c2 - b;
  }
  char name[32];
  snprintf(name, sizeof name, "zstd%s %d", dict != NULL ? "+dict" : "", level);
  Report(name, stored, comp, decomp);
  ZSTD_freeCDict(cd);
  ZSTD_freeDDict(dd);
  ZSTD_freeCCtx(c);
  ZSTD_freeDCtx(d);
}

int main(void) {
  Read();
  if (n == 0) return 1;
  /* The dictionary: ZDICT over the first values, up to the sample budget. */
  size_t sampled = 0, bytes = 0;
  while (sampled < n && bytes + lens[sampled] <= kSampleBudget) bytes += lens[sampled++];
  char* samples = malloc(bytes);
  size_t* sizes = malloc(sampled * sizeof *sizes);
  for (size_t i = 0, at = 0; i < sampled; at += lens[i], ++i) {
    memcpy(samples + at, vals[i], lens[i]);
    sizes[i] = lens[i];
  }
  static char dict[kDictBytes];
  size_t dict_len = ZDICT_trainFromBuffer(dict, sizeof dict, samples, sizes, (unsigned)sampled);
  if (ZDICT_isError(dict_len)) dict_len = 0;

  printf("%zu values, %.0f bytes on average\n", n, (double)total / n);
  Lzf();
  const int levels[] = {-1, 1, 3};
  for (size_t i = 0; i < sizeof levels / sizeof *levels; ++i) Zstd(levels[i], NULL, 0);
  if (dict_len != 0) {
    for (size_t i = 0; i < sizeof levels / sizeof *levels; ++i) Zstd(levels[i], dict, dict_len);
  }
  double best = 1e9;
  for (int p = 0; p < kPasses; ++p) {
    double a = CpuSeconds();
    for (size_t i = 0; i < n; ++i) memcpy(back, vals[i], lens[i]);
    double b = CpuSeconds();
    if (b - a < best) best = b - a;
  }
  printf("%-16s %8.2f us/value\n", "memcpy", best / n * 1e6);
  return 0;
}

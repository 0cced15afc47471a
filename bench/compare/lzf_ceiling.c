/* lzf_ceiling.c: what LZF can do for a dataset at best, value by value (issue 13).
 *
 * Reads values as <uint32 length LE><bytes> from stdin (compression.py --dump-json writes the
 * JSON dataset so), compresses each with liblzf as Mnemo does, and prints the average cost of a
 * value under several storage rules, in jemalloc size classes:
 *   plain      the raw sds (3 or 5 header bytes + bytes + terminator), rounded to its class
 *   mnemo      a block of 8 header bytes + payload, kept only when its class is at most 7/8 of
 *              the plain class (value-compression lzf as built)
 *   4-byte     the same with a 4-byte header
 *   any gain   no header, kept whenever its class is below the plain class
 *   ideal      no header and no rounding: the LZF payload itself (a floor for any layout)
 * and the time lzf_decompress takes per value LZF could shrink (what a GET adds).
 * Build and run:
 *   cc -O2 lzf_ceiling.c -o lzf_ceiling -llzf
 *   ./compression.py --keys 200000 --dump-json docs.bin && ./lzf_ceiling < docs.bin
 */
#include <liblzf/lzf.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* jemalloc 5.3's size classes up to 4 KiB (4 KiB pages), then pages. */
static size_t size_class(size_t n) {
  static const size_t classes[] = {8,   16,  32,  48,  64,   80,   96,   112,  128,  160,
                                   192, 224, 256, 320, 384,  448,  512,  640,  768,  896,
                                   1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096};
  for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); ++i) {
    if (n <= classes[i]) return classes[i];
  }
  return (n + 4095) / 4096 * 4096;
}

int main(void) {
  static char in[1 << 20], out[1 << 20];
  uint32_t n;
  double count = 0, bytes = 0, lzf = 0, plain = 0, mnemo = 0, four = 0, any = 0, ideal = 0;
  double kept8 = 0, kept4 = 0, decompress_ns = 0, compressible = 0;
  static char back[1 << 20];
  while (fread(&n, 4, 1, stdin) == 1) {
    if (n > sizeof(in) || fread(in, 1, n, stdin) != n) return 1;
    unsigned c = lzf_compress(in, n, out, n);
    if (c == 0) {
      c = n + 1; /* did not fit: incompressible */
    } else {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      if (lzf_decompress(out, c, back, sizeof(back)) != n) return 1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      decompress_ns += (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
      compressible += 1;
    }
    const size_t p = size_class((n < 256 ? 3 : 5) + n + 1);
    const size_t budget = p - p / 8;
    count += 1;
    bytes += n;
    lzf += c;
    plain += p;
    if (size_class(8 + c) <= budget) {
      mnemo += size_class(8 + c);
      kept8 += 1;
    } else {
      mnemo += p;
    }
    if (size_class(4 + c) <= budget) {
      four += size_class(4 + c);
      kept4 += 1;
    } else {
      four += p;
    }
    any += size_class(c) < p ? size_class(c) : p;
    ideal += c < n ? c : n;
  }
  if (count == 0) return 1;
  printf("values %.0f, average %.1f bytes, LZF payload %.1f (ratio %.3f)\n", count,
         bytes / count, lzf / count, bytes / lzf);
  printf("cost per value: plain %.1f | mnemo %.1f (%.1f%% compressed) | 4-byte header %.1f "
         "(%.1f%%) | no header, any gain %.1f | ideal %.1f\n",
         plain / count, mnemo / count, 100 * kept8 / count, four / count, 100 * kept4 / count,
         any / count, ideal / count);
  if (compressible > 0) {
    printf("lzf_decompress: %.0f ns per compressed value\n", decompress_ns / compressible);
  }
  return 0;
}

// options.h: the knobs of the db layer, with Redis's defaults (layer: db).
//
// The server's config table (server/config) writes these when a parameter is loaded or set;
// the db layer only reads them. Names in comments are the redis.conf parameter names.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnemo::db {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllkeysLru,
  kVolatileLru,
  kAllkeysLfu,
  kVolatileLfu,
  kAllkeysRandom,
  kVolatileRandom,
  kVolatileTtl,
};

inline bool IsLru(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysLru || p == EvictionPolicy::kVolatileLru;
}
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllkeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

// value-compression (value_compression.h).
enum class ValueCompression : uint8_t { kNo, kLzf, kZstd };

struct Options {
  // Encodings of collections: a compact encoding is kept while a collection stays within both
  // bounds (entries, and bytes of the longest element).
  int64_t hash_max_listpack_entries = 512;  // hash-max-listpack-entries
  int64_t hash_max_listpack_value = 64;     // hash-max-listpack-value
  int64_t list_max_listpack_size = -2;      // list-max-listpack-size: -1..-5 = 4..64 KB per node
  int64_t list_compress_depth = 0;          // list-compress-depth: uncompressed nodes at each end
  int64_t set_max_intset_entries = 512;     // set-max-intset-entries
  int64_t set_max_listpack_entries = 128;   // set-max-listpack-entries
  int64_t set_max_listpack_value = 64;      // set-max-listpack-value
  int64_t zset_max_listpack_entries = 128;  // zset-max-listpack-entries
  int64_t zset_max_listpack_value = 64;     // zset-max-listpack-value

  // HyperLogLog (hll.h): the largest sparse representation before it becomes dense.
  int64_t hll_sparse_max_bytes = 3000;  // hll-sparse-max-bytes

  // Streams (stream_type.h): the largest node, in bytes and in entries (0: no limit).
  int64_t stream_node_max_bytes = 4096;   // stream-node-max-bytes
  int64_t stream_node_max_entries = 100;  // stream-node-max-entries

  // String values stored compressed (value_compression.h). 64: below that, even a good ratio
  // rarely saves a size class once the block header is paid, and the CPU is wasted.
  ValueCompression value_compression = ValueCompression::kNo;  // value-compression
  int64_t value_compression_min_size = 64;   // value-compression-min-size (bytes)
  int64_t value_compression_level = 3;       // value-compression-level (zstd 1..19)
  bool value_compression_dictionary = false;  // value-compression-dictionary

  // Lazy freeing: which deletions hand big values to the background thread.
  bool lazyfree_lazy_eviction = false;    // lazyfree-lazy-eviction
  bool lazyfree_lazy_expire = false;      // lazyfree-lazy-expire
  bool lazyfree_lazy_server_del = false;  // lazyfree-lazy-server-del (overwrites, RENAME)
  bool lazyfree_lazy_user_del = false;    // lazyfree-lazy-user-del (DEL acts as UNLINK)
  bool lazyfree_lazy_user_flush = false;  // lazyfree-lazy-user-flush (FLUSH* default ASYNC)

  // Memory limit and eviction.
  uint64_t maxmemory = 0;                                         // maxmemory (0: no limit)
  EvictionPolicy maxmemory_policy = EvictionPolicy::kNoEviction;  // maxmemory-policy
  int64_t maxmemory_samples = 5;                                  // maxmemory-samples
  int64_t maxmemory_eviction_tenacity = 10;  // maxmemory-eviction-tenacity (0..100)
  int64_t lfu_log_factor = 10;               // lfu-log-factor
  int64_t lfu_decay_time = 1;                // lfu-decay-time (minutes)

  // Active expiry effort 1..10 (active-expire-effort).
  int64_t active_expire_effort = 1;
  // Active defragmentation (db/defrag.h), Redis's names and defaults. It starts when jemalloc's
  // active pages exceed its allocated bytes by at least threshold-lower percent and ignore-bytes
  // bytes, and spends cycle-min..cycle-max percent of the CPU (scaled between the thresholds).
  bool active_defrag = false;                      // activedefrag
  int64_t active_defrag_ignore_bytes = 100 << 20;  // active-defrag-ignore-bytes
  int64_t active_defrag_threshold_lower = 10;      // active-defrag-threshold-lower (%)
  int64_t active_defrag_threshold_upper = 100;     // active-defrag-threshold-upper (%)
  int64_t active_defrag_cycle_min = 1;             // active-defrag-cycle-min (% CPU)
  int64_t active_defrag_cycle_max = 25;            // active-defrag-cycle-max (% CPU)
  int64_t active_defrag_max_scan_fields = 1000;    // active-defrag-max-scan-fields

  // False while the server replays its AOF (Server::LoadAof): a key past its TTL is live,
  // neither deleted nor hidden on lookup nor reclaimed by the active cycle, and a write with an
  // expiry already past still stores the key (Redis keyIsExpired and checkAlreadyExpired while
  // loading). A replica keeps expired keys by another rule (Keyspace::replica_expiry).
  bool keys_expire = true;

  // Redis shares int values 0..9999 unless an LRU/LFU policy needs per-key clocks (only when
  // maxmemory is set, too); Mnemo stores them inline and only answers OBJECT REFCOUNT so.
  bool SharedIntegersAllowed() const {
    return maxmemory == 0 || !(IsLru(maxmemory_policy) || IsLfu(maxmemory_policy));
  }
};

}  // namespace mnemo::db

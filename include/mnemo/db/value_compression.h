// value_compression.h: which string values are stored compressed, and the zstd dictionaries
// trained for each database (layer: db).
//
// The string type asks Compress when it stores a value given whole (SET and its family, MSET,
// RESTORE, loading a snapshot); values built in place (APPEND, SETRANGE, SETBIT, PFADD) stay
// raw, as Redis keeps them raw, until the next whole write. A value is compressed when
//   value-compression is lzf or zstd, it is at least value-compression-min-size bytes and longer
//   than kMaxEmbstrLength (shorter ones live inside the key's block for free), and
//   the block costs at most 7/8 of what the value costs uncompressed (ds::CompressBlock):
//   otherwise nothing stays. Uncompressed, a value costs its sds or, when the string type
//   would embed it in the key's block (up to kMaxEmbeddedLength bytes, string_type.cc), what
//   embedding adds to that block: so a 100-byte value under a short key is compressed only
//   when the block saves an eighth of the 80 bytes embedding adds (128-byte block against 48).
//
// Dictionaries (value-compression zstd, value-compression-dictionary yes): each database
// collects a bounded sample of the values it stores (kTrainMinSamples values and
// kTrainMinBytes bytes, at most kSampleBudget bytes), and the trainer thread turns it into a
// dictionary of kDictCapacity bytes (ZDICT_trainFromBuffer) while the event loop goes on; the
// loop installs it on its next Compress or cron tick (Poll). Values are then compressed with it.
// Every kRatioWindow values the ratio of that window is compared with the first window's: 30%
// worse starts a new sample and a retraining. A replaced dictionary lives on while values hold
// references to it (ds::CompressionDict).
//
// Values stored before a database's dictionary existed (or with an older one) are recompressed
// with it by the cron (RecompressStep): one pass over the database's keys with a scan cursor,
// at most kRecompressBudgetUs per call, a block replaced only when the new one is smaller. The
// value's bytes do not change, only how they are held, so nothing is announced or propagated.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mnemo/db/options.h"
#include "mnemo/ds/compress.h"

namespace mnemo::db {

class Keyspace;

class ValueCompressor {
 public:
  // 32 KB: zstd's own advice is ~100x smaller than the sample; common field names, words and
  // value shapes of JSON-like documents fit in far less.
  static constexpr size_t kDictCapacity = 32 * 1024;
  static constexpr size_t kTrainMinSamples = 1000;
  static constexpr size_t kTrainMinBytes = 8 * kDictCapacity;
  static constexpr size_t kSampleBudget = 100 * kDictCapacity;
  // Values longer than this are not sampled (one would crowd out the others).
  static constexpr size_t kMaxSampleValue = 64 * 1024;
  static constexpr uint64_t kRatioWindow = 1000;
  // A window this much worse than the first after training triggers a retraining.
  static constexpr double kDegradeFactor = 1.3;
  // After zstd could not train from a sample, this many values pass before the next try.
  static constexpr uint64_t kRetryAfterValues = 100000;
  // Recompression's share of each cron run: 20 ms per run at hz 10 is a fifth of a core while
  // it lasts, below active defrag's 25% (active-defrag-cycle-max), and ends by itself.
  static constexpr int64_t kRecompressBudgetUs = 20000;

  ValueCompressor(const Options* options, int num_dbs);
  ValueCompressor(const ValueCompressor&) = delete;
  ValueCompressor& operator=(const ValueCompressor&) = delete;
  // Waits for a training in progress, then frees what the compressor holds.
  ~ValueCompressor();

  // The value compressed for database `db` as a block (ds/compress.h) when the options ask for
  // it and the block costs at most 7/8 of `plain_cost`, the bytes the value costs stored
  // uncompressed beside an object block holding a value word; null otherwise. Event loop only.
  uint8_t* Compress(int db, std::string_view value, size_t plain_cost);

  // Installs the dictionaries the trainer finished, and drops them when the options no longer
  // ask for dictionaries. Event loop; one atomic load when there is nothing to do.
  void Poll();

  // Blocks until no training is queued or running, then Polls (tests, DEBUG).
  void WaitForTraining();

  // Recompresses values of databases whose dictionary changed, for up to `budget_us`
  // microseconds. Returns true while some database still has values to visit. Event loop.
  bool RecompressStep(Keyspace& ks, int64_t budget_us);
  bool recompressing() const;
  // True while a sample is with the trainer thread.
  bool training() const;
  uint64_t recompressed() const { return recompressed_; }

  struct DbInfo {
    uint32_t dict_id = 0;      // the dictionary new values use, 0: none
    uint64_t trainings = 0;    // dictionaries installed for this database
    bool training = false;     // a sample is with the trainer
    size_t sample_values = 0;  // values in the sample being collected
  };
  DbInfo Info(int db) const;
  uint64_t trainings() const { return trainings_; }

 private:
  enum class Phase : uint8_t { kCollecting, kTraining, kTrained, kWaiting };
  struct DbState {
    Phase phase = Phase::kCollecting;
    ds::CompressionDict* dict = nullptr;  // one reference held here
    std::string samples;
    std::vector<size_t> sizes;
    uint64_t window_values = 0;
    uint64_t window_original = 0;
    uint64_t window_stored = 0;
    double baseline = 0;  // stored/original of the first window with this dictionary; 0: none
    uint64_t trainings = 0;
    uint64_t wait_values = 0;  // kWaiting: values left before sampling again
    bool recompress = false;   // values made before `dict` may remain
    uint64_t recompress_cursor = 0;
  };
  struct Job {
    int db;
    int level;
    std::string samples;
    std::vector<size_t> sizes;
  };
  struct Result {
    int db;
    ds::CompressionDict* dict;  // null: training failed
  };

  void Sample(DbState& s, int db, std::string_view value);
  void Account(DbState& s, size_t original, size_t stored);
  void ResetDictionaries();
  void RunTrainer();

  const Options* options_;
  std::vector<DbState> dbs_;
  uint64_t trainings_ = 0;
  uint64_t recompressed_ = 0;
  std::atomic<uint32_t> next_dict_id_{1};

  // The trainer thread, started with the first job (Redis's bio threads work the same way:
  // a queue, a condition variable, results handed back to the loop).
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  std::vector<Result> results_;
  bool busy_ = false;
  bool stop_ = false;
  std::atomic<bool> results_ready_{false};
};

}  // namespace mnemo::db

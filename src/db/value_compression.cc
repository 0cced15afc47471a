// value_compression.cc: the compression decision and per-database dictionary training
// (layer: db).
#include "mnemo/db/value_compression.h"

#include <pthread.h>

#include <memory>

#include "mnemo/base/clock.h"
#include "mnemo/db/db.h"
#include "mnemo/db/object.h"
#include "mnemo/db/string_type.h"
#include "mnemo/ds/sds.h"
#include "mnemo/mem/zmalloc.h"

namespace mnemo::db {

ValueCompressor::ValueCompressor(const Options* options, int num_dbs)
    : options_(options), dbs_(static_cast<size_t>(num_dbs)) {}

ValueCompressor::~ValueCompressor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Result& r : results_) {
    if (r.dict != nullptr) r.dict->Unref();
  }
  for (DbState& s : dbs_) {
    if (s.dict != nullptr) s.dict->Unref();
  }
}

uint8_t* ValueCompressor::Compress(int db, std::string_view value, size_t plain) {
  const ValueCompression codec = options_->value_compression;
  if (codec == ValueCompression::kNo) return nullptr;
  if (value.size() <= kMaxEmbstrLength ||
      value.size() < static_cast<size_t>(options_->value_compression_min_size) ||
      value.size() > ds::kMaxCompressedOriginal) {
    return nullptr;
  }
  if (codec == ValueCompression::kLzf) {
    return ds::CompressBlock(value, ds::Codec::kLzf, 0, nullptr, plain);
  }
  const int level = static_cast<int>(options_->value_compression_level);
  if (!options_->value_compression_dictionary) {
    return ds::CompressBlock(value, ds::Codec::kZstd, level, nullptr, plain);
  }
  if (results_ready_.load(std::memory_order_acquire)) Poll();
  DbState& s = dbs_[static_cast<size_t>(db)];
  Sample(s, db, value);
  uint8_t* b = s.dict != nullptr ? ds::CompressBlock(value, ds::Codec::kZstdDict, 0, s.dict, plain)
                                 : ds::CompressBlock(value, ds::Codec::kZstd, level, nullptr, plain);
  if (s.dict != nullptr) Account(s, value.size(), b != nullptr ? ds::BlockMemory(b) : plain);
  return b;
}

void ValueCompressor::Sample(DbState& s, int db, std::string_view value) {
  if (s.phase == Phase::kWaiting) {
    if (--s.wait_values == 0) s.phase = Phase::kCollecting;
    return;
  }
  if (s.phase != Phase::kCollecting) return;
  if (value.size() <= kMaxSampleValue && s.samples.size() + value.size() <= kSampleBudget) {
    s.samples.append(value);
    s.sizes.push_back(value.size());
  }
  const bool enough = (s.sizes.size() >= kTrainMinSamples && s.samples.size() >= kTrainMinBytes) ||
                      s.samples.size() + kMaxSampleValue > kSampleBudget;
  if (!enough) return;
  s.phase = Phase::kTraining;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{db, static_cast<int>(options_->value_compression_level),
                        std::move(s.samples), std::move(s.sizes)});
    if (!thread_.joinable()) thread_ = std::thread([this] { RunTrainer(); });
  }
  s.samples = std::string();
  s.sizes = std::vector<size_t>();
  cv_.notify_one();
}

void ValueCompressor::Account(DbState& s, size_t original, size_t stored) {
  s.window_original += original;
  s.window_stored += stored;
  if (++s.window_values < kRatioWindow) return;
  const double ratio =
      static_cast<double>(s.window_stored) / static_cast<double>(s.window_original);
  if (s.baseline == 0) {
    s.baseline = ratio;
  } else if (ratio > s.baseline * kDegradeFactor && s.phase == Phase::kTrained) {
    s.phase = Phase::kCollecting;  // the data changed: sample it again
  }
  s.window_values = s.window_original = s.window_stored = 0;
}

void ValueCompressor::Poll() {
  if (!options_->value_compression_dictionary ||
      options_->value_compression != ValueCompression::kZstd) {
    ResetDictionaries();
  }
  if (!results_ready_.load(std::memory_order_acquire)) return;
  std::vector<Result> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(results_);
    results_ready_.store(false, std::memory_order_release);
  }
  for (const Result& r : done) {
    DbState& s = dbs_[static_cast<size_t>(r.db)];
    if (r.dict == nullptr) {
      s.phase = Phase::kWaiting;
      s.wait_values = kRetryAfterValues;
      continue;
    }
    if (s.dict != nullptr) s.dict->Unref();  // values still using it keep it alive
    s.dict = r.dict;
    s.phase = Phase::kTrained;
    s.baseline = 0;
    s.window_values = s.window_original = s.window_stored = 0;
    s.recompress = true;
    s.recompress_cursor = 0;
    ++s.trainings;
    ++trainings_;
  }
}

bool ValueCompressor::training() const {
  for (const DbState& s : dbs_) {
    if (s.phase == Phase::kTraining) return true;
  }
  return false;
}

bool ValueCompressor::recompressing() const {
  for (const DbState& s : dbs_) {
    if (s.recompress) return true;
  }
  return false;
}

bool ValueCompressor::RecompressStep(Keyspace& ks, int64_t budget_us) {
  const int64_t deadline = MonotonicUs() + budget_us;
  bool more = false;
  for (size_t i = 0; i < dbs_.size(); ++i) {
    DbState& s = dbs_[i];
    if (!s.recompress) continue;
    if (s.dict == nullptr) {
      s.recompress = false;
      continue;
    }
    Db& db = ks.db(static_cast<int>(i));
    // Buckets are visited whole; the clock is read every 16 buckets.
    int buckets = 0;
    do {
      s.recompress_cursor = db.keys().Scan(s.recompress_cursor, [&](Object* o) {
        const uint8_t* b = StringCompressedBlock(*o);
        if (b == nullptr || ds::BlockCodec(b) == ds::Codec::kLzf || ds::BlockDict(b) == s.dict) {
          return;
        }
        StringBuffer buf;
        const std::string_view v = StringView(*o, buf);
        uint8_t* nb =
            ds::CompressBlock(v, ds::Codec::kZstdDict, 0, s.dict, ds::SdsAllocSizeFor(v.size()));
        if (nb == nullptr) return;
        if (ds::BlockMemory(nb) < ds::BlockMemory(b)) {
          o->set_ptr(nb);
          ds::FreeBlock(const_cast<uint8_t*>(b));
          ++recompressed_;
        } else {
          ds::FreeBlock(nb);
        }
      });
      if (s.recompress_cursor == 0) {
        s.recompress = false;
        break;
      }
    } while (++buckets % 16 != 0 || MonotonicUs() < deadline);
    if (s.recompress) {
      more = true;
      break;  // out of time
    }
  }
  return more;
}

void ValueCompressor::ResetDictionaries() {
  for (DbState& s : dbs_) {
    if (s.dict != nullptr) {
      s.dict->Unref();
      s.dict = nullptr;
    }
    if (s.phase != Phase::kTraining) {
      s.phase = Phase::kCollecting;
      s.samples = std::string();
      s.sizes = std::vector<size_t>();
    }
    s.baseline = 0;
    s.window_values = s.window_original = s.window_stored = 0;
  }
}

void ValueCompressor::WaitForTraining() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return jobs_.empty() && !busy_; });
  }
  Poll();
}

ValueCompressor::DbInfo ValueCompressor::Info(int db) const {
  const DbState& s = dbs_[static_cast<size_t>(db)];
  DbInfo info;
  info.dict_id = s.dict != nullptr ? s.dict->id() : 0;
  info.trainings = s.trainings;
  info.training = s.phase == Phase::kTraining;
  info.sample_values = s.sizes.size();
  return info;
}

void ValueCompressor::RunTrainer() {
  pthread_setname_np(pthread_self(), "compress_train");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    ds::CompressionDict* dict = nullptr;
    {
      auto content = std::make_unique<char[]>(kDictCapacity);
      const size_t n = ds::TrainDictionary(job.samples, job.sizes, content.get(), kDictCapacity);
      if (n > 0) {
        dict = ds::CompressionDict::Create(std::string_view(content.get(), n), job.level,
                                           next_dict_id_.fetch_add(1));
      }
    }
    const int db = job.db;
    job = Job{};  // the sample's memory is released here, on this thread
    lock.lock();
    results_.push_back(Result{db, dict});
    results_ready_.store(true, std::memory_order_release);
    busy_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace mnemo::db

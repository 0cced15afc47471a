// expire.cc: active expiry (layer: db).
#include "mnemo/db/expire.h"

#include <vector>

#include "mnemo/base/clock.h"

namespace mnemo::db {

void ExpireCycle::Run(Keyspace& ks, int hz) {
  if (!ks.options().keys_expire) return;
  const int64_t effort = ks.options().active_expire_effort - 1;  // 0..9
  const size_t keys_per_loop = static_cast<size_t>(20 + 20 / 4 * effort);
  const int64_t time_percent = 25 + 2 * effort;
  const int64_t acceptable_stale = 10 - effort;
  const int64_t budget_us = time_percent * 1000000 / (hz > 0 ? hz : 10) / 100;
  const int64_t start = MonotonicUs();
  const int num_dbs = ks.num_dbs();
  std::vector<Object*> expired;
  uint64_t total_sampled = 0;
  uint64_t total_expired = 0;
  int iteration = 0;
  bool out_of_time = false;

  for (int n = 0; n < num_dbs && !out_of_time; ++n) {
    Db& db = ks.db(next_db_);
    next_db_ = (next_db_ + 1) % num_dbs;
    if (db.expires_size() == 0) {
      db.avg_ttl_ms = 0;
      continue;
    }
    // Nothing can have expired yet (Db::expire_floor): no scan, but for one loop a second that
    // keeps INFO's avg_ttl estimate going (it ends at the floor test below).
    if (ks.now_ms() < db.expire_floor && ks.now_ms() - db.expire_sampled_ms < 1000) continue;
    db.expire_sampled_ms = ks.now_ms();
    size_t scanned = 0;  // buckets visited in this database during this run
    bool repeat = true;
    while (repeat && db.expires_size() > 0) {
      const int64_t now = ks.now_ms();
      size_t want = db.expires_size() < keys_per_loop ? db.expires_size() : keys_per_loop;
      // The scan walks the keys table (there is no table of volatile keys: db.h) and skips the
      // keys without a TTL. Each scan call visits one bucket (two while rehashing); the steps
      // are bounded by the buckets Redis would visit in its expires table (want * 20) plus, where
      // volatile keys are rare among the keys, one bucket per key per volatile key (up to 64).
      const size_t ratio = db.size() / db.expires_size();
      const size_t max_buckets = want * (20 + (ratio < 64 ? ratio : 64));
      size_t sampled = 0;
      size_t buckets = 0;
      int64_t ttl_sum = 0;
      size_t ttl_samples = 0;
      bool pass_ended = false;
      expired.clear();
      while (sampled < want && buckets < max_buckets) {
        db.expires_cursor = db.keys().Scan(db.expires_cursor, [&](Object* o) {
          if (!o->has_expire()) return;
          ++sampled;
          const int64_t when = o->expire_ms();
          const int64_t ttl = when - now;
          if (ttl < 0) {
            expired.push_back(o);
          } else {
            ttl_sum += ttl;
            ++ttl_samples;
            if (when < db.pass_floor) db.pass_floor = when;
          }
        });
        ++buckets;
        if (db.expires_cursor == 0) {
          pass_ended = true;
          break;
        }
      }
      for (Object* o : expired) db.DeleteExpired(o);
      scanned += buckets;
      total_sampled += sampled;
      total_expired += expired.size();
      if (pass_ended) {
        // Every live volatile key was met or set during the pass: the floor can rise.
        db.expire_floor = db.pass_floor;
        db.pass_floor = INT64_MAX;
      }
      if (ttl_samples > 0) {
        const int64_t avg = ttl_sum / static_cast<int64_t>(ttl_samples);
        // A running average that weighs the recent samples by 2%, as Redis does.
        db.avg_ttl_ms = db.avg_ttl_ms == 0 ? avg : (db.avg_ttl_ms / 50) * 49 + avg / 50;
      }
      if ((++iteration & 0xF) == 0 && MonotonicUs() - start > budget_us) {
        out_of_time = true;
        ++ks.stats().expired_time_cap_reached_count;
        break;
      }
      if (now < db.expire_floor) break;  // the pass showed that nothing else has expired
      // Go on while more than acceptable_stale percent of the volatile keys met had expired
      // (Redis), or while volatile keys are too rare for a loop to meet `want` of them. Past
      // kRareScanBuckets buckets in this run, only where volatile keys are common (fewer than
      // 8 keys per volatile key), where a loop costs about what Redis's costs in its expires
      // table; where they are rare, a bucket costs a miss and meets few of them, and the run
      // stops: at most kRareScanBuckets a run however many of them had expired.
      const bool stale =
          sampled > 0 && static_cast<int64_t>(expired.size() * 100 / sampled) > acceptable_stale;
      repeat = scanned < kRareScanBuckets ? stale || sampled < want : stale && ratio < 8;
    }
  }
  const int64_t elapsed = MonotonicUs() - start;
  ks.stats().expire_cycle_cpu_milliseconds += static_cast<uint64_t>(elapsed / 1000);
  // Share of stale keys among those sampled, smoothed (INFO expired_stale_perc).
  const double current = total_sampled ? static_cast<double>(total_expired) / total_sampled : 0;
  ks.stats().expired_stale_perc = current * 0.05 + ks.stats().expired_stale_perc * 0.95;
}

}  // namespace mnemo::db

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
    if (ks.now_ms() < db.expire_floor() && ks.now_ms() - db.expire_sampled_ms < 1000) continue;
    db.expire_sampled_ms = ks.now_ms();
    bool repeat = true;
    while (repeat && db.expires_size() > 0) {
      const int64_t now = ks.now_ms();
      size_t want = db.expires_size() < keys_per_loop ? db.expires_size() : keys_per_loop;
      // The scan walks the keys table's marked buckets, those that may hold a key with a TTL
      // (there is no table of volatile keys: db.h), and reads only a bit for each other bucket.
      // A loop takes at most want * 20 scan steps, as Redis visits at most want * 20 buckets of
      // its expires table; a step visits one marked bucket group or reads up to
      // KeyTable::kMaxMarkSkip bits.
      const size_t max_steps = want * 20;
      size_t sampled = 0;
      size_t steps = 0;
      int64_t ttl_sum = 0;
      size_t ttl_samples = 0;
      bool pass_ended = false;
      expired.clear();
      while (sampled < want && steps < max_steps) {
        db.expires_cursor = db.keys().ScanMarked(db.expires_cursor, [&](Object* o) {
          ++sampled;
          const int64_t when = o->expire_ms();
          const int64_t ttl = when - now;
          if (ttl < 0) {
            expired.push_back(o);
          } else {
            ttl_sum += ttl;
            ++ttl_samples;
            db.NoteExpire(when);  // lowers only the pass's floor: the floor is <= when
          }
        });
        ++steps;
        if (db.expires_cursor == 0) {
          pass_ended = true;
          break;
        }
      }
      for (Object* o : expired) db.DeleteExpired(o);
      total_sampled += sampled;
      total_expired += expired.size();
      if (pass_ended) db.EndExpirePass();  // every live volatile key was met or set
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
      if (now < db.expire_floor()) break;  // the pass showed that nothing else has expired
      // Go on while more than acceptable_stale percent of the volatile keys met had expired, or
      // while a loop met none (Redis).
      repeat =
          sampled == 0 || static_cast<int64_t>(expired.size() * 100 / sampled) > acceptable_stale;
    }
  }
  const int64_t elapsed = MonotonicUs() - start;
  ks.stats().expire_cycle_cpu_us += static_cast<uint64_t>(elapsed);
  // Share of stale keys among those sampled, smoothed (INFO expired_stale_perc).
  const double current = total_sampled ? static_cast<double>(total_expired) / total_sampled : 0;
  ks.stats().expired_stale_perc = current * 0.05 + ks.stats().expired_stale_perc * 0.95;
}

}  // namespace mnemo::db

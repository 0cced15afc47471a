// dump_test.cc: DUMP/RESTORE payloads: Redis's exact bytes, every value round-trips, a wrong
// version or checksum and bad data are told apart, and corruption at every offset (with the
// checksum fixed up so that the decoder sees it) never crashes or leaks (tests/unit/persist).
#include "mnemo/persist/dump.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "dataset.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/value.h"
#include "mnemo/mem/zmalloc.h"
#include "mnemo/persist/crc64.h"

namespace mnemo::persist {
namespace {

// Recomputes the payload's CRC-64 footer.
void FixChecksum(std::string& p) {
  const uint64_t crc = Crc64(0, p.data(), p.size() - 8);
  std::memcpy(p.data() + p.size() - 8, &crc, 8);
}

TEST(DumpTest, SameBytesAsRedis) {
  // redis-server 7.0.15: SET b hello; DUMP b.
  const std::string redis("\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a", 17);
  db::Keyspace ks(1);
  db::Object* o = db::NewStringObject(ks, 0, "b", "hello", -1);
  EXPECT_EQ(CreateDumpPayload(*o, true), redis);
  db::Object* back = nullptr;
  ASSERT_EQ(DecodeDumpPayload(redis, "c", ks, &back), RestoreOutcome::kOk);
  EXPECT_EQ(test::Describe(*back), test::Describe(*o));
  db::FreeObject(back);
  db::FreeObject(o);
}

TEST(DumpTest, EveryValueRoundTrips) {
  db::Keyspace ks(16);
  ks.set_now_ms(1'800'000'000'000);
  test::FillEveryEncoding(ks, 3, 2);
  db::Keyspace other(1);
  for (int i = 0; i < ks.num_dbs(); ++i) {
    ks.db(i).keys().ForEach([&](db::Object* o) {
      for (bool compression : {true, false}) {
        const std::string payload = CreateDumpPayload(*o, compression);
        db::Object* back = nullptr;
        ASSERT_EQ(DecodeDumpPayload(payload, o->key(), other, &back), RestoreOutcome::kOk)
            << o->key();
        // The payload carries no expiry.
        std::string want = test::Describe(*o, false);
        const std::string exp = "exp=" + std::to_string(db::Db::ExpireOf(o));
        want.replace(want.find(exp), exp.size(), "exp=-1");
        EXPECT_EQ(test::Describe(*back, false), want) << o->key();
        db::FreeObject(back);
      }
    });
  }
}

TEST(DumpTest, VersionChecksumAndFormatErrors) {
  db::Keyspace ks(1);
  db::Object* o = db::NewStringObject(ks, 0, "k", "value", -1);
  const std::string good = CreateDumpPayload(*o, true);
  db::FreeObject(o);
  db::Object* out = nullptr;
  EXPECT_EQ(DecodeDumpPayload("", "k", ks, &out), RestoreOutcome::kBadVersionOrChecksum);
  EXPECT_EQ(DecodeDumpPayload("short", "k", ks, &out), RestoreOutcome::kBadVersionOrChecksum);
  std::string bad_crc = good;
  bad_crc.back() ^= 1;
  EXPECT_EQ(DecodeDumpPayload(bad_crc, "k", ks, &out), RestoreOutcome::kBadVersionOrChecksum);
  std::string v11 = good;
  v11[v11.size() - 10] = 11;  // Redis 7.2's version
  FixChecksum(v11);
  EXPECT_EQ(DecodeDumpPayload(v11, "k", ks, &out), RestoreOutcome::kBadVersionOrChecksum);
  std::string v9 = good;  // older versions are read
  v9[v9.size() - 10] = 9;
  FixChecksum(v9);
  ASSERT_EQ(DecodeDumpPayload(v9, "k", ks, &out), RestoreOutcome::kOk);
  db::FreeObject(out);
  // Bytes between the value and the footer, an unknown type, an empty set.
  std::string trailing = good;
  trailing.insert(trailing.size() - 10, "x");
  FixChecksum(trailing);
  EXPECT_EQ(DecodeDumpPayload(trailing, "k", ks, &out), RestoreOutcome::kBadFormat);
  std::string unknown = good;
  unknown[0] = 42;
  FixChecksum(unknown);
  EXPECT_EQ(DecodeDumpPayload(unknown, "k", ks, &out), RestoreOutcome::kBadFormat);
  std::string empty_set("\x02\x00\x0a\x00", 4);
  empty_set += std::string(8, '\0');
  FixChecksum(empty_set);
  EXPECT_EQ(DecodeDumpPayload(empty_set, "k", ks, &out), RestoreOutcome::kBadFormat);
  EXPECT_EQ(out, nullptr);
}

TEST(DumpTest, CorruptionAtEveryOffsetNeverCrashesOrLeaks) {
  db::Keyspace ks(16);
  ks.options().hash_max_listpack_entries = 8;
  ks.options().zset_max_listpack_entries = 8;
  test::FillEveryEncoding(ks, 11, 1);
  db::Keyspace target(1);
  std::mt19937_64 rng(3);
  size_t payloads = 0;
  ks.db(0).keys().ForEach([&](db::Object* o) {
    const std::string good = CreateDumpPayload(*o, true);
    if (good.size() > 4096) return;  // the big ones add time, not coverage
    ++payloads;
    const size_t before = mem::UsedMemory();
    for (size_t i = 0; i < good.size() - 10; ++i) {
      for (int variant = 0; variant < 3; ++variant) {
        std::string bad = good;
        bad[i] = variant == 0   ? static_cast<char>(~bad[i])
                 : variant == 1 ? '\0'
                                : static_cast<char>(rng());
        FixChecksum(bad);
        db::Object* out = nullptr;
        const RestoreOutcome r = DecodeDumpPayload(bad, "k", target, &out);
        if (r == RestoreOutcome::kOk) {
          ASSERT_NE(out, nullptr);
          db::FreeObject(out);
        } else {
          ASSERT_EQ(out, nullptr);
        }
      }
      // Truncated values (footer fixed): never a valid payload.
      std::string cut = good.substr(0, i) + good.substr(good.size() - 10);
      FixChecksum(cut);
      db::Object* out = nullptr;
      ASSERT_NE(DecodeDumpPayload(cut, "k", target, &out), RestoreOutcome::kOk) << i;
    }
    EXPECT_LE(mem::UsedMemory(), before + 256) << o->key();
  });
  EXPECT_GT(payloads, 20u);
}

}  // namespace
}  // namespace mnemo::persist

// rdb_fuzz.cc: libFuzzer target for the RDB loader and RESTORE payloads (tests/fuzz).
//
// The first byte picks what the rest is:
//   even: a whole RDB file, loaded into a keyspace with the checksum not verified (so that the
//         bytes reach the parsers; the checksum itself is one comparison);
//   odd:  the body of a DUMP payload (a type byte and a value); the harness appends a valid
//         footer (version 10 and the CRC-64), so that the decoder, not the checksum, judges it.
// The second byte, when present, sets small *-max-listpack-* limits, so that loaded values go
// through the conversions as well as the adoptions.
// Whatever loads must serialize again and load again to the same thing; anything else (a crash,
// a leak, undefined behaviour, an over-read, an allocation the input cannot justify) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "mnemo/db/db.h"
#include "mnemo/db/value.h"
#include "mnemo/persist/crc64.h"
#include "mnemo/persist/dump.h"
#include "mnemo/persist/rdb_file.h"
#include "mnemo/persist/rdb_reader.h"
#include "mnemo/persist/rdb_writer.h"

namespace {

using namespace mnemo;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "rdb_fuzz: %s\n", what);
    std::abort();
  }
}

void SmallLimits(db::Keyspace& ks, uint8_t selector) {
  if ((selector & 1) == 0) return;
  db::Options& o = ks.options();
  o.hash_max_listpack_entries = 2 + (selector >> 5);
  o.hash_max_listpack_value = 4 + (selector >> 4);
  o.zset_max_listpack_entries = 2 + (selector >> 5);
  o.zset_max_listpack_value = 4;
  o.set_max_intset_entries = 2;
  o.set_max_listpack_entries = 2;
  o.list_max_listpack_size = (selector & 2) ? 2 : -1;
  o.list_compress_depth = (selector & 4) ? 1 : 0;
}

// DUMP of `o`, then RESTORE of that payload, must succeed and dump to the same bytes again
// (a hash table's order may differ, so only the sizes are compared for those).
void RoundTrip(const db::Object& o, const db::Keyspace& ks) {
  const std::string payload = persist::CreateDumpPayload(o, true);
  db::Object* back = nullptr;
  Check(persist::DecodeDumpPayload(payload, o.key(), ks, &back) == persist::RestoreOutcome::kOk,
        "a loaded value does not load again");
  const std::string again = persist::CreateDumpPayload(*back, true);
  Check(again.size() == payload.size(), "a value changed on its second round trip");
  db::FreeObject(back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  const uint8_t limits = data[1];
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  db::Keyspace ks(16);
  ks.set_now_ms(1'700'000'000'000);
  SmallLimits(ks, limits);
  if ((mode & 1) == 0) {
    persist::RdbInput in(body);
    persist::LoadOptions options;
    options.verify_checksum = false;
    options.now_ms = ks.now_ms();
    Result<persist::LoadStats> r = persist::LoadRdb(in, ks, options);
    if (!r.ok()) {
      Check(r.status().message().find(" at offset ") != std::string::npos,
            "an error without its offset");
    }
    for (int i = 0; i < ks.num_dbs(); ++i) {
      ks.db(i).keys().ForEach([&](db::Object* o) { RoundTrip(*o, ks); });
    }
    ks.FlushAll(false);
    return 0;
  }
  std::string payload(body);
  payload += std::string("\x0a\x00", 2);
  const uint64_t crc = persist::Crc64(0, payload.data(), payload.size());
  payload.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
  db::Object* o = nullptr;
  if (persist::DecodeDumpPayload(payload, "key", ks, &o) == persist::RestoreOutcome::kOk) {
    RoundTrip(*o, ks);
    db::FreeObject(o);
  } else {
    Check(o == nullptr, "an object left behind by a failed decode");
  }
  return 0;
}

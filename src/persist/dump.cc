// dump.cc: DUMP and RESTORE payloads (layer: persist). Format: dump.h.
#include "mnemo/persist/dump.h"

#include <cstring>

#include "mnemo/db/value.h"
#include "mnemo/persist/crc64.h"
#include "mnemo/persist/rdb_format.h"
#include "mnemo/persist/rdb_reader.h"
#include "mnemo/persist/rdb_writer.h"

namespace mnemo::persist {

namespace {

// The footer: the RDB version (2 bytes) and the CRC-64 (8 bytes).
constexpr size_t kFooterBytes = 10;

}  // namespace

std::string CreateDumpPayload(const db::Object& o, bool compression) {
  StringSink sink;
  RdbWriter w(&sink, RdbWriterOptions{compression});
  w.WriteObject(o);
  const uint16_t version = rdb::kVersion;
  w.WriteRaw(&version, sizeof(version));
  const uint64_t crc = w.crc();
  w.WriteRaw(&crc, sizeof(crc));
  (void)w.Flush();  // a string sink cannot fail
  return std::move(sink.out);
}

namespace {

// The footer of a DUMP / FUNCTION DUMP payload: an RDB version this reader knows, and the
// CRC-64 of everything before the checksum.
bool FooterValid(std::string_view payload) {
  if (payload.size() < kFooterBytes) return false;
  const auto* footer =
      reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - kFooterBytes);
  const int version = footer[0] | (footer[1] << 8);
  if (version > rdb::kVersion) return false;
  uint64_t stored;
  std::memcpy(&stored, footer + 2, sizeof(stored));
  return Crc64(0, payload.data(), payload.size() - 8) == stored;
}

}  // namespace

RestoreOutcome DecodeDumpPayload(std::string_view payload, std::string_view key,
                                 const db::Keyspace& ks, db::Object** out, int db) {
  *out = nullptr;
  if (!FooterValid(payload)) return RestoreOutcome::kBadVersionOrChecksum;
  RdbInput in(payload.substr(0, payload.size() - kFooterBytes));
  RdbReader r(in, ks);
  r.set_db_index(db);
  uint8_t type;
  if (!r.ReadByte(&type)) return RestoreOutcome::kBadFormat;
  db::Object* o = nullptr;
  if (r.ReadObject(type, key, -1, &o) != ReadStatus::kOk) return RestoreOutcome::kBadFormat;
  if (in.remaining() != 0) {
    db::FreeObject(o);
    return RestoreOutcome::kBadFormat;
  }
  *out = o;
  return RestoreOutcome::kOk;
}

std::string CreateFunctionsPayload(std::span<const std::string> codes, bool compression) {
  StringSink sink;
  RdbWriter w(&sink, RdbWriterOptions{compression});
  for (const std::string& code : codes) w.WriteFunction(code);
  const uint16_t version = rdb::kVersion;
  w.WriteRaw(&version, sizeof(version));
  const uint64_t crc = w.crc();
  w.WriteRaw(&crc, sizeof(crc));
  (void)w.Flush();
  return std::move(sink.out);
}

RestoreOutcome DecodeFunctionsPayload(std::string_view payload, const db::Keyspace& ks,
                                      std::vector<std::string>* codes, std::string* error) {
  codes->clear();
  if (!FooterValid(payload)) return RestoreOutcome::kBadVersionOrChecksum;
  RdbInput in(payload.substr(0, payload.size() - kFooterBytes));
  RdbReader r(in, ks);
  while (in.remaining() > 0) {
    uint8_t type;
    if (!r.ReadByte(&type)) {
      *error = "can not read data type";
      return RestoreOutcome::kBadFormat;
    }
    if (type != rdb::kOpFunction2) {
      *error = "given type is not a function";
      return RestoreOutcome::kBadFormat;
    }
    std::string code;
    if (!r.ReadString(&code)) {
      *error = "failed loading the given functions payload";
      return RestoreOutcome::kBadFormat;
    }
    codes->push_back(std::move(code));
  }
  return RestoreOutcome::kOk;
}

}  // namespace mnemo::persist

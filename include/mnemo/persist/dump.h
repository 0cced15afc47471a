// dump.h: the DUMP / RESTORE payload, Redis's format (layer: persist).
//
//   <type byte> <value, as in an RDB file> <RDB version: uint16 LE> <CRC-64 of all before: LE>
// Interchangeable with Redis 7.0: a payload from either loads in the other (Redis 7.2 writes
// version 11 for sets it encodes as listpacks; 7.0 and Mnemo refuse those by version).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mnemo/db/db.h"

namespace mnemo::persist {

// The payload of `o`'s value (not its key or expiry). rdbcompression applies, as in Redis.
std::string CreateDumpPayload(const db::Object& o, bool compression);

enum class RestoreOutcome : uint8_t {
  kOk,
  kBadVersionOrChecksum,  // "DUMP payload version or checksum are wrong"
  kBadFormat,             // "Bad data format"
};

// Decodes `payload` into a new object for `key` (no expiry, not in any Db) in *out. The footer
// is checked first (version <= 10, CRC-64), then the value with the loader's full validation;
// bytes left over between the value and the footer are a bad format too. `db` is the database
// the object is for (its compression dictionary is used).
RestoreOutcome DecodeDumpPayload(std::string_view payload, std::string_view key,
                                 const db::Keyspace& ks, db::Object** out, int db = 0);

// FUNCTION DUMP: one RDB_OPCODE_FUNCTION2 record (opcode 245, the library's code as an RDB
// string) per library, then the RDB version and CRC-64, as Redis 7.0's functionDumpCommand.
std::string CreateFunctionsPayload(std::span<const std::string> codes, bool compression);

// FUNCTION RESTORE: the libraries' code. kBadVersionOrChecksum, or kBadFormat with *error set
// to Redis's text ("given type is not a function", ...).
RestoreOutcome DecodeFunctionsPayload(std::string_view payload, const db::Keyspace& ks,
                                      std::vector<std::string>* codes, std::string* error);

}  // namespace mnemo::persist

// rdb_format.h: the constants of Redis's RDB format, version 10 (Redis 7.0) (layer: persist).
//
// A file is: "REDIS" + the version as 4 digits, then opcodes and key/value records, then the EOF
// opcode and 8 bytes of CRC-64 (little-endian; 0 when the writer had rdbchecksum off). The
// record of one key is [EXPIRETIME_MS <int64 LE>] [IDLE <len> | FREQ <byte>] <type> <key>
// <value>. docs/persistence.md describes every encoding and what Mnemo writes.
//
// Lengths ("len"): the top two bits of the first byte say how long it is:
//   00xxxxxx                 6-bit length
//   01xxxxxx yyyyyyyy        14-bit length, big-endian
//   10000000 <4 bytes>       32-bit length, big-endian
//   10000001 <8 bytes>       64-bit length, big-endian
//   11xxxxxx                 not a length: a specially encoded string follows (kEnc*)
// Strings: <len> <bytes>, or 11000000 <int8> / 11000001 <int16 LE> / 11000010 <int32 LE> (the
// string is that integer printed in base 10), or 11000011 <compressed len> <original len>
// <LZF bytes>.
#pragma once

#include <cstdint>
#include <string_view>

namespace mnemo::persist::rdb {

// The "redis-ver" AUX field Mnemo writes: the Redis release whose format (RDB 10) it writes.
inline constexpr std::string_view kFormatRedisVersion = "7.0.15";

// The version Mnemo writes (Redis 7.0) and the newest it reads; files from 1 on are read.
inline constexpr int kVersion = 10;
inline constexpr std::string_view kMagic = "REDIS";
// "REDIS0010": magic and four digits.
inline constexpr size_t kHeaderSize = 9;
inline constexpr size_t kChecksumSize = 8;

// Object types (the byte before a key).
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,  // linked list of strings (before 3.2); read only
  kTypeSet = 2,
  kTypeZset = 3,  // scores as strings (before 3.0); read only
  kTypeHash = 4,
  kTypeZset2 = 5,  // scores as binary doubles
  kTypeModulePreGa = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,    // read only
  kTypeListZiplist = 10,  // read only
  kTypeSetIntset = 11,
  kTypeZsetZiplist = 12,    // read only
  kTypeHashZiplist = 13,    // read only
  kTypeListQuicklist = 14,  // nodes are ziplists; read only
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZsetListpack = 17,
  kTypeListQuicklist2 = 18,  // nodes are listpacks or plain strings
  kTypeStreamListpacks2 = 19,
};

// Opcodes (in place of a type byte).
enum Opcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,          // LRU idle time in seconds (a len) for the next key
  kOpFreq = 249,          // LFU counter (one byte) for the next key
  kOpAux = 250,           // two strings: name, value
  kOpResizeDb = 251,      // two lens: keys, keys with an expiry
  kOpExpireTimeMs = 252,  // int64 LE, Unix milliseconds, for the next key
  kOpExpireTime = 253,    // int32 LE, Unix seconds, for the next key (old files)
  kOpSelectDb = 254,      // a len: the database of the keys that follow
  kOpEof = 255,
};

// The first byte of a length.
inline constexpr uint8_t kLen6Bit = 0;
inline constexpr uint8_t kLen14Bit = 1;
inline constexpr uint8_t kLenEncoded = 3;  // top bits 11: a special string encoding
inline constexpr uint8_t kLen32Bit = 0x80;
inline constexpr uint8_t kLen64Bit = 0x81;

// Special string encodings (the low 6 bits after 11).
inline constexpr uint8_t kEncInt8 = 0;
inline constexpr uint8_t kEncInt16 = 1;
inline constexpr uint8_t kEncInt32 = 2;
inline constexpr uint8_t kEncLzf = 3;

// Quicklist 2 node containers.
inline constexpr uint64_t kContainerPlain = 1;
inline constexpr uint64_t kContainerPacked = 2;

// Old-style (ZSET type 3) double encodings: a length byte, or one of these.
inline constexpr uint8_t kDoubleNan = 253;
inline constexpr uint8_t kDoublePosInf = 254;
inline constexpr uint8_t kDoubleNegInf = 255;

// Strings this short are never worth LZF (Redis: "under 20 bytes it's unable to compress even
// aaaaaaaaaaaaaaaaaa").
inline constexpr size_t kMinCompressLength = 21;

}  // namespace mnemo::persist::rdb

// dataset.h: a keyspace holding every type in every encoding, and a way to compare keyspaces
// value by value, for the persist unit tests (tests/unit/persist).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "mnemo/db/db.h"

namespace mnemo::persist::test {

// A description of one key that is equal for equal data: type, encoding, expiry and the value
// (list in order, set sorted, zset in order with scores printed exactly, hash sorted).
// Without `with_encoding`, only type, expiry and value.
std::string Describe(const db::Object& o, bool with_encoding = true);
// Describe of every key of every database, by "db:key".
std::map<std::string, std::string> DescribeAll(db::Keyspace& ks, bool with_encoding = true);

// Fills `ks` with every encoding: strings (int, shared int, embstr, raw, compressible and not),
// lists (listpack, quicklist, compressed quicklist, plain nodes), sets (intset of every width,
// listpack, hashtable), zsets (listpack, skiplist, special scores), hashes (listpack, hashtable),
// keys with expiries, in databases 0 and 3. `seed` varies contents; `scale` multiplies sizes
// (1 gives a small file, for corruption tests).
void FillEveryEncoding(db::Keyspace& ks, uint64_t seed, int scale);

}  // namespace mnemo::persist::test

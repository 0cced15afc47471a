// dataset.cc: the every-encoding dataset of the persist unit tests (tests/unit/persist).
#include "dataset.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "mnemo/base/numbers.h"
#include "mnemo/db/hash_type.h"
#include "mnemo/db/list_type.h"
#include "mnemo/db/set_type.h"
#include "mnemo/db/stream_type.h"
#include "mnemo/db/string_type.h"
#include "mnemo/db/zset_type.h"
#include "mnemo/ds/quicklist.h"

namespace mnemo::persist::test {

std::string Describe(const db::Object& co, bool with_encoding) {
  auto* o = const_cast<db::Object*>(&co);
  std::string out = fmt::format("{}/{}/exp={}:", db::TypeName(o->type()),
                                with_encoding ? db::EncodingName(*o) : "", db::Db::ExpireOf(o));
  switch (o->type()) {
    case db::ObjType::kString: {
      db::StringBuffer buf;
      out += db::StringView(*o, buf);
      break;
    }
    case db::ObjType::kList: {
      db::ListIterator it(*o, 0, db::ListDirection::kHeadToTail);
      while (it.Next()) out += fmt::format("[{}]", it.Value());
      break;
    }
    case db::ObjType::kSet: {
      std::vector<std::string> members;
      db::SetForEach(o, [&](const db::SetMember& m) {
        db::IntBuffer buf;
        members.emplace_back(m.Bytes(buf));
        return true;
      });
      std::sort(members.begin(), members.end());
      for (const std::string& m : members) out += fmt::format("[{}]", m);
      break;
    }
    case db::ObjType::kZset: {
      const size_t n = db::ZsetLength(*o);
      db::ZsetRangeByRank(o, 0, n - 1, false, [&](std::string_view m, double s) {
        out += fmt::format("[{}={:a}]", m, s);
      });
      break;
    }
    case db::ObjType::kStream: {
      const db::Stream& st = db::StreamSnapshot(*o);
      out += fmt::format("len={} last={}-{} groups={}", st.length(), st.last_id().ms,
                         st.last_id().seq, st.groups().size());
      break;
    }
    case db::ObjType::kHash: {
      std::vector<std::string> pairs;
      db::HashForEach(*o, [&](std::string_view f, std::string_view v) {
        pairs.push_back(fmt::format("[{}={}]", f, v));
      });
      std::sort(pairs.begin(), pairs.end());
      for (const std::string& p : pairs) out += p;
      break;
    }
  }
  return out;
}

std::map<std::string, std::string> DescribeAll(db::Keyspace& ks, bool with_encoding) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < ks.num_dbs(); ++i) {
    ks.db(i).keys().ForEach([&](db::Object* o) {
      out[fmt::format("{}:{}", i, o->key())] = Describe(*o, with_encoding);
    });
  }
  return out;
}

namespace {

struct Filler {
  db::Keyspace& ks;
  std::mt19937_64 rng;
  int scale;

  std::string Word(size_t min_len, size_t max_len) {
    std::uniform_int_distribution<size_t> len(min_len, max_len);
    std::string s(len(rng), ' ');
    for (char& c : s) c = static_cast<char>('a' + rng() % 26);
    return s;
  }
  std::string Binary(size_t len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  }
  void Add(int dbi, db::Object* o, int64_t expire_ms = -1) {
    db::Db& d = ks.db(dbi);
    d.Add(o);
    if (expire_ms >= 0) d.SetExpire(o, expire_ms);
  }
  db::Object* List(std::string_view key, size_t n, size_t min_len, size_t max_len) {
    db::Object* o = db::NewListObject(ks, key);
    for (size_t i = 0; i < n; ++i) {
      const std::string v =
          i % 7 == 3 ? Int64ToString(static_cast<int64_t>(rng() % 100000)) : Word(min_len, max_len);
      db::ListPush(o, ks.options(), v, db::ListEnd::kTail);
    }
    return o;
  }
  db::Object* Set(std::string_view key, const std::vector<std::string>& members) {
    db::Object* o = db::NewSetObject(ks, key, members.front(), members.size());
    for (const std::string& m : members) db::SetAdd(ks, o, m);
    return o;
  }
  db::Object* Zset(std::string_view key, size_t n, size_t min_len, size_t max_len) {
    db::Object* o = db::NewZsetObject(ks, key, n, max_len);
    for (size_t i = 0; i < n; ++i) {
      double score;
      switch (i % 6) {
        case 0:
          score = static_cast<double>(rng() % 1000);
          break;
        case 1:
          score = static_cast<double>(rng() % 100000) / 7.0;
          break;
        case 2:
          score = -static_cast<double>(rng() % 1000) * 1e10;
          break;
        case 3:
          score = static_cast<double>(i) * 1e300;
          break;
        default:
          score = static_cast<double>(rng() % 10);
          break;
      }
      (void)db::ZsetAdd(ks, o, fmt::format("{}{}", Word(min_len, max_len), i), score, 0);
    }
    return o;
  }
  db::Object* Hash(std::string_view key, size_t n, size_t min_len, size_t max_len) {
    db::Object* o = db::NewHashObject(ks, key);
    for (size_t i = 0; i < n; ++i) {
      const std::string v = i % 3 == 0 ? Int64ToString(static_cast<int64_t>(rng() % 1000000))
                                       : Word(min_len, max_len);
      db::HashSet(ks, o, fmt::format("f{}", i), v);
    }
    return o;
  }
};

}  // namespace

void FillEveryEncoding(db::Keyspace& ks, uint64_t seed, int scale) {
  Filler f{ks, std::mt19937_64(seed), scale};
  const int64_t future = ks.now_ms() + 3'600'000;
  const size_t s = static_cast<size_t>(scale);
  // ---- strings ----
  f.Add(0, db::NewStringObject(ks, 0, "str:int-shared", "42", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:int-neg", "-123456789", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:int64", "9223372036854775807", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:int-min", "-9223372036854775808", future));
  f.Add(0, db::NewStringObject(ks, 0, "str:not-canonical", "0123", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:empty", "", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:embstr", f.Word(5, 40), future + 1));
  f.Add(0, db::NewStringObject(ks, 0, "str:compressible", std::string(200 * s, 'z') + "tail", -1));
  f.Add(0, db::NewStringObject(ks, 0, "str:binary", f.Binary(300), -1));
  f.Add(0, db::NewStringObject(ks, 0, "", "the empty key", -1));
  {
    db::Object* raw = db::NewStringObject(ks, 0, "str:raw-int-text", "12", -1);
    f.Add(0, raw);
    (void)db::StringAppend(ks.db(0), raw, "34");  // raw encoding holding "1234"
  }
  // ---- lists ----
  f.Add(0, f.List("list:listpack", 10, 1, 10));
  f.Add(0, f.List("list:quicklist", 300 * s, 5, 40), future);
  db::Options saved = ks.options();
  ks.options().list_compress_depth = 1;
  ks.options().list_max_listpack_size = 8;
  f.Add(0, f.List("list:compressed", 100 * s, 20, 30));
  ks.options() = saved;
  {
    ds::Quicklist::SetPackedThreshold(64);
    db::Object* o = db::NewListObject(ks, "list:plain");
    for (int i = 0; i < 6; ++i) {
      db::ListPush(o, ks.options(),
                   i % 2 == 0 ? std::string(100, 'p') + std::to_string(i) : std::string("small"),
                   db::ListEnd::kTail);
    }
    ds::Quicklist::SetPackedThreshold(0);
    f.Add(0, o);
  }
  // ---- sets ----
  f.Add(0, f.Set("set:intset16", {"1", "2", "-3", "300"}));
  f.Add(0, f.Set("set:intset32", {"70000", "-70000", "5"}));
  f.Add(0, f.Set("set:intset64", {"9223372036854775807", "-9223372036854775808", "0"}));
  f.Add(0, f.Set("set:listpack", {"a", "bb", "17", "cc", "-4"}), future);
  {
    std::vector<std::string> m;
    for (size_t i = 0; i < 200 * s; ++i) m.push_back(f.Word(1, 20) + std::to_string(i));
    f.Add(0, f.Set("set:hashtable", m));
    std::vector<std::string> ints;
    for (size_t i = 0; i < 600; ++i) ints.push_back(std::to_string(i * 3));
    f.Add(0, f.Set("set:big-ints", ints));
  }
  // ---- zsets ----
  f.Add(0, f.Zset("zset:listpack", 10, 1, 10));
  f.Add(0, f.Zset("zset:skiplist", 200 * s, 1, 30), future);
  {
    db::Object* o = db::NewZsetObject(ks, "zset:special", 4, 4);
    (void)db::ZsetAdd(ks, o, "pinf", HUGE_VAL, 0);
    (void)db::ZsetAdd(ks, o, "ninf", -HUGE_VAL, 0);
    (void)db::ZsetAdd(ks, o, "frac", 0.1, 0);
    (void)db::ZsetAdd(ks, o, "zero", -0.0, 0);
    f.Add(0, o);
  }
  f.Add(0, f.Zset("zset:long-member", 3, 100, 120));
  // ---- hashes ----
  f.Add(0, f.Hash("hash:listpack", 10, 1, 20), future);
  f.Add(0, f.Hash("hash:hashtable", 600 * s, 1, 20));
  f.Add(0, f.Hash("hash:long-value", 3, 80, 100));
  // ---- another database ----
  f.Add(3, db::NewStringObject(ks, 3, "db3:a", "in database three", -1));
  f.Add(3, f.Zset("db3:z", 5, 1, 5));
}

}  // namespace mnemo::persist::test

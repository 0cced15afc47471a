// geo_cmds.cc: the geospatial commands, on sorted sets whose scores are 52-bit geohashes
// (layer: cmd). Semantics, replies and error texts follow Redis 7.0's geo.c.
//
// The geometry is db/geohash; the points live in an ordinary zset reached through the zset type
// API, so every zset command works on a geo set and the other way round.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "mnemo/base/numbers.h"
#include "mnemo/base/strings.h"
#include "mnemo/cmd/args.h"
#include "mnemo/cmd/command.h"
#include "mnemo/cmd/command_keys.h"
#include "mnemo/db/geohash.h"
#include "mnemo/db/zset_type.h"

namespace mnemo::cmd {

namespace {

using db::Object;
using db::ObjType;

// ---- arguments --------------------------------------------------------------------------------

// A unit's size in meters (m, km, ft, mi; any case), else replies the unit error.
std::optional<double> UnitArg(Context& ctx, std::string_view arg) {
  if (EqualsIgnoreCase(arg, "m")) return 1;
  if (EqualsIgnoreCase(arg, "km")) return 1000;
  if (EqualsIgnoreCase(arg, "ft")) return 0.3048;
  if (EqualsIgnoreCase(arg, "mi")) return 1609.34;
  ctx.reply.Error(protocol::kErrGeoUnit);
  return std::nullopt;
}

// Longitude and latitude from argv[i] and argv[i + 1], within the indexable limits.
std::optional<db::GeoPoint> LonLatArg(Context& ctx, size_t i) {
  auto lon = DoubleArg(ctx, ctx.arg(i));
  if (!lon) return std::nullopt;
  auto lat = DoubleArg(ctx, ctx.arg(i + 1));
  if (!lat) return std::nullopt;
  if (*lon < db::kGeoLongMin || *lon > db::kGeoLongMax || *lat < db::kGeoLatMin ||
      *lat > db::kGeoLatMax) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.reply.Error(buf);
    return std::nullopt;
  }
  return db::GeoPoint{*lon, *lat};
}

// A non-negative number with its own error text when it is not one.
std::optional<double> NonNegativeArg(Context& ctx, std::string_view arg,
                                     std::string_view not_numeric) {
  auto v = ParseDouble(arg);
  if (!v) {
    ctx.reply.Error(not_numeric);
    return std::nullopt;
  }
  return v;
}

// "radius unit" at argv[i]: fills the shape's radius and conversion.
bool RadiusArgs(Context& ctx, size_t i, db::GeoShape* shape) {
  auto r = NonNegativeArg(ctx, ctx.arg(i), protocol::kErrGeoRadiusNotNumeric);
  if (!r) return false;
  if (*r < 0) {
    ctx.reply.Error(protocol::kErrGeoRadiusNegative);
    return false;
  }
  auto unit = UnitArg(ctx, ctx.arg(i + 1));
  if (!unit) return false;
  shape->type = db::GeoShape::Type::kCircle;
  shape->radius = *r;
  shape->conversion = *unit;
  return true;
}

// "width height unit" at argv[i].
bool BoxArgs(Context& ctx, size_t i, db::GeoShape* shape) {
  auto w = NonNegativeArg(ctx, ctx.arg(i), protocol::kErrGeoWidthNotNumeric);
  if (!w) return false;
  auto h = NonNegativeArg(ctx, ctx.arg(i + 1), protocol::kErrGeoHeightNotNumeric);
  if (!h) return false;
  if (*h < 0 || *w < 0) {
    ctx.reply.Error(protocol::kErrGeoBoxNegative);
    return false;
  }
  auto unit = UnitArg(ctx, ctx.arg(i + 2));
  if (!unit) return false;
  shape->type = db::GeoShape::Type::kBox;
  shape->width = *w;
  shape->height = *h;
  shape->conversion = *unit;
  return true;
}

// The position of `member` in the geo set, if it is there.
std::optional<db::GeoPoint> MemberPosition(Object* zset, std::string_view member) {
  const std::optional<double> score = db::ZsetScore(zset, member);
  if (!score) return std::nullopt;
  return db::GeohashDecodeScore(*score);
}

// A distance as Redis prints it: four decimals, as a bulk string in every protocol.
void ReplyDistance(Context& ctx, double d) {
  char buf[128];
  const int n = std::snprintf(buf, sizeof(buf), "%.4f", d);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(n)));
}

// ---- GEOADD, GEOPOS, GEOHASH, GEODIST ---------------------------------------------------------

// GEOADD key [NX|XX] [CH] longitude latitude member [...]: a ZADD of the members with their
// geohashes as scores, propagated as that ZADD.
void GeoaddCommand(Context& ctx) {
  bool nx = false;
  bool xx = false;
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.argc(); ++idx) {
    const std::string_view opt = ctx.arg(idx);
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const size_t elements = (ctx.argc() - idx) / 3;
  if ((ctx.argc() - idx) % 3 != 0 || (nx && xx) || elements == 0) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    auto p = LonLatArg(ctx, idx + 3 * j);
    if (!p) return;
    scores[j] = static_cast<double>(db::GeohashScore(p->longitude, p->latitude));
  }

  db::Db& d = ctx.db();
  const std::string_view key = ctx.arg(1);
  Object* o = d.LookupWrite(key);
  if (WrongType(ctx, o, ObjType::kZset)) return;
  if (o == nullptr) {
    if (xx) {
      ctx.reply.Integer(0);
      return;
    }
    o = db::NewZsetObject(ctx.keyspace, key, elements, ctx.arg(idx + 2).size());
    d.Add(o);
  } else {
    db::ZsetMaybeConvert(ctx.keyspace, o, elements);
  }
  const unsigned flags = (nx ? unsigned{db::kZaddNx} : 0u) | (xx ? unsigned{db::kZaddXx} : 0u);
  int64_t added = 0;
  int64_t updated = 0;
  for (size_t j = 0; j < elements; ++j) {
    const db::ZaddResult r =
        db::ZsetAdd(ctx.keyspace, o, ctx.arg(idx + 3 * j + 2), scores[j], flags);
    if (r.outcome == db::ZaddResult::Outcome::kAdded) ++added;
    if (r.outcome == db::ZaddResult::Outcome::kUpdated) ++updated;
  }
  if (added + updated > 0) {
    ctx.Changed(key, db::kNotifyZset, "zadd", static_cast<uint64_t>(added + updated));
    if (ctx.propagating()) {
      std::vector<std::string> argv = {"zadd", std::string(key)};
      for (size_t i = 2; i < idx; ++i) argv.emplace_back(ctx.arg(i));
      for (size_t j = 0; j < elements; ++j) {
        argv.push_back(Int64ToString(static_cast<int64_t>(scores[j])));
        argv.emplace_back(ctx.arg(idx + 3 * j + 2));
      }
      ctx.PropagateAs(std::move(argv));
    }
  }
  // NX or XX on a new key may have added nothing; a zset that is left goes into its slot.
  d.DeleteIfEmptyOrRepack(o);
  ctx.reply.Integer(ch ? added + updated : added);
}

// GEOPOS key [member ...]
void GeoposCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const std::optional<db::GeoPoint> p =
        o != nullptr ? MemberPosition(o, ctx.arg(j)) : std::nullopt;
    if (!p) {
      ctx.reply.NullArray();
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.HumanLongDouble(p->longitude);
    ctx.reply.HumanLongDouble(p->latitude);
  }
}

// GEOHASH key [member ...]
void GeohashCommand(Context& ctx) {
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (WrongType(ctx, o, ObjType::kZset)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const std::optional<double> score = o != nullptr ? db::ZsetScore(o, ctx.arg(j)) : std::nullopt;
    const std::optional<std::string> hash = score ? db::GeohashString(*score) : std::nullopt;
    if (hash) {
      ctx.reply.Bulk(*hash);
    } else {
      ctx.reply.Null();
    }
  }
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void GeodistCommand(Context& ctx) {
  double to_meters = 1;
  if (ctx.argc() == 5) {
    auto unit = UnitArg(ctx, ctx.arg(4));
    if (!unit) return;
    to_meters = *unit;
  } else if (ctx.argc() > 5) {
    ctx.reply.Error(protocol::kErrSyntax);
    return;
  }
  Object* o = ctx.db().LookupRead(ctx.arg(1));
  if (o == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (WrongType(ctx, o, ObjType::kZset)) return;
  const std::optional<double> s1 = db::ZsetScore(o, ctx.arg(2));
  const std::optional<double> s2 = db::ZsetScore(o, ctx.arg(3));
  if (!s1 || !s2) {
    ctx.reply.Null();
    return;
  }
  const auto p1 = db::GeohashDecodeScore(*s1);
  const auto p2 = db::GeohashDecodeScore(*s2);
  if (!p1 || !p2) {
    ctx.reply.Null();
    return;
  }
  ReplyDistance(ctx, db::GeohashDistance(p1->longitude, p1->latitude, p2->longitude, p2->latitude) /
                         to_meters);
}

// ---- GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH and their variants --------------------------------

enum SearchFlag : unsigned {
  kFromCoords = 1u << 0,   // GEORADIUS: longitude latitude radius unit
  kFromMember = 1u << 1,   // GEORADIUSBYMEMBER: member radius unit
  kNoStore = 1u << 2,      // the _RO forms: no STORE/STOREDIST
  kSearch = 1u << 3,       // GEOSEARCH syntax
  kSearchStore = 1u << 4,  // GEOSEARCHSTORE: destination first, STOREDIST as a flag
};

enum class SortOrder : uint8_t { kNone, kAsc, kDesc };

struct Found {
  std::string member;
  double score;
  db::GeoPoint point;
  double distance;  // meters, then in the request's unit
};

// Collects the points of `zset` inside `shape` from the cells Redis scans, in Redis's order:
// the centre cell, then north, south, east, west, north-east, north-west, south-east,
// south-west, each by ascending score; a cell equal to the one scanned just before is skipped
// (huge radii make neighbours coincide). With limit > 0 (COUNT ANY) it stops after that many.
std::vector<Found> PointsInShape(Object* zset, const db::GeoShape& shape, size_t limit) {
  const db::GeoSearchAreas areas = db::GeohashAreasForShape(shape);
  const db::GeoNeighbors& n = areas.neighbors;
  const db::GeoHashBits cells[9] = {areas.hash,   n.north,      n.south,      n.east,      n.west,
                                    n.north_east, n.north_west, n.south_east, n.south_west};
  std::vector<Found> found;
  size_t last = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (cells[i].IsZero()) continue;
    if (last != 0 && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step) {
      continue;
    }
    if (limit != 0 && found.size() >= limit) break;
    db::GeoHashBits next = cells[i];
    next.bits++;
    const ds::ScoreRange range{static_cast<double>(db::GeohashAlign52(cells[i])),
                               static_cast<double>(db::GeohashAlign52(next)), false, true};
    db::ZsetRangeByScore(zset, range, 0, -1, false, [&](std::string_view member, double score) {
      if (limit != 0 && found.size() >= limit) return;
      if (auto m = db::GeohashMatch(shape, score)) {
        found.push_back(Found{std::string(member), score, m->point, m->distance});
      }
    });
    last = i;
  }
  return found;
}

void StoreResults(Context& ctx, std::string_view dest, std::vector<Found>& found, size_t n,
                  bool storedist, bool geosearch) {
  db::Db& d = ctx.db();
  if (n == 0) {
    if (d.Delete(dest, ctx.keyspace.options().lazyfree_lazy_server_del)) {
      ctx.Changed(dest, db::kNotifyGeneric, "del");
    }
    ctx.reply.Integer(0);
    return;
  }
  size_t max_len = 0;
  for (size_t i = 0; i < n; ++i) max_len = std::max(max_len, found[i].member.size());
  Object* z = db::NewZsetObject(ctx.keyspace, dest, n, max_len);
  for (size_t i = 0; i < n; ++i) {
    (void)db::ZsetAdd(ctx.keyspace, z, found[i].member,
                      storedist ? found[i].distance : found[i].score, db::kZaddNone);
  }
  if (Object* old = d.LookupWrite(dest); old != nullptr) {
    d.Overwrite(old, z);
  } else {
    d.Add(z);
  }
  d.Repack(z);
  ctx.Changed(dest, db::kNotifyZset, geosearch ? "geosearchstore" : "georadiusstore", n);
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void GeoSearchGeneric(Context& ctx, size_t src_index, unsigned flags) {
  Object* zobj = ctx.db().LookupRead(ctx.arg(src_index));
  if (WrongType(ctx, zobj, ObjType::kZset)) return;

  db::GeoShape shape;
  size_t base_args = 0;
  std::optional<std::string_view> store_key;
  bool storedist = false;
  if (flags & kFromCoords) {
    base_args = 6;
    auto p = LonLatArg(ctx, 2);
    if (!p) return;
    shape.longitude = p->longitude;
    shape.latitude = p->latitude;
    if (!RadiusArgs(ctx, 4, &shape)) return;
  } else if ((flags & kFromMember) && zobj == nullptr) {
    base_args = 5;  // no set: parse the options only, to know which empty reply to give
  } else if (flags & kFromMember) {
    base_args = 5;
    auto p = MemberPosition(zobj, ctx.arg(2));
    if (!p) {
      ctx.reply.Error(protocol::kErrGeoMember);
      return;
    }
    shape.longitude = p->longitude;
    shape.latitude = p->latitude;
    if (!RadiusArgs(ctx, 3, &shape)) return;
  } else {
    base_args = 2;
    if (flags & kSearchStore) {
      base_args = 3;
      store_key = ctx.arg(1);
    }
  }

  bool withdist = false;
  bool withhash = false;
  bool withcoord = false;
  bool frommember = false;
  bool fromloc = false;
  bool byradius = false;
  bool bybox = false;
  bool any = false;
  SortOrder sort = SortOrder::kNone;
  int64_t count = 0;
  const size_t remaining = ctx.argc() > base_args ? ctx.argc() - base_args : 0;
  const bool search = (flags & kSearch) != 0;
  const bool can_store = !(flags & kNoStore) && !search;
  for (size_t i = 0; i < remaining; ++i) {
    const std::string_view arg = ctx.arg(base_args + i);
    const size_t at = base_args + i;
    if (EqualsIgnoreCase(arg, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      withcoord = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      sort = SortOrder::kAsc;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      sort = SortOrder::kDesc;
    } else if (EqualsIgnoreCase(arg, "count") && i + 1 < remaining) {
      auto c = IntArg(ctx, ctx.arg(at + 1));
      if (!c) return;
      if (*c <= 0) {
        ctx.reply.Error(protocol::kErrGeoCountPositive);
        return;
      }
      count = *c;
      ++i;
    } else if (EqualsIgnoreCase(arg, "store") && i + 1 < remaining && can_store) {
      store_key = ctx.arg(at + 1);
      storedist = false;
      ++i;
    } else if (EqualsIgnoreCase(arg, "storedist") && i + 1 < remaining && can_store) {
      store_key = ctx.arg(at + 1);
      storedist = true;
      ++i;
    } else if (EqualsIgnoreCase(arg, "storedist") && search && (flags & kSearchStore)) {
      storedist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && i + 1 < remaining && search && !fromloc) {
      if (zobj != nullptr) {
        auto p = MemberPosition(zobj, ctx.arg(at + 1));
        if (!p) {
          ctx.reply.Error(protocol::kErrGeoMember);
          return;
        }
        shape.longitude = p->longitude;
        shape.latitude = p->latitude;
      }
      frommember = true;
      ++i;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && i + 2 < remaining && search && !frommember) {
      auto p = LonLatArg(ctx, at + 1);
      if (!p) return;
      shape.longitude = p->longitude;
      shape.latitude = p->latitude;
      fromloc = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && i + 2 < remaining && search && !bybox) {
      if (!RadiusArgs(ctx, at + 1, &shape)) return;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && i + 3 < remaining && search && !byradius) {
      if (!BoxArgs(ctx, at + 1, &shape)) return;
      bybox = true;
      i += 3;
    } else {
      ctx.reply.Error(protocol::kErrSyntax);
      return;
    }
  }

  if (store_key && (withdist || withhash || withcoord)) {
    ctx.reply.Error(std::string("ERR ") +
                    ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                    " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return;
  }
  if (search && !(frommember || fromloc)) {
    ctx.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                    std::string(ctx.arg(0)));
    return;
  }
  if (search && !(byradius || bybox)) {
    ctx.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                    std::string(ctx.arg(0)));
    return;
  }
  if (any && count == 0) {
    ctx.reply.Error(protocol::kErrGeoAnyNeedsCount);
    return;
  }

  if (zobj == nullptr) {
    if (store_key) {
      std::vector<Found> none;
      StoreResults(ctx, *store_key, none, 0, storedist, search);
    } else {
      ctx.reply.EmptyArray();
    }
    return;
  }

  // COUNT without an order means the nearest ones (not with ANY: the first ones found).
  if (count != 0 && sort == SortOrder::kNone && !any) sort = SortOrder::kAsc;

  std::vector<Found> found = PointsInShape(zobj, shape, any ? static_cast<size_t>(count) : 0);
  if (found.empty() && !store_key) {
    ctx.reply.EmptyArray();
    return;
  }
  const size_t returned = count == 0 || found.size() < static_cast<size_t>(count)
                              ? found.size()
                              : static_cast<size_t>(count);
  // Stable, as glibc's qsort (a merge sort) that Redis uses: equal distances keep scan order.
  if (sort == SortOrder::kAsc) {
    std::stable_sort(found.begin(), found.end(),
                     [](const Found& a, const Found& b) { return a.distance < b.distance; });
  } else if (sort == SortOrder::kDesc) {
    std::stable_sort(found.begin(), found.end(),
                     [](const Found& a, const Found& b) { return a.distance > b.distance; });
  }
  for (size_t i = 0; i < returned; ++i) found[i].distance /= shape.conversion;

  if (store_key) {
    StoreResults(ctx, *store_key, found, returned, storedist, search);
    return;
  }
  const size_t options = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoord ? 1 : 0);
  ctx.reply.ArrayHeader(returned);
  for (size_t i = 0; i < returned; ++i) {
    const Found& f = found[i];
    if (options > 0) ctx.reply.ArrayHeader(options + 1);
    ctx.reply.Bulk(f.member);
    if (withdist) ReplyDistance(ctx, f.distance);
    if (withhash) ctx.reply.Integer(static_cast<int64_t>(f.score));
    if (withcoord) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.HumanLongDouble(f.point.longitude);
      ctx.reply.HumanLongDouble(f.point.latitude);
    }
  }
}

void GeoradiusCommand(Context& ctx) { GeoSearchGeneric(ctx, 1, kFromCoords); }
void GeoradiusRoCommand(Context& ctx) { GeoSearchGeneric(ctx, 1, kFromCoords | kNoStore); }
void GeoradiusbymemberCommand(Context& ctx) { GeoSearchGeneric(ctx, 1, kFromMember); }
void GeoradiusbymemberRoCommand(Context& ctx) { GeoSearchGeneric(ctx, 1, kFromMember | kNoStore); }
void GeosearchCommand(Context& ctx) { GeoSearchGeneric(ctx, 1, kSearch); }
void GeosearchstoreCommand(Context& ctx) { GeoSearchGeneric(ctx, 2, kSearch | kSearchStore); }

constexpr CommandSpec kGeoCommands[] = {
    {"geoadd", GeoaddCommand, -5, kWrite | kDenyOom, 1, 1, 1, "geo",
     "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
     "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
     kNoSubcommands, kAclGeo, kKeysWritten},
    {"geodist", GeodistCommand, -4, kReadOnly, 1, 1, 1, "geo",
     "Returns the distance between two members of a geospatial index.", "3.2.0", "O(1)",
     kNoSubcommands, kAclGeo, kKeysRead},
    {"geohash", GeohashCommand, -2, kReadOnly, 1, 1, 1, "geo",
     "Returns members from a geospatial index as geohash strings.", "3.2.0",
     "O(1) for each member requested.", kNoSubcommands, kAclGeo, kKeysRead},
    {"geopos", GeoposCommand, -2, kReadOnly, 1, 1, 1, "geo",
     "Returns the longitude and latitude of members from a geospatial index.", "3.2.0",
     "O(1) for each member requested.", kNoSubcommands, kAclGeo, kKeysRead},
    {"georadius", GeoradiusCommand, -6, kWrite | kDenyOom | kMovableKeys, 1, 1, 1, "geo",
     "Queries a geospatial index for members within a distance from a coordinate, optionally "
     "stores the result.",
     "3.2.0",
     "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
     "delimited by center and radius and M is the number of items inside the index.",
     kNoSubcommands, kAclGeo, KeysFrom(GeoradiusKeys)},
    {"georadius_ro", GeoradiusRoCommand, -6, kReadOnly, 1, 1, 1, "geo",
     "Returns members from a geospatial index that are within a distance from a coordinate.",
     "3.2.10",
     "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
     "delimited by center and radius and M is the number of items inside the index.",
     kNoSubcommands, kAclGeo, kKeysRead},
    {"georadiusbymember", GeoradiusbymemberCommand, -5, kWrite | kDenyOom | kMovableKeys, 1, 1, 1,
     "geo",
     "Queries a geospatial index for members within a distance from a member, optionally stores "
     "the result.",
     "3.2.0",
     "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
     "delimited by center and radius and M is the number of items inside the index.",
     kNoSubcommands, kAclGeo, KeysFrom(GeoradiusbymemberKeys)},
    {"georadiusbymember_ro", GeoradiusbymemberRoCommand, -5, kReadOnly, 1, 1, 1, "geo",
     "Returns members from a geospatial index that are within a distance from a member.", "3.2.10",
     "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
     "delimited by center and radius and M is the number of items inside the index.",
     kNoSubcommands, kAclGeo, kKeysRead},
    {"geosearch", GeosearchCommand, -7, kReadOnly, 1, 1, 1, "geo",
     "Queries a geospatial index for members inside an area of a box or a circle.", "6.2.0",
     "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around "
     "the shape provided as the filter and M is the number of items inside the shape",
     kNoSubcommands, kAclGeo, kKeysRead},
    {"geosearchstore", GeosearchstoreCommand, -8, kWrite | kDenyOom, 1, 2, 1, "geo",
     "Queries a geospatial index for members inside an area of a box or a circle, optionally "
     "stores the result.",
     "6.2.0",
     "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around "
     "the shape provided as the filter and M is the number of items inside the shape",
     kNoSubcommands, kAclGeo, KeysFrom(DestinationSourceKeys)},
};

}  // namespace

std::span<const CommandSpec> GeoCommands() { return kGeoCommands; }

}  // namespace mnemo::cmd

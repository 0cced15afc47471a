// geohash.cc: geohash encoding, neighbours, search cells and distances (layer: db).
//
// Floating-point expressions keep Redis's order of operations: a different but mathematically
// equal form could move a distance by one unit in the last place, and with it a point across
// the edge of a search or the fourth decimal of a reply.
#include "mnemo/db/geohash.h"

#include <cmath>

namespace mnemo::db {

namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kEarthRadiusMeters = 6372797.560856;
// Half the Web Mercator world's width in meters: the step estimate doubles a radius up to it.
constexpr double kMercatorMax = 20037726.37;

double DegRad(double ang) { return ang * kDegToRad; }
double RadDeg(double ang) { return ang / kDegToRad; }

constexpr GeoRange kLongRange{kGeoLongMin, kGeoLongMax};
constexpr GeoRange kLatRange{kGeoLatMin, kGeoLatMax};

// Spreads the 32 bits of v to the even bits of a 64-bit word.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// Gathers the even bits of a 64-bit word into 32 bits.
uint32_t Gather(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

bool RangeIsZero(GeoRange r) { return r.min == 0 && r.max == 0; }

// Moves a geohash one cell along longitude (odd bits) or latitude (even bits); d is +1 or -1.
// The other coordinate's bits are kept; the moved one wraps around at the edges.
void MoveAxis(GeoHashBits* hash, int d, bool longitude) {
  const uint64_t kOdd = 0xaaaaaaaaaaaaaaaaULL;
  const uint64_t kEven = 0x5555555555555555ULL;
  const uint64_t mine_mask = longitude ? kOdd : kEven;
  const uint64_t other_mask = longitude ? kEven : kOdd;
  const int shift = 64 - hash->step * 2;
  uint64_t mine = hash->bits & mine_mask;
  const uint64_t other = hash->bits & other_mask;
  // Filling the other coordinate's bits with ones lets a carry (or borrow) run through them.
  const uint64_t fill = other_mask >> shift;
  if (d > 0) {
    mine = mine + (fill + 1);
  } else {
    mine = mine | fill;
    mine = mine - (fill + 1);
  }
  mine &= mine_mask >> shift;
  hash->bits = mine | other;
}

GeoHashBits Moved(GeoHashBits h, int dx, int dy) {
  if (dx != 0) MoveAxis(&h, dx, true);
  if (dy != 0) MoveAxis(&h, dy, false);
  return h;
}

// The step (bits per coordinate) at which a 3x3 block of cells covers `range_meters` around a
// point at latitude `lat`.
int EstimateStepsByRadius(double range_meters, double lat) {
  if (range_meters == 0) return kGeoStepMax;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // make sure the range fits in most cases
  // Cells narrow towards the poles: go one (two) steps coarser there.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kGeoStepMax) step = kGeoStepMax;
  return step;
}

// The bounding box of the shape: min longitude, min latitude, max longitude, max latitude. The
// longitude span is taken at the edge nearer the pole, where it is widest.
struct Bounds {
  double min_lon, min_lat, max_lon, max_lat;
};
Bounds BoundingBox(const GeoShape& shape) {
  const bool circle = shape.type == GeoShape::Type::kCircle;
  const double height = shape.conversion * (circle ? shape.radius : shape.height / 2);
  const double width = shape.conversion * (circle ? shape.radius : shape.width / 2);
  const double lat_delta = RadDeg(height / kEarthRadiusMeters);
  const double long_delta_top =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.latitude + lat_delta)));
  const double long_delta_bottom =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.latitude - lat_delta)));
  const bool southern = shape.latitude < 0;
  Bounds b;
  b.min_lon = southern ? shape.longitude - long_delta_bottom : shape.longitude - long_delta_top;
  b.max_lon = southern ? shape.longitude + long_delta_bottom : shape.longitude + long_delta_top;
  b.min_lat = shape.latitude - lat_delta;
  b.max_lat = shape.latitude + lat_delta;
  return b;
}

// A score's 64 bits as Redis gets them from `(uint64_t)score` on x86-64, where any score of a
// sorted set (negative, huge, infinite) decodes to some cell: truncation below 2^63 (negative
// values wrap), the high half offset by 2^63, and the processor's "indefinite" integer
// (0x8000000000000000) for what fits neither.
uint64_t ScoreBits(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = 0x8000000000000000ULL;
  if (d < kTwo63) {
    if (d >= -kTwo63) return static_cast<uint64_t>(static_cast<int64_t>(d));
    return kIndefinite;
  }
  const double high = d - kTwo63;
  const uint64_t r =
      high < kTwo63 ? static_cast<uint64_t>(static_cast<int64_t>(high)) : kIndefinite;
  return r ^ kIndefinite;
}

}  // namespace

std::optional<GeoHashBits> GeohashEncode(GeoRange long_range, GeoRange lat_range, double longitude,
                                         double latitude, int step) {
  if (step > 32 || step == 0 || RangeIsZero(lat_range) || RangeIsZero(long_range)) {
    return std::nullopt;
  }
  if (longitude > kGeoLongMax || longitude < kGeoLongMin || latitude > kGeoLatMax ||
      latitude < kGeoLatMin) {
    return std::nullopt;
  }
  if (latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min ||
      longitude > long_range.max) {
    return std::nullopt;
  }
  double lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
  double long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
  lat_offset *= static_cast<double>(uint64_t{1} << step);
  long_offset *= static_cast<double>(uint64_t{1} << step);
  GeoHashBits h;
  h.step = static_cast<uint8_t>(step);
  // The offsets truncate to integers (2^step itself when the coordinate is the range's max).
  h.bits =
      Spread(static_cast<uint32_t>(lat_offset)) | (Spread(static_cast<uint32_t>(long_offset)) << 1);
  return h;
}

std::optional<GeoHashBits> GeohashEncodeWgs84(double longitude, double latitude, int step) {
  return GeohashEncode(kLongRange, kLatRange, longitude, latitude, step);
}

std::optional<GeoArea> GeohashDecode(GeoRange long_range, GeoRange lat_range, GeoHashBits hash) {
  if (hash.IsZero() || RangeIsZero(lat_range) || RangeIsZero(long_range)) return std::nullopt;
  GeoArea area;
  area.hash = hash;
  const uint32_t ilat = Gather(hash.bits);
  const uint32_t ilon = Gather(hash.bits >> 1);
  const double lat_scale = lat_range.max - lat_range.min;
  const double long_scale = long_range.max - long_range.min;
  const double cells = static_cast<double>(uint64_t{1} << hash.step);
  area.latitude.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
  area.latitude.max = lat_range.min + ((ilat + 1.0) * 1.0 / cells) * lat_scale;
  area.longitude.min = long_range.min + (ilon * 1.0 / cells) * long_scale;
  area.longitude.max = long_range.min + ((ilon + 1.0) * 1.0 / cells) * long_scale;
  return area;
}

uint64_t GeohashAlign52(GeoHashBits hash) { return hash.bits << (52 - hash.step * 2); }

GeoNeighbors GeohashNeighbors(GeoHashBits hash) {
  GeoNeighbors n;
  n.east = Moved(hash, 1, 0);
  n.west = Moved(hash, -1, 0);
  n.south = Moved(hash, 0, -1);
  n.north = Moved(hash, 0, 1);
  n.north_west = Moved(hash, -1, 1);
  n.north_east = Moved(hash, 1, 1);
  n.south_east = Moved(hash, 1, -1);
  n.south_west = Moved(hash, -1, -1);
  return n;
}

std::optional<GeoPoint> GeohashDecodeScore(double score) {
  const GeoHashBits hash{ScoreBits(score), kGeoStepMax};
  const std::optional<GeoArea> area = GeohashDecode(kLongRange, kLatRange, hash);
  if (!area) return std::nullopt;
  GeoPoint p;
  p.longitude = (area->longitude.min + area->longitude.max) / 2;
  if (p.longitude > kGeoLongMax) p.longitude = kGeoLongMax;
  if (p.longitude < kGeoLongMin) p.longitude = kGeoLongMin;
  p.latitude = (area->latitude.min + area->latitude.max) / 2;
  if (p.latitude > kGeoLatMax) p.latitude = kGeoLatMax;
  if (p.latitude < kGeoLatMin) p.latitude = kGeoLatMin;
  return p;
}

uint64_t GeohashScore(double longitude, double latitude) {
  const std::optional<GeoHashBits> h = GeohashEncodeWgs84(longitude, latitude, kGeoStepMax);
  return h ? GeohashAlign52(*h) : 0;
}

std::optional<std::string> GeohashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  const std::optional<GeoPoint> p = GeohashDecodeScore(score);
  if (!p) return std::nullopt;
  const std::optional<GeoHashBits> h =
      GeohashEncode(GeoRange{-180, 180}, GeoRange{-90, 90}, p->longitude, p->latitude, 26);
  const uint64_t bits = h ? h->bits : 0;
  std::string out(11, '0');
  // 52 bits make ten characters; the eleventh is "0", as Redis prints it.
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double GeohashDistance(double lon1, double lat1, double lon2, double lat2) {
  const double lat1r = DegRad(lat1);
  const double lon1r = DegRad(lon1);
  const double lat2r = DegRad(lat2);
  const double lon2r = DegRad(lon2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double v = std::sin((lon2r - lon1r) / 2);
  return 2.0 * kEarthRadiusMeters *
         std::asin(std::sqrt(u * u + std::cos(lat1r) * std::cos(lat2r) * v * v));
}

GeoSearchAreas GeohashAreasForShape(const GeoShape& shape) {
  const Bounds b = BoundingBox(shape);
  double radius_meters = shape.type == GeoShape::Type::kCircle
                             ? shape.radius
                             : std::sqrt((shape.width / 2) * (shape.width / 2) +
                                         (shape.height / 2) * (shape.height / 2));
  radius_meters *= shape.conversion;

  int steps = EstimateStepsByRadius(radius_meters, shape.latitude);
  GeoSearchAreas r;
  const auto cover = [&](int s) {
    r.hash = GeohashEncode(kLongRange, kLatRange, shape.longitude, shape.latitude, s)
                 .value_or(GeoHashBits{0, static_cast<uint8_t>(s)});
    r.neighbors = GeohashNeighbors(r.hash);
    r.area = GeohashDecode(kLongRange, kLatRange, r.hash).value_or(GeoArea{});
  };
  cover(steps);

  // Near the edge of the centre cell a neighbour may not reach the edge of the shape: then the
  // cells must be one step coarser.
  const GeoArea north = GeohashDecode(kLongRange, kLatRange, r.neighbors.north).value_or(GeoArea{});
  const GeoArea south = GeohashDecode(kLongRange, kLatRange, r.neighbors.south).value_or(GeoArea{});
  const GeoArea east = GeohashDecode(kLongRange, kLatRange, r.neighbors.east).value_or(GeoArea{});
  const GeoArea west = GeohashDecode(kLongRange, kLatRange, r.neighbors.west).value_or(GeoArea{});
  const bool decrease = north.latitude.max < b.max_lat || south.latitude.min > b.min_lat ||
                        east.longitude.max < b.max_lon || west.longitude.min > b.min_lon;
  if (steps > 1 && decrease) {
    steps--;
    cover(steps);
  }

  // Neighbours on a side where the centre cell already reaches past the shape are not needed.
  if (steps >= 2) {
    GeoNeighbors& n = r.neighbors;
    if (r.area.latitude.min < b.min_lat) n.south = n.south_west = n.south_east = GeoHashBits{};
    if (r.area.latitude.max > b.max_lat) n.north = n.north_east = n.north_west = GeoHashBits{};
    if (r.area.longitude.min < b.min_lon) n.west = n.south_west = n.north_west = GeoHashBits{};
    if (r.area.longitude.max > b.max_lon) n.east = n.south_east = n.north_east = GeoHashBits{};
  }
  return r;
}

std::optional<GeoMatch> GeohashMatch(const GeoShape& shape, double score) {
  const std::optional<GeoPoint> p = GeohashDecodeScore(score);
  if (!p) return std::nullopt;
  GeoMatch m{*p, 0};
  if (shape.type == GeoShape::Type::kCircle) {
    m.distance = GeohashDistance(shape.longitude, shape.latitude, p->longitude, p->latitude);
    if (m.distance > shape.radius * shape.conversion) return std::nullopt;
    return m;
  }
  // A box: the east-west distance along the point's parallel and the north-south distance along
  // its meridian must each be within half the box.
  const double width_m = shape.width * shape.conversion;
  const double height_m = shape.height * shape.conversion;
  const double lon_distance =
      GeohashDistance(p->longitude, p->latitude, shape.longitude, p->latitude);
  const double lat_distance =
      GeohashDistance(p->longitude, p->latitude, p->longitude, shape.latitude);
  if (lon_distance > width_m / 2 || lat_distance > height_m / 2) return std::nullopt;
  m.distance = GeohashDistance(shape.longitude, shape.latitude, p->longitude, p->latitude);
  return m;
}

}  // namespace mnemo::db

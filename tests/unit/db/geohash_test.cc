// geohash_test.cc: the 52-bit geohash: known positions and strings (from redis-server 7.0.15 and
// Redis's documentation), round trips of random points, neighbour cells, and the covering
// property of the search cells, with a seeded random generator (tests/unit/db).
#include "mnemo/db/geohash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace mnemo::db {
namespace {

// Palermo and Catania, the examples of Redis's documentation.
constexpr double kPalermoLon = 13.361389;
constexpr double kPalermoLat = 38.115556;
constexpr double kCataniaLon = 15.087269;
constexpr double kCataniaLat = 37.502669;

TEST(GeohashTest, KnownScoresPositionsAndStrings) {
  // WITHHASH, GEOPOS and GEOHASH answers of redis-server 7.0.15.
  EXPECT_EQ(GeohashScore(kPalermoLon, kPalermoLat), 3479099956230698u);
  EXPECT_EQ(GeohashScore(kCataniaLon, kCataniaLat), 3479447370796909u);
  const auto p = GeohashDecodeScore(3479099956230698.0);
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->longitude, 13.36138933897018433);
  EXPECT_DOUBLE_EQ(p->latitude, 38.11555639549629859);
  EXPECT_EQ(GeohashString(3479099956230698.0), "sqc8b49rny0");
  EXPECT_EQ(GeohashString(3479447370796909.0), "sqdtr74hyu0");
  // GEODIST Sicily Palermo Catania: 166274.1516 m.
  const auto c = GeohashDecodeScore(3479447370796909.0);
  const double d = GeohashDistance(p->longitude, p->latitude, c->longitude, c->latitude);
  EXPECT_NEAR(d, 166274.1516, 0.00005);
}

TEST(GeohashTest, AnyScoreDecodesAsRedisOnX86) {
  // Scores that are not geohashes still decode (a plain zset read by GEOPOS): negative ones
  // wrap, huge and infinite ones become the "indefinite" integer, positions clamp to the limits.
  const auto neg = GeohashDecodeScore(-1);
  EXPECT_EQ(neg->longitude, 180);
  EXPECT_EQ(neg->latitude, kGeoLatMax);
  const auto inf = GeohashDecodeScore(std::numeric_limits<double>::infinity());
  const auto zero = GeohashDecodeScore(0.5);
  EXPECT_EQ(inf->longitude, zero->longitude);
  EXPECT_EQ(inf->latitude, zero->latitude);
  EXPECT_NEAR(zero->longitude, -179.99999731779098511, 1e-12);
  const auto minus_inf = GeohashDecodeScore(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(minus_inf->longitude, 180);
  EXPECT_NEAR(minus_inf->latitude, -85.05112751263942528, 1e-12);
}

TEST(GeohashTest, EncodeRefusesOutsideTheLimits) {
  EXPECT_FALSE(GeohashEncodeWgs84(180.0001, 0, 26));
  EXPECT_FALSE(GeohashEncodeWgs84(0, 85.06, 26));
  EXPECT_FALSE(GeohashEncodeWgs84(0, -85.06, 26));
  EXPECT_FALSE(GeohashEncodeWgs84(0, 0, 0));
  EXPECT_FALSE(GeohashEncodeWgs84(0, 0, 33));
  EXPECT_TRUE(GeohashEncodeWgs84(-180, -85.05112878, 26));
}

TEST(GeohashTest, RandomPointsRoundTripWithinTheirCell) {
  std::mt19937_64 rnd(42);
  std::uniform_real_distribution<double> lon(-180, 180);
  std::uniform_real_distribution<double> lat(kGeoLatMin, kGeoLatMax);
  const double half_lon = 360.0 / (1 << 26) / 2;
  const double half_lat = (kGeoLatMax - kGeoLatMin) / (1 << 26) / 2;
  for (int i = 0; i < 100000; ++i) {
    const double x = lon(rnd);
    const double y = lat(rnd);
    const uint64_t score = GeohashScore(x, y);
    ASSERT_LT(score, uint64_t{1} << 52);
    const auto p = GeohashDecodeScore(static_cast<double>(score));
    ASSERT_TRUE(p);
    EXPECT_LE(std::fabs(p->longitude - x), half_lon * 1.0000001) << x;
    EXPECT_LE(std::fabs(p->latitude - y), half_lat * 1.0000001) << y;
    // Re-encoding the centre gives the same cell.
    EXPECT_EQ(GeohashScore(p->longitude, p->latitude), score);
  }
}

TEST(GeohashTest, NeighboursAreTheAdjacentCells) {
  std::mt19937_64 rnd(7);
  const GeoRange lons{kGeoLongMin, kGeoLongMax};
  const GeoRange lats{kGeoLatMin, kGeoLatMax};
  for (int i = 0; i < 2000; ++i) {
    const int step = 2 + static_cast<int>(rnd() % 25);
    // Interior cells only: the edges wrap around.
    const double x = -170 + static_cast<double>(rnd() % 340000) / 1000;
    const double y = -80 + static_cast<double>(rnd() % 160000) / 1000;
    const auto h = GeohashEncodeWgs84(x, y, step);
    ASSERT_TRUE(h);
    const GeoArea a = *GeohashDecode(lons, lats, *h);
    const GeoNeighbors n = GeohashNeighbors(*h);
    const GeoArea north = *GeohashDecode(lons, lats, n.north);
    const GeoArea south = *GeohashDecode(lons, lats, n.south);
    const GeoArea east = *GeohashDecode(lons, lats, n.east);
    const GeoArea west = *GeohashDecode(lons, lats, n.west);
    const GeoArea ne = *GeohashDecode(lons, lats, n.north_east);
    const GeoArea sw = *GeohashDecode(lons, lats, n.south_west);
    if (a.latitude.max < kGeoLatMax && a.latitude.min > kGeoLatMin) {
      EXPECT_DOUBLE_EQ(north.latitude.min, a.latitude.max);
      EXPECT_DOUBLE_EQ(north.longitude.min, a.longitude.min);
      EXPECT_DOUBLE_EQ(south.latitude.max, a.latitude.min);
      EXPECT_DOUBLE_EQ(ne.latitude.min, a.latitude.max);
      EXPECT_DOUBLE_EQ(sw.latitude.max, a.latitude.min);
    }
    if (a.longitude.max < kGeoLongMax && a.longitude.min > kGeoLongMin) {
      EXPECT_DOUBLE_EQ(east.longitude.min, a.longitude.max);
      EXPECT_DOUBLE_EQ(east.latitude.min, a.latitude.min);
      EXPECT_DOUBLE_EQ(west.longitude.max, a.longitude.min);
      EXPECT_DOUBLE_EQ(ne.longitude.min, a.longitude.max);
      EXPECT_DOUBLE_EQ(sw.longitude.max, a.longitude.min);
    }
  }
}

// Every point a search matches lies in one of the cells it scans: the cells cover the shape.
TEST(GeohashTest, SearchCellsCoverTheShape) {
  std::mt19937_64 rnd(99);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < 400; ++i) {
    GeoShape shape;
    shape.longitude = -179 + 358 * unit(rnd);
    shape.latitude = -84 + 168 * unit(rnd);
    shape.conversion = 1000;
    const double size = std::pow(10, -2 + 5 * unit(rnd));  // 10 m .. 1000 km
    if (rnd() % 2 == 0) {
      shape.type = GeoShape::Type::kCircle;
      shape.radius = size;
    } else {
      shape.type = GeoShape::Type::kBox;
      shape.width = size * (0.5 + unit(rnd));
      shape.height = size * (0.5 + unit(rnd));
    }
    const GeoSearchAreas areas = GeohashAreasForShape(shape);
    const GeoNeighbors& n = areas.neighbors;
    const GeoHashBits cells[9] = {areas.hash,   n.north,      n.south,      n.east,      n.west,
                                  n.north_east, n.north_west, n.south_east, n.south_west};
    // Points around the centre, up to twice the shape's extent away (in degrees, roughly).
    const double extent = size * 1000 / 111000 * 2;
    int matched = 0;
    for (int j = 0; j < 300; ++j) {
      const double x = shape.longitude + extent * (2 * unit(rnd) - 1) /
                                             std::max(0.05, std::cos(shape.latitude * M_PI / 180));
      const double y = shape.latitude + extent * (2 * unit(rnd) - 1);
      if (x < -180 || x > 180 || y < kGeoLatMin || y > kGeoLatMax) continue;
      const auto score = static_cast<double>(GeohashScore(x, y));
      if (!GeohashMatch(shape, score)) continue;
      ++matched;
      bool covered = false;
      for (const GeoHashBits& c : cells) {
        if (c.IsZero()) continue;
        GeoHashBits next = c;
        next.bits++;
        covered |= score >= static_cast<double>(GeohashAlign52(c)) &&
                   score < static_cast<double>(GeohashAlign52(next));
      }
      EXPECT_TRUE(covered) << "shape at " << shape.longitude << "," << shape.latitude << " size "
                           << size << " point " << x << "," << y;
    }
    (void)matched;
  }
}

TEST(GeohashTest, BoxMatchesByAxisDistances) {
  GeoShape box;
  box.type = GeoShape::Type::kBox;
  box.longitude = 10;
  box.latitude = 45;
  box.width = 200;  // km
  box.height = 100;
  box.conversion = 1000;
  // 50 km north is on the edge region: inside; 60 km north is outside.
  EXPECT_TRUE(GeohashMatch(box, static_cast<double>(GeohashScore(10, 45 + 49.0 / 111.2))));
  EXPECT_FALSE(GeohashMatch(box, static_cast<double>(GeohashScore(10, 45 + 60.0 / 111.2))));
  const auto m = GeohashMatch(box, static_cast<double>(GeohashScore(10.5, 45)));
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->distance, 39300, 300);  // half a degree of longitude at 45 degrees
}

}  // namespace
}  // namespace mnemo::db

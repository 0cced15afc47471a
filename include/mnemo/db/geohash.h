// geohash.h: Redis's 52-bit geohash and the geometry of its searches, as pure functions
// (layer: db).
//
// A position is stored as a sorted set score: longitude and latitude are each cut into 2^26
// steps over [-180, 180] and [-85.05112878, 85.05112878] (the Web Mercator limits; the poles
// cannot be indexed) and their bits are interleaved, latitude in the even bits and longitude in
// the odd ones, into a 52-bit integer, which a double holds exactly. Decoding gives the centre of
// the cell, so a position comes back within about 0.6 m of what was stored.
//
// A search (radius or box) estimates the geohash precision at which the 3x3 cells around the
// centre cover the shape, drops the neighbour cells that lie wholly outside it, and scans each
// remaining cell as one score range of the set; each point found is then tested exactly. All of
// this follows Redis 7.0's geohash.c and geohash_helper.c operation by operation, so the same
// points are found, in the same order, with the same distances to the last bit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mnemo::db {

inline constexpr double kGeoLongMin = -180;
inline constexpr double kGeoLongMax = 180;
inline constexpr double kGeoLatMin = -85.05112878;
inline constexpr double kGeoLatMax = 85.05112878;
// Bits per coordinate of a stored position.
inline constexpr int kGeoStepMax = 26;

// A geohash of `step` bits per coordinate (2 * step bits). {0, 0} means "no cell".
struct GeoHashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool IsZero() const { return bits == 0 && step == 0; }
};

struct GeoRange {
  double min = 0;
  double max = 0;
};

// The cell a geohash names.
struct GeoArea {
  GeoHashBits hash;
  GeoRange longitude;
  GeoRange latitude;
};

struct GeoNeighbors {
  GeoHashBits north, east, west, south, north_east, south_east, north_west, south_west;
};

// The geohash of (longitude, latitude) at `step` bits per coordinate within the given ranges,
// or nullopt when the point lies outside them or outside the indexable limits.
std::optional<GeoHashBits> GeohashEncode(GeoRange long_range, GeoRange lat_range, double longitude,
                                         double latitude, int step);
// As GeohashEncode with the stored ranges (kGeoLong*, kGeoLat*).
std::optional<GeoHashBits> GeohashEncodeWgs84(double longitude, double latitude, int step);
// The cell of `hash` within the given ranges; nullopt for the zero hash.
std::optional<GeoArea> GeohashDecode(GeoRange long_range, GeoRange lat_range, GeoHashBits hash);
// `hash` shifted to 52 bits: the smallest score inside its cell.
uint64_t GeohashAlign52(GeoHashBits hash);
// The eight cells around `hash` at the same step.
GeoNeighbors GeohashNeighbors(GeoHashBits hash);

// A stored score back to (longitude, latitude), the centre of its cell.
struct GeoPoint {
  double longitude;
  double latitude;
};
std::optional<GeoPoint> GeohashDecodeScore(double score);
// The score stored for a position (REQUIRES: within the kGeo* limits).
uint64_t GeohashScore(double longitude, double latitude);
// The standard 11-character base-32 geohash of a stored score (GEOHASH), re-encoded over
// latitude [-90, 90]; nullopt if the score does not decode.
std::optional<std::string> GeohashString(double score);

// Great-circle distance in meters (haversine on Redis's earth radius, 6372797.560856 m).
double GeohashDistance(double lon1, double lat1, double lon2, double lat2);

// The shape of a search: a circle of `radius`, or a box of `width` x `height`, in units that
// `conversion` turns into meters, around (longitude, latitude).
struct GeoShape {
  enum class Type : uint8_t { kCircle, kBox } type = Type::kCircle;
  double longitude = 0;
  double latitude = 0;
  double conversion = 1;
  double radius = 0;
  double width = 0;
  double height = 0;
};

// The cells to scan for `shape`: the centre cell and its neighbours (zero where they cannot hold
// a point of the shape).
struct GeoSearchAreas {
  GeoHashBits hash;
  GeoNeighbors neighbors;
  GeoArea area;
};
GeoSearchAreas GeohashAreasForShape(const GeoShape& shape);

// If the point stored as `score` lies in `shape`, returns it with its distance in meters from
// the shape's centre; else nullopt.
struct GeoMatch {
  GeoPoint point;
  double distance;
};
std::optional<GeoMatch> GeohashMatch(const GeoShape& shape, double score);

}  // namespace mnemo::db

// geo_test.cc: the geospatial commands through the in-process dispatcher: replies in RESP2 and
// RESP3, every option, every error, stores, keyspace events and propagation (tests/cmd).
//
// The data is the example of Redis's documentation (Sicily); expected replies were taken from
// redis-server 7.0.15. test_types_differential.py compares thousands of random queries.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "change_recorder.h"
#include "command_harness.h"

namespace mnemo::test {
namespace {

class GeoCmdTest : public CommandTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(Str({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                   "37.502669", "Catania"}),
              "2");
    ASSERT_EQ(Str({"GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135",
                   "edge2"}),
              "2");
  }
};

TEST_F(GeoCmdTest, GeoaddStoresGeohashScores) {
  EXPECT_EQ(Str({"ZSCORE", "Sicily", "Palermo"}), "3479099956230698");
  EXPECT_EQ(Str({"ZSCORE", "Sicily", "Catania"}), "3479447370796909");
  EXPECT_EQ(Str({"TYPE", "Sicily"}), "zset");
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "Sicily"}), "listpack");
  // NX, XX, CH.
  EXPECT_EQ(Str({"GEOADD", "Sicily", "NX", "13", "38", "Palermo", "14", "38", "Enna"}), "1");
  EXPECT_EQ(Str({"ZSCORE", "Sicily", "Palermo"}), "3479099956230698");
  EXPECT_EQ(Str({"GEOADD", "Sicily", "XX", "13", "38", "Palermo", "14", "39", "Nowhere"}), "0");
  EXPECT_EQ(Str({"ZSCORE", "Sicily", "Nowhere"}), "(nil)");
  EXPECT_EQ(Str({"GEOADD", "Sicily", "XX", "CH", "13.361389", "38.115556", "Palermo"}), "1");
  EXPECT_EQ(Str({"GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo"}), "0");
  EXPECT_EQ(Str({"GEOADD", "new", "XX", "13", "38", "a"}), "0");
  EXPECT_EQ(Str({"EXISTS", "new"}), "0");
}

TEST_F(GeoCmdTest, GeoaddErrors) {
  EXPECT_EQ(Str({"GEOADD", "g", "200", "100", "x"}),
            "(error) ERR invalid longitude,latitude pair 200.000000,100.000000");
  EXPECT_EQ(Str({"GEOADD", "g", "10", "85.06", "x"}),
            "(error) ERR invalid longitude,latitude pair 10.000000,85.060000");
  EXPECT_EQ(Str({"GEOADD", "g", "a", "1", "x"}), "(error) ERR value is not a valid float");
  EXPECT_EQ(Str({"GEOADD", "g", "1", "2", "x", "3"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"GEOADD", "g", "NX", "XX", "1", "2", "x"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"GEOADD", "g", "CH", "CH", "CH"}), "(error) ERR syntax error");
  EXPECT_EQ(Str({"GEOADD", "g", "1", "2"}),
            "(error) ERR wrong number of arguments for 'geoadd' command");
  // Every position is checked before anything is added.
  EXPECT_EQ(Str({"GEOADD", "g", "1", "2", "ok", "1", "99", "bad"}),
            "(error) ERR invalid longitude,latitude pair 1.000000,99.000000");
  EXPECT_EQ(Str({"EXISTS", "g"}), "0");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Str({"GEOADD", "s", "1", "2", "a"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(GeoCmdTest, GeoposGeohashGeodist) {
  EXPECT_EQ(Str({"GEOPOS", "Sicily", "Palermo", "nope"}),
            "[[13.36138933897018433, 38.11555639549629859], (nil)]");
  EXPECT_EQ(Str({"GEOPOS", "missing", "a"}), "[(nil)]");
  EXPECT_EQ(Str({"GEOPOS", "Sicily"}), "[]");
  EXPECT_EQ(Str({"GEOHASH", "Sicily", "Palermo", "Catania", "nope"}),
            "[sqc8b49rny0, sqdtr74hyu0, (nil)]");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "Catania"}), "166274.1516");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "166.2742");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "Catania", "MI"}), "103.3182");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "nope"}), "(nil)");
  EXPECT_EQ(Str({"GEODIST", "missing", "a", "b"}), "(nil)");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "Catania", "furlong"}),
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI");
  EXPECT_EQ(Str({"GEODIST", "Sicily", "Palermo", "Catania", "km", "x"}),
            "(error) ERR syntax error");
  // RESP3: coordinates are doubles, distances stay bulk strings (as Redis).
  h_.SetResp(3);
  EXPECT_EQ(RunRaw({"GEOPOS", "Sicily", "Palermo", "nope"}),
            "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
  EXPECT_EQ(RunRaw({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), "$8\r\n166.2742\r\n");
}

TEST_F(GeoCmdTest, RadiusAndSearchReplies) {
  EXPECT_EQ(Str({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD"}),
            "[[Palermo, 190.4424, [13.36138933897018433, 38.11555639549629859]], "
            "[Catania, 56.4413, [15.08726745843887329, 37.50266842333162032]]]");
  EXPECT_EQ(Str({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHHASH", "COUNT", "1", "DESC"}),
            "[[Palermo, 3479099956230698]]");
  EXPECT_EQ(Str({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
                 "ASC", "WITHDIST"}),
            "[[Catania, 56.4413], [Palermo, 190.4424], [edge2, 279.7403], [edge1, 279.7405]]");
  EXPECT_EQ(Str({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km"}),
            "[Palermo, edge1]");
  EXPECT_EQ(Str({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT",
                 "1", "ANY"}),
            "[Palermo]");  // the first found, not the nearest
  EXPECT_EQ(Str({"GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "1", "m"}), "[Catania]");
  EXPECT_EQ(Str({"GEORADIUS_RO", "Sicily", "0", "0", "1", "km"}), "[]");
  EXPECT_EQ(Str({"GEORADIUS", "missing", "15", "37", "200", "km"}), "[]");
  EXPECT_EQ(Str({"GEORADIUSBYMEMBER", "missing", "x", "bad", "unit"}), "[]");
}

TEST_F(GeoCmdTest, Stores) {
  ChangeRecorder rec(h_.keyspace().changes());
  EXPECT_EQ(Str({"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400",
                 "km", "ASC", "COUNT", "3", "STOREDIST"}),
            "3");
  EXPECT_EQ(Str({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}),
            "[Catania, 56.441257870158204, Palermo, 190.44242984775784, edge2, "
            "279.7403417843143]");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"geosearchstore dst"}));
  rec.Clear();
  EXPECT_EQ(Str({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STORE", "dst2"}), "3");
  EXPECT_EQ(Str({"ZRANGE", "dst2", "0", "-1", "WITHSCORES"}),
            "[Palermo, 3479099956230698, edge1, 3479273021651468, Catania, 3479447370796909]");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"georadiusstore dst2"}));
  rec.Clear();
  // An empty result deletes the destination.
  EXPECT_EQ(Str({"GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst2"}), "0");
  EXPECT_EQ(Str({"EXISTS", "dst2"}), "0");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"del dst2"}));
  EXPECT_EQ(Str({"GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"}),
            "0");
  EXPECT_EQ(Str({"EXISTS", "dst"}), "0");
}

TEST_F(GeoCmdTest, SearchErrors) {
  const auto err = [&](std::initializer_list<std::string_view> argv) { return Str(argv); };
  EXPECT_EQ(err({"GEORADIUS", "Sicily", "15", "37", "200", "furlong"}),
            "(error) ERR unsupported unit provided. please use M, KM, FT, MI");
  EXPECT_EQ(err({"GEORADIUS", "Sicily", "15", "37", "-1", "km"}),
            "(error) ERR radius cannot be negative");
  EXPECT_EQ(err({"GEORADIUS", "Sicily", "15", "37", "abc", "km"}),
            "(error) ERR need numeric radius");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "-1", "2", "km"}),
            "(error) ERR height or width cannot be negative");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "a", "2", "km"}),
            "(error) ERR need numeric width");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "b", "km"}),
            "(error) ERR need numeric height");
  EXPECT_EQ(
      err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "COUNT", "0"}),
      "(error) ERR COUNT must be > 0");
  EXPECT_EQ(
      err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "COUNT", "x"}),
      "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "100", "km"}),
            "(error) ERR could not decode requested zset member");
  EXPECT_EQ(err({"GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"}),
            "(error) ERR could not decode requested zset member");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km", "ANY"}),
            "(error) ERR the ANY argument requires COUNT argument");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "BYRADIUS", "100", "km", "ASC", "WITHDIST"}),
            "(error) ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH");
  EXPECT_EQ(err({"geosearch", "Sicily", "FROMLONLAT", "1", "2", "ASC", "WITHDIST"}),
            "(error) ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS",
                 "1", "m"}),
            "(error) ERR syntax error");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "BYBOX", "1",
                 "1", "m"}),
            "(error) ERR syntax error");
  EXPECT_EQ(err({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "x", "WITHDIST"}),
            "(error) ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
            "WITHCOORD options");
  EXPECT_EQ(err({"GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km",
                 "WITHDIST"}),
            "(error) ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD "
            "options");
  // The read-only forms and GEOSEARCH take no STORE.
  EXPECT_EQ(err({"GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x"}),
            "(error) ERR syntax error");
  EXPECT_EQ(
      err({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"}),
      "(error) ERR syntax error");
  EXPECT_EQ(err({"GEOSEARCH", "Sicily"}),
            "(error) ERR wrong number of arguments for 'geosearch' command");
  Run({"SET", "s", "x"});
  EXPECT_EQ(err({"GEOSEARCH", "s", "bad", "args", "x", "y", "z"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(err({"GEOPOS", "s", "a"}),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(GeoCmdTest, GeoaddAnnouncesAndPropagatesAZadd) {
  ChangeRecorder rec(h_.keyspace().changes());
  EXPECT_EQ(Str({"GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo"}), "1");
  EXPECT_EQ(rec.events, (std::vector<std::string>{"zadd g"}));
  EXPECT_EQ(rec.propagated, (std::vector<std::string>{"zadd g CH 3479099956230698 Palermo"}));
  rec.Clear();
  EXPECT_EQ(Str({"GEOADD", "g", "13.361389", "38.115556", "Palermo"}), "0");
  EXPECT_TRUE(rec.events.empty());
  EXPECT_TRUE(rec.propagated.empty());
}

TEST_F(GeoCmdTest, LargeSetsSearchTheSameAsSmallOnes) {
  // The same points in a listpack and in a skiplist answer alike.
  std::vector<std::string> argv = {"GEOADD", "big"};
  for (int i = 0; i < 300; ++i) {
    argv.push_back(std::to_string(13 + (i % 30) * 0.05));
    argv.push_back(std::to_string(37 + (i / 30) * 0.1));
    argv.push_back("p" + std::to_string(i));
  }
  ASSERT_EQ(Run(argv).integer, 300);
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "big"}), "skiplist");
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "1000"});
  argv[1] = "small";
  ASSERT_EQ(Run(argv).integer, 300);
  EXPECT_EQ(Str({"OBJECT", "ENCODING", "small"}), "listpack");
  for (const char* radius : {"1", "10", "50", "300"}) {
    EXPECT_EQ(Str({"GEORADIUS", "big", "13.7", "37.5", radius, "km", "WITHDIST", "ASC"}),
              Str({"GEORADIUS", "small", "13.7", "37.5", radius, "km", "WITHDIST", "ASC"}));
  }
  EXPECT_EQ(Run({"GEORADIUS", "big", "13.7", "37.5", "300", "km"}).elements.size(), 300u);
}

}  // namespace
}  // namespace mnemo::test

// sparkline_test.cc: the ASCII charts LATENCY GRAPH draws (tests/unit/base).
#include "mnemo/base/sparkline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mnemo {
namespace {

std::string Render(const std::vector<SparklineSample>& s, size_t columns, int rows) {
  std::string out;
  RenderSparkline(s, columns, rows, out);
  return out;
}

// Values 1..4 over 4 rows: 12 steps over a range of 3, so the steps are 0, 4, 8 and 11 (the top
// one clamped): '_' at the bottom third of a row, 'o' the middle, '#' the top, '|' below.
TEST(SparklineTest, FillStyleAndLabels) {
  const std::vector<SparklineSample> s = {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}};
  EXPECT_EQ(Render(s, 80, 4),
            "   #\n"
            "  #|\n"
            " o||\n"
            "_|||\n"
            "    \n"
            "abcd\n");
}

TEST(SparklineTest, LabelsWriteDownwardsAndBandsSplit) {
  const std::vector<SparklineSample> s = {{0, "10s"}, {10, "9s"}, {5, "1m"}};
  // Two columns per band: the third sample starts a band of its own after an empty line.
  EXPECT_EQ(Render(s, 2, 1),
            "_#\n"
            "  \n"
            "19\n"
            "0s\n"
            "s \n"
            "\n"
            "o\n"
            " \n"
            "1\n"
            "m\n");
}

TEST(SparklineTest, EqualValuesAndNoLabels) {
  const std::vector<SparklineSample> s = {{7, ""}, {7, ""}};
  EXPECT_EQ(Render(s, 80, 2), "  \n__\n");
  EXPECT_EQ(Render({}, 80, 2), "");
}

}  // namespace
}  // namespace mnemo

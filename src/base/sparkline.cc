// sparkline.cc: ASCII charts of a sequence of values (layer: base).
#include "mnemo/base/sparkline.h"

#include <algorithm>
#include <cmath>

namespace mnemo {

namespace {

// The top character of a column within its row, by the third of the row it reaches.
constexpr char kFill[] = {'_', 'o', '#'};
constexpr int kLevels = 3;

}  // namespace

void RenderSparkline(std::span<const SparklineSample> samples, size_t columns, int rows,
                     std::string& out) {
  if (samples.empty()) return;
  double min = samples[0].value;
  double max = samples[0].value;
  bool labels = false;
  for (const SparklineSample& s : samples) {
    min = std::min(min, s.value);
    max = std::max(max, s.value);
    labels = labels || !s.label.empty();
  }
  const double range = max > min ? max - min : 1;
  const int steps = kLevels * rows;
  auto step_of = [&](const SparklineSample& s) {
    const int step = static_cast<int>(std::floor(std::floor((s.value - min) * steps) / range));
    return std::clamp(step, 0, steps - 1);
  };
  for (size_t band = 0; band < samples.size(); band += columns) {
    if (band != 0) out += '\n';
    const std::span<const SparklineSample> cols =
        samples.subspan(band, std::min(columns, samples.size() - band));
    for (int row = 0; row < rows; ++row) {
      for (const SparklineSample& s : cols) {
        // How far this column's step reaches into this row (row 0 is the top).
        const int level = step_of(s) - (rows - row - 1) * kLevels;
        out += level < 0 ? ' ' : level < kLevels ? kFill[level] : '|';
      }
      out += '\n';
    }
    if (!labels) continue;
    out.append(cols.size(), ' ');
    out += '\n';
    for (size_t pos = 0;; ++pos) {
      std::string line(cols.size(), ' ');
      bool any = false;
      for (size_t i = 0; i < cols.size(); ++i) {
        if (pos < cols[i].label.size()) {
          line[i] = cols[i].label[pos];
          any = true;
        }
      }
      if (!any) break;
      out += line;
      out += '\n';
    }
  }
}

}  // namespace mnemo

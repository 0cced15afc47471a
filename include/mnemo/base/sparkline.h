// sparkline.h: a sequence of values drawn as an ASCII chart, one column per value, with a
// label written downwards under each column (layer: base). LATENCY GRAPH draws with it.
//
// The drawing is Redis's (sparkline.c, "fill" style): the value range [min, max] of the whole
// sequence is cut into 3 * rows steps; a column is filled with '|' up to its step, topped by
// '_', 'o' or '#' for the step's third within its row. Columns are laid out `columns` per band;
// bands are separated by an empty line. Under each band: one blank line, then the labels, one
// character per line, as long as any label of the band has characters left.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace mnemo {

struct SparklineSample {
  double value = 0;
  std::string label;
};

// Appends the chart of `samples` to `out`, every line ending in '\n'. REQUIRES: columns > 0,
// rows > 0.
void RenderSparkline(std::span<const SparklineSample> samples, size_t columns, int rows,
                     std::string& out);

}  // namespace mnemo

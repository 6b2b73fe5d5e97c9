// A small SVG line-chart writer (no dependency): axes with ticks, one polyline per series, a legend.
// Used for explanations now and ROC curves later; the output is a complete standalone SVG document.
#pragma once

#include <string>
#include <vector>

namespace oodbench {

struct ChartSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::string color = "#1f77b4";
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  int width = 900;
  int height = 420;

  std::string render() const;
};

}  // namespace oodbench

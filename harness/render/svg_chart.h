// A small SVG line-chart writer (no dependency): axes with ticks, one polyline per series, a legend. The output is a
// complete standalone SVG document; its parts carry classes (plot-area, curve, legend, x-tick, y-tick, diagonal)
// and the plot area its axis ranges as data-* attributes, so tests and scripts can read a chart back.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oodbench {

struct ChartSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::string color = "#000000";
  std::string dash{};  ///< an SVG stroke-dasharray ("6 3"); empty = solid
};

/// An axis range drawn exactly as given (otherwise the data's range widened to whole ticks).
struct AxisRange {
  double low = 0;
  double high = 1;
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
  std::string legend_title{};  ///< a heading over the legend ("detector (AUROC %)"); empty = none
  std::optional<AxisRange> x_range{};
  std::optional<AxisRange> y_range{};
  bool square = false;    ///< a square plot area (side height - 90); the width then follows from it and the legend
  bool diagonal = false;  ///< draw the line y = x (a ROC curve's chance level)
  int width = 900;
  int height = 420;

  std::string render() const;
};

/// `text` with &, <, > and " escaped, for element text and double-quoted attribute values alike.
std::string xml_escape(std::string_view text);

/// Style k of a colour-blind-safe cycle: the 8 Okabe-Ito colours, each with its own dash pattern, so the first 8
/// differ in colour and in dash (also in grey print); later ones repeat a colour with another dash, so the
/// (colour, dash) pairs stay distinct for the first 64.
void style_series(ChartSeries& s, std::size_t k);

}  // namespace oodbench

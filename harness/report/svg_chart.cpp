#include "harness/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace oodbench {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

/// A round step giving about five ticks over [lo, hi].
double tick_step(double lo, double hi) {
  const double raw = (hi - lo) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/// Widens [lo, hi] to whole tick steps, so the axes start and end on labelled ticks.
void widen_to_ticks(double& lo, double& hi) {
  if (!(hi > lo)) lo -= 1, hi += 1;
  const double step = tick_step(lo, hi);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
}

std::vector<double> ticks(double lo, double hi) {
  const double step = tick_step(lo, hi);
  std::vector<double> out;
  for (double t = lo; t <= hi + step * 1e-9; t += step) out.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return out;
}

}  // namespace

std::string LineChart::render() const {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const auto& s : series) {
    for (double v : s.x) x_lo = std::min(x_lo, v), x_hi = std::max(x_hi, v);
    for (double v : s.y) y_lo = std::min(y_lo, v), y_hi = std::max(y_hi, v);
  }
  widen_to_ticks(x_lo, x_hi);
  widen_to_ticks(y_lo, y_hi);
  std::size_t longest_name = 0;  // the legend gets the room its names need
  for (const auto& s : series) longest_name = std::max(longest_name, s.name.size());
  const double legend = 50.0 + 7.0 * static_cast<double>(longest_name);
  const double left = 70, right = width - legend, top = 40, bottom = height - 50.0;
  auto px = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << escape(title)
      << "</text>\n";
  for (double t : ticks(y_lo, y_hi)) {
    svg << "<line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << py(t) << "\" y2=\"" << py(t)
        << "\" stroke=\"#e5e5e5\"/><text x=\"" << left - 6 << "\" y=\"" << py(t) + 4 << "\" text-anchor=\"end\">"
        << number(t) << "</text>\n";
  }
  for (double t : ticks(x_lo, x_hi)) {
    svg << "<text x=\"" << px(t) << "\" y=\"" << bottom + 16 << "\" text-anchor=\"middle\">" << number(t)
        << "</text>\n";
  }
  svg << "<line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << bottom << "\" y2=\"" << bottom
      << "\" stroke=\"black\"/><line x1=\"" << left << "\" x2=\"" << left << "\" y1=\"" << top << "\" y2=\""
      << bottom << "\" stroke=\"black\"/>\n"
      << "<text x=\"" << (left + right) / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">"
      << escape(x_label) << "</text>\n"
      << "<text transform=\"translate(16," << (top + bottom) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escape(y_label) << "</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const ChartSeries& s = series[k];
    svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\" points=\"";
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) svg << px(s.x[i]) << ',' << py(s.y[i]) << ' ';
    svg << "\"/>\n";
    const double ly = top + 18.0 * static_cast<double>(k);
    svg << "<line x1=\"" << right + 12 << "\" x2=\"" << right + 32 << "\" y1=\"" << ly << "\" y2=\"" << ly
        << "\" stroke=\"" << s.color << "\" stroke-width=\"2\"/><text x=\"" << right + 38 << "\" y=\"" << ly + 4
        << "\">" << escape(s.name) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace oodbench

#include "harness/render/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace oodbench {
namespace {

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
AxisRange widen_to_ticks(double lo, double hi) {
  if (!(hi > lo)) lo -= 1, hi += 1;
  const double step = tick_step(lo, hi);
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step};
}

/// The round multiples of the step inside [lo, hi], and both ends (an exact range such as groups 1..32 labels its
/// ends), leaving out a multiple too close to an end to be read apart from it.
std::vector<double> ticks(double lo, double hi) {
  const double step = tick_step(lo, hi), eps = step * 1e-9;
  std::vector<double> out;
  for (double t = std::ceil((lo - eps) / step) * step; t <= hi + eps; t += step) {
    const bool at_end = std::fabs(t - lo) < eps || std::fabs(t - hi) < eps;
    if (at_end || (t - lo > 0.3 * step && hi - t > 0.3 * step)) out.push_back(std::fabs(t) < eps ? 0 : t);
  }
  if (out.empty() || out.front() - lo > eps) out.insert(out.begin(), lo);
  if (hi - out.back() > eps) out.push_back(hi);
  return out;
}

/// The range an axis shows: the one asked for, else the data's range widened to ticks.
AxisRange shown_range(const std::optional<AxisRange>& asked, const std::vector<ChartSeries>& series, bool x) {
  if (asked) return *asked;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : series)
    for (double v : x ? s.x : s.y) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  return widen_to_ticks(lo, hi);
}

}  // namespace

std::string xml_escape(std::string_view text) {
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

void style_series(ChartSeries& s, std::size_t k) {
  // Okabe & Ito (2008), yellow last: it is the faintest on white.
  static const char* colors[] = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442"};
  static const char* dashes[] = {"", "9 4", "2 3", "9 3 2 3", "4 3", "9 3 2 3 2 3", "1 1.5", "16 4"};  // yellow: most ink
  s.color = colors[k % 8];
  s.dash = dashes[(k % 8 + k / 8) % 8];
}

std::string LineChart::render() const {
  const AxisRange xr = shown_range(x_range, series, true), yr = shown_range(y_range, series, false);
  std::size_t longest_name = legend_title.size();  // the legend gets the room its names need
  for (const auto& s : series) longest_name = std::max(longest_name, s.name.size());
  const double legend = 60.0 + 7.0 * static_cast<double>(longest_name);
  const double left = 70, top = 40, bottom = height - 50.0;
  const double title_width = 40.0 + 8.0 * static_cast<double>(title.size());  // about 8 px a character at 15 px
  const double right = square ? left + (bottom - top) : std::max<double>(width, title_width) - legend;
  const double full_width = std::max(right + legend, title_width);
  auto px = [&](double x) { return left + (x - xr.low) / (xr.high - xr.low) * (right - left); };
  auto py = [&](double y) { return bottom - (y - yr.low) / (yr.high - yr.low) * (bottom - top); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << full_width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << full_width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(title)
      << "</text>\n";
  for (double t : ticks(yr.low, yr.high)) {
    svg << "<line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << py(t) << "\" y2=\"" << py(t)
        << "\" stroke=\"#e5e5e5\"/><text class=\"y-tick\" x=\"" << left - 6 << "\" y=\"" << py(t) + 4
        << "\" text-anchor=\"end\">" << number(t) << "</text>\n";
  }
  for (double t : ticks(xr.low, xr.high)) {
    svg << "<line x1=\"" << px(t) << "\" x2=\"" << px(t) << "\" y1=\"" << bottom << "\" y2=\"" << bottom + 4
        << "\" stroke=\"black\"/><text class=\"x-tick\" x=\"" << px(t) << "\" y=\"" << bottom + 17
        << "\" text-anchor=\"middle\">" << number(t) << "</text>\n";
  }
  svg << "<rect class=\"plot-area\" x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left
      << "\" height=\"" << bottom - top << "\" data-x-min=\"" << xr.low << "\" data-x-max=\"" << xr.high
      << "\" data-y-min=\"" << yr.low << "\" data-y-max=\"" << yr.high << "\" fill=\"none\" stroke=\"black\"/>\n"
      << "<text x=\"" << (left + right) / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">"
      << xml_escape(x_label) << "</text>\n"
      << "<text transform=\"translate(16," << (top + bottom) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << xml_escape(y_label) << "</text>\n";
  if (diagonal) {
    const double lo = std::max(xr.low, yr.low), hi = std::min(xr.high, yr.high);
    svg << "<line class=\"diagonal\" x1=\"" << px(lo) << "\" y1=\"" << py(lo) << "\" x2=\"" << px(hi) << "\" y2=\""
        << py(hi) << "\" stroke=\"#999999\" stroke-dasharray=\"3 3\"/>\n";
  }
  const double legend_top = legend_title.empty() ? top : top + 20;
  if (!legend_title.empty())
    svg << "<text x=\"" << right + 12 << "\" y=\"" << top + 4 << "\" font-weight=\"bold\">" << xml_escape(legend_title)
        << "</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const ChartSeries& s = series[k];
    const std::string stroke = "stroke=\"" + s.color + "\"" +
                               (s.dash.empty() ? std::string() : " stroke-dasharray=\"" + s.dash + "\"");
    svg << "<polyline class=\"curve\" data-name=\"" << xml_escape(s.name) << "\" fill=\"none\" " << stroke
        << " stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) svg << px(s.x[i]) << ',' << py(s.y[i]) << ' ';
    svg << "\"/>\n";
    const double ly = legend_top + 18.0 * static_cast<double>(k);
    svg << "<line x1=\"" << right + 12 << "\" x2=\"" << right + 42 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" "
        << stroke << " stroke-width=\"2\"/><text class=\"legend\" x=\"" << right + 48 << "\" y=\"" << ly + 4 << "\">"
        << xml_escape(s.name) << "</text>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace oodbench

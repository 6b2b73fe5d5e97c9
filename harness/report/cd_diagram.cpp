#include "harness/report/cd_diagram.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "harness/render/svg_chart.h"

namespace oodbench {

std::vector<std::pair<std::size_t, std::size_t>> rank_cliques(const std::vector<double>& sorted_ranks, double cd) {
  std::vector<std::pair<std::size_t, std::size_t>> cliques;
  std::size_t reached = 0;  // a run must reach past the last one's end, else it lies inside it
  for (std::size_t i = 0; i < sorted_ranks.size(); ++i) {
    std::size_t last = i;
    while (last + 1 < sorted_ranks.size() && sorted_ranks[last + 1] - sorted_ranks[i] < cd) ++last;
    if (last > i && (cliques.empty() || last > reached)) {
      cliques.emplace_back(i, last);
      reached = last;
    }
  }
  return cliques;
}

std::string CriticalDifferenceDiagram::render() const {
  const std::size_t k = labels.size();
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return average_rank[a] < average_rank[b]; });
  std::vector<double> sorted;
  for (std::size_t i : order) sorted.push_back(average_rank[i]);
  const auto cliques = rank_cliques(sorted, critical_difference);

  std::size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  const double text = 7.0 * static_cast<double>(longest) + 60;  // room for the labels on either side
  const double left = text, right = left + std::max(360.0, 60.0 * static_cast<double>(k)), width = right + text;
  const double axis_y = 80, line_gap = 20;
  const std::size_t left_count = (k + 1) / 2;  // the better half is labelled on the left
  const double bars_bottom = axis_y + 14 + 8.0 * static_cast<double>(cliques.size());
  const double height = bars_bottom + line_gap * static_cast<double>(left_count) + 30;
  const double low = 1, high = static_cast<double>(std::max<std::size_t>(k, 2));
  auto px = [&](double rank) { return left + (rank - low) / (high - low) * (right - left); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(title)
      << "</text>\n";
  svg << "<line class=\"rank-axis\" data-low=\"" << low << "\" data-high=\"" << high << "\" x1=\"" << px(low)
      << "\" x2=\"" << px(high) << "\" y1=\"" << axis_y << "\" y2=\"" << axis_y << "\" stroke=\"black\"/>\n";
  for (std::size_t r = 1; r <= static_cast<std::size_t>(high); ++r) {
    const double x = px(static_cast<double>(r));
    svg << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << axis_y - 5 << "\" y2=\"" << axis_y
        << "\" stroke=\"black\"/><text x=\"" << x << "\" y=\"" << axis_y - 9 << "\" text-anchor=\"middle\">" << r
        << "</text>\n";
  }
  if (critical_difference > 0 && std::isfinite(critical_difference)) {
    const double x1 = px(low), x2 = px(std::min(high, low + critical_difference));
    svg << "<line class=\"cd-bar\" data-cd=\"" << critical_difference << "\" x1=\"" << x1 << "\" x2=\"" << x2
        << "\" y1=\"42\" y2=\"42\" stroke=\"black\" stroke-width=\"2\"/><text x=\"" << (x1 + x2) / 2
        << "\" y=\"36\" text-anchor=\"middle\">CD = " << std::round(critical_difference * 1000) / 1000 << "</text>\n";
  }
  for (std::size_t c = 0; c < cliques.size(); ++c) {
    const double y = axis_y + 10 + 8.0 * static_cast<double>(c);
    svg << "<line class=\"clique\" data-first=\"" << cliques[c].first + 1 << "\" data-last=\"" << cliques[c].second + 1
        << "\" x1=\"" << px(sorted[cliques[c].first]) - 3 << "\" x2=\"" << px(sorted[cliques[c].second]) + 3
        << "\" y1=\"" << y << "\" y2=\"" << y << "\" stroke=\"black\" stroke-width=\"4\"/>\n";
  }
  for (std::size_t p = 0; p < k; ++p) {
    const std::size_t i = order[p];
    const bool on_left = p < left_count;
    const std::size_t line = on_left ? p : k - 1 - p;  // the outermost ranks get the lowest lines
    const double x = px(average_rank[i]), y = bars_bottom + line_gap * static_cast<double>(line + 1);
    const double end = on_left ? left - 10 : right + 10;
    svg << "<g class=\"method\" data-name=\"" << xml_escape(labels[i]) << "\" data-rank=\"" << average_rank[i]
        << "\"><polyline fill=\"none\" stroke=\"black\" points=\"" << x << ',' << axis_y << ' ' << x << ',' << y
        << ' ' << end << ',' << y << "\"/><text x=\"" << (on_left ? end - 4 : end + 4) << "\" y=\"" << y + 4
        << "\" text-anchor=\"" << (on_left ? "end" : "start") << "\">" << xml_escape(labels[i]) << " ("
        << std::round(average_rank[i] * 100) / 100 << ")</text></g>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace oodbench

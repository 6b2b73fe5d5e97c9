#include "harness/report/sweep_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "harness/render/svg_chart.h"
#include "harness/sweep/file_names.h"

namespace oodbench {
namespace {

using Plots = std::vector<std::pair<std::string, std::string>>;
/// One dataset's plotted records: (plan rank, label) -> the record of its lowest seed.
using ByLabel = std::map<std::pair<std::size_t, std::string>, const CellRecord*>;

/// A chart tall enough for its legend.
LineChart chart(std::string title, std::string x_label, std::string y_label, std::size_t series) {
  LineChart c;
  c.title = std::move(title);
  c.x_label = std::move(x_label);
  c.y_label = std::move(y_label);
  c.width = 980;
  c.height = std::max(420, 110 + 18 * static_cast<int>(series));
  return c;
}

void add_series(LineChart& c, std::string name, std::vector<double> x, std::vector<double> y) {
  ChartSeries s{std::move(name), std::move(x), std::move(y)};
  style_series(s, c.series.size());
  c.series.push_back(std::move(s));
}

std::vector<double> fractions(const std::vector<std::uint64_t>& counts) {
  std::vector<double> out;
  double total = 0;
  for (std::uint64_t c : counts) total += static_cast<double>(c);
  for (std::uint64_t c : counts) out.push_back(total > 0 ? static_cast<double>(c) / total : 0.0);
  return out;
}

std::string percent(double v) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f", v * 100);
  return out;
}

/// The ROC panels of OOD set j: curves sorted by AUROC, cut into near-equal panels of at most kCurvesPerPanel.
void roc_panels(Plots& plots, const std::string& dataset, const ByLabel& by_label, std::size_t j) {
  std::vector<std::pair<std::string, const OodSetRecord*>> curves;  // (label, its entry for set j), plan order
  for (const auto& [label_key, r] : by_label)
    if (j < r->ood.size()) curves.emplace_back(label_key.second, &r->ood[j]);
  if (curves.empty()) return;
  std::stable_sort(curves.begin(), curves.end(), [](const auto& a, const auto& b) {
    return a.second->metrics.at("auroc") > b.second->metrics.at("auroc");
  });
  const OodSetRecord& set = *curves.front().second;
  const std::size_t points = set.roc_tpr.size();
  std::vector<double> grid;
  for (std::size_t k = 0; k < points; ++k) grid.push_back(static_cast<double>(k) / static_cast<double>(points - 1));

  const std::size_t panels = (curves.size() + kCurvesPerPanel - 1) / kCurvesPerPanel;
  const std::size_t per_panel = (curves.size() + panels - 1) / panels;
  for (std::size_t p = 0; p < panels; ++p) {
    const std::size_t first = p * per_panel, last = std::min(curves.size(), first + per_panel);
    std::string title = "ROC, " + dataset + " ID vs " + set.name + " (" + set.shift + " shift), OOD positive";
    if (panels > 1)
      title += "; panel " + std::to_string(p + 1) + "/" + std::to_string(panels) + ", AUROC ranks " +
               std::to_string(first + 1) + "-" + std::to_string(last);
    LineChart roc = chart(title, "false positive rate (ID flagged)", "true positive rate (OOD flagged)", 0);
    roc.height = 560;
    roc.square = roc.diagonal = true;
    roc.x_range = roc.y_range = AxisRange{0, 1};
    roc.legend_title = "detector (AUROC %)";
    for (std::size_t k = first; k < last; ++k)
      add_series(roc, curves[k].first + " (" + percent(curves[k].second->metrics.at("auroc")) + ")", grid,
                 curves[k].second->roc_tpr);
    plots.emplace_back("roc_" + file_name_part(dataset) + "_" + file_name_part(set.name) +
                           "_p" + std::to_string(p + 1) + ".svg",
                       roc.render());
  }
}

/// Selective risk against coverage on the ID test set, one curve per detector (sorted by AURC, best first): the
/// records' failure risk_coverage, the risk at coverage k / points for k = 1..points.
void risk_coverage(Plots& plots, const std::string& dataset, const ByLabel& by_label) {
  std::vector<std::pair<std::string, const FailureEntry*>> curves;  // (label, its ID test failure entry), plan order
  for (const auto& [label_key, r] : by_label)
    if (r->failure && r->failure->id_test) curves.emplace_back(label_key.second, &*r->failure->id_test);
  if (curves.empty()) return;
  std::stable_sort(curves.begin(), curves.end(), [](const auto& a, const auto& b) {
    return a.second->metrics.at("aurc") < b.second->metrics.at("aurc");
  });
  const std::size_t points = curves.front().second->risk_coverage.size();
  std::vector<double> grid;
  for (std::size_t k = 1; k <= points; ++k) grid.push_back(static_cast<double>(k) / static_cast<double>(points));
  const FailureEntry& first = *curves.front().second;
  LineChart plot = chart("Selective risk, " + dataset + " ID test (" + std::to_string(first.errors) +
                             " errors in " + std::to_string(first.n) +
                             " rows), accepting the lowest scores first",
                         "coverage (fraction of rows accepted)", "selective risk (error rate among accepted)",
                         curves.size());
  plot.x_range = AxisRange{0, 1};
  plot.legend_title = "detector (AURC %)";
  for (const auto& [label, entry] : curves)
    add_series(plot, label + " (" + percent(entry->metrics.at("aurc")) + ")", grid, entry->risk_coverage);
  plots.emplace_back("risk_coverage_" + file_name_part(dataset) + ".svg", plot.render());
}

/// ID vs OOD score histograms of one record, on the axis its histogram_axis gives.
std::string histogram(const std::string& dataset, const std::string& label, const CellRecord& r) {
  const HistogramAxisRecord& axis = r.histogram_axis;
  const double low = axis.low, high = axis.high;
  const std::size_t bins = r.id_test.histogram.size();
  std::vector<double> centers;
  for (std::size_t b = 0; b < bins; ++b)
    centers.push_back(low + (static_cast<double>(b) + 0.5) * (high - low) / static_cast<double>(bins));
  const bool log10 = axis.scale == "log10";
  LineChart hist = chart("Scores of " + label + ", " + dataset + " (end bins hold the 1 % extremes)",
                         log10 ? "log10(score), one axis for all sets (higher = more OOD)"
                               : "score, one axis for all sets (higher = more OOD)",
                         "fraction of the set", 1 + r.ood.size());
  if (high > low) hist.x_range = AxisRange{low, high};
  add_series(hist, "ID test", centers, fractions(r.id_test.histogram));
  for (const OodSetRecord& o : r.ood) add_series(hist, o.name, centers, fractions(o.histogram));
  return hist.render();
}

/// MaRS's residual spectrum of one record: log10 OOD/ID energy per eigen-direction group 1..G.
std::string spectrum(const std::string& dataset, const std::string& label, const CellRecord& r) {
  LineChart plot = chart("Residual spectrum of " + label + ", " + dataset,
                         "eigen-direction group of the ID residual covariance (largest variance first)",
                         "log10 OOD / ID residual energy", r.ood.size());
  std::size_t groups = 1;
  for (const OodSetRecord& o : r.ood) {
    std::vector<double> x, y;
    const std::vector<double>& ratio = o.spectrum->energy_ratio;
    for (std::size_t b = 0; b < ratio.size(); ++b) {
      x.push_back(static_cast<double>(b + 1));
      y.push_back(std::log10(std::max(ratio[b], 1e-12)));
    }
    groups = std::max(groups, ratio.size());
    add_series(plot, o.name, x, y);
  }
  plot.x_range = AxisRange{1, static_cast<double>(std::max<std::size_t>(groups, 2))};
  return plot.render();
}

}  // namespace

Plots sweep_plots(const std::vector<CellRecord>& records) {
  // Per dataset, per label: the record of the lowest seed, in plan order.
  std::map<std::pair<std::size_t, std::string>, ByLabel> chosen;
  for (const CellRecord& r : records) {
    auto& slot = chosen[{r.rank.dataset, r.dataset.name}][{r.rank.detector, r.label}];
    const std::int64_t seed = r.seed.value_or(-1);
    if (!slot || seed < slot->seed.value_or(-1)) slot = &r;
  }
  std::set<std::string> labels;
  for (const CellRecord& r : records) labels.insert(r.label);
  const std::map<std::string, std::string> label_parts = label_file_parts(labels);
  Plots plots;
  for (const auto& [dataset_key, by_label] : chosen) {
    const std::string& dataset = dataset_key.second;
    std::size_t sets = 0;
    for (const auto& [label_key, r] : by_label) sets = std::max(sets, r->ood.size());
    for (std::size_t j = 0; j < sets; ++j) roc_panels(plots, dataset, by_label, j);
    risk_coverage(plots, dataset, by_label);

    for (const auto& [label_key, r] : by_label) {
      const std::string stem = file_name_part(dataset) + "_" + label_parts.at(label_key.second) + ".svg";
      plots.emplace_back("hist_" + stem, histogram(dataset, label_key.second, *r));
      if (!r->ood.empty() && r->ood[0].spectrum) plots.emplace_back("spectrum_" + stem, spectrum(dataset, label_key.second, *r));
    }
  }
  return plots;
}

}  // namespace oodbench

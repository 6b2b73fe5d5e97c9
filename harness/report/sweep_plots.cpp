#include "harness/report/sweep_plots.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "harness/report/file_names.h"
#include "harness/report/svg_chart.h"

namespace oodbench {
namespace {

using nlohmann::json;

const char* color(std::size_t k) {
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                  "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                  "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
  return palette[k % (sizeof palette / sizeof *palette)];
}

/// A chart tall enough for its legend.
LineChart chart(std::string title, std::string x_label, std::string y_label, std::size_t series) {
  LineChart c;
  c.title = std::move(title);
  c.x_label = std::move(x_label);
  c.y_label = std::move(y_label);
  c.width = 980;
  c.height = std::max(420, 90 + 18 * static_cast<int>(series));
  return c;
}

std::vector<double> fractions(const json& counts) {
  std::vector<double> out;
  double total = 0;
  for (const json& c : counts) total += c.get<double>();
  for (const json& c : counts) out.push_back(total > 0 ? c.get<double>() / total : 0.0);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> sweep_plots(const std::vector<json>& records) {
  // Per dataset, per label: the record of the lowest seed, in plan order.
  std::map<std::pair<std::size_t, std::string>, std::map<std::pair<std::size_t, std::string>, const json*>> chosen;
  for (const json& r : records) {
    auto& slot = chosen[{r["rank"]["dataset"].get<std::size_t>(), r["dataset"]["name"].get<std::string>()}]
                       [{r["rank"]["detector"].get<std::size_t>(), r["label"].get<std::string>()}];
    const long seed = r["seed"].is_null() ? -1 : r["seed"].get<long>();
    if (!slot || seed < ((*slot)["seed"].is_null() ? -1 : (*slot)["seed"].get<long>())) slot = &r;
  }
  std::vector<std::pair<std::string, std::string>> plots;
  for (const auto& [dataset_key, by_label] : chosen) {
    const std::string& dataset = dataset_key.second;
    const json& any = *by_label.begin()->second;
    std::vector<double> grid;
    for (std::size_t k = 0; k < any["ood"][0]["roc_tpr"].size(); ++k)
      grid.push_back(static_cast<double>(k) / static_cast<double>(any["ood"][0]["roc_tpr"].size() - 1));

    for (std::size_t j = 0; j < any["ood"].size(); ++j) {
      const std::string set = any["ood"][j]["name"].get<std::string>();
      LineChart roc = chart("ROC, " + dataset + " ID vs " + set + " (" + any["ood"][j]["shift"].get<std::string>() +
                                " shift), OOD positive",
                            "false positive rate (ID flagged)", "true positive rate (OOD flagged)", by_label.size());
      for (const auto& [label_key, r] : by_label) {
        if (j >= (*r)["ood"].size()) continue;
        roc.series.push_back({label_key.second, grid, (*r)["ood"][j]["roc_tpr"].get<std::vector<double>>(),
                              color(roc.series.size())});
      }
      plots.emplace_back("roc_" + file_name_part(dataset) + "_" + file_name_part(set) + ".svg", roc.render());
    }

    for (const auto& [label_key, r] : by_label) {
      const json& axis = (*r)["histogram_axis"];
      const double low = axis["low"].get<double>(), high = axis["high"].get<double>();
      const std::size_t bins = (*r)["id_test"]["histogram"].size();
      std::vector<double> centers;
      for (std::size_t b = 0; b < bins; ++b)
        centers.push_back(low + (static_cast<double>(b) + 0.5) * (high - low) / static_cast<double>(bins));
      const bool log10 = axis["scale"] == "log10";
      LineChart hist = chart("Scores of " + label_key.second + ", " + dataset + " (end bins hold the 1 % extremes)",
                             log10 ? "log10 score (higher = more OOD)" : "score (higher = more OOD)",
                             "fraction of the set", 1 + (*r)["ood"].size());
      hist.series.push_back({"ID test", centers, fractions((*r)["id_test"]["histogram"]), "#000000"});
      for (const json& o : (*r)["ood"])
        hist.series.push_back({o["name"].get<std::string>(), centers, fractions(o["histogram"]), color(hist.series.size() - 1)});
      plots.emplace_back("hist_" + file_name_part(dataset) + "_" + file_name_part(label_key.second) + ".svg", hist.render());

      if (!(*r)["ood"][0].contains("spectrum")) continue;
      LineChart spectrum = chart("Residual spectrum of " + label_key.second + ", " + dataset,
                                 "eigen-direction group of the ID residual covariance (largest variance first)",
                                 "log10 OOD / ID residual energy", (*r)["ood"].size());
      for (const json& o : (*r)["ood"]) {
        std::vector<double> x, y;
        const auto ratio = o["spectrum"]["energy_ratio"].get<std::vector<double>>();
        for (std::size_t b = 0; b < ratio.size(); ++b) {
          x.push_back(static_cast<double>(b + 1));
          y.push_back(std::log10(std::max(ratio[b], 1e-12)));
        }
        spectrum.series.push_back({o["name"].get<std::string>(), x, y, color(spectrum.series.size())});
      }
      plots.emplace_back("spectrum_" + file_name_part(dataset) + "_" + file_name_part(label_key.second) + ".svg",
                         spectrum.render());
    }
  }
  return plots;
}

}  // namespace oodbench

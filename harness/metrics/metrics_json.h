// OodMetrics as JSON (fractions, full precision): the one spelling of metric names in eval output and sweep records.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/metrics/ood_metrics.h"

namespace oodbench {

inline nlohmann::json metrics_json(const OodMetrics& m) {
  return {{"auroc", m.auroc},
          {"fpr95", m.fpr95},
          {"fpr95_ood_positive", m.fpr95_ood_positive},
          {"aupr_in", m.aupr_in},
          {"aupr_out", m.aupr_out},
          {"aupr_in_trapz", m.aupr_in_trapz},
          {"aupr_out_trapz", m.aupr_out_trapz}};
}

/// The document of `oodbench eval --json` (and Python's `oodbench.evaluate`): the metrics of each OOD set's scores
/// against the ID scores, with the set sizes.
inline nlohmann::json evaluation_json(const std::string& id_name, const std::vector<double>& id_scores,
                                      const std::vector<std::pair<std::string, std::vector<double>>>& ood_sets,
                                      const Backend& backend) {
  nlohmann::json out = {{"id", id_name}, {"device", backend.description()}, {"ood", nlohmann::json::array()}};
  for (const auto& [name, scores] : ood_sets) {
    const OodMetrics m = compute_ood_metrics(id_scores, scores, backend, id_name, name);
    nlohmann::json entry = metrics_json(m);
    entry["n_id"] = m.n_id;
    entry["n_ood"] = m.n_ood;
    entry["name"] = name;
    out["ood"].push_back(std::move(entry));
  }
  return out;
}

}  // namespace oodbench

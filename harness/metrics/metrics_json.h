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

}  // namespace oodbench

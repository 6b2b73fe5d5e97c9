// Regression checks of a run against golden numbers (results/baselines/*.json). A baseline lists metric values per
// (dataset, detector label, seed, OOD set), not per cell id, so that it survives changes that do not move numbers
// (a new default parameter, a renamed file). Tolerances are absolute, on fractions (0.001 = 0.1 AUROC points), with
// a default and optional per-detector values (autoencoders depend on floating-point summation order across CPUs).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/cell_record.h"

namespace oodbench {

/// Tolerances given on the command line: they replace the default and add to or replace per-detector entries.
struct ToleranceOverrides {
  std::optional<double> default_value;
  std::map<std::string, double> per_detector;
};

struct Tolerances {
  double default_value = 1e-6;
  std::map<std::string, double> per_detector;  ///< by detector name (e.g. "mars"), applies to all its labels
  double for_detector(const std::string& detector) const;
  void apply(const ToleranceOverrides& overrides);
};

/// One compared number.
struct MetricChange {
  std::string dataset, label, seed, ood, metric;
  std::optional<double> baseline, now;  ///< absent: missing on that side
  double tolerance = 0;
  bool drifted() const;
};

/// A baseline document from the records of a run: every metric of every record, with `tolerances`.
nlohmann::json make_baseline(const std::vector<CellRecord>& records, const Tolerances& tolerances);

/// Compares records with a baseline document, its tolerances updated by `overrides`. Returns every number that
/// moved or went missing. Malformed baselines are InputErrors naming `source`.
std::vector<MetricChange> compare_with_baseline(const std::vector<CellRecord>& records,
                                                const nlohmann::json& baseline, const std::string& source,
                                                const ToleranceOverrides& overrides);

}  // namespace oodbench

// Failure detection (selective classification): how well an outlier score also ranks the head's own mistakes
// (docs/methods.md, "Failure detection"). Confidence = -score; samples are accepted most confident first, a group of
// equal scores at once. Everything comes from one sort into tie groups, as RankedScores does for the OOD metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/backend.h"

namespace oodbench {

struct FailureMetrics {
  double aurc = 0;      ///< Σ_groups (size / n) · e_k / k: the area under the selective-risk-coverage curve
  double eaurc = 0;     ///< aurc minus the AURC of the ideal ranking (every error least confident)
  double augrc = 0;     ///< Σ_groups (size / n) · e_k / n: the area under the generalised-risk-coverage curve
  double accuracy = 0;  ///< the head's accuracy on these rows, 1 - e / n
  std::size_t n = 0;
  std::size_t errors = 0;
};

/// One failure metric: its name in records, configs and JSON, where FailureMetrics keeps it, its direction, and how
/// tables title it.
struct FailureField {
  std::string_view name;
  double FailureMetrics::*value;
  bool higher_is_better;
  std::string_view title;
};
/// Every failure metric, in the order tables and JSON list them.
std::span<const FailureField> failure_fields();
/// The field called `name`, or null.
const FailureField* find_failure_field(std::string_view name);

/// The AURC of the ideal ranking of n samples with e errors: (1/n) Σ_{k=1..n} max(0, k - (n - e)) / k.
double ideal_aurc(std::size_t n, std::size_t errors);

/// Percentile-bootstrap 95 % intervals of every failure metric.
struct FailureIntervals {
  FailureMetrics low, high;
};

/// The selective-risk-coverage curve: after each tie group, the fraction accepted and the error rate among them.
struct RiskCoverageCurve {
  std::vector<double> coverage;  ///< ascending, ending at 1
  std::vector<double> risk;      ///< e_k / k at that coverage
};

/// Scores of rows the head classified, with whether it classified each correctly, sorted once into tie groups.
/// Scores must be finite (an InputError naming `name` and the row otherwise) and non-empty.
class RankedFailures {
 public:
  RankedFailures(std::span<const double> scores, const std::vector<bool>& correct, const Backend& backend,
                 const std::string& name = "scores");

  FailureMetrics metrics() const;
  RiskCoverageCurve risk_coverage() const;
  /// Rows resampled with replacement `resamples` times from `seed`; O(n) per resample (no sort).
  FailureIntervals bootstrap(std::size_t resamples, std::uint64_t seed) const;

 private:
  struct Group {
    std::uint64_t rows = 0, errors = 0;
  };
  std::vector<Group> groups_;            ///< most confident (lowest score) first
  std::vector<std::uint32_t> group_of_;  ///< each row's group
  std::vector<bool> correct_;
};

/// The metrics alone: RankedFailures(...).metrics().
FailureMetrics compute_failure_metrics(std::span<const double> scores, const std::vector<bool>& correct,
                                       const Backend& backend, const std::string& name = "scores");

}  // namespace oodbench

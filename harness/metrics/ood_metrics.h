// OOD detection metrics, exactly as docs/methods.md defines them (scikit-learn's definitions, reproduced to 1e-9).
// Scores are outlier scores: higher = more OOD. Everything comes from one sort: O(n log n), exact with ties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/backend.h"

namespace oodbench {

struct OodMetrics {
  double auroc = 0;               ///< P(s_out > s_in) + 1/2 P(s_out = s_in); roc_auc_score(is_ood, s)
  double fpr95 = 0;               ///< primary, ID positive: OOD accepted as ID at 95 % ID TPR; roc_curve(is_id, -s)
  double fpr95_ood_positive = 0;  ///< OpenOOD's: ID flagged at 95 % OOD TPR; roc_curve(is_ood, s)
  double aupr_in = 0;             ///< average_precision_score(is_id, -s)
  double aupr_out = 0;            ///< average_precision_score(is_ood, s)
  double aupr_in_trapz = 0;       ///< OpenOOD's trapezoid: auc(recall, precision) of precision_recall_curve(is_id, -s)
  double aupr_out_trapz = 0;      ///< the same with OOD positive
  double detection_error = 0;     ///< min over thresholds of 1/2 (1 - TPR) + 1/2 FPR (OOD positive; 0.5 at worst)
  std::size_t n_id = 0;
  std::size_t n_ood = 0;
};

/// One metric: its name in records, configs and JSON, where OodMetrics keeps it, its direction, and how tables
/// title it.
struct MetricField {
  std::string_view name;
  double OodMetrics::*value;
  bool higher_is_better;
  std::string_view title;
};
/// Every metric, in the order tables and JSON list them: the one spelling of metric names.
std::span<const MetricField> metric_fields();
/// The field called `name`; an InputError listing the names otherwise.
const MetricField& metric_field(std::string_view name);

/// How many times each ID and each OOD row is drawn in one bootstrap replicate (every count 0 or more).
struct ResampleCounts {
  std::vector<std::uint32_t> id, ood;
};

/// Percentile-bootstrap 95 % intervals of every metric.
struct MetricIntervals {
  OodMetrics low;   ///< 2.5th percentiles
  OodMetrics high;  ///< 97.5th percentiles
};

/// ID test scores against OOD test scores, sorted once into tie groups: the metrics, the ROC samples and the
/// bootstrap all come from that one sort. Both sets must be non-empty and finite; a non-finite score is an
/// InputError naming `id_name` or `ood_name` and the row.
class RankedScores {
 public:
  /// Samples sharing one score value: how many are ID and how many OOD.
  struct TieGroup {
    std::uint64_t id = 0;
    std::uint64_t ood = 0;
  };

  RankedScores(std::span<const double> id_scores, std::span<const double> ood_scores, const Backend& backend,
               const std::string& id_name = "ID scores", const std::string& ood_name = "OOD scores");

  OodMetrics metrics() const;
  /// The ROC curve with OOD positive, sampled on `points` false-positive rates 0, 1/(points-1), ..., 1: the highest
  /// true-positive rate reached at or below each (what a plotted ROC step curve shows there).
  std::vector<double> roc_tpr_on_grid(std::size_t points = 101) const;
  /// Percentile bootstrap (docs/methods.md): ID and OOD scores resampled independently with replacement, `resamples`
  /// times, from `seed`. Each resample costs O(n), not a sort: it only recounts the tie groups.
  MetricIntervals bootstrap(std::size_t resamples, std::uint64_t seed) const;
  /// The metrics of one resample given as row counts (paired bootstraps draw them once for several detectors):
  /// O(n), no sort.
  OodMetrics metrics(const ResampleCounts& counts) const;
  /// One metric of one resample: only the pass over the tie groups that computes it.
  double metric(const ResampleCounts& counts, const MetricField& field) const;
  std::size_t id_rows() const { return n_id_; }
  std::size_t ood_rows() const { return n_ood_; }

 private:
  std::size_t n_id_ = 0, n_ood_ = 0;
  std::vector<TieGroup> groups_;          ///< ascending score order
  std::vector<std::uint32_t> group_of_;   ///< the group of each input score, ID scores first

  std::vector<TieGroup> resampled_groups(const ResampleCounts& counts) const;
};

/// OpenOOD's CCR@FPR (correct classification rate): with the threshold t at the ⌈fpr · n_ood⌉-th lowest OOD score,
/// the fraction of all ID rows that score below t (accepted) and are classified correctly (`id_correct`).
double ccr_at_fpr(std::span<const double> id_scores, const std::vector<bool>& id_correct,
                  std::span<const double> ood_scores, double fpr);
/// The false-positive rates OpenOOD reports CCR at, with their names in records.
struct CcrRate {
  double rate;
  const char* name;
};
inline constexpr CcrRate kCcrRates[] = {{1e-4, "1e-4"}, {1e-3, "1e-3"}, {1e-2, "1e-2"}, {1e-1, "1e-1"}};

/// The metrics alone: RankedScores(...).metrics().
inline OodMetrics compute_ood_metrics(std::span<const double> id_scores, std::span<const double> ood_scores,
                                      const Backend& backend, const std::string& id_name = "ID scores",
                                      const std::string& ood_name = "OOD scores") {
  return RankedScores(id_scores, ood_scores, backend, id_name, ood_name).metrics();
}

}  // namespace oodbench

// Paired tests on a result folder's kept per-sample scores: `oodbench compare DIR A B` (A − B per dataset, OOD set and
// metric, with a paired bootstrap interval and p-value) and the tables' "not significantly worse than the best" marks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/report/results_table.h"

namespace oodbench {

struct PairedTestOptions {
  std::size_t resamples = 1000;
  std::uint64_t seed = 0;
  std::vector<std::string> metrics = {"auroc", "fpr95"};
  bool holm = false;  ///< the † marks Holm-corrected over each column's comparisons (a config's tables.correction)
};

/// A − B (table labels) on every dataset both ran on: per OOD set, and averaged over all sets, for every metric:
/// {"diff", "ci95_low", "ci95_high", "p_value", "a", "b"}, plus the per-seed differences when both are seeded.
/// A label may also be a grid entry's base label ("knn") when exactly one row of the folder has it ("knn (k=10,
/// selected)"). Needs the records' kept scores ("keep_scores": true); anything missing is an InputError saying what
/// to do.
nlohmann::json compare_detectors(const std::filesystem::path& dir, const std::vector<CellRecord>& records,
                                 const std::string& a, const std::string& b, const PairedTestOptions& options);

/// One detector's scores held in memory (Python's compare_scores, `oodbench compare --id --ood`): its ID test scores
/// and each OOD set's, in order.
struct ScoreArrays {
  std::vector<double> id;
  std::vector<std::vector<double>> ood;
};

/// A − B on scores given directly, every OOD set named in `sets` (and "all", their mean, when there are several):
/// {"resamples", "seed", "dataset", "test", "sets": [{"name", "metrics": {metric: {"diff", ...}}}]}. The resamples
/// are those `compare_detectors` draws for a dataset named `dataset`, so on the scores a sweep kept for that dataset
/// (one run each) the numbers are the same. A and B must score the same rows; anything else is an InputError.
nlohmann::json compare_score_arrays(const ScoreArrays& a, const ScoreArrays& b, const std::vector<std::string>& sets,
                                    const std::string& dataset, const PairedTestOptions& options);

/// The † decision of one column: for each cell compared with the column's best (its two-sided paired p-value),
/// whether it is not significantly worse: p >= alpha, with p Holm-adjusted over the column's comparisons when `holm`
/// (holm_adjusted, harness/metrics/rank_statistics.h), else as it is.
std::vector<bool> not_significantly_worse(std::span<const double> p_values, bool holm, double alpha = 0.05);

/// Marks, in every dataset table of `tables`, the cells not significantly worse than their column's best (paired
/// bootstrap, two-sided, not_significantly_worse with `options.holm`), when every record of the dataset kept its
/// scores. Returns the datasets it could not mark, with why.
std::vector<std::string> mark_near_best(std::vector<ResultTable>& tables, const std::filesystem::path& dir,
                                        const std::vector<CellRecord>& records, const PairedTestOptions& options);

}  // namespace oodbench

// Paper-style result tables built from sweep records alone: rows detectors, columns OOD sets grouped by shift type
// with per-group and overall averages, each cell the mean ± sample std (ddof = 1) over seeds, the best per column
// marked. One table per dataset (modality x backbone) and metric, and a backbone-scale summary per modality.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/sweep/cell_record.h"

namespace oodbench {

struct TableCell {
  bool present = false;
  double mean = 0;
  std::optional<double> std;                       ///< over seeds; absent for a single value
  std::size_t n = 0;                               ///< values averaged (seeds)
  std::optional<std::pair<double, double>> ci95;   ///< bootstrap interval, mean of the per-seed bounds
  bool best = false;                               ///< best (rounded) value of its column
  bool near_best = false;  ///< not best, but not significantly worse than the best (paired bootstrap, 5 %)
};

struct TableColumn {
  std::string group;  ///< shift type, or "all"
  std::string name;   ///< OOD set, "avg", or a backbone (scale summary)
};

struct ResultTable {
  std::string slug;   ///< file name stem, e.g. "chestxray_mobilenet_v2_auroc"
  std::string dataset;  ///< the dataset ("chestxray/mobilenet_v2") of a per-dataset table; empty for summaries
  std::string title;
  std::string metric;
  bool higher_is_better = true;
  std::vector<TableColumn> columns;
  std::vector<std::string> rows;                ///< detector labels
  std::vector<std::vector<TableCell>> cells;    ///< rows x columns
  std::string note;
  bool near_best_holm = false;  ///< the † marks' tests are Holm-corrected within each column (mark_near_best)
  std::string conventions;  ///< the rows whose covariance inverse follows a non-default convention; "" if none
};

/// Every table for `metrics` from `records` (in any order: tables are ordered by the records' plan ranks).
std::vector<ResultTable> build_tables(const std::vector<CellRecord>& records,
                                      const std::vector<std::string>& metrics);

/// The `metric` of failure-detection tables (report.html's switch shows them together).
inline constexpr const char* kFailureTableMetric = "failure";

/// The failure-detection table (<dataset>_failure) of each dataset whose records have "failure": rows detectors,
/// columns AURC, E-AURC and AUGRC of the detector's score as a confidence (-score) for the head's correctness, on the
/// ID test set and then on each labelled csid set (a column group each); lower is better. Records without "failure"
/// (written before oodbench recorded it) are left out, and the note says how many.
std::vector<ResultTable> build_failure_tables(const std::vector<CellRecord>& records);

/// The column group of an OOD set entry of a record: its shift type, or "csid" for covariate-shifted ID sets, which
/// tables show apart and leave out of the "all" average.
std::string column_group(const OodSetRecord& ood_entry);
bool in_overall_average(const OodSetRecord& ood_entry);

/// How tables name a metric: "AUROC", "FPR@95", ...
std::string metric_title(const std::string& metric);

}  // namespace oodbench

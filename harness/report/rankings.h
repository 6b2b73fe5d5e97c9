// Rankings of a result folder's detectors (`oodbench ranks`, a report's "Rankings"): which detector is best across
// all blocks, and is the difference real? A block is one dataset x one OOD set; each detector row's value in it is
// the seed-averaged metric as the tables show it (selected grid points only). Ranks within each block, then
// Friedman, Iman-Davenport, the Nemenyi critical difference and Holm-corrected tests against the best
// (harness/metrics/rank_statistics.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/metrics/rank_statistics.h"
#include "harness/sweep/cell_record.h"

namespace oodbench {

struct RankBlock {
  std::string dataset, ood_set;
  std::vector<double> values;  ///< one per ranked detector
};

struct Rankings {
  std::string metric;
  bool higher_is_better = true;
  std::vector<std::string> labels;     ///< the ranked detector rows, in table order
  std::vector<RankBlock> blocks;
  std::vector<std::string> left_out;   ///< rows missing from some block, so not ranked
  RankTest test;                       ///< valid when labels.size() >= 2
};

/// The rankings of `records` (as the tables show them: selection applied) in `metric` (an OOD metric: AUROC, FPR@95,
/// ...). Covariate-shifted ID sets (role csid) are not blocks, as they are left out of the tables' "all" average.
/// An InputError when fewer than two detectors appear in every block.
Rankings rank_detectors(const std::vector<CellRecord>& records, const std::string& metric, double alpha = 0.05);

/// The rankings of the result folder `dir` (its current plan's records, as its tables show them); what reading the
/// records found and repaired goes to `warnings`. An InputError for a folder without records or an unknown metric.
Rankings folder_rankings(const std::filesystem::path& dir, const std::string& metric,
                         std::vector<std::string>* warnings = nullptr);

/// `oodbench ranks --json`: {"metric", "alpha", "blocks": [{"dataset", "ood_set", "values": {label: value}}],
/// "detectors": [{"label", "average_rank", "z", "p_value", "p_holm", "significant"}] (the best first has no test),
/// "best", "friedman": {"statistic", "p_value"}, "iman_davenport": {...}, "nemenyi_q", "nemenyi_cd", "left_out"}.
/// Statistics that are undefined (fewer than 3 detectors or 2 blocks) are null.
nlohmann::json rankings_json(const Rankings& r);

/// One line of the ranking table, as shown: the label, its average rank and its Holm-adjusted p against the best
/// ("best" for the best; " *" when significant).
struct RankingRow {
  std::string label, average_rank, p_versus_best;
};

/// The ranking table's lines, best average rank first.
std::vector<RankingRow> rankings_rows(const Rankings& r);

/// The note under the ranking table: what a block and a rank are, the tests and their values, the rows left out.
std::string rankings_caption(const Rankings& r);

/// The ranking table as Markdown (rankings_rows) with its caption, `more_note` (sentences) at the caption's end.
std::string rankings_markdown(const Rankings& r, const std::string& more_note = "");

/// The critical-difference diagram of `r` as SVG.
std::string rankings_diagram(const Rankings& r);

}  // namespace oodbench

// A report's "Rankings" (a config's "tables": {"ranks": true}): the detectors ranked by AUROC, the primary metric,
// across every dataset and OOD set of the test tables, with the critical-difference diagram: a section of report.md
// and of report.html, and the files tables/ranks_auroc.{md,json} (those of the config's table formats; the JSON is
// `oodbench ranks --json`'s) and plots/cd_auroc.svg (plus .png and .pdf as /plots/formats asks).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/cell_record.h"
#include "harness/sweep/config.h"

namespace oodbench {

/// The metric a report ranks by.
inline constexpr const char* kRankingMetric = "auroc";

struct RankingsReport {
  std::string markdown;  ///< report.md's section
  std::string html;      ///< report.html's section
  std::vector<std::pair<std::string, std::string>> files;  ///< (path in the folder, contents)
};

/// The section for `test_records` (the records as the test tables show them: selection applied). Fewer than two
/// detectors to rank is no error: the section says why there are no rankings, and so does a line in `warnings`.
RankingsReport rankings_report(const std::vector<CellRecord>& test_records, const ReportSettings& settings,
                               std::vector<std::string>& warnings);

}  // namespace oodbench

// report.html: one self-contained page a researcher opens first (inline SVG, CSS and a little JavaScript; nothing
// fetched from a network): the run's summary, every table behind a metric switch with sortable columns, and every
// plot, the long lists folded.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/report/results_table.h"
#include "harness/sweep/cell_record.h"

namespace oodbench {

/// The page for `records` (every record of the folder: the summary counts its cells as report.md does, unselected grid
/// points included), their `tables` (as `report` builds them) and `plots` ((file name, SVG) pairs); `warning` (plain
/// text, e.g. that the records are part of their plan only) stands on top unless empty; `rankings` (HTML, from
/// rankings_report.h) follows the tables unless empty.
std::string html_report(const std::vector<CellRecord>& records, const std::vector<ResultTable>& tables,
                        const std::vector<std::pair<std::string, std::string>>& plots, const std::string& warning,
                        const std::string& rankings = "");

}  // namespace oodbench

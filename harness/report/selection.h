// Hyperparameters chosen without touching test (a config's "select"): for each detector entry with a grid and each
// dataset, the grid point with the best mean over seeds of the metric averaged over the validation OOD sets is
// chosen. Test tables then show only that point, labelled as chosen, and never the validation sets, whose own tables
// show every point.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/sweep/cell_record.h"
#include "harness/sweep/config.h"

namespace oodbench {

struct SelectedRecords {
  /// Records without grid, and the chosen point of every grid, relabelled "<label> (<values>, selected)"; in both,
  /// the validation sets are removed. These are views for the tables, never written back to records.jsonl.
  std::vector<CellRecord> test;
  /// Every record restricted to the validation sets.
  std::vector<CellRecord> validation;
  /// One line per dataset and grid: the point chosen and its validation value.
  std::vector<std::string> notes;
};

/// Chooses among grid points reading only the validation sets' metrics; ties go to the first point of the grid.
SelectedRecords apply_selection(const std::vector<CellRecord>& records, const Selection& select);

/// The report settings of the config a result folder was run with (its config.json; defaults where it has none).
ReportSettings folder_report_settings(const std::filesystem::path& dir);

/// `records` of the folder `dir` as its test tables show them: with its config's selection applied (chosen grid
/// points, relabelled, validation sets left out), else as they are.
std::vector<CellRecord> records_as_tables_show(const std::filesystem::path& dir, const std::vector<CellRecord>& records);

}  // namespace oodbench

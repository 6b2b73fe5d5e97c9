// Bootstrap intervals of a sweep's records: computed by each cell, stored with the count of resamples behind them
// (record "bootstrap"), and brought in line with a changed `tables.bootstrap` when a folder is run again: recomputed
// from the kept scores where the cell kept them (the same numbers a new run would give), else the cell runs again.
// A folder never mixes resample counts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/metrics/ood_metrics.h"
#include "harness/sweep/cell_record.h"
#include "harness/sweep/record_store.h"
#include "kernels/backend.h"

namespace oodbench {

/// Sets `entry.ci95` (a record's OOD set entry) from `resamples` bootstrap resamples of `ranked`, seeded with the
/// hash of "<cell id>/<set name>" (docs/methods.md); removes it for 0.
void set_intervals(OodSetRecord& entry, const RankedScores& ranked, std::size_t resamples, const std::string& cell_id);

/// The resamples behind `record`'s intervals: its "bootstrap"; for a record written before oodbench stored it, 0 when
/// it has no intervals, else unknown (nullopt).
std::optional<std::size_t> record_resamples(const CellRecord& record);

/// The check a folder's records pass when it is opened for a run with `resamples`: a record of another count has its
/// intervals recomputed from its kept scores in `dir` (changed), or, without kept scores, is set aside to run again.
RecordCheck interval_check(const std::filesystem::path& dir, std::size_t resamples, const Backend& backend);

}  // namespace oodbench

// Running a sweep: the plan (or this shard's part of it) minus the cells already in the result store, dataset by
// dataset, each finished cell appended to the store at once, so an interrupted run loses at most the cell in flight.
#pragma once

#include <filesystem>
#include <functional>

#include "harness/sweep/config.h"
#include "harness/sweep/plan.h"
#include "kernels/backend.h"

namespace oodbench {

struct RunOptions {
  std::filesystem::path out;  ///< the result folder
  Shard shard;
  bool quiet = false;         ///< no progress output
  /// Called when opening the folder is about to move records aside or recompute their intervals, before it does:
  /// whatever was made from the old records (the report) will no longer match the folder. The sweep knows nothing
  /// of reports.
  std::function<void()> on_set_aside;
};

struct RunSummary {
  std::size_t planned = 0;  ///< cells of this shard
  std::size_t skipped = 0;  ///< already in the store
  std::size_t ran = 0;
};

RunSummary run_sweep(const SweepConfig& config, const RunOptions& options, const Backend& backend);

/// The git commit this binary was built from ("<hash>[-dirty]", or "unknown").
const char* git_commit();

}  // namespace oodbench

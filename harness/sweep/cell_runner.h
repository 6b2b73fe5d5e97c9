// Running one cell: fit its detector on the dataset's ID train data, score the ID test set and every OOD set, and
// build the cell's record: metrics per OOD set (with bootstrap intervals when asked), what the plots need (ROC curve
// samples, score histograms, the MaRS residual spectrum) and the time each stage took.
#pragma once

#include "harness/sweep/cell_record.h"
#include "harness/sweep/config.h"
#include "harness/sweep/dataset.h"
#include "harness/sweep/plan.h"

namespace oodbench {

/// Points of the stored ROC curves and bins of the stored score histograms.
inline constexpr std::size_t kRocPoints = 101;
inline constexpr std::size_t kHistogramBins = 40;
/// Groups of eigen-directions in the stored MaRS residual spectrum.
inline constexpr std::size_t kSpectrumBuckets = 32;

/// What one cell produced: its record (everything but the "run" and load timing fields, which the runner adds) and
/// its per-sample scores (kept when the config says "keep_scores").
struct CellResult {
  CellRecord record;
  std::vector<double> id_scores;                ///< the ID side: the ID test set, then any set with role "id"
  std::vector<double> id_val_scores;            ///< the ID val set's, the ID side of validation OOD sets (/select)
  std::vector<std::string> ood_names;           ///< the sets scored against it (roles "ood" and "csid")
  std::vector<std::vector<double>> ood_scores;  ///< in that order
  /// Why the cell has no result: a detector of "detectors": "all" that these data cannot fit (then nothing else is
  /// set, and the cell stays unfinished).
  std::string skipped;
};

CellResult run_cell(const SweepConfig& config, const Cell& cell, LoadedDataset& data);

/// Tells the dataset's fit context which autoencoders `cells` (all of one dataset) will train, so that the first
/// cell needing one trains every seed's together. Cells whose parameters are faulty are left out: their errors are
/// theirs to report when they run.
void announce_autoencoders(const SweepConfig& config, const std::vector<const Cell*>& cells, LoadedDataset& data);

}  // namespace oodbench

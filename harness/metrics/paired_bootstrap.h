// Paired bootstrap comparisons of detectors (docs/methods.md, "Paired comparisons"). Two detectors scored on the same
// ID test and OOD rows are compared on the same resamples of those rows, so that what the rows have in common
// (an easy or a hard draw of the test set) cancels out of their difference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "harness/metrics/ood_metrics.h"

namespace oodbench {

/// One detector's scores on one dataset: one run per seed (a single run for a deterministic detector), each the ID
/// test scores ranked against every OOD set, in the dataset's order of sets.
using DetectorRuns = std::vector<std::vector<RankedScores>>;  ///< [run][OOD set]

/// The OOD sets one column of a comparison averages: one set, a shift type's sets, or all of them.
using SetColumn = std::vector<std::size_t>;

/// A metric on one column: its value on the data as they are and on every bootstrap replicate, each the mean over
/// the column's sets and then over the detector's runs.
struct ColumnSamples {
  double observed = 0;
  std::vector<double> replicates;
};

/// The bootstrap replicates of one dataset. Replicate r draws the ID test rows with replacement and, independently,
/// the rows of each OOD set, from a generator seeded by (seed, r): every detector sees the same replicate r, whatever
/// order they are evaluated in.
class PairedResamples {
 public:
  PairedResamples(std::size_t id_rows, std::vector<std::size_t> ood_rows, std::size_t resamples, std::uint64_t seed);
  std::size_t size() const { return resamples_; }
  /// Metric `metric` of `detector` on every column, observed and per replicate. Every run must rank exactly the
  /// rows this object was built for.
  std::vector<ColumnSamples> samples(const DetectorRuns& detector, const MetricField& metric,
                                     const std::vector<SetColumn>& columns) const;

 private:
  std::size_t id_rows_;
  std::vector<std::size_t> ood_rows_;
  std::size_t resamples_;
  std::uint64_t seed_;
};

/// A − B on one column.
struct PairedDifference {
  double diff = 0;       ///< observed difference
  double ci95_low = 0;   ///< 2.5th percentile of the replicate differences
  double ci95_high = 0;  ///< 97.5th percentile
  /// Two-sided bootstrap p-value: 2 min(1 + #{d* <= 0}, 1 + #{d* >= 0}) / (B + 1), at most 1. It is below 0.05
  /// exactly when 0 lies outside the percentile interval (up to the +1, which keeps it above 0).
  double p_value = 1;
};
PairedDifference paired_difference(const ColumnSamples& a, const ColumnSamples& b);

}  // namespace oodbench

#include "harness/metrics/paired_bootstrap.h"

#include <algorithm>
#include <stdexcept>

#include "harness/fit/percentile.h"
#include "harness/fit/seeded_random.h"

namespace oodbench {
namespace {

/// splitmix64's finaliser: independent streams for (seed, replicate) pairs.
std::uint64_t mix(std::uint64_t seed, std::uint64_t replicate) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (replicate + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<std::uint32_t> draw(SeededRandom& rng, std::size_t rows) {
  std::vector<std::uint32_t> counts(rows, 0);
  for (std::size_t i = 0; i < rows; ++i) counts[rng.below(rows)] += 1;
  return counts;
}

}  // namespace

PairedResamples::PairedResamples(std::size_t id_rows, std::vector<std::size_t> ood_rows, std::size_t resamples,
                                 std::uint64_t seed)
    : id_rows_(id_rows), ood_rows_(std::move(ood_rows)), resamples_(resamples), seed_(seed) {}

std::vector<ColumnSamples> PairedResamples::samples(const DetectorRuns& detector, const MetricField& metric,
                                                    const std::vector<SetColumn>& columns) const {
  for (const auto& run : detector) {
    if (run.size() != ood_rows_.size()) throw std::logic_error("PairedResamples: a run lacks some OOD sets");
    for (std::size_t j = 0; j < run.size(); ++j)
      if (run[j].id_rows() != id_rows_ || run[j].ood_rows() != ood_rows_[j])
        throw std::logic_error("PairedResamples: a run ranks other rows than the resamples draw");
  }
  // One value per column from per-set values: the mean over the column's sets, then over runs.
  const auto column_values = [&](const std::vector<std::vector<double>>& per_run_set) {
    std::vector<double> out(columns.size(), 0.0);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      for (const auto& sets : per_run_set) {
        double sum = 0;
        for (std::size_t j : columns[c]) sum += sets[j];
        out[c] += sum / static_cast<double>(columns[c].size());
      }
      out[c] /= static_cast<double>(per_run_set.size());
    }
    return out;
  };
  std::vector<std::vector<double>> values(detector.size(), std::vector<double>(ood_rows_.size()));
  for (std::size_t k = 0; k < detector.size(); ++k)
    for (std::size_t j = 0; j < ood_rows_.size(); ++j) values[k][j] = detector[k][j].metrics().*metric.value;
  std::vector<ColumnSamples> out(columns.size());
  const std::vector<double> observed = column_values(values);
  for (std::size_t c = 0; c < columns.size(); ++c) out[c].observed = observed[c];

  for (std::size_t r = 0; r < resamples_; ++r) {
    SeededRandom rng(mix(seed_, r));
    ResampleCounts counts{draw(rng, id_rows_), {}};
    std::vector<std::vector<std::uint32_t>> ood_counts;
    for (std::size_t n : ood_rows_) ood_counts.push_back(draw(rng, n));
    for (std::size_t j = 0; j < ood_rows_.size(); ++j) {
      counts.ood = std::move(ood_counts[j]);
      for (std::size_t k = 0; k < detector.size(); ++k) values[k][j] = detector[k][j].metric(counts, metric);
      ood_counts[j] = std::move(counts.ood);
    }
    const std::vector<double> replicate = column_values(values);
    for (std::size_t c = 0; c < columns.size(); ++c) out[c].replicates.push_back(replicate[c]);
  }
  return out;
}

PairedDifference paired_difference(const ColumnSamples& a, const ColumnSamples& b) {
  if (a.replicates.size() != b.replicates.size() || a.replicates.empty())
    throw std::logic_error("paired_difference: both sides need the same, non-zero number of replicates");
  PairedDifference out;
  out.diff = a.observed - b.observed;
  std::vector<double> d(a.replicates.size());
  std::size_t at_most_zero = 0, at_least_zero = 0;
  for (std::size_t r = 0; r < d.size(); ++r) {
    d[r] = a.replicates[r] - b.replicates[r];
    at_most_zero += d[r] <= 0;
    at_least_zero += d[r] >= 0;
  }
  const double b_plus_1 = static_cast<double>(d.size() + 1);
  out.p_value = std::min(1.0, 2.0 * static_cast<double>(1 + std::min(at_most_zero, at_least_zero)) / b_plus_1);
  out.ci95_low = percentile(d, 2.5);
  out.ci95_high = percentile(d, 97.5);
  return out;
}

}  // namespace oodbench

#include "harness/sweep/failure_cells.h"

#include <algorithm>

#include "harness/metrics/failure_metrics.h"
#include "harness/metrics/metrics_json.h"
#include "harness/sweep/intervals.h"
#include "harness/sweep/plan.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// The selective risk at coverage k / kRiskCoveragePoints (k = 1..): the risk once the tie group that reaches that
/// coverage is accepted, as the curve steps.
std::vector<double> risk_on_grid(const RiskCoverageCurve& curve) {
  std::vector<double> out;
  std::size_t at = 0;
  for (std::size_t k = 1; k <= kRiskCoveragePoints; ++k) {
    const double coverage = static_cast<double>(k) / static_cast<double>(kRiskCoveragePoints);
    while (at + 1 < curve.coverage.size() && curve.coverage[at] < coverage - 1e-12) ++at;
    out.push_back(curve.risk[at]);
  }
  return out;
}

FailureEntry failure_entry(std::span<const double> scores, const std::vector<bool>& correct, const Backend& backend,
                           std::size_t resamples, const std::string& seed_text, const std::string& name) {
  const RankedFailures ranked(scores, correct, backend, name);  // one sort: metrics, curve, bootstrap
  const FailureMetrics m = ranked.metrics();
  FailureEntry entry{metric_values(failure_json(m)), m.n, m.errors, risk_on_grid(ranked.risk_coverage()), {}};
  if (resamples > 0) {
    const FailureIntervals ci = ranked.bootstrap(resamples, fnv1a64(seed_text));
    entry.ci95 = Interval95{metric_values(failure_json(ci.low)), metric_values(failure_json(ci.high))};
  }
  return entry;
}

}  // namespace

std::vector<bool> head_correctness(const SweepConfig& config, const ArrayRef& labels_ref,
                                   const std::vector<std::int32_t>& labels, const Matrix<float>& rows,
                                   LoadedDataset& data) {
  const Matrix<double> z = data.context.head().logits(rows, data.context.backend());
  std::vector<bool> correct(z.rows);
  for (std::size_t i = 0; i < z.rows; ++i) {
    const auto label = static_cast<std::size_t>(labels[i]);
    if (label >= z.cols)
      throw InputError(config.source + ": " + labels_ref.pointer + ": " + labels_ref.resolved + ": row " +
                       std::to_string(i) + " has class " + std::to_string(label) + ", but the head has " +
                       std::to_string(z.cols) + " classes");
    correct[i] = argmax(z.row(i), z.cols) == label;
  }
  return correct;
}

std::optional<FailureRecord> failure_record(const SweepConfig& config, const DatasetConfig& dataset,
                                            LoadedDataset& data, std::span<const double> id_test_scores,
                                            const std::vector<std::vector<double>>& ood_scores,
                                            const std::string& cell_id, const std::string& label) {
  const Backend& backend = data.context.backend();
  const std::size_t resamples = config.report.bootstrap;
  FailureRecord out;
  if (data.test_correct)
    out.id_test = failure_entry(id_test_scores, *data.test_correct, backend, resamples, cell_id + "/failure/test",
                                   dataset.test.resolved + " (" + label + " scores)");
  data.ood_correct.resize(data.ood_labels.size());
  for (std::size_t j = 0; j < data.ood_labels.size(); ++j) {
    const OodSet& set = dataset.ood[j];
    if (data.ood_labels[j].empty()) continue;
    if (!data.ood_correct[j])
      data.ood_correct[j] = head_correctness(config, set.labels, data.ood_labels[j], data.ood[j], data);
    out.csid.push_back({set.name, failure_entry(ood_scores.at(j), *data.ood_correct[j], backend, resamples,
                                                cell_id + "/failure/" + set.name,
                                                set.features.resolved + " (" + label + " scores)")});
  }
  if (!out.id_test && out.csid.empty()) return std::nullopt;
  return out;
}

bool lacks_failure(const CellRecord& record) {
  const std::optional<FailureRecord>& failure = record.failure;
  if (record.inputs.contains("test_labels") && !(failure && failure->id_test)) return true;
  for (const auto& [key, input] : record.inputs) {
    if (!key.starts_with("labels/")) continue;
    const std::string name = key.substr(7);
    if (!failure || std::none_of(failure->csid.begin(), failure->csid.end(),
                                 [&](const CsidFailure& set) { return set.name == name; }))
      return true;
  }
  return false;
}

RecordCheck failure_check(std::size_t resamples, RecordCheck next) {
  return [resamples, next = std::move(next)](CellRecord& record) {
    if (lacks_failure(record)) return RecordFate::set_aside;
    if (record.failure && record_resamples(record) != resamples) return RecordFate::set_aside;
    return next ? next(record) : RecordFate::keep;
  };
}

}  // namespace oodbench

#include "harness/metrics/failure_metrics.h"

#include <cmath>
#include <stdexcept>

#include "harness/fit/percentile.h"
#include "harness/fit/seeded_random.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct GroupCounts {
  std::uint64_t rows = 0, errors = 0;
};

/// Every metric from tie groups, most confident first; empty groups (a bootstrap resample's) are skipped.
template <class Groups>
FailureMetrics metrics_from_groups(const Groups& groups) {
  FailureMetrics m;
  for (const auto& g : groups) m.n += g.rows, m.errors += g.errors;
  const auto n = static_cast<double>(m.n);
  double accepted = 0, errors = 0;
  for (const auto& g : groups) {
    if (g.rows == 0) continue;
    accepted += static_cast<double>(g.rows);
    errors += static_cast<double>(g.errors);
    const double weight = static_cast<double>(g.rows) / n;
    m.aurc += weight * errors / accepted;
    m.augrc += weight * errors / n;
  }
  m.eaurc = m.aurc - ideal_aurc(m.n, m.errors);
  m.accuracy = 1.0 - static_cast<double>(m.errors) / n;
  return m;
}

}  // namespace

std::span<const FailureField> failure_fields() {
  static const FailureField fields[] = {
      {"aurc", &FailureMetrics::aurc, false, "AURC (area under the selective-risk-coverage curve; lower is better)"},
      {"eaurc", &FailureMetrics::eaurc, false, "E-AURC (AURC above the ideal ranking's; lower is better)"},
      {"augrc", &FailureMetrics::augrc, false,
       "AUGRC (area under the generalised-risk-coverage curve; lower is better)"},
      {"accuracy", &FailureMetrics::accuracy, true, "Accuracy of the head (higher is better)"}};
  return fields;
}

const FailureField* find_failure_field(std::string_view name) {
  for (const FailureField& f : failure_fields())
    if (f.name == name) return &f;
  return nullptr;
}

double ideal_aurc(std::size_t n, std::size_t errors) {
  if (n == 0 || errors == 0) return 0;
  // Accepting the n - e correct rows first costs nothing; the k-th accepted row after them brings the risk to
  // (k - (n - e)) / k.
  const std::size_t correct = n - errors;
  double sum = 0;
  for (std::size_t k = correct + 1; k <= n; ++k)
    sum += static_cast<double>(k - correct) / static_cast<double>(k);
  return sum / static_cast<double>(n);
}

RankedFailures::RankedFailures(std::span<const double> scores, const std::vector<bool>& correct,
                               const Backend& backend, const std::string& name)
    : correct_(correct) {
  if (scores.empty()) throw InputError(name + ": no scores");
  if (correct.size() != scores.size()) {
    throw InputError(name + ": " + std::to_string(scores.size()) + " scores but " + std::to_string(correct.size()) +
                     " correctness flags; give one flag per scored row");
  }
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]))
      throw InputError(name + ": non-finite score (" + std::to_string(scores[i]) + ") at row " + std::to_string(i));
  }
  const std::vector<std::uint32_t> order = backend.argsort(scores);  // ascending score: most confident first
  group_of_.resize(scores.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    if (r == 0 || scores[order[r]] != scores[order[r - 1]]) groups_.emplace_back();
    groups_.back().rows += 1;
    groups_.back().errors += correct[order[r]] ? 0 : 1;
    group_of_[order[r]] = static_cast<std::uint32_t>(groups_.size() - 1);
  }
}

FailureMetrics RankedFailures::metrics() const { return metrics_from_groups(groups_); }

RiskCoverageCurve RankedFailures::risk_coverage() const {
  RiskCoverageCurve curve;
  const auto n = static_cast<double>(group_of_.size());
  double accepted = 0, errors = 0;
  for (const Group& g : groups_) {
    accepted += static_cast<double>(g.rows);
    errors += static_cast<double>(g.errors);
    curve.coverage.push_back(accepted / n);
    curve.risk.push_back(errors / accepted);
  }
  return curve;
}

FailureIntervals RankedFailures::bootstrap(std::size_t resamples, std::uint64_t seed) const {
  SeededRandom rng(seed);
  const std::size_t n = group_of_.size();
  const auto fields = failure_fields();
  std::vector<std::vector<double>> samples(fields.size());
  std::vector<GroupCounts> groups(groups_.size());
  for (std::size_t b = 0; b < resamples; ++b) {
    std::fill(groups.begin(), groups.end(), GroupCounts{});
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t row = rng.below(n);
      GroupCounts& g = groups[group_of_[row]];
      g.rows += 1;
      g.errors += correct_[row] ? 0 : 1;
    }
    const FailureMetrics m = metrics_from_groups(groups);
    for (std::size_t k = 0; k < fields.size(); ++k) samples[k].push_back(m.*fields[k].value);
  }
  FailureIntervals out;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    out.low.*fields[k].value = percentile(samples[k], 2.5);
    out.high.*fields[k].value = percentile(samples[k], 97.5);
  }
  const FailureMetrics observed = metrics();
  out.low.n = out.high.n = observed.n;
  out.low.errors = out.high.errors = observed.errors;
  return out;
}

FailureMetrics compute_failure_metrics(std::span<const double> scores, const std::vector<bool>& correct,
                                       const Backend& backend, const std::string& name) {
  return RankedFailures(scores, correct, backend, name).metrics();
}

}  // namespace oodbench

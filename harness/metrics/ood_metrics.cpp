#include "harness/metrics/ood_metrics.h"

#include <algorithm>
#include <stdexcept>
#include <cmath>
#include <cstdint>
#include <vector>

#include "harness/fit/percentile.h"
#include "harness/fit/seeded_random.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

using TieGroup = RankedScores::TieGroup;

/// The points of a binary ranking curve, one per distinct threshold, visited from the most to the least positive
/// score (scikit-learn's `_binary_clf_curve` order). `pos`/`neg` give each group's positives and negatives.
struct CurveSummary {
  double fpr_at_95_tpr = 0;  ///< fpr[argmax(tpr >= 0.95)] of roc_curve(drop_intermediate=False)
  double average_precision = 0;
  double trapezoid_aupr = 0;
};

template <class GroupRange, class Pos, class Neg>
CurveSummary summarise_curve(const GroupRange& groups, Pos pos, Neg neg, std::uint64_t n_pos, std::uint64_t n_neg) {
  CurveSummary out;
  bool found = false;
  double tps = 0, fps = 0;
  double prev_recall = 0, prev_precision = 1;  // precision_recall_curve's appended end point (recall 0, precision 1)
  for (const TieGroup& g : groups) {
    if (pos(g) + neg(g) == 0) continue;  // an empty group (bootstrap resample) is no threshold
    tps += static_cast<double>(pos(g));
    fps += static_cast<double>(neg(g));
    const double tpr = tps / static_cast<double>(n_pos);
    if (!found && tpr >= 0.95) {
      out.fpr_at_95_tpr = fps / static_cast<double>(n_neg);
      found = true;
    }
    const double precision = tps / (tps + fps);
    out.average_precision += (tpr - prev_recall) * precision;
    out.trapezoid_aupr += (tpr - prev_recall) * (precision + prev_precision) / 2;
    prev_recall = tpr;
    prev_precision = precision;
  }
  return out;
}

void check_finite(std::span<const double> scores, const std::string& name) {
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      throw InputError(name + ": non-finite score (" + std::to_string(scores[i]) + ") at row " + std::to_string(i));
    }
  }
}

/// The passes over the tie groups, each computing some metrics: a paired bootstrap needs one metric, so one pass.
enum MetricPass : unsigned { kAurocPass = 1, kIdCurvePass = 2, kOodCurvePass = 4, kDetectionErrorPass = 8, kAllPasses = 15 };

unsigned pass_of(const MetricField& f) {
  if (f.value == &OodMetrics::auroc) return kAurocPass;
  if (f.value == &OodMetrics::detection_error) return kDetectionErrorPass;
  if (f.value == &OodMetrics::fpr95 || f.value == &OodMetrics::aupr_in || f.value == &OodMetrics::aupr_in_trapz)
    return kIdCurvePass;
  return kOodCurvePass;
}

/// P(s_out > s_in) + 1/2 P(s_out = s_in) by Mann-Whitney in integers: 2 * #{(in, out): s_out > s_in} + #{ties},
/// exact for any n that fits in memory.
double auroc_of(const std::vector<TieGroup>& groups, std::uint64_t n_id, std::uint64_t n_ood) {
  __extension__ typedef unsigned __int128 uint128;  // GCC/Clang
  uint128 twice_wins = 0;
  std::uint64_t id_below = 0;
  for (const TieGroup& g : groups) {
    twice_wins += static_cast<uint128>(g.ood) * (2 * id_below + g.id);
    id_below += g.id;
  }
  return static_cast<double>(twice_wins) / (2.0 * static_cast<double>(n_id) * static_cast<double>(n_ood));
}

/// FPR@95 and the AUPRs of the ID-positive and/or the OOD-positive curve (`passes`).
void add_curve_metrics(const std::vector<TieGroup>& groups, unsigned passes, OodMetrics& m) {
  auto id_of = [](const TieGroup& g) { return g.id; };
  auto ood_of = [](const TieGroup& g) { return g.ood; };
  if (passes & kOodCurvePass) {  // OOD positive: thresholds from the highest score down
    struct Reversed {
      const std::vector<TieGroup>& v;
      auto begin() const { return v.rbegin(); }
      auto end() const { return v.rend(); }
    };
    const CurveSummary c = summarise_curve(Reversed{groups}, ood_of, id_of, m.n_ood, m.n_id);
    m.fpr95_ood_positive = c.fpr_at_95_tpr;
    m.aupr_out = c.average_precision;
    m.aupr_out_trapz = c.trapezoid_aupr;
  }
  if (passes & kIdCurvePass) {  // ID positive, ranked by -s: thresholds from the lowest score up
    const CurveSummary c = summarise_curve(groups, id_of, ood_of, m.n_id, m.n_ood);
    m.fpr95 = c.fpr_at_95_tpr;
    m.aupr_in = c.average_precision;
    m.aupr_in_trapz = c.trapezoid_aupr;
  }
}

/// min over thresholds of 1/2 (1 - TPR) + 1/2 FPR, OOD positive, flagging nothing (0.5) included.
double detection_error_of(const std::vector<TieGroup>& groups, std::uint64_t n_id, std::uint64_t n_ood) {
  double best = 0.5, flagged_id = 0, flagged_ood = 0;
  for (auto g = groups.rbegin(); g != groups.rend(); ++g) {  // flag everything above each threshold
    flagged_id += static_cast<double>(g->id);
    flagged_ood += static_cast<double>(g->ood);
    best = std::min(best, 0.5 * (1 - flagged_ood / static_cast<double>(n_ood)) +
                              0.5 * (flagged_id / static_cast<double>(n_id)));
  }
  return best;
}

/// Every metric (or those of `passes`) from tie groups in ascending score order. Groups may be empty (bootstrap
/// resamples).
OodMetrics metrics_from_groups(const std::vector<TieGroup>& groups, unsigned passes = kAllPasses) {
  OodMetrics m;
  for (const TieGroup& g : groups) m.n_id += g.id, m.n_ood += g.ood;
  if (passes & kAurocPass) m.auroc = auroc_of(groups, m.n_id, m.n_ood);
  if (passes & (kIdCurvePass | kOodCurvePass)) add_curve_metrics(groups, passes, m);
  if (passes & kDetectionErrorPass) m.detection_error = detection_error_of(groups, m.n_id, m.n_ood);
  return m;
}



}  // namespace

std::span<const MetricField> metric_fields() {
  static const MetricField fields[] = {
      {"auroc", &OodMetrics::auroc, true, "AUROC (higher is better)"},
      {"fpr95", &OodMetrics::fpr95, false,
       "FPR@95 with ID positive (OOD accepted at 95 % ID recall; lower is better)"},
      {"fpr95_ood_positive", &OodMetrics::fpr95_ood_positive, false,
       "FPR@95 with OOD positive (ID flagged at 95 % OOD recall; lower is better)"},
      {"aupr_in", &OodMetrics::aupr_in, true, "AUPR-In (average precision, ID positive; higher is better)"},
      {"aupr_out", &OodMetrics::aupr_out, true, "AUPR-Out (average precision, OOD positive; higher is better)"},
      {"aupr_in_trapz", &OodMetrics::aupr_in_trapz, true, "AUPR-In, trapezoid (OpenOOD; higher is better)"},
      {"aupr_out_trapz", &OodMetrics::aupr_out_trapz, true, "AUPR-Out, trapezoid (OpenOOD; higher is better)"},
      {"detection_error", &OodMetrics::detection_error, false,
       "Detection error (min over thresholds of the mean of the two error rates; lower is better)"}};
  return fields;
}

const MetricField& metric_field(std::string_view name) {
  for (const MetricField& f : metric_fields())
    if (f.name == name) return f;
  throw InputError("unknown metric \"" + std::string(name) + "\"; known: " +
                   join(metric_fields(), ", ", [](const MetricField& f) { return std::string(f.name); }));
}

RankedScores::RankedScores(std::span<const double> id_scores, std::span<const double> ood_scores,
                           const Backend& backend, const std::string& id_name, const std::string& ood_name)
    : n_id_(id_scores.size()), n_ood_(ood_scores.size()) {
  if (id_scores.empty()) throw InputError(id_name + ": no ID scores");
  if (ood_scores.empty()) throw InputError(ood_name + ": no OOD scores");
  check_finite(id_scores, id_name);
  check_finite(ood_scores, ood_name);
  std::vector<double> all(id_scores.begin(), id_scores.end());
  all.insert(all.end(), ood_scores.begin(), ood_scores.end());
  const std::vector<std::uint32_t> order = backend.argsort(all);
  group_of_.resize(all.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    if (r == 0 || all[order[r]] != all[order[r - 1]]) groups_.emplace_back();
    (order[r] < n_id_ ? groups_.back().id : groups_.back().ood) += 1;
    group_of_[order[r]] = static_cast<std::uint32_t>(groups_.size() - 1);
  }
}

OodMetrics RankedScores::metrics() const { return metrics_from_groups(groups_); }

std::vector<double> RankedScores::roc_tpr_on_grid(std::size_t points) const {
  std::vector<double> tpr(points, 0.0);
  const double n_id = static_cast<double>(n_id_), n_ood = static_cast<double>(n_ood_);
  double flagged_id = 0, flagged_ood = 0;
  std::size_t k = 0;  // grid points whose FPR bound lies below the current curve point are final
  for (auto g = groups_.rbegin(); g != groups_.rend(); ++g) {  // thresholds from the highest score down
    const double tpr_before = flagged_ood / n_ood;
    flagged_id += static_cast<double>(g->id);
    flagged_ood += static_cast<double>(g->ood);
    const double fpr = flagged_id / n_id;
    for (; k < points && static_cast<double>(k) / static_cast<double>(points - 1) < fpr; ++k) tpr[k] = tpr_before;
  }
  for (; k < points; ++k) tpr[k] = 1.0;
  return tpr;
}

double ccr_at_fpr(std::span<const double> id_scores, const std::vector<bool>& id_correct,
                  std::span<const double> ood_scores, double fpr) {
  if (id_correct.size() != id_scores.size() || ood_scores.empty() || id_scores.empty())
    throw std::logic_error("ccr_at_fpr: needs one correctness flag per ID score, and both sets non-empty");
  const auto accepted_ood = static_cast<std::size_t>(std::ceil(fpr * static_cast<double>(ood_scores.size())));
  std::vector<double> sorted(ood_scores.begin(), ood_scores.end());
  const std::size_t k = std::clamp<std::size_t>(accepted_ood, 1, sorted.size()) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
  const double threshold = sorted[k];
  std::size_t hits = 0;
  for (std::size_t i = 0; i < id_scores.size(); ++i) hits += id_scores[i] < threshold && id_correct[i];
  return static_cast<double>(hits) / static_cast<double>(id_scores.size());
}

std::vector<RankedScores::TieGroup> RankedScores::resampled_groups(const ResampleCounts& counts) const {
  if (counts.id.size() != n_id_ || counts.ood.size() != n_ood_)
    throw std::logic_error("RankedScores: resample counts do not match the scores");
  std::vector<TieGroup> groups(groups_.size());
  for (std::size_t i = 0; i < n_id_; ++i) groups[group_of_[i]].id += counts.id[i];
  for (std::size_t i = 0; i < n_ood_; ++i) groups[group_of_[n_id_ + i]].ood += counts.ood[i];
  return groups;
}

OodMetrics RankedScores::metrics(const ResampleCounts& counts) const { return metrics_from_groups(resampled_groups(counts)); }

double RankedScores::metric(const ResampleCounts& counts, const MetricField& field) const {
  return metrics_from_groups(resampled_groups(counts), pass_of(field)).*field.value;
}

MetricIntervals RankedScores::bootstrap(std::size_t resamples, std::uint64_t seed) const {
  SeededRandom rng(seed);
  const auto fields = metric_fields();
  std::vector<std::vector<double>> samples(fields.size());
  ResampleCounts counts{std::vector<std::uint32_t>(n_id_), std::vector<std::uint32_t>(n_ood_)};
  for (std::size_t b = 0; b < resamples; ++b) {
    std::fill(counts.id.begin(), counts.id.end(), 0);
    std::fill(counts.ood.begin(), counts.ood.end(), 0);
    for (std::size_t i = 0; i < n_id_; ++i) counts.id[rng.below(n_id_)] += 1;
    for (std::size_t i = 0; i < n_ood_; ++i) counts.ood[rng.below(n_ood_)] += 1;
    const OodMetrics m = metrics(counts);
    for (std::size_t k = 0; k < fields.size(); ++k) samples[k].push_back(m.*fields[k].value);
  }
  MetricIntervals out;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    out.low.*fields[k].value = percentile(samples[k], 2.5);
    out.high.*fields[k].value = percentile(samples[k], 97.5);
  }
  out.low.n_id = out.high.n_id = n_id_;
  out.low.n_ood = out.high.n_ood = n_ood_;
  return out;
}

}  // namespace oodbench

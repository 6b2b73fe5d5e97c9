#include "harness/metrics/ood_metrics.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/error.h"

namespace oodbench {
namespace {

/// Samples sharing one score value: how many are ID and how many OOD.
struct TieGroup {
  std::uint64_t id = 0;
  std::uint64_t ood = 0;
};

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

}  // namespace

OodMetrics compute_ood_metrics(std::span<const double> id_scores, std::span<const double> ood_scores,
                               const Backend& backend, const std::string& id_name, const std::string& ood_name) {
  if (id_scores.empty()) throw InputError(id_name + ": no ID scores");
  if (ood_scores.empty()) throw InputError(ood_name + ": no OOD scores");
  check_finite(id_scores, id_name);
  check_finite(ood_scores, ood_name);

  std::vector<double> all(id_scores.begin(), id_scores.end());
  all.insert(all.end(), ood_scores.begin(), ood_scores.end());
  const std::vector<std::uint32_t> order = backend.argsort(all);

  // Tie groups in ascending score order.
  std::vector<TieGroup> groups;
  for (std::size_t r = 0; r < order.size(); ++r) {
    if (r == 0 || all[order[r]] != all[order[r - 1]]) groups.emplace_back();
    (order[r] < id_scores.size() ? groups.back().id : groups.back().ood) += 1;
  }

  OodMetrics m;
  m.n_id = id_scores.size();
  m.n_ood = ood_scores.size();

  // Mann-Whitney in integers: 2 * #{(in, out): s_out > s_in} + #{ties}, exact for any realistic n.
  __extension__ typedef unsigned __int128 uint128;  // GCC/Clang; exact for any n that fits in memory
  uint128 twice_wins = 0;
  std::uint64_t id_below = 0;
  for (const TieGroup& g : groups) {
    twice_wins += static_cast<uint128>(g.ood) * (2 * id_below + g.id);
    id_below += g.id;
  }
  m.auroc = static_cast<double>(twice_wins) / (2.0 * static_cast<double>(m.n_id) * static_cast<double>(m.n_ood));

  auto id_of = [](const TieGroup& g) { return g.id; };
  auto ood_of = [](const TieGroup& g) { return g.ood; };
  // OOD positive: thresholds from the highest score down.
  struct Reversed {
    const std::vector<TieGroup>& v;
    auto begin() const { return v.rbegin(); }
    auto end() const { return v.rend(); }
  };
  const CurveSummary ood_positive = summarise_curve(Reversed{groups}, ood_of, id_of, m.n_ood, m.n_id);
  // ID positive, ranked by -s: thresholds from the lowest score up.
  const CurveSummary id_positive = summarise_curve(groups, id_of, ood_of, m.n_id, m.n_ood);

  m.fpr95 = id_positive.fpr_at_95_tpr;
  m.fpr95_ood_positive = ood_positive.fpr_at_95_tpr;
  m.aupr_in = id_positive.average_precision;
  m.aupr_out = ood_positive.average_precision;
  m.aupr_in_trapz = id_positive.trapezoid_aupr;
  m.aupr_out_trapz = ood_positive.trapezoid_aupr;
  return m;
}

}  // namespace oodbench

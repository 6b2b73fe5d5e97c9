// Rankings of several detectors across blocks (a block: one dataset x one OOD set) with the statistics of Demšar
// (JMLR 2006): average ranks, the Friedman test (as scipy.stats.friedmanchisquare computes it, tie-corrected), the
// Iman-Davenport F, the Nemenyi critical difference, and Holm-corrected tests of every detector against the best.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace oodbench {

/// Ranks 1..n of `values` with ties sharing their mean rank (scipy.stats.rankdata's "average"); rank 1 is the
/// smallest value, or the largest when `higher_is_better`.
std::vector<double> average_ranks(std::span<const double> values, bool higher_is_better);

/// Holm's step-down adjusted p-values (in the input's order): p̃_(i) = max_{l <= i} min(1, (m - l + 1) p_(l)) over
/// the p-values sorted ascending; a hypothesis is rejected at level α exactly when p̃ <= α.
std::vector<double> holm_adjusted(std::span<const double> p_values);

/// The (1 - alpha) quantile of the studentised range of k independent standard normals (infinite degrees of
/// freedom), by quadrature of its distribution function: scipy.stats.studentized_range.ppf(1 - alpha, k, inf).
double studentized_range_quantile(std::size_t k, double alpha);

/// A detector against the best one (lowest average rank; the first such on ties).
struct VersusBest {
  std::size_t detector = 0;
  double z = 0;        ///< (R_j - R_best) / sqrt(k (k + 1) / (6 b))
  double p_value = 1;  ///< two-sided normal p-value of z
  double p_holm = 1;   ///< Holm-adjusted over the k - 1 comparisons
  bool significant = false;  ///< p_holm <= alpha
};

struct RankTest {
  std::size_t blocks = 0, detectors = 0;
  double alpha = 0.05;
  std::vector<double> average_rank;  ///< per detector, 1 = best
  /// Friedman's chi-square with scipy's tie correction and its p-value (k - 1 degrees of freedom). Absent with fewer
  /// than 3 detectors or 2 blocks (scipy refuses those), or when every block ties every detector.
  std::optional<double> friedman_statistic, friedman_p;
  /// Iman-Davenport's F = (b - 1) χ² / (b (k - 1) - χ²) and its p-value (k - 1 and (k - 1)(b - 1) degrees of
  /// freedom); +inf with p = 0 when every block ranks the detectors alike. Absent where Friedman's is.
  std::optional<double> iman_davenport_statistic, iman_davenport_p;
  double nemenyi_q = 0;   ///< studentized_range_quantile(k, alpha) / √2
  double nemenyi_cd = 0;  ///< q · sqrt(k (k + 1) / (6 b)): average ranks further apart differ significantly
  std::size_t best = 0;
  std::vector<VersusBest> versus_best;  ///< every other detector, in detector order
};

/// The ranking statistics of `values[block][detector]` (every block lists every detector; values finite), ranking
/// within each block in the metric's direction. Needs at least one block and two detectors.
RankTest rank_test(const std::vector<std::vector<double>>& values, bool higher_is_better, double alpha = 0.05);

}  // namespace oodbench

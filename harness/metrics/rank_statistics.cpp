#include "harness/metrics/rank_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

// Boost.Math (header-only): the chi-square, F and normal tails, Gauss-Kronrod panels and a bracketing root finder.
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/roots.hpp>

namespace oodbench {
namespace {

/// Φ(z + w) - Φ(z) from whichever pair of tails avoids cancellation.
double normal_band(double z, double w) {
  const double r = 1.0 / std::sqrt(2.0);
  return z + 0.5 * w >= 0 ? 0.5 * (std::erfc(z * r) - std::erfc((z + w) * r))
                          : 0.5 * (std::erfc(-(z + w) * r) - std::erfc(-z * r));
}

/// P(range of k standard normals <= w) = k ∫ φ(z) [Φ(z + w) - Φ(z)]^(k-1) dz: conditioned on the minimum z, the
/// other k - 1 lie in [z, z + w]. The integrand is analytic and below φ(z), so fixed panels on [-10, 10] suffice
/// (the tails beyond add under 1e-22 k).
double normal_range_cdf(double w, std::size_t k) {
  const auto power = static_cast<double>(k - 1);
  auto integrand = [&](double z) { return std::exp(-0.5 * z * z) * std::pow(normal_band(z, w), power); };
  double sum = 0;
  for (int panel = -10; panel < 10; ++panel)
    sum += boost::math::quadrature::gauss_kronrod<double, 31>::integrate(integrand, panel, panel + 1, 0);
  return static_cast<double>(k) * sum / std::sqrt(2.0 * M_PI);
}

double chi_square_tail(double x, double dof) {
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(dof), x));
}

double f_tail(double x, double dof1, double dof2) {
  return boost::math::cdf(boost::math::complement(boost::math::fisher_f(dof1, dof2), x));
}

}  // namespace

std::vector<double> average_ranks(std::span<const double> values, bool higher_is_better) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto before = [&](std::size_t a, std::size_t b) { return higher_is_better ? values[a] > values[b] : values[a] < values[b]; };
  std::stable_sort(order.begin(), order.end(), before);
  std::vector<double> ranks(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double shared = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;  // the mean of ranks i+1..j+1
    for (std::size_t t = i; t <= j; ++t) ranks[order[t]] = shared;
    i = j + 1;
  }
  return ranks;
}

std::vector<double> holm_adjusted(std::span<const double> p_values) {
  const std::size_t m = p_values.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p_values[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

double studentized_range_quantile(std::size_t k, double alpha) {
  if (k < 2) throw std::invalid_argument("studentized_range_quantile: needs k >= 2");
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("studentized_range_quantile: alpha must lie in (0, 1)");
  auto excess = [&](double w) { return normal_range_cdf(w, k) - (1 - alpha); };
  double low = 0, high = 12;
  while (excess(high) < 0) high *= 2;  // only for tiny alpha or very large k
  std::uintmax_t iterations = 200;
  const auto bracket = boost::math::tools::toms748_solve(excess, low, high, boost::math::tools::eps_tolerance<double>(50),
                                                         iterations);
  return (bracket.first + bracket.second) / 2;
}

RankTest rank_test(const std::vector<std::vector<double>>& values, bool higher_is_better, double alpha) {
  RankTest out;
  out.alpha = alpha;
  out.blocks = values.size();
  if (out.blocks == 0) throw std::invalid_argument("rank_test: no blocks");
  out.detectors = values.front().size();
  if (out.detectors < 2) throw std::invalid_argument("rank_test: needs two detectors or more");
  const auto b = static_cast<double>(out.blocks), k = static_cast<double>(out.detectors);

  std::vector<double> rank_sums(out.detectors, 0.0);
  double ties = 0;  // Σ over blocks and tie groups of t (t² - 1): scipy's tie correction
  for (const std::vector<double>& block : values) {
    if (block.size() != out.detectors) throw std::invalid_argument("rank_test: blocks differ in their detectors");
    for (double v : block)
      if (!std::isfinite(v)) throw std::invalid_argument("rank_test: a non-finite value");
    const std::vector<double> ranks = average_ranks(block, higher_is_better);
    for (std::size_t j = 0; j < out.detectors; ++j) rank_sums[j] += ranks[j];
    std::vector<double> sorted(block);
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size();) {
      std::size_t j = i;
      while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
      const auto t = static_cast<double>(j - i + 1);
      ties += t * (t * t - 1);
      i = j + 1;
    }
  }
  for (double s : rank_sums) out.average_rank.push_back(s / b);

  const double correction = 1 - ties / (k * (k * k - 1) * b);
  if (out.detectors >= 3 && out.blocks >= 2 && correction > 0) {
    double sum_squares = 0;
    for (double s : rank_sums) sum_squares += s * s;
    const double chi2 = (12 / (k * b * (k + 1)) * sum_squares - 3 * b * (k + 1)) / correction;
    out.friedman_statistic = chi2;
    out.friedman_p = chi_square_tail(std::max(chi2, 0.0), k - 1);
    const double denominator = b * (k - 1) - chi2;
    if (denominator <= 1e-12 * b * (k - 1)) {  // every block ranks alike
      out.iman_davenport_statistic = INFINITY;
      out.iman_davenport_p = 0;
    } else {
      const double f = (b - 1) * chi2 / denominator;
      out.iman_davenport_statistic = f;
      out.iman_davenport_p = f_tail(std::max(f, 0.0), k - 1, (k - 1) * (b - 1));
    }
  }

  const double standard_error = std::sqrt(k * (k + 1) / (6 * b));
  out.nemenyi_q = studentized_range_quantile(out.detectors, alpha) / std::sqrt(2.0);
  out.nemenyi_cd = out.nemenyi_q * standard_error;

  out.best = static_cast<std::size_t>(
      std::min_element(out.average_rank.begin(), out.average_rank.end()) - out.average_rank.begin());
  std::vector<double> p_values;
  for (std::size_t j = 0; j < out.detectors; ++j) {
    if (j == out.best) continue;
    VersusBest v;
    v.detector = j;
    v.z = (out.average_rank[j] - out.average_rank[out.best]) / standard_error;
    v.p_value = std::erfc(std::abs(v.z) / std::sqrt(2.0));
    p_values.push_back(v.p_value);
    out.versus_best.push_back(v);
  }
  const std::vector<double> adjusted = holm_adjusted(p_values);
  for (std::size_t i = 0; i < out.versus_best.size(); ++i) {
    out.versus_best[i].p_holm = adjusted[i];
    out.versus_best[i].significant = adjusted[i] <= alpha;
  }
  return out;
}

}  // namespace oodbench

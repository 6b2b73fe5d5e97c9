#include "harness/fit/covariance.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>

#include "harness/fit/finite.h"
#include "kernels/error.h"

namespace oodbench {

CovarianceFit fit_covariance(const Backend& backend, const Matrix<float>& x, const Matrix<double>& centers,
                             std::span<const std::int32_t> group) {
  CovarianceFit fit;
  double fourth = 0;
  fit.matrix = backend.scatter(x, centers, group, &fourth);
  const double n = static_cast<double>(x.rows);
  for (double& v : fit.matrix.data) v /= n;
  fit.mean_fourth = fourth / n;
  fit.samples = x.rows;
  check_finite(fit.matrix, "the covariance of the features is");  // LAPACK would fail on it, saying only "info -5"
  fit.eigen = backend.eigh(fit.matrix);
  const std::size_t kept = std::min(x.rows, kSampleRows);
  fit.sample = Matrix<double>(kept, x.cols);
  for (std::size_t r = 0; r < kept; ++r) {
    const std::size_t i = r * x.rows / kept;
    const std::size_t c = group.empty() ? 0 : static_cast<std::size_t>(group[i]);
    for (std::size_t j = 0; j < x.cols; ++j) fit.sample(r, j) = static_cast<double>(x(i, j)) - centers(c, j);
  }
  return fit;
}

Convention parse_convention(const std::string& name) {
  for (std::size_t c = 0; c < std::size(kConventionNames); ++c)
    if (name == kConventionNames[c]) return static_cast<Convention>(c);
  throw InputError("convention: expected openood, pytorch-ood, pytorch-ood-legacy or float32, got '" + name + "'");
}

InverseRule convention_rule(Convention convention, std::size_t dims, std::size_t samples) {
  constexpr double kPytorchOodEps = 1e-6;  // pytorch-ood's Mahalanobis(eps=1e-6), added to the undivided scatter
  const double on_sigma = kPytorchOodEps / static_cast<double>(std::max<std::size_t>(samples, 1));
  switch (convention) {
    case Convention::openood: return {0, default_rcond(dims)};
    case Convention::pytorch_ood: return {on_sigma, float32_rcond(dims)};
    case Convention::pytorch_ood_legacy: return {on_sigma, 0};
    case Convention::float32: return {0, float32_rcond(dims)};
  }
  return {};
}

double ledoit_wolf_shrinkage(const CovarianceFit& fit) {
  const double p = static_cast<double>(fit.matrix.rows);
  const double n = static_cast<double>(fit.samples);
  double trace = 0, frobenius_sq = 0;
  for (std::size_t i = 0; i < fit.matrix.rows; ++i) trace += fit.matrix(i, i);
  for (double v : fit.matrix.data) frobenius_sq += v * v;
  const double mu = trace / p;
  double beta = (fit.mean_fourth - frobenius_sq) / (p * n);
  const double delta = (frobenius_sq - 2.0 * mu * trace + p * mu * mu) / p;
  beta = std::min(beta, delta);
  return beta == 0 ? 0.0 : beta / delta;
}

std::size_t numerical_rank(const SymmetricEigen& eig) {
  if (eig.values.empty()) return 0;
  const double floor = static_cast<double>(eig.values.size()) * std::numeric_limits<double>::epsilon() *
                       std::max(0.0, eig.values.back());
  return static_cast<std::size_t>(std::count_if(eig.values.begin(), eig.values.end(), [&](double v) { return v > floor; }));
}

double default_rcond(std::size_t dims) { return static_cast<double>(dims) * std::numeric_limits<double>::epsilon(); }
double float32_rcond(std::size_t dims) { return static_cast<double>(dims) * std::numeric_limits<float>::epsilon(); }

KeptEigenvalues kept_eigenvalues(std::vector<double> values, const InverseRule& rule) {
  for (double& v : values) v += rule.ridge;
  KeptEigenvalues kept;
  kept.largest = values.empty() ? 0.0 : *std::max_element(values.begin(), values.end());
  const double cutoff = rule.rcond * kept.largest;  // rcond 0: nothing dropped (checked positive by the caller)
  for (std::size_t j = 0; j < values.size(); ++j)
    if (values[j] > cutoff) {
      kept.index.push_back(j);
      kept.value.push_back(values[j]);
    }
  return kept;
}

Whitening whitening(const CovarianceFit& fit, const InverseRule& rule) {
  const std::size_t d = fit.matrix.rows;
  std::vector<double> values = fit.eigen.values;
  if (rule.ledoit_wolf) {
    double trace = 0;
    for (std::size_t i = 0; i < d; ++i) trace += fit.matrix(i, i);
    const double s = ledoit_wolf_shrinkage(fit);
    for (double& v : values) v = (1.0 - s) * v + s * trace / static_cast<double>(d);
  }
  const KeptEigenvalues kept = kept_eigenvalues(values, rule);
  if (rule.rcond <= 0 && kept.index.size() < d) {  // an exact inverse: Σ + εI must be positive definite
    char why[160];
    std::snprintf(why, sizeof why, "the exact inverse of Σ + εI (ε = %g) does not exist: its smallest eigenvalue is %g",
                  rule.ridge, *std::min_element(values.begin(), values.end()) + rule.ridge);
    throw InputError(std::string(why) + "; use a larger ridge or a convention with a cut");
  }
  Whitening w;
  w.unresolved = static_cast<std::size_t>(std::count_if(
      kept.value.begin(), kept.value.end(), [&](double v) { return v < kResolvedEigenvalue * kept.largest; }));
  w.beyond_float32 = static_cast<std::size_t>(std::count_if(
      kept.value.begin(), kept.value.end(), [&](double v) { return v <= float32_rcond(d) * kept.largest; }));
  w.rows = Matrix<double>(kept.index.size(), d);
  for (std::size_t r = 0; r < kept.index.size(); ++r) {
    const double scale = 1.0 / std::sqrt(kept.value[r]);
    for (std::size_t i = 0; i < d; ++i) w.rows(r, i) = fit.eigen.vectors(i, kept.index[r]) * scale;
  }
  return w;
}

double order_disagreement(const CovarianceFit& fit, const Whitening& a, const Whitening& b, const Backend& backend) {
  const std::vector<double> da = row_sqnorms(backend.matmul_nt(fit.sample, a.rows));
  const std::vector<double> db = row_sqnorms(backend.matmul_nt(fit.sample, b.rows));
  double discordant = 0;
  std::size_t pairs = 0;
  for (std::size_t i = 0; i < da.size(); ++i)
    for (std::size_t j = i + 1; j < da.size(); ++j, ++pairs) {
      const double s = (da[i] - da[j]) * (db[i] - db[j]);
      discordant += s < 0 ? 1.0 : s == 0 ? 0.5 : 0.0;
    }
  return pairs == 0 ? 0.0 : discordant / static_cast<double>(pairs);
}

Matrix<float> subtract_row(const Matrix<float>& x, std::span<const double> center) {
  Matrix<float> out(x.rows, x.cols);
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = static_cast<float>(x(i, j) - center[j]);
  return out;
}

Matrix<double> whiten(const Matrix<float>& x, std::span<const double> center, const Whitening& w,
                      const Backend& backend) {
  Matrix<double> centred(x.rows, x.cols);
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < x.cols; ++j) centred(i, j) = static_cast<double>(x(i, j)) - center[j];
  return backend.matmul_nt(centred, w.rows);
}

std::vector<double> row_sqnorms(const Matrix<double>& y) {
  std::vector<double> out(y.rows, 0.0);
  for (std::size_t i = 0; i < y.rows; ++i)
    for (std::size_t j = 0; j < y.cols; ++j) out[i] += y(i, j) * y(i, j);
  return out;
}

std::vector<double> nearest_sqdist(const Matrix<double>& y, const Matrix<double>& centroids, const Backend& backend) {
  const Matrix<double> dot = backend.matmul_nt(y, centroids);
  const std::vector<double> y_sq = row_sqnorms(y), c_sq = row_sqnorms(centroids);
  std::vector<double> out(y.rows);
  for (std::size_t i = 0; i < y.rows; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < centroids.rows; ++c) best = std::min(best, y_sq[i] - 2 * dot(i, c) + c_sq[c]);
    out[i] = std::max(best, 0.0);
  }
  return out;
}

}  // namespace oodbench

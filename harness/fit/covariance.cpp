#include "harness/fit/covariance.h"

#include <algorithm>
#include <cmath>
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
  return fit;
}

Shrinkage parse_shrinkage(const std::string& name) {
  if (name == "none") return Shrinkage::none;
  if (name == "ridge") return Shrinkage::ridge;
  if (name == "ledoit_wolf") return Shrinkage::ledoit_wolf;
  throw InputError("shrinkage: expected none, ridge or ledoit_wolf, got '" + name + "'");
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

Whitening whitening(const CovarianceFit& fit, Shrinkage shrinkage, double ridge, double rcond) {
  const std::size_t d = fit.matrix.rows;
  std::vector<double> values = fit.eigen.values;
  double cutoff = 0;  // the ridge inverse keeps every direction: Σ + εI is positive definite
  if (shrinkage == Shrinkage::ridge) {
    for (double& v : values) v += ridge;
    if (values.front() <= 0)
      throw InputError("shrinkage = ridge: ε = " + std::to_string(ridge) + " does not make Σ + εI positive definite "
                       "(smallest eigenvalue of Σ " + std::to_string(fit.eigen.values.front()) + "); use a larger ridge");
  } else {
    if (shrinkage == Shrinkage::ledoit_wolf) {
      double trace = 0;
      for (std::size_t i = 0; i < d; ++i) trace += fit.matrix(i, i);
      const double s = ledoit_wolf_shrinkage(fit);
      for (double& v : values) v = (1.0 - s) * v + s * trace / static_cast<double>(d);
    }
    cutoff = (rcond > 0 ? rcond : default_rcond(d)) * *std::max_element(values.begin(), values.end());
  }
  std::vector<std::size_t> kept;
  for (std::size_t j = 0; j < d; ++j)
    if (values[j] > cutoff) kept.push_back(j);
  Whitening w;
  const double lambda_max = *std::max_element(values.begin(), values.end());
  w.unresolved = static_cast<std::size_t>(
      std::count_if(kept.begin(), kept.end(), [&](std::size_t j) { return values[j] < kResolvedEigenvalue * lambda_max; }));
  w.rows = Matrix<double>(kept.size(), d);
  for (std::size_t r = 0; r < kept.size(); ++r) {
    const double scale = 1.0 / std::sqrt(values[kept[r]]);
    for (std::size_t i = 0; i < d; ++i) w.rows(r, i) = fit.eigen.vectors(i, kept[r]) * scale;
  }
  return w;
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

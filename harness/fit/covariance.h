// Covariance estimates and their pseudo-inverses as METHODS.md prescribes: accumulated and decomposed in float64,
// eigenvalues λ <= rcond · λ_max dropped (rcond = D · float32 epsilon by default, scikit-learn's pinvh for float32).
// Scoring then never forms a batch x batch matrix: ‖L (x - m)‖² with L = Λ^-1/2 Uᵀ over the kept eigenpairs.
#pragma once

#include <string>

#include "kernels/backend.h"

namespace oodbench {

struct CovarianceFit {
  Matrix<double> matrix;     ///< Σ = (1/N) Σ_i (x_i - c_i)(x_i - c_i)ᵀ
  SymmetricEigen eigen;      ///< of `matrix`; shrinkage reuses its eigenvectors
  double mean_fourth = 0;    ///< (1/N) Σ_i ‖x_i - c_i‖⁴, for Ledoit-Wolf
  std::size_t samples = 0;
};

/// Fits Σ around per-row centers (`centers` row `group[i]`, or row 0 for all when `group` is empty).
CovarianceFit fit_covariance(const Backend& backend, const Matrix<float>& x, const Matrix<double>& centers,
                             std::span<const std::int32_t> group);

enum class Shrinkage { none, ridge, ledoit_wolf };
Shrinkage parse_shrinkage(const std::string& name);  // "none", "ridge", "ledoit_wolf"

/// scikit-learn's Ledoit-Wolf shrinkage coefficient (assume_centered: the rows were already centred by the fit).
double ledoit_wolf_shrinkage(const CovarianceFit& fit);

/// The default cut-off ratio for a D-dimensional pseudo-inverse: D · 1.1920929e-7.
double default_rcond(std::size_t dims);

/// How many eigenvalues lie above float64's noise floor in the decomposition (D · eps · λ_max): the directions an
/// eigensolver determines. Beyond it, which null directions come out is decided by rounding.
std::size_t numerical_rank(const SymmetricEigen& eig);

struct Whitening {
  Matrix<float> rows;    ///< r x D: u_j / sqrt(λ_j) for each kept eigenpair, so ‖rows · v‖² = vᵀ Σ⁺ v
  std::size_t rank = 0;
};

/// The whitening of Σ, Σ + ridge·I, or the Ledoit-Wolf estimate, keeping eigenvalues above rcond · λ_max
/// (rcond <= 0 means default_rcond).
Whitening whitening(const CovarianceFit& fit, Shrinkage shrinkage, double ridge, double rcond);

/// Rows of `x` minus `center` (length D), as float32, ready for a projection.
Matrix<float> subtract_row(const Matrix<float>& x, std::span<const double> center);

/// Squared norms of the rows of `x · Lᵀ`, i.e. the Mahalanobis distances of already-centred rows.
std::vector<double> whitened_sqnorms(const Matrix<float>& centred, const Whitening& w, const Backend& backend);

}  // namespace oodbench

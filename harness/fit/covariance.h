// Covariance estimates and their pseudo-inverses (docs/methods.md#pseudo-inverses): accumulated and decomposed in
// float64, eigenvalues λ <= rcond · λ_max dropped (rcond = D · float64 epsilon by default: scipy's pinvh of the float64
// covariance, i.e. scikit-learn's EmpiricalCovariance().precision_). Scoring never forms a batch x batch matrix:
// ‖L (x - m)‖² with L = Λ^-1/2 Uᵀ over the kept eigenpairs, projected in float64 because the wide cut keeps directions
// whose 1/sqrt(λ) amplifies float32 rounding beyond 1e-4 in differences of distances (RMDS).
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

/// The default cut-off ratio for a D-dimensional pseudo-inverse: D · 2.220446e-16 (float64 epsilon), pinvh's.
double default_rcond(std::size_t dims);
/// The cut that keeps only what float32 data resolves: D · 1.1920929e-7. ViM's pinv(W) uses it; Mahalanobis-type
/// detectors take it as an explicit `rcond` (the default before oodbench 0.2).
double float32_rcond(std::size_t dims);

/// How many eigenvalues lie above float64's noise floor in the decomposition (D · eps · λ_max): the directions an
/// eigensolver determines. Beyond it, which null directions come out is decided by rounding.
std::size_t numerical_rank(const SymmetricEigen& eig);

struct Whitening {
  Matrix<double> rows;         ///< r x D: u_j / sqrt(λ_j) for each kept eigenpair, so ‖rows · v‖² = vᵀ Σ⁺ v
  std::size_t unresolved = 0;  ///< kept directions with λ_j < kResolvedEigenvalue · λ_max: float64 knows such a λ_j
                               ///< (to about D · eps · λ_max) to worse than 1e-4 of itself, so rounding sways scores
  std::size_t rank() const { return rows.rows; }
};

/// Below this fraction of λ_max (1e4 times float64's D · eps floor for D ~ 1000) an eigenvalue is poorly resolved.
inline constexpr double kResolvedEigenvalue = 2.3e-9;

/// The whitening of the pseudo-inverse of Σ (eigenvalues above rcond · λ_max; rcond <= 0 means default_rcond), of
/// the exact inverse (Σ + ridge·I)⁻¹ (no cut: the ridge makes it positive definite, and a cut would undo it), or of
/// the pseudo-inverse of the Ledoit-Wolf estimate.
Whitening whitening(const CovarianceFit& fit, Shrinkage shrinkage, double ridge, double rcond);

/// Rows of `x` minus `center` (length D), as float32, ready for a projection.
Matrix<float> subtract_row(const Matrix<float>& x, std::span<const double> center);

/// (x_i - center) · Lᵀ for every row, in float64: the whitened coordinates.
Matrix<double> whiten(const Matrix<float>& x, std::span<const double> center, const Whitening& w,
                      const Backend& backend);

/// Squared norms of the rows of `y`: Mahalanobis distances of whitened coordinates.
std::vector<double> row_sqnorms(const Matrix<double>& y);

/// For each row of `y`, the smallest squared distance to a row of `centroids` (both whitened), in float64 through
/// one product: ‖y‖² - 2 y·c + ‖c‖² (no cancellation worth the name at float64 precision for these magnitudes).
std::vector<double> nearest_sqdist(const Matrix<double>& y, const Matrix<double>& centroids, const Backend& backend);

}  // namespace oodbench

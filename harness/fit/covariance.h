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
  Matrix<double> sample;     ///< up to kSampleRows evenly spaced rows x_i - c_i: what a fit warning measures cuts on
};

/// Rows kept in CovarianceFit::sample: enough to measure how two cuts order them to about 2 %, cheap to project.
inline constexpr std::size_t kSampleRows = 256;

/// Fits Σ around per-row centers (`centers` row `group[i]`, or row 0 for all when `group` is empty).
CovarianceFit fit_covariance(const Backend& backend, const Matrix<float>& x, const Matrix<double>& centers,
                             std::span<const std::int32_t> group);

/// How a covariance is inverted: ε added to every eigenvalue, then those at or below rcond times the largest dropped
/// (rcond 0: none, the exact inverse, which needs every λ + ε > 0). Ledoit-Wolf shrinks the eigenvalues first.
struct InverseRule {
  double ridge = 0;          ///< ε, absolute, on Σ = scatter / N
  double rcond = 0;          ///< relative cut after the ridge; 0 keeps every direction
  bool ledoit_wolf = false;  ///< invert scikit-learn's Ledoit-Wolf estimate instead of Σ
};

/// The named conventions (docs/methods.md#conventions): each one reference implementation's exact operations.
enum class Convention {
  openood,             ///< scipy's pinvh of the float64 Σ (scikit-learn's precision_, OpenOOD's MDS and RMDS)
  pytorch_ood,         ///< pinv(N Σ + 1e-6 I) with torch's default cut D · float32 eps (pytorch-ood's Mahalanobis now)
  pytorch_ood_legacy,  ///< inv(N Σ + 1e-6 I) (pytorch-ood 0.1.2 to 0.2.0)
  float32,             ///< the cut D · float32 eps: only the directions float32 features resolve
};
inline constexpr const char* kConventionNames[] = {"openood", "pytorch-ood", "pytorch-ood-legacy", "float32"};
Convention parse_convention(const std::string& name);
inline const char* convention_name(Convention c) { return kConventionNames[static_cast<int>(c)]; }

/// The rule `convention` applies to a covariance of `dims` columns fitted on `samples` rows. pytorch-ood adds its
/// 1e-6 to the undivided scatter N Σ, which is 1e-6 / N on Σ; its pinv cut is relative, so the scale does not move it.
InverseRule convention_rule(Convention convention, std::size_t dims, std::size_t samples);

/// scikit-learn's Ledoit-Wolf shrinkage coefficient (assume_centered: the rows were already centred by the fit).
double ledoit_wolf_shrinkage(const CovarianceFit& fit);

/// The default cut-off ratio for a D-dimensional pseudo-inverse: D · 2.220446e-16 (float64 epsilon), pinvh's.
double default_rcond(std::size_t dims);
/// The cut that keeps only what float32 data resolves: D · 1.1920929e-7 (torch.linalg.pinv's default for float32).
/// ViM's pinv(W) uses it; Mahalanobis-type detectors with convention float32 or pytorch-ood.
double float32_rcond(std::size_t dims);

/// How many eigenvalues lie above float64's noise floor in the decomposition (D · eps · λ_max): the directions an
/// eigensolver determines. Beyond it, which null directions come out is decided by rounding.
std::size_t numerical_rank(const SymmetricEigen& eig);

struct Whitening {
  Matrix<double> rows;         ///< r x D: u_j / sqrt(λ_j) for each kept eigenpair, so ‖rows · v‖² = vᵀ Σ⁺ v
  std::size_t unresolved = 0;  ///< kept directions with λ_j < kResolvedEigenvalue · λ_max: float64 knows such a λ_j
                               ///< (to about D · eps · λ_max) to worse than 1e-4 of itself, so rounding sways scores
  std::size_t beyond_float32 = 0;  ///< kept directions with λ_j <= float32_rcond(D) · λ_max: what float32 features do
                                   ///< not resolve (for the fit's warning; not saved with a model)
  std::size_t rank() const { return rows.rows; }
};

/// Below this fraction of λ_max (1e4 times float64's D · eps floor for D ~ 1000) an eigenvalue is poorly resolved.
inline constexpr double kResolvedEigenvalue = 2.3e-9;

/// The whitening of Σ inverted by `rule`. An exact inverse (rcond 0) of a matrix that is not positive definite is an
/// InputError asking for a larger ridge.
Whitening whitening(const CovarianceFit& fit, const InverseRule& rule);

/// The eigenvalues `rule` keeps of `values` (Σ's, or a diagonal's), each with its ridge added, and their indices.
struct KeptEigenvalues {
  std::vector<std::size_t> index;
  std::vector<double> value;  ///< λ + ε
  double largest = 0;         ///< max(λ + ε) over all, kept or not
};
KeptEigenvalues kept_eigenvalues(std::vector<double> values, const InverseRule& rule);

/// The fraction of pairs of `fit.sample` rows that the distances ‖L v‖² of whitenings `a` and `b` order differently
/// (Kendall's discordance, a tie counting half): 0 when the two inverses rank the rows alike, 0.5 when their orders are
/// unrelated. What a cut can do to AUROC, measured on the data at hand.
double order_disagreement(const CovarianceFit& fit, const Whitening& a, const Whitening& b, const Backend& backend);

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

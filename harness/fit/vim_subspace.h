// ViM's origin and residual space (docs/methods.md#vim), shared by `vim` and `residual`: u = -pinv(W) b with the
// float32 cut, R the D - D_p smallest-eigenvalue directions of Σ_u = (1/N) Σ_i (x_i - u)(x_i - u)ᵀ, r(x) = ‖Rᵀ(x - u)‖.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "harness/fit/covariance.h"
#include "harness/fit/fit_context.h"
#include "harness/fit/linear_head.h"
#include "kernels/backend.h"
#include "kernels/rowwise.h"

namespace oodbench {

/// u = -pinv(W) b = -Wᵀ (W Wᵀ)⁺ b, dropping eigenvalues of W Wᵀ at or below D · float32 eps of the largest.
inline std::vector<double> vim_origin(const LinearHead& head, const Backend& backend) {
  const std::size_t c = head.classes(), d = head.weight.cols;
  Matrix<double> gram(c, c);
  for (std::size_t a = 0; a < c; ++a)
    for (std::size_t b = 0; b < c; ++b)
      for (std::size_t j = 0; j < d; ++j) gram(a, b) += static_cast<double>(head.weight(a, j)) * head.weight(b, j);
  const SymmetricEigen eig = backend.eigh(gram);
  const double cutoff = float32_rcond(d) * eig.values.back();  // deliberately not pinv's 1e-15: docs/methods.md#vim
  std::vector<double> solved(c);  // (W Wᵀ)⁺ b
  for (std::size_t k = 0; k < c; ++k) {
    if (eig.values[k] <= cutoff) continue;
    double proj = 0;
    for (std::size_t a = 0; a < c; ++a) proj += eig.vectors(a, k) * head.bias[a];
    for (std::size_t a = 0; a < c; ++a) solved[a] += eig.vectors(a, k) * proj / eig.values[k];
  }
  std::vector<double> u(d);
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t a = 0; a < c; ++a) u[j] -= head.weight(a, j) * solved[a];
  return u;
}

/// The residual space of `rows` about `origin`: the D - dp eigenvectors of Σ_u with the smallest eigenvalues, as
/// (D - dp) x D float32 rows. Warns through `ctx` when Σ_u has numerical rank below dp.
inline Matrix<float> vim_residual_space(FitContext& ctx, const Matrix<float>& rows, std::span<const double> origin,
                                        std::size_t dp) {
  const Backend& backend = ctx.backend();
  const std::size_t d = rows.cols;
  Matrix<double> center(1, d);
  center.data.assign(origin.begin(), origin.end());
  const SymmetricEigen eig = backend.eigh(fit_covariance(backend, rows, center, {}).matrix);
  // Rank below D_p (fewer samples than principal dimensions) puts the cut between principal and residual space
  // inside the null space: rounding then picks the residual directions. Said, not refused.
  if (const std::size_t rank = numerical_rank(eig); rank < dp) {
    ctx.warn("the covariance about the origin has numerical rank " + std::to_string(rank) + " < D_p = " +
             std::to_string(dp) + ", so rounding picks its residual space and scores differ between devices and "
             "BLAS builds; set principal_dims below " + std::to_string(rank));
  }
  Matrix<float> space(d - dp, d);  // eigenvalues ascending: the first D - D_p columns
  for (std::size_t r = 0; r < d - dp; ++r)
    for (std::size_t j = 0; j < d; ++j) space(r, j) = static_cast<float>(eig.vectors(j, r));
  return space;
}

/// r(x) = ‖Rᵀ(x - u)‖ for every row of `x`.
inline std::vector<double> vim_residual_norms(const Matrix<float>& x, std::span<const double> origin,
                                              const Matrix<float>& space, const Backend& backend) {
  const Matrix<float> proj = backend.matmul_nt(subtract_row(x, origin), space);
  std::vector<double> out(x.rows);
  for (std::size_t i = 0; i < x.rows; ++i)
    out[i] = std::sqrt(static_cast<double>(squared_norm(proj.row(i), proj.cols)));
  return out;
}

}  // namespace oodbench

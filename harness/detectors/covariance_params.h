// The covariance parameters that Mahalanobis-type detectors share, declared once.
#pragma once

#include "harness/detectors/detector.h"

namespace oodbench {

inline std::vector<ParamSpec> covariance_params() {
  return {{"shrinkage", "none",
           "covariance estimate: none (pseudo-inverse), ridge (exact (Σ + εI)⁻¹, no cut) or ledoit_wolf",
           {"none", "ridge", "ledoit_wolf"}},
          {"ridge", 1e-6, "ε added to the diagonal when shrinkage = ridge (absolute, pytorch-ood's)", {}},
          {"rcond", 0.0,
           "drop eigenvalues <= rcond · λ_max; 0 means D · 2.22e-16 (scikit-learn's precision_, OpenOOD's); "
           "D · 1.19e-7 keeps only what float32 resolves",
           {}}};
}

/// Whitening of `fit` from the parameters above; warns through `ctx` when it keeps poorly resolved directions.
inline Whitening whitening_from(FitContext& ctx, const CovarianceFit& fit, const Params& p, const std::string& who) {
  Whitening w = whitening(fit, parse_shrinkage(p.text("shrinkage")), p.number("ridge"), p.number("rcond"));
  if (w.unresolved > 0)
    ctx.warn(who + ": the pseudo-inverse keeps " + std::to_string(w.unresolved) + " of " + std::to_string(w.rank()) +
             " directions with eigenvalues below 2.3e-9 · λ_max, which float64 resolves to worse than 1e-4; rounding sways their share of the scores (most in "
             "rmds's difference of distances). rcond = D · 1.19e-7 keeps only resolved directions "
             "(docs/methods.md#pseudo-inverses)");
  return w;
}

/// Rows of `m` (float64) minus `center`, projected by the whitening: the centroids in whitened space.
inline Matrix<double> whiten_rows(const Matrix<double>& m, std::span<const double> center, const Whitening& w) {
  Matrix<double> out(m.rows, w.rank());
  for (std::size_t c = 0; c < m.rows; ++c)
    for (std::size_t r = 0; r < w.rank(); ++r) {
      double s = 0;
      for (std::size_t j = 0; j < m.cols; ++j) s += w.rows(r, j) * (m(c, j) - center[j]);
      out(c, r) = s;
    }
  return out;
}

/// Scores in float32 from float64 distances.
inline std::vector<float> to_scores(const std::vector<double>& s) { return std::vector<float>(s.begin(), s.end()); }

}  // namespace oodbench

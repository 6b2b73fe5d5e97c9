// The covariance parameters that Mahalanobis-type detectors share, declared once.
#pragma once

#include "harness/detectors/detector.h"

namespace oodbench {

inline std::vector<ParamSpec> covariance_params() {
  return {{"shrinkage", "none", "covariance estimate: none (pseudo-inverse), ridge (Σ + εI) or ledoit_wolf",
           {"none", "ridge", "ledoit_wolf"}},
          {"ridge", 1e-6, "ε added to the diagonal when shrinkage = ridge", {}},
          {"rcond", 0.0, "drop eigenvalues <= rcond · λ_max; 0 means D · 1.19e-7 (scikit-learn's float32 pinvh)", {}}};
}

/// Whitening of `fit` from the parameters above.
inline Whitening whitening_from(const CovarianceFit& fit, const Params& p) {
  return whitening(fit, parse_shrinkage(p.text("shrinkage")), p.number("ridge"), p.number("rcond"));
}

/// Rows of `m` (float64) minus `center`, projected by the whitening: the centroids in whitened space.
inline Matrix<float> whiten_rows(const Matrix<double>& m, std::span<const double> center, const Whitening& w) {
  Matrix<float> out(m.rows, w.rows.rows);
  for (std::size_t c = 0; c < m.rows; ++c)
    for (std::size_t r = 0; r < w.rows.rows; ++r) {
      double s = 0;
      for (std::size_t j = 0; j < m.cols; ++j) s += w.rows(r, j) * (m(c, j) - center[j]);
      out(c, r) = static_cast<float>(s);
    }
  return out;
}

}  // namespace oodbench

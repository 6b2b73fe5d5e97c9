// pNML, single-layer predictive normalized maximum likelihood (Bibas et al., NeurIPS 2021), docs/methods.md#pnml:
// x̂ = x / max(‖x‖, 1e-12) for train and test rows; G = Σ_i x̂_i x̂_iᵀ over the ID train rows (uncentred, no bias
// column) and P = G⁺ (eigenvalues <= rcond · λ_max dropped; rcond = 0 means D · 2.22e-16, the project's pinvh cut);
// q = x̂ᵀ P x̂, g = q / (1 + q), p = softmax(W x̂ + b);
// s = log(Σ_c p_c / (p_c + (1 - p_c) p_c^g)) / log C, the regret (in [0, 1]; higher = more OOD).
// Each term is computed as 1 / (1 + (1 - p_c) exp((g - 1) log p_c)) from log-softmax, so a probability that
// underflows is a term of 0, its limit. Follows kobybibas/pnml_ood_detection (lit_utils/baseline_lit_utils.py) and
// pytorch-ood's detector/pnml.py, which differ only in their float32 pseudo-inverse cuts (documented).
// Tested against a float64 NumPy reference in tests/detectors/test_pnml.py.
#include <cmath>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/covariance.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// Rows scaled to unit L2 norm (norm floored at 1e-12) in float64, for the test side's products.
Matrix<double> unit_rows(const Matrix<float>& x) {
  Matrix<double> out(x.rows, x.cols);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double sq = 0;
    for (std::size_t j = 0; j < x.cols; ++j) sq += static_cast<double>(x(i, j)) * x(i, j);
    const double norm = std::max(std::sqrt(sq), 1e-12);
    for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = x(i, j) / norm;
  }
  return out;
}

class Pnml final : public Detector {
 public:
  explicit Pnml(const Params& p) : rcond_(p.number("rcond")) {
    if (!(rcond_ >= 0 && rcond_ < 1)) throw InputError("pnml: rcond must be in [0, 1)");
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    if (head_.classes() < 2) throw InputError("pnml: needs a head with at least 2 classes (the regret is over log C)");
    // Σ = G / N around a zero centre: its pseudo-inverse whitening L has ‖L v‖² = N vᵀ G⁺ v.
    const Matrix<float>& x = ctx.normalized_train();
    const CovarianceFit gram = fit_covariance(ctx.backend(), x, Matrix<double>(1, x.cols), {});
    projection_ = whitening(gram, InverseRule{.rcond = rcond_ > 0 ? rcond_ : default_rcond(x.cols)});  // 0: pinvh's cut
    for (double& v : projection_.rows.data) v /= std::sqrt(static_cast<double>(x.rows));
    if (projection_.unresolved > 0)
      ctx.warn("the pseudo-inverse keeps " + std::to_string(projection_.unresolved) + " of " +
               std::to_string(projection_.rank()) + " directions with eigenvalues below 2.3e-9 · λ_max, which "
               "float64 resolves to worse than 1e-4; rcond = D · 1.19e-7 keeps only resolved directions "
               "(docs/methods.md#pnml)");
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("projection", projection_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> unit = unit_rows(x);
    const std::vector<double> q = row_sqnorms(backend.matmul_nt(unit, projection_.rows));
    const Matrix<double> z = head_.exact_logits(unit, backend);
    const std::size_t c = z.cols;
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double lse = logsumexp(z.row(i), c), g = q[i] / (1 + q[i]);
      double total = 0;
      for (std::size_t k = 0; k < c; ++k) {
        const double log_p = z(i, k) - lse;
        total += 1 / (1 + (1 - std::exp(log_p)) * std::exp((g - 1) * log_p));
      }
      out[i] = static_cast<float>(std::log(total) / std::log(static_cast<double>(c)));
    }
    return out;
  }

 private:
  double rcond_;
  LinearHead head_;
  Whitening projection_;  // r x D: ‖projection x̂‖² = x̂ᵀ G⁺ x̂
};

OODBENCH_REGISTER_DETECTOR(Pnml, {
    .name = "pnml",
    .summary = "s = log(sum_c p_c / (p_c + (1 - p_c) p_c^g)) / log C, g = q / (1 + q), q = x^T "
               "pinv(G) x on l2-normalised features",
    .reference = "docs/methods.md#pnml; Bibas et al., NeurIPS 2021",
    .needs_head = true,
    .params = {{"rcond", 0.0,
               "drop eigenvalues of the train Gram matrix <= rcond · λ_max; 0 means D · 2.22e-16 "
               "(docs/methods.md#pseudo-inverses); D · 1.19e-7 keeps only what float32 resolves",
               {}}},
})

}  // namespace
}  // namespace oodbench

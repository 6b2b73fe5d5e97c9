// KL matching (Hendrycks et al., ICML 2022, "Scaling out-of-distribution detection for real-world settings"),
// docs/methods.md "More post-hoc baselines: logit and energy family": for each class c, d_c = the mean softmax of
// the ID val rows (else ID train rows) the head predicts as c, the one-hot e_c when it predicts none;
// s = min_c KL(p ‖ d_c), KL(p ‖ q) = Σ_j p_j log(p_j / q_j) (0 where p_j = 0, +inf where q_j = 0 < p_j).
// Reference: OpenOOD openood/postprocessors/kl_matching_postprocessor.py (no labels used: predicted classes).
// Tested against a float64 NumPy reference in tests/detectors/test_klm.py.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class KlMatching final : public LogitDetector {
 public:
  explicit KlMatching(const Params&) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>* val = ctx.validation();
    split_ = val ? "val" : "train";
    const Matrix<double> z = val ? head_.logits(*val, ctx.backend()) : ctx.train_logits();
    const std::size_t c = z.cols;
    typical_ = Matrix<double>(c, c);  // row k: d_k
    std::vector<std::size_t> count(c, 0);
    std::vector<double> p(c);
    for (std::size_t i = 0; i < z.rows; ++i) {
      softmax(z.row(i), p.data(), c);
      const std::size_t top = argmax(z.row(i), c);
      ++count[top];
      for (std::size_t j = 0; j < c; ++j) typical_(top, j) += p[j];
    }
    for (std::size_t k = 0; k < c; ++k)
      for (std::size_t j = 0; j < c; ++j)
        typical_(k, j) = count[k] ? typical_(k, j) / static_cast<double>(count[k]) : (j == k ? 1.0 : 0.0);
  }

  void state(StateIO& io) override {
    LogitDetector::state(io);
    io.field("typical", typical_);
    io.field("fit_split", split_);
  }

  std::string fit_split() const override { return split_; }

 protected:
  double score_row(const double* z, std::size_t c) const override {
    std::vector<double> p(c);
    softmax(z, p.data(), c);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < c; ++k) {
      double kl = 0;
      for (std::size_t j = 0; j < c && std::isfinite(kl); ++j) {  // terms may be negative: no early exit
        if (p[j] == 0) continue;
        const double q = typical_(k, j);
        kl += q > 0 ? p[j] * std::log(p[j] / q) : std::numeric_limits<double>::infinity();
      }
      best = std::min(best, kl);
    }
    return best;
  }

 private:
  Matrix<double> typical_;
  std::string split_ = "train";
};

OODBENCH_REGISTER_DETECTOR(KlMatching, {
    .name = "klm",
    .summary = "s = min_c KL(softmax(z) || d_c), d_c the mean ID val softmax of class c",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; "
                 "Hendrycks et al., ICML 2022",
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench

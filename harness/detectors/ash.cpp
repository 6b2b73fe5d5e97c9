// ASH-S + energy (Djurisic et al., ICLR 2023), METHODS.md "Feature-space baselines": per sample, t = the p-th
// percentile of x's own values; x' = x · [x >= t]; x'' = x' · exp(Σx / Σx'); s = -logsumexp(W x'' + b).
// A sample whose kept activations sum to 0 has x'' = 0 (the scale is then undefined, and irrelevant).
// Tested against a float64 NumPy reference in tests/detectors/test_ash.py.
#include <cmath>

#include "harness/detectors/logit_detector.h"
#include "harness/fit/percentile.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Ash final : public Detector {
 public:
  explicit Ash(const Params& p) : percentile_(p.number("percentile")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("ash: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override { head_ = ctx.head(); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> shaped(x.rows, x.cols);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < x.rows; ++i) {
      std::vector<float> values(x.row(i), x.row(i) + x.cols);
      const double t = percentile(values, percentile_);
      double total = 0, kept = 0;
      for (std::size_t j = 0; j < x.cols; ++j) {
        total += x(i, j);
        if (x(i, j) >= t) kept += x(i, j);
      }
      const double scale = kept != 0 ? std::exp(total / kept) : 0.0;
      for (std::size_t j = 0; j < x.cols; ++j) shaped(i, j) = x(i, j) >= t ? static_cast<float>(x(i, j) * scale) : 0;
    }
    return energy_scores(head_, shaped, backend);
  }

 private:
  double percentile_;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(Ash, {"ash", "s = -logsumexp(W x'' + b), x'' = ASH-S(x): prune below the p-th percentile, rescale",
                                 "METHODS.md Feature-space; Djurisic et al., ICLR 2023", false, true,
                                 {{"percentile", 90.0, "per-sample pruning percentile p", {}}}})

}  // namespace
}  // namespace oodbench

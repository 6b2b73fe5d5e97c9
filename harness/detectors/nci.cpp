// NCI (Liu & Qin, "Detecting out-of-distribution through the lens of neural collapse", CVPR 2025),
// docs/methods.md "More post-hoc baselines: logit and energy family": ŷ = argmax z, μ the ID train mean;
// s = -(w_ŷ · (x - μ) / ‖x - μ‖₂ + α ‖x‖₁), w_ŷ the head's (unnormalised) row of class ŷ; α = 1e-4.
// Reference: OpenOOD openood/postprocessors/nci_postprocessor.py. ‖x - μ‖ is floored at 1e-12 (the reference divides
// by zero there). Tested against a float64 NumPy reference in tests/detectors/test_nci.py.
#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Nci final : public Detector {
 public:
  explicit Nci(const Params& p) : alpha_(p.number("alpha")) {
    if (!(alpha_ >= 0)) throw InputError("nci: alpha must be >= 0");
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    mean_ = ctx.train_mean();
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("mean", mean_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const std::size_t top = argmax(z.row(i), z.cols);
      const float* w = head_.weight.row(top);
      double projection = 0, dist_sq = 0, l1 = 0;
      for (std::size_t j = 0; j < x.cols; ++j) {
        const double centred = static_cast<double>(x(i, j)) - mean_[j];
        projection += w[j] * centred;
        dist_sq += centred * centred;
        l1 += std::fabs(x(i, j));
      }
      out[i] = static_cast<float>(-(projection / std::max(std::sqrt(dist_sq), 1e-12) + alpha_ * l1));
    }
    return out;
  }

 private:
  double alpha_;
  LinearHead head_;
  std::vector<double> mean_;
};

OODBENCH_REGISTER_DETECTOR(Nci, {
    .name = "nci",
    .summary = "s = -(w_yhat . (x - mu) / ||x - mu|| + alpha ||x||_1)",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; Liu & Qin, "
                 "CVPR 2025",
    .needs_head = true,
    .params = {{"alpha", 1e-4, "weight alpha >= 0 of the feature L1 norm", {}}},
})

}  // namespace
}  // namespace oodbench

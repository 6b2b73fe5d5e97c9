// GradNorm on the linear head (Huang et al. 2021), docs/methods.md#gradnorm: the L1 norm of
// ∂KL(u ‖ softmax(z))/∂W is (Σ_c |p_c - 1/C|)(Σ_j |x_j|); s = -that.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class GradNorm final : public Detector {
 public:
  explicit GradNorm(const Params&) {}
  void fit(FitContext& ctx) override { head_ = ctx.head(); }
  void state(StateIO& io) override { io.field("head", head_); }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<double> z = head_.logits(x, backend);
    const std::size_t c = z.cols;
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      softmax(z.row(i), z.row(i), c);
      double dp = 0, l1 = 0;
      for (std::size_t k = 0; k < c; ++k) dp += std::fabs(z(i, k) - 1.0 / static_cast<double>(c));
      for (std::size_t j = 0; j < x.cols; ++j) l1 += std::fabs(x(i, j));
      out[i] = static_cast<float>(-dp * l1);
    }
    return out;
  }

 private:
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(GradNorm, {
    .name = "gradnorm",
    .summary = "s = -(sum_c |p_c - 1/C|)(sum_j |x_j|)",
    .reference = "docs/methods.md#gradnorm; Huang et al., NeurIPS 2021",
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench


// Gradient norms of binary cross-entropy through the linear head (Lee and AlRegib, ICIP 2020, as pytorch-ood's
// GradUncertainty, GradNorm and GradNormKL restricted to the head), docs/methods.md#gradbce. L = BCE(p, y) summed over
// classes, p = softmax(z), z = W x + b; its gradient with respect to W and b is g xᵀ and g, g = ∂L/∂z, so every norm
// of it factors: ‖g‖² (‖x‖² + 1) and ‖g‖₁ (‖x‖₁ + 1). variant graduncertainty (default): y = 1, g = C p - 1,
// s = -‖g‖² (‖x‖² + 1); gradnorm: the same with pytorch-ood GradNorm's sign, +; gradnormkl: y = 1/C,
// g_k = C p_k - 1 + (1 - 1/C)(1 - p_k Σ_{c≠k} 1/(1 - p_c)), s = -‖g‖₁ (‖x‖₁ + 1). Exact, where torch's BCE divides by
// max(p (1 - p), 1e-12). Tested against torch autograd in tests/detectors/test_gradbce.py.
#include <cmath>
#include <vector>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

enum class Target { ones, uniform };

/// ∂BCE(softmax(z), 1/C)/∂z of one row of C logits, into `g`. 1 - p_c is taken as it is for every class but the
/// most probable one, m (there 1 - p_c >= p_m >= 1/C); for m, p_k / (1 - p_m) = exp(z_k - logsumexp_{c≠m} z_c),
/// finite however close p_m is to 1.
void uniform_target_gradient(const double* z, std::size_t classes, double* g) {
  const double c = static_cast<double>(classes);
  softmax(z, g, classes);  // p, replaced entry by entry below
  std::size_t m = 0;
  for (std::size_t k = 1; k < classes; ++k) m = z[k] > z[m] ? k : m;
  double rest_max = -INFINITY, rest_sum = 0, inverse_sum = 0;  // logsumexp over c ≠ m; Σ_{c≠m} 1/(1 - p_c)
  for (std::size_t k = 0; k < classes; ++k)
    if (k != m) {
      rest_max = std::fmax(rest_max, z[k]);
      inverse_sum += 1.0 / (1.0 - g[k]);
    }
  for (std::size_t k = 0; k < classes; ++k)
    if (k != m) rest_sum += std::exp(z[k] - rest_max);
  const double rest_lse = rest_max + std::log(rest_sum);
  for (std::size_t k = 0; k < classes; ++k) {
    const double p = g[k];  // p_k Σ_{c≠k} 1/(1 - p_c):
    const double others = k == m ? p * inverse_sum : p * (inverse_sum - 1.0 / (1.0 - p)) + std::exp(z[k] - rest_lse);
    g[k] = c * p - 1.0 + (1.0 - 1.0 / c) * (1.0 - others);
  }
}

class GradBce final : public Detector {
 public:
  explicit GradBce(const Params& p)
      : target_(p.text("variant") == "gradnormkl" ? Target::uniform : Target::ones),
        sign_(p.text("variant") == "gradnorm" ? 1.0 : -1.0) {}

  void fit(FitContext& ctx) override { head_ = ctx.head(); }
  void state(StateIO& io) override { io.field("head", head_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<double> z = head_.logits(x, backend);
    const std::size_t classes = z.cols;
    const double c = static_cast<double>(classes);
    std::vector<double> g(classes);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* row = x.row(i);
      double gradient_norm = 0, feature_norm = 1;  // the bias's gradient is g itself: the feature 1
      if (target_ == Target::ones) {
        softmax(z.row(i), g.data(), classes);
        for (double v : g) gradient_norm += (c * v - 1.0) * (c * v - 1.0);
        for (std::size_t j = 0; j < x.cols; ++j) feature_norm += static_cast<double>(row[j]) * row[j];
      } else {
        uniform_target_gradient(z.row(i), classes, g.data());
        for (double v : g) gradient_norm += std::fabs(v);
        for (std::size_t j = 0; j < x.cols; ++j) feature_norm += std::fabs(row[j]);
      }
      out[i] = static_cast<float>(sign_ * gradient_norm * feature_norm);
    }
    return out;
  }

 private:
  Target target_;
  double sign_;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(GradBce, {
    .name = "gradbce",
    .summary = "s = -||dBCE(softmax(z), y)/d(W, b)||: y = 1, squared l2, = -||C p - 1||^2 (||x||^2 + 1) by default",
    .reference = "docs/methods.md#gradbce; Lee and AlRegib, ICIP 2020 (gradnormkl: pytorch-ood's GradNormKL)",
    .needs_head = true,
    .params = {{"variant", "graduncertainty",
               "graduncertainty (targets 1, -squared l2 norm), gradnorm (targets 1, +squared l2 norm, pytorch-ood's "
               "GradNorm) or gradnormkl (targets 1/C, -l1 norm)",
               {"graduncertainty", "gradnorm", "gradnormkl"}}},
})

}  // namespace
}  // namespace oodbench

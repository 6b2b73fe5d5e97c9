// ViM (Wang et al. 2022), docs/methods.md#vim: origin u = -pinv(W) b; R spans the D - D_p
// smallest-eigenvalue directions of Σ_u = (1/N) Σ_i (x_i - u)(x_i - u)ᵀ; r(x) = ‖Rᵀ(x - u)‖;
// α = mean_i max_c z_c(x_i) / mean_i r(x_i) on ID train; s = α r(x) - logsumexp(z).
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <cmath>

#include "harness/fit/vim_subspace.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// D_p: `given`, or D / 2 for 0.
std::size_t principal_dims(std::int64_t given, std::size_t d) {
  return given == 0 ? d / 2 : static_cast<std::size_t>(given);
}

class Vim final : public Detector {
 public:
  explicit Vim(const Params& p) : principal_dims_(p.integer("principal_dims")) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Backend& backend = ctx.backend();
    const std::size_t d = ctx.dims();
    const std::size_t dp = principal_dims(principal_dims_, d);  // in 1..D-1: vim_limits, checked before fit
    origin_ = vim_origin(head_, backend);
    residual_space_ = vim_residual_space(ctx, ctx.train(), origin_, dp);

    const std::vector<double> r = residual_norms(ctx.train(), backend);
    const Matrix<double>& z = ctx.train_logits();
    double mean_max_logit = 0, mean_residual = 0;
    for (std::size_t i = 0; i < z.rows; ++i) {
      mean_max_logit += row_max(z.row(i), z.cols);
      mean_residual += r[i];
    }
    alpha_ = mean_max_logit / mean_residual;
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("origin", origin_);
    io.field("residual_space", residual_space_);
    io.field("alpha", alpha_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::vector<double> r = residual_norms(x, backend);
    const Matrix<double> z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] = static_cast<float>(alpha_ * r[i] - logsumexp(z.row(i), z.cols));
    return out;
  }

 private:
  std::vector<double> residual_norms(const Matrix<float>& x, const Backend& backend) const {
    return vim_residual_norms(x, origin_, residual_space_, backend);
  }

  std::int64_t principal_dims_;
  LinearHead head_;
  std::vector<double> origin_;
  Matrix<float> residual_space_;  // (D - D_p) x D
  double alpha_ = 0;
};

std::vector<ParamLimit> vim_limits(const Params& p, const DataShape& shape) {
  const std::int64_t given = p.integer("principal_dims");
  const std::size_t dp = principal_dims(given, shape.dims);
  if (given >= 0 && dp >= 1 && dp < shape.dims) return {};
  return {{"principal_dims", "principal_dims must be in 1.." + std::to_string(shape.dims - 1) + " (the features have " +
                                 std::to_string(shape.dims) + " dimensions), got " + std::to_string(given)}};
}

OODBENCH_REGISTER_DETECTOR(Vim, {
    .name = "vim",
    .summary = "s = alpha ||R^T (x - u)|| - logsumexp(z)",
    .reference = "docs/methods.md#vim; Wang et al., CVPR 2022",
    .needs_head = true,
    .params = {{"principal_dims", 0, "principal subspace size D_p; 0 means D / 2", {}}},
    .limits = vim_limits,
})

}  // namespace
}  // namespace oodbench

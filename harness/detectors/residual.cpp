// Residual (Wang et al., CVPR 2022: ViM's residual alone), docs/methods.md "More post-hoc baselines":
// s = ‖Rᵀ(x - u)‖ with ViM's origin u = -pinv(W) b (and its float32 pinv cut) and R the D - D_p smallest-eigenvalue
// directions of Σ_u = (1/M) Σ_i (x_i - u)(x_i - u)ᵀ over the M fit rows: ID val when given (as OpenOOD), else ID train.
// Reference: OpenOOD openood/postprocessors/residual_postprocessor.py. Shares its fit code with vim
// (harness/fit/vim_subspace.h).
// Tested against a float64 NumPy reference in tests/detectors/test_residual.py.
#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/vim_subspace.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

constexpr std::size_t kOpenOodDims = 512;

/// D_p: `given`, or for 0 OpenOOD's residual.yml default (dim 512) where the features have more than 1024
/// dimensions, else D / 2.
std::size_t principal_dims(std::int64_t given, std::size_t d) {
  return given == 0 ? (d > 2 * kOpenOodDims ? kOpenOodDims : d / 2) : static_cast<std::size_t>(given);
}

class Residual final : public Detector {
 public:
  explicit Residual(const Params& p)
      : principal_dims_(p.integer("principal_dims")), train_only_(p.text("split") == "train") {}

  void fit(FitContext& ctx) override {
    // D_p in 1..D-1 and at most the fit rows: residual_limits, checked before fit.
    const std::size_t dp = principal_dims(principal_dims_, ctx.dims());
    const Matrix<float>* val = train_only_ ? nullptr : ctx.validation();
    split_ = val != nullptr ? "val" : "train";
    const Matrix<float>& rows = val != nullptr ? *val : ctx.train();
    origin_ = vim_origin(ctx.head(), ctx.backend());
    residual_space_ = vim_residual_space(ctx, rows, origin_, dp);
  }

  void state(StateIO& io) override {
    io.field("origin", origin_);
    io.field("residual_space", residual_space_);
    io.field("split", split_);
  }

  std::string fit_split() const override { return split_; }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::vector<double> r = vim_residual_norms(x, origin_, residual_space_, backend);
    return std::vector<float>(r.begin(), r.end());
  }

 private:
  std::int64_t principal_dims_;
  bool train_only_;
  std::vector<double> origin_;
  Matrix<float> residual_space_;  // (D - D_p) x D
  std::string split_ = "train";
};

std::vector<ParamLimit> residual_limits(const Params& p, const DataShape& shape) {
  const std::int64_t given = p.integer("principal_dims");
  const std::size_t d = shape.dims, dp = principal_dims(given, d);
  if (given < 0 || dp < 1 || dp >= d)
    return {{"principal_dims", "principal_dims must be in 1.." + std::to_string(d - 1) + " (the features have " +
                                   std::to_string(d) + " dimensions), got " + std::to_string(given)}};
  const bool on_val = p.text("split") == "val" && shape.val_rows > 0;
  const std::size_t rows = on_val ? shape.val_rows : shape.train_rows;
  if (rows >= dp) return {};
  return {{"principal_dims", std::string("the ID ") + (on_val ? "val" : "train") + " split has " + std::to_string(rows) +
                                 " rows, fewer than D_p = " + std::to_string(dp) +
                                 " principal dimensions, so the residual space would be arbitrary; set principal_dims "
                                 "to at most " + std::to_string(rows) + (on_val ? " or fit on train (split=train)" : "")}};
}

OODBENCH_REGISTER_DETECTOR(Residual, {
    .name = "residual",
    .summary = "s = ||R^T (x - u)||, ViM's residual alone (fitted on ID val if given)",
    .reference = "docs/methods.md \"More post-hoc baselines\"; Wang et al., CVPR 2022",
    .needs_head = true,
    .params = {{"principal_dims", 0,
                "principal subspace size D_p; 0 means OpenOOD's 512 when D > 1024, else D / 2",
                {}},
               {"split", "val", "ID split fitted on: val (when given, as OpenOOD; else train) "
                "or train", {"val", "train"}}},
    .limits = residual_limits,
})

}  // namespace
}  // namespace oodbench

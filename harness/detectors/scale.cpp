// SCALE (Xu et al., ICLR 2024), docs/methods.md "More post-hoc baselines: logit and energy family": per sample,
// k = D - round(D p / 100) (round half to even, as np.round; p = 85); r = Σ_j x_j / Σ (the k largest x_j);
// x'' = x · exp(r) (nothing pruned); s = -logsumexp(W x'' + b).
// Reference: OpenOOD openood/networks/scale_net.py (scale()) with postprocessors/scale_postprocessor.py.
// Tested against a float64 NumPy reference in tests/detectors/test_scale.py.
#include <cmath>

#include "harness/detectors/kth_largest.h"
#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Scale final : public Detector {
 public:
  explicit Scale(const Params& p) : percentile_(p.number("percentile")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("scale: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    if (kept(ctx.dims()) == 0) {
      throw InputError("scale: percentile " + std::to_string(percentile_) + " keeps none of the " +
                       std::to_string(ctx.dims()) + " features; use a smaller percentile");
    }
  }

  void state(StateIO& io) override { io.field("head", head_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t k = kept(x.cols);
    Matrix<float> scaled = Matrix<float>::uninitialized(x.rows, x.cols);
    for_each_row_top_sum(x, k, [&](std::size_t i, const float* row, double total, double top) {
      // A zero top-k sum makes the reference's ratio inf or NaN; the factor is 1 then (documented).
      const double factor = top != 0 ? std::exp(total / top) : 1.0;
      float* out = scaled.row(i);
      for (std::size_t j = 0; j < x.cols; ++j) out[j] = static_cast<float>(row[j] * factor);
    });
    return energy_scores(head_, scaled, backend);
  }

 private:
  /// k = D - round(D p / 100), with round half to even as np.round.
  std::size_t kept(std::size_t d) const {
    const double pruned = std::nearbyint(static_cast<double>(d) * percentile_ / 100.0);
    return d - static_cast<std::size_t>(pruned);
  }

  double percentile_;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(Scale, {
    .name = "scale",
    .summary = "s = -logsumexp(W x exp(sum(x) / sum(top-k of x)) + b)",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; Xu et al., "
                 "ICLR 2024",
    .needs_head = true,
    .params = {{"percentile", 85.0, "p: the k = D - round(D p / 100) largest values set the scale",
               {}}},
})

}  // namespace
}  // namespace oodbench

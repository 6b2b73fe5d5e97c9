// VRA as OpenOOD implements it (not the paper's VRA-P; Xu et al., NeurIPS 2023), docs/methods.md "More post-hoc
// baselines: logit and energy family": clip every feature to [t_lo, t_hi], the percentile_low-th and
// percentile_high-th percentiles (NumPy's linear interpolation; 10 and 90) of all ID val feature values (ID train
// without val), then energy: s = -logsumexp(W clip(x) + b).
// Reference: OpenOOD openood/postprocessors/vra_postprocessor.py. Tested in tests/detectors/test_vra.py.
#include <algorithm>
#include <string>
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "harness/fit/percentile.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Vra final : public Detector {
 public:
  explicit Vra(const Params& p) : low_(p.number("percentile_low")), high_(p.number("percentile_high")) {
    if (!(low_ >= 0 && low_ <= high_ && high_ <= 100))
      throw InputError("vra: need 0 <= percentile_low <= percentile_high <= 100");
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>* val = ctx.validation();
    split_ = val ? "val" : "train";
    const auto& source = val ? val->data : ctx.train().data;
    std::vector<float> values(source.begin(), source.end());
    threshold_low_ = static_cast<float>(percentile(values, low_));
    threshold_high_ = static_cast<float>(percentile(values, high_));
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("threshold_low", threshold_low_);
    io.field("threshold_high", threshold_high_);
    io.field("fit_split", split_);
  }

  std::string fit_split() const override { return split_; }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> clipped = x;
    for (float& v : clipped.data) v = std::clamp(v, threshold_low_, threshold_high_);
    return energy_scores(head_, clipped, backend);
  }

 private:
  double low_, high_;
  float threshold_low_ = 0, threshold_high_ = 0;
  LinearHead head_;
  std::string split_ = "train";
};

OODBENCH_REGISTER_DETECTOR(Vra, {
    .name = "vra",
    .summary = "s = -logsumexp(W clip(x, t_lo, t_hi) + b), t = percentiles of ID val values",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; OpenOOD's "
                 "vra_postprocessor.py (Xu et al., NeurIPS 2023)",
    .needs_head = true,
    .params = {{"percentile_low", 10.0, "lower clipping percentile of all ID val feature values", {}},
               {"percentile_high", 90.0, "upper clipping percentile of all ID val feature values",
                {}}},
})

}  // namespace
}  // namespace oodbench

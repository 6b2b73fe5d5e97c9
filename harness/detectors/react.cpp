// ReAct + Energy (Sun et al. 2021), docs/methods.md#react: clip features at the p-th percentile of all
// ID train feature values (NumPy's linear interpolation), z = W min(x, t) + b, s = -logsumexp(z).
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <algorithm>

#include "harness/detectors/logit_detector.h"
#include "harness/fit/percentile.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class ReAct final : public Detector {
 public:
  explicit ReAct(const Params& p) : percentile_(p.number("percentile")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("react: percentile must be in [0, 100]");
  }
  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    std::vector<float> values(ctx.train().data.begin(), ctx.train().data.end());
    threshold_ = static_cast<float>(percentile(values, percentile_));
  }
  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("threshold", threshold_);
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> clipped = x;
    for (float& v : clipped.data) v = std::min(v, threshold_);
    return energy_scores(head_, clipped, backend);
  }

 private:
  double percentile_;
  float threshold_ = 0;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(ReAct, {
    .name = "react",
    .summary = "s = -logsumexp(W min(x, t) + b), t = p-th percentile of ID train values",
    .reference = "docs/methods.md#react; Sun et al., NeurIPS 2021",
    .needs_head = true,
    .params = {{"percentile", 90.0, "clipping percentile p of all ID train feature values", {}}},
})

}  // namespace
}  // namespace oodbench

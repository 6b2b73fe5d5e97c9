// DICE, directed sparsification (Sun & Li, ECCV 2022), docs/methods.md "More post-hoc baselines: logit and energy
// family": contributions V_cj = x̄_j W_cj, x̄ the ID train mean feature; W' keeps the W_cj with V_cj strictly above
// the p-th percentile of all C·D contributions (NumPy's linear interpolation; p = 90) and zeroes the rest;
// s = -logsumexp(W' x + b). Reference: OpenOOD openood/postprocessors/dice_postprocessor.py (pytorch-ood's
// detector/dice.py is the same). Contributions are float32 products of the float32-rounded mean, as in both.
// Tested against a float64 NumPy reference in tests/detectors/test_dice.py.
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "harness/fit/percentile.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Dice final : public Detector {
 public:
  explicit Dice(const Params& p) : percentile_(p.number("p")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("dice: p must be in [0, 100]");
  }

  void fit(FitContext& ctx) override {
    const LinearHead& head = ctx.head();
    const std::vector<double>& mean = ctx.train_mean();
    std::vector<float> contribution(head.weight.data.size());
    for (std::size_t c = 0; c < head.weight.rows; ++c)
      for (std::size_t j = 0; j < head.weight.cols; ++j)
        contribution[c * head.weight.cols + j] = static_cast<float>(mean[j]) * head.weight(c, j);
    std::vector<float> sorted = contribution;
    threshold_ = percentile(sorted, percentile_);
    masked_ = head;
    kept_ = 0;
    for (std::size_t k = 0; k < contribution.size(); ++k) {
      const bool keep = contribution[k] > threshold_;
      kept_ += keep;
      if (!keep) masked_.weight.data[k] = 0;
    }
  }

  void state(StateIO& io) override {
    io.field("masked_head", masked_);
    io.field("threshold", threshold_);
    io.field("kept", kept_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    return energy_scores(masked_, x, backend);
  }

 private:
  double percentile_;
  double threshold_ = 0;
  std::size_t kept_ = 0;  ///< how many weights survive the mask
  LinearHead masked_;
};

OODBENCH_REGISTER_DETECTOR(Dice, {
    .name = "dice",
    .summary = "s = -logsumexp(W' x + b), W' = W where mean(x)_j W_cj > p-th percentile",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; Sun & Li, "
                 "ECCV 2022",
    .needs_head = true,
    .params = {{"p", 90.0, "percentile p of the C*D contributions below which weights are zeroed",
               {}}},
})

}  // namespace
}  // namespace oodbench

// OptFS, optimal piecewise feature shaping (Zhao et al., ICLR 2024), docs/methods.md#optfs. Fit: lo and hi are the
// 0.1 % and 99.9 % quantiles of every ID train value, cut into intervals of width (hi - lo) / 100 starting at lo as
// NumPy's arange(lo, hi, width) (100 or 101 of them); θ_k ∝ the mean over train rows of Σ_d W[ŷ, d] x_d over the
// values x_d in interval k, ŷ the head's prediction, scaled to ‖θ‖ = 1000. Score: h(x)_d = θ_k x_d for x_d in
// interval k, else 0; vanilla: s = -Σ_d W[p, d] h(x)_d with p = argmax of the unshaped logits (the authors'
// default); energy: s = -logsumexp(W h(x) + b). The ends of the intervals are computed in float64 and compared in
// float32, the features' precision, as the reference does: a value exactly on an end belongs to the interval it begins.
// Tested against a float64 NumPy reference in tests/detectors/test_optfs.py.
#include <algorithm>
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/detectors/logit_detector.h"
#include "harness/fit/percentile.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

constexpr double kTailPercent = 0.1;    // the percentiles that bound the shaped range: 0.1 and 99.9
constexpr double kIntervals = 100.0;   // the range / the interval width
constexpr double kThetaNorm = 1000.0;  // ‖θ‖ in the authors' code

class OptFs final : public Detector {
 public:
  explicit OptFs(const Params& p) : energy_(p.text("score") == "energy") {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>& x = ctx.train();
    std::vector<float> values(x.data.begin(), x.data.end());
    const double lo = percentile(values, kTailPercent), hi = percentile(values, 100 - kTailPercent);
    width_ = (hi - lo) / kIntervals;
    if (!(width_ > 0))
      throw InputError("optfs: the 0.1 % and 99.9 % quantiles of the ID train values are equal (" + std::to_string(lo) +
                       "), so there is no range to shape; the features need spread values");
    // np.arange(lo, hi, width): ceil((hi - lo) / width) values lo + k δ, δ = (lo + width) - lo
    const auto count = static_cast<std::size_t>(std::ceil((hi - lo) / width_));
    const double step = (lo + width_) - lo;
    lefts_.resize(count);
    rights_.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
      const double left = lo + static_cast<double>(k) * step;
      lefts_[k] = static_cast<float>(left);
      rights_[k] = static_cast<float>(left + width_);
    }

    const Matrix<double>& z = ctx.train_logits();
    std::vector<double> contribution(count);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* w = head_.weight.row(argmax(z.row(i), z.cols));
      for (std::size_t j = 0; j < x.cols; ++j)
        for_each_interval(x(i, j), [&](std::size_t k) { contribution[k] += static_cast<double>(w[j]) * x(i, j); });
    }
    double norm = 0;
    for (double& v : contribution) {
      v /= static_cast<double>(x.rows);
      norm += v * v;
    }
    if (!(norm > 0))
      throw InputError("optfs: the ID train values contribute nothing to the predicted logits in any interval, so "
                       "the shaping weights are undefined");
    theta_.resize(count);
    for (std::size_t k = 0; k < count; ++k) theta_[k] = contribution[k] / std::sqrt(norm) * kThetaNorm;
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("lefts", lefts_);
    io.field("rights", rights_);
    io.field("width", width_);
    io.field("theta", theta_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> shaped(x.rows, x.cols);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < x.cols; ++j) {
        double factor = 0;
        for_each_interval(x(i, j), [&](std::size_t k) { factor += theta_[k]; });
        shaped(i, j) = static_cast<float>(factor * x(i, j));
      }
    if (energy_) return energy_scores(head_, shaped, backend);
    const Matrix<double> z = head_.logits(x, backend);  // the prediction comes from the unshaped features
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* w = head_.weight.row(argmax(z.row(i), z.cols));
      double logit = 0;  // the predicted class's logit of the shaped features, without the bias
      for (std::size_t j = 0; j < x.cols; ++j) logit += static_cast<double>(w[j]) * shaped(i, j);
      out[i] = static_cast<float>(-logit);
    }
    return out;
  }

 private:
  /// Calls f(k) for every interval k with lefts_k <= v < rights_k (rounding can make two neighbours overlap by a
  /// bit, or leave a gap, exactly as in the reference).
  template <class F>
  void for_each_interval(float v, F f) const {
    const double offset = std::floor((v - lefts_.front()) / width_);
    if (!(offset >= -1 && offset <= static_cast<double>(lefts_.size()))) return;
    const auto guess = static_cast<std::ptrdiff_t>(offset);
    const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(lefts_.size()) - 1;
    for (std::ptrdiff_t k = std::max<std::ptrdiff_t>(guess - 1, 0); k <= std::min(guess + 1, last); ++k) {
      const auto i = static_cast<std::size_t>(k);
      if (lefts_[i] <= v && v < rights_[i]) f(i);
    }
  }

  bool energy_;
  LinearHead head_;
  std::vector<float> lefts_, rights_;  // the intervals [left, right)
  double width_ = 0;
  std::vector<double> theta_;  // the shaping weight of each interval
};

OODBENCH_REGISTER_DETECTOR(OptFs, {
    .name = "optfs",
    .summary = "s = -W[p] h(x), h = x scaled by the weight of its value's interval, the weights "
               "fitted on ID train contributions to the predicted logit",
    .reference = "docs/methods.md#optfs; Zhao et al., ICLR 2024",
    .needs_head = true,
    .params = {{"score", "vanilla",
               "vanilla: the predicted class's logit of the shaped features, without bias (the "
               "authors' default); energy: -logsumexp of the shaped logits",
               {"vanilla", "energy"}}},
})

}  // namespace
}  // namespace oodbench

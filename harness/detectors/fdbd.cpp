// fDBD, fast decision-boundary distance on the linear head (Liu & Qin, ICML 2024), docs/methods.md#fdbd:
// ŷ = argmax z; s = -[(1/(C-1)) Σ_{c≠ŷ} |z_ŷ - z_c| / ‖w_ŷ - w_c‖₂] / ‖x - μ‖₂, μ the ID train mean.
// Tested against a float64 NumPy reference in tests/detectors/test_fdbd.py.
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Fdbd final : public Detector {
 public:
  explicit Fdbd(const Params&) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    mean_ = ctx.train_mean();
    const std::size_t c = head_.classes();
    if (c < 2) throw InputError("fdbd: needs a head with at least 2 classes");
    weight_gap_ = head_.squared_row_gaps();  // ‖w_a - w_b‖₂ for every pair of classes
    for (double& v : weight_gap_.data) v = std::sqrt(v);
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("mean", mean_);
    io.field("weight_gap", weight_gap_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    const std::size_t c = z.cols;
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const std::size_t top = argmax(z.row(i), c);
      double boundary = 0;
      for (std::size_t k = 0; k < c; ++k) {
        if (k != top) boundary += std::fabs(z(i, top) - z(i, k)) / weight_gap_(top, k);
      }
      double dist_sq = 0;
      for (std::size_t j = 0; j < x.cols; ++j) dist_sq += (x(i, j) - mean_[j]) * (x(i, j) - mean_[j]);
      out[i] = static_cast<float>(-(boundary / static_cast<double>(c - 1)) / std::sqrt(dist_sq));
    }
    return out;
  }

 private:
  LinearHead head_;
  std::vector<double> mean_;
  Matrix<double> weight_gap_;
};

OODBENCH_REGISTER_DETECTOR(Fdbd, {
    .name = "fdbd",
    .summary = "s = -mean_{c != yhat} |z_yhat - z_c| / ||w_yhat - w_c|| / ||x - mu||",
    .reference = "docs/methods.md#fdbd; Liu & Qin, ICML 2024",
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench

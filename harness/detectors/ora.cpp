// ORA, OOD detection with Relative Angles (Demirel, Fumero & Locatello, NeurIPS 2025), docs/methods.md#ora:
// v = x - μ with μ the mean of the ID train class means; p = argmax z(x); for every class c ≠ p, x_c = x - s_c d_c is x
// projected onto the p-vs-c decision boundary (d_c = w_p - w_c, s_c = (z_p - z_c) / ‖d_c‖²), and
// a_c = arccos(cos(v, x_c - μ)) / π. s = -max_c a_c (the authors' code), or -mean_c a_c over all C classes with
// a_p = 0 (OpenOOD pull request 311's default), or -min over c ≠ p.
// The angles come from the logits and the head's C x C squared row distances, O(C) per row after the logits:
// ⟨v, d_c⟩ = (W v)_p - (W v)_c and ‖d_c‖² = ‖w_p - w_c‖². Everything after the logits is float64.
// Tested against a float64 NumPy reference (the projection written out) in tests/detectors/test_ora.py.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

enum class Aggregation { max, mean, min };

Aggregation parse_aggregation(const std::string& name) {
  if (name == "mean") return Aggregation::mean;
  if (name == "min") return Aggregation::min;
  return Aggregation::max;
}

class Ora final : public Detector {
 public:
  explicit Ora(const Params& p) : aggregation_(parse_aggregation(p.text("aggregation"))) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<double>& means = ctx.class_means();  // ID train, true labels
    const std::size_t c = head_.classes(), d = ctx.dims();
    center_.assign(d, 0.0);
    for (std::size_t k = 0; k < means.rows; ++k)
      for (std::size_t j = 0; j < d; ++j) center_[j] += means(k, j) / static_cast<double>(means.rows);
    center_logits_.assign(c, 0.0);  // W μ
    for (std::size_t a = 0; a < c; ++a)
      for (std::size_t j = 0; j < d; ++j) center_logits_[a] += head_.weight(a, j) * center_[j];
    squared_gaps_ = head_.squared_row_gaps();
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("center", center_);
    io.field("center_logits", center_logits_);
    io.field("squared_gaps", squared_gaps_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    const std::size_t c = z.cols;
    std::vector<float> out(x.rows);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * (x.cols + c)))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* xi = x.row(i);
      double vv = 0;  // ‖v‖²
      for (std::size_t j = 0; j < x.cols; ++j) {
        const double v = xi[j] - center_[j];
        vv += v * v;
      }
      const double* zi = z.row(i);
      const std::size_t p = argmax(zi, c);
      double total = 0, best = 0, least = std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < c; ++k) {
        if (k == p) continue;
        const double dd = squared_gaps_(p, k);  // ‖w_p - w_k‖²
        if (!(dd > 0)) continue;  // identical weight rows: the references' NaN, 0 for max and mean, left out of min
        const double shift = (zi[p] - zi[k]) / dd;
        // ⟨v, d⟩ = (W v)_p - (W v)_k, with W v = z - b - W μ
        const double vd = (zi[p] - head_.bias[p] - center_logits_[p]) - (zi[k] - head_.bias[k] - center_logits_[k]);
        const double dot = vv - shift * vd;  // ⟨v, v - shift d⟩
        const double uu = std::max(vv - 2 * shift * vd + shift * shift * dd, 0.0);  // ‖v - shift d‖²
        // F.normalize's floor of each norm at 1e-12, and the cosine clamped into [-1, 1] as in the pull request
        const double cosine = dot / (std::max(std::sqrt(vv), 1e-12) * std::max(std::sqrt(uu), 1e-12));
        const double angle = std::acos(std::clamp(cosine, -1.0, 1.0)) / std::numbers::pi;
        total += angle;
        best = std::max(best, angle);
        least = std::min(least, angle);
      }
      double conf = best;
      if (aggregation_ == Aggregation::mean) conf = total / static_cast<double>(c);
      if (aggregation_ == Aggregation::min) conf = std::isfinite(least) ? least : 0.0;
      out[i] = static_cast<float>(-conf);
    }
    return out;
  }

 private:
  Aggregation aggregation_;
  LinearHead head_;
  std::vector<double> center_;         // μ: the mean of the C class means (D)
  std::vector<double> center_logits_;  // W μ (C)
  Matrix<double> squared_gaps_;    // ‖w_a - w_b‖² (C x C)
};

OODBENCH_REGISTER_DETECTOR(Ora, {
    .name = "ora",
    .summary = "s = -max_c angle(x - mu, x_c - mu) / pi, x_c = x projected onto the "
               "predicted-vs-c decision boundary, mu the mean of the class means",
    .reference = "docs/methods.md#ora; Demirel, Fumero & Locatello, NeurIPS 2025",
    .needs_labels = true,
    .needs_head = true,
    .params = {{"aggregation", "max",
               "how the angles to the C - 1 boundaries combine: max (the authors' code), mean "
               "(over all C classes with 0 for the predicted one: OpenOOD pull request 311) or min",
               {"max", "mean", "min"}}},
})

}  // namespace
}  // namespace oodbench

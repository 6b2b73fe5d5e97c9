// MaxCosine, docs/methods.md "More post-hoc baselines": s = -max_c cos(x, μ_c), μ_c the ID train class means, with
// cos(x, μ) = ⟨x, μ⟩ / (max(‖x‖, 1e-12) · max(‖μ‖, 1e-12)). Neither OpenOOD nor pytorch-ood has a postprocessor for
// it; the definition is docs/methods.md's. One n x C float32 product of the normalised rows and means.
// Tested against a float64 NumPy reference in tests/detectors/test_maxcosine.py.
#include <algorithm>
#include <limits>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class MaxCosine final : public Detector {
 public:
  explicit MaxCosine(const Params&) {}

  void fit(FitContext& ctx) override {
    const Matrix<double>& means = ctx.class_means();
    Matrix<float> m(means.rows, means.cols);
    for (std::size_t i = 0; i < m.rows; ++i)
      for (std::size_t j = 0; j < m.cols; ++j) m(i, j) = static_cast<float>(means(i, j));
    directions_ = normalize_rows(m);  // μ_c / max(‖μ_c‖, 1e-12)
  }

  void state(StateIO& io) override { io.field("directions", directions_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> cos = backend.matmul_nt(normalize_rows(x), directions_);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] = -*std::max_element(cos.row(i), cos.row(i) + cos.cols);
    return out;
  }

 private:
  Matrix<float> directions_;  // C x D unit class-mean directions
};

OODBENCH_REGISTER_DETECTOR(MaxCosine, {
    .name = "maxcosine",
    .summary = "s = -max_c cos(x, mu_c), mu_c the ID train class means",
    .reference = "docs/methods.md \"More post-hoc baselines\"",
    .needs_labels = true,
})

}  // namespace
}  // namespace oodbench

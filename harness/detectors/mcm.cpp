// MCM, Maximum Concept Matching (Ming et al., NeurIPS 2022), docs/methods.md#mcm: the head's weight rows are the
// class text embeddings t_c (zero-shot, e.g. CLIP's); s = -max_c softmax(cos(x, t) / T)_c, each norm floored at 1e-12.
// The bias is not part of MCM: a supplied head with a non-zero bias is warned about and the bias ignored.
// Tested against a float64 NumPy reference in tests/detectors/test_mcm.py.
#include <algorithm>
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Mcm final : public Detector {
 public:
  explicit Mcm(const Params& p) : temperature_(p.number("temperature")) {
    if (!(temperature_ > 0)) throw InputError("mcm: temperature must be > 0");
  }

  void fit(FitContext& ctx) override {
    const LinearHead& head = ctx.head();
    if (ctx.has_supplied_head() && std::any_of(head.bias.begin(), head.bias.end(), [](float v) { return v != 0; }))
      ctx.warn("the head's bias is ignored (MCM scores cosines to the class text embeddings, which have none)");
    concepts_ = normalize_rows(head.weight);
  }

  void state(StateIO& io) override { io.field("concepts", concepts_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> cos = backend.matmul_nt(normalize_rows(x), concepts_);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* s = cos.row(i);
      const double top = *std::max_element(s, s + cos.cols);
      double sum = 0;  // max softmax = exp(0) / Σ_c exp((s_c - max s) / T)
      for (std::size_t c = 0; c < cos.cols; ++c) sum += std::exp((s[c] - top) / temperature_);
      out[i] = static_cast<float>(-1.0 / sum);
    }
    return out;
  }

 private:
  double temperature_;
  Matrix<float> concepts_;  // C x D unit text embeddings
};

OODBENCH_REGISTER_DETECTOR(Mcm, {
    .name = "mcm",
    .summary = "s = -max_c softmax(cos(x, t_c) / T), t_c the head's weight rows (class text "
               "embeddings)",
    .reference = "docs/methods.md#mcm; Ming et al., NeurIPS 2022",
    .needs_head = true,
    .params = {{"temperature", 1.0,
               "softmax temperature T (OpenOOD's tau; pytorch-ood's temperature = 100 "
               "multiplies, i.e. T = 0.01)",
               {}}},
})

}  // namespace
}  // namespace oodbench

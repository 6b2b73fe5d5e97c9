// MSP (Hendrycks & Gimpel 2017), docs/methods.md#msp: s = -max_c softmax(z / T)_c, T = `temperature` (default 1).
// temperature = 1000 is ODIN (Liang et al., ICLR 2018) without its input perturbation, which needs the backbone
// (OpenOOD odin_postprocessor.py; docs/methods.md "More post-hoc baselines: logit and energy family").
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Msp final : public LogitDetector {
 public:
  explicit Msp(const Params& p) : temperature_(p.number("temperature")) {
    if (!(temperature_ > 0)) throw InputError("msp: temperature must be > 0 (1 is plain MSP, 1000 ODIN's)");
  }

 protected:
  // max_c softmax(z / T)_c = exp((max z - T logsumexp(z / T)) / T); logsumexp() returns T logsumexp(z / T).
  double score_row(const double* z, std::size_t c) const override {
    return -exp((row_max(z, c) - logsumexp(z, c, temperature_)) / temperature_);
  }

 private:
  double temperature_;
};

OODBENCH_REGISTER_DETECTOR(Msp, {
    .name = "msp",
    .summary = "s = -max_c softmax(z / T)_c",
    .reference = "docs/methods.md#msp; Hendrycks & Gimpel, ICLR 2017 (T = 1000: ODIN without "
                 "input perturbation, Liang et al., ICLR 2018)",
    .needs_head = true,
    .params = {{"temperature", 1.0, "softmax temperature T > 0 (1000 = ODIN's, no perturbation)",
               {}}},
})

}  // namespace
}  // namespace oodbench

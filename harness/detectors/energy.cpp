// Energy (Liu et al. 2020), docs/methods.md#energy: s = -T logsumexp(z / T), computed stably.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Energy final : public LogitDetector {
 public:
  explicit Energy(const Params& p) : temperature_(p.number("temperature")) {
    if (!(temperature_ > 0)) throw InputError("energy: temperature must be > 0");
  }

 protected:
  double score_row(const double* z, std::size_t c) const override { return -logsumexp(z, c, temperature_); }

 private:
  double temperature_;
};

OODBENCH_REGISTER_DETECTOR(Energy, {
    .name = "energy",
    .summary = "s = -T logsumexp(z / T)",
    .reference = "docs/methods.md#energy; Liu et al., NeurIPS 2020",
    .needs_head = true,
    .params = {{"temperature", 1.0, "temperature T > 0", {}}},
})

}  // namespace
}  // namespace oodbench


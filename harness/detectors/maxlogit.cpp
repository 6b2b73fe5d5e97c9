// MaxLogit (Hendrycks et al. 2022), docs/methods.md#maxlogit: s = -max_c z_c.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include "harness/detectors/logit_detector.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class MaxLogit final : public LogitDetector {
 public:
  explicit MaxLogit(const Params&) {}

 protected:
  double score_row(const double* z, std::size_t c) const override { return -row_max(z, c); }
};

OODBENCH_REGISTER_DETECTOR(MaxLogit, {
    .name = "maxlogit",
    .summary = "s = -max_c z_c",
    .reference = "docs/methods.md#maxlogit; Hendrycks et al., ICML 2022",
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench


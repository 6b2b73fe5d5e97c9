// MSP (Hendrycks & Gimpel 2017), docs/methods.md#msp: s = -max_c softmax(z)_c.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Msp final : public LogitDetector {
 public:
  explicit Msp(const Params&) {}

 protected:
  double score_row(const double* z, std::size_t c) const override { return -exp(row_max(z, c) - logsumexp(z, c)); }
};

OODBENCH_REGISTER_DETECTOR(Msp, {"msp", "s = -max_c softmax(z)_c",
                                                        "docs/methods.md#msp; Hendrycks & Gimpel, ICLR 2017",
                                                        false, true, {}})

}  // namespace
}  // namespace oodbench


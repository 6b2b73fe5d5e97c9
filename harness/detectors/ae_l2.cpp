// AE-L2, docs/methods.md#ae_l2: the MaRS autoencoder's squared residual norm, s = ‖x - g(f(x))‖²
// (in the preprocessed space). MaRS's baseline: the same autoencoder, no covariance.
// Tested against a NumPy reference from the same weights in tests/detectors/test_mars.py.
#include "harness/detectors/autoencoder_params.h"
#include "harness/detectors/detector_state.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class AeL2 final : public Detector {
 public:
  explicit AeL2(const Params& p) : params_(p) {}
  void fit(FitContext& ctx) override { ae_.borrow(fitted_autoencoder(ctx, params_)); }
  void state(StateIO& io) override { io.field("autoencoder", ae_); }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> r = ae_->residuals(x, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] = squared_norm(r.row(i), r.cols);
    return out;
  }

 private:
  Params params_;
  ContextRef<Autoencoder> ae_;  // the FitContext's, shared with mars; owned after a load
};

OODBENCH_REGISTER_DETECTOR(AeL2, {
    .name = "ae_l2",
    .summary = "s = ||x - g(f(x))||^2, the MaRS autoencoder's residual norm",
    .reference = "docs/methods.md#ae_l2",
    .params = autoencoder_params(),
    .autoencoder = autoencoder_config,
    .needs_validation = autoencoder_needs_validation,
})

}  // namespace
}  // namespace oodbench

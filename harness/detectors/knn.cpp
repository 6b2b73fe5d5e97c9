// Deep kNN (Sun et al. 2022), docs/methods.md#knn: s = ‖x̂ - x̂_(k)‖₂, the distance from the
// L2-normalised query to its k-th nearest normalised ID train vector. Tiled on the backend: memory is bounded by the
// tile (1024 queries x 4096 train rows of float32 on the CPU), never the whole query x train matrix.
// Tested against faiss IndexFlatL2 in tests/detectors/test_detectors_reference.py.
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Knn final : public Detector {
 public:
  explicit Knn(const Params& p) : k_(p.integer("k")) {
    if (k_ < 1) throw InputError("knn: k must be >= 1, got " + std::to_string(k_));
  }
  void fit(FitContext& ctx) override {  // k <= train rows: knn_limits, checked before fit
    train_.borrow(ctx.normalized_train());
  }
  void state(StateIO& io) override { io.field("normalized_train", train_); }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    std::vector<float> d = backend.kth_smallest_sqdist(*train_, normalize_rows(x), static_cast<std::size_t>(k_));
    for (float& v : d) v = std::sqrt(v);
    return d;
  }

 private:
  std::int64_t k_;
  ContextRef<Matrix<float>> train_;  // the FitContext's, shared with other detectors; owned after a load
};

std::vector<ParamLimit> knn_limits(const Params& p, const DataShape& shape) {
  const std::int64_t k = p.integer("k");
  if (k < 1 || static_cast<std::size_t>(k) <= shape.train_rows) return {};
  return {{"k", "k = " + std::to_string(k) + " exceeds the " + std::to_string(shape.train_rows) +
                    " ID train rows; set k to at most " + std::to_string(shape.train_rows)}};
}

OODBENCH_REGISTER_DETECTOR(Knn, {
    .name = "knn",
    .summary = "s = distance of the normalised x to its k-th nearest normalised ID train row",
    .reference = "docs/methods.md#knn; Sun et al., ICML 2022",
    .params = {{"k", 50, "neighbour rank k (<= number of train rows)", {}}},
    .limits = knn_limits,
})

}  // namespace
}  // namespace oodbench

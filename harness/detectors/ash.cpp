// ASH-S + energy (Djurisic et al., ICLR 2023), docs/methods.md#ash: per sample keep exactly the k = D - round(D·p/100)
// largest values of x (ties at the cut to the lower index; round half to even, as NumPy's round), zero the rest
// (x'), x'' = x' · exp(Σx / Σx'), s = -logsumexp(W x'' + b). A sample whose kept values sum to 0 has x'' = 0 (the
// scale is then undefined, and irrelevant). Follows the authors' ash_s (also OpenOOD's ash_postprocessor.py and
// pytorch-ood's ASH), which keep the top k rather than a percentile threshold: the two differ when values tie at the
// cut. Tested against a NumPy top-k reference in tests/detectors/test_ash.py.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/detectors/logit_detector.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// How many values ASH keeps of D at pruning percentile p.
std::size_t kept_count(std::size_t dims, double percentile) {
  const double pruned = std::nearbyint(static_cast<double>(dims) * percentile / 100.0);  // half to even
  return dims - static_cast<std::size_t>(pruned);
}

class Ash final : public Detector {
 public:
  explicit Ash(const Params& p) : percentile_(p.number("percentile")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("ash: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override { head_ = ctx.head(); }
  void state(StateIO& io) override { io.field("head", head_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t k = kept_count(x.cols, percentile_);
    Matrix<float> shaped(x.rows, x.cols);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* row = x.row(i);
      std::vector<std::uint32_t> order(x.cols);
      std::iota(order.begin(), order.end(), 0u);
      const auto larger = [row](std::uint32_t a, std::uint32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
      std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), larger);
      double total = 0, kept = 0;
      for (std::size_t j = 0; j < x.cols; ++j) total += row[j];
      for (std::size_t r = 0; r < k; ++r) kept += row[order[r]];
      const double scale = kept != 0 ? std::exp(total / kept) : 0.0;
      for (std::size_t r = 0; r < k; ++r) shaped(i, order[r]) = static_cast<float>(row[order[r]] * scale);
    }
    return energy_scores(head_, shaped, backend);
  }

 private:
  double percentile_;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(Ash, {"ash", "s = -logsumexp(W x'' + b), x'' = ASH-S(x): keep the top D - round(D p/100), rescale",
                                 "docs/methods.md#ash; Djurisic et al., ICLR 2023", false, true,
                                 {{"percentile", 90.0, "pruning percentile p: keep the D - round(D·p/100) largest values", {}}}})

}  // namespace
}  // namespace oodbench

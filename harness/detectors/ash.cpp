// ASH + energy (Djurisic et al., ICLR 2023), docs/methods.md#ash: per sample keep exactly the k = D - round(D·p/100)
// largest values of x (ties at the cut to the lower index; round half to even, as NumPy's round), zero the rest
// (x'), shape the kept values, s = -logsumexp(W x'' + b). variant ash-s (default): x'' = x' · exp(Σx / Σx'), x'' = 0
// where the kept values sum to 0 (the scale is then undefined, and irrelevant); ash-p: x'' = x'; ash-b: each kept
// value becomes Σx / k, so the row's sum is preserved. As the authors' ash_s, ash_p and ash_b (OpenOOD's
// ash_net.py, whose ash postprocessor applies ash_b; pytorch-ood's ASH), which keep the top k rather than a
// percentile threshold: the two differ when values tie at the cut. Tested against a NumPy top-k reference in
// tests/detectors/test_ash.py.
#include <cmath>
#include <string>

#include "harness/detectors/kth_largest.h"
#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// How many values ASH keeps of D at pruning percentile p.
std::size_t kept_count(std::size_t dims, double percentile) {
  const double pruned = std::nearbyint(static_cast<double>(dims) * percentile / 100.0);  // half to even
  return dims - static_cast<std::size_t>(pruned);
}

/// How the kept values are shaped: rescaled (ASH-S), kept as they are (ASH-P) or all set to the row's mean over the
/// kept count (ASH-B).
enum class Shaping { scale, prune, binarize };

Shaping shaping(const std::string& variant) {
  if (variant == "ash-p") return Shaping::prune;
  return variant == "ash-b" ? Shaping::binarize : Shaping::scale;
}

class Ash final : public Detector {
 public:
  explicit Ash(const Params& p) : percentile_(p.number("percentile")), shaping_(shaping(p.text("variant"))) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("ash: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override { head_ = ctx.head(); }
  void state(StateIO& io) override { io.field("head", head_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t k = kept_count(x.cols, percentile_);
    Matrix<float> shaped(x.rows, x.cols);
    if (k == 0) return energy_scores(head_, shaped, backend);
    // Every value above the row's k-th largest t is kept, and of those equal to t the first by index.
    for_each_row_kth_largest(x, k, [&](std::size_t i, const float* row, float t) {
      std::size_t above = 0;
      for (std::size_t j = 0; j < x.cols; ++j) above += row[j] > t ? 1 : 0;
      const auto kept_values = [&](auto&& visit) {  // row j kept: above t, or equal to t and among the first ties
        std::size_t ties = k - above;
        for (std::size_t j = 0; j < x.cols; ++j)
          if (row[j] > t || (row[j] == t && ties > 0 && ties-- > 0)) visit(j);
      };
      double total = 0, kept = 0;
      for (std::size_t j = 0; j < x.cols; ++j) total += row[j];
      kept_values([&](std::size_t j) { kept += row[j]; });
      double scale = 1.0;  // ash-p
      if (shaping_ == Shaping::scale) scale = kept != 0 ? std::exp(total / kept) : 0.0;
      const double fill = total / static_cast<double>(k);  // ash-b
      kept_values([&](std::size_t j) {
        shaped(i, j) = static_cast<float>(shaping_ == Shaping::binarize ? fill : row[j] * scale);
      });
    });
    return energy_scores(head_, shaped, backend);
  }

 private:
  double percentile_;
  Shaping shaping_;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(Ash, {
    .name = "ash",
    .summary = "s = -logsumexp(W x'' + b), x'' = ASH(x): keep the top D - round(D p/100), shaped "
               "by the variant",
    .reference = "docs/methods.md#ash; Djurisic et al., ICLR 2023",
    .needs_head = true,
    .params = {{"percentile", 90.0, "pruning percentile p: keep the D - round(D·p/100) largest values", {}},
               // added after results were published: at its default, sweeps keep their cells
               {"variant", "ash-s",
                "ash-s (rescale the kept values by exp(sum x / sum kept)), ash-p (keep them as "
                "they are) or ash-b (each kept value = sum x / k, OpenOOD's ash)",
                {"ash-s", "ash-p", "ash-b"},
                /*identity_at_default=*/false}},
})

}  // namespace
}  // namespace oodbench

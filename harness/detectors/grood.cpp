// GROOD, gradient-aware OOD detection (ElAraby et al., TMLR 2025), docs/methods.md#grood, its variant that needs
// features only: prototypes μ_c = the ID train class means and the OOD prototype μ_o = their unweighted mean. The
// gradient of the cross-entropy of the nearest-prototype logits -‖x - μ_j‖ (j = 1..C, o) with respect to μ_o is, in
// closed form, g(x) = p_o (x - μ_o) / ‖x - μ_o‖ with p = softmax_j(-‖x - μ_j‖) (whatever class is predicted, since it
// is never o). s = min_i ‖g(x) - g(x_i)‖², the exact nearest neighbour among the gradients of the ID train rows that
// the head classifies correctly. Everything is float64 (the gradients, and the tiled distance products): the score
// is a small difference of unit-scale vectors.
// Tested against a float64 NumPy reference in tests/detectors/test_grood.py.
#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/row_tiles.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

std::vector<double> squared_norms(const Matrix<double>& m) {
  std::vector<double> out(m.rows);
  for (std::size_t i = 0; i < m.rows; ++i)
    for (std::size_t j = 0; j < m.cols; ++j) out[i] += m(i, j) * m(i, j);
  return out;
}

class Grood final : public Detector {
 public:
  explicit Grood(const Params&) {}

  void fit(FitContext& ctx) override {
    const Matrix<double>& means = ctx.class_means();
    const std::size_t c = means.rows, d = means.cols;
    prototypes_ = Matrix<double>(c + 1, d);  // the C class prototypes, then the OOD prototype (their mean)
    for (std::size_t k = 0; k < c; ++k)
      for (std::size_t j = 0; j < d; ++j) {
        prototypes_(k, j) = means(k, j);
        prototypes_(c, j) += means(k, j) / static_cast<double>(c);
      }
    const Matrix<float>& x = ctx.train();
    const Matrix<double>& z = ctx.train_logits();
    const std::vector<std::int32_t>& y = ctx.labels();
    std::vector<std::size_t> correct;
    for (std::size_t i = 0; i < x.rows; ++i)
      if (argmax(z.row(i), z.cols) == static_cast<std::size_t>(y[i])) correct.push_back(i);
    if (correct.empty())
      throw InputError("grood: the head classifies no ID train row correctly, so there is no gradient bank; use a "
                       "head that predicts some train labels");
    Matrix<float> kept(correct.size(), d);
    for (std::size_t r = 0; r < correct.size(); ++r) std::copy(x.row(correct[r]), x.row(correct[r]) + d, kept.row(r));
    bank_ = gradients(kept, ctx.backend());
  }

  void state(StateIO& io) override {
    io.field("prototypes", prototypes_);
    io.field("bank", bank_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> g = gradients(x, backend);
    const std::vector<double> g_norms = squared_norms(g), bank_norms = squared_norms(bank_);
    std::vector<double> nearest(x.rows, std::numeric_limits<double>::infinity());
    for (std::size_t q0 = 0; q0 < g.rows; q0 += kQueryTileRows) {
      const std::size_t nq = std::min(kQueryTileRows, g.rows - q0);
      const Matrix<double> queries = row_block(g, q0, nq);
      for (std::size_t r0 = 0; r0 < bank_.rows; r0 += kReferenceTileRows) {
        const std::size_t nr = std::min(kReferenceTileRows, bank_.rows - r0);
        const Matrix<double> dot = backend.matmul_nt(queries, nr == bank_.rows ? bank_ : row_block(bank_, r0, nr));
        for (std::size_t i = 0; i < nq; ++i)
          for (std::size_t r = 0; r < nr; ++r)
            nearest[q0 + i] = std::min(nearest[q0 + i], g_norms[q0 + i] + bank_norms[r0 + r] - 2 * dot(i, r));
      }
    }
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] = static_cast<float>(std::max(nearest[i], 0.0));
    return out;
  }

 private:
  /// g(x) for every row: p_o (x - μ_o) / ‖x - μ_o‖, p = softmax of the negated distances to the C + 1 prototypes.
  Matrix<double> gradients(const Matrix<float>& x, const Backend& backend) const {
    const std::size_t n = x.rows, d = x.cols, m = prototypes_.rows;
    Matrix<double> rows(n, d);
    for (std::size_t i = 0; i < rows.data.size(); ++i) rows.data[i] = x.data[i];
    const Matrix<double> dot = backend.matmul_nt(rows, prototypes_);
    const std::vector<double> proto_norms = squared_norms(prototypes_);
    const double* ood = prototypes_.row(m - 1);
#pragma omp parallel for schedule(static) if (worth_threads(n * d))
    for (std::size_t i = 0; i < n; ++i) {
      double* r = rows.row(i);
      double xx = 0, to_ood = 0;
      for (std::size_t j = 0; j < d; ++j) {
        xx += r[j] * r[j];
        r[j] -= ood[j];  // now x - μ_o
        to_ood += r[j] * r[j];
      }
      std::vector<double> logits(m);  // -‖x - μ_j‖; the last one exact, from x - μ_o itself
      for (std::size_t k = 0; k + 1 < m; ++k) logits[k] = -std::sqrt(std::max(xx + proto_norms[k] - 2 * dot(i, k), 0.0));
      logits[m - 1] = -std::sqrt(to_ood);
      const double p_ood = std::exp(logits[m - 1] - logsumexp(logits.data(), m));
      const double scale = p_ood / std::max(std::sqrt(to_ood), 1e-12);
      for (std::size_t j = 0; j < d; ++j) r[j] *= scale;
    }
    return rows;
  }

  Matrix<double> prototypes_;  // (C + 1) x D: the class means, then μ_o
  Matrix<double> bank_;        // the gradients of the correctly classified ID train rows
};

OODBENCH_REGISTER_DETECTOR(Grood, {
    .name = "grood",
    .summary = "s = min_i ||g(x) - g(x_i)||^2, g the gradient of the nearest-prototype "
               "cross-entropy w.r.t. the OOD prototype (the mean of the class means), x_i the "
               "correctly classified ID train rows",
    .reference = "docs/methods.md#grood; ElAraby et al., TMLR 2025",
    .needs_labels = true,
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench

// NNGuide, nearest-neighbour guidance (Park et al., ICCV 2023), docs/methods.md "More post-hoc baselines: neighbour
// banks": bank = the first m = ⌈αN⌉ ID train rows (file order; or of a seeded permutation when bank_seed >= 0), each
// b_i = x_i / ‖x_i‖ · logsumexp(z_i); g(x) = mean of the K_eff = min(K, m) largest ⟨x / ‖x‖, b_i⟩;
// s = -g(x) · logsumexp(z(x)).
// Reference: OpenOOD openood/postprocessors/nnguide_postprocessor.py (differences in docs/methods.md).
// Tiled on the backend: inner products by matmul_nt over 1024-query x 4096-bank tiles, the largest K kept per query
// with k_smallest_per_row on the negated values. Tested in tests/detectors/test_nnguide.py.
#include <algorithm>
#include <cmath>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/row_tiles.h"
#include "harness/fit/seeded_random.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class NnGuide final : public Detector {
 public:
  explicit NnGuide(const Params& p) : k_(p.integer("k")), alpha_(p.number("alpha")), bank_seed_(p.integer("bank_seed")) {
    if (k_ < 1) throw InputError("nnguide: k must be >= 1, got " + std::to_string(k_));
    if (!(alpha_ > 0 && alpha_ <= 1)) throw InputError("nnguide: alpha must be in (0, 1], got " + std::to_string(alpha_));
    if (bank_seed_ < -1)
      throw InputError("nnguide: bank_seed must be -1 (the first rows in file order) or a seed >= 0, got " +
                       std::to_string(bank_seed_));
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>& train = ctx.train();
    const std::size_t n = train.rows;
    // ⌈αN⌉ of αN rounded to 9 decimals, so that 0.07 · 100 = 7.000000000000001 keeps 7 rows, not 8.
    const double size = std::ceil(std::round(alpha_ * static_cast<double>(n) * 1e9) / 1e9);
    if (size < 1) throw InputError("nnguide: alpha = " + std::to_string(alpha_) + " of " + std::to_string(n) +
                                   " ID train rows leaves an empty bank; raise alpha");
    const std::size_t m = static_cast<std::size_t>(size);
    std::vector<std::uint32_t> rows(m);
    if (bank_seed_ < 0) {
      for (std::size_t i = 0; i < m; ++i) rows[i] = static_cast<std::uint32_t>(i);
    } else {
      const std::vector<std::uint32_t> perm = SeededRandom(static_cast<std::uint64_t>(bank_seed_)).permutation(n);
      std::copy(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(m), rows.begin());
    }
    Matrix<float> picked(m, train.cols);
    for (std::size_t i = 0; i < m; ++i) std::copy(train.row(rows[i]), train.row(rows[i]) + train.cols, picked.row(i));
    const Matrix<double> z = head_.logits(picked, ctx.backend());
    bank_ = Matrix<float>(m, train.cols);
    for (std::size_t i = 0; i < m; ++i) {
      const double norm = std::max(std::sqrt(static_cast<double>(squared_norm(picked.row(i), picked.cols))), 1e-12);
      const double scale = logsumexp(z.row(i), z.cols) / norm;
      for (std::size_t j = 0; j < train.cols; ++j) bank_(i, j) = static_cast<float>(picked(i, j) * scale);
    }
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("bank", bank_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    const Matrix<float> q = normalize_rows(x);
    const std::vector<double> g = guidance(q, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) out[i] = static_cast<float>(-g[i] * logsumexp(z.row(i), z.cols));
    return out;
  }

 private:
  /// Mean of the K_eff largest inner products of each normalised query with the bank.
  std::vector<double> guidance(const Matrix<float>& q, const Backend& backend) const {
    const std::size_t m = bank_.rows;
    const std::size_t k = std::min(static_cast<std::size_t>(k_), m);
    std::vector<double> g(q.rows);
    for (std::size_t q0 = 0; q0 < q.rows; q0 += kQueryTileRows) {
      const std::size_t nq = std::min(kQueryTileRows, q.rows - q0);
      const Matrix<float> tile = row_block(q, q0, nq);
      Matrix<float> kept(nq, 0);  // the largest inner products so far, negated (at most k per row)
      for (std::size_t b0 = 0; b0 < m; b0 += kReferenceTileRows) {
        const std::size_t nb = std::min(kReferenceTileRows, m - b0);
        const Matrix<float> s = nb == m ? backend.matmul_nt(tile, bank_) : backend.matmul_nt(tile, row_block(bank_, b0, nb));
        Matrix<float> candidates(nq, kept.cols + nb);  // kept ++ this tile, negated: the k largest are the k smallest
        for (std::size_t i = 0; i < nq; ++i) {
          std::copy(kept.row(i), kept.row(i) + kept.cols, candidates.row(i));
          for (std::size_t b = 0; b < nb; ++b) candidates(i, kept.cols + b) = -s(i, b);
        }
        const std::size_t keep = std::min(k, candidates.cols);
        const Matrix<std::int32_t> best = backend.k_smallest_per_row(candidates, keep);
        Matrix<float> next(nq, keep);
        for (std::size_t i = 0; i < nq; ++i)
          for (std::size_t j = 0; j < keep; ++j) next(i, j) = candidates(i, static_cast<std::size_t>(best(i, j)));
        kept = std::move(next);
      }
      for (std::size_t i = 0; i < nq; ++i) {
        double sum = 0;
        for (std::size_t j = 0; j < kept.cols; ++j) sum -= kept(i, j);
        g[q0 + i] = sum / static_cast<double>(kept.cols);
      }
    }
    return g;
  }

  std::int64_t k_;
  double alpha_;
  std::int64_t bank_seed_;
  LinearHead head_;
  Matrix<float> bank_;  // m x D: normalised bank rows scaled by their energy
};

OODBENCH_REGISTER_DETECTOR(NnGuide, {
    .name = "nnguide",
    .summary = "s = -mean(K largest <x/||x||, bank_i>) * logsumexp(z); bank = ID train rows scaled by energy",
    .reference = "docs/methods.md \"More post-hoc baselines: neighbour banks\"; Park et al., ICCV 2023",
    .needs_head = true,
    .params = {{"k", 100, "neighbours averaged K (capped at the bank size)", {}},
               {"alpha", 0.01, "bank fraction: the bank holds ceil(alpha * N) ID train rows", {}},
               {"bank_seed", -1, "-1: the first rows in file order (OpenOOD); >= 0: the first rows of a permutation "
                                 "seeded with it", {}}},
})

}  // namespace
}  // namespace oodbench

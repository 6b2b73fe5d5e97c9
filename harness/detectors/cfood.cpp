// CFOOD, docs/methods.md "More post-hoc baselines: neighbour banks", as OpenOOD computes it
// (openood/postprocessors/cfood_postprocessor.py): features scaled to x / (‖x‖ + 1e-10); a reference set of
// n = int(alpha N) ID train rows (a seeded permutation's first n; all N rows when alpha = 1); a grid of fractions
// κ_j (230 values 0.001..0.99, kept where pos_j = int(κ_j n - 1) increases); for every reference row r,
// t_rj = its squared distance to the reference row of sorted rank pos_j + 1 (rank 0 is itself).
// A test row v is scored by the smallest κ_j for which the fraction of reference rows r with t_rj >= ‖v - r‖², as
// float32 count / n, reaches float32(k); s = κ_j, or 1 when no κ_j does (higher = more OOD).
// The reference's O(N²) loops are tiled here: squared distances by float64 matmul_nt (the score is a grid value, and
// one comparison flipped by float32 rounding of ‖a‖² + ‖b‖² - 2⟨a, b⟩ can move it a whole grid step), and per test
// row a binary search in each t_r row (non-decreasing in j) gives a histogram whose running sum is the count for
// every j at once.
// Tested in tests/detectors/test_cfood.py.
#include <algorithm>
#include <cmath>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/row_tiles.h"
#include "harness/fit/seeded_random.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// NumPy's linspace(start, stop, num): start + i · (stop - start) / (num - 1), the last value exactly stop. The
/// product is rounded before the sum (volatile: no fused multiply-add), as NumPy's two array operations, so every
/// value is bit-identical to NumPy's: a grid value one ulp off could move a position pos_j at an integer boundary.
void append_linspace(std::vector<double>& out, double start, double stop, int num) {
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i + 1 < num; ++i) {
    const volatile double scaled = static_cast<double>(i) * step;
    out.push_back(scaled + start);
  }
  out.push_back(stop);
}

/// Rows scaled by 1 / (‖x‖ + 1e-10), in float64.
Matrix<double> unit_rows(const Matrix<float>& x) {
  Matrix<double> out(x.rows, x.cols);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < x.cols; ++j) s += static_cast<double>(x(i, j)) * x(i, j);
    const double scale = 1.0 / (std::sqrt(s) + 1e-10);
    for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = x(i, j) * scale;
  }
  return out;
}

std::vector<double> squared_norms(const Matrix<double>& x) {
  std::vector<double> out(x.rows);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < x.cols; ++j) s += x(i, j) * x(i, j);
    out[i] = s;
  }
  return out;
}

/// Rows per tile of a float64 queries x n distance block: about 4 Mi values (32 MiB), at least 1.
std::size_t tile_rows(std::size_t n) { return std::clamp<std::size_t>((std::size_t{1} << 22) / std::max<std::size_t>(n, 1), 1, kQueryTileRows); }

class Cfood final : public Detector {
 public:
  explicit Cfood(const Params& p) : alpha_(p.number("alpha")), k_(p.number("k")), seed_(p.integer("seed")) {
    if (!(alpha_ > 0 && alpha_ <= 1)) throw InputError("cfood: alpha must be in (0, 1], got " + std::to_string(alpha_));
    if (!(k_ > 0 && k_ <= 1)) throw InputError("cfood: k must be in (0, 1], got " + std::to_string(k_));
    if (seed_ < 0) throw InputError("cfood: seed must be >= 0, got " + std::to_string(seed_));
  }

  void fit(FitContext& ctx) override {
    const Matrix<float>& train = ctx.train();
    const std::size_t total = train.rows;
    const std::size_t n = alpha_ < 1 ? static_cast<std::size_t>(alpha_ * static_cast<double>(total)) : total;
    if (n < 2)
      throw InputError("cfood: alpha = " + std::to_string(alpha_) + " of " + std::to_string(total) +
                       " ID train rows leaves " + std::to_string(n) + " reference rows; it needs at least 2: raise alpha");
    Matrix<float> picked(n, train.cols);
    const std::vector<std::uint32_t> order = alpha_ < 1 ? SeededRandom(static_cast<std::uint64_t>(seed_)).permutation(total)
                                                        : std::vector<std::uint32_t>{};
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = order.empty() ? i : order[i];
      std::copy(train.row(r), train.row(r) + train.cols, picked.row(i));
    }
    reference_ = unit_rows(picked);

    std::vector<double> grid;
    append_linspace(grid, 0.001, 0.1, 100);
    append_linspace(grid, 0.105, 0.5, 81);
    append_linspace(grid, 0.51, 0.99, 49);
    std::vector<std::size_t> ranks;  // sorted rank pos_j + 1 of each kept fraction
    kappa_.clear();
    long previous = -2;
    for (double kv : grid) {
      const volatile double scaled = kv * static_cast<double>(n);  // rounded before the subtraction, as NumPy
      const long pos = static_cast<long>(scaled - 1.0);              // truncation toward 0, as NumPy's int cast
      if (pos <= previous) continue;  // the grid increases, so this keeps the first of each run of equal positions
      previous = pos;
      kappa_.push_back(kv);
      ranks.push_back(static_cast<std::size_t>(pos) + 1);
    }

    // Each reference row's squared distances to all reference rows, sorted, read at the kept ranks.
    const Backend& backend = ctx.backend();
    const std::vector<double> norms = squared_norms(reference_);
    const std::size_t klen = kappa_.size();
    radius_ = Matrix<double>(n, klen);
    const std::size_t rows = tile_rows(n);
    for (std::size_t r0 = 0; r0 < n; r0 += rows) {
      const std::size_t nr = std::min(rows, n - r0);
      const Matrix<double> dot = backend.matmul_nt(row_block(reference_, r0, nr), reference_);
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < nr; ++i) {
        std::vector<double> d(n);
        for (std::size_t t = 0; t < n; ++t) d[t] = std::max(norms[r0 + i] + norms[t] - 2 * dot(i, t), 0.0);
        std::sort(d.begin(), d.end());
        for (std::size_t j = 0; j < klen; ++j) radius_(r0 + i, j) = d[ranks[j]];
      }
    }
  }

  void state(StateIO& io) override {
    io.field("reference", reference_);
    io.field("kappa", kappa_);
    io.field("radius", radius_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t n = reference_.rows, klen = kappa_.size();
    // The fewest covering reference rows that pass: float32(count) / float32(n) >= float32(k), as the reference's
    // float32 tensors compare.
    std::size_t needed = n + 1;  // none: every test row scores 1
    for (std::size_t c = 0; c <= n; ++c) {
      if (static_cast<float>(c) / static_cast<float>(n) >= static_cast<float>(k_)) {
        needed = c;
        break;
      }
    }
    const Matrix<double> q = unit_rows(x);
    const std::vector<double> q_norms = squared_norms(q), r_norms = squared_norms(reference_);
    std::vector<float> out(x.rows);
    const std::size_t rows = std::min(kQueryTileRows, tile_rows(std::min(n, kReferenceTileRows)));
    for (std::size_t q0 = 0; q0 < x.rows; q0 += rows) {
      const std::size_t nq = std::min(rows, x.rows - q0);
      const Matrix<double> tile = row_block(q, q0, nq);
      Matrix<std::int32_t> first(nq, klen + 1);  // per test row: how many reference rows first cover it at j
      for (std::size_t r0 = 0; r0 < n; r0 += kReferenceTileRows) {
        const std::size_t nr = std::min(kReferenceTileRows, n - r0);
        const Matrix<double> dot = backend.matmul_nt(tile, nr == n ? reference_ : row_block(reference_, r0, nr));
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < nq; ++i) {
          for (std::size_t r = 0; r < nr; ++r) {
            const double d = std::max(q_norms[q0 + i] + r_norms[r0 + r] - 2 * dot(i, r), 0.0);
            const double* t = radius_.row(r0 + r);
            ++first(i, static_cast<std::size_t>(std::lower_bound(t, t + klen, d) - t));  // first t_rj >= d
          }
        }
      }
      for (std::size_t i = 0; i < nq; ++i) {
        double kappa = 1.0;
        std::size_t covered = 0;
        for (std::size_t j = 0; j < klen; ++j) {
          covered += static_cast<std::size_t>(first(i, j));
          if (covered >= needed) {
            kappa = kappa_[j];
            break;
          }
        }
        out[q0 + i] = static_cast<float>(kappa);
      }
    }
    return out;
  }

 private:
  double alpha_;
  double k_;
  std::int64_t seed_;
  Matrix<double> reference_;  // n x D, the reference rows scaled to unit norm (float64: see the top comment)
  std::vector<double> kappa_;  // the kept fractions κ_j
  Matrix<double> radius_;      // n x klen, t_rj
};

OODBENCH_REGISTER_DETECTOR(Cfood, {
    .name = "cfood",
    .summary = "s = smallest grid fraction kappa whose kappa-NN balls of the ID reference rows cover x for a fraction >= k of them",
    .reference = "docs/methods.md \"More post-hoc baselines: neighbour banks\"; OpenOOD cfood_postprocessor.py",
    .params = {{"alpha", 0.1, "fraction of ID train rows drawn (seeded) as the reference set; 1 = all", {}},
               {"k", 0.01, "fraction of reference rows whose ball must cover the test row", {}},
               {"seed", 0, "seed of the reference subset's permutation (unused when alpha = 1)", {}}},
})

}  // namespace
}  // namespace oodbench

// NAC-UE, neuron activation coverage (Liu et al., ICLR 2024), docs/methods.md#nac, on the penultimate layer (the
// features) with the gradient through the linear head in closed form: the KL divergence of softmax(z) from uniform,
// L = -(1/C) Σ_c log p_c, has ∂L/∂x = Wᵀ (p - 1/C); each neuron's state is s_j = sigmoid(α x_j (∂L/∂x)_j).
// Fit: the states of the fit rows are counted per neuron in the authors' M - 1 bins [t_k, t_{k+1}) (coverage.py
// `logspace(1e3, M)`: finest around 0.5); coverage φ_kj = min(count_kj / O, 1).
// Score: s = -(1/D) Σ_j φ_{bin(s_j), j}. The fit rows are the authors' class-balanced subset (utils.py TrainSubset,
// valid_num): min(⌊fit_rows / C⌋, smallest class) rows of each class, drawn with a seeded permutation (a seeded
// permutation of all rows without labels; every row for fit_rows = 0, as pytorch-ood). All in float64, so that no
// state crosses a bin edge by rounding. Follows BierOne/ood_coverage (openood/postprocessors/nac/); defaults are its
// CIFAR-10 config's (= pytorch-ood's NACUE defaults). Tested in tests/detectors/test_nac.py.
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

/// The authors' bin edges for M (even): n = M / 2, l_i = ln(linspace(1, √1000, n)_i) / ln 1000 (0 .. 0.5); edges
/// l_0 .. l_{n-2}, then 1 - l_{n-1} .. 1 - l_0 (0.5 .. 1) with the last raised to 1.01, then 1.2: M edges.
std::vector<double> coverage_edges(std::size_t m) {
  const std::size_t n = m / 2;
  const double stop = std::sqrt(1e3), step = (stop - 1) / static_cast<double>(n - 1);
  std::vector<double> left(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = i + 1 == n ? stop : static_cast<double>(i) * step + 1;  // np.linspace: the last value is stop
    left[i] = std::log(v) / std::log(1e3);
  }
  std::vector<double> edges(left.begin(), left.end() - 1);
  for (std::size_t i = n; i-- > 0;) edges.push_back(1 - left[i]);
  edges.back() += 1e-2;
  edges.push_back(1.2);
  return edges;
}

class Nac final : public Detector {
 public:
  explicit Nac(const Params& p)
      : o_(p.integer("O")), m_(p.integer("M")), alpha_(p.number("alpha")), fit_rows_(p.integer("fit_rows")),
        seed_(p.integer("seed")) {
    if (o_ < 1) throw InputError("nac: O (the count that makes a bin fully covered) must be >= 1");
    if (m_ < 4 || m_ % 2 != 0) throw InputError("nac: M (the number of bin edges) must be even and >= 4");
    if (!(alpha_ > 0)) throw InputError("nac: alpha (the sigmoid's steepness) must be > 0");
    if (fit_rows_ < 0) throw InputError("nac: fit_rows must be >= 0 (0: every ID train row)");
    edges_ = coverage_edges(static_cast<std::size_t>(m_));
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>& x = ctx.train();
    const std::vector<std::size_t> rows = fit_subset(ctx);
    const std::size_t bins = edges_.size() - 1;
    Matrix<double> counts(bins, x.cols);
    for (std::size_t start = 0; start < rows.size(); start += kReferenceTileRows) {
      Matrix<float> block(std::min(kReferenceTileRows, rows.size() - start), x.cols);
      for (std::size_t r = 0; r < block.rows; ++r) std::copy_n(x.row(rows[start + r]), x.cols, block.row(r));
      const Matrix<double> s = states(block, ctx.backend());
      for (std::size_t i = 0; i < s.rows; ++i)
        for (std::size_t j = 0; j < s.cols; ++j)
          if (const std::size_t k = bin(s(i, j)); k < bins) counts(k, j) += 1;
    }
    coverage_ = Matrix<double>(bins, x.cols);
    for (std::size_t k = 0; k < counts.data.size(); ++k)
      coverage_.data[k] = std::min(counts.data[k] / static_cast<double>(o_), 1.0);
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("coverage", coverage_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    std::vector<float> out(x.rows);
    const std::size_t bins = coverage_.rows;
    for (std::size_t start = 0; start < x.rows; start += kReferenceTileRows) {
      const Matrix<double> s = states(row_block(x, start, std::min(kReferenceTileRows, x.rows - start)), backend);
      for (std::size_t i = 0; i < s.rows; ++i) {
        double covered = 0;
        for (std::size_t j = 0; j < s.cols; ++j)
          if (const std::size_t k = bin(s(i, j)); k < bins) covered += coverage_(k, j);
        out[start + i] = static_cast<float>(-covered / static_cast<double>(s.cols));
      }
    }
    return out;
  }

 private:
  /// The bin [t_k, t_{k+1}) holding `state`, or the bin count when none does.
  std::size_t bin(double state) const {
    const auto above = std::upper_bound(edges_.begin(), edges_.end(), state);
    if (above == edges_.begin() || above == edges_.end()) return edges_.size() - 1;
    return static_cast<std::size_t>(above - edges_.begin()) - 1;
  }

  /// sigmoid(α x_j (Wᵀ (p - 1/C))_j) for every row and neuron, in float64.
  Matrix<double> states(const Matrix<float>& x, const Backend& backend) const {
    const std::size_t c = head_.classes(), d = x.cols;
    Matrix<double> xd(x.rows, d), wt(d, c);
    std::copy(x.data.begin(), x.data.end(), xd.data.begin());
    for (std::size_t k = 0; k < c; ++k)
      for (std::size_t j = 0; j < d; ++j) wt(j, k) = head_.weight(k, j);
    Matrix<double> g = head_.exact_logits(xd, backend);  // then ∂L/∂z = p - 1/C
    for (std::size_t i = 0; i < g.rows; ++i) {
      double* row = g.row(i);
      softmax(row, row, c);
      for (std::size_t k = 0; k < c; ++k) row[k] -= 1.0 / static_cast<double>(c);
    }
    Matrix<double> s = backend.matmul_nt(g, wt);  // ∂L/∂x
    for (std::size_t k = 0; k < s.data.size(); ++k) s.data[k] = 1 / (1 + std::exp(-alpha_ * xd.data[k] * s.data[k]));
    return s;
  }

  /// The rows fitted on: per class, the first min(⌊fit_rows / C⌋, smallest class) of a seeded permutation of its
  /// rows (the authors' balanced TrainSubset); without labels the first fit_rows of a seeded permutation of all rows.
  std::vector<std::size_t> fit_subset(const FitContext& ctx) const {
    const std::size_t n = ctx.train_rows(), wanted = static_cast<std::size_t>(fit_rows_);
    std::vector<std::size_t> out;
    if (wanted == 0) {
      for (std::size_t i = 0; i < n; ++i) out.push_back(i);
      return out;
    }
    if (!ctx.has_labels()) {
      const std::vector<std::uint32_t> order = SeededRandom(static_cast<std::uint64_t>(seed_)).permutation(n);
      out.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(wanted, n)));
      return out;
    }
    std::vector<std::vector<std::size_t>> by_class(ctx.classes());
    for (std::size_t i = 0; i < n; ++i) by_class[static_cast<std::size_t>(ctx.labels()[i])].push_back(i);
    std::size_t per_class = wanted / by_class.size();
    for (const auto& rows : by_class) per_class = std::min(per_class, rows.size());
    if (per_class == 0)
      throw InputError("nac: fit_rows = " + std::to_string(wanted) + " gives no row to each of the " +
                       std::to_string(by_class.size()) + " classes; set fit_rows >= the class count, or 0 (every row)");
    for (const auto& rows : by_class) {
      const std::vector<std::uint32_t> order = SeededRandom(static_cast<std::uint64_t>(seed_)).permutation(rows.size());
      for (std::size_t r = 0; r < per_class; ++r) out.push_back(rows[order[r]]);
    }
    return out;
  }

  std::int64_t o_;
  std::int64_t m_;
  double alpha_;
  std::int64_t fit_rows_;
  std::int64_t seed_;
  std::vector<double> edges_;
  LinearHead head_;
  Matrix<double> coverage_;  // (M - 1) x D: φ_kj
};

OODBENCH_REGISTER_DETECTOR(Nac, {
    .name = "nac",
    .summary = "s = -mean_j coverage of the bin of sigmoid(alpha x_j (W^T (p - 1/C))_j) over the ID "
               "train states",
    .reference = "docs/methods.md#nac; Liu et al., ICLR 2024",
    .needs_head = true,
    .params = {{"O", 50, "count at which a bin is fully covered (the authors' O)", {}},
               {"M", 50, "number of bin edges, even (the authors' M: M - 2 bins are reachable)", {}},
               {"alpha", 100.0, "steepness of the state's sigmoid (the authors' sig_alpha)", {}},
               {"fit_rows", 1000,
                "ID train rows fitted on, class-balanced (the authors' valid_num); 0: every row",
                {}},
               {"seed", 0, "seed of the fit rows' permutation (unused when fit_rows = 0)", {}}},
})

}  // namespace
}  // namespace oodbench

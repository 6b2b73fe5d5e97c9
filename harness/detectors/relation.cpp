// Relation, neural relation graph (Kim et al., NeurIPS 2023), docs/methods.md "More post-hoc baselines: neighbour
// banks": f̂ = x / √(‖x‖² + 1e-10), p = softmax(z); for every ID train row i, r_i = max(⟨f̂, f̂_i⟩, 0) · ⟨p, p_i⟩;
// s = -Σ_{i: r_i > threshold} r_i^pow.
// Reference: OpenOOD openood/postprocessors/relation_postprocessor.py (get_relation, thres = 0.03, pow = 1).
// Tiled on the backend: ⟨f̂, f̂_i⟩ and ⟨p, p_i⟩ by matmul_nt over 1024-query x 4096-train tiles, so memory is bounded
// by the tile, never the whole test x train matrix. Tested in tests/detectors/test_relation.py.
#include <algorithm>
#include <cmath>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/row_tiles.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Relation final : public Detector {
 public:
  explicit Relation(const Params& p) : pow_(p.number("pow")), threshold_(p.number("threshold")) {
    if (!(pow_ > 0)) throw InputError("relation: pow must be > 0, got " + std::to_string(pow_));
    if (!(threshold_ >= 0)) throw InputError("relation: threshold must be >= 0, got " + std::to_string(threshold_));
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    features_ = unit_features(ctx.train());
    probabilities_ = probabilities(ctx.train_logits());
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("features", features_);
    io.field("probabilities", probabilities_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> f = unit_features(x);
    const Matrix<float> p = probabilities(head_.logits(x, backend));
    const std::size_t n = features_.rows;
    std::vector<float> out(x.rows);
    for (std::size_t q0 = 0; q0 < x.rows; q0 += kQueryTileRows) {
      const std::size_t nq = std::min(kQueryTileRows, x.rows - q0);
      const Matrix<float> fq = row_block(f, q0, nq), pq = row_block(p, q0, nq);
      std::vector<double> sum(nq, 0.0);
      for (std::size_t t0 = 0; t0 < n; t0 += kReferenceTileRows) {
        const std::size_t nt = std::min(kReferenceTileRows, n - t0);
        const bool whole = nt == n;
        const Matrix<float> dot = backend.matmul_nt(fq, whole ? features_ : row_block(features_, t0, nt));
        const Matrix<float> sim = backend.matmul_nt(pq, whole ? probabilities_ : row_block(probabilities_, t0, nt));
#pragma omp parallel for schedule(static)
        for (std::size_t i = 0; i < nq; ++i) {
          double s = 0;
          for (std::size_t t = 0; t < nt; ++t) {
            const double r = std::max(static_cast<double>(dot(i, t)), 0.0) * sim(i, t);
            if (r > threshold_) s += pow_ == 1 ? r : std::pow(r, pow_);
          }
          sum[i] += s;
        }
      }
      for (std::size_t i = 0; i < nq; ++i) out[q0 + i] = static_cast<float>(0.0 - sum[i]);  // +0 when nothing is kept
    }
    return out;
  }

 private:
  /// x / √(‖x‖² + 1e-10) per row, as the reference's normalize.
  static Matrix<float> unit_features(const Matrix<float>& x) {
    Matrix<float> out(x.rows, x.cols);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double scale = 1.0 / std::sqrt(static_cast<double>(squared_norm(x.row(i), x.cols)) + 1e-10);
      for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = static_cast<float>(x(i, j) * scale);
    }
    return out;
  }
  static Matrix<float> probabilities(const Matrix<double>& z) {
    Matrix<float> out(z.rows, z.cols);
    std::vector<double> p(z.cols);
    for (std::size_t i = 0; i < z.rows; ++i) {
      softmax(z.row(i), p.data(), z.cols);
      for (std::size_t j = 0; j < z.cols; ++j) out(i, j) = static_cast<float>(p[j]);
    }
    return out;
  }

  double pow_;
  double threshold_;
  LinearHead head_;
  Matrix<float> features_;       // N x D, f̂ of the ID train rows
  Matrix<float> probabilities_;  // N x C, softmax of their logits
};

OODBENCH_REGISTER_DETECTOR(Relation, {
    .name = "relation",
    .summary = "s = -sum over ID train i with r_i > threshold of r_i^pow, r_i = max(<f, f_i>, 0) <p, p_i>",
    .reference = "docs/methods.md \"More post-hoc baselines: neighbour banks\"; Kim et al., NeurIPS 2023",
    .needs_head = true,
    .params = {{"pow", 1.0, "exponent of every kept relation (OpenOOD sweeps 1, 2, 4, 6, 8)", {}},
               {"threshold", 0.03, "relations at or below it are dropped (OpenOOD's get_relation thres)", {}}},
})

}  // namespace
}  // namespace oodbench

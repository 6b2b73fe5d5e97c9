// The softmax-regression data term on the CPU: both products block by block through OpenBLAS, so that the second
// reads the rows of X the first has just brought into the cache, and the per-row math of kernels/rowwise.h between.
#include <algorithm>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class CpuSoftmaxRegressionTerms final : public SoftmaxRegressionTerms {
 public:
  CpuSoftmaxRegressionTerms(const Matrix<double>& x, std::span<const std::int32_t> labels, std::size_t classes,
                            std::size_t block_rows)
      : x_(x), labels_(labels), classes_(classes), block_rows_(block_rows == 0 ? x.rows : block_rows),
        z_(x.rows, classes) {}

  double evaluate(const double* w, const double* b, double* grad_w, double* grad_b) override {
    const std::size_t n = x_.rows, d = x_.cols, c = classes_;
    double loss = 0;
    for (std::size_t r0 = 0; r0 < n; r0 += block_rows_) {
      const std::size_t rows = std::min(block_rows_, n - r0);
      const double* xb = x_.row(r0);
      double* zb = z_.row(r0);
      cpu::gemm(false, true, rows, c, d, 1.0, xb, d, w, d, 0.0, zb, c);  // Z = X Wᵀ
      for (std::size_t i = r0; i < r0 + rows; ++i)
        loss += softmax_regression_row(z_.row(i), b, c, static_cast<std::size_t>(labels_[i]), static_cast<double>(n));
      cpu::gemm(true, false, c, d, rows, 1.0, zb, c, xb, d, 1.0, grad_w, d);  // grad W += Zᵀ X
    }
    for (std::size_t k = 0; k < c; ++k) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += z_(i, k);
      grad_b[k] = s;
    }
    return loss / static_cast<double>(n);
  }

 private:
  const Matrix<double>& x_;
  std::span<const std::int32_t> labels_;
  std::size_t classes_, block_rows_;
  Matrix<double> z_;  // N x C: logits, then (P - Y) / N
};

}  // namespace

std::unique_ptr<SoftmaxRegressionTerms> CpuBackend::softmax_regression_terms(const Matrix<double>& x,
                                                                             std::span<const std::int32_t> labels,
                                                                             std::size_t classes,
                                                                             std::size_t block_rows) const {
  check_softmax_regression_inputs(x, labels, classes);
  return std::make_unique<CpuSoftmaxRegressionTerms>(x, labels, classes, block_rows);
}

}  // namespace oodbench

#include "harness/fit/relevance.h"

#include <algorithm>
#include <cmath>

#include "kernels/rowwise.h"

namespace oodbench {

Matrix<float> lrp_relevance(const Matrix<float>& x, const LinearHead& head, const Backend& backend) {
  const std::size_t c = head.classes(), d = x.cols;
  Matrix<float> augmented_t(d + 1, c);  // W'ᵀ
  for (std::size_t k = 0; k < c; ++k) {
    for (std::size_t j = 0; j < d; ++j) augmented_t(j, k) = head.weight(k, j);
    augmented_t(d, k) = head.bias[k];
  }
  // f in float64: p_c / f_c amplifies the rounding of logits near zero, which float32 would leave at ~1e-4.
  Matrix<double> x64(x.rows, d), w64(c, d);
  std::copy(x.data.begin(), x.data.end(), x64.data.begin());
  std::copy(head.weight.data.begin(), head.weight.data.end(), w64.data.begin());
  Matrix<double> f = backend.matmul_nt(x64, w64);
  for (std::size_t i = 0; i < f.rows; ++i)
    for (std::size_t k = 0; k < c; ++k) f(i, k) += head.bias[k];
  Matrix<float> q(x.rows, c);  // p ⊘ f
  std::vector<double> p(c);
  for (std::size_t i = 0; i < x.rows; ++i) {
    softmax(f.row(i), p.data(), c);
    for (std::size_t k = 0; k < c; ++k) {
      double fk = f(i, k);
      if (std::fabs(fk) < kRelevanceLogitFloor) fk = fk < 0 ? -kRelevanceLogitFloor : kRelevanceLogitFloor;
      q(i, k) = static_cast<float>(p[k] / fk);
    }
  }
  Matrix<float> r = backend.matmul_nt(q, augmented_t);
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < d; ++j) r(i, j) *= x(i, j);  // a'_{D+1} = 1 leaves the bias column as it is
  return r;
}

}  // namespace oodbench

// The autoencoder's forward pass, MSE loss and backward pass on the CPU, for float (training) and double (the
// finite-difference gradient check): OpenBLAS GEMMs with the element-wise work fused into single loops.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <span>

#include "kernels/autoencoder.h"

namespace oodbench::cpu {

/// C (m x n) = alpha op(A) op(B) + beta C, row-major, for float and double.
inline void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                 std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
}
inline void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                 std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
}

/// Activations of every layer for a batch: act[0] = input, act[k + 1] = output of layer k (after its ReLU).
template <class T>
std::array<Matrix<T>, 5> autoencoder_forward_all(const AutoencoderParams<T>& p, Matrix<T> input) {
  std::array<Matrix<T>, 5> act;
  act[0] = std::move(input);
  const std::size_t n = act[0].rows;
  for (std::size_t k = 0; k < 4; ++k) {
    const Matrix<T>& w = p.weight[k];
    Matrix<T> out(n, w.rows);
    gemm(false, true, n, w.rows, w.cols, T{1}, act[k].data.data(), w.cols, w.data.data(), w.cols, T{0},
         out.data.data(), w.rows);
    const bool relu = AutoencoderParams<T>::relu_after(k);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) {
      T* row = out.row(i);
      for (std::size_t j = 0; j < w.rows; ++j) {
        const T v = row[j] + p.bias[k][j];  // bias + activation fused
        row[j] = relu && v < T{0} ? T{0} : v;
      }
    }
    act[k + 1] = std::move(out);
  }
  return act;
}

/// Mean squared error (over rows and dimensions) of the batch `x` and its gradient with respect to every parameter.
template <class T>
double autoencoder_loss_and_grad(const AutoencoderParams<T>& p, const Matrix<T>& x, AutoencoderParams<T>& grad) {
  auto act = autoencoder_forward_all(p, x);
  const std::size_t n = x.rows, d = x.cols;
  Matrix<T> delta(n, d);  // dL/d(output pre-activation)
  double loss = 0;
  const T scale = T{2} / static_cast<T>(n * d);
  for (std::size_t i = 0; i < n * d; ++i) {
    const T r = act[4].data[i] - x.data[i];
    loss += static_cast<double>(r) * static_cast<double>(r);
    delta.data[i] = scale * r;
  }
  loss /= static_cast<double>(n * d);
  for (std::size_t k = 4; k-- > 0;) {
    const Matrix<T>& w = p.weight[k];
    // grad W_k = deltaᵀ act[k]; grad b_k = column sums of delta
    gemm(true, false, w.rows, w.cols, n, T{1}, delta.data.data(), w.rows, act[k].data.data(), w.cols, T{0},
         grad.weight[k].data.data(), w.cols);
    std::fill(grad.bias[k].begin(), grad.bias[k].end(), T{0});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < w.rows; ++j) grad.bias[k][j] += delta(i, j);
    if (k == 0) break;
    Matrix<T> next(n, w.cols);  // delta W_k, then the ReLU gradient of layer k - 1, fused
    gemm(false, false, n, w.cols, w.rows, T{1}, delta.data.data(), w.rows, w.data.data(), w.cols, T{0},
         next.data.data(), w.cols);
    if (AutoencoderParams<T>::relu_after(k - 1)) {
      for (std::size_t i = 0; i < next.data.size(); ++i)
        if (act[k].data[i] <= T{0}) next.data[i] = T{0};
    }
    delta = std::move(next);
  }
  return loss;
}

}  // namespace oodbench::cpu

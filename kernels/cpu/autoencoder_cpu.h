// The autoencoder's forward pass, MSE loss and backward pass on the CPU, for float (training) and double (the
// finite-difference gradient check): OpenBLAS GEMMs with the element-wise work fused into single loops.
#pragma once

#include <algorithm>
#include <span>

#include "kernels/autoencoder.h"
#include "kernels/cpu/blas.h"

namespace oodbench::cpu {

/// Buffers reused from one mini-batch to the next: allocating them per batch costs page faults every step.
template <class T>
struct AutoencoderWorkspace {
  std::array<Matrix<T>, 5> act;  ///< act[0] = input batch, act[k + 1] = output of layer k (after its ReLU)
  Matrix<T> delta, next;         ///< backward: gradient w.r.t. the current layer's output, and the one below
};

/// Reshapes `m` to rows x cols, reusing its storage.
template <class T>
void reshape(Matrix<T>& m, std::size_t rows, std::size_t cols) {
  m.rows = rows;
  m.cols = cols;
  m.data.resize(rows * cols);
}

/// Fills ws.act[1..4] from the input batch in ws.act[0].
template <class T>
void autoencoder_forward(const AutoencoderParams<T>& p, AutoencoderWorkspace<T>& ws) {
  const std::size_t n = ws.act[0].rows;
  for (std::size_t k = 0; k < 4; ++k) {
    const Matrix<T>& w = p.weight[k];
    Matrix<T>& out = ws.act[k + 1];
    reshape(out, n, w.rows);
    gemm(false, true, n, w.rows, w.cols, T{1}, ws.act[k].data.data(), w.cols, w.data.data(), w.cols, T{0},
         out.data.data(), w.rows);
    const bool relu = AutoencoderParams<T>::relu_after(k);
    for (std::size_t i = 0; i < n; ++i) {
      T* row = out.row(i);
      for (std::size_t j = 0; j < w.rows; ++j) {
        row[j] = biased_activation(row[j], p.bias[k][j], relu);
      }
    }
  }
}

/// Mean squared error (over rows and dimensions) of the batch in ws.act[0] and its gradient w.r.t. every parameter.
template <class T>
double autoencoder_loss_and_grad(const AutoencoderParams<T>& p, AutoencoderWorkspace<T>& ws, AutoencoderParams<T>& grad) {
  autoencoder_forward(p, ws);
  const Matrix<T>& x = ws.act[0];
  const std::size_t n = x.rows, d = x.cols;
  reshape(ws.delta, n, d);  // dL/d(output pre-activation)
  double loss = 0;
  const T scale = T{2} / static_cast<T>(n * d);
  for (std::size_t i = 0; i < n * d; ++i) {
    const T r = ws.act[4].data[i] - x.data[i];
    loss += static_cast<double>(r) * static_cast<double>(r);
    ws.delta.data[i] = mse_gradient(r, scale);
  }
  loss /= static_cast<double>(n * d);
  for (std::size_t k = 4; k-- > 0;) {
    const Matrix<T>& w = p.weight[k];
    // grad W_k = deltaᵀ act[k]; grad b_k = column sums of delta
    gemm(true, false, w.rows, w.cols, n, T{1}, ws.delta.data.data(), w.rows, ws.act[k].data.data(), w.cols, T{0},
         grad.weight[k].data.data(), w.cols);
    std::fill(grad.bias[k].begin(), grad.bias[k].end(), T{0});
    for (std::size_t i = 0; i < n; ++i) {
      const T* row = ws.delta.row(i);
      for (std::size_t j = 0; j < w.rows; ++j) grad.bias[k][j] += row[j];
    }
    if (k == 0) break;
    reshape(ws.next, n, w.cols);  // delta W_k, then the ReLU gradient of layer k - 1, fused
    gemm(false, false, n, w.cols, w.rows, T{1}, ws.delta.data.data(), w.rows, w.data.data(), w.cols, T{0},
         ws.next.data.data(), w.cols);
    if (AutoencoderParams<T>::relu_after(k - 1)) {
      const Matrix<T>& below = ws.act[k];
      for (std::size_t i = 0; i < ws.next.data.size(); ++i) ws.next.data[i] = relu_backward(ws.next.data[i], below.data[i]);
    }
    std::swap(ws.delta, ws.next);
  }
  return loss;
}

/// The same for a batch given as a matrix (tests, gradient checks).
template <class T>
double autoencoder_loss_and_grad(const AutoencoderParams<T>& p, const Matrix<T>& x, AutoencoderParams<T>& grad) {
  AutoencoderWorkspace<T> ws;
  ws.act[0] = x;
  return autoencoder_loss_and_grad(p, ws, grad);
}

}  // namespace oodbench::cpu

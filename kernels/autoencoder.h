// The MaRS autoencoder's parameters and optimiser state, shared by the backends (kernels/backend.h trains it).
// Architecture: D -> h (ReLU) -> b (linear bottleneck) -> h (ReLU) -> D (linear output); layer k maps
// `weight[k].cols` inputs to `weight[k].rows` outputs, y = W x + b as PyTorch's nn.Linear.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/matrix.h"
#include "kernels/rowwise.h"

namespace oodbench {

template <class T>
struct AutoencoderParams {
  static constexpr std::size_t kLayers = 4;
  std::array<Matrix<T>, kLayers> weight;
  std::array<std::vector<T>, kLayers> bias;

  /// Zero parameters shaped for input width d, hidden width h and bottleneck width b.
  static AutoencoderParams zeros(std::size_t d, std::size_t h, std::size_t b) {
    AutoencoderParams p;
    const std::size_t in[kLayers] = {d, h, b, h}, out[kLayers] = {h, b, h, d};
    for (std::size_t k = 0; k < kLayers; ++k) {
      p.weight[k] = Matrix<T>(out[k], in[k]);
      p.bias[k].assign(out[k], T{0});
    }
    return p;
  }
  /// True for the layers followed by a ReLU (the two hidden layers).
  static constexpr bool relu_after(std::size_t k) { return k == 0 || k == 2; }
};

// The element-wise steps of the forward and backward pass, shared by the CPU loops and the CUDA kernels.

/// A layer's output from its pre-activation: bias added, then the ReLU where the layer has one.
template <class T>
OODBENCH_HD inline T biased_activation(T pre, T bias, bool relu) {
  const T v = pre + bias;
  return relu && v < T{0} ? T{0} : v;
}

/// The ReLU's backward step: the gradient passes where the layer's output was positive.
template <class T>
OODBENCH_HD inline T relu_backward(T grad, T output) {
  return output <= T{0} ? T{0} : grad;
}

/// d(MSE)/d(output) for one element, with scale = 2 / (rows * dims); `residual` = output - input.
template <class T>
OODBENCH_HD inline T mse_gradient(T residual, T scale) {
  return scale * residual;
}

struct AdamSettings {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  ///< PyTorch Adam's L2 term: g += weight_decay * p
};

/// Adam's first and second moments, shaped like the parameters, and the step count.
struct AdamState {
  AutoencoderParams<float> m, v;
  std::int64_t step = 0;
};

}  // namespace oodbench

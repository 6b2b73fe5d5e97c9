// The MaRS autoencoder on the GPU: cuBLAS GEMMs for the four layers and their gradients, and our kernels for the
// element-wise steps (bias + ReLU, the MSE gradient with a deterministic loss reduction, the ReLU backward mask, one
// Adam step over all parameters at once). The training data, weights, gradients and Adam moments stay on the device
// for the trainer's life; an epoch uploads its batch order once and downloads its losses once.
#include <algorithm>
#include <array>
#include <cmath>

#include "kernels/adam.h"
#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"

namespace oodbench::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kLossBlocks = 264;  // fixed, so the loss sums in the same order every run (2 per H100 SM)
constexpr std::size_t kLayers = AutoencoderParams<float>::kLayers;

__global__ void gather_rows_kernel(const float* x, const std::uint32_t* order, std::size_t rows, std::size_t cols,
                                   float* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < rows * cols) out[i] = x[static_cast<std::size_t>(order[i / cols]) * cols + i % cols];
}

__global__ void bias_activation_kernel(float* out, const float* bias, std::size_t rows, std::size_t cols, bool relu) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < rows * cols) out[i] = biased_activation(out[i], bias[i % cols], relu);
}

/// delta = 2 (output - input) / n, and each block's partial Σ (output - input)² in float64.
__global__ void mse_gradient_kernel(const float* output, const float* input, std::size_t n, float scale, float* delta,
                                    double* partial) {
  __shared__ double sums[kThreads];
  double s = 0;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const float r = output[i] - input[i];
    s += static_cast<double>(r) * r;
    delta[i] = mse_gradient(r, scale);
  }
  sums[threadIdx.x] = s;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];
}

/// loss[step] = Σ partial / n, summed in a fixed order.
__global__ void finish_loss_kernel(const double* partial, unsigned count, double n, double* loss) {
  double s = 0;
  for (unsigned b = 0; b < count; ++b) s += partial[b];
  *loss = s / n;
}

__global__ void relu_backward_kernel(float* grad, const float* output, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) grad[i] = relu_backward(grad[i], output[i]);
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, std::size_t n, float lr, float beta1,
                            float beta2, float eps, float weight_decay, float bc1, float bc2_sqrt) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) adam_update(param[i], grad[i], m[i], v[i], lr, beta1, beta2, eps, weight_decay, bc1, bc2_sqrt);
}

/// Where each layer's weight and bias sit in one flat parameter array (so one Adam launch updates everything).
struct ParamLayout {
  std::array<std::size_t, kLayers> in{}, out{}, weight{}, bias{};
  std::size_t total = 0;

  explicit ParamLayout(const AutoencoderParams<float>& p) {
    for (std::size_t k = 0; k < kLayers; ++k) {
      in[k] = p.weight[k].cols;
      out[k] = p.weight[k].rows;
      weight[k] = total;
      total += in[k] * out[k];
      bias[k] = total;
      total += out[k];
    }
  }
  std::vector<float> flatten(const AutoencoderParams<float>& p) const {
    std::vector<float> flat(total);
    for (std::size_t k = 0; k < kLayers; ++k) {
      std::copy(p.weight[k].data.begin(), p.weight[k].data.end(), flat.begin() + static_cast<std::ptrdiff_t>(weight[k]));
      std::copy(p.bias[k].begin(), p.bias[k].end(), flat.begin() + static_cast<std::ptrdiff_t>(bias[k]));
    }
    return flat;
  }
  AutoencoderParams<float> unflatten(const std::vector<float>& flat) const {
    auto p = AutoencoderParams<float>::zeros(in[0], out[0], out[1]);
    for (std::size_t k = 0; k < kLayers; ++k) {
      std::copy_n(flat.begin() + static_cast<std::ptrdiff_t>(weight[k]), in[k] * out[k], p.weight[k].data.begin());
      std::copy_n(flat.begin() + static_cast<std::ptrdiff_t>(bias[k]), out[k], p.bias[k].begin());
    }
    return p;
  }
};

int as_int(std::size_t v) { return static_cast<int>(v); }

/// The forward pass of `rows` rows already in act[0]: act[k + 1] = activation(act[k] W_kᵀ + b_k). Row-major
/// activations are column-major (features x rows), so each layer is one GEMM with W (column-major in x out) transposed.
void forward(cublasHandle_t cublas, const ParamLayout& layout, const float* params, std::array<float*, kLayers + 1> act,
             std::size_t rows) {
  const float one = 1.0f, zero = 0.0f;
  for (std::size_t k = 0; k < kLayers; ++k) {
    check(cublasSgemm(cublas, CUBLAS_OP_T, CUBLAS_OP_N, as_int(layout.out[k]), as_int(rows), as_int(layout.in[k]), &one,
                      params + layout.weight[k], as_int(layout.in[k]), act[k], as_int(layout.in[k]), &zero, act[k + 1],
                      as_int(layout.out[k])),
          "autoencoder forward GEMM");
    bias_activation_kernel<<<grid_size(rows * layout.out[k], kThreads), kThreads>>>(
        act[k + 1], params + layout.bias[k], rows, layout.out[k], AutoencoderParams<float>::relu_after(k));
    check_launch("bias_activation_kernel");
  }
}

/// Activation buffers for up to `rows` rows.
struct Activations {
  std::array<DeviceBuffer<float>, kLayers + 1> buffers;
  Activations(const ParamLayout& layout, std::size_t rows) {
    buffers[0] = DeviceBuffer<float>(rows * layout.in[0]);
    for (std::size_t k = 0; k < kLayers; ++k) buffers[k + 1] = DeviceBuffer<float>(rows * layout.out[k]);
  }
  std::array<float*, kLayers + 1> pointers() {
    std::array<float*, kLayers + 1> p{};
    for (std::size_t k = 0; k <= kLayers; ++k) p[k] = buffers[k].data();
    return p;
  }
};

class CudaAutoencoderTrainer final : public AutoencoderTrainer {
 public:
  CudaAutoencoderTrainer(cublasHandle_t cublas, const AutoencoderParams<float>& initial, const Matrix<float>& x,
                         std::size_t batch, const AdamSettings& adam)
      : cublas_(cublas), layout_(initial), batch_(std::min(batch, x.rows)), adam_(adam),
        x_(to_device(x)), params_(to_device(layout_.flatten(initial))),
        grad_(layout_.total), m_(layout_.total), v_(layout_.total), act_(layout_, batch_),
        delta_(batch_ * widest()), next_(batch_ * widest()), ones_(to_device(std::vector<float>(batch_, 1.0f))),
        partial_(kLossBlocks), cols_(x.cols) {
    check(cudaMemset(m_.data(), 0, layout_.total * sizeof(float)), "cudaMemset");
    check(cudaMemset(v_.data(), 0, layout_.total * sizeof(float)), "cudaMemset");
  }

  std::vector<double> epoch(std::span<const std::uint32_t> order) override {
    const std::size_t steps = (order.size() + batch_ - 1) / batch_;
    const auto d_order = to_device(order);
    DeviceBuffer<double> losses(steps);
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t start = s * batch_, rows = std::min(batch_, order.size() - start);
      step(d_order.data() + start, rows, losses.data() + s);
    }
    std::vector<double> out(steps);
    to_host(losses.data(), std::span<double>(out));
    return out;
  }

  AutoencoderParams<float> params() const override {
    std::vector<float> flat(layout_.total);
    to_host(params_.data(), std::span<float>(flat));
    return layout_.unflatten(flat);
  }

 private:
  std::size_t widest() const { return *std::max_element(layout_.in.begin(), layout_.in.end()); }

  /// One mini-batch: forward, loss, backward, Adam. Nothing here waits for the device.
  void step(const std::uint32_t* order, std::size_t rows, double* loss) {
    auto act = act_.pointers();
    gather_rows_kernel<<<grid_size(rows * cols_, kThreads), kThreads>>>(x_.data(), order, rows, cols_, act[0]);
    check_launch("gather_rows_kernel");
    forward(cublas_, layout_, params_.data(), act, rows);
    const std::size_t n = rows * cols_;
    mse_gradient_kernel<<<kLossBlocks, kThreads>>>(act[kLayers], act[0], n, 2.0f / static_cast<float>(n),
                                                   delta_.data(), partial_.data());
    finish_loss_kernel<<<1, 1>>>(partial_.data(), kLossBlocks, static_cast<double>(n), loss);
    check_launch("mse_gradient_kernel");
    const float one = 1.0f, zero = 0.0f;
    float* delta = delta_.data();
    float* next = next_.data();
    for (std::size_t k = kLayers; k-- > 0;) {
      const int in = as_int(layout_.in[k]), out = as_int(layout_.out[k]);
      // grad W_k = deltaᵀ act[k] (row-major out x in; column-major in x out = act[k] deltaᵀ)
      check(cublasSgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_T, in, out, as_int(rows), &one, act[k], in, delta, out, &zero,
                        grad_.data() + layout_.weight[k], in),
            "autoencoder weight-gradient GEMM");
      // grad b_k = column sums of delta = (column-major out x rows) · ones
      check(cublasSgemv(cublas_, CUBLAS_OP_N, out, as_int(rows), &one, delta, out, ones_.data(), 1, &zero,
                        grad_.data() + layout_.bias[k], 1),
            "autoencoder bias-gradient GEMV");
      if (k == 0) break;
      // next = delta W_k (row-major rows x in; column-major in x rows = W_k(col-major in x out) · delta)
      check(cublasSgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, in, as_int(rows), out, &one, params_.data() + layout_.weight[k],
                        in, delta, out, &zero, next, in),
            "autoencoder backward GEMM");
      if (AutoencoderParams<float>::relu_after(k - 1)) {
        const std::size_t n_below = rows * layout_.in[k];
        relu_backward_kernel<<<grid_size(n_below, kThreads), kThreads>>>(next, act[k], n_below);
        check_launch("relu_backward_kernel");
      }
      std::swap(delta, next);
    }
    ++step_;
    const auto t = static_cast<double>(step_);
    adam_kernel<<<grid_size(layout_.total, kThreads), kThreads>>>(
        params_.data(), grad_.data(), m_.data(), v_.data(), layout_.total, static_cast<float>(adam_.lr),
        static_cast<float>(adam_.beta1), static_cast<float>(adam_.beta2), static_cast<float>(adam_.eps),
        static_cast<float>(adam_.weight_decay), static_cast<float>(1.0 - std::pow(adam_.beta1, t)),
        static_cast<float>(std::sqrt(1.0 - std::pow(adam_.beta2, t))));
    check_launch("adam_kernel");
  }

  cublasHandle_t cublas_;
  ParamLayout layout_;
  std::size_t batch_;
  AdamSettings adam_;
  DeviceBuffer<float> x_, params_, grad_, m_, v_;
  Activations act_;
  DeviceBuffer<float> delta_, next_, ones_;
  DeviceBuffer<double> partial_;
  std::size_t cols_;
  std::int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<AutoencoderTrainer> CudaBackend::autoencoder_trainer(const AutoencoderParams<float>& initial,
                                                                     const Matrix<float>& x, std::size_t batch,
                                                                     const AdamSettings& adam) const {
  if (batch == 0) throw std::invalid_argument("autoencoder_trainer: batch must be >= 1");
  return std::make_unique<CudaAutoencoderTrainer>(cublas_, initial, x, batch, adam);
}

Matrix<float> CudaBackend::autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const {
  constexpr std::size_t kBlock = 16384;  // bounded memory for any number of rows
  Matrix<float> out(x.rows, x.cols);
  if (x.rows == 0) return out;
  const ParamLayout layout(params);
  const auto d_params = to_device(layout.flatten(params));
  const std::size_t block_rows = std::min(kBlock, x.rows);
  Activations act(layout, block_rows);
  for (std::size_t start = 0; start < x.rows; start += block_rows) {
    const std::size_t rows = std::min(block_rows, x.rows - start);
    check(cudaMemcpy(act.buffers[0].data(), x.row(start), rows * x.cols * sizeof(float), cudaMemcpyHostToDevice),
          "reconstruct upload");
    forward(cublas_, layout, d_params.data(), act.pointers(), rows);
    to_host(act.buffers[kLayers].data(), std::span<float>(out.row(start), rows * x.cols));
  }
  return out;
}

}  // namespace oodbench::cuda

// The MaRS autoencoder on the GPU: cuBLAS GEMMs for the four layers and their gradients, and our kernels for the
// element-wise steps (bias + ReLU, the MSE gradient with a deterministic loss reduction, the ReLU backward mask, one
// Adam step over all parameters at once). The training data, weights, gradients and Adam moments stay on the device
// for the trainer's life; an epoch uploads its batch order once and downloads its losses once. Several autoencoders
// (a sweep's seeds) train as one problem: each step is one batched GEMM per product for all of them and one launch
// per element-wise kernel, so the small per-seed products of batch 256 fill the GPU together; and an epoch's launches
// are captured once as a CUDA graph and replayed, since at batch 256 launching them is what takes the time.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

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

/// One block's share of the MSE step: delta = 2 (output - input) / n, and the block's partial Σ (output - input)² in
/// float64 (returned by thread 0), for the single and the batched trainer alike.
__device__ double mse_gradient_block(const float* output, const float* input, std::size_t n, float scale,
                                     float* delta) {
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
  return sums[0];
}

/// delta = 2 (output - input) / n, and each block's partial Σ (output - input)² in float64.
__global__ void mse_gradient_kernel(const float* output, const float* input, std::size_t n, float scale, float* delta,
                                    double* partial) {
  const double sum = mse_gradient_block(output, input, n, scale, delta);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
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

// The same element-wise steps for several members at once: blockIdx.y is the member's position in the batch, whose
// scratch (activations, deltas) lies at position x stride, and whose parameters lie at slots[position] x total.

__global__ void batched_gather_rows_kernel(const float* x, const std::uint32_t* orders, std::size_t order_stride,
                                           std::size_t rows, std::size_t cols, float* out, std::size_t out_stride) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t p = blockIdx.y;
  if (i < rows * cols) out[p * out_stride + i] = x[static_cast<std::size_t>(orders[p * order_stride + i / cols]) * cols + i % cols];
}

__global__ void batched_bias_activation_kernel(float* out, std::size_t out_stride, const float* params,
                                               std::size_t param_stride, std::size_t bias_offset,
                                               const std::uint32_t* slots, std::size_t rows, std::size_t cols,
                                               bool relu) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t p = blockIdx.y;
  if (i >= rows * cols) return;
  const float* bias = params + static_cast<std::size_t>(slots[p]) * param_stride + bias_offset;
  out[p * out_stride + i] = biased_activation(out[p * out_stride + i], bias[i % cols], relu);
}

/// As mse_gradient_kernel, per position: partial[p * gridDim.x + block].
__global__ void batched_mse_gradient_kernel(const float* output, const float* input, std::size_t io_stride,
                                            std::size_t n, float scale, float* delta, std::size_t delta_stride,
                                            double* partial) {
  const std::size_t p = blockIdx.y;
  const double sum = mse_gradient_block(output + p * io_stride, input + p * io_stride, n, scale,
                                        delta + p * delta_stride);
  if (threadIdx.x == 0) partial[p * gridDim.x + blockIdx.x] = sum;
}

/// losses[p * loss_stride] = Σ partial of position p / n (one block per position).
__global__ void batched_finish_loss_kernel(const double* partial, unsigned count, double n, double* losses,
                                           std::size_t loss_stride) {
  const std::size_t p = blockIdx.x;
  double s = 0;
  for (unsigned b = 0; b < count; ++b) s += partial[p * count + b];
  losses[p * loss_stride] = s / n;
}

__global__ void batched_relu_backward_kernel(float* grad, std::size_t grad_stride, const float* output,
                                             std::size_t output_stride, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t p = blockIdx.y;
  if (i < n) grad[p * grad_stride + i] = relu_backward(grad[p * grad_stride + i], output[p * output_stride + i]);
}

/// Adam for every position's member; `corrections` holds each position's bias_correction1 and
/// bias_correction2_sqrt (members that sat out epochs are at other step counts).
__global__ void batched_adam_kernel(float* param, const float* grad, float* m, float* v, std::size_t total,
                                    const std::uint32_t* slots, const float* corrections, float lr, float beta1,
                                    float beta2, float eps, float weight_decay) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t p = blockIdx.y;
  if (i >= total) return;
  const std::size_t at = static_cast<std::size_t>(slots[p]) * total + i;
  adam_update(param[at], grad[at], m[at], v[at], lr, beta1, beta2, eps, weight_decay, corrections[2 * p],
              corrections[2 * p + 1]);
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
  /// `x_device` is `x` on the device (CudaBackend::device_input).
  CudaAutoencoderTrainer(cublasHandle_t cublas, const AutoencoderParams<float>& initial, const Matrix<float>& x,
                         DeviceInput x_device, std::size_t batch, const AdamSettings& adam)
      : cublas_(cublas), layout_(initial), batch_(std::min(batch, x.rows)), adam_(adam),
        x_(std::move(x_device)), params_(to_device(layout_.flatten(initial))),
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
    gather_rows_kernel<<<grid_size(rows * cols_, kThreads), kThreads>>>(x_.data, order, rows, cols_, act[0]);
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
  DeviceInput x_;
  DeviceBuffer<float> params_, grad_, m_, v_;
  Activations act_;
  DeviceBuffer<float> delta_, next_, ones_;
  DeviceBuffer<double> partial_;
  std::size_t cols_;
  std::int64_t step_ = 0;
};

/// Several autoencoders of one shape over the same rows: the data once on the device, every member's parameters,
/// gradients and Adam moments side by side (slot i at i x total), and per step one batched GEMM per product and one
/// launch per element-wise kernel for all members that train in this epoch. Members given orders of different
/// lengths train as separate batches, one per length.
class CudaAutoencoderTrainers final : public AutoencoderTrainers {
 public:
  /// `x_device` is `x` on the device (CudaBackend::device_input).
  CudaAutoencoderTrainers(cublasHandle_t cublas, std::span<const AutoencoderParams<float>> initial,
                          const Matrix<float>& x, DeviceInput x_device, std::size_t batch, const AdamSettings& adam)
      : cublas_(cublas), layout_(initial.front()), members_(initial.size()), batch_(std::min(batch, x.rows)),
        adam_(adam), x_(std::move(x_device)), params_(members_ * layout_.total), grad_(members_ * layout_.total),
        m_(members_ * layout_.total), v_(members_ * layout_.total), delta_(members_ * batch_ * widest()),
        next_(members_ * batch_ * widest()), ones_(to_device(std::vector<float>(batch_, 1.0f))),
        partial_(members_ * kLossBlocks), steps_(members_, 0), cols_(x.cols) {
    for (std::size_t i = 0; i < members_; ++i) {
      const std::vector<float> flat = ParamLayout(initial[i]).flatten(initial[i]);
      if (flat.size() != layout_.total) throw std::invalid_argument("autoencoder_trainers: members differ in shape");
      note_upload(flat.size() * sizeof(float));
      check(cudaMemcpy(params_.data() + i * layout_.total, flat.data(), flat.size() * sizeof(float),
                       cudaMemcpyHostToDevice),
            "autoencoder_trainers upload");
    }
    check(cudaMemset(m_.data(), 0, members_ * layout_.total * sizeof(float)), "cudaMemset");
    check(cudaMemset(v_.data(), 0, members_ * layout_.total * sizeof(float)), "cudaMemset");
    act_[0] = DeviceBuffer<float>(members_ * batch_ * layout_.in[0]);
    for (std::size_t k = 0; k < kLayers; ++k) act_[k + 1] = DeviceBuffer<float>(members_ * batch_ * layout_.out[k]);
  }

  std::vector<std::vector<double>> epoch(std::span<const std::vector<std::uint32_t>> orders) override {
    std::vector<std::vector<double>> losses(members_);
    std::map<std::size_t, std::vector<std::size_t>> by_length;
    for (std::size_t i = 0; i < members_; ++i)
      if (!orders[i].empty()) by_length[orders[i].size()].push_back(i);
    for (const auto& [length, members] : by_length) train_together(members, orders, length, losses);
    return losses;
  }

  AutoencoderParams<float> params(std::size_t member) const override {
    std::vector<float> flat(layout_.total);
    to_host(params_.data() + member * layout_.total, std::span<float>(flat));
    return layout_.unflatten(flat);
  }

 private:
  std::size_t widest() const { return *std::max_element(layout_.in.begin(), layout_.in.end()); }

  /// Strides of one position's scratch: act[k] holds batch x width(k) floats, delta and next batch x widest.
  std::size_t act_stride(std::size_t k) const { return batch_ * (k == 0 ? layout_.in[0] : layout_.out[k - 1]); }

  /// The batched GEMMs' operand pointers for the members at `slots`: per layer, per product (forward, weight
  /// gradient, bias gradient, backward), A, B and C for every position.
  enum Product { kForward, kWeightGrad, kBiasGrad, kBackward, kProducts };
  std::size_t pointer_index(std::size_t k, Product g, std::size_t operand, std::size_t a) const {
    return ((k * kProducts + g) * 3 + operand) * a;
  }
  DeviceBuffer<float*> operand_pointers(const std::vector<std::uint32_t>& slots) {
    const std::size_t a = slots.size();
    std::vector<float*> ptr(kLayers * kProducts * 3 * a);
    for (std::size_t k = 0; k < kLayers; ++k) {
      // The backward pass swaps delta and next after every layer, starting from delta at the top layer.
      float* delta_base = (kLayers - 1 - k) % 2 == 0 ? delta_.data() : next_.data();
      float* next_base = (kLayers - 1 - k) % 2 == 0 ? next_.data() : delta_.data();
      for (std::size_t p = 0; p < a; ++p) {
        float* params = params_.data() + slots[p] * layout_.total;
        float* grad = grad_.data() + slots[p] * layout_.total;
        float* below = act_[k].data() + p * act_stride(k);
        float* above = act_[k + 1].data() + p * act_stride(k + 1);
        float* delta = delta_base + p * batch_ * widest();
        float* next = next_base + p * batch_ * widest();
        const std::array<std::array<float*, 3>, kProducts> operands = {{
            {params + layout_.weight[k], below, above},
            {below, delta, grad + layout_.weight[k]},
            {delta, ones_.data(), grad + layout_.bias[k]},
            {params + layout_.weight[k], delta, next},
        }};
        for (std::size_t g = 0; g < kProducts; ++g)
          for (std::size_t o = 0; o < 3; ++o) ptr[pointer_index(k, static_cast<Product>(g), o, a) + p] = operands[g][o];
      }
    }
    return to_device(ptr);
  }

  void gemm(cublasOperation_t ta, cublasOperation_t tb, std::size_t m, std::size_t n, std::size_t k,
            float* const* pointers, std::size_t lda, std::size_t ldb, std::size_t ldc, std::size_t a,
            const char* what) {
    const float one = 1.0f, zero = 0.0f;
    check(cublasSgemmBatched(cublas_, ta, tb, as_int(m), as_int(n), as_int(k), &one, pointers, as_int(lda),
                             pointers + a, as_int(ldb), &zero, pointers + 2 * a, as_int(ldc), as_int(a)),
          what);
  }

  /// An epoch of one step length for one set of members: its device buffers, reused by every epoch of that set (the
  /// batch orders and Adam corrections are copied into them), and the epoch's launches captured once as a CUDA graph
  /// and replayed: one launch per epoch instead of about 25 per step, which batch 256 is bound by. A graph that
  /// cannot be captured (graph is null) leaves the epoch to direct launches, the same kernels in the same order.
  struct EpochPlan {
    std::size_t members = 0, length = 0, steps = 0;
    DeviceBuffer<std::uint32_t> slots, orders;
    DeviceBuffer<float> corrections;
    DeviceBuffer<double> losses;
    DeviceBuffer<float*> pointers;
    cudaGraphExec_t graph = nullptr;
    bool capture_tried = false;
    EpochPlan() = default;
    EpochPlan(const EpochPlan&) = delete;
    EpochPlan& operator=(const EpochPlan&) = delete;
    ~EpochPlan() {
      if (graph) cudaGraphExecDestroy(graph);
    }
  };

  EpochPlan& plan_for(const std::vector<std::uint32_t>& slots, std::size_t length, std::size_t steps) {
    std::unique_ptr<EpochPlan>& plan = plans_[{slots, length}];
    if (!plan) {
      plan = std::make_unique<EpochPlan>();
      plan->members = slots.size(), plan->length = length, plan->steps = steps;
      plan->slots = to_device(slots);
      plan->orders = DeviceBuffer<std::uint32_t>(slots.size() * length);
      plan->corrections = DeviceBuffer<float>(steps * slots.size() * 2);
      plan->losses = DeviceBuffer<double>(slots.size() * steps);
      plan->pointers = operand_pointers(slots);
    }
    return *plan;
  }

  /// Every step of one epoch of `plan`, launched on stream_.
  void launch_steps(EpochPlan& plan) {
    const std::size_t a = plan.members;
    for (std::size_t s = 0; s < plan.steps; ++s) {
      const std::size_t start = s * batch_, rows = std::min(batch_, plan.length - start);
      step(a, rows, plan.orders.data() + start, plan.length, plan.slots.data(), plan.pointers.data(),
           plan.corrections.data() + s * a * 2, plan.losses.data() + s, plan.steps);
    }
  }

  /// Captures launch_steps(plan) as a graph; on any failure the plan keeps no graph and the stream stays usable.
  void capture(EpochPlan& plan) {
    plan.capture_tried = true;
    if (cudaStreamBeginCapture(stream_.handle, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    bool launched = true;
    try {
      launch_steps(plan);
    } catch (const std::exception&) {
      launched = false;
    }
    cudaGraph_t graph = nullptr;
    const cudaError_t ended = cudaStreamEndCapture(stream_.handle, &graph);
    if (launched && ended == cudaSuccess && graph != nullptr &&
        cudaGraphInstantiate(&plan.graph, graph, 0) != cudaSuccess)
      plan.graph = nullptr;
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();  // a failed capture is not the next call's error
  }

  void train_together(const std::vector<std::size_t>& members, std::span<const std::vector<std::uint32_t>> orders,
                      std::size_t length, std::vector<std::vector<double>>& losses) {
    const std::size_t a = members.size(), steps = (length + batch_ - 1) / batch_;
    std::vector<std::uint32_t> slots(members.begin(), members.end()), all_orders;
    std::vector<float> corrections(steps * a * 2);
    for (std::size_t p = 0; p < a; ++p) {
      all_orders.insert(all_orders.end(), orders[members[p]].begin(), orders[members[p]].end());
      for (std::size_t s = 0; s < steps; ++s) {
        const auto t = static_cast<double>(steps_[members[p]] + static_cast<std::int64_t>(s) + 1);
        corrections[(s * a + p) * 2] = static_cast<float>(1.0 - std::pow(adam_.beta1, t));
        corrections[(s * a + p) * 2 + 1] = static_cast<float>(std::sqrt(1.0 - std::pow(adam_.beta2, t)));
      }
    }
    EpochPlan& plan = plan_for(slots, length, steps);
    cudaStream_t before = nullptr;
    check(cublasGetStream(cublas_, &before), "cublasGetStream");
    check(cublasSetStream(cublas_, stream_.handle), "cublasSetStream");
    try {
      copy_to_device(plan.orders.data(), std::span<const std::uint32_t>(all_orders), stream_.handle, "batch orders");
      copy_to_device(plan.corrections.data(), std::span<const float>(corrections), stream_.handle, "Adam corrections");
      if (!plan.capture_tried) capture(plan);
      if (plan.graph != nullptr)
        check(cudaGraphLaunch(plan.graph, stream_.handle), "autoencoder epoch (CUDA graph)");
      else
        launch_steps(plan);
    } catch (...) {
      cublasSetStream(cublas_, before);
      throw;
    }
    check(cublasSetStream(cublas_, before), "cublasSetStream");
    std::vector<double> host(a * steps);
    to_host(plan.losses.data(), std::span<double>(host), stream_.handle);
    for (std::size_t p = 0; p < a; ++p) {
      losses[members[p]].assign(host.begin() + static_cast<std::ptrdiff_t>(p * steps),
                                host.begin() + static_cast<std::ptrdiff_t>((p + 1) * steps));
      steps_[members[p]] += static_cast<std::int64_t>(steps);
    }
  }

  /// One mini-batch of `rows` rows for the `a` members at `slots`, on stream_. Nothing here waits for the device.
  void step(std::size_t a, std::size_t rows, const std::uint32_t* orders, std::size_t order_stride,
            const std::uint32_t* slots, float* const* pointers, const float* corrections, double* losses,
            std::size_t loss_stride) {
    const auto a_blocks = static_cast<unsigned>(a);
    const cudaStream_t stream = stream_.handle;
    batched_gather_rows_kernel<<<dim3(grid_size(rows * cols_, kThreads), a_blocks), kThreads, 0, stream>>>(
        x_.data, orders, order_stride, rows, cols_, act_[0].data(), act_stride(0));
    check_launch("batched_gather_rows_kernel");
    for (std::size_t k = 0; k < kLayers; ++k) {
      gemm(CUBLAS_OP_T, CUBLAS_OP_N, layout_.out[k], rows, layout_.in[k], pointers + pointer_index(k, kForward, 0, a),
           layout_.in[k], layout_.in[k], layout_.out[k], a, "batched autoencoder forward GEMM");
      const dim3 grid(grid_size(rows * layout_.out[k], kThreads), a_blocks);
      batched_bias_activation_kernel<<<grid, kThreads, 0, stream>>>(
          act_[k + 1].data(), act_stride(k + 1), params_.data(), layout_.total, layout_.bias[k], slots, rows,
          layout_.out[k], AutoencoderParams<float>::relu_after(k));
      check_launch("batched_bias_activation_kernel");
    }
    const std::size_t n = rows * cols_;
    batched_mse_gradient_kernel<<<dim3(kLossBlocks, a_blocks), kThreads, 0, stream>>>(
        act_[kLayers].data(), act_[0].data(), act_stride(0), n, 2.0f / static_cast<float>(n), delta_.data(),
        batch_ * widest(), partial_.data());
    check_launch("batched_mse_gradient_kernel");
    batched_finish_loss_kernel<<<a_blocks, 1, 0, stream>>>(partial_.data(), kLossBlocks, static_cast<double>(n), losses,
                                                 loss_stride);
    check_launch("batched_finish_loss_kernel");
    for (std::size_t k = kLayers; k-- > 0;) {
      const std::size_t in = layout_.in[k], out = layout_.out[k];
      gemm(CUBLAS_OP_N, CUBLAS_OP_T, in, out, rows, pointers + pointer_index(k, kWeightGrad, 0, a), in, out, in, a,
           "batched autoencoder weight-gradient GEMM");
      gemm(CUBLAS_OP_N, CUBLAS_OP_N, out, 1, rows, pointers + pointer_index(k, kBiasGrad, 0, a), out, rows, out, a,
           "batched autoencoder bias-gradient GEMM");
      if (k == 0) break;
      gemm(CUBLAS_OP_N, CUBLAS_OP_N, in, rows, out, pointers + pointer_index(k, kBackward, 0, a), in, out, in, a,
           "batched autoencoder backward GEMM");
      if (AutoencoderParams<float>::relu_after(k - 1)) {
        float* next = (kLayers - 1 - k) % 2 == 0 ? next_.data() : delta_.data();
        batched_relu_backward_kernel<<<dim3(grid_size(rows * in, kThreads), a_blocks), kThreads, 0, stream>>>(
            next, batch_ * widest(), act_[k].data(), act_stride(k), rows * in);
        check_launch("batched_relu_backward_kernel");
      }
    }
    batched_adam_kernel<<<dim3(grid_size(layout_.total, kThreads), a_blocks), kThreads, 0, stream>>>(
        params_.data(), grad_.data(), m_.data(), v_.data(), layout_.total, slots, corrections,
        static_cast<float>(adam_.lr), static_cast<float>(adam_.beta1), static_cast<float>(adam_.beta2),
        static_cast<float>(adam_.eps), static_cast<float>(adam_.weight_decay));
    check_launch("batched_adam_kernel");
  }

  cublasHandle_t cublas_;
  ParamLayout layout_;
  std::size_t members_, batch_;
  AdamSettings adam_;
  DeviceInput x_;
  DeviceBuffer<float> params_, grad_, m_, v_;
  std::array<DeviceBuffer<float>, kLayers + 1> act_;
  DeviceBuffer<float> delta_, next_, ones_;
  DeviceBuffer<double> partial_;
  std::vector<std::int64_t> steps_;  ///< Adam steps each member has taken
  std::size_t cols_;
  Stream stream_{false};  // blocking: it waits for the uploads to_device queues on the default stream
  std::map<std::pair<std::vector<std::uint32_t>, std::size_t>, std::unique_ptr<EpochPlan>> plans_;
};

}  // namespace

std::unique_ptr<AutoencoderTrainer> CudaBackend::autoencoder_trainer(const AutoencoderParams<float>& initial,
                                                                     const Matrix<float>& x, std::size_t batch,
                                                                     const AdamSettings& adam) const {
  if (batch == 0) throw std::invalid_argument("autoencoder_trainer: batch must be >= 1");
  return std::make_unique<CudaAutoencoderTrainer>(cublas_.get(), initial, x, device_input(x), batch, adam);
}

std::unique_ptr<AutoencoderTrainers> CudaBackend::autoencoder_trainers(
    std::span<const AutoencoderParams<float>> initial, const Matrix<float>& x, std::size_t batch,
    const AdamSettings& adam) const {
  if (batch == 0) throw std::invalid_argument("autoencoder_trainers: batch must be >= 1");
  if (initial.empty() || x.rows == 0) return Backend::autoencoder_trainers(initial, x, batch, adam);
  return std::make_unique<CudaAutoencoderTrainers>(cublas_.get(), initial, x, device_input(x), batch, adam);
}

Matrix<float> CudaBackend::autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const {
  constexpr std::size_t kBlock = 16384;  // bounded memory for any number of rows
  Matrix<float> out(x.rows, x.cols);
  if (x.rows == 0) return out;
  const ParamLayout layout(params);
  const auto d_params = to_device(layout.flatten(params));
  const ResidentCopy copy = resident_->find(x);
  const float* resident = copy.device;
  const std::size_t block_rows = std::min(kBlock, x.rows);
  Activations act(layout, block_rows);
  for (std::size_t start = 0; start < x.rows; start += block_rows) {
    const std::size_t rows = std::min(block_rows, x.rows - start);
    const std::size_t bytes = rows * x.cols * sizeof(float);
    if (resident) {
      check(cudaMemcpy(act.buffers[0].data(), resident + start * x.cols, bytes, cudaMemcpyDeviceToDevice),
            "reconstruct copy");
    } else {
      note_upload(bytes);
      check(cudaMemcpy(act.buffers[0].data(), x.row(start), bytes, cudaMemcpyHostToDevice), "reconstruct upload");
    }
    forward(cublas_.get(), layout, d_params.data(), act.pointers(), rows);
    to_host(act.buffers[kLayers].data(), std::span<float>(out.row(start), rows * x.cols));
  }
  return out;
}

}  // namespace oodbench::cuda

// The MaRS autoencoder on the GPU: one trainer for any number of members (a sweep's seeds; a single autoencoder is
// one member), cuBLAS GEMMs for the four layers and their gradients, and our kernels for the element-wise steps (bias
// + ReLU, the MSE gradient with a deterministic loss reduction, the ReLU backward mask, one Adam step over all
// parameters at once). The training data, weights, gradients and Adam moments stay on the device for the trainer's
// life; an epoch uploads its batch orders once and downloads its losses once, and its launches are captured once as
// a CUDA graph and replayed, since at batch 256 launching them is what takes the time.
//
// A member trained beside others gives the bits it gives trained alone, by construction: its step is the same
// sequence of the same calls whatever trains beside it. Its products are single cuBLAS GEMMs and GEMVs (never a
// batched GEMM, whose kernel cuBLAS may choose by the batch count) of the same shapes, on a handle configured as every
// other (one per stream, the same math mode, its own workspace of the same size: lanes.cuh), reading operands of the
// same alignment (each member's parameters and each lane's scratch are allocations of their own); its element-wise
// kernels have the same grids; its loss sums in a fixed order. What the members share is only the GPU: they run side
// by side on up to kMaxLanes lanes, which fills it as a batched GEMM would, without touching any member's arithmetic.
#include <algorithm>
#include <array>
#include <cmath>
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
constexpr std::size_t kMaxLanes = 8;  // members that train at once, each on its own stream

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

/// loss = Σ partial / n, summed in a fixed order.
__global__ void finish_loss_kernel(const double* partial, unsigned count, double n, double* loss) {
  double s = 0;
  for (unsigned b = 0; b < count; ++b) s += partial[b];
  *loss = s / n;
}

__global__ void relu_backward_kernel(float* grad, const float* output, std::size_t n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) grad[i] = relu_backward(grad[i], output[i]);
}

/// One Adam step of every parameter; `corrections` holds this step's bias_correction1 and bias_correction2_sqrt, read
/// from device memory so that a replayed graph takes each epoch's (members that sat out epochs are at other steps).
__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, std::size_t n,
                            const float* corrections, float lr, float beta1, float beta2, float eps,
                            float weight_decay) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) adam_update(param[i], grad[i], m[i], v[i], lr, beta1, beta2, eps, weight_decay, corrections[0],
                         corrections[1]);
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
  std::size_t widest() const { return *std::max_element(in.begin(), in.end()); }
};

int as_int(std::size_t v) { return static_cast<int>(v); }

/// The forward pass of `rows` rows already in act[0]: act[k + 1] = activation(act[k] W_kᵀ + b_k), on `lane`. Row-major
/// activations are column-major (features x rows), so each layer is one GEMM with W (column-major in x out) transposed.
void forward(Lane& lane, const ParamLayout& layout, const float* params, std::array<float*, kLayers + 1> act,
             std::size_t rows) {
  const float one = 1.0f, zero = 0.0f;
  for (std::size_t k = 0; k < kLayers; ++k) {
    check(cublasSgemm(lane.blas(), CUBLAS_OP_T, CUBLAS_OP_N, as_int(layout.out[k]), as_int(rows), as_int(layout.in[k]),
                      &one, params + layout.weight[k], as_int(layout.in[k]), act[k], as_int(layout.in[k]), &zero,
                      act[k + 1], as_int(layout.out[k])),
          "autoencoder forward GEMM");
    bias_activation_kernel<<<grid_size(rows * layout.out[k], kThreads), kThreads, 0, lane.stream()>>>(
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

/// One member's parameters, gradients and Adam moments, each an allocation of its own (see the top of this file).
struct MemberState {
  DeviceBuffer<float> params, grad, m, v;
  std::int64_t steps = 0;  ///< Adam steps taken
  explicit MemberState(std::size_t total) : params(total), grad(total), m(total), v(total) {}
};

/// What the steps on one lane write: a batch's activations, the backward pass's deltas, the loss partials, and the ones
/// the bias gradient sums with. The members of a lane take turns, in its stream's order.
struct Scratch {
  Activations act;
  DeviceBuffer<float> delta, next, ones;
  DeviceBuffer<double> partial;
  Scratch(const ParamLayout& layout, std::size_t batch, cudaStream_t stream)
      : act(layout, batch), delta(batch * layout.widest()), next(batch * layout.widest()),
        ones(to_device(std::vector<float>(batch, 1.0f), stream)), partial(kLossBlocks) {}
};

/// An epoch of some members (each with its own number of rows): its device buffers, reused while the same members
/// train (the batch orders and Adam corrections are copied into them each epoch), and its launches captured once as a
/// CUDA graph. A graph that cannot be captured (graph null) leaves the epoch to direct launches: the same calls.
struct EpochPlan {
  std::vector<std::pair<std::size_t, std::size_t>> members;  ///< (member, rows of its epoch)
  std::vector<std::size_t> first_row, first_step;            ///< each entry's offsets into orders and losses
  std::size_t rows = 0, steps = 0;
  DeviceBuffer<std::uint32_t> orders;
  DeviceBuffer<float> corrections;  ///< two per step
  DeviceBuffer<double> losses;      ///< one per step
  cudaGraphExec_t graph = nullptr;
  bool capture_tried = false;
  int device = 0;

  EpochPlan(std::vector<std::pair<std::size_t, std::size_t>> running, std::size_t batch)
      : members(std::move(running)), device(current_device()) {
    for (const auto& [member, length] : members) {
      first_row.push_back(rows);
      first_step.push_back(steps);
      rows += length;
      steps += (length + batch - 1) / batch;
    }
    orders = DeviceBuffer<std::uint32_t>(rows);
    corrections = DeviceBuffer<float>(2 * steps);
    losses = DeviceBuffer<double>(steps);
  }
  EpochPlan(const EpochPlan&) = delete;
  EpochPlan& operator=(const EpochPlan&) = delete;
  ~EpochPlan() {
    if (graph) on_device(device, [&] { cudaGraphExecDestroy(graph); });
  }
};

class CudaAutoencoderTrainers final : public AutoencoderTrainers {
 public:
  /// `x_device` is `x` on the device, ready before any of the pool's streams reads it.
  CudaAutoencoderTrainers(int device, LanePool& pool, std::shared_ptr<ResidencyRegistry> resident,
                          std::span<const AutoencoderParams<float>> initial, const Matrix<float>& x,
                          DeviceInput x_device, std::size_t batch, const AdamSettings& adam)
      : device_(device), resident_(std::move(resident)), layout_(initial.front()), batch_(std::min(batch, x.rows)),
        cols_(x.cols), adam_(adam), x_(std::move(x_device)) {
    const std::size_t lanes = std::min(initial.size(), kMaxLanes);
    lanes_.reserve(lanes);
    scratch_.reserve(lanes);
    for (std::size_t l = 0; l < lanes; ++l) {
      lanes_.push_back(pool.lease());
      scratch_.emplace_back(layout_, batch_, lanes_.back()->stream());
      joined_.push_back(std::make_unique<Event>());
    }
    const cudaStream_t stream = lanes_[0]->stream();  // every other lane starts from it (launch_steps)
    members_.reserve(initial.size());
    for (const AutoencoderParams<float>& p : initial) {
      const std::vector<float> flat = ParamLayout(p).flatten(p);
      if (flat.size() != layout_.total) throw std::invalid_argument("autoencoder_trainers: members differ in shape");
      MemberState& member = members_.emplace_back(layout_.total);
      copy_to_device(member.params.data(), std::span<const float>(flat), stream, "autoencoder_trainers upload");
      check(cudaMemsetAsync(member.m.data(), 0, layout_.total * sizeof(float), stream), "cudaMemsetAsync");
      check(cudaMemsetAsync(member.v.data(), 0, layout_.total * sizeof(float), stream), "cudaMemsetAsync");
    }
  }

  std::vector<std::vector<double>> epoch(std::span<const std::vector<std::uint32_t>> orders) override {
    if (orders.size() != members_.size()) throw std::invalid_argument("autoencoder_trainers: one order per member");
    const DeviceGuard device(device_);
    std::vector<std::vector<double>> losses(members_.size());
    std::vector<std::pair<std::size_t, std::size_t>> running;
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (!orders[i].empty()) running.emplace_back(i, orders[i].size());
    if (running.empty()) return losses;
    if (!plan_ || plan_->members != running) {
      plan_.reset();
      plan_ = retry_after_eviction(*resident_, [&] { return std::make_unique<EpochPlan>(running, batch_); });
    }
    EpochPlan& plan = *plan_;
    std::vector<std::uint32_t> all_orders;
    std::vector<float> corrections;
    all_orders.reserve(plan.rows);
    for (const auto& [member, length] : running) {
      all_orders.insert(all_orders.end(), orders[member].begin(), orders[member].end());
      for (std::size_t s = 0; s < (length + batch_ - 1) / batch_; ++s) {
        const auto t = static_cast<double>(members_[member].steps + static_cast<std::int64_t>(s) + 1);
        corrections.push_back(static_cast<float>(1.0 - std::pow(adam_.beta1, t)));
        corrections.push_back(static_cast<float>(std::sqrt(1.0 - std::pow(adam_.beta2, t))));
      }
    }
    const cudaStream_t stream = lanes_[0]->stream();
    copy_to_device(plan.orders.data(), std::span<const std::uint32_t>(all_orders), stream, "batch orders");
    copy_to_device(plan.corrections.data(), std::span<const float>(corrections), stream, "Adam corrections");
    if (!plan.capture_tried) capture(plan);
    if (plan.graph != nullptr) check(cudaGraphLaunch(plan.graph, stream), "autoencoder epoch (CUDA graph)");
    else launch_steps(plan);
    std::vector<double> host(plan.steps);
    to_host(plan.losses.data(), std::span<double>(host), stream);
    for (std::size_t p = 0; p < running.size(); ++p) {
      const std::size_t member = running[p].first, steps = (running[p].second + batch_ - 1) / batch_;
      const auto first = host.begin() + static_cast<std::ptrdiff_t>(plan.first_step[p]);
      losses[member].assign(first, first + static_cast<std::ptrdiff_t>(steps));
      members_[member].steps += static_cast<std::int64_t>(steps);
    }
    return losses;
  }

  AutoencoderParams<float> params(std::size_t member) const override {
    const DeviceGuard device(device_);
    std::vector<float> flat(layout_.total);
    to_host(members_.at(member).params.data(), std::span<float>(flat), lanes_[0]->stream());
    return layout_.unflatten(flat);
  }

 private:
  /// Every step of one epoch of `plan`: lane 0 forks to the other lanes, each runs its members' steps in turn (member
  /// p on lane p mod lanes), and lane 0 joins them again, so that the epoch is done when lane 0's work is.
  void launch_steps(EpochPlan& plan) {
    const std::size_t lanes = std::min(lanes_.size(), plan.members.size());
    const cudaStream_t origin = lanes_[0]->stream();
    if (lanes > 1) {
      check(cudaEventRecord(forked_.handle, origin), "cudaEventRecord");
      for (std::size_t l = 1; l < lanes; ++l)
        check(cudaStreamWaitEvent(lanes_[l]->stream(), forked_.handle), "cudaStreamWaitEvent");
    }
    for (std::size_t p = 0; p < plan.members.size(); ++p) {
      const auto [member, length] = plan.members[p];
      const std::size_t l = p % lanes;
      for (std::size_t start = 0, s = plan.first_step[p]; start < length; start += batch_, ++s) {
        step(members_[member], *lanes_[l], scratch_[l], plan.orders.data() + plan.first_row[p] + start,
             std::min(batch_, length - start), plan.losses.data() + s, plan.corrections.data() + 2 * s);
      }
    }
    for (std::size_t l = 1; l < lanes; ++l) {
      check(cudaEventRecord(joined_[l]->handle, lanes_[l]->stream()), "cudaEventRecord");
      check(cudaStreamWaitEvent(origin, joined_[l]->handle), "cudaStreamWaitEvent");
    }
  }

  /// Captures launch_steps(plan) as a graph, in this thread's mode on lane 0's non-blocking stream: what other threads
  /// do meanwhile (their uploads on the legacy default stream, PyTorch) neither breaks the capture nor joins it. On
  /// any failure the plan keeps no graph and the epoch runs as direct launches.
  void capture(EpochPlan& plan) {
    plan.capture_tried = true;
    const cudaStream_t origin = lanes_[0]->stream();
    if (cudaStreamBeginCapture(origin, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
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
    const cudaError_t ended = cudaStreamEndCapture(origin, &graph);
    if (launched && ended == cudaSuccess && graph != nullptr &&
        cudaGraphInstantiate(&plan.graph, graph, 0) != cudaSuccess)
      plan.graph = nullptr;
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();  // a failed capture is not the next call's error
  }

  /// One mini-batch of `rows` rows (taken in `order`) for `member` on `lane`: forward, loss, backward, Adam. Nothing
  /// here waits for the device.
  void step(MemberState& member, Lane& lane, Scratch& scratch, const std::uint32_t* order, std::size_t rows,
            double* loss, const float* corrections) {
    const cudaStream_t stream = lane.stream();
    auto act = scratch.act.pointers();
    gather_rows_kernel<<<grid_size(rows * cols_, kThreads), kThreads, 0, stream>>>(x_.data, order, rows, cols_, act[0]);
    check_launch("gather_rows_kernel");
    forward(lane, layout_, member.params.data(), act, rows);
    const std::size_t n = rows * cols_;
    mse_gradient_kernel<<<kLossBlocks, kThreads, 0, stream>>>(act[kLayers], act[0], n, 2.0f / static_cast<float>(n),
                                                              scratch.delta.data(), scratch.partial.data());
    check_launch("mse_gradient_kernel");
    finish_loss_kernel<<<1, 1, 0, stream>>>(scratch.partial.data(), kLossBlocks, static_cast<double>(n), loss);
    check_launch("finish_loss_kernel");
    const float one = 1.0f, zero = 0.0f;
    float* delta = scratch.delta.data();
    float* next = scratch.next.data();
    float* grad = member.grad.data();
    for (std::size_t k = kLayers; k-- > 0;) {
      const int in = as_int(layout_.in[k]), out = as_int(layout_.out[k]);
      // grad W_k = deltaᵀ act[k] (row-major out x in; column-major in x out = act[k] deltaᵀ)
      check(cublasSgemm(lane.blas(), CUBLAS_OP_N, CUBLAS_OP_T, in, out, as_int(rows), &one, act[k], in, delta, out,
                        &zero, grad + layout_.weight[k], in),
            "autoencoder weight-gradient GEMM");
      // grad b_k = column sums of delta = (column-major out x rows) · ones
      check(cublasSgemv(lane.blas(), CUBLAS_OP_N, out, as_int(rows), &one, delta, out, scratch.ones.data(), 1, &zero,
                        grad + layout_.bias[k], 1),
            "autoencoder bias-gradient GEMV");
      if (k == 0) break;
      // next = delta W_k (row-major rows x in; column-major in x rows = W_k(col-major in x out) · delta)
      check(cublasSgemm(lane.blas(), CUBLAS_OP_N, CUBLAS_OP_N, in, as_int(rows), out, &one,
                        member.params.data() + layout_.weight[k], in, delta, out, &zero, next, in),
            "autoencoder backward GEMM");
      if (AutoencoderParams<float>::relu_after(k - 1)) {
        const std::size_t n_below = rows * layout_.in[k];
        relu_backward_kernel<<<grid_size(n_below, kThreads), kThreads, 0, stream>>>(next, act[k], n_below);
        check_launch("relu_backward_kernel");
      }
      std::swap(delta, next);
    }
    adam_kernel<<<grid_size(layout_.total, kThreads), kThreads, 0, stream>>>(
        member.params.data(), grad, member.m.data(), member.v.data(), layout_.total, corrections,
        static_cast<float>(adam_.lr), static_cast<float>(adam_.beta1), static_cast<float>(adam_.beta2),
        static_cast<float>(adam_.eps), static_cast<float>(adam_.weight_decay));
    check_launch("adam_kernel");
  }

  int device_;
  std::shared_ptr<ResidencyRegistry> resident_;  // what an epoch gives back when its buffers do not fit
  ParamLayout layout_;
  std::size_t batch_, cols_;
  AdamSettings adam_;
  DeviceInput x_;
  std::vector<LaneLease> lanes_;
  std::vector<Scratch> scratch_;                // one per lane
  std::vector<std::unique_ptr<Event>> joined_;  // one per lane: its share of the epoch is done
  Event forked_;                                // lane 0 reached the epoch's start
  std::vector<MemberState> members_;
  std::unique_ptr<EpochPlan> plan_;  // the members that trained last
};

}  // namespace

std::unique_ptr<AutoencoderTrainers> CudaBackend::autoencoder_trainers(
    std::span<const AutoencoderParams<float>> initial, const Matrix<float>& x, std::size_t batch,
    const AdamSettings& adam) const {
  if (batch == 0) throw std::invalid_argument("autoencoder_trainers: batch must be >= 1");
  if (initial.empty() || x.rows == 0) return CpuBackend::autoencoder_trainers(initial, x, batch, adam);
  return call([&](Lane& lane) -> std::unique_ptr<AutoencoderTrainers> {
    DeviceInput rows = device_input(x, lane.stream());
    check(cudaStreamSynchronize(lane.stream()), "autoencoder_trainers upload");  // the trainer's lanes read it
    return std::make_unique<CudaAutoencoderTrainers>(device_, *lanes_, resident_, initial, x, std::move(rows), batch,
                                                     adam);
  });
}

Matrix<float> CudaBackend::autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const {
  constexpr std::size_t kBlock = 16384;  // bounded memory for any number of rows
  Matrix<float> out(x.rows, x.cols);
  if (x.rows == 0) return out;
  return call([&](Lane& lane) {
    const cudaStream_t stream = lane.stream();
    const ParamLayout layout(params);
    const auto d_params = to_device(layout.flatten(params), stream);
    const ResidentCopy copy = resident_->find(x);
    const std::size_t block_rows = std::min(kBlock, x.rows);
    Activations act(layout, block_rows);
    for (std::size_t start = 0; start < x.rows; start += block_rows) {
      const std::size_t rows = std::min(block_rows, x.rows - start);
      if (copy.device) {
        check(cudaMemcpyAsync(act.buffers[0].data(), copy.device + start * x.cols, rows * x.cols * sizeof(float),
                              cudaMemcpyDeviceToDevice, stream),
              "reconstruct copy");
      } else {
        copy_to_device(act.buffers[0].data(), std::span<const float>(x.row(start), rows * x.cols), stream,
                       "reconstruct upload");
      }
      forward(lane, layout, d_params.data(), act.pointers(), rows);
      to_host(act.buffers[kLayers].data(), std::span<float>(out.row(start), rows * x.cols), stream);
    }
    return out;
  });
}

}  // namespace oodbench::cuda

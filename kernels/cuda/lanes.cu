#include "kernels/cuda/lanes.cuh"

namespace oodbench::cuda {
namespace {

/// cuBLAS's recommended workspace (32 MiB from Hopper on, 4 MiB before): every lane's handle gets its own of the same
/// size, so it never allocates one itself (which it would do inside a graph capture) and picks the same kernels.
std::size_t workspace_bytes() {
  int major = 0;
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, current_device()), "cudaDeviceGetAttribute");
  return (major >= 9 ? std::size_t{32} : std::size_t{4}) << 20;
}

}  // namespace

Lane::Workspace::Workspace() : bytes(workspace_bytes()), device(current_device()) {
  if (const cudaError_t status = cudaMalloc(&data, bytes); status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw OutOfDeviceMemory();
  } else {
    check(status, "cudaMalloc (cuBLAS workspace)");
  }
}

Lane::Workspace::~Workspace() {
  if (data) on_device(device, [&] { cudaFree(data); });
}

Lane::Lane(bool tf32) {
  check(cublasSetStream(blas_.get(), stream_.handle), "cublasSetStream");
  check(cublasSetWorkspace(blas_.get(), workspace_.data, workspace_.bytes), "cublasSetWorkspace");
  // cuBLAS's default is full FP32; TF32 applies to float32 GEMMs only, float64 work is unaffected.
  if (tf32) check(cublasSetMathMode(blas_.get(), CUBLAS_TF32_TENSOR_OP_MATH), "cublasSetMathMode");
}

cusolverDnHandle_t Lane::solver() {
  if (!solver_) {
    solver_.emplace();
    check(cusolverDnSetStream(solver_->get(), stream_.handle), "cusolverDnSetStream");
  }
  return solver_->get();
}

LaneLease::~LaneLease() {
  if (lane_) pool_->give_back(std::move(lane_));
}

LanePool::~LanePool() {
  on_device(device_, [&] { idle_.clear(); });
}

LaneLease LanePool::lease() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Lane> lane = std::move(idle_.back());
      idle_.pop_back();
      return {shared_from_this(), std::move(lane)};
    }
  }
  return {shared_from_this(), std::make_unique<Lane>(tf32_)};
}

void LanePool::give_back(std::unique_ptr<Lane> lane) {
  const std::lock_guard lock(mutex_);
  idle_.push_back(std::move(lane));
}

}  // namespace oodbench::cuda

#include <thrust/device_vector.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/error.h"

namespace oodbench {
namespace {

// Primitives not yet ported to the GPU are inherited from the CPU backend, so every detector runs on either.
class CudaBackend final : public CpuBackend {
 public:
  CudaBackend() {
    OODBENCH_CUDA_CHECK(cudaSetDevice(0));
    cudaDeviceProp props{};
    OODBENCH_CUDA_CHECK(cudaGetDeviceProperties(&props, 0));
    name_ = props.name;
  }

  DeviceKind kind() const override { return DeviceKind::cuda; }

  std::string description() const override { return "cuda:0 " + name_; }

  std::vector<std::uint32_t> argsort(std::span<const double> keys) const override {
    thrust::device_vector<double> d_keys(keys.begin(), keys.end());
    thrust::device_vector<std::uint32_t> d_order(keys.size());
    thrust::sequence(d_order.begin(), d_order.end());
    thrust::stable_sort_by_key(d_keys.begin(), d_keys.end(), d_order.begin());  // radix sort: stable for doubles
    std::vector<std::uint32_t> order(keys.size());
    thrust::copy(d_order.begin(), d_order.end(), order.begin());
    return order;
  }

 private:
  std::string name_;
};

}  // namespace

bool cuda_usable(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why) *why = std::string("no CUDA device: ") + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls are not confused by it
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend() {
  std::string why;
  if (!cuda_usable(&why)) throw DeviceError(why);
  return std::make_unique<CudaBackend>();
}

}  // namespace oodbench

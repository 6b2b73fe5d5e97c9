#include <thrust/execution_policy.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <new>
#include <type_traits>

#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/cuda_module.h"
#include "kernels/cuda/device_memory.cuh"
#include "kernels/device_choice.h"
#include "kernels/error.h"

// CudaBackend's construction, matrix products, eigensolver and sort; the other primitives are in knn.cu, rows.cu and
// autoencoder_cuda.cu, residency in residency.cu; and the module's entry point (cuda_module.h).
namespace oodbench::cuda {
namespace {

/// C = A Bᵀ for row-major A (m x k) and B (n x k), both on the device. cuBLAS is column-major, where row-major C is
/// Cᵀ = B Aᵀ: one GEMM with B transposed, A as is, and the dimensions swapped.
template <class T>
Matrix<T> product_nt(Lane& lane, const T* da, const T* db, std::size_t m, std::size_t n, std::size_t k) {
  Matrix<T> c(m, n);
  DeviceBuffer<T> dc(c.data.size());
  const T one = 1, zero = 0;
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  if constexpr (std::is_same_v<T, float>) {
    OODBENCH_CUDA_CHECK(cublasSgemm(lane.blas(), CUBLAS_OP_T, CUBLAS_OP_N, ni, mi, ki, &one, db, ki, da, ki, &zero,
                                    dc.data(), ni));
  } else {
    OODBENCH_CUDA_CHECK(cublasDgemm(lane.blas(), CUBLAS_OP_T, CUBLAS_OP_N, ni, mi, ki, &one, db, ki, da, ki, &zero,
                                    dc.data(), ni));
  }
  to_host(dc.data(), std::span<T>(c.data), lane.stream());
  return c;
}

void check_inner(std::size_t a_cols, std::size_t b_cols) {
  if (a_cols != b_cols) throw std::invalid_argument("matmul_nt: inner dimensions differ");
}

}  // namespace

CudaBackend::CudaBackend(bool tf32) {
  int current = 0;
  if (const cudaError_t status = cudaGetDevice(&current); status != cudaSuccess) {
    cudaGetLastError();
    throw DeviceError(std::string("CUDA cannot start on the GPU: ") + cudaGetErrorString(status));
  }
  const DeviceGuard device(device_);
  cudaDeviceProp props{};
  OODBENCH_CUDA_CHECK(cudaGetDeviceProperties(&props, device_));
  name_ = props.name;
  if (tf32) name_ += ", TF32 products";
  resident_ = std::make_shared<ResidencyRegistry>([start = memory_budget()] { return residency_budget(start); });
  lanes_ = std::make_shared<LanePool>(device_, tf32);
  lanes_->lease()->solver();  // cuBLAS and cuSOLVER start now, where a failure lets `auto` choose the CPU
  configure_knn_kernels();
}

Matrix<float> CudaBackend::matmul_nt(const Matrix<float>& a, const Matrix<float>& b) const {
  check_inner(a.cols, b.cols);
  if (a.rows == 0 || b.rows == 0) return Matrix<float>(a.rows, b.rows);
  return call([&](Lane& lane) {
    const DeviceInput da = device_input(a, lane.stream()), db = device_input(b, lane.stream());
    return product_nt(lane, da.data, db.data, a.rows, b.rows, a.cols);
  });
}

Matrix<double> CudaBackend::matmul_nt(const Matrix<double>& a, const Matrix<double>& b) const {
  check_inner(a.cols, b.cols);
  if (a.rows == 0 || b.rows == 0) return Matrix<double>(a.rows, b.rows);
  return call([&](Lane& lane) {
    const auto da = to_device(a, lane.stream()), db = to_device(b, lane.stream());
    return product_nt(lane, da.data(), db.data(), a.rows, b.rows, a.cols);
  });
}

/// cuSOLVER dsyevd in float64. A symmetric matrix is its own transpose, so the row-major input needs no change;
/// the eigenvectors come back as columns in column-major order and are transposed into row-major.
SymmetricEigen CudaBackend::eigh(const Matrix<double>& symmetric) const {
  const int n = static_cast<int>(symmetric.rows);
  return call([&](Lane& lane) {
    DeviceBuffer<double> da = to_device(symmetric, lane.stream()), dw(symmetric.rows);
    DeviceBuffer<int> info(1);
    int lwork = 0;
    OODBENCH_CUDA_CHECK(cusolverDnDsyevd_bufferSize(lane.solver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER,
                                                    n, da.data(), n, dw.data(), &lwork));
    DeviceBuffer<double> work(static_cast<std::size_t>(lwork));
    OODBENCH_CUDA_CHECK(cusolverDnDsyevd(lane.solver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                         da.data(), n, dw.data(), work.data(), lwork, info.data()));
    int status = 0;
    to_host(info.data(), std::span<int>(&status, 1), lane.stream());
    if (status != 0) throw std::runtime_error("eigh: cuSOLVER dsyevd failed with info " + std::to_string(status));
    SymmetricEigen out{std::vector<double>(symmetric.rows), Matrix<double>(symmetric.rows, symmetric.rows)};
    to_host(dw.data(), std::span<double>(out.values), lane.stream());
    std::vector<double> column_major(symmetric.data.size());
    to_host(da.data(), std::span<double>(column_major), lane.stream());
    for (std::size_t i = 0; i < symmetric.rows; ++i)
      for (std::size_t j = 0; j < symmetric.rows; ++j) out.vectors(i, j) = column_major[j * symmetric.rows + i];
    return out;
  });
}

std::vector<std::uint32_t> CudaBackend::argsort(std::span<const double> keys) const {
  if (keys.empty()) return {};
  return call([&](Lane& lane) {
    DeviceBuffer<double> d_keys = to_device(keys, lane.stream());
    DeviceBuffer<std::uint32_t> d_order(keys.size());
    try {
      const auto on_lane = thrust::cuda::par.on(lane.stream());
      thrust::sequence(on_lane, d_order.data(), d_order.data() + keys.size());
      // A radix sort: stable for doubles. Its scratch comes from cudaMalloc: running out is an OutOfDeviceMemory.
      thrust::stable_sort_by_key(on_lane, d_keys.data(), d_keys.data() + keys.size(), d_order.data());
    } catch (const std::bad_alloc&) {
      throw OutOfDeviceMemory();
    }
    std::vector<std::uint32_t> order(keys.size());
    to_host(d_order.data(), std::span<std::uint32_t>(order), lane.stream());
    return order;
  });
}

}  // namespace oodbench::cuda

namespace oodbench::cuda {
namespace {

__global__ void probe_kernel() {}

/// The GPU this build's code can run on: device 0 (CUDA_VISIBLE_DEVICES narrows the machine's GPUs to the chosen one),
/// with a compute capability the build's architectures cover (kernels/device_choice.h), and, for lists CMake resolved
/// itself, a kernel image CUDA finds for it.
bool device_usable(std::string* why, bool* gpu_found) {
  *gpu_found = false;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    *why = std::string("no CUDA device: ") + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky error so later calls are not confused by it
    return false;
  }
  if (count == 0) {
    *why = "no CUDA device found";
    return false;
  }
  *gpu_found = true;
  cudaDeviceProp props{};
  if (const cudaError_t e = cudaGetDeviceProperties(&props, 0); e != cudaSuccess) {
    *why = std::string("cannot read the GPU's properties: ") + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  const BuildArchitectures build = parse_cuda_architectures(OODBENCH_CUDA_ARCHITECTURES);
  if (const GpuChoice choice = choose_gpu(props.name, props.major, props.minor, build); !choice.usable) {
    *why = choice.reason;
    return false;
  }
  cudaFuncAttributes attributes{};
  cudaError_t probed = cudaSuccess;
  on_device(0, [&] { probed = cudaFuncGetAttributes(&attributes, probe_kernel); });
  if (const cudaError_t e = probed; e != cudaSuccess) {
    *why = std::string("the GPU (") + props.name + ", compute capability " + std::to_string(props.major) + "." +
           std::to_string(props.minor) + ") cannot run this build's GPU code (CUDA architectures " + build.text +
           "): " + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  }
  return true;
}

Backend* make_backend(bool tf32) {
  std::string why;
  bool gpu_found = false;
  if (!device_usable(&why, &gpu_found)) throw DeviceError(why);
  return new CudaBackend(tf32);
}

bool nero_row_terms(const Backend& backend, const Matrix<float>& projected, const Matrix<float>& centroids,
                    const Matrix<float>& relevance, const Matrix<float>& features, std::size_t k, NeroRowTerms* out) {
  const auto* cuda = dynamic_cast<const CudaBackend*>(&backend);
  if (cuda == nullptr) return false;
  *out = cuda->nero_row_terms(projected, centroids, relevance, features, k);
  return true;
}

constexpr CudaModule kModule{kCudaModuleVersion, device_usable, make_backend, nero_row_terms};

}  // namespace
}  // namespace oodbench::cuda

OODBENCH_MODULE_ENTRY const oodbench::CudaModule* oodbench_cuda_module() { return &oodbench::cuda::kModule; }

#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <type_traits>

#include "kernels/cuda/cuda_module.h"
#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/cuda_check.cuh"
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
Matrix<T> product_nt(cublasHandle_t handle, const T* da, const T* db, std::size_t m, std::size_t n, std::size_t k) {
  Matrix<T> c(m, n);
  if (c.data.empty()) return c;
  DeviceBuffer<T> dc(c.data.size());
  const T one = 1, zero = 0;
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  if constexpr (std::is_same_v<T, float>) {
    OODBENCH_CUDA_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, ni, mi, ki, &one, db, ki, da, ki, &zero,
                                    dc.data(), ni));
  } else {
    OODBENCH_CUDA_CHECK(cublasDgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, ni, mi, ki, &one, db, ki, da, ki, &zero,
                                    dc.data(), ni));
  }
  to_host(dc.data(), std::span<T>(c.data));
  return c;
}

void check_inner(std::size_t a_cols, std::size_t b_cols) {
  if (a_cols != b_cols) throw std::invalid_argument("matmul_nt: inner dimensions differ");
}

}  // namespace

CudaBackend::CudaBackend(bool tf32) {
  if (const cudaError_t status = cudaSetDevice(0); status != cudaSuccess)
    throw DeviceError(std::string("CUDA cannot start on the GPU: ") + cudaGetErrorString(status));
  cudaDeviceProp props{};
  OODBENCH_CUDA_CHECK(cudaGetDeviceProperties(&props, 0));
  name_ = props.name;
  if (tf32) name_ += ", TF32 products";
  // cuBLAS's default is full FP32; TF32 applies to float32 GEMMs only, float64 work is unaffected.
  if (tf32) OODBENCH_CUDA_CHECK(cublasSetMathMode(cublas_.get(), CUBLAS_TF32_TENSOR_OP_MATH));
}

Matrix<float> CudaBackend::matmul_nt(const Matrix<float>& a, const Matrix<float>& b) const {
  check_inner(a.cols, b.cols);
  if (a.rows == 0 || b.rows == 0) return Matrix<float>(a.rows, b.rows);
  const DeviceInput da = device_input(a), db = device_input(b);
  return product_nt(cublas_.get(), da.data, db.data, a.rows, b.rows, a.cols);
}
Matrix<double> CudaBackend::matmul_nt(const Matrix<double>& a, const Matrix<double>& b) const {
  check_inner(a.cols, b.cols);
  if (a.rows == 0 || b.rows == 0) return Matrix<double>(a.rows, b.rows);
  const auto da = to_device(a), db = to_device(b);
  return product_nt(cublas_.get(), da.data(), db.data(), a.rows, b.rows, a.cols);
}

/// cuSOLVER dsyevd in float64. A symmetric matrix is its own transpose, so the row-major input needs no change;
/// the eigenvectors come back as columns in column-major order and are transposed into row-major.
SymmetricEigen CudaBackend::eigh(const Matrix<double>& symmetric) const {
  const int n = static_cast<int>(symmetric.rows);
  note_upload(symmetric.data.size() * sizeof(double));
  thrust::device_vector<double> da(symmetric.data.begin(), symmetric.data.end()), dw(symmetric.rows);
  thrust::device_vector<int> info(1);
  int lwork = 0;
  OODBENCH_CUDA_CHECK(cusolverDnDsyevd_bufferSize(cusolver_.get(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                                  thrust::raw_pointer_cast(da.data()), n,
                                                  thrust::raw_pointer_cast(dw.data()), &lwork));
  thrust::device_vector<double> work(static_cast<std::size_t>(lwork));
  OODBENCH_CUDA_CHECK(cusolverDnDsyevd(cusolver_.get(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_UPPER, n,
                                       thrust::raw_pointer_cast(da.data()), n, thrust::raw_pointer_cast(dw.data()),
                                       thrust::raw_pointer_cast(work.data()), lwork,
                                       thrust::raw_pointer_cast(info.data())));
  if (info[0] != 0) throw std::runtime_error("eigh: cuSOLVER dsyevd failed with info " + std::to_string(info[0]));
  SymmetricEigen out{std::vector<double>(symmetric.rows), Matrix<double>(symmetric.rows, symmetric.rows)};
  thrust::copy(dw.begin(), dw.end(), out.values.begin());
  std::vector<double> column_major(symmetric.data.size());
  thrust::copy(da.begin(), da.end(), column_major.begin());
  for (std::size_t i = 0; i < symmetric.rows; ++i)
    for (std::size_t j = 0; j < symmetric.rows; ++j) out.vectors(i, j) = column_major[j * symmetric.rows + i];
  return out;
}

std::vector<std::uint32_t> CudaBackend::argsort(std::span<const double> keys) const {
  note_upload(keys.size_bytes());
  thrust::device_vector<double> d_keys(keys.begin(), keys.end());
  thrust::device_vector<std::uint32_t> d_order(keys.size());
  thrust::sequence(d_order.begin(), d_order.end());
  thrust::stable_sort_by_key(d_keys.begin(), d_keys.end(), d_order.begin());  // radix sort: stable for doubles
  std::vector<std::uint32_t> order(keys.size());
  thrust::copy(d_order.begin(), d_order.end(), order.begin());
  return order;
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
  if (const cudaError_t e = cudaFuncGetAttributes(&attributes, probe_kernel); e != cudaSuccess) {
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

constexpr CudaModule kModule{kCudaModuleVersion, device_usable, make_backend};

}  // namespace
}  // namespace oodbench::cuda

OODBENCH_MODULE_ENTRY const oodbench::CudaModule* oodbench_cuda_module() { return &oodbench::cuda::kModule; }

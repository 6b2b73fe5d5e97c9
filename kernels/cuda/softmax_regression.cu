// The softmax-regression data term (the linear probe's loss and gradient) on the GPU. X and the labels are uploaded
// once per session, as float64; each evaluation uploads W, b and the caller's grad W, and makes two cuBLAS DGEMMs
// (Z = X Wᵀ, then grad W += Zᵀ X), one thread per row for the per-row math of kernels/rowwise.h (the CPU's own), and
// one DGEMV for the column sums: Z carries each row's loss in an extra column, so the same GEMV sums the loss too.
#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"
#include "kernels/rowwise.h"

namespace oodbench::cuda {
namespace {

constexpr unsigned kThreads = 128;

int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT32_MAX)) throw std::length_error("matrix dimension exceeds cuBLAS int range");
  return static_cast<int>(n);
}

/// Row i of z (stride classes + 1) becomes (softmax(z + b) - onehot(y)) / n, and its last column the row's loss.
__global__ void softmax_regression_rows_kernel(double* z, const double* b, const std::int32_t* labels,
                                               std::size_t rows, std::size_t classes, double n) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows) return;
  double* zi = z + i * (classes + 1);
  zi[classes] = softmax_regression_row(zi, b, classes, static_cast<std::size_t>(labels[i]), n);
}

class CudaSoftmaxRegressionTerms final : public SoftmaxRegressionTerms {
 public:
  /// Holds `lane` (its stream and cuBLAS handle) for the session; uploads X and the labels on it.
  CudaSoftmaxRegressionTerms(int device, LaneLease lane, const Matrix<double>& x, std::span<const std::int32_t> labels,
                             std::size_t classes)
      : device_(device), lane_(std::move(lane)), rows_(x.rows), cols_(x.cols), classes_(classes),
        x_(to_device(x, lane_->stream())), labels_(to_device(labels, lane_->stream())), w_(classes * x.cols),
        b_(classes), grad_w_(classes * x.cols), z_(x.rows * (classes + 1)), sums_(classes + 1),
        ones_(to_device(std::vector<double>(x.rows, 1.0), lane_->stream())), sums_host_(classes + 1) {}

  double evaluate(const double* w, const double* b, double* grad_w, double* grad_b) override {
    const DeviceGuard device(device_);
    const cudaStream_t stream = lane_->stream();
    const cublasHandle_t cublas = lane_->blas();
    const std::size_t weights = classes_ * cols_;
    copy_to_device(w_.data(), std::span<const double>(w, weights), stream, "softmax regression upload");
    copy_to_device(b_.data(), std::span<const double>(b, classes_), stream, "softmax regression upload");
    copy_to_device(grad_w_.data(), std::span<const double>(grad_w, weights), stream, "softmax regression upload");
    const int n = as_int(rows_), d = as_int(cols_), c = as_int(classes_), ldz = as_int(classes_ + 1);
    const double one = 1.0, zero = 0.0;
    // Row-major Z (N x C, stride C + 1) is column-major Zᵀ = W Xᵀ: W is column-major D x C (transposed), X D x N.
    check(cublasDgemm(cublas, CUBLAS_OP_T, CUBLAS_OP_N, c, n, d, &one, w_.data(), d, x_.data(), d, &zero, z_.data(),
                      ldz),
          "softmax regression logits DGEMM");
    softmax_regression_rows_kernel<<<grid_size(rows_, kThreads), kThreads, 0, stream>>>(
        z_.data(), b_.data(), labels_.data(), rows_, classes_, static_cast<double>(rows_));
    check_launch("softmax_regression_rows_kernel");
    // Row-major grad W (C x D) is column-major D x C = Xᵀ-as-stored (D x N) times Z-as-stored (C x N) transposed.
    check(cublasDgemm(cublas, CUBLAS_OP_N, CUBLAS_OP_T, d, c, n, &one, x_.data(), d, z_.data(), ldz, &one,
                      grad_w_.data(), d),
          "softmax regression gradient DGEMM");
    // Column sums of [Z | loss]: (column-major (C + 1) x N) · ones.
    check(cublasDgemv(cublas, CUBLAS_OP_N, ldz, n, &one, z_.data(), ldz, ones_.data(), 1, &zero, sums_.data(), 1),
          "softmax regression column-sum DGEMV");
    to_host(grad_w_.data(), std::span<double>(grad_w, weights), stream);
    to_host(sums_.data(), std::span<double>(sums_host_), stream);
    std::copy(sums_host_.begin(), sums_host_.begin() + static_cast<std::ptrdiff_t>(classes_), grad_b);
    return sums_host_[classes_] / static_cast<double>(rows_);
  }

 private:
  int device_;
  LaneLease lane_;
  std::size_t rows_, cols_, classes_;
  DeviceBuffer<double> x_;
  DeviceBuffer<std::int32_t> labels_;
  DeviceBuffer<double> w_, b_, grad_w_, z_, sums_, ones_;
  std::vector<double> sums_host_;
};

}  // namespace

std::unique_ptr<SoftmaxRegressionTerms> CudaBackend::softmax_regression_terms(const Matrix<double>& x,
                                                                              std::span<const std::int32_t> labels,
                                                                              std::size_t classes,
                                                                              std::size_t block_rows) const {
  check_softmax_regression_inputs(x, labels, classes);
  // X, Z with its loss column, the ones, labels, and W, b and grad W: where they do not fit the device's budget
  // (or the allocation fails), the CPU computes the same terms, within the same tolerance of the GPU's.
  const std::size_t bytes = sizeof(double) * (x.rows * (x.cols + classes + 2) + 2 * classes * x.cols + 2 * classes + 1) +
                            sizeof(std::int32_t) * x.rows;
  const DeviceGuard device(device_);
  if (bytes <= memory_budget()) {
    try {
      return retry_after_eviction(*resident_, [&]() -> std::unique_ptr<SoftmaxRegressionTerms> {
        return std::make_unique<CudaSoftmaxRegressionTerms>(device_, lanes_->lease(), x, labels, classes);
      });
    } catch (const OutOfDeviceMemory&) {
    }
  }
  return CpuBackend::softmax_regression_terms(x, labels, classes, block_rows);  // block_rows: the CPU's blocking
}

}  // namespace oodbench::cuda

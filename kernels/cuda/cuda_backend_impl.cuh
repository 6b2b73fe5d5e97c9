// The CUDA backend's class, shared by the .cu files that implement its primitives (one family per file):
// cuda_backend.cu (products, eigensolver, sort), knn.cu (fused tiled kNN), rows.cu (nearest centroid, k smallest,
// NERO's fused row terms, scatter), autoencoder_cuda.cu (training and reconstruction), softmax_regression.cu (the
// linear probe's loss and gradient), residency.cu (device-resident copies of host matrices, Backend::keep_resident).
#pragma once

#include <cublas_v2.h>
#include <cusolverDn.h>

#include <memory>
#include <string>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/device_memory.cuh"
#include "kernels/cuda/library_handles.cuh"
#include "kernels/residency.h"

namespace oodbench::cuda {

/// Every primitive runs on the GPU; the few cases a kernel does not cover (kNN with k > kMaxKnnK) fall back to the
/// CPU backend it derives from, which is also the reference every GPU test compares against.
class CudaBackend final : public CpuBackend {
 public:
  static constexpr std::size_t kMaxKnnK = 4096;

  /// Throws DeviceError where CUDA, cuBLAS or cuSOLVER cannot start on the GPU.
  explicit CudaBackend(bool tf32);
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  DeviceKind kind() const override { return DeviceKind::cuda; }
  std::string description() const override { return "cuda:0 " + name_; }

  ResidentHandle keep_resident(const Matrix<float>& x) const override;
  std::uint64_t upload_bytes() const override;

  std::vector<std::uint32_t> argsort(std::span<const double> keys) const override;
  Matrix<float> matmul_nt(const Matrix<float>& a, const Matrix<float>& b) const override;
  Matrix<double> matmul_nt(const Matrix<double>& a, const Matrix<double>& b) const override;
  Matrix<double> scatter(const Matrix<float>& x, const Matrix<double>& centers, std::span<const std::int32_t> group,
                         double* sum_fourth_powers) const override;
  SymmetricEigen eigh(const Matrix<double>& symmetric) const override;
  std::vector<float> kth_smallest_sqdist(const Matrix<float>& database, const Matrix<float>& queries,
                                         std::size_t k) const override;
  std::unique_ptr<AutoencoderTrainer> autoencoder_trainer(const AutoencoderParams<float>& initial,
                                                          const Matrix<float>& x, std::size_t batch,
                                                          const AdamSettings& adam) const override;
  std::unique_ptr<AutoencoderTrainers> autoencoder_trainers(std::span<const AutoencoderParams<float>> initial,
                                                            const Matrix<float>& x, std::size_t batch,
                                                            const AdamSettings& adam) const override;
  Matrix<float> autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const override;
  std::unique_ptr<SoftmaxRegressionTerms> softmax_regression_terms(const Matrix<double>& x,
                                                                   std::span<const std::int32_t> labels,
                                                                   std::size_t classes,
                                                                   std::size_t block_rows) const override;
  Matrix<std::int32_t> k_smallest_per_row(const Matrix<float>& values, std::size_t k) const override;
  NearestCentroid nearest_centroid(const Matrix<float>& queries, const Matrix<float>& centroids,
                                   CentroidMetric metric) const override;
  NeroRowTerms nero_row_terms(const Matrix<float>& projected, const Matrix<float>& centroids,
                              const Matrix<float>& relevance, const Matrix<float>& features,
                              std::size_t k) const override;

 private:
  std::vector<float> kth_smallest_sqdist_within(std::size_t budget, const Matrix<float>& database,
                                                const Matrix<float>& queries, std::size_t k) const;

  /// `host` on the device: its resident copy when one is kept, else uploaded now. Every primitive reads its float
  /// matrix inputs through this.
  DeviceInput device_input(const Matrix<float>& host) const;

  std::string name_;
  CublasHandle cublas_;  // full FP32 unless constructed with tf32
  CusolverHandle cusolver_;
  std::shared_ptr<ResidencyRegistry> resident_ = std::make_shared<ResidencyRegistry>();  // handles hold it weakly
};

}  // namespace oodbench::cuda

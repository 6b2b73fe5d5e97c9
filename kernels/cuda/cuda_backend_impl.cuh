// The CUDA backend's class, shared by the .cu files that implement its primitives (one family per file):
// cuda_backend.cu (products, eigensolver, sort), knn.cu (fused tiled kNN), rows.cu (nearest centroid, k smallest,
// NERO's fused row terms, scatter), autoencoder_cuda.cu (training and reconstruction), softmax_regression.cu (the
// linear probe's loss and gradient), residency.cu (device-resident copies of host matrices, Backend::keep_resident).
//
// Primitives are const and may run from several threads at once (Python releases the GIL): the backend holds no
// CUDA state that a call changes. Each call runs through call(): its device made current, a lane (a stream with its
// own cuBLAS and cuSOLVER handles, lanes.cuh) to itself, and, where the device runs out of memory, resident copies
// given back and the call run again.
#pragma once

#include <memory>
#include <string>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/device_memory.cuh"
#include "kernels/cuda/lanes.cuh"
#include "kernels/nero_terms.h"
#include "kernels/residency.h"

namespace oodbench::cuda {

/// Every primitive runs on the GPU; the few cases a kernel does not cover (kNN with k > kMaxKnnK) fall back to the
/// CPU backend it derives from, which is also the reference every GPU test compares against.
class CudaBackend final : public CpuBackend {
 public:
  static constexpr std::size_t kMaxKnnK = 4096;

  /// On device 0 (CUDA_VISIBLE_DEVICES narrows the machine to the chosen GPU). Throws DeviceError where CUDA, cuBLAS
  /// or cuSOLVER cannot start there.
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
  /// NERO's row terms in one fused pass per row (kernels/nero_terms.h; not part of the Backend interface).
  NeroRowTerms nero_row_terms(const Matrix<float>& projected, const Matrix<float>& centroids,
                              const Matrix<float>& relevance, const Matrix<float>& features, std::size_t k) const;

 private:
  /// Runs `body(lane)` as one call: the backend's device current, a lane of the pool, and on running out of device
  /// memory, the least recently used idle resident copy given back and the body run again (retry_after_eviction), so
  /// keeping data resident never makes a call fail that would have run without it. The body allocates before it
  /// changes anything outside itself.
  template <class Body>
  auto call(Body&& body) const {
    const DeviceGuard device(device_);
    return retry_after_eviction(*resident_, [&] {
      LaneLease lane = lanes_->lease();
      return body(*lane);
    });
  }

  std::vector<float> kth_smallest_sqdist_within(Lane& lane, std::size_t budget, const Matrix<float>& database,
                                                const Matrix<float>& queries, std::size_t k) const;

  /// `host` on the device: its resident copy when one is kept, else uploaded now on `stream`. Every primitive reads
  /// its float matrix inputs through this.
  DeviceInput device_input(const Matrix<float>& host, cudaStream_t stream) const;

  int device_ = 0;
  std::string name_;
  std::shared_ptr<LanePool> lanes_;  // shared with the trainers and probe sessions it lends lanes to
  std::shared_ptr<ResidencyRegistry> resident_;  // handles hold it weakly
};

/// Sets the kernels' attributes that CUDA keeps per process (the kNN merge's shared memory), once, when a backend is
/// made: setting them inside a call would change state another thread's call relies on.
void configure_knn_kernels();

}  // namespace oodbench::cuda

// The CPU backend: OpenBLAS/LAPACKE, OpenMP and the standard library. The reference every GPU result is tested against.
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace oodbench {

class CpuBackend : public Backend {
 public:
  DeviceKind kind() const override { return DeviceKind::cpu; }
  std::string description() const override;
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
  std::unique_ptr<SoftmaxRegressionTerms> softmax_regression_terms(const Matrix<double>& x,
                                                                   std::span<const std::int32_t> labels,
                                                                   std::size_t classes,
                                                                   std::size_t block_rows) const override;
  Matrix<float> autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const override;
  Matrix<std::int32_t> k_smallest_per_row(const Matrix<float>& values, std::size_t k) const override;
  NearestCentroid nearest_centroid(const Matrix<float>& queries, const Matrix<float>& centroids,
                                   CentroidMetric metric) const override;
};

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace oodbench

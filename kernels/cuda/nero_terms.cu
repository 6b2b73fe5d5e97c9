// NERO's row terms on the GPU in one fused pass per row (L1-nearest centroid and the feature-norm factor ρ), out of
// the Backend interface: kernels/nero_terms.h calls it through the CUDA module (CudaModule::nero_row_terms).
// Tested against the composed CPU form in tests/kernels/test_cuda_backend.cpp (CudaVsCpu.NeroRowTermsMatch).
#include <cmath>

#include "kernels/cuda/block_select.cuh"
#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"

namespace oodbench::cuda {
namespace {

/// NERO's row terms in one pass over row i: the L1-nearest centroid of the projected relevance, and
/// ρ = Σ_{j ∈ K} |x_j| / Σ_j |x_j| with K the k smallest relevances, both summed in float64.
__global__ void __launch_bounds__(kRowThreads) nero_row_terms_kernel(const float* projected, const float* centroids,
                                                                     int classes, int pca_dims, const float* relevance,
                                                                     const float* features, int dim, int k,
                                                                     float* distance, std::int32_t* index,
                                                                     double* rho) {
  __shared__ typename RowReduce::TempStorage reduce;
  __shared__ SelectShared select;
  __shared__ double broadcast;
  const std::size_t i = blockIdx.x;
  const CentroidMatch m = block_nearest_centroid(projected + i * pca_dims, centroids, classes, pca_dims, true, reduce,
                                                 &broadcast);
  const float* x = features + i * dim;
  double kept = 0, total = 0;
  block_select_smallest(relevance + i * dim, dim, k, select, [&](int j) { kept += fabs(static_cast<double>(x[j])); });
  for (int j = threadIdx.x; j < dim; j += blockDim.x) total += fabs(static_cast<double>(x[j]));
  kept = RowReduce(reduce).Sum(kept);
  __syncthreads();
  total = RowReduce(reduce).Sum(total);
  if (threadIdx.x == 0) {
    distance[i] = m.distance;
    index[i] = m.index;
    rho[i] = total > 0 ? kept / total : 0.0;
  }
}

}  // namespace

NeroRowTerms CudaBackend::nero_row_terms(const Matrix<float>& projected, const Matrix<float>& centroids,
                                         const Matrix<float>& relevance, const Matrix<float>& features,
                                         std::size_t k) const {
  if (k == 0 || k > relevance.cols) throw std::invalid_argument("nero_row_terms: k out of range");
  const std::size_t n = features.rows;
  NeroRowTerms out{{std::vector<float>(n), std::vector<std::int32_t>(n)}, std::vector<double>(n)};
  if (n == 0) return out;
  return call([&](Lane& lane) {
    const cudaStream_t stream = lane.stream();
    const auto p = device_input(projected, stream), c = device_input(centroids, stream),
               r = device_input(relevance, stream), x = device_input(features, stream);
    DeviceBuffer<float> distance(n);
    DeviceBuffer<std::int32_t> index(n);
    DeviceBuffer<double> rho(n);
    nero_row_terms_kernel<<<static_cast<unsigned>(n), kRowThreads, 0, stream>>>(
        p.data, c.data, static_cast<int>(centroids.rows), static_cast<int>(projected.cols), r.data, x.data,
        static_cast<int>(features.cols), static_cast<int>(k), distance.data(), index.data(), rho.data());
    check_launch("nero_row_terms_kernel");
    to_host(distance.data(), std::span<float>(out.nearest.distance), stream);
    to_host(index.data(), std::span<std::int32_t>(out.nearest.index), stream);
    to_host(rho.data(), std::span<double>(out.rho), stream);
    return out;
  });
}

}  // namespace oodbench::cuda

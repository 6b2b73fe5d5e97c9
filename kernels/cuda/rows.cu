// CudaBackend's row-wise primitives, one thread block per row: the nearest centroid, the k smallest columns, and the
// scatter matrix (SYRK). NERO's fused row terms, built of the same block primitives, are in nero_terms.cu.
#include <algorithm>
#include <cmath>

#include "kernels/cuda/block_select.cuh"
#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"

namespace oodbench::cuda {
namespace {

__global__ void __launch_bounds__(kRowThreads) nearest_centroid_kernel(const float* queries, const float* centroids,
                                                                       int count, int dim, bool l1, float* distance,
                                                                       std::int32_t* index) {
  __shared__ typename RowReduce::TempStorage reduce;
  __shared__ double broadcast;
  const std::size_t i = blockIdx.x;
  const CentroidMatch m = block_nearest_centroid(queries + i * dim, centroids, count, dim, l1, reduce, &broadcast);
  if (threadIdx.x == 0) {
    distance[i] = m.distance;
    index[i] = m.index;
  }
}

__global__ void __launch_bounds__(kRowThreads) k_smallest_kernel(const float* values, int cols, int k,
                                                                 std::int32_t* out) {
  __shared__ SelectShared select;
  __shared__ int taken;
  const std::size_t i = blockIdx.x;
  if (threadIdx.x == 0) taken = 0;
  __syncthreads();
  std::int32_t* mine = out + i * k;
  block_select_smallest(values + i * cols, cols, k, select, [&](int j) { mine[atomicAdd(&taken, 1)] = j; });
}

/// Row r of the block: x_(start+r) minus its group's center, in float64; also its squared norm.
__global__ void __launch_bounds__(kRowThreads) center_rows_kernel(const float* x, std::size_t start, int dim,
                                                                  const double* centers, const std::int32_t* group,
                                                                  double* block, double* row_sq) {
  __shared__ typename RowReduce::TempStorage reduce;
  const std::size_t r = blockIdx.x, i = start + r;
  const double* c = centers + (group ? static_cast<std::size_t>(group[i]) : 0) * dim;
  double sq = 0;
  for (int j = threadIdx.x; j < dim; j += blockDim.x) {
    const double v = static_cast<double>(x[i * dim + j]) - c[j];
    block[r * dim + j] = v;
    sq += v * v;
  }
  sq = RowReduce(reduce).Sum(sq);
  if (threadIdx.x == 0) row_sq[i] = sq;
}

}  // namespace

NearestCentroid CudaBackend::nearest_centroid(const Matrix<float>& queries, const Matrix<float>& centroids,
                                              CentroidMetric metric) const {
  NearestCentroid out{std::vector<float>(queries.rows), std::vector<std::int32_t>(queries.rows)};
  if (queries.rows == 0) return out;
  return call([&](Lane& lane) {
    const cudaStream_t stream = lane.stream();
    const auto q = device_input(queries, stream), c = device_input(centroids, stream);
    DeviceBuffer<float> distance(queries.rows);
    DeviceBuffer<std::int32_t> index(queries.rows);
    nearest_centroid_kernel<<<static_cast<unsigned>(queries.rows), kRowThreads, 0, stream>>>(
        q.data, c.data, static_cast<int>(centroids.rows), static_cast<int>(queries.cols),
        metric == CentroidMetric::l1, distance.data(), index.data());
    check_launch("nearest_centroid_kernel");
    to_host(distance.data(), std::span<float>(out.distance), stream);
    to_host(index.data(), std::span<std::int32_t>(out.index), stream);
    return out;
  });
}

Matrix<std::int32_t> CudaBackend::k_smallest_per_row(const Matrix<float>& values, std::size_t k) const {
  if (k == 0 || k > values.cols) throw std::invalid_argument("k_smallest_per_row: k out of range");
  Matrix<std::int32_t> out(values.rows, k);
  if (values.rows == 0) return out;
  return call([&](Lane& lane) {
    const cudaStream_t stream = lane.stream();
    const auto v = device_input(values, stream);
    DeviceBuffer<std::int32_t> idx(out.data.size());
    k_smallest_kernel<<<static_cast<unsigned>(values.rows), kRowThreads, 0, stream>>>(
        v.data, static_cast<int>(values.cols), static_cast<int>(k), idx.data());
    check_launch("k_smallest_kernel");
    to_host(idx.data(), std::span<std::int32_t>(out.data), stream);
    return out;
  });
}


Matrix<double> CudaBackend::scatter(const Matrix<float>& x, const Matrix<double>& centers,
                                    std::span<const std::int32_t> group, double* sum_fourth_powers) const {
  constexpr std::size_t kBlockRows = 4096;
  const std::size_t d = x.cols;
  return call([&](Lane& lane) {
    const cudaStream_t stream = lane.stream();
    Matrix<double> s(d, d);
    const auto dx = device_input(x, stream);
    const auto dc = to_device(centers, stream);
    const auto dg = to_device(group, stream);
    DeviceBuffer<double> block(kBlockRows * d), row_sq(x.rows), ds(d * d);
    check(cudaMemsetAsync(ds.data(), 0, d * d * sizeof(double), stream), "cudaMemsetAsync");
    for (std::size_t start = 0; start < x.rows; start += kBlockRows) {
      const std::size_t rows = std::min(kBlockRows, x.rows - start);
      center_rows_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, stream>>>(
          dx.data, start, static_cast<int>(d), dc.data(), group.empty() ? nullptr : dg.data(), block.data(),
          row_sq.data());
      check_launch("center_rows_kernel");
      // Row-major rows x d is column-major d x rows: S += B Bᵀ in column-major, the upper triangle.
      const double one = 1.0;
      check(cublasDsyrk(lane.blas(), CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N, static_cast<int>(d), static_cast<int>(rows),
                        &one, block.data(), static_cast<int>(d), &one, ds.data(), static_cast<int>(d)),
            "cublasDsyrk");
    }
    to_host(ds.data(), std::span<double>(s.data), stream);
    // Column-major upper is row-major lower: mirror it into the upper half.
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = i + 1; j < d; ++j) s(i, j) = s(j, i);
    if (sum_fourth_powers) {
      std::vector<double> sq(x.rows);
      to_host(row_sq.data(), std::span<double>(sq), stream);
      double fourth = 0;
      for (double v : sq) fourth += v * v;
      *sum_fourth_powers = fourth;
    }
    return s;
  });
}

}  // namespace oodbench::cuda

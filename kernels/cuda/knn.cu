// The fused tiled kNN (faiss's GEMM-then-select pattern): for each database tile, a cuBLAS GEMM writes -2 q·x for a
// tile of queries, and one block per query adds the norms, keeps the distances below its current k-th smallest and
// merges them into its k best by radix select in shared memory. The full query x database matrix never exists:
// memory is the queries, k values per query, two database tiles (the next one uploads on a second stream while the
// current one is used) and one distance tile, all sized from the memory budget.
#include <algorithm>
#include <array>
#include <cmath>

#include "kernels/cuda/block_select.cuh"
#include "kernels/cuda/cuda_backend_impl.cuh"
#include "kernels/cuda/device_memory.cuh"

namespace oodbench::cuda {
namespace {

constexpr std::size_t kDatabaseTile = 8192;  // distances per query per tile: the shared-memory pool holds k + this
constexpr std::size_t kMaxQueryTile = 16384;  // rows of one GEMM: 16384 x 8192 floats = 512 MiB

/// Squared L2 norm of each row, one warp per row, summed in float64 (as the CPU's squared_norm).
__global__ void row_sqnorms_kernel(const float* x, std::size_t rows, std::size_t cols, float* out) {
  const std::size_t row = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const unsigned lane = threadIdx.x % 32;
  if (row >= rows) return;
  double s = 0;
  for (std::size_t j = lane; j < cols; j += 32) s += static_cast<double>(x[row * cols + j]) * x[row * cols + j];
  for (int offset = 16; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
  if (lane == 0) out[row] = static_cast<float>(s);
}

__global__ void fill_kernel(float* x, std::size_t n, float value) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] = value;
}

/// Block q merges row q of the distance tile (-2 q·x; the norms are added here) into query q's k best distances
/// `best[q*k ..]` and their maximum `kth[q]`. Only distances below kth[q] can enter, so after the first tiles
/// almost nothing reaches the shared-memory pool.
__global__ void __launch_bounds__(kRowThreads) merge_tile_kernel(const float* tile, int tile_cols,
                                                                 const float* query_norms, const float* db_norms,
                                                                 float* best, float* kth, int k) {
  extern __shared__ float pool[];  // k current best, then the tile's candidates
  __shared__ RadixSelectShared select;
  __shared__ int candidates, written;
  const std::size_t q = blockIdx.x;
  const float threshold = kth[q];
  const float qn = query_norms[q];
  const float* row = tile + q * static_cast<std::size_t>(tile_cols);
  if (threadIdx.x == 0) candidates = written = 0;
  __syncthreads();
  const unsigned lane = threadIdx.x % 32;
  for (int base = 0; base < tile_cols; base += blockDim.x) {  // uniform trip count: the ballot needs the whole warp
    const int b = base + static_cast<int>(threadIdx.x);
    const float d = b < tile_cols ? row[b] + qn + db_norms[b] : INFINITY;
    const bool keep = d < threshold;
    const unsigned ballot = __ballot_sync(0xffffffffu, keep);
    int slot = 0;
    if (lane == 0 && ballot) slot = atomicAdd(&candidates, __popc(ballot));
    slot = __shfl_sync(0xffffffffu, slot, 0);
    if (keep) pool[k + slot + __popc(ballot & ((1u << lane) - 1u))] = d;
  }
  __syncthreads();
  const int count = candidates;
  if (count == 0) return;  // uniform: nothing below the current k-th
  float* mine = best + q * static_cast<std::size_t>(k);
  for (int i = threadIdx.x; i < k; i += blockDim.x) pool[i] = mine[i];
  __syncthreads();
  int below = 0;
  const std::uint32_t kth_key = block_radix_select([&](int i) { return ordered_key(pool[i]); }, k + count, k, select,
                                                   &below);
  for (int i = threadIdx.x; i < k + count; i += blockDim.x) {
    if (ordered_key(pool[i]) < kth_key) mine[atomicAdd(&written, 1)] = pool[i];
  }
  const float kth_value = key_value(kth_key);
  for (int i = below + static_cast<int>(threadIdx.x); i < k; i += blockDim.x) mine[i] = kth_value;
  if (threadIdx.x == 0) kth[q] = kth_value;
}

constexpr std::size_t kMaxPoolBytes = (CudaBackend::kMaxKnnK + kDatabaseTile) * sizeof(float);

}  // namespace

void configure_knn_kernels() {
  check(cudaFuncSetAttribute(merge_tile_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(kMaxPoolBytes)),
        "cudaFuncSetAttribute(merge_tile_kernel)");
}

std::vector<float> CudaBackend::kth_smallest_sqdist(const Matrix<float>& database, const Matrix<float>& queries,
                                                    std::size_t k) const {
  if (k == 0 || k > database.rows) throw std::invalid_argument("kth_smallest_sqdist: k out of range");
  if (k > kMaxKnnK) return CpuBackend::kth_smallest_sqdist(database, queries, k);  // the pool would not fit
  if (queries.rows == 0) return {};
  const std::size_t minimum = (2 * kDatabaseTile * (database.cols + 1) + kDatabaseTile + database.cols + k) * 4;
  return call([&](Lane& lane) {
    return with_shrinking_budget("kth_smallest_sqdist", minimum, *resident_, [&](std::size_t budget) {
      return kth_smallest_sqdist_within(lane, budget, database, queries, k);
    });
  });
}

/// The tiles and chunks are planned the same whether or not the database or the queries are resident (Backend::
/// keep_resident), so that the GEMMs have the same shapes and the results are the same bits; a resident database
/// is read in place (its tiles are not uploaded), and a resident query chunk is copied on the device.
std::vector<float> CudaBackend::kth_smallest_sqdist_within(Lane& lane, std::size_t budget,
                                                           const Matrix<float>& database, const Matrix<float>& queries,
                                                           std::size_t k) const {
  const ResidentCopy database_copy = resident_->find(database), queries_copy = resident_->find(queries);
  const float* resident_database = database_copy.device;
  const float* resident_queries = queries_copy.device;
  const std::size_t dim = database.cols, db_tile = std::min(kDatabaseTile, database.rows);
  // Plan: two database tiles with norms, one distance tile, and per resident query its row, norm, k best and k-th.
  const std::size_t fixed = 2 * db_tile * (dim + 1) * sizeof(float);
  const std::size_t per_query = (dim + k + 2) * sizeof(float), per_tile_row = db_tile * sizeof(float);
  std::size_t query_tile = std::min(kMaxQueryTile, queries.rows);
  while (query_tile > 1 && fixed + query_tile * (per_tile_row + per_query) > budget) query_tile /= 2;
  if (fixed + query_tile * (per_tile_row + per_query) > budget) throw OutOfDeviceMemory();
  const std::size_t chunk = std::min(queries.rows, (budget - fixed - query_tile * per_tile_row) / per_query);

  const std::size_t staged_tile = resident_database ? 0 : db_tile;  // rows of each upload buffer
  std::array<DeviceBuffer<float>, 2> db{DeviceBuffer<float>(staged_tile * dim), DeviceBuffer<float>(staged_tile * dim)};
  std::array<DeviceBuffer<float>, 2> db_norms{DeviceBuffer<float>(db_tile), DeviceBuffer<float>(db_tile)};
  DeviceBuffer<float> tile(query_tile * db_tile), q(chunk * dim), q_norms(chunk), best(chunk * k), kth(chunk);
  const std::size_t pool_bytes = (k + db_tile) * sizeof(float);  // within kMaxPoolBytes, set at construction
  const cudaStream_t compute = lane.stream();  // the lane's cuBLAS handle runs its GEMMs here
  Stream copy;
  std::array<Event, 2> uploaded, used;
  const std::size_t tiles = (database.rows + db_tile - 1) / db_tile;
  auto upload_tile = [&](std::size_t t) {
    if (resident_database) return;
    const std::size_t rows = std::min(db_tile, database.rows - t * db_tile);
    if (t >= 2) check(cudaStreamWaitEvent(copy.handle, used[t % 2].handle), "cudaStreamWaitEvent");
    copy_to_device(db[t % 2].data(), std::span<const float>(database.row(t * db_tile), rows * dim), copy.handle,
                   "kNN database upload");
    check(cudaEventRecord(uploaded[t % 2].handle, copy.handle), "cudaEventRecord");
  };
  auto tile_data = [&](std::size_t t) -> const float* {
    return resident_database ? resident_database + t * db_tile * dim : db[t % 2].data();
  };

  std::vector<float> out(queries.rows);
  for (std::size_t c0 = 0; c0 < queries.rows; c0 += chunk) {
    const std::size_t nc = std::min(chunk, queries.rows - c0);
    if (resident_queries) {
      check(cudaMemcpyAsync(q.data(), resident_queries + c0 * dim, nc * dim * sizeof(float), cudaMemcpyDeviceToDevice,
                            compute),
            "kNN query copy");
    } else {
      copy_to_device(q.data(), std::span<const float>(queries.row(c0), nc * dim), compute, "kNN query upload");
    }
    row_sqnorms_kernel<<<grid_size(nc * 32, 256), 256, 0, compute>>>(q.data(), nc, dim, q_norms.data());
    fill_kernel<<<grid_size(nc * k, 256), 256, 0, compute>>>(best.data(), nc * k, INFINITY);
    fill_kernel<<<grid_size(nc, 256), 256, 0, compute>>>(kth.data(), nc, INFINITY);
    check_launch("kNN setup kernels");
    upload_tile(0);
    for (std::size_t t = 0; t < tiles; ++t) {
      const std::size_t rows = std::min(db_tile, database.rows - t * db_tile);
      const float* x = tile_data(t);
      if (!resident_database)
        check(cudaStreamWaitEvent(compute, uploaded[t % 2].handle), "cudaStreamWaitEvent");
      row_sqnorms_kernel<<<grid_size(rows * 32, 256), 256, 0, compute>>>(x, rows, dim, db_norms[t % 2].data());
      check_launch("row_sqnorms_kernel");
      for (std::size_t q0 = 0; q0 < nc; q0 += query_tile) {
        const std::size_t nq = std::min(query_tile, nc - q0);
        const float minus_two = -2.0f, zero = 0.0f;
        check(cublasSgemm(lane.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(rows), static_cast<int>(nq),
                          static_cast<int>(dim), &minus_two, x, static_cast<int>(dim), q.data() + q0 * dim,
                          static_cast<int>(dim), &zero, tile.data(), static_cast<int>(rows)),
              "kNN tile GEMM");
        merge_tile_kernel<<<static_cast<unsigned>(nq), kRowThreads, pool_bytes, compute>>>(
            tile.data(), static_cast<int>(rows), q_norms.data() + q0, db_norms[t % 2].data(), best.data() + q0 * k,
            kth.data() + q0, static_cast<int>(k));
        check_launch("merge_tile_kernel");
      }
      check(cudaEventRecord(used[t % 2].handle, compute), "cudaEventRecord");
      if (t + 1 < tiles) upload_tile(t + 1);  // overlaps this tile's GEMMs and merges
    }
    to_host(kth.data(), std::span<float>(out.data() + c0, nc), compute);  // the chunk is done: buffers free
  }
  for (float& d : out) d = std::max(0.0f, d);
  return out;
}

}  // namespace oodbench::cuda

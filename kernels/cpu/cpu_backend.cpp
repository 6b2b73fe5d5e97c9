#include "kernels/cpu/cpu_backend.h"

#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

constexpr std::size_t kScatterBlockRows = 512;   // float64 rows converted per DSYRK call
constexpr std::size_t kKnnQueryTile = 1024;      // kNN tile: 1024 x 4096 float32 distances = 16 MiB
constexpr std::size_t kKnnDatabaseTile = 4096;

int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT32_MAX)) throw std::length_error("matrix dimension exceeds BLAS int range");
  return static_cast<int>(n);
}

std::vector<float> row_sqnorms(const Matrix<float>& m) {
  std::vector<float> out(m.rows);
#pragma omp parallel for schedule(static) if (worth_threads(m.rows * m.cols))
  for (std::size_t i = 0; i < m.rows; ++i) out[i] = squared_norm(m.row(i), m.cols);
  return out;
}

/// Replaces the largest of the k kept distances (a max-heap) when `d` is smaller.
inline void offer(float* heap, std::size_t k, float d) {
  if (d >= heap[0]) return;
  std::pop_heap(heap, heap + k);
  heap[k - 1] = d;
  std::push_heap(heap, heap + k);
}

/// C = A Bᵀ for float or double.
template <class T>
Matrix<T> product_nt(const Matrix<T>& a, const Matrix<T>& b) {
  if (a.cols != b.cols) throw std::invalid_argument("matmul_nt: inner dimensions differ");
  Matrix<T> c(a.rows, b.rows);
  if (c.data.empty()) return c;
  cpu::gemm(false, true, a.rows, b.rows, a.cols, T{1}, a.data.data(), a.cols, b.data.data(), b.cols, T{0},
            c.data.data(), c.cols);
  return c;
}

}  // namespace

std::string CpuBackend::description() const {
  return "cpu (OpenBLAS, " + std::to_string(omp_get_max_threads()) + " threads)";
}

std::vector<std::uint32_t> CpuBackend::argsort(std::span<const double> keys) const {
  std::vector<std::uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
  return order;
}

Matrix<float> CpuBackend::matmul_nt(const Matrix<float>& a, const Matrix<float>& b) const { return product_nt(a, b); }

Matrix<double> CpuBackend::matmul_nt(const Matrix<double>& a, const Matrix<double>& b) const { return product_nt(a, b); }

Matrix<double> CpuBackend::scatter(const Matrix<float>& x, const Matrix<double>& centers,
                                   std::span<const std::int32_t> group, double* sum_fourth_powers) const {
  const std::size_t d = x.cols;
  Matrix<double> s(d, d);
  Matrix<double> block(kScatterBlockRows, d);
  double fourth = 0;
  for (std::size_t start = 0; start < x.rows; start += kScatterBlockRows) {
    const std::size_t rows = std::min(kScatterBlockRows, x.rows - start);
#pragma omp parallel for schedule(static) reduction(+ : fourth)
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t i = start + r;
      const double* c = centers.row(group.empty() ? 0 : static_cast<std::size_t>(group[i]));
      double sq = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const double v = static_cast<double>(x(i, j)) - c[j];
        block(r, j) = v;
        sq += v * v;
      }
      fourth += sq * sq;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, as_int(d), as_int(rows), 1.0, block.data.data(), as_int(d),
                1.0, s.data.data(), as_int(d));
  }
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < i; ++j) s(i, j) = s(j, i);
  if (sum_fourth_powers) *sum_fourth_powers = fourth;
  return s;
}

SymmetricEigen CpuBackend::eigh(const Matrix<double>& symmetric) const {
  SymmetricEigen out{std::vector<double>(symmetric.rows), symmetric};
  const int n = as_int(symmetric.rows);
  const int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, out.vectors.data.data(), n, out.values.data());
  if (info != 0) throw std::runtime_error("eigh: LAPACK dsyevd failed with info " + std::to_string(info));
  return out;
}

std::vector<float> CpuBackend::kth_smallest_sqdist(const Matrix<float>& database, const Matrix<float>& queries,
                                                   std::size_t k) const {
  if (k == 0 || k > database.rows) throw std::invalid_argument("kth_smallest_sqdist: k out of range");
  const std::vector<float> db_norms = row_sqnorms(database);
  const std::vector<float> q_norms = row_sqnorms(queries);
  std::vector<float> heaps(queries.rows * k, INFINITY);
  // No bigger than the inputs: a 16 MB tile costs a small run more in page faults than its whole kNN.
  std::vector<float> tile(std::min(kKnnQueryTile, queries.rows) * std::min(kKnnDatabaseTile, database.rows));
  const int dim = as_int(queries.cols);
  for (std::size_t q0 = 0; q0 < queries.rows; q0 += kKnnQueryTile) {
    const std::size_t nq = std::min(kKnnQueryTile, queries.rows - q0);
    for (std::size_t b0 = 0; b0 < database.rows; b0 += kKnnDatabaseTile) {
      const std::size_t nb = std::min(kKnnDatabaseTile, database.rows - b0);
      // tile = -2 q xᵀ; the norms are added during selection, so the tile is read once.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, as_int(nq), as_int(nb), dim, -2.0f, queries.row(q0), dim,
                  database.row(b0), dim, 0.0f, tile.data(), as_int(nb));
#pragma omp parallel for schedule(static) if (worth_threads(nq * nb))
      for (std::size_t q = 0; q < nq; ++q) {
        float* heap = heaps.data() + (q0 + q) * k;
        const float* t = tile.data() + q * nb;
        const float qn = q_norms[q0 + q];
        for (std::size_t b = 0; b < nb; ++b) offer(heap, k, t[b] + qn + db_norms[b0 + b]);
      }
    }
  }
  std::vector<float> out(queries.rows);
  for (std::size_t q = 0; q < queries.rows; ++q) out[q] = std::max(0.0f, heaps[q * k]);  // heap top = k-th smallest
  return out;
}

Matrix<std::int32_t> CpuBackend::k_smallest_per_row(const Matrix<float>& values, std::size_t k) const {
  if (k == 0 || k > values.cols) throw std::invalid_argument("k_smallest_per_row: k out of range");
  Matrix<std::int32_t> out(values.rows, k);
#pragma omp parallel for schedule(static) if (worth_threads(values.rows * values.cols))
  for (std::size_t i = 0; i < values.rows; ++i) {
    std::vector<std::int32_t> idx(values.cols);
    std::iota(idx.begin(), idx.end(), 0);
    const float* v = values.row(i);
    std::nth_element(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k - 1), idx.end(),
                     [&](std::int32_t a, std::int32_t b) { return v[a] < v[b] || (v[a] == v[b] && a < b); });
    std::copy(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), out.row(i));
  }
  return out;
}

NearestCentroid CpuBackend::nearest_centroid(const Matrix<float>& queries, const Matrix<float>& centroids,
                                             CentroidMetric metric) const {
  NearestCentroid out{std::vector<float>(queries.rows), std::vector<std::int32_t>(queries.rows)};
#pragma omp parallel for schedule(static) if (worth_threads(queries.rows * centroids.data.size()))
  for (std::size_t i = 0; i < queries.rows; ++i) {
    const auto best = nearest_centroid_row(queries.row(i), centroids.data.data(), centroids.rows, queries.cols,
                                           metric == CentroidMetric::l1);
    out.distance[i] = best.distance;
    out.index[i] = best.index;
  }
  return out;
}

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace oodbench

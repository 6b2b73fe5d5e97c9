// The Backend: the numerical primitives every detector and metric is written against (DESIGN.md, "written once").
//
// Primitives take and return host memory, so a detector never knows where it runs; a CUDA implementation moves data
// to the device inside the primitive and keeps whole fused operations (kNN, autoencoder training) resident there.
// Cheap per-row work (softmax, log-sum-exp on n x C logits) is not a primitive: it lives in kernels/rowwise.h as
// __host__ __device__ functions that both backends share.
// To add a primitive: declare it here, implement it in cpu/cpu_backend.cpp and in a .cu file of kernels/cuda/ (declared
// in cuda/cuda_backend_impl.cuh; until then the CUDA backend inherits the CPU version; read float matrix inputs through
// CudaBackend::device_input, so that resident ones are not uploaded again), and add a GPU-vs-CPU test to
// tests/kernels/test_cuda_backend.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/autoencoder.h"
#include "kernels/matrix.h"
#include "kernels/residency.h"

namespace oodbench {

enum class DeviceKind { cpu, cuda };

/// Eigen-decomposition of a symmetric matrix: values ascending, vectors as the columns of `vectors` (D x D).
struct SymmetricEigen {
  std::vector<double> values;
  Matrix<double> vectors;
};

/// Per query: the distance to the nearest centroid and which centroid it is.
struct NearestCentroid {
  std::vector<float> distance;
  std::vector<std::int32_t> index;
};

enum class CentroidMetric { squared_l2, l1 };

/// Autoencoders of one shape over the same rows (a sweep's seeds; one member for a single autoencoder), training
/// state kept where the backend computes: on the GPU the data, the weights and Adam's moments stay resident from one
/// epoch to the next, and an epoch makes no host round-trip per mini-batch. Each member's results are the bits it
/// gives when it trains alone (one member), whatever trains beside it: the CPU advances one member after the other,
/// the GPU runs members side by side with the same calls for each (kernels/cuda/autoencoder_cuda.cu).
class AutoencoderTrainers {
 public:
  virtual ~AutoencoderTrainers() = default;
  /// One epoch of every member i whose `orders[i]` is not empty: for each mini-batch of rows taken in `orders[i]` (the
  /// last one may be smaller), the MSE forward and backward pass and an Adam step. A member given an empty order (one
  /// that stopped early) is left as it is. Returns each member's step losses, each before its update (empty if
  /// skipped).
  virtual std::vector<std::vector<double>> epoch(std::span<const std::vector<std::uint32_t>> orders) = 0;
  /// Member i's current parameters.
  virtual AutoencoderParams<float> params(std::size_t member) const = 0;
};

/// The data term of multinomial logistic regression (the linear probe's objective, docs/methods.md) over fixed rows,
/// kept where the backend computes: on the GPU the rows and labels are uploaded once per solve, and each evaluation
/// moves only the parameters and the gradient.
class SoftmaxRegressionTerms {
 public:
  virtual ~SoftmaxRegressionTerms() = default;
  /// At weights `w` (C x D, row-major) and bias `b` (C): returns Σ_i (logsumexp(z_i) - z_i,y_i) / N with
  /// z_i = W x_i + b; adds (P - Y)ᵀ X / N to `grad_w` (C x D: accumulated into, so a caller's regularisation
  /// gradient there stays) and writes the column sums of (P - Y) / N to `grad_b` (C).
  virtual double evaluate(const double* w, const double* b, double* grad_w, double* grad_b) = 0;
};

/// What every backend's softmax_regression_terms requires: rows, classes, and one label per row.
inline void check_softmax_regression_inputs(const Matrix<double>& x, std::span<const std::int32_t> labels,
                                            std::size_t classes) {
  if (labels.size() != x.rows) throw std::invalid_argument("softmax_regression_terms: one label per row of x");
  if (classes == 0 || x.rows == 0) throw std::invalid_argument("softmax_regression_terms: no rows or no classes");
}

class Backend {
 public:
  virtual ~Backend() = default;

  virtual DeviceKind kind() const = 0;
  /// One line for logs and result records, e.g. "cpu (OpenBLAS, 2 threads)" or "cuda:0 NVIDIA H100 80GB HBM3".
  virtual std::string description() const = 0;

  /// Keeps a device copy of `x` for as long as the returned handle lives, so that every primitive given this very
  /// matrix (same storage and shape) reads that copy instead of uploading `x` again: a dataset's arrays cross the
  /// bus once, not once per detector and call. Only for data that stays unchanged and alive while the handle lives:
  /// a matrix written to, resized or freed meanwhile would be read stale (or its storage mistaken for another's).
  /// Keeping the same matrix twice shares one copy. The result never differs from an uncalled keep_resident: where
  /// nothing is gained or the copy would not fit the device's memory budget, the handle is empty and every call
  /// uploads as before. The CPU backend keeps nothing.
  virtual ResidentHandle keep_resident(const Matrix<float>& x) const {
    (void)x;
    return {};
  }
  /// Bytes copied from host to device memory so far, by every primitive and keep_resident of this backend's kind in
  /// this process (0 on the CPU): what crossed the bus, for tests and benchmarks to compare before and after.
  virtual std::uint64_t upload_bytes() const { return 0; }

  /// Stable ascending argsort: the permutation that sorts `keys`, ties kept in input order. Keys must be finite.
  virtual std::vector<std::uint32_t> argsort(std::span<const double> keys) const = 0;

  /// C = A Bᵀ in float32 (A: m x k, B: n x k, C: m x n), the product every projection and logit uses.
  virtual Matrix<float> matmul_nt(const Matrix<float>& a, const Matrix<float>& b) const = 0;
  /// The same in float64, for the few places where a quotient amplifies rounding (NERO's p / f).
  virtual Matrix<double> matmul_nt(const Matrix<double>& a, const Matrix<double>& b) const = 0;

  /// Scatter matrix Σ_i (x_i - c_g(i))(x_i - c_g(i))ᵀ accumulated in float64. `centers` has one row per group;
  /// `group[i]` picks the center of row i (empty: every row uses centers row 0). Also returns Σ_i ‖x_i - c‖⁴ in
  /// `sum_fourth_powers` when non-null (Ledoit-Wolf needs it).
  virtual Matrix<double> scatter(const Matrix<float>& x, const Matrix<double>& centers,
                                 std::span<const std::int32_t> group, double* sum_fourth_powers = nullptr) const = 0;

  /// Eigen-decomposition of a symmetric float64 matrix (LAPACK dsyevd / cuSOLVER).
  virtual SymmetricEigen eigh(const Matrix<double>& symmetric) const = 0;

  /// For each query row, the k-th smallest squared Euclidean distance to the rows of `database` (k is 1-based).
  /// Tiled: memory is O(tile_rows x tile_cols + queries x k), never the whole query x database matrix.
  virtual std::vector<float> kth_smallest_sqdist(const Matrix<float>& database, const Matrix<float>& queries,
                                                 std::size_t k) const = 0;

  /// Trainers for one autoencoder per element of `initial` (all of the same shape) over the rows of `x` (which must
  /// outlive them), with mini-batches of `batch` rows and Adam. The one way to train an autoencoder: a single one is
  /// one member.
  virtual std::unique_ptr<AutoencoderTrainers> autoencoder_trainers(std::span<const AutoencoderParams<float>> initial,
                                                                    const Matrix<float>& x, std::size_t batch,
                                                                    const AdamSettings& adam) const = 0;

  /// The softmax-regression data term over the rows of `x` (N x D, which must outlive it) with `labels` in
  /// 0..classes-1. `block_rows` (0: all) is how many rows the CPU pushes through both products at a time, which
  /// decides its rounding (a cache blocking, kept so the CPU probe stays the same bits); the GPU ignores it, unless X
  /// does not fit its memory budget: then it returns the CPU's terms.
  virtual std::unique_ptr<SoftmaxRegressionTerms> softmax_regression_terms(const Matrix<double>& x,
                                                                           std::span<const std::int32_t> labels,
                                                                           std::size_t classes,
                                                                           std::size_t block_rows) const = 0;

  /// The autoencoder's reconstruction of every row of `x`.
  virtual Matrix<float> autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const = 0;

  /// For each row, the column indices of its k smallest values (ties broken by the lower index), in no order.
  virtual Matrix<std::int32_t> k_smallest_per_row(const Matrix<float>& values, std::size_t k) const = 0;

  /// For each query row, the nearest centroid under `metric` and its distance.
  virtual NearestCentroid nearest_centroid(const Matrix<float>& queries, const Matrix<float>& centroids,
                                           CentroidMetric metric) const = 0;
};

}  // namespace oodbench

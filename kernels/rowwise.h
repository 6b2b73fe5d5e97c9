// Per-row and per-element math shared by the CPU backend, the detectors and the CUDA kernels (__host__ __device__),
// so that the CPU tests exercise the same code the GPU runs.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define OODBENCH_HD __host__ __device__
#else
#define OODBENCH_HD
#endif

namespace oodbench {

/// Σ v_j², accumulated in float64 then rounded.
OODBENCH_HD inline float squared_norm(const float* v, std::size_t n) {
  double s = 0;
  for (std::size_t j = 0; j < n; ++j) s += static_cast<double>(v[j]) * v[j];
  return static_cast<float>(s);
}

OODBENCH_HD inline double row_max(const double* z, std::size_t n) {
  double m = z[0];
  for (std::size_t j = 1; j < n; ++j) m = z[j] > m ? z[j] : m;
  return m;
}

/// The index of the first maximum of z (as NumPy's and torch's argmax): the predicted class of a row of logits.
OODBENCH_HD inline std::size_t argmax(const double* z, std::size_t n) {
  std::size_t top = 0;
  for (std::size_t j = 1; j < n; ++j) top = z[j] > z[top] ? j : top;
  return top;
}

/// log Σ exp(z_j / t) · t computed stably (max subtracted first).
OODBENCH_HD inline double logsumexp(const double* z, std::size_t n, double temperature = 1.0) {
  const double m = row_max(z, n) / temperature;
  double s = 0;
  for (std::size_t j = 0; j < n; ++j) s += exp(z[j] / temperature - m);
  return temperature * (m + log(s));
}

/// p = softmax(z), written to `p` (may alias z).
OODBENCH_HD inline void softmax(const double* z, double* p, std::size_t n) {
  const double lse = logsumexp(z, n);
  for (std::size_t j = 0; j < n; ++j) p[j] = exp(z[j] - lse);
}

/// One row of the softmax-regression gradient (SoftmaxRegressionTerms): `z` holds the row's W x and becomes
/// (softmax(z + b) - onehot(y)) / n, the derivative of the mean loss over n rows; returns the row's loss
/// logsumexp(z + b) - (z + b)_y.
OODBENCH_HD inline double softmax_regression_row(double* z, const double* b, std::size_t classes, std::size_t y,
                                                 double n) {
  for (std::size_t k = 0; k < classes; ++k) z[k] += b[k];
  const double loss = logsumexp(z, classes) - z[y];
  softmax(z, z, classes);
  z[y] -= 1.0;
  for (std::size_t k = 0; k < classes; ++k) z[k] /= n;
  return loss;
}

/// One coordinate's contribution to a centroid distance: |diff| for L1, diff² for squared L2.
OODBENCH_HD inline double centroid_distance_term(double diff, bool l1) { return l1 ? fabs(diff) : diff * diff; }

struct CentroidMatch {
  float distance;
  std::int32_t index;
};

/// Nearest of `count` centroids (row-major, `dim` wide) to `x`, by squared L2 or L1, accumulated in float64.
/// Ties go to the lowest index.
OODBENCH_HD inline CentroidMatch nearest_centroid_row(const float* x, const float* centroids, std::size_t count,
                                                      std::size_t dim, bool l1) {
  double best = INFINITY;
  std::int32_t index = 0;
  for (std::size_t c = 0; c < count; ++c) {
    const float* mu = centroids + c * dim;
    double d = 0;
    for (std::size_t j = 0; j < dim; ++j) {
      d += centroid_distance_term(static_cast<double>(x[j]) - mu[j], l1);
    }
    if (d < best) {
      best = d;
      index = static_cast<std::int32_t>(c);
    }
  }
  return {static_cast<float>(best), index};
}

}  // namespace oodbench

// Per-feature standardisation as scikit-learn's StandardScaler does it: mean and population std of ID train, with
// constant features (std < 10 · double epsilon) left unscaled. Used by NECO and the autoencoder's `standardize`.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/matrix.h"

namespace oodbench {

struct Standardization {
  std::vector<double> mean, scale;

  static Standardization fit(const Matrix<float>& x) {
    Standardization s{std::vector<double>(x.cols, 0.0), std::vector<double>(x.cols, 0.0)};
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < x.cols; ++j) s.mean[j] += x(i, j);
    for (double& m : s.mean) m /= static_cast<double>(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < x.cols; ++j) s.scale[j] += (x(i, j) - s.mean[j]) * (x(i, j) - s.mean[j]);
    for (double& v : s.scale) {
      v = std::sqrt(v / static_cast<double>(x.rows));
      if (v < 10 * std::numeric_limits<double>::epsilon()) v = 1.0;
    }
    return s;
  }

  /// (x - mean) / scale for every row.
  Matrix<float> apply(const Matrix<float>& x) const {
    Matrix<float> out(x.rows, x.cols);
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = static_cast<float>((x(i, j) - mean[j]) / scale[j]);
    return out;
  }
};

}  // namespace oodbench

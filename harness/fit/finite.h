// Finite results: NaN or Inf from finite features means their magnitudes overflowed float32 (or float64) arithmetic
// (features near 1e38, or squares of features near 1e19 summed in float32). Every score vector, fitted state and
// statistic a fit decomposes is checked, and a failure says what overflowed, where, and how to rescale.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "kernels/error.h"
#include "kernels/matrix.h"

namespace oodbench {

/// "NaN at row 3, column 5" (or "Inf at index 7" for a vector, `cols` = 0) for the value at `index`.
std::string non_finite_where(double value, std::size_t index, std::size_t cols);

/// A NonFiniteError "<what> <is_or_are> not finite (NaN at row 3, column 5)" when `values` (rows of `cols`, or a
/// vector when `cols` is 0) hold a NaN or an Inf.
template <class T>
void check_finite(std::span<const T> values, std::size_t cols, const std::string& what) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw NonFiniteError(what + " not finite (" + non_finite_where(static_cast<double>(values[i]), i, cols) + ")");
}
template <class T>
void check_finite(const Matrix<T>& m, const std::string& what) {
  check_finite(std::span<const T>(m.data), m.cols, what);
}

/// What to do about a NonFiniteError from features `x` (named `name`): "<name> reach |x| = 3.4e+38, beyond what
/// float32 arithmetic on them can hold; rescale them (divide by 1e+37, say) and run again".
std::string rescale_advice(const Matrix<float>& x, const std::string& name);

}  // namespace oodbench

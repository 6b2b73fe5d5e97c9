#include "harness/fit/finite.h"

#include <algorithm>
#include <cstdio>

namespace oodbench {

std::string non_finite_where(double value, std::size_t index, std::size_t cols) {
  const std::string what = std::isnan(value) ? "NaN" : value > 0 ? "Inf" : "-Inf";
  if (cols == 0) return what + " at index " + std::to_string(index);
  return what + " at row " + std::to_string(index / cols) + ", column " + std::to_string(index % cols);
}

std::string rescale_advice(const Matrix<float>& x, const std::string& name) {
  float largest = 0;
  for (float v : x.data) largest = std::max(largest, std::fabs(v));
  char text[160];
  // A scale that brings the largest magnitude to about 10: far from overflow, and exact in float32 for powers of 10.
  const double divide = std::pow(10.0, std::floor(std::log10(std::max(1.0f, largest))) - 1);
  std::snprintf(text, sizeof text, "%s reach |x| = %.3g, too large for float32 arithmetic on them; rescale them "
                "(divide by %.0e, say) and run again", name.c_str(), static_cast<double>(largest), divide);
  return text;
}

}  // namespace oodbench

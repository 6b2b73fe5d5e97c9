// numpy.percentile with its default linear interpolation, for thresholds taken from data (ReAct) and bootstrap
// intervals.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace oodbench {

/// The p-th percentile (0..100) of `values`, interpolated linearly between order statistics. Reorders `values`.
template <class T>
double percentile(std::vector<T>& values, double p) {
  const double position = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(position));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double low = values[lo];
  if (lo + 1 >= values.size()) return low;
  const double high = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end());
  return low + (high - low) * (position - static_cast<double>(lo));
}

}  // namespace oodbench

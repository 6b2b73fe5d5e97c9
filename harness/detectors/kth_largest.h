// The k-th largest of a row of floats by radix selection: about 4x faster than std::nth_element on the rows ASH and
// SCALE cut (a thousand or two values, k a tenth of them), which was most of their scoring time. Written here because
// no library we use selects on float keys without sorting or comparing element by element.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/cpu/cpu_threads.h"
#include "kernels/float_order.h"
#include "kernels/matrix.h"

namespace oodbench {

/// The k-th largest value of `values` (1 <= k <= size; finite values): the value t with fewer than k values above it
/// and at least k at or above it, exactly as std::nth_element with std::greater would place at k - 1. `scratch` is
/// reused between calls to avoid allocating per row. Three passes of 11, 11 and 10 key bits, each a histogram of the
/// values whose higher bits match the k-th largest's so far.
inline float kth_largest(std::span<const float> values, std::size_t k, std::vector<std::uint32_t>& scratch) {
  assert(k >= 1 && k <= values.size());
  constexpr int kShifts[] = {21, 10, 0};
  constexpr std::uint32_t kMasks[] = {0x7ff, 0x7ff, 0x3ff};
  std::array<std::uint32_t, 2048> count;
  scratch.resize(values.size());
  std::size_t candidates = values.size();
  std::uint32_t prefix = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const int shift = kShifts[pass];
    const std::uint32_t mask = kMasks[pass];
    count.fill(0);
    std::uint32_t top = 0;  // the highest digit seen: the scan below starts there
    if (pass == 0) {
      for (std::size_t j = 0; j < candidates; ++j) {
        const std::uint32_t key = ordered_key(values[j]);
        scratch[j] = key;
        const std::uint32_t digit = key >> shift;
        ++count[digit];
        top = digit > top ? digit : top;
      }
    } else {
      for (std::size_t j = 0; j < candidates; ++j) {
        const std::uint32_t digit = (scratch[j] >> shift) & mask;
        ++count[digit];
        top = digit > top ? digit : top;
      }
    }
    std::uint32_t digit = top;
    while (count[digit] < k) k -= count[digit--];  // values in higher bins are above the k-th largest
    prefix |= digit << shift;
    if (pass == 2) break;
    std::size_t kept = 0;  // keep the values in the k-th largest's bin
    for (std::size_t j = 0; j < candidates; ++j)
      if (((scratch[j] >> shift) & mask) == digit) scratch[kept++] = scratch[j];
    candidates = kept;
  }
  return key_value(prefix);
}

/// Calls visit(i, row, t) for every row i of `x`, t being the row's k-th largest value: rows in parallel where the
/// work is worth threads, each thread with its own scratch.
template <class Visit>
void for_each_row_kth_largest(const Matrix<float>& x, std::size_t k, Visit visit) {
#pragma omp parallel if (worth_threads(x.rows * x.cols))
  {
    std::vector<std::uint32_t> scratch;
#pragma omp for schedule(static)
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* row = x.row(i);
      visit(i, row, kth_largest({row, x.cols}, k, scratch));
    }
  }
}

/// Calls visit(i, row, total, top) for every row i of `x`: the sum of its values and the sum of its k largest (those
/// above the k-th largest t, and as many values equal to t as make k), both in float64. SCALE's and LTS's ratio.
template <class Visit>
void for_each_row_top_sum(const Matrix<float>& x, std::size_t k, Visit visit) {
  for_each_row_kth_largest(x, k, [&](std::size_t i, const float* row, float t) {
    double total = 0, top = 0;
    std::size_t above = 0;
    for (std::size_t j = 0; j < x.cols; ++j) {
      total += row[j];
      if (row[j] > t) top += row[j], ++above;
    }
    visit(i, row, total, top + static_cast<double>(k - above) * t);
  });
}

}  // namespace oodbench

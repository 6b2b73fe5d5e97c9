// Random inputs shared by the backend tests.
#pragma once

#include <random>
#include <vector>

#include "kernels/matrix.h"

namespace oodbench::test {

/// Quarter-integers in [-5, 5]: many equal keys, to test that sorts keep ties in input order.
inline std::vector<double> random_keys_with_ties(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> value(-20, 20);
  std::vector<double> keys(n);
  for (auto& k : keys) k = value(rng) * 0.25;
  return keys;
}

/// Standard normal values, rows x cols.
inline Matrix<float> gaussian(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Matrix<float> m(rows, cols);
  for (float& v : m.data) v = normal(rng);
  return m;
}

}  // namespace oodbench::test

// A dense row-major matrix: one row per sample, the layout of a C-order .npy file.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace oodbench {

template <class T>
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<T> data;  ///< rows * cols values, row-major

  Matrix() = default;
  Matrix(std::size_t r, std::size_t c, T fill = T{}) : rows(r), cols(c), data(r * c, fill) {}

  T* row(std::size_t i) { return data.data() + i * cols; }
  const T* row(std::size_t i) const { return data.data() + i * cols; }
  std::span<const T> row_span(std::size_t i) const { return {row(i), cols}; }
  T& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
};

}  // namespace oodbench

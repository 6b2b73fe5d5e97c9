// Row blocks of a matrix, for detectors that tile a queries x reference-rows product (NNGuide, Relation, CFOOD) so
// that memory is bounded by a tile, never the whole product.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/matrix.h"

namespace oodbench {

/// Queries per tile and reference rows per tile: 1024 x 4096 float32 products = 16 MiB, as the CPU kNN.
inline constexpr std::size_t kQueryTileRows = 1024;
inline constexpr std::size_t kReferenceTileRows = 4096;

/// Rows [start, start + count) of `m`, copied.
template <class T>
Matrix<T> row_block(const Matrix<T>& m, std::size_t start, std::size_t count) {
  Matrix<T> out(count, m.cols);
  std::copy(m.row(start), m.row(start) + count * m.cols, out.data.begin());
  return out;
}

}  // namespace oodbench

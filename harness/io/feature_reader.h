// Float features (float16, float32 or float64, C order, native byte order) read into the engine's float32 matrix a
// block at a time: each block is converted and checked for NaN/Inf while it is in cache, float32 data is read
// straight into its place, so an input costs one pass over memory and one copy, as numpy.load does.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "harness/io/npy.h"
#include "kernels/matrix.h"

namespace oodbench {

/// `rows` x `cols` values of `dtype` from `next`. A NaN or Inf, or a float64 beyond float32's range, is an
/// InputError naming `source`, the row and the column.
Matrix<float> read_features(const std::string& source, DType dtype, std::size_t rows, std::size_t cols,
                            const ByteSource& next);

/// .npy data of `size` bytes from the start of a stream (a file, an archive member): when it holds plain 2-D float
/// features (C order, native byte order, not truncated) they are read straight into the matrix; otherwise, or when
/// its header is faulty, nullopt after reading only the header (the general reader then says what is wrong).
std::optional<Matrix<float>> read_plain_npy_features(const ByteSource& next, std::size_t size,
                                                     const std::string& source);

/// A plain .npy file of 2-D float features, read with pread() straight into the matrix (no memory map, whose page
/// faults cost more than the copy); nullopt when the file holds anything else (the general reader then explains).
std::optional<Matrix<float>> read_npy_features(const std::string& path);

/// The shape (rows, cols) of a plain .npy file of 2-D float features, from its header alone; nullopt when the file
/// holds anything else or cannot be read (read_npy_features and the general reader then say what is wrong).
std::optional<std::pair<std::size_t, std::size_t>> npy_features_shape(const std::string& path);

}  // namespace oodbench

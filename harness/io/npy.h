// The NumPy .npy format (versions 1.0, 2.0, 3.0): parsing from bytes, and writing results and model state.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace oodbench {

enum class DType { float16, float32, float64, int32, int64, uint8 };

const char* dtype_name(DType dtype);

/// A decoded array: C order, native byte order, 1-D or 2-D.
struct NpyArray {
  std::string source;               ///< where it came from ("x.npy", "x.npz:key"), for error messages
  DType dtype = DType::float32;
  std::vector<std::size_t> shape;   ///< 1 or 2 extents
  std::vector<std::byte> bytes;     ///< element data, C order, native endianness

  std::size_t size() const;
  std::size_t rows() const { return shape.empty() ? 0 : shape[0]; }
  std::size_t cols() const { return shape.size() == 2 ? shape[1] : 1; }
};

/// Decodes a whole .npy file. Fortran-order arrays are converted to C order; big-endian data is byte-swapped.
/// Every fault (bad magic, unknown version, malformed header, unsupported dtype, truncated data, more than two
/// dimensions) is an InputError naming `source`.
NpyArray parse_npy(std::span<const std::byte> file, const std::string& source);

/// Encodes a C-order array as a version 1.0 .npy file (float32 scores; the rest for model files' state).
std::vector<std::byte> encode_npy(std::span<const float> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const double> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::int32_t> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::int64_t> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::uint8_t> values, std::span<const std::size_t> shape);

}  // namespace oodbench

// The NumPy .npy format (versions 1.0, 2.0, 3.0): parsing from bytes, and writing results and model state.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace oodbench {

/// Element types the readers decode to. bfloat16 data (safetensors BF16) is widened to float32 when read; `text`
/// arrays (CSV columns of words, HDF5 string datasets, NumPy unicode arrays) hold their values in `strings`.
enum class DType { float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, boolean, text };

const char* dtype_name(DType dtype);
/// A shape as NumPy prints it: "(3, 4)", "(5,)".
std::string shape_text(const std::vector<std::size_t>& shape);
/// Bytes per element (0 for text).
std::size_t dtype_size(DType dtype);
bool is_float_dtype(DType dtype);
bool is_integer_dtype(DType dtype);

/// A decoded array: C order, native byte order. Readers may return any number of extents; load_array squeezes
/// singleton axes down to the 1-D or 2-D arrays the rest of oodbench uses.
struct NpyArray {
  std::string source;               ///< where it came from ("x.npy", "x.npz:key", "x.h5:/emb"), for error messages
  DType dtype = DType::float32;
  std::vector<std::size_t> shape;   ///< extents (1 or 2 after load_array)
  std::vector<std::byte> bytes;     ///< element data, C order, native endianness
  std::vector<std::string> strings; ///< the elements of a text array, C order
  std::shared_ptr<const void> owner; ///< set for data read in place: keeps the memory-mapped file alive
  std::span<const std::byte> view;   ///< the element data in place (then `bytes` is empty)
  bool file_map = false;             ///< `view` is a private map of a file: converted pages may be dropped

  /// The element data, wherever it lives.
  std::span<const std::byte> data() const { return owner ? view : std::span<const std::byte>(bytes); }

  std::size_t size() const;
  std::size_t rows() const { return shape.empty() ? 0 : shape[0]; }
  std::size_t cols() const { return shape.size() == 2 ? shape[1] : 1; }
};

/// What a .npy header says of its data, checked (dtype supported, 1 to 8 extents, size not overflowing).
struct NpyHeader {
  DType dtype = DType::float32;
  std::vector<std::size_t> shape;
  bool fortran_order = false;
  bool byte_swapped = false;   ///< big-endian data on this little-endian machine
  std::size_t width = 0;       ///< bytes per element
  std::size_t data_offset = 0; ///< where the data starts in the file
  std::size_t data_bytes = 0;  ///< the data's size by its shape
};
/// The header of `file`, which needs to hold only the header; the same InputErrors as parse_npy.
NpyHeader parse_npy_header(std::span<const std::byte> file, const std::string& source);

/// Fills `out` with the next `bytes` bytes of a stream (a file, an archive member), or throws an InputError.
using ByteSource = std::function<void(std::byte* out, std::size_t bytes)>;
/// Reads a .npy header from the start of a stream, leaving it at the data.
NpyHeader read_npy_header(const ByteSource& next, const std::string& source);

/// Decodes a whole .npy file. Fortran-order arrays are converted to C order; big-endian data is byte-swapped.
/// Unicode ('<U') arrays decode to text. Every fault (bad magic, unknown version, malformed header, unsupported
/// dtype, truncated data, more than 8 dimensions) is an InputError naming `source`.
NpyArray parse_npy(std::span<const std::byte> file, const std::string& source);
/// The same on a memory-mapped file that `owner` keeps alive: C-order, native-endian numeric data is not copied but
/// viewed in place (NpyArray::view), so a large array costs its page cache, not a second copy in memory.
NpyArray parse_npy_in_place(std::span<const std::byte> file, std::shared_ptr<const void> owner,
                            const std::string& source);

/// Encodes a C-order array as a version 1.0 .npy file (float32 scores; the rest for model files' state).
std::vector<std::byte> encode_npy(std::span<const float> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const double> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::int32_t> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::int64_t> values, std::span<const std::size_t> shape);
std::vector<std::byte> encode_npy(std::span<const std::uint8_t> values, std::span<const std::size_t> shape);

}  // namespace oodbench

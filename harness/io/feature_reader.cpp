#include "harness/io/feature_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "harness/io/half.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

constexpr std::size_t kBlock = std::size_t{1} << 18;  // values per block: 1 MB of float32, in cache when checked

/// True when no value is NaN or Inf: a test of the exponent bits that the compiler vectorises.
bool all_finite(const float* values, std::size_t n) {
  std::uint32_t special = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    special |= static_cast<std::uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return special == 0;
}

/// `n` float16 or float64 values -> float32 (float32 data is read in place and needs nothing); true when every
/// converted value is finite. float16 is checked during its conversion, the rest after it while still in cache.
bool convert_to_float(DType dtype, const std::byte* in, float* out, std::size_t n) {
  if (dtype == DType::float16) return half_to_float_block(in, out, n);
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    std::memcpy(&v, in + i * sizeof(double), sizeof(double));
    out[i] = static_cast<float>(v);
  }
  return all_finite(out, n);
}

/// The error for the first non-finite value of a block (`first` is the block's first element in the array).
[[noreturn]] void non_finite(const std::string& source, DType dtype, const std::byte* in, const float* out,
                             std::size_t first, std::size_t cols) {
  std::size_t k = 0;
  while (std::isfinite(out[k])) ++k;
  double original = out[k];
  if (dtype == DType::float64) std::memcpy(&original, in + k * sizeof(double), sizeof(double));
  const std::size_t at = first + k;
  const std::string where = " at row " + std::to_string(at / cols) + ", column " + std::to_string(at % cols);
  if (std::isfinite(original)) {
    throw InputError(source + ": value " + std::to_string(original) + where +
                     " does not fit float32 (oodbench computes on float32 features)");
  }
  throw InputError(source + ": " + (std::isnan(original) ? "NaN" : "Inf") + where);
}

struct FileCloser {
  int fd;
  ~FileCloser() { ::close(fd); }
};

/// The header of a stream of `size` bytes when it starts plain 2-D float features (C order, native byte order, not
/// truncated); nullopt otherwise, or when the header is faulty.
std::optional<NpyHeader> plain_features_header(const ByteSource& next, std::size_t size, const std::string& source) {
  NpyHeader header;
  try {
    header = read_npy_header(next, source);
  } catch (const InputError&) {
    return std::nullopt;
  }
  const bool plain = is_float_dtype(header.dtype) && header.shape.size() == 2 && header.shape[0] > 0 &&
                     header.shape[1] > 0 && !header.fortran_order && !header.byte_swapped &&
                     size - header.data_offset >= header.data_bytes;
  if (!plain) return std::nullopt;
  return header;
}

/// Calls `use(next, size)` with a pread() source over the regular file `path`; nullopt when it cannot be opened.
template <class Use>
auto with_file_source(const std::string& path, Use use) -> decltype(use(ByteSource{}, std::size_t{})) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const FileCloser closer{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::size_t offset = 0;
  const ByteSource next = [&](std::byte* out, std::size_t bytes) {
    while (bytes > 0) {
      const ssize_t got = ::pread(fd, out, bytes, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw InputError(path + ": truncated .npy file");
      out += got, offset += static_cast<std::size_t>(got), bytes -= static_cast<std::size_t>(got);
    }
  };
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return use(next, static_cast<std::size_t>(st.st_size));
}

}  // namespace

Matrix<float> read_features(const std::string& source, DType dtype, std::size_t rows, std::size_t cols,
                            const ByteSource& next) {
  Matrix<float> m = Matrix<float>::uninitialized(rows, cols);
  const std::size_t width = dtype_size(dtype), n = m.data.size();
  std::vector<std::byte> staging(dtype == DType::float32 ? 0 : std::min(kBlock, n) * width);
  for (std::size_t start = 0; start < n; start += kBlock) {
    const std::size_t count = std::min(kBlock, n - start);
    float* out = m.data.data() + start;
    const std::byte* in = reinterpret_cast<const std::byte*>(out);
    bool finite = false;
    if (dtype == DType::float32) {
      next(reinterpret_cast<std::byte*>(out), count * width);
      finite = all_finite(out, count);
    } else {
      next(staging.data(), count * width);
      in = staging.data();
      finite = convert_to_float(dtype, in, out, count);
    }
    if (!finite) non_finite(source, dtype, in, out, start, cols);
  }
  return m;
}

std::optional<Matrix<float>> read_plain_npy_features(const ByteSource& next, std::size_t size,
                                                     const std::string& source) {
  const std::optional<NpyHeader> header = plain_features_header(next, size, source);
  if (!header) return std::nullopt;
  return read_features(source, header->dtype, header->shape[0], header->shape[1], next);
}

std::optional<Matrix<float>> read_npy_features(const std::string& path) {
  return with_file_source(path, [&](const ByteSource& next, std::size_t size) {
    return read_plain_npy_features(next, size, path);
  });
}

std::optional<std::pair<std::size_t, std::size_t>> npy_features_shape(const std::string& path) {
  return with_file_source(path, [&](const ByteSource& next, std::size_t size)
                                    -> std::optional<std::pair<std::size_t, std::size_t>> {
    const std::optional<NpyHeader> header = plain_features_header(next, size, path);
    if (!header) return std::nullopt;
    return std::pair{header->shape[0], header->shape[1]};
  });
}

}  // namespace oodbench

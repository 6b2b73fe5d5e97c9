// Reading the arrays a run needs from files named on the command line or in a config, and writing results atomically.
//
// An array is named by a path to a .npy file, or `archive.npz:key` for one array of an .npz archive.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/matrix.h"
#include "harness/io/npy.h"

namespace oodbench {

/// Loads `spec` ("x.npy" or "x.npz:key"). Errors name the file. A directory, or a file of another format (.pt,
/// .csv...), is refused before reading, saying how to convert it.
NpyArray load_array(const std::string& spec);

/// An array name split into its file and, for an .npz archive, the key.
struct ArraySpec {
  std::string path;
  std::string key;
  bool npz = false;
};
ArraySpec split_array_spec(const std::string& spec);
/// Checks, without decoding it, that `spec` names an existing .npy/.npz file (and key): an InputError saying what is
/// missing or wrong, as load_array would.
void check_array_exists(const std::string& spec);

/// Array data owned elsewhere: a decoded NpyArray, or a NumPy buffer handed over by the Python module. The checks
/// and conversions below read it in place, so a caller's array is copied once, into the engine's own matrix.
struct ArrayView {
  std::string source;  ///< for error messages: a file name, or a Python argument name
  DType dtype = DType::float32;
  std::vector<std::size_t> shape;
  std::span<const std::byte> bytes;  ///< C order, native endianness
  std::size_t size() const;
  std::size_t rows() const { return shape.empty() ? 0 : shape[0]; }
  std::size_t cols() const { return shape.size() == 2 ? shape[1] : 1; }
};
inline ArrayView view_of(const NpyArray& a) { return {a.source, a.dtype, a.shape, a.bytes}; }

/// A 2-D float array (float16/32/64) as float32 features, rejecting NaN or Inf with its row and column.
Matrix<float> to_features(const ArrayView& array);
/// A 1-D integer array (int32/int64/uint8) as class labels; negative values are rejected with their row.
std::vector<std::int32_t> to_labels(const ArrayView& array);
/// A 1-D float array as scores (float64), rejecting NaN or Inf with its row. An (n, 1) column is accepted too.
std::vector<double> to_scores(const ArrayView& array);

inline Matrix<float> to_features(const NpyArray& a) { return to_features(view_of(a)); }
inline std::vector<std::int32_t> to_labels(const NpyArray& a) { return to_labels(view_of(a)); }
inline std::vector<double> to_scores(const NpyArray& a) { return to_scores(view_of(a)); }

inline Matrix<float> load_features(const std::string& spec) { return to_features(load_array(spec)); }
inline std::vector<std::int32_t> load_labels(const std::string& spec) { return to_labels(load_array(spec)); }
inline std::vector<double> load_scores(const std::string& spec) { return to_scores(load_array(spec)); }

/// Checks that features and labels describe the same samples.
void check_same_rows(const Matrix<float>& features, const std::string& features_name,
                     const std::vector<std::int32_t>& labels, const std::string& labels_name);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, then rename. A reader sees
/// the old file or the whole new one, never a part. Failures are InputErrors naming the path.
void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);

/// The whole file (text, or bytes for a binary reader). An InputError "<path>: cannot open <what> (<reason>)" when
/// it cannot be read.
std::string read_text_file(const std::string& path, const std::string& what = "the file");
/// write_file_atomic for text.
void write_text_atomic(const std::string& path, std::string_view text);

/// Refuses early (before any work) when `path` cannot be written: its directory is missing or not writable.
void check_writable(const std::string& path);

}  // namespace oodbench

// Reading the arrays a run needs from files named on the command line or in a config, and writing results atomically.
//
// An array is named by a file whose extension picks the reader, with a key after ':' where the file holds several:
//   x.npy                       NumPy array
//   x.npz:key                   one array of a NumPy archive
//   x.h5:/group/dataset         an HDF5 dataset (.h5, .hdf5, .hdf)
//   x.safetensors:tensor        a safetensors tensor
//   x.csv, x.csv:a,b, x.csv:f0..f127, x.tsv:label     columns of delimited text
//   train/*.npy, emb-*.h5:/x    shards: every match in sorted order, concatenated along the rows
// .pt/.pth files are refused with the one-line conversion to .npy.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/matrix.h"
#include "harness/io/npy.h"

namespace oodbench {

/// Loads `spec` (see above), squeezing singleton axes of arrays with more than two (an (N, 1, D) or (N, D, 1, 1)
/// array is read as (N, D), with a note). Errors name the file and key. A directory, or a file of a format that
/// is not read (.pt...), is refused before reading, saying how to convert it.
NpyArray load_array(const std::string& spec);
/// Drops the singleton axes of an array with more than two, later axes first, then a leading one ((N, 1, D) and
/// (N, D, 1, 1) become (N, D)), with a note; an InputError if more than two axes remain.
void squeeze_singletons(NpyArray& a);

enum class ArrayFormat { npy, npz, hdf5, safetensors, csv, other };

/// An array name split into its file (or glob) and, for formats with several arrays per file, the key.
struct ArraySpec {
  std::string path;
  std::string key;              ///< npz key, HDF5 dataset, safetensors tensor, CSV columns; empty if none
  ArrayFormat format = ArrayFormat::other;
  bool glob = false;            ///< `path` is a pattern naming shards
  bool keyed() const { return format == ArrayFormat::npz || format == ArrayFormat::hdf5 ||
                              format == ArrayFormat::safetensors || format == ArrayFormat::csv; }
};
ArraySpec split_array_spec(const std::string& spec);
/// Checks, without decoding the data, that `spec` names existing files (and key) of a readable format: an
/// InputError saying what is missing or wrong, as load_array would.
void check_array_exists(const std::string& spec);

/// Where notes (not errors: a squeezed shape, a dropped index column) go; by default "oodbench: note: ..." on stderr.
void set_note_sink(std::function<void(const std::string&)> sink);
void note(const std::string& text);

/// A 2-D float array (float16/32/64) as float32 features, rejecting NaN or Inf with its row and column.
Matrix<float> to_features(const NpyArray& array);
/// "pass <remap_option> to map them to 0..C-1 ...": what every message about labels not 0..C-1 advises, where
/// `remap_option` is how the caller's user asks for remapped labels (empty: "map them to 0..C-1 ...").
std::string remap_advice(const std::string& remap_option);

/// A 1-D (or (N, 1)) integer array of any width as class labels; negative values and words are rejected naming the
/// labels found and suggesting `remap_option` (class_labels.h maps any labels to 0..C-1).
std::vector<std::int32_t> to_labels(const NpyArray& array, const std::string& remap_option = "");

/// Labels as found: integers, or words for a text array. An InputError for float or 2-D arrays.
struct RawLabels {
  std::string source;
  std::vector<std::int64_t> values;   ///< integer labels
  std::vector<std::string> words;     ///< text labels (then `values` is empty)
  bool text = false;
  std::size_t size() const { return text ? words.size() : values.size(); }
};
RawLabels to_raw_labels(const NpyArray& array);
/// A 1-D float array as scores (float64), rejecting NaN or Inf with its row. An (n, 1) column is accepted too.
std::vector<double> to_scores(const NpyArray& array);

/// A 1-D array (or (n, 1) column) of whether a head classified each row correctly: bool, or integers or floats that
/// are 0 or 1; an InputError naming the row of any other value.
std::vector<bool> to_correct(const NpyArray& array);

/// to_features(load_array(spec)), with plain .npy files and .npz members read straight into the matrix.
Matrix<float> load_features(const std::string& spec);
inline std::vector<std::int32_t> load_labels(const std::string& spec, const std::string& remap_option = "") {
  return to_labels(load_array(spec), remap_option);
}
inline std::vector<double> load_scores(const std::string& spec) { return to_scores(load_array(spec)); }
inline std::vector<bool> load_correct(const std::string& spec) { return to_correct(load_array(spec)); }

/// Checks that features (of `feature_rows` rows) and labels describe the same samples.
void check_same_rows(std::size_t feature_rows, const std::string& features_name,
                     const std::vector<std::int32_t>& labels, const std::string& labels_name);
inline void check_same_rows(const Matrix<float>& features, const std::string& features_name,
                            const std::vector<std::int32_t>& labels, const std::string& labels_name) {
  check_same_rows(features.rows, features_name, labels, labels_name);
}

/// Checks that `features` (named `features_name`) have the width of the train features (`train_name`), which a
/// detector fitted on those scores.
void check_same_width(const Matrix<float>& features, const std::string& features_name, std::size_t train_cols,
                      const std::string& train_name);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory (<path>.tmp.<pid>), fsync, then
/// rename. A reader sees the old file or the whole new one, never a part. A symbolic link is written through (the
/// file it names is replaced, the link stays); a path that is a device, a FIFO, a folder or a link to nothing is
/// refused (check_output_file). Failures are InputErrors naming the path (FileSystemErrors for the OS's reasons:
/// no space left, permission denied), and leave no temporary file.
void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);
/// write_file_atomic for several files, all or none: every file is written to its temporary file first, and only
/// when all are written are they renamed into place. A failure (a disk with room for one of two) leaves none.
void write_files_atomic(const std::vector<std::pair<std::string, std::span<const std::byte>>>& files);

/// The whole file (text, or bytes for a binary reader). An InputError "<path>: cannot open <what> (<reason>)" when
/// it cannot be read.
std::string read_text_file(const std::string& path, const std::string& what = "the file");
/// Writes all of `bytes` to the open file `fd` and syncs it to disk; otherwise an InputError "<path>: <failure>
/// (<reason>)" (the caller closes `fd`).
void write_all_synced(int fd, std::span<const std::byte> bytes, const std::string& path,
                      const std::string& failure = "write failed");
/// write_file_atomic for text.
void write_text_atomic(const std::string& path, std::string_view text);

/// Refuses early (before any work) when `path` cannot be written: its directory is missing or not writable.
void check_writable(const std::string& path);

/// An output named by a command-line option: the option ("--out") and the path.
struct NamedOutput {
  std::string option, path;
};

/// Refuses early an output that is one of the files `input_specs` read (array specs: their file parts) or that an
/// earlier output names too: writing it would replace the user's data or another result of the same command.
void check_outputs_distinct(const std::vector<NamedOutput>& outputs, const std::vector<std::string>& input_specs);

}  // namespace oodbench

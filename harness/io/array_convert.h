// Arrays as what a run uses them for: features, class labels, scores, correctness; each checked for its shape, type
// and values, with an InputError naming the file, row and column of what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/io/npy.h"
#include "harness/io/remap_advice.h"
#include "kernels/matrix.h"

namespace oodbench {

/// A 2-D float array (float16/32/64) as float32 features, rejecting NaN or Inf with its row and column.
Matrix<float> to_features(const NpyArray& array);

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

}  // namespace oodbench

// Checks that class labels are 0..C-1 with every class present, and says how to fix them when they are not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/io/array_convert.h"

namespace oodbench {

/// The class count C of non-empty `labels` (each >= 0). `head_classes` > 0 is the class count of a supplied head,
/// which the labels must fit. Anything but 0..C-1 with every class present is an InputError naming the labels found,
/// the rows of a likely typo, and how to remap (no silent remapping: result class indices must match the user's).
/// `source` names the labels in the message (their file, or the argument that gave them); `remap_option` how to ask
/// for remapping.
std::size_t check_class_labels(const std::vector<std::int32_t>& labels, std::size_t head_classes,
                               const std::string& source, const std::string& remap_option);

/// Class labels and, when they were remapped, what each class stands for.
struct ClassLabels {
  std::vector<std::int32_t> labels;
  nlohmann::json map;  ///< null, or an array: map[c] is the original label (integer or string) of class c

  /// "0 <- 3, 1 <- 7" (or "0 <- 'cat', ..."), at most `shown` pairs, for notes and reports.
  static std::string map_text(const nlohmann::json& map, std::size_t shown = 12);
  /// The note that says so when labels were remapped: "<what> remapped to 0..C-1: <map_text>".
  static std::string remapped_note(const nlohmann::json& map, const std::string& what);
};

/// Any integer or string labels mapped to 0..C-1 in sorted order (integers numerically, strings byte-wise).
ClassLabels remap_class_labels(const RawLabels& raw);

/// Train labels: with `remap`, remapped (even when already 0..C-1, so the record always says so); without, they must
/// be integers >= 0 (to_labels, whose message suggests `remap_option`), and check_class_labels later wants 0..C-1.
ClassLabels class_labels(const NpyArray& array, bool remap, const std::string& remap_option);
/// The same, read from `spec`.
ClassLabels load_class_labels(const std::string& spec, bool remap, const std::string& remap_option);

/// Labels of another split (ID val), mapped the way the train labels were: through `train_map` when they were
/// remapped (a label the train labels lack is an InputError naming the row), else as integers >= 0.
std::vector<std::int32_t> labels_like_train(const NpyArray& array, const nlohmann::json& train_map,
                                            const std::string& remap_option);
/// The same, read from `spec`.
std::vector<std::int32_t> load_labels_like_train(const std::string& spec, const nlohmann::json& train_map,
                                                 const std::string& remap_option);

}  // namespace oodbench

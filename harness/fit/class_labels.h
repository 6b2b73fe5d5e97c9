// Checks that class labels are 0..C-1 with every class present, and says how to fix them when they are not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace oodbench {

/// The class count C of non-empty `labels` (each >= 0). `head_classes` > 0 is the class count of a supplied head,
/// which the labels must fit. Anything but 0..C-1 with every class present is an InputError naming the labels found,
/// the rows of a likely typo, and how to remap (no silent remapping: result class indices must match the user's).
std::size_t check_class_labels(const std::vector<std::int32_t>& labels, std::size_t head_classes);

}  // namespace oodbench

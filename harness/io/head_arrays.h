// Reading a supplied linear head z = W x + b from two array files, for `score` and for sweeps alike.
#pragma once

#include <string>
#include <vector>

#include "harness/io/npy.h"
#include "kernels/matrix.h"

namespace oodbench {

/// Head weights W of shape (classes, features) for features with `feature_cols` columns. A transposed W (features,
/// classes) or a width matching nothing is an InputError giving the expected shape.
Matrix<float> load_head_weights(const std::string& spec, std::size_t feature_cols);

/// Head bias b with one entry per row of W (`classes`, read from `weights_spec`). Shapes (C,), (1, C) and (C, 1)
/// are all read as a vector; a length other than `classes` is an InputError naming both files.
std::vector<float> load_head_bias(const std::string& spec, std::size_t classes, const std::string& weights_spec);

/// The same checks on arrays already in memory (the Python module's `head=(W, b)`); errors name each array by its
/// source, as the caller named its argument.
Matrix<float> head_weights(const NpyArray& weights, std::size_t feature_cols);
std::vector<float> head_bias(NpyArray bias, std::size_t classes, const std::string& weights_name);

}  // namespace oodbench

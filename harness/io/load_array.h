// Reading the arrays a run needs from files named as array_spec.h describes, as features, labels, scores or
// correctness (array_convert.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/io/array_convert.h"
#include "harness/io/array_spec.h"
#include "harness/io/npy.h"
#include "kernels/matrix.h"

namespace oodbench {

/// Loads `spec` (array_spec.h), squeezing singleton axes of arrays with more than two (an (N, 1, D) or (N, D, 1, 1)
/// array is read as (N, D), with a note). Errors name the file and key. A directory, or a file of a format that
/// is not read (.pt...), is refused before reading, saying how to convert it.
NpyArray load_array(const std::string& spec);
/// Drops the singleton axes of an array with more than two, later axes first, then a leading one ((N, 1, D) and
/// (N, D, 1, 1) become (N, D)), with a note; an InputError if more than two axes remain.
void squeeze_singletons(NpyArray& a);

/// Checks, without decoding the data, that `spec` names existing files (and key) of a readable format: an
/// InputError saying what is missing or wrong, as load_array would.
void check_array_exists(const std::string& spec);

/// to_features(load_array(spec)), with plain .npy files and .npz members read straight into the matrix.
Matrix<float> load_features(const std::string& spec);
inline std::vector<std::int32_t> load_labels(const std::string& spec, const std::string& remap_option = "") {
  return to_labels(load_array(spec), remap_option);
}
inline std::vector<double> load_scores(const std::string& spec) { return to_scores(load_array(spec)); }
inline std::vector<bool> load_correct(const std::string& spec) { return to_correct(load_array(spec)); }

}  // namespace oodbench

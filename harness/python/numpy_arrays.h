// NumPy arrays in and out of the engine. Inputs are read in place (an NpyArray viewing the buffer, as a memory-mapped
// .npy is read) and copied once, into the engine's own matrix, with the same checks and messages as arrays read from
// files; outputs hand their vector to NumPy without a copy.
#pragma once

#include <pybind11/numpy.h>

#include <string>
#include <vector>

#include "harness/io/load_array.h"

namespace oodbench::python {

/// `array` (C-contiguous, native byte order: the Python layer makes it so) viewed in place, its messages naming
/// `name`; `array` must outlive the result. An unsupported dtype is an InputError naming the dtypes accepted.
NpyArray view_of_numpy(const pybind11::array& array, const std::string& name);

/// 2-D float features and 1-D float scores, as load_features/scores read them from files.
/// Called with the GIL held; the copy itself runs without it.
Matrix<float> features_from(const pybind11::array& array, const std::string& name);
std::vector<double> scores_from(const pybind11::array& array, const std::string& name);

/// An array read by the engine's readers (any format a config or the command line names) as NumPy: its own dtype
/// and shape, or a list of str for text.
pybind11::object to_numpy(NpyArray&& array);

/// A float32 NumPy array that owns `values` (moved, not copied).
pybind11::array_t<float> to_numpy(std::vector<float>&& values);
/// A float32 (rows, cols) NumPy copy of `m`, for arrays handed to user code that may keep them.
pybind11::array_t<float> copy_to_numpy(const Matrix<float>& m);

}  // namespace oodbench::python

#include "harness/python/numpy_arrays.h"

#include <cstring>
#include <map>

#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {
namespace {

/// The engine's dtype for a NumPy dtype, or an InputError listing what is accepted.
DType engine_dtype(const py::dtype& dt, const std::string& name) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f' && size == 2) return DType::float16;
  if (kind == 'f' && size == 4) return DType::float32;
  if (kind == 'f' && size == 8) return DType::float64;
  if (kind == 'i' && size == 1) return DType::int8;
  if (kind == 'i' && size == 2) return DType::int16;
  if (kind == 'i' && size == 4) return DType::int32;
  if (kind == 'i' && size == 8) return DType::int64;
  if (kind == 'u' && size == 1) return DType::uint8;
  if (kind == 'b' && size == 1) return DType::boolean;  // one byte, 0 or 1: correctness flags
  if (kind == 'u' && size == 2) return DType::uint16;
  if (kind == 'u' && size == 4) return DType::uint32;
  if (kind == 'u' && size == 8) return DType::uint64;
  throw InputError(name + ": dtype " + py::str(static_cast<const py::object&>(dt)).cast<std::string>() +
                   " is not supported; features and scores are float16/float32/float64, labels integers or str");
}

}  // namespace

NpyArray view_of_numpy(const py::array& array, const std::string& name) {
  if (!(array.flags() & py::array::c_style)) {
    throw InputError(name + ": expected a C-contiguous array (numpy.ascontiguousarray makes one)");
  }
  NpyArray view;
  view.source = name;
  if (array.dtype().kind() == 'U') {  // str labels (the Python layer turns an object array of str into this)
    view.dtype = DType::text;
    for (py::ssize_t d = 0; d < array.ndim(); ++d) view.shape.push_back(static_cast<std::size_t>(array.shape(d)));
    for (const py::handle word : array.attr("ravel")().attr("tolist")())
      view.strings.push_back(word.cast<std::string>());
    return view;
  }
  view.dtype = engine_dtype(array.dtype(), name);
  if (array.ndim() < 1) throw InputError(name + ": expected an array, got a scalar");
  for (py::ssize_t d = 0; d < array.ndim(); ++d) view.shape.push_back(static_cast<std::size_t>(array.shape(d)));
  squeeze_singletons(view);  // (N, 1, D) as the files' readers take it
  view.view = {static_cast<const std::byte*>(array.data()), static_cast<std::size_t>(array.nbytes())};
  view.owner = std::shared_ptr<const void>(array.data(), [](const void*) {});  // the caller holds the array
  return view;
}

Matrix<float> features_from(const py::array& array, const std::string& name) {
  const NpyArray view = view_of_numpy(array, name);
  py::gil_scoped_release release;  // `array` stays referenced by the caller
  return to_features(view);
}

std::vector<double> scores_from(const py::array& array, const std::string& name) {
  const NpyArray view = view_of_numpy(array, name);
  py::gil_scoped_release release;
  return to_scores(view);
}

py::object to_numpy(NpyArray&& array) {
  if (array.dtype == DType::text) {  // a list of str, as the docs promise; bytes that are not UTF-8 become U+FFFD
    py::list words;
    for (const std::string& w : array.strings)
      words.append(py::reinterpret_steal<py::str>(
          PyUnicode_DecodeUTF8(w.data(), static_cast<py::ssize_t>(w.size()), "replace")));
    return words;
  }
  static const std::map<DType, const char*> names = {
      {DType::float16, "float16"}, {DType::float32, "float32"}, {DType::float64, "float64"}, {DType::int8, "int8"},
      {DType::int16, "int16"},     {DType::int32, "int32"},     {DType::int64, "int64"},     {DType::uint8, "uint8"},
      {DType::uint16, "uint16"},   {DType::uint32, "uint32"},   {DType::uint64, "uint64"},   {DType::boolean, "bool"}};
  std::vector<py::ssize_t> shape(array.shape.begin(), array.shape.end());
  py::array out(py::dtype(names.at(array.dtype)), shape);
  const std::span<const std::byte> data = array.data();
  std::memcpy(out.mutable_data(), data.data(), data.size());
  return out;
}

py::array_t<float> to_numpy(std::vector<float>&& values) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>({owned->size()}, {sizeof(float)}, owned->data(), free_when_done);
}

py::array_t<float> copy_to_numpy(const Matrix<float>& m) {
  py::array_t<float> out({m.rows, m.cols});
  std::memcpy(out.mutable_data(), m.data.data(), m.data.size() * sizeof(float));
  return out;
}

}  // namespace oodbench::python

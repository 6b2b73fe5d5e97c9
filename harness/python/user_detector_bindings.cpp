// A researcher's own detector, written in Python, as a detector of the sweep: the Python layer describes the class
// (name, parameters from its __init__ defaults, a hash of its code) and this file registers it for the length of a
// run. The sweep then treats it like a built-in: its cells, resume, tables, plots and bootstrap are the same code.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "harness/detectors/detector.h"
#include "harness/python/bindings.h"
#include "harness/python/numpy_arrays.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {
namespace {

/// What a user detector's fit(data) sees: the ID train data and the shared fits, as NumPy copies it may keep.
/// Valid only during fit(); afterwards every attribute raises.
class FitData {
 public:
  explicit FitData(FitContext* ctx) : ctx_(ctx) {}
  void close() { ctx_ = nullptr; }

  py::array_t<float> train() const { return copy_to_numpy(context().train()); }
  py::object labels() const {
    if (!context().has_labels()) return py::none();
    const auto& y = context().labels();
    return py::array_t<std::int32_t>(static_cast<py::ssize_t>(y.size()), y.data());
  }
  py::object val() const {
    const Matrix<float>* v = context().validation();
    return v ? py::object(copy_to_numpy(*v)) : py::none();
  }
  /// The supplied head or the probe trained on the labels, as (W, b).
  py::tuple head() const {
    const LinearHead* h = nullptr;
    {
      py::gil_scoped_release release;
      h = &context().head();
    }
    py::array_t<float> b(static_cast<py::ssize_t>(h->bias.size()), h->bias.data());
    return py::make_tuple(copy_to_numpy(h->weight), b);
  }
  std::size_t classes() const { return context().classes(); }
  std::size_t dims() const { return context().dims(); }
  std::string device() const { return context().backend().description(); }

 private:
  FitContext& context() const {
    if (!ctx_) throw InputError("the fit data is only available during fit(); keep what you need from it there");
    return *ctx_;
  }
  FitContext* ctx_;
};

class UserDetector final : public Detector {
 public:
  UserDetector(std::string name, py::object instance) : name_(std::move(name)), instance_(std::move(instance)) {}
  ~UserDetector() override {
    py::gil_scoped_acquire gil;
    instance_ = py::object();
  }

  void fit(FitContext& ctx) override {
    py::gil_scoped_acquire gil;
    auto data = py::cast(FitData(&ctx));
    try {
      instance_.attr("fit")(data);
    } catch (...) {
      data.cast<FitData&>().close();
      throw;
    }
    data.cast<FitData&>().close();
  }

  std::vector<float> score(const Matrix<float>& x, const Backend&) const override {
    py::gil_scoped_acquire gil;
    const py::object result = instance_.attr("score")(copy_to_numpy(x));
    const auto numpy = py::module_::import("numpy");
    const py::array scores = numpy.attr("ascontiguousarray")(result, numpy.attr("float64"));
    const std::string what = name_ + ".score()";
    if (scores.ndim() != 1 || static_cast<std::size_t>(scores.shape(0)) != x.rows) {
      throw InputError(what + " returned an array of shape " + py::str(scores.attr("shape")).cast<std::string>() +
                       " for " + std::to_string(x.rows) + " rows; expected one score per row, shape (" +
                       std::to_string(x.rows) + ",)");
    }
    const std::vector<double> s = scores_from(scores, what);
    return {s.begin(), s.end()};
  }

 private:
  std::string name_;
  py::object instance_;
};

DetectorInfo info_from(const nlohmann::json& d) {
  DetectorInfo info;
  info.name = d.at("name");
  info.summary = d.at("summary");
  info.reference = d.at("reference");
  info.needs_labels = d.at("needs_labels");
  info.needs_head = d.at("needs_head");
  info.code_version = d.at("code_version");
  for (const auto& p : d.at("params")) info.params.push_back({p.at("name"), p.at("default"), p.at("doc"), {}});
  return info;
}

}  // namespace

void bind_user_detectors(py::module_& m) {
  py::class_<FitData>(m, "FitData",
                      "What a user-defined detector's fit(data) sees: the ID train data and the shared fits, as NumPy "
                      "copies it may keep. Valid only during fit().")
      .def_property_readonly("train", &FitData::train, "ID train features, float32 (N, D)")
      .def_property_readonly("labels", &FitData::labels, "ID train labels 0..C-1 (int32, N), or None")
      .def_property_readonly("val", &FitData::val, "ID validation features, float32, or None")
      .def_property_readonly("head", &FitData::head,
                             "(W, b): the supplied linear head, or the probe trained on the labels (once, shared)")
      .def_property_readonly("classes", &FitData::classes, "number of classes C (0 without labels or head)")
      .def_property_readonly("dims", &FitData::dims, "feature width D")
      .def_property_readonly("device", &FitData::device, "the backend the sweep runs on");
  m.def(
      "add_user_detector",
      [](const nlohmann::json& description, py::object cls) {
        std::string name = description.at("name");
        add_user_detector(info_from(description), [name, cls](const Params& params) -> std::unique_ptr<Detector> {
          py::gil_scoped_acquire gil;
          py::dict kwargs;
          for (const auto& [key, value] : params.values().items()) kwargs[py::str(key)] = py::cast(value);
          return std::make_unique<UserDetector>(name, cls(**kwargs));
        });
      },
      py::arg("description"), py::arg("cls"));
  m.def("remove_user_detector", &remove_runtime_detector, py::arg("name"));
}

}  // namespace oodbench::python

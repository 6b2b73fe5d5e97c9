// `oodbench.Detector`: one detector fitted on arrays and scoring arrays, on the CPU or the GPU, exactly as
// `oodbench score` does it (the same FitContext, the same fit, the same scoring), so scores agree bit for bit.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include <memory>
#include <optional>

#include "harness/detectors/detector.h"
#include "harness/io/head_arrays.h"
#include "harness/python/bindings.h"
#include "harness/python/numpy_arrays.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {
namespace {

class FittedDetector {
 public:
  FittedDetector(const std::string& name, const nlohmann::json& params, const std::string& device)
      : entry_(&find_detector(name)), params_(Params::resolve(entry_->info, params, "params").values()),
        backend_(make_backend(parse_device_request(device))) {}

  /// Fits on the arrays; returns the fit's warnings (the Python layer issues them as warnings).
  std::vector<std::string> fit(const py::array& train, const std::optional<py::array>& labels,
                               const std::optional<py::array>& val, const std::optional<py::array>& val_labels,
                               const std::optional<py::array>& head_weights, const std::optional<py::array>& head_bias) {
    Matrix<float> x = features_from(train, "train");
    std::vector<std::int32_t> y;
    if (labels) {
      y = labels_from(*labels, "labels");
      check_same_rows(x, "train", y, "labels");
    }
    std::optional<LinearHead> head;
    if (head_weights.has_value() != head_bias.has_value()) throw InputError("head: give both W and b, as head=(W, b)");
    if (head_weights) {
      Matrix<float> w = head_weights_from(*head_weights, x.cols);
      std::vector<float> b = oodbench::head_bias(view_of_numpy(*head_bias, "head b"), w.rows, "head W");
      head = LinearHead{std::move(w), std::move(b)};
    }
    std::optional<Matrix<float>> validation;
    if (val) validation = checked_width(features_from(*val, "val"), "val", x.cols);
    if (val_labels) {
      if (!val) throw InputError("val_labels: given without val");
      check_same_rows(*validation, "val", labels_from(*val_labels, "val_labels"), "val_labels");
    }

    EngineScope engine;
    detector_.reset();  // a refit replaces everything, the context the old detector pointed into last
    auto ctx = std::make_unique<FitContext>(*backend_, std::move(x), std::move(y), std::move(head));
    if (validation) ctx->set_validation(std::move(*validation));
    detector_ = make_fitted_detector(*entry_, params_, *ctx, "params");
    context_ = std::move(ctx);
    return context_->warnings();
  }

  py::array_t<float> score(const py::array& x) const {
    if (!detector_) throw InputError(entry_->info.name + ": fit() the detector before score()");
    Matrix<float> features = checked_width(features_from(x, "x"), "x", context_->dims());
    std::vector<float> s;
    {
      EngineScope engine;
      s = detector_->score(features, *backend_);
    }
    return to_numpy(std::move(s));
  }

  const std::string& name() const { return entry_->info.name; }
  const nlohmann::json& params() const { return params_; }
  std::string device() const {
    const CpuThreads threads;  // as the engine runs
    return backend_->description();
  }
  bool fitted() const { return detector_ != nullptr; }

 private:
  static Matrix<float> head_weights_from(const py::array& w, std::size_t dims) {
    return head_weights(view_of_numpy(w, "head W"), dims);
  }
  static Matrix<float> checked_width(Matrix<float> m, const std::string& name, std::size_t train_cols) {
    if (m.cols != train_cols) {
      throw InputError(name + ": " + std::to_string(m.cols) + " columns but the train features (train) have " +
                       std::to_string(train_cols));
    }
    return m;
  }

  const DetectorEntry* entry_;
  nlohmann::json params_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<FitContext> context_;  // detectors keep references into it
  std::unique_ptr<Detector> detector_;
};

}  // namespace

void bind_detectors(py::module_& m) {
  m.def("detectors", [] { return detectors_json(); });
  py::class_<FittedDetector>(m, "Detector")
      .def(py::init<const std::string&, const nlohmann::json&, const std::string&>(), py::arg("name"),
           py::arg("params"), py::arg("device"))
      .def("fit", &FittedDetector::fit, py::arg("train"), py::arg("labels"), py::arg("val"), py::arg("val_labels"),
           py::arg("head_weights"), py::arg("head_bias"))
      .def("score", &FittedDetector::score, py::arg("x"))
      .def_property_readonly("name", &FittedDetector::name)
      .def_property_readonly("params", &FittedDetector::params)
      .def_property_readonly("device", &FittedDetector::device)
      .def_property_readonly("fitted", &FittedDetector::fitted);
}

}  // namespace oodbench::python

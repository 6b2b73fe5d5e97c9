// `oodbench.Detector`: one detector fitted on arrays and scoring arrays, on the CPU or the GPU, exactly as
// `oodbench score` does it (the same FitContext, the same fit, the same scoring), so scores agree bit for bit.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include <memory>
#include <optional>

#include "harness/detectors/detector.h"
#include "harness/detectors/model_file.h"
#include "harness/fit/class_labels.h"
#include "harness/io/head_arrays.h"
#include "harness/python/bindings.h"
#include "harness/python/numpy_arrays.h"
#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {
namespace {

/// How a Python caller asks for remapped labels and gives each input, for messages saying what to add.
const std::string kRemapArgument = "remap_labels=True";
InputNames python_input_names() {
  return {"fit(train, labels)", "fit(..., val=..., val_labels=...), or fit(train, labels)", "fit(..., head=(W, b))",
          "fit(..., val=...)"};
}

class FittedDetector {
 public:
  FittedDetector(const std::string& name, const nlohmann::json& params, const std::string& device)
      : entry_(&find_detector(name)), params_(Params::resolve(entry_->info, params, "params").values()),
        backend_(python_backend(device)) {}

  /// A detector read from a model file: fitted, with no FitContext (its state owns what it needs).
  static std::unique_ptr<FittedDetector> load(const std::string& path, const std::string& device) {
    LoadedModel model = load_model(path, ModelCaller::python);
    auto out = std::make_unique<FittedDetector>(model.entry->info.name, model.params, device);
    out->detector_ = std::move(model.detector);
    out->provenance_ = {model.meta.value("train_hash", ""), model.dims, model.meta.value("classes", std::size_t{0})};
    out->source_ = path;
    return out;
  }

  void save(const std::string& path) {
    if (!detector_) throw InputError(entry_->info.name + ": fit() the detector before save()");
    check_writable(path);
    EngineScope engine;
    save_model(path, *entry_, params_, *detector_, provenance_);
  }

  /// Fits on the arrays; returns the fit's warnings (the Python layer issues them as warnings). `remap_labels`
  /// maps any integer or string labels to 0..C-1 as `--remap-labels` does, saying so on sys.stderr; label_map()
  /// then tells what each class stands for.
  std::vector<std::string> fit(const py::array& train, const std::optional<py::array>& labels,
                               const std::optional<py::array>& val, const std::optional<py::array>& val_labels,
                               const std::optional<py::array>& head_w, const std::optional<py::array>& head_b,
                               bool remap_labels) {
    if (remap_labels && !labels) throw InputError("remap_labels=True needs labels");
    Matrix<float> x = features_from(train, "train");
    std::vector<std::int32_t> y;
    nlohmann::json label_map;
    if (labels) {
      ClassLabels loaded = class_labels(view_of_numpy(*labels, "labels"), remap_labels, kRemapArgument);
      y = std::move(loaded.labels);
      label_map = std::move(loaded.map);
      check_same_rows(x, "train", y, "labels");
    }
    std::optional<LinearHead> head;
    if (head_w.has_value() != head_b.has_value()) throw InputError("head: give both W and b, as head=(W, b)");
    if (head_w) {
      Matrix<float> w = head_weights(view_of_numpy(*head_w, "head W"), x.cols);
      std::vector<float> b = head_bias(view_of_numpy(*head_b, "head b"), w.rows, "head W");
      head = LinearHead{std::move(w), std::move(b)};
    }
    std::optional<Matrix<float>> validation;
    if (val) {
      validation = features_from(*val, "val");
      check_same_width(*validation, "val", x.cols, "train");
    }
    std::vector<std::int32_t> validation_labels;
    if (val_labels) {
      if (!val) throw InputError("val_labels: given without val");
      validation_labels = labels_like_train(view_of_numpy(*val_labels, "val_labels"), label_map, kRemapArgument);
      check_same_rows(*validation, "val", validation_labels, "val_labels");
    }

    if (!y.empty()) check_class_labels(y, head ? head->classes() : 0, "labels", kRemapArgument);  // as the argument
    EngineScope engine;
    detector_.reset();  // a refit replaces everything, the context the old detector pointed into last
    auto ctx = std::make_unique<FitContext>(*backend_, std::move(x), std::move(y), std::move(head));
    if (validation) ctx->set_validation(std::move(*validation), std::move(validation_labels));  // checks the classes
    if (backend_->kind() == DeviceKind::cuda) ctx->keep_resident();  // train crosses the bus once, not per score()
    detector_ = make_fitted_detector(*entry_, params_, *ctx, "params", python_input_names());
    provenance_ = provenance_of(*ctx);
    source_ = "train";
    context_ = std::move(ctx);
    label_map_ = std::move(label_map);
    if (!label_map_.is_null())  // the line `oodbench fit --remap-labels` prints
      write_to_python_stderr("oodbench: " + ClassLabels::remapped_note(label_map_, "labels"));
    return context_->warnings();
  }

  py::array_t<float> score(const py::array& x) const {
    if (!detector_) throw InputError(entry_->info.name + ": fit() the detector before score()");
    const Matrix<float> features = features_from(x, "x");
    check_same_width(features, "x", provenance_.dims, source_);
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
  /// What class c stands for after a remapped fit (the original label, int or str), else None.
  py::object label_map() const {
    return label_map_.is_null() ? py::none() : py::object(py::cast(label_map_));
  }

 private:
  const DetectorEntry* entry_;
  nlohmann::json params_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<FitContext> context_;  // detectors keep references into it; none after a load
  std::unique_ptr<Detector> detector_;
  TrainProvenance provenance_;
  std::string source_ = "train";  // what the detector was fitted on, for messages
  nlohmann::json label_map_;      // null unless the last fit remapped its labels
};

}  // namespace

void bind_detectors(py::module_& m) {
  m.def("detectors", [] { return detectors_json(); });
  m.def("load_detector", &FittedDetector::load, py::arg("path"), py::arg("device"));
  py::class_<FittedDetector>(m, "Detector")
      .def(py::init<const std::string&, const nlohmann::json&, const std::string&>(), py::arg("name"),
           py::arg("params"), py::arg("device"))
      .def("fit", &FittedDetector::fit, py::arg("train"), py::arg("labels"), py::arg("val"), py::arg("val_labels"),
           py::arg("head_weights"), py::arg("head_bias"), py::arg("remap_labels"))
      .def("score", &FittedDetector::score, py::arg("x"))
      .def("save", &FittedDetector::save, py::arg("path"))
      .def_property_readonly("name", &FittedDetector::name)
      .def_property_readonly("params", &FittedDetector::params)
      .def_property_readonly("device", &FittedDetector::device)
      .def_property_readonly("fitted", &FittedDetector::fitted)
      .def_property_readonly("label_map", &FittedDetector::label_map);
}

}  // namespace oodbench::python

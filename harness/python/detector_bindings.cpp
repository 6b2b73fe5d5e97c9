// `oodbench.Detector`: one detector fitted on arrays and scoring arrays, on the CPU or the GPU, exactly as
// `oodbench score` does it (the same FitContext, the same fit, the same scoring), so scores agree bit for bit.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>
#include <variant>

#include "harness/detectors/detector.h"
#include "harness/detectors/model_file.h"
#include "harness/fit/class_labels.h"
#include "harness/fit/fit_assembly.h"
#include "harness/io/head_arrays.h"
#include "harness/io/output_checks.h"
#include "harness/python/bindings.h"
#include "harness/python/numpy_arrays.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {
namespace {

/// How a Python caller asks for remapped labels and gives each input, for messages saying what to add.
const std::string kRemapArgument = "remap_labels=True";
FitInputAdvice python_input_advice() {
  return {"fit(train, labels)", "fit(..., val=..., val_labels=...), or fit(train, labels)", "fit(..., head=(W, b))",
          "fit(..., val=...)"};
}

/// How oodbench.load words a model file it cannot use.
ModelWording python_model_wording() {
  return {.reader = "oodbench.load",
          .writer = "Detector.save",
          .refit = [](const std::string& detector, const std::string& path) {
            const std::string named = detector.empty() ? "" : "\"" + detector + "\", ";
            return "oodbench.Detector(" + named + "...).fit(train).save(\"" + path + "\")";
          },
          .first_save = "oodbench.Detector(...).fit(train).save(\"model.oodb\")"};
}

/// What fit() (or a load) made: the detector, the context it borrows from, and what it was fitted on. Never changed
/// once made: a refit makes a new one and swaps it in, so a score() in flight keeps the one it started with.
struct Fitted {
  std::unique_ptr<FitContext> context;  // detectors keep references into it; none after a load
  std::unique_ptr<Detector> detector;
  TrainProvenance provenance;
  std::string source = "train";  // what the detector was fitted on, for messages
  nlohmann::json label_map;      // null unless the fit remapped its labels
};

/// Safe to share between Python threads (the GIL is released while the engine works): fit() builds a new Fitted and
/// swaps it in under a mutex held only for the swap; score() takes the current one and scores with it, so scores run
/// in parallel with each other and with a refit. On a GPU a fit also holds `device_use_` exclusively (scores share
/// it): the autoencoder's training switches the stream of the backend's cuBLAS handle, which scores use too.
class FittedDetector {
 public:
  FittedDetector(const std::string& name, const nlohmann::json& params, const std::string& device)
      : entry_(&find_detector_to_fit(name, params)), params_(Params::resolve(entry_->info, params, "params").values()),
        backend_(python_backend(device)) {}

  /// A detector read from a model file: fitted, with no FitContext (its state owns what it needs).
  static std::unique_ptr<FittedDetector> load(const std::string& path, const std::string& device) {
    LoadedModel model = load_model(path, python_model_wording());
    auto out = std::make_unique<FittedDetector>(model.entry->info.name, model.params, device);
    auto fitted = std::make_shared<Fitted>();
    fitted->detector = std::move(model.detector);
    fitted->provenance = model.provenance;
    fitted->source = path;
    out->fitted_ = std::move(fitted);
    return out;
  }

  void save(const std::string& path) const {
    const std::shared_ptr<const Fitted> fitted = current();
    if (!fitted) throw InputError(entry_->info.name + ": fit() the detector before save()");
    check_writable(path);
    EngineScope engine;
    save_model(path, *entry_, params_, *fitted->detector, fitted->provenance);
  }

  /// Fits on the arrays; returns the fit's warnings (the Python layer issues them as warnings). `remap_labels`
  /// maps any integer or string labels to 0..C-1 as `--remap-labels` does, saying so on sys.stderr; label_map()
  /// then tells what each class stands for.
  std::vector<std::string> fit(const py::array& train, const std::optional<py::array>& labels,
                               const std::optional<py::array>& val, const std::optional<py::array>& val_labels,
                               const std::optional<py::array>& head_w, const std::optional<py::array>& head_b,
                               bool remap_labels) {
    if (remap_labels && !labels) throw InputError("remap_labels=True needs labels");
    FitAssembly assembly({.train = "train", .labels = "labels", .val = "val", .val_labels = "val_labels"});
    assembly.train(features_from(train, "train"));
    nlohmann::json label_map;
    if (labels) {
      ClassLabels loaded = class_labels(view_of_numpy(*labels, "labels"), remap_labels, kRemapArgument);
      label_map = std::move(loaded.map);
      assembly.labels(std::move(loaded.labels));
    }
    if (head_w.has_value() != head_b.has_value()) throw InputError("head: give both W and b, as head=(W, b)");
    if (head_w) {
      Matrix<float> w = head_weights(view_of_numpy(*head_w, "head W"), assembly.dims());
      std::vector<float> b = head_bias(view_of_numpy(*head_b, "head b"), w.rows, "head W");
      assembly.head(LinearHead{std::move(w), std::move(b)});
    }
    if (val) assembly.val(features_from(*val, "val"));
    if (val_labels) {
      if (!val) throw InputError("val_labels: given without val");
      assembly.val_labels(labels_like_train(view_of_numpy(*val_labels, "val_labels"), label_map, kRemapArgument));
    }
    assembly.check_classes("labels", kRemapArgument);  // as the argument
    std::shared_ptr<const Fitted> fresh, old;
    {
      EngineScope engine;
      const DeviceUse use = device_use(/*exclusive=*/true);
      auto fitted = std::make_shared<Fitted>();
      fitted->context = std::make_unique<FitContext>(assembly.finish(*backend_));  // checks the val classes too
      FitContext& ctx = *fitted->context;
      if (backend_->kind() == DeviceKind::cuda) ctx.keep_resident();  // train crosses the bus once, not per score()
      fitted->detector = make_fitted_detector(*entry_, params_, ctx, "params", python_input_advice());
      fitted->provenance = provenance_of(ctx);
      fitted->label_map = std::move(label_map);
      fresh = std::move(fitted);
    }
    {
      const std::lock_guard<std::mutex> lock(swap_);
      old = std::exchange(fitted_, fresh);
    }
    {
      EngineScope engine;  // the old state (a GPU's resident arrays among it) goes once no score() holds it
      old.reset();
    }
    if (!fresh->label_map.is_null())  // the line `oodbench fit --remap-labels` prints
      write_to_python_stderr("oodbench: " + ClassLabels::remapped_note(fresh->label_map, "labels"));
    std::vector<std::string> warnings;  // each naming the detector, as `oodbench fit` prints them
    for (const std::string& w : fresh->context->warnings()) warnings.push_back(entry_->info.name + ": " + w);
    return warnings;
  }

  py::array_t<float> score(const py::array& x) const {
    const std::shared_ptr<const Fitted> fitted = current();
    if (!fitted) throw InputError(entry_->info.name + ": fit() the detector before score()");
    const Matrix<float> features = features_from(x, "x");
    check_same_width(features, "x", fitted->provenance.dims, fitted->source);
    std::vector<float> s;
    {
      EngineScope engine;
      const DeviceUse use = device_use(/*exclusive=*/false);
      s = finite_scores(*fitted->detector, entry_->info.name, features, *backend_, "x");
    }
    return to_numpy(std::move(s));
  }

  const std::string& name() const { return entry_->info.name; }
  const nlohmann::json& params() const { return params_; }
  std::string device() const {
    const CpuThreads threads;  // as the engine runs
    return backend_->description();
  }
  bool fitted() const { return current() != nullptr; }
  /// What class c stands for after a remapped fit (the original label, int or str), else None.
  py::object label_map() const {
    const std::shared_ptr<const Fitted> fitted = current();
    return !fitted || fitted->label_map.is_null() ? py::none() : py::object(py::cast(fitted->label_map));
  }

 private:
  std::shared_ptr<const Fitted> current() const {
    const std::lock_guard<std::mutex> lock(swap_);
    return fitted_;
  }

  /// A hold on the GPU backend (exclusive for a fit, shared for a score); nothing on the CPU, whose backend any
  /// number of threads may use at once.
  using DeviceUse = std::variant<std::monostate, std::unique_lock<std::shared_mutex>, std::shared_lock<std::shared_mutex>>;
  DeviceUse device_use(bool exclusive) const {
    if (backend_->kind() != DeviceKind::cuda) return {};
    if (exclusive) return std::unique_lock(device_use_);
    return std::shared_lock(device_use_);
  }

  const DetectorEntry* entry_;
  nlohmann::json params_;
  std::unique_ptr<Backend> backend_;
  mutable std::mutex swap_;                // guards fitted_ (the pointer, never what it points to)
  std::shared_ptr<const Fitted> fitted_;  // null until fit() or a load
  mutable std::shared_mutex device_use_;
};

}  // namespace

void bind_detectors(py::module_& m) {
  m.def("detectors", [] { return methods_json(); });
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

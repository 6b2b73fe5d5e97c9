// The detector interface (DESIGN.md): fit on ID train through a FitContext, then score any features.
// Every score is an outlier score: higher = more OOD.
//
// A detector is one .cpp file in this folder that describes itself (DetectorInfo) and registers with
// OODBENCH_REGISTER_DETECTOR; nothing else needs editing for it to appear in `oodbench detectors`, `score` and configs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/fit/fit_context.h"
#include "harness/fit/fit_input_error.h"
#include "kernels/backend.h"

namespace oodbench {

/// One parameter: its name, default (whose JSON type is the type expected), what it does, and allowed strings.
struct ParamSpec {
  std::string name;
  nlohmann::json default_value;
  std::string doc;
  std::vector<std::string> choices;  ///< for string parameters; empty = any string
  /// false for a parameter added after results were published (`convention`): at its default it is left out of a
  /// sweep cell's parameters (Params::identity), so the records and cell ids of those results stay what they were.
  bool identity_at_default = true;
};

class Params;

/// The shape of the data a detector is fitted on, known before any cell runs (from the arrays' headers).
struct DataShape {
  std::size_t train_rows = 0;
  std::size_t dims = 0;
  std::size_t val_rows = 0;  ///< 0: no ID validation features
};

/// The shape of what `ctx` fits on (train rows from a deferred file's header, without reading it).
DataShape data_shape(const FitContext& ctx);

/// A parameter value that data of some shape cannot take: the parameter's name, and why (saying what to set).
struct ParamLimit {
  std::string param;
  std::string why;
};

struct DetectorInfo {
  std::string name;        ///< registry key, e.g. "knn"
  std::string summary;     ///< the score in one line
  std::string reference;   ///< docs/methods.md section and paper
  bool needs_labels = false;  ///< needs ID train class labels (class-conditional statistics or a trained probe)
  bool needs_head = false;    ///< needs a linear head: supplied (--head/--bias) or a probe trained on labels
  std::vector<ParamSpec> params = {};
  /// For detectors defined at run time (Python classes): a hash of their code, part of every cell's identity, so
  /// editing the method reruns its cells. Empty for built-ins, whose version is the binary's numbers version.
  std::string code_version = {};
  /// Needs class labels of the rows it fits on, from ID val or ID train, either one (tempscale); checked like
  /// needs_labels, so that `all` skips it where the data has neither.
  bool needs_fit_labels = false;
  /// For detectors fitted on the shared autoencoder (FitContext::autoencoder): the config given parameters train,
  /// so that a sweep can announce every seed's before the first fit and have them trained together.
  std::function<AutoencoderConfig(const Params&)> autoencoder = {};
  /// For parameters whose valid range depends on the data (k <= train rows, principal dimensions < D): what `params`
  /// cannot be on data of `shape`. `validate` checks it before any cell runs; fit() raises the same sentence.
  std::function<std::vector<ParamLimit>(const Params&, const DataShape&)> limits = {};
  /// The parameter values (of a resolved parameter object) that need ID validation features, each as the phrase a
  /// message names it by ("residual_split = val"); unmet_needs says what to add where the data has none.
  std::function<std::vector<std::string>(const nlohmann::json& params)> needs_validation = {};
  /// Whether the detector implements Detector::explain (`oodbench explain`) and Detector::diagnose (`oodbench
  /// diagnose`): the messages of the others list the detectors that do.
  bool explains = false;
  bool diagnoses = false;
};

/// Parameter values checked against a DetectorInfo: every key known, every value of the declared type.
class Params {
 public:
  /// Fills defaults and validates `given` (a JSON object). Errors are InputErrors naming `where` + "/key".
  static Params resolve(const DetectorInfo& info, const nlohmann::json& given, const std::string& where);
  /// Why `value` cannot be parameter `key` of `info` (unknown key, wrong type, not one of its choices), without a
  /// location, so callers that know the value's own location (a config's grid element) can name it; nullopt if it can.
  static std::optional<std::string> problem(const DetectorInfo& info, const std::string& key,
                                            const nlohmann::json& value);

  double number(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::string text(std::string_view name) const;
  const nlohmann::json& values() const { return values_; }
  /// values() without the parameters whose default is no part of a cell's identity (ParamSpec::identity_at_default)
  /// where they have it: what a sweep records and hashes.
  nlohmann::json identity() const { return identity_; }

 private:
  nlohmann::json values_;
  nlohmann::json identity_;
};

/// Why one sample got its score: the score's terms as JSON, and a chart as an SVG document.
struct Explanation {
  nlohmann::json details;
  std::string svg;
};

class StateIO;  // harness/detectors/detector_state.h

class Detector {
 public:
  virtual ~Detector() = default;
  /// Fits on the ID training data. Shared statistics come from `ctx` and are computed once for all detectors; a
  /// fitted detector may keep references to them, so the context must outlive the scoring.
  virtual void fit(FitContext& ctx) = 0;
  /// One outlier score per row of `features` (higher = more OOD).
  virtual std::vector<float> score(const Matrix<float>& features, const Backend& backend) const = 0;
  /// Explains the score of the single row in `sample` (1 x D), listing the `top` most contributing terms.
  /// Detectors without explanations leave this as is: an InputError saying so.
  virtual Explanation explain(const Matrix<float>& sample, std::size_t top, const Backend& backend) const;
  /// A detector-specific diagnostic of how an OOD set differs from ID (e.g. MaRS's residual spectrum), as JSON.
  /// Detectors without one leave this as is: an InputError saying so.
  virtual nlohmann::json diagnose(const Matrix<float>& ood, const Backend& backend) const;
  /// Whether diagnose() is implemented (sweeps record it then).
  virtual bool has_diagnostic() const { return false; }
  /// Saves or loads (io.saving() / io.loading()) every member fit() sets, one io.field() each, so that a loaded
  /// detector scores bit-identically without its FitContext. Members set from Params are not state: a load constructs
  /// the detector from its saved parameters first. Stateless detectors leave this as is.
  virtual void state(StateIO&) {}
  /// The ID split fit() took its statistics from where the reference implementation fits on validation data: "val"
  /// when the context had it, else "train" (the default, for every detector that always fits on train). Sweep
  /// records say it.
  virtual std::string fit_split() const { return "train"; }
};

using DetectorFactory = std::function<std::unique_ptr<Detector>(const Params&)>;

struct DetectorEntry {
  DetectorInfo info;
  DetectorFactory make;
};

/// Every registered detector, sorted by name.
std::vector<const DetectorEntry*> all_detectors();
/// The detector called `name`; an InputError listing the known names otherwise.
const DetectorEntry& find_detector(std::string_view name);
/// The names of the registered detectors whose info sets `flag` (DetectorInfo::explains, diagnoses), as a list.
std::string detectors_with(bool DetectorInfo::*flag);
/// The detector called `name`, or nullptr.
const DetectorEntry* registered_detector(std::string_view name);
/// Adds a detector at static-initialisation time; use OODBENCH_REGISTER_DETECTOR.
bool register_detector(DetectorInfo info, DetectorFactory make);
/// Adds a detector defined at run time (the Python module's user-defined detectors); a name already registered is an
/// InputError. remove_detector takes it away again (built-ins cannot be removed).
void add_runtime_detector(DetectorInfo info, DetectorFactory make);
void remove_runtime_detector(std::string_view name);
/// A detector's name, score, reference, needs and parameters with their defaults, as `oodbench detectors --json`
/// and Python's `oodbench.detectors()` list them.
nlohmann::json describe_detector(const DetectorInfo& info);

/// "key=value" assignments (a command line's `option`, e.g. --param) as a JSON object: values that parse as JSON are
/// JSON ("k=50" -> 50), anything else a string ("shrinkage=ridge"); a malformed one is an InputError naming `option`.
nlohmann::json parse_param_assignments(const std::vector<std::string>& assignments, const std::string& option);

/// What a dataset offers a detector.
struct DataOffer {
  bool labels = false;      ///< ID train class labels
  bool head = false;        ///< a supplied linear head
  bool validation = false;  ///< ID validation features
  bool validation_labels = false;  ///< ID validation class labels
};
/// Why `info` with parameters `params` cannot run on `offer` (one sentence each, saying what to add, as `names`
/// names it); empty if it can.
std::vector<std::string> unmet_needs(const DetectorInfo& info, const nlohmann::json& params, const DataOffer& offer,
                                     const FitInputAdvice& names = {});

/// Validates `params_json`, checks the detector's needs (named as `names` says) and parameter limits
/// (DetectorInfo::limits) against `ctx`, builds and fits it, and checks its fitted state finite (a NaN or Inf is a
/// NonFiniteError naming the detector, what overflowed, and how to rescale the train features).
std::unique_ptr<Detector> make_fitted_detector(const DetectorEntry& entry, const nlohmann::json& params_json,
                                               FitContext& ctx, const std::string& where,
                                               const FitInputAdvice& names = {});

/// A NonFiniteError when a fitted state array of `detector` holds a NaN or Inf, naming the field.
void check_fitted_state(Detector& detector);

/// `detector`'s scores of `x` (named `what`), checked finite: a NaN or Inf score is a NonFiniteError naming the
/// detector (`name`), the set and the row, with how large `x` is and how to rescale it.
std::vector<float> finite_scores(const Detector& detector, const std::string& name, const Matrix<float>& x,
                                 const Backend& backend, const std::string& what);

}  // namespace oodbench

/// Registers detector class TYPE (constructible from Params) with its DetectorInfo. Use it inside the detector's
/// namespace, after the class.
#define OODBENCH_REGISTER_DETECTOR(TYPE, ...)                                                           \
  [[maybe_unused]] const bool registered_##TYPE = ::oodbench::register_detector(                       \
      ::oodbench::DetectorInfo __VA_ARGS__, [](const ::oodbench::Params& p) -> std::unique_ptr<::oodbench::Detector> { \
        return std::make_unique<TYPE>(p);                                                              \
      });

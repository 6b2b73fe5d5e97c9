#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/finite.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

std::map<std::string, DetectorEntry, std::less<>>& registry() {
  static std::map<std::string, DetectorEntry, std::less<>> entries;
  return entries;
}

bool is_runtime(const DetectorEntry& entry) { return !entry.info.code_version.empty(); }

std::string type_name(const nlohmann::json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  return "a " + std::string(v.type_name());
}

}  // namespace

bool register_detector(DetectorInfo info, DetectorFactory make) {
  std::string name = info.name;
  registry().emplace(std::move(name), DetectorEntry{std::move(info), make});
  return true;
}

void add_runtime_detector(DetectorInfo info, DetectorFactory make) {
  if (info.code_version.empty()) throw std::logic_error("add_runtime_detector: a code_version is required");
  const auto it = registry().find(info.name);
  if (it != registry().end()) {
    throw InputError("detector name '" + info.name + "' is already taken by " +
                     (is_runtime(it->second) ? "another user-defined detector" : "a built-in detector") +
                     "; choose another name");
  }
  std::string name = info.name;
  registry().emplace(std::move(name), DetectorEntry{std::move(info), std::move(make)});
}

void remove_runtime_detector(std::string_view name) {
  const auto it = registry().find(name);
  if (it != registry().end() && is_runtime(it->second)) registry().erase(it);
}

nlohmann::json describe_detector(const DetectorInfo& info) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& p : info.params)
    params.push_back({{"name", p.name}, {"default", p.default_value}, {"doc", p.doc}, {"choices", p.choices}});
  return {{"name", info.name}, {"score", info.summary}, {"reference", info.reference},
          {"needs_labels", info.needs_labels}, {"needs_head", info.needs_head},
          {"needs_fit_labels", info.needs_fit_labels}, {"params", params}};
}

std::vector<const DetectorEntry*> all_detectors() {
  std::vector<const DetectorEntry*> out;
  for (const auto& [name, entry] : registry()) out.push_back(&entry);
  return out;
}

const DetectorEntry* registered_detector(std::string_view name) {
  const auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

const DetectorEntry& find_detector(std::string_view name) {
  if (const DetectorEntry* entry = registered_detector(name)) return *entry;
  const std::string known = join(registry(), ", ", [](const auto& named) { return named.first; });
  throw InputError("unknown detector '" + std::string(name) + "' (known: " + known + ")");
}

std::optional<std::string> Params::problem(const DetectorInfo& info, const std::string& key,
                                           const nlohmann::json& value) {
  const auto spec = std::find_if(info.params.begin(), info.params.end(), [&](const auto& s) { return s.name == key; });
  if (spec == info.params.end()) {
    const std::string known = join(info.params, ", ", [](const ParamSpec& s) { return s.name; });
    return "unknown parameter of '" + info.name + "' (known: " + (known.empty() ? "none" : known) + ")";
  }
  const nlohmann::json& def = spec->default_value;
  const bool ok = (def.is_boolean() && value.is_boolean()) || (def.is_number_integer() && value.is_number_integer()) ||
                  (def.is_number_float() && value.is_number()) || (def.is_string() && value.is_string());
  if (!ok) return "expected " + type_name(def) + ", got " + value.dump();
  if (def.is_number_integer() && value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return "expected an integer up to " + std::to_string(std::numeric_limits<std::int64_t>::max()) + ", got " +
           value.dump();  // as given: read as a signed integer it would wrap to a negative one
  if (value.is_string() && !spec->choices.empty() &&
      std::find(spec->choices.begin(), spec->choices.end(), value.get<std::string>()) == spec->choices.end()) {
    return "expected one of " + join(spec->choices) + ", got " + value.dump();
  }
  return std::nullopt;
}

Params Params::resolve(const DetectorInfo& info, const nlohmann::json& given, const std::string& where) {
  if (!given.is_null() && !given.is_object()) throw InputError(where + ": expected an object of parameters");
  Params p;
  p.values_ = nlohmann::json::object();
  for (const ParamSpec& spec : info.params) p.values_[spec.name] = spec.default_value;
  if (!given.is_null()) {
    for (const auto& [key, value] : given.items()) {
      if (const auto why = problem(info, key, value)) throw InputError(where + "/" + key + ": " + *why);
      // floats are stored as doubles even when given as integers ("lr": 1)
      p.values_[key] = p.values_[key].is_number_float() ? nlohmann::json(value.get<double>()) : value;
    }
  }
  p.identity_ = p.values_;
  for (const ParamSpec& spec : info.params)
    if (!spec.identity_at_default && p.values_[spec.name] == spec.default_value) p.identity_.erase(spec.name);
  return p;
}

std::string detectors_with(bool DetectorInfo::*flag) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : registry())
    if (entry.info.*flag) names.push_back(name);
  return join(names);
}

Explanation Detector::explain(const Matrix<float>&, std::size_t, const Backend&) const {
  throw InputError("this detector has no explanation; the detectors with one: " +
                   detectors_with(&DetectorInfo::explains));
}

nlohmann::json Detector::diagnose(const Matrix<float>&, const Backend&) const {
  throw InputError("this detector has no diagnostic; the detectors with one: " +
                   detectors_with(&DetectorInfo::diagnoses));
}

double Params::number(std::string_view name) const { return values_.at(std::string(name)).get<double>(); }
std::int64_t Params::integer(std::string_view name) const { return values_.at(std::string(name)).get<std::int64_t>(); }
bool Params::flag(std::string_view name) const { return values_.at(std::string(name)).get<bool>(); }
std::string Params::text(std::string_view name) const { return values_.at(std::string(name)).get<std::string>(); }

nlohmann::json parse_param_assignments(const std::vector<std::string>& assignments, const std::string& option) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& item : assignments) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(option + " '" + item + "': expected key=value");
    const std::string value = item.substr(eq + 1);
    nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
    out[item.substr(0, eq)] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
  }
  return out;
}

std::vector<std::string> unmet_needs(const DetectorInfo& info, const nlohmann::json& params, const DataOffer& offer,
                                     const FitInputAdvice& names) {
  std::vector<std::string> out;
  const std::string who = "detector '" + info.name + "'";
  if (info.needs_labels && !offer.labels) out.push_back(who + " needs ID train class labels (" + names.labels + ")");
  if (info.needs_fit_labels && !offer.labels && !offer.validation_labels)
    out.push_back(who + " needs class labels of ID val or ID train (" + names.fit_labels + ")");
  if (info.needs_head && !offer.labels && !offer.head)
    out.push_back(who + " needs a linear head: give one (" + names.head + "), or train labels for the probe");
  if (!offer.validation && info.needs_validation) {
    for (const std::string& what : info.needs_validation(params))
      out.push_back(who + ": " + what + " needs ID validation features (" + names.validation + ")");
  }
  return out;
}

void check_fitted_state(Detector& detector) {
  StateIO io = StateIO::checker();
  detector.state(io);
}

std::vector<float> finite_scores(const Detector& detector, const std::string& name, const Matrix<float>& x,
                                 const Backend& backend, const std::string& what) {
  std::vector<float> scores = detector.score(x, backend);
  try {
    check_finite(std::span<const float>(scores), 0, "the scores of " + what + " are");
  } catch (const NonFiniteError& e) {
    throw NonFiniteError(name + ": " + e.what() + "; " + rescale_advice(x, what));
  }
  return scores;
}

DataShape data_shape(const FitContext& ctx) {
  const Matrix<float>* val = ctx.validation();
  return {ctx.train_rows(), ctx.dims(), val ? val->rows : 0};
}

std::unique_ptr<Detector> make_fitted_detector(const DetectorEntry& entry, const nlohmann::json& params_json,
                                               FitContext& ctx, const std::string& where,
                                               const FitInputAdvice& names) {
  const Params params = Params::resolve(entry.info, params_json, where);
  const auto unmet = unmet_needs(entry.info, params.values(),
                                 {ctx.has_labels(), ctx.has_supplied_head(), ctx.validation() != nullptr,
                                  !ctx.validation_labels().empty()},
                                 names);
  if (!unmet.empty()) throw InputError(unmet.front());
  auto detector = entry.make(params);
  if (entry.info.limits) {
    if (const auto limits = entry.info.limits(params, data_shape(ctx)); !limits.empty())
      throw InputError(entry.info.name + ": " + limits.front().why);
  }
  const std::string prefix = entry.info.name + ": ";
  try {
    detector->fit(ctx);
    check_fitted_state(*detector);
  } catch (const NonFiniteError& e) {  // the train features overflowed the fit's arithmetic
    const std::string what = std::string_view(e.what()).starts_with(prefix) ? e.what() : prefix + e.what();
    throw NonFiniteError(what + "; " + rescale_advice(ctx.train(), "the train features"));
  } catch (const FitInputError& e) {  // worded as the caller gives the input
    const std::string what = std::string_view(e.what()).starts_with(prefix) ? e.what() : prefix + e.what();
    const std::string how = names.of(e.input());
    throw InputError(how.empty() ? what : what + " (" + how + ")");
  } catch (const InputError& e) {
    if (std::string_view(e.what()).starts_with(prefix)) throw;
    throw InputError(prefix + e.what());  // shared fits do not know which detector asked
  }
  return detector;
}

}  // namespace oodbench

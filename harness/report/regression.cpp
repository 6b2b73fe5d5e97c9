#include "harness/report/regression.h"

#include <cmath>

#include "harness/sweep/json_reader.h"

namespace oodbench {
namespace {

using nlohmann::json;


/// (dataset, label, seed, ood, metric) -> value, over every record.
using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;

std::map<Key, double> values_of(const std::vector<CellRecord>& records, std::map<Key, std::string>* detector_of) {
  std::map<Key, double> out;
  for (const CellRecord& r : records) {
    for (const OodSetRecord& o : r.ood) {
      for (const auto& [metric, value] : o.metrics) {
        const Key key{r.dataset.name, r.label, r.seed ? r.seed_text() : "-", o.name, metric};
        out[key] = value;
        if (detector_of) (*detector_of)[key] = r.detector;
      }
    }
  }
  return out;
}

}  // namespace

double Tolerances::for_detector(const std::string& detector) const {
  const auto it = per_detector.find(detector);
  return it == per_detector.end() ? default_value : it->second;
}

void Tolerances::apply(const ToleranceOverrides& overrides) {
  if (overrides.default_value) default_value = *overrides.default_value;
  for (const auto& [name, v] : overrides.per_detector) per_detector[name] = v;
}

bool MetricChange::drifted() const { return !baseline || !now || std::fabs(*now - *baseline) > tolerance; }

json make_baseline(const std::vector<CellRecord>& records, const Tolerances& tolerances) {
  json entries = json::array();
  std::map<Key, std::string> detector_of;
  for (const auto& [key, value] : values_of(records, &detector_of)) {
    const auto& [dataset, label, seed, ood, metric] = key;
    entries.push_back({{"dataset", dataset}, {"detector", detector_of[key]}, {"label", label}, {"seed", seed},
                       {"ood", ood}, {"metric", metric}, {"value", value}});
  }
  return {{"description", "Golden numbers for `oodbench check` (absolute tolerances on fractions)."},
          {"tolerance", {{"default", tolerances.default_value}, {"per_detector", tolerances.per_detector}}},
          {"values", entries}};
}

std::vector<MetricChange> compare_with_baseline(const std::vector<CellRecord>& records, const json& baseline,
                                                const std::string& source, const ToleranceOverrides& overrides) {
  const JsonReader root(baseline, source);
  root.expect_object({"description", "tolerance", "values"}, {"values"});
  Tolerances tol;
  if (root.has("tolerance")) {
    const JsonReader t = root.at("tolerance");
    t.expect_object({"default", "per_detector"});
    if (t.has("default")) tol.default_value = t.value()["default"].get<double>();
    if (t.has("per_detector"))
      for (const auto& [name, v] : t.value()["per_detector"].items()) tol.per_detector[name] = v.get<double>();
  }
  tol.apply(overrides);

  std::map<Key, std::string> detector_of;
  const std::map<Key, double> now = values_of(records, &detector_of);
  std::vector<MetricChange> changes;
  for (const JsonReader& e : root.at("values").elements()) {
    e.expect_object({"dataset", "detector", "label", "seed", "ood", "metric", "value"},
                    {"dataset", "detector", "label", "seed", "ood", "metric", "value"});
    if (!e.value()["value"].is_number()) e.at("value").fail("expected a number");
    const Key key{e.at("dataset").text(), e.at("label").text(), e.at("seed").text(), e.at("ood").text(),
                  e.at("metric").text()};
    MetricChange c{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), std::get<4>(key),
                   e.value()["value"].get<double>(), std::nullopt, tol.for_detector(e.at("detector").text())};
    if (const auto it = now.find(key); it != now.end()) c.now = it->second;
    if (!c.now || *c.now != *c.baseline) changes.push_back(std::move(c));
  }
  return changes;
}

}  // namespace oodbench

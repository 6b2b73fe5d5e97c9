// OodMetrics as JSON (fractions, full precision): the one spelling of metric names in eval output and sweep records.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/metrics/failure_metrics.h"
#include "harness/metrics/ood_metrics.h"

namespace oodbench {

inline nlohmann::json metrics_json(const OodMetrics& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const MetricField& f : metric_fields()) out[std::string(f.name)] = m.*f.value;
  return out;
}

inline nlohmann::json failure_json(const FailureMetrics& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const FailureField& f : failure_fields()) out[std::string(f.name)] = m.*f.value;
  return out;
}

/// The failure-detection part of `oodbench eval --json` (and Python's `oodbench.evaluate_failure`): AURC, E-AURC,
/// AUGRC and the accuracy of `scores` as a confidence (-score) for the head's correctness, with n and the errors, and
/// with `resamples` > 0 their percentile-bootstrap 95 % intervals (rows resampled from `seed`).
inline nlohmann::json failure_evaluation_json(const std::string& name, const std::vector<double>& scores,
                                              const std::vector<bool>& correct, const Backend& backend,
                                              std::size_t resamples = 0, std::uint64_t seed = 0) {
  const RankedFailures ranked(scores, correct, backend, name);
  const FailureMetrics m = ranked.metrics();
  nlohmann::json out = failure_json(m);
  out["n"] = m.n;
  out["errors"] = m.errors;
  if (resamples > 0) {
    const FailureIntervals ci = ranked.bootstrap(resamples, seed);
    out["ci95"] = {{"low", failure_json(ci.low)}, {"high", failure_json(ci.high)}};
    out["bootstrap"] = {{"resamples", resamples}, {"seed", seed}};
  }
  return out;
}

/// The document of `oodbench eval --json` (and Python's `oodbench.evaluate`): the metrics of each OOD set's scores
/// against the ID scores, with the set sizes, and with `resamples` > 0 their percentile-bootstrap 95 % intervals
/// ("ci95": {"low": {...}, "high": {...}}; ID and OOD rows resampled independently, from `seed`).
inline nlohmann::json evaluation_json(const std::string& id_name, const std::vector<double>& id_scores,
                                      const std::vector<std::pair<std::string, std::vector<double>>>& ood_sets,
                                      const Backend& backend, std::size_t resamples = 0, std::uint64_t seed = 0) {
  nlohmann::json out = {{"id", id_name}, {"device", backend.description()}, {"ood", nlohmann::json::array()}};
  if (resamples > 0) out["bootstrap"] = {{"resamples", resamples}, {"seed", seed}};
  for (const auto& [name, scores] : ood_sets) {
    const RankedScores ranked(id_scores, scores, backend, id_name, name);
    const OodMetrics m = ranked.metrics();
    nlohmann::json entry = metrics_json(m);
    if (resamples > 0) {
      const MetricIntervals ci = ranked.bootstrap(resamples, seed);
      entry["ci95"] = {{"low", metrics_json(ci.low)}, {"high", metrics_json(ci.high)}};
    }
    entry["n_id"] = m.n_id;
    entry["n_ood"] = m.n_ood;
    entry["name"] = name;
    out["ood"].push_back(std::move(entry));
  }
  return out;
}

}  // namespace oodbench

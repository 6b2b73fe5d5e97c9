// The methods a user names (a sweep config's detectors, `oodbench detectors`, `--detector`, Python's Detector and
// detectors()): every registered detector, and precomputed scores (docs/methods.md#scores). Precomputed scores are a
// sweep-level method, not a Detector: a method run elsewhere enters a sweep's tables, intervals and checks through one
// score file per test set, read, checked and hashed with the dataset's other arrays (dataset.cpp); a cell takes its
// scores from them and fits nothing (cell_runner.cpp).
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/detectors/detector.h"

namespace oodbench {

inline constexpr std::string_view kPrecomputedScores = "scores";

/// Precomputed scores described as a detector is: name, summary, reference, and the `files` parameter, which a
/// config's entry is checked against as a detector's parameters are.
const DetectorInfo& precomputed_scores_info();

/// The description of the method called `name`; an InputError listing every method otherwise.
const DetectorInfo& find_method(std::string_view name);
/// Every method, sorted by name.
std::vector<const DetectorInfo*> all_methods();
/// Every method with its parameters, defaults and needs: `oodbench detectors --json` and `oodbench.detectors()`.
nlohmann::json methods_json();

/// The detector called `name`, to fit with `params` outside a sweep (`oodbench fit/score/explain/diagnose`,
/// `oodbench.Detector`): precomputed scores are an InputError saying that sweeps read them and `oodbench eval`
/// evaluates score files; another unknown name one listing every method.
const DetectorEntry& find_detector_to_fit(std::string_view name, const nlohmann::json& params);

/// Adds a detector defined at run time (add_runtime_detector) under a name no method has.
void add_user_detector(DetectorInfo info, DetectorFactory make);

}  // namespace oodbench

// The plots of a sweep, from its records alone (SVG by our own LineChart): ROC curves per OOD set (one curve per
// detector), ID vs OOD score histograms per detector, and MaRS's residual spectrum where MaRS ran. Each plot shows
// the lowest seed of a seeded detector.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace oodbench {

/// (file name, SVG document) for every plot the records support.
std::vector<std::pair<std::string, std::string>> sweep_plots(const std::vector<nlohmann::json>& records);

}  // namespace oodbench

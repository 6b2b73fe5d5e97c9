// The plots of a sweep, from its records alone (SVG by our own LineChart), in the Okabe-Ito colour-blind-safe
// palette with a distinct dash per curve (style_series):
// - roc_<dataset>_<set>_p<k>.svg: ROC curves of one OOD set, at most 8 detectors per panel: the detectors sorted by
//   that set's AUROC (best first; ties in plan order) and cut into ceil(n / 8) panels of near-equal size, so panel 1
//   holds the best. Square plot area, both axes 0..1, the chance diagonal, the AUROC (%) in each legend entry.
// - hist_<dataset>_<label>.svg: ID vs OOD score histograms of one detector, on the axis its record's histogram_axis
//   gives (shared by its ID and OOD sets; log10 of the score when the record says so).
// - spectrum_<dataset>_<label>.svg: MaRS's residual spectrum, the x axis exactly groups 1..G.
// - risk_coverage_<dataset>.svg: the selective risk (error rate of the head among the rows accepted, lowest scores
//   first) against coverage on the ID test set, one curve per detector sorted by AURC, where records have "failure".
// Each plot shows the lowest seed of a seeded detector; the legend's AUROC (AURC) is that seed's.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/sweep/cell_record.h"

namespace oodbench {

/// Curves per ROC panel: as many as the palette has colours.
inline constexpr std::size_t kCurvesPerPanel = 8;

/// (file name, SVG document) for every plot the records support, in a fixed order.
std::vector<std::pair<std::string, std::string>> sweep_plots(const std::vector<CellRecord>& records);

}  // namespace oodbench

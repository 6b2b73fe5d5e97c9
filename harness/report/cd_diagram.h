// A critical-difference diagram (Demšar, JMLR 2006, figure 1) as a standalone SVG: the detectors' average ranks on an
// axis from 1 (best, left) to k, the Nemenyi critical difference as a bar above it, and thick bars joining the
// detectors whose ranks lie closer than that (not significantly different). Parts carry classes and data-*
// attributes (rank-axis, cd-bar, method, clique) so tests and scripts can read the diagram back.
#pragma once

#include <string>
#include <vector>

namespace oodbench {

struct CriticalDifferenceDiagram {
  std::string title;
  std::vector<std::string> labels;   ///< one per detector
  std::vector<double> average_rank;  ///< one per detector, 1 = best
  double critical_difference = 0;

  std::string render() const;
};

/// The groups of detectors, as index ranges into `sorted_ranks` (ascending), whose ranks all lie less than `cd`
/// apart: each maximal run [first, last] with last > first, as the diagram joins them.
std::vector<std::pair<std::size_t, std::size_t>> rank_cliques(const std::vector<double>& sorted_ranks, double cd);

}  // namespace oodbench

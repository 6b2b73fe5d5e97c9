// Per-sample scores kept beside a sweep's records ("keep_scores": true): one compressed .npz per cell,
// scores/<cell id>.npz, with the ID test scores as "id", each OOD set's as "ood/<set name>" and, with /select, the ID
// val scores the validation sets were ranked against as "id_val" (float64, the values
// the metrics were computed from). The record names the file and a hash of its contents, so a file that no longer
// holds what its record describes is refused rather than compared.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/cell_record.h"

namespace oodbench {

struct KeptScores {
  std::vector<double> id;
  std::vector<std::vector<double>> ood;  ///< in the order of the record's "ood" entries
  std::vector<double> id_val;            ///< the ID val scores, the ID side of validation sets (/select); or none
};

/// Writes the scores of the cell `cell_id` into `dir`/scores/ atomically; returns the record's "scores" entry.
KeptScoresRef write_kept_scores(const std::filesystem::path& dir, const std::string& cell_id,
                                 const std::vector<std::string>& ood_names, const KeptScores& scores);

/// Whether `record` has kept scores.
bool has_kept_scores(const CellRecord& record);
/// The kept scores of `record` (a record of the folder `dir`), OOD sets in the order of its "ood" entries (which may
/// be fewer than the cell scored). A record without them, a missing file or one whose contents differ from the
/// record's hash is an InputError saying what to do.
KeptScores read_kept_scores(const std::filesystem::path& dir, const CellRecord& record);

}  // namespace oodbench

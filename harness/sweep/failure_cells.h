// Failure detection in a sweep's cells (docs/methods.md, "Failure detection"): which rows of a labelled test set the
// dataset's head classifies correctly (computed once per dataset and set), and each cell's record entry for the
// detector's score as a confidence (-score) for that correctness, on the ID test set and on each labelled csid set.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/cell_record.h"
#include "harness/sweep/config.h"
#include "harness/sweep/dataset.h"
#include "harness/sweep/record_store.h"

namespace oodbench {

/// Points of the stored selective-risk-coverage curves: the risk at coverage k / kRiskCoveragePoints, k = 1..100.
inline constexpr std::size_t kRiskCoveragePoints = 100;

/// Whether the head (supplied, else the probe) classifies each row of `rows` as its label; an InputError naming the
/// config, the labels' JSON pointer and the row when a label is a class the head does not have.
std::vector<bool> head_correctness(const SweepConfig& config, const ArrayRef& labels_ref,
                                   const std::vector<std::int32_t>& labels, const Matrix<float>& rows,
                                   LoadedDataset& data);

/// The record's "failure" part of one cell: its id_test entry when the dataset has ID test labels, and a csid entry
/// for each of its csid sets with labels; none when it has neither.
/// `id_test_scores` are the ID test rows' scores, `ood_scores` each set's (in DatasetConfig::ood order). An entry:
/// aurc, eaurc, augrc, accuracy, n, errors, risk_coverage (kRiskCoveragePoints values) and, with tables.bootstrap > 0,
/// "ci95" from resamples seeded with the hash of "<cell id>/failure/<set>" ("test" for the ID test set). `label`
/// names the scores in errors.
std::optional<FailureRecord> failure_record(const SweepConfig& config, const DatasetConfig& dataset,
                                            LoadedDataset& data, std::span<const double> id_test_scores,
                                            const std::vector<std::vector<double>>& ood_scores,
                                            const std::string& cell_id, const std::string& label);

/// Whether `record` lacks failure metrics its inputs give (ID test or csid labels): one written before cells
/// recorded them.
bool lacks_failure(const CellRecord& record);

/// The check of a folder opened for a run with `resamples` bootstrap resamples: a record that lacks its failure
/// metrics, or whose failure intervals used another count (its correctness is not kept, so they cannot be recomputed
/// in place), is set aside so that its cell runs again; every other record goes to `next`.
RecordCheck failure_check(std::size_t resamples, RecordCheck next);

}  // namespace oodbench

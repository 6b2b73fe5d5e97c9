// The record of one sweep cell, typed: what `oodbench run` appends to records.jsonl and what every reader (the
// report, `compare`, `check`, `merge`, Python's Records) takes from it. docs/records.md documents each field and
// docs/record.schema.json states them for other tools. to_json writes the bytes the records have always had (keys
// in sorted order, the same number types); from_json reads any record a release wrote, the optional parts absent in
// older ones.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oodbench {

/// Metric name -> value (fractions), as metrics_json and failure_json spell them. NaN is written as null.
using MetricValues = std::map<std::string, double>;

/// Percentile-bootstrap 95 % interval of each metric.
struct Interval95 {
  MetricValues low, high;
};

struct DatasetName {
  std::string name;  ///< "<modality>/<backbone>"
  std::string modality, backbone;
};

/// One subgroup's metrics (docs/methods.md, "Subgroups").
struct GroupMetrics {
  std::string group;
  std::size_t n_id = 0, n_ood = 0;
  MetricValues metrics;
};

/// The group where a metric is worst.
struct WorstGroup {
  std::string group;
  double value = 0;
};

struct Subgroups {
  std::vector<GroupMetrics> by_group;
  std::map<std::string, WorstGroup> worst;  ///< by metric name
  std::vector<std::string> skipped;         ///< groups lacking ID or OOD rows
};

/// MaRS's residual spectrum in groups of eigen-directions, largest eigenvalue first.
struct Spectrum {
  std::vector<double> eigenvalue, energy_ratio;
};

/// One set scored against the ID side (roles "ood" and "csid").
struct OodSetRecord {
  std::string name, shift, role;
  std::size_t n = 0;                       ///< its rows
  MetricValues metrics;
  std::vector<double> roc_tpr;             ///< TPR at kRocPoints equally spaced FPRs
  std::vector<std::uint64_t> histogram;    ///< its scores on the cell's histogram axis
  std::optional<std::string> id_side;      ///< validation sets of /select only: "val" or "test"
  std::optional<Interval95> ci95;          ///< when bootstrap > 0
  std::optional<MetricValues> ccr;         ///< CCR@FPR by rate name ("1e-1"...), with ID test labels
  std::optional<Subgroups> groups;         ///< with ID test groups
  std::optional<Spectrum> spectrum;        ///< detectors with a diagnostic, when plots are made
};

/// Failure detection on one labelled set: metrics, n, errors, the risk-coverage curve and the intervals.
struct FailureEntry {
  MetricValues metrics;  ///< accuracy, aurc, eaurc, augrc (written at the entry's top level)
  std::size_t n = 0, errors = 0;
  std::vector<double> risk_coverage;  ///< selective risk at coverage k / kRiskCoveragePoints, k = 1..
  std::optional<Interval95> ci95;
};

struct CsidFailure {
  std::string name;  ///< the labelled covariate-shifted set
  FailureEntry entry;
};

struct FailureRecord {
  std::optional<FailureEntry> id_test;
  std::vector<CsidFailure> csid;  ///< absent from the JSON when empty
};

struct IdTestRecord {
  std::size_t n = 0;
  std::vector<std::string> sets;  ///< "test", then the sets of role "id"
  std::vector<std::uint64_t> histogram;
};

struct HistogramAxisRecord {
  double low = 0, high = 1;
  std::string scale;  ///< "linear" or "log10"
};

struct RankRecord {
  std::size_t dataset = 0, detector = 0;  ///< config order
};

struct Timings {
  double fit_s = 0, score_s = 0, metrics_s = 0;
  std::optional<double> load_s, total_s;  ///< added by the runner
};

struct GridPoint {
  std::string entry;       ///< the config's detector entry, "/detectors/3"
  std::string base_label;  ///< its label without the grid values
  std::string values;      ///< "k=10, p=90"
};

struct KeptScoresRef {
  std::string file;  ///< "scores/<cell>.npz", relative to the folder
  std::vector<std::string> sets;
  std::string hash;
  bool id_val = false;  ///< the file holds the ID val scores (written only when true)
};

struct InputRecord {
  std::string array;  ///< the array as the config wrote it
  std::string hash;   ///< "xxh3:..."
  std::optional<nlohmann::json> label_map;  ///< train labels that were remapped: class c stands for label_map[c]
};

struct RunInfo {
  std::string device, version, git_commit, host, finished_at;
  std::optional<std::string> cuda_visible_devices;
};

struct CellRecord {
  std::string cell, config;
  DatasetName dataset;
  std::string detector, label;
  nlohmann::json params = nlohmann::json::object();  ///< the detector's parameters: each detector has its own
  std::optional<std::int64_t> seed;                  ///< written as null when absent
  RankRecord rank;
  IdTestRecord id_test;
  HistogramAxisRecord histogram_axis;
  std::vector<OodSetRecord> ood;
  std::optional<std::size_t> bootstrap;  ///< resamples behind the intervals (0: none); absent in old records
  std::vector<std::string> warnings;
  Timings timings;
  std::optional<std::string> fit_split;
  std::optional<double> id_accuracy;
  std::optional<FailureRecord> failure;
  std::optional<GridPoint> grid;
  std::optional<KeptScoresRef> scores;
  std::map<std::string, InputRecord> inputs;
  std::optional<nlohmann::json> label_map;
  std::optional<RunInfo> run;

  /// The seed as tables write it: its number, or "" for an unseeded cell.
  std::string seed_text() const { return seed ? std::to_string(*seed) : std::string(); }
  /// The OOD set named `name`, or nullptr.
  const OodSetRecord* find_ood(const std::string& name) const;
};

void to_json(nlohmann::json& j, const CellRecord& r);
void from_json(const nlohmann::json& j, CellRecord& r);
void to_json(nlohmann::json& j, const OodSetRecord& o);
void from_json(const nlohmann::json& j, OodSetRecord& o);
void to_json(nlohmann::json& j, const FailureRecord& f);
void from_json(const nlohmann::json& j, FailureRecord& f);
void to_json(nlohmann::json& j, const KeptScoresRef& s);
void from_json(const nlohmann::json& j, KeptScoresRef& s);
void to_json(nlohmann::json& j, const InputRecord& i);
void from_json(const nlohmann::json& j, InputRecord& i);

/// MetricValues read back: null (how JSON writes NaN) as NaN.
MetricValues metric_values(const nlohmann::json& j);

/// A record read from `where` (a records file): an InputError naming the cell and the field when it does not hold
/// a record.
CellRecord parse_cell_record(const nlohmann::json& j, const std::string& where);

}  // namespace oodbench

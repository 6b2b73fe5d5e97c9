// A sweep configuration (configs/*.json, schema in configs/config.schema.json): datasets (one per modality and
// backbone, each with ID train/val/test and tagged OOD sets), detectors with parameter grids, seeds, and what to
// report. Loading validates everything that can be checked without reading the embeddings (validate_sweep checks the
// data); every error names the config file and the JSON Pointer of the offending value.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oodbench {

/// An array named in the config: as written (after {backbone} substitution) and as a path to load (relative to
/// data_root, itself relative to the config file). Cell ids cover its content, not its name (validate_sweep).
struct ArrayRef {
  std::string written;
  std::string resolved;
  std::string pointer;  ///< where the config names it, for errors
  bool empty() const { return written.empty(); }
};

/// What a test set beside the ID test set is, for the metrics (docs/methods.md, "Protocols").
inline constexpr std::string_view kRoleOod = "ood";    ///< to detect (default)
inline constexpr std::string_view kRoleId = "id";      ///< covariate-shifted ID counted with ID (full-spectrum)
inline constexpr std::string_view kRoleCsid = "csid";  ///< covariate-shifted ID to detect, shown apart, not averaged

struct OodSet {
  std::string name;
  std::string shift;  ///< the shift type it is grouped under in tables: near, far, covariate, modality, ...
  ArrayRef features;
  std::string role = std::string(kRoleOod);
  ArrayRef groups;  ///< optional per-row subgroup labels (site, sex, scanner...)
  ArrayRef labels;  ///< optional class labels of a csid set's rows: its failure-detection metrics
};

/// The score files of one variant of precomputed scores (methods.h) for one dataset: its label, then one file per
/// test set.
struct PrecomputedScores {
  std::string label;         ///< the variant's row name in tables
  ArrayRef test;             ///< scores of the ID test set
  std::vector<ArrayRef> ood; ///< in the order of DatasetConfig::ood
};

/// One (modality, backbone) pair: a config entry with several backbones becomes several datasets.
struct DatasetConfig {
  std::string modality;
  std::string backbone;
  ArrayRef train, train_labels, val, val_labels, test, head_weights, head_bias;  ///< val_labels: optional, with val
  ArrayRef test_groups;  ///< optional per-row subgroup labels of the ID test set: metrics per subgroup
  ArrayRef test_labels;  ///< optional class labels of the ID test set: the head's ID accuracy and CCR@FPR
  std::vector<OodSet> ood;
  std::vector<PrecomputedScores> precomputed;  ///< for each variant of precomputed scores in the config
  bool remap_labels = false;  ///< the config's "remap_labels": train labels mapped to 0..C-1 in sorted order
  std::string pointer;  ///< "/datasets/0"

  std::string name() const { return modality + "/" + backbone; }
};

/// One point of a detector's parameter grid.
struct DetectorVariant {
  std::string detector;   ///< the method's name: a registered detector, or precomputed scores (methods.h)
  bool precomputed = false; ///< precomputed scores: read from the files of DatasetConfig::precomputed, nothing fitted
  std::string label;      ///< row name in tables: the config's label (or the name), plus the grid values that vary
  std::string base_label; ///< the config's label (or the name) alone
  std::string grid;       ///< the grid values that vary, "k=10, p=90"; empty for an entry without a grid
  nlohmann::json params;  ///< every parameter, defaults filled in; "seed" is filled per cell from /seeds
  bool seeded = false;    ///< has a seed parameter: one cell per seed; otherwise one cell in all
  bool skippable = false; ///< from "detectors": "all": skipped (not a fault) on a dataset lacking what it needs
  std::string pointer;    ///< "/detectors/3"
};

/// Hyperparameters chosen without touching test (/select): for each grid, the point best on validation OOD sets.
struct Selection {
  std::string metric = "auroc";
  std::vector<std::string> on;  ///< the validation OOD sets: they never enter test tables or averages

  /// Whether the OOD set named `set` is one of the validation sets.
  bool validates(const std::string& set) const { return std::find(on.begin(), on.end(), set) != on.end(); }
};

/// What to compute for reports and what to write: the config's metrics, tables, plots and select keys.
struct ReportSettings {
  std::vector<std::string> metrics = {"auroc", "fpr95"};        ///< one table per metric
  std::vector<std::string> formats = {"md", "csv", "json", "tex"};
  std::size_t bootstrap = 0;                                    ///< resamples for 95 % intervals; 0 = none
  /// LaTeX cells: "mean", "mean_std" (± sample std over seeds) or "mean_ci" (the bootstrap interval); with
  /// intervals, <table>_ci.tex holds them alone, so the main table fits a paper column.
  std::string latex = "mean_std";
  bool ranks = false;                 ///< /tables/ranks: the rankings (by AUROC) and their diagram in every report
  std::string correction = "none";    ///< /tables/correction: "none" or "holm", for the † marks' paired tests
  bool plots = true;
  std::vector<std::string> plot_formats = {"svg"};  ///< /plots/formats: svg always, png and pdf rendered from it
  std::optional<Selection> select;
};

struct SweepConfig {
  std::string name;           ///< /name, else the file's stem; the default output folder is results/<name>
  std::string source;         ///< the config file, as given
  nlohmann::json document;    ///< the parsed file, copied into the output folder
  std::string data_root;      ///< as written
  std::vector<DatasetConfig> datasets;
  std::vector<DetectorVariant> detectors;
  std::vector<std::int64_t> seeds;
  bool tf32 = false;          ///< /precision "tf32": float32 GPU products on tensor cores
  bool keep_scores = false;   ///< /keep_scores: every cell's per-sample scores kept in scores/<cell>.npz
  ReportSettings report;
};

/// Metric names a config may ask for, in the order tables list them.
const std::vector<std::string>& known_metrics();
/// Whether a larger value of `metric` is better (AUROC, AUPR) or worse (FPR).
bool higher_is_better(const std::string& metric);

/// The report settings of a config document (validated; other keys are not looked at). `report` reads them from
/// the config.json that `run` leaves beside the records, without needing the data.
ReportSettings parse_report_settings(const nlohmann::json& document, const std::string& source);

/// Why variant `v` is skipped on dataset `d` ("detectors": "all" only): its unmet needs, one sentence each; empty
/// when it runs.
std::vector<std::string> skip_reasons(const DatasetConfig& d, const DetectorVariant& v);
/// One line per skipped (dataset, detector) pair of the config: "skipped <detector> on <dataset>: <reason>".
std::vector<std::string> skipped_lines(const SweepConfig& config);

/// Reads and validates a config file. Every error is an InputError naming the file and the JSON Pointer.
SweepConfig load_sweep_config(const std::string& path);
/// The same from an already parsed document; `base_dir` is where relative data_root paths start.
SweepConfig parse_sweep_config(const nlohmann::json& document, const std::string& source,
                               const std::filesystem::path& base_dir);

}  // namespace oodbench

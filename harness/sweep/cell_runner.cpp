#include "harness/sweep/cell_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <span>

#include "harness/detectors/detector.h"
#include "harness/metrics/metrics_json.h"
#include "harness/sweep/failure_cells.h"
#include "harness/sweep/input_wording.h"
#include "harness/sweep/intervals.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<double> widened(const std::vector<float>& s) { return {s.begin(), s.end()}; }

/// The histogram axis of a cell: the 0.5th to 99.5th percentiles of all its scores (robust to a few extremes), on
/// a log10 scale when the scores are positive and span more than two decades there (distances to far-OOD sets
/// would otherwise squeeze the ID scores into one bin).
struct HistogramAxis {
  double low = 0, high = 1;
  bool log10 = false;
  double position(double score) const { return log10 ? std::log10(score) : score; }
};

HistogramAxis histogram_axis(const std::vector<double>& id, const std::vector<std::vector<double>>& ood) {
  std::vector<double> all = id;
  for (const auto& o : ood) all.insert(all.end(), o.begin(), o.end());
  std::sort(all.begin(), all.end());
  const auto at = [&](double q) { return all[static_cast<std::size_t>(q * static_cast<double>(all.size() - 1))]; };
  HistogramAxis axis{at(0.005), at(0.995), false};
  if (all.front() > 0 && axis.high > 100 * axis.low) {
    axis = {std::log10(axis.low), std::log10(axis.high), true};
  }
  if (!(axis.high > axis.low)) axis.low = axis.position(all.front()), axis.high = axis.position(all.back());
  if (!(axis.high > axis.low)) axis.high = axis.low + 1;
  return axis;
}

/// Bins of `values` on [low, high] in `bins` equal parts; values outside go to the end bins.
std::vector<std::uint64_t> histogram(std::span<const double> values, double low, double high, std::size_t bins) {
  std::vector<std::uint64_t> counts(bins, 0);
  const double width = (high - low) / static_cast<double>(bins);
  for (double v : values) {
    const double pos = std::floor((v - low) / width);
    const std::size_t b = pos < 0 ? 0 : std::min(bins - 1, static_cast<std::size_t>(pos));
    ++counts[b];
  }
  return counts;
}

std::vector<std::uint64_t> histogram_on(const HistogramAxis& axis, const std::vector<double>& scores) {
  std::vector<double> positions;
  for (double s : scores) positions.push_back(axis.position(s));
  return histogram(positions, axis.low, axis.high, kHistogramBins);
}

/// MaRS's diagnostic reduced to kSpectrumBuckets groups of consecutive eigen-directions (largest eigenvalue first):
/// mean eigenvalue and OOD/ID residual energy ratio per group.
Spectrum bucket_spectrum(const nlohmann::json& diagnostic) {
  const auto eig = diagnostic.at("eigenvalues").get<std::vector<double>>();
  const auto id = diagnostic.at("id_energy").get<std::vector<double>>();
  const auto ood = diagnostic.at("ood_energy").get<std::vector<double>>();
  const std::size_t d = eig.size(), buckets = std::min(kSpectrumBuckets, d);
  Spectrum out;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * d / buckets, hi = (b + 1) * d / buckets;
    double e = 0, in = 0, out_energy = 0;
    for (std::size_t k = lo; k < hi; ++k) e += eig[k], in += id[k], out_energy += ood[k];
    out.eigenvalue.push_back(e / static_cast<double>(hi - lo));
    out.energy_ratio.push_back(in > 0 ? out_energy / in : 0.0);
  }
  return out;
}

MetricValues values_of(const OodMetrics& m) { return metric_values(metrics_json(m)); }

/// Every metric per subgroup (docs/methods.md, "Subgroups"): the ID rows of group g against the OOD rows of group g,
/// or all OOD rows when the set has no groups. A group lacking ID or OOD rows is listed as skipped. ID rows without a
/// group (a full-spectrum set given none) are in no group.
Subgroups subgroup_metrics(const std::vector<double>& id, const std::vector<std::string>& id_groups,
                           const std::vector<double>& ood, const std::vector<std::string>& ood_groups,
                           const Backend& backend) {
  std::set<std::string> names(id_groups.begin(), id_groups.end());
  names.erase("");
  Subgroups out;
  std::vector<std::pair<std::string, OodMetrics>> found;
  for (const std::string& g : names) {
    std::vector<double> id_g, ood_g;
    for (std::size_t i = 0; i < id.size(); ++i)
      if (id_groups[i] == g) id_g.push_back(id[i]);
    for (std::size_t i = 0; i < ood.size(); ++i)
      if (ood_groups.empty() || ood_groups[i] == g) ood_g.push_back(ood[i]);
    if (id_g.empty() || ood_g.empty()) {
      out.skipped.push_back(g);
      continue;
    }
    const OodMetrics m = compute_ood_metrics(id_g, ood_g, backend);
    out.by_group.push_back({g, id_g.size(), ood_g.size(), values_of(m)});
    found.emplace_back(g, m);
  }
  for (const MetricField& f : metric_fields()) {
    const std::pair<std::string, OodMetrics>* w = nullptr;
    for (const auto& gm : found)
      if (!w || (f.higher_is_better ? gm.second.*f.value < w->second.*f.value : gm.second.*f.value > w->second.*f.value))
        w = &gm;
    if (w) out.worst[std::string(f.name)] = {w->first, w->second.*f.value};
  }
  return out;
}

/// A cell's scores: the ID test set's and every OOD set's (DatasetConfig::ood order), with the fitted detector
/// (none for the scores method) and the time the fit and the scoring took.
struct CellScores {
  std::unique_ptr<Detector> detector;
  std::vector<double> id;
  std::vector<std::vector<double>> ood;
  double fit_s = 0, score_s = 0;
  std::string skipped;  ///< why a skippable detector could not fit these data
};

CellScores score_cell(const SweepConfig& config, const Cell& cell, LoadedDataset& data) {
  const DatasetConfig& dataset = config.datasets[cell.dataset];
  const DetectorVariant& variant = config.detectors[cell.detector];
  const Backend& backend = data.context.backend();
  CellScores out;
  if (variant.precomputed) {  // a method run elsewhere: its score files, read and hashed with the data
    const std::vector<std::vector<double>>& sets = data.precomputed.at(variant.label);
    out.id = sets.front();
    out.ood.assign(sets.begin() + 1, sets.end());
    return out;
  }
  auto start = Clock::now();
  try {
    out.detector = make_fitted_detector(find_detector(variant.detector), cell.params, data.context,
                                        variant.pointer + "/params", config_input_advice());
  } catch (const InputError& e) {
    out.skipped = e.what();  // "detectors": "all": a detector these data cannot fit does not stop the others
    if (variant.skippable) return out;
    throw InputError(config.source + ": " + dataset.name() + ", detector \"" + variant.label + "\" (" +
                     variant.pointer + "): " + e.what());
  }
  out.fit_s = seconds_since(start);
  start = Clock::now();
  const std::string& name = variant.detector;
  try {
    out.id = widened(finite_scores(*out.detector, name, data.test, backend, "the ID test set"));
    for (std::size_t j = 0; j < data.ood.size(); ++j)
      out.ood.push_back(
          widened(finite_scores(*out.detector, name, data.ood[j], backend, "OOD set " + dataset.ood[j].name)));
  } catch (const NonFiniteError& e) {
    throw NonFiniteError(config.source + ": " + dataset.name() + ", detector \"" + variant.label + "\" (" +
                         variant.pointer + "): " + e.what());
  }
  out.score_s = seconds_since(start);
  return out;
}

/// The ID side of every metric and the sets scored against it. Full-spectrum protocol: sets with role "id" join the
/// ID test set on the ID side.
struct IdSide {
  std::vector<double> scores;
  std::vector<std::string> sets = {"test"};
  std::vector<std::string> groups;        ///< subgroups of its rows ("" = none)
  std::vector<std::size_t> detected;      ///< the sets scored against it (DatasetConfig::ood indices)
  std::vector<std::vector<double>> detected_scores;
};

IdSide split_id_side(const DatasetConfig& dataset, const LoadedDataset& data, CellScores& scores) {
  IdSide side{std::move(scores.id), {"test"}, data.test_groups, {}, {}};
  for (std::size_t j = 0; j < scores.ood.size(); ++j) {
    if (dataset.ood[j].role != kRoleId) {
      side.detected.push_back(j);
      side.detected_scores.push_back(std::move(scores.ood[j]));
      continue;
    }
    side.scores.insert(side.scores.end(), scores.ood[j].begin(), scores.ood[j].end());
    side.sets.push_back(dataset.ood[j].name);
    const std::vector<std::string>& g = data.ood_groups[j];
    if (g.empty()) side.groups.resize(side.scores.size(), "");
    else side.groups.insert(side.groups.end(), g.begin(), g.end());
  }
  return side;
}

/// The record of the k-th set scored against the ID side: its metrics, ROC curve, histogram and intervals, and the
/// CCR@FPR, subgroup metrics and spectrum where they apply. Validation OOD sets (/select/on) are ranked against the
/// ID val scores, as OpenOOD's hyperparameter search ranks OOD val against ID val: the choice of a grid point never
/// sees a test row. (The scores method has no ID val scores; config validation keeps its grids out of selection,
/// and its validation sets stay against ID test.)
OodSetRecord ood_set_record(const SweepConfig& config, const Cell& cell, LoadedDataset& data, const IdSide& side,
                            std::size_t k, const std::vector<double>& id_val, const HistogramAxis& axis,
                            const Detector* detector) {
  const DatasetConfig& dataset = config.datasets[cell.dataset];
  const DetectorVariant& variant = config.detectors[cell.detector];
  const Backend& backend = data.context.backend();
  const std::size_t j = side.detected[k];
  const OodSet& set = dataset.ood[j];
  const std::vector<double>& scores = side.detected_scores[k];
  const bool validates = config.report.select && config.report.select->validates(set.name);
  const bool against_val = validates && !id_val.empty();
  const std::vector<double>& id = against_val ? id_val : side.scores;
  const std::string id_name =
      (against_val ? dataset.val.resolved : dataset.test.resolved) + " (" + variant.label + " scores)";
  const std::string ood_name = set.features.resolved + " (" + variant.label + " scores)";
  const RankedScores ranked(id, scores, backend, id_name, ood_name);  // one sort: metrics, ROC, bootstrap
  OodSetRecord out;
  out.name = set.name, out.shift = set.shift, out.role = set.role, out.n = scores.size();
  out.metrics = values_of(ranked.metrics());
  out.roc_tpr = ranked.roc_tpr_on_grid(kRocPoints);
  out.histogram = histogram_on(axis, scores);
  if (validates) out.id_side = against_val ? "val" : "test";
  set_intervals(out, ranked, config.report.bootstrap, cell.id);
  // OpenOOD's CCR@FPR (standard protocol) and the subgroups describe the ID test side.
  if (!against_val && data.test_correct && side.sets.size() == 1) {
    out.ccr.emplace();
    for (const CcrRate& r : kCcrRates) (*out.ccr)[r.name] = ccr_at_fpr(id, *data.test_correct, scores, r.rate);
  }
  if (!against_val && !data.test_groups.empty())
    out.groups = subgroup_metrics(id, side.groups, scores, data.ood_groups[j], backend);
  if (config.report.plots && detector && detector->has_diagnostic())
    out.spectrum = bucket_spectrum(detector->diagnose(data.ood[j], backend));
  return out;
}

/// The record's fields that name the cell: its config, dataset, detector, parameters, seed and rank.
CellRecord named_record(const SweepConfig& config, const Cell& cell) {
  const DatasetConfig& dataset = config.datasets[cell.dataset];
  const DetectorVariant& variant = config.detectors[cell.detector];
  CellRecord r;
  r.cell = cell.id;
  r.config = config.name;
  r.dataset = {dataset.name(), dataset.modality, dataset.backbone};
  r.detector = variant.detector;
  r.label = variant.label;
  r.params = cell.params;
  r.seed = cell.seed;
  r.rank = {cell.dataset, cell.detector};
  r.bootstrap = config.report.bootstrap;  // the resamples behind the intervals (0: none)
  if (!variant.grid.empty())  // one point of a grid: `select` chooses among the records of one entry
    r.grid = GridPoint{variant.pointer, variant.base_label, variant.grid};
  return r;
}

}  // namespace

CellResult run_cell(const SweepConfig& config, const Cell& cell, LoadedDataset& data) {
  const DatasetConfig& dataset = config.datasets[cell.dataset];
  const DetectorVariant& variant = config.detectors[cell.detector];
  const std::size_t warnings_before = data.context.warnings().size();
  CellScores scores = score_cell(config, cell, data);
  CellResult result;
  if (!scores.skipped.empty()) {
    result.skipped = std::move(scores.skipped);
    return result;
  }
  const auto start = Clock::now();
  if (!data.test_labels.empty() && !data.test_correct)  // the ID accuracy, CCR@FPR and failure detection
    data.test_correct = head_correctness(config, dataset.test_labels, data.test_labels, data.test, data);
  CellRecord& record = result.record = named_record(config, cell);
  record.failure = failure_record(config, dataset, data, scores.id, scores.ood, cell.id, variant.label);
  IdSide side = split_id_side(dataset, data, scores);
  if (scores.detector && config.report.select && data.context.validation()) {
    const auto val_start = Clock::now();
    result.id_val_scores = widened(finite_scores(*scores.detector, variant.detector, *data.context.validation(),
                                                 data.context.backend(), "the ID val set"));
    scores.score_s += seconds_since(val_start);
  }
  const HistogramAxis axis = histogram_axis(side.scores, side.detected_scores);
  for (std::size_t k = 0; k < side.detected.size(); ++k) {
    record.ood.push_back(
        ood_set_record(config, cell, data, side, k, result.id_val_scores, axis, scores.detector.get()));
    result.ood_names.push_back(record.ood.back().name);
  }
  record.id_test = {side.scores.size(), side.sets, histogram_on(axis, side.scores)};
  record.histogram_axis = {axis.low, axis.high, axis.log10 ? "log10" : "linear"};
  for (std::size_t w = warnings_before; w < data.context.warnings().size(); ++w)
    record.warnings.push_back(data.context.warnings()[w]);
  record.timings = {scores.fit_s, scores.score_s, seconds_since(start), std::nullopt, std::nullopt};
  if (scores.detector) record.fit_split = scores.detector->fit_split();
  if (data.test_correct) {
    const auto& c = *data.test_correct;
    record.id_accuracy = static_cast<double>(std::count(c.begin(), c.end(), true)) / static_cast<double>(c.size());
  }
  result.id_scores = std::move(side.scores);
  result.ood_scores = std::move(side.detected_scores);
  return result;
}

void announce_autoencoders(const SweepConfig& config, const std::vector<const Cell*>& cells, LoadedDataset& data) {
  FitContext& ctx = data.context;
  const DataOffer offer{ctx.has_labels(), ctx.has_supplied_head(), ctx.validation() != nullptr,
                        !ctx.validation_labels().empty()};
  std::vector<AutoencoderConfig> configs;
  for (const Cell* cell : cells) {
    const DetectorVariant& variant = config.detectors[cell->detector];
    try {
      const DetectorInfo& info = find_method(variant.detector);
      if (!info.autoencoder) continue;
      const Params params = Params::resolve(info, cell->params, variant.pointer + "/params");
      if (!unmet_needs(info, params.values(), offer, config_input_advice()).empty()) continue;
      configs.push_back(info.autoencoder(params));
    } catch (const InputError&) {
    }
  }
  ctx.expect_autoencoders(configs);
}

}  // namespace oodbench

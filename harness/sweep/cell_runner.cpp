#include "harness/sweep/cell_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <span>

#include "harness/detectors/detector.h"
#include "harness/metrics/metrics_json.h"
#include "harness/sweep/failure_cells.h"
#include "harness/sweep/intervals.h"
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
nlohmann::json bucket_spectrum(const nlohmann::json& diagnostic) {
  const auto eig = diagnostic.at("eigenvalues").get<std::vector<double>>();
  const auto id = diagnostic.at("id_energy").get<std::vector<double>>();
  const auto ood = diagnostic.at("ood_energy").get<std::vector<double>>();
  const std::size_t d = eig.size(), buckets = std::min(kSpectrumBuckets, d);
  std::vector<double> eigenvalue, ratio;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t lo = b * d / buckets, hi = (b + 1) * d / buckets;
    double e = 0, in = 0, out = 0;
    for (std::size_t k = lo; k < hi; ++k) e += eig[k], in += id[k], out += ood[k];
    eigenvalue.push_back(e / static_cast<double>(hi - lo));
    ratio.push_back(in > 0 ? out / in : 0.0);
  }
  return {{"eigenvalue", eigenvalue}, {"energy_ratio", ratio}};
}

/// Every metric per subgroup (docs/methods.md, "Subgroups"): the ID rows of group g against the OOD rows of group g,
/// or all OOD rows when the set has no groups. A group lacking ID or OOD rows is listed as skipped. ID rows without a
/// group (a full-spectrum set given none) are in no group.
nlohmann::json subgroup_metrics(const std::vector<double>& id, const std::vector<std::string>& id_groups,
                                const std::vector<double>& ood, const std::vector<std::string>& ood_groups,
                                const Backend& backend) {
  std::set<std::string> names(id_groups.begin(), id_groups.end());
  names.erase("");
  nlohmann::json by_group = nlohmann::json::array(), skipped = nlohmann::json::array();
  std::vector<std::pair<std::string, OodMetrics>> found;
  for (const std::string& g : names) {
    std::vector<double> id_g, ood_g;
    for (std::size_t i = 0; i < id.size(); ++i)
      if (id_groups[i] == g) id_g.push_back(id[i]);
    for (std::size_t i = 0; i < ood.size(); ++i)
      if (ood_groups.empty() || ood_groups[i] == g) ood_g.push_back(ood[i]);
    if (id_g.empty() || ood_g.empty()) {
      skipped.push_back(g);
      continue;
    }
    const OodMetrics m = compute_ood_metrics(id_g, ood_g, backend);
    by_group.push_back({{"group", g}, {"n_id", id_g.size()}, {"n_ood", ood_g.size()}, {"metrics", metrics_json(m)}});
    found.emplace_back(g, m);
  }
  nlohmann::json worst = nlohmann::json::object();
  for (const MetricField& f : metric_fields()) {
    const std::pair<std::string, OodMetrics>* w = nullptr;
    for (const auto& gm : found)
      if (!w || (f.higher_is_better ? gm.second.*f.value < w->second.*f.value : gm.second.*f.value > w->second.*f.value))
        w = &gm;
    if (w) worst[std::string(f.name)] = {{"group", w->first}, {"value", w->second.*f.value}};
  }
  return {{"by_group", by_group}, {"worst", worst}, {"skipped", skipped}};
}

}  // namespace

CellResult run_cell(const SweepConfig& config, const Cell& cell, LoadedDataset& data) {
  const DatasetConfig& dataset = config.datasets[cell.dataset];
  const DetectorVariant& variant = config.detectors[cell.detector];
  const Backend& backend = data.context.backend();
  const std::size_t warnings_before = data.context.warnings().size();

  auto start = Clock::now();
  std::unique_ptr<Detector> detector;
  std::vector<double> id;
  std::vector<std::vector<double>> ood;
  double fit_s = 0, score_s = 0;
  if (variant.detector == kScoresDetector) {  // a method run elsewhere: its score files, read and hashed with the data
    const std::vector<std::vector<double>>& sets = data.precomputed.at(variant.label);
    id = sets.front();
    ood.assign(sets.begin() + 1, sets.end());
  } else {
    try {
      detector = make_fitted_detector(find_detector(variant.detector), cell.params, data.context,
                                      variant.pointer + "/params");
    } catch (const InputError& e) {
      CellResult skipped;  // "detectors": "all": a detector these data cannot fit does not stop the others
      skipped.skipped = e.what();
      if (variant.skippable) return skipped;
      throw InputError(config.source + ": " + dataset.name() + ", detector \"" + variant.label + "\" (" +
                       variant.pointer + "): " + e.what());
    }
    fit_s = seconds_since(start);
    start = Clock::now();
    const std::string& name = variant.detector;
    try {
      id = widened(finite_scores(*detector, name, data.test, backend, "the ID test set"));
      for (std::size_t j = 0; j < data.ood.size(); ++j)
        ood.push_back(widened(finite_scores(*detector, name, data.ood[j], backend, "OOD set " + dataset.ood[j].name)));
    } catch (const NonFiniteError& e) {
      throw NonFiniteError(config.source + ": " + dataset.name() + ", detector \"" + variant.label + "\" (" +
                           variant.pointer + "): " + e.what());
    }
    score_s = seconds_since(start);
  }

  start = Clock::now();
  if (!data.test_labels.empty() && !data.test_correct)  // the ID accuracy, CCR@FPR and failure detection
    data.test_correct = head_correctness(config, dataset.test_labels, data.test_labels, data.test, data);
  const nlohmann::json failure = failure_record(config, dataset, data, id, ood, cell.id, variant.label);
  // Full-spectrum protocol: sets with role "id" join the ID test set on the ID side of every metric.
  nlohmann::json id_parts = {"test"};
  std::vector<std::string> id_groups = data.test_groups;  // subgroups of the ID side's rows ("" = none)
  std::vector<std::size_t> detected;  // the sets scored against the ID side
  std::vector<std::vector<double>> detected_scores;
  for (std::size_t j = 0; j < ood.size(); ++j) {
    if (dataset.ood[j].role != kRoleId) {
      detected.push_back(j);
      detected_scores.push_back(std::move(ood[j]));
      continue;
    }
    id.insert(id.end(), ood[j].begin(), ood[j].end());
    id_parts.push_back(dataset.ood[j].name);
    const std::vector<std::string>& g = data.ood_groups[j];
    if (g.empty()) id_groups.resize(id.size(), "");
    else id_groups.insert(id_groups.end(), g.begin(), g.end());
  }
  // Validation OOD sets (/select/on) are ranked against the ID val scores, as OpenOOD's hyperparameter search ranks
  // OOD val against ID val: the choice of a grid point never sees a test row. (The scores detector has no ID val
  // scores; config validation keeps its grids out of selection, and its validation sets stay against ID test.)
  CellResult result;
  const auto is_validation = [&](const OodSet& set) {
    return config.report.select && config.report.select->validates(set.name);
  };
  if (detector && config.report.select && data.context.validation()) {
    const auto val_start = Clock::now();
    result.id_val_scores = widened(finite_scores(*detector, variant.detector, *data.context.validation(), backend,
                                                 "the ID val set"));
    score_s += seconds_since(val_start);
  }
  const HistogramAxis axis = histogram_axis(id, detected_scores);
  nlohmann::json sets = nlohmann::json::array();
  for (std::size_t k = 0; k < detected.size(); ++k) {
    const std::size_t j = detected[k];
    const OodSet& set = dataset.ood[j];
    const std::vector<double>& scores = detected_scores[k];
    const bool against_val = is_validation(set) && !result.id_val_scores.empty();
    const std::vector<double>& id_side = against_val ? result.id_val_scores : id;
    const std::string id_name =
        (against_val ? dataset.val.resolved : dataset.test.resolved) + " (" + variant.label + " scores)";
    const std::string ood_name = set.features.resolved + " (" + variant.label + " scores)";
    const RankedScores ranked(id_side, scores, backend, id_name, ood_name);  // one sort: metrics, ROC, bootstrap
    nlohmann::json entry = {{"name", set.name},
                            {"shift", set.shift},
                            {"role", set.role},
                            {"n", scores.size()},
                            {"metrics", metrics_json(ranked.metrics())},
                            {"roc_tpr", ranked.roc_tpr_on_grid(kRocPoints)},
                            {"histogram", histogram_on(axis, scores)}};
    if (is_validation(set)) entry["id_side"] = against_val ? "val" : "test";
    set_intervals(entry, ranked, config.report.bootstrap, cell.id);
    // OpenOOD's CCR@FPR (standard protocol) and the subgroups describe the ID test side.
    if (!against_val && data.test_correct && id_parts.size() == 1) {
      nlohmann::json ccr = nlohmann::json::object();
      for (const CcrRate& r : kCcrRates) ccr[r.name] = ccr_at_fpr(id, *data.test_correct, scores, r.rate);
      entry["ccr"] = std::move(ccr);
    }
    if (!against_val && !data.test_groups.empty())
      entry["groups"] = subgroup_metrics(id, id_groups, scores, data.ood_groups[j], backend);
    if (config.report.plots && detector && detector->has_diagnostic())
      entry["spectrum"] = bucket_spectrum(detector->diagnose(data.ood[j], backend));
    sets.push_back(std::move(entry));
    result.ood_names.push_back(set.name);
  }
  const double metrics_s = seconds_since(start);

  nlohmann::json warnings = nlohmann::json::array();
  for (std::size_t w = warnings_before; w < data.context.warnings().size(); ++w)
    warnings.push_back(data.context.warnings()[w]);
  nlohmann::json record = {{"cell", cell.id},
          {"config", config.name},
          {"dataset", {{"name", dataset.name()}, {"modality", dataset.modality}, {"backbone", dataset.backbone}}},
          {"detector", variant.detector},
          {"label", variant.label},
          {"params", cell.params},
          {"seed", cell.seed ? nlohmann::json(*cell.seed) : nlohmann::json(nullptr)},
          {"rank", {{"dataset", cell.dataset}, {"detector", cell.detector}}},
          {"id_test", {{"n", id.size()}, {"sets", id_parts}, {"histogram", histogram_on(axis, id)}}},
          {"histogram_axis", {{"low", axis.low}, {"high", axis.high}, {"scale", axis.log10 ? "log10" : "linear"}}},
          {"ood", sets},
          {"bootstrap", config.report.bootstrap},  // the resamples behind the intervals (0: none)
          {"warnings", warnings},
          {"timings", {{"fit_s", fit_s}, {"score_s", score_s}, {"metrics_s", metrics_s}}}};
  if (detector) record["fit_split"] = detector->fit_split();
  if (data.test_correct) {
    const auto& c = *data.test_correct;
    record["id_accuracy"] = static_cast<double>(std::count(c.begin(), c.end(), true)) / static_cast<double>(c.size());
  }
  if (!failure.is_null()) record["failure"] = failure;
  if (!variant.grid.empty())  // one point of a grid: `select` chooses among the records of one entry
    record["grid"] = {{"entry", variant.pointer}, {"base_label", variant.base_label}, {"values", variant.grid}};
  result.record = std::move(record);
  result.id_scores = std::move(id);
  result.ood_scores = std::move(detected_scores);
  return result;
}

void announce_autoencoders(const SweepConfig& config, const std::vector<const Cell*>& cells, LoadedDataset& data) {
  FitContext& ctx = data.context;
  const DataOffer offer{ctx.has_labels(), ctx.has_supplied_head(), ctx.validation() != nullptr,
                        !ctx.validation_labels().empty()};
  std::vector<AutoencoderConfig> configs;
  for (const Cell* cell : cells) {
    const DetectorVariant& variant = config.detectors[cell->detector];
    if (variant.detector == kScoresDetector) continue;
    try {
      const DetectorEntry& entry = find_detector(variant.detector);
      if (!entry.info.autoencoder) continue;
      const Params params = Params::resolve(entry.info, cell->params, variant.pointer + "/params");
      if (!unmet_needs(entry.info, params.values(), offer).empty()) continue;
      configs.push_back(entry.info.autoencoder(params));
    } catch (const InputError&) {
    }
  }
  ctx.expect_autoencoders(configs);
}

}  // namespace oodbench

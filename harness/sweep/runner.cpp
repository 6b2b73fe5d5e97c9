#include "harness/sweep/runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <map>
#include <set>

#include "harness/detectors/detector.h"
#include "harness/fit/class_labels.h"
#include "harness/git_commit.h"
#include "harness/io/atomic_write.h"
#include "harness/io/diagnostics.h"
#include "harness/sweep/cell_runner.h"
#include "harness/sweep/dataset.h"
#include "harness/sweep/failure_cells.h"
#include "harness/sweep/intervals.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/methods.h"
#include "harness/sweep/progress.h"
#include "harness/sweep/record_store.h"
#include "harness/sweep/validate.h"
#include "harness/version.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

}  // namespace

const char* git_commit() { return OODBENCH_GIT_COMMIT; }

namespace {

/// A cell as people name it: "chestxray/mobilenet_v2: knn (k=5)", with ", seed 1" for a seeded one.
std::string cell_name(const SweepConfig& config, const Cell& cell) {
  return config.datasets[cell.dataset].name() + ": " + config.detectors[cell.detector].label +
         (cell.seed ? ", seed " + std::to_string(*cell.seed) : "");
}

/// What opening the folder did to its records, said before the run.
void say_store_changes(const SweepConfig& config, const RecordStore& store, const RunOptions& options) {
  for (const std::string& w : store.warnings()) warn(w);
  const std::string bootstrap = "tables.bootstrap = " + std::to_string(config.report.bootstrap);
  if (const auto [moved, to] = store.moved_aside(); moved > 0)
    inform(options.out.string() + ": moved " + std::to_string(moved) + " records of cells this config no " +
           "longer has (other inputs, detectors, sets or oodbench version) to " + to.filename().string());
  if (store.stale() > 0)
    inform(options.out.string() + ": moved " + std::to_string(store.stale()) + " records that cannot be " +
           "brought up to date in place (intervals of another bootstrap count without kept scores or with " +
           "failure-detection metrics, or written before cells recorded failure-detection metrics) to " +
           store.moved_aside().second.filename().string() + "; their cells run again for " + bootstrap);
  if (store.changed() > 0)
    inform(options.out.string() + ": recomputed the intervals of " + std::to_string(store.changed()) +
           " records from their kept scores for " + bootstrap);
}

/// The config and the plan beside the records: `report` takes its settings from one, `merge` checks the other.
void write_config_and_plan(const SweepConfig& config, const std::vector<Cell>& plan, const RunOptions& options) {
  write_text_atomic((options.out / "config.json").string(), config.document.dump(2) + "\n");
  std::vector<std::string> ids;
  std::map<std::string, std::string> names;
  for (const Cell& c : plan) {
    ids.push_back(c.id);
    names[c.id] = cell_name(config, c);
  }
  write_plan(options.out, ids, names);
}

/// This shard's cells not yet in the store, by dataset, in plan order (counted in `summary`).
std::map<std::size_t, std::vector<const Cell*>> cells_to_run(const std::vector<Cell>& plan, const RecordStore& store,
                                                             const RunOptions& options, RunSummary& summary) {
  std::map<std::size_t, std::vector<const Cell*>> todo;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    if (!options.shard.owns(k)) continue;
    ++summary.planned;
    if (store.finished(plan[k].id)) ++summary.skipped;
    else todo[plan[k].dataset].push_back(&plan[k]);
  }
  return todo;
}

/// The run's opening lines: skipped detectors, what is to run on which device, and what the records' class indices
/// stand for where train labels were remapped (as `score` says).
void say_start(const SweepConfig& config, const std::vector<nlohmann::json>& inputs, const std::vector<Cell>& plan,
               const RunOptions& options, const Backend& backend, const RunSummary& summary) {
  if (!options.quiet) {
    for (const std::string& line : skipped_lines(config)) inform(line);
    std::string line = config.name + ": " + std::to_string(plan.size()) + " cells";
    if (options.shard.count > 1)
      line += ", shard " + std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count) + " has " +
              std::to_string(summary.planned);
    inform(line + ", " + std::to_string(summary.skipped) + " already done, " +
           std::to_string(summary.planned - summary.skipped) + " to run on " + backend.description());
  }
  for (std::size_t d = 0; d < config.datasets.size(); ++d) {
    const nlohmann::json& labels = inputs[d].value("train_labels", nlohmann::json::object());
    if (const auto map = labels.find("label_map"); map != labels.end() && !map->is_null())
      inform(config.datasets[d].name() + ": " + ClassLabels::remapped_note(*map, "train labels"));
  }
}

/// What every record of this run says of where and by what it ran ("finished_at" is each record's).
RunInfo run_info(const Backend& backend) {
  RunInfo info{backend.description(), version_string(), git_commit(), host_name(), "", std::nullopt};
  // Which of the machine's GPUs "cuda:0" was: `--gpu`, a launcher or Slurm narrow CUDA_VISIBLE_DEVICES to it.
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"); visible && backend.kind() == DeviceKind::cuda)
    info.cuda_visible_devices = visible;
  return info;
}

/// Everything a sweep run shares across its datasets.
struct RunState {
  const SweepConfig& config;
  const RunOptions& options;
  RecordStore& store;
  Progress& progress;
  RunSummary& summary;
  RunInfo info;
};

/// Runs `cells` (all of dataset `d`) and appends each finished cell's record to the store at once.
void run_dataset(RunState& run, std::size_t d, const std::vector<const Cell*>& cells, const nlohmann::json& inputs,
                 const Backend& backend) {
  const SweepConfig& config = run.config;
  const DatasetConfig& dataset = config.datasets[d];
  const auto load_start = std::chrono::steady_clock::now();
  LoadedDataset data = load_dataset(dataset, config.source, backend);
  if (data.inputs != inputs)
    throw InputError(config.source + ": " + dataset.pointer + ": the data of " + dataset.name() +
                     " changed while the sweep ran; run it again");
  data.context.set_probe_cache((run.options.out / "cache").string());  // a later run (more cells) reads the probe
  if (backend.kind() == DeviceKind::cuda) keep_dataset_resident(data);  // uploaded once, not once per cell
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  announce_autoencoders(config, cells, data);  // this dataset's seeds train together, in its first such cell
  const auto recorded_inputs = data.inputs.get<std::map<std::string, InputRecord>>();
  for (const Cell* cell : cells) {
    const auto start = std::chrono::steady_clock::now();
    CellResult result = run_cell(config, *cell, data);
    const std::string& label = config.detectors[cell->detector].label;
    if (!result.skipped.empty()) {
      inform("skipped " + label + " on " + dataset.name() + ": " + result.skipped);
      run.progress.cell_done(dataset.name() + ": " + label + " (skipped)", 0);
      continue;
    }
    CellRecord& record = result.record;
    if (config.keep_scores)  // written before the record that names it: a record never points to nothing
      record.scores = write_kept_scores(run.options.out, cell->id, result.ood_names,
                                        {std::move(result.id_scores), std::move(result.ood_scores),
                                         std::move(result.id_val_scores)});
    record.inputs = recorded_inputs;
    if (const auto train = recorded_inputs.find("train_labels"); train != recorded_inputs.end())
      record.label_map = train->second.label_map;  // class c stands for label_map[c]
    record.timings.load_s = load_s;  // the dataset's load, charged to its first cell
    load_s = 0;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    record.timings.total_s = seconds;
    record.run = run.info;
    record.run->finished_at = utc_time("%Y-%m-%dT%H:%M:%SZ");
    run.store.append(record);
    ++run.summary.ran;
    const std::string what = cell_name(config, *cell);
    // The fit's warnings (a singular covariance...), as `oodbench fit` prints them; the record keeps them too.
    for (const std::string& w : record.warnings) warn(what + ": " + w);
    run.progress.cell_done(what, seconds);
  }
  if (!run.options.quiet && !data.context.probe_read_from().empty())
    inform(dataset.name() + ": linear probe read from the cache " + data.context.probe_read_from());
}

RunSummary run_in(const SweepConfig& config, const std::vector<nlohmann::json>& inputs, const std::vector<Cell>& plan,
                  RecordStore& store, const RunOptions& options, const Backend& backend, RunSummary& summary) {
  say_store_changes(config, store, options);
  write_config_and_plan(config, plan, options);
  const auto todo = cells_to_run(plan, store, options, summary);
  say_start(config, inputs, plan, options, backend, summary);
  Progress progress(summary.planned - summary.skipped, options.quiet);
  RunState run{config, options, store, progress, summary, run_info(backend)};
  for (const auto& [d, cells] : todo) run_dataset(run, d, cells, inputs[d], backend);
  progress.finish();
  return summary;
}

/// Refuses to set aside the records of detectors this process does not know: detectors defined in Python, whose
/// cells a run from the command line (or from Python without them) cannot compute again. Nothing is changed.
void keep_foreign_cells(const std::filesystem::path& out, const std::set<std::string>& plan, const std::string& source) {
  std::map<std::string, std::size_t> foreign;  // detector -> records of it outside the plan
  for (const nlohmann::json& r : read_records(out)) {
    const std::string detector = r.value("detector", "");
    if (plan.count(r["cell"].get<std::string>()) || detector.empty()) continue;
    if (!registered_detector(detector) && detector != kPrecomputedScores) ++foreign[detector];
  }
  if (foreign.empty()) return;
  std::size_t records = 0;
  for (const auto& [name, n] : foreign) records += n;
  const std::string names = join(foreign, ", ", [](const auto& named) { return named.first; });
  const std::string passed =
      join(foreign, ", ", [](const auto& named) { return "\"" + named.first + "\": YourClass"; });
  throw InputError(out.string() + ": holds " + std::to_string(records) + " records of detectors defined in Python (" +
                   names + "), which this run cannot compute and would set aside; run it from Python with them: " +
                   "oodbench.run(\"" + source + "\", out=\"" + out.string() + "\", detectors={" + passed +
                   "}), or write to another folder (--out); nothing was changed");
}

}  // namespace

RunSummary run_sweep(const SweepConfig& config, const RunOptions& options, const Backend& backend) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(options.out, ec);
  const std::vector<nlohmann::json> inputs = validate_sweep(config, backend);  // before the folder exists
  const std::vector<Cell> plan = expand_plan(config, inputs, backend.kind());
  std::set<std::string> plan_ids;
  for (const Cell& c : plan) plan_ids.insert(c.id);
  if (existed) keep_foreign_cells(options.out, plan_ids, config.source);
  // Another run's folder is an InputError here, and nothing of it is touched: that run may have just created it.
  RecordStore store(options.out, plan_ids, "oodbench run " + config.source,
                    failure_check(config.report.bootstrap, interval_check(options.out, config.report.bootstrap, backend)),
                    options.on_set_aside);
  RunSummary summary;
  try {
    return run_in(config, inputs, plan, store, options, backend, summary);
  } catch (...) {
    // A run that fails before finishing any cell leaves no folder behind it did not find. It holds the folder's
    // lock, so no other run has written there.
    if (!existed && summary.ran == 0) std::filesystem::remove_all(options.out, ec);
    throw;
  }
}

}  // namespace oodbench

// The sweep commands: `validate` (every fault of a config and its data, nothing run), `run` (a config's grid into a
// result folder, resumable and shardable), `report` (tables and plots from a result folder's records) and `merge`
// (shard folders into one).
#include <filesystem>
#include <optional>
#include <set>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/io/atomic_write.h"
#include "harness/io/diagnostics.h"
#include "harness/io/file_checks.h"
#include "harness/report/report_files.h"
#include "harness/report/sweep_report.h"
#include "harness/sweep/config.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/plan.h"
#include "harness/sweep/record_store.h"
#include "harness/sweep/runner.h"
#include "harness/sweep/validate.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

void print_report(const fs::path& dir) {
  const ReportSummary s = write_report(dir);
  for (const std::string& w : s.warnings) warn(w);
  std::cout << dir.string() << ": " << s.records << " records -> " << s.tables << " tables, " << s.plots
            << " plots; see " << (dir / "report.md").string() << '\n';
}

struct RunOptionsCli {
  std::string config, out, shard = "0/1";
  bool no_report = false, quiet = false;
};

void run_command(const RunOptionsCli& opt, const GlobalOptions& global) {
  const Shard shard = parse_shard(opt.shard, "--shard");
  const SweepConfig config = load_sweep_config(opt.config);
  const fs::path out = opt.out.empty() ? fs::path("results") / config.name : fs::path(opt.out);
  const auto backend = global.backend(config.tf32);
  if (!opt.no_report) check_report_files_free(out);  // a researcher's own report.md: refused before any cell runs
  const RunOptions options{out, shard, opt.quiet, [&out] { remove_stale_report(out); }};
  const RunSummary s = run_sweep(config, options, *backend);
  std::cout << out.string() << ": " << s.ran << " cells run, " << s.skipped << " already done\n";
  if (!opt.no_report) print_report(out);
}

struct MergeOptions {
  std::string out;
  std::vector<std::string> inputs;
};

void validate_command(const std::string& config_path) {
  const SweepConfig config = load_sweep_config(config_path);
  const std::vector<nlohmann::json> inputs = validate_sweep(config, *make_cpu_backend());
  std::size_t arrays = 0;
  for (const nlohmann::json& d : inputs) arrays += d.size();
  for (const std::string& line : skipped_lines(config)) std::cout << line << '\n';
  std::cout << config_path << ": valid: " << config.datasets.size() << " datasets (" << arrays << " arrays), "
            << expand_plan(config, inputs, DeviceKind::cpu).size() << " cells\n";
}

void merge_command(const MergeOptions& opt) {
  std::vector<nlohmann::json> merged;
  std::set<std::string> seen;
  std::string config_text;
  std::optional<std::set<std::string>> plan;
  std::string plan_text;  // the first input's plan.json, with the names of its cells
  std::vector<std::pair<fs::path, std::string>> kept_files;  // (source, path relative to the folder)
  for (const std::string& input : opt.inputs) {
    require_result_folder(input);
    // Shards of one sweep share its plan; folders of other configs, inputs or devices would mix cells.
    const std::set<std::string> input_plan = read_plan(input);
    if (plan && input_plan != *plan)
      throw InputError(input + ": its plan (plan.json) differs from " + opt.inputs.front() + "'s: these folders were "
                       "run with different configs, inputs or devices; merge only the shards of one sweep");
    plan = input_plan;
    if (plan_text.empty() && fs::exists(fs::path(input) / "plan.json"))
      plan_text = read_text_file((fs::path(input) / "plan.json").string());
    std::vector<std::string> warnings;
    std::size_t added = 0;
    for (nlohmann::json& r : read_records(input, &warnings)) {
      const CellRecord record = parse_cell_record(r, (fs::path(input) / "records.jsonl").string());
      if (!seen.insert(record.cell).second) continue;
      if (record.scores) kept_files.emplace_back(fs::path(input) / record.scores->file, record.scores->file);
      merged.push_back(std::move(r)), ++added;
    }
    for (const std::string& w : warnings) warn(w);
    std::cout << input << ": " << added << " records\n";
    const fs::path config = fs::path(input) / "config.json";
    const std::string text = fs::exists(config) ? read_text_file(config.string()) : "";
    if (config_text.empty()) config_text = text;
    else if (!text.empty() && text != config_text)
      throw InputError(input + ": its config.json differs from " + opt.inputs.front() + "'s; merge only the shards "
                       "of one sweep");
  }
  if (merged.empty()) throw InputError("nothing to merge: the inputs hold no records");
  check_report_files_free(opt.out);  // before the records: a refused merge leaves the folder as it was
  {
    const FolderLock lock(opt.out, "oodbench merge --out " + opt.out);
    for (const auto& [from, relative] : kept_files) {  // score files first: a merged record never points to nothing
      const fs::path to = fs::path(opt.out) / relative;
      std::error_code ec;
      if (fs::exists(to, ec) && fs::equivalent(from, to, ec)) continue;  // merging into one of the inputs
      fs::create_directories(to.parent_path(), ec);
      if (ec) throw_system_error(to.parent_path().string() + ": cannot create", ec.value());
      write_text_atomic(to.string(), read_text_file(from.string(), "a kept score file"));
    }
    write_records(opt.out, merged);
    if (!plan_text.empty()) write_text_atomic((fs::path(opt.out) / "plan.json").string(), plan_text);
    if (!config_text.empty())
      write_text_atomic((fs::path(opt.out) / "config.json").string(), config_text);
  }
  print_report(opt.out);  // which takes the folder's lock itself
}

}  // namespace

void add_sweep_commands(CLI::App& app, const GlobalOptions& global) {
  auto validated = std::make_shared<std::string>();
  CLI::App* v = app.add_subcommand("validate",
                                   "Check a sweep config and all its data without running anything: files and keys,\n"
                                   "widths, NaN/Inf, labels, heads, and every detector's needs; every fault at once");
  v->add_option("config", *validated, "Sweep config (JSON)")->required();
  v->callback([validated] { validate_command(*validated); });

  auto run = std::make_shared<RunOptionsCli>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a sweep config (configs/*.json): every dataset x detector x seed cell not already in the result folder,\n"
      "one JSON record per cell appended as it finishes, then the tables and plots (see `report`).\n"
      "Interrupt it at any time; running it again resumes.");
  cmd->add_option("config", run->config, "Sweep config (JSON; schema: configs/config.schema.json)")->required();
  cmd->add_option("--out", run->out, "Result folder (default: results/<config name>)");
  cmd->add_option("--shard", run->shard, "Run only shard i of N (cells k with k mod N = i); merge the folders after")
      ->capture_default_str();
  cmd->add_flag("--no-report", run->no_report, "Do not write tables and plots at the end");
  cmd->add_flag("--quiet", run->quiet, "No progress output");
  cmd->callback([run, &global] { run_command(*run, global); });

  auto dir = std::make_shared<std::string>();
  CLI::App* report = app.add_subcommand("report", "Tables (Markdown, CSV, JSON, LaTeX) and SVG plots from a result "
                                                  "folder's records");
  report->add_option("dir", *dir, "Result folder written by `run` or `merge`")->required();
  report->callback([dir] { print_report(*dir); });

  auto merge = std::make_shared<MergeOptions>();
  CLI::App* m = app.add_subcommand("merge", "Combine the result folders of shards into one, then report");
  m->add_option("--out", merge->out, "Merged result folder")->required();
  m->add_option("inputs", merge->inputs, "Shard result folders")->required();
  m->callback([merge] { merge_command(*merge); });
}

}  // namespace oodbench

// `oodbench compare DIR A B`: is detector A better than B? The paired difference A − B per dataset, OOD set and
// metric, with a paired bootstrap 95 % interval and a two-sided p-value, from the folder's kept per-sample scores.
// `oodbench compare --id A B --ood A B ...`: the same on score files, as `eval` reads them.
#include <cstdio>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/io/diagnostics.h"
#include "harness/io/load_array.h"
#include "harness/report/paired_tests.h"
#include "harness/report/text_table.h"
#include "harness/sweep/config.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct CompareOptions {
  std::string dir, a, b;
  std::vector<std::string> id, ood;  // score files: A's then B's, per --id / --ood
  std::string dataset;
  std::vector<std::string> metrics = {"auroc", "fpr95"};
  std::size_t resamples = 1000;
  std::uint64_t seed = 0;
  bool json = false;
};

std::string p_text(double p) {
  char out[32];
  std::snprintf(out, sizeof out, p < 0.001 ? "%.1e" : "%.3f", p);
  return out;
}

/// One dataset's sets as a table: per set, each metric's difference, interval and p-value.
void print_sets(const nlohmann::json& sets, const std::vector<std::string>& metrics) {
  std::vector<std::string> header = {"OOD set"};
  for (const std::string& m : metrics) {
    header.push_back(m + " diff");
    header.push_back("95% CI");
    header.push_back("p");
  }
  TextTable table(header);
  for (const nlohmann::json& s : sets) {
    std::vector<std::string> row = {s["name"].get<std::string>()};
    for (const std::string& m : metrics) {
      const nlohmann::json& e = s["metrics"][m];
      row.push_back(percent(e["diff"].get<double>()));
      row.push_back("[" + percent(e["ci95_low"].get<double>()) + ", " + percent(e["ci95_high"].get<double>()) + "]");
      row.push_back(p_text(e["p_value"].get<double>()));
    }
    table.add_row(row);
  }
  table.print(std::cout);
}

/// `--id A B --ood A B ...`: A's and B's score files, set k named by A's k-th --ood file (as `eval` names sets).
nlohmann::json compare_files(const CompareOptions& opt) {
  if (!opt.dir.empty())
    throw InputError("compare: give a result folder and two labels, or score files (--id, --ood), not both");
  if (opt.ood.empty()) throw InputError("compare --id: give the OOD scores too, --ood A_OOD B_OOD (repeated per set)");
  if (opt.ood.size() % 2 != 0)
    throw InputError("compare --ood: expected two files each time, A's then B's scores of one OOD set (--ood A_OOD "
                     "B_OOD, repeated per set), got " + std::to_string(opt.ood.size()) + " in all");
  ScoreArrays a, b;
  a.id = load_scores(opt.id[0]);
  b.id = load_scores(opt.id[1]);
  std::vector<std::string> sets;
  for (std::size_t k = 0; k < opt.ood.size(); k += 2) {
    sets.push_back(opt.ood[k]);
    a.ood.push_back(load_scores(opt.ood[k]));
    b.ood.push_back(load_scores(opt.ood[k + 1]));
  }
  return compare_score_arrays(a, b, sets, opt.dataset, {opt.resamples, opt.seed, opt.metrics});
}

void run_compare(const CompareOptions& opt) {
  if (opt.resamples < 100 || opt.resamples > 100000)
    throw InputError("--bootstrap: expected 100..100000 resamples, got " + std::to_string(opt.resamples));
  if (!opt.id.empty() || !opt.ood.empty()) {
    if (opt.id.empty()) throw InputError("compare --ood: give the ID scores too, --id A_ID B_ID");
    const nlohmann::json result = compare_files(opt);
    if (opt.json) {
      std::cout << result.dump(2) << '\n';
      return;
    }
    std::cout << opt.id[0] << " − " << opt.id[1] << " and their OOD scores (values in percentage points; paired "
              << "bootstrap, " << opt.resamples << " resamples, seed " << opt.seed << ")\n";
    print_sets(result["sets"], opt.metrics);
    return;
  }
  if (opt.dir.empty() || opt.a.empty() || opt.b.empty())
    throw InputError("compare: give a result folder and two detector labels (compare DIR A B), or score files "
                     "(compare --id A_ID B_ID --ood A_OOD B_OOD)");
  if (!opt.dataset.empty())
    throw InputError("compare --dataset: only for score files; a folder's datasets are named by its records");
  std::vector<std::string> warnings;
  const std::vector<CellRecord> records = read_cell_records(opt.dir, &warnings);
  for (const std::string& w : warnings) warn(w);
  if (records.empty()) throw InputError(opt.dir + ": no result records (" + records_path(opt.dir).string() + ")");
  const nlohmann::json result = compare_detectors(opt.dir, records, opt.a, opt.b, {opt.resamples, opt.seed, opt.metrics});
  if (opt.json) {
    std::cout << result.dump(2) << '\n';
    return;
  }
  std::cout << result["a"].get<std::string>() << " − " << result["b"].get<std::string>()
            << " (values in percentage points; paired bootstrap, " << opt.resamples << " resamples, seed " << opt.seed
            << ")\n";
  for (const nlohmann::json& d : result["datasets"]) {
    std::cout << "\n" << d["dataset"].get<std::string>() << "\n";
    print_sets(d["sets"], opt.metrics);
  }
  for (const nlohmann::json& n : result["notes"]) std::cout << "note: " << n.get<std::string>() << '\n';
  std::cout << "Over seeds: each replicate averages the metric over the seeds, A's and B's on the same resampled rows; "
               "the difference of those means is the mean of the per-seed paired differences (--json lists them).\n";
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Paired comparison of two detectors, of a result folder (needs \"keep_scores\": true) or of score "
                 "files: A − B per dataset, OOD set and metric, with a paired bootstrap 95 % interval and p-value");
  cmd->add_option("dir", opt->dir, "Result folder (run's --out)");
  cmd->add_option("a", opt->a, "Detector A, its label as in the tables, e.g. \"knn (k=50)\", or its grid entry's "
                               "label (\"knn\") when one row of the folder has it");
  cmd->add_option("b", opt->b, "Detector B");
  cmd->add_option("--id", opt->id, "Instead of a folder: A's and B's ID test scores (.npy or file.npz:key, 1-D, "
                                   "higher = more OOD), the same rows in the same order")
      ->expected(2);
  cmd->add_option("--ood", opt->ood, "A's and B's scores of one OOD set, named by A's file; repeat per set")
      ->expected(2)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--dataset", opt->dataset, "With score files: draw the resamples `compare DIR` draws for this "
                                             "dataset (modality/backbone), to reproduce its numbers (default none)");
  cmd->add_option("--metric", opt->metrics, "Metrics to compare (repeatable); default auroc and fpr95")
      ->check(CLI::IsMember(known_metrics()));
  cmd->add_option("--bootstrap", opt->resamples, "Bootstrap resamples (default 1000)");
  cmd->add_option("--seed", opt->seed, "Seed of the resamples (default 0)");
  cmd->add_flag("--json", opt->json, "Print JSON (fractions, full precision)");
  cmd->callback([opt] { run_compare(*opt); });
}

}  // namespace oodbench

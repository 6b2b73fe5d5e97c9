// `oodbench compare DIR A B`: is detector A better than B? The paired difference A − B per dataset, OOD set and
// metric, with a paired bootstrap 95 % interval and a two-sided p-value, from the folder's kept per-sample scores.
#include <cstdio>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/report/paired_tests.h"
#include "harness/report/text_table.h"
#include "harness/sweep/config.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct CompareOptions {
  std::string dir, a, b;
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

void run_compare(const CompareOptions& opt) {
  std::vector<std::string> warnings;
  const std::vector<nlohmann::json> records = read_records(opt.dir, &warnings);
  for (const std::string& w : warnings) std::cerr << "oodbench: warning: " << w << '\n';
  if (records.empty()) throw InputError(opt.dir + ": no result records (" + records_path(opt.dir).string() + ")");
  if (opt.resamples < 100 || opt.resamples > 100000)
    throw InputError("--bootstrap: expected 100..100000 resamples, got " + std::to_string(opt.resamples));
  const nlohmann::json result = compare_detectors(opt.dir, records, opt.a, opt.b, {opt.resamples, opt.seed, opt.metrics});
  if (opt.json) {
    std::cout << result.dump(2) << '\n';
    return;
  }
  std::cout << opt.a << " − " << opt.b << " (values in percentage points; paired bootstrap, " << opt.resamples
            << " resamples, seed " << opt.seed << ")\n";
  for (const nlohmann::json& d : result["datasets"]) {
    std::cout << "\n" << d["dataset"].get<std::string>() << "\n";
    std::vector<std::string> header = {"OOD set"};
    for (const std::string& m : opt.metrics) {
      header.push_back(m + " diff");
      header.push_back("95% CI");
      header.push_back("p");
    }
    TextTable table(header);
    for (const nlohmann::json& s : d["sets"]) {
      std::vector<std::string> row = {s["name"].get<std::string>()};
      for (const std::string& m : opt.metrics) {
        const nlohmann::json& e = s["metrics"][m];
        row.push_back(percent(e["diff"].get<double>()));
        row.push_back("[" + percent(e["ci95_low"].get<double>()) + ", " + percent(e["ci95_high"].get<double>()) + "]");
        row.push_back(p_text(e["p_value"].get<double>()));
      }
      table.add_row(row);
    }
    table.print(std::cout);
  }
  for (const nlohmann::json& n : result["notes"]) std::cout << "note: " << n.get<std::string>() << '\n';
  std::cout << "Over seeds: each replicate averages the metric over the seeds, A's and B's on the same resampled rows; "
               "the difference of those means is the mean of the per-seed paired differences (--json lists them).\n";
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Paired comparison of two detectors of a result folder (needs \"keep_scores\": true): A − B per "
                 "dataset, OOD set and metric, with a paired bootstrap 95 % interval and p-value");
  cmd->add_option("dir", opt->dir, "Result folder (run's --out)")->required();
  cmd->add_option("a", opt->a, "Detector A, its label as in the tables, e.g. \"knn (k=50)\"")->required();
  cmd->add_option("b", opt->b, "Detector B")->required();
  cmd->add_option("--metric", opt->metrics, "Metrics to compare (repeatable); default auroc and fpr95")
      ->check(CLI::IsMember(known_metrics()));
  cmd->add_option("--bootstrap", opt->resamples, "Bootstrap resamples (default 1000)");
  cmd->add_option("--seed", opt->seed, "Seed of the resamples (default 0)");
  cmd->add_flag("--json", opt->json, "Print JSON (fractions, full precision)");
  cmd->callback([opt] { run_compare(*opt); });
}

}  // namespace oodbench

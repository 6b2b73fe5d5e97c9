// `oodbench ranks DIR`: which detector is best across every dataset and OOD set of a result folder, and is the
// difference real? Average ranks with Friedman, Iman-Davenport, the Nemenyi critical difference and Holm-corrected
// tests against the best (harness/report/rankings.h).
#include <iostream>

#include "harness/cli/command.h"
#include "harness/io/diagnostics.h"
#include "harness/report/rankings.h"
#include "harness/sweep/config.h"

namespace oodbench {
namespace {

struct RanksOptions {
  std::string dir;
  std::string metric = "auroc";
  bool json = false;
};

void run_ranks(const RanksOptions& opt) {
  std::vector<std::string> warnings;
  const Rankings r = folder_rankings(opt.dir, opt.metric, &warnings);
  for (const std::string& w : warnings) warn(w);
  if (opt.json) {
    std::cout << rankings_json(r).dump(2) << '\n';
    return;
  }
  std::cout << rankings_markdown(r);
}

}  // namespace

void add_ranks_command(CLI::App& app) {
  auto opt = std::make_shared<RanksOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ranks", "Rank a result folder's detectors across its datasets and OOD sets: average ranks, Friedman and "
               "Iman-Davenport tests, Nemenyi critical difference, Holm-corrected tests against the best");
  cmd->add_option("dir", opt->dir, "Result folder (run's --out)")->required();
  cmd->add_option("--metric", opt->metric, "Metric to rank by (default auroc)")->check(CLI::IsMember(known_metrics()));
  cmd->add_flag("--json", opt->json, "Print JSON (full precision)");
  cmd->callback([opt] { run_ranks(*opt); });
}

}  // namespace oodbench

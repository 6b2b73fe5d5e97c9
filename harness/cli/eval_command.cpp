// `oodbench eval`: metrics of precomputed scores (higher = more OOD) of an ID test set against OOD sets.
#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/io/arrays.h"
#include "harness/metrics/metrics_json.h"
#include "harness/report/text_table.h"

namespace oodbench {
namespace {

struct EvalOptions {
  std::string id;
  std::vector<std::string> ood;
  bool json = false;
};

nlohmann::json to_json(const OodMetrics& m) {
  nlohmann::json out = metrics_json(m);
  out["n_id"] = m.n_id;
  out["n_ood"] = m.n_ood;
  return out;
}

void run_eval(const EvalOptions& opt, const GlobalOptions& global) {
  const auto backend = global.backend();
  const std::vector<double> id_scores = load_scores(opt.id);
  std::vector<std::pair<std::string, OodMetrics>> results;
  for (const std::string& spec : opt.ood) {
    const std::vector<double> ood_scores = load_scores(spec);
    results.emplace_back(spec, compute_ood_metrics(id_scores, ood_scores, *backend, opt.id, spec));
  }
  if (opt.json) {
    nlohmann::json out = {{"id", opt.id}, {"device", backend->description()}, {"ood", nlohmann::json::array()}};
    for (const auto& [name, m] : results) {
      auto entry = to_json(m);
      entry["name"] = name;
      out["ood"].push_back(entry);
    }
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::cout << "ID scores: " << opt.id << " (" << id_scores.size() << " rows); higher score = more OOD; values in %\n";
  TextTable table({"OOD set", "n", "AUROC", "FPR@95(ID+)", "FPR@95(OOD+)", "AUPR-In", "AUPR-Out", "AUPR-In(trapz)",
                   "AUPR-Out(trapz)"});
  for (const auto& [name, m] : results) {
    table.add_row({name, std::to_string(m.n_ood), percent(m.auroc), percent(m.fpr95), percent(m.fpr95_ood_positive),
                   percent(m.aupr_in), percent(m.aupr_out), percent(m.aupr_in_trapz), percent(m.aupr_out_trapz)});
  }
  table.print(std::cout);
  std::cout << "FPR@95(ID+): OOD accepted at 95% ID recall (kNN/NERO papers). FPR@95(OOD+): ID flagged at 95% OOD "
               "recall (OpenOOD).\n";
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Metrics (AUROC, FPR@95 both conventions, AUPR) of precomputed scores");
  cmd->add_option("--id", opt->id, "ID test scores: .npy or file.npz:key, 1-D float, higher = more OOD")->required();
  cmd->add_option("--ood", opt->ood, "OOD scores, same format; repeat for several OOD sets")->required();
  cmd->add_flag("--json", opt->json, "Print JSON (fractions, full precision) instead of a table (percent)");
  cmd->callback([opt, &global] { run_eval(*opt, global); });
}

}  // namespace oodbench

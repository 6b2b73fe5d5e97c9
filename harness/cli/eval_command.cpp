// `oodbench eval`: metrics of precomputed scores (higher = more OOD) of an ID test set against OOD sets.
#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/io/load_array.h"
#include "harness/metrics/metrics_json.h"
#include "harness/report/text_table.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct EvalOptions {
  std::string id;
  std::vector<std::string> ood;
  std::string correct;
  bool json = false;
  std::size_t bootstrap = 0;
  std::uint64_t seed = 0;
};

/// The failure-detection table: the ID scores as a confidence (-score) for the head's correctness.
void print_failure(const nlohmann::json& f, const std::string& correct_file) {
  auto pct = [&](const char* key) {
    std::string text = percent(f.at(key).get<double>());
    if (f.contains("ci95"))
      text += " [" + percent(f["ci95"]["low"].at(key).get<double>()) + ", " +
              percent(f["ci95"]["high"].at(key).get<double>()) + "]";
    return text;
  };
  std::cout << "Failure detection against " << correct_file << " (" << f.at("errors").get<std::size_t>()
            << " misclassified; confidence = -score; AURC, E-AURC and AUGRC: lower is better):\n";
  TextTable table({"n", "AURC", "E-AURC", "AUGRC", "Accuracy"});
  table.add_row({std::to_string(f.at("n").get<std::size_t>()), pct("aurc"), pct("eaurc"), pct("augrc"), pct("accuracy")});
  table.print(std::cout);
}

void run_eval(const EvalOptions& opt, const GlobalOptions& global) {
  const auto backend = global.backend();
  const std::vector<double> id_scores = load_scores(opt.id);
  std::vector<std::pair<std::string, std::vector<double>>> ood_sets;
  for (const std::string& spec : opt.ood) ood_sets.emplace_back(spec, load_scores(spec));
  if (opt.bootstrap != 0 && (opt.bootstrap < 100 || opt.bootstrap > 100000))
    throw InputError("--bootstrap: expected 100..100000 resamples, got " + std::to_string(opt.bootstrap));
  if (ood_sets.empty() && opt.correct.empty())
    throw InputError("--ood: no OOD scores given; give --ood (OOD detection) or --correct (failure detection), or both");
  nlohmann::json evaluation = evaluation_json(opt.id, id_scores, ood_sets, *backend, opt.bootstrap, opt.seed);
  if (!opt.correct.empty()) {
    const std::vector<bool> correct = load_correct(opt.correct);
    if (correct.size() != id_scores.size())
      throw InputError(opt.correct + ": " + std::to_string(correct.size()) + " correctness flags but " + opt.id +
                       " has " + std::to_string(id_scores.size()) + " scores; give one flag per scored row");
    evaluation["failure"] = failure_evaluation_json(opt.id, id_scores, correct, *backend, opt.bootstrap, opt.seed);
  }
  if (opt.json) {
    std::cout << evaluation.dump(2) << '\n';
    return;
  }
  std::cout << "ID scores: " << opt.id << " (" << id_scores.size() << " rows); higher score = more OOD; values in %\n";
  if (evaluation.contains("failure")) print_failure(evaluation["failure"], opt.correct);
  if (ood_sets.empty()) return;
  TextTable table({"OOD set", "n", "AUROC", "FPR@95(ID+)", "FPR@95(OOD+)", "AUPR-In", "AUPR-Out", "AUPR-In(trapz)",
                   "AUPR-Out(trapz)", "Det.err"});
  for (const nlohmann::json& m : evaluation["ood"]) {
    auto pct = [&](const char* key) {
      std::string text = percent(m.at(key).get<double>());
      if (m.contains("ci95"))
        text += " [" + percent(m["ci95"]["low"].at(key).get<double>()) + ", " +
                percent(m["ci95"]["high"].at(key).get<double>()) + "]";
      return text;
    };
    table.add_row({m.at("name").get<std::string>(), std::to_string(m.at("n_ood").get<std::size_t>()), pct("auroc"),
                   pct("fpr95"), pct("fpr95_ood_positive"), pct("aupr_in"), pct("aupr_out"), pct("aupr_in_trapz"),
                   pct("aupr_out_trapz"), pct("detection_error")});
  }
  table.print(std::cout);
  if (opt.bootstrap > 0)
    std::cout << "[a, b]: percentile-bootstrap 95 % interval (" << opt.bootstrap << " resamples, seed " << opt.seed
              << ").\n";
  std::cout << "FPR@95(ID+): OOD accepted at 95% ID recall (kNN/NERO papers). FPR@95(OOD+): ID flagged at 95% OOD "
               "recall (OpenOOD).\n";
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Metrics (AUROC, FPR@95 both conventions, AUPR; AURC, AUGRC with --correct) of precomputed scores");
  cmd->add_option("--id", opt->id, "ID test scores: .npy or file.npz:key, 1-D float, higher = more OOD")->required();
  cmd->add_option("--ood", opt->ood, "OOD scores, same format; repeat for several OOD sets");
  cmd->add_option("--correct", opt->correct,
                  "Failure detection: whether the head classified each ID row correctly (bool, or 0/1), one per --id "
                  "score; adds AURC, E-AURC, AUGRC and the accuracy");
  cmd->add_flag("--json", opt->json, "Print JSON (fractions, full precision) instead of a table (percent)");
  cmd->add_option("--bootstrap", opt->bootstrap,
                  "Percentile-bootstrap 95 % intervals from this many resamples (100..100000; default none)");
  cmd->add_option("--seed", opt->seed, "Seed of the bootstrap resamples (default 0)");
  cmd->callback([opt, &global] { run_eval(*opt, global); });
}

}  // namespace oodbench

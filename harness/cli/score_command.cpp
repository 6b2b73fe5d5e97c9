// `oodbench score`: fit one detector on ID train features, or load one fitted before (--model FILE.oodb), and write
// one float32 score per test row. Everything is loaded, checked, fitted and scored before the first output is
// written, and each output is written atomically, so a failure leaves no file behind.
#include <iostream>
#include <optional>

#include "harness/cli/command.h"
#include "harness/cli/fit_inputs.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/model_file.h"
#include "harness/io/arrays.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct ScoreOptions {
  FitInputs fit;
  std::string model;
  std::vector<std::string> tests, outs;
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void check_inputs(const ScoreOptions& opt) {
  if (opt.tests.size() != opt.outs.size()) {
    throw InputError("give one --out per --test (" + std::to_string(opt.tests.size()) + " --test, " +
                     std::to_string(opt.outs.size()) + " --out)");
  }
  const std::vector<std::string> given = opt.fit.given();
  if (!opt.model.empty() && !given.empty()) {
    throw InputError("--model " + opt.model + " scores with the detector fitted in it, so " + joined(given) +
                     " cannot go with it: drop " + joined(given) + ", or drop --model to fit anew");
  }
  if (opt.model.empty() && (opt.fit.detector.empty() || opt.fit.train.empty())) {
    throw InputError("say what scores: --detector NAME --train FEATURES to fit one, or --model FILE.oodb to use one "
                     "saved by `oodbench fit --save`");
  }
}

void run_score(const ScoreOptions& opt, const GlobalOptions& global) {
  check_inputs(opt);
  const DetectorEntry* entry = opt.model.empty() ? &find_detector(opt.fit.detector) : nullptr;
  const nlohmann::json params = opt.fit.params_json();
  if (entry) Params::resolve(entry->info, params, "--param");  // reject bad parameters before any loading
  for (const std::string& out : opt.outs) check_writable(out);

  const auto backend = global.backend();
  std::vector<Matrix<float>> tests;
  std::optional<FitContext> ctx;  // outlives the scoring: a fitted detector may borrow from it
  std::unique_ptr<Detector> detector;
  if (entry) {
    ctx.emplace(opt.fit.load(*backend));
    for (const std::string& spec : opt.tests) tests.push_back(opt.fit.load_test(spec, ctx->dims()));
    detector = make_fitted_detector(*entry, params, *ctx, "--param");
    for (const std::string& w : ctx->warnings()) std::cerr << "oodbench: warning: " << w << '\n';
  } else {
    LoadedModel model = load_model(opt.model);
    for (const std::string& spec : opt.tests) {
      tests.push_back(load_features(spec));
      check_model_width(model, opt.model, tests.back().cols, spec);
    }
    entry = model.entry;
    detector = std::move(model.detector);
  }
  std::vector<std::vector<float>> scores;
  for (const Matrix<float>& test : tests) scores.push_back(detector->score(test, *backend));

  for (std::size_t t = 0; t < tests.size(); ++t) {
    const std::size_t n = scores[t].size();
    write_file_atomic(opt.outs[t], encode_npy(scores[t], std::span<const std::size_t>(&n, 1)));
    std::cout << opt.outs[t] << ": " << n << " " << entry->info.name << " scores for " << opt.tests[t] << '\n';
  }
}

}  // namespace

void add_score_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<ScoreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Fit a detector on ID train features, or load one (--model FILE.oodb), and write one float32 score per\n"
      "test row (higher = more OOD).\n"
      "Memory: kNN is tiled (1024 queries x 4096 train rows of float32 at a time on the CPU), never the whole\n"
      "test x train matrix; Mahalanobis-type detectors never form a test x test matrix.");
  opt->fit.add_options(cmd, false);
  cmd->add_option("--model", opt->model, "A fitted detector saved by `oodbench fit --save` (instead of --detector, "
                                         "--train and the other fitting inputs)");
  cmd->add_option("--test", opt->tests, "Test features to score (repeatable)")->required()->allow_extra_args(false);
  cmd->add_option("--out", opt->outs, "Output .npy for the matching --test (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->callback([opt, &global] { run_score(*opt, global); });
}

}  // namespace oodbench

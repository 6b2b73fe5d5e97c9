// `oodbench score`: fit one detector on ID train features, or load one fitted before (--model FILE.oodb), and write
// one float32 score per test row. Everything is loaded, checked, fitted and scored before the first output is
// written, and each output is written atomically, so a failure leaves no file behind.
#include <iostream>
#include <optional>

#include "harness/cli/command.h"
#include "harness/cli/fit_inputs.h"
#include "harness/cli/output_options.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/model_file.h"
#include "harness/io/atomic_write.h"
#include "harness/io/load_array.h"
#include "harness/io/output_checks.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

struct ScoreOptions {
  FitInputs fit;
  std::string model;
  std::vector<std::string> tests, outs;
};

/// How `oodbench score --model` words a model file it cannot use.
ModelWording command_line_model_wording() {
  return {.reader = "--model",
          .writer = "`oodbench fit --save`",
          .refit = [](const std::string& detector, const std::string& path) {
            return "oodbench fit --detector " + (detector.empty() ? "..." : detector) + " ... --save " + path;
          },
          .first_save = "oodbench fit --detector ... --train ... --save model.oodb"};
}

std::string substituted(std::string text, const std::string& detector) {
  const std::string token = "{detector}";
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + detector.size()))
    text.replace(at, token.size(), detector);
  return text;
}

void check_inputs(const ScoreOptions& opt) {
  if (opt.tests.size() != opt.outs.size()) {
    throw InputError("give one --out per --test (" + std::to_string(opt.tests.size()) + " --test, " +
                     std::to_string(opt.outs.size()) + " --out)");
  }
  const std::vector<std::string> given = opt.fit.given();
  if (!opt.model.empty() && !given.empty()) {
    throw InputError("--model " + opt.model + " scores with the detector fitted in it, so " + join(given) +
                     " cannot go with it: drop " + join(given) + ", or drop --model to fit anew");
  }
  if (opt.model.empty() && (opt.fit.detector.empty() || opt.fit.train.empty())) {
    throw InputError("say what scores: --detector NAME --train FEATURES to fit one, or --model FILE.oodb to use one "
                     "saved by `oodbench fit --save`");
  }
}

/// The detectors --detector names: one, or for `all` every registered one with its defaults (each --out then
/// names {detector}).
std::vector<const DetectorEntry*> named_detectors(const ScoreOptions& opt) {
  if (opt.fit.detector != "all") return {&find_detector_to_fit(opt.fit.detector, opt.fit.params_json())};
  if (!opt.fit.params.empty()) throw InputError("--detector all runs every detector with its defaults; drop --param");
  for (const std::string& out : opt.outs)
    if (out.find("{detector}") == std::string::npos)
      throw InputError("--out " + out + ": with --detector all, name each output with {detector}, e.g. " +
                       "scores/{detector}-id.npy");
  return all_detectors();
}

using DetectorScores = std::pair<const DetectorEntry*, std::vector<std::vector<float>>>;

std::vector<std::vector<float>> scores_of(const Detector& detector, const std::string& name,
                                          const std::vector<Matrix<float>>& tests,
                                          const std::vector<std::string>& specs, const Backend& backend) {
  std::vector<std::vector<float>> scores;
  for (std::size_t t = 0; t < tests.size(); ++t)
    scores.push_back(finite_scores(detector, name, tests[t], backend, specs[t]));
  return scores;
}

void run_score(const ScoreOptions& opt, const GlobalOptions& global) {
  check_inputs(opt);
  const std::vector<const DetectorEntry*> entries =
      opt.model.empty() ? named_detectors(opt) : std::vector<const DetectorEntry*>{};
  const bool all = opt.model.empty() && opt.fit.detector == "all";
  const nlohmann::json params = all ? nlohmann::json::object() : opt.fit.params_json();
  for (const DetectorEntry* entry : entries) Params::resolve(entry->info, params, "--param");  // before any loading
  for (const std::string& out : opt.outs) check_writable(substituted(out, "x"));
  std::vector<std::string> inputs = opt.fit.input_specs();
  inputs.insert(inputs.end(), opt.tests.begin(), opt.tests.end());
  if (!opt.model.empty()) inputs.push_back(opt.model);
  std::vector<NamedOutput> outputs;
  for (const std::string& out : opt.outs) outputs.push_back({"--out", out});
  check_outputs_distinct(outputs, inputs);

  const auto backend = global.backend();
  std::vector<Matrix<float>> tests;
  std::vector<DetectorScores> results;
  if (!opt.model.empty()) {
    LoadedModel model = load_model(opt.model, command_line_model_wording());
    for (const std::string& spec : opt.tests) {
      tests.push_back(load_features(spec));
      check_model_width(model, opt.model, tests.back().cols, spec);
    }
    results.emplace_back(model.entry, scores_of(*model.detector, model.entry->info.name, tests, opt.tests, *backend));
  } else {
    FitContext ctx = opt.fit.load(*backend);  // outlives the scoring: a fitted detector may borrow from it
    for (const std::string& spec : opt.tests) tests.push_back(opt.fit.load_test(spec, ctx.dims()));
    // On a GPU the inputs cross the bus once, not once per detector; declared after `tests`, so they go first.
    std::vector<ResidentHandle> resident;
    if (backend->kind() == DeviceKind::cuda) {
      ctx.keep_resident();
      for (const Matrix<float>& test : tests) resident.push_back(backend->keep_resident(test));
    }
    const DataOffer offer{ctx.has_labels(), ctx.has_supplied_head(), ctx.validation() != nullptr,
                          !ctx.validation_labels().empty()};
    std::size_t warned = 0;  // each detector's fit warnings are printed under its name
    for (const DetectorEntry* entry : entries) {
      if (all) {
        const auto unmet = unmet_needs(entry->info, Params::resolve(entry->info, params, "--param").values(), offer,
                                        command_line_input_advice());
        if (!unmet.empty()) {
          std::cerr << "oodbench: skipped " << entry->info.name << ": " << unmet.front() << '\n';
          continue;
        }
      }
      std::unique_ptr<Detector> detector;
      try {
        detector = make_fitted_detector(*entry, params, ctx, "--param", command_line_input_advice());
      } catch (const InputError& e) {
        if (!all) throw;
        // One detector the data cannot fit (tempscale on perfectly separated labels) does not stop the others.
        std::cerr << "oodbench: skipped " << entry->info.name << ": " << e.what() << '\n';
        warned = FitInputs::print_warnings(ctx, entry->info.name, warned);
        continue;
      }
      warned = FitInputs::print_warnings(ctx, entry->info.name, warned);
      results.emplace_back(entry, scores_of(*detector, entry->info.name, tests, opt.tests, *backend));
    }
    FitInputs::print_probe_note(ctx);
  }

  // Written only once every detector has scored, and all or none: a disk with room for one of two leaves neither.
  std::vector<std::pair<std::string, std::vector<std::byte>>> encoded;
  std::vector<std::string> said;
  for (const auto& [entry, scores] : results) {
    for (std::size_t t = 0; t < tests.size(); ++t) {
      const std::size_t n = scores[t].size();
      const std::string out = substituted(opt.outs[t], entry->info.name);
      encoded.emplace_back(out, encode_npy(scores[t], std::span<const std::size_t>(&n, 1)));
      said.push_back(out + ": " + std::to_string(n) + " " + entry->info.name + " scores for " + opt.tests[t]);
    }
  }
  std::vector<std::pair<std::string, std::span<const std::byte>>> files;
  for (const auto& [out, bytes] : encoded) files.emplace_back(out, bytes);
  write_files_atomic(files);
  for (const std::string& line : said) std::cout << line << '\n';
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
  cmd->add_option("--out", opt->outs,
                  "Output .npy for the matching --test (repeatable); with --detector all, {detector} in the name is "
                  "replaced by each detector's")
      ->required()
      ->allow_extra_args(false);
  cmd->callback([opt, &global] { run_score(*opt, global); });
}

}  // namespace oodbench

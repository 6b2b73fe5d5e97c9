// `oodbench score`: fit one detector on ID train features and write one float32 score per test row.
// Everything is loaded, checked, fitted and scored before the first output is written, and each output is written
// atomically, so a failure leaves no file behind.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/detectors/detector.h"
#include "harness/io/arrays.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct ScoreOptions {
  std::string detector;
  std::vector<std::string> params;
  std::string train, train_labels, head, bias;
  std::vector<std::string> tests, outs;
};

/// "k=50" -> {"k": 50}; values are JSON when they parse as JSON, strings otherwise ("shrinkage=ridge").
nlohmann::json parse_params(const std::vector<std::string>& items) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--param '" + item + "': expected key=value");
    const std::string value = item.substr(eq + 1);
    nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
    out[item.substr(0, eq)] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
  }
  return out;
}

std::optional<LinearHead> load_head(const ScoreOptions& opt) {
  if (opt.head.empty() != opt.bias.empty()) throw InputError("--head and --bias go together");
  if (opt.head.empty()) return std::nullopt;
  LinearHead head{load_features(opt.head), {}};
  for (double b : load_scores(opt.bias)) head.bias.push_back(static_cast<float>(b));
  return head;
}

void run_score(const ScoreOptions& opt, const GlobalOptions& global) {
  if (opt.tests.size() != opt.outs.size()) {
    throw InputError("give one --out per --test (" + std::to_string(opt.tests.size()) + " --test, " +
                     std::to_string(opt.outs.size()) + " --out)");
  }
  const DetectorEntry& entry = find_detector(opt.detector);
  const nlohmann::json params = parse_params(opt.params);
  Params::resolve(entry.info, params, "--param");  // reject bad parameters before any loading
  for (const std::string& out : opt.outs) check_writable(out);

  Matrix<float> train = load_features(opt.train);
  std::vector<std::int32_t> labels;
  if (!opt.train_labels.empty()) {
    labels = load_labels(opt.train_labels);
    check_same_rows(train, opt.train, labels, opt.train_labels);
  }
  std::vector<Matrix<float>> tests;
  for (const std::string& spec : opt.tests) {
    tests.push_back(load_features(spec));
    if (tests.back().cols != train.cols) {
      throw InputError(spec + ": " + std::to_string(tests.back().cols) + " columns but the train features (" +
                       opt.train + ") have " + std::to_string(train.cols));
    }
  }

  const auto backend = global.backend();
  FitContext ctx(*backend, std::move(train), std::move(labels), load_head(opt));
  const auto detector = make_fitted_detector(entry, params, ctx, "--param");
  std::vector<std::vector<float>> scores;
  for (const Matrix<float>& test : tests) scores.push_back(detector->score(test, *backend));
  for (const std::string& w : ctx.warnings()) std::cerr << "oodbench: warning: " << w << '\n';

  for (std::size_t t = 0; t < tests.size(); ++t) {
    const std::size_t n = scores[t].size();
    write_file_atomic(opt.outs[t], encode_npy(scores[t], std::span<const std::size_t>(&n, 1)));
    std::cout << opt.outs[t] << ": " << n << " " << entry.info.name << " scores for " << opt.tests[t] << '\n';
  }
}

}  // namespace

void add_score_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<ScoreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Fit a detector on ID train features and write one float32 score per test row (higher = more OOD).\n"
      "Memory: kNN is tiled (1024 queries x 4096 train rows of float32 at a time on the CPU), never the whole\n"
      "test x train matrix; Mahalanobis-type detectors never form a test x test matrix.");
  cmd->add_option("--detector", opt->detector, "Detector name (see `oodbench detectors`)")->required();
  cmd->add_option("--param", opt->params, "Detector parameter key=value (repeatable), e.g. --param k=10")
      ->allow_extra_args(false);
  cmd->add_option("--train", opt->train, "ID train features: .npy or file.npz:key, 2-D float")->required();
  cmd->add_option("--train-labels", opt->train_labels, "ID train labels 0..C-1 (int32/int64/uint8)");
  cmd->add_option("--head", opt->head, "Linear head weights W (C x D); skips training the probe");
  cmd->add_option("--bias", opt->bias, "Linear head bias b (C)");
  cmd->add_option("--test", opt->tests, "Test features to score (repeatable)")->required()->allow_extra_args(false);
  cmd->add_option("--out", opt->outs, "Output .npy for the matching --test (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->callback([opt, &global] { run_score(*opt, global); });
}

}  // namespace oodbench

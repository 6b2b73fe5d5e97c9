// The fitting inputs that `score`, `fit` and `explain` share: options, loading and checks.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/fit/fit_context.h"
#include "harness/fit/fit_input_error.h"

namespace oodbench {

/// How the command line asks for remapped labels.
inline const std::string kRemapLabelsFlag = "--remap-labels";

/// The options that give each input a detector may need.
inline FitInputAdvice command_line_input_advice() {
  return {.labels = "--train-labels",
          .fit_labels = "--val with --val-labels, or --train-labels",
          .head = "--head/--bias",
          .validation = "--val"};
}

struct FitInputs {
  std::string detector;
  std::vector<std::string> params;  ///< key=value
  std::string train, train_labels, head, bias, validation, validation_labels;
  bool remap_labels = false;
  bool no_cache = false;  ///< --no-cache: train the probe even when the probe cache has it

  /// Adds --detector, --param, --train, --train-labels, --remap-labels, --head, --bias, --val, --val-labels,
  /// --no-cache to `cmd`. `required`:
  /// --detector and --train must be given (`score` checks them itself, as --model replaces them).
  void add_options(CLI::App* cmd, bool required = true);
  /// The options given (for `score --model`, which takes none of them), e.g. {"--detector", "--train"}.
  std::vector<std::string> given() const;
  /// The array specs given (--train, --train-labels, --head, --bias, --val, --val-labels): what an output must not
  /// replace.
  std::vector<std::string> input_specs() const;
  /// The --param values as a JSON object (parse_param_assignments).
  nlohmann::json params_json() const;
  /// Loads and checks train features, labels (remapped with a note on stderr) and head, and builds the context.
  FitContext load(const Backend& backend) const;
  /// Prints the context's warnings on stderr, each naming `detector` (what a fit warns of says nothing of who asked),
  /// and where the probe came from when it was read from the cache.
  static void print_notes(const FitContext& ctx, const std::string& detector);
  /// Prints the warnings from the `from`-th on, each naming `detector`; returns how many the context holds.
  static std::size_t print_warnings(const FitContext& ctx, const std::string& detector, std::size_t from = 0);
  /// Says where the probe came from when it was read from the cache.
  static void print_probe_note(const FitContext& ctx);
  /// Loads test features, checking their width against the train features'.
  Matrix<float> load_test(const std::string& spec, std::size_t train_cols) const;
};

}  // namespace oodbench

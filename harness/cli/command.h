// What every subcommand shares: the device choice, and how each one registers itself with the CLI.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "kernels/backend.h"

namespace oodbench {

struct GlobalOptions {
  std::string device = "auto";  ///< --device auto|cpu|cuda
  std::string gpu;               ///< --gpu G: one GPU by index (empty: CUDA's default choice)
  bool verbose = false;          ///< --verbose

  /// The backend for --device; for `auto` (or with --verbose), says on stderr which one it picked. `tf32`: a config
  /// asked for TF32.
  std::unique_ptr<Backend> backend(bool tf32 = false) const;
};

void add_eval_command(CLI::App& app, const GlobalOptions& global);
void add_score_command(CLI::App& app, const GlobalOptions& global);
void add_fit_command(CLI::App& app, const GlobalOptions& global);
void add_detectors_command(CLI::App& app);
void add_explain_command(CLI::App& app, const GlobalOptions& global);
void add_diagnose_command(CLI::App& app, const GlobalOptions& global);
void add_sweep_commands(CLI::App& app, const GlobalOptions& global);
void add_compare_command(CLI::App& app);
void add_ranks_command(CLI::App& app);
/// Sets `exit_code` to 1 when the check finds drift.
void add_check_command(CLI::App& app, int& exit_code);

}  // namespace oodbench

// `oodbench fit`: fit one detector on ID train features and save it as a model file (.oodb), so that
// `oodbench score --model` scores with it later without fitting again. Everything is loaded, checked and fitted
// before the file is written, atomically, so a failure leaves no file behind.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/fit_inputs.h"
#include "harness/cli/output_options.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/model_file.h"
#include "harness/io/output_checks.h"
#include "harness/sweep/methods.h"

namespace oodbench {
namespace {

struct FitOptions {
  FitInputs fit;
  std::string save;
};

void run_fit(const FitOptions& opt, const GlobalOptions& global) {
  const nlohmann::json params = opt.fit.params_json();
  const DetectorEntry& entry = find_detector_to_fit(opt.fit.detector, params);
  Params::resolve(entry.info, params, "--param");  // reject bad parameters before any loading
  check_writable(opt.save);
  check_outputs_distinct({{"--save", opt.save}}, opt.fit.input_specs());

  const auto backend = global.backend();
  FitContext ctx = opt.fit.load(*backend);
  const auto detector = make_fitted_detector(entry, params, ctx, "--param", command_line_input_advice());
  FitInputs::print_notes(ctx, entry.info.name);
  save_model(opt.save, entry, params, *detector, provenance_of(ctx));
  std::cout << opt.save << ": " << entry.info.name << " fitted on " << opt.fit.train << " (" << ctx.train().rows
            << " x " << ctx.dims() << ")\n";
}

}  // namespace

void add_fit_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<FitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "fit", "Fit a detector on ID train features and save it (--save FILE.oodb) for `oodbench score --model`");
  opt->fit.add_options(cmd);
  cmd->add_option("--save", opt->save, "Model file to write (.oodb; see docs/methods.md#model-files)")->required();
  cmd->callback([opt, &global] { run_fit(*opt, global); });
}

}  // namespace oodbench

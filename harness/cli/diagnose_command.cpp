// `oodbench diagnose`: a detector's diagnostic of an OOD set against ID, as JSON (MaRS: the residual spectrum and
// where the OOD residual energy lands), printed and optionally written to a file.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/fit_inputs.h"
#include "harness/detectors/detector.h"
#include "harness/io/atomic_write.h"
#include "harness/io/output_checks.h"
#include "harness/sweep/methods.h"

namespace oodbench {
namespace {

struct DiagnoseOptions {
  FitInputs fit;
  std::string ood, out;
};

void run_diagnose(const DiagnoseOptions& opt, const GlobalOptions& global) {
  const nlohmann::json params = opt.fit.params_json();
  const DetectorEntry& entry = find_detector_to_fit(opt.fit.detector, params);
  Params::resolve(entry.info, params, "--param");
  if (!entry.info.diagnoses)  // before anything is read or fitted
    throw InputError("this detector has no diagnostic; `oodbench diagnose` supports: " +
                     detectors_with(&DetectorInfo::diagnoses));
  if (!opt.out.empty()) check_writable(opt.out);
  const auto backend = global.backend();
  FitContext ctx = opt.fit.load(*backend);
  const Matrix<float> ood = opt.fit.load_test(opt.ood, ctx.dims());
  const auto detector = make_fitted_detector(entry, params, ctx, "--param", command_line_input_advice());
  nlohmann::json result = detector->diagnose(ood, *backend);
  FitInputs::print_notes(ctx, entry.info.name);
  result["ood"] = opt.ood;
  const std::string text = result.dump(2) + "\n";
  if (!opt.out.empty()) {
    write_text_atomic(opt.out, text);
    std::cout << opt.out << ": " << entry.info.name << " diagnostic of " << opt.ood << '\n';
  } else {
    std::cout << text;
  }
}

}  // namespace

void add_diagnose_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<DiagnoseOptions>();
  CLI::App* cmd = app.add_subcommand("diagnose", "A detector's diagnostic of an OOD set (mars: residual spectrum and "
                                                 "per-eigenvector OOD/ID energy ratio), as JSON");
  opt->fit.add_options(cmd);
  cmd->add_option("--ood", opt->ood, "OOD features")->required();
  cmd->add_option("--out", opt->out, "Write the JSON here (atomically) instead of printing it");
  cmd->callback([opt, &global] { run_diagnose(*opt, global); });
}

}  // namespace oodbench

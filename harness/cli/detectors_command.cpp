// `oodbench detectors`: every method (the registered detectors and precomputed scores) with its parameters,
// defaults and needs.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/detectors/detector.h"
#include "harness/sweep/methods.h"

namespace oodbench {
namespace {

std::string needs_text(const DetectorInfo& info) {
  if (info.needs_labels) return "needs train labels";
  if (info.needs_fit_labels) return "needs val labels (--val-labels) or train labels, and a head";
  if (info.needs_head) return "needs a head (--head/--bias, or --train-labels for the probe)";
  return "label-free";
}

void run_detectors(bool json) {
  if (json) {
    std::cout << methods_json().dump(2) << '\n';
    return;
  }
  std::cout << "Every score is an outlier score: higher = more OOD.\n";
  for (const DetectorInfo* info : all_methods()) {
    std::cout << '\n' << info->name << "  (" << needs_text(*info) << ")\n  " << info->summary << "\n  "
              << info->reference << '\n';
    for (const ParamSpec& p : info->params) {
      std::cout << "    " << p.name << " = " << p.default_value.dump() << "  " << p.doc << '\n';
    }
  }
}

}  // namespace

void add_detectors_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("detectors", "List every detector with its parameters, defaults and needs");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] { run_detectors(*json); });
}

}  // namespace oodbench

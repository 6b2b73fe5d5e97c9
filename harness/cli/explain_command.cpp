// `oodbench explain`: why one test sample got its score: the score's terms and top contributors as JSON on stdout,
// and a chart as SVG.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/fit_inputs.h"
#include "harness/detectors/detector.h"
#include "harness/io/atomic_write.h"
#include "harness/io/output_checks.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct ExplainOptions {
  FitInputs fit;
  std::string test, svg;
  std::size_t row = 0;
  std::size_t top = 10;
};

void run_explain(const ExplainOptions& opt, const GlobalOptions& global) {
  const nlohmann::json params = opt.fit.params_json();
  const DetectorEntry& entry = find_detector_to_fit(opt.fit.detector, params);
  Params::resolve(entry.info, params, "--param");
  if (!entry.info.explains)  // before anything is read or fitted
    throw InputError("this detector has no explanation; `oodbench explain` supports: " +
                     detectors_with(&DetectorInfo::explains));
  const std::string svg_path = opt.svg.empty() ? "explain_" + entry.info.name + "_row" + std::to_string(opt.row) + ".svg"
                                               : opt.svg;
  check_writable(svg_path);

  const auto backend = global.backend();
  FitContext ctx = opt.fit.load(*backend);
  const Matrix<float> test = opt.fit.load_test(opt.test, ctx.dims());
  if (opt.row >= test.rows) {
    throw InputError(opt.test + ": --row " + std::to_string(opt.row) + " but it has " + std::to_string(test.rows) +
                     " rows");
  }
  Matrix<float> sample(1, test.cols);
  std::copy(test.row(opt.row), test.row(opt.row) + test.cols, sample.data.begin());
  const auto detector = make_fitted_detector(entry, params, ctx, "--param", command_line_input_advice());
  Explanation e = detector->explain(sample, opt.top, *backend);
  FitInputs::print_notes(ctx, entry.info.name);

  const std::span<const std::byte> svg(reinterpret_cast<const std::byte*>(e.svg.data()), e.svg.size());
  write_file_atomic(svg_path, svg);
  e.details["test"] = opt.test;
  e.details["row"] = opt.row;
  e.details["svg"] = svg_path;
  std::cout << e.details.dump(2) << '\n';
}

}  // namespace

void add_explain_command(CLI::App& app, const GlobalOptions& global) {
  auto opt = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand("explain", "Explain one test sample's score (JSON on stdout, chart as SVG)");
  opt->fit.add_options(cmd);
  cmd->add_option("--test", opt->test, "Test features holding the sample")->required();
  cmd->add_option("--row", opt->row, "Row of the sample in --test (0-based)")->required();
  cmd->add_option("--top", opt->top, "How many top contributors to list")->capture_default_str();
  cmd->add_option("--svg", opt->svg, "Where to write the chart (default explain_DETECTOR_rowN.svg)");
  cmd->callback([opt, &global] { run_explain(*opt, global); });
}

}  // namespace oodbench

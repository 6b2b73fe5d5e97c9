// `oodbench check`: compare a run's metrics with golden numbers, print what moved, exit 1 on drift beyond tolerance.
// `--write-baseline` makes a baseline from a run instead.
#include <cstdio>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/io/atomic_write.h"
#include "harness/io/file_checks.h"
#include "harness/report/regression.h"
#include "harness/report/text_table.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct CheckOptions {
  std::string dir, baseline, write_baseline;
  std::optional<double> tolerance;
  std::vector<std::string> detector_tolerances;  ///< name=value
};

std::string number(std::optional<double> v, const char* format = "%.6f") {
  if (!v) return "missing";
  char out[32];
  std::snprintf(out, sizeof out, format, *v);
  return out;
}

int run_check(const CheckOptions& opt) {
  require_result_folder(opt.dir);
  const std::vector<CellRecord> records = read_cell_records(opt.dir);
  if (records.empty()) throw InputError(opt.dir + ": no result records");

  if (opt.tolerance && !(*opt.tolerance >= 0))  // a negative one would call every unchanged value drift
    throw InputError("--tolerance " + std::to_string(*opt.tolerance) + ": expected an absolute tolerance >= 0, e.g. 1e-4");
  ToleranceOverrides overrides{opt.tolerance, {}};
  for (const std::string& item : opt.detector_tolerances) {
    const auto eq = item.find('=');
    char* end = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(item.c_str() + eq + 1, &end);
    if (eq == std::string::npos || end == item.c_str() + eq + 1 || *end != '\0' || v < 0)
      throw InputError("--detector-tolerance '" + item + "': expected name=value, e.g. mars=0.02");
    overrides.per_detector[item.substr(0, eq)] = v;
  }
  if (!opt.write_baseline.empty()) {
    Tolerances tol;
    tol.apply(overrides);
    const nlohmann::json baseline = make_baseline(records, tol);
    std::string text = "{\n  \"description\": " + baseline["description"].dump() + ",\n  \"tolerance\": " +
                       baseline["tolerance"].dump() + ",\n  \"values\": [\n";
    for (std::size_t i = 0; i < baseline["values"].size(); ++i)  // one line per number: readable diffs
      text += "    " + baseline["values"][i].dump() + (i + 1 < baseline["values"].size() ? ",\n" : "\n");
    text += "  ]\n}\n";
    write_text_atomic(opt.write_baseline, text);
    std::cout << opt.write_baseline << ": baseline of " << records.size() << " records\n";
    return 0;
  }
  if (opt.baseline.empty()) throw InputError("give --baseline FILE (or --write-baseline FILE)");
  const auto changes = compare_with_baseline(
      records, parse_json_document(read_text_file(opt.baseline, "the baseline"), opt.baseline), opt.baseline,
      overrides);
  std::size_t drifted = 0;
  TextTable table({"dataset", "detector", "seed", "OOD set", "metric", "baseline", "now", "change", "tolerance", ""});
  for (const MetricChange& c : changes) {
    drifted += c.drifted();
    const std::string change = c.baseline && c.now ? number(*c.now - *c.baseline, "%+.2e") : "-";
    table.add_row({c.dataset, c.label, c.seed, c.ood, c.metric, number(c.baseline), number(c.now),
                   change, number(c.tolerance, "%.1e"), c.drifted() ? "DRIFT" : "ok"});
  }
  if (!changes.empty()) table.print(std::cout);
  std::cout << opt.dir << " vs " << opt.baseline << ": " << changes.size() << " numbers moved, " << drifted
            << " beyond tolerance\n";
  return drifted > 0 ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Compare a run's metrics with golden numbers; exit 1 if any moved beyond its tolerance");
  cmd->add_option("dir", opt->dir, "Result folder (from `run` or `merge`)")->required();
  cmd->add_option("--baseline", opt->baseline, "Golden numbers (results/baselines/NAME.json)");
  cmd->add_option("--tolerance", opt->tolerance, "Absolute tolerance on metric fractions, replacing the baseline's "
                                                 "default (per-detector tolerances stay)");
  cmd->add_option("--write-baseline", opt->write_baseline, "Write the run's numbers as a baseline instead");
  cmd->add_option("--detector-tolerance", opt->detector_tolerances,
                  "A detector's own tolerance, name=value (repeatable): written with --write-baseline, "
                  "replacing the baseline's when checking");
  cmd->callback([opt, &exit_code] { exit_code = run_check(*opt); });
}

}  // namespace oodbench

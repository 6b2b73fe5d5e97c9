// `oodbench.run`, `read_records` and `report`: the sweep commands from Python, with the progress and warnings the
// command line prints on stderr written to Python's sys.stderr (a notebook shows them like a terminal does).
#include <pybind11/iostream.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <pybind11_json/pybind11_json.hpp>

#include <algorithm>
#include <filesystem>

#include "harness/io/file_checks.h"
#include "harness/metrics/ood_metrics.h"
#include "harness/python/bindings.h"
#include "harness/report/paired_tests.h"
#include "harness/report/rankings.h"
#include "harness/report/report_files.h"
#include "harness/report/sweep_report.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/record_store.h"
#include "harness/sweep/runner.h"
#include "kernels/error.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace oodbench::python {
namespace {

/// The sweep of `config` (a path or a dict; a dict's relative paths start at the working folder), with a cell for
/// each user detector in `user_detectors` that its /detectors does not name yet (run with its defaults).
SweepConfig sweep_config(const py::object& config, const std::vector<std::string>& user_detectors) {
  nlohmann::json document;
  std::string source = "config";
  fs::path base = fs::current_path();
  if (py::isinstance<py::dict>(config)) {
    document = config.cast<nlohmann::json>();
  } else {
    source = config.cast<fs::path>().string();
    document = parse_json_document(read_text_file(source, "the config file"), source);
    base = fs::absolute(source).parent_path();
  }
  if (document.is_object() && document.contains("detectors") && document["detectors"].is_array()) {
    for (const std::string& name : user_detectors) {
      const auto& listed = document["detectors"];
      const bool named = std::any_of(listed.begin(), listed.end(), [&](const nlohmann::json& d) {
        return d.is_object() && d.value("name", "") == name;
      });
      if (!named) document["detectors"].push_back({{"name", name}});
    }
  }
  return parse_sweep_config(document, source, base);
}

py::dict run(const py::object& config, const std::vector<std::string>& user_detectors,
             const std::optional<fs::path>& out, const std::string& device, const std::string& shard, bool quiet,
             bool report) {
  const SweepConfig sweep = sweep_config(config, user_detectors);
  const fs::path folder = out ? *out : fs::path("results") / sweep.name;
  const auto backend = python_backend(device, sweep.tf32);
  py::scoped_estream_redirect to_python_stderr;
  RunSummary summary;
  ReportSummary written;
  std::string device_used;
  {
    EngineScope engine;  // user detectors take the GIL back while they run
    if (report) check_report_files_free(folder);  // a researcher's own report.md: refused before any cell runs
    const RunOptions options{folder, parse_shard(shard, "shard"), quiet, [&folder] { remove_stale_report(folder); }};
    summary = run_sweep(sweep, options, *backend);
    if (report) written = write_report(folder);
    device_used = backend->description();
  }
  for (const std::string& w : written.warnings) write_to_python_stderr("oodbench: warning: " + w);  // as `run` does
  py::dict result;
  result["out"] = folder;
  result["planned"] = summary.planned;
  result["skipped"] = summary.skipped;
  result["ran"] = summary.ran;
  result["device"] = device_used;
  return result;
}

}  // namespace

void bind_sweeps(py::module_& m) {
  m.def("run", &run, py::arg("config"), py::arg("user_detectors"), py::arg("out"), py::arg("device"),
        py::arg("shard"), py::arg("quiet"), py::arg("report"));
  m.def(
      "read_records",
      [](const fs::path& dir) {
        require_result_folder(dir.string());  // a mistyped folder is an error, not an empty result
        std::vector<std::string> warnings;
        std::vector<nlohmann::json> records = read_records(dir, &warnings);
        return py::make_tuple(py::cast(records), py::cast(warnings));
      },
      py::arg("dir"));
  m.def(
      "read_kept_scores",
      [](const fs::path& dir, const nlohmann::json& record) {
        const KeptScores kept = read_kept_scores(dir, parse_cell_record(record, (dir / "records.jsonl").string()));
        auto array = [](const std::vector<double>& v) {
          return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
        };
        py::dict out;
        out["id"] = array(kept.id);
        if (!kept.id_val.empty()) out["id_val"] = array(kept.id_val);  // /select's ID side of the validation sets
        for (std::size_t j = 0; j < kept.ood.size(); ++j)
          out[py::str(record.at("ood")[j].at("name").get<std::string>())] = array(kept.ood[j]);
        return out;
      },
      py::arg("dir"), py::arg("record"));
  m.def(
      "compare",
      [](const fs::path& dir, const std::string& a, const std::string& b, const std::vector<std::string>& metrics,
         std::size_t resamples, std::uint64_t seed) {
        if (resamples < 100 || resamples > 100000)
          throw InputError("resamples: expected 100..100000, got " + std::to_string(resamples));
        for (const std::string& name : metrics) metric_field(name);  // unknown: an InputError naming the known
        std::vector<std::string> warnings;
        const std::vector<CellRecord> records = read_cell_records(dir, &warnings);
        for (const std::string& w : warnings) write_to_python_stderr("oodbench: warning: " + w);  // as `compare` does
        if (records.empty()) throw InputError(dir.string() + ": no result records");
        EngineScope engine;
        return compare_detectors(dir, records, a, b, {resamples, seed, metrics});
      },
      py::arg("dir"), py::arg("a"), py::arg("b"), py::arg("metrics"), py::arg("resamples"), py::arg("seed"));
  m.def(
      "ranks",
      [](const fs::path& dir, const std::string& metric) {
        std::vector<std::string> warnings;
        nlohmann::json result;
        {
          EngineScope engine;
          result = rankings_json(folder_rankings(dir, metric, &warnings));
        }
        for (const std::string& w : warnings) write_to_python_stderr("oodbench: warning: " + w);  // as `ranks` does
        return result;
      },
      py::arg("dir"), py::arg("metric"));
  m.def(
      "report",
      [](const fs::path& dir) {
        py::scoped_estream_redirect to_python_stderr;
        ReportSummary s;
        {
          EngineScope engine;
          s = write_report(dir);
        }
        for (const std::string& w : s.warnings) write_to_python_stderr("oodbench: warning: " + w);
        py::dict result;
        result["records"] = s.records;
        result["tables"] = s.tables;
        result["plots"] = s.plots;
        result["warnings"] = s.warnings;
        return result;
      },
      py::arg("dir"));
}

}  // namespace oodbench::python

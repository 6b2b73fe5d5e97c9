// `oodbench.run`, `read_records` and `report`: the sweep commands from Python, with the progress and warnings the
// command line prints on stderr written to Python's sys.stderr (a notebook shows them like a terminal does).
#include <pybind11/iostream.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
#include <pybind11_json/pybind11_json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "harness/io/file_checks.h"
#include "harness/metrics/ood_metrics.h"
#include "harness/python/bindings.h"
#include "harness/report/paired_tests.h"
#include "harness/report/rankings.h"
#include "harness/report/report_files.h"
#include "harness/report/sweep_report.h"
#include "harness/sweep/cell_record.h"
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

/// A metric as Python reads it from the records: NaN, which JSON writes as null, is None.
py::object metric_object(double v) { return std::isnan(v) ? py::none() : py::object(py::float_(v)); }

template <class T>
py::object optional_object(const std::optional<T>& v) {
  return v ? py::cast(*v) : py::none();
}

/// `<metric>_low` and `<metric>_high` of a 95 % interval, each bound's metrics in name order.
void add_interval_columns(py::dict& row, const std::string& prefix, const std::optional<Interval95>& ci95) {
  if (!ci95) return;
  for (const auto& [bound, values] : {std::pair{"low", &ci95->low}, std::pair{"high", &ci95->high}})
    for (const auto& [metric, value] : *values) row[py::str(prefix + metric + "_" + bound)] = metric_object(value);
}

/// A cell's failure entry as columns <prefix>_aurc, _eaurc, _augrc, _accuracy (None without one), and their
/// interval bounds <prefix>_<metric>_low/_high when bootstrapped.
void add_failure_columns(py::dict& row, const std::string& prefix, const FailureEntry* entry) {
  for (const char* metric : {"aurc", "eaurc", "augrc", "accuracy"})
    row[py::str(prefix + "_" + metric)] = entry ? metric_object(entry->metrics.at(metric)) : py::none();
  if (entry) add_interval_columns(row, prefix + "_", entry->ci95);
}

/// oodbench.to_frame's rows: one per (cell, OOD set), its columns in the order the frame shows them.
py::list frame_rows(const std::vector<CellRecord>& records) {
  py::list rows;
  for (const CellRecord& r : records) {
    const FailureRecord* failure = r.failure ? &*r.failure : nullptr;
    for (const OodSetRecord& o : r.ood) {
      py::dict row;
      row["modality"] = r.dataset.modality;
      row["backbone"] = r.dataset.backbone;
      row["detector"] = r.detector;
      row["label"] = r.label;
      row["seed"] = optional_object(r.seed);
      row["params"] = py::cast(r.params);
      row["ood"] = o.name;
      row["shift"] = o.shift;
      row["role"] = o.role;
      row["fit_split"] = optional_object(r.fit_split);
      row["id_accuracy"] = optional_object(r.id_accuracy);
      row["n_id"] = r.id_test.n;
      row["n_ood"] = o.n;
      for (const auto& [metric, value] : o.metrics) row[py::str(metric)] = metric_object(value);
      add_interval_columns(row, "", o.ci95);
      add_failure_columns(row, "failure", failure && failure->id_test ? &*failure->id_test : nullptr);
      const FailureEntry* csid = nullptr;
      if (failure)
        for (const CsidFailure& c : failure->csid)
          if (c.name == o.name && !csid) csid = &c.entry;
      add_failure_columns(row, "csid_failure", csid);
      rows.append(std::move(row));
    }
  }
  return rows;
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
        const CellRecord cell = parse_cell_record(record, (dir / "records.jsonl").string());
        const KeptScores kept = read_kept_scores(dir, cell);
        auto array = [](const std::vector<double>& v) {
          return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
        };
        py::dict out;
        out["id"] = array(kept.id);
        if (!kept.id_val.empty()) out["id_val"] = array(kept.id_val);  // /select's ID side of the validation sets
        for (std::size_t j = 0; j < kept.ood.size(); ++j)
          out[py::str(cell.ood[j].name)] = array(kept.ood[j]);
        return out;
      },
      py::arg("dir"), py::arg("record"));
  m.def(
      "frame_rows",
      [](const std::vector<nlohmann::json>& records) {
        std::vector<CellRecord> typed;
        for (const nlohmann::json& r : records) typed.push_back(parse_cell_record(r, "to_frame's records"));
        return frame_rows(typed);
      },
      py::arg("records"));
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

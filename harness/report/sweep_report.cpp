#include "harness/report/sweep_report.h"

#include <fstream>
#include <set>
#include <sstream>

#include "harness/io/arrays.h"
#include "harness/report/results_table.h"
#include "harness/report/sweep_plots.h"
#include "harness/report/table_formats.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

struct Settings {
  std::vector<std::string> metrics = {"auroc", "fpr95"};
  std::vector<std::string> formats = {"md", "csv", "json", "tex"};
  bool plots = true;
};

/// The report settings of the config the folder was run with (validated when it was run).
Settings read_settings(const fs::path& dir) {
  Settings s;
  const fs::path path = dir / "config.json";
  std::ifstream in(path);
  if (!in) return s;
  std::ostringstream text;
  text << in.rdbuf();
  const nlohmann::json config = parse_json_document(text.str(), path.string());
  try {
    if (config.contains("metrics")) s.metrics = config["metrics"].get<std::vector<std::string>>();
    if (config.contains("tables") && config["tables"].contains("formats"))
      s.formats = config["tables"]["formats"].get<std::vector<std::string>>();
    if (config.contains("plots")) s.plots = config["plots"].get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": unexpected report settings (" + e.what() + ")");
  }
  return s;
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path.string(), std::as_bytes(std::span(text.data(), text.size())));
}

/// Writes `files` into `folder` and removes the files there that are not among them.
void replace_folder(const fs::path& folder, const std::vector<std::pair<std::string, std::string>>& files) {
  fs::create_directories(folder);
  std::set<std::string> names;
  for (const auto& [name, text] : files) {
    write_text(folder / name, text);
    names.insert(name);
  }
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && !names.count(entry.path().filename().string())) fs::remove(entry.path());
}

}  // namespace

ReportSummary write_report(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + ": no such result folder");
  ReportSummary summary;
  const std::vector<nlohmann::json> records = read_records(dir, &summary.warnings);
  if (records.empty()) throw InputError(dir.string() + ": no result records (" + records_path(dir).string() + ")");
  summary.records = records.size();
  const Settings settings = read_settings(dir);

  const std::vector<ResultTable> tables = build_tables(records, settings.metrics);
  std::vector<std::pair<std::string, std::string>> table_files;
  std::string markdown = "# Results\n\n" + std::to_string(records.size()) + " cells; higher scores = more OOD. " +
                         "Tables: tables/ (Markdown, CSV, JSON, LaTeX). Plots: plots/.\n\n";
  for (const ResultTable& t : tables) {
    for (const std::string& format : settings.formats) table_files.emplace_back(t.slug + "." + format, render_table(t, format));
    markdown += table_markdown(t) + "\n";
  }
  replace_folder(dir / "tables", table_files);
  summary.tables = tables.size();

  std::vector<std::pair<std::string, std::string>> plots;
  if (settings.plots) plots = sweep_plots(records);
  replace_folder(dir / "plots", plots);
  summary.plots = plots.size();
  if (!plots.empty()) {
    markdown += "## Plots\n\n";
    for (const auto& [name, svg] : plots) markdown += "- [" + name + "](plots/" + name + ")\n";
  }
  write_text(dir / "report.md", markdown);
  return summary;
}

}  // namespace oodbench

#include "harness/report/sweep_report.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "harness/fit/class_labels.h"
#include "harness/io/file_checks.h"
#include "harness/report/html_report.h"
#include "harness/report/paired_tests.h"
#include "harness/report/plot_render.h"
#include "harness/report/rankings_report.h"
#include "harness/report/report_files.h"
#include "harness/report/results_table.h"
#include "harness/report/selection.h"
#include "harness/report/sweep_plots.h"
#include "harness/report/table_formats.h"
#include "harness/sweep/config.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

/// "incomplete: 6 of 8 cells (missing chestxray/mobilenet_v2: knn (k=5); ...)", or "" when every cell
/// of the folder's plan has its record (or the folder has no plan).
std::string incomplete_note(const fs::path& dir, const std::vector<CellRecord>& records) {
  const std::set<std::string> plan = read_plan(dir);
  std::set<std::string> present;
  for (const CellRecord& r : records) present.insert(r.cell);
  std::vector<std::string> missing;
  for (const std::string& id : plan)
    if (!present.count(id)) missing.push_back(id);
  if (missing.empty()) return "";
  const std::map<std::string, std::string> names = read_plan_names(dir);
  std::vector<std::string> shown;  // by name, so that a dataset's missing cells come together
  for (const std::string& id : missing) shown.push_back(names.count(id) ? names.at(id) : "cell " + id);
  std::sort(shown.begin(), shown.end());
  constexpr std::size_t kShown = 3;
  std::string list;
  for (std::size_t i = 0; i < std::min(kShown, shown.size()); ++i)
    list += (i ? "; " : "") + shown[i];  // "; ": names hold commas ("ae_l2, seed 1")
  if (shown.size() > kShown) list += " and " + std::to_string(shown.size() - kShown) + " more";
  return "incomplete: " + std::to_string(present.size()) + " of " + std::to_string(plan.size()) +
         " cells (missing " + list + ")";
}

using Files = std::vector<std::pair<std::string, std::string>>;  // (path in the folder, text)

/// The test tables (the chosen grid points under /select), their near-best marks and failure tables, then under
/// /select the validation tables. `unmarked` gets the tables that lacked per-sample scores for their marks.
std::vector<ResultTable> report_tables(const fs::path& dir, const std::vector<CellRecord>& test_records,
                                       const std::optional<SelectedRecords>& selected, const ReportSettings& settings,
                                       std::vector<std::string>& unmarked) {
  std::vector<ResultTable> tables = build_tables(test_records, settings.metrics);
  PairedTestOptions tests;
  tests.resamples = settings.bootstrap > 0 ? settings.bootstrap : tests.resamples;
  tests.holm = settings.correction == "holm";
  unmarked = mark_near_best(tables, dir, test_records, tests);
  for (ResultTable& t : build_failure_tables(test_records)) tables.push_back(std::move(t));
  if (!selected) return tables;
  for (ResultTable& t : tables)
    t.note += " Grid detectors (\"selected\"): the grid point with the best " + settings.select->metric +
              " on the validation OOD sets (" + join(settings.select->on) +
              "; mean over seeds), which these columns and averages leave out.";
  for (ResultTable& t : build_tables(selected->validation, settings.metrics)) {
    if (t.dataset.empty()) continue;  // no backbone summaries of validation sets
    t.slug += "_validation";
    t.title += ", validation OOD sets (every grid point; the selection reads only these)";
    tables.push_back(std::move(t));
  }
  return tables;
}

/// report.md's head: the cell count, then what a reader must know before any number (an incomplete folder, the
/// selection, tables without near-best marks).
std::string report_head(std::size_t records, const std::string& incomplete,
                        const std::optional<SelectedRecords>& selected, bool unmarked) {
  std::string markdown = "# Results\n\n" + std::to_string(records) + " cells; higher scores = more OOD. " +
                         "Tables: tables/ (Markdown, CSV, JSON, LaTeX). Plots: plots/.\n\n";
  if (!incomplete.empty())
    markdown += "**" + incomplete + ".** The tables and plots show only the cells that have records; run the "
                "config again (or merge every shard) to finish it.\n\n";
  if (selected) {
    markdown += "Hyperparameters selected on validation OOD sets (`select`):\n\n";
    for (const std::string& note : selected->notes) markdown += "- " + note + "\n";
    markdown += "\n";
  }
  if (unmarked)
    markdown += "Without per-sample scores, the tables cannot mark which detectors are not significantly worse than "
                "the best (add `\"keep_scores\": true` to the config and run it again).\n\n";
  return markdown;
}

/// Each table in each of the config's formats (and its intervals in LaTeX) as files; returns their Markdown.
std::string add_table_files(const std::vector<ResultTable>& tables, const ReportSettings& settings, Files& files) {
  const LatexCells latex = latex_cells(settings.latex);
  const bool tex = std::find(settings.formats.begin(), settings.formats.end(), "tex") != settings.formats.end();
  std::string markdown;
  for (const ResultTable& t : tables) {
    for (const std::string& format : settings.formats)
      files.emplace_back("tables/" + t.slug + "." + format, render_table(t, format, latex));
    if (tex && has_intervals(t)) files.emplace_back("tables/" + t.slug + "_ci.tex", table_latex_intervals(t));
    markdown += table_markdown(t) + "\n";
  }
  return markdown;
}

/// "## Remapped labels": each dataset whose train labels were remapped, with its mapping; "" when none was.
std::string labels_section(const std::vector<CellRecord>& records) {
  std::map<std::string, nlohmann::json> label_maps;  // dataset -> mapping of its remapped train labels
  for (const CellRecord& r : records)
    if (r.label_map) label_maps.emplace(r.dataset.name, *r.label_map);
  if (label_maps.empty()) return "";
  std::string markdown = "## Remapped labels\n\nTrain labels were mapped to class indices 0..C-1 in sorted order " +
                         std::string("(`remap_labels`); class <- original label:\n\n");
  for (const auto& [dataset, map] : label_maps)
    markdown += "- " + dataset + ": " + ClassLabels::map_text(map, map.size()) + "\n";
  return markdown + "\n";
}

/// The plots of `test_records` (the chosen grid points on the test sets, as the tables) as SVG files and in the
/// config's other plot formats; `markdown` gets their list. Returns the SVGs, which report.html embeds.
Files add_plot_files(const std::vector<CellRecord>& test_records, const ReportSettings& settings, Files& files,
                     std::string& markdown, std::size_t& count) {
  Files plots;
  if (settings.plots) plots = sweep_plots(test_records);
  for (const auto& [name, svg] : plots) files.emplace_back("plots/" + name, svg), ++count;
  for (const std::string& format : settings.plot_formats) {
    if (format == "svg") continue;
    for (const auto& [name, svg] : plots)
      files.emplace_back("plots/" + name.substr(0, name.size() - 3) + format, render_svg(svg, format)), ++count;
  }
  if (!plots.empty()) {
    markdown += "## Plots\n\n";
    for (const auto& [name, svg] : plots) markdown += "- [" + name + "](plots/" + name + ")\n";
  }
  return plots;
}

}  // namespace

ReportSummary write_report(const fs::path& dir) {
  require_result_folder(dir.string());
  // One writer at a time: a run setting records aside removes the report, which must not come back from a report
  // made at the same time from the records it moved.
  const FolderLock lock(dir, "oodbench report " + dir.string());
  for (const char* sub : {"", "tables", "plots"}) remove_stale_temporaries(dir / sub);  // what a killed report left
  ReportSummary summary;
  const std::vector<CellRecord> records = read_cell_records(dir, &summary.warnings);
  if (records.empty()) throw InputError(dir.string() + ": no result records (" + records_path(dir).string() + ")");
  summary.records = records.size();
  const ReportSettings settings = folder_report_settings(dir);

  // Under /select, test tables see only the chosen grid points and never the validation sets.
  const std::optional<SelectedRecords> selected =
      settings.select ? std::optional(apply_selection(records, *settings.select)) : std::nullopt;
  const std::vector<CellRecord>& test_records = selected ? selected->test : records;
  std::vector<std::string> unmarked;
  const std::vector<ResultTable> tables = report_tables(dir, test_records, selected, settings, unmarked);
  // A report of part of its plan (a shard forgotten at merge, a run killed or failed) says so before any number.
  const std::string incomplete = incomplete_note(dir, records);
  if (!incomplete.empty())
    summary.warnings.push_back(dir.string() + ": " + incomplete + "; the tables show only the cells that have "
                               "records: run the config again (or merge every shard) to finish it");
  Files files;
  std::string markdown = report_head(records.size(), incomplete, selected, !unmarked.empty());
  markdown += add_table_files(tables, settings, files);
  RankingsReport rankings;
  if (settings.ranks) {
    rankings = rankings_report(test_records, settings, summary.warnings);
    markdown += rankings.markdown;
    for (auto& file : rankings.files) {
      if (file.first.starts_with("plots/")) ++summary.plots;
      files.push_back(std::move(file));
    }
  }
  markdown += labels_section(records);
  summary.tables = tables.size();
  const Files plots = add_plot_files(test_records, settings, files, markdown, summary.plots);
  files.emplace_back("report.md", markdown);
  files.emplace_back("report.html", html_report(records, tables, plots, incomplete, rankings.html));
  replace_report_files(dir, files);
  return summary;
}

}  // namespace oodbench

#include "harness/report/html_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "harness/render/svg_chart.h"
#include "harness/report/table_formats.h"

namespace oodbench {
namespace {

using nlohmann::json;

std::string number(double v, const char* format = "%.17g") {
  char out[40];
  std::snprintf(out, sizeof out, format, v);
  return out;
}

// Styles and behaviour, inline so the page opens offline. The metric switch shows one metric's tables; a click on
// a column header sorts the rows by that column (again: the other way), empty cells last.
constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 13px; }
th, td { padding: 3px 7px; border-bottom: 1px solid #e5e5e5; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
th.sorted-up::after { content: " \25B2"; } th.sorted-down::after { content: " \25BC"; }
td.best { font-weight: bold; } td.near-best::after { content: " \2020"; }
.note { color: #555; font-size: 12px; max-width: 1100px; }
.warning { color: #a40000; }
.summary td { text-align: left; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure svg { max-width: 100%; height: auto; }
#switch { position: sticky; top: 0; background: white; padding: 0.4em 0; z-index: 1; }
)";

constexpr const char* kScript = R"(
function showMetric(metric) {
  document.querySelectorAll('section.result').forEach(function (s) {
    s.hidden = s.dataset.metric !== metric;
  });
  document.getElementById('metric').value = metric;
}
function sortBy(th) {
  var table = th.closest('table'), body = table.tBodies[0], col = th.cellIndex;
  var down = !th.classList.contains('sorted-down');
  table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted-up', 'sorted-down'); });
  th.classList.add(down ? 'sorted-down' : 'sorted-up');
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
    if (col === 0) return down ? x.localeCompare(y) : y.localeCompare(x);
    if (x === '' || y === '') return (x === '') - (y === '');
    return down ? y - x : x - y;
  });
  rows.forEach(function (r) { body.appendChild(r); });
}
document.addEventListener('DOMContentLoaded', function () {
  var select = document.getElementById('metric');
  select.addEventListener('change', function () { showMetric(select.value); });
  document.querySelectorAll('th').forEach(function (th) {
    th.addEventListener('click', function () { sortBy(th); });
  });
  var asked = new URLSearchParams(location.search).get('metric');
  showMetric(asked && select.querySelector('option[value="' + asked + '"]') ? asked : select.value);
});
)";

std::string summary_html(const std::vector<CellRecord>& records) {
  std::set<std::string> devices, versions, commits;
  std::map<std::string, std::string> accuracy;  // dataset -> ID test accuracy
  double total_s = 0;
  std::string first_finished, last_finished;
  for (const CellRecord& r : records) {
    if (r.run) {
      devices.insert(r.run->device);
      versions.insert(r.run->version);
      commits.insert(r.run->git_commit);
      const std::string& at = r.run->finished_at;
      if (first_finished.empty() || at < first_finished) first_finished = at;
      if (at > last_finished) last_finished = at;
    }
    total_s += r.timings.total_s.value_or(0.0);
    if (r.id_accuracy) accuracy[r.dataset.name] = number(100 * *r.id_accuracy, "%.1f %%");
  }
  auto joined = [](const std::set<std::string>& values) {
    std::string out;
    for (const std::string& v : values) out += (out.empty() ? "" : "; ") + v;
    return xml_escape(out);
  };
  std::string html = "<table class=\"summary\">\n";
  auto row = [&](const std::string& key, const std::string& value) {
    html += "<tr><th>" + key + "</th><td>" + value + "</td></tr>\n";
  };
  row("config", xml_escape(records.front().config));
  row("cells", std::to_string(records.size()));
  row("device", joined(devices));
  row("oodbench", joined(versions) + " (commit " + joined(commits) + ")");
  row("finished", xml_escape(first_finished) + " to " + xml_escape(last_finished));
  row("time in cells", number(total_s, "%.1f s"));
  for (const auto& [dataset, acc] : accuracy) row("ID test accuracy, " + xml_escape(dataset), acc);
  return html + "</table>\n";
}

std::string table_html(const ResultTable& t) {
  std::string html = "<section class=\"result\" data-metric=\"" + xml_escape(t.metric) + "\">\n<h3>" + xml_escape(t.title) +
                     "</h3>\n<table>\n<thead><tr><th>detector</th>";
  for (const TableColumn& c : t.columns) html += "<th>" + xml_escape(c.group + ": " + c.name) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    html += "<tr><td data-value=\"" + xml_escape(t.rows[r]) + "\">" + xml_escape(t.rows[r]) + "</td>";
    for (const TableCell& c : t.cells[r]) {
      const std::string cls = c.best ? " class=\"best\"" : c.near_best ? " class=\"near-best\"" : "";
      html += "<td" + cls + " data-value=\"" + (c.present ? number(c.mean) : "") + "\">" + xml_escape(cell_text(c, " ± ")) +
              "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n<p class=\"note\">" + xml_escape(t.note) + "</p>\n</section>\n";
}

/// The plots of one kind (file name prefix), each inline; folded behind a summary unless `open`.
std::string plots_html(const std::vector<std::pair<std::string, std::string>>& plots, const std::string& prefix,
                       const std::string& title, bool open) {
  std::string figures;
  std::size_t count = 0;
  for (const auto& [name, svg] : plots) {
    if (name.rfind(prefix, 0) != 0) continue;
    figures += "<figure id=\"" + xml_escape(name) + "\">" + svg + "</figure>\n";
    ++count;
  }
  if (count == 0) return "";
  return std::string("<details") + (open ? " open" : "") + "><summary>" + title + " (" + std::to_string(count) +
         ")</summary>\n" + figures + "</details>\n";
}

/// Which multiplicity correction the tables' † marks had (one for the whole report: the config's tables.correction).
std::string dagger_correction(const std::vector<ResultTable>& tables) {
  const bool holm = std::any_of(tables.begin(), tables.end(), [](const ResultTable& t) { return t.near_best_holm; });
  return holm ? "Holm-corrected within each column" : "uncorrected";
}

}  // namespace


std::string html_report(const std::vector<CellRecord>& records, const std::vector<ResultTable>& tables,
                        const std::vector<std::pair<std::string, std::string>>& plots, const std::string& warning,
                        const std::string& rankings) {
  const std::string name = records.empty() ? "" : records.front().config;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>oodbench: " +
                     xml_escape(name) + "</title>\n<style>" + kStyle + "</style>\n<script>" + kScript +
                     "</script>\n</head>\n<body>\n<h1>oodbench: " + xml_escape(name) + "</h1>\n" +
                     (warning.empty() ? "" : "<p class=\"warning\"><strong>" + xml_escape(warning) + "</strong></p>\n") +
                     "<p>Higher scores = more OOD. Bold: the best of a column; &dagger;: not significantly "
                     "worse than it (paired bootstrap, " + dagger_correction(tables) +
                     "). Click a column header to sort.</p>\n" +
                     (records.empty() ? "" : summary_html(records));
  std::vector<std::string> metrics;
  for (const ResultTable& t : tables)
    if (std::find(metrics.begin(), metrics.end(), t.metric) == metrics.end()) metrics.push_back(t.metric);
  html += "<h2>Tables</h2>\n<div id=\"switch\"><label>metric <select id=\"metric\">";
  for (const std::string& m : metrics) {
    const std::string title = m == kFailureTableMetric ? "failure detection (AURC, E-AURC, AUGRC; lower is better)"
                                                       : metric_title(m);
    html += "<option value=\"" + xml_escape(m) + "\">" + xml_escape(title) + "</option>";
  }
  html += "</select></label></div>\n";
  for (const ResultTable& t : tables) html += table_html(t);
  html += rankings;
  html += "<h2>Plots</h2>\n" + plots_html(plots, "roc_", "ROC curves, per OOD set", true) +
          plots_html(plots, "risk_coverage_", "Selective risk against coverage, per dataset", true) +
          plots_html(plots, "hist_", "Score histograms, per detector", false) +
          plots_html(plots, "spectrum_", "MaRS residual spectra", false);
  return html + "</body>\n</html>\n";
}

}  // namespace oodbench

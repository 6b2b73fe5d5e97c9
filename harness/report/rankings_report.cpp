#include "harness/report/rankings_report.h"

#include <algorithm>

#include "harness/render/svg_chart.h"
#include "harness/report/html_report.h"
#include "harness/report/plot_render.h"
#include "harness/report/rankings.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

bool asks(const std::vector<std::string>& formats, const std::string& format) {
  return std::find(formats.begin(), formats.end(), format) != formats.end();
}

/// What the caption adds in a report: how selected grids and covariate-shifted ID sets enter.
std::string report_note(const ReportSettings& settings) {
  std::string note = " Covariate-shifted ID sets (role csid) are no blocks.";
  if (settings.select)
    note += " A grid detector counts once, at the grid point chosen on the validation OOD sets (its \"selected\" "
            "row); the validation sets are no blocks.";
  return note;
}

std::string table_html(const Rankings& r, const std::string& caption) {
  std::string html = "<table class=\"rankings\">\n<thead><tr><th>detector</th><th>average rank</th>"
                     "<th>p vs best (Holm)</th></tr></thead>\n<tbody>\n";
  for (const RankingRow& row : rankings_rows(r))
    html += "<tr><td>" + xml_escape(row.label) + "</td><td>" + row.average_rank + "</td><td>" +
            xml_escape(row.p_versus_best) + "</td></tr>\n";
  return html + "</tbody>\n</table>\n<p class=\"note\">" + xml_escape(caption) + "</p>\n";
}

}  // namespace

RankingsReport rankings_report(const std::vector<CellRecord>& test_records, const ReportSettings& settings,
                               std::vector<std::string>& warnings) {
  RankingsReport out;
  const std::string metric = kRankingMetric, stem = std::string("ranks_") + kRankingMetric;
  Rankings r;
  try {
    r = rank_detectors(test_records, metric);
  } catch (const InputError& e) {  // e.g. one detector: the rest of the report stands
    const std::string why = std::string("no rankings: ") + e.what();
    warnings.push_back(why);
    out.markdown = "## Rankings\n\n" + why + ".\n\n";
    out.html = "<h2>Rankings</h2>\n<p class=\"note\">" + xml_escape(why) + ".</p>\n";
    return out;
  }
  const std::string more_note = report_note(settings);
  const std::string markdown_table = rankings_markdown(r, more_note);
  if (asks(settings.formats, "md")) out.files.emplace_back("tables/" + stem + ".md", markdown_table);
  if (asks(settings.formats, "json"))
    out.files.emplace_back("tables/" + stem + ".json", rankings_json(r).dump(2) + "\n");

  const std::string diagram = rankings_diagram(r), name = std::string("cd_") + kRankingMetric;
  out.files.emplace_back("plots/" + name + ".svg", diagram);
  for (const std::string& format : settings.plot_formats)
    if (format != "svg") out.files.emplace_back("plots/" + name + "." + format, render_svg(diagram, format));

  out.markdown = "## Rankings\n\n" + markdown_table + "\nCritical-difference diagram: [" + name + ".svg](plots/" +
                 name + ".svg)\n\n";
  out.html = "<h2>Rankings</h2>\n" + table_html(r, rankings_caption(r) + more_note) + "<figure id=\"" + name +
             ".svg\">" + diagram + "</figure>\n";
  return out;
}

}  // namespace oodbench

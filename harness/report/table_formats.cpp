#include "harness/report/table_formats.h"

#include <cstdio>
#include <tuple>
#include <nlohmann/json.hpp>

namespace oodbench {
namespace {

std::string pct(double v) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f", v * 100);
  return out;
}

std::string full(double v) {
  char out[40];
  std::snprintf(out, sizeof out, "%.17g", v);
  return out;
}

std::string interval_text(const std::pair<double, double>& ci) {
  std::string text = "[";  // appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "[" + temporary
  text += pct(ci.first);
  text += ", ";
  text += pct(ci.second);
  return text + "]";
}


std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// The characters LaTeX's default (OT1) fonts set wrongly or that are commands: <, >, | print as ¡, ¿, —.
const char* latex_spelling(char c) {
  switch (c) {
    case '\\': return "\\textbackslash{}";
    case '~': return "\\textasciitilde{}";
    case '^': return "\\textasciicircum{}";
    case '<': return "\\textless{}";
    case '>': return "\\textgreater{}";
    case '|': return "\\textbar{}";
    default: return nullptr;
  }
}

/// `s` with LaTeX's special characters escaped, and ± and – spelled for LaTeX.
std::string latex_escape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "±") == 0) {
      out += "$\\pm$";
      i += 1;
    } else if (s.compare(i, 3, "–") == 0) {
      out += "--";
      i += 2;
    } else if (const char* spelt = latex_spelling(s[i])) {
      out += spelt;
    } else {
      if (s[i] == '_' || s[i] == '%' || s[i] == '&' || s[i] == '#' || s[i] == '$' || s[i] == '{' || s[i] == '}')
        out += '\\';
      out += s[i];
    }
  }
  return out;
}

/// `s` for a Markdown table cell or heading: `|` would split the cell, `<` and `>` open raw HTML, `*`, `` ` `` and
/// `\` would format; each is escaped so a label or set name shows as written.
std::string markdown_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      if (c == '|' || c == '*' || c == '`' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

/// Runs of equal group names: (group, first column, count).
std::vector<std::tuple<std::string, std::size_t, std::size_t>> group_spans(const ResultTable& t) {
  std::vector<std::tuple<std::string, std::size_t, std::size_t>> spans;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (!spans.empty() && std::get<0>(spans.back()) == t.columns[c].group) ++std::get<2>(spans.back());
    else spans.emplace_back(t.columns[c].group, c, 1);
  }
  return spans;
}

/// A booktabs table of `t`'s rows and grouped columns, each cell spelt (already LaTeX) by `cell`.
template <class Cell>
std::string latex_table(const ResultTable& t, const std::string& caption, const std::string& label, Cell cell) {
  std::string out = "% " + t.note + "\n\\begin{table}[t]\n\\centering\n\\caption{" + caption + "}\n\\label{tab:" +
                    label + "}\n\\begin{tabular}{l" + std::string(t.columns.size(), 'r') + "}\n\\toprule\n";
  std::string rules;
  for (const auto& [group, first, count] : group_spans(t)) {
    out += " & \\multicolumn{" + std::to_string(count) + "}{c}{" + latex_escape(group) + "}";
    rules += "\\cmidrule(lr){" + std::to_string(first + 2) + "-" + std::to_string(first + count + 1) + "}";
  }
  out += " \\\\\n" + rules + "\ndetector";
  for (const TableColumn& c : t.columns) out += " & " + latex_escape(c.name);
  out += " \\\\\n\\midrule\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out += latex_escape(t.rows[r]);
    for (const TableCell& c : t.cells[r]) out += " & " + cell(c);
    out += " \\\\\n";
  }
  return out + "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
}

}  // namespace

/// "95.6 ± 0.3 [94.1, 96.9]" with `pm` as the format spells it; the std and the interval where asked and present.
std::string cell_text(const TableCell& c, const std::string& pm, bool with_std, bool with_ci) {
  if (!c.present) return "–";
  std::string text = pct(c.mean);
  if (with_std && c.std) text += pm + pct(*c.std);
  if (with_ci && c.ci95) text.append(" ").append(interval_text(*c.ci95));
  return text;
}

std::string table_markdown(const ResultTable& t) {
  std::string out = "### " + markdown_escape(t.title) + "\n\n| detector |";
  for (const TableColumn& c : t.columns) out.append(" ").append(markdown_escape(c.group + ": " + c.name)).append(" |");
  out += "\n|:--|";
  for (std::size_t c = 0; c < t.columns.size(); ++c) out += "--:|";
  out += "\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out.append("| ").append(markdown_escape(t.rows[r])).append(" |");
    for (const TableCell& c : t.cells[r]) {
      const std::string text = cell_text(c, " ± ");
      out += " " + (c.best ? "**" + text + "**" : c.near_best ? text + " †" : text) + " |";
    }
    out += "\n";
  }
  return out + "\n" + t.note + "\n";
}

std::string table_csv(const ResultTable& t) {
  std::string out = "table,detector,shift,column,mean,std,n,ci95_low,ci95_high,best,near_best\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const TableCell& cell = t.cells[r][c];
      if (!cell.present) continue;
      out += t.slug + "," + csv_field(t.rows[r]) + "," + csv_field(t.columns[c].group) + "," +
             csv_field(t.columns[c].name) + "," + full(cell.mean) + "," + (cell.std ? full(*cell.std) : "") + "," +
             std::to_string(cell.n) + "," + (cell.ci95 ? full(cell.ci95->first) : "") + "," +
             (cell.ci95 ? full(cell.ci95->second) : "") + "," + (cell.best ? "1" : "0") + "," + (cell.near_best ? "1" : "0") + "\n";
    }
  }
  return out;
}

std::string table_json(const ResultTable& t) {
  nlohmann::json columns = nlohmann::json::array(), rows = nlohmann::json::array();
  for (const TableColumn& c : t.columns) columns.push_back({{"shift", c.group}, {"name", c.name}});
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    nlohmann::json cells = nlohmann::json::array();
    for (const TableCell& c : t.cells[r]) {
      if (!c.present) {
        cells.push_back(nullptr);
        continue;
      }
      cells.push_back({{"mean", c.mean},
                       {"std", c.std ? nlohmann::json(*c.std) : nlohmann::json(nullptr)},
                       {"n", c.n},
                       {"ci95", c.ci95 ? nlohmann::json{c.ci95->first, c.ci95->second} : nlohmann::json(nullptr)},
                       {"best", c.best},
                       {"near_best", c.near_best}});
    }
    rows.push_back({{"detector", t.rows[r]}, {"cells", cells}});
  }
  return nlohmann::json{{"table", t.slug},
                        {"title", t.title},
                        {"metric", t.metric},
                        {"higher_is_better", t.higher_is_better},
                        {"note", t.note},
                        {"columns", columns},
                        {"rows", rows}}
             .dump(2) + "\n";
}

LatexCells latex_cells(const std::string& name) {
  if (name == "mean") return LatexCells::mean;
  if (name == "mean_ci") return LatexCells::mean_ci;
  return LatexCells::mean_std;
}

bool has_intervals(const ResultTable& t) {
  for (const auto& row : t.cells)
    for (const TableCell& c : row)
      if (c.present && c.ci95) return true;
  return false;
}

std::string table_latex(const ResultTable& t, LatexCells cells) {
  std::string caption = latex_escape(t.title) + ". Bold: the best of a column";
  const bool daggers = std::any_of(t.cells.begin(), t.cells.end(), [](const std::vector<TableCell>& row) {
    return std::any_of(row.begin(), row.end(), [](const TableCell& c) { return c.near_best; });
  });
  if (daggers)  // a paper shows the caption, not the comment above the table
    caption += std::string("; $^\\dagger$: not significantly worse than it (paired bootstrap, $p \\geq 0.05$, ") +
               (t.near_best_holm ? "Holm-corrected within the column)" : "uncorrected)");
  if (cells != LatexCells::mean_ci && has_intervals(t))
    caption += "; bootstrap 95~\\% intervals in Table~\\ref{tab:" + t.slug + "_ci}";
  if (!t.conventions.empty()) caption += ". " + latex_escape(t.conventions);
  return latex_table(t, caption, t.slug, [&](const TableCell& c) {
    const std::string text =
        latex_escape(cell_text(c, " ± ", cells == LatexCells::mean_std, cells == LatexCells::mean_ci));
    return c.best ? "\\textbf{" + text + "}" : c.near_best ? text + "$^\\dagger$" : text;
  });
}

std::string table_latex_intervals(const ResultTable& t) {
  const std::string conventions = t.conventions.empty() ? "" : ". " + latex_escape(t.conventions);
  return latex_table(t, latex_escape(t.title) + ": bootstrap 95~\\% intervals" + conventions, t.slug + "_ci", [](const TableCell& c) {
    return c.present && c.ci95 ? interval_text(*c.ci95) : std::string("--");
  });
}

std::string render_table(const ResultTable& t, const std::string& format, LatexCells cells) {
  if (format == "md") return table_markdown(t);
  if (format == "csv") return table_csv(t);
  if (format == "json") return table_json(t);
  return table_latex(t, cells);
}

}  // namespace oodbench

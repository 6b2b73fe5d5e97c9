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

/// "95.6 ± 0.3 [94.1, 96.9]" with `pm` and the interval separators as the format spells them.
std::string cell_text(const TableCell& c, const std::string& pm) {
  if (!c.present) return "–";
  std::string text = pct(c.mean);
  if (c.std) text += pm + pct(*c.std);
  if (c.ci95) text += " [" + pct(c.ci95->first) + ", " + pct(c.ci95->second) + "]";
  return text;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
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
    } else {
      if (s[i] == '_' || s[i] == '%' || s[i] == '&' || s[i] == '#' || s[i] == '$' || s[i] == '{' || s[i] == '}')
        out += '\\';
      out += s[i];
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

}  // namespace

std::string table_markdown(const ResultTable& t) {
  std::string out = "### " + t.title + "\n\n| detector |";
  for (const TableColumn& c : t.columns) out += " " + c.group + ": " + c.name + " |";
  out += "\n|:--|";
  for (std::size_t c = 0; c < t.columns.size(); ++c) out += "--:|";
  out += "\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out += "| " + t.rows[r] + " |";
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

std::string table_latex(const ResultTable& t) {
  std::string out = "% " + t.note + "\n\\begin{table}[t]\n\\centering\n\\caption{" + latex_escape(t.title) +
                    "}\n\\label{tab:" + t.slug + "}\n\\begin{tabular}{l" + std::string(t.columns.size(), 'r') +
                    "}\n\\toprule\n";
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
    for (const TableCell& c : t.cells[r]) {
      const std::string text = latex_escape(cell_text(c, " ± "));
      out += " & " + (c.best ? "\\textbf{" + text + "}" : c.near_best ? text + "$^\\dagger$" : text);
    }
    out += " \\\\\n";
  }
  return out + "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
}

std::string render_table(const ResultTable& t, const std::string& format) {
  if (format == "md") return table_markdown(t);
  if (format == "csv") return table_csv(t);
  if (format == "json") return table_json(t);
  return table_latex(t);
}

}  // namespace oodbench

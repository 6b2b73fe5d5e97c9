// A ResultTable as Markdown, CSV, JSON or LaTeX (booktabs). Markdown and LaTeX show percentages with one decimal
// and the best value of each column in bold; CSV and JSON keep full-precision fractions for further analysis.
#pragma once

#include <string>

#include "harness/report/results_table.h"

namespace oodbench {

/// One cell as tables show it: "95.6 ± 0.3 [94.1, 96.9]" with `pm` as the format spells ±, the std and the interval
/// where asked and present; "–" for an empty cell.
std::string cell_text(const TableCell& c, const std::string& pm, bool with_std = true, bool with_ci = true);

std::string table_markdown(const ResultTable& t);
/// Long format, one line per cell: table,detector,shift,column,mean,std,n,ci95_low,ci95_high,best.
std::string table_csv(const ResultTable& t);
std::string table_json(const ResultTable& t);
/// What a LaTeX cell holds besides the mean (config "tables": {"latex": ...}).
enum class LatexCells { mean, mean_std, mean_ci };
/// "mean", "mean_std" or "mean_ci" (as the config validated them).
LatexCells latex_cells(const std::string& name);

/// A complete table environment; needs \usepackage{booktabs}. Bold marks the best of a column, a dagger the
/// detectors not significantly worse than it.
std::string table_latex(const ResultTable& t, LatexCells cells = LatexCells::mean_std);
/// Whether some cell of `t` has a bootstrap interval.
bool has_intervals(const ResultTable& t);
/// The bootstrap intervals of `t` alone ("[94.1, 96.9]"), as a table labelled tab:<slug>_ci.
std::string table_latex_intervals(const ResultTable& t);

/// The table in `format` (md, csv, json or tex).
std::string render_table(const ResultTable& t, const std::string& format, LatexCells cells = LatexCells::mean_std);

}  // namespace oodbench

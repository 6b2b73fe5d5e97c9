// A ResultTable as Markdown, CSV, JSON or LaTeX (booktabs). Markdown and LaTeX show percentages with one decimal
// and the best value of each column in bold; CSV and JSON keep full-precision fractions for further analysis.
#pragma once

#include <string>

#include "harness/report/results_table.h"

namespace oodbench {

std::string table_markdown(const ResultTable& t);
/// Long format, one line per cell: table,detector,shift,column,mean,std,n,ci95_low,ci95_high,best.
std::string table_csv(const ResultTable& t);
std::string table_json(const ResultTable& t);
/// A complete table environment; needs \usepackage{booktabs}.
std::string table_latex(const ResultTable& t);

/// The table in `format` (md, csv, json or tex).
std::string render_table(const ResultTable& t, const std::string& format);

}  // namespace oodbench

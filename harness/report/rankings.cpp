#include "harness/report/rankings.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "harness/metrics/ood_metrics.h"
#include "harness/report/cd_diagram.h"
#include "harness/report/results_table.h"
#include "harness/report/selection.h"
#include "harness/sweep/config.h"
#include "harness/sweep/record_store.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::string fixed(double v, int decimals) {
  char out[32];
  std::snprintf(out, sizeof out, "%.*f", decimals, v);
  return out;
}

std::string p_text(double p) {
  char out[32];
  std::snprintf(out, sizeof out, p < 0.001 ? "%.1e" : "%.3f", p);
  return out;
}

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

Rankings rank_detectors(const std::vector<CellRecord>& records, const std::string& metric, double alpha) {
  Rankings r;
  r.metric = metric;
  r.higher_is_better = higher_is_better(metric);
  // Per-dataset tables hold exactly the seed means the blocks need: one column per OOD set.
  std::vector<const ResultTable*> tables;
  const std::vector<ResultTable> built = build_tables(records, {metric});
  for (const ResultTable& t : built)
    if (!t.dataset.empty() && !t.slug.ends_with("_groups")) tables.push_back(&t);
  for (const ResultTable* t : tables)
    for (const std::string& label : t->rows)
      if (std::find(r.labels.begin(), r.labels.end(), label) == r.labels.end()) r.labels.push_back(label);

  struct Column {
    const ResultTable* table;
    std::size_t index;
  };
  std::vector<Column> columns;
  for (const ResultTable* t : tables)
    for (std::size_t c = 0; c < t->columns.size(); ++c)
      if (t->columns[c].name != "avg" && t->columns[c].group != kRoleCsid) columns.push_back({t, c});
  auto value = [&](const Column& col, const std::string& label) -> const TableCell* {
    const auto& rows = col.table->rows;
    const auto it = std::find(rows.begin(), rows.end(), label);
    if (it == rows.end()) return nullptr;
    const TableCell& cell = col.table->cells[static_cast<std::size_t>(it - rows.begin())][col.index];
    return cell.present ? &cell : nullptr;
  };
  std::vector<std::string> ranked;
  for (const std::string& label : r.labels) {
    const bool everywhere = std::all_of(columns.begin(), columns.end(), [&](const Column& c) { return value(c, label); });
    (everywhere ? ranked : r.left_out).push_back(label);
  }
  r.labels = ranked;
  if (columns.empty()) throw InputError("ranks: no OOD set to rank detectors on");
  if (r.labels.size() < 2)
    throw InputError("ranks: fewer than two detectors have " + metric + " on every dataset and OOD set" +
                     (r.left_out.empty() ? std::string() : " (missing somewhere: " + r.left_out.front() + ", ...)"));
  std::vector<std::vector<double>> values;
  for (const Column& c : columns) {
    RankBlock block{c.table->dataset, c.table->columns[c.index].name, {}};
    for (const std::string& label : r.labels) block.values.push_back(value(c, label)->mean);
    values.push_back(block.values);
    r.blocks.push_back(std::move(block));
  }
  r.test = rank_test(values, r.higher_is_better, alpha);
  return r;
}

Rankings folder_rankings(const std::filesystem::path& dir, const std::string& metric,
                         std::vector<std::string>* warnings) {
  metric_field(metric);  // an unknown metric: an InputError naming the known ones
  const std::vector<CellRecord> records = read_cell_records(dir, warnings);
  if (records.empty()) throw InputError(dir.string() + ": no result records (" + records_path(dir).string() + ")");
  return rank_detectors(records_as_tables_show(dir, records), metric);
}

nlohmann::json rankings_json(const Rankings& r) {
  nlohmann::json blocks = nlohmann::json::array(), detectors = nlohmann::json::array();
  for (const RankBlock& b : r.blocks) {
    nlohmann::json v = nlohmann::json::object();
    for (std::size_t j = 0; j < r.labels.size(); ++j) v[r.labels[j]] = b.values[j];
    blocks.push_back({{"dataset", b.dataset}, {"ood_set", b.ood_set}, {"values", v}});
  }
  for (std::size_t j = 0; j < r.labels.size(); ++j) {
    nlohmann::json d = {{"label", r.labels[j]}, {"average_rank", r.test.average_rank[j]}};
    for (const VersusBest& v : r.test.versus_best) {
      if (v.detector != j) continue;
      d["z"] = v.z;
      d["p_value"] = v.p_value;
      d["p_holm"] = v.p_holm;
      d["significant"] = v.significant;
    }
    detectors.push_back(std::move(d));
  }
  return {{"metric", r.metric},
          {"higher_is_better", r.higher_is_better},
          {"alpha", r.test.alpha},
          {"blocks", blocks},
          {"detectors", detectors},
          {"best", r.labels[r.test.best]},
          {"friedman", {{"statistic", optional_number(r.test.friedman_statistic)},
                        {"p_value", optional_number(r.test.friedman_p)}}},
          {"iman_davenport", {{"statistic", optional_number(r.test.iman_davenport_statistic)},
                              {"p_value", optional_number(r.test.iman_davenport_p)}}},
          {"nemenyi_q", r.test.nemenyi_q},
          {"nemenyi_cd", r.test.nemenyi_cd},
          {"left_out", r.left_out}};
}

std::vector<RankingRow> rankings_rows(const Rankings& r) {
  const RankTest& t = r.test;
  std::vector<std::size_t> order(r.labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t.average_rank[a] < t.average_rank[b]; });
  std::vector<RankingRow> rows;
  for (std::size_t j : order) {
    std::string p = "best";
    for (const VersusBest& v : t.versus_best)
      if (v.detector == j) p = p_text(v.p_holm) + (v.significant ? " *" : "");
    rows.push_back({r.labels[j], fixed(t.average_rank[j], 2), p});
  }
  return rows;
}

std::string rankings_caption(const Rankings& r) {
  const RankTest& t = r.test;
  std::string md = metric_title(r.metric) + ": average rank over " + std::to_string(t.blocks) +
                   " blocks (a dataset x an OOD set, each value the mean over seeds; ties share their mean rank; "
                   "1 = best). ";
  if (t.friedman_statistic) {
    md += "Friedman χ² = " + fixed(*t.friedman_statistic, 3) + " (tie-corrected, " +
          std::to_string(t.detectors - 1) + " df), p = " + p_text(*t.friedman_p) + "; Iman-Davenport F = " +
          (std::isinf(*t.iman_davenport_statistic) ? std::string("∞") : fixed(*t.iman_davenport_statistic, 3)) +
          ", p = " + p_text(*t.iman_davenport_p) + ". ";
  } else {
    md += "The Friedman test needs at least 3 detectors and 2 blocks. ";
  }
  md += "Nemenyi critical difference (α = " + fixed(t.alpha, 2) + "): " + fixed(t.nemenyi_cd, 3) +
        ": average ranks further apart differ significantly. p vs best: each detector against the best by the "
        "normal test of their rank difference, Holm-corrected over the " + std::to_string(t.versus_best.size()) +
        " comparisons (* = significant).";
  if (!r.left_out.empty()) {
    md += " Not ranked (missing from some block):";
    for (const std::string& l : r.left_out) md += " " + l + (l == r.left_out.back() ? "." : ",");
  }
  return md;
}

std::string rankings_markdown(const Rankings& r, const std::string& more_note) {
  std::string md = "| detector | average rank | p vs best (Holm) |\n|---|---:|---:|\n";
  for (const RankingRow& row : rankings_rows(r))
    md += "| " + row.label + " | " + row.average_rank + " | " + row.p_versus_best + " |\n";
  return md + "\n" + rankings_caption(r) + more_note + "\n";
}

std::string rankings_diagram(const Rankings& r) {
  return CriticalDifferenceDiagram{metric_title(r.metric) + ": average ranks over " + std::to_string(r.test.blocks) +
                                       " blocks (Nemenyi, α = " + fixed(r.test.alpha, 2) + ")",
                                   r.labels, r.test.average_rank, r.test.nemenyi_cd}
      .render();
}

}  // namespace oodbench

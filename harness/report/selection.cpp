#include "harness/report/selection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "harness/io/file_checks.h"
#include "harness/sweep/json_reader.h"

namespace oodbench {
namespace {

bool is_validation(const OodSetRecord& ood_entry, const Selection& select) { return select.validates(ood_entry.name); }

/// `record` with only its validation sets (`validation`) or only its other sets.
CellRecord with_sets(const CellRecord& record, bool validation, const Selection& select) {
  CellRecord out = record;
  out.ood.clear();
  for (const OodSetRecord& o : record.ood)
    if (is_validation(o, select) == validation) out.ood.push_back(o);
  return out;
}

/// The selection metric of one record: its mean over the validation sets (the only sets this reads).
double validation_value(const CellRecord& record, const Selection& select) {
  double sum = 0;
  std::size_t n = 0;
  for (const OodSetRecord& o : record.ood)
    if (is_validation(o, select)) sum += o.metrics.at(select.metric), ++n;
  return sum / static_cast<double>(n);
}

}  // namespace

SelectedRecords apply_selection(const std::vector<CellRecord>& records, const Selection& select) {
  SelectedRecords out;
  // Per (dataset, grid entry): each point's validation value, averaged over its seeds.
  struct Point {
    std::size_t rank = 0;
    double sum = 0;
    std::size_t seeds = 0;
    std::string values;
  };
  std::map<std::pair<std::string, std::string>, std::map<std::string, Point>> grids;  // -> label -> point
  for (const CellRecord& r : records) {
    out.validation.push_back(with_sets(r, true, select));
    if (!r.grid) continue;
    Point& p = grids[{r.dataset.name, r.grid->entry}][r.label];
    p.rank = r.rank.detector;
    p.sum += validation_value(r, select);
    p.seeds += 1;
    p.values = r.grid->values;
  }
  const bool higher = higher_is_better(select.metric);
  std::set<std::pair<std::string, std::string>> chosen;  // (dataset, label)
  for (const auto& [key, points] : grids) {
    std::optional<std::pair<std::string, const Point*>> best;
    for (const auto& [label, p] : points) {
      const double v = p.sum / static_cast<double>(p.seeds);
      if (!best) {
        best.emplace(label, &p);
        continue;
      }
      const double b = best->second->sum / static_cast<double>(best->second->seeds);
      if (higher ? v > b : v < b) best.emplace(label, &p);
      else if (v == b && p.rank < best->second->rank) best.emplace(label, &p);  // ties: the grid's first point
    }
    chosen.insert({key.first, best->first});
    const double b = best->second->sum / static_cast<double>(best->second->seeds);
    std::size_t tied = 0;  // other points with exactly the chosen value
    std::optional<double> next;  // the best value among the other points
    for (const auto& [label, p] : points) {
      if (label == best->first) continue;
      const double v = p.sum / static_cast<double>(p.seeds);
      tied += v == b;
      if (!next || (higher ? v > *next : v < *next)) next = v;
    }
    char value[96];
    std::snprintf(value, sizeof value, "%.4f", b);
    std::string why = select.metric + " " + value + " on the validation sets";
    if (tied > 0) {
      why += "; tied with " + std::to_string(tied) + " other point" + (tied > 1 ? "s" : "") + ", the grid's first taken";
    } else if (next) {  // the runner-up, with digits enough to tell them apart
      std::snprintf(value, sizeof value, "; next best %.4g", *next);
      why += value;
      if (std::abs(*next - b) < 5e-5) {
        std::snprintf(value, sizeof value, " (%.8f against %.8f)", *next, b);
        why += value;
      }
    }
    out.notes.push_back(key.first + ": " + best->first + " chosen among " + std::to_string(points.size()) +
                        " grid points (" + why + ")");
  }
  for (const CellRecord& r : records) {
    if (r.grid && !chosen.count({r.dataset.name, r.label})) continue;
    CellRecord t = with_sets(r, false, select);
    if (r.grid) t.label = r.grid->base_label + " (" + r.grid->values + ", selected)";
    out.test.push_back(std::move(t));
  }
  return out;
}

ReportSettings folder_report_settings(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  return parse_report_settings(parse_json_document(read_text_file(path.string()), path.string()), path.string());
}

std::vector<CellRecord> records_as_tables_show(const std::filesystem::path& dir, const std::vector<CellRecord>& records) {
  const ReportSettings settings = folder_report_settings(dir);
  return settings.select ? apply_selection(records, *settings.select).test : records;
}

}  // namespace oodbench

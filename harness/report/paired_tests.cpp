#include "harness/report/paired_tests.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "harness/metrics/paired_bootstrap.h"
#include "harness/metrics/rank_statistics.h"
#include "harness/report/selection.h"
#include "harness/sweep/kept_scores.h"
#include "harness/sweep/plan.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// One table row on one dataset: its seeds (nullopt for a deterministic detector) and, per seed, its kept scores
/// ranked against every OOD set.
struct RowRuns {
  std::vector<std::optional<std::int64_t>> seeds;
  DetectorRuns runs;
};

std::optional<std::int64_t> seed_of(const CellRecord& r) { return r.seed; }

/// The kept scores of `records` (one label on one dataset) whose seed is in `seeds` (all if empty), by seed.
RowRuns load_row(const fs::path& dir, std::vector<const CellRecord*> records, const std::set<std::int64_t>& seeds,
                 const Backend& backend) {
  std::sort(records.begin(), records.end(), [](const CellRecord* x, const CellRecord* y) { return seed_of(*x) < seed_of(*y); });
  RowRuns row;
  for (const CellRecord* r : records) {
    const auto seed = seed_of(*r);
    if (seed && !seeds.empty() && !seeds.count(*seed)) continue;
    const KeptScores kept = read_kept_scores(dir, *r);
    std::vector<RankedScores> sets;
    for (std::size_t j = 0; j < kept.ood.size(); ++j) sets.emplace_back(kept.id, kept.ood[j], backend);
    row.seeds.push_back(seed);
    row.runs.push_back(std::move(sets));
  }
  return row;
}

std::vector<const CellRecord*> records_of(const std::vector<CellRecord>& records, const std::string& dataset,
                                          const std::string& label) {
  std::vector<const CellRecord*> out;
  for (const CellRecord& r : records)
    if (r.dataset.name == dataset && (label.empty() || r.label == label)) out.push_back(&r);
  return out;
}

std::vector<std::string> datasets_of(const std::vector<CellRecord>& records) {
  std::vector<std::string> out;
  for (const CellRecord& r : records) {
    const std::string& name = r.dataset.name;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::set<std::int64_t> seeds_in(const std::vector<const CellRecord*>& records) {
  std::set<std::int64_t> out;
  for (const CellRecord* r : records)
    if (const auto s = seed_of(*r)) out.insert(*s);
  return out;
}

/// The resamples of a dataset: the same for every comparison on it, from the options' seed and the dataset's name.
PairedResamples resamples_for(std::size_t id_rows, std::vector<std::size_t> ood_rows, const std::string& dataset,
                              const PairedTestOptions& options) {
  return PairedResamples(id_rows, std::move(ood_rows), options.resamples, options.seed ^ fnv1a64(dataset));
}

PairedResamples resamples_for(const CellRecord& record, const std::string& dataset, const PairedTestOptions& options) {
  std::vector<std::size_t> ood_rows;
  for (const OodSetRecord& o : record.ood) ood_rows.push_back(o.n);
  return resamples_for(record.id_test.n, std::move(ood_rows), dataset, options);
}

json difference_json(const PairedDifference& d, double a, double b) {
  return {{"diff", d.diff}, {"ci95_low", d.ci95_low}, {"ci95_high", d.ci95_high}, {"p_value", d.p_value},
          {"a", a}, {"b", b}};
}

/// The distinct labels of `records` (those for which `keep` holds), quoted and comma-separated.
template <class Keep>
std::string quoted_labels(const std::vector<CellRecord>& records, Keep keep) {
  std::vector<std::string> labels;
  for (const CellRecord& r : records) {
    const std::string& l = r.label;
    if (keep(r) && std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  }
  return join(labels, ", ", [](const std::string& l) { return "\"" + l + "\""; });
}

/// The table label `name` stands for: itself, or the one label whose grid entry `name` is ("knn" for "knn (k=10,
/// selected)"). Several such labels, or none, are an InputError listing the candidates.
std::string resolve_label(const fs::path& dir, const std::vector<CellRecord>& records, const std::string& name) {
  const auto exact = [&](const CellRecord& r) { return r.label == name; };
  if (std::any_of(records.begin(), records.end(), exact)) return name;
  const auto of_entry = [&](const CellRecord& r) { return r.grid && r.grid->base_label == name; };
  const std::string candidates = quoted_labels(records, of_entry);
  if (candidates.empty())
    throw InputError(dir.string() + ": no detector labelled \"" + name + "\"; the labels are " +
                     quoted_labels(records, [](const CellRecord&) { return true; }));
  if (candidates.find("\", \"") != std::string::npos)
    throw InputError(dir.string() + ": \"" + name + "\" names several rows: " + candidates + "; give one of them");
  return candidates.substr(1, candidates.size() - 2);
}

}  // namespace

namespace {

/// Compare's columns: every OOD set, then "all" (the sets of the tables' overall average) when there are several.
struct CompareColumns {
  std::vector<SetColumn> sets;
  json entries = json::array();  ///< per column: {"name", "shift", "metrics": {}}
};

CompareColumns compare_columns(const CellRecord& record) {
  CompareColumns out;
  SetColumn averaged;
  const std::vector<OodSetRecord>& ood = record.ood;
  for (std::size_t j = 0; j < ood.size(); ++j) {
    out.sets.push_back({j});
    out.entries.push_back({{"name", ood[j].name}, {"shift", ood[j].shift}, {"metrics", json::object()}});
    if (in_overall_average(ood[j])) averaged.push_back(j);
  }
  if (averaged.size() > 1) {
    out.sets.push_back(averaged);
    out.entries.push_back({{"name", "all"}, {"shift", "all"}, {"metrics", json::object()}});
  }
  return out;
}

/// The columns of scores given directly: each named set, then "all" when there are several.
CompareColumns array_columns(const std::vector<std::string>& sets) {
  CompareColumns out;
  for (std::size_t j = 0; j < sets.size(); ++j) {
    out.sets.push_back({j});
    out.entries.push_back({{"name", sets[j]}, {"metrics", json::object()}});
  }
  if (sets.size() > 1) {
    SetColumn all(sets.size());
    for (std::size_t j = 0; j < sets.size(); ++j) all[j] = j;
    out.sets.push_back(std::move(all));
    out.entries.push_back({{"name", "all"}, {"metrics", json::object()}});
  }
  return out;
}

/// A − B on each paired seed (the same seeds, in the same order, on both sides), on the rows as they are.
json per_seed_differences(const RowRuns& a, const RowRuns& b, const SetColumn& column, const MetricField& field) {
  json out = json::array();
  for (std::size_t k = 0; k < a.runs.size(); ++k) {
    double diff = 0;
    for (std::size_t j : column) diff += a.runs[k][j].metrics().*field.value - b.runs[k][j].metrics().*field.value;
    out.push_back({{"seed", *a.seeds[k]}, {"diff", diff / static_cast<double>(column.size())}});
  }
  return out;
}

/// Seeded against seeded: the seeds both ran (each A seed paired with the same B seed); empty when a side is
/// deterministic (its one run is paired with every seed of the other). A note when some seeds are left out.
std::set<std::int64_t> paired_seeds(const std::vector<const CellRecord*>& ra, const std::vector<const CellRecord*>& rb,
                                    const std::string& where, json& notes) {
  const std::set<std::int64_t> sa = seeds_in(ra), sb = seeds_in(rb);
  std::set<std::int64_t> common;
  if (sa.empty() || sb.empty()) return common;
  std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(common, common.end()));
  if (common.empty()) throw InputError(where + ": the two detectors share no seed to pair");
  if (common != sa || common != sb)
    notes.push_back(where + ": compared on the " + std::to_string(common.size()) + " seeds both ran");
  return common;
}

/// A − B for every metric of `options` on every column, into `columns.entries`; per seed too when `seeds` pairs them.
json paired_columns(const RowRuns& a, const RowRuns& b, const PairedResamples& resamples, CompareColumns columns,
                    const std::set<std::int64_t>& seeds, const PairedTestOptions& options) {
  for (const std::string& metric : options.metrics) {
    const MetricField& field = metric_field(metric);
    const auto xa = resamples.samples(a.runs, field, columns.sets);
    const auto xb = resamples.samples(b.runs, field, columns.sets);
    for (std::size_t c = 0; c < columns.sets.size(); ++c) {
      json entry = difference_json(paired_difference(xa[c], xb[c]), xa[c].observed, xb[c].observed);
      if (!seeds.empty()) entry["per_seed"] = per_seed_differences(a, b, columns.sets[c], field);
      columns.entries[c]["metrics"][metric] = std::move(entry);
    }
  }
  return std::move(columns.entries);
}

json test_json(const PairedTestOptions& options) {
  return {{"resamples", options.resamples}, {"seed", options.seed},
          {"test", "paired percentile bootstrap; two-sided p = 2 min(1 + #{d* <= 0}, 1 + #{d* >= 0}) / (B + 1)"}};
}

}  // namespace

json compare_score_arrays(const ScoreArrays& a, const ScoreArrays& b, const std::vector<std::string>& sets,
                          const std::string& dataset, const PairedTestOptions& options) {
  if (a.ood.size() != sets.size() || b.ood.size() != sets.size())
    throw InputError("A and B need one score array per OOD set (" + std::to_string(sets.size()) + "), got " +
                     std::to_string(a.ood.size()) + " and " + std::to_string(b.ood.size()));
  const auto same_rows = [](const std::string& what, std::size_t na, std::size_t nb) {
    if (na != nb)
      throw InputError(what + ": A has " + std::to_string(na) + " scores, B " + std::to_string(nb) + "; a paired "
                       "comparison needs both detectors' scores of the same rows, in the same order");
  };
  same_rows("ID scores", a.id.size(), b.id.size());
  std::vector<std::size_t> ood_rows;
  for (std::size_t j = 0; j < sets.size(); ++j) {
    same_rows("OOD set " + sets[j], a.ood[j].size(), b.ood[j].size());
    ood_rows.push_back(a.ood[j].size());
  }
  const auto backend = make_cpu_backend();
  const auto runs = [&](const ScoreArrays& s, const std::string& who) {
    RowRuns row;
    row.seeds.emplace_back();
    row.runs.emplace_back();
    for (std::size_t j = 0; j < sets.size(); ++j)
      row.runs[0].emplace_back(s.id, s.ood[j], *backend, who + "'s ID scores", who + "'s scores of " + sets[j]);
    return row;
  };
  const RowRuns runs_a = runs(a, "A"), runs_b = runs(b, "B");
  json out = test_json(options);
  out["dataset"] = dataset;
  out["sets"] = paired_columns(runs_a, runs_b, resamples_for(a.id.size(), ood_rows, dataset, options),
                               array_columns(sets), {}, options);
  return out;
}

json compare_detectors(const fs::path& dir, const std::vector<CellRecord>& all_records, const std::string& name_a,
                       const std::string& name_b, const PairedTestOptions& options) {
  const std::vector<CellRecord> records = records_as_tables_show(dir, all_records);  // labels and sets as in the tables
  const std::string a = resolve_label(dir, records, name_a), b = resolve_label(dir, records, name_b);
  const auto backend = make_cpu_backend();
  json out = {{"a", a}, {"b", b}};
  out.update(test_json(options));
  out["datasets"] = json::array();
  out["notes"] = json::array();
  for (const std::string& dataset : datasets_of(records)) {
    const auto ra = records_of(records, dataset, a), rb = records_of(records, dataset, b);
    if (ra.empty() || rb.empty()) {
      if (!ra.empty() || !rb.empty()) out["notes"].push_back(dataset + ": only " + (ra.empty() ? b : a) + " ran on it");
      continue;
    }
    const std::set<std::int64_t> seeds = paired_seeds(ra, rb, dir.string() + ": " + dataset, out["notes"]);
    const RowRuns runs_a = load_row(dir, ra, seeds, *backend), runs_b = load_row(dir, rb, seeds, *backend);
    json sets = paired_columns(runs_a, runs_b, resamples_for(*ra.front(), dataset, options),
                               compare_columns(*ra.front()), seeds, options);
    out["datasets"].push_back({{"dataset", dataset}, {"seeds", seeds}, {"sets", std::move(sets)}});
  }
  if (out["datasets"].empty())
    throw InputError(dir.string() + ": " + a + " and " + b + " never ran on the same dataset");
  return out;
}

std::vector<bool> not_significantly_worse(std::span<const double> p_values, bool holm, double alpha) {
  const std::vector<double> p = holm ? holm_adjusted(p_values) : std::vector<double>(p_values.begin(), p_values.end());
  std::vector<bool> kept;
  for (double v : p) kept.push_back(v >= alpha);
  return kept;
}

std::vector<std::string> mark_near_best(std::vector<ResultTable>& tables, const fs::path& dir,
                                        const std::vector<CellRecord>& records, const PairedTestOptions& options) {
  const auto backend = make_cpu_backend();
  std::vector<std::string> unmarked;
  std::map<std::string, std::map<std::string, RowRuns>> loaded;  // dataset -> label -> runs, read once
  for (ResultTable& t : tables) {
    if (t.dataset.empty()) continue;
    t.near_best_holm = options.holm;
    const auto mine = records_of(records, t.dataset, "");
    if (!std::all_of(mine.begin(), mine.end(), [](const CellRecord* r) { return r->scores.has_value(); })) {
      if (std::find(unmarked.begin(), unmarked.end(), t.dataset) == unmarked.end()) unmarked.push_back(t.dataset);
      continue;
    }
    auto& rows = loaded[t.dataset];
    if (rows.empty())
      for (const std::string& label : t.rows) rows[label] = load_row(dir, records_of(records, t.dataset, label), {}, *backend);
    const CellRecord& first = *mine.front();
    std::vector<SetColumn> columns;
    for (const TableColumn& col : t.columns) {
      SetColumn sets;
      for (std::size_t j = 0; j < first.ood.size(); ++j) {
        const OodSetRecord& o = first.ood[j];
        const bool in = col.name == "avg" ? (col.group == "all" ? in_overall_average(o) : column_group(o) == col.group)
                                          : o.name == col.name;
        if (in) sets.push_back(j);
      }
      columns.push_back(std::move(sets));
    }
    const PairedResamples resamples = resamples_for(first, t.dataset, options);
    const MetricField& field = metric_field(t.metric);
    std::vector<std::vector<ColumnSamples>> samples(t.rows.size());  // [row][column]; rows are independent
#pragma omp parallel for schedule(dynamic)
    for (std::size_t r = 0; r < t.rows.size(); ++r) samples[r] = resamples.samples(rows.at(t.rows[r]).runs, field, columns);
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      std::optional<std::size_t> best;  // the best unrounded mean among the bold cells
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!t.cells[r][c].best) continue;
        if (!best || (t.higher_is_better ? t.cells[r][c].mean > t.cells[*best][c].mean
                                         : t.cells[r][c].mean < t.cells[*best][c].mean))
          best = r;
      }
      if (!best) continue;
      std::vector<std::size_t> compared;  // the column's family of tests: every other present cell against the best
      std::vector<double> p_values;
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!t.cells[r][c].present || t.cells[r][c].best) continue;
        compared.push_back(r);
        p_values.push_back(paired_difference(samples[*best][c], samples[r][c]).p_value);
      }
      const std::vector<bool> kept = not_significantly_worse(p_values, options.holm);
      for (std::size_t i = 0; i < compared.size(); ++i) t.cells[compared[i]][c].near_best = kept[i];
    }
    t.note += " †: not significantly worse than the best of its column (paired bootstrap, " +
              std::to_string(options.resamples) + " resamples, two-sided p >= 0.05, " +
              (options.holm ? "Holm-corrected over the column's comparisons with its best)."
                            : "no multiplicity correction).");
  }
  return unmarked;
}

}  // namespace oodbench

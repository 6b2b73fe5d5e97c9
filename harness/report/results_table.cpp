#include "harness/report/results_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <span>
#include <utility>

#include "harness/metrics/ood_metrics.h"
#include "harness/sweep/file_names.h"
#include "harness/sweep/config.h"
#include "harness/sweep/cell_record.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

using nlohmann::json;

/// Values of one table cell over seeds, with their bootstrap bounds when every record has them.
struct Samples {
  std::vector<double> values, low, high;
};

TableCell summarise(const Samples& s) {
  TableCell c;
  if (s.values.empty()) return c;
  c.present = true;
  c.n = s.values.size();
  double sum = 0;
  for (double v : s.values) sum += v;
  c.mean = sum / static_cast<double>(c.n);
  if (c.n > 1) {
    double ss = 0;
    for (double v : s.values) ss += (v - c.mean) * (v - c.mean);
    c.std = std::sqrt(ss / static_cast<double>(c.n - 1));
  }
  if (!s.low.empty() && s.low.size() == c.n) {
    double lo = 0, hi = 0;
    for (std::size_t i = 0; i < c.n; ++i) lo += s.low[i], hi += s.high[i];
    c.ci95 = std::make_pair(lo / static_cast<double>(c.n), hi / static_cast<double>(c.n));
  }
  return c;
}

/// Marks the best cell(s) of every column, comparing values as tables print them (percent, one decimal).
void mark_best(ResultTable& t) {
  for (std::size_t col = 0; col < t.columns.size(); ++col) {
    std::optional<long> best;
    auto shown = [&](const TableCell& c) { return std::lround(c.mean * 1000); };
    for (const auto& row : t.cells) {
      if (!row[col].present) continue;
      const long v = shown(row[col]);
      if (!best || (t.higher_is_better ? v > *best : v < *best)) best = v;
    }
    for (auto& row : t.cells)
      if (row[col].present && shown(row[col]) == best) row[col].best = true;
  }
}

/// One record's value per column: each OOD set, each shift group's mean, and the mean over all sets.
struct RecordValues {
  std::map<std::string, double> by_set;        ///< OOD set -> value
  std::map<std::string, double> by_group;      ///< shift type ("all" included) -> mean over its sets
  std::map<std::string, std::pair<double, double>> ci_by_set;
};

RecordValues values_of(const CellRecord& record, const std::string& metric) {
  RecordValues v;
  std::map<std::string, std::pair<double, std::size_t>> groups;
  for (const OodSetRecord& o : record.ood) {
    const double x = o.metrics.at(metric);
    v.by_set[o.name] = x;
    std::vector<std::string> into = {column_group(o)};
    if (in_overall_average(o)) into.push_back("all");
    for (const std::string& g : into) {
      groups[g].first += x;
      groups[g].second += 1;
    }
    if (o.ci95) v.ci_by_set[o.name] = {o.ci95->low.at(metric), o.ci95->high.at(metric)};
  }
  for (const auto& [g, acc] : groups) v.by_group[g] = acc.first / static_cast<double>(acc.second);
  return v;
}

/// Distinct values of `key(record)` ordered by (rank, first appearance).
template <class Key, class Rank>
std::vector<std::string> ordered(const std::vector<const CellRecord*>& records, Key key, Rank rank) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> first;  // value -> (rank, appearance)
  for (const CellRecord* r : records) first.emplace(key(*r), std::make_pair(rank(*r), first.size()));
  std::vector<std::string> out;
  for (const auto& [k, v] : first) out.push_back(k);
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return first[a] < first[b]; });
  return out;
}

std::size_t detector_rank(const CellRecord& r) { return r.rank.detector; }
std::size_t dataset_rank(const CellRecord& r) { return r.rank.dataset; }
std::string label_of(const CellRecord& r) { return r.label; }
std::string dataset_of(const CellRecord& r) { return r.dataset.name; }
std::string backbone_of(const CellRecord& r) { return r.dataset.backbone; }

/// "chestxray as ID, mobilenet_v2": how a dataset's tables begin their titles.
std::string dataset_title(const CellRecord& r) { return r.dataset.modality + " as ID, " + r.dataset.backbone; }

/// "head" when the records' classifier is a given head, else "probe" (fitted on the ID train set).
std::string head_name(const CellRecord& r) { return r.inputs.count("head_weights") ? "head" : "probe"; }

std::string seeds_note(const std::vector<const CellRecord*>& records) {
  std::set<std::int64_t> seeds;
  for (const CellRecord* r : records)
    if (r->seed) seeds.insert(*r->seed);
  std::string note = "Values in %, bold = best in its column. ";
  if (seeds.size() > 1)
    note += "Seeded detectors (autoencoders): mean ± sample std over " + std::to_string(seeds.size()) +
            " seeds; the others are deterministic and run once. ";
  return note;
}

/// " (ID test accuracy of the head 93.4 %)" when the records measured it (the dataset gave ID test labels).
std::string accuracy_text(const CellRecord& record) {
  if (!record.id_accuracy) return "";
  char text[64];
  std::snprintf(text, sizeof text, " (ID test accuracy of the %s %.1f %%)", head_name(record).c_str(),
                100 * *record.id_accuracy);
  return text;
}

/// Which protocol produced a dataset's numbers: what the ID side was, and how covariate-shifted ID sets count.
std::string protocol_note(const CellRecord& record) {
  std::string note;
  const std::vector<std::string>& parts = record.id_test.sets;
  if (parts.size() > 1) {
    note = "Protocol: full-spectrum (OpenOOD's FSOOD): the ID side is the ID test set plus the covariate-shifted ID sets";
    note += ": " + join(std::span(parts).subspan(1)) + ".";
  } else {
    note = "Protocol: standard (the ID side is the ID test set).";
  }
  const bool csid = std::any_of(record.ood.begin(), record.ood.end(),
                                [](const OodSetRecord& o) { return column_group(o) == kRoleCsid; });
  if (csid) note += " csid: covariate-shifted ID sets to detect, shown apart and left out of the all average (OpenMIBOOD).";
  return note;
}

/// Names the rows of `t` whose records invert a covariance by a convention other than the default (a table must say
/// which inverse made its numbers, docs/methods.md#conventions), in t.conventions and at the end of t.note.
void name_conventions(ResultTable& t, const std::vector<const CellRecord*>& records) {
  std::map<std::string, std::string> convention;  // label -> convention
  for (const CellRecord* r : records) {
    const json& params = r->params;
    if (params.contains("convention") && params["convention"] != "openood")
      convention.emplace(label_of(*r), params["convention"].get<std::string>());
  }
  if (convention.empty()) return;
  t.conventions = "Covariance inverses by convention (docs/methods.md#conventions):";
  std::string sep = " ";
  for (const std::string& label : t.rows)
    if (convention.count(label)) t.conventions += std::exchange(sep, "; ") + label + ": " + convention[label];
  t.conventions += "; every other row that inverts one: openood (scikit-learn's precision_).";
  t.note += " " + t.conventions;
}

ResultTable dataset_table(const std::vector<const CellRecord*>& records, const std::string& metric) {
  const CellRecord& first = *records.front();
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  const std::string dataset = first.dataset.name;
  t.slug = file_name_part(dataset + "_" + metric);
  t.dataset = dataset;
  t.title = dataset_title(first) + accuracy_text(first) + ": " + metric_title(metric);
  t.rows = ordered(records, label_of, detector_rank);

  // Columns: OOD sets grouped by shift type, in the order the records list them.
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> sets_of;
  std::size_t averaged_sets = 0;
  for (const OodSetRecord& o : first.ood) {
    const std::string g = column_group(o);
    if (!sets_of.count(g)) groups.push_back(g);
    sets_of[g].push_back(o.name);
    averaged_sets += in_overall_average(o);
  }
  for (const std::string& g : groups) {
    for (const std::string& s : sets_of[g]) t.columns.push_back({g, s});
    if (sets_of[g].size() > 1) t.columns.push_back({g, "avg"});
  }
  if (averaged_sets > 1) t.columns.push_back({"all", "avg"});

  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const CellRecord* r : records) {
      if (label_of(*r) != label) continue;
      const RecordValues v = values_of(*r, metric);
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        const TableColumn& col = t.columns[c];
        const bool average = col.name == "avg";
        const auto& source = average ? v.by_group : v.by_set;
        const auto it = source.find(average ? col.group : col.name);
        if (it == source.end()) continue;
        samples[c].values.push_back(it->second);
        if (!average && v.ci_by_set.count(col.name)) {
          samples[c].low.push_back(v.ci_by_set.at(col.name).first);
          samples[c].high.push_back(v.ci_by_set.at(col.name).second);
        }
      }
    }
    std::vector<TableCell> row;
    for (const Samples& s : samples) row.push_back(summarise(s));
    t.cells.push_back(std::move(row));
  }
  mark_best(t);
  t.note = seeds_note(records) + "avg: mean over the shift type's OOD sets, all: over every OOD set (per seed, then over seeds). " +
           protocol_note(first);
  if (!first.ood.empty() && first.ood[0].ci95)
    t.note += " [a, b]: percentile-bootstrap 95 % interval (mean of the per-seed bounds).";
  name_conventions(t, records);
  return t;
}

/// Rows detectors, columns subgroups and the worst one: each value a subgroup's metric averaged over the OOD sets of
/// the "all" average (per seed, then over seeds); "worst" is, per seed, the worst of those subgroup averages.
ResultTable group_table(const std::vector<const CellRecord*>& records, const std::string& metric) {
  const CellRecord& first = *records.front();
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  t.slug = file_name_part(first.dataset.name + "_" + metric + "_groups");
  t.title = dataset_title(first) + accuracy_text(first) + ": " + metric_title(metric) + " by subgroup";
  t.rows = ordered(records, label_of, detector_rank);
  // Per record: each subgroup's value averaged over the sets that have it.
  auto per_group = [&](const CellRecord& r) {
    std::map<std::string, std::pair<double, std::size_t>> acc;
    for (const OodSetRecord& o : r.ood) {
      if (!in_overall_average(o) || !o.groups) continue;
      for (const GroupMetrics& g : o.groups->by_group) {
        auto& [sum, n] = acc[g.group];
        sum += g.metrics.at(metric);
        n += 1;
      }
    }
    std::map<std::string, double> out;
    for (const auto& [g, sn] : acc) out[g] = sn.first / static_cast<double>(sn.second);
    return out;
  };
  std::set<std::string> groups;
  for (const CellRecord* r : records)
    for (const auto& [g, v] : per_group(*r)) groups.insert(g);
  for (const std::string& g : groups) t.columns.push_back({"subgroup", g});
  t.columns.push_back({"worst", "worst"});
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const CellRecord* r : records) {
      if (label_of(*r) != label) continue;
      const auto values = per_group(*r);
      std::optional<double> worst;
      for (std::size_t c = 0; c + 1 < t.columns.size(); ++c) {
        const auto it = values.find(t.columns[c].name);
        if (it == values.end()) continue;
        samples[c].values.push_back(it->second);
        if (!worst || (t.higher_is_better ? it->second < *worst : it->second > *worst)) worst = it->second;
      }
      if (worst) samples.back().values.push_back(*worst);
    }
    std::vector<TableCell> row;
    for (const Samples& s : samples) row.push_back(summarise(s));
    t.cells.push_back(std::move(row));
  }
  mark_best(t);
  t.note = seeds_note(records) + "Each subgroup: its ID test rows against the OOD rows of the same subgroup (all OOD "
           "rows for a set without subgroups), averaged over the OOD sets; worst: the worst subgroup of each run. " +
           protocol_note(first);
  // A subgroup missing from some averaged sets is averaged over fewer (often easier) sets: say which it lacks.
  for (const std::string& g : groups) {
    std::vector<std::string> lacking;
    std::size_t sets = 0;
    for (const OodSetRecord& o : first.ood) {
      if (!in_overall_average(o) || !o.groups) continue;
      ++sets;
      const std::vector<GroupMetrics>& by_group = o.groups->by_group;
      if (std::none_of(by_group.begin(), by_group.end(), [&](const GroupMetrics& e) { return e.group == g; }))
        lacking.push_back(o.name);
    }
    if (lacking.empty()) continue;
    t.note += " Subgroup " + g + " is averaged over " + std::to_string(sets - lacking.size()) + " of the " +
              std::to_string(sets) + " OOD sets (" + join(lacking) +
              " has no rows of it), so it and worst compare unlike averages.";
  }
  name_conventions(t, records);
  return t;
}

/// Rows detectors, columns (shift type, backbone): the metric averaged over each shift type's OOD sets.
ResultTable scale_table(const std::string& modality, const std::vector<const CellRecord*>& records,
                        const std::string& metric) {
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  t.slug = file_name_part("scale_" + modality + "_" + metric);
  t.title = modality + " as ID, backbone scale: " + metric_title(metric) + " averaged per shift type";
  t.rows = ordered(records, label_of, detector_rank);
  const auto backbones = ordered(records, backbone_of, dataset_rank);
  std::vector<std::string> groups;
  for (const OodSetRecord& o : records.front()->ood) {
    const std::string g = column_group(o);
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  groups.push_back("all");
  for (const std::string& g : groups)
    for (const std::string& b : backbones) t.columns.push_back({g, b});
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const CellRecord* r : records) {
      if (label_of(*r) != label) continue;
      const RecordValues v = values_of(*r, metric);
      const std::string& backbone = r->dataset.backbone;
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        if (t.columns[c].name != backbone) continue;
        const auto it = v.by_group.find(t.columns[c].group);
        if (it != v.by_group.end()) samples[c].values.push_back(it->second);
      }
    }
    std::vector<TableCell> row;
    for (const Samples& s : samples) row.push_back(summarise(s));
    t.cells.push_back(std::move(row));
  }
  mark_best(t);
  t.note = seeds_note(records) + "Each column: the mean over that shift type's OOD sets for that backbone.";
  name_conventions(t, records);
  return t;
}

/// Rows detectors, columns (set, failure metric): the ID test set's, then each labelled csid set's.
ResultTable failure_table(const std::vector<const CellRecord*>& records, std::size_t without) {
  const CellRecord& first = *records.front();
  const FailureRecord& failure = *first.failure;
  ResultTable t;
  t.metric = kFailureTableMetric;
  t.higher_is_better = false;
  t.slug = file_name_part(first.dataset.name + "_failure");
  const std::string head = head_name(first);
  t.title = dataset_title(first) + ": failure detection of the " + head +
            "'s errors, confidence = -score (AURC, E-AURC, AUGRC; lower is better)";
  t.rows = ordered(records, label_of, detector_rank);
  const std::vector<std::pair<std::string, std::string>> metrics = {{"aurc", "AURC"}, {"eaurc", "E-AURC"}, {"augrc", "AUGRC"}};
  // (column group, where its entry is in a record's "failure"): the ID test set, then each csid set.
  std::vector<std::pair<std::string, std::string>> sets;
  std::string accuracy = "Accuracy of the " + head + ":";
  const auto accuracy_of = [](const std::string& set, const FailureEntry& entry) {
    char text[160];
    std::snprintf(text, sizeof text, " %s %.1f %% (%zu errors in %zu rows)", set.c_str(),
                  100 * entry.metrics.at("accuracy"), entry.errors, entry.n);
    return std::string(text);
  };
  if (failure.id_test) {
    sets.emplace_back("ID test", "");
    accuracy += accuracy_of("ID test", *failure.id_test);
  }
  for (const CsidFailure& e : failure.csid) {
    sets.emplace_back("csid: " + e.name, e.name);
    accuracy += (sets.size() > 1 ? ";" : "") + accuracy_of(e.name, e.entry);
  }
  for (const auto& [group, name] : sets)
    for (const auto& metric : metrics) t.columns.push_back({group, metric.second});
  const auto entry_of = [](const CellRecord& record, const std::string& csid) -> const FailureEntry* {
    const FailureRecord& f = *record.failure;
    if (csid.empty()) return f.id_test ? &*f.id_test : nullptr;
    for (const CsidFailure& e : f.csid)
      if (e.name == csid) return &e.entry;
    return nullptr;
  };
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const CellRecord* r : records) {
      if (label_of(*r) != label) continue;
      for (std::size_t s = 0; s < sets.size(); ++s) {
        const FailureEntry* e = entry_of(*r, sets[s].second);
        if (!e) continue;
        for (std::size_t m = 0; m < metrics.size(); ++m) {
          Samples& x = samples[s * metrics.size() + m];
          const std::string& key = metrics[m].first;
          x.values.push_back(e->metrics.at(key));
          if (!e->ci95) continue;
          x.low.push_back(e->ci95->low.at(key));
          x.high.push_back(e->ci95->high.at(key));
        }
      }
    }
    std::vector<TableCell> row;
    for (const Samples& x : samples) row.push_back(summarise(x));
    t.cells.push_back(std::move(row));
  }
  mark_best(t);
  t.note = seeds_note(records) + "Confidence = -score: each detector's score ranks the rows the " + head +
           " classified, most confident first, as a confidence that its prediction is right (docs/methods.md, "
           "\"Failure detection\"). AURC: area under the selective-risk-coverage curve; E-AURC: AURC minus that of "
           "the ideal ranking (every error least confident); AUGRC: area under the generalised-risk-coverage curve. "
           "Lower is better. " + accuracy + ".";
  if (failure.id_test && failure.id_test->ci95)
    t.note += " [a, b]: percentile-bootstrap 95 % interval (mean of the per-seed bounds).";
  if (without > 0)
    t.note += " " + std::to_string(without) + " records of this dataset have no failure-detection metrics (written "
              "before oodbench recorded them) and are left out; run the config again to compute them.";
  name_conventions(t, records);
  return t;
}

}  // namespace

std::string column_group(const OodSetRecord& ood_entry) {
  return ood_entry.role == kRoleCsid ? std::string(kRoleCsid) : ood_entry.shift;
}

bool in_overall_average(const OodSetRecord& ood_entry) { return ood_entry.role != kRoleCsid; }

std::string metric_title(const std::string& metric) { return std::string(metric_field(metric).title); }

std::vector<ResultTable> build_failure_tables(const std::vector<CellRecord>& records) {
  std::vector<const CellRecord*> all;
  for (const CellRecord& r : records) all.push_back(&r);
  const auto datasets = ordered(all, dataset_of, dataset_rank);
  std::vector<ResultTable> tables;
  for (const std::string& name : datasets) {
    std::vector<const CellRecord*> with;
    std::size_t without = 0;
    for (const CellRecord* r : all) {
      if (r->dataset.name != name) continue;
      if (r->failure) with.push_back(r);
      else without += r->inputs.count("test_labels");
    }
    if (!with.empty()) tables.push_back(failure_table(with, without));
  }
  return tables;
}

std::vector<ResultTable> build_tables(const std::vector<CellRecord>& records, const std::vector<std::string>& metrics) {
  std::vector<const CellRecord*> all;
  for (const CellRecord& r : records) all.push_back(&r);
  const auto datasets = ordered(all, dataset_of, dataset_rank);
  std::vector<ResultTable> tables;
  std::map<std::string, std::vector<const CellRecord*>> by_modality;
  std::vector<std::string> modalities;
  for (const std::string& name : datasets) {
    std::vector<const CellRecord*> mine;
    for (const CellRecord* r : all)
      if (r->dataset.name == name) mine.push_back(r);
    for (const std::string& m : metrics) tables.push_back(dataset_table(mine, m));
    const std::vector<OodSetRecord>& first_sets = mine.front()->ood;
    if (!first_sets.empty() && first_sets[0].groups)
      for (const std::string& m : metrics) tables.push_back(group_table(mine, m));
    const std::string modality = mine.front()->dataset.modality;
    if (!by_modality.count(modality)) modalities.push_back(modality);
    auto& list = by_modality[modality];
    list.insert(list.end(), mine.begin(), mine.end());
  }
  for (const std::string& modality : modalities) {
    const auto& mine = by_modality[modality];
    std::set<std::string> backbones;
    for (const CellRecord* r : mine) backbones.insert(r->dataset.backbone);
    if (backbones.size() < 2) continue;
    for (const std::string& m : metrics) tables.push_back(scale_table(modality, mine, m));
  }
  return tables;
}

}  // namespace oodbench

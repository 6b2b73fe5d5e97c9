#include "harness/report/results_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "harness/metrics/ood_metrics.h"
#include "harness/sweep/file_names.h"
#include "harness/sweep/config.h"

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

RecordValues values_of(const json& record, const std::string& metric) {
  RecordValues v;
  std::map<std::string, std::pair<double, std::size_t>> groups;
  for (const json& o : record.at("ood")) {
    const double x = o.at("metrics").at(metric).get<double>();
    v.by_set[o.at("name").get<std::string>()] = x;
    std::vector<std::string> into = {column_group(o)};
    if (in_overall_average(o)) into.push_back("all");
    for (const std::string& g : into) {
      groups[g].first += x;
      groups[g].second += 1;
    }
    if (o.contains("ci95"))
      v.ci_by_set[o.at("name").get<std::string>()] = {o["ci95"]["low"].at(metric).get<double>(),
                                                       o["ci95"]["high"].at(metric).get<double>()};
  }
  for (const auto& [g, acc] : groups) v.by_group[g] = acc.first / static_cast<double>(acc.second);
  return v;
}

/// Distinct values of `key(record)` ordered by (rank, first appearance).
template <class Key, class Rank>
std::vector<std::string> ordered(const std::vector<const json*>& records, Key key, Rank rank) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> first;  // value -> (rank, appearance)
  for (const json* r : records) first.emplace(key(*r), std::make_pair(rank(*r), first.size()));
  std::vector<std::string> out;
  for (const auto& [k, v] : first) out.push_back(k);
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return first[a] < first[b]; });
  return out;
}

std::size_t detector_rank(const json& r) { return r.at("rank").at("detector").get<std::size_t>(); }
std::size_t dataset_rank(const json& r) { return r.at("rank").at("dataset").get<std::size_t>(); }
std::string label_of(const json& r) { return r.at("label").get<std::string>(); }

std::string seeds_note(const std::vector<const json*>& records) {
  std::set<long> seeds;
  for (const json* r : records)
    if (!r->at("seed").is_null()) seeds.insert(r->at("seed").get<long>());
  std::string note = "Values in %, bold = best in its column. ";
  if (seeds.size() > 1)
    note += "Seeded detectors (autoencoders): mean ± sample std over " + std::to_string(seeds.size()) +
            " seeds; the others are deterministic and run once. ";
  return note;
}

/// " (ID test accuracy of the head 93.4 %)" when the records measured it (the dataset gave ID test labels).
std::string accuracy_text(const json& record) {
  if (!record.contains("id_accuracy")) return "";
  char text[64];
  std::snprintf(text, sizeof text, " (ID test accuracy of the %s %.1f %%)",
                record.at("inputs").contains("head_weights") ? "head" : "probe",
                100 * record.at("id_accuracy").get<double>());
  return text;
}

/// Which protocol produced a dataset's numbers: what the ID side was, and how covariate-shifted ID sets count.
std::string protocol_note(const json& record) {
  std::string note;
  const json& parts = record.at("id_test").value("sets", json::array({"test"}));
  if (parts.size() > 1) {
    note = "Protocol: full-spectrum (OpenOOD's FSOOD): the ID side is the ID test set plus the covariate-shifted ID sets";
    for (std::size_t i = 1; i < parts.size(); ++i) note += (i == 1 ? ": " : ", ") + parts[i].get<std::string>();
    note += ".";
  } else {
    note = "Protocol: standard (the ID side is the ID test set).";
  }
  const bool csid = std::any_of(record.at("ood").begin(), record.at("ood").end(),
                                [](const json& o) { return column_group(o) == kRoleCsid; });
  if (csid) note += " csid: covariate-shifted ID sets to detect, shown apart and left out of the all average (OpenMIBOOD).";
  return note;
}

/// Names the rows of `t` whose records invert a covariance by a convention other than the default (a table must say
/// which inverse made its numbers, docs/methods.md#conventions), in t.conventions and at the end of t.note.
void name_conventions(ResultTable& t, const std::vector<const json*>& records) {
  std::map<std::string, std::string> convention;  // label -> convention
  for (const json* r : records) {
    const json& params = r->value("params", json::object());
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

ResultTable dataset_table(const std::vector<const json*>& records, const std::string& metric) {
  const json& first = *records.front();
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  const std::string dataset = first.at("dataset").at("name").get<std::string>();
  t.slug = file_name_part(dataset + "_" + metric);
  t.dataset = dataset;
  t.title = first.at("dataset").at("modality").get<std::string>() + " as ID, " +
            first.at("dataset").at("backbone").get<std::string>() + accuracy_text(first) + ": " + metric_title(metric);
  t.rows = ordered(records, label_of, detector_rank);

  // Columns: OOD sets grouped by shift type, in the order the records list them.
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> sets_of;
  std::size_t averaged_sets = 0;
  for (const json& o : first.at("ood")) {
    const std::string g = column_group(o);
    if (!sets_of.count(g)) groups.push_back(g);
    sets_of[g].push_back(o.at("name").get<std::string>());
    averaged_sets += in_overall_average(o);
  }
  for (const std::string& g : groups) {
    for (const std::string& s : sets_of[g]) t.columns.push_back({g, s});
    if (sets_of[g].size() > 1) t.columns.push_back({g, "avg"});
  }
  if (averaged_sets > 1) t.columns.push_back({"all", "avg"});

  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const json* r : records) {
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
  if (!records.front()->at("ood").empty() && records.front()->at("ood")[0].contains("ci95"))
    t.note += " [a, b]: percentile-bootstrap 95 % interval (mean of the per-seed bounds).";
  name_conventions(t, records);
  return t;
}

/// Rows detectors, columns subgroups and the worst one: each value a subgroup's metric averaged over the OOD sets of
/// the "all" average (per seed, then over seeds); "worst" is, per seed, the worst of those subgroup averages.
ResultTable group_table(const std::vector<const json*>& records, const std::string& metric) {
  const json& first = *records.front();
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  t.slug = file_name_part(first.at("dataset").at("name").get<std::string>() + "_" + metric + "_groups");
  t.title = first.at("dataset").at("modality").get<std::string>() + " as ID, " +
            first.at("dataset").at("backbone").get<std::string>() + accuracy_text(first) + ": " + metric_title(metric) +
            " by subgroup";
  t.rows = ordered(records, label_of, detector_rank);
  // Per record: each subgroup's value averaged over the sets that have it.
  auto per_group = [&](const json& r) {
    std::map<std::string, std::pair<double, std::size_t>> acc;
    for (const json& o : r.at("ood")) {
      if (!in_overall_average(o) || !o.contains("groups")) continue;
      for (const json& g : o["groups"].at("by_group")) {
        auto& [sum, n] = acc[g.at("group").get<std::string>()];
        sum += g.at("metrics").at(metric).get<double>();
        n += 1;
      }
    }
    std::map<std::string, double> out;
    for (const auto& [g, sn] : acc) out[g] = sn.first / static_cast<double>(sn.second);
    return out;
  };
  std::set<std::string> groups;
  for (const json* r : records)
    for (const auto& [g, v] : per_group(*r)) groups.insert(g);
  for (const std::string& g : groups) t.columns.push_back({"subgroup", g});
  t.columns.push_back({"worst", "worst"});
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const json* r : records) {
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
    for (const json& o : first.at("ood")) {
      if (!in_overall_average(o) || !o.contains("groups")) continue;
      ++sets;
      const json& by_group = o["groups"].at("by_group");
      if (std::none_of(by_group.begin(), by_group.end(), [&](const json& e) { return e.at("group") == g; }))
        lacking.push_back(o.at("name").get<std::string>());
    }
    if (lacking.empty()) continue;
    std::string names;
    for (const std::string& n : lacking) names += (names.empty() ? "" : ", ") + n;
    t.note += " Subgroup " + g + " is averaged over " + std::to_string(sets - lacking.size()) + " of the " +
              std::to_string(sets) + " OOD sets (" + names + " has no rows of it), so it and worst compare unlike "
              "averages.";
  }
  name_conventions(t, records);
  return t;
}

/// Rows detectors, columns (shift type, backbone): the metric averaged over each shift type's OOD sets.
ResultTable scale_table(const std::string& modality, const std::vector<const json*>& records,
                        const std::string& metric) {
  ResultTable t;
  t.metric = metric;
  t.higher_is_better = higher_is_better(metric);
  t.slug = file_name_part("scale_" + modality + "_" + metric);
  t.title = modality + " as ID, backbone scale: " + metric_title(metric) + " averaged per shift type";
  t.rows = ordered(records, label_of, detector_rank);
  const auto backbones = ordered(records, [](const json& r) { return r.at("dataset").at("backbone").get<std::string>(); },
                                 dataset_rank);
  std::vector<std::string> groups;
  for (const json& o : records.front()->at("ood")) {
    const std::string g = column_group(o);
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  groups.push_back("all");
  for (const std::string& g : groups)
    for (const std::string& b : backbones) t.columns.push_back({g, b});
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const json* r : records) {
      if (label_of(*r) != label) continue;
      const RecordValues v = values_of(*r, metric);
      const std::string backbone = r->at("dataset").at("backbone").get<std::string>();
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
ResultTable failure_table(const std::vector<const json*>& records, std::size_t without) {
  const json& first = *records.front();
  const json& failure = first.at("failure");
  ResultTable t;
  t.metric = kFailureTableMetric;
  t.higher_is_better = false;
  const std::string dataset = first.at("dataset").at("name").get<std::string>();
  t.slug = file_name_part(dataset + "_failure");
  const std::string head = first.at("inputs").contains("head_weights") ? "head" : "probe";
  t.title = first.at("dataset").at("modality").get<std::string>() + " as ID, " +
            first.at("dataset").at("backbone").get<std::string>() + ": failure detection of the " + head +
            "'s errors, confidence = -score (AURC, E-AURC, AUGRC; lower is better)";
  t.rows = ordered(records, label_of, detector_rank);
  const std::vector<std::pair<std::string, std::string>> metrics = {{"aurc", "AURC"}, {"eaurc", "E-AURC"}, {"augrc", "AUGRC"}};
  // (column group, where its entry is in a record's "failure"): the ID test set, then each csid set.
  std::vector<std::pair<std::string, std::string>> sets;
  std::string accuracy = "Accuracy of the " + head + ":";
  const auto accuracy_of = [](const std::string& set, const json& entry) {
    char text[160];
    std::snprintf(text, sizeof text, " %s %.1f %% (%zu errors in %zu rows)", set.c_str(),
                  100 * entry.at("accuracy").get<double>(), entry.at("errors").get<std::size_t>(),
                  entry.at("n").get<std::size_t>());
    return std::string(text);
  };
  if (failure.contains("id_test")) {
    sets.emplace_back("ID test", "");
    accuracy += accuracy_of("ID test", failure["id_test"]);
  }
  for (const json& e : failure.value("csid", json::array())) {
    const std::string name = e.at("name").get<std::string>();
    sets.emplace_back("csid: " + name, name);
    accuracy += (sets.size() > 1 ? ";" : "") + accuracy_of(name, e);
  }
  for (const auto& [group, name] : sets)
    for (const auto& metric : metrics) t.columns.push_back({group, metric.second});
  const auto entry_of = [](const json& record, const std::string& csid) -> const json* {
    const json& f = record.at("failure");
    if (csid.empty()) return f.contains("id_test") ? &f["id_test"] : nullptr;
    if (!f.contains("csid")) return nullptr;
    for (const json& e : f["csid"])
      if (e.at("name") == csid) return &e;
    return nullptr;
  };
  for (const std::string& label : t.rows) {
    std::vector<Samples> samples(t.columns.size());
    for (const json* r : records) {
      if (label_of(*r) != label) continue;
      for (std::size_t s = 0; s < sets.size(); ++s) {
        const json* e = entry_of(*r, sets[s].second);
        if (!e) continue;
        for (std::size_t m = 0; m < metrics.size(); ++m) {
          Samples& x = samples[s * metrics.size() + m];
          const std::string& key = metrics[m].first;
          x.values.push_back(e->at(key).get<double>());
          if (!e->contains("ci95")) continue;
          x.low.push_back((*e)["ci95"]["low"].at(key).get<double>());
          x.high.push_back((*e)["ci95"]["high"].at(key).get<double>());
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
  if (failure.value("id_test", json::object()).contains("ci95"))
    t.note += " [a, b]: percentile-bootstrap 95 % interval (mean of the per-seed bounds).";
  if (without > 0)
    t.note += " " + std::to_string(without) + " records of this dataset have no failure-detection metrics (written "
              "before oodbench recorded them) and are left out; run the config again to compute them.";
  name_conventions(t, records);
  return t;
}

}  // namespace

std::string column_group(const json& ood_entry) {
  return ood_entry.value("role", std::string(kRoleOod)) == kRoleCsid ? std::string(kRoleCsid)
                                                                      : ood_entry.at("shift").get<std::string>();
}

bool in_overall_average(const json& ood_entry) { return ood_entry.value("role", std::string(kRoleOod)) != kRoleCsid; }

std::string metric_title(const std::string& metric) { return std::string(metric_field(metric).title); }

std::vector<ResultTable> build_failure_tables(const std::vector<json>& records) {
  std::vector<const json*> all;
  for (const json& r : records) all.push_back(&r);
  const auto datasets = ordered(all, [](const json& r) { return r.at("dataset").at("name").get<std::string>(); },
                                dataset_rank);
  std::vector<ResultTable> tables;
  for (const std::string& name : datasets) {
    std::vector<const json*> with;
    std::size_t without = 0;
    for (const json* r : all) {
      if (r->at("dataset").at("name") != name) continue;
      if (r->contains("failure")) with.push_back(r);
      else without += r->value("inputs", json::object()).contains("test_labels");
    }
    if (!with.empty()) tables.push_back(failure_table(with, without));
  }
  return tables;
}

std::vector<ResultTable> build_tables(const std::vector<json>& records, const std::vector<std::string>& metrics) {
  std::vector<const json*> all;
  for (const json& r : records) all.push_back(&r);
  const auto datasets = ordered(all, [](const json& r) { return r.at("dataset").at("name").get<std::string>(); },
                                dataset_rank);
  std::vector<ResultTable> tables;
  std::map<std::string, std::vector<const json*>> by_modality;
  std::vector<std::string> modalities;
  for (const std::string& name : datasets) {
    std::vector<const json*> mine;
    for (const json* r : all)
      if (r->at("dataset").at("name") == name) mine.push_back(r);
    for (const std::string& m : metrics) tables.push_back(dataset_table(mine, m));
    const auto& first_sets = mine.front()->at("ood");
    if (!first_sets.empty() && first_sets[0].contains("groups"))
      for (const std::string& m : metrics) tables.push_back(group_table(mine, m));
    const std::string modality = mine.front()->at("dataset").at("modality").get<std::string>();
    if (!by_modality.count(modality)) modalities.push_back(modality);
    auto& list = by_modality[modality];
    list.insert(list.end(), mine.begin(), mine.end());
  }
  for (const std::string& modality : modalities) {
    const auto& mine = by_modality[modality];
    std::set<std::string> backbones;
    for (const json* r : mine) backbones.insert(r->at("dataset").at("backbone").get<std::string>());
    if (backbones.size() < 2) continue;
    for (const std::string& m : metrics) tables.push_back(scale_table(modality, mine, m));
  }
  return tables;
}

}  // namespace oodbench

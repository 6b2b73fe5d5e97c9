#include "harness/sweep/cell_record.h"

#include <limits>

#include "harness/metrics/failure_metrics.h"
#include "kernels/error.h"

namespace oodbench {

using nlohmann::json;

namespace {

template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <class T>
void get(const json& j, const char* key, std::optional<T>& v) {
  if (const auto it = j.find(key); it != j.end()) v = it->template get<T>();
}

}  // namespace

MetricValues metric_values(const json& j) {
  MetricValues m;
  for (const auto& [name, value] : j.items())
    m[name] = value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
  return m;
}

void to_json(json& j, const Interval95& ci) { j = {{"low", ci.low}, {"high", ci.high}}; }
void from_json(const json& j, Interval95& ci) {
  ci.low = metric_values(j.at("low"));
  ci.high = metric_values(j.at("high"));
}

// Parts whose every field is always written and read (no NaN, nothing optional): nlohmann/json's own serializer.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DatasetName, name, modality, backbone)

void to_json(json& j, const GroupMetrics& g) {
  j = {{"group", g.group}, {"n_id", g.n_id}, {"n_ood", g.n_ood}, {"metrics", g.metrics}};
}
void from_json(const json& j, GroupMetrics& g) {
  j.at("group").get_to(g.group);
  j.at("n_id").get_to(g.n_id);
  j.at("n_ood").get_to(g.n_ood);
  g.metrics = metric_values(j.at("metrics"));
}

void to_json(json& j, const WorstGroup& w) { j = {{"group", w.group}, {"value", w.value}}; }
void from_json(const json& j, WorstGroup& w) {
  j.at("group").get_to(w.group);
  w.value = metric_values({{"v", j.at("value")}}).at("v");
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Subgroups, by_group, worst, skipped)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Spectrum, eigenvalue, energy_ratio)

void to_json(json& j, const OodSetRecord& o) {
  j = {{"name", o.name},       {"shift", o.shift},     {"role", o.role},
       {"n", o.n},             {"metrics", o.metrics}, {"roc_tpr", o.roc_tpr},
       {"histogram", o.histogram}};
  put(j, "id_side", o.id_side);
  put(j, "ci95", o.ci95);
  put(j, "ccr", o.ccr);
  put(j, "groups", o.groups);
  put(j, "spectrum", o.spectrum);
}
void from_json(const json& j, OodSetRecord& o) {
  j.at("name").get_to(o.name);
  j.at("shift").get_to(o.shift);
  j.at("role").get_to(o.role);
  j.at("n").get_to(o.n);
  o.metrics = metric_values(j.at("metrics"));
  j.at("roc_tpr").get_to(o.roc_tpr);
  j.at("histogram").get_to(o.histogram);
  get(j, "id_side", o.id_side);
  get(j, "ci95", o.ci95);
  if (const auto c = j.find("ccr"); c != j.end()) o.ccr = metric_values(*c);
  get(j, "groups", o.groups);
  get(j, "spectrum", o.spectrum);
}

void to_json(json& j, const FailureEntry& f) {
  j = f.metrics;
  j["n"] = f.n;
  j["errors"] = f.errors;
  j["risk_coverage"] = f.risk_coverage;
  put(j, "ci95", f.ci95);
}
void from_json(const json& j, FailureEntry& f) {
  for (const FailureField& field : failure_fields()) {
    const std::string name(field.name);
    f.metrics[name] = metric_values({{name, j.at(name)}}).at(name);
  }
  j.at("n").get_to(f.n);
  j.at("errors").get_to(f.errors);
  j.at("risk_coverage").get_to(f.risk_coverage);
  get(j, "ci95", f.ci95);
}

void to_json(json& j, const FailureRecord& f) {
  j = json::object();
  put(j, "id_test", f.id_test);
  if (f.csid.empty()) return;
  json csid = json::array();
  for (const CsidFailure& c : f.csid) {
    json entry = {{"name", c.name}};
    entry.update(json(c.entry));
    csid.push_back(std::move(entry));
  }
  j["csid"] = std::move(csid);
}
void from_json(const json& j, FailureRecord& f) {
  get(j, "id_test", f.id_test);
  f.csid.clear();
  if (const auto c = j.find("csid"); c != j.end())
    for (const json& e : *c) f.csid.push_back({e.at("name").get<std::string>(), e.get<FailureEntry>()});
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(IdTestRecord, n, sets, histogram)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(HistogramAxisRecord, low, high, scale)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RankRecord, dataset, detector)

void to_json(json& j, const Timings& t) {
  j = {{"fit_s", t.fit_s}, {"score_s", t.score_s}, {"metrics_s", t.metrics_s}};
  put(j, "load_s", t.load_s);
  put(j, "total_s", t.total_s);
}
void from_json(const json& j, Timings& t) {
  j.at("fit_s").get_to(t.fit_s);
  j.at("score_s").get_to(t.score_s);
  j.at("metrics_s").get_to(t.metrics_s);
  get(j, "load_s", t.load_s);
  get(j, "total_s", t.total_s);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GridPoint, entry, base_label, values)

void to_json(json& j, const KeptScoresRef& s) {
  j = {{"file", s.file}, {"sets", s.sets}, {"hash", s.hash}};
  if (s.id_val) j["id_val"] = true;
}
void from_json(const json& j, KeptScoresRef& s) {
  j.at("file").get_to(s.file);
  j.at("sets").get_to(s.sets);
  j.at("hash").get_to(s.hash);
  s.id_val = j.value("id_val", false);
}

void to_json(json& j, const InputRecord& i) {
  j = {{"array", i.array}, {"hash", i.hash}};
  put(j, "label_map", i.label_map);
}
void from_json(const json& j, InputRecord& i) {
  j.at("array").get_to(i.array);
  j.at("hash").get_to(i.hash);
  get(j, "label_map", i.label_map);
}

void to_json(json& j, const RunInfo& r) {
  j = {{"device", r.device}, {"version", r.version}, {"git_commit", r.git_commit}, {"host", r.host},
       {"finished_at", r.finished_at}};
  put(j, "cuda_visible_devices", r.cuda_visible_devices);
}
void from_json(const json& j, RunInfo& r) {
  j.at("device").get_to(r.device);
  j.at("version").get_to(r.version);
  j.at("git_commit").get_to(r.git_commit);
  j.at("host").get_to(r.host);
  j.at("finished_at").get_to(r.finished_at);
  get(j, "cuda_visible_devices", r.cuda_visible_devices);
}

void to_json(json& j, const CellRecord& r) {
  j = {{"cell", r.cell},
       {"config", r.config},
       {"dataset", r.dataset},
       {"detector", r.detector},
       {"label", r.label},
       {"params", r.params},
       {"seed", r.seed ? json(*r.seed) : json(nullptr)},
       {"rank", r.rank},
       {"id_test", r.id_test},
       {"histogram_axis", r.histogram_axis},
       {"ood", r.ood},
       {"warnings", r.warnings},
       {"timings", r.timings},
       {"inputs", r.inputs}};
  put(j, "bootstrap", r.bootstrap);
  put(j, "fit_split", r.fit_split);
  put(j, "id_accuracy", r.id_accuracy);
  put(j, "failure", r.failure);
  put(j, "grid", r.grid);
  put(j, "scores", r.scores);
  put(j, "label_map", r.label_map);
  put(j, "run", r.run);
}

void from_json(const json& j, CellRecord& r) {
  j.at("cell").get_to(r.cell);
  j.at("config").get_to(r.config);
  j.at("dataset").get_to(r.dataset);
  j.at("detector").get_to(r.detector);
  j.at("label").get_to(r.label);
  r.params = j.value("params", json::object());
  if (const auto s = j.find("seed"); s != j.end() && !s->is_null()) r.seed = s->get<std::int64_t>();
  j.at("rank").get_to(r.rank);
  j.at("id_test").get_to(r.id_test);
  j.at("histogram_axis").get_to(r.histogram_axis);
  j.at("ood").get_to(r.ood);
  if (const auto b = j.find("bootstrap"); b != j.end() && b->is_number_unsigned()) r.bootstrap = b->get<std::size_t>();
  r.warnings = j.value("warnings", std::vector<std::string>{});
  j.at("timings").get_to(r.timings);
  get(j, "fit_split", r.fit_split);
  get(j, "id_accuracy", r.id_accuracy);
  get(j, "failure", r.failure);
  get(j, "grid", r.grid);
  get(j, "scores", r.scores);
  r.inputs = j.value("inputs", std::map<std::string, InputRecord>{});
  get(j, "label_map", r.label_map);
  get(j, "run", r.run);
}

const OodSetRecord* CellRecord::find_ood(const std::string& name) const {
  for (const OodSetRecord& o : ood)
    if (o.name == name) return &o;
  return nullptr;
}

CellRecord parse_cell_record(const json& j, const std::string& where) {
  try {
    return j.get<CellRecord>();
  } catch (const json::exception& e) {
    const std::string cell = j.is_object() && j.contains("cell") ? "cell " + j["cell"].dump() : "a record";
    throw InputError(where + ": " + cell + " is not a record oodbench wrote (" + e.what() + "); run its cell again");
  }
}

}  // namespace oodbench

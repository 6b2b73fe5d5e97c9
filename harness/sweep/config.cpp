#include "harness/sweep/config.h"

#include "harness/metrics/ood_metrics.h"

#include <algorithm>
#include <set>

#include "harness/detectors/detector.h"
#include "harness/io/array_spec.h"
#include "harness/io/file_checks.h"
#include "harness/metrics/ood_metrics.h"
#include "harness/sweep/input_wording.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

std::string substitute(std::string text, const std::string& name, const std::string& value) {
  const std::string token = "{" + name + "}";
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
    text.replace(at, token.size(), value);
  return text;
}

class DatasetReader {
 public:
  DatasetReader(const fs::path& data_root, std::string modality, std::string backbone)
      : root_(data_root), modality_(std::move(modality)), backbone_(std::move(backbone)) {}

  ArrayRef array(const JsonReader& r) const { return array(r.text(), r.pointer()); }
  ArrayRef array(const std::string& text, const std::string& pointer) const {
    ArrayRef ref;
    ref.written = substitute(substitute(text, "backbone", backbone_), "modality", modality_);
    const ArraySpec parts = split_array_spec(ref.written);
    const fs::path file = root_ / parts.path;
    ref.resolved = file.lexically_normal().string() + (!parts.key.empty() ? ":" + parts.key : "");
    ref.pointer = pointer;  // whether it exists is validate_sweep's to check, with every other fault
    return ref;
  }

 private:
  fs::path root_;
  std::string modality_, backbone_;
};

/// The score files of a variant of precomputed scores for every dataset: its params.files pattern with {modality},
/// {backbone} and {set} ("test", or an OOD set's name) filled in, relative to data_root like every array.
void add_precomputed_scores(const JsonReader& detector, const DetectorVariant& variant, const fs::path& data_root,
                            std::vector<DatasetConfig>& datasets) {
  const std::string pattern = variant.params.at("files").get<std::string>();
  if (pattern.find("{set}") == std::string::npos) {
    const std::string why = "the scores detector needs params.files, a path with {set} in it (e.g. "
                            "\"scores/{modality}/{backbone}/{set}.npy\"; {set} is \"test\" or an OOD set's name)";
    if (detector.has("params") && detector.at("params").has("files")) detector.at("params").at("files").fail(why);
    detector.fail(why);
  }
  const std::string pointer = detector.pointer() + "/params/files";
  for (DatasetConfig& d : datasets) {
    const DatasetReader arrays(data_root, d.modality, d.backbone);
    PrecomputedScores scores{variant.label, arrays.array(substitute(pattern, "set", "test"), pointer), {}};
    for (const OodSet& set : d.ood) scores.ood.push_back(arrays.array(substitute(pattern, "set", set.name), pointer));
    d.precomputed.push_back(std::move(scores));
  }
}

std::vector<DatasetConfig> read_dataset(const JsonReader& r, const fs::path& data_root) {
  r.expect_object({"modality", "backbone", "train", "val", "test", "head", "ood"},
                  {"modality", "backbone", "train", "test", "ood"});
  const std::string modality = r.at("modality").text();
  std::vector<DatasetConfig> out;
  for (const std::string& backbone : r.at("backbone").texts()) {
    const DatasetReader arrays(data_root, modality, backbone);
    DatasetConfig d;
    d.modality = modality;
    d.backbone = backbone;
    d.pointer = r.pointer();
    const JsonReader train = r.at("train");
    train.expect_object({"features", "labels"}, {"features"});
    d.train = arrays.array(train.at("features"));
    if (train.has("labels")) d.train_labels = arrays.array(train.at("labels"));
    for (const char* split : {"val", "test"}) {
      if (!r.has(split)) continue;
      const JsonReader s = r.at(split);
      const bool test = split[0] == 't';
      if (test) s.expect_object({"features", "labels", "groups"}, {"features"});
      else s.expect_object({"features", "labels"}, {"features"});  // val labels: for fits on labelled ID val
      (test ? d.test : d.val) = arrays.array(s.at("features"));
      if (test && s.has("groups")) d.test_groups = arrays.array(s.at("groups"));
      if (s.has("labels")) (test ? d.test_labels : d.val_labels) = arrays.array(s.at("labels"));
    }
    if (r.has("head")) {
      const JsonReader head = r.at("head");
      head.expect_object({"weights", "bias"}, {"weights", "bias"});
      d.head_weights = arrays.array(head.at("weights"));
      d.head_bias = arrays.array(head.at("bias"));
    }
    std::set<std::string> names;
    for (const JsonReader& o : r.at("ood").elements()) {
      o.expect_object({"name", "shift", "features", "role", "groups", "labels"}, {"name", "shift", "features"});
      OodSet set;
      set.name = o.at("name").text();
      set.shift = o.at("shift").text();
      set.features = arrays.array(o.at("features"));
      if (o.has("groups")) set.groups = arrays.array(o.at("groups"));
      if (o.has("role")) {
        set.role = o.at("role").text();
        if (set.role != kRoleOod && set.role != kRoleId && set.role != kRoleCsid)
          o.at("role").fail("expected \"ood\" (to detect), \"id\" (covariate-shifted ID counted with ID: "
                            "full-spectrum) or \"csid\" (covariate-shifted ID to detect, shown apart), got \"" +
                            set.role + "\"");
      }
      if (o.has("labels")) {
        if (set.role != kRoleCsid)
          o.at("labels").fail("class labels are for sets with role \"csid\" (covariate-shifted ID, whose rows keep "
                              "their classes); this set's role is \"" + set.role + "\"");
        if (d.train_labels.empty() && d.head_weights.empty())
          o.at("labels").fail("csid labels measure the head's failures; give train labels (for the probe) or a head "
                              "as well");
        set.labels = arrays.array(o.at("labels"));
      }
      if (!names.insert(set.name).second) o.at("name").fail("duplicate OOD set name \"" + set.name + "\"");
      if (set.features.written == d.test.written)
        o.at("features").fail("this is the ID test set (" + d.test.written + "); an OOD set must be other data");
      d.ood.push_back(std::move(set));
    }
    if (!d.test_labels.empty() && d.train_labels.empty() && d.head_weights.empty())
      r.at("test").at("labels").fail("ID test labels measure the head's accuracy; give train labels (for the probe) "
                                     "or a head as well");
    if (d.test_groups.empty())
      for (std::size_t j = 0; j < d.ood.size(); ++j)
        if (!d.ood[j].groups.empty())
          r.at("ood").elements()[j].at("groups").fail("subgroups need the ID test set's groups too (test/groups)");
    if (std::none_of(d.ood.begin(), d.ood.end(), [](const OodSet& s) { return s.role == kRoleOod; }))
      r.at("ood").fail("needs at least one set with role \"ood\" (the default): something to detect");
    out.push_back(std::move(d));
  }
  return out;
}

/// Cartesian product of the parameters given as arrays; scalars are fixed. Each element is validated against the
/// detector, with errors pointing at the element ("/detectors/3/params/k/1").
std::vector<DetectorVariant> read_detector(const JsonReader& r) {
  r.expect_object({"name", "label", "params"}, {"name"});
  const JsonReader name = r.at("name");
  const DetectorInfo* info = nullptr;
  try {
    info = &find_method(name.text());
  } catch (const InputError& e) {
    name.fail(e.what());
  }
  const std::string base_label = r.has("label") ? r.at("label").text() : info->name;
  const bool seeded = std::any_of(info->params.begin(), info->params.end(),
                                  [](const ParamSpec& s) { return s.name == "seed"; });

  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;  // key -> values (one for scalars)
  if (r.has("params")) {
    const JsonReader params = r.at("params");
    if (!params.value().is_object()) params.fail("expected an object, got " + json_type_phrase(params.value()));
    for (const auto& [key, value] : params.value().items()) {
      const JsonReader v = params.at(key);
      if (seeded && key == "seed") v.fail("the seed comes from /seeds (one cell per seed)");
      std::vector<JsonReader> values = value.is_array() ? v.elements() : std::vector<JsonReader>{v};
      std::vector<nlohmann::json> checked;
      for (const JsonReader& one : values) {
        if (const auto why = Params::problem(*info, key, one.value())) one.fail(*why);
        checked.push_back(one.value());
      }
      axes.emplace_back(key, std::move(checked));
    }
  }
  std::vector<DetectorVariant> out;
  std::vector<std::size_t> at(axes.size(), 0);
  while (true) {
    nlohmann::json given = nlohmann::json::object();
    std::vector<std::string> settings;  // of the axes with more than one value
    for (std::size_t a = 0; a < axes.size(); ++a) {
      given[axes[a].first] = axes[a].second[at[a]];
      if (axes[a].second.size() > 1) {
        const nlohmann::json& v = axes[a].second[at[a]];
        settings.push_back(axes[a].first + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
      }
    }
    const std::string grid = join(settings);
    DetectorVariant variant;
    variant.detector = info->name;
    variant.precomputed = info->name == kPrecomputedScores;
    variant.label = grid.empty() ? base_label : base_label + " (" + grid + ")";
    variant.base_label = base_label;
    variant.grid = grid;
    variant.params = Params::resolve(*info, given, r.pointer() + "/params").identity();
    variant.seeded = seeded;
    variant.pointer = r.pointer();
    out.push_back(std::move(variant));
    std::size_t a = 0;  // odometer over the axes, last key fastest
    for (a = axes.size(); a-- > 0;) {
      if (++at[a] < axes[a].second.size()) break;
      at[a] = 0;
    }
    if (a == static_cast<std::size_t>(-1)) break;
  }
  return out;
}

/// A string that must be one of `allowed`.
std::string read_choice(const JsonReader& e, const std::vector<std::string>& allowed) {
  const std::string v = e.text();
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    e.fail("expected one of " + join(allowed) + ", got \"" + v + "\"");
  }
  return v;
}

std::vector<std::string> read_choices(const JsonReader& r, const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const JsonReader& e : r.elements()) {
    const std::string v = read_choice(e, allowed);
    if (std::find(out.begin(), out.end(), v) != out.end()) e.fail("\"" + v + "\" is listed twice");
    out.push_back(v);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& known_metrics() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const MetricField& f : metric_fields()) out.emplace_back(f.name);
    return out;
  }();
  return names;
}

bool higher_is_better(const std::string& metric) { return metric_field(metric).higher_is_better; }

ReportSettings parse_report_settings(const nlohmann::json& document, const std::string& source) {
  const JsonReader root(document, source);
  if (!document.is_object()) root.fail("expected an object, got " + json_type_phrase(document));
  ReportSettings s;
  if (root.has("metrics")) s.metrics = read_choices(root.at("metrics"), known_metrics());
  if (root.has("tables")) {
    const JsonReader tables = root.at("tables");
    tables.expect_object({"formats", "bootstrap", "latex", "ranks", "correction"});
    if (tables.has("formats")) s.formats = read_choices(tables.at("formats"), {"md", "csv", "json", "tex"});
    if (tables.has("latex")) s.latex = read_choice(tables.at("latex"), {"mean", "mean_std", "mean_ci"});
    if (tables.has("ranks")) s.ranks = tables.at("ranks").flag();
    if (tables.has("correction")) s.correction = read_choice(tables.at("correction"), {"none", "holm"});
    if (tables.has("bootstrap")) {
      const std::int64_t b = tables.at("bootstrap").integer();
      if (b != 0 && (b < 100 || b > 100000))
        tables.at("bootstrap").fail("expected 0 (no intervals) or 100..100000 resamples, got " + std::to_string(b));
      s.bootstrap = static_cast<std::size_t>(b);
    }
  }
  if (root.has("plots")) {  // true, false, or {"formats": [...]} (plots on, in these formats)
    const JsonReader plots = root.at("plots");
    if (plots.value().is_object()) {
      plots.expect_object({"formats"});
      if (plots.has("formats")) s.plot_formats = read_choices(plots.at("formats"), {"svg", "png", "pdf"});
      if (std::find(s.plot_formats.begin(), s.plot_formats.end(), "svg") == s.plot_formats.end())
        s.plot_formats.insert(s.plot_formats.begin(), "svg");  // the source of the others, and what report.md links
    } else {
      s.plots = plots.flag();
    }
  }
  if (root.has("select")) {
    const JsonReader select = root.at("select");
    select.expect_object({"metric", "on"}, {"on"});
    Selection chosen;
    if (select.has("metric")) {
      chosen.metric = select.at("metric").text();
      try {
        metric_field(chosen.metric);
      } catch (const InputError& e) {
        select.at("metric").fail(e.what());
      }
    }
    chosen.on = select.at("on").texts();
    if (chosen.on.empty()) select.at("on").fail("expected at least one validation OOD set name");
    s.select = std::move(chosen);
  }
  return s;
}

SweepConfig parse_sweep_config(const nlohmann::json& document, const std::string& source,
                               const fs::path& base_dir) {
  const JsonReader root(document, source);
  root.expect_object({"$schema", "name", "description", "data_root", "datasets", "detectors", "seeds", "precision",
                      "metrics", "tables", "plots", "remap_labels", "keep_scores", "select"},
                     {"datasets", "detectors"});
  SweepConfig c;
  c.source = source;
  c.document = document;
  c.name = root.has("name") ? root.at("name").text() : fs::path(source).stem().string();
  if (c.name.find_first_of("/\\") != std::string::npos || c.name.starts_with('.'))
    root.at("name").fail("expected a plain name (it names the output folder), got \"" + c.name + "\"");
  if (root.has("description")) root.at("description").text();
  c.data_root = root.has("data_root") ? root.at("data_root").text() : ".";
  const fs::path data_root = fs::path(c.data_root).is_absolute() ? fs::path(c.data_root) : base_dir / c.data_root;

  const bool remap_labels = root.has("remap_labels") && root.at("remap_labels").flag();
  std::set<std::string> dataset_names;
  for (const JsonReader& d : root.at("datasets").elements()) {
    for (DatasetConfig& one : read_dataset(d, data_root)) {
      one.remap_labels = remap_labels;
      if (!dataset_names.insert(one.name()).second)
        d.fail("dataset " + one.name() + " (modality/backbone) appears twice");
      c.datasets.push_back(std::move(one));
    }
  }
  std::set<std::string> labels;
  const JsonReader detectors = root.at("detectors");
  if (detectors.value().is_string()) {  // "all": every registered detector with its defaults
    if (detectors.text() != "all")
      detectors.fail("expected \"all\" or an array of detector entries, got \"" + detectors.text() + "\"");
    for (const DetectorEntry* entry : all_detectors()) {
      DetectorVariant v;
      v.detector = v.label = v.base_label = entry->info.name;
      v.params = Params::resolve(entry->info, nlohmann::json::object(), detectors.pointer()).identity();
      v.seeded = std::any_of(entry->info.params.begin(), entry->info.params.end(),
                             [](const ParamSpec& p) { return p.name == "seed"; });
      v.skippable = true;
      v.pointer = detectors.pointer();
      c.detectors.push_back(std::move(v));
    }
  }
  for (const JsonReader& d : detectors.value().is_string() ? std::vector<JsonReader>{} : detectors.elements()) {
    for (DetectorVariant& v : read_detector(d)) {
      if (!labels.insert(v.label).second)
        d.fail("two detectors are labelled \"" + v.label + "\"; give one a distinct \"label\"");
      if (v.precomputed) add_precomputed_scores(d, v, data_root, c.datasets);
      c.detectors.push_back(std::move(v));
    }
  }
  c.seeds = {0};
  if (root.has("seeds")) {
    c.seeds.clear();
    for (const JsonReader& s : root.at("seeds").elements()) {
      const std::int64_t seed = s.integer();
      if (seed < 0) s.fail("expected a seed >= 0, got " + std::to_string(seed));
      if (std::find(c.seeds.begin(), c.seeds.end(), seed) != c.seeds.end()) s.fail("seed listed twice");
      c.seeds.push_back(seed);
    }
  }
  if (root.has("precision")) {
    const std::string precision = root.at("precision").text();
    if (precision != "fp32" && precision != "tf32")
      root.at("precision").fail("expected \"fp32\" or \"tf32\", got \"" + precision + "\"");
    c.tf32 = precision == "tf32";
  }
  c.keep_scores = root.has("keep_scores") && root.at("keep_scores").flag();
  c.report = parse_report_settings(document, source);
  if (c.report.select) {  // every validation set must exist in every dataset, and leave a test set beside it
    const JsonReader on = root.at("select").at("on");
    for (const DetectorVariant& v : c.detectors)
      if (v.precomputed && !v.grid.empty())
        root.at("select").fail("a grid of the scores detector (" + v.pointer + ") cannot be selected: its files give no "
                               "ID val scores to rank the validation OOD sets against");
    for (const DatasetConfig& d : c.datasets) {
      if (d.val.empty())  // as OpenOOD's hyperparameter search: ID val against OOD val, never ID test
        on.fail("validation OOD sets are ranked against ID val features, never ID test, and dataset " + d.name() +
                " (" + d.pointer + ") has none: add its \"val\": {\"features\": ...}");
      std::size_t validation = 0;
      for (const std::string& name : c.report.select->on) {
        const bool found = std::any_of(d.ood.begin(), d.ood.end(),
                                       [&](const OodSet& o) { return o.name == name && o.role == kRoleOod; });
        if (!found)
          on.fail("\"" + name + "\" is not an OOD set (role \"ood\") of dataset " + d.name() + " (" + d.pointer + "/ood)");
        ++validation;
      }
      const auto ood_sets = std::count_if(d.ood.begin(), d.ood.end(), [](const OodSet& o) { return o.role == kRoleOod; });
      if (validation >= static_cast<std::size_t>(ood_sets))
        on.fail("every OOD set of " + d.name() + " is a validation set; keep at least one for the test tables");
    }
  }
  return c;
}

std::vector<std::string> skip_reasons(const DatasetConfig& d, const DetectorVariant& v) {
  if (!v.skippable) return {};
  const DataOffer offer{!d.train_labels.empty(), !d.head_weights.empty(), !d.val.empty(), !d.val_labels.empty()};
  return unmet_needs(find_detector(v.detector).info, v.params, offer, config_input_advice());
}

std::vector<std::string> skipped_lines(const SweepConfig& config) {
  std::vector<std::string> out;
  for (const DatasetConfig& d : config.datasets)
    for (const DetectorVariant& v : config.detectors)
      if (const auto why = skip_reasons(d, v); !why.empty())
        out.push_back("skipped " + v.label + " on " + d.name() + ": " + why.front());
  return out;
}

SweepConfig load_sweep_config(const std::string& path) {
  const nlohmann::json document = parse_json_document(read_text_file(path, "the config file"), path);
  return parse_sweep_config(document, path, fs::absolute(path).parent_path());
}

}  // namespace oodbench

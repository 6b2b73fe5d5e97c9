#include "harness/sweep/dataset.h"
#include "harness/sweep/input_wording.h"

#include <cstring>
#include <optional>

#include "harness/fit/class_labels.h"
#include "harness/fit/fit_assembly.h"
#include "harness/io/content_hash.h"
#include "harness/io/head_arrays.h"
#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

using Rows = std::optional<std::size_t>;

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

/// Reads the arrays of one dataset config, collecting each fault (prefixed with the config file and the array's JSON
/// Pointer) instead of stopping at the first, and recording the content hash of every array it read. Each member
/// reads one kind of input; load_dataset calls them in the order the faults are reported.
class DatasetReader {
 public:
  DatasetReader(const DatasetConfig& config, const std::string& source) : config_(config), source_(source) {}

  /// `load(ref.resolved)` after checking the file exists; nullopt, and a fault, if either fails.
  template <class Load>
  auto attempt(const ArrayRef& ref, Load load) -> std::optional<decltype(load(ref.resolved))> {
    try {
      check_array_exists(ref.resolved);
      return load(ref.resolved);
    } catch (const InputError& e) {
      fault(ref, e.what());
      return std::nullopt;
    }
  }

  void fault(const ArrayRef& ref, const std::string& what) {
    faults_.push_back(source_ + ": " + ref.pointer + ": " + what);
  }
  void record(const std::string& name, const ArrayRef& ref, std::string hash) {
    inputs_[name] = {{"array", ref.written}, {"hash", std::move(hash)}};
  }

  void read_train() {
    train_ = attempt(config_.train, load_features);
    if (train_) record("train", config_.train, content_hash(*train_));
  }

  /// Features of another set, whose width must be the train features'.
  std::optional<Matrix<float>> features(const std::string& name, const ArrayRef& ref) {
    std::optional<Matrix<float>> m = attempt(ref, load_features);
    if (!m) return m;
    record(name, ref, content_hash(*m));
    if (train_ && m->cols != train_->cols) {
      fault(ref, ref.resolved + ": " + std::to_string(m->cols) + " columns, but the ID train features (" +
                     config_.train.resolved + ") have " + std::to_string(train_->cols));
      return std::nullopt;
    }
    return m;
  }

  void read_train_labels() {
    if (config_.train_labels.empty()) return;
    auto load = [&](const std::string& spec) { return load_class_labels(spec, config_.remap_labels, kRemapLabelsKey); };
    auto l = attempt(config_.train_labels, load);
    if (!l) return;
    // A remapped labelling's hash covers its mapping too: other original labels are other results' meaning.
    std::string hash = content_hash(l->labels);
    if (!l->map.is_null()) hash = content_hash(l->labels, l->map.dump());
    record("train_labels", config_.train_labels, std::move(hash));
    if (!l->map.is_null()) inputs_["train_labels"]["label_map"] = l->map;
    label_map_ = l->map;
    labels_ = std::move(l->labels);
  }

  void read_head() {
    if (config_.head_weights.empty() || !train_) return;  // its width is checked against the train features'
    auto weights = attempt(config_.head_weights, [&](const std::string& spec) {
      return load_head_weights(spec, train_->cols);
    });
    if (!weights) return;
    record("head_weights", config_.head_weights, content_hash(*weights));
    auto bias = attempt(config_.head_bias, [&](const std::string& spec) {
      return load_head_bias(spec, weights->rows, config_.head_weights.resolved);
    });
    if (!bias) return;
    Matrix<float> as_row(1, bias->size());
    as_row.data.assign(bias->begin(), bias->end());
    record("head_bias", config_.head_bias, content_hash(as_row));
    head_ = LinearHead{std::move(*weights), std::move(*bias)};
  }

  void read_test() {
    test_ = features("test", config_.test);
    if (test_) test_rows_ = test_->rows;
  }

  /// Each OOD set's features; one identical to the ID test set is a fault.
  void read_ood_sets() {
    for (const OodSet& set : config_.ood) {
      std::optional<Matrix<float>> o = features("ood/" + set.name, set.features);
      ood_rows_.push_back(o ? Rows(o->rows) : std::nullopt);
      if (!o) continue;
      if (test_ && o->rows == test_->rows &&
          std::memcmp(o->data.data(), test_->data.data(), o->data.size() * sizeof(float)) == 0)
        fault(set.features,
              "OOD set '" + set.name + "' holds exactly the ID test features (" + config_.test.resolved + ")");
      ood_.push_back(std::move(*o));
    }
  }

  /// The val features and their labels (part of the dataset's identity like the val features).
  void read_val() {
    if (!config_.val.empty()) val_ = features("val", config_.val);
    if (config_.val_labels.empty()) return;
    auto load = [&](const std::string& spec) { return load_labels_like_train(spec, label_map_, kRemapLabelsKey); };
    auto l = attempt(config_.val_labels, load);
    if (!l) return;
    record("val_labels", config_.val_labels, content_hash(*l));
    if (val_ && l->size() != val_->rows) {
      fault(config_.val_labels, config_.val_labels.resolved + ": " + std::to_string(l->size()) +
                                    " labels, but the ID val features (" + config_.val.resolved + ") have " +
                                    std::to_string(val_->rows) + " rows");
    }
    val_labels_ = std::move(*l);
  }

  /// Class labels of a test set, mapped like the train labels: one per row of its `rows` (the set named `what`).
  std::vector<std::int32_t> set_labels(const std::string& name, const ArrayRef& ref, Rows rows,
                                       const std::string& what) {
    if (ref.empty()) return {};
    auto load = [&](const std::string& spec) { return load_labels_like_train(spec, label_map_, kRemapLabelsKey); };
    auto l = attempt(ref, load);
    if (!l) return {};
    record(name, ref, content_hash(*l));
    if (rows && l->size() != *rows)
      fault(ref, ref.resolved + ": " + std::to_string(l->size()) + " labels for " + std::to_string(*rows) + " " +
                     what + " rows; give one per row, in the same order");
    return std::move(*l);
  }

  /// Subgroup labels of a set: any integers or strings, one per row of its `rows`.
  std::vector<std::string> groups(const std::string& name, const ArrayRef& ref, Rows rows) {
    std::vector<std::string> out;
    if (ref.empty()) return out;
    auto load = [](const std::string& spec) { return to_raw_labels(load_array(spec)); };
    std::optional<RawLabels> raw = attempt(ref, load);
    if (!raw) return out;
    for (std::size_t i = 0; i < raw->size(); ++i) out.push_back(raw->text ? raw->words[i] : std::to_string(raw->values[i]));
    std::string joined;
    for (const std::string& g : out) joined += g + '\n';
    record(name, ref, content_hash(std::string_view(joined)));
    if (rows && out.size() != *rows)
      fault(ref, ref.resolved + ": " + std::to_string(out.size()) + " group labels for " + std::to_string(*rows) +
                     " rows; give one per row, in the same order");
    return out;
  }

  /// The class and subgroup labels of the ID test set and of every OOD set.
  void read_labels_and_groups() {
    test_labels_ = set_labels("test_labels", config_.test_labels, test_rows_, "ID test");
    for (std::size_t j = 0; j < config_.ood.size(); ++j)
      ood_labels_.push_back(set_labels("labels/" + config_.ood[j].name, config_.ood[j].labels, ood_rows_[j],
                                          "OOD set " + config_.ood[j].name));
    test_groups_ = groups("test_groups", config_.test_groups, test_rows_);
    for (std::size_t j = 0; j < config_.ood.size(); ++j)
      ood_groups_.push_back(groups("groups/" + config_.ood[j].name, config_.ood[j].groups, ood_rows_[j]));
  }

  /// One set's precomputed scores of variant `label`: one per row of the set.
  std::vector<double> scores(const std::string& label, const std::string& set, const ArrayRef& ref, Rows rows) {
    std::optional<std::vector<double>> s = attempt(ref, load_scores);
    if (!s) return {};
    record(precomputed_input_prefix(label) + set, ref, content_hash(*s));
    if (rows && s->size() != *rows) {
      fault(ref, ref.resolved + ": " + std::to_string(s->size()) + " scores, but " + set + " has " +
                     std::to_string(*rows) + " rows; precomputed scores need one per row, in the same order");
    }
    return std::move(*s);
  }

  /// The score files of every `scores` variant: the ID test set's, then each OOD set's.
  void read_precomputed() {
    for (const PrecomputedScores& p : config_.precomputed) {
      std::vector<std::vector<double>>& sets = precomputed_[p.label];
      sets.push_back(scores(p.label, "test", p.test, test_rows_));
      for (std::size_t j = 0; j < p.ood.size(); ++j)
        sets.push_back(scores(p.label, config_.ood[j].name, p.ood[j], ood_rows_[j]));
    }
  }

  /// The fit context over what was read, once every array read cleanly: the labels and the head are checked against
  /// the train features, the val labels against the train classes; a fault is put on the array of its input.
  std::optional<FitContext> context(const Backend& backend) {
    if (!faults_.empty()) return std::nullopt;
    FitAssembly fit({.train = config_.train.resolved,
                     .labels = config_.train_labels.resolved,
                     .val = config_.val.resolved,
                     .val_labels = config_.val_labels.resolved});
    try {
      fit.train(std::move(*train_));
      if (!labels_.empty()) fit.labels(std::move(labels_));
      if (head_) fit.head(std::move(*head_));
      fit.check_classes("train labels", kRemapLabelsKey);
      if (val_) {
        fit.val(std::move(*val_));
        fit.val_labels(std::move(val_labels_));
      }
      return fit.finish(backend);
    } catch (const FitInputError& e) {
      fault(array_of(e.input()), e.what());
      return std::nullopt;
    }
  }

  /// The config's array of a fit input.
  const ArrayRef& array_of(FitInput input) const {
    switch (input) {
      case FitInput::labels: return config_.train_labels;
      case FitInput::head: return config_.head_weights;
      case FitInput::val: return config_.val;
      case FitInput::val_labels: return config_.val_labels;
      default: return config_.train;
    }
  }

  /// The dataset read, with its fit context; one InputError holding every fault found, if any.
  LoadedDataset finish(const Backend& backend) {
    std::optional<FitContext> fit = context(backend);
    if (!faults_.empty()) throw InputError(joined_lines(faults_));
    return {.context = std::move(*fit),
            .test = std::move(*test_),
            .ood = std::move(ood_),
            .inputs = std::move(inputs_),
            .precomputed = std::move(precomputed_),
            .test_groups = std::move(test_groups_),
            .ood_groups = std::move(ood_groups_),
            .test_labels = std::move(test_labels_),
            .test_correct = std::nullopt,
            .ood_labels = std::move(ood_labels_),
            .ood_correct = {},
            .resident = {}};
  }

 private:
  const DatasetConfig& config_;
  const std::string& source_;
  std::vector<std::string> faults_;
  nlohmann::json inputs_ = nlohmann::json::object();
  std::optional<Matrix<float>> train_, test_, val_;
  Rows test_rows_;
  std::vector<Matrix<float>> ood_;
  std::vector<Rows> ood_rows_;  ///< per set of the config, for the row checks of its labels, groups and scores
  std::vector<std::int32_t> labels_, val_labels_;
  nlohmann::json label_map_;  ///< the train labels' remapping (null when none), which every other labelling follows
  std::optional<LinearHead> head_;
  std::vector<std::int32_t> test_labels_;
  std::vector<std::vector<std::int32_t>> ood_labels_;
  std::vector<std::string> test_groups_;
  std::vector<std::vector<std::string>> ood_groups_;
  std::map<std::string, std::vector<std::vector<double>>> precomputed_;
};

}  // namespace

LoadedDataset load_dataset(const DatasetConfig& config, const std::string& source, const Backend& backend) {
  DatasetReader reader(config, source);
  reader.read_train();
  reader.read_train_labels();
  reader.read_head();
  reader.read_test();
  reader.read_ood_sets();
  reader.read_val();
  reader.read_labels_and_groups();
  reader.read_precomputed();
  return reader.finish(backend);
}

void keep_dataset_resident(LoadedDataset& data) {
  data.context.keep_resident();
  const Backend& backend = data.context.backend();
  data.resident.push_back(backend.keep_resident(data.test));
  for (const Matrix<float>& o : data.ood) data.resident.push_back(backend.keep_resident(o));
}

}  // namespace oodbench

#include "harness/sweep/dataset.h"

#include <cstring>
#include <optional>

#include "harness/fit/class_labels.h"
#include "harness/io/content_hash.h"
#include "harness/io/head_arrays.h"
#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// Loads the arrays of one dataset, collecting each fault (prefixed with the config file and the array's JSON
/// Pointer) instead of stopping at the first.
class ArrayLoader {
 public:
  explicit ArrayLoader(const std::string& source) : source_(source) {}

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

  void fault(const ArrayRef& ref, const std::string& what) { faults_.push_back(source_ + ": " + ref.pointer + ": " + what); }
  const std::vector<std::string>& faults() const { return faults_; }

 private:
  const std::string& source_;
  std::vector<std::string> faults_;
};

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace

LoadedDataset load_dataset(const DatasetConfig& config, const std::string& source, const Backend& backend) {
  ArrayLoader loader(source);
  nlohmann::json inputs = nlohmann::json::object();
  auto record = [&](const std::string& name, const ArrayRef& ref, std::string hash) {
    inputs[name] = {{"array", ref.written}, {"hash", std::move(hash)}};
  };
  std::optional<Matrix<float>> train = loader.attempt(config.train, load_features);
  if (train) record("train", config.train, content_hash(*train));
  auto features = [&](const std::string& name, const ArrayRef& ref) {
    std::optional<Matrix<float>> m = loader.attempt(ref, load_features);
    if (!m) return m;
    record(name, ref, content_hash(*m));
    if (train && m->cols != train->cols) {
      loader.fault(ref, ref.resolved + ": " + std::to_string(m->cols) + " columns, but the ID train features (" +
                            config.train.resolved + ") have " + std::to_string(train->cols));
      return std::optional<Matrix<float>>();
    }
    return m;
  };
  std::vector<std::int32_t> labels;
  nlohmann::json label_map;  // the train labels' remapping (null when none), which the val labels follow
  if (!config.train_labels.empty()) {
    auto load = [&](const std::string& spec) { return load_class_labels(spec, config.remap_labels); };
    if (auto l = loader.attempt(config.train_labels, load)) {
      // A remapped labelling's hash covers its mapping too: other original labels are other results' meaning.
      std::string hash = content_hash(l->labels);
      if (!l->map.is_null()) hash = content_hash(l->labels, l->map.dump());
      record("train_labels", config.train_labels, std::move(hash));
      if (!l->map.is_null()) inputs["train_labels"]["label_map"] = l->map;
      label_map = l->map;
      labels = std::move(l->labels);
    }
  }
  std::optional<LinearHead> head;
  if (!config.head_weights.empty() && train) {  // its width is checked against the train features'
    auto weights = loader.attempt(config.head_weights, [&](const std::string& spec) {
      return load_head_weights(spec, train->cols);
    });
    if (weights) {
      record("head_weights", config.head_weights, content_hash(*weights));
      auto bias = loader.attempt(config.head_bias, [&](const std::string& spec) {
        return load_head_bias(spec, weights->rows, config.head_weights.resolved);
      });
      if (bias) {
        Matrix<float> as_row(1, bias->size());
        as_row.data.assign(bias->begin(), bias->end());
        record("head_bias", config.head_bias, content_hash(as_row));
        head = LinearHead{std::move(*weights), std::move(*bias)};
      }
    }
  }
  std::optional<Matrix<float>> test = features("test", config.test);
  std::vector<Matrix<float>> ood;
  std::vector<std::optional<std::size_t>> ood_rows;  // per set of the config, for the precomputed scores' check
  for (const OodSet& set : config.ood) {
    std::optional<Matrix<float>> o = features("ood/" + set.name, set.features);
    ood_rows.push_back(o ? std::optional(o->rows) : std::nullopt);
    if (!o) continue;
    if (test && o->rows == test->rows && std::memcmp(o->data.data(), test->data.data(), o->data.size() * sizeof(float)) == 0)
      loader.fault(set.features, "OOD set '" + set.name + "' holds exactly the ID test features (" + config.test.resolved + ")");
    ood.push_back(std::move(*o));
  }
  std::optional<Matrix<float>> val;
  if (!config.val.empty()) val = features("val", config.val);
  std::vector<std::int32_t> val_labels;  // part of the dataset's identity like the val features
  if (!config.val_labels.empty()) {
    auto load = [&](const std::string& spec) { return load_labels_like_train(spec, label_map); };
    if (auto l = loader.attempt(config.val_labels, load)) {
      record("val_labels", config.val_labels, content_hash(*l));
      if (val && l->size() != val->rows) {
        loader.fault(config.val_labels, config.val_labels.resolved + ": " + std::to_string(l->size()) +
                                            " labels, but the ID val features (" + config.val.resolved + ") have " +
                                            std::to_string(val->rows) + " rows");
      }
      val_labels = std::move(*l);
    }
  }
  // Subgroup labels: any integers or strings, one per row of their set.
  auto groups = [&](const std::string& name, const ArrayRef& ref, std::optional<std::size_t> rows) {
    std::vector<std::string> out;
    if (ref.empty()) return out;
    std::optional<RawLabels> raw = loader.attempt(ref, [](const std::string& spec) { return to_raw_labels(load_array(spec)); });
    if (!raw) return out;
    for (std::size_t i = 0; i < raw->size(); ++i) out.push_back(raw->text ? raw->words[i] : std::to_string(raw->values[i]));
    std::string joined;
    for (const std::string& g : out) joined += g + '\n';
    record(name, ref, content_hash(std::string_view(joined)));
    if (rows && out.size() != *rows)
      loader.fault(ref, ref.resolved + ": " + std::to_string(out.size()) + " group labels for " + std::to_string(*rows) +
                            " rows; give one per row, in the same order");
    return out;
  };
  // Class labels of a test set, mapped like the train labels: one per row of `rows` (its set, named `what`).
  auto class_labels = [&](const std::string& name, const ArrayRef& ref, std::optional<std::size_t> rows,
                          const std::string& what) {
    std::vector<std::int32_t> out;
    if (ref.empty()) return out;
    auto load = [&](const std::string& spec) { return load_labels_like_train(spec, label_map); };
    if (auto l = loader.attempt(ref, load)) {
      record(name, ref, content_hash(*l));
      if (rows && l->size() != *rows)
        loader.fault(ref, ref.resolved + ": " + std::to_string(l->size()) + " labels for " + std::to_string(*rows) +
                              " " + what + " rows; give one per row, in the same order");
      out = std::move(*l);
    }
    return out;
  };
  std::vector<std::int32_t> test_labels =
      class_labels("test_labels", config.test_labels, test ? std::optional(test->rows) : std::nullopt, "ID test");
  std::vector<std::vector<std::int32_t>> ood_labels;
  for (std::size_t j = 0; j < config.ood.size(); ++j)
    ood_labels.push_back(class_labels("labels/" + config.ood[j].name, config.ood[j].labels, ood_rows[j],
                                      "OOD set " + config.ood[j].name));
  std::vector<std::string> test_groups = groups("test_groups", config.test_groups, test ? std::optional(test->rows) : std::nullopt);
  std::vector<std::vector<std::string>> ood_groups;
  for (std::size_t j = 0; j < config.ood.size(); ++j)
    ood_groups.push_back(groups("groups/" + config.ood[j].name, config.ood[j].groups, ood_rows[j]));
  std::map<std::string, std::vector<std::vector<double>>> precomputed;
  for (const PrecomputedScores& p : config.precomputed) {
    auto scores_of = [&](const std::string& set, const ArrayRef& ref, const std::optional<std::size_t>& rows) {
      std::optional<std::vector<double>> s = loader.attempt(ref, load_scores);
      if (!s) return std::vector<double>();
      record(precomputed_input_prefix(p.label) + set, ref, content_hash(*s));
      if (rows && s->size() != *rows) {
        loader.fault(ref, ref.resolved + ": " + std::to_string(s->size()) + " scores, but " + set + " has " +
                              std::to_string(*rows) + " rows; precomputed scores need one per row, in the same order");
      }
      return std::move(*s);
    };
    std::vector<std::vector<double>>& sets = precomputed[p.label];
    sets.push_back(scores_of("test", p.test, test ? std::optional(test->rows) : std::nullopt));
    for (std::size_t j = 0; j < p.ood.size(); ++j) sets.push_back(scores_of(config.ood[j].name, p.ood[j], ood_rows[j]));
  }

  std::optional<FitContext> context;
  if (loader.faults().empty()) {  // the labels and the head are checked against the train features
    try {
      if (!labels.empty()) check_same_rows(*train, config.train.resolved, labels, config.train_labels.resolved);
      context.emplace(backend, std::move(*train), std::move(labels), std::move(head));
    } catch (const InputError& e) {
      loader.fault(config.train_labels.empty() ? config.head_weights : config.train_labels, e.what());
    }
  }
  if (context && val) {  // the val labels are checked against the train classes
    try {
      context->set_validation(std::move(*val), std::move(val_labels));
    } catch (const InputError& e) {
      loader.fault(config.val_labels, e.what());
    }
  }
  if (!loader.faults().empty()) throw InputError(joined_lines(loader.faults()));
  return {std::move(*context),     std::move(*test),       std::move(ood),         std::move(inputs),
          std::move(precomputed),  std::move(test_groups), std::move(ood_groups), std::move(test_labels),
          std::nullopt,            std::move(ood_labels),  {},                     {}};
}

void keep_dataset_resident(LoadedDataset& data) {
  data.context.keep_resident();
  const Backend& backend = data.context.backend();
  data.resident.push_back(backend.keep_resident(data.test));
  for (const Matrix<float>& o : data.ood) data.resident.push_back(backend.keep_resident(o));
}

}  // namespace oodbench

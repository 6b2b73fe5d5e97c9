#include "harness/sweep/dataset.h"

#include <cstring>

#include "harness/io/arrays.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// Runs `load`, prefixing an InputError with the config file and the JSON Pointer that named the array.
template <class Load>
auto named(const std::string& source, const ArrayRef& ref, Load load) {
  try {
    return load();
  } catch (const InputError& e) {
    throw InputError(source + ": " + ref.pointer + ": " + e.what());
  }
}

}  // namespace

LoadedDataset load_dataset(const DatasetConfig& config, const std::string& source, const Backend& backend) {
  Matrix<float> train = named(source, config.train, [&] { return load_features(config.train.resolved); });
  const std::size_t dims = train.cols;
  auto features = [&](const ArrayRef& ref) {
    return named(source, ref, [&] {
      Matrix<float> m = load_features(ref.resolved);
      if (m.cols != dims)
        throw InputError(ref.resolved + ": " + std::to_string(m.cols) + " columns, but the ID train features (" +
                         config.train.resolved + ") have " + std::to_string(dims));
      return m;
    });
  };
  std::vector<std::int32_t> labels;
  if (!config.train_labels.empty()) {
    labels = named(source, config.train_labels, [&] {
      auto l = load_labels(config.train_labels.resolved);
      check_same_rows(train, config.train.resolved, l, config.train_labels.resolved);
      return l;
    });
  }
  std::optional<LinearHead> head;
  if (!config.head_weights.empty()) {
    head = LinearHead{features(config.head_weights), {}};
    for (double b : named(source, config.head_bias, [&] { return load_scores(config.head_bias.resolved); }))
      head->bias.push_back(static_cast<float>(b));
  }
  Matrix<float> test = features(config.test);
  std::vector<Matrix<float>> ood;
  for (const OodSet& set : config.ood) {
    ood.push_back(features(set.features));
    const Matrix<float>& o = ood.back();
    if (o.rows == test.rows && std::memcmp(o.data.data(), test.data.data(), o.data.size() * sizeof(float)) == 0)
      throw InputError(source + ": " + set.features.pointer + ": OOD set '" + set.name +
                       "' holds exactly the ID test features (" + config.test.resolved + ")");
  }
  LoadedDataset out{named(source, config.train_labels.empty() ? config.train : config.train_labels,
                          [&] { return FitContext(backend, std::move(train), std::move(labels), std::move(head)); }),
                    std::move(test), std::move(ood)};
  if (!config.val.empty()) out.context.set_validation(features(config.val));
  return out;
}

}  // namespace oodbench

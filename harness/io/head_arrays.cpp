#include "harness/io/head_arrays.h"

#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// How messages name the arrays: a file is "head weights w.npy" (plural, "save W.T"); an argument is named as given
/// ("head W", singular, "pass W.T": the caller has W in memory).
struct Wording {
  std::string weights;  ///< the subject naming W
  std::string bias;     ///< the subject naming b
  bool file;
  std::string have() const { return file ? " have " : " has "; }
  std::string are() const { return file ? " are " : " is "; }
  std::string fix() const { return file ? "save W.T" : "pass W.T"; }
};

Matrix<float> checked_weights(const NpyArray& a, std::size_t feature_cols, const Wording& w) {
  const std::string expected = "oodbench expects (classes, features) = ";
  if (a.shape.size() != 2) {
    throw InputError(w.weights + w.are() + std::to_string(a.shape.size()) + "-D; " + expected + "(C, " +
                     std::to_string(feature_cols) + ")");
  }
  const std::size_t rows = a.shape[0], cols = a.shape[1];
  if (cols != feature_cols && rows == feature_cols) {
    throw InputError(w.weights + w.have() + "shape " + shape_text({rows, cols}) + ": that looks like Wᵀ; " + expected +
                     shape_text({cols, rows}) + ": " + w.fix());
  }
  if (cols != feature_cols) {
    throw InputError(w.weights + w.have() + "shape " + shape_text({rows, cols}) + " but the features have " +
                     std::to_string(feature_cols) + " columns; " + expected + "(C, " + std::to_string(feature_cols) +
                     ")");
  }
  return to_features(a);
}

std::vector<float> checked_bias(NpyArray a, std::size_t classes, const Wording& w) {
  // (1, C) and (C, 1) are the same vector; keep the length of its one non-singleton axis.
  if (a.shape.size() == 2 && (a.shape[0] == 1 || a.shape[1] == 1)) a.shape = {a.shape[0] * a.shape[1]};
  if (a.shape.size() != 1) {
    throw InputError(w.bias + " has shape " + shape_text({a.shape[0], a.shape[1]}) + "; expected one entry per row of " +
                     w.weights + ": (" + std::to_string(classes) + ",)");
  }
  std::vector<float> bias;
  for (double b : to_scores(a)) bias.push_back(static_cast<float>(b));
  if (bias.size() != classes) {
    throw InputError(w.bias + " has " + std::to_string(bias.size()) + " entries but " + w.weights + w.have() +
                     std::to_string(classes) + " rows (classes); they must match");
  }
  return bias;
}

}  // namespace

Matrix<float> head_weights(const NpyArray& a, std::size_t feature_cols) {
  return checked_weights(a, feature_cols, {a.source, "", false});
}

std::vector<float> head_bias(NpyArray a, std::size_t classes, const std::string& weights_name) {
  const Wording w{weights_name, a.source, false};
  return checked_bias(std::move(a), classes, w);
}

Matrix<float> load_head_weights(const std::string& spec, std::size_t feature_cols) {
  return checked_weights(load_array(spec), feature_cols, {"head weights " + spec, "", true});
}

std::vector<float> load_head_bias(const std::string& spec, std::size_t classes, const std::string& weights_spec) {
  return checked_bias(load_array(spec), classes, {"head weights " + weights_spec, "head bias " + spec, true});
}

}  // namespace oodbench

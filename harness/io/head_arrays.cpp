#include "harness/io/head_arrays.h"

#include "harness/io/arrays.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::string shape_text(std::size_t rows, std::size_t cols) {
  // append, not "(" + ...: GCC 12 warns (-Wrestrict, a false positive) on the operator+ chain here.
  return std::string("(").append(std::to_string(rows)).append(", ").append(std::to_string(cols)).append(")");
}

}  // namespace

Matrix<float> head_weights(const NpyArray& a, std::size_t feature_cols) {
  const std::string& spec = a.source;
  const std::string expected = "oodbench expects (classes, features) = ";
  if (a.shape.size() != 2) {
    throw InputError("head weights " + spec + " are " + std::to_string(a.shape.size()) + "-D; " + expected +
                     "(C, " + std::to_string(feature_cols) + ")");
  }
  const std::size_t rows = a.shape[0], cols = a.shape[1];
  if (cols != feature_cols && rows == feature_cols) {
    throw InputError("head weights " + spec + " have shape " + shape_text(rows, cols) + ": that looks like Wᵀ; " +
                     expected + shape_text(cols, rows) + ": save W.T");
  }
  if (cols != feature_cols) {
    throw InputError("head weights " + spec + " have shape " + shape_text(rows, cols) + " but the features have " +
                     std::to_string(feature_cols) + " columns; " + expected + "(C, " + std::to_string(feature_cols) +
                     ")");
  }
  return to_features(a);
}

std::vector<float> head_bias(NpyArray a, std::size_t classes, const std::string& weights_spec) {
  const std::string spec = a.source;
  // (1, C) and (C, 1) are the same vector; keep the length of its one non-singleton axis.
  if (a.shape.size() == 2 && (a.shape[0] == 1 || a.shape[1] == 1)) a.shape = {a.shape[0] * a.shape[1]};
  if (a.shape.size() != 1) {
    throw InputError("head bias " + spec + " has shape " + shape_text(a.shape[0], a.shape[1]) +
                     "; expected one entry per row of head weights " + weights_spec + ": (" + std::to_string(classes) +
                     ",)");
  }
  std::vector<float> bias;
  for (double b : to_scores(a)) bias.push_back(static_cast<float>(b));
  if (bias.size() != classes) {
    throw InputError("head bias " + spec + " has " + std::to_string(bias.size()) + " entries but head weights " +
                     weights_spec + " have " + std::to_string(classes) + " rows (classes); they must match");
  }
  return bias;
}

Matrix<float> load_head_weights(const std::string& spec, std::size_t feature_cols) {
  return head_weights(load_array(spec), feature_cols);
}

std::vector<float> load_head_bias(const std::string& spec, std::size_t classes, const std::string& weights_spec) {
  return head_bias(load_array(spec), classes, weights_spec);
}

}  // namespace oodbench

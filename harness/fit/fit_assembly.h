// One assembly of a fit's inputs for every front end (`oodbench score/fit/explain`, `oodbench.Detector.fit`, a
// sweep's datasets): the checks that tie train features, class labels, a supplied head, ID val and its labels
// together, and the FitContext over them. Each front end reads its arrays (from files, NumPy arrays or a config) and
// hands them over in the order it reports faults; a fault is a FitInputError naming the input, worded with the names
// the front end gave (FitWording), so this layer names no command-line option, Python argument or config key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "harness/fit/fit_context.h"
#include "harness/fit/fit_input_error.h"
#include "kernels/matrix.h"

namespace oodbench {

/// How the front end names each input in messages (a file spec, an argument, a resolved path).
struct FitWording {
  std::string train, labels, val, val_labels;
};

class FitAssembly {
 public:
  explicit FitAssembly(FitWording wording) : wording_(std::move(wording)) {}

  /// The train features, read now or on first use (their shape known up front).
  void train(Matrix<float> features);
  void train(DeferredFeatures features);
  std::size_t rows() const;
  std::size_t dims() const;

  /// Class labels of the train rows: one per row, else a FitInputError (labels).
  void labels(std::vector<std::int32_t> labels);
  /// A supplied linear head (its width checked where it was read).
  void head(LinearHead head) { head_ = std::move(head); }
  /// Checks the labels are 0..C-1 with every class present (C: the head's classes when one is given), naming them
  /// `source` and advising `remap_option`: a FitInputError (labels).
  void check_classes(const std::string& source, const std::string& remap_option);
  /// ID val features, as wide as the train features, else a FitInputError (val).
  void val(Matrix<float> features);
  /// Class labels of the ID val rows: one per row, else a FitInputError (val_labels).
  void val_labels(std::vector<std::int32_t> labels);

  /// The fit context over what was handed over; val labels outside the train classes are a FitInputError
  /// (val_labels), a head or labels the context refuses one naming that input.
  FitContext finish(const Backend& backend);

 private:
  FitWording wording_;
  std::variant<Matrix<float>, DeferredFeatures> train_;
  std::vector<std::int32_t> labels_, val_labels_;
  std::optional<LinearHead> head_;
  std::optional<Matrix<float>> val_;
};

}  // namespace oodbench

// The linear classification head z = W x + b that the logit-based detectors read: supplied by the dataset, or the
// multinomial logistic-regression probe of docs/methods.md trained on ID train features.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/backend.h"

namespace oodbench {

struct LinearHead {
  Matrix<float> weight;      ///< C x D
  std::vector<float> bias;   ///< C

  std::size_t classes() const { return weight.rows; }
  /// z = W x + b for every row of `features`, as float64 for the per-row math that follows.
  Matrix<double> logits(const Matrix<float>& features, const Backend& backend) const;
};

struct ProbeOptions {
  double c_reg = 1.0;            ///< inverse regularisation strength, scikit-learn's C
  int max_iterations = 1000;     ///< L-BFGS iterations
  double gradient_tolerance = 1e-6;  ///< stop when the gradient norm falls below this
};

struct ProbeReport {
  int iterations = 0;
  double loss = 0;
  double gradient_norm = 0;
  bool converged = false;
};

/// Minimises mean cross-entropy + ‖W‖² / (2 C_reg N) (bias not penalised) with L-BFGS from zero, in float64: the
/// objective of scikit-learn's LogisticRegression(C=C_reg, multi_class="multinomial"). Labels are 0..classes-1.
LinearHead train_linear_probe(const Matrix<float>& features, const std::vector<std::int32_t>& labels,
                              std::size_t classes, const ProbeOptions& options, ProbeReport* report = nullptr);

}  // namespace oodbench

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
  /// The same from float64 products (features and weights widened): for scores that divide by a logit or bin a
  /// function of the logits, where float32 rounding would show (CADRef's confidence, NAC's states, pNML).
  Matrix<double> exact_logits(const Matrix<double>& features, const Backend& backend) const;
  Matrix<double> exact_logits(const Matrix<float>& features, const Backend& backend) const;
  /// ‖w_a - w_b‖² for every pair of classes (C x C), from the differences in float64 (the decision boundaries' normals).
  Matrix<double> squared_row_gaps() const;
};

/// How L-BFGS walks to the (unique) optimum. `preconditioned` moves the feature mean into the bias and runs in
/// coordinates V = W L with L Lᵀ = X_cᵀ X_c / (C N) + I / (C_reg N), the Hessian at W = 0 up to the class coupling
/// (when D <= max(N, 4096)): the same objective and minimiser, 3 to 15 times fewer iterations on the bundled
/// embeddings. `plain` is the original solver (from zero over [W, b]), kept as the benchmark's peer.
enum class ProbeSolver { preconditioned, plain };

struct ProbeOptions {
  double c_reg = 1.0;            ///< inverse regularisation strength, scikit-learn's C
  int max_iterations = 1000;     ///< L-BFGS iterations
  double gradient_tolerance = 1e-6;  ///< stop when the gradient norm falls below this
  ProbeSolver solver = ProbeSolver::preconditioned;
};

struct ProbeReport {
  int iterations = 0;
  double loss = 0;
  double gradient_norm = 0;
  bool converged = false;
};

/// Minimises mean cross-entropy + ‖W‖² / (2 C_reg N) (bias not penalised) with L-BFGS in float64 until the gradient
/// over [W, b] is below the tolerance: the objective of scikit-learn's LogisticRegression(C=C_reg,
/// multi_class="multinomial"), with the bias normalised to sum to zero over the classes. Labels are 0..classes-1.
/// The loss and gradient's products run on `backend` (SoftmaxRegressionTerms), the solver on the CPU: on the CPU
/// backend the head is the same bits every run; on the GPU it is the same optimum to the gradient tolerance, not
/// the same bits (docs/methods.md).
LinearHead train_linear_probe(const Matrix<float>& features, const std::vector<std::int32_t>& labels,
                              std::size_t classes, const ProbeOptions& options, const Backend& backend,
                              ProbeReport* report = nullptr);

}  // namespace oodbench

#include "harness/fit/linear_head.h"

#include <lbfgs.h>

#include <cmath>
#include <stdexcept>

#include "kernels/cpu/blas.h"
#include "kernels/rowwise.h"

namespace oodbench {

Matrix<double> LinearHead::logits(const Matrix<float>& features, const Backend& backend) const {
  const Matrix<float> z = backend.matmul_nt(features, weight);
  Matrix<double> out(z.rows, z.cols);
  for (std::size_t i = 0; i < z.rows; ++i)
    for (std::size_t c = 0; c < z.cols; ++c) out(i, c) = static_cast<double>(z(i, c)) + bias[c];
  return out;
}

namespace {

/// The probe's objective over the packed parameters [W (C x D, row-major), b (C)].
struct ProbeProblem {
  Matrix<double> x;                  // N x D, float64 as scikit-learn's solver uses
  const std::vector<std::int32_t>* labels;
  std::size_t classes;
  double l2;                         // 1 / (C_reg N)
  Matrix<double> z;                  // N x C scratch: logits, then p - y
  double gradient_norm = 0;
  int iterations = 0;

  double evaluate(const double* params, double* grad) {
    const std::size_t n = x.rows, d = x.cols, c = classes;
    const double* w = params;
    const double* b = params + c * d;
    cpu::gemm(false, true, n, c, d, 1.0, x.data.data(), d, w, d, 0.0, z.data.data(), c);
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double* zi = z.row(i);
      for (std::size_t k = 0; k < c; ++k) zi[k] += b[k];
      const std::size_t y = static_cast<std::size_t>((*labels)[i]);
      loss += logsumexp(zi, c) - zi[y];
      softmax(zi, zi, c);
      zi[y] -= 1.0;
      for (std::size_t k = 0; k < c; ++k) zi[k] /= static_cast<double>(n);  // dLoss/dz of the mean
    }
    loss /= static_cast<double>(n);
    double w_sq = 0;
    for (std::size_t j = 0; j < c * d; ++j) w_sq += w[j] * w[j];
    loss += 0.5 * l2 * w_sq;
    // grad W = (P - Y)ᵀ X / N + l2 W ; grad b = column sums of (P - Y) / N
    for (std::size_t j = 0; j < c * d; ++j) grad[j] = l2 * w[j];
    cpu::gemm(true, false, c, d, n, 1.0, z.data.data(), c, x.data.data(), d, 1.0, grad, d);
    for (std::size_t k = 0; k < c; ++k) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += z(i, k);
      grad[c * d + k] = s;
    }
    return loss;
  }
};

/// What both liblbfgs callbacks receive: the objective, and the absolute gradient tolerance docs/methods.md specifies.
struct SolverState {
  ProbeProblem* problem;
  double tolerance;
};

lbfgsfloatval_t evaluate_cb(void* instance, const lbfgsfloatval_t* x, lbfgsfloatval_t* g, int, lbfgsfloatval_t) {
  return static_cast<SolverState*>(instance)->problem->evaluate(x, g);
}

/// Stops the solver once the gradient norm is below the tolerance.
int progress_cb(void* instance, const lbfgsfloatval_t*, const lbfgsfloatval_t*, lbfgsfloatval_t, lbfgsfloatval_t,
                lbfgsfloatval_t gnorm, lbfgsfloatval_t, int, int k, int) {
  auto* state = static_cast<SolverState*>(instance);
  state->problem->gradient_norm = gnorm;
  state->problem->iterations = k;
  return gnorm < state->tolerance ? 1 : 0;
}

}  // namespace

LinearHead train_linear_probe(const Matrix<float>& features, const std::vector<std::int32_t>& labels,
                              std::size_t classes, const ProbeOptions& options, ProbeReport* report) {
  const std::size_t n = features.rows, d = features.cols;
  ProbeProblem problem{Matrix<double>(n, d), &labels, classes,
                       1.0 / (options.c_reg * static_cast<double>(n)), Matrix<double>(n, classes)};
  for (std::size_t i = 0; i < features.data.size(); ++i) problem.x.data[i] = features.data[i];

  const int dim = static_cast<int>(classes * (d + 1));
  lbfgsfloatval_t* params = lbfgs_malloc(dim);
  if (!params) throw std::bad_alloc();
  for (int j = 0; j < dim; ++j) params[j] = 0.0;
  lbfgs_parameter_t settings;
  lbfgs_parameter_init(&settings);
  settings.m = 10;
  settings.max_iterations = options.max_iterations;
  settings.epsilon = 0;  // convergence is decided by progress_cb on the absolute gradient norm
  settings.past = 0;
  settings.delta = 0;
  settings.max_linesearch = 50;
  SolverState state{&problem, options.gradient_tolerance};
  // The first evaluation can already be optimal (e.g. all-zero features); progress_cb is then never called.
  lbfgsfloatval_t loss = 0;
  const int status = lbfgs(dim, params, &loss, evaluate_cb, progress_cb, &state, &settings);
  (void)status;  // line-search "rounding error" near the optimum is normal; convergence is judged by the gradient

  std::vector<double> grad(static_cast<std::size_t>(dim));
  loss = problem.evaluate(params, grad.data());
  double gnorm = 0;
  for (double g : grad) gnorm += g * g;
  gnorm = std::sqrt(gnorm);

  LinearHead head{Matrix<float>(classes, d), std::vector<float>(classes)};
  for (std::size_t j = 0; j < classes * d; ++j) head.weight.data[j] = static_cast<float>(params[j]);
  for (std::size_t k = 0; k < classes; ++k) head.bias[k] = static_cast<float>(params[classes * d + k]);
  lbfgs_free(params);
  if (report) *report = {problem.iterations, loss, gnorm, gnorm < options.gradient_tolerance};
  return head;
}

}  // namespace oodbench

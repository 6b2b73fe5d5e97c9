#include "harness/fit/linear_head.h"

#include <cblas.h>
#include <lapacke.h>
#include <lbfgs.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

namespace oodbench {

Matrix<double> LinearHead::logits(const Matrix<float>& features, const Backend& backend) const {
  const Matrix<float> z = backend.matmul_nt(features, weight);
  Matrix<double> out(z.rows, z.cols);
  for (std::size_t i = 0; i < z.rows; ++i)
    for (std::size_t c = 0; c < z.cols; ++c) out(i, c) = static_cast<double>(z(i, c)) + bias[c];
  return out;
}

Matrix<double> LinearHead::exact_logits(const Matrix<double>& features, const Backend& backend) const {
  Matrix<double> w(weight.rows, weight.cols);
  std::copy(weight.data.begin(), weight.data.end(), w.data.begin());
  Matrix<double> out = backend.matmul_nt(features, w);
  for (std::size_t i = 0; i < out.rows; ++i)
    for (std::size_t c = 0; c < out.cols; ++c) out(i, c) += bias[c];
  return out;
}

Matrix<double> LinearHead::exact_logits(const Matrix<float>& features, const Backend& backend) const {
  Matrix<double> x(features.rows, features.cols);
  std::copy(features.data.begin(), features.data.end(), x.data.begin());
  return exact_logits(x, backend);
}

Matrix<double> LinearHead::squared_row_gaps() const {
  const std::size_t c = classes();
  Matrix<double> out(c, c);
  for (std::size_t a = 0; a < c; ++a)
    for (std::size_t b = 0; b < c; ++b) {
      double s = 0;
      for (std::size_t j = 0; j < weight.cols; ++j) {
        const double d = static_cast<double>(weight(a, j)) - weight(b, j);
        s += d * d;
      }
      out(a, b) = s;
    }
  return out;
}

namespace {

/// The probe's objective, optionally in preconditioned coordinates. The solver's parameters are [V (C x D), b' (C)]
/// with W = V L⁻¹ and b = b' - W x̄: a change of variables (the bias is not penalised, so moving the mean into it
/// changes nothing), so the objective and its minimiser are the same; only the path of L-BFGS changes. With x̄ = 0
/// and no L (the plain solver) this is the objective over [W, b] itself.
struct ProbeProblem {
  Matrix<double> x;                  // N x D, float64 as scikit-learn's solver uses; minus x̄ when centred
  std::vector<double> mean;          // x̄ (D), zeros for the plain solver
  Matrix<double> factor;             // L (D x D, lower), empty for the plain solver
  const std::vector<std::int32_t>* labels;
  std::size_t classes;
  double l2;                         // 1 / (C_reg N)
  std::vector<double> w;             // C x D scratch: W
  std::unique_ptr<SoftmaxRegressionTerms> data_term;  // over x, made once x is final
  double gradient_norm = 0;          // of the objective over [W, b], at the last point evaluated
  int iterations = 0;

  bool preconditioned() const { return factor.rows > 0; }

  /// W = V L⁻¹ into `w`.
  void weights(const double* v) {
    const std::size_t d = x.cols, c = classes;
    std::copy(v, v + c * d, w.begin());
    if (preconditioned())
      cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, static_cast<int>(c),
                  static_cast<int>(d), 1.0, factor.data.data(), static_cast<int>(d), w.data(), static_cast<int>(d));
  }

  double evaluate(const double* params, double* grad) {
    const std::size_t d = x.cols, c = classes;
    weights(params);
    const double* b = params + c * d;
    double w_sq = 0;
    for (std::size_t j = 0; j < c * d; ++j) w_sq += w[j] * w[j];
    // grad W = (P - Y)ᵀ X / N + l2 W ; grad b = column sums of (P - Y) / N
    for (std::size_t j = 0; j < c * d; ++j) grad[j] = l2 * w[j];
    double loss = data_term->evaluate(w.data(), b, grad, grad + c * d);
    loss += 0.5 * l2 * w_sq;
    double norm_sq = 0;
    for (std::size_t k = 0; k < c; ++k) {
      const double s = grad[c * d + k];
      norm_sq += s * s;
      // Over [W, b] the W gradient is grad W' + grad b x̄ᵀ (b' = b + W x̄).
      for (std::size_t j = 0; j < d; ++j) {
        const double g = grad[k * d + j] + s * mean[j];
        norm_sq += g * g;
      }
    }
    gradient_norm = std::sqrt(norm_sq);
    if (preconditioned())  // grad V = grad W' L⁻ᵀ
      cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, static_cast<int>(c),
                  static_cast<int>(d), 1.0, factor.data.data(), static_cast<int>(d), grad, static_cast<int>(d));
    return loss;
  }
};

/// Centres x and sets L L ᵀ = X_cᵀ X_c / (C N) + l2 I: the Hessian of the objective at W = 0 up to the class
/// coupling (p = 1/C there), so that L-BFGS starts on a problem about as round in V as the data allow.
void precondition(ProbeProblem& problem) {
  const std::size_t n = problem.x.rows, d = problem.x.cols;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) problem.mean[j] += problem.x(i, j);
  for (double& m : problem.mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) problem.x(i, j) -= problem.mean[j];
  problem.factor = Matrix<double>(d, d);
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, static_cast<int>(d), static_cast<int>(n),
              1.0 / (static_cast<double>(problem.classes) * static_cast<double>(n)), problem.x.data.data(),
              static_cast<int>(d), 0.0, problem.factor.data.data(), static_cast<int>(d));
  for (std::size_t j = 0; j < d; ++j) problem.factor(j, j) += problem.l2;  // the lower triangle is all they use
  const int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', static_cast<int>(d), problem.factor.data.data(),
                                  static_cast<int>(d));
  if (info != 0) throw std::runtime_error("linear probe: Cholesky factorisation failed with info " + std::to_string(info));
}

/// What both liblbfgs callbacks receive: the objective, and the absolute gradient tolerance docs/methods.md specifies.
struct SolverState {
  ProbeProblem* problem;
  double tolerance;
};

lbfgsfloatval_t evaluate_cb(void* instance, const lbfgsfloatval_t* x, lbfgsfloatval_t* g, int, lbfgsfloatval_t) {
  return static_cast<SolverState*>(instance)->problem->evaluate(x, g);
}

/// Stops the solver once the gradient norm over [W, b] is below the tolerance. liblbfgs's line searches return at
/// the point they evaluated last, so ProbeProblem::gradient_norm is that of the accepted point.
int progress_cb(void* instance, const lbfgsfloatval_t*, const lbfgsfloatval_t*, lbfgsfloatval_t, lbfgsfloatval_t,
                lbfgsfloatval_t, lbfgsfloatval_t, int, int k, int) {
  auto* state = static_cast<SolverState*>(instance);
  state->problem->iterations = k;
  return state->problem->gradient_norm < state->tolerance ? 1 : 0;
}

}  // namespace

LinearHead train_linear_probe(const Matrix<float>& features, const std::vector<std::int32_t>& labels,
                              std::size_t classes, const ProbeOptions& options, const Backend& backend,
                              ProbeReport* report) {
  const std::size_t n = features.rows, d = features.cols;
  ProbeProblem problem{Matrix<double>(n, d), std::vector<double>(d), Matrix<double>(), &labels, classes,
                       1.0 / (options.c_reg * static_cast<double>(n)), std::vector<double>(classes * d), nullptr};
  for (std::size_t i = 0; i < features.data.size(); ++i) problem.x.data[i] = features.data[i];
  // Past D = max(N, 4096) the D x D factor would cost more than it saves.
  const bool preconditioned = options.solver == ProbeSolver::preconditioned && (d <= n || d <= 4096);
  std::size_t block_rows = 0;  // the plain solver: one product after the other over all rows
  if (preconditioned) {
    precondition(problem);
    // With few classes both products are skinny and memory-bound; in blocks of 16 rows each block is still in the
    // cache for the second product and OpenBLAS runs them without threading overhead: about twice as fast on the
    // quickstart (bench/probe_bench.cpp). With many classes the blocks grow so that packing W stays amortised.
    block_rows = std::max<std::size_t>(16, classes);
  }
  problem.data_term = backend.softmax_regression_terms(problem.x, labels, classes, block_rows);

  const int dim = static_cast<int>(classes * (d + 1));
  lbfgsfloatval_t* params = lbfgs_malloc(dim);
  if (!params) throw std::bad_alloc();
  for (int j = 0; j < dim; ++j) params[j] = 0.0;
  if (preconditioned) {  // b' starts at the optimum for W = 0: the log class frequencies, centred (as b stays)
    std::vector<double> count(classes);
    for (std::int32_t y : labels) count[static_cast<std::size_t>(y)] += 1;
    double mean_log = 0;
    for (double& c : count) mean_log += (c = std::log(std::max(c, 1.0))) / static_cast<double>(classes);
    for (std::size_t k = 0; k < classes; ++k) params[classes * d + k] = count[k] - mean_log;
  }
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
  const double gnorm = problem.gradient_norm;

  problem.weights(params);  // W, and b = b' - W x̄
  LinearHead head{Matrix<float>(classes, d), std::vector<float>(classes)};
  for (std::size_t j = 0; j < classes * d; ++j) head.weight.data[j] = static_cast<float>(problem.w[j]);
  for (std::size_t k = 0; k < classes; ++k) {
    double b = params[classes * d + k];
    for (std::size_t j = 0; j < d; ++j) b -= problem.w[k * d + j] * problem.mean[j];
    head.bias[k] = static_cast<float>(b);
  }
  lbfgs_free(params);
  if (report) *report = {problem.iterations, loss, gnorm, gnorm < options.gradient_tolerance};
  return head;
}

}  // namespace oodbench

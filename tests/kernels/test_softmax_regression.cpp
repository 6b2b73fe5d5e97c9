// The softmax-regression data term (Backend::softmax_regression_terms) on the CPU against a direct computation of
// the loss and gradient on a hand-sized problem, for every blocking of the rows (whole, one row, blocks that do not
// divide N); and at W = 0, b = 0 against the closed form (loss log C, grad b = 1/C - class frequency).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"

namespace oodbench {
namespace {

struct Problem {
  Matrix<double> x{5, 3};
  std::vector<std::int32_t> y{0, 2, 1, 2, 2};
  std::size_t classes = 3;
  Matrix<double> w{3, 3};
  std::vector<double> b{0.25, -0.5, 0.125};
  Problem() {
    const double xs[] = {1, -2, 0.5, 0, 3, -1, 2, 2, 2, -1.5, 0.25, 4, 0.75, -3, 1};
    const double ws[] = {0.5, -0.25, 1, -1, 0.125, 0.5, 0.2, 0.3, -0.7};
    x.data.assign(std::begin(xs), std::end(xs));
    w.data.assign(std::begin(ws), std::end(ws));
  }
};

struct Terms {
  double loss = 0;
  std::vector<double> grad_w, grad_b;
};

/// The definition, one row and one class at a time.
Terms direct(const Problem& p, const Matrix<double>& w, const std::vector<double>& b, double grad_w_start) {
  const std::size_t n = p.x.rows, d = p.x.cols, c = p.classes;
  Terms t{0, std::vector<double>(c * d, grad_w_start), std::vector<double>(c)};
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> z(c);
    double total = 0;
    for (std::size_t k = 0; k < c; ++k) {
      z[k] = b[k];
      for (std::size_t j = 0; j < d; ++j) z[k] += w(k, j) * p.x(i, j);
      total += std::exp(z[k]);
    }
    const auto y = static_cast<std::size_t>(p.y[i]);
    t.loss += (std::log(total) - z[y]) / static_cast<double>(n);
    for (std::size_t k = 0; k < c; ++k) {
      const double g = (std::exp(z[k]) / total - (k == y ? 1.0 : 0.0)) / static_cast<double>(n);
      t.grad_b[k] += g;
      for (std::size_t j = 0; j < d; ++j) t.grad_w[k * d + j] += g * p.x(i, j);
    }
  }
  return t;
}

Terms evaluate(const Problem& p, const Matrix<double>& w, const std::vector<double>& b, std::size_t block_rows,
               double grad_w_start) {
  const auto backend = make_cpu_backend();
  const auto session = backend->softmax_regression_terms(p.x, p.y, p.classes, block_rows);
  Terms t{0, std::vector<double>(w.data.size(), grad_w_start), std::vector<double>(p.classes, -7.0)};
  t.loss = session->evaluate(w.data.data(), b.data(), t.grad_w.data(), t.grad_b.data());
  return t;
}

void expect_near(const Terms& got, const Terms& want) {
  EXPECT_NEAR(got.loss, want.loss, 1e-14 * std::abs(want.loss));
  for (std::size_t j = 0; j < want.grad_w.size(); ++j) EXPECT_NEAR(got.grad_w[j], want.grad_w[j], 1e-14) << j;
  for (std::size_t k = 0; k < want.grad_b.size(); ++k) EXPECT_NEAR(got.grad_b[k], want.grad_b[k], 1e-14) << k;
}

TEST(SoftmaxRegressionTerms, MatchTheDefinitionForEveryBlocking) {
  const Problem p;
  const Terms want = direct(p, p.w, p.b, 0.5);  // grad W is accumulated into: 0.5 stays added
  for (std::size_t block_rows : {0, 1, 2, 3, 5, 16}) {
    SCOPED_TRACE("block_rows " + std::to_string(block_rows));
    expect_near(evaluate(p, p.w, p.b, block_rows, 0.5), want);
  }
}

TEST(SoftmaxRegressionTerms, AtZeroAreTheClosedForm) {
  const Problem p;
  const Terms got = evaluate(p, Matrix<double>(3, 3), std::vector<double>(3), 2, 0.0);
  EXPECT_NEAR(got.loss, std::log(3.0), 1e-15);
  const double frequency[] = {1.0 / 5, 1.0 / 5, 3.0 / 5};  // labels 0, 2, 1, 2, 2
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(got.grad_b[k], 1.0 / 3 - frequency[k], 1e-15) << k;
  expect_near(got, direct(p, Matrix<double>(3, 3), std::vector<double>(3), 0.0));
}

TEST(SoftmaxRegressionTerms, RejectMismatchedLabels) {
  const Problem p;
  const auto backend = make_cpu_backend();
  const std::vector<std::int32_t> short_labels{0, 1};
  EXPECT_THROW(backend->softmax_regression_terms(p.x, short_labels, 3, 0), std::invalid_argument);
}

}  // namespace
}  // namespace oodbench

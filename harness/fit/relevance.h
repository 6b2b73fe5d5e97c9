// LRP-0 relevance of the inputs of a linear head, with the bias as an extra input (docs/methods.md#nero, step 1):
// R = a' ⊙ (W'ᵀ (p ⊘ f)), a' = [a, 1], W' = [W | b], f = W' a', p = softmax(f). Σ_j R_j = 1 for every row.
#pragma once

#include "harness/fit/linear_head.h"

namespace oodbench {

/// |f_c| below this is replaced by sign(f_c) times it (+ for f_c = 0), keeping p_c / f_c finite.
inline constexpr double kRelevanceLogitFloor = 1e-12;

/// n x (D + 1) relevances, the bias relevance in the last column: one n x C by C x (D + 1) product on the
/// backend, then element-wise work; never a loop of products per sample.
Matrix<float> lrp_relevance(const Matrix<float>& x, const LinearHead& head, const Backend& backend);

}  // namespace oodbench

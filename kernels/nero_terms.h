// NeRO's per-row terms (docs/methods.md#nero), kept with NeRO's primitives rather than in the Backend interface: on
// the GPU one fused pass per row (kernels/cuda/nero_terms.cu, through the CUDA module), elsewhere composed of the
// backend's nearest_centroid and k_smallest_per_row with ρ summed on the host.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "kernels/backend.h"

namespace oodbench {

/// NERO's per-row terms: the L1-nearest class centroid of each projected relevance row, and the feature-norm factor
/// ρ_i = Σ_{j ∈ K_i} |x_ij| / Σ_j |x_ij| (0 where x_i = 0), K_i the columns of the k smallest relevances of row i.
struct NeroRowTerms {
  NearestCentroid nearest;
  std::vector<double> rho;
};

/// NERO's per-row terms of `projected` (n x P) against `centroids` (C x P), and of `relevance` and `features` (both
/// n x D) with K the k smallest relevances, computed on `backend`.
NeroRowTerms nero_row_terms(const Backend& backend, const Matrix<float>& projected, const Matrix<float>& centroids,
                            const Matrix<float>& relevance, const Matrix<float>& features, std::size_t k);

/// The fused GPU pass when `backend` is the CUDA module's backend (kernels/cuda_loader.cpp); nullopt otherwise.
std::optional<NeroRowTerms> fused_nero_row_terms(const Backend& backend, const Matrix<float>& projected,
                                                 const Matrix<float>& centroids, const Matrix<float>& relevance,
                                                 const Matrix<float>& features, std::size_t k);

}  // namespace oodbench

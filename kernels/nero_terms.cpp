#include "kernels/nero_terms.h"

#include <cmath>

namespace oodbench {

NeroRowTerms nero_row_terms(const Backend& backend, const Matrix<float>& projected, const Matrix<float>& centroids,
                            const Matrix<float>& relevance, const Matrix<float>& features, std::size_t k) {
  if (backend.kind() == DeviceKind::cuda) {
    if (std::optional<NeroRowTerms> fused = fused_nero_row_terms(backend, projected, centroids, relevance, features, k))
      return std::move(*fused);
  }
  NeroRowTerms out{backend.nearest_centroid(projected, centroids, CentroidMetric::l1),
                   std::vector<double>(features.rows)};
  const Matrix<std::int32_t> most_negative = backend.k_smallest_per_row(relevance, k);
  for (std::size_t i = 0; i < features.rows; ++i) {
    double kept = 0, total = 0;
    for (std::size_t r = 0; r < k; ++r) kept += std::fabs(features(i, static_cast<std::size_t>(most_negative(i, r))));
    for (std::size_t j = 0; j < features.cols; ++j) total += std::fabs(features(i, j));
    out.rho[i] = total > 0 ? kept / total : 0.0;
  }
  return out;
}

}  // namespace oodbench

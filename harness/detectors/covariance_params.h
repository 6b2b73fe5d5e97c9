// The covariance parameters that Mahalanobis-type detectors share, declared once: a named convention (how a reference
// implementation inverts the covariance, docs/methods.md#conventions) and, for experts, OpenOOD's cut refined by hand.
#pragma once

#include <cstdio>

#include "harness/detectors/detector.h"

namespace oodbench {

inline constexpr double kDefaultRidge = 1e-6;  ///< `ridge`'s default: ε on Σ when shrinkage = ridge

inline std::vector<ParamSpec> covariance_params() {
  return {{"convention", "openood",
           "how Σ is inverted, as a reference does it: openood (pinvh, cut D · 2.22e-16: scikit-learn's precision_), "
           "pytorch-ood (pinv of the class scatter + 1e-6 I, torch's float32 cut), pytorch-ood-legacy (its exact "
           "inverse, pytorch-ood <= 0.2.0) or float32 (cut D · 1.19e-7)",
           {kConventionNames[0], kConventionNames[1], kConventionNames[2], kConventionNames[3]},
           /*identity_at_default=*/false},  // added in 0.3: sweeps run before keep their cells
          {"shrinkage", "none",
           "with convention = openood: none (pseudo-inverse), ridge (exact (Σ + εI)⁻¹, no cut) or ledoit_wolf",
           {"none", "ridge", "ledoit_wolf"}},
          {"ridge", kDefaultRidge, "ε added to the diagonal of Σ (= scatter / N) when shrinkage = ridge", {}},
          {"rcond", 0.0,
           "with convention = openood: drop eigenvalues <= rcond · λ_max; 0 means D · 2.22e-16 (scikit-learn's "
           "precision_)",
           {}}};
}

/// A convention other than openood fixes the inverse: an expert parameter beside it is an error naming both.
inline std::vector<ParamLimit> convention_limits(const Params& p, const DataShape&) {
  const std::string convention = p.text("convention");
  if (convention == convention_name(Convention::openood)) return {};
  std::vector<ParamLimit> clashes;
  const auto clash = [&](const std::string& param, const std::string& given) {
    clashes.push_back({param, "convention = " + convention + " fixes how the covariance is inverted, and " + given +
                                  " would change it: give one of the two (shrinkage, ridge and rcond refine "
                                  "convention = openood only)"});
  };
  const auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  if (p.text("shrinkage") != "none") clash("shrinkage", "shrinkage = " + p.text("shrinkage"));
  if (p.number("rcond") != 0) clash("rcond", "rcond = " + number(p.number("rcond")));
  if (p.number("ridge") != kDefaultRidge) clash("ridge", "ridge = " + number(p.number("ridge")));
  return clashes;
}

/// The inverse `p` asks for on a covariance of `dims` columns from `samples` rows. `shrinkage = false` for what
/// shrinkage does not apply to (MaRS's diagonal ablation): its convention's cut, or openood's with `rcond`.
inline InverseRule inverse_rule(const Params& p, std::size_t dims, std::size_t samples, bool shrinkage = true) {
  const Convention convention = parse_convention(p.text("convention"));
  if (convention != Convention::openood) return convention_rule(convention, dims, samples);
  if (shrinkage && p.text("shrinkage") == "ridge") return {p.number("ridge"), 0};
  return {0, p.number("rcond") > 0 ? p.number("rcond") : default_rcond(dims),
          shrinkage && p.text("shrinkage") == "ledoit_wolf"};
}

inline InverseRule inverse_rule(const Params& p, const CovarianceFit& fit) {
  return inverse_rule(p, fit.matrix.rows, fit.samples);
}

/// Whitening of `fit` by `rule`. When it inverts directions that float32 features do not resolve (below the cut of
/// convention float32), warns through `ctx` (naming `what`, e.g. "the class covariance"; the face names the detector)
/// with what they do on these data: how differently this inverse and the float32 cut order the rows Σ came from.
inline Whitening whitening_from(FitContext& ctx, const CovarianceFit& fit, const InverseRule& rule,
                                const std::string& what) {
  Whitening w = whitening(fit, rule);
  if (w.beyond_float32 == 0) return w;
  const Whitening resolved = whitening(fit, convention_rule(Convention::float32, fit.matrix.rows, fit.samples));
  char figure[48];
  std::snprintf(figure, sizeof figure, "%.0f %%", 100 * order_disagreement(fit, w, resolved, ctx.backend()));
  const std::string below_float64 =
      w.unresolved == 0 ? "" : "; " + std::to_string(w.unresolved) + " even below 2.3e-9 · λ_max, which float64 knows "
                                                                     "to worse than 1e-4";
  ctx.warn("inverting " + what + " keeps " + std::to_string(w.rank()) + " directions, " +
           std::to_string(w.beyond_float32) + " of which float32 features do not resolve (eigenvalues "
           "below D · 1.19e-7 · λ_max" + below_float64 + "). Such directions can move AUROC by whole points: on " +
           std::to_string(fit.sample.rows) + " of its rows, this inverse and convention = float32 order " + figure +
           " of pairs differently (50 % would be unrelated orders). Name the convention beside the numbers; float32 "
           "and pytorch-ood keep only resolved directions (docs/methods.md#conventions)");
  return w;
}

/// Rows of `m` (float64) minus `center`, projected by the whitening: the centroids in whitened space.
inline Matrix<double> whiten_rows(const Matrix<double>& m, std::span<const double> center, const Whitening& w) {
  Matrix<double> out(m.rows, w.rank());
  for (std::size_t c = 0; c < m.rows; ++c)
    for (std::size_t r = 0; r < w.rank(); ++r) {
      double s = 0;
      for (std::size_t j = 0; j < m.cols; ++j) s += w.rows(r, j) * (m(c, j) - center[j]);
      out(c, r) = s;
    }
  return out;
}

/// Scores in float32 from float64 distances.
inline std::vector<float> to_scores(const std::vector<double>& s) { return std::vector<float>(s.begin(), s.end()); }

}  // namespace oodbench

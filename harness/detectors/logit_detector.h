// Base for detectors that score from the logits of the linear head alone (MSP, MaxLogit, Energy, Entropy).
#pragma once

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/rowwise.h"

namespace oodbench {

/// -logsumexp(W x + b) for every row: the energy score of (possibly reshaped) features, as ReAct and ASH use it.
inline std::vector<float> energy_scores(const LinearHead& head, const Matrix<float>& features, const Backend& backend) {
  const Matrix<double> z = head.logits(features, backend);
  std::vector<float> out(z.rows);
  for (std::size_t i = 0; i < z.rows; ++i) out[i] = static_cast<float>(-logsumexp(z.row(i), z.cols));
  return out;
}

class LogitDetector : public Detector {
 public:
  void fit(FitContext& ctx) override { head_ = ctx.head(); }
  void state(StateIO& io) override { io.field("head", head_); }
  std::vector<float> score(const Matrix<float>& features, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(features, backend);
    std::vector<float> out(z.rows);
    for (std::size_t i = 0; i < z.rows; ++i) out[i] = static_cast<float>(score_row(z.row(i), z.cols));
    return out;
  }

 protected:
  /// The outlier score of one row of logits.
  virtual double score_row(const double* z, std::size_t classes) const = 0;
  LinearHead head_;
};

}  // namespace oodbench

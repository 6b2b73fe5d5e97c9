// Base for detectors that score from the logits of the linear head alone (MSP, MaxLogit, Energy, Entropy).
#pragma once

#include "harness/detectors/detector.h"

namespace oodbench {

class LogitDetector : public Detector {
 public:
  void fit(FitContext& ctx) override { head_ = ctx.head(); }
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

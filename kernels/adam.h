// One Adam update of one parameter, written as PyTorch's Adam (torch.optim.Adam, non-fused) computes it, shared by
// the CPU loop and the CUDA kernel (__host__ __device__).
#pragma once

#include <cmath>

#include "kernels/rowwise.h"

namespace oodbench {

/// bias_correction1 = 1 - beta1^t, bias_correction2_sqrt = sqrt(1 - beta2^t).
OODBENCH_HD inline void adam_update(float& param, float grad, float& m, float& v, float lr, float beta1, float beta2,
                                    float eps, float weight_decay, float bias_correction1,
                                    float bias_correction2_sqrt) {
  if (weight_decay != 0.0f) grad += weight_decay * param;
  m += (grad - m) * (1.0f - beta1);
  v = v * beta2 + (1.0f - beta2) * grad * grad;
  const float denom = sqrtf(v) / bias_correction2_sqrt + eps;
  param -= (lr / bias_correction1) * m / denom;
}

}  // namespace oodbench

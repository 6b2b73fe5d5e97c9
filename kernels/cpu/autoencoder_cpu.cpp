// CpuBackend's autoencoder primitives: mini-batch MSE training with Adam, and reconstruction.
#include <cmath>

#include "kernels/adam.h"
#include "kernels/cpu/autoencoder_cpu.h"
#include "kernels/cpu/cpu_backend.h"

// The element-wise loops here are deliberately serial: alternating OpenMP regions with multi-threaded OpenBLAS calls
// many times per batch makes the two thread pools spin against each other (2.4x slower on 2 cores, measured).
namespace oodbench {
namespace {

void adam_step(std::vector<float>& param, const std::vector<float>& grad, std::vector<float>& m, std::vector<float>& v,
               const AdamSettings& a, float bc1, float bc2_sqrt) {
  for (std::size_t i = 0; i < param.size(); ++i) {
    adam_update(param[i], grad[i], m[i], v[i], static_cast<float>(a.lr), static_cast<float>(a.beta1),
                static_cast<float>(a.beta2), static_cast<float>(a.eps), static_cast<float>(a.weight_decay), bc1,
                bc2_sqrt);
  }
}

}  // namespace

std::vector<double> CpuBackend::train_autoencoder_epoch(AutoencoderParams<float>& params, AdamState& state,
                                                        const Matrix<float>& x, std::span<const std::uint32_t> order,
                                                        std::size_t batch, const AdamSettings& adam) const {
  AutoencoderParams<float> grad = params;
  cpu::AutoencoderWorkspace<float> ws;
  std::vector<double> losses;
  for (std::size_t start = 0; start < order.size(); start += batch) {
    const std::size_t rows = std::min(batch, order.size() - start);
    Matrix<float>& xb = ws.act[0];
    cpu::reshape(xb, rows, x.cols);
    for (std::size_t r = 0; r < rows; ++r) std::copy(x.row(order[start + r]), x.row(order[start + r]) + x.cols, xb.row(r));
    losses.push_back(cpu::autoencoder_loss_and_grad(params, ws, grad));
    ++state.step;
    const auto t = static_cast<double>(state.step);
    const auto bc1 = static_cast<float>(1.0 - std::pow(adam.beta1, t));
    const auto bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(adam.beta2, t)));
    for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
      adam_step(params.weight[k].data, grad.weight[k].data, state.m.weight[k].data, state.v.weight[k].data, adam, bc1,
                bc2_sqrt);
      adam_step(params.bias[k], grad.bias[k], state.m.bias[k], state.v.bias[k], adam, bc1, bc2_sqrt);
    }
  }
  return losses;
}

Matrix<float> CpuBackend::autoencoder_reconstruct(const AutoencoderParams<float>& params, const Matrix<float>& x) const {
  constexpr std::size_t kBlock = 4096;  // bounded memory for any number of rows
  Matrix<float> out(x.rows, x.cols);
  for (std::size_t start = 0; start < x.rows; start += kBlock) {
    const std::size_t rows = std::min(kBlock, x.rows - start);
    cpu::AutoencoderWorkspace<float> ws;
    ws.act[0] = Matrix<float>(rows, x.cols);
    std::copy(x.row(start), x.row(start) + rows * x.cols, ws.act[0].data.begin());
    cpu::autoencoder_forward(params, ws);
    std::copy(ws.act[4].data.begin(), ws.act[4].data.end(), out.row(start));
  }
  return out;
}

}  // namespace oodbench

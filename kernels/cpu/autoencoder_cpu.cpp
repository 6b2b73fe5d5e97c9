// CpuBackend's autoencoder primitives: mini-batch MSE training with Adam, and reconstruction.
#include <cmath>
#include <deque>
#include <stdexcept>

#include "kernels/adam.h"
#include "kernels/cpu/autoencoder_cpu.h"
#include "kernels/cpu/cpu_backend.h"

// The element-wise loops here are deliberately serial: alternating OpenMP regions with multi-threaded OpenBLAS calls
// many times per batch makes the two thread pools spin against each other (2.4x slower on 2 cores, measured).
namespace oodbench {
namespace {

void adam_step(std::span<float> param, std::span<const float> grad, std::span<float> m, std::span<float> v,
               const AdamSettings& a, float bc1, float bc2_sqrt) {
  for (std::size_t i = 0; i < param.size(); ++i) {
    adam_update(param[i], grad[i], m[i], v[i], static_cast<float>(a.lr), static_cast<float>(a.beta1),
                static_cast<float>(a.beta2), static_cast<float>(a.eps), static_cast<float>(a.weight_decay), bc1,
                bc2_sqrt);
  }
}

/// One autoencoder's training on the CPU.
class CpuAutoencoderTrainer {
 public:
  CpuAutoencoderTrainer(const AutoencoderParams<float>& initial, const Matrix<float>& x, std::size_t batch,
                        const AdamSettings& adam)
      : params_(initial), grad_(initial), x_(x), batch_(batch), adam_(adam) {
    state_.m = state_.v = zeros_like(initial);
  }

  std::vector<double> epoch(std::span<const std::uint32_t> order) {
    std::vector<double> losses;
    for (std::size_t start = 0; start < order.size(); start += batch_) {
      const std::size_t rows = std::min(batch_, order.size() - start);
      Matrix<float>& xb = ws_.act[0];
      cpu::reshape(xb, rows, x_.cols);
      for (std::size_t r = 0; r < rows; ++r) {
        std::copy(x_.row(order[start + r]), x_.row(order[start + r]) + x_.cols, xb.row(r));
      }
      losses.push_back(cpu::autoencoder_loss_and_grad(params_, ws_, grad_));
      ++state_.step;
      const auto t = static_cast<double>(state_.step);
      const auto bc1 = static_cast<float>(1.0 - std::pow(adam_.beta1, t));
      const auto bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(adam_.beta2, t)));
      for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
        adam_step(params_.weight[k].data, grad_.weight[k].data, state_.m.weight[k].data, state_.v.weight[k].data,
                  adam_, bc1, bc2_sqrt);
        adam_step(params_.bias[k], grad_.bias[k], state_.m.bias[k], state_.v.bias[k], adam_, bc1, bc2_sqrt);
      }
    }
    return losses;
  }

  const AutoencoderParams<float>& params() const { return params_; }

 private:
  static AutoencoderParams<float> zeros_like(const AutoencoderParams<float>& p) {
    return AutoencoderParams<float>::zeros(p.weight[0].cols, p.weight[0].rows, p.weight[1].rows);
  }

  AutoencoderParams<float> params_, grad_;
  AdamState state_;
  cpu::AutoencoderWorkspace<float> ws_;
  const Matrix<float>& x_;
  std::size_t batch_;
  AdamSettings adam_;
};

/// The members one after the other, each with its own trainer: a member's bits are those it gets alone, by
/// construction.
class CpuAutoencoderTrainers final : public AutoencoderTrainers {
 public:
  CpuAutoencoderTrainers(std::span<const AutoencoderParams<float>> initial, const Matrix<float>& x, std::size_t batch,
                         const AdamSettings& adam) {
    for (const AutoencoderParams<float>& p : initial) members_.emplace_back(p, x, batch, adam);
  }
  std::vector<std::vector<double>> epoch(std::span<const std::vector<std::uint32_t>> orders) override {
    if (orders.size() != members_.size()) throw std::invalid_argument("autoencoder_trainers: one order per member");
    std::vector<std::vector<double>> losses(members_.size());
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (!orders[i].empty()) losses[i] = members_[i].epoch(orders[i]);
    return losses;
  }
  AutoencoderParams<float> params(std::size_t member) const override { return members_.at(member).params(); }

 private:
  std::deque<CpuAutoencoderTrainer> members_;  // a deque: they hold references and never move
};

}  // namespace

std::unique_ptr<AutoencoderTrainers> CpuBackend::autoencoder_trainers(std::span<const AutoencoderParams<float>> initial,
                                                                      const Matrix<float>& x, std::size_t batch,
                                                                      const AdamSettings& adam) const {
  if (batch == 0) throw std::invalid_argument("autoencoder_trainers: batch must be >= 1");
  return std::make_unique<CpuAutoencoderTrainers>(initial, x, batch, adam);
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

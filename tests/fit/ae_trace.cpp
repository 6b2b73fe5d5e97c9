// Writes what the first training steps of the autoencoder did (initial weights, batch order, per-step losses) to an
// .npz, so tests/fit/test_autoencoder_torch.py can replay them in PyTorch.
// Usage: ae_trace TRAIN_SPEC STEPS SEED OUT.npz [cpu|cuda]; exits 77 for cuda where no GPU is usable.
#include <cmath>
#include <iostream>

#include "harness/fit/autoencoder_fit.h"
#include "harness/io/load_array.h"
#include "harness/io/npz.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"

int main(int argc, char** argv) {
  using namespace oodbench;
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: ae_trace TRAIN_SPEC STEPS SEED OUT.npz [cpu|cuda]\n";
    return 2;
  }
  const bool on_gpu = argc == 6 && std::string(argv[5]) == "cuda";
  std::string why;
  if (on_gpu && !cuda_usable(&why)) {
    std::cerr << "ae_trace: skipped, " << why << "\n";
    return 77;
  }
  const Matrix<float> x = load_features(argv[1]);
  const std::size_t steps = std::stoul(argv[2]);
  AutoencoderConfig config;
  config.seed = std::stoull(argv[3]);
  const std::size_t steps_per_epoch = (x.rows + config.batch - 1) / config.batch;
  config.epochs = (steps + steps_per_epoch - 1) / steps_per_epoch;
  TrainingTrace trace;
  train_autoencoder(x, nullptr, config, *(on_gpu ? make_cuda_backend() : make_cpu_backend()), &trace);
  auto members = encode_params(trace.initial);
  std::vector<std::int32_t> order(trace.order.begin(), trace.order.end());
  std::vector<float> losses(trace.losses.begin(), trace.losses.begin() + static_cast<std::ptrdiff_t>(steps));
  const std::size_t order_shape[1] = {order.size()}, loss_shape[1] = {losses.size()};
  members.emplace_back("order", encode_npy(std::span<const std::int32_t>(order), order_shape));
  members.emplace_back("losses", encode_npy(std::span<const float>(losses), loss_shape));
  write_npz(argv[4], members);
  return 0;
}

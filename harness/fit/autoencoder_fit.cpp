#include "harness/fit/autoencoder_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/fit/fit_context.h"
#include "harness/io/npy.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {

std::string AutoencoderConfig::key() const {
  return nlohmann::json{{"hidden", hidden}, {"bottleneck", bottleneck}, {"epochs", epochs}, {"batch", batch},
                        {"lr", adam.lr}, {"beta1", adam.beta1}, {"beta2", adam.beta2}, {"eps", adam.eps},
                        {"weight_decay", adam.weight_decay}, {"seed", seed},
                        {"preprocessing", static_cast<int>(preprocessing)}, {"patience", patience}}
      .dump();
}

Matrix<float> Autoencoder::prepare(const Matrix<float>& x) const {
  switch (preprocessing) {
    case Preprocessing::standardize: return standardization.apply(x);
    case Preprocessing::l2: return normalize_rows(x);
    case Preprocessing::raw: break;
  }
  return x;
}

Matrix<float> Autoencoder::residuals(const Matrix<float>& x, const Backend& backend) const {
  Matrix<float> r = prepare(x);
  const Matrix<float> reconstruction = backend.autoencoder_reconstruct(params, r);
  for (std::size_t i = 0; i < r.data.size(); ++i) r.data[i] -= reconstruction.data[i];
  return r;
}

namespace {

/// PyTorch nn.Linear's default initialisation: weights and biases uniform in ±1/sqrt(fan_in).
AutoencoderParams<float> initial_params(std::size_t d, std::size_t h, std::size_t b, SeededRandom& rng) {
  auto p = AutoencoderParams<float>::zeros(d, h, b);
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(p.weight[k].cols));
    for (float& w : p.weight[k].data) w = (2.0f * rng.uniform() - 1.0f) * bound;
    for (float& v : p.bias[k]) v = (2.0f * rng.uniform() - 1.0f) * bound;
  }
  return p;
}

double mean_squared_error(const Autoencoder& ae, const Matrix<float>& x, const Backend& backend) {
  const Matrix<float> r = ae.residuals(x, backend);
  double s = 0;
  for (float v : r.data) s += static_cast<double>(v) * v;
  return s / static_cast<double>(r.data.size());
}

}  // namespace

Autoencoder train_autoencoder(const Matrix<float>& train, const Matrix<float>* validation,
                              const AutoencoderConfig& config, const Backend& backend, TrainingTrace* trace) {
  const std::size_t d = train.cols;
  const std::size_t h = config.hidden ? config.hidden : std::max<std::size_t>(1, d / 2);
  const std::size_t b = config.bottleneck ? config.bottleneck : std::max<std::size_t>(1, std::min<std::size_t>(128, d / 4));
  if (config.batch == 0) throw InputError("autoencoder: batch must be >= 1");
  if (config.patience > 0 && !validation) {
    throw InputError("autoencoder: early stopping (patience > 0) needs ID validation features (--val)");
  }
  Autoencoder ae;
  ae.preprocessing = config.preprocessing;
  if (config.preprocessing == Preprocessing::standardize) ae.standardization = Standardization::fit(train);
  const Matrix<float> x = ae.prepare(train);
  SeededRandom rng(config.seed);
  ae.params = initial_params(d, h, b, rng);
  if (trace) trace->initial = ae.params;
  const std::unique_ptr<AutoencoderTrainer> trainer = backend.autoencoder_trainer(ae.params, x, config.batch,
                                                                                  config.adam);

  double best = std::numeric_limits<double>::infinity();
  AutoencoderParams<float> best_params = ae.params;
  std::size_t since_best = 0;
  for (std::size_t epoch = 0; epoch < config.epochs; ++epoch) {
    const std::vector<std::uint32_t> order = rng.permutation(x.rows);
    const std::vector<double> losses = trainer->epoch(order);
    if (trace) {
      trace->order.insert(trace->order.end(), order.begin(), order.end());
      trace->losses.insert(trace->losses.end(), losses.begin(), losses.end());
    }
    double mean_loss = 0;
    for (double l : losses) mean_loss += l;
    ae.epoch_losses.push_back(mean_loss / static_cast<double>(losses.size()));
    if (config.patience > 0) {
      ae.params = trainer->params();
      const double val = mean_squared_error(ae, *validation, backend);
      if (val < best) {
        best = val;
        best_params = ae.params;
        ae.best_epoch = epoch;
        since_best = 0;
      } else if (++since_best >= config.patience) {
        break;
      }
    }
  }
  if (config.patience > 0) {
    ae.params = best_params;
  } else {
    ae.params = trainer->params();
    ae.best_epoch = config.epochs ? config.epochs - 1 : 0;
  }
  return ae;
}

std::vector<std::pair<std::string, std::vector<std::byte>>> encode_params(const AutoencoderParams<float>& p) {
  static const char* const kWeightNames[] = {"w0", "w1", "w2", "w3"};
  static const char* const kBiasNames[] = {"b0", "b1", "b2", "b3"};
  std::vector<std::pair<std::string, std::vector<std::byte>>> out;
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    const std::size_t wshape[2] = {p.weight[k].rows, p.weight[k].cols};
    const std::size_t bshape[1] = {p.bias[k].size()};
    out.emplace_back(kWeightNames[k], encode_npy(std::span<const float>(p.weight[k].data), wshape));
    out.emplace_back(kBiasNames[k], encode_npy(std::span<const float>(p.bias[k]), bshape));
  }
  return out;
}

}  // namespace oodbench

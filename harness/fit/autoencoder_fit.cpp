#include "harness/fit/autoencoder_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "harness/fit/fit_context.h"
#include "harness/fit/fit_input_error.h"
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

struct Shape {
  std::size_t d, h, b;
};

/// The widths `config` asks for on inputs `d` wide.
Shape shape_of(std::size_t d, const AutoencoderConfig& config) {
  const std::size_t h = config.hidden ? config.hidden : std::max<std::size_t>(1, d / 2);
  const std::size_t b = config.bottleneck ? config.bottleneck : std::max<std::size_t>(1, std::min<std::size_t>(128, d / 4));
  return {d, h, b};
}

/// The widths `config` asks for on `train`, after checking what training needs.
Shape checked_shape(const Matrix<float>& train, const Matrix<float>* validation, const AutoencoderConfig& config) {
  if (config.batch == 0) throw InputError("autoencoder: batch must be >= 1");
  if (config.patience > 0 && !validation) {
    throw FitInputError(FitInput::val, "autoencoder: early stopping (patience > 0) needs ID validation features");
  }
  return shape_of(train.cols, config);
}

/// One autoencoder's training outside its trainer: the seed's generator (initial weights, then one permutation per
/// epoch), the epoch losses and early stopping. train_autoencoder and train_autoencoders both drive it, so a seed
/// trained in a batch is trained exactly as alone.
class SeedRun {
 public:
  SeedRun(const AutoencoderConfig& config, const Shape& shape, const Autoencoder& prepared)
      : config_(config), rng_(config.seed), ae_(prepared) {
    ae_.params = initial_params(shape.d, shape.h, shape.b, rng_);
    best_params_ = ae_.params;
  }

  const AutoencoderParams<float>& initial() const { return ae_.params; }
  bool stopped() const { return stopped_; }

  /// This epoch's row order; empty once stopped.
  std::vector<std::uint32_t> next_order(std::size_t rows) {
    return stopped_ ? std::vector<std::uint32_t>{} : rng_.permutation(rows);
  }

  /// Records an epoch's step losses; with early stopping, takes the parameters to validate from `params()`.
  template <class Params>
  void finish_epoch(std::size_t epoch, const std::vector<double>& losses, const Params& params,
                    const Matrix<float>* validation, const Backend& backend) {
    double mean_loss = 0;
    for (double l : losses) mean_loss += l;
    ae_.epoch_losses.push_back(mean_loss / static_cast<double>(losses.size()));
    if (config_.patience == 0) return;
    ae_.params = params();
    const double val = mean_squared_error(ae_, *validation, backend);
    if (val < best_) {
      best_ = val;
      best_params_ = ae_.params;
      ae_.best_epoch = epoch;
      since_best_ = 0;
    } else if (++since_best_ >= config_.patience) {
      stopped_ = true;
    }
  }

  /// The trained autoencoder: the best validated parameters with early stopping, else the last ones.
  Autoencoder finish(AutoencoderParams<float> last) {
    if (config_.patience > 0) {
      ae_.params = std::move(best_params_);
    } else {
      ae_.params = std::move(last);
      ae_.best_epoch = config_.epochs ? config_.epochs - 1 : 0;
    }
    return std::move(ae_);
  }

 private:
  AutoencoderConfig config_;
  SeededRandom rng_;
  Autoencoder ae_;
  double best_ = std::numeric_limits<double>::infinity();
  AutoencoderParams<float> best_params_;
  std::size_t since_best_ = 0;
  bool stopped_ = false;
};

/// An autoencoder with `config`'s preprocessing fitted on `train` and no parameters yet.
Autoencoder prepared(const Matrix<float>& train, const AutoencoderConfig& config) {
  Autoencoder ae;
  ae.preprocessing = config.preprocessing;
  if (config.preprocessing == Preprocessing::standardize) ae.standardization = Standardization::fit(train);
  return ae;
}

/// Trains configs that differ in their seed only, as one AutoencoderTrainers (`trace`: of a single config).
std::vector<Autoencoder> train_group(const Matrix<float>& train, const Matrix<float>* validation,
                                     std::span<const AutoencoderConfig> configs, const Backend& backend,
                                     TrainingTrace* trace = nullptr) {
  const AutoencoderConfig& config = configs.front();
  const Shape shape = checked_shape(train, validation, config);
  const Autoencoder base = prepared(train, config);
  const Matrix<float> x = base.prepare(train);
  std::vector<SeedRun> runs;
  std::vector<AutoencoderParams<float>> initial;
  for (const AutoencoderConfig& c : configs) {
    runs.emplace_back(c, shape, base);
    initial.push_back(runs.back().initial());
  }
  if (trace) trace->initial = initial.front();
  const std::unique_ptr<AutoencoderTrainers> trainers = backend.autoencoder_trainers(initial, x, config.batch,
                                                                                     config.adam);
  initial.clear();
  for (std::size_t epoch = 0; epoch < config.epochs; ++epoch) {
    std::vector<std::vector<std::uint32_t>> orders;
    std::vector<bool> running;
    for (SeedRun& run : runs) {
      running.push_back(!run.stopped());
      orders.push_back(run.next_order(x.rows));
    }
    if (std::find(running.begin(), running.end(), true) == running.end()) break;
    const std::vector<std::vector<double>> losses = trainers->epoch(orders);
    if (trace) {
      trace->order.insert(trace->order.end(), orders.front().begin(), orders.front().end());
      trace->losses.insert(trace->losses.end(), losses.front().begin(), losses.front().end());
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      if (!running[i]) continue;
      runs[i].finish_epoch(epoch, losses[i], [&] { return trainers->params(i); }, validation, backend);
    }
  }
  std::vector<Autoencoder> out;
  for (std::size_t i = 0; i < runs.size(); ++i) out.push_back(runs[i].finish(trainers->params(i)));
  return out;
}

}  // namespace

AutoencoderConfig AutoencoderConfig::seedless() const {
  AutoencoderConfig c = *this;
  c.seed = 0;
  return c;
}

std::size_t autoencoder_member_bytes(std::size_t d, std::size_t h, std::size_t b, std::size_t batch) {
  const std::size_t parameters = d * h + h + h * b + b + b * h + h + h * d + d;
  const std::size_t batch_floats = batch * (d + h + b + h + d) + 2 * batch * std::max(d, h);
  return sizeof(float) * (7 * parameters + batch_floats);
}

std::size_t autoencoder_group_bytes() {
  if (const char* text = std::getenv("OODBENCH_AUTOENCODER_GROUP_BYTES"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const unsigned long long bytes = std::strtoull(text, &end, 10);
    if (*end != '\0' || text[0] == '-')
      throw InputError(std::string("OODBENCH_AUTOENCODER_GROUP_BYTES: expected a number of bytes, got '") + text + "'");
    return static_cast<std::size_t>(bytes);
  }
  return std::size_t{1} << 30;
}

std::size_t autoencoder_group_size(std::size_t rows, std::size_t cols, const AutoencoderConfig& config) {
  const Shape shape = shape_of(cols, config);
  const std::size_t per_member = autoencoder_member_bytes(shape.d, shape.h, shape.b, std::min(config.batch, rows));
  return std::max<std::size_t>(1, autoencoder_group_bytes() / std::max<std::size_t>(1, per_member));
}

Autoencoder train_autoencoder(const Matrix<float>& train, const Matrix<float>* validation,
                              const AutoencoderConfig& config, const Backend& backend, TrainingTrace* trace) {
  return std::move(train_group(train, validation, std::span(&config, 1), backend, trace).front());
}

std::vector<Autoencoder> train_autoencoders(const Matrix<float>& train, const Matrix<float>* validation,
                                            std::span<const AutoencoderConfig> configs, const Backend& backend) {
  std::vector<Autoencoder> out(configs.size());
  std::vector<bool> trained(configs.size(), false);
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (trained[i]) continue;
    const std::string group = configs[i].seedless().key();
    std::vector<std::size_t> members;
    std::vector<AutoencoderConfig> group_configs;
    for (std::size_t j = i; j < configs.size(); ++j) {
      if (trained[j] || configs[j].seedless().key() != group) continue;
      members.push_back(j);
      group_configs.push_back(configs[j]);
      trained[j] = true;
    }
    // In parts within the memory budget: a part's seeds hold their training state at once, never the whole group's.
    const std::size_t part = autoencoder_group_size(train.rows, train.cols, configs[i]);
    for (std::size_t first = 0; first < members.size(); first += part) {
      const std::size_t count = std::min(part, members.size() - first);
      std::vector<Autoencoder> aes =
          train_group(train, validation, std::span(group_configs).subspan(first, count), backend);
      for (std::size_t k = 0; k < count; ++k) out[members[first + k]] = std::move(aes[k]);
    }
  }
  return out;
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

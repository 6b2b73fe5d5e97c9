#include "harness/fit/fit_context.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "harness/fit/class_labels.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {

FitContext::FitContext(const Backend& backend, Matrix<float> train, std::vector<std::int32_t> labels,
                       std::optional<LinearHead> head, ProbeOptions probe_options)
    : backend_(&backend), train_(std::move(train)), train_source_{train_->rows, train_->cols, {}},
      labels_(std::move(labels)), probe_options_(probe_options) {
  check_inputs(std::move(head));
}

FitContext::FitContext(const Backend& backend, DeferredFeatures train, std::vector<std::int32_t> labels,
                       std::optional<LinearHead> head, ProbeOptions probe_options)
    : backend_(&backend), train_source_(std::move(train)), labels_(std::move(labels)), probe_options_(probe_options) {
  check_inputs(std::move(head));
}

void FitContext::check_inputs(std::optional<LinearHead> head) {
  if (head) {
    if (head->weight.cols != train_source_.cols) {
      throw InputError("head has " + std::to_string(head->weight.cols) + " columns but the train features have " +
                       std::to_string(train_source_.cols));
    }
    if (head->bias.size() != head->weight.rows) {
      throw InputError("bias has " + std::to_string(head->bias.size()) + " entries but the head has " +
                       std::to_string(head->weight.rows) + " classes");
    }
    classes_ = head->weight.rows;
    supplied_head_ = true;
    head_ = std::move(head);
  }
  if (labels_.empty()) return;
  if (labels_.size() != train_source_.rows) {
    throw InputError("train labels: " + std::to_string(labels_.size()) + " labels for " +
                     std::to_string(train_source_.rows) + " train rows");
  }
  classes_ = check_class_labels(labels_, supplied_head_ ? classes_ : 0, "train labels", "");  // FitAssembly words it
}

const Matrix<float>& FitContext::train() const {
  if (!train_) {
    Matrix<float> read = train_source_.read();
    if (read.rows != train_source_.rows || read.cols != train_source_.cols) {  // the file changed since its header was read
      throw InputError("train features: read " + std::to_string(read.rows) + " x " + std::to_string(read.cols) +
                       " values where the header said " + std::to_string(train_source_.rows) + " x " +
                       std::to_string(train_source_.cols) + "; was the file replaced while oodbench ran?");
    }
    train_ = std::move(read);
    if (keep_resident_) train_resident_ = backend_->keep_resident(*train_);
  }
  return *train_;
}

void FitContext::set_validation(Matrix<float> validation, std::vector<std::int32_t> labels) {
  if (!labels.empty()) {
    if (labels.size() != validation.rows) {
      throw InputError("val labels: " + std::to_string(labels.size()) + " labels for " +
                       std::to_string(validation.rows) + " val rows");
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0 || (classes_ > 0 && static_cast<std::size_t>(labels[i]) >= classes_)) {
        const std::string expected =
            classes_ > 0 ? "the train classes 0.." + std::to_string(classes_ - 1) : "labels >= 0";
        throw InputError("val labels: row " + std::to_string(i) + " has label " + std::to_string(labels[i]) +
                         ", expected " + expected + "; map val labels the same way as train labels");
      }
    }
  }
  validation_resident_.reset();  // before the rows it keeps go
  validation_ = std::move(validation);
  validation_labels_ = std::move(labels);
  if (keep_resident_) validation_resident_ = backend_->keep_resident(*validation_);
}

void FitContext::keep_resident() {
  keep_resident_ = true;
  if (train_ && !train_resident_.active()) train_resident_ = backend_->keep_resident(*train_);  // else once read
  if (validation_ && !validation_resident_.active()) validation_resident_ = backend_->keep_resident(*validation_);
  if (normalized_train_ && !normalized_train_resident_.active())
    normalized_train_resident_ = backend_->keep_resident(*normalized_train_);
}

const LinearHead& FitContext::head() {
  if (!head_) {
    if (classes_ < 2) throw InputError("the linear probe needs at least 2 classes in the train labels");
    CachedProbe probe = cached_linear_probe(probe_cache_dir_, train(), labels_, classes_, probe_options_, *backend_);
    head_ = std::move(probe.head);
    const ProbeReport& report = probe.report;
    if (!probe.trained) probe_read_from_ = probe.file;
    if (!probe.write_error.empty()) warn("the linear probe could not be cached: " + probe.write_error);
    if (!report.converged) {
      warn("linear probe stopped after " + std::to_string(report.iterations) + " L-BFGS iterations with gradient norm " +
           std::to_string(report.gradient_norm) + " (tolerance " + std::to_string(probe_options_.gradient_tolerance) +
           ")");
    }
  }
  return *head_;
}

const Matrix<double>& FitContext::train_logits() {
  if (!train_logits_) train_logits_ = head().logits(train(), *backend_);
  return *train_logits_;
}

const std::vector<double>& FitContext::train_mean() {
  if (!train_mean_) {
    std::vector<double> mean(dims());
    const Matrix<float>& x = train();
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < dims(); ++j) mean[j] += x(i, j);
    for (double& m : mean) m /= static_cast<double>(x.rows);
    train_mean_ = std::move(mean);
  }
  return *train_mean_;
}

const Matrix<double>& FitContext::class_means() {
  if (!class_means_) {
    if (classes_ < 2) {
      throw InputError("class-conditional statistics need at least 2 classes in the train labels, found " +
                       std::to_string(classes_));
    }
    Matrix<double> means(classes_, dims());
    std::vector<double> counts(classes_);
    const Matrix<float>& x = train();
    for (std::size_t i = 0; i < x.rows; ++i) {
      const auto c = static_cast<std::size_t>(labels_[i]);
      counts[c] += 1;
      for (std::size_t j = 0; j < dims(); ++j) means(c, j) += x(i, j);
    }
    for (std::size_t c = 0; c < classes_; ++c)
      for (std::size_t j = 0; j < dims(); ++j) means(c, j) /= counts[c];
    class_means_ = std::move(means);
  }
  return *class_means_;
}

void FitContext::warn_if_singular(const CovarianceFit& fit, const char* what) {
  double trace = 0;  // a covariance is positive semi-definite: a zero trace makes it zero
  for (std::size_t j = 0; j < fit.matrix.rows; ++j) trace += fit.matrix(j, j);
  if (trace == 0) {
    warn(std::string(what) + " is zero: the train features do not vary around their means, so every distance it "
         "measures is 0 and every test sample scores alike; check the features");
  } else if (fit.samples <= fit.matrix.rows) {
    warn(std::string(what) + " from " + std::to_string(fit.samples) + " samples in " +
         std::to_string(fit.matrix.rows) + " dimensions is singular; using its pseudo-inverse");
  }
}

const CovarianceFit& FitContext::class_covariance() {
  if (!class_covariance_) {
    class_covariance_ = fit_covariance(*backend_, train(), class_means(), labels_);
    warn_if_singular(*class_covariance_, "the class covariance");
  }
  return *class_covariance_;
}

const CovarianceFit& FitContext::global_covariance() {
  if (!global_covariance_) {
    const auto& mean = train_mean();
    Matrix<double> center(1, dims());
    center.data.assign(mean.begin(), mean.end());
    global_covariance_ = fit_covariance(*backend_, train(), center, {});
    warn_if_singular(*global_covariance_, "the global covariance");
  }
  return *global_covariance_;
}

const Matrix<float>& FitContext::normalized_train() {
  if (!normalized_train_) {
    normalized_train_ = normalize_rows(train());
    if (keep_resident_) normalized_train_resident_ = backend_->keep_resident(*normalized_train_);
  }
  return *normalized_train_;
}

Matrix<float> normalize_rows(const Matrix<float>& x) {
  Matrix<float> out(x.rows, x.cols);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
  for (std::size_t i = 0; i < x.rows; ++i) {
    // The squared norm as float32 (the numbers of every earlier run); where that overflows (features near 1e19 and
    // up), in float64, so that a row of finite features is normalised, never divided by Inf into zeros.
    double squared = squared_norm(x.row(i), x.cols);
    if (!std::isfinite(squared)) {
      squared = 0;
      for (std::size_t j = 0; j < x.cols; ++j) squared += static_cast<double>(x(i, j)) * x(i, j);
    }
    const double norm = std::max(std::sqrt(squared), 1e-12);
    for (std::size_t j = 0; j < x.cols; ++j) out(i, j) = static_cast<float>(x(i, j) / norm);
  }
  return out;
}

void FitContext::SharedFit::throw_type_mismatch(const std::string& key, std::type_index asked) const {
  throw std::logic_error(std::string("internal error: the shared fit '") + key + "' was made as " + type_.name() +
                         " but asked for as " + asked.name());
}

namespace {
std::string autoencoder_key(const AutoencoderConfig& config) { return "autoencoder " + config.key(); }
}  // namespace

const Autoencoder& FitContext::autoencoder(const AutoencoderConfig& config) {
  const std::string key = autoencoder_key(config);
  if (auto it = shared_.find(key); it != shared_.end()) return it->second.get<Autoencoder>(key);
  std::vector<AutoencoderConfig> batch = {config};
  std::set<std::string> keys = {key};
  const std::string group = config.seedless().key();
  // At most one group's worth of seeds (autoencoder_group_size): the rest train when asked for, a group at a time.
  const std::size_t most = autoencoder_group_size(train_rows(), dims(), config);
  std::vector<AutoencoderConfig> later;
  for (const AutoencoderConfig& c : expected_autoencoders_) {
    const std::string k = autoencoder_key(c);
    if (shared_.count(k) || keys.count(k)) continue;  // trained already, or already in this batch
    if (c.seedless().key() == group && batch.size() < most) {
      batch.push_back(c);
      keys.insert(k);
    } else {
      later.push_back(c);
    }
  }
  std::vector<Autoencoder> trained = train_autoencoders(train(), validation(), batch, *backend_);
  expected_autoencoders_ = std::move(later);
  for (std::size_t i = 0; i < batch.size(); ++i)
    shared_.emplace(autoencoder_key(batch[i]), SharedFit::of<Autoencoder>(std::move(trained[i])));
  return shared_.at(key).get<Autoencoder>(key);
}

void FitContext::expect_autoencoders(std::span<const AutoencoderConfig> configs) {
  expected_autoencoders_.insert(expected_autoencoders_.end(), configs.begin(), configs.end());
}

}  // namespace oodbench

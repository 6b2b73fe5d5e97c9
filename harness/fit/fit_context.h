// What detectors are fitted from: the ID training data, the backend, and the statistics several detectors share
// (linear head, class means, covariances, normalised features, train logits). Each shared fit is computed on first
// use and then reused by every detector fitted from the same context.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "harness/fit/autoencoder_fit.h"
#include "harness/fit/covariance.h"
#include "harness/fit/linear_head.h"
#include "harness/fit/probe_cache.h"
#include "kernels/backend.h"

namespace oodbench {

/// ID train features read only when a fit first needs them, their shape known up front (from a .npy header): a
/// detector that uses only a supplied head never reads them.
struct DeferredFeatures {
  std::size_t rows = 0, cols = 0;
  std::function<Matrix<float>()> read;  ///< must return rows x cols
};

class FitContext {
 public:
  /// `labels` may be empty (label-free detectors only). Labels must be 0..C-1 with every class present, where C is
  /// the supplied head's class count or max(label) + 1; anything else is an InputError (no silent remapping).
  FitContext(const Backend& backend, Matrix<float> train, std::vector<std::int32_t> labels,
             std::optional<LinearHead> head = std::nullopt, ProbeOptions probe_options = {});
  /// The same with train features read on first use.
  FitContext(const Backend& backend, DeferredFeatures train, std::vector<std::int32_t> labels,
             std::optional<LinearHead> head = std::nullopt, ProbeOptions probe_options = {});

  const Backend& backend() const { return *backend_; }
  /// The train features, read now if they were deferred and this is the first use.
  const Matrix<float>& train() const;
  std::size_t dims() const { return train_source_.cols; }
  /// The train rows' count, known without reading them when they are deferred.
  std::size_t train_rows() const { return train_source_.rows; }
  bool has_labels() const { return !labels_.empty(); }
  bool has_supplied_head() const { return supplied_head_; }
  /// The supplied head, or nullptr (never trains the probe, unlike head()).
  const LinearHead* supplied_head() const { return supplied_head_ ? &*head_ : nullptr; }
  const std::vector<std::int32_t>& labels() const { return labels_; }
  std::size_t classes() const { return classes_; }

  /// The supplied head, or the probe trained on the labels (once), or read from the probe cache when one is set.
  const LinearHead& head();
  /// Keep the probe in `dir` (probe_cache.h), e.g. a sweep's OUT/cache; empty: train it without a cache.
  void set_probe_cache(std::string dir) { probe_cache_dir_ = std::move(dir); }
  /// Set once head() has read the probe from the cache: the file it came from.
  const std::string& probe_read_from() const { return probe_read_from_; }
  /// Logits of the ID train features under head().
  const Matrix<double>& train_logits();
  /// Mean of the ID train features (D).
  const std::vector<double>& train_mean();
  /// Class means (C x D, float64). Needs labels and at least two classes.
  const Matrix<double>& class_means();
  /// Shared within-class covariance (1/N) Σ_c Σ_{y_i = c} (x_i - μ_c)(x_i - μ_c)ᵀ.
  const CovarianceFit& class_covariance();
  /// Covariance of all ID train features around their mean.
  const CovarianceFit& global_covariance();
  /// Train rows scaled to unit L2 norm (norm floored at 1e-12).
  const Matrix<float>& normalized_train();

  /// Keeps the train rows (once read, where deferred), the validation rows and, once made, normalized_train() on the
  /// backend's device for as long as this context lives (Backend::keep_resident), so that every detector fitted or
  /// scored from it reads them there instead of uploading them again. A CPU backend keeps nothing; the results are
  /// the same either way.
  void keep_resident();

  /// ID validation features (optional; early stopping and validation-split fits need them) and, optionally, their
  /// class labels (0..C-1 of the train classes; checked against the rows and the class count).
  void set_validation(Matrix<float> validation, std::vector<std::int32_t> labels = {});
  const Matrix<float>* validation() const { return validation_ ? &*validation_ : nullptr; }
  /// Labels of the validation rows; empty when none were given.
  const std::vector<std::int32_t>& validation_labels() const { return validation_labels_; }

  /// A fit shared by every detector asking with the same `key` (e.g. one trained autoencoder for MaRS and AE-L2):
  /// made by `make()` on first use, then reused. A key holds one type: asking for it as another T is a bug in the
  /// caller, a std::logic_error naming the key, never a misread.
  template <class T, class Make>
  const T& shared(const std::string& key, Make make) {
    auto it = shared_.find(key);
    if (it == shared_.end()) it = shared_.emplace(key, SharedFit::of<T>(make())).first;
    return it->second.get<T>(key);
  }

  /// The autoencoder `config` describes, trained once and shared by every detector asking for it. Training it also
  /// trains the announced configs (expect_autoencoders) that differ from it in the seed only, in one batch of at most
  /// autoencoder_group_size seeds (the others train with a later request).
  const Autoencoder& autoencoder(const AutoencoderConfig& config);
  /// Announces autoencoders that detectors fitted from this context will ask for (a sweep's seeds of one dataset),
  /// so that the first request trains them all together; a detector needs to know nothing of the others.
  void expect_autoencoders(std::span<const AutoencoderConfig> configs);

  /// Warnings for the user (singular covariance, probe not converged), kept with the fit: front ends report them
  /// through io/diagnostics.h's warn() with the detector's name, and a sweep keeps them in the record too.
  void warn(std::string message) { warnings_.push_back(std::move(message)); }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void warn_if_singular(const CovarianceFit& fit, const char* what);
  void check_inputs(std::optional<LinearHead> head);

  const Backend* backend_;
  mutable std::optional<Matrix<float>> train_;
  DeferredFeatures train_source_;  // the train rows' shape, and while deferred how to read them
  std::vector<std::int32_t> labels_;
  std::size_t classes_ = 0;
  bool supplied_head_ = false;
  ProbeOptions probe_options_;
  std::string probe_cache_dir_;
  std::string probe_read_from_;
  std::optional<LinearHead> head_;
  std::optional<Matrix<double>> train_logits_;
  std::optional<std::vector<double>> train_mean_;
  std::optional<Matrix<double>> class_means_;
  std::optional<CovarianceFit> class_covariance_;
  std::optional<CovarianceFit> global_covariance_;
  std::optional<Matrix<float>> normalized_train_;
  std::optional<Matrix<float>> validation_;
  std::vector<std::int32_t> validation_labels_;
  /// One shared fit and the type it was made as, checked on every read.
  class SharedFit {
   public:
    template <class T>
    static SharedFit of(T value) { return SharedFit(std::make_shared<const T>(std::move(value)), typeid(T)); }
    template <class T>
    const T& get(const std::string& key) const {
      if (type_ != typeid(T)) throw_type_mismatch(key, typeid(T));
      return *static_cast<const T*>(value_.get());
    }

   private:
    SharedFit(std::shared_ptr<const void> value, std::type_index type) : value_(std::move(value)), type_(type) {}
    [[noreturn]] void throw_type_mismatch(const std::string& key, std::type_index asked) const;
    std::shared_ptr<const void> value_;
    std::type_index type_;
  };
  std::map<std::string, SharedFit> shared_;
  std::vector<AutoencoderConfig> expected_autoencoders_;
  std::vector<std::string> warnings_;
  // Last, so that they go before the arrays they keep on the device (Backend::keep_resident's promise).
  bool keep_resident_ = false;
  mutable ResidentHandle train_resident_;  // set by train() when it reads deferred rows
  ResidentHandle validation_resident_, normalized_train_resident_;
};

/// Rows of `x` scaled to unit L2 norm (norm floored at 1e-12), as the kNN detector needs for train and test alike.
Matrix<float> normalize_rows(const Matrix<float>& x);

}  // namespace oodbench

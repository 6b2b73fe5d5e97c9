#include "harness/fit/fit_assembly.h"

#include "harness/fit/class_labels.h"
#include "harness/io/array_convert.h"

namespace oodbench {
namespace {

/// Runs `check`, rethrowing an InputError as a FitInputError naming `input` (its message unchanged).
template <class Check>
void as_fault_of(FitInput input, Check check) {
  try {
    check();
  } catch (const FitInputError&) {
    throw;
  } catch (const InputError& e) {
    throw FitInputError(input, e.what());
  }
}

}  // namespace

void FitAssembly::train(Matrix<float> features) { train_ = std::move(features); }
void FitAssembly::train(DeferredFeatures features) { train_ = std::move(features); }

std::size_t FitAssembly::rows() const {
  if (const auto* read = std::get_if<Matrix<float>>(&train_)) return read->rows;
  return std::get<DeferredFeatures>(train_).rows;
}

std::size_t FitAssembly::dims() const {
  if (const auto* read = std::get_if<Matrix<float>>(&train_)) return read->cols;
  return std::get<DeferredFeatures>(train_).cols;
}

void FitAssembly::labels(std::vector<std::int32_t> labels) {
  as_fault_of(FitInput::labels, [&] { check_same_rows(rows(), wording_.train, labels, wording_.labels); });
  labels_ = std::move(labels);
}

void FitAssembly::check_classes(const std::string& source, const std::string& remap_option) {
  if (labels_.empty()) return;
  as_fault_of(FitInput::labels,
              [&] { check_class_labels(labels_, head_ ? head_->classes() : 0, source, remap_option); });
}

void FitAssembly::val(Matrix<float> features) {
  as_fault_of(FitInput::val, [&] { check_same_width(features, wording_.val, dims(), wording_.train); });
  val_ = std::move(features);
}

void FitAssembly::val_labels(std::vector<std::int32_t> labels) {
  if (!labels.empty() && val_)
    as_fault_of(FitInput::val_labels, [&] { check_same_rows(*val_, wording_.val, labels, wording_.val_labels); });
  val_labels_ = std::move(labels);
}

FitContext FitAssembly::finish(const Backend& backend) {
  const FitInput refused = labels_.empty() ? FitInput::head : FitInput::labels;
  std::optional<FitContext> ctx;
  as_fault_of(refused, [&] {
    if (auto* read = std::get_if<Matrix<float>>(&train_))
      ctx.emplace(backend, std::move(*read), std::move(labels_), std::move(head_));
    else
      ctx.emplace(backend, std::move(std::get<DeferredFeatures>(train_)), std::move(labels_), std::move(head_));
  });
  if (val_) as_fault_of(FitInput::val_labels, [&] { ctx->set_validation(std::move(*val_), std::move(val_labels_)); });
  return std::move(*ctx);
}

}  // namespace oodbench

#include "harness/cli/fit_inputs.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness/detectors/detector.h"
#include "harness/fit/class_labels.h"
#include "harness/fit/fit_assembly.h"
#include "harness/io/diagnostics.h"
#include "harness/io/feature_reader.h"
#include "harness/io/head_arrays.h"
#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// Where `score`, `fit`, `explain` and `diagnose` keep the probe: $OODBENCH_CACHE_DIR (set but empty: nowhere), else
/// $XDG_CACHE_HOME/oodbench, else ~/.cache/oodbench.
std::string probe_cache_dir() {
  if (const char* dir = std::getenv("OODBENCH_CACHE_DIR")) return dir;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && std::filesystem::path(xdg).is_absolute()) return (std::filesystem::path(xdg) / "oodbench").string();
  const char* home = std::getenv("HOME");
  if (home && *home) return (std::filesystem::path(home) / ".cache" / "oodbench").string();
  return "";
}

}  // namespace

void FitInputs::add_options(CLI::App* cmd, bool required) {
  cmd->add_option("--detector", detector, "Detector name (see `oodbench detectors`); `score` also takes all")
      ->required(required);
  cmd->add_option("--param", params, "Detector parameter key=value (repeatable), e.g. --param k=10")
      ->allow_extra_args(false);
  cmd->add_option("--train", train,
                  "ID train features, 2-D float: .npy, file.npz:key, file.h5:/dataset, file.safetensors:tensor, "
                  "file.csv[:columns], or shards as a glob (train/*.npy)")
      ->required(required);
  cmd->add_option("--train-labels", train_labels, "ID train labels 0..C-1 (any integer type), as for --train");
  cmd->add_flag("--remap-labels", remap_labels,
                "Map any integer or string train labels to 0..C-1 in sorted order (the mapping is printed)");
  cmd->add_option("--head", head, "Linear head weights W (C x D); skips training the probe");
  cmd->add_option("--bias", bias, "Linear head bias b (C)");
  cmd->add_option("--val", validation,
                  "ID validation features (early stopping, residual_split=val, and detectors whose reference fits on "
                  "ID val)");
  cmd->add_option("--val-labels", validation_labels, "ID validation labels, mapped like --train-labels (tempscale)");
  cmd->add_flag("--no-cache", no_cache,
                "Train the linear probe even when the probe cache ($OODBENCH_CACHE_DIR, else ~/.cache/oodbench; "
                "OODBENCH_CACHE_DIR= turns it off) has it, and do not store it there");
}

std::vector<std::string> FitInputs::given() const {
  std::vector<std::string> out;
  const std::pair<const char*, bool> options[] = {
      {"--detector", !detector.empty()},         {"--param", !params.empty()}, {"--train", !train.empty()},
      {"--train-labels", !train_labels.empty()}, {"--head", !head.empty()},    {"--bias", !bias.empty()},
      {"--val", !validation.empty()},            {"--val-labels", !validation_labels.empty()}};
  for (const auto& [name, set] : options)
    if (set) out.emplace_back(name);
  return out;
}

std::vector<std::string> FitInputs::input_specs() const {
  std::vector<std::string> specs;
  for (const std::string* spec : {&train, &train_labels, &head, &bias, &validation, &validation_labels})
    if (!spec->empty()) specs.push_back(*spec);
  return specs;
}

nlohmann::json FitInputs::params_json() const { return parse_param_assignments(params, "--param"); }

FitContext FitInputs::load(const Backend& backend) const {
  if (head.empty() != bias.empty()) throw InputError("--head and --bias go together");
  if (remap_labels && train_labels.empty()) throw InputError("--remap-labels needs --train-labels");
  if (!validation_labels.empty() && validation.empty()) throw InputError("--val-labels needs --val");
  FitAssembly fit({.train = train, .labels = train_labels, .val = validation, .val_labels = validation_labels});
  // With a supplied head, a .npy train file is read only when the detector uses it (MSP, Energy... use only the
  // head): its shape comes from the header. Everything else is read now.
  std::optional<std::pair<std::size_t, std::size_t>> deferred_shape;
  if (const ArraySpec parts = split_array_spec(train); !head.empty() && !parts.glob && parts.format == ArrayFormat::npy)
    deferred_shape = npy_features_shape(parts.path);
  if (deferred_shape)
    fit.train(DeferredFeatures{deferred_shape->first, deferred_shape->second, [spec = train] {
                                 return load_features(spec);
                               }});
  else
    fit.train(load_features(train));
  nlohmann::json label_map;
  if (!train_labels.empty()) {
    ClassLabels loaded = load_class_labels(train_labels, remap_labels, kRemapLabelsFlag);
    label_map = std::move(loaded.map);
    fit.labels(std::move(loaded.labels));
    if (!label_map.is_null())
      inform(ClassLabels::remapped_note(label_map, "train labels"));
  }
  if (!head.empty()) {
    Matrix<float> weights = load_head_weights(head, fit.dims());
    std::vector<float> b = load_head_bias(bias, weights.rows, head);
    fit.head(LinearHead{std::move(weights), std::move(b)});
  }
  fit.check_classes(train_labels, kRemapLabelsFlag);  // here, so that a fault names the labels' file
  if (!validation.empty()) {
    fit.val(load_features(validation));
    if (!validation_labels.empty())
      fit.val_labels(load_labels_like_train(validation_labels, label_map, kRemapLabelsFlag));
  }
  try {
    FitContext ctx = fit.finish(backend);
    if (!no_cache) ctx.set_probe_cache(probe_cache_dir());
    return ctx;
  } catch (const FitInputError& e) {
    if (e.input() == FitInput::val_labels) throw InputError(validation_labels + ": " + e.what());
    throw;
  }
}

void FitInputs::print_notes(const FitContext& ctx, const std::string& detector) {
  print_warnings(ctx, detector);
  print_probe_note(ctx);
}

std::size_t FitInputs::print_warnings(const FitContext& ctx, const std::string& detector, std::size_t from) {
  for (std::size_t w = from; w < ctx.warnings().size(); ++w)
    warn(detector + ": " + ctx.warnings()[w]);
  return ctx.warnings().size();
}

void FitInputs::print_probe_note(const FitContext& ctx) {
  if (!ctx.probe_read_from().empty())
    std::cerr << "oodbench: linear probe read from the cache " << ctx.probe_read_from() << " (--no-cache trains it)\n";
}

Matrix<float> FitInputs::load_test(const std::string& spec, std::size_t train_cols) const {
  Matrix<float> t = load_features(spec);
  check_same_width(t, spec, train_cols, train);
  return t;
}

}  // namespace oodbench

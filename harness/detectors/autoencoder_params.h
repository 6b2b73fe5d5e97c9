// The autoencoder parameters that MaRS and AE-L2 share, declared once, and the shared trained autoencoder.
#pragma once

#include "harness/detectors/detector.h"
#include "harness/fit/autoencoder_fit.h"
#include "harness/io/npz.h"
#include "kernels/error.h"

namespace oodbench {

inline std::vector<ParamSpec> autoencoder_params() {
  return {{"hidden", 0, "hidden width h; 0 means D / 2", {}},
          {"bottleneck", 0, "bottleneck width b; 0 means min(128, D / 4)", {}},
          {"epochs", 50, "training epochs", {}},
          {"batch", 256, "mini-batch size", {}},
          {"lr", 1e-3, "Adam learning rate (betas 0.9/0.999, eps 1e-8)", {}},
          {"weight_decay", 0.0, "Adam weight decay", {}},
          {"seed", 0, "seed of the initial weights and the epoch shuffles", {}},
          {"preprocessing", "raw", "input preprocessing: raw, standardize (ID train mean/std) or l2",
           {"raw", "standardize", "l2"}},
          {"patience", 0, "early stopping on ID val: epochs without improvement; 0 = off", {}},
          {"weights_out", "", "if set, write the trained weights (w0..w3, b0..b3) to this .npz", {}}};
}

/// The autoencoder config these parameters describe (InputError for a negative width, count or seed).
inline AutoencoderConfig autoencoder_config(const Params& p) {
  AutoencoderConfig config;
  auto non_negative = [&](const char* name) {
    const std::int64_t v = p.integer(name);
    if (v < 0) throw InputError(std::string(name) + " must be >= 0, got " + std::to_string(v));
    return static_cast<std::size_t>(v);
  };
  config.hidden = non_negative("hidden");
  config.bottleneck = non_negative("bottleneck");
  config.epochs = non_negative("epochs");
  config.batch = non_negative("batch");
  config.seed = non_negative("seed");
  config.patience = non_negative("patience");
  config.adam.lr = p.number("lr");
  config.adam.weight_decay = p.number("weight_decay");
  const std::string prep = p.text("preprocessing");
  config.preprocessing = prep == "standardize" ? Preprocessing::standardize
                         : prep == "l2"        ? Preprocessing::l2
                                               : Preprocessing::raw;
  return config;
}

/// The parameter values of an autoencoder detector that need ID validation features: early stopping.
inline std::vector<std::string> autoencoder_needs_validation(const nlohmann::json& p) {
  if (p.value("patience", 0) > 0) return {"early stopping (patience > 0)"};
  return {};
}

/// The autoencoder these parameters describe, trained once per FitContext and shared between detectors.
inline const Autoencoder& fitted_autoencoder(FitContext& ctx, const Params& p) {
  const Autoencoder& ae = ctx.autoencoder(autoencoder_config(p));
  if (!p.text("weights_out").empty()) write_npz(p.text("weights_out"), encode_params(ae.params));
  return ae;
}

}  // namespace oodbench

// Fitted detectors as files, so that scoring needs no refit: a .oodb is an .npz archive (numpy.load reads it) of
// `model.json` (UTF-8 JSON as a 1-D uint8 array: format, versions, detector, parameters, training provenance and the
// dtype and shape of every state field) and one array `state/<field>` per field of the detector's state()
// (docs/methods.md#model-files). A file from another format or numbers version is refused, never reinterpreted.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/detectors/detector.h"

namespace oodbench {

inline constexpr const char* kModelFormat = "oodbench-model";
/// Bumped when the layout of a .oodb changes (model.json's keys, member names, a detector's state fields). 2: the
/// hash of model.json and the state together, and the train and val row counts the parameter limits are checked on.
inline constexpr int kModelFormatVersion = 2;

/// What a detector was fitted on, recorded in its model file.
struct TrainProvenance {
  std::string train_hash;  ///< one content hash of every training input (content_hash.h)
  std::size_t dims = 0;
  std::size_t classes = 0;  ///< 0 for label-free fits without a head
  std::size_t train_rows = 0;
  std::size_t val_rows = 0;  ///< 0 without ID validation features
};

/// The provenance of a context: a hash of the train features, labels, supplied head and validation features (those
/// present; a probe is determined by features and labels), its width and class count. Never trains the probe.
TrainProvenance provenance_of(const FitContext& ctx);

/// Writes `detector`, fitted as `entry` with `params` (resolved again here, so the file holds every default), to
/// `path` atomically. Failures are InputErrors naming the path; nothing is left behind.
void save_model(const std::string& path, const DetectorEntry& entry, const nlohmann::json& params, Detector& detector,
                const TrainProvenance& provenance);

struct LoadedModel {
  const DetectorEntry* entry;
  nlohmann::json params;  ///< resolved
  std::unique_ptr<Detector> detector;
  nlohmann::json meta;  ///< model.json as written
  std::size_t dims;     ///< the width of the features it was fitted on, and the only one it scores
  TrainProvenance provenance;
};

/// How a front end words model-file faults for its user, so this layer names no command-line option or Python call.
struct ModelWording {
  std::string reader;  ///< what is given a model file (an option, a function)
  std::string writer;  ///< what writes one
  /// How to fit `detector` (empty when model.json does not name one) and save it to `path` again.
  std::function<std::string(const std::string& detector, const std::string& path)> refit;
  /// How to fit a detector and save it, for a user who gave an array instead of a model.
  std::string first_save;
};

/// Reads a model written by save_model. Anything but a readable model of this format and numbers version (a corrupt
/// or truncated archive, another version, an unknown detector, a missing or ill-shaped field, a NaN or Inf in the
/// state, a parameter outside what the data it was fitted on allows, or model.json and the arrays edited since they
/// were saved: they are hashed together) is an InputError naming the file, what was expected, what was found, and to
/// refit with this oodbench, in the front end's `wording`. A .npy array is not a model, and the message says so
/// without suggesting to save over it.
LoadedModel load_model(const std::string& path, const ModelWording& wording);

/// Refuses features whose width is not the model's, naming both widths and both files.
void check_model_width(const LoadedModel& model, const std::string& model_path, std::size_t cols,
                       const std::string& features_source);

}  // namespace oodbench

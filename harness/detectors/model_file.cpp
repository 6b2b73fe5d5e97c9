#include "harness/detectors/model_file.h"

#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <span>

#include "harness/detectors/detector_state.h"
#include "harness/io/content_hash.h"
#include "harness/io/npz.h"
#include "harness/io/unique_keys.h"
#include "harness/numbers_version.h"
#include "harness/version.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

constexpr const char* kMetaMember = "model.json";
constexpr const char* kStatePrefix = "state/";

/// What to do about a model this oodbench cannot use, naming its detector where model.json says it.
std::string remedy(const std::string& path, const ModelWording& wording, const nlohmann::json& meta = nullptr) {
  const bool named = meta.is_object() && meta.contains("detector") && meta["detector"].is_string();
  const std::string detector = named ? meta["detector"].get<std::string>() : "";
  return "refit with this oodbench (" + std::string(project_version()) + "): " + wording.refit(detector, path);
}

/// Whether `path` starts as a .npy file does: an array, which the user must not be told to save a model over.
bool is_npy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  return in.read(magic, sizeof magic) && std::string_view(magic, sizeof magic) == "\x93NUMPY";
}

/// Member `key` of the archive; a damaged member is an InputError saying to refit.
NpyArray read_member(const std::string& path, const std::string& key, const ModelWording& wording) {
  try {
    return load_npz_member(path, key);
  } catch (const FileSystemError&) {
    throw;  // the file system's reason, not damage
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + "; the model file is damaged: " + remedy(path, wording));
  }
}

/// model.json of `path`, checked to be this format's: an object naming the format, its version and the numbers
/// version this oodbench computes.
nlohmann::json read_meta(const std::string& path, const std::set<std::string>& keys, const ModelWording& wording) {
  if (!keys.contains(kMetaMember)) {
    const std::string found = join(keys);
    throw InputError(path + ": not an oodbench model: expected a '" + kMetaMember + "' member, found the arrays (" +
                     (found.empty() ? "none" : found) + "); give " + wording.reader + " a file written by " +
                     wording.writer);
  }
  const NpyArray raw = read_member(path, kMetaMember, wording);
  nlohmann::json meta = nlohmann::json::value_t::discarded;
  if (raw.dtype == DType::uint8 && raw.shape.size() == 1) {
    try {
      meta = parse_unique_keys(std::string_view(reinterpret_cast<const char*>(raw.bytes.data()), raw.bytes.size()));
    } catch (const DuplicateJsonKey& e) {
      throw InputError(path + ": model.json " + e.pointer() + ": duplicate key (which value holds is ambiguous); " +
                       remedy(path, wording));
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (meta.is_discarded() || !meta.is_object()) {
    throw InputError(path + ": '" + kMetaMember +
                     "' is not a JSON object (expected UTF-8 JSON as a 1-D uint8 array); " + remedy(path, wording));
  }
  const auto mismatch = [&](const char* key, const nlohmann::json& expected) {
    const nlohmann::json found = meta.contains(key) ? meta[key] : nlohmann::json("nothing");
    throw InputError(path + ": model.json " + key + ": expected " + expected.dump() + ", found " + found.dump() +
                     " (written by oodbench " + meta.value("oodbench_version", std::string("?")) + "); " +
                     remedy(path, wording, meta));
  };
  if (meta.value("format", nlohmann::json()) != kModelFormat) mismatch("format", kModelFormat);
  if (meta.value("format_version", nlohmann::json()) != kModelFormatVersion)
    mismatch("format_version", kModelFormatVersion);
  if (meta.value("numbers_version", nlohmann::json()) != kNumbersVersion) mismatch("numbers_version", kNumbersVersion);
  const auto require = [&](const char* key, bool ok, const char* expected) {
    if (!ok) {
      const nlohmann::json found = meta.contains(key) ? meta[key] : nlohmann::json("nothing");
      throw InputError(path + ": model.json " + key + ": expected " + expected + ", found " + found.dump() + "; " +
                       remedy(path, wording, meta));
    }
  };
  require("detector", meta.contains("detector") && meta["detector"].is_string(), "a detector name");
  require("params", meta.contains("params") && meta["params"].is_object(), "an object of parameters");
  require("dims", meta.contains("dims") && meta["dims"].is_number_unsigned() && meta["dims"] > 0, "a width >= 1");
  require("state", meta.contains("state") && meta["state"].is_object(), "an object of state fields");
  for (const char* rows : {"train_rows", "val_rows"})
    require(rows, meta.contains(rows) && meta[rows].is_number_unsigned(), "a row count >= 0");
  return meta;
}

/// The hash of one state array: its dtype, shape and data.
std::string array_hash(const NpyArray& a) {
  const auto data = a.data();
  return std::string(dtype_name(a.dtype)) + " " + nlohmann::json(a.shape).dump() + " " +
         content_hash(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

/// The hash saved in model.json: of model.json itself (without "hash") and of every state array, so that neither can
/// be edited, alone or together, without the file being refused.
std::string model_hash(nlohmann::json meta, const std::map<std::string, std::string>& arrays) {
  meta.erase("hash");
  std::string text = meta.dump() + "\n";
  for (const auto& [name, hash] : arrays) text += name + " " + hash + "\n";
  return content_hash(std::string_view(text));
}

/// The reader of a loading StateIO: `state/<name>` of the archive, with the shape model.json lists for it.
StateIO::Reader state_reader(const std::string& path, const std::set<std::string>& keys, const nlohmann::json& meta,
                             const ModelWording& wording, std::map<std::string, std::string>& hashes) {
  return [&path, &keys, &meta, &wording, &hashes](const std::string& name) {
    const nlohmann::json& listed = meta["state"];
    const std::string key = kStatePrefix + name;
    if (!listed.contains(name) || !keys.contains(key)) {
      throw InputError(path + ": state field '" + name + "' of detector '" + meta["detector"].get<std::string>() +
                       "' is missing (" + (keys.contains(key) ? "not listed in model.json" : "no member " + key) +
                       "); " + remedy(path, wording, meta));
    }
    NpyArray a = read_member(path, key, wording);
    const nlohmann::json shape = a.shape;
    const nlohmann::json& layout = listed[name];
    const nlohmann::json expected = layout.is_object() ? layout.value("shape", nlohmann::json()) : nlohmann::json();
    if (expected != shape) {
      throw InputError(path + ": state field '" + name + "': expected shape " + expected.dump() +
                       " (as model.json lists it), found " + shape.dump() + "; " + remedy(path, wording, meta));
    }
    hashes[name] = array_hash(a);
    return a;
  };
}

}  // namespace

TrainProvenance provenance_of(const FitContext& ctx) {
  std::string inputs = "train " + content_hash(ctx.train());
  if (ctx.has_labels()) inputs += "\nlabels " + content_hash(ctx.labels());
  if (const LinearHead* head = ctx.supplied_head()) {
    Matrix<float> bias(1, head->bias.size());
    bias.data.assign(head->bias.begin(), head->bias.end());
    inputs += "\nhead " + content_hash(head->weight) + " " + content_hash(bias);
  }
  if (const Matrix<float>* val = ctx.validation()) inputs += "\nval " + content_hash(*val);
  if (!ctx.validation_labels().empty()) inputs += "\nval_labels " + content_hash(ctx.validation_labels());
  return {content_hash(std::string_view(inputs)), ctx.dims(), ctx.classes(), ctx.train_rows(),
          ctx.validation() ? ctx.validation()->rows : 0};
}

void save_model(const std::string& path, const DetectorEntry& entry, const nlohmann::json& params, Detector& detector,
                const TrainProvenance& provenance) {
  const Params resolved = Params::resolve(entry.info, params, path + ": params");
  StateIO io = StateIO::saver();
  detector.state(io);
  nlohmann::json state = nlohmann::json::object();
  for (const auto& [name, layout] : io.manifest()) state[name] = layout;
  const nlohmann::json meta = {{"format", kModelFormat},
                               {"format_version", kModelFormatVersion},
                               {"oodbench_version", project_version()},
                               {"numbers_version", kNumbersVersion},
                               {"detector", entry.info.name},
                               {"params", resolved.values()},
                               {"dims", provenance.dims},
                               {"classes", provenance.classes},
                               {"train_hash", provenance.train_hash},
                               {"train_rows", provenance.train_rows},
                               {"val_rows", provenance.val_rows},
                               {"state", state}};
  StateIO::Members arrays = io.take_members();
  std::map<std::string, std::string> hashes;
  for (const auto& [name, bytes] : arrays) hashes[name] = array_hash(parse_npy_in_place(bytes, nullptr, name));
  nlohmann::json hashed = meta;
  hashed["hash"] = model_hash(meta, hashes);
  const std::string text = hashed.dump(2);
  const std::size_t shape[1] = {text.size()};
  StateIO::Members members;
  members.emplace_back(kMetaMember,
                       encode_npy(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), shape));
  for (auto& [name, bytes] : arrays) members.emplace_back(kStatePrefix + name, std::move(bytes));
  write_npz(path, members, /*compress=*/false);  // stored: saving and loading at disk speed
}

namespace {

LoadedModel load_checked_model(const std::string& path, const ModelWording& wording) {
  std::set<std::string> keys;
  try {
    for (std::string& k : npz_keys(path)) keys.insert(std::move(k));
  } catch (const FileSystemError&) {
    throw;  // the file system's reason (permission denied, a loop of links), not damage
  } catch (const InputError& e) {
    if (is_npy_file(path)) {
      throw InputError(path + ": a NumPy array (.npy), not an oodbench model (.oodb); fit a detector and save it: " +
                       wording.first_save);
    }
    throw InputError(std::string(e.what()) + "; expected an oodbench model (.oodb) written by " + wording.writer +
                     "; if it was cut short or damaged, " + remedy(path, wording));
  }
  LoadedModel model{nullptr, nullptr, nullptr, read_meta(path, keys, wording), 0, {}};
  const nlohmann::json& meta = model.meta;
  const auto name = meta["detector"].get<std::string>();
  model.dims = meta["dims"].get<std::size_t>();
  model.provenance = {meta.value("train_hash", ""), model.dims, meta.value("classes", std::size_t{0}),
                      meta.value("train_rows", std::size_t{0}), meta.value("val_rows", std::size_t{0})};
  try {
    model.entry = &find_detector(name);
    const Params params = Params::resolve(model.entry->info, meta["params"], "params");
    model.params = params.values();
    // What the data it was fitted on allows (k <= train rows...), as a fit checks it: never "internal error".
    if (model.entry->info.limits) {
      const DataShape shape{model.provenance.train_rows, model.dims, model.provenance.val_rows};
      if (const auto limits = model.entry->info.limits(params, shape); !limits.empty())
        throw InputError("params/" + limits.front().param + ": " + name + ": " + limits.front().why);
    }
    model.detector = model.entry->make(params);
  } catch (const InputError& e) {  // another oodbench's detector or parameters
    throw InputError(path + ": model.json: " + e.what() + "; " + remedy(path, wording, meta));
  }
  const nlohmann::json& listed = meta["state"];
  std::map<std::string, std::string> hashes;
  StateIO io = StateIO::loader(state_reader(path, keys, meta, wording, hashes), path, remedy(path, wording, meta));
  model.detector->state(io);
  for (const auto& [field, layout] : listed.items()) {
    if (!io.manifest().contains(field)) {
      throw InputError(path + ": state field '" + field + "' is not one detector '" + name +
                       "' has (written by another oodbench build?); " + remedy(path, wording, model.meta));
    }
  }
  if (meta.value("hash", nlohmann::json()) != model_hash(meta, hashes))
    throw InputError(path + ": model.json and the state arrays are not what was saved (they are hashed together, "
                     "and the hash in model.json does not match them): the file was edited or damaged after it was "
                     "saved; " + remedy(path, wording, meta));
  return model;
}

}  // namespace

LoadedModel load_model(const std::string& path, const ModelWording& wording) {
  try {
    return load_checked_model(path, wording);
  } catch (const nlohmann::json::exception& e) {  // a value of model.json of another type than written
    throw InputError(path + ": model.json is malformed (" + e.what() + "); " + remedy(path, wording));
  }
}

void check_model_width(const LoadedModel& model, const std::string& model_path, std::size_t cols,
                       const std::string& features_source) {
  if (cols != model.dims) {
    throw InputError(features_source + ": " + std::to_string(cols) + " columns but the model " + model_path +
                     " was fitted on " + std::to_string(model.dims) + "-column features; score features of its width, "
                     "or fit a model on these");
  }
}

}  // namespace oodbench

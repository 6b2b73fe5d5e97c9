#include "harness/io/array_spec.h"

#include <cctype>
#include <cstring>
#include <filesystem>

#include "harness/io/shards.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

ArrayFormat format_of(const std::string& path) {
  const std::string ext = lowercase(std::filesystem::path(path).extension().string());
  if (ext == ".npy") return ArrayFormat::npy;
  if (ext == ".npz") return ArrayFormat::npz;
  if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf") return ArrayFormat::hdf5;
  if (ext == ".safetensors") return ArrayFormat::safetensors;
  if (ext == ".csv" || ext == ".tsv") return ArrayFormat::csv;
  return ArrayFormat::other;
}

/// Why a PyTorch file is not read, and the one-line conversion that works for what it may hold: with a key, the
/// tensor under that key of a dict checkpoint; without, a tensor (to .npy) or every tensor of a dict (to .npz, whose
/// keys then name them). Floating tensors become float32 (NumPy has no bfloat16); integer labels keep their type.
std::string torch_file_advice(const ArraySpec& parts) {
  namespace fs = std::filesystem;
  const std::string stem = fs::path(parts.path).replace_extension("").string();
  const std::string numpy = "n = lambda v: (v.float() if v.is_floating_point() else v).numpy(); ";
  const std::string load = "torch.load('" + parts.path + "', map_location='cpu')";
  std::string why = parts.path + ": a PyTorch pickle, which oodbench does not read (unpickling runs code); convert it "
                    "once: python3 -c \"import torch, numpy as np; " + numpy;
  if (!parts.key.empty()) {
    const std::string npy = stem + "_" + parts.key + ".npy";
    return why + "np.save('" + npy + "', n(" + load + "['" + parts.key + "']))\" and name " + npy +
           " (the checkpoint's keys: python3 -c \"import torch; print(list(" + load + "))\")";
  }
  return why + "t = " + load + "; np.savez('" + stem + ".npz', **{k: n(v) for k, v in t.items() if " +
         "torch.is_tensor(v)}) if isinstance(t, dict) else np.save('" + stem + ".npy', n(t))\", then name " + stem +
         ".npy (a tensor) or " + stem + ".npz:KEY (a dict checkpoint; python3 -c \"import numpy as np; print(np.load('" +
         stem + ".npz').files)\" lists its keys). A checkpoint of tensors can also be saved with " +
         "safetensors.torch.save_file and named file.safetensors:KEY";
}

}  // namespace

/// Refuses, before any parsing, a directory or a file of a format that is not read, saying how to get an array file.
void check_array_file(const ArraySpec& parts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!parts.glob && fs::is_directory(parts.path, ec))
    throw InputError(parts.path + " is a directory; name an array file (.npy, file.npz:key, file.h5:/dataset, " +
                     "file.safetensors:tensor, file.csv) or its shards (" + (fs::path(parts.path) / "*.npy").string() +
                     ")");
  if (parts.format != ArrayFormat::other) {
    if (parts.format == ArrayFormat::npy && !parts.key.empty())
      throw InputError(parts.path + ":" + parts.key + ": a .npy file holds one array; name it without ':" + parts.key +
                       "'");
    return;
  }
  const std::string ext = lowercase(fs::path(parts.path).extension().string());
  if (ext == ".pt" || ext == ".pth") throw InputError(torch_file_advice(parts));
  throw InputError(parts.path + ": " + (ext.empty() ? "no file extension" : "'" + ext + "' files are not read") +
                   "; oodbench reads .npy, .npz (file.npz:key), HDF5 (file.h5:/dataset), safetensors " +
                   "(file.safetensors:tensor) and CSV/TSV (file.csv, file.csv:col_a,col_b)");
}

ArraySpec split_array_spec(const std::string& spec) {
  // The file ends at the first keyed extension (.npz, .h5, .hdf5, .hdf, .safetensors, .csv, .tsv, .npy; .pt and .pth,
  // which are refused, but with the key's own conversion) followed by ':' or the end; what follows the ':' is the key.
  const std::string lower = lowercase(spec);
  std::size_t best = std::string::npos, best_end = 0;
  for (const char* ext : {".npz", ".h5", ".hdf5", ".hdf", ".safetensors", ".csv", ".tsv", ".npy", ".pt", ".pth"}) {
    const std::size_t n = std::strlen(ext);
    for (std::size_t at = lower.find(ext); at != std::string::npos; at = lower.find(ext, at + 1)) {
      const std::size_t end = at + n;
      if ((end == lower.size() || lower[end] == ':') && at < best) best = at, best_end = end;
    }
  }
  ArraySpec parts;
  if (best == std::string::npos) {
    parts.path = spec;
  } else {
    parts.path = spec.substr(0, best_end);
    if (best_end < spec.size()) parts.key = spec.substr(best_end + 1);
  }
  parts.format = format_of(parts.path);
  parts.glob = is_glob(parts.path);
  return parts;
}

}  // namespace oodbench

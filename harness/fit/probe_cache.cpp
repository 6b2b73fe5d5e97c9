#include "harness/fit/probe_cache.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>

#include "harness/io/content_hash.h"
#include "harness/io/npz.h"

namespace oodbench {
namespace {

/// Everything the head depends on, as text: stored in the file and compared on reading. A head trained on the GPU
/// is the same optimum as the CPU's but not the same bits, so it gets keys of its own ("device cuda"); the CPU's keys
/// are those of before the probe could run on a GPU, so their files still hit.
std::string cache_key(const Matrix<float>& features, const std::vector<std::int32_t>& labels, std::size_t classes,
                      const ProbeOptions& options, DeviceKind device) {
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "classes %zu\nc_reg %a\ngradient_tolerance %a\nmax_iterations %d\n", classes,
                options.c_reg, options.gradient_tolerance, options.max_iterations);
  return "oodbench linear probe\nsolver " +
         std::string(options.solver == ProbeSolver::plain ? "plain" : "preconditioned") + " " +
         std::to_string(kProbeSolverVersion) + "\nfeatures " + content_hash(features) + "\nlabels " +
         content_hash(labels) + "\n" + numbers + (device == DeviceKind::cuda ? "device cuda\n" : "");
}

template <class T>
bool holds(const NpyArray& a, DType dtype, std::size_t size) {
  return a.dtype == dtype && a.size() == size && a.data().size() == size * sizeof(T);
}

/// The head and report stored in `path` under `key`, or nothing when the file is missing, unreadable or not this
/// key's.
std::optional<std::pair<LinearHead, ProbeReport>> read_cached(const std::string& path, const std::string& key,
                                                              std::size_t classes, std::size_t dims) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    const NpyArray stored_key = load_npz_member(path, "key");
    if (!holds<std::uint8_t>(stored_key, DType::uint8, key.size()) ||
        std::memcmp(stored_key.data().data(), key.data(), key.size()) != 0)
      return std::nullopt;
    const NpyArray weight = load_npz_member(path, "weight");
    const NpyArray bias = load_npz_member(path, "bias");
    const NpyArray report = load_npz_member(path, "report");
    if (!holds<float>(weight, DType::float32, classes * dims) || weight.shape.size() != 2 || weight.shape[0] != classes ||
        !holds<float>(bias, DType::float32, classes) || !holds<double>(report, DType::float64, 4))
      return std::nullopt;
    LinearHead head{Matrix<float>(classes, dims), std::vector<float>(classes)};
    std::memcpy(head.weight.data.data(), weight.data().data(), weight.data().size());
    std::memcpy(head.bias.data(), bias.data().data(), bias.data().size());
    double r[4];
    std::memcpy(r, report.data().data(), sizeof r);
    return std::pair{std::move(head), ProbeReport{static_cast<int>(r[0]), r[1], r[2], r[3] != 0}};
  } catch (const std::exception&) {  // a truncated or foreign file: train again
    return std::nullopt;
  }
}

void write_cached(const std::string& dir, const std::string& path, const std::string& key, const LinearHead& head,
                  const ProbeReport& report) {
  std::filesystem::create_directories(dir);
  const std::size_t key_shape[] = {key.size()};
  const std::size_t weight_shape[] = {head.weight.rows, head.weight.cols};
  const std::size_t bias_shape[] = {head.bias.size()};
  const std::size_t report_shape[] = {4};
  const double r[] = {static_cast<double>(report.iterations), report.loss, report.gradient_norm,
                      report.converged ? 1.0 : 0.0};
  write_npz(path,
            {{"key", encode_npy(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()), key_shape)},
             {"weight", encode_npy(std::span<const float>(head.weight.data), weight_shape)},
             {"bias", encode_npy(std::span<const float>(head.bias), bias_shape)},
             {"report", encode_npy(std::span<const double>(r), report_shape)}},
            /*compress=*/false);
}

}  // namespace

CachedProbe cached_linear_probe(const std::string& dir, const Matrix<float>& features,
                                const std::vector<std::int32_t>& labels, std::size_t classes,
                                const ProbeOptions& options, const Backend& backend) {
  CachedProbe out;
  if (dir.empty()) {
    out.head = train_linear_probe(features, labels, classes, options, backend, &out.report);
    out.trained = true;
    return out;
  }
  const std::string key = cache_key(features, labels, classes, options, backend.kind());
  out.file = (std::filesystem::path(dir) / ("probe-" + content_hash(std::string_view(key)).substr(5) + ".npz")).string();
  if (auto cached = read_cached(out.file, key, classes, features.cols)) {
    out.head = std::move(cached->first);
    out.report = cached->second;
    return out;
  }
  out.head = train_linear_probe(features, labels, classes, options, backend, &out.report);
  out.trained = true;
  try {
    write_cached(dir, out.file, key, out.head, out.report);
  } catch (const std::exception& e) {
    out.write_error = e.what();
  }
  return out;
}

}  // namespace oodbench

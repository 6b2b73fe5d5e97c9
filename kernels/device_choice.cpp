#include "kernels/device_choice.h"

#include <charconv>

namespace oodbench {
namespace {

/// "90", "90-real", "120a-virtual", "100f"; false for anything else.
bool parse_entry(std::string_view text, CudaArchitecture& out) {
  out = {};
  out.sass = out.ptx = true;
  if (text.ends_with("-real")) {
    out.ptx = false;
    text.remove_suffix(5);
  } else if (text.ends_with("-virtual")) {
    out.sass = false;
    text.remove_suffix(8);
  }
  if (!text.empty() && (text.back() == 'a' || text.back() == 'f')) {
    out.variant = text.back();
    text.remove_suffix(1);
  }
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || number < 10) return false;
  out.major = number / 10;
  out.minor = number % 10;
  return true;
}

bool runs_on(const CudaArchitecture& a, int major, int minor, bool as_ptx) {
  if (a.variant == 'a') return a.major == major && a.minor == minor;
  if (a.variant == 'f' || !as_ptx) return a.major == major && a.minor <= minor;
  return a.major < major || (a.major == major && a.minor <= minor);
}

std::string capability(int major, int minor) { return std::to_string(major) + "." + std::to_string(minor); }

}  // namespace

BuildArchitectures parse_cuda_architectures(std::string_view list) {
  BuildArchitectures build;
  build.text = std::string(list);
  for (char& c : build.text)
    if (c == ';' || c == ',') c = ' ';
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find_first_of(";, ", start), list.size());
    if (end > start) {
      CudaArchitecture entry;
      if (parse_entry(list.substr(start, end - start), entry)) build.entries.push_back(entry);
      else build.known = false;  // native, all, all-major: CMake's words, not architectures
    }
    start = end + 1;
  }
  if (build.entries.empty()) build.known = false;
  return build;
}

GpuChoice choose_gpu(std::string_view name, int major, int minor, const BuildArchitectures& build) {
  if (!build.known) return {true, ""};  // CUDA decides at the first kernel
  for (const CudaArchitecture& a : build.entries)
    if ((a.sass && runs_on(a, major, minor, false)) || (a.ptx && runs_on(a, major, minor, true))) return {true, ""};
  return {false, "the GPU (" + std::string(name) + ") has compute capability " + capability(major, minor) +
                     ", which this build's GPU code does not cover (CUDA architectures " + build.text +
                     "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(major) + std::to_string(minor)};
}

}  // namespace oodbench

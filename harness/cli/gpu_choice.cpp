#include "harness/cli/gpu_choice.h"

#include <cstdlib>
#include <vector>

#include "kernels/error.h"

namespace oodbench {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    parts.push_back(text.substr(start, comma - start));
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

DeviceRequest restrict_to_gpu(const std::string& gpu, DeviceRequest request) {
  const bool digits = !gpu.empty() && gpu.size() <= 6 && gpu.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) throw InputError("--gpu: expected a GPU index (0, 1, ...), got '" + gpu + "'");
  if (request == DeviceRequest::cpu)
    throw InputError("--gpu " + gpu + " asks for a GPU but --device cpu for the CPU; drop one of them");
  const std::size_t index = std::stoul(gpu);
  std::string chosen = std::to_string(index);
  // Under a scheduler (Slurm) or a parent launcher, CUDA_VISIBLE_DEVICES already lists this job's GPUs, possibly as
  // UUIDs; --gpu then picks among them, as CUDA's own device numbers would.
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"); visible != nullptr) {
    const std::vector<std::string> listed = *visible ? split_commas(visible) : std::vector<std::string>{};
    if (listed.empty())
      throw InputError("--gpu " + gpu + ": CUDA_VISIBLE_DEVICES is set but empty, which hides every GPU from this "
                       "process; unset it or list the GPUs");
    if (index >= listed.size())
      throw InputError("--gpu " + gpu + ": CUDA_VISIBLE_DEVICES='" + visible + "' makes " +
                       std::to_string(listed.size()) + " GPU(s) visible to this process; pick an index below " +
                       std::to_string(listed.size()) + " or unset CUDA_VISIBLE_DEVICES");
    chosen = listed[index];
  }
  ::setenv("CUDA_VISIBLE_DEVICES", chosen.c_str(), 1);
  return DeviceRequest::cuda;
}

}  // namespace oodbench

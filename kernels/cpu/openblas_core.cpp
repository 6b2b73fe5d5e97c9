#include "kernels/cpu/openblas_core.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>

extern "C" char* openblas_get_corename(void);

namespace oodbench {

const char* better_openblas_core() {
#if defined(__x86_64__)
  std::string core = openblas_get_corename();
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool fallback = core == "prescott" || core == "core2" || core == "penryn" || core == "nehalem" ||
                        core == "unknown";
  if (!fallback) return nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

void reexec_with_native_openblas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice, or our second start
  const char* core = better_openblas_core();
  if (core == nullptr) return;
  ::setenv("OPENBLAS_CORETYPE", core, 1);
  ::execv("/proc/self/exe", argv);  // only returns on failure: then carry on with the slow kernels
}

}  // namespace oodbench

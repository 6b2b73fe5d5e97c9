#include "kernels/cpu/openblas_workers.h"

#include <dlfcn.h>

#include <cstdlib>

namespace oodbench {

void quiet_idle_openblas_workers() {
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT") != nullptr) return;
  // Exported by OpenBLAS's pthread build (its fork handler uses the last two), looked up rather than linked so that
  // another BLAS build simply keeps its behaviour.
  using Call = int (*)();
  const auto read_env = reinterpret_cast<void (*)()>(::dlsym(RTLD_DEFAULT, "openblas_read_env"));
  const auto shutdown = reinterpret_cast<Call>(::dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  const auto start = reinterpret_cast<Call>(::dlsym(RTLD_DEFAULT, "blas_thread_init"));
  if (read_env == nullptr || shutdown == nullptr || start == nullptr) return;
  ::setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
  read_env();
  shutdown();
  start();
}

}  // namespace oodbench

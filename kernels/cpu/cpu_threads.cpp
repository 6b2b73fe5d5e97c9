#include "kernels/cpu/cpu_threads.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

extern "C" int openblas_get_num_threads(void);
extern "C" void openblas_set_num_threads(int);

namespace oodbench {

int default_cpu_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr && std::atoi(env) > 0) return std::atoi(env);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CpuThreads::CpuThreads(int threads) : omp_before_(omp_get_max_threads()), blas_before_(openblas_get_num_threads()) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

CpuThreads::~CpuThreads() {
  omp_set_num_threads(omp_before_);
  openblas_set_num_threads(blas_before_);
}

}  // namespace oodbench

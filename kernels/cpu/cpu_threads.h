// The CPU backend's thread counts, OpenMP's (its own loops) and OpenBLAS's (its products), held for a scope.
#pragma once

#include <cstddef>

namespace oodbench {

/// Whether a loop of about `work` element operations is worth OpenMP's threads: waking and joining a team costs tens
/// of microseconds, and on a busy machine a scheduler tick, more than a small input's whole loop. Row loops only: a
/// row's result does not depend on the thread that computes it.
inline bool worth_threads(std::size_t work) { return work >= (std::size_t{1} << 18); }

/// The thread count a process of its own starts with: OMP_NUM_THREADS, else one per CPU.
int default_cpu_threads();

/// Sets OpenMP's and OpenBLAS's thread counts for a scope and restores them after. The Python module does its work
/// in one, because another library of the same process may have changed them (importing PyTorch sets both to its
/// own choice, 1 on a 2-vCPU machine), and the engine should run as the command line does.
class CpuThreads {
 public:
  explicit CpuThreads(int threads = default_cpu_threads());
  ~CpuThreads();
  CpuThreads(const CpuThreads&) = delete;
  CpuThreads& operator=(const CpuThreads&) = delete;

 private:
  int omp_before_, blas_before_;
};

}  // namespace oodbench

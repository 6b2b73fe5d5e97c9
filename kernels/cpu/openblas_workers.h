// OpenBLAS's pthread build keeps its worker threads spinning (sched_yield) for 2^28 cycles, about 0.1 s, after it
// starts and after every call before they sleep. On a machine with few cores they take the cores our own OpenMP loops
// need next: ASH, SCALE and SHE ran 2-2.6x slower, kNN 1.45x (bench/RESULTS.md). OpenBLAS reads how long they spin
// from OPENBLAS_THREAD_TIMEOUT when it starts its threads, which happens before main().
#pragma once

namespace oodbench {

/// Call early in main(), before any BLAS call: unless OPENBLAS_THREAD_TIMEOUT is set (the user's choice), sets it to
/// the shortest spin (2^4 cycles) and restarts OpenBLAS's worker threads so that they take it. Numbers do not change:
/// the same threads do the same work. Does nothing with an OpenBLAS that lacks the entry points it needs.
void quiet_idle_openblas_workers();

}  // namespace oodbench

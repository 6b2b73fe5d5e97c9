// OpenBLAS picks its kernels from the CPU model at load time and falls back to its oldest x86-64 kernels
// ("Prescott", SSE3) on CPUs it does not recognise, which virtual machines often present: every GEMM is then about
// 3x slower than the hardware allows (measured: autoencoder training 48 s -> 17 s with AVX-512 kernels). The choice
// is made before main() runs and can only be changed through OPENBLAS_CORETYPE, so a program that finds the
// fallback re-executes itself once with the core type its CPU supports.
#pragma once

namespace oodbench {

/// The OpenBLAS core type this CPU supports ("SkylakeX", "Haswell") when OpenBLAS picked an older one, else null.
const char* better_openblas_core();

/// Call first in main(): if better_openblas_core() names one and OPENBLAS_CORETYPE is unset, sets it and re-executes
/// this program with the same arguments. Returns normally otherwise (or if re-executing fails).
void reexec_with_native_openblas_core(char** argv);

}  // namespace oodbench

"""Import first in a benchmark: gives NumPy, PyTorch and faiss the same OpenBLAS kernels oodbench uses.

OpenBLAS picks kernels from the CPU model when it loads and falls back to SSE3 ("Prescott") on CPUs it does not
recognise, as on some VMs; oodbench then restarts itself with OPENBLAS_CORETYPE set (kernels/cpu/openblas_core.h).
A fair peer needs the same, set before OpenBLAS loads. Nothing changes where the variable is already set."""
import os

if "OPENBLAS_CORETYPE" not in os.environ:
    flags = set()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512vl"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    elif {"avx2", "fma"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"

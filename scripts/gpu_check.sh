#!/usr/bin/env bash
# Run THERE, on the lent GPU machine, from the repository root, after scripts/gpu_deps.sh here and with `.deps`
# carried: builds with CUDA for the machine's GPU, runs the whole test suite (GPU tests included) and the benchmarks,
# and leaves logs in $OUT (or ./gpu-logs). One command per GPU session:
#   device run: bash scripts/gpu_check.sh        carry: [".deps"]
set -uo pipefail
cd "$(dirname "$0")/.."
root=/tmp/oodbench-deps/root
mkdir -p /tmp/oodbench-deps && tar -xJf .deps/gpu-deps.tar.xz -C /tmp/oodbench-deps
logs=${OUT:-$PWD/gpu-logs}
mkdir -p "$logs"
export PATH="$root/usr/bin:$PATH"
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/openblas-pthread:$root/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
export PKG_CONFIG_PATH="$root/usr/lib/x86_64-linux-gnu/pkgconfig:$root/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$root"
export CMAKE_PREFIX_PATH="$root/usr:$root/usr/lib/x86_64-linux-gnu/cmake:$root/usr/share/cmake"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$logs/device.txt"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DOODBENCH_PYTHON="$(command -v python3)" -DPKG_CONFIG_EXECUTABLE="$root/usr/bin/pkgconf" >"$logs/configure.log" 2>&1 ||
  { tail -40 "$logs/configure.log"; exit 1; }
cmake --build build-gpu -j "$(nproc)" >"$logs/build.log" 2>&1 || { tail -40 "$logs/build.log"; exit 1; }
(cd build-gpu && ctest --output-on-failure -j 4) >"$logs/ctest.log" 2>&1
status=$?
tail -25 "$logs/ctest.log"
exit $status

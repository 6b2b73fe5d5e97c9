#!/usr/bin/env bash
# Builds HERE what scripts/gpu_check.sh runs THERE, on a lent GPU machine that has no package registry and takes at
# most 64 MiB of files along, the repository's own included: a Release build for sm_90 (H100, H200) of the oodbench
# binary, the test binaries (oodbench_tests, ae_trace), the GPU benchmarks (gpu_bench, probe_bench), the CUDA module
# and the Python module, with the Debian libraries they load, packed as .gpu-bundle/oodbench-gpu.tar.xz (git-ignored)
# beside its manifest. Then, on the GPU machine, one command:
#   device run: bash scripts/gpu_check.sh        carry: [".gpu-bundle"]
#
# What is not in it, and why:
# - glibc, libstdc++, libgcc and libgomp, and CUDA's own libraries (the driver, cuBLAS, cuSOLVER): the GPU machine
#   has newer ones of its own (its CUDA toolkit is 13.0, as here; the CUDA runtime is linked in statically).
# - the HDF5 and librsvg/cairo modules: with their libraries they take about 80 MiB (ICU alone 31), far beyond what
#   the transfer leaves beside the repository; no step of the check reads HDF5 or writes PNG/PDF, and oodbench opens
#   them only when asked to (kernels/module_loader.h), saying where it looked when they are missing.
# The Python module is built for the GPU machine's Python: 3.12 with NumPy 2, which needs pybind11 2.12 or later.
# Debian 12 has 2.10, so the headers of Debian 13's pybind11-dev are fetched with apt-get into the build folder, and
# Python 3.12's headers come from OODBENCH_BUNDLE_PYTHON (default: the first python3.12 found, pyenv's included).
# Usage: scripts/gpu_bundle.sh   (about 15 minutes on 2 cores the first time; ccache makes a rebuild quick)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-gpu
out=$root/.gpu-bundle
deps=$build/deps
die() { echo "gpu_bundle: $*" >&2; exit 1; }

# Python 3.12 with its headers, for the module the GPU machine's python3 imports.
python=${OODBENCH_BUNDLE_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sysconfig, os, sys
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' 2>/dev/null; then
      python=$("$candidate" -c 'import sys; print(sys.executable)')
      break
    fi
  done
fi
[ -n "$python" ] || die "no Python 3.12 with its headers found (the GPU machine's python3 is 3.12); set OODBENCH_BUNDLE_PYTHON"

# pybind11 >= 2.12 (NumPy 2), headers only: Debian 13's package, downloaded with apt-get into a private list.
if [ ! -f "$deps/usr/lib/cmake/pybind11/pybind11Config.cmake" ]; then
  mkdir -p "$deps/apt/lists/partial" "$deps/apt/cache"
  echo "deb http://deb.debian.org/debian trixie main" >"$deps/apt/sources.list"
  apt_options=(-o "Dir::Etc::SourceList=$deps/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
               -o "Dir::State::Lists=$deps/apt/lists" -o "Dir::Cache=$deps/apt/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_options[@]}" update -qq || die "apt-get update of Debian 13's package list failed"
  (cd "$deps" && apt-get "${apt_options[@]}" download pybind11-dev >/dev/null) || die "cannot download pybind11-dev"
  dpkg -x "$deps"/pybind11-dev_*.deb "$deps"
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DPython_EXECUTABLE="$python" -Dpybind11_DIR="$deps/usr/lib/cmake/pybind11" >/dev/null
targets=(oodbench oodbench_tests ae_trace gpu_bench probe_bench oodbench_python oodbench_cuda)
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

# The bundle's tree: bin/ (ELF programs), lib/ (the CUDA module: oodbench looks in ../lib beside its binary),
# python/ (_core; OODBENCH_BUILD_DIR names the bundle), deps/ (the Debian libraries, by soname).
stage=$build/bundle/oodbench-gpu
rm -rf "$build/bundle" && mkdir -p "$stage"/{bin,lib,python,deps}
cp "$build/harness/oodbench" "$build/tests/oodbench_tests" "$build/tests/ae_trace" "$build/bench/gpu_bench" \
   "$build/bench/probe_bench" "$stage/bin/"
cp "$build/lib/liboodbench_cuda.so" "$stage/lib/"
cp "$build"/python/_core*.so "$stage/python/"

# A library the GPU machine has of its own: its C and C++ runtimes, OpenMP, and CUDA's libraries (see the top).
base='^(ld-linux-x86-64\.so|linux-vdso\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libstdc\+\+\.so|libgcc_s\.so|libgomp\.so|libcuda\.so|libcudart\.so|libcublas\.so|libcublasLt\.so|libcusolver\.so|libcusparse\.so|libnvJitLink\.so)'
# Every library an ELF file of the bundle loads, and theirs, copied under its soname.
for file in "$stage"/bin/* "$stage"/lib/* "$stage"/python/*; do
  ldd "$file" | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $base ]] && continue
  cp -L "$path" "$stage/deps/$name"
done
# Strip what we built (the Debian libraries come stripped); the tests' names and the GPU code stay.
strip --strip-unneeded "$stage"/bin/* "$stage"/lib/* "$stage"/python/*

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!.gpu-bundle' || echo "+changes")
nvcc=$(nvcc --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
cublas=$(awk '/define CUBLAS_VER_(MAJOR|MINOR|PATCH)/ {printf "%s%s", sep, $3; sep="."}' \
  "$(dirname "$(command -v nvcc)")/../include/cublas_api.h")
python_version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
{
  echo "commit=$commit"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "cuda=$nvcc"
  echo "cublas=$cublas"
  echo "cuda_architectures=90"
  echo "python=$python_version"
  echo "files:"
  (cd "$stage" && find . -type f -printf '%P %s\n' | sort)
} >"$stage/MANIFEST"

rm -rf "$out" && mkdir -p "$out"
tar -C "$build/bundle" -cf - oodbench-gpu | xz -T0 -9 >"$out/oodbench-gpu.tar.xz"
cp "$stage/MANIFEST" "$out/MANIFEST"

# What travels to the GPU machine: the repository's tracked files, and this folder. Together at most 64 MiB.
limit=$((64 << 20))
tracked=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
bundle=$(du -cb "$out"/* | tail -1 | cut -f1)
unpacked=$(du -sb "$stage" | cut -f1)
awk -v b="$bundle" -v u="$unpacked" -v t="$tracked" -v f="$out/oodbench-gpu.tar.xz" 'BEGIN {
  m = 1048576; printf "gpu_bundle: %s: %.1f MiB (%.1f MiB unpacked); with the repository (%.1f MiB) %.1f of the 64 MiB that travel\n", f, b / m, u / m, t / m, (b + t) / m }'
if [ $((bundle + tracked)) -gt $limit ]; then
  die "too large: the repository and the bundle take $(((bundle + tracked) >> 20)) MiB, over the 64 MiB a GPU machine takes along"
fi
echo "gpu_bundle: next, on a GPU machine: bash scripts/gpu_check.sh   (carry .gpu-bundle)"

#!/usr/bin/env bash
# Run THERE, on the lent GPU machine, from the repository root, after scripts/gpu_deps.sh here and with `.deps`
# carried. One command per GPU session:
#   device run: bash scripts/gpu_check.sh [STEP...]        carry: [".deps"]
# Steps, in this order (default: all): build, gpu-tests (the GPU-vs-CPU GoogleTests), sanitizer (those under
# compute-sanitizer memcheck), ctest (the whole suite; Python oracles run `oodbench` on the GPU, as `auto` picks it),
# quickstart (configs/quickstart.json on the CPU and on the GPU: timings, and the GPU's numbers checked against the
# CPU's), bench (bench/gpu_bench.sh), racecheck (the shared-memory kernels' tests under compute-sanitizer racecheck
# and synccheck; not in the default list), paper (configs/paper.json on the GPU, its tables in the logs; not in the
# default list). Logs go to gpu-logs/ (and, on the device machine, to $OUT/gpu-logs.tar.gz,
# as its $OUT returns few files); a short summary is printed last.
set -uo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(build gpu-tests sanitizer ctest quickstart bench)
wants() { [[ " ${steps[*]} " == *" $1 "* ]]; }

root=/tmp/oodbench-deps/root
[ -d "$root" ] || { mkdir -p /tmp/oodbench-deps && tar -xJf .deps/gpu-deps.tar.xz -C /tmp/oodbench-deps; }
logs=$PWD/gpu-logs
rm -rf "$logs" && mkdir -p "$logs"
trap '[ -n "${OUT:-}" ] && tar -czf "$OUT/gpu-logs.tar.gz" gpu-logs' EXIT
export PATH="$root/usr/bin:$PATH"
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/openblas-pthread:$root/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
export PKG_CONFIG_PATH="$root/usr/lib/x86_64-linux-gnu/pkgconfig:$root/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$root"
export CMAKE_PREFIX_PATH="$root/usr:$root/usr/lib/x86_64-linux-gnu/cmake:$root/usr/share/cmake"
summary="$logs/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
build=build-gpu
tests="$build/tests/oodbench_tests"
gpu_filter='CudaVsCpu.*:CudaResidency.*:*DetectorOnGpu*:*OnGpu*'

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee "$logs/device.txt"

if wants build; then
  generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DOODBENCH_PYTHON="$(command -v python3)" -DPKG_CONFIG_EXECUTABLE="$root/usr/bin/pkgconf" >"$logs/configure.log" 2>&1 ||
    { tail -40 "$logs/configure.log"; exit 1; }
  SECONDS=0
  cmake --build "$build" -j "$(nproc)" >"$logs/build.log" 2>&1 || { grep -m20 -B2 -A8 'error' "$logs/build.log"; exit 1; }
  note "build: ok (${SECONDS} s)"
fi

if wants gpu-tests; then
  timeout 300 "$tests" --gtest_filter="$gpu_filter" >"$logs/gpu-tests.log" 2>&1
  note "gpu-tests: exit $? ($(grep -c '^\[       OK' "$logs/gpu-tests.log") ok, $(grep -c '^\[  FAILED  \].*(' "$logs/gpu-tests.log") failed, $(grep -c '^\[  SKIPPED' "$logs/gpu-tests.log") skipped)"
  grep -B6 '^\[  FAILED  \].*(' "$logs/gpu-tests.log" | head -60
fi

if wants sanitizer; then
  timeout 400 compute-sanitizer --tool memcheck --error-exitcode 3 "$tests" --gtest_filter="$gpu_filter" \
    >"$logs/sanitizer.log" 2>&1
  note "compute-sanitizer memcheck: exit $? ($(grep -m1 'ERROR SUMMARY' "$logs/sanitizer.log"))"
fi

if wants racecheck; then
  for tool in racecheck synccheck; do
    timeout 150 compute-sanitizer --tool "$tool" --error-exitcode 3 "$tests" \
      --gtest_filter="${RACECHECK_FILTER:-CudaVsCpu.KSmallest*:CudaVsCpu.Nero*:CudaVsCpu.NearestCentroid*:CudaVsCpu.Knn*}" \
      >"$logs/$tool.log" 2>&1
    note "compute-sanitizer $tool: exit $? ($(grep -m1 'ERROR SUMMARY\|RACECHECK SUMMARY' "$logs/$tool.log"))"
  done
fi

if wants ctest; then
  # test_schema needs Python's jsonschema, which the GPU machine lacks; CI runs it. Two threads per test: eight
  # tests at once each spinning 16 OpenBLAS and OpenMP threads ran 10x slower than on a 2-core laptop.
  (cd "$build" && OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 timeout 420 ctest --output-on-failure -j 8 -E 'sweep.test_schema' --timeout 300) >"$logs/ctest.log" 2>&1
  note "ctest: exit $? ($(grep -m1 'tests passed' "$logs/ctest.log"))"
  grep -A20 'The following tests FAILED' "$logs/ctest.log" | tee -a "$summary"
fi

if wants quickstart; then
  for device in cpu cuda; do
    rm -rf "/tmp/qs-$device"
    SECONDS=0
    "$build/harness/oodbench" run configs/quickstart.json --out "/tmp/qs-$device" --device "$device" --quiet \
      >"$logs/quickstart-$device.log" 2>&1
    note "quickstart --device $device: exit $? in ${SECONDS} s"
  done
  "$build/harness/oodbench" check /tmp/qs-cpu --write-baseline /tmp/qs-cpu.json >/dev/null 2>&1
  # docs/methods.md: closed-form scores within 1e-4; trained models (the autoencoder) AUROC within 0.01.
  "$build/harness/oodbench" check /tmp/qs-cuda --baseline /tmp/qs-cpu.json --tolerance 1e-4 \
    --detector-tolerance mars=0.01 --detector-tolerance ae_l2=0.01 >"$logs/quickstart-check.log" 2>&1
  note "quickstart cuda vs cpu (oodbench check, 1e-4; mars and ae_l2 0.01): exit $?"
  tail -15 "$logs/quickstart-check.log"
  cp /tmp/qs-cuda/tables/chestxray_mobilenet_v2_auroc.md "$logs/quickstart-cuda-auroc.md" 2>/dev/null
fi

if wants paper; then
  rm -rf /tmp/paper-cuda
  SECONDS=0
  "$build/harness/oodbench" run configs/paper.json --out /tmp/paper-cuda --device cuda --quiet >"$logs/paper.log" 2>&1
  note "configs/paper.json --device cuda: exit $? in ${SECONDS} s"
  tar -czf "$logs/paper-cuda.tar.gz" -C /tmp paper-cuda/tables paper-cuda/records.jsonl
fi

if wants bench && [ -f bench/gpu_bench.sh ]; then
  # shellcheck disable=SC2086  # BENCH_ARGS: extra words for bench/gpu_bench.sh, e.g. --tf32
  OUT=$logs timeout 400 bash bench/gpu_bench.sh "$build" ${BENCH_ARGS:-} >"$logs/bench.log" 2>&1
  note "bench: exit $?"
  tail -40 "$logs/bench.log"
fi

echo "=== summary"
cat "$summary"

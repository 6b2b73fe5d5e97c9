#!/usr/bin/env bash
# Run THERE, on a lent GPU machine (no package registry, 64 MiB of files taken along, about 8 minutes per check), from
# the repository root, with the bundle scripts/gpu_bundle.sh made HERE; nothing is built or installed there:
#   device run: bash scripts/gpu_check.sh        carry: [".gpu-bundle"]
# Each step runs under its own time limit, and the default steps together fit 8 minutes on a 16-core H100 (--plan
# prints them with their limits). The first line of the summary says whether the machine's CUDA (driver, cuBLAS) or
# Python differs from the bundle's. The summary and one log per step go to $OUT (8 files at most), or to gpu-logs/
# where $OUT is unset.
# Usage: scripts/gpu_check.sh [--plan] [STEP...]     (default: the steps below, in this order; `bench` only if named)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# name, time limit in seconds, what it does; `setup` is the unpacking and the version checks before the steps.
plan=(
  "setup 20 unpack the bundle, find the machine's CUDA libraries, compare versions"
  "gpu-tests 100 the GPU-vs-CPU GoogleTests (every primitive and detector, residency, seeds side by side, threads) and the GPU's first training steps against PyTorch"
  "sanitizer 75 compute-sanitizer memcheck on a fast subset of those tests"
  "quickstart 50 configs/quickstart.json on the CPU and on the GPU, the GPU's numbers checked against the CPU's"
  "paper 100 configs/paper.json on the GPU, timed"
  "python 45 the Python module on CUDA: every detector fitted on the GPU and scored from four threads"
  "model 30 models fitted and saved on the GPU, loaded and scored on the CPU"
  "multi-gpu 40 tests/sweep/test_multi_gpu_sweep.py, its GPU part on this GPU"
)
optional=("bench 420 bench/gpu_bench.sh: the primitives beside the copy and SGEMM ceilings, and PyTorch on the same shapes")
limit_of() {
  local entry
  for entry in "${plan[@]}" "${optional[@]}"; do
    read -r name seconds _ <<<"$entry"
    [ "$name" = "$1" ] && { echo "$seconds"; return; }
  done
}

if [ "${1:-}" = --plan ]; then
  total=0
  for entry in "${plan[@]}"; do
    read -r name seconds what <<<"$entry"
    printf '%-10s %4d s  %s\n' "$name" "$seconds" "$what"
    total=$((total + seconds))
  done
  printf '%-10s %4d s  (at most 480 s: 8 minutes)\n' total "$total"
  for entry in "${optional[@]}"; do
    read -r name seconds what <<<"$entry"
    printf '%-10s %4d s  only when named: %s\n' "$name" "$seconds" "$what"
  done
  [ "$total" -le 480 ]
  exit
fi

steps=("$@")
if [ ${#steps[@]} -eq 0 ]; then
  for entry in "${plan[@]:1}"; do steps+=("${entry%% *}"); done
fi
for step in "${steps[@]}"; do
  [ -n "$(limit_of "$step")" ] && [ "$step" != setup ] || { echo "gpu_check: unknown step '$step' (see --plan)" >&2; exit 2; }
done

logs=${OUT:-$root/gpu-logs}
mkdir -p "$logs"
summary=$logs/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

# Setup: the bundle unpacked outside the repository, the CUDA libraries it does not carry found on this machine.
archive=$root/.gpu-bundle/oodbench-gpu.tar.xz
[ -f "$archive" ] || { note "gpu_check: no $archive: run scripts/gpu_bundle.sh where the build works, and carry .gpu-bundle"; exit 1; }
rm -rf /tmp/oodbench-gpu && mkdir -p /tmp/oodbench-gpu && timeout 20 tar -xJf "$archive" -C /tmp/oodbench-gpu || exit 1
bundle=/tmp/oodbench-gpu/oodbench-gpu
manifest() { sed -n "s/^$1=//p" "$bundle/MANIFEST"; }
export LD_LIBRARY_PATH="$bundle/deps${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing_cuda_libraries() { ldd "$bundle/lib/liboodbench_cuda.so" | awk '/not found/ {print $1}'; }
python_nvidia=$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null)
for name in $(missing_cuda_libraries); do
  found=$(ldconfig -p | awk -v n="$name" '$1 == n {print $NF; exit}')
  [ -n "$found" ] || found=$(find /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
                               ${python_nvidia:+"$python_nvidia"} -name "$name" 2>/dev/null | head -1)
  [ -n "$found" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$found")"
done
oodbench=$bundle/bin/oodbench
export OODBENCH_BUILD_DIR=$bundle OODBENCH_CACHE_DIR=

# Versions first: a bundle built for another CUDA or Python than this machine's is the likeliest cause of anything below.
driver_cuda=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)
toolkit_cuda=$( (command -v nvcc >/dev/null && nvcc --version || /usr/local/cuda/bin/nvcc --version) 2>/dev/null |
  sed -n 's/.*release \([0-9.]*\),.*/\1/p')
cublas_file=$(readlink -f "$(ldd "$bundle/lib/liboodbench_cuda.so" | awk '$1 ~ /^libcublas\.so/ {print $3}')" 2>/dev/null)
machine_python=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null)
differ=()
[ "$driver_cuda" = "$(manifest cuda)" ] || differ+=("the driver runs CUDA ${driver_cuda:-?}")
[ "$toolkit_cuda" = "$(manifest cuda)" ] || differ+=("the toolkit (cuBLAS, cuSOLVER) is CUDA ${toolkit_cuda:-?}")
[ "$machine_python" = "$(manifest python)" ] || differ+=("python3 is ${machine_python:-missing}")
if [ ${#differ[@]} -eq 0 ]; then
  note "versions: as the bundle's: CUDA $(manifest cuda) (driver and toolkit), Python $(manifest python)"
else
  note "VERSIONS DIFFER from the bundle's (CUDA $(manifest cuda), cuBLAS $(manifest cublas), Python $(manifest python)): $(
    printf '%s; ' "${differ[@]}" | sed 's/; $//')"
fi
note "cuBLAS: ${cublas_file:-not found}"
note "bundle $(manifest commit), repository $(git rev-parse --short HEAD 2>/dev/null); $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1); $(nproc) cores"
if [ -n "$(missing_cuda_libraries)" ]; then
  note "gpu_check: this machine lacks $(missing_cuda_libraries | paste -sd' '), which the CUDA module needs"
  exit 1
fi
printf '%-10s %6s %6s  %s\n' step limit took result | tee -a "$summary"

# One step: its function under the step's limit, its output in its log, one line in the summary.
run_step() {
  local step=$1 limit log start took status result
  limit=$(limit_of "$step")
  log=$logs/$step.log
  start=$SECONDS
  timeout --kill-after=10 "$limit" bash -c "$(declare -f "step_${step//-/_}"); step_${step//-/_}" >"$log" 2>&1
  status=$?
  took=$((SECONDS - start))
  result=$(sed -n 's/^RESULT: //p' "$log" | tail -1)
  if [ $status -eq 124 ] || [ $status -eq 137 ]; then result="TIMED OUT after $limit s; ${result:-see $step.log}"
  elif [ $status -ne 0 ]; then result="FAILED (exit $status): ${result:-see $step.log}"
  else result="ok: $result"; fi
  printf '%-10s %4d s %4d s  %s\n' "$step" "$limit" "$took" "$result" | tee -a "$summary"
}
export bundle oodbench root

step_gpu_tests() {
  "$bundle/bin/oodbench_tests" --gtest_filter='CudaVsCpu.*:CudaResidency.*:*OnGpu*' --gtest_brief=1
  local tests=$? count
  count() { sed -n "s/^\[  $1 *\] \([0-9]*\) test.*/\1/p" "$OUT_LOG" | tail -1; }
  local passed failed skipped
  passed=$(count PASSED) failed=$(count FAILED) skipped=$(count SKIPPED)
  python3 tests/fit/test_autoencoder_torch.py "$bundle/bin/ae_trace" data/medood-mini cuda
  local torch=$?
  # A skipped GPU test means the GPU was not usable to it: on a GPU machine that is a failure too.
  echo "RESULT: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped; PyTorch replay of the GPU's training exit $torch"
  [ $tests -eq 0 ] && [ "${skipped:-0}" -eq 0 ] && [ $torch -eq 0 ]
}

step_sanitizer() {
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
  [ -n "$sanitizer" ] || { echo "RESULT: no compute-sanitizer on this machine"; return 1; }
  "$sanitizer" --tool memcheck --error-exitcode 3 "$bundle/bin/oodbench_tests" --gtest_brief=1 --gtest_filter='CudaVsCpu.ArgsortMatchesExactly:CudaVsCpu.MatmulMatchesInFloatAndDouble:CudaVsCpu.EighMatchesEigenpairs:CudaVsCpu.ScatterMatchesWithGroupsAndFourthPowers:CudaVsCpu.KnnMatchesOnGaussianDataAndAboveTheGpuK:CudaVsCpu.KSmallestPerRowMatchesWithTies:CudaVsCpu.SignedZerosAreTiesBrokenByIndex:CudaVsCpu.NeroRowTermsMatch:CudaVsCpu.NearestCentroidMatches:CudaVsCpu.EpochsReplayedFromTheirGraphUseEachEpochsOrder:CudaVsCpu.FourThreadsGetTheSerialBits:CudaResidency.ACallOutOfMemoryEvictsTheLeastRecentlyUsedCopyAndRuns'
  local status=$?
  echo "RESULT: $(grep -m1 'ERROR SUMMARY' "$OUT_LOG" 2>/dev/null); memcheck exit $status"
  return $status
}

step_quickstart() {
  local device start
  declare -A took
  for device in cpu cuda; do
    rm -rf "/tmp/qs-$device"
    start=$(date +%s.%N)
    "$oodbench" run configs/quickstart.json --out "/tmp/qs-$device" --device "$device" --quiet || return 1
    took[$device]=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')
  done
  "$oodbench" check /tmp/qs-cpu --write-baseline /tmp/qs-cpu.json >/dev/null || return 1
  # docs/methods.md: closed-form detectors within 1e-4 of the CPU; trained autoencoders move by about what another
  # seed gives (0.033 AUROC at most on this config before, seed-to-seed std 0.071 on blur): 0.05 for them.
  "$oodbench" check /tmp/qs-cuda --baseline /tmp/qs-cpu.json --tolerance 1e-4 --detector-tolerance mars=0.05 \
    --detector-tolerance ae_l2=0.05
  local check=$?
  cat /tmp/qs-cuda/tables/chestxray_mobilenet_v2_auroc.md 2>/dev/null
  echo "RESULT: CPU ${took[cpu]} s, GPU ${took[cuda]} s (goal: under 2 s); oodbench check exit $check"
  return $check
}

step_paper() {
  rm -rf /tmp/paper-cuda
  local start status
  start=$(date +%s.%N)
  "$oodbench" run configs/paper.json --out /tmp/paper-cuda --device cuda --quiet
  status=$?
  local took cells
  took=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')
  cells=$(wc -l <"/tmp/paper-cuda/records.jsonl" 2>/dev/null)
  head -c 20000 /tmp/paper-cuda/report.md 2>/dev/null
  echo "RESULT: ${cells:-0} cells in $took s on the GPU (goal: under 10 s); exit $status"
  return $status
}

step_python() {
  (cd tests/python && OODBENCH_CLI="$oodbench" OODBENCH_DATA="$root/data/medood-mini" PYTHONPATH="$root" \
    python3 -m pytest -q -p no:cacheprovider test_concurrent_scoring.py -k cuda)
  local status=$?
  local picked
  picked=$(PYTHONPATH="$root" python3 -c 'import numpy as np, oodbench
d = oodbench.Detector("knn", k=5).fit(np.random.default_rng(0).standard_normal((500, 32), dtype=np.float32))
print(d.device)' 2>&1 | tail -1)
  echo "RESULT: pytest exit $status (5: nothing ran); device=\"auto\" picked: $picked"
  return $status
}

step_model() {
  local data=data/medood-mini failed=0 det
  for det in knn mahalanobis nero mars; do
    local params=()
    [ "$det" = mars ] && params=(--param epochs=5)
    "$oodbench" fit --device cuda --detector "$det" "${params[@]}" --train "$data/mobilenet_v2.npz:chestxray_train" \
      --train-labels "$data/labels.npz:chestxray_train" --val "$data/mobilenet_v2.npz:chestxray_val" \
      --save "/tmp/model-$det.oodb" || { failed=1; continue; }
    for device in cpu cuda; do
      "$oodbench" score --device "$device" --model "/tmp/model-$det.oodb" --test "$data/mobilenet_v2.npz:mnist_far" \
        --out "/tmp/model-$det-$device.npy" || failed=1
    done
    python3 -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
d = float(np.linalg.norm(a - b) / np.linalg.norm(b))
print(f"{sys.argv[3]}: GPU-fitted model scored on the CPU vs the GPU: relative difference {d:.2e}")
sys.exit(0 if d <= 1e-4 else 1)' "/tmp/model-$det-cpu.npy" "/tmp/model-$det-cuda.npy" "$det" || failed=1
  done
  echo "RESULT: knn, mahalanobis, nero, mars fitted on the GPU, loaded on the CPU: $([ $failed -eq 0 ] && echo "scores within 1e-4" || echo "see model.log")"
  return $failed
}

step_multi_gpu() {
  python3 tests/sweep/test_multi_gpu_sweep.py "$oodbench" data/medood-mini
  local status=$?
  echo "RESULT: $(grep -E '^[0-9]+ passed' "$OUT_LOG" 2>/dev/null | tail -1); exit $status"
  return $status
}

step_bench() {
  OUT=/tmp/bench-out bash bench/gpu_bench.sh "$bundle/bin"
  local status=$?
  echo "RESULT: exit $status"
  return $status
}

for step in "${steps[@]}"; do
  OUT_LOG=$logs/$step.log
  export OUT_LOG
  run_step "$step"
done
echo "=== summary ($summary)"
cat "$summary"

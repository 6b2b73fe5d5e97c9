#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and runs each for SECONDS (default 300), two at a
# time. New inputs accumulate in build-fuzz/corpus/<target>, crashes in build-fuzz/crashes/. Prints each target's
# final libFuzzer status line (runs, coverage, corpus). Exit 1 if any target found a crash.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: fuzz_npy fuzz_npz fuzz_config fuzz_safetensors fuzz_csv fuzz_hdf5
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_npy fuzz_npz fuzz_config fuzz_safetensors fuzz_csv fuzz_hdf5)

cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >/dev/null

declare -A seeds=([fuzz_npy]="tests/fixtures/npy" [fuzz_npz]="tests/fixtures/npy data/medood-mini/labels.npz"
                  [fuzz_config]="fuzz/corpus/config configs tests/sweep"
                  [fuzz_safetensors]="fuzz/corpus/safetensors" [fuzz_csv]="fuzz/corpus/csv" [fuzz_hdf5]="fuzz/corpus/hdf5")
run_one() {
  local t=$1 corpus=build-fuzz/corpus/$1 crashes=build-fuzz/crashes/$1
  mkdir -p "$corpus" "$crashes"
  local seed_dirs=()
  for s in ${seeds[$t]}; do
    if [ -d "$s" ]; then seed_dirs+=("$s"); else mkdir -p "$corpus/seed" && cp "$s" "$corpus/seed/"; fi
  done
  local dict=()
  [ "$t" = fuzz_config ] && dict=(-dict=fuzz/json.dict)
  build-fuzz/fuzz/"$t" "$corpus" "${seed_dirs[@]}" "${dict[@]}" -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=4096 -artifact_prefix="$crashes/" -print_final_stats=1 >"build-fuzz/$t.log" 2>&1
}
status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" & pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
for t in "${targets[@]}"; do
  echo "$t: $(grep -a -E '^#[0-9]+.*(DONE|pulse)' "build-fuzz/$t.log" | tail -1)"
  grep -a -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "build-fuzz/$t.log" | sed "s/^/  /"
  ls build-fuzz/crashes/"$t" | sed "s/^/  CRASH: /"
done
exit $status

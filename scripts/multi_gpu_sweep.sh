#!/usr/bin/env bash
# Runs a sweep config on every GPU of this machine: one shard per GPU, all at once, then merges them.
#
#   scripts/multi_gpu_sweep.sh CONFIG OUT [--dry-run]
#
# The GPUs: OODBENCH_GPUS (comma-separated) if set, else CUDA_VISIBLE_DEVICES' entries if set, else every GPU that
# `nvidia-smi -L` lists. Shard i of N runs on the i-th (`oodbench --gpu i` over that list, with --device cuda) and
# logs to OUT/logs/shard-i.log; when every shard succeeded they are merged into OUT, else the failed shards are named
# and nothing is merged. The same command again resumes: only cells not yet done run. --dry-run prints the commands
# it would start and starts nothing. `scripts/slurm_sweep.sh --status OUT` says where each shard is.
# Environment: OODBENCH (the binary; default: this checkout's build/harness/oodbench).
set -euo pipefail

die() { echo "multi_gpu_sweep: $*" >&2; exit 2; }
if [ $# -lt 2 ] || [ $# -gt 3 ]; then sed -n '2,11p' "$0"; exit 2; fi
[ $# -eq 2 ] || [ "$3" = --dry-run ] || die "unknown option '$3' (expected --dry-run)"
[ -f "$1" ] || die "$1: no such config file"
config=$(realpath "$1") out=$(realpath -m "$2") dry_run=${3:-}
sweep="$(dirname "$(realpath "$0")")/slurm_sweep.sh"
binary="${OODBENCH:-$(dirname "$(realpath "$0")")/../build/harness/oodbench}"
if [[ "$binary" = */* ]]; then binary=$(realpath -m "$binary"); fi

if [ -n "${OODBENCH_GPUS:-}" ]; then list=$OODBENCH_GPUS
elif [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then list=$CUDA_VISIBLE_DEVICES
else
  command -v nvidia-smi >/dev/null || die "no GPU found: no nvidia-smi and no CUDA_VISIBLE_DEVICES; on the CPU, use" \
                                          "scripts/slurm_sweep.sh CONFIG OUT N --local"
  list=$(nvidia-smi -L | sed -n 's/^GPU \([0-9]*\):.*/\1/p' | paste -sd,)
fi
IFS=, read -r -a gpus <<<"$list"
n=${#gpus[@]}
[ "$n" -gt 0 ] || die "no GPU found (list: '$list'); on the CPU, use scripts/slurm_sweep.sh CONFIG OUT N --local"
# --gpu i picks the i-th entry of CUDA_VISIBLE_DEVICES; numbered in PCI order, as nvidia-smi numbers them.
export CUDA_VISIBLE_DEVICES="$list" CUDA_DEVICE_ORDER="${CUDA_DEVICE_ORDER:-PCI_BUS_ID}" OODBENCH="$binary"
export OODBENCH_DEVICE=cuda

commands=()
for ((i = 0; i < n; i++)); do
  commands+=("OODBENCH_GPU=$i $(printf '%q ' "$sweep" --task "$config" "$out" "$n" "$i")>>$(printf '%q' \
    "$out/logs/shard-$i.log") 2>&1")
done
if [ "$dry_run" = --dry-run ]; then
  echo "# $n shards, one per GPU (CUDA_VISIBLE_DEVICES=$list), then the merge:"
  echo "export CUDA_VISIBLE_DEVICES=$list CUDA_DEVICE_ORDER=$CUDA_DEVICE_ORDER OODBENCH=$(printf '%q' "$binary")" \
       "OODBENCH_DEVICE=cuda"
  for ((i = 0; i < n; i++)); do echo "${commands[$i]} &  # shard $i/$n on GPU ${gpus[$i]}"; done
  echo "wait; $(printf '%q ' "$sweep" --merge "$out" "$n")"
  exit 0
fi

[ -x "$binary" ] || die "$binary: not executable; build it (scripts/build.sh) or set OODBENCH"
mkdir -p "$out/logs"
rm -f "$out/logs/merge.status"
printf 'config=%s\nshards=%s\narray_job=\nmerge_job=\nresume=%s\n' "$config" "$n" \
  "CUDA_VISIBLE_DEVICES=$list $(printf '%q ' "$(realpath "$0")" "$config" "$out")" >"$out/logs/submission"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) running $n shards of $config on GPUs $list" >>"$out/logs/sweep.log"
pids=()
for ((i = 0; i < n; i++)); do
  OODBENCH_GPU=$i "$sweep" --task "$config" "$out" "$n" "$i" >>"$out/logs/shard-$i.log" 2>&1 &
  pids+=($!)
done
echo "multi_gpu_sweep: $n shards on GPUs $list; logs in $out/logs/"
failed=0
for ((i = 0; i < n; i++)); do
  if ! wait "${pids[$i]}"; then
    echo "multi_gpu_sweep: shard $i/$n (GPU ${gpus[$i]}) failed: see $out/logs/shard-$i.log" >&2
    failed=1
  fi
done
[ $failed -eq 0 ] || { echo "multi_gpu_sweep: not merging; fix the cause and run the same command again" >&2; exit 1; }
exec "$sweep" --merge "$out" "$n"

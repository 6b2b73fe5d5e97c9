#!/usr/bin/env bash
# Runs a sweep config as N shards, then merges them: on a Slurm cluster as a job array plus a merge job that waits for
# it, or (--local) as N local processes, which is how the tests run exactly the same shard commands.
#
#   scripts/slurm_sweep.sh CONFIG OUT N [--local] [-- SBATCH_OPTIONS...]
#
# Shard i writes OUT/shard-i (resumable: resubmitting skips finished cells); the merged result goes to OUT.
# Environment: OODBENCH (the binary, default build/harness/oodbench), OODBENCH_DEVICE (default auto).
set -euo pipefail

if [ "${1:-}" = "--task" ]; then  # one array task: --task CONFIG OUT N [INDEX]
  config=$2 out=$3 n=$4 index=${5:-${SLURM_ARRAY_TASK_ID:?not in a Slurm array job}}
  exec "${OODBENCH:-build/harness/oodbench}" --device "${OODBENCH_DEVICE:-auto}" run "$config" \
    --out "$out/shard-$index" --shard "$index/$n" --no-report
fi
if [ "${1:-}" = "--merge" ]; then  # --merge OUT N
  out=$2 n=$3
  shards=()
  for ((i = 0; i < n; i++)); do shards+=("$out/shard-$i"); done
  exec "${OODBENCH:-build/harness/oodbench}" merge --out "$out" "${shards[@]}"
fi

[ $# -ge 3 ] || { sed -n '2,9p' "$0"; exit 2; }
config=$1 out=$2 n=$3
shift 3
local_run=0
if [ "${1:-}" = "--local" ]; then local_run=1; shift; fi
[ "${1:-}" = "--" ] && shift
self=$(realpath "$0")

if [ $local_run -eq 1 ]; then
  pids=()
  for ((i = 0; i < n; i++)); do "$self" --task "$config" "$out" "$n" "$i" & pids+=($!); done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  [ $status -eq 0 ] || { echo "slurm_sweep: a shard failed (exit $status)" >&2; exit $status; }
  exec "$self" --merge "$out" "$n"
fi

mkdir -p "$out/logs"
array=$(sbatch --parsable --array=0-$((n - 1)) --job-name=oodbench-sweep --output="$out/logs/shard-%a.log" "$@" \
        --wrap="$self --task $config $out $n")
sbatch --parsable --dependency=afterok:"$array" --job-name=oodbench-merge --output="$out/logs/merge.log" "$@" \
       --wrap="$self --merge $out $n"
echo "submitted array job $array ($n shards) and its merge"

#!/usr/bin/env bash
# Runs a sweep config as N shards, then merges them: on a Slurm cluster as a job array plus a merge job that runs only
# if every shard succeeded, or (--local) as N local processes, which run exactly the same shard commands.
#
#   scripts/slurm_sweep.sh CONFIG OUT N [--local] [-- SBATCH_OPTIONS...]   submit the sweep (or run it here)
#   scripts/slurm_sweep.sh --status OUT                                     which shards are done, failed, queued
#
# Shard i writes OUT/shard-i and logs to OUT/logs/shard-i.log (each submission appends a section); the merged result
# goes to OUT. OUT/logs/sweep.log says what was submitted, which shard failed (and where its log is) and when the
# merge ran. Submit the same command again to resume: shards are resumable, so only cells not yet done run; a merge
# job of the previous submission still waiting is cancelled first. Paths may be relative to where you submit from.
# GPUs: give Slurm's options after `--`, as --name=value, e.g. `-- --partition=gpu --gres=gpu:1`: each task runs on
# the GPU Slurm assigns it (CUDA_VISIBLE_DEVICES) with --device cuda; the merge job gets the options minus the GPUs.
# Environment: OODBENCH (the binary; default: this checkout's build/harness/oodbench), OODBENCH_DEVICE (default auto,
# cuda when the options ask for GPUs), OODBENCH_GPU (every task's --gpu; what scripts/multi_gpu_sweep.sh sets).
set -euo pipefail

die() { echo "slurm_sweep: $*" >&2; exit 2; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
note() { echo "$(now) $*" >>"$out/logs/sweep.log"; }  # one short line per write: concurrent tasks append safely
write_status() {  # shard-i.status: one line, replaced atomically (done / failed / running, and where)
  echo "$2" >"$1.partial" && mv -f "$1.partial" "$1"
}
binary="${OODBENCH:-$(dirname "$(realpath "$0")")/../build/harness/oodbench}"
self=$(realpath "$0")

if [ "${1:-}" = "--task" ]; then  # one shard: --task CONFIG OUT N [INDEX] (INDEX defaults to the array task id)
  config=$2 out=$3 n=$4 index=${5:-${SLURM_ARRAY_TASK_ID:?not in a Slurm array job}}
  where="host $(hostname)${SLURM_ARRAY_JOB_ID:+, job ${SLURM_ARRAY_JOB_ID}_$index}"
  where+="${CUDA_VISIBLE_DEVICES+, CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES}${OODBENCH_GPU:+, --gpu $OODBENCH_GPU}"
  status="$out/logs/shard-$index.status"
  mkdir -p "$out/logs"
  echo "=== slurm_sweep: shard $index/$n on $where, $(now)"
  write_status "$status" "running since $(now) on $where"
  gpu=()
  [ -n "${OODBENCH_GPU:-}" ] && gpu=(--gpu "$OODBENCH_GPU")
  code=0
  "$binary" --device "${OODBENCH_DEVICE:-auto}" "${gpu[@]}" run "$config" --out "$out/shard-$index" \
    --shard "$index/$n" --no-report || code=$?
  if [ $code -eq 0 ]; then
    write_status "$status" "done $(now) on $where"
  else
    write_status "$status" "failed (exit $code) $(now) on $where"
    message="shard $index/$n failed (exit $code) on $where: see $out/logs/shard-$index.log"
    note "$message"
    echo "slurm_sweep: $message" >&2
  fi
  exit $code
fi

if [ "${1:-}" = "--merge" ]; then  # --merge OUT N: only when every shard says done
  out=$2 n=$3
  shards=()
  for ((i = 0; i < n; i++)); do
    state=$(cat "$out/logs/shard-$i.status" 2>/dev/null || echo "not run")
    if [ "${state%% *}" != "done" ]; then
      note "not merging: shard $i/$n is $state: see $out/logs/shard-$i.log"
      echo "slurm_sweep: not merging: shard $i/$n is $state: see $out/logs/shard-$i.log" >&2
      exit 1
    fi
    shards+=("$out/shard-$i")
  done
  "$binary" merge --out "$out" "${shards[@]}"
  write_status "$out/logs/merge.status" "done $(now)"
  note "merged $n shards into $out"
  exit 0
fi

if [ "${1:-}" = "--status" ]; then  # --status OUT
  [ $# -eq 2 ] || die "usage: slurm_sweep.sh --status OUT"
  out=$(realpath -m "$2")
  [ -f "$out/logs/submission" ] || die "$out/logs/submission: no sweep was started with this OUT"
  n=$(sed -n 's/^shards=//p' "$out/logs/submission")
  array=$(sed -n 's/^array_job=//p' "$out/logs/submission")
  merge=$(sed -n 's/^merge_job=//p' "$out/logs/submission")
  finished=1
  for ((i = 0; i < n; i++)); do
    state=$(cat "$out/logs/shard-$i.status" 2>/dev/null || echo "not started")
    [ "${state%% *}" = "done" ] || finished=0
    echo "shard $i/$n: $state; log $out/logs/shard-$i.log"
  done
  if [ -f "$out/logs/merge.status" ] && [ "$finished" = 1 ]; then
    echo "merge: $(cat "$out/logs/merge.status"); result in $out"
  else
    finished=0
    echo "merge: not done; log $out/logs/merge.log"
  fi
  if [ -n "$array$merge" ] && command -v squeue >/dev/null; then
    queued=$(squeue -h -j "${array:+$array,}$merge" -o '%i %j %T %r' 2>/dev/null || true)
    [ -n "$queued" ] && printf 'in the queue:\n%s\n' "$queued"
  fi
  [ "$finished" = 1 ] || echo "to resume: $(sed -n 's/^resume=//p' "$out/logs/submission")"
  [ "$finished" = 1 ]
  exit
fi

[ $# -ge 3 ] || { sed -n '2,15p' "$0"; exit 2; }
[ -f "$1" ] || die "$1: no such config file"
config=$(realpath "$1") out=$(realpath -m "$2") n=$3
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N: expected a positive number of shards, got '$n'"
shift 3
local_run=0
if [ "${1:-}" = "--local" ]; then local_run=1; shift; fi
[ "${1:-}" = "--" ] && shift
if [[ "$binary" = */* ]]; then binary=$(realpath -e "$binary" 2>/dev/null) || die "OODBENCH=$binary: not found"
else binary=$(command -v "$binary") || die "OODBENCH=$binary: not on PATH"; fi
[ -x "$binary" ] || die "$binary: not executable; build it (scripts/build.sh) or set OODBENCH"
export OODBENCH="$binary"  # absolute: tasks start in whatever directory Slurm gives them
mkdir -p "$out/logs"
rm -f "$out/logs/merge.status"
remember() {  # remember ARRAY_JOB MERGE_JOB RESUME_COMMAND: what --status and the next submission read
  printf 'config=%s\nshards=%s\narray_job=%s\nmerge_job=%s\nresume=%s\n' "$config" "$n" "$1" "$2" "$3" \
    >"$out/logs/submission.partial"
  mv -f "$out/logs/submission.partial" "$out/logs/submission"
}

if [ $local_run -eq 1 ]; then
  remember "" "" "OODBENCH=$binary $(printf '%q ' "$self" "$config" "$out" "$n" --local)"
  note "running $n shards of $config here"
  echo "slurm_sweep: running $n shards here; logs in $out/logs/"
  pids=()
  for ((i = 0; i < n; i++)); do
    "$self" --task "$config" "$out" "$n" "$i" >>"$out/logs/shard-$i.log" 2>&1 &
    pids+=($!)
  done
  failed=()
  for ((i = 0; i < n; i++)); do wait "${pids[$i]}" || failed+=("$i"); done
  if [ ${#failed[@]} -gt 0 ]; then
    for i in "${failed[@]}"; do echo "slurm_sweep: shard $i/$n failed: see $out/logs/shard-$i.log" >&2; done
    exit 1
  fi
  exec "$self" --merge "$out" "$n"
fi

# A previous submission to the same OUT: its shards must be over (two writers of one shard folder would collide);
# its merge job, if still waiting (for shards that failed), is cancelled, since the new one replaces it.
if [ -f "$out/logs/submission" ]; then
  old_array=$(sed -n 's/^array_job=//p' "$out/logs/submission")
  old_merge=$(sed -n 's/^merge_job=//p' "$out/logs/submission")
  if [ -n "$(squeue -h -j "$old_array" -o %i 2>/dev/null || true)" ]; then
    die "array job $old_array of the previous submission to $out is still queued or running (squeue -j $old_array);" \
        "wait for it or scancel it, then submit again"
  fi
  if [ -n "$(squeue -h -j "$old_merge" -o %i 2>/dev/null || true)" ]; then
    scancel "$old_merge"
    note "cancelled merge job $old_merge of the previous submission"
  fi
fi

device="${OODBENCH_DEVICE:-auto}"
merge_options=()
for option in "$@"; do  # GPUs are for the shards; the merge job needs none
  case "$option" in
    --gres=*gpu* | --gpus=* | --gpus-per-*=* | --gpu-bind=* | --gpu-freq=* | -G*) device="${OODBENCH_DEVICE:-cuda}" ;;
    *) merge_options+=("$option") ;;
  esac
done
export OODBENCH_DEVICE="$device"
task_command=$(printf '%q ' "$self" --task "$config" "$out" "$n")
merge_command=$(printf '%q ' "$self" --merge "$out" "$n")
array=$(sbatch --parsable --export=ALL --array=0-$((n - 1)) --job-name=oodbench-sweep --open-mode=append \
          --output="$out/logs/shard-%a.log" "$@" --wrap="$task_command")
array=${array%%;*}
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
          --job-name=oodbench-merge --open-mode=append --output="$out/logs/merge.log" "${merge_options[@]}" \
          --wrap="$merge_command")
merge=${merge%%;*}
remember "$array" "$merge" "OODBENCH=$binary OODBENCH_DEVICE=$device $(printf '%q ' "$self" "$config" "$out" "$n" -- "$@")"
note "submitted array job $array ($n shards of $config, device $device) and merge job $merge (runs if all succeed)"
echo "submitted array job $array ($n shards) and merge job $merge, which runs only if every shard succeeds"
echo "logs: $out/logs/; progress: $self --status $out"

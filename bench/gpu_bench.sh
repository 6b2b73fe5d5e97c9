#!/usr/bin/env bash
# The GPU benchmarks in one go (scripts/gpu_check.sh's `bench` step runs this on the lent GPU machine): oodbench's
# primitives beside the hardware ceilings (gpu_bench), then the PyTorch peers on the same shapes (gpu_peers.py),
# then the linear probe on the CPU and on the GPU (probe_bench), then the ratios.
# Usage: bench/gpu_bench.sh BIN_DIR [--quick] [--tf32]
#   BIN_DIR: the folder holding gpu_bench and probe_bench (a build's bench/, or the GPU bundle's bin/, as
#   scripts/gpu_check.sh bench passes it); --tf32: the kNN with TF32 on both sides.
set -euo pipefail
bin=$(realpath "$1")
shift
cd "$(dirname "$0")/.."
out=${OUT:-/tmp}
"$bin/gpu_bench" --json "$out/gpu_bench.jsonl" "$@"
echo
python3 bench/gpu_peers.py "$@" | tee "$out/gpu_peers.jsonl"
echo
# The linear probe with its loss and gradient on each device, same run (seconds, iterations, and how far the GPU's
# head lies from the CPU's).
: >"$out/probe_bench.jsonl"
for device in cpu cuda; do
  "$bin/probe_bench" --train data/medood-mini/mobilenet_v2.npz:chestxray_train \
    --train-labels data/medood-mini/labels.npz:chestxray_train --device "$device" \
    --cache-dir "/tmp/oodbench-probe-bench-$device" | tee -a "$out/probe_bench.jsonl"
done
echo
python3 - "$out/gpu_bench.jsonl" "$out/gpu_peers.jsonl" <<'PY'
import json, sys
ours = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
peers = {r["name"]: r for r in map(json.loads, open(sys.argv[2]))}
pairs = [("kNN k=50 (host in, host out)", "torch kNN k=50 (mm + topk, host in, host out)", "3x"),
         ("kNN k=50 (host in, host out), TF32", "torch kNN k=50 (mm + topk, host in, host out), TF32", "-"),
         ("autoencoder epoch, batch 4096", "torch autoencoder epoch, batch 4096", "-"),
         ("autoencoder epoch, batch 256", "torch autoencoder epoch, batch 256", "-")]
print("| task | oodbench (ms) | PyTorch (ms) | speed-up | target |\n| --- | ---: | ---: | ---: | --- |")
for a, b, target in pairs:
    if a in ours and b in peers:
        o, p = ours[a]["seconds"], peers[b]["seconds"]
        print(f"| {a} | {o * 1e3:.1f} | {p * 1e3:.1f} | {p / o:.2f}x | {target} |")
PY

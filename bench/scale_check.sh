#!/usr/bin/env bash
# Scale and memory: scores a 200k x 1024 train set against 20k test rows with knn and mahalanobis through the real
# CLI, and reports wall time and peak resident memory (GNU time). Synthetic data; speed and memory are what count.
# Usage: bench/scale_check.sh [TRAIN_ROWS] [TEST_ROWS] [DIM]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000} m=${2:-20000} d=${3:-1024}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" "$n" "$m" "$d" <<'PY'
import sys, numpy as np
tmp, n, m, d = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(0)
centers = rng.normal(size=(10, d)).astype(np.float32)
y = rng.integers(0, 10, n).astype(np.int32)
np.save(f"{tmp}/y.npy", y)
x = np.empty((n, d), np.float32)
for s in range(0, n, 20000):
    x[s:s + 20000] = centers[y[s:s + 20000]] + rng.normal(size=(min(20000, n - s), d))
np.save(f"{tmp}/x.npy", x)
np.save(f"{tmp}/t.npy", (centers[rng.integers(0, 10, m)] + 1.2 * rng.normal(size=(m, d))).astype(np.float32))
PY
echo "train $n x $d, test $m (input file $(du -h "$tmp/x.npy" | cut -f1))"
for detector in knn mahalanobis; do
  /usr/bin/time -f "$detector: %e s wall, peak RSS %M KiB" build/harness/oodbench --device cpu score \
    --detector "$detector" --train "$tmp/x.npy" --train-labels "$tmp/y.npy" --test "$tmp/t.npy" --out "$tmp/s.npy" >/dev/null
done

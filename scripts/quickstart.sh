#!/usr/bin/env bash
# Quickstart: installs what is missing, builds, then scores chest X-ray embeddings (MobileNetV2, the bundled
# medood-mini data) with every detector against every OOD and covariate-shift set and prints AUROC and FPR@95.
# Until the sweep runner lands this is a loop over `oodbench score` and `oodbench eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh >/dev/null

oodbench=build/harness/oodbench
features=data/medood-mini/mobilenet_v2.npz
labels=data/medood-mini/labels.npz
out=results/quickstart
mkdir -p "$out/scores"
ood_sets=(breastus_test mnist_far fashion_far chestxray_noise chestxray_blur chestxray_contrast)
detectors=$($oodbench detectors --json | python3 -c 'import json, sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))')

for detector in $detectors; do
  tests=(--test "$features:chestxray_test" --out "$out/scores/${detector}_chestxray_test.npy")
  for set in "${ood_sets[@]}"; do tests+=(--test "$features:$set" --out "$out/scores/${detector}_$set.npy"); done
  $oodbench --device cpu score --detector "$detector" --train "$features:chestxray_train" \
    --train-labels "$labels:chestxray_train" "${tests[@]}" >/dev/null
  oods=()
  for set in "${ood_sets[@]}"; do oods+=(--ood "$out/scores/${detector}_$set.npy"); done
  $oodbench --device cpu eval --json --id "$out/scores/${detector}_chestxray_test.npy" "${oods[@]}" \
    >"$out/$detector.json"
done

python3 - "$out" $detectors <<'PY'
import json, sys
out, detectors = sys.argv[1], sys.argv[2:]
sets = ["breastus_test", "mnist_far", "fashion_far", "chestxray_noise", "chestxray_blur", "chestxray_contrast"]
groups = ["modality", "far", "far", "covariate", "covariate", "covariate"]
for metric, title in [("auroc", "AUROC % (OOD positive)"), ("fpr95", "FPR@95 % (ID positive: OOD accepted at 95 % ID recall)")]:
    print(f"\nID: chest X-ray (MobileNetV2 embeddings), {title}")
    print(f"{'detector':<12}" + "".join(f"{s.replace('chestxray_', ''):>14}" for s in sets))
    print(f"{'':<12}" + "".join(f"{'(' + g + ')':>14}" for g in groups))
    for d in detectors:
        results = json.load(open(f"{out}/{d}.json"))["ood"]  # in the order of `sets`
        print(f"{d:<12}" + "".join(f"{100 * r[metric]:>14.1f}" for r in results))
PY
echo
echo "Scores: $out/scores/, metrics per detector: $out/*.json"

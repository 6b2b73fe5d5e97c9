#!/usr/bin/env bash
# Quickstart: installs what is missing, builds, then runs configs/quickstart.json: chest X-ray embeddings
# (MobileNetV2, the bundled medood-mini data) as ID, every detector against another modality, two far-OOD sets and
# three acquisition shifts. Prints the AUROC and FPR@95 tables; everything else is in results/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh >/dev/null
build/harness/oodbench run configs/quickstart.json --out results/quickstart
echo
cat results/quickstart/tables/chestxray_mobilenet_v2_auroc.md
echo
cat results/quickstart/tables/chestxray_mobilenet_v2_fpr95.md

#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (GPU tests skip themselves without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh "$@"
cd build && ctest --output-on-failure -j "$(nproc)"

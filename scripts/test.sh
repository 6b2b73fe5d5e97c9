#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite twice: on the release build, then on the `asan`
# preset (AddressSanitizer + UndefinedBehaviorSanitizer). GPU tests skip themselves without a GPU.
# OODBENCH_SKIP_SANITIZERS=1 runs the release pass only (quicker, for local iterations).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --optional
scripts/build.sh "$@"
(cd build && ctest --output-on-failure -j "$(nproc)")
if [ "${OODBENCH_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake --preset asan >/dev/null
  cmake --build build-asan -j "$(nproc)"
  # Third-party libraries (fontconfig, glib...) keep caches until exit; LeakSanitizer is told which (tests/lsan.supp).
  (cd build-asan && LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp" ctest --output-on-failure -j "$(nproc)")
fi

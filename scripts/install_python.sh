#!/usr/bin/env bash
# Makes `import oodbench` work in Debian's python3 from any folder without installing it: writes oodbench.pth, naming
# this checkout, into that interpreter's user site-packages, so edits to oodbench/ take effect at once. The compiled
# engine is the one scripts/build.sh built in build/ (or set OODBENCH_BUILD_DIR). Undo: delete the printed file.
# To install the package instead (into a venv: the usual way), see the README: pip install --no-build-isolation .
# PYTHON names another interpreter. Every python3 of the same version reads that user site-packages folder, so one
# that cannot import NumPy (a pyenv or conda python3 first on PATH, say) would then fail on `import oodbench`: the
# script refuses an interpreter without NumPy and names any such other python3 it finds.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
[ -e build/python ] || { echo "build the engine first: scripts/build.sh" >&2; exit 2; }
if ! "$python" -c "import numpy" 2>/dev/null; then
  echo "install_python.sh: $python cannot import numpy, which oodbench needs; use Debian's /usr/bin/python3" \
       "(apt install python3-numpy), or a venv: python3 -m venv --system-site-packages ENV &&" \
       "ENV/bin/pip install --no-build-isolation ." >&2
  exit 2
fi
site=$("$python" -m site --user-site)
first=$(command -v python3 || true)
if [ -n "$first" ] && [ "$(readlink -f "$first")" != "$(readlink -f "$python")" ] &&
   [ "$("$first" -c "import site; print(site.getusersitepackages() if site.ENABLE_USER_SITE else '')" \
       2>/dev/null)" = "$site" ] && ! "$first" -c "import numpy" 2>/dev/null; then
  echo "install_python.sh: warning: $first (the python3 first on PATH) reads the same $site but cannot import" \
       "numpy: \`import oodbench\` fails there; run $python, or install oodbench into a venv with pip (README)" >&2
fi
mkdir -p "$site"
echo "$PWD" > "$site/oodbench.pth"
echo "$site/oodbench.pth -> $PWD"
(cd / && "$python" -c "import oodbench; print('import oodbench:', oodbench.__version__, 'from', oodbench.__file__)")

#!/usr/bin/env bash
# Makes `import oodbench` work in Debian's python3 from any folder (a notebook's, say): writes oodbench.pth, naming
# this checkout, into that interpreter's user site-packages. The compiled engine is the one scripts/build.sh built in
# build/ (or set OODBENCH_BUILD_DIR). Undo: delete the printed file. Within the repository no step is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-/usr/bin/python3}
[ -e build/python ] || { echo "build the engine first: scripts/build.sh" >&2; exit 2; }
site=$("$python" -m site --user-site)
mkdir -p "$site"
echo "$PWD" > "$site/oodbench.pth"
echo "$site/oodbench.pth -> $PWD"
(cd / && "$python" -c "import oodbench; print('import oodbench:', oodbench.__version__, 'from', oodbench.__file__)")

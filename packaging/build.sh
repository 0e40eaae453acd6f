#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/wordnet-explorer/wordnet-explorer (see packaging/README.md).
#   packaging/build.sh            set up (./dev's packages and venv), build, then run the smoke test
# It ships WordNet 3.0 as the app's taxonomy cache, built here from this machine's WordNet.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BUILD=build/bundle
DIST=dist/wordnet-explorer

EXTRA_DEBIAN_PACKAGES="binutils xz-utils" ./dev setup >/dev/null
"$VENV/bin/python" -m pip install -q -e ".[bundle]"

echo "Building the taxonomy cache to ship" >&2
rm -rf "$BUILD/data" "$BUILD"/taxonomy.sqlite* && mkdir -p "$BUILD/data"
"$VENV/bin/wnexplorer" --data-dir "$BUILD/data" setup --no-install >/dev/null
cache=$(ls "$BUILD"/data/cache/taxonomy-*.sqlite)
# Compact it: the file is read-only in the bundle.
"$VENV/bin/python" - "$cache" "$BUILD/taxonomy.sqlite" <<'PY'
import sqlite3, sys
source, target = sys.argv[1:]
db = sqlite3.connect(source)
db.execute("VACUUM INTO ?", (target,))
db.close()
PY
xz -T0 -6 -f "$BUILD/taxonomy.sqlite"  # 43 MB -> 13 MB; unpacked once on first start

echo "Running PyInstaller" >&2
rm -rf "$DIST"
WNEXPLORER_TAXONOMY_CACHE="$PWD/$BUILD/taxonomy.sqlite.xz" "$VENV/bin/pyinstaller" --noconfirm \
  --log-level WARN --workpath "$BUILD/work" --distpath dist packaging/wordnet-explorer.spec

# Strip debug symbols (libpython alone carries 19 MB of them), but not numpy's OpenBLAS:
# stripping it leaves an ELF that no longer loads ("not page-aligned").
find "$DIST/_internal" -path "$DIST/_internal/numpy.libs" -prune -o \
  -type f \( -name "*.so" -o -name "*.so.*" \) -print0 | xargs -0 strip --strip-unneeded 2>/dev/null || true
find "$DIST" -xtype l -delete  # links PyInstaller made to the Qt libraries the spec left out
cp packaging/install-desktop.sh "$DIST/install-desktop.sh"
size=$(du -sm "$DIST" | cut -f1)
echo "Bundle: $DIST ($size MB; budget 210 MB)" >&2
echo "Smoke test:" >&2
env -u WNEXPLORER_DATA_DIR -u WNEXPLORER_WORDNET QT_QPA_PLATFORM=offscreen \
  "$DIST/wordnet-explorer" --smoke-test

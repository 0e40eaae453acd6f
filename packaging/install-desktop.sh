#!/usr/bin/env bash
# Install the bundle for this user: the program, a menu entry and its icon (no root needed).
#   packaging/install-desktop.sh [BUNDLE]   BUNDLE: the built folder [dist/wordnet-explorer]
#   packaging/install-desktop.sh --uninstall
# Puts the bundle in ~/.local/share/wordnet-explorer/bundle, a link in ~/.local/bin, the
# desktop entry in ~/.local/share/applications, the icons in ~/.local/share/icons/hicolor
# and the AppStream metainfo in ~/.local/share/metainfo. Flags and catalogues are untouched.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
APP_ID=io.github.wordnet_explorer.WordNetExplorer
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
TARGET="$DATA/wordnet-explorer/bundle"

refresh() {  # menus and icon caches notice the change sooner; optional tools
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$TARGET" "$BIN/wordnet-explorer" "$DATA/applications/$APP_ID.desktop" \
    "$DATA/metainfo/$APP_ID.metainfo.xml"
  find "$DATA/icons/hicolor" -name "$APP_ID.*" -delete 2>/dev/null || true
  refresh
  echo "Uninstalled (your catalogues and flags in $DATA/wordnet-explorer stay)."
  exit 0
fi

# Run from inside a bundle (it ships this script) or from the source tree's packaging/.
if [ -x "$SCRIPT_DIR/wordnet-explorer" ]; then DEFAULT="$SCRIPT_DIR"
else DEFAULT="$SCRIPT_DIR/../dist/wordnet-explorer"; fi
BUNDLE="$(cd "${1:-$DEFAULT}" 2>/dev/null && pwd || echo "${1:-$DEFAULT}")"
if [ ! -x "$BUNDLE/wordnet-explorer" ]; then
  echo "No bundle at $BUNDLE: build it first with packaging/build.sh" >&2
  exit 1
fi
mkdir -p "$(dirname "$TARGET")" "$BIN" "$DATA/applications" "$DATA/metainfo"
rm -rf "$TARGET.new" && cp -a "$BUNDLE" "$TARGET.new"
rm -rf "$TARGET" && mv "$TARGET.new" "$TARGET"
ln -sfn "$TARGET/wordnet-explorer" "$BIN/wordnet-explorer"

RESOURCES="$TARGET/_internal/resources"
install -Dm644 "$RESOURCES/icons/$APP_ID.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
# the PNG sizes are the package's data, which the window loads too
for png in "$TARGET/_internal/explorer/qt/resources/icons"/*x*/"$APP_ID.png"; do
  size=$(basename "$(dirname "$png")")
  install -Dm644 "$png" "$DATA/icons/hicolor/$size/apps/$APP_ID.png"
done
# The menu entry runs the installed program by its full path (~/.local/bin may not be on PATH).
sed -e "s|^Exec=.*|Exec=$TARGET/wordnet-explorer|" -e "s|^TryExec=.*|TryExec=$TARGET/wordnet-explorer|" \
  "$RESOURCES/$APP_ID.desktop" >"$DATA/applications/$APP_ID.desktop"
install -m644 "$RESOURCES/$APP_ID.metainfo.xml" "$DATA/metainfo/$APP_ID.metainfo.xml"
refresh
echo "Installed: WordNet Explorer is in your applications menu; or run $BIN/wordnet-explorer"

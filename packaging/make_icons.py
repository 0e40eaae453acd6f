"""Render resources/icons/<id>.svg as the PNG sizes desktops look for (run after editing it),
into explorer/qt/resources/icons/<size>/, the package data the window loads its icon from.

.venv/bin/python packaging/make_icons.py
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons"
ICONS = ROOT / "explorer" / "qt" / "resources" / "icons"
APP_ID = "io.github.wordnet_explorer.WordNetExplorer"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt wants one for painting)
    renderer = QSvgRenderer(str(SVG / f"{APP_ID}.svg"))
    if not renderer.isValid():
        print("the SVG does not parse", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = ICONS / f"{size}x{size}" / f"{APP_ID}.png"
        target.parent.mkdir(exist_ok=True)
        image.save(str(target))
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

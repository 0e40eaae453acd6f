"""The main window as the GUI tests open it: private settings and thumbnail cache, the real
taxonomy loaded. Tests import it as ``from windows import open_window`` (tests/ is on the
path)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QSettings

from explorer.core.images import ThumbnailCache
from explorer.qt.main_window import MainWindow


def open_window(
    qtbot,
    tmp_path: Path,
    data_dir: str | Path,
    size: tuple[int, int] | None = None,
    curator: str | None = None,
    owned: bool = True,
) -> MainWindow:
    """A shown MainWindow whose taxonomy has loaded; ``owned``: qtbot closes it at the end
    (a test of closing does that itself)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    if curator is not None:
        settings.setValue("curator", curator)
    main = MainWindow(settings, lambda: ThumbnailCache(tmp_path / "thumbnails"), data_dir)
    if owned:
        qtbot.addWidget(main)
    if size is not None:
        main.resize(*size)
    main.show()
    with qtbot.waitSignal(main.taxonomy_ready, timeout=30_000):
        main.load_taxonomy()
    return main


def private_copy(catalogue: Path, target: Path) -> Path:
    """A copy of ``catalogue`` at ``target`` (SQLite's backup: whole whatever its journal),
    so that the flag store beside it starts empty for one test."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(catalogue), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target

"""The window's side of bench_scale.py: one process, one selection, figures as one JSON line.

Two modes, each a whole process (bench_scale.py reads its peak RSS with wait4):

- ``scale_gui.py window CATALOGUE WNID WORK [--interact]``: the real MainWindow
  (offscreen unless QT_QPA_PLATFORM says otherwise, fresh settings and
  thumbnail cache under WORK, the data folder WORK/data kept from run to run:
  the taxonomy cache is warm, as users have it) loads the taxonomy, opens CATALOGUE (measured:
  the call, and the longest stall in the second after it) and selects WNID.
  Measured from the selection: when the grid's first visible tiles are
  asked of the thumbnail loader (or have arrived), and the longest event-loop
  stall (a 10 ms timer's late ticks) until a second after that. With
  ``--interact`` (on the root): the scroll bar dragged to the middle and to the
  end (tiles requested), the sort changed to size, then the filter to
  "Flagged" (listing done and tiles requested). Each step also gives the
  process's peak RSS so far (the selection's own, before the steps that follow).
- ``scale_gui.py bare ROWS CATALOGUE``: the floor for the same steps. A bare
  PySide6 window whose QListView (uniform item sizes) shows a model of ROWS
  rows, timed from ``setModel`` to the first request for a visible row's
  decoration, and after a drag to the middle and the end. ROWS is a few
  screens' worth (bench_scale.py passes 10,000), not the catalogue's count:
  QListView lays out every row when its model is set (1.5 s for a million
  rows, 21 s for 14.2 million, measured), which is why the grid has its own
  view, and a floor that slow would flatter it. Also
  plain sqlite3 answering the first 256 rows of the root by size, and of the
  flagged images (the flag store attached, joined on path), each once.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QEventLoop, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QListView, QMainWindow

SETTLE_S = 1.0  # stalls are watched this long after the tiles were requested
GIVE_UP_S = 30.0
_NO_INDEX = QModelIndex()


class StallWatch:
    """The longest gap between a 10 ms timer's ticks, beyond its 10 ms."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=10)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last - 0.010)
        self._last = now

    def reset(self) -> None:
        self.longest, self._last = 0.0, time.perf_counter()


def run_until(condition: Any, timeout_s: float = GIVE_UP_S) -> bool:
    """Process events until ``condition()`` holds (False: it did not in time), looking
    every millisecond. The loop sleeps between events as an application's does: polling
    without a pause would hold the GIL that the workers need (a root listing took 0.5 s
    instead of 0.1 s)."""
    app, end = QApplication.instance(), time.perf_counter() + timeout_s
    poll = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    poll.start()
    try:
        while not condition():
            if time.perf_counter() > end:
                return False
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        poll.stop()
    return True


def run_for(seconds: float) -> None:
    end = time.perf_counter() + seconds
    run_until(lambda: time.perf_counter() > end, seconds + 1)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def window(catalogue: str, wnid: str, scratch: Path, data_dir: Path, interact: bool) -> dict:
    from explorer.core.images import ThumbnailCache
    from explorer.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, lambda: ThumbnailCache(scratch / "thumbs"), str(data_dir))
    main.resize(1360, 860)
    main.show()
    ready = {"taxonomy": False, "images": 0}
    main.taxonomy_ready.connect(lambda: ready.update(taxonomy=True))
    main.images_ready.connect(lambda: ready.update(images=ready["images"] + 1))
    main.load_taxonomy()
    if not run_until(lambda: ready["taxonomy"], 120):
        raise SystemExit("the taxonomy did not load in 120 s")
    watch = StallWatch()
    start = time.perf_counter()
    main.open_catalogue(catalogue)
    opened = {"open_call_ms": ms(time.perf_counter() - start)}
    run_for(SETTLE_S)
    opened["longest_stall_ms"] = ms(watch.longest)
    model, grid = main.grid_model, main.grid

    def requested() -> bool:  # every visible tile asked of the loader, or arrived
        positions = grid.visible_range()
        return len(positions) > 0 and all(
            (row := model.row(p)) is not None
            and (row.id in model._pending or model.is_loaded(row.id))
            for p in positions
        )

    def step(action: Any, wait_listing: bool) -> dict:
        """Time ``action`` until the visible tiles are requested; the longest stall then."""
        listed_before = ready["images"]
        run_for(0.2)
        watch.reset()
        start = time.perf_counter()
        action()
        if wait_listing and not run_until(lambda: ready["images"] > listed_before):
            raise SystemExit("the listing did not finish")
        listed = time.perf_counter() - start
        if not run_until(requested):
            raise SystemExit("the visible tiles were never requested")
        figures = {
            "listed_ms": ms(listed),
            "tiles_requested_ms": ms(time.perf_counter() - start),
            "rows": model.rowCount(),
            "first_visible": grid.visible_range().start,
        }
        run_for(SETTLE_S)
        figures["longest_stall_ms"] = ms(watch.longest)
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        return figures

    results = {"open": opened, "select": step(lambda: main.select(wnid), wait_listing=True)}
    results["select"]["count_label"] = main.images.image_count.text()
    if interact:
        bar = grid.verticalScrollBar()
        for where, fraction in (("drag_middle", 0.5), ("drag_end", 1.0)):
            results[where] = step(
                lambda f=fraction: bar.setValue(int(bar.maximum() * f)), wait_listing=False
            )
        sort, keep = main.images.sort, main.images.filter
        results["sort_size"] = step(
            lambda: sort.setCurrentIndex(sort.findData("size")), wait_listing=True
        )
        results["filter_flagged"] = step(
            lambda: keep.setCurrentIndex(keep.findData("flagged")), wait_listing=True
        )
        results["flags"] = len(main.workspace.states)
    main.close()
    app.processEvents()
    return results


class BareModel(QAbstractListModel):
    """ROWS rows of text; remembers the rows whose decoration the view asked for."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows, self.asked = rows, set()

    def rowCount(self, parent: Any = _NO_INDEX) -> int:
        return 0 if parent.isValid() else self.rows

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DecorationRole:
            self.asked.add(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return f"n00000000_{index.row()}.JPEG"
        return None


def bare(rows: int, catalogue: str) -> dict:
    import sqlite3

    from explorer.core.curation.storage import flags_path_for

    app = QApplication.instance() or QApplication([])
    main, view, model = QMainWindow(), QListView(), BareModel(rows)
    view.setUniformItemSizes(True)
    main.setCentralWidget(view)
    main.resize(1360, 860)
    main.show()
    app.processEvents()

    def asked_at(row: int) -> bool:
        return row in model.asked

    start = time.perf_counter()
    view.setModel(model)
    run_until(lambda: asked_at(0))
    results = {"select": {"tiles_requested_ms": ms(time.perf_counter() - start), "rows": rows}}
    bar = view.verticalScrollBar()
    for where, fraction in (("drag_middle", 0.5), ("drag_end", 1.0)):
        start = time.perf_counter()
        bar.setValue(int(bar.maximum() * fraction))
        target = view.indexAt(view.viewport().rect().center()).row()
        run_until(lambda t=target: asked_at(t))
        results[where] = {"tiles_requested_ms": ms(time.perf_counter() - start)}
    db = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    start = time.perf_counter()
    db.execute("SELECT id FROM images WHERE present = 1 ORDER BY size, path LIMIT 256").fetchall()
    results["sort_size"] = {"sql_first_rows_ms": ms(time.perf_counter() - start)}
    flags = flags_path_for(catalogue)
    if not flags.exists():  # no flags added: the "Flagged" filter is not measured
        main.close()
        return results
    db.execute("ATTACH DATABASE ? AS curation", (f"file:{flags}?mode=ro",))
    start = time.perf_counter()
    db.execute(
        "SELECT images.id FROM images JOIN curation.flags USING (path)"
        " WHERE images.present = 1 ORDER BY images.path LIMIT 256"
    ).fetchall()
    results["filter_flagged"] = {"sql_first_rows_ms": ms(time.perf_counter() - start)}
    main.close()
    return results


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "bare":
        results = bare(int(rest[0]), rest[1])
    else:
        catalogue, wnid, work = rest[:3]
        with tempfile.TemporaryDirectory(dir=work) as scratch:
            data_dir = Path(work) / "data"  # shared: a warm taxonomy cache, as users have
            results = window(catalogue, wnid, Path(scratch), data_dir, "--interact" in rest)
    print(json.dumps(results))


if __name__ == "__main__":
    main()

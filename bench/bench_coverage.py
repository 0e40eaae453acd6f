"""Benchmark the Coverage tab on ImageNet-21k (issue 15): the picture's redraw and the gap table.

In one process, one thread, offscreen: the real taxonomy and the counts of a catalogue
(the 14,197,122-image catalogue indexed from fall11's manifest; without
``--catalogue``, fall11's per-synset counts from the shared data, the same numbers),
then for entity (82,115 synsets below), animal and dog:

1. ``picture``: the icicle at 1150x300 px (the Coverage tab of a 1920x1080 window):
   a new subtree (layout and paint), a new threshold (layout and paint), and a
   repaint (a hover: paint only), each rendered with ``QWidget.grab()``.
   Baseline, same run: a bare QWidget that paints the same rectangles and texts,
   precomputed (Qt's floor for drawing the same picture). Target: <= 100 ms.
2. ``histogram``: the subtree's counts binned and painted, against the same floor
   (a bare widget painting its bars).
3. ``table``: the window's gap table in priority order (the core's ``gap_table``
   and its sort: arrays, a row made only when shown), and every row made as the
   command line's ``coverage`` does, against a plain Python loop that reads the
   same fields of every synset of the subtree from networkx and sorts them.
4. ``window`` (with ``--catalogue``): the real MainWindow at 1920x1080 on the
   Coverage tab selects entity, then dog, then entity again: the time until the
   table's rows are shown and the longest event-loop stall meanwhile (a 10 ms
   timer's late ticks, bench/scale_gui.py's StallWatch). Target: stall <= 100 ms.

    .venv/bin/python bench/bench_coverage.py [--catalogue /tmp/big/f21k-v5.sqlite] [--repeat 7]

See bench/README.md ("Coverage picture") for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

sys.path.insert(0, str(ROOT))

SUBTREES = {"entity": "n00001740", "animal": "n00015388", "dog": "n02084071"}
SIZE = (1150, 300)
FALL11 = Path(os.environ.get("WNEXPLORER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


def load_counts(catalogue: str | None):
    from explorer.core.analysis import compute_counts
    from explorer.core.catalogue import Catalogue
    from explorer.core.wordnet import load_taxonomy

    taxonomy = load_taxonomy()
    if catalogue:
        with Catalogue.open(catalogue) as opened:
            direct = opened.direct_counts(taxonomy.graph)
        source = catalogue
    else:
        path = FALL11 / "imagenet21k" / "fall11_synset_image_counts.tsv"
        lines = path.read_text().splitlines()
        direct = {wnid: int(n) for wnid, n in (line.split("\t") for line in lines)}
        source = str(path)
    return taxonomy, compute_counts(taxonomy, direct), source


def window_steps(catalogue: str) -> dict:
    """Select in the real window, Coverage tab open: rows shown, longest stall."""
    import tempfile

    from PySide6.QtCore import QSettings
    from scale_gui import StallWatch, ms, run_for, run_until

    from explorer.core.images import ThumbnailCache
    from explorer.qt.main_window import MainWindow

    figures: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
        main = MainWindow(settings, lambda: ThumbnailCache(Path(scratch) / "thumbs"))
        main.resize(1920, 1080)
        main.show()
        loaded = {"taxonomy": False, "rows": 0}
        main.taxonomy_ready.connect(lambda: loaded.update(taxonomy=True))
        main.coverage.rows_shown.connect(lambda: loaded.update(rows=loaded["rows"] + 1))
        main.load_taxonomy()
        run_until(lambda: loaded["taxonomy"], 120)
        main.open_catalogue(catalogue)
        main.select(SUBTREES["dog"])
        main.show_tab(1)
        run_until(lambda: loaded["rows"] > 0)
        watch = StallWatch()
        for step, wnid in (
            ("entity", "n00001740"),
            ("dog", "n02084071"),
            ("entity again", "n00001740"),
        ):
            run_for(0.3)
            before = loaded["rows"]
            watch.reset()
            start = time.perf_counter()
            main.select(wnid)
            run_until(lambda before=before: loaded["rows"] > before)
            shown = time.perf_counter() - start
            run_for(0.5)
            figures[step] = {
                "rows_shown_ms": ms(shown),
                "rows": main.coverage.table_model.rowCount(),
                "longest_stall_ms": ms(watch.longest),
            }
            print(f"window, select {step}: {figures[step]}", flush=True)
        main.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", help="a catalogue (default: fall11's counts)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    from explorer.core.analysis import count_histogram, coverage, gap_table
    from explorer.qt.coverage_map import CountHistogram, CoverageMap
    from explorer.qt.palette import STATUS

    app = QApplication.instance() or QApplication([])
    taxonomy, counts, source = load_counts(args.catalogue)
    total = int(counts.subtree[counts.index[SUBTREES["entity"]]])
    print(f"counts of {source}: {total:,} images", flush=True)

    class BareRects(QWidget):
        """The floor: the same rectangles and texts, painted with nothing to work out."""

        def __init__(self, rects, texts, colours):
            super().__init__()
            self.items = list(zip(rects, texts, colours, strict=True))

        def paintEvent(self, event):
            painter = QPainter(self)
            for rect, text, colour in self.items:
                painter.fillRect(rect, colour)
                if text:
                    painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, text)
            painter.end()

    results: dict = {
        "machine": machine(),
        "git": git_state(),
        "load": loadavg(),
        "source": source,
        "images": total,
        "size": SIZE,
    }
    picture = CoverageMap()
    picture.resize(*SIZE)
    histogram = CountHistogram()
    histogram.resize(400, 300)
    for name, wnid in SUBTREES.items():
        path = tuple(taxonomy.paths_to_root(wnid)[0])
        thresholds = iter(range(10, 10 + 3 * args.repeat))

        def new_subtree(path=path):
            picture.show_subtree(taxonomy, counts, path, 10)
            picture._laid_out_for = None  # as for a subtree not drawn before
            picture.grab()

        def new_threshold(path=path, thresholds=thresholds):
            picture.show_subtree(taxonomy, counts, path, next(thresholds))
            picture.grab()

        new_subtree()
        subtree_ms = median_ms(new_subtree, args.repeat)
        threshold_ms = median_ms(new_threshold, args.repeat)
        repaint_ms = median_ms(picture.grab, args.repeat)
        cells = len(picture.cells)
        colours = [STATUS.get(c.status, STATUS["ok"]).swatch for c in picture.cells]
        shown = zip(picture.cells, picture.rects, strict=True)
        texts = [picture._cell_name(c) if r.width() >= 24 else "" for c, r in shown]
        bare = BareRects(picture.rects, texts, colours)
        bare.resize(*SIZE)
        bare_ms = median_ms(bare.grab, args.repeat)

        nodes = counts.subtree_nodes(wnid)

        def draw_histogram(nodes=nodes):
            bins = count_histogram(counts.subtree[nodes].tolist(), 10)
            histogram.set_bins(bins, 10, "images in the subtree")
            histogram.grab()

        histogram_ms = median_ms(draw_histogram, args.repeat)
        bars = [QRectF(10 + 12 * i, 50, 10, 200) for i in range(len(histogram.bins))]
        bare_bars = BareRects(bars, [""] * len(bars), [STATUS["ok"].swatch] * len(bars))
        bare_bars.resize(400, 300)
        bare_bars_ms = median_ms(bare_bars.grab, args.repeat)

        def table(wnid=wnid):
            return gap_table(taxonomy, counts, under=wnid, min_images=10).sorted("priority")

        def all_rows(wnid=wnid):
            return coverage(taxonomy, counts, under=wnid, min_images=10, sort="priority")

        def plain_loop(nodes=nodes):
            graph_nodes, rows = taxonomy.graph.nodes, []
            for i in nodes.tolist():
                w = counts.wnids[i]
                data = graph_nodes[w]
                if counts.subtree[i] < 10:
                    rows.append((int(counts.subtree[i]), data["name"], data["min_depth"], w))
            return sorted(rows)

        table_ms = median_ms(table, args.repeat)
        all_rows_ms = median_ms(all_rows, max(3, args.repeat // 2))
        plain_ms = median_ms(plain_loop, max(3, args.repeat // 2))
        rows = len(table())
        results[name] = figures = {
            "synsets": len(nodes),
            "cells": cells,
            "picture_new_subtree_ms": subtree_ms,
            "picture_new_threshold_ms": threshold_ms,
            "picture_repaint_ms": repaint_ms,
            "bare_paint_ms": bare_ms,
            "picture_ratio": round(subtree_ms / bare_ms, 2),
            "histogram_ms": histogram_ms,
            "bare_bars_ms": bare_bars_ms,
            "histogram_ratio": round(histogram_ms / bare_bars_ms, 2),
            "table_rows": rows,
            "table_ms": table_ms,
            "all_rows_ms": all_rows_ms,
            "plain_loop_ms": plain_ms,
            "table_ratio": round(table_ms / plain_ms, 3),
            "all_rows_ratio": round(all_rows_ms / plain_ms, 2),
        }
        print(
            f"{name} ({figures['synsets']:,} synsets, {cells:,} cells): picture new subtree "
            f"{subtree_ms} ms, new threshold {threshold_ms} ms, repaint {repaint_ms} ms; "
            f"bare paint of the same cells {bare_ms} ms ({figures['picture_ratio']}x); "
            f"histogram {histogram_ms} ms (bare bars {bare_bars_ms} ms, "
            f"{figures['histogram_ratio']}x); table {rows:,} rows {table_ms} ms, every row made "
            f"{all_rows_ms} ms (plain loop {plain_ms} ms: {figures['table_ratio']}x, "
            f"{figures['all_rows_ratio']}x)",
            flush=True,
        )
    if args.catalogue:
        results["window"] = window_steps(args.catalogue)
    del app
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

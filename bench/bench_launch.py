"""Benchmark the launch (issue 19): from starting ``wnexplorer gui --catalogue C --select
n02099601 --screenshot s.png`` (the 1,000 real samples, warm caches) to the selected synset's
thumbnails drawn, against a bare PySide6 window with a 50-row tree grabbed to a PNG, both
fresh processes, median of N interleaved runs each. Target: at most 3x the floor.

Each process prints ``time.monotonic()`` marks (one clock for every process on Linux): the
app, with ``WNEXPLORER_PRINT_FIRST_PAINT`` set, the tree's first paint, the grid's first
paint with the visible thumbnails in, and the graph in use; the floor, its PNG saved. The
parent takes its own mark just before ``Popen``. Whole processes (to their exit) are
reported too. The catalogue is indexed into a temporary folder first, and the thumbnail
cache warmed by one untimed run.

    .venv/bin/python bench/bench_launch.py [--runs 5] [--samples DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, child_env, git_state, loadavg

GOLDEN = "n02099601"
FLOOR = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTreeWidget, QTreeWidgetItem
app = QApplication(sys.argv[:1])
window = QMainWindow()
tree = QTreeWidget()
tree.addTopLevelItems([QTreeWidgetItem([f"synset {i}"]) for i in range(50)])
window.setCentralWidget(tree)
window.resize(1280, 800)
window.show()
def grab():
    window.grab().save(sys.argv[1])
    print(f"grabbed {time.monotonic()}", flush=True)
    app.quit()
QTimer.singleShot(0, grab)
app.exec()
"""


def run(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds from just before Popen to each mark the process prints, and to its exit."""
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    ended = time.monotonic()
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    marks = {"exit": ended - start}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("grabbed", "first-paint", "first-thumbnails", "taxonomy-ready"):
            marks[name] = float(value) - start
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", default="/work/shared/data/imagenet-samples")
    parser.add_argument("--json", help="Write every figure to this file.")
    args = parser.parse_args()
    env = child_env(QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as work:
        catalogue = str(Path(work) / "samples.sqlite")
        subprocess.run(
            [sys.executable, "-m", "explorer", "index", args.samples, "--catalogue", catalogue],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        floor = [sys.executable, "-c", FLOOR, str(Path(work) / "floor.png")]
        app = [
            *(sys.executable, "-m", "explorer", "gui", "--catalogue", catalogue),
            *("--select", GOLDEN, "--size", "1280x800"),
            *("--screenshot", str(Path(work) / "app.png")),
        ]
        app_env = {**env, "WNEXPLORER_PRINT_FIRST_PAINT": "1"}
        run(floor, env), run(app, app_env)  # warm the page cache and the thumbnail cache
        floors, apps = [], []
        for _ in range(args.runs):  # interleaved: the load falls on both alike
            floors.append(run(floor, env))
            apps.append(run(app, app_env))
    figures = {
        "floor": {m: statistics.median(r[m] for r in floors) for m in ("grabbed", "exit")},
        "app": {
            m: statistics.median(r[m] for r in apps)
            for m in ("first-paint", "first-thumbnails", "taxonomy-ready", "exit")
        },
    }
    base = figures["floor"]["grabbed"]
    print(f"commit {git_state()}, load {loadavg()}, median of {args.runs} processes each")
    floor_exit = figures["floor"]["exit"]
    print(f"floor: bare window, 50-row tree, grabbed {base:.3f} s (exit {floor_exit:.3f} s)")
    for mark, value in figures["app"].items():
        print(f"app: {mark:<45s} {value:.3f} s   {value / base:.1f}x the floor")
    ratio = figures["app"]["first-thumbnails"] / base
    figures["ratio"] = ratio
    verdict = "ok" if ratio <= 3 else "MISSED"
    print(f"launch -> first thumbnails: {ratio:.2f}x (target <= 3x: {verdict})")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"commit": git_state(), "load": loadavg(), **figures}, indent=2)
        )


if __name__ == "__main__":
    main()

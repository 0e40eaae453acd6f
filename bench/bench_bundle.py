"""Benchmark the desktop bundle: its size, and its start to the first painted tree.

Figures, each against a baseline measured in the same run:

1. size: the bundle folder on disk (the budget is 210 MB), its largest parts;
2. start: wall time from just before ``Popen`` of ``dist/wordnet-explorer/wordnet-explorer``
   (fresh settings, a data directory where the shipped taxonomy is already unpacked) until
   the tree's first paint, which the app prints when ``WNEXPLORER_PRINT_FIRST_PAINT`` is
   set; against the Qt floor (an empty QMainWindow + QTreeView in this Python) and against
   the source install (``wnexplorer gui``, the same data). The first start of a fresh data
   directory, which unpacks the shipped taxonomy, is reported too;
3. the bundle's ``--smoke-test`` wall time.

    packaging/build.sh && .venv/bin/python bench/bench_bundle.py [--runs 5] [--json FILE]
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

from bench_gui import QT_FLOOR_CHILD  # bench/ is on sys.path
from common import cpu_model, git_state, loadavg

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "wordnet-explorer"
BUDGET_MB = 210  # 200 until issue 16: Dask distributed and the OpenSSL its comms import


def folder_mb(path: Path) -> float:
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 2**20


def first_paint(command: list[str], env: dict) -> float:
    """Seconds from Popen to the 'first-paint' line (or the floor's JSON marks)."""
    start = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        for line in process.stdout:
            if line.startswith("first-paint "):
                return float(line.split()[1]) - start
            if line.startswith("{"):
                return json.loads(line)["first tree paint"] - start
    finally:
        process.kill()
        process.wait()
    raise RuntimeError(f"{command[0]} exited before its first paint")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    options = parser.parse_args()
    if not (BUNDLE / "wordnet-explorer").is_file():
        sys.exit(f"no bundle at {BUNDLE}: run packaging/build.sh first")
    before = loadavg()
    results: dict = {"size_mb": folder_mb(BUNDLE)}
    parts = sorted(
        (
            (folder_mb(p) if p.is_dir() else p.lstat().st_size / 2**20, p.name)
            for p in (BUNDLE / "_internal").iterdir()
        ),
        reverse=True,
    )[:6]
    results["largest_parts_mb"] = {name: round(mb, 1) for mb, name in parts}

    with tempfile.TemporaryDirectory() as scratch:
        base = {k: v for k, v in os.environ.items() if not k.startswith("WNEXPLORER_")}
        base.update(
            QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            WNEXPLORER_PRINT_FIRST_PAINT="1",
        )

        def env(name: str) -> dict:
            return {
                **base,
                "XDG_CONFIG_HOME": f"{scratch}/config-{name}-{time.monotonic_ns()}",
                "WNEXPLORER_DATA_DIR": f"{scratch}/data-{name}",
            }

        bundle = [str(BUNDLE / "wordnet-explorer")]
        source = [str(ROOT / ".venv" / "bin" / "wnexplorer"), "gui"]
        floor = [sys.executable, "-c", QT_FLOOR_CHILD]
        results["bundle_first_start_s"] = first_paint(bundle, env("bundle"))  # unpacks
        first_paint(source, env("source"))  # warm: the source install's own cache is built
        times: dict[str, list[float]] = {"bundle": [], "source": [], "qt_floor": []}
        for number in range(options.runs):
            print(f"  round {number + 1}/{options.runs}", flush=True)
            times["bundle"].append(first_paint(bundle, env("bundle")))
            times["source"].append(first_paint(source, env("source")))
            times["qt_floor"].append(first_paint(floor, env("floor")))
        for kind, seconds in times.items():
            results[f"{kind}_start_median_s"] = statistics.median(seconds)
            results[f"{kind}_start_best_s"] = min(seconds)
        start = time.monotonic()
        smoke_env = {**base, "WNEXPLORER_DATA_DIR": f"{scratch}/data-smoke"}
        smoke = subprocess.run(
            [*bundle, "--smoke-test"], capture_output=True, text=True, env=smoke_env
        )
        results["smoke_test_s"] = time.monotonic() - start
        results["smoke_test_status"] = smoke.returncode

    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M:%S %z')}: {cpu_model()}; load average "
        f"{before} before, {loadavg()} after; {git_state()}"
    )
    verdict = "met" if results["size_mb"] <= BUDGET_MB else "MISSED"
    print(f"== bundle size: {results['size_mb']:.0f} MB (budget {BUDGET_MB} MB: {verdict})")
    for name, mb in results["largest_parts_mb"].items():
        print(f"     {mb:7.1f} MB  {name}")
    floor_median = results["qt_floor_start_median_s"]
    print("== start to the first painted tree (median / best)")
    for kind, label in (
        ("qt_floor", "Qt floor (empty window, this Python)"),
        ("source", "source install: wnexplorer gui"),
        ("bundle", "bundle: wordnet-explorer"),
    ):
        median, best = results[f"{kind}_start_median_s"], results[f"{kind}_start_best_s"]
        print(f"  {label:<38} {median:.3f} / {best:.3f} s   {median / floor_median:.1f}x the floor")
    print(
        f"  bundle, first start (unpacks the shipped taxonomy): "
        f"{results['bundle_first_start_s']:.3f} s"
    )
    print(f"== smoke test: {results['smoke_test_s']:.1f} s, status {results['smoke_test_status']}")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

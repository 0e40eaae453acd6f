"""Benchmark ImageNet-21k scale (issue 14): the window's grid, and exports written as they are read.

Each case runs a whole ``wnexplorer`` process on a catalogue indexed from a
14,197,122-row manifest (fall11's per-synset counts; the files absent) and
records its wall time and its peak RSS (``os.wait4``'s ``ru_maxrss``: the
child's own, as /usr/bin/time gives it), against a baseline measured in the
same run: a plain Python ``csv.reader`` -> ``csv.writer`` pass over the same
manifest, also a whole process.

1. ``export-images``: ``export images n00001740`` (entity, the root: every
   image) to a file. Targets: <= 3x the baseline's time, RSS <= 300 MB.
2. ``export-superclasses``: ``export superclasses`` of the root's two
   children with images (physical entity, abstraction), into a new folder.
3. ``export-folders``: ``export folders n02084071 --mode symlink`` (dog's
   222,142 images) into a new folder: one symlink per image, so the root's
   14.2 million would measure the file system, not the export.

4. ``gui-root``, ``gui-dog``, ``gui-leaf``: a whole window process
   (bench/scale_gui.py: the real MainWindow, offscreen) selects entity (14.2M
   images), dog (222,142) or heterotroph (a leaf with 1 image); measured from
   the selection: the first visible tiles requested of the thumbnail loader,
   the longest event-loop stall until a second later, and the process's peak
   RSS. ``gui-root`` then drags the scroll bar to the middle and to the end,
   sorts by size and filters to "Flagged" (10,000 flags spread evenly over
   the catalogue, added with ``flags add`` beforehand). Targets: tiles <= 300
   ms, stalls <= 50 ms, RSS <= 600 MB; drags <= 100 ms; sort and filter <= 1 s.
   Baselines, in the same run: a bare PySide6 process whose QListView shows a
   model of 10,000 rows (Qt's floor for the same steps, and its RSS), and
   plain sqlite3's first 256 rows by size and of the flagged images.

The catalogue is copied into ``--work`` first (seconds): an export opens the
flag store beside its catalogue, creating it, and the original stays as it
was. Outputs go to ``--work`` too (a temporary folder by default); all of it
is removed at the end.

    .venv/bin/python bench/bench_scale.py --catalogue /tmp/big/f21k-v4.sqlite \
        --manifest /tmp/big/fall11.csv [--case export-images] [--repeat 3] [--json FILE]

See bench/README.md ("Scale") for the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

ROOT_WNID, DOG, LEAF = "n00001740", "n02084071", "n00006024"  # leaf: heterotroph, 1 image
GUI_CASES = {"gui-root": ROOT_WNID, "gui-dog": DOG, "gui-leaf": LEAF}
EXPORT_CASES = ("export-images", "export-superclasses", "export-folders")
FLAGS = 10_000
BARE_ROWS = 10_000  # the bare view's model: a few screens (see scale_gui.py)
GUI_TARGETS = {"tiles_requested_ms": 300, "longest_stall_ms": 50, "max_rss_mb": 600}
INTERACT_TARGETS = {"drag_middle": 100, "drag_end": 100, "sort_size": 1000, "filter_flagged": 1000}
PHYSICAL_ENTITY, ABSTRACTION = "n00001930", "n00002137"

BASELINE = """
import csv, sys
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    csv.writer(g).writerows(csv.reader(f))
"""

CLI = "from explorer.cli import run; run()"


def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command`` as a child; its wall time, CPU time (user + system), peak RSS, and
    the JSON its stdout's last line holds, if any (``figures``)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout:  # a file: two pipes could fill and block
        process = subprocess.Popen(
            command, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
        )
        assert process.stderr is not None
        err = process.stderr.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        stdout.seek(0)
        out = stdout.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{err[-2000:]}")
    last = [
        line
        for line in err.replace("\r", "\n").splitlines()
        if line.strip() and not line.startswith("Writing the images")
    ]
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "stderr_tail": last[-6:],
        "figures": json.loads(out.splitlines()[-1]) if out.startswith("{") else None,
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def best(runs: list[dict]) -> dict:
    """The fastest of a case's runs (wall time), with all their times."""
    return {
        **min(runs, key=lambda run: run["seconds"]),
        "runs": len(runs),
        "all_seconds": [run["seconds"] for run in runs],
        "best_cpu_seconds": min(run["cpu_seconds"] for run in runs),
    }


def median_figures(runs: list[dict]) -> dict:
    """A window case's figures over its runs: each step's median, the highest peak RSS."""
    steps: dict[str, dict] = {}
    for run in runs:
        for step, figures in run["figures"].items():
            if isinstance(figures, dict):
                for key, value in figures.items():
                    steps.setdefault(step, {}).setdefault(key, []).append(value)
    median = {
        step: {
            key: statistics.median(values) if isinstance(values[0], (int, float)) else values[0]
            for key, values in figures.items()
        }
        for step, figures in steps.items()
    }
    return {
        **median,
        "max_rss_mb": max(run["max_rss_mb"] for run in runs),
        "runs": len(runs),
        "flags": runs[0]["figures"].get("flags"),
    }


def add_flags(catalogue: Path, env: dict[str, str]) -> int:
    """Flag FLAGS present images spread evenly over ``catalogue`` (by id), with the CLI."""
    with sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True) as db:
        largest = db.execute("SELECT max(id) FROM images").fetchone()[0]
        step = max(1, largest // FLAGS)
        paths = [
            path
            for (path,) in db.execute(
                "SELECT path FROM images WHERE present = 1 AND id % ? = 0 LIMIT ?", (step, FLAGS)
            )
        ]
    for start in range(0, len(paths), 2000):  # command lines of ~70 KB
        command = cli("flags", "add", "--reason", "duplicate", "--catalogue", str(catalogue))
        subprocess.run(
            [*command, *paths[start : start + 2000]], env=env, check=True, stdout=subprocess.DEVNULL
        )
    return len(paths)


def report_exports(results: dict, measured: dict[str, list[dict]], cases: list[str]) -> None:
    baseline = results["baseline_csv_pass"] = best(measured["baseline_csv_pass"])
    print(
        f"baseline csv.reader -> csv.writer: {baseline['seconds']} s "
        f"(CPU {baseline['best_cpu_seconds']} s), {baseline['max_rss_mb']} MB; "
        f"runs {baseline['all_seconds']}"
    )
    for case in cases:
        figures = results[case] = best(measured[case])
        figures["ratio_to_baseline"] = round(figures["seconds"] / baseline["seconds"], 2)
        figures["cpu_ratio_to_baseline"] = round(
            figures["best_cpu_seconds"] / baseline["best_cpu_seconds"], 2
        )
        print(
            f"{case}: {figures['seconds']} s ({figures['ratio_to_baseline']}x the baseline; "
            f"CPU {figures['best_cpu_seconds']} s, {figures['cpu_ratio_to_baseline']}x), "
            f"{figures['max_rss_mb']} MB; runs {figures['all_seconds']}; "
            f"{' | '.join(figures['stderr_tail'])}"
        )
    if "export-images" in results:
        images = results["export-images"]
        ok = images["ratio_to_baseline"] <= 3 and images["max_rss_mb"] <= 300
        print(f"export-images target (<= 3x, <= 300 MB): {'met' if ok else 'NOT met'}")


def report_window(results: dict, measured: dict[str, list[dict]], cases: list[str]) -> None:
    bare = results["baseline_bare_window"] = median_figures(measured["baseline_bare_window"])
    flagged = bare.get("filter_flagged", {}).get("sql_first_rows_ms", "(no flags)")
    print(
        f"baseline bare QListView of {bare['select']['rows']:,} rows: first decoration asked "
        f"{bare['select']['tiles_requested_ms']} ms, drag middle/end "
        f"{bare['drag_middle']['tiles_requested_ms']}/{bare['drag_end']['tiles_requested_ms']}"
        f" ms, {bare['max_rss_mb']} MB; sqlite3 first 256 by size "
        f"{bare['sort_size']['sql_first_rows_ms']} ms, of the flagged {flagged} ms"
    )
    for case in cases:
        figures = results[case] = median_figures(measured[case])
        select = figures["select"]
        met = (
            select["tiles_requested_ms"] <= GUI_TARGETS["tiles_requested_ms"]
            and select["longest_stall_ms"] <= GUI_TARGETS["longest_stall_ms"]
            and select["peak_rss_mb"] <= GUI_TARGETS["max_rss_mb"]
        )
        later = (
            f", {figures['max_rss_mb']} MB at the end"
            if figures["max_rss_mb"] > select["peak_rss_mb"] + 1
            else ""
        )
        opened = figures["open"]
        print(
            f"{case}: open the catalogue {opened['open_call_ms']} ms, longest stall in the "
            f"second after {opened['longest_stall_ms']} ms"
        )
        print(
            f"{case}: {select['rows']:,} rows, listed {select['listed_ms']} ms, tiles requested "
            f"{select['tiles_requested_ms']} ms "
            f"({select['tiles_requested_ms'] / bare['select']['tiles_requested_ms']:.1f}x the "
            f"bare view), longest stall {select['longest_stall_ms']} ms, "
            f"{select['peak_rss_mb']} MB ({select['peak_rss_mb'] / bare['max_rss_mb']:.1f}x)"
            f"{later}; "
            f"target (<= 300 ms, <= 50 ms, <= 600 MB) {'met' if met else 'NOT met'}"
        )
        for step, target in INTERACT_TARGETS.items():
            if step not in figures:
                continue
            taken, floor = figures[step]["tiles_requested_ms"], bare[step]
            against = (
                f"{taken / floor['tiles_requested_ms']:.1f}x the bare view"
                if "tiles_requested_ms" in floor
                else f"sqlite3's first rows {floor['sql_first_rows_ms']} ms"
            )
            print(
                f"  {step}: tiles requested {taken} ms ({against}), longest stall "
                f"{figures[step]['longest_stall_ms']} ms, rows {figures[step]['rows']:,}; "
                f"target <= {target} ms {'met' if taken <= target else 'NOT met'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", default="/tmp/big/f21k-v5.sqlite")
    parser.add_argument("--manifest", default="/tmp/big/fall11.csv")
    parser.add_argument("--work", help="where outputs go (default: a temporary folder)")
    parser.add_argument(
        "--case", action="append", choices=(*EXPORT_CASES, *GUI_CASES), help="run only these"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of the baselines and of each case, interleaved; the best of each export "
        "and the median of each window figure are kept (a shared machine's load slows one run)",
    )
    parser.add_argument("--json", help="write the results here as well")
    args = parser.parse_args()
    cases = args.case or [*EXPORT_CASES, *GUI_CASES]
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: dict = {
        "git": git_state(),
        "loadavg_before": loadavg(),
        "machine": machine(),
        "catalogue": args.catalogue,
    }
    try:
        copy = work / "catalogue.sqlite"
        shutil.copyfile(args.catalogue, copy)
        catalogue = ["--catalogue", str(copy)]
        runs = {
            "baseline_csv_pass": [
                sys.executable,
                "-c",
                BASELINE,
                args.manifest,
                str(work / "b.csv"),
            ],
            "export-images": cli(
                "export", "images", ROOT_WNID, *catalogue, "-o", str(work / "all.csv")
            ),
            "export-superclasses": cli(
                "export",
                "superclasses",
                PHYSICAL_ENTITY,
                ABSTRACTION,
                *catalogue,
                "-o",
                str(work / "superclasses"),
            ),
            "export-folders": cli(
                "export", "folders", DOG, *catalogue, "--mode", "symlink", "-o", str(work / "dog")
            ),
        }
        gui_cases = [case for case in cases if case in GUI_CASES]
        export_cases = [case for case in cases if case in EXPORT_CASES]
        if gui_cases:
            results["flags"] = add_flags(copy, env) if "gui-root" in gui_cases else 0
            probe = [sys.executable, str(ROOT / "bench" / "scale_gui.py")]
            runs["baseline_bare_window"] = [*probe, "bare", str(BARE_ROWS), str(copy)]
            for case in gui_cases:
                interact = ["--interact"] if case == "gui-root" else []
                runs[case] = [*probe, "window", str(copy), GUI_CASES[case], str(work), *interact]
        baselines = ["baseline_csv_pass"] * bool(export_cases)
        baselines += ["baseline_bare_window"] * bool(gui_cases)
        if gui_cases:  # the first start builds the taxonomy cache in WORK/data: not measured
            measure([*probe, "window", str(copy), LEAF, str(work)], env)
        measured: dict[str, list[dict]] = {}
        for _ in range(args.repeat):
            for case in [*baselines, *export_cases, *gui_cases]:
                measured.setdefault(case, []).append(measure(runs[case], env))
                for output in ("b.csv", "all.csv", "superclasses", "dog"):
                    shutil.rmtree(work / output, ignore_errors=True)
                    with contextlib.suppress(FileNotFoundError):
                        (work / output).unlink()
        if export_cases:
            report_exports(results, measured, export_cases)
        if gui_cases:
            report_window(results, measured, gui_cases)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["loadavg_after"] = loadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

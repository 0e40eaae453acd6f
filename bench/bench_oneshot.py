"""Benchmark one-shot commands (issue 19): ``wnexplorer show dog.n.01`` and the other commands
that answer from the taxonomy cache (search, tree, counts, coverage, a subtree export) as
whole processes, against an interpreter that imports click and sqlite3 (the floor any such
command pays), in the same run, median of N interleaved runs each. ``wnexplorer stats``,
which still builds the networkx graph, is the reference for a command that loads it.
Target: show <= 4x the floor.

The catalogue commands read the 1,000 real samples (``--samples``), indexed first into a
temporary folder (untimed).

    .venv/bin/python bench/bench_oneshot.py [--runs 5] [--samples DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, child_env, git_state, loadavg

WNEXPLORER = [sys.executable, "-m", "explorer"]


def commands(catalogue: str) -> dict[str, list[str]]:
    return {
        "floor: python -c 'import click, sqlite3'": [sys.executable, "-c", "import click, sqlite3"],
        "wnexplorer show dog.n.01": [*WNEXPLORER, "show", "dog.n.01"],
        "wnexplorer show dog (a word: its senses)": [*WNEXPLORER, "show", "dog"],
        "wnexplorer search golden": [*WNEXPLORER, "search", "golden"],
        "wnexplorer tree dog.n.01": [*WNEXPLORER, "tree", "dog.n.01"],
        "wnexplorer counts dog --catalogue": [
            *WNEXPLORER,
            "counts",
            "dog.n.01",
            "--catalogue",
            catalogue,
        ],
        "wnexplorer coverage --under dog --catalogue": [
            *WNEXPLORER,
            "coverage",
            "--under",
            "dog.n.01",
            "--catalogue",
            catalogue,
        ],
        "wnexplorer export subtree dog --catalogue": [
            *WNEXPLORER,
            "export",
            "subtree",
            "dog.n.01",
            "--catalogue",
            catalogue,
        ],
        "reference: wnexplorer stats (builds the graph)": [*WNEXPLORER, "stats"],
    }


ENV = child_env()


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", default="/work/shared/data/imagenet-samples")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        catalogue = str(Path(work) / "samples.sqlite")
        subprocess.run(
            [*WNEXPLORER, "index", args.samples, "--catalogue", catalogue],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        times = timed(commands(catalogue), args.runs)
    report(times, args.runs)


def timed(named: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    for command in named.values():
        wall(command)  # warm the page cache and the taxonomy cache
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(runs):  # interleaved: the load falls on all alike
        for name, command in named.items():
            times[name].append(wall(command))
    return times


def report(times: dict[str, list[float]], runs: int) -> None:
    floor = statistics.median(next(iter(times.values())))
    print(f"commit {git_state()}, load {loadavg()}, median of {runs} processes each")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:48s} {median:.3f} s  {median / floor:.1f}x the floor")
    show = statistics.median(times["wnexplorer show dog.n.01"])
    verdict = "ok" if show / floor <= 4 else "MISSED"
    print(f"show dog.n.01: {show / floor:.1f}x (target <= 4x: {verdict})")


if __name__ == "__main__":
    main()

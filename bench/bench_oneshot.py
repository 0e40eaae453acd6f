"""Benchmark one-shot commands (issue 19): ``wnexplorer show dog.n.01`` as a whole process,
against an interpreter that imports click and sqlite3 (the floor any such command pays),
in the same run, median of N interleaved runs each. Target: show <= 4x the floor.

    .venv/bin/python bench/bench_oneshot.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg

COMMANDS = {
    "floor: python -c 'import click, sqlite3'": [sys.executable, "-c", "import click, sqlite3"],
    "wnexplorer show dog.n.01": [sys.executable, "-m", "explorer", "show", "dog.n.01"],
    "wnexplorer show dog (a word: its senses)": [sys.executable, "-m", "explorer", "show", "dog"],
    "wnexplorer search golden": [sys.executable, "-m", "explorer", "search", "golden"],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for command in COMMANDS.values():
        wall(command)  # warm the page cache and the taxonomy cache
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved: the load falls on all alike
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    floor = statistics.median(next(iter(times.values())))
    print(f"commit {git_state()}, load {loadavg()}, median of {args.runs} processes each")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:45s} {median:.3f} s  {median / floor:.1f}x the floor")
    show = statistics.median(times["wnexplorer show dog.n.01"])
    verdict = "ok" if show / floor <= 4 else "MISSED"
    print(f"show dog.n.01: {show / floor:.1f}x (target <= 4x: {verdict})")


if __name__ == "__main__":
    main()

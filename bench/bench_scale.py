"""Benchmark the listings at ImageNet-21k scale (issue 14): exports written as they are read.

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

ROOT_WNID, DOG = "n00001740", "n02084071"
PHYSICAL_ENTITY, ABSTRACTION = "n00001930", "n00002137"

BASELINE = """
import csv, sys
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    csv.writer(g).writerows(csv.reader(f))
"""

CLI = "from explorer.cli import run; run()"


def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command`` as a child; its wall time, CPU time (user + system), peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    err = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
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
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", default="/tmp/big/f21k-v4.sqlite")
    parser.add_argument("--manifest", default="/tmp/big/fall11.csv")
    parser.add_argument("--work", help="where outputs go (default: a temporary folder)")
    parser.add_argument(
        "--case",
        action="append",
        choices=("export-images", "export-superclasses", "export-folders"),
        help="run only these (default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of the baseline and of each case, interleaved; the best of each is kept "
        "(a shared machine: its load slows one run, not the best)",
    )
    parser.add_argument("--json", help="write the results here as well")
    args = parser.parse_args()
    cases = args.case or ["export-images", "export-superclasses", "export-folders"]
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: dict = {
        "git": git_state(),
        "loadavg_before": loadavg(),
        "machine": machine(),
        "catalogue": args.catalogue,
    }
    try:

        def best(runs: list[dict]) -> dict:
            return {
                **min(runs, key=lambda run: run["seconds"]),
                "runs": len(runs),
                "all_seconds": [run["seconds"] for run in runs],
                "best_cpu_seconds": min(run["cpu_seconds"] for run in runs),
            }

        def baseline_run() -> dict:
            figures = measure([sys.executable, "-c", BASELINE, args.manifest, str(work / "b.csv")])
            (work / "b.csv").unlink()
            return figures

        copy = work / "catalogue.sqlite"
        shutil.copyfile(args.catalogue, copy)
        catalogue = ["--catalogue", str(copy)]
        runs = {
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
                "export",
                "folders",
                DOG,
                *catalogue,
                "--mode",
                "symlink",
                "-o",
                str(work / "dog"),
            ),
        }
        measured: dict[str, list[dict]] = {"baseline_csv_pass": []}
        for _ in range(args.repeat):
            measured["baseline_csv_pass"].append(baseline_run())
            for case in cases:
                measured.setdefault(case, []).append(measure(runs[case], env))
                for output in ("all.csv", "superclasses", "dog"):
                    shutil.rmtree(work / output, ignore_errors=True)
                    with contextlib.suppress(FileNotFoundError):
                        (work / output).unlink()
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["loadavg_after"] = loadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark the image catalogue: folder index, rescans, a 14.2M-row manifest, counts.

Every figure is measured against a baseline taken in the same run and shown as
a ratio, so runs on different machines can be compared by their ratios:

1. an ILSVRC-2012-train-shaped tree of 1,281,167 empty files: the first
   ``index_catalogue`` and two rescans (nothing changed; ~1000 files touched,
   added and removed) against ``find`` stat-ing every file;
2. a 14,197,122-row ``path,wnid`` manifest (ImageNet fall11's image counts):
   the first index against ``wc -l`` and a plain ``csv.reader`` pass;
3. subtree counts for all 82,115 nodes from the manifest's catalogue
   (``CountPropagator(tax)(catalogue.direct_counts(tax.graph))``) against a
   naive ``networkx.descendants`` sum per node, checked against the
   published fall11 subtree counts.

Every index runs in a fresh interpreter. Generated data (the tree, the
manifest) lives in ``--work`` under /tmp and is reused by later runs; the
catalogues are deleted at the end.

    .venv/bin/python bench/bench_catalogue.py [--tree /tmp/bench/ilsvrc/train] [--json FILE]

See bench/README.md for what each figure means and the latest results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import git_state, loadavg, summary
from common import machine as common_machine  # bench/ is on sys.path

REFERENCE_DATA = Path("/work/shared/data")
ILSVRC_SYNSETS = "ilsvrc2012/imagenet_synsets.txt"
FALL11_COUNTS = "imagenet21k/fall11_synset_image_counts.tsv"
ILSVRC_TRAIN_IMAGES = 1_281_167
DEFAULT_WORK = Path(tempfile.gettempdir()) / "wnexplorer-bench-catalogue"
TIME = "/usr/bin/time"  # GNU time: the peak RSS of a baseline command itself (-f %M)
TARGETS = {
    "index_vs_find": 2.0,  # first index of the tree / find stat-ing every file
    "rescan_vs_find": 1.5,  # rescan of the same tree, nothing changed / the same find
    "index_rss_mb": 300.0,  # each process of the tree index
    "manifest_s": 60.0,
    "manifest_rss_mb": 500.0,
    "counts_ms": 20.0,  # p95 of counts for all nodes, taxonomy and catalogue loaded
}
# Subtree (images, synsets with images) in ImageNet fall11 (/work/shared/data/README.md).
# The README's entity figure from is_a.txt lacks 4 instance synsets (1,366 images) that
# WordNet's instance-hypernym links, which the taxonomy has, put under entity.
FALL11_CHECKS = {
    "n02084071": ("dog", 222_142, 190),
    "n00015388": ("animal", 2_798_930, 3_822),
    "n00001740": ("entity", 14_197_122, 21_841),
}
PARTS = ("tree", "manifest", "counts")


# --- the index child: a fresh interpreter, one index_catalogue call -----------------------

# A -c snippet, not this script: the walkers index_catalogue spawns then re-import
# nothing of this benchmark, and the process is the app's import, load and index only.
INDEX_SNIPPET = """\
import json, os, sys, threading, time
start = time.perf_counter()
from explorer.core.catalogue import index_catalogue
from explorer.core.jobs import JobState
from explorer.core.wordnet.taxonomy import load_noun_wnids
source, catalogue, data_dir, wordnet, layout = sys.argv[1:6]
imported = time.perf_counter()
nouns = load_noun_wnids(wordnet or None, data_dir)
loaded = time.perf_counter()

def status_kb(pid, key="VmHWM:"):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

load_hwm = status_kb("self")
try:  # restart this process's peak RSS, so VmHWM below is the index's own peak
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    hwm_reset = True
except OSError:
    hwm_reset = False

# Sample the peak RSS of every child process (the walkers): getrusage(RUSAGE_CHILDREN)
# cannot tell it, because Linux charges a child that execs with this process's RSS.
children, kinds, stop = {}, {}, threading.Event()
def sample():
    me = os.getpid()
    while not stop.wait(0.05):
        for task in os.listdir(f"/proc/{me}/task"):
            try:
                with open(f"/proc/{me}/task/{task}/children") as listed:
                    pids = listed.read().split()
            except OSError:
                continue
            for pid in pids:
                if pid not in kinds:
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                            tracker = b"resource_tracker" in cmdline.read()
                    except OSError:
                        continue
                    kinds[pid] = "tracker" if tracker else "walker"
                children[pid] = max(children.get(pid, 0), status_kb(pid))
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()

class Clock(JobState):
    def __init__(self):
        super().__init__()
        self.last_batch = None
    def progress(self, done, total=None, message=""):
        super().progress(done, total, message)
        if total is None:
            self.last_batch = time.perf_counter()

clock = Clock()
begin = time.perf_counter()
summary = index_catalogue(source, nouns=nouns, catalogue=catalogue, layout=layout, state=clock)
end = time.perf_counter()
stop.set()
sampler.join()
import resource
figures = summary.as_dict()
figures["odd_labels"] = figures["odd_labels"][:3]
print(json.dumps({
    "import_s": imported - start, "load_nouns_s": loaded - imported, "index_s": end - begin,
    "rows_written_s": (clock.last_batch or end) - begin,
    "self_peak_mb": max(load_hwm, status_kb("self")) / 1024,
    "index_peak_mb": status_kb("self") / 1024 if hwm_reset else None,
    "load_peak_mb": load_hwm / 1024,
    "walker_peaks_mb": sorted(kb / 1024 for p, kb in children.items() if kinds[p] == "walker"),
    "tracker_peak_mb": max((kb / 1024 for p, kb in children.items() if kinds[p] != "walker"),
                           default=0),
    "rusage_children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "summary": figures,
}))
"""

CSV_SNIPPET = """\
import csv, json, sys, time
start = time.perf_counter()
rows = 0
with open(sys.argv[1], encoding="utf-8", newline="") as stream:
    for row in csv.reader(stream):
        rows += 1
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""

TAXONOMY_SNIPPET = """\
import sys
from explorer.core.wordnet.taxonomy import load_taxonomy
load_taxonomy(sys.argv[2] or None, sys.argv[1])
"""


# --- running and timing processes ---------------------------------------------------------


def run_measured(command: list[str], *, quiet: bool = False, peak: bool = False) -> dict:
    """Run ``command``; its wall time, CPU time (with its children) and stdout.

    With ``peak`` the command runs under GNU time for its own peak RSS: the
    rusage of a child of this process would also count this process's RSS.
    """
    wrapped = list(command)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as peak_file:
        if peak and os.path.exists(TIME):
            wrapped = [TIME, "-f", "%M", "-o", peak_file.name, *command]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            process = subprocess.Popen(
                wrapped, stdout=subprocess.DEVNULL if quiet else out, stderr=err
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
        if process.returncode != 0:
            sys.exit(f"{' '.join(command[:4])} ... failed ({process.returncode}):\n{stderr}")
        peak_text = peak_file.read().strip().splitlines()
    figures = {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime}
    if not quiet:
        figures["stdout"] = stdout
    if peak and peak_text:
        figures["peak_mb"] = int(peak_text[-1]) / 1024
    return figures


def run_python(snippet: str, *args: str) -> dict:
    """Run a -c snippet in a fresh interpreter; its JSON line plus the process figures."""
    result = run_measured([sys.executable, "-c", snippet, *map(str, args)])
    figures = json.loads(result.pop("stdout").strip().splitlines()[-1])
    return {**figures, "process_wall_s": result["wall_s"], "process_cpu_s": result["cpu_s"]}


def index_once(source: Path, catalogue: Path, args: argparse.Namespace, layout: str) -> dict:
    return run_python(INDEX_SNIPPET, source, catalogue, args.data_dir, args.wordnet or "", layout)


def remove_catalogue(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for leftover in path.parent.glob(path.name + ".*.tmp"):  # a crashed first index
        leftover.unlink(missing_ok=True)


def catalogue_mb(path: Path) -> float:
    return sum(
        Path(f"{path}{s}").stat().st_size / 1e6 for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def best(runs: list[dict], key: str) -> dict:
    chosen = min(runs, key=lambda run: run[key])
    return {**chosen, "all": [run[key] for run in runs]}


# --- generated data -------------------------------------------------------------------------


def generate_tree(work: Path, reference: Path) -> Path:
    """``work/ilsvrc/train/<wnid>/<wnid>_<i>.JPEG``: 1,281,167 empty files, 1281 or 1282 a class."""
    train = work / "ilsvrc" / "train"
    if train.is_dir():
        return train
    wnids = (reference / ILSVRC_SYNSETS).read_text().split()
    per_class, extra = divmod(ILSVRC_TRAIN_IMAGES, len(wnids))
    partial = train.with_name("train.partial")
    if partial.exists():
        shutil.rmtree(partial)
    print(f"generating {ILSVRC_TRAIN_IMAGES:,} empty files in {train} ...", flush=True)
    start = time.perf_counter()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for number, wnid in enumerate(wnids):
        folder = partial / wnid
        folder.mkdir(parents=True)
        for i in range(per_class + (number < extra)):
            os.close(os.open(f"{folder}/{wnid}_{i}.JPEG", flags, 0o644))
    partial.rename(train)
    print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return train


def generate_manifest(work: Path, reference: Path) -> tuple[Path, int]:
    """``work/manifest.csv``: a ``path,wnid`` header, then one row per fall11 image."""
    manifest = work / "manifest.csv"
    counts = [line.split("\t") for line in (reference / FALL11_COUNTS).read_text().splitlines()]
    total = sum(int(count) for _, count in counts)
    if manifest.is_file():
        return manifest, total
    print(f"generating {manifest} ({total:,} rows) ...", flush=True)
    start = time.perf_counter()
    partial = manifest.with_name("manifest.csv.partial")
    with open(partial, "w", encoding="utf-8", newline="") as out:
        out.write("path,wnid\n")
        for wnid, count in counts:
            out.write("".join(f"{wnid}/{wnid}_{i}.JPEG,{wnid}\n" for i in range(int(count))))
    partial.rename(manifest)
    print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return manifest, total


def count_files(tree: Path) -> int:
    """Files under ``tree``, by a find that also brings every inode into the cache."""
    command = ["find", str(tree), "-type", "f", "-printf", "%s %T@ %P\n"]
    lines = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
        while chunk := process.stdout.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


class TreeChanges:
    """Touch, add and remove about 1000 files of a class-folder tree; undo it all on exit.

    Class i gets one change, by i % 10: 0-3 touch a file (mtime + 1 s), 4-6 move a
    file out of the tree (renamed back afterwards, so even a real dataset loses
    nothing), 7-9 add an empty file. Touched files get their exact times back.
    """

    def __init__(self, tree: Path, stash: Path) -> None:
        self.tree, self.stash = tree, stash
        self.touched: list[tuple[str, int, int]] = []
        self.moved: list[tuple[str, str]] = []
        self.added: list[str] = []

    def __enter__(self) -> TreeChanges:
        self.stash.mkdir(parents=True, exist_ok=True)
        try:
            folders = sorted(entry.path for entry in os.scandir(self.tree) if entry.is_dir())
            for number, folder in enumerate(folders):
                kind = number % 10
                if kind >= 7:
                    path = os.path.join(folder, f"{os.path.basename(folder)}_bench_added.JPEG")
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                    self.added.append(path)
                    continue
                images = sorted(name for name in os.listdir(folder) if name.endswith(".JPEG"))
                if not images:
                    continue
                path = os.path.join(folder, images[0])
                if kind <= 3:
                    stat = os.stat(path)
                    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
                    self.touched.append((path, stat.st_atime_ns, stat.st_mtime_ns))
                else:
                    moved_to = str(self.stash / f"{number}.moved")
                    os.rename(path, moved_to)
                    self.moved.append((path, moved_to))
        except BaseException:
            self.restore()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.restore()

    def restore(self) -> None:
        for path, atime, mtime in self.touched:
            os.utime(path, ns=(atime, mtime))
        for path, moved_to in self.moved:
            os.rename(moved_to, path)
        for path in self.added:
            Path(path).unlink(missing_ok=True)
        self.touched, self.moved, self.added = [], [], []
        shutil.rmtree(self.stash, ignore_errors=True)

    def counts(self) -> dict:
        return {"touched": len(self.touched), "removed": len(self.moved), "added": len(self.added)}


def stash_dir(work: Path, tree: Path) -> Path:
    """Where removed files wait: the work dir if on the tree's filesystem, else beside the tree."""
    if os.stat(work).st_dev == os.stat(tree).st_dev:
        return work / f"stash-{os.getpid()}"
    return tree.parent / f".wnexplorer-bench-stash-{os.getpid()}"


# --- 1. the ILSVRC-train tree ---------------------------------------------------------------


def bench_tree(args: argparse.Namespace, work: Path, catalogues: Path) -> dict:
    tree = Path(args.tree).resolve() if args.tree else generate_tree(work, args.reference)
    if not tree.is_dir():
        sys.exit(f"--tree {tree} is not a folder")
    print(f"tree {tree}: counting files (warms the inode cache) ...", flush=True)
    files = count_files(tree)
    find_stat = ["find", str(tree), "-type", "f", "-printf", "%s %T@ %P\n"]
    find_plain = ["find", str(tree), "-type", "f"]
    catalogue = catalogues / "tree.sqlite"
    runs: dict[str, list[dict]] = {
        k: [] for k in ("find_stat", "find", "index", "rescan", "changed")
    }
    for number in range(1, args.runs + 1):
        print(
            f"tree round {number}/{args.runs}: find, find -printf, index, rescans ...", flush=True
        )
        runs["find_stat"].append(run_measured(find_stat, quiet=True, peak=True))
        runs["find"].append(run_measured(find_plain, quiet=True, peak=True))
        remove_catalogue(catalogue)
        runs["index"].append(index_once(tree, catalogue, args, "folders"))
        runs["rescan"].append(index_once(tree, catalogue, args, "folders"))
        with TreeChanges(tree, stash_dir(work, tree)) as changes:
            changed = index_once(tree, catalogue, args, "folders")
            changed["changes"] = changes.counts()
        runs["changed"].append(changed)
    size = catalogue_mb(catalogue)
    remove_catalogue(catalogue)

    results = {"tree": str(tree), "files": files, "catalogue_mb": size}
    results["find_stat"] = best(runs["find_stat"], "wall_s")
    results["find"] = best(runs["find"], "wall_s")
    for key in ("index", "rescan", "changed"):
        results[key] = best(runs[key], "index_s")
        results[key]["all_process_wall"] = [run["process_wall_s"] for run in runs[key]]
    base = results["find_stat"]["wall_s"]
    for key in ("index", "rescan", "changed"):
        results[key]["ratio"] = results[key]["index_s"] / base
        results[key]["ratio_process"] = results[key]["process_wall_s"] / base
        results[key]["ratio_cpu"] = results[key]["process_cpu_s"] / results["find_stat"]["cpu_s"]
    every = [run for key in ("index", "rescan", "changed") for run in runs[key]]
    results["parent_peak_mb"] = max(run["self_peak_mb"] for run in every)
    results["walker_peak_mb"] = max(max(run["walker_peaks_mb"], default=0) for run in every)
    results["checks"] = tree_checks(runs, files)
    return results


def tree_checks(runs: dict[str, list[dict]], files: int) -> list[str]:
    """What went wrong, if anything: every run must list every file, each rescan its changes."""
    problems = []
    for key in ("index", "rescan", "changed"):
        for run in runs[key]:
            s = run["summary"]
            expected = files
            if key == "changed":
                expected += run["changes"]["added"] - run["changes"]["removed"]
            if s["images"] + s["other_files"] != expected:
                problems.append(f"{key}: {s['images']:,} images, not {expected:,}")
    for run in runs["index"]:
        if run["summary"]["added"] != run["summary"]["seen"]:
            problems.append("first index: added != seen")
    for run in runs["rescan"]:
        s = run["summary"]
        if s["added"] or s["changed"] or s["newly_missing"] or s["restored"]:
            problems.append(f"rescan of an unchanged tree changed something: {s}")
    for run in runs["changed"]:
        s, done = run["summary"], run["changes"]
        found = {"touched": s["changed"], "removed": s["newly_missing"], "added": s["added"]}
        if found != done:
            problems.append(f"rescan after changes found {found}, made {done}")
    return problems


# --- 2. the fall11 manifest -----------------------------------------------------------------


def bench_manifest(args: argparse.Namespace, work: Path, catalogues: Path) -> dict:
    manifest, total = generate_manifest(work, args.reference)
    subprocess.run(["wc", "-l", str(manifest)], check=True, stdout=subprocess.DEVNULL)  # cache it
    catalogue = catalogues / "manifest.sqlite"
    runs: dict[str, list[dict]] = {"wc": [], "csv": [], "index": []}
    for number in range(1, args.manifest_runs + 1):
        print(f"manifest round {number}/{args.manifest_runs}: wc -l, csv.reader, index ...")
        wc = run_measured(["wc", "-l", str(manifest)], peak=True)
        wc["lines"] = int(wc.pop("stdout").split()[0])
        runs["wc"].append(wc)
        runs["csv"].append(run_python(CSV_SNIPPET, manifest))
        remove_catalogue(catalogue)
        runs["index"].append(index_once(manifest, catalogue, args, "manifest"))
    results = {
        "manifest": str(manifest),
        "manifest_mb": manifest.stat().st_size / 1e6,
        "rows": total,
        "catalogue": str(catalogue),  # kept for the counts, deleted at the end
        "catalogue_mb": catalogue_mb(catalogue),
        "wc": best(runs["wc"], "wall_s"),
        "csv": best(runs["csv"], "seconds"),
        "index": best(runs["index"], "index_s"),
    }
    index = results["index"]
    index["all_process_wall"] = [run["process_wall_s"] for run in runs["index"]]
    index["ratio_wc"] = index["index_s"] / results["wc"]["wall_s"]
    index["ratio_csv"] = index["index_s"] / results["csv"]["seconds"]
    s = index["summary"]
    problems = []
    if (s["images"], s["labelled"], s["synsets"]) != (total, total, 21_841):
        problems.append(f"manifest index: {s['images']:,} images, {s['synsets']:,} synsets")
    if results["wc"]["lines"] != total + 1:
        problems.append(f"wc -l: {results['wc']['lines']:,} lines, not {total + 1:,}")
    results["checks"] = problems
    return results


# --- 3. counts for every node ---------------------------------------------------------------


def naive_counts(graph, direct: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The baseline: per node, sum the direct counts over its descendant set and itself."""
    import networkx as nx

    out = {}
    for node in graph:
        found = [direct[d] for d in nx.descendants(graph, node) | {node} if d in direct]
        out[node] = (sum(found), len(found))
    return out


def timed(function, runs: int) -> tuple[list[float], object]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return times, value


def bench_counts(args: argparse.Namespace, catalogue_path: Path) -> dict:
    from explorer.core.analysis import CountPropagator
    from explorer.core.catalogue import Catalogue
    from explorer.core.wordnet import load_taxonomy

    start = time.perf_counter()
    tax = load_taxonomy(args.wordnet, args.data_dir)
    loaded = time.perf_counter()
    catalogue = Catalogue.open(catalogue_path)
    opened = time.perf_counter()
    graph = tax.graph

    # First calls: SQLite's pages and the ancestor closure are read here.
    (first_direct,), direct = timed(lambda: catalogue.direct_counts(graph), 1)
    (first_build,), propagator = timed(lambda: CountPropagator(tax), 1)
    (first_call,), _ = timed(lambda: propagator(direct), 1)

    def all_counts():
        return CountPropagator(tax)(catalogue.direct_counts(graph))

    all_counts()  # warm-up
    runs = args.count_runs
    total_times, counts = timed(all_counts, runs)
    direct_times, _ = timed(lambda: catalogue.direct_counts(graph), runs)
    build_times, _ = timed(lambda: CountPropagator(tax), runs)
    call_times, _ = timed(lambda: propagator(direct), runs)

    naive_times, naive = timed(lambda: naive_counts(graph, direct), args.naive_runs)
    catalogue.close()
    tax.close()

    problems = []
    for wnid, (name, images, synsets) in FALL11_CHECKS.items():
        got = counts.of(wnid)
        if (got["subtree"], got["synsets_with_images"]) != (images, synsets):
            problems.append(f"{name} {wnid}: {got}, expected {images:,} over {synsets:,}")
    differ = [
        w
        for w, (images, synsets) in naive.items()
        if (counts.subtree[counts.index[w]], counts.synsets_with_images[counts.index[w]])
        != (images, synsets)
    ]
    if differ:
        problems.append(f"naive and CountPropagator differ on {len(differ)} nodes: {differ[:5]}")
    total = summary(total_times)
    naive_summary = summary(naive_times)
    return {
        "nodes": graph.number_of_nodes(),
        "labels": len(direct),
        "load_taxonomy_s": loaded - start,
        "open_catalogue_s": opened - loaded,
        "first_ms": {
            "direct_counts": first_direct * 1000,
            "CountPropagator(tax)": first_build * 1000,
            "propagator(direct)": first_call * 1000,
        },
        "all_counts": total,
        "direct_counts": summary(direct_times),
        "build_propagator": summary(build_times),
        "propagate": summary(call_times),
        "naive": naive_summary,
        "ratio_p50": naive_summary["p50_ms"] / total["p50_ms"],
        "ratio_best": naive_summary["best_ms"] / total["best_ms"],
        "fall11": {w: {"name": n, **counts.of(w)} for w, (n, _, _) in FALL11_CHECKS.items()},
        "naive_agrees_on_nodes": len(naive) - len(differ),
        "checks": problems,
    }


# --- the report -----------------------------------------------------------------------------


def machine() -> dict:
    import sqlite3

    return common_machine(sqlite=sqlite3.sqlite_version)


def verdict(value: float, target: float, unit: str) -> str:
    return f"target < {target:g} {unit}: {'met' if value < target else 'MISSED'}"


def each(values: list[float]) -> str:
    return "(" + ", ".join(f"{value:.2f}" for value in values) + ")"


def report_tree(tree: dict) -> None:
    runs = len(tree["index"]["all"])
    print(f"\n== 1. Folder tree {tree['tree']}: {tree['files']:,} files (best of {runs} each)")
    fs, fp = tree["find_stat"], tree["find"]
    print(
        f"  baseline find -printf '%s %T@ %P' {fs['wall_s']:6.2f} s  {each(fs['all'])}  "
        f"cpu {fs['cpu_s']:.2f} s, {fs['peak_mb']:.0f} MB"
    )
    print(f"  find -type f (no stat, reference) {fp['wall_s']:6.2f} s  {each(fp['all'])}")
    labels = {
        "index": "first index",
        "rescan": "rescan, nothing changed",
        "changed": "rescan after ~1000 changes",
    }
    for key, label in labels.items():
        run = tree[key]
        print(
            f"  {label:<33} {run['index_s']:6.2f} s  {each(run['all'])}  "
            f"{run['ratio']:.2f}x find; whole process {run['process_wall_s']:.2f} s "
            f"({run['ratio_process']:.2f}x); cpu {run['process_cpu_s']:.2f} s "
            f"({run['ratio_cpu']:.1f}x find's)"
        )
        print(
            f"    rows written after {run['rows_written_s']:.2f} s, then indexes and "
            f"summary {run['index_s'] - run['rows_written_s']:.2f} s; "
            f"import {run['import_s']:.2f} s, load_noun_wnids {run['load_nouns_s']:.2f} s"
        )
    index = tree["index"]
    print(f"  first index: {verdict(index['ratio'], TARGETS['index_vs_find'], 'x find')}")
    rescan = verdict(tree["rescan"]["ratio"], TARGETS["rescan_vs_find"], "x find")
    print(f"  rescan, nothing changed: {rescan}")
    walkers = ", ".join(f"{mb:.0f}" for mb in index["walker_peaks_mb"])
    peak = max(tree["parent_peak_mb"], tree["walker_peak_mb"])
    print(
        f"  peak RSS: parent {tree['parent_peak_mb']:.0f} MB (load_noun_wnids "
        f"{index['load_peak_mb']:.0f} MB, index alone {index['index_peak_mb'] or 0:.0f} MB), "
        f"walkers {walkers} MB, multiprocessing's resource tracker "
        f"{index['tracker_peak_mb']:.0f} MB (getrusage(RUSAGE_CHILDREN) says "
        f"{index['rusage_children_maxrss_mb']:.0f} MB); "
        f"{verdict(peak, TARGETS['index_rss_mb'], 'MB')}"
    )
    s, changes = tree["changed"]["summary"], tree["changed"]["changes"]
    print(
        f"  catalogue {tree['catalogue_mb']:.0f} MB; after changes: {changes} made, "
        f"found changed {s['changed']}, missing {s['newly_missing']}, added {s['added']}"
    )
    for problem in tree["checks"]:
        print(f"  CHECK FAILED: {problem}")


def report_manifest(manifest: dict) -> None:
    index, wc, csv_pass = manifest["index"], manifest["wc"], manifest["csv"]
    print(
        f"\n== 2. Manifest {manifest['manifest']}: {manifest['rows']:,} rows, "
        f"{manifest['manifest_mb']:.0f} MB (best of {len(index['all'])} each)"
    )
    print(f"  baseline wc -l                {wc['wall_s']:6.2f} s  {each(wc['all'])}")
    print(f"  baseline csv.reader pass      {csv_pass['seconds']:6.2f} s  {each(csv_pass['all'])}")
    print(
        f"  first index (manifest layout) {index['index_s']:6.2f} s  {each(index['all'])}  "
        f"{index['ratio_wc']:.0f}x wc -l, {index['ratio_csv']:.2f}x csv.reader; whole process "
        f"{index['process_wall_s']:.2f} s"
    )
    print(
        f"    rows written after {index['rows_written_s']:.2f} s, then indexes and summary "
        f"{index['index_s'] - index['rows_written_s']:.2f} s"
    )
    print(f"  {verdict(index['index_s'], TARGETS['manifest_s'], 's')}")
    print(
        f"  peak RSS {index['self_peak_mb']:.0f} MB (index alone {index['index_peak_mb'] or 0:.0f}"
        f" MB); {verdict(index['self_peak_mb'], TARGETS['manifest_rss_mb'], 'MB')}; "
        f"catalogue {manifest['catalogue_mb']:.0f} MB"
    )
    for problem in manifest["checks"]:
        print(f"  CHECK FAILED: {problem}")


def fmt_ms(figures: dict) -> str:
    return (
        f"p50 {figures['p50_ms']:7.2f} ms  p95 {figures['p95_ms']:7.2f} ms  "
        f"best {figures['best_ms']:7.2f} ms  (n={figures['n']})"
    )


def report_counts(counts: dict) -> None:
    print(
        f"\n== 3. Counts for all {counts['nodes']:,} nodes from {counts['labels']:,} labels "
        f"(load_taxonomy {counts['load_taxonomy_s']:.2f} s, catalogue open "
        f"{counts['open_catalogue_s'] * 1000:.0f} ms)"
    )
    first = ", ".join(f"{k} {v:.1f} ms" for k, v in counts["first_ms"].items())
    print(f"  first calls: {first}")
    rows = {
        "all_counts": "CountPropagator(tax)(direct_counts)",
        "direct_counts": "  catalogue.direct_counts",
        "build_propagator": "  CountPropagator(tax)",
        "propagate": "  propagator(direct)",
        "naive": "baseline: naive descendants sum",
    }
    for key, label in rows.items():
        print(f"  {label:<37} {fmt_ms(counts[key])}")
    print(f"  naive / counts: p50 {counts['ratio_p50']:.0f}x, best {counts['ratio_best']:.0f}x")
    # "Counts for all nodes once loaded": the taxonomy (with its propagator) and the
    # catalogue (with its per-label counts) are loaded once per window or command; what runs
    # per request is the propagation.
    print(
        "  counts for all nodes once loaded (the propagation): "
        f"{verdict(counts['propagate']['p95_ms'], TARGETS['counts_ms'], 'ms')} (p95); "
        f"with the loading steps above: {counts['all_counts']['p95_ms']:.1f} ms"
    )
    for wnid, got in counts["fall11"].items():
        print(
            f"  {got['name']:<7} {wnid}: {got['subtree']:>10,} images over "
            f"{got['synsets_with_images']:>6,} synsets"
        )
    print(f"  naive baseline agrees on {counts['naive_agrees_on_nodes']:,} nodes")
    for problem in counts["checks"]:
        print(f"  CHECK FAILED: {problem}")


def report(results: dict) -> None:
    info = results["machine"]
    print(
        f"\n{results['date']}: {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"SQLite {info['sqlite']}, load average {info['loadavg_before']} before, "
        f"{info['loadavg_after']} after"
    )
    print(f"commit {results['commit']}; work dir {results['work']}")
    if "tree" in results:
        report_tree(results["tree"])
    if "manifest" in results:
        report_manifest(results["manifest"])
    if "counts" in results:
        report_counts(results["counts"])


# --- main -----------------------------------------------------------------------------------


def bench(args: argparse.Namespace, work: Path) -> dict:
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "commit": git_state(),
        "work": str(work),
        "data_dir": args.data_dir,
        "targets": TARGETS,
    }
    print(f"load average {results['machine']['loadavg_before']}; work dir {work}", flush=True)
    print("taxonomy cache (built if missing) and imports ...", flush=True)
    run_measured([sys.executable, "-c", TAXONOMY_SNIPPET, args.data_dir, args.wordnet or ""])
    catalogues = work / "catalogues"
    catalogues.mkdir(exist_ok=True)
    try:
        if "tree" in args.parts:
            results["tree"] = bench_tree(args, work, catalogues)
        if "manifest" in args.parts:
            results["manifest"] = bench_manifest(args, work, catalogues)
        if "counts" in args.parts:
            catalogue = catalogues / "manifest.sqlite"
            if not catalogue.exists():
                manifest, _ = generate_manifest(work, args.reference)
                print("indexing the manifest for the counts (untimed) ...", flush=True)
                index_once(manifest, catalogue, args, "manifest")
            print("counts ...", flush=True)
            results["counts"] = bench_counts(args, catalogue)
    finally:
        shutil.rmtree(catalogues, ignore_errors=True)
    results["machine"]["loadavg_after"] = loadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work",
        default=str(DEFAULT_WORK),
        help=f"folder for the generated tree, manifest and catalogues, reused [{DEFAULT_WORK}]",
    )
    parser.add_argument(
        "--tree", help="an existing ILSVRC-train-shaped tree to index instead of generating one"
    )
    parser.add_argument(
        "--data-dir",
        help="app data directory for the taxonomy cache (default: a temporary directory, "
        "removed afterwards)",
    )
    parser.add_argument("--wordnet", help="WordNet 3.0 directory (default: searched for)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--runs", type=int, default=3, help="rounds over the tree [3]")
    parser.add_argument("--manifest-runs", type=int, default=2, help="manifest rounds [2]")
    parser.add_argument("--count-runs", type=int, default=20, help="timed counts runs [20]")
    parser.add_argument("--naive-runs", type=int, default=3, help="naive baseline runs [3]")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"which parts to run, comma-separated [{','.join(PARTS)}]",
    )
    parser.add_argument(
        "--reference-data",
        dest="reference",
        type=Path,
        default=REFERENCE_DATA,
        help=f"ImageNet reference data (class list, fall11 counts) [{REFERENCE_DATA}]",
    )
    parser.add_argument(
        "--clean", action="store_true", help="also delete the generated tree and manifest"
    )
    args = parser.parse_args()
    args.parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    work = Path(args.work).expanduser().resolve()
    repo = Path(__file__).resolve().parent.parent
    if work == repo or repo in work.parents:
        parser.error(f"--work {work} is inside the repository; choose a folder under /tmp")
    work.mkdir(parents=True, exist_ok=True)
    temporary_data = not args.data_dir
    if temporary_data:
        args.data_dir = tempfile.mkdtemp(prefix="wnexplorer-bench-data-")
    try:
        results = bench(args, work)
    finally:
        if temporary_data:
            shutil.rmtree(args.data_dir, ignore_errors=True)
        if args.clean:
            shutil.rmtree(work / "ilsvrc", ignore_errors=True)
            (work / "manifest.csv").unlink(missing_ok=True)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")
    if any(results[part]["checks"] for part in PARTS if part in results):
        sys.exit("a correctness check failed (CHECK FAILED above)")


if __name__ == "__main__":
    main()

"""Benchmark the taxonomy: cold build, warm load, `wnexplorer stats` and search.

Every figure is measured against a baseline taken in the same run and shown as
a ratio, so runs on different machines can be compared by their ratios:

1. cold build: ``load_taxonomy(rebuild=True)`` (nltk read + SQLite cache write)
   against plain nltk building the same networkx DiGraph;
2. warm load: ``load_taxonomy()`` from the cache in a fresh interpreter, and the
   whole ``wnexplorer stats`` process, against the same nltk baseline;
3. search: ``Taxonomy.search`` over real ImageNet queries against a naive
   substring scan of every lemma in ``tax.graph``.

The cold build, the baseline and the warm loads each run in a fresh
interpreter, so none of them profits from modules or caches of another.

    .venv/bin/python bench/bench_taxonomy.py [--json results.json]

See bench/README.md for what each figure means and the latest results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from common import git_state, loadavg, summary
from common import machine as common_machine  # bench/ is on sys.path

REFERENCE_DATA = Path("/work/shared/data")
TARGETS = {"warm_load_s": 1.0, "stats_wall_s": 1.5, "search_p95_ms": 30.0}
LIMIT = 20  # search results per query, as the CLI and the GUI ask for


# --- the children: each runs in a fresh interpreter and prints one JSON line ------------


def nltk_baseline_graph(location):
    """The baseline: plain nltk -> networkx, the way a short script would do it."""
    import networkx as nx

    from explorer.core.wordnet import open_reader  # nltk plus Debian workarounds

    reader = open_reader(location)
    graph = nx.DiGraph()
    for synset in reader.all_synsets("n"):
        wnid = "n%08d" % synset.offset()
        graph.add_node(
            wnid,
            name=synset.name(),
            lemmas=tuple(name.replace("_", " ") for name in synset.lemma_names()),
            gloss=synset.definition(),
            lexname=synset.lexname(),
        )
        for kind, parents in (
            ("hypernym", synset.hypernyms()),
            ("instance", synset.instance_hypernyms()),
        ):
            for parent in parents:
                graph.add_edge("n%08d" % parent.offset(), wnid, kind=kind)
    return graph


def graph_digest(graph) -> str:
    """A digest of the nodes (name, lemmas, gloss, lexname) and edges (with kind)."""
    digest = hashlib.sha256()
    for wnid, data in sorted(graph.nodes(data=True)):
        fields = (wnid, data["name"], "\x1e".join(data["lemmas"]), data["gloss"], data["lexname"])
        digest.update(("\x1f".join(fields) + "\n").encode())
    for parent, child, kind in sorted(graph.edges(data="kind")):
        digest.update(f"{parent} {child} {kind}\n".encode())
    return digest.hexdigest()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_nltk(data_dir: str, wordnet: str | None) -> dict:
    import networkx  # noqa: F401  (imported untimed: both sides have it loaded)

    from explorer.core import paths
    from explorer.core.wordnet import source as wordnet_source

    location = wordnet_source.locate_wordnet(wordnet, paths.data_dir(data_dir))
    start = time.perf_counter()
    graph = nltk_baseline_graph(location)  # imports nltk and opens the reader: timed
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "synsets": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "digest": graph_digest(graph),
    }


def child_cold(data_dir: str, wordnet: str | None) -> dict:
    from explorer.core.jobs import JobState
    from explorer.core.wordnet import load_taxonomy  # imports networkx, not nltk

    class PhaseClock(JobState):
        """Notes when the cache writing starts and ends, to split the build into phases."""

        def __init__(self) -> None:
            super().__init__()
            self.writing: list[float] = []

        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if self.message.startswith("Writing"):
                self.writing.append(time.perf_counter())

    clock = PhaseClock()
    start = time.perf_counter()
    tax = load_taxonomy(wordnet, data_dir, state=clock, rebuild=True)
    end = time.perf_counter()
    phases = {}
    if clock.writing:  # else the progress messages changed: report the total only
        phases = {
            "read WordNet with nltk (+ depths)": clock.writing[0] - start,
            "write SQLite cache + indexes": clock.writing[-1] - clock.writing[0],
            "read cache back, build graph": end - clock.writing[-1],
        }
    return {
        "seconds": end - start,
        "phases_s": phases,
        "peak_rss_mb": _peak_rss_mb(),
        "cache_mb": tax.cache_path.stat().st_size / 1e6,
        "synsets": len(tax),
        "edges": tax.graph.number_of_edges(),
        "digest": graph_digest(tax.graph),
    }


# A -c snippet rather than this script, so the process wall time is the
# interpreter, the import and the load, and nothing of this benchmark.
WARM_SNIPPET = """\
import json, resource, sys, time
start = time.perf_counter()
from explorer.core.wordnet.taxonomy import load_taxonomy
imported = time.perf_counter()
tax = load_taxonomy(sys.argv[2] or None, sys.argv[1])
loaded = time.perf_counter()
print(json.dumps({"import_s": imported - start, "load_s": loaded - imported,
                  "total_s": loaded - start, "synsets": len(tax),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# --- running and timing processes -------------------------------------------------------


def run_json(command: list[str]) -> tuple[dict, float]:
    """Run ``command``; return the JSON object on its last stdout line and its wall time."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1]), wall


def run_child(name: str, data_dir: str, wordnet: str | None) -> dict:
    command = [sys.executable, __file__, "--child", name, "--data-dir", data_dir]
    if wordnet:
        command += ["--wordnet", wordnet]
    figures, _ = run_json(command)
    return figures


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def wnexplorer_command() -> list[str]:
    script = Path(sys.executable).with_name("wnexplorer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "explorer"]


def warm_page_cache(location_path: str) -> None:
    """Read the WordNet files and import the modules once, so no timed run pays the disk."""
    root = Path(location_path)
    for path in [root] if root.is_file() else root.iterdir():
        if path.is_file():
            path.read_bytes()
    subprocess.run([sys.executable, "-c", "import nltk, networkx, explorer.cli"], check=True)


# --- search -----------------------------------------------------------------------------


def read_reference(reference: Path) -> tuple[list[tuple[str, list[str]]], list[str]] | None:
    """(wnid, lemmas) of the 1000 ILSVRC-2012 classes, and their sorted wnids."""
    mapping = reference / "ilsvrc2012" / "LOC_synset_mapping.txt"
    synsets = reference / "ilsvrc2012" / "imagenet_synsets.txt"
    if not (mapping.is_file() and synsets.is_file()):
        return None
    classes = []
    for line in mapping.read_text(encoding="utf-8").splitlines():
        wnid, _, lemmas = line.partition(" ")
        classes.append((wnid, [lemma.strip() for lemma in lemmas.split(",")]))
    return classes, synsets.read_text(encoding="utf-8").split()


def sample_classes(graph, count: int = 1000) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Stand-in for the ILSVRC classes when the reference data is missing."""
    wnids = sorted(random.Random(0).sample(sorted(graph), count))
    return [(w, list(graph.nodes[w]["lemmas"])) for w in wnids], wnids


def build_queries(graph, classes, wnids) -> list[tuple[str, str]]:
    """(kind, query) pairs: what users type in the search box, drawn from real class lists."""
    queries = [("lemma", lemmas[0]) for _, lemmas in classes]
    queries += [("lemma2", lemmas[1]) for _, lemmas in classes[::10] if len(lemmas) > 1]
    queries += [("wnid", wnid) for wnid in wnids[::20]]
    queries += [("offset", str(int(wnid[1:]))) for wnid in wnids[10::20]]
    queries += [("name", graph.nodes[wnid]["name"]) for wnid in wnids[5::20] if wnid in graph]
    for _, lemmas in classes[3::20]:  # as-you-type: r, re, ret, ... retriever
        queries += [("prefix", lemmas[0][:n]) for n in range(1, len(lemmas[0]) + 1)]
    for wnid in wnids[7::40]:  # the longest word of a gloss
        if wnid in graph:
            words = graph.nodes[wnid]["gloss"].replace(";", " ").replace(",", " ").split()
            queries.append(("gloss", max(words, key=len).strip("().'\"")))
    return queries


def naive_search(graph, text: str, limit: int = LIMIT) -> list[str]:
    """The baseline: scan every lemma of every node for the lower-cased query."""
    needle = text.lower()
    hits = [
        wnid
        for wnid, lemmas in graph.nodes(data="lemmas")
        if any(needle in lemma.lower() for lemma in lemmas)
    ]
    return hits[:limit]


def time_calls(function, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        function(query)
        times.append(time.perf_counter() - start)
    return times


def bench_search(data_dir: str, wordnet: str | None, reference: Path, naive_count: int) -> dict:
    from explorer.core.wordnet import load_taxonomy

    tax = load_taxonomy(wordnet, data_dir)
    loaded = read_reference(reference)
    source = str(reference / "ilsvrc2012")
    if loaded is None:
        source = f"lemmas sampled from the graph ({reference} not found)"
        print(f"NOTE: {reference} not found; search queries are sampled from the graph")
        loaded = sample_classes(tax.graph)
    queries = build_queries(tax.graph, *loaded)
    texts = [text for _, text in queries]

    tax.search("warm up", limit=LIMIT)  # opens the SQLite connection
    times = time_calls(lambda q: tax.search(q, limit=LIMIT), texts)
    by_kind = {}
    for kind in dict.fromkeys(kind for kind, _ in queries):
        by_kind[kind] = summary([t for (k, _), t in zip(queries, times, strict=True) if k == kind])
    for label, lengths in (("1 char", {1}), ("2 chars", {2}), ("3+ chars", None)):
        chosen = [
            t
            for (kind, text), t in zip(queries, times, strict=True)
            if kind == "prefix" and (len(text) in lengths if lengths else len(text) >= 3)
        ]
        if chosen:
            by_kind[f"prefix {label}"] = summary(chosen)
    slowest = {}
    for t, (kind, text) in sorted(zip(times, queries, strict=True), reverse=True):
        slowest.setdefault(text, {"ms": t * 1000, "kind": kind, "query": text})

    # The naive scan takes tens of ms a query: time it on an even subsample,
    # and compare it with search's times for that same subsample.
    step = max(1, len(texts) // naive_count)
    subsample = list(range(0, len(texts), step))
    naive_times = time_calls(lambda q: naive_search(tax.graph, q), [texts[i] for i in subsample])
    search_sub = summary([times[i] for i in subsample])
    naive = summary(naive_times)
    tax.close()
    return {
        "source": source,
        "queries": len(queries),
        "search": summary(times),
        "by_kind": by_kind,
        "slowest": list(slowest.values())[:8],
        "naive": naive,
        "search_on_naive_subsample": search_sub,
        "ratio_p50": naive["p50_ms"] / search_sub["p50_ms"],
        "ratio_p95": naive["p95_ms"] / search_sub["p95_ms"],
    }


# --- the report -------------------------------------------------------------------------


def machine() -> dict:
    import sqlite3

    return common_machine(
        nltk=metadata.version("nltk"),
        networkx=metadata.version("networkx"),
        sqlite=sqlite3.sqlite_version,
        PYTHONDONTWRITEBYTECODE=os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    )


def verdict(value: float, target: float, unit: str) -> str:
    return f"target < {target:g} {unit}: {'met' if value < target else 'MISSED'}"


def fmt_ms(figures: dict) -> str:
    return (
        f"p50 {figures['p50_ms']:6.2f} ms  p95 {figures['p95_ms']:6.2f} ms  "
        f"max {figures['max_ms']:7.2f} ms  (n={figures['n']})"
    )


def each_run(values: list[float]) -> str:
    return "(" + ", ".join(f"{value:.2f}" for value in values) + ")"


def speedup(baseline: float, figure: float) -> str:
    return f"{baseline / figure:.2f}x the baseline's speed"


def report_cold(base: dict, cold: dict) -> None:
    print(f"\n== Cold build (fresh interpreters, best of {len(cold['all_s'])} runs)")
    print(f"  baseline: nltk -> networkx   {base['seconds']:6.2f} s  {each_run(base['all_s'])}")
    print(
        f"  load_taxonomy(rebuild=True)  {cold['seconds']:6.2f} s  {each_run(cold['all_s'])}  "
        f"{speedup(base['seconds'], cold['seconds'])}"
    )
    for phase, seconds in cold["phases_s"].items():
        print(f"    {phase:<33} {seconds:5.2f} s")
    print(
        f"  peak RSS: baseline {base['peak_rss_mb']:.0f} MB, cold build "
        f"{cold['peak_rss_mb']:.0f} MB; cache file {cold['cache_mb']:.1f} MB"
    )
    same = "identical to" if base["digest"] == cold["digest"] else "DIFFERENT from"
    print(
        f"  graph: {cold['synsets']:,} synsets, {cold['edges']:,} edges; "
        f"nodes and edges {same} the baseline's"
    )


def report_warm(base: dict, warm: dict, startup: dict, cli: dict) -> None:
    print(f"\n== Warm load (fresh interpreter each, {warm['runs']} runs)")
    rows = {
        "import_s": "import explorer.core.wordnet.taxonomy",
        "load_s": "load_taxonomy()",
        "total_s": "import + load",
        "wall_s": "whole process (wall)",
    }
    for key, label in rows.items():
        print(f"  {label:<32} best {warm[key]['best']:6.3f} s  median {warm[key]['median']:6.3f} s")
    print(f"  {'python -c pass (wall)':<32} best {startup['best']:6.3f} s")
    median = warm["total_s"]["median"]
    print(
        f"  import + load: {speedup(base['seconds'], median)}; "
        f"{verdict(median, TARGETS['warm_load_s'], 's')}"
    )
    print(f"  peak RSS of a warm load: {warm['peak_rss_mb']:.0f} MB")

    print(f"\n== `wnexplorer stats`, whole process, warm cache ({cli['runs']} runs)")
    print(
        f"  best {cli['best']:.3f} s  median {cli['median']:.3f} s   "
        f"{speedup(base['seconds'], cli['median'])}; "
        f"{verdict(cli['median'], TARGETS['stats_wall_s'], 's')}"
    )


def report_search(search: dict) -> None:
    print(f"\n== Search: {search['queries']} queries from {search['source']}, limit {LIMIT}")
    overall = search["search"]
    print(f"  tax.search  {fmt_ms(overall)}")
    print(f"  {verdict(overall['p95_ms'], TARGETS['search_p95_ms'], 'ms')} (p95)")
    for kind, figures in search["by_kind"].items():
        print(f"    {kind:<16} {fmt_ms(figures)}")
    slowest = ", ".join(f"{s['query']!r} {s['ms']:.0f} ms" for s in search["slowest"])
    print(f"  slowest: {slowest}")
    print(f"  baseline, naive scan of all lemmas: {fmt_ms(search['naive'])}")
    print(f"  tax.search on the same queries:     {fmt_ms(search['search_on_naive_subsample'])}")
    print(f"  naive/search: p50 {search['ratio_p50']:.0f}x, p95 {search['ratio_p95']:.0f}x")


def report(results: dict) -> None:
    info = results["machine"]
    print(
        f"\n{results['date']}: {info['nproc']} x {info['cpu']}, Python {info['python']}, "
        f"load average {info['loadavg_before']} before, {info['loadavg_after']} after"
    )
    print(f"commit {results['commit']}; WordNet: {results['wordnet']}")
    report_cold(results["nltk_baseline"], results["cold"])
    report_warm(
        results["nltk_baseline"], results["warm"], results["python_startup"], results["cli_stats"]
    )
    report_search(results["search"])


def best_median(values: list[float]) -> dict:
    return {"best": min(values), "median": statistics.median(values), "all": values}


def bench(args: argparse.Namespace, data_dir: str) -> dict:
    from explorer.core import paths
    from explorer.core.wordnet import source as wordnet_source

    location = wordnet_source.locate_wordnet(args.wordnet, paths.data_dir(data_dir))
    wordnet = args.wordnet
    results: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "commit": git_state(),
        "wordnet": f"{location.path} ({location.origin})",
        "data_dir": data_dir,
        "targets": TARGETS,
    }
    print(f"WordNet: {results['wordnet']}; data dir: {data_dir}", flush=True)
    warm_page_cache(location.path)

    # Alternate the two, so a noisy neighbour slows both alike; keep each one's best run.
    runs: dict[str, list[dict]] = {"nltk": [], "cold": []}
    for number in range(1, args.cold_runs + 1):
        for name in runs:
            print(f"cold build {number}/{args.cold_runs}: {name} ...", flush=True)
            runs[name].append(run_child(name, data_dir, wordnet))
    for name, key in (("nltk", "nltk_baseline"), ("cold", "cold")):
        best = min(runs[name], key=lambda run: run["seconds"])
        results[key] = {**best, "all_s": [run["seconds"] for run in runs[name]]}
    base = results["nltk_baseline"]

    print(f"warm load: {args.runs} processes ...", flush=True)
    warm_runs = []
    for _ in range(args.runs):
        figures, wall = run_json([sys.executable, "-c", WARM_SNIPPET, data_dir, wordnet or ""])
        warm_runs.append({**figures, "wall_s": wall})
    warm = {k: best_median([r[k] for r in warm_runs]) for k in ("import_s", "load_s", "total_s")}
    warm["wall_s"] = best_median([r["wall_s"] for r in warm_runs])
    warm["runs"] = args.runs
    warm["ratio"] = base["seconds"] / warm["total_s"]["median"]
    warm["ratio_wall"] = base["seconds"] / warm["wall_s"]["median"]
    warm["peak_rss_mb"] = max(r["peak_rss_mb"] for r in warm_runs)
    results["warm"] = warm
    startup = wall_times([sys.executable, "-c", "pass"], args.runs)
    results["python_startup"] = best_median(startup)

    print(f"wnexplorer stats: {args.runs} processes ...", flush=True)
    command = [*wnexplorer_command(), "--data-dir", data_dir]
    if wordnet:
        command += ["--wordnet", wordnet]
    cli = best_median(wall_times([*command, "stats"], args.runs))
    results["cli_stats"] = {**cli, "runs": args.runs, "command": " ".join(command) + " stats"}
    results["cli_stats"]["ratio"] = base["seconds"] / cli["median"]

    print("search ...", flush=True)
    reference = Path(args.reference_data)
    results["search"] = bench_search(data_dir, wordnet, reference, args.naive_queries)
    results["machine"]["loadavg_after"] = loadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        help="app data directory to build the cache in (default: a temporary directory, "
        "removed afterwards); its taxonomy cache is rebuilt",
    )
    parser.add_argument("--wordnet", help="WordNet 3.0 directory (default: searched for)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument(
        "--cold-runs", type=int, default=2, help="cold builds and baselines to time [2]"
    )
    parser.add_argument("--runs", type=int, default=5, help="warm processes to time [5]")
    parser.add_argument(
        "--naive-queries", type=int, default=300, help="queries for the naive scan [300]"
    )
    parser.add_argument(
        "--reference-data",
        default=str(REFERENCE_DATA),
        help=f"ImageNet reference data for the search queries [{REFERENCE_DATA}]",
    )
    parser.add_argument("--child", choices=("nltk", "cold"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child = child_nltk if args.child == "nltk" else child_cold
        print(json.dumps(child(args.data_dir, args.wordnet)))
        return

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="wnexplorer-bench-")
    try:
        results = bench(args, data_dir)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()

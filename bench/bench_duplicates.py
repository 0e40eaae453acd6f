"""Benchmark near-duplicates (issue 17): the planted set, the hash's throughput, the pair search.

1. **Planted set**: all 1,000 shared ILSVRC samples, each with 7 altered copies
   (tests/planted_duplicates.py: exact copy, half size, JPEG quality 30, 3% cropped,
   grayscale, 20% brighter, 20% darker), filed under the sample's synset, its parent or an
   unrelated sample's synset, indexed and hashed (``hash_catalogue``, in-process threads:
   images/s for information), then ``find_duplicates`` at 6, 8 (the default) and 10 bits:
   recall per alteration, pairs between two distinct samples (1,000 different classes: none
   may pair; also the smallest distance between two distinct samples' originals), and
   whether each planted pair found is judged the relation it was filed for. Targets, at 8
   bits: recall >= 97% per alteration, no pair between distinct samples, no relation wrong.
2. **Throughput**: our ``perceptual_hash`` against ``imagehash.phash(Image.open(path))``
   on the 1,000 samples, one thread each, interleaved rounds (best of ``--rounds``); also
   how far apart the two hashes of each image are. Target: >= 1.5x per core.
3. **Pair search**: ``near_pairs(codes, 8, method="index")`` on 1,281,167 (ILSVRC train)
   and 14,197,122 (ImageNet-21k) synthetic 64-bit hashes: uniform random hashes, of which
   10,000 are copies of others with 1 to 8 random bits flipped (their recall must be 100%:
   the search is exact). Each search runs alone in a child process: its wall time and its
   peak resident set (the child's own ``VmHWM``; ``wait4``'s ``ru_maxrss`` is printed too,
   but a child inherits its parent's peak in it, so the searches run first, from a small
   parent). Baseline in the same run: brute force (``method="brute"``), impossible in full
   here (10^14 comparisons at 14.2M), is run on the first rows (``--brute-rows-1m``,
   ``--brute-rows-14m``; each against all N) and stopped; its time is **extrapolated
   linearly** to the N x N / 2 comparisons of the whole search. The pairs found are
   compared with what uniform hashes predict (N^2/2 x sum_{k<=8} C(64,k) / 2^64) plus
   the planted ones. Targets: 14.2M searched in <= 10 min and <= 2 GB.

Needs the bench extra: ``.venv/bin/pip install -e '.[bench]'`` (imagehash, scipy), and the
shared data (``WNEXPLORER_SHARED_DATA``, default ../shared/data).

    .venv/bin/python bench/bench_duplicates.py [--rounds 3] [--json FILE] [--skip-14m]

``--skip-14m`` (or ``--quick``) searches 1.3M hashes only; ``--skip planted throughput
search`` leaves parts out.

See bench/README.md ("Duplicates") for the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg, machine

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # planted_duplicates

SHARED = Path(os.environ.get("WNEXPLORER_SHARED_DATA", ROOT.parent / "shared" / "data"))
SIZES = {"1.3M": 1_281_167, "14.2M": 14_197_122}  # ILSVRC-2012 train, ImageNet-21k (fall11)
BRUTE_ROWS = {"1.3M": 20_000, "14.2M": 2_000}
PLANTED_NEIGHBOURS = 10_000
MAX_FLIPS = 8
THRESHOLDS = (6, 8, 10)
TARGETS = {"recall": 0.97, "search_seconds_14m": 600, "search_mb_14m": 2048, "ratio": 1.5}


# -- 3. the pair search, each measurement in a child process ---------------------------------


def _synthetic(n: int, seed: int):
    """``n`` hashes: uniform random ones and PLANTED_NEIGHBOURS copies of some of them with
    1..MAX_FLIPS distinct random bits flipped, shuffled; the planted pairs (i < j) and
    their flip counts."""
    import numpy as np

    rng = np.random.default_rng(seed)
    base_n = n - PLANTED_NEIGHBOURS
    base = rng.integers(0, 2**64, size=base_n, dtype=np.uint64)
    sources = rng.choice(base_n, size=PLANTED_NEIGHBOURS, replace=False)
    flips = 1 + np.arange(PLANTED_NEIGHBOURS) % MAX_FLIPS
    positions = np.argsort(rng.random((PLANTED_NEIGHBOURS, 64)), axis=1)  # a random order
    chosen = np.arange(64)[None, :] < flips[:, None]  # its first k bits
    masks = np.zeros(PLANTED_NEIGHBOURS, np.uint64)
    rows = np.nonzero(chosen)[0]
    np.bitwise_or.at(masks, rows, np.uint64(1) << positions[chosen].astype(np.uint64))
    codes = np.concatenate([base, base[sources] ^ masks])
    del base
    order = rng.permutation(n)
    codes = codes[order]
    where = np.empty(n, np.int64)
    where[order] = np.arange(n)  # where each generated hash now sits
    a, b = where[sources], where[base_n + np.arange(PLANTED_NEIGHBOURS)]
    return codes, np.minimum(a, b), np.maximum(a, b), flips


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(kind: str, n: int, rows: int) -> dict:
    """In the child: generate the hashes, then one index search or one stopped brute force."""
    import numpy as np

    from explorer.core.duplicates import search
    from explorer.core.errors import Cancelled
    from explorer.core.jobs import JobState

    codes, first, second, flips = _synthetic(n, seed=n)
    before_mb = _vm_hwm_mb()
    if kind == "index":
        start = time.perf_counter()
        pairs = search.near_pairs(codes, 8, method="index")
        seconds = time.perf_counter() - start
        found = np.isin(first * n + second, pairs.first * n + pairs.second)
        recall = {int(k): float(found[flips == k].mean()) for k in range(1, MAX_FLIPS + 1)}
        return {
            "n": n,
            "threads": search.THREADS,
            "seconds": round(seconds, 2),
            "pairs": len(pairs),
            "planted": len(first),
            "planted_found": int(found.sum()),
            "recall_by_flips": recall,
            "peak_mb": round(_vm_hwm_mb(), 1),
            "peak_mb_before_search": round(before_mb, 1),
        }

    class StopAfter(JobState):  # near_pairs' own brute force, stopped after `rows` rows
        def progress(self, done, total=None, message=""):
            super().progress(done, total, message)
            if done >= rows:
                self.cancel()

    state = StopAfter()
    start = time.perf_counter()
    with contextlib.suppress(Cancelled):
        search.near_pairs(codes, 8, method="brute", state=state)
    seconds = time.perf_counter() - start
    return {
        "n": n,
        "rows": state.done,
        "seconds": round(seconds, 2),
        "ms_per_row": round(1000 * seconds / state.done, 3),
        "peak_mb": round(_vm_hwm_mb(), 1),
    }


def _run_child(kind: str, n: int, rows: int = 0) -> dict:
    command = [sys.executable, __file__, "--child", kind, str(n), str(rows)]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out)
        _pid, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed")
    result = json.loads(text.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - start, 2)
    result["ru_maxrss_mb"] = round(usage.ru_maxrss / 1024, 1)  # kB on Linux
    return result


def expected_random_pairs(n: int, max_distance: int = 8) -> float:
    """Pairs within ``max_distance`` bits among ``n`` uniform random 64-bit hashes."""
    within = sum(math.comb(64, k) for k in range(max_distance + 1))
    return n * (n - 1) / 2 * within / 2**64


def pair_search(sizes: dict[str, int], brute_rows: dict[str, int]) -> dict:
    results = {}
    for name, n in sizes.items():
        print(f"[search] {name}: index …", file=sys.stderr, flush=True)
        index = _run_child("index", n)
        print(f"[search] {name}: brute force, first {brute_rows[name]:,} rows …", file=sys.stderr)
        brute = _run_child("brute", n, brute_rows[name])
        full = brute["seconds"] * (n * (n - 1) / 2) / (brute["rows"] * n)
        random_pairs = expected_random_pairs(n)
        results[name] = {
            "index": index,
            "brute_sample": brute,
            "brute_extrapolated_s": round(full),
            "brute_extrapolated_note": "measured on brute_sample.rows rows x N, scaled to N(N-1)/2",
            "ratio": round(full / index["seconds"]),
            "expected_random_pairs": round(random_pairs, 1),
            "expected_pairs": round(random_pairs + index["planted"], 1),
        }
    return results


# -- 1. the planted set -------------------------------------------------------------------


def planted_set(work: Path) -> dict:
    import numpy as np
    from planted_duplicates import ALTERATIONS, plant, source_of

    from explorer.core.catalogue import Catalogue, index_catalogue
    from explorer.core.duplicates import hashing
    from explorer.core.duplicates.pairs import DEFAULT_DISTANCE, find_duplicates
    from explorer.core.wordnet import load_taxonomy

    taxonomy = load_taxonomy()
    samples = sorted((SHARED / "imagenet-samples").glob("*.JPEG"))
    root, catalogue_path = work / "planted", work / "planted.sqlite"
    print(f"[planted] writing {len(samples):,} x 8 images …", file=sys.stderr, flush=True)
    start = time.perf_counter()
    planted = plant(samples, root, taxonomy)
    plant_seconds = time.perf_counter() - start
    index_catalogue(root, nouns=taxonomy.graph, catalogue=catalogue_path)
    print("[planted] hashing …", file=sys.stderr, flush=True)
    hashed = hashing.hash_catalogue(catalogue_path)
    result: dict = {
        "samples": len(samples),
        "images": hashed.images,
        "planted_pairs": len(planted),
        "default_distance": DEFAULT_DISTANCE,
        "write_seconds": round(plant_seconds, 1),
        "hashing": {
            "threads": hashing.THREADS,
            "seconds": hashed.seconds,
            "images_per_s": round(hashed.hashed / hashed.seconds),
            "unhashable": hashed.unhashable,
        },
        "thresholds": {},
    }
    with Catalogue.open(catalogue_path) as catalogue:
        ids, codes = catalogue.hash_arrays()
        paths = [row.path for row in catalogue.rows_by_ids(ids.tolist())]
        code_of = dict(zip(paths, codes.tolist(), strict=True))
        # every planted pair's distance, from the stored hashes (whatever the search finds)
        distances = defaultdict(list)
        for pair in planted:
            apart = (code_of[pair.original] ^ code_of[pair.copy]).bit_count()
            distances[pair.alteration].append(apart)
        result["planted_distance"] = {
            name: {"median": statistics.median(d), "p99": _p99(d), "max": max(d)}
            for name, d in distances.items()
        }
        # the closest two images of distinct samples: originals only, and all 8,000
        sources = np.unique([source_of(p) for p in paths], return_inverse=True)[1]
        originals = np.array(["~" not in p for p in paths])
        result["closest_distinct"] = {
            "originals": _closest(codes[originals], sources[originals]),
            "all_images": _closest(codes, sources),
        }
        for threshold in THRESHOLDS:
            print(f"[planted] find_duplicates at {threshold} bits …", file=sys.stderr)
            start = time.perf_counter()
            report = find_duplicates(catalogue, taxonomy, max_distance=threshold)
            seconds = time.perf_counter() - start
            rows = {frozenset((row.a, row.b)): row for row in report.rows(catalogue)}
            hits, wrong, exact_wrong, missed = defaultdict(int), [], 0, []
            for pair in planted:
                row = rows.get(frozenset((pair.original, pair.copy)))
                if row is None:
                    apart = (code_of[pair.original] ^ code_of[pair.copy]).bit_count()
                    missed.append((pair.copy, pair.alteration, apart))
                    continue
                hits[pair.alteration] += 1
                if row.relation != pair.relation:
                    wrong.append((pair.original, pair.copy, pair.relation, row.relation))
                exact_wrong += row.exact != (pair.alteration == "exact copy")
            distinct = [
                (row.a, row.b, row.distance)
                for row in rows.values()
                if source_of(row.a) != source_of(row.b)
            ]
            per = len(planted) // len(ALTERATIONS)
            result["thresholds"][threshold] = {
                "recall": {name: hits[name] / per for name in ALTERATIONS},
                "pairs": len(rows),
                "by_relation": report.summary.by_relation,
                "distinct_pairs": len(distinct),
                "distinct_examples": distinct[:5],
                "wrong_relations": len(wrong),
                "wrong_examples": wrong[:5],
                "exact_flag_wrong": exact_wrong,
                "missed": missed if threshold == DEFAULT_DISTANCE else len(missed),
                "seconds": round(seconds, 2),
            }
    return result


def _p99(values: list[int]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _closest(codes, sources) -> dict:
    """The smallest distance between two hashes of distinct sources, and how many pairs."""
    import numpy as np

    best, count = 65, 0
    for start in range(0, len(codes), 512):
        block = np.bitwise_count(codes[start : start + 512, None] ^ codes[None, :])
        block = block.astype(np.int16)
        block[sources[start : start + 512, None] == sources[None, :]] = 99
        low = int(block.min())
        if low < best:
            best, count = low, int((block == low).sum())
        elif low == best:
            count += int((block == low).sum())
    return {"min_bits": best, "pairs_at_min": count // 2}  # each pair seen both ways


# -- 2. throughput against imagehash -----------------------------------------------------


def throughput(rounds: int) -> dict:
    import imagehash
    from PIL import Image

    from explorer.core.images.phash import distance, perceptual_hash

    files = sorted((SHARED / "imagenet-samples").glob("*.JPEG"))

    def ours() -> list[int | None]:
        return [perceptual_hash(path).value for path in files]

    def theirs() -> list[int]:
        hashes = []
        for path in files:
            with Image.open(path) as image:
                hashes.append(int(str(imagehash.phash(image)), 16))
        return hashes

    times: dict[str, list[float]] = {"ours": [], "imagehash": []}
    for _ in range(rounds):  # interleaved: the machine's load falls on both alike
        for name, function in (("imagehash", theirs), ("ours", ours)):
            start = time.perf_counter()
            hashes = function()
            times[name].append(time.perf_counter() - start)
            if name == "ours":
                mine = hashes
            else:
                reference = hashes
    apart = [distance(a, b) for a, b in zip(mine, reference, strict=True) if a is not None]
    best = {name: min(values) for name, values in times.items()}
    return {
        "images": len(files),
        "rounds": rounds,
        "seconds_best": {name: round(value, 3) for name, value in best.items()},
        "images_per_s": {name: round(len(files) / value) for name, value in best.items()},
        "ratio": round(best["imagehash"] / best["ours"], 2),
        "bits_apart": {
            "median": statistics.median(apart),
            "max": max(apart),
            "identical": sum(1 for bits in apart if bits == 0),
        },
    }


# -- output ----------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for line in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)))
    print()


def report(results: dict) -> None:
    planted = results.get("planted")
    if planted:
        print(
            f"1. Planted set: {planted['samples']:,} samples x 7 alterations, "
            f"{planted['images']:,} images, {planted['planted_pairs']:,} planted pairs"
        )
        header = ["alteration", *(f"recall @{t}" for t in THRESHOLDS), "bits: median/p99/max"]
        rows = []
        for name, spread in planted["planted_distance"].items():
            recall = [planted["thresholds"][t]["recall"][name] for t in THRESHOLDS]
            rows.append(
                [
                    name,
                    *(f"{100 * r:.1f}%" for r in recall),
                    f"{spread['median']:g} / {spread['p99']:g} / {spread['max']}",
                ]
            )
        _table(header, rows)
        header = ["threshold", "pairs", "distinct-sample pairs", "wrong relations", "find s"]
        rows = [
            [
                f"{t} bits",
                f"{v['pairs']:,}",
                str(v["distinct_pairs"]),
                str(v["wrong_relations"]),
                f"{v['seconds']:.2f}",
            ]
            for t, v in planted["thresholds"].items()
        ]
        _table(header, rows)
        default = planted["thresholds"][planted["default_distance"]]
        worst = min(default["recall"].values())
        closest = planted["closest_distinct"]
        hashing = planted["hashing"]
        print(
            f"at {planted['default_distance']} bits: worst recall {100 * worst:.1f}% "
            f"(>= 97%: {_mark(worst >= TARGETS['recall'])}), "
            f"{default['distinct_pairs']} distinct-sample pairs "
            f"({_mark(default['distinct_pairs'] == 0)}), {default['wrong_relations']} relations "
            f"wrong ({_mark(default['wrong_relations'] == 0)}); closest distinct originals "
            f"{closest['originals']['min_bits']} bits apart "
            f"({closest['originals']['pairs_at_min']} pairs), any two images of distinct "
            f"samples {closest['all_images']['min_bits']} bits\n"
            f"hash_catalogue: {planted['images']:,} images in {hashing['seconds']:.1f} s, "
            f"{hashing['images_per_s']:,}/s on {hashing['threads']} threads\n"
        )
    through = results.get("throughput")
    if through:
        print(
            f"2. Throughput, {through['images']:,} samples, one thread, best of "
            f"{through['rounds']}: ours {through['seconds_best']['ours']:.2f} s "
            f"({through['images_per_s']['ours']:,}/s), imagehash.phash "
            f"{through['seconds_best']['imagehash']:.2f} s "
            f"({through['images_per_s']['imagehash']:,}/s): {through['ratio']}x "
            f"(>= 1.5x: {_mark(through['ratio'] >= TARGETS['ratio'])}); the two hashes "
            f"{through['bits_apart']['identical']} identical, median "
            f"{through['bits_apart']['median']} bits apart, at most {through['bits_apart']['max']}"
            "\n"
        )
    search = results.get("search")
    if search:
        print("3. Pair search at 8 bits, synthetic uniform hashes + 10,000 planted neighbours")
        header = [
            "N",
            "index s",
            "peak MB (VmHWM / ru_maxrss)",
            "pairs (expected)",
            "planted recall",
            "brute rows measured",
            "brute N^2/2 extrapolated",
            "ratio",
        ]
        rows = []
        for v in search.values():
            index, brute = v["index"], v["brute_sample"]
            rows.append(
                [
                    f"{v['index']['n']:,}",
                    f"{index['seconds']:.1f}",
                    f"{index['peak_mb']:,.0f} / {index['ru_maxrss_mb']:,.0f}",
                    f"{index['pairs']:,} ({v['expected_pairs']:,.0f})",
                    f"{index['planted_found']:,}/{index['planted']:,}",
                    f"{brute['rows']:,} in {brute['seconds']:.1f} s",
                    f"{v['brute_extrapolated_s']:,} s ({v['brute_extrapolated_s'] / 3600:.1f} h)",
                    f"{v['ratio']:,}x",
                ]
            )
        _table(header, rows)
        print(
            "(brute force is extrapolated from the measured rows, each against all N, "
            "to N(N-1)/2 comparisons; not run in full)"
        )
        if "14.2M" in search:
            big = search["14.2M"]["index"]
            print(
                f"14.2M: {big['seconds']:.0f} s (<= 600 s: "
                f"{_mark(big['seconds'] <= TARGETS['search_seconds_14m'])}), "
                f"{big['peak_mb']:,.0f} MB (<= 2 GB: "
                f"{_mark(big['peak_mb'] <= TARGETS['search_mb_14m'])})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (best kept)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--skip-14m", action="store_true", help="search 1.3M hashes only")
    parser.add_argument("--quick", action="store_true", help="the same as --skip-14m")
    parser.add_argument("--brute-rows-1m", type=int, default=BRUTE_ROWS["1.3M"])
    parser.add_argument("--brute-rows-14m", type=int, default=BRUTE_ROWS["14.2M"])
    parts = ["planted", "throughput", "search"]
    parser.add_argument("--skip", nargs="*", default=[], choices=parts, help="parts not run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n, rows = args.child
        print(json.dumps(_child(kind, int(n), int(rows))))
        return

    results: dict = {"machine": machine(), "git": git_state(), "load_before": loadavg()}
    # the searches first: a child's ru_maxrss includes its parent's peak, kept small so
    if "search" not in args.skip:
        sizes = dict(SIZES)
        if args.skip_14m or args.quick:
            del sizes["14.2M"]
        brute_rows = {"1.3M": args.brute_rows_1m, "14.2M": args.brute_rows_14m}
        results["search"] = pair_search(sizes, brute_rows)
        results["load_after_search"] = loadavg()
    if "planted" not in args.skip:
        with tempfile.TemporaryDirectory(prefix="bench-duplicates-") as work:
            results["planted"] = planted_set(Path(work))
        results["load_after_planted"] = loadavg()
    if "throughput" not in args.skip:
        results["throughput"] = throughput(args.rounds)
    results["load_after"] = loadavg()
    print(f"\ncommit {results['git']}, load {results['load_before']} -> {results['load_after']}\n")
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()

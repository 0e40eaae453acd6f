"""Benchmark model evaluation (issue 18): scoring 50,000 predictions and the per-node figures
of all 82,115 synsets, against a plain Python loop over the same rows, in the same run.

The real files of ../shared/data/known-issues: a cross-validated model's predicted class for
each of ILSVRC-2012's 50,000 validation images (as path,class_index), their original labels
(a manifest catalogue of the 50,000 paths, indexed once, outside the timing), ReaL.

- ours: ``read_predictions`` + ``evaluate`` (matching, top-1, ReaL, per-node arrays,
  severity, confused pairs); per node: ``node_figures`` (the arrays of all 82,115 synsets)
  and ``node()`` for every synset;
- baseline: a Python loop over the same CSV rows: the label of each path from a dict of
  the catalogue's rows, top-1, ReaL; per node: for each image every ancestor of its label
  (``taxonomy.ancestors``, cached per synset) counted in images, right and in_subtree, then
  every synset's three figures; then each mistake's severity (the same walk up, cached per
  synset) and the most confused pairs. Its scoring time includes all of it, like ours.

Targets: 50,000 predictions scored in <= 2 s; per-node figures for all synsets in <= 1 s.

    WNEXPLORER_SHARED_DATA=../shared/data .venv/bin/python bench/bench_eval.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_state, loadavg

sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("WNEXPLORER_SHARED_DATA", ROOT.parent / "shared" / "data"))
KNOWN = SHARED / "known-issues"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from explorer.core.catalogue import Catalogue, index_catalogue
    from explorer.core.evaluation import class_order, evaluate, node_figures, read_predictions
    from explorer.core.wordnet import load_taxonomy

    taxonomy = load_taxonomy()
    order = class_order("ilsvrc2012")
    paths = json.loads((KNOWN / "imagenet_val_set_index_to_filepath.json").read_text())
    truth = np.load(KNOWN / "imagenet_val_set_original_labels.npy")
    predicted = np.load(KNOWN / "imagenet_val_set_pyx_argmax_predicted_labels.npy")
    scratch = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    manifest, predictions = scratch / "val.csv", scratch / "pred.csv"
    manifest.write_text(
        "path,wnid\n" + "".join(f"{p},{order[t]}\n" for p, t in zip(paths, truth, strict=True))
    )
    predictions.write_text(
        "path,class\n" + "".join(f"{p},{c}\n" for p, c in zip(paths, predicted, strict=True))
    )
    catalogue = index_catalogue(manifest, nouns=taxonomy.graph, catalogue=scratch / "val.sqlite")
    real = KNOWN / "real.json"
    taxonomy.ancestor_closure()  # loaded with the cache in every use: not timed here

    def ours() -> tuple[float, float, float]:
        start = time.perf_counter()
        with Catalogue.open(catalogue.catalogue) as opened:
            result = evaluate(opened, taxonomy, read_predictions(predictions), real=real)
        scored = time.perf_counter()
        # the per-node part again on its own, and every synset's figures made from it
        arrays = node_figures(taxonomy, result.truth, result.predicted)
        figures = [result.node(w) for w in taxonomy.wnids]
        done = time.perf_counter()
        assert len(figures) == 82_115 and (arrays[0] == result.node_images).all()
        return scored - start, done - scored, result.top1

    ancestors: dict[str, set[str]] = {}
    up: dict[str, dict[str, int]] = {}

    def up_from(wnid: str) -> dict[str, int]:
        if wnid not in up:
            known, frontier = {wnid: 0}, [wnid]
            while frontier:
                following = []
                for node in frontier:
                    for parent in taxonomy.parents(node):
                        if parent not in known:
                            known[parent] = known[node] + 1
                            following.append(parent)
                frontier = following
            up[wnid] = known
        return up[wnid]

    def steps(label: str, guess: str) -> int:
        a, b = up_from(label), up_from(guess)
        return min(max(d, b[n]) for n, d in a.items() if n in b)

    def ancestors_of(wnid: str) -> set[str]:
        if wnid not in ancestors:
            ancestors[wnid] = taxonomy.ancestors(wnid) | {wnid}
        return ancestors[wnid]

    def baseline() -> tuple[float, float, float]:
        start = time.perf_counter()
        with sqlite3.connect(catalogue.catalogue) as db:
            labels = dict(db.execute("SELECT path, wnid FROM images"))
        real_sets = json.loads(real.read_text())
        images: dict[str, int] = {}
        right: dict[str, int] = {}
        inside: dict[str, int] = {}
        hits = real_hits = real_images = 0
        pairs = []
        with open(predictions, newline="") as file:
            rows = csv.reader(file)
            next(rows)
            for path, index in rows:
                label, guess = labels[path], order[int(index)]
                hits += guess == label
                wanted = real_sets[int(path[-13:-5]) - 1]
                if wanted:
                    real_images += 1
                    real_hits += int(index) in wanted
                pairs.append((label, guess))
        middle = time.perf_counter()
        for label, guess in pairs:  # the per-node part
            guessed = ancestors_of(guess)
            for node in ancestors_of(label):
                images[node] = images.get(node, 0) + 1
                right[node] = right.get(node, 0) + (guess == label)
                inside[node] = inside.get(node, 0) + (node in guessed)
        figures = [(images.get(w, 0), right.get(w, 0), inside.get(w, 0)) for w in taxonomy.wnids]
        done = time.perf_counter()
        assert len(figures) == 82_115
        return done - start, done - middle, hits / len(labels)

    times: dict[str, list[tuple[float, float]]] = {"ours": [], "baseline": []}
    for _ in range(args.rounds):  # interleaved: the load falls on both alike
        for name, function in (("baseline", baseline), ("ours", ours)):
            scoring, nodes, top1 = function()
            times[name].append((scoring, nodes))
    print(f"commit {git_state()}, load {loadavg()}, {args.rounds} rounds, medians")
    print(f"top-1 (both): {top1:.5f}")
    for name in ("baseline", "ours"):
        scoring = statistics.median(t[0] for t in times[name])
        nodes = statistics.median(t[1] for t in times[name])
        print(f"{name:9s} scoring 50,000: {scoring:.3f} s   figures of 82,115 nodes: {nodes:.3f} s")
    ours_scoring = statistics.median(t[0] for t in times["ours"])
    base_scoring = statistics.median(t[0] for t in times["baseline"])
    print(
        f"ours/baseline scoring: {ours_scoring / base_scoring:.2f}x the time "
        f"({base_scoring / ours_scoring:.1f}x faster); target <= 2 s: "
        f"{'ok' if ours_scoring <= 2 else 'MISSED'}"
    )
    ours_nodes = statistics.median(t[1] for t in times["ours"])
    verdict = "ok" if ours_nodes <= 1 else "MISSED"
    print(f"per-node figures: {ours_nodes:.3f} s; target <= 1 s: {verdict}")


if __name__ == "__main__":
    main()

"""Score a model's predictions against a catalogue's labels, over the WordNet hierarchy.

Every figure comes from numpy arrays over the taxonomy's node indices:

- ``top1`` (``top5`` when five or more are ranked): the share of matched images whose first
  (any of the first five) prediction is their label;
- ``real``: ReaL's top-1 (Beyer et al. 2020): the first prediction among the image's
  reassessed labels, over the images ReaL gives any label (``real.json``: a list, in the
  order of the validation files' numbers, of lists of ILSVRC-2012 class indices);
- per node (any synset), over the images labelled in its subtree: ``images``, ``top1``, and
  ``in_subtree``: the share whose first prediction also lies in the subtree (superclass
  accuracy, as BREEDS scores it);
- ``severity`` of each mistake: the height of the lowest common hypernym of truth ``t`` and
  prediction ``p``. WordNet is a DAG, so exactly: over every synset ``a`` that ``t`` and
  ``p`` both reach by hypernym steps (instance hypernyms included; ``a`` may be ``t`` or
  ``p`` itself), the steps from ``a`` down to the farther of the two, by the shortest path
  of each, minimised over ``a``: ``min_a max(d(t, a), d(p, a))``. 1: siblings (a shared
  parent), 2: cousins, and so on; a prediction that is an ancestor of the truth scores its
  distance. In a tree with the leaves at one depth it is the LCA height of "Making Better
  Mistakes" (Bertinetto et al. 2020);
- the most confused (truth, prediction) pairs, with how many of their images ReaL calls the
  prediction right too (a label problem, not a model's) and how many a curator flagged
  ``wrong_label``.

Images flagged ``wrong_label`` are scored apart (``flagged``), and left out of everything
else with ``exclude_flagged``.

>>> _ = (tmp / "p.csv").write_text("path,wnid\\n" + "".join(
...     f"{p},{w}\\n" for p, w in [("n02085620/n02085620_0.JPEG", "n02085620"),
...                             ("n02085620/n02085620_1.JPEG", "n02086079"),
...                             ("n02085620_2.JPEG", "n01440764"), ("nowhere.JPEG", "n02085620")]))
>>> from explorer.core.evaluation.predictions import read_predictions
>>> result = evaluate(catalogue, taxonomy, read_predictions(tmp / "p.csv"))
>>> result.images, result.unmatched, round(result.top1, 3)
(3, 1, 0.333)
>>> result.node("n02084071")     # dog: 3 of its images; 1 right, 2 predicted dogs
{'images': 3, 'top1': 0.333..., 'in_subtree': 0.666...}
>>> [(c.truth, c.prediction, c.severity) for c in result.confused]
[('n02085620', 'n01440764', 8), ('n02085620', 'n02086079', 1)]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.core.catalogue import Catalogue
from explorer.core.errors import CatalogueError
from explorer.core.evaluation.classes import CONFUSED, class_order
from explorer.core.evaluation.predictions import Predictions
from explorer.core.jobs import JobState

if TYPE_CHECKING:
    from explorer.core.wordnet import Taxonomy

_VAL_NUMBER = re.compile(r"ILSVRC2012_val_(\d{8})", re.IGNORECASE)


@dataclass(frozen=True)
class ConfusedPair:
    truth: str
    prediction: str
    images: int
    severity: int
    real_agrees: int  # of those images, how many ReaL lists the prediction for
    flagged: int  # of those images, how many are flagged wrong_label

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Evaluation:
    """One prediction file scored; per-image arrays for the window, per-node for the tree."""

    source: str
    images: int  # matched images scored (flagged ones apart with exclude_flagged)
    top1: float | None
    top5: float | None
    unmatched: int  # prediction rows matching no image of the catalogue
    unmatched_examples: list[str]
    bad_rows: int  # rows that could not be read (see Predictions)
    unlabelled: int  # matched images without a WordNet noun label: not scored
    real: dict[str, Any] | None
    severity: dict[str, Any]
    confused: list[ConfusedPair]
    flagged: dict[str, Any]
    layout: str | None
    # per node (taxonomy index order): scored images in the subtree, right, predicted inside
    node_images: np.ndarray = field(repr=False)
    node_correct: np.ndarray = field(repr=False)
    node_inside: np.ndarray = field(repr=False)
    index: dict[str, int] = field(repr=False)
    # per scored image: catalogue id, truth and first prediction (node indices), severity
    image_ids: np.ndarray = field(repr=False)
    truth: np.ndarray = field(repr=False)
    predicted: np.ndarray = field(repr=False)
    image_severity: np.ndarray = field(repr=False)
    image_real: list[frozenset[int] | None] | None = field(default=None, repr=False)  # ReaL's

    def node(self, wnid: str) -> dict[str, Any]:
        """``{"images", "top1", "in_subtree"}`` of the synset's subtree (None: no image)."""
        i = self.index[wnid]
        images = int(self.node_images[i])
        return {
            "images": images,
            "top1": float(self.node_correct[i]) / images if images else None,
            "in_subtree": float(self.node_inside[i]) / images if images else None,
        }

    def as_json(self, nodes: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "predictions": self.source,
            "images": self.images,
            "top1": self.top1,
            "top5": self.top5,
            "unmatched": self.unmatched,
            "bad_rows": self.bad_rows,
            "unlabelled": self.unlabelled,
            "real": self.real,
            "nodes": {wnid: self.node(wnid) for wnid in nodes},
            "severity": self.severity,
            "confused": [pair.as_json() for pair in self.confused],
            "flagged": self.flagged,
            "classes": self.layout,
        }


def evaluate(
    catalogue: Catalogue,
    taxonomy: Taxonomy,
    predictions: Predictions,
    *,
    real: str | os.PathLike[str] | None = None,
    wrong_label: Collection[str] = (),
    exclude_flagged: bool = False,
    confused: int = CONFUSED,
    state: JobState | None = None,
) -> Evaluation:
    """Score ``predictions`` against ``catalogue``'s labels. ``real``: ReaL's real.json;
    ``wrong_label``: paths flagged wrong_label (scored apart; left out with
    ``exclude_flagged``)."""
    state = state or JobState()
    index = {wnid: i for i, wnid in enumerate(taxonomy.wnids)}
    state.progress(0, None, "Matching predictions to images")
    rows, unmatched = _match(catalogue, predictions.paths)
    state.check()
    label_node = np.array([index.get(w, -1) for w in predictions.labels] + [-1], np.int32)
    matched = np.array([i for i, _ in rows], np.int64)
    truth = np.array([index.get(row[2] or "", -1) for _, row in rows], np.int32)
    ranked = label_node[predictions.ranked[matched]] if len(matched) else np.zeros((0, 1), np.int32)
    paths = [row[1] for _, row in rows]
    ids = np.array([row[0] for _, row in rows], np.int64)
    labelled = truth >= 0
    flagged = np.array([path in wrong_label for path in paths], bool)
    scored = labelled & ~flagged if exclude_flagged else labelled
    real_sets = _real_sets(real, paths, index) if real is not None else None

    top1_hit = ranked[:, 0] == truth
    result_top5 = None
    if ranked.shape[1] >= 5:
        result_top5 = _share((ranked[:, :5] == truth[:, None]).any(axis=1), scored)
    node_images, node_correct, node_inside = node_figures(
        taxonomy, truth[scored], ranked[scored, 0]
    )
    state.check()
    mistakes = scored & ~top1_hit & (ranked[:, 0] >= 0)
    wnids = taxonomy.wnids
    severity = _severities(taxonomy, truth, ranked[:, 0], mistakes)
    return Evaluation(
        source=predictions.source,
        images=int(scored.sum()),
        top1=_share(top1_hit, scored),
        top5=result_top5,
        unmatched=len(unmatched),
        unmatched_examples=unmatched[:5],
        bad_rows=predictions.bad_rows,
        unlabelled=int((~labelled).sum()),
        real=_real_score(real_sets, ranked, scored) if real_sets is not None else None,
        severity=_severity_summary(severity, mistakes, ranked[:, 0] < 0, scored),
        confused=confused_pairs(
            truth, ranked[:, 0], mistakes, severity, real_sets, flagged, wnids, confused
        ),
        flagged=_flagged_score(top1_hit, labelled & flagged, exclude_flagged),
        layout=predictions.layout,
        node_images=node_images,
        node_correct=node_correct,
        node_inside=node_inside,
        index=index,
        image_ids=ids[scored],
        truth=truth[scored],
        predicted=ranked[scored, 0],
        image_severity=severity[scored],
        image_real=(
            [s for s, keep in zip(real_sets, scored.tolist(), strict=True) if keep]
            if real_sets is not None
            else None
        ),
    )


def _share(hits: np.ndarray, among: np.ndarray) -> float | None:
    total = int(among.sum())
    return float(hits[among].sum()) / total if total else None


# --- matching ------------------------------------------------------------------------------


def _match(
    catalogue: Catalogue, paths: list[str]
) -> tuple[list[tuple[int, tuple[int, str, str | None]]], list[str]]:
    """(prediction row, (image id, path, label)) of the rows matching an image, by path
    relative to the root, else by file name when one image has it; and the unmatched."""
    by_path = {
        path: (image_id, path, wnid)
        for path, (image_id, wnid) in catalogue.ids_and_labels(paths).items()
    }
    found: dict[int, tuple[int, str, str | None]] = {}
    missing: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        row = by_path.get(path)
        if row is not None:
            found[i] = row
        else:
            missing.setdefault(PurePosixPath(path.replace("\\", "/")).name, []).append(i)
    if missing:
        for name, rows in catalogue.images_named(missing).items():
            if len(rows) == 1:  # a name two images share matches neither
                for i in missing.pop(name):
                    found[i] = rows[0]
    unmatched = [paths[i] for rows in missing.values() for i in rows]
    return sorted(found.items()), sorted(unmatched)


# --- per node --------------------------------------------------------------------------------


def node_figures(
    taxonomy: Taxonomy, truth: np.ndarray, predicted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per node (taxonomy index order), of the images whose truth lies in its subtree: how
    many, how many predicted right, how many predicted inside the subtree. ``truth`` and
    ``predicted``: node indices (-1: a prediction of no WordNet noun)."""
    sizes, ancestors = taxonomy.ancestor_closure()
    starts = np.cumsum(sizes.astype(np.int64)) - sizes
    total = len(sizes)
    images = _propagate(truth, sizes, starts, ancestors, total)
    correct = _propagate(truth[truth == predicted], sizes, starts, ancestors, total)
    return images, correct, _inside(truth, predicted, sizes, starts, ancestors, total)


def _gather(
    nodes: np.ndarray, sizes: np.ndarray, starts: np.ndarray, ancestors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(item, ancestor) of every ancestor (itself included) of each of ``nodes``."""
    counts = sizes[nodes].astype(np.int64)
    offsets = np.repeat(starts[nodes] - (np.cumsum(counts) - counts), counts)
    return np.repeat(np.arange(len(nodes)), counts), ancestors[
        offsets + np.arange(int(counts.sum()))
    ]


def _propagate(
    nodes: np.ndarray,
    sizes: np.ndarray,
    starts: np.ndarray,
    ancestors: np.ndarray,
    total: int,
) -> np.ndarray:
    """Per node: how many of ``nodes`` lie in its subtree (each counted once per ancestor)."""
    if not len(nodes):
        return np.zeros(total, np.int64)
    _, ancestor = _gather(nodes, sizes, starts, ancestors)
    return np.bincount(ancestor, minlength=total).astype(np.int64)


def _inside(
    t: np.ndarray,
    p: np.ndarray,
    sizes: np.ndarray,
    starts: np.ndarray,
    ancestors: np.ndarray,
    total: int,
) -> np.ndarray:
    """Per node: the images whose truth and prediction both lie in its subtree (node a common
    ancestor of the two), one pass per distinct (truth, prediction) pair."""
    valid = p >= 0
    pairs, counts = np.unique(np.stack([t[valid], p[valid]]), axis=1, return_counts=True)
    if not pairs.size:
        return np.zeros(total, np.int64)
    item_t, anc_t = _gather(pairs[0], sizes, starts, ancestors)
    item_p, anc_p = _gather(pairs[1], sizes, starts, ancestors)
    common = np.intersect1d(item_t * total + anc_t, item_p * total + anc_p, assume_unique=True)
    return np.bincount(common % total, weights=counts[common // total], minlength=total).astype(
        np.int64
    )


def _severities(
    taxonomy: Taxonomy, truth: np.ndarray, predicted: np.ndarray, mistakes: np.ndarray
) -> np.ndarray:
    """Each mistake's severity (0 elsewhere), computed once per distinct pair."""
    severity = np.zeros(len(truth), np.int32)
    if not mistakes.any():
        return severity
    pairs, inverse = np.unique(
        np.stack([truth[mistakes], predicted[mistakes]]), axis=1, return_inverse=True
    )
    distances, wnids = _Distances(taxonomy), taxonomy.wnids
    per_pair = np.array(
        [distances.severity(wnids[a], wnids[b]) for a, b in pairs.T.tolist()], np.int32
    )
    severity[mistakes] = per_pair[inverse.ravel()]
    return severity


class _Distances:
    """Shortest hypernym steps from a synset up to each of its ancestors (cached)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._up: dict[str, dict[str, int]] = {}

    def up(self, wnid: str) -> dict[str, int]:
        known = self._up.get(wnid)
        if known is None:
            known = {wnid: 0}
            frontier = [wnid]
            while frontier:
                following = []
                for node in frontier:
                    for parent in self.taxonomy.parents(node):
                        if parent not in known:
                            known[parent] = known[node] + 1
                            following.append(parent)
                frontier = following
            self._up[wnid] = known
        return known

    def severity(self, truth: str, prediction: str) -> int:
        up_t, up_p = self.up(truth), self.up(prediction)
        return min(max(d, up_p[a]) for a, d in up_t.items() if a in up_p)


def _severity_summary(
    severity: np.ndarray, mistakes: np.ndarray, unknown: np.ndarray, scored: np.ndarray
) -> dict[str, Any]:
    values = severity[mistakes]
    histogram = {
        int(h): int(n) for h, n in zip(*np.unique(values, return_counts=True), strict=True)
    }
    return {
        "mistakes": int(mistakes.sum()),
        "not_in_wordnet": int((scored & unknown).sum()),  # predictions of no WordNet noun
        "mean": float(values.mean()) if len(values) else None,
        "histogram": histogram,  # severity -> mistakes
    }


# --- ReaL, confusion, flags ----------------------------------------------------------------------


def _real_sets(
    real: str | os.PathLike[str], paths: list[str], index: dict[str, int]
) -> list[frozenset[int] | None]:
    """Each matched image's ReaL labels (node indices; None: not a validation file ReaL
    covers, or ReaL gives it no label)."""
    try:
        data = json.loads(Path(real).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"Cannot read ReaL labels from {real}: {exc}") from exc
    if not isinstance(data, list):
        raise CatalogueError(f"{real} is not ReaL's real.json (a list of lists of class indices).")
    classes = [index.get(w, -1) for w in class_order("ilsvrc2012")]
    sets: list[frozenset[int] | None] = []
    for path in paths:
        hit = _VAL_NUMBER.search(path)
        number = int(hit.group(1)) if hit else 0
        labels = data[number - 1] if 0 < number <= len(data) else None
        if (
            isinstance(labels, list)
            and labels
            and all(isinstance(c, int) and 0 <= c < 1000 for c in labels)
        ):
            sets.append(frozenset(classes[c] for c in labels))
        else:
            sets.append(None)
    return sets


def _real_score(
    sets: list[frozenset[int] | None], ranked: np.ndarray, scored: np.ndarray
) -> dict[str, Any]:
    hits = [
        first in labels
        for first, labels, keep in zip(ranked[:, 0].tolist(), sets, scored.tolist(), strict=True)
        if keep and labels is not None
    ]
    return {"images": len(hits), "top1": sum(hits) / len(hits) if hits else None}


def confused_pairs(
    truth: np.ndarray,
    predicted: np.ndarray,
    mistakes: np.ndarray,
    severity: np.ndarray,
    real_sets: list[frozenset[int] | None] | None,
    flagged: np.ndarray,
    wnids: list[str],
    limit: int,
) -> list[ConfusedPair]:
    """The ``limit`` most confused (truth, prediction) pairs among the ``mistakes`` (a mask
    over the images of the arrays), commonest first, with ReaL's agreement and the flags."""
    if not mistakes.any():
        return []
    pairs, inverse, counts = np.unique(
        np.stack([truth[mistakes], predicted[mistakes]]),
        axis=1,
        return_inverse=True,
        return_counts=True,
    )
    order = np.lexsort((pairs[1], pairs[0], -counts))[:limit]
    where = np.flatnonzero(mistakes)
    result = []
    for k in order.tolist():
        members = where[inverse.ravel() == k]
        agrees = 0
        if real_sets is not None:
            agrees = sum(
                1
                for i in members.tolist()
                if real_sets[i] is not None and predicted[i] in real_sets[i]
            )
        result.append(
            ConfusedPair(
                wnids[int(pairs[0, k])],
                wnids[int(pairs[1, k])],
                int(counts[k]),
                int(severity[members[0]]),
                agrees,
                int(flagged[members].sum()),
            )
        )
    return result


def _flagged_score(hits: np.ndarray, flagged: np.ndarray, excluded: bool) -> dict[str, Any]:
    return {
        "images": int(flagged.sum()),
        "top1": _share(hits, flagged),
        "excluded": excluded,
    }

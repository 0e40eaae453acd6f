"""Near-duplicate pairs of a catalogue (or between two), each judged by where its labels sit.

The pairs are those of :func:`~explorer.core.duplicates.search.near_pairs` over the stored
perceptual hashes (:mod:`.hashing`), kept as arrays of image ids so that millions of them
cost a few dozen MB; rows with paths are made as they are read. Each pair is:

- ``exact`` when the two files' bytes are the same (their content hashes), else near;
- judged by the hierarchy: ``same_synset`` (a redundant copy), ``ancestor`` (one label is
  an ancestor of the other: redundant, or labelled too coarsely), ``different`` (the same
  picture under two unrelated synsets: a label conflict), or ``unknown_label`` (an image
  without a label, or with one that is not a WordNet noun);
- left out when a curator marked it not a duplicate (the flag store remembers it).

With ``against`` (train against val), only pairs of one image in each catalogue count,
the first in ``catalogue`` and the second in ``against``.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.core.catalogue import Catalogue, ensure_orders, order_chunks
from explorer.core.duplicates.choices import DEFAULT_DISTANCE, RELATIONS, Relation
from explorer.core.duplicates.search import near_pairs
from explorer.core.jobs import JobState

if TYPE_CHECKING:
    from explorer.core.wordnet import Taxonomy

_ROWS = 4096  # pairs made into rows at a time


@dataclass(frozen=True)
class DuplicatePair:
    a: str  # the path as its catalogue stores it
    b: str
    wnid_a: str | None
    wnid_b: str | None
    distance: int  # bits apart, of 64
    exact: bool  # the same bytes
    relation: Relation
    id_a: int  # image ids in their catalogues
    id_b: int

    def as_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "wnid_a": self.wnid_a,
            "wnid_b": self.wnid_b,
            "distance": self.distance,
            "exact": self.exact,
            "relation": self.relation,
        }


@dataclass
class DuplicateSummary:
    images: int  # hashed images compared (in the first catalogue)
    against_images: int | None  # in the second, with ``against``
    not_hashed: int  # present images without a current hash: not compared (hash them first)
    unhashable: int  # images that could not be hashed (not images, damaged...)
    max_distance: int
    pairs: int = 0
    exact: int = 0
    near: int = 0
    by_relation: dict[str, int] = field(default_factory=dict)
    images_in_pairs: int = 0  # of the first catalogue (with against: of the second too)
    against_with_copy: int | None = None  # images of ``against`` with a copy in the first
    not_duplicates: int = 0  # pairs left out: marked not a duplicate
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DuplicateReport:
    """The pairs found, as arrays (ids, distance, exact, relation codes), and their summary;
    :meth:`rows` makes them into :class:`DuplicatePair` a few thousand at a time, from the
    catalogues (opened in the thread that reads them: a report may cross threads)."""

    across: bool  # pairs between two catalogues (``against``)
    first: np.ndarray  # image ids in catalogue
    second: np.ndarray  # image ids in against (or catalogue)
    distance: np.ndarray
    exact: np.ndarray  # bool
    relation: np.ndarray  # index into RELATIONS
    labels: tuple[np.ndarray, np.ndarray]  # the pairs' label numbers
    label_names: tuple[list[str], list[str]]
    summary: DuplicateSummary

    def __len__(self) -> int:
        return len(self.first)

    def rows(
        self,
        catalogue: Catalogue,
        against: Catalogue | None = None,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[DuplicatePair]:
        """The pairs from ``start`` to ``stop``; ``against``: the second catalogue of a
        report across two."""
        stop = len(self) if stop is None else min(stop, len(self))
        other = against if self.across and against is not None else catalogue
        for begin in range(start, stop, _ROWS):
            end = min(begin + _ROWS, stop)
            paths_a = _paths(catalogue, self.first[begin:end])
            paths_b = _paths(other, self.second[begin:end])
            for i in range(begin, end):
                yield DuplicatePair(
                    paths_a[int(self.first[i])],
                    paths_b[int(self.second[i])],
                    _name(self.label_names[0], self.labels[0][i]),
                    _name(self.label_names[1], self.labels[1][i]),
                    int(self.distance[i]),
                    bool(self.exact[i]),
                    RELATIONS[self.relation[i]],
                    int(self.first[i]),
                    int(self.second[i]),
                )

    def subset(self, indices: np.ndarray) -> DuplicateReport:
        """The report of these pairs alone (``indices`` into this one), summed up again."""
        summary = replace(self.summary)
        part = DuplicateReport(
            self.across,
            self.first[indices],
            self.second[indices],
            self.distance[indices],
            self.exact[indices],
            self.relation[indices],
            (self.labels[0][indices], self.labels[1][indices]),
            self.label_names,
            summary,
        )
        _summarise(part)
        return part

    def pairs_of_label(self, label_wnids: Collection[str]) -> np.ndarray:
        """Indices of the pairs with an image labelled one of ``label_wnids`` (a subtree)."""
        hits = []
        for side in (0, 1):
            names = self.label_names[side]
            wanted = np.array([name in label_wnids for name in names] + [False], bool)
            labels = self.labels[side]
            hits.append(wanted[np.where(labels >= 0, labels, len(names))])
        return np.flatnonzero(hits[0] | hits[1])

    def counts_by_label(self) -> Counter[str]:
        """Images in pairs per label (each image counted once per label), for the tree."""
        # the other catalogue's images are not this tree's: only the first side then
        if not self.across:
            ids = np.concatenate([self.first, self.second])
            labels = np.concatenate(self.labels)
        else:
            ids, labels = self.first, self.labels[0]
        _, where = np.unique(ids, return_index=True)
        names = self.label_names[0]
        counts: Counter[str] = Counter()
        for number, count in zip(*np.unique(labels[where], return_counts=True), strict=True):
            if number >= 0:
                counts[names[number]] += int(count)
        return counts


def _name(names: list[str], number: int) -> str | None:
    return names[number] if 0 <= number < len(names) else None


def _paths(catalogue: Catalogue, ids: np.ndarray) -> dict[int, str]:
    return {row.id: row.path for row in catalogue.rows_by_ids(np.unique(ids).tolist())}


def find_duplicates(
    catalogue: Catalogue,
    taxonomy: Taxonomy,
    *,
    against: Catalogue | None = None,
    max_distance: int = DEFAULT_DISTANCE,
    relations: Iterable[str] | None = None,
    not_duplicates: Iterable[tuple[str, str]] = (),
    state: JobState | None = None,
) -> DuplicateReport:
    """The near-duplicate pairs of ``catalogue``'s hashed images (with ``against``: between
    its images and those of ``against``), at most ``max_distance`` bits apart, judged and
    filtered to ``relations``; ``not_duplicates``: (path in catalogue, path in the other)
    pairs a curator marked not duplicates, left out."""
    state = state or JobState()
    started = time.monotonic()
    wanted = _relations(relations)
    ids_a, codes_a = catalogue.hash_arrays()
    ids_b, codes_b = (ids_a, codes_a) if against is None else against.hash_arrays()
    state.progress(0, None, "Comparing hashes")
    found = near_pairs(
        codes_a, max_distance, against=None if against is None else codes_b, state=state
    )
    first, second = ids_a[found.first], ids_b[found.second]
    labels_a, names_a = _labels(catalogue, first)
    labels_b, names_b = _labels(against or catalogue, second)
    relation = _judge(taxonomy, labels_a, names_a, labels_b, names_b)
    exact = _exact(catalogue, against or catalogue, first, second)
    keep = np.isin(relation, [RELATIONS.index(r) for r in wanted])
    dismissed = dismissed_pairs(first, second, catalogue, against or catalogue, not_duplicates)
    keep &= ~dismissed
    summary = DuplicateSummary(
        images=len(ids_a),
        against_images=None if against is None else len(ids_b),
        not_hashed=catalogue.hash_pending_count(),
        unhashable=catalogue.unhashable_count(),
        max_distance=max_distance,
        not_duplicates=int(dismissed.sum()),
    )
    report = DuplicateReport(
        against is not None,
        first[keep],
        second[keep],
        found.distance[keep],
        exact[keep],
        relation[keep],
        (labels_a[keep], labels_b[keep]),
        (names_a, names_b),
        summary,
    )
    _summarise(report)
    summary.seconds = round(time.monotonic() - started, 3)
    return report


def _relations(relations: Iterable[str] | None) -> tuple[Relation, ...]:
    if relations is None:
        return RELATIONS
    chosen = tuple(relations)
    unknown = [r for r in chosen if r not in RELATIONS]
    if unknown:
        raise ValueError(f"unknown relation {', '.join(unknown)} (one of {', '.join(RELATIONS)})")
    return tuple(r for r in RELATIONS if r in chosen)


def _labels(catalogue: Catalogue, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The label number of each of ``ids`` (-1: none) and the wnid of each number, from the
    catalogue's stored orders (one pass over them: no SQL per image)."""
    ensure_orders(catalogue)
    names = catalogue.order_labels()
    if not len(ids):
        return np.zeros(0, np.int32), names
    wanted = np.unique(ids)
    found = np.full(len(wanted), -1, np.int32)
    for chunk_ids, chunk_labels in order_chunks(catalogue, "path"):
        where = np.searchsorted(wanted, chunk_ids)
        hit = (where < len(wanted)) & (wanted[np.minimum(where, len(wanted) - 1)] == chunk_ids)
        found[where[hit]] = chunk_labels[hit]
    labels = found[np.searchsorted(wanted, ids)]
    labels[(labels < 0) | (labels >= len(names))] = -1
    return labels, names


def _judge(
    taxonomy: Taxonomy,
    labels_a: np.ndarray,
    names_a: list[str],
    labels_b: np.ndarray,
    names_b: list[str],
) -> np.ndarray:
    """Each pair's relation (an index into RELATIONS), judged once per pair of labels."""
    if not len(labels_a):
        return np.zeros(0, np.int8)
    combined = np.stack([labels_a, labels_b], axis=1)
    label_pairs, inverse = np.unique(combined, axis=0, return_inverse=True)
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(wnid: str) -> set[str]:
        if wnid not in ancestors:
            ancestors[wnid] = taxonomy.ancestors(wnid)
        return ancestors[wnid]

    judged = np.empty(len(label_pairs), np.int8)
    for k, (a, b) in enumerate(label_pairs.tolist()):
        wnid_a, wnid_b = _name(names_a, a), _name(names_b, b)
        judged[k] = RELATIONS.index(_relation(taxonomy, wnid_a, wnid_b, ancestors_of))
    return judged[inverse.ravel()]


def _relation(taxonomy: Taxonomy, a: str | None, b: str | None, ancestors_of: Any) -> Relation:
    nouns = taxonomy.graph
    if a is None or b is None or a not in nouns or b not in nouns:
        return "unknown_label"
    if a == b:
        return "same_synset"
    if a in ancestors_of(b) or b in ancestors_of(a):
        return "ancestor"
    return "different"


def _exact(
    catalogue: Catalogue, other: Catalogue, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """Whether each pair's files have the same bytes (both content hashes known and equal)."""
    if not len(first):
        return np.zeros(0, bool)
    content_a = catalogue.content_hashes(np.unique(first).tolist())
    content_b = other.content_hashes(np.unique(second).tolist())
    return np.array(
        [
            (h := content_a.get(a)) is not None and h == content_b.get(b)
            for a, b in zip(first.tolist(), second.tolist(), strict=True)
        ],
        bool,
    )


def dismissed_pairs(
    first: np.ndarray,
    second: np.ndarray,
    catalogue: Catalogue,
    other: Catalogue,
    marked: Iterable[tuple[str, str]],
) -> np.ndarray:
    """Which pairs (image ids ``first`` in ``catalogue``, ``second`` in ``other``, which may
    be the same) a curator marked not duplicates: ``marked`` holds (path, twin), a twin in
    another catalogue named by its absolute location."""
    marked = [(path, _relative(other, twin, catalogue)) for path, twin in marked]
    if not marked or not len(first):
        return np.zeros(len(first), bool)
    ids_a = {row.path: row.id for row in catalogue.images_by_path(p for p, _ in marked)}
    ids_b = {row.path: row.id for row in other.images_by_path(p for _, p in marked)}
    if other is catalogue:  # either image of a pair may hold the mark
        ids_a = ids_b = ids_a | ids_b
    keys = set()
    for path, twin in marked:
        if path in ids_a and twin in ids_b:
            keys.add((ids_a[path], ids_b[twin]))
            if other is catalogue:
                keys.add((ids_b[twin], ids_a[path]))
    pairs = zip(first.tolist(), second.tolist(), strict=True)
    return np.array([pair in keys for pair in pairs], bool)


def _relative(other: Catalogue, twin: str, catalogue: Catalogue) -> str:
    """A twin as ``other`` stores its path: a location under its root made relative."""
    if other is catalogue or not os.path.isabs(twin):
        return twin
    root = os.fspath(other.root)
    return os.path.relpath(twin, root) if twin.startswith(root.rstrip("/") + "/") else twin


def _summarise(report: DuplicateReport) -> None:
    summary = report.summary
    summary.pairs = len(report)
    summary.exact = int(report.exact.sum())
    summary.near = summary.pairs - summary.exact
    counts = np.bincount(report.relation, minlength=len(RELATIONS))
    summary.by_relation = {r: int(c) for r, c in zip(RELATIONS, counts, strict=True)}
    if not report.across:
        summary.images_in_pairs = len(np.union1d(report.first, report.second))
    else:
        summary.images_in_pairs = len(np.unique(report.first))
        summary.against_with_copy = len(np.unique(report.second))

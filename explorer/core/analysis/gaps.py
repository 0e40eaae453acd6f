"""Coverage gaps: which synsets of a subtree, or of a target list, have too few images.

A row is a gap when it is empty or thin: fewer than ``min_images`` images,
counted on the chosen ``basis`` (``subtree``: the synset and everything under
it, each image once; ``direct``: the synset's own images). Leaves with no
image at all are always gaps. Given targets (the ILSVRC-1k or ImageNet-21k
list, say), only the targets are judged, and a target absent from WordNet
3.0 is reported as such rather than dropped.

With the demo catalogue's ``counts`` (Chihuahua 18 images, Pekinese 15):

>>> result = coverage(taxonomy, counts, under="n02085374", min_images=15)  # toy dog
>>> result.summary["judged"], result.summary["empty"], result.summary["ok"]
(12, 9, 3)
>>> format_coverage(result, "csv", settings={}).splitlines()[1]  # 2 siblings have images
'n02085782,japanese_spaniel.n.01,Japanese spaniel,10,True,0,0,0,2,empty,False'

``sort="priority"`` puts the gaps that matter first (see :func:`priority`): the
empty synsets whose siblings have images, a hole where the data set has the
neighbours.
>>> targets = ["n02085620", "n99999999"]      # Chihuahua, and a wnid WordNet 3.0 lacks
>>> result = coverage(taxonomy, counts, targets=targets, min_images=20)
>>> [(row.wnid, row.status) for row in result.rows]
[('n99999999', 'not_in_wordnet'), ('n02085620', 'thin')]

Choices are ``Literal`` types, each with the one tuple of its values that the
command line offers (``BASES``, ``SORT_KEYS``, ``COVERAGE_FORMATS``); another
value is a ValueError, a bug in the caller rather than a problem of the data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypedDict, get_args
from weakref import WeakKeyDictionary

from explorer.core.csv_cells import csv_text
from explorer.core.errors import CatalogueError

if TYPE_CHECKING:  # numpy: not for a command line that only reads the choices below, nor
    # for the window's tree, which reads the statuses before its first paint
    import numpy as np
    from numpy.typing import NDArray

    from explorer.core.analysis.counts import Counts
    from explorer.core.wordnet import TaxonomyView

Basis = Literal["subtree", "direct"]
SortKey = Literal["count", "priority", "wnid", "name", "depth", "subtree", "direct"]
CoverageFormat = Literal["csv", "json"]
CoverageStatus = Literal["empty", "thin", "ok"]  # coverage_status, the one rule
RowStatus = CoverageStatus | Literal["not_in_wordnet"]  # a target WordNet 3.0 lacks
BASES: tuple[Basis, ...] = get_args(Basis)
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)
COVERAGE_FORMATS: tuple[CoverageFormat, ...] = get_args(CoverageFormat)
COLUMNS = (
    "wnid",
    "name",
    "lemmas",
    "depth",
    "leaf",
    "direct",
    "subtree",
    "synsets_with_images",
    "siblings_with_images",
    "status",
    "target",
)


class CoverageRow(NamedTuple):  # a tuple: entity's 82,115 rows are made in a blink
    wnid: str
    name: str
    lemmas: str
    depth: int
    leaf: bool
    direct: int
    subtree: int
    synsets_with_images: int
    siblings_with_images: int  # its siblings (other children of its parents) that have images
    status: RowStatus
    target: bool

    def as_dict(self) -> dict[str, str | int | bool]:
        return self._asdict()


@dataclass(frozen=True, slots=True)
class CoverageResult:
    """The rows to show, and a summary of every synset judged (listed or not)."""

    rows: list[CoverageRow]
    summary: dict[str, int]  # judged, rows, empty, thin, ok, not_in_wordnet, empty_leaves


def coverage_status(count: int, threshold: int) -> CoverageStatus:
    """How well ``count`` images cover a synset: none, fewer than ``threshold``, or enough.

    The one rule every view and command reads (a ``threshold`` of 0 or 1 makes
    nothing thin).

    >>> coverage_status(0, 10), coverage_status(3, 10), coverage_status(10, 10)
    ('empty', 'thin', 'ok')
    """
    if count == 0:
        return "empty"
    return "thin" if count < threshold else "ok"


# The colours of each status, by the role they play in a view: the text of a synset's name
# (the detail panel's links; the tree's rows when empty), the background of its row (the
# tree when thin; the coverage table), a bar of the coverage histogram.
class StatusColours(TypedDict):
    """A status's colours (``#rrggbb``) in each role; None: the view's usual colour."""

    text: str | None
    background: str | None
    bar: str


COVERAGE_COLOURS: dict[CoverageStatus, StatusColours] = {
    "empty": {"text": "#969696", "background": "#f3d6d6", "bar": "#c94c4c"},
    "thin": {"text": "#c06000", "background": "#ffe0b2", "bar": "#e39b3b"},
    "ok": {"text": None, "background": None, "bar": "#4c7fc9"},
}


def read_targets(path: str | os.PathLike[str]) -> list[str]:
    """Wnids from a target list: the first field of each line (TXT, CSV, TSV or LOC style)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"Cannot read the target list {path}: {exc}") from exc
    targets = []
    for line in text.splitlines():
        field = line.replace(",", " ").replace("\t", " ").split(maxsplit=1)
        if field and not field[0].startswith("#") and field[0].lower() not in ("wnid", "synset"):
            targets.append(field[0])
    if not targets:
        raise CatalogueError(f"The target list {path} names no synsets.")
    return list(dict.fromkeys(targets))  # keep the order, drop repeats


def coverage(
    taxonomy: TaxonomyView,
    counts: Counts,
    *,
    under: str | None = None,
    min_images: int = 1,
    basis: Basis = "subtree",
    targets: list[str] | None = None,
    include_ok: bool = False,
    leaves_only: bool = False,
    sort: SortKey = "count",
    descending: bool = False,
) -> CoverageResult:
    """The gaps under ``under`` (default: the whole hierarchy), or among ``targets``.

    ``include_ok`` lists the synsets that are not gaps too, ``leaves_only`` only the
    leaves; the summary counts every synset judged either way. ValueError for a
    ``basis`` or ``sort`` not in ``BASES`` or ``SORT_KEYS``.
    """
    _check_choice("sort", sort, SORT_KEYS)
    table = gap_table(
        taxonomy,
        counts,
        under=under,
        min_images=min_images,
        basis=basis,
        targets=targets,
        include_ok=include_ok,
        leaves_only=leaves_only,
    )
    return CoverageResult(table.sorted(sort, descending).rows(), table.summary)


# what a GapTable sorts by: a SortKey, or a column of the window's table
TableKey = SortKey | Literal["synsets_with_images", "siblings_with_images", "status"]


class GapTable:
    """The synsets a coverage judgement lists, as arrays; a row is made when asked for.

    What the window's table shows: entity's 82,115 synsets are judged, listed and
    sorted in a few milliseconds of numpy, and only the rows in view become
    :class:`CoverageRow` tuples. Targets WordNet 3.0 lacks come first in every order.
    """

    def __init__(
        self,
        taxonomy: TaxonomyView,
        counts: Counts,
        nodes: NDArray[Any],
        codes: NDArray[Any],
        leaf: NDArray[Any],
        siblings: NDArray[Any],
        missing: list[str],
        targets: set[str],
        summary: dict[str, int],
        basis: Basis,
    ) -> None:
        self.taxonomy, self.counts = taxonomy, counts
        self.nodes, self.codes, self.leaf, self.siblings = nodes, codes, leaf, siblings
        self.missing, self.targets, self.summary, self.basis = missing, targets, summary, basis

    def __len__(self) -> int:
        return len(self.missing) + len(self.nodes)

    def row(self, position: int) -> CoverageRow:
        if position < len(self.missing):
            wnid = self.missing[position]
            return CoverageRow(wnid, "", "", -1, False, 0, 0, 0, 0, "not_in_wordnet", True)
        i = position - len(self.missing)
        node = int(self.nodes[i])
        counts = self.counts
        wnid = counts.wnids[node]
        data = self.taxonomy.node(wnid)
        return CoverageRow(
            wnid,
            data["name"],
            ", ".join(data["lemmas"]),
            data["min_depth"],
            bool(self.leaf[i]),
            int(counts.direct[node]),
            int(counts.subtree[node]),
            int(counts.synsets_with_images[node]),
            int(self.siblings[i]),
            _STATUS_OF_CODE[int(self.codes[i])],
            wnid in self.targets,
        )

    def rows(self) -> list[CoverageRow]:
        return [self.row(i) for i in range(len(self))]

    def sorted(self, key: TableKey, descending: bool = False) -> GapTable:
        """The same rows in another order; ``"priority"`` (or ``"status"``) is
        :func:`priority`'s order, ``"count"`` the basis's count; ties by wnid."""
        import numpy as np

        nodes, counts = self.nodes, self.counts
        depth, name_rank = self.taxonomy.depth_and_name_rank()
        if key in ("priority", "status"):
            wanted = self.siblings > 0
            if self.targets:
                wanted |= np.isin(
                    nodes, [counts.index[t] for t in self.targets if t in counts.index]
                )
            rank = np.where(self.codes == 2, 5, self.codes + 1 + 2 * ~wanted)
            order = np.lexsort((nodes, depth[nodes], -self.siblings, rank))
        elif key == "name":
            order = np.argsort(name_rank[nodes], kind="stable")
        elif key == "wnid":
            order = np.argsort(nodes, kind="stable")
        else:
            values = {
                "count": (counts.subtree if self.basis == "subtree" else counts.direct)[nodes],
                "subtree": counts.subtree[nodes],
                "direct": counts.direct[nodes],
                "depth": depth[nodes],
                "synsets_with_images": counts.synsets_with_images[nodes],
                "siblings_with_images": self.siblings,
            }[key]
            order = np.lexsort((nodes, values))
        if descending:
            order = order[::-1]
        return GapTable(
            self.taxonomy,
            counts,
            nodes[order],
            self.codes[order],
            self.leaf[order],
            self.siblings[order],
            self.missing,
            self.targets,
            self.summary,
            self.basis,
        )


def gap_table(
    taxonomy: TaxonomyView,
    counts: Counts,
    *,
    under: str | None = None,
    min_images: int = 1,
    basis: Basis = "subtree",
    targets: list[str] | None = None,
    include_ok: bool = False,
    leaves_only: bool = False,
) -> GapTable:
    """The synsets :func:`coverage` lists, unsorted (node order), as a :class:`GapTable`."""
    import numpy as np

    _check_choice("basis", basis, BASES)
    index = counts.index
    missing: list[str] = []  # targets WordNet 3.0 lacks
    if targets is not None:
        scope = set(counts.subtree_nodes(under).tolist()) if under is not None else None
        missing = [t for t in targets if t not in index]
        known = [index[t] for t in targets if t in index]
        nodes = np.array([i for i in known if scope is None or i in scope], dtype=np.int64)
    elif under is not None:
        nodes = counts.subtree_nodes(under).astype(np.int64)
    else:
        nodes = np.arange(len(counts.wnids))
    values = (counts.subtree if basis == "subtree" else counts.direct)[nodes]
    codes = np.where(values == 0, 0, np.where(values < min_images, 1, 2))
    parents, _children = taxonomy.edge_arrays()
    leaf = np.bincount(parents, minlength=len(counts.wnids))[nodes] == 0
    summary = {
        "judged": len(nodes) + len(missing),
        "rows": 0,
        "empty": int((codes == 0).sum()),
        "thin": int((codes == 1).sum()),
        "ok": int((codes == 2).sum()),
        "not_in_wordnet": len(missing),
        "empty_leaves": int(((codes == 0) & leaf).sum()),
    }
    listed = np.ones(len(nodes), bool) if include_ok else codes < 2
    if leaves_only:
        listed &= leaf
    nodes = nodes[listed]
    siblings = _siblings_with_images(taxonomy, counts, nodes)
    summary["rows"] = len(nodes) + len(missing)
    return GapTable(
        taxonomy,
        counts,
        nodes,
        codes[listed],
        leaf[listed],
        siblings,
        missing,
        set(targets or ()),
        summary,
        basis,
    )


_STATUS_OF_CODE: tuple[CoverageStatus, ...] = ("empty", "thin", "ok")


def _siblings_with_images(
    taxonomy: TaxonomyView, counts: Counts, nodes: NDArray[Any]
) -> NDArray[np.int64]:
    """For each node, how many of its siblings (the other children of any of its parents,
    each once) have images in their subtree."""
    import numpy as np

    parents, children = taxonomy.edge_arrays()
    has = counts.subtree > 0
    covered_children = np.bincount(parents, weights=has[children], minlength=len(has))
    # one parent: its covered children, less the node itself
    result = (covered_children[parents] - has[children]).astype(np.int64)
    per_node = np.zeros(len(has), np.int64)
    per_node[children] = result  # a node with several parents is put right below
    parent_count = np.bincount(children, minlength=len(has))
    answer: NDArray[np.int64] = per_node[nodes]
    several = np.flatnonzero(parent_count[nodes] > 1)
    if len(several):  # each sibling once, however many parents it shares with the node
        answer[several] = _distinct_siblings_with_images(taxonomy, parents, children, has)[
            nodes[several]
        ]
    return answer


def _distinct_siblings_with_images(
    taxonomy: TaxonomyView, parents: NDArray[Any], children: NDArray[Any], has: NDArray[Any]
) -> NDArray[np.int64]:
    """Per node with several parents, its distinct siblings with images (others: 0)."""
    import numpy as np

    prepare_coverage(taxonomy)
    owner, sibling = _SIBLING_PAIRS[taxonomy]
    return np.bincount(owner[has[sibling]], minlength=len(has)).astype(np.int64)


def prepare_coverage(taxonomy: TaxonomyView) -> None:
    """Make what :func:`gap_table` reads of a taxonomy, once (about 0.1 s): the window
    calls it on the worker that loaded the taxonomy, not on its first coverage table."""
    parents, children = taxonomy.edge_arrays()
    taxonomy.depth_and_name_rank()
    if taxonomy not in _SIBLING_PAIRS:
        _SIBLING_PAIRS[taxonomy] = _distinct_sibling_pairs(parents, children, len(taxonomy))


def _distinct_sibling_pairs(
    parents: NDArray[Any], children: NDArray[Any], size: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(node, sibling): each distinct sibling of each node with several parents, through
    any of them; one ragged numpy gather (260,232 pairs before the duplicates go)."""
    import numpy as np

    several = np.bincount(children, minlength=size)[children] > 1
    node, via = children[several], parents[several]
    by_parent = np.argsort(parents, kind="stable")
    siblings_of = children[by_parent]
    first = np.searchsorted(parents[by_parent], np.arange(size))
    sizes = np.bincount(parents, minlength=size)[via]
    offsets = np.repeat(first[via] - (np.cumsum(sizes) - sizes), sizes)
    sibling = siblings_of[offsets + np.arange(int(sizes.sum()))]
    owner = np.repeat(node, sizes).astype(np.int64)
    unique = np.unique(owner * size + sibling)
    owner, sibling = unique // size, unique % size
    keep = sibling != owner
    return owner[keep], sibling[keep]


# per taxonomy (a property of WordNet, not of a catalogue's counts): made once
_SIBLING_PAIRS: WeakKeyDictionary[TaxonomyView, tuple[NDArray[np.int64], NDArray[np.int64]]] = (
    WeakKeyDictionary()
)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")


def priority(row: CoverageRow) -> tuple[int, int, int, str]:
    """The sort key of the gaps that matter first: targets WordNet lacks; then empty, then
    thin synsets among siblings that have images (a hole where the data set has the
    neighbours: a missing dog breed) or that are targets; then the other gaps, then the
    covered; within each, more covered siblings first, then the broader synset."""
    wanted = row.target or row.siblings_with_images > 0
    rank = _RANKS[row.status] + (0 if wanted or row.status == "ok" else 2)
    return (rank, -row.siblings_with_images, row.depth, row.wnid)


_RANKS = {"not_in_wordnet": 0, "empty": 1, "thin": 2, "ok": 5}


def format_coverage(
    result: CoverageResult, fmt: CoverageFormat, settings: Mapping[str, object]
) -> str:
    """CSV (one row per synset) or JSON ({"settings", "summary", "rows"})."""
    _check_choice("format", fmt, COVERAGE_FORMATS)
    rows = result.rows
    if fmt == "json":
        payload = {
            "settings": settings,
            "summary": result.summary,
            "rows": [row.as_dict() for row in rows],
        }
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    return csv_text([row.as_dict() for row in rows], COLUMNS)

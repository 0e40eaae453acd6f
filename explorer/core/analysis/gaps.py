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
>>> format_coverage(result, "csv", settings={}).splitlines()[:2]
['wnid,name,lemmas,depth,leaf,direct,subtree,synsets_with_images,status,target',
 'n02085782,japanese_spaniel.n.01,Japanese spaniel,10,True,0,0,0,empty,False']
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict, get_args

from explorer.core.csv_cells import csv_text
from explorer.core.errors import CatalogueError

if TYPE_CHECKING:  # numpy: not for a command line that only reads the choices below, nor
    # for the window's tree, which reads the statuses before its first paint
    from explorer.core.analysis.counts import Counts
    from explorer.core.wordnet import Taxonomy

Basis = Literal["subtree", "direct"]
SortKey = Literal["count", "wnid", "name", "depth", "subtree", "direct"]
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
    "status",
    "target",
)


@dataclass(frozen=True, slots=True)
class CoverageRow:
    wnid: str
    name: str
    lemmas: str
    depth: int
    leaf: bool
    direct: int
    subtree: int
    synsets_with_images: int
    status: RowStatus
    target: bool

    def as_dict(self) -> dict[str, str | int | bool]:
        return asdict(self)


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
    taxonomy: Taxonomy,
    counts: Counts,
    *,
    under: str | None = None,
    min_images: int = 1,
    basis: Basis = "subtree",
    targets: list[str] | None = None,
    include_ok: bool = False,
    sort: SortKey = "count",
    descending: bool = False,
) -> CoverageResult:
    """The gaps under ``under`` (default: the whole hierarchy), or among ``targets``.

    ``include_ok`` lists the synsets that are not gaps too; the summary counts
    every synset judged either way. ValueError for a ``basis`` or ``sort`` not in
    ``BASES`` or ``SORT_KEYS``.
    """
    _check_choice("basis", basis, BASES)
    _check_choice("sort", sort, SORT_KEYS)
    graph = taxonomy.graph
    scope: set[str] | None = None
    if under is not None:
        scope = taxonomy.descendants(under) | {under}
    if targets is not None:
        wnids = [t for t in targets if scope is None or t in scope or t not in graph]
    else:
        wnids = sorted(scope) if scope is not None else taxonomy.wnids
    target_set = set(targets or ())
    rows: list[CoverageRow] = []
    summary = dict.fromkeys(("judged", "rows", "empty", "thin", "ok", "not_in_wordnet"), 0)
    summary["empty_leaves"] = 0
    for wnid in wnids:
        summary["judged"] += 1
        if wnid not in graph:
            summary["not_in_wordnet"] += 1
            rows.append(CoverageRow(wnid, "", "", -1, False, 0, 0, 0, "not_in_wordnet", True))
            continue
        data = taxonomy.node(wnid)
        count = counts.of(wnid)
        leaf = graph.out_degree(wnid) == 0
        status = coverage_status(count[basis], min_images)
        summary[status] += 1
        summary["empty_leaves"] += leaf and status == "empty"
        if status == "ok" and not include_ok:
            continue
        rows.append(
            CoverageRow(
                wnid,
                data["name"],
                ", ".join(data["lemmas"]),
                data["min_depth"],
                leaf,
                count["direct"],
                count["subtree"],
                count["synsets_with_images"],
                status,
                wnid in target_set,
            )
        )
    summary["rows"] = len(rows)
    return CoverageResult(sort_rows(rows, sort, basis, descending), summary)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(choices)}")


def sort_rows(
    rows: list[CoverageRow], sort: SortKey, basis: Basis = "subtree", descending: bool = False
) -> list[CoverageRow]:
    key = basis if sort == "count" else sort
    return sorted(rows, key=lambda r: (getattr(r, key), r.wnid), reverse=descending)


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

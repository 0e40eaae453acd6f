"""The coverage tab's pictures, laid out without Qt: an icicle of a subtree and a histogram.

**Icicle.** The root spans the full width on level 0; below it, each synset's
children share its width, left to right by images, down to ``levels`` levels.
With ``size_by="images"`` a child is as wide as its share of its parent's images
(the parent's own images are a stretch after its children); the
empty children, which have no share, are drawn together at the end as one grey
block of ``empty_share`` of the width at most, so a gap stays visible however
large the covered siblings are. With ``size_by="synsets"`` a child is as wide as
the number of synsets in its subtree: the shape of WordNet, coloured by coverage.
The parent's own images are a stretch of their own ("own"), left of the empty
block. A child too narrow to see (under ``min_width`` of the picture) is merged into one
"more" block with its narrow siblings, and not opened further: however large the
subtree, the picture holds a few thousand cells.

WordNet is a DAG: a synset with two parents is drawn under both, and its
images count in both parents' shares (its siblings are measured against the
sum of their parent's children, so every row still fits its parent).

With the demo catalogue's ``counts``: dog has 80 images, 6 its own; toy dog holds 37.

>>> cells = icicle(taxonomy, counts, "n02084071", threshold=10, levels=2)
>>> root, first = cells[0], cells[1]
>>> root.images, root.status, (root.start, root.width)
(80, 'ok', (0.0, 1.0))
>>> taxonomy.node(first.wnid)["name"], first.images, round(first.width, 3)
('toy_dog.n.01', 37, 0.37)
>>> empty = cells[-1]; empty.wnid, len(empty.members), empty.status, empty.parent
(None, 15, 'empty', 0)

**Histogram.** A subtree's synsets binned by image count on a 1-2-5 scale, the
threshold added as an edge so that every bar is one status:

>>> [(b.low, b.high, b.synsets, b.status) for b in count_histogram([0, 0, 3, 12, 80], 10)]
[(0, 0, 2, 'empty'), (1, 1, 0, 'thin'), (2, 4, 1, 'thin'), (5, 9, 0, 'thin'), \
(10, 19, 1, 'ok'), (20, 49, 0, 'ok'), (50, 80, 1, 'ok')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from explorer.core.analysis.gaps import CoverageStatus, coverage_status

if TYPE_CHECKING:
    from explorer.core.analysis.counts import Counts
    from explorer.core.wordnet import Taxonomy

SizeBy = Literal["images", "synsets"]
SIZE_BY: tuple[SizeBy, ...] = get_args(SizeBy)
# "several": a block of synsets too narrow to draw; "own": the parent's own images
CellStatus = CoverageStatus | Literal["several", "own"]


@dataclass(frozen=True, slots=True)
class IcicleCell:
    wnid: str | None  # None: a block of several synsets (``members``), or own images
    level: int  # 0: the root
    start: float  # the left edge, as a share of the picture's width
    width: float  # as a share of the picture's width
    images: int  # in the subtree (a block: the sum of its synsets')
    own: int  # the synset's own images (a block: 0)
    share: float  # of the parent's images (the root: 1)
    status: CellStatus
    parent: int  # the position of the parent's cell in the list (the root: -1)
    members: tuple[str, ...] = ()  # a block's synsets


def icicle(
    taxonomy: Taxonomy,
    counts: Counts,
    root: str,
    *,
    threshold: int,
    levels: int = 6,
    size_by: SizeBy = "images",
    min_width: float = 0.002,
    empty_share: float = 0.2,
) -> list[IcicleCell]:
    """The cells of ``root``'s icicle, level by level, each level left to right."""
    if size_by not in SIZE_BY:
        raise ValueError(f"size_by: {size_by!r} is not one of {', '.join(SIZE_BY)}")
    index, subtree, direct = counts.index, counts.subtree, counts.direct
    images = int(subtree[index[root]])
    cells = [
        IcicleCell(
            root,
            0,
            0.0,
            1.0,
            images,
            int(direct[index[root]]),
            1.0,
            coverage_status(images, threshold),
            -1,
        )
    ]
    sizes = _subtree_sizes(counts) if size_by == "synsets" else None
    succ = taxonomy.graph.succ
    frontier = [0]  # positions in cells
    for level in range(1, levels):
        first = len(cells)
        for position in frontier:
            parent = cells[position]
            children = list(succ[parent.wnid or ""])
            if children:
                cells.extend(
                    _lay_out_children(
                        parent,
                        position,
                        children,
                        level,
                        counts,
                        threshold,
                        sizes,
                        min_width,
                        empty_share,
                    )
                )
        frontier = [i for i in range(first, len(cells)) if cells[i].wnid is not None]
        if not frontier:
            break
    return cells


def _lay_out_children(
    parent: IcicleCell,
    position: int,
    children: list[str],
    level: int,
    counts: Counts,
    threshold: int,
    sizes: Sequence[int] | None,
    min_width: float,
    empty_share: float,
) -> list[IcicleCell]:
    index, subtree, direct = counts.index, counts.subtree, counts.direct
    # the widest first, so that the narrow ones, merged into one block, come last
    children.sort(key=lambda c: (-(sizes or subtree)[index[c]], -subtree[index[c]], c))
    held = [int(subtree[index[c]]) for c in children]
    if sizes is not None:  # the shape of WordNet: every child by its synsets, the parent 1
        weights, empty = [sizes[index[c]] for c in children], []
        own_weight = 1
    else:
        weights = [n for n in held if n]
        empty = [c for c, n in zip(children, held, strict=True) if not n]
        children = [c for c, n in zip(children, held, strict=True) if n]
        own_weight = int(direct[index[parent.wnid or ""]])
        if not children:  # nothing below has images: show the structure, all of it empty
            children, weights, empty, own_weight = empty, [1] * len(empty), [], 0
    total = sum(weights) + own_weight
    empty_width = parent.width * min(empty_share, 0.04 * len(empty)) if empty else 0.0
    width_per_weight = (parent.width - empty_width) / total if total else 0.0
    cells: list[IcicleCell] = []
    narrow: list[str] = []
    narrow_images, narrow_width = 0, 0.0
    x = parent.start
    for child, weight in zip(children, weights, strict=True):
        width = weight * width_per_weight
        images = int(subtree[index[child]])
        if width < min_width:
            narrow.append(child)
            narrow_images += images
            narrow_width += width
        else:
            share = images / parent.images if parent.images else 0.0
            status = coverage_status(images, threshold)
            own = int(direct[index[child]])
            cells.append(IcicleCell(child, level, x, width, images, own, share, status, position))
        x += width
    if narrow:  # together where they would have been: the end of the drawn siblings
        start = x - narrow_width
        share = narrow_images / parent.images if parent.images else 0.0
        cells.append(
            IcicleCell(
                None,
                level,
                start,
                narrow_width,
                narrow_images,
                0,
                share,
                "several",
                position,
                tuple(narrow),
            )
        )
    own_width = own_weight * width_per_weight if sizes is None else 0.0
    if own_width >= min_width:
        own_share = own_weight / parent.images if parent.images else 0.0
        cells.append(
            IcicleCell(
                None, level, x, own_width, own_weight, own_weight, own_share, "own", position
            )
        )
    x = parent.start + parent.width - empty_width
    if len(empty) == 1:
        cells.append(IcicleCell(empty[0], level, x, empty_width, 0, 0, 0.0, "empty", position))
    elif empty:
        block = IcicleCell(None, level, x, empty_width, 0, 0, 0.0, "empty", position, tuple(empty))
        cells.append(block)
    return cells


def _subtree_sizes(counts: Counts) -> Sequence[int]:
    """Every node's number of synsets in its subtree, itself included (each once)."""
    import numpy as np

    sizes: Sequence[int] = np.bincount(counts.ancestors, minlength=len(counts.wnids)).tolist()
    return sizes


@dataclass(frozen=True, slots=True)
class HistogramBin:
    low: int  # images, inclusive
    high: int  # images, inclusive
    synsets: int
    status: CoverageStatus


def count_histogram(values: Iterable[int], threshold: int) -> list[HistogramBin]:
    """``values`` (one image count per synset) binned 0, 1, 2–4, 5–9, 10–19, …, the
    threshold an edge too; the last bin ends at the largest value."""
    import numpy as np

    counts = np.fromiter(values, np.int64)
    top = int(counts.max()) if counts.size else 0
    edges = {0, 1}
    step = 1
    while step <= top:
        edges.update(e for e in (step, 2 * step, 5 * step) if e <= top)
        step *= 10
    if 1 < threshold <= top:
        edges.add(threshold)
    lows = sorted(edges)
    per_bin = np.bincount(
        np.searchsorted(np.array(lows), counts, side="right") - 1, minlength=len(lows)
    )
    highs = [*(low - 1 for low in lows[1:]), max(top, lows[-1])]
    return [
        HistogramBin(low, high, int(n), coverage_status(low, threshold))
        for low, high, n in zip(lows, highs, per_bin.tolist(), strict=True)
    ]

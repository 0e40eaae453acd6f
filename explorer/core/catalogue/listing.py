"""A subtree's images, filtered and sorted, read by position: what a grid over 14 million shows.

:func:`list_images` keeps, from a stored order (:mod:`.orders`), the images
whose label is one of the subtree's wnids and that pass the filter; the
result is an array of ids (4 bytes an image, at most 57 MB for ImageNet-21k's
root) from which a grid reads any window at once, and the rows of a window
come from :meth:`Catalogue.rows_by_ids`. Filters run as bitmaps over image
ids, made in SQL: the audit's sets from the catalogue, the curation's from the
paths the flag store names.

>>> from explorer.core.catalogue.listing import list_images
>>> fish = list_images(catalogue, ["n01440764"], sort="name")
>>> len(fish), [row.path for row in catalogue.rows_by_ids(fish.window(9, 11))]
(18, ['n01440764/n01440764_9.JPEG', 'n01440764/n01440764_10.JPEG'])
>>> len(list_images(catalogue, taxonomy.wnids, keep="problems"))
7
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.core.catalogue.image_list import (
    CURATION_FILTERS,
    FILTERS,
    CurationFilter,
    Filter,
    Sort,
)
from explorer.core.catalogue.orders import (
    NO_LABEL,
    Order,
    ensure_orders,
    order_chunks,
    order_id_chunks,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from explorer.core.catalogue.store import Catalogue
    from explorer.core.jobs import JobState

    Ids = npt.NDArray[np.int32]
    Bitmap = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Listing:
    """Image ids in the order a grid shows them."""

    ids: Ids
    sort: Sort

    def __len__(self) -> int:
        return len(self.ids)

    def window(self, start: int, stop: int) -> Ids:
        """The ids at positions ``start`` up to ``stop`` (clipped to the listing)."""
        return self.ids[max(start, 0) : max(stop, 0)]

    def position_of(self, image_id: int) -> int | None:
        """Where the image is in the listing (None: not in it). One pass: milliseconds."""
        import numpy as np

        found = np.flatnonzero(self.ids == image_id)
        return int(found[0]) if len(found) else None


def list_images(
    catalogue: Catalogue,
    wnids: Collection[str],
    sort: Sort = "name",
    keep: Filter | CurationFilter | str = "all",
    curated: Iterable[str] = (),
    state: JobState | None = None,
) -> Listing:
    """The present images labelled with one of ``wnids``, kept by ``keep``, in ``sort`` order.

    ``keep``: one of FILTERS, an audit code (the images with that problem), or
    one of CURATION_FILTERS or ``flag:<reason>``, for which ``curated`` names
    the images' paths (the flagged, the reviewed or the curated ones, as the
    caller reads them from the flag store; ``not_reviewed`` keeps the others).
    A ValueError for another sort or filter. ``state.cancel()`` stops it, within a
    millisecond even inside a query (:meth:`Catalogue.cancelled_by`): Cancelled.
    """
    from explorer.core.catalogue.image_list import SORTS

    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}; choose one of {', '.join(SORTS)}.")
    with catalogue.cancelled_by(state):  # a cancel stops the SQL under way, too
        return _listed(catalogue, wnids, sort, keep, curated, state)


def _listed(
    catalogue: Catalogue,
    wnids: Collection[str],
    sort: Sort,
    keep: str,
    curated: Iterable[str],
    state: JobState | None,
) -> Listing:
    import numpy as np

    ensure_orders(catalogue, state)
    keeper = _keeper(catalogue, keep, curated)
    labels = catalogue.order_labels()
    member = np.zeros(len(labels) + 1, np.bool_)  # the last slot: NO_LABEL (-1) reads it
    number = {wnid: i for i, wnid in enumerate(labels)}
    member[[number[wnid] for wnid in wnids if wnid in number]] = True
    assert NO_LABEL == -1
    if sort == "problems":
        return Listing(_by_audit(catalogue, member, keeper, state), sort)
    kept = []
    if member[:-1].all() and None not in catalogue.label_counts():  # every image's label
        for ids in order_id_chunks(catalogue, _order(sort)):
            if state is not None:
                state.check()
            kept.append(ids if keeper is None else ids[keeper[ids]])
        return Listing(_joined(kept), sort)
    for ids, chunk_labels in order_chunks(catalogue, _order(sort)):
        if state is not None:
            state.check()
        mask = member[chunk_labels]
        if keeper is not None:
            mask &= keeper[ids]
        kept.append(ids[mask])
    return Listing(_joined(kept), sort)


def _order(sort: Sort) -> Order:
    return "path" if sort == "problems" else sort


def _by_audit(
    catalogue: Catalogue, member: Bitmap, keeper: Bitmap | None, state: JobState | None
) -> Ids:
    """Images with problems first, then the clean ones, then those not audited; each group
    in path order (the "problems" sort)."""
    problems, audited = (
        id_bitmap(catalogue, catalogue.problem_ids()),
        id_bitmap(catalogue, catalogue.audited_ids()),
    )
    groups: tuple[list[Ids], list[Ids], list[Ids]] = ([], [], [])
    for ids, chunk_labels in order_chunks(catalogue, "path"):
        if state is not None:
            state.check()
        mask = member[chunk_labels]
        if keeper is not None:
            mask &= keeper[ids]
        ids = ids[mask]
        with_problems, checked = problems[ids], audited[ids]
        groups[0].append(ids[with_problems])
        groups[1].append(ids[checked & ~with_problems])
        groups[2].append(ids[~checked])
    return _joined([part for group in groups for part in group])


def _keeper(catalogue: Catalogue, keep: str, curated: Iterable[str]) -> Bitmap | None:
    """A bitmap over image ids of the images ``keep`` lets through (None: all)."""
    from explorer.core.curation import is_reason
    from explorer.core.images import AUDIT_CODES

    if keep == "all":
        return None
    if keep == "problems":
        return id_bitmap(catalogue, catalogue.problem_ids())
    if keep in ("clean", "not_audited"):
        audited = id_bitmap(catalogue, catalogue.audited_ids())
        if keep == "not_audited":
            return ~audited
        return audited & ~id_bitmap(catalogue, catalogue.problem_ids())
    if keep in AUDIT_CODES:
        return id_bitmap(catalogue, catalogue.problem_ids(keep))
    if keep in CURATION_FILTERS or (keep.startswith("flag:") and is_reason(keep[5:])):
        named = id_bitmap(catalogue, catalogue.ids_of_paths(curated))
        return ~named if keep == "not_reviewed" else named
    raise ValueError(
        f"Unknown image filter {keep!r}; choose one of "
        f"{', '.join(FILTERS + CURATION_FILTERS)}, a problem code or flag:<reason>."
    )


def id_bitmap(catalogue: Catalogue, ids: Iterable[int]) -> Bitmap:
    """True at each of ``ids``: one byte per image id of the catalogue (14 MB for
    ImageNet-21k), the form every filter over a stored order takes."""
    import numpy as np

    bitmap = np.zeros(catalogue.largest_id() + 1, np.bool_)
    bitmap[np.fromiter(ids, np.int64)] = True
    return bitmap


def _joined(parts: list[Ids]) -> Ids:
    import numpy as np

    return np.concatenate(parts) if parts else np.empty(0, np.int32)

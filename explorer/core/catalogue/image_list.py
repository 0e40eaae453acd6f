"""The images a grid shows: a node's catalogue rows, filtered and sorted.

Plain functions over :class:`~explorer.core.catalogue.ImageRow` lists, so the
GUI runs them in a worker (a subtree can hold a quarter of a million images)
and the CLI and exports can use the same rules.

>>> rows = arrange(catalogue.images(["n01440764", "n01443537"]), sort="size", keep="problems")
>>> [(row.path, row.problems) for row in rows]
[('n01440764/n01440764_17.JPEG', ('zero_byte',)), ('n01443537/n01443537_15.JPEG', ('truncated',))]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, get_args

from explorer.core.catalogue.rows import ImageRow
from explorer.core.curation import REASONS
from explorer.core.images import AUDIT_CODES

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

    from explorer.core.curation import ImageState

Sort = Literal["name", "path", "size", "problems"]
SORTS: dict[Sort, Callable[[ImageRow], SupportsRichComparison]] = {
    "name": lambda r: r.path.rsplit("/", 1)[-1].lower(),  # the file name, then
    "path": lambda r: r.path,
    "size": lambda r: (r.size is None, r.size or 0),
    "problems": lambda r: (not r.problems, not r.audited, r.problems, r.path),
}

# Which rows to keep: these, a problem code (rows that have it), or "flag:<reason>".
Filter = Literal["all", "problems", "clean", "not_audited"]
CurationFilter = Literal["flagged", "reviewed_ok", "not_reviewed"]  # these need ``states``
FILTERS: tuple[Filter, ...] = get_args(Filter)
CURATION_FILTERS: tuple[CurationFilter, ...] = get_args(CurationFilter)


def _keeper(
    which: str, states: Mapping[str, ImageState] | None
) -> Callable[[ImageRow], bool] | None:
    if which == "all":
        return None
    if which == "problems":
        return lambda r: bool(r.problems)
    if which == "clean":
        return lambda r: r.audited and not r.problems
    if which == "not_audited":
        return lambda r: not r.audited
    if which in AUDIT_CODES:
        return lambda r: which in r.problems
    if which in CURATION_FILTERS or which.startswith("flag:"):
        known = states or {}
        if which == "flagged":
            return lambda r: r.path in known and bool(known[r.path].flags)
        if which == "reviewed_ok":
            return lambda r: r.path in known and known[r.path].review is not None
        if which == "not_reviewed":
            return lambda r: r.path not in known
        reason = which.removeprefix("flag:")
        if reason in REASONS:
            return lambda r: r.path in known and reason in known[r.path].reasons
    raise ValueError(
        f"Unknown image filter {which!r}; choose one of "
        f"{', '.join(FILTERS + CURATION_FILTERS)}, a problem code or flag:<reason>."
    )


def arrange(
    rows: Iterable[ImageRow],
    sort: Sort = "name",
    keep: Filter | CurationFilter | str = "all",
    states: Mapping[str, ImageState] | None = None,
) -> list[ImageRow]:
    """The rows that ``keep`` lets through, sorted by ``sort`` (ties in catalogue order).

    ``keep``: one of :data:`FILTERS` or :data:`CURATION_FILTERS`, an audit code (the rows
    with that problem) or ``flag:<reason>`` (the rows flagged for it).

    ``states`` maps image paths to their curation (``FlagStore.states()``), for the
    curation filters. A ValueError for a sort or filter not listed here (the caller's
    mistake: the CLI and the window offer only these).
    """
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}; choose one of {', '.join(SORTS)}.")
    keeper = _keeper(keep, states)
    kept = list(rows) if keeper is None else [r for r in rows if keeper(r)]
    if sort == "name":  # the common case, a third faster without the lambda per row
        keys = [r.path[r.path.rfind("/") + 1 :].lower() for r in kept]
        order = sorted(range(len(kept)), key=keys.__getitem__)
        return [kept[i] for i in order]
    kept.sort(key=SORTS[sort])
    return kept

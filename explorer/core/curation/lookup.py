"""Between what a curator names and the store: the images a list of paths means, every mark
with its image's label.

>>> from explorer.core.curation import flag_images
>>> refs = image_refs(catalogue, ["n01440764/n01440764_0.JPEG"])
>>> store.apply(flag_images(store, refs, "low_quality").after)
>>> [(r["path"], r["reason"], r["label"], r["missing"]) for r in mark_rows(store, catalogue)]
[('n01440764/n01440764_0.JPEG', 'low_quality', 'n01440764', False)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from explorer.core.curation.commands import ExportRow, ImageRef, export_row_pages
from explorer.core.curation.store import FlagStore
from explorer.core.errors import CatalogueError

if TYPE_CHECKING:
    from explorer.core.catalogue import Catalogue

NAMED_UNKNOWN = 5  # unknown paths an error names; the rest are counted


def image_refs(
    catalogue: Catalogue, paths: Iterable[str], store: FlagStore | None = None
) -> list[ImageRef]:
    """The images at ``paths`` (relative to the catalogue root, or absolute under it), once
    each, in the order given.

    A path the catalogue does not list is a CatalogueError that names it; with
    ``store``, one the catalogue lost is accepted when the store has curation for it
    (so that the flags of a vanished image can still be removed).

    >>> [(ref.path, ref.wnid) for ref in image_refs(catalogue, ["n01440764/n01440764_1.JPEG"])]
    [('n01440764/n01440764_1.JPEG', 'n01440764')]
    >>> image_refs(catalogue, ["n01440764/nowhere.JPEG"])
    Traceback (most recent call last):
    explorer.core.errors.CatalogueError: Not in the catalogue ...: n01440764/nowhere.JPEG (...).
    """
    keys = list(dict.fromkeys(catalogue.path_key(p) for p in paths))
    rows = {row.path: row for row in catalogue.images_by_path(keys)}
    curated = store.states(k for k in keys if k not in rows) if store is not None else {}
    unknown = [k for k in keys if k not in rows and k not in curated]
    if unknown:
        shown = unknown[:NAMED_UNKNOWN]
        more = f" and {len(unknown) - len(shown)} more" if len(unknown) > len(shown) else ""
        raise CatalogueError(
            f"Not in the catalogue {catalogue.path}: {', '.join(shown)}{more} "
            f"(paths are relative to {catalogue.root}; `wnexplorer index` rescans it)."
        )
    return [ImageRef.from_row(catalogue, rows[k]) if k in rows else ImageRef(k) for k in keys]


class MarkRow(ExportRow):
    """An exported flag or OK mark, with its image's label and whether it is missing."""

    label: str | None
    missing: bool


def mark_rows(
    store: FlagStore, catalogue: Catalogue, under: set[str] | None = None
) -> list[MarkRow]:
    """Every flag and OK mark as exported (:func:`export_rows`), with ``label``: the image's
    label in the catalogue (else the one recorded with the mark), and ``missing``: whether
    the catalogue no longer has the image. ``under``: only images labelled with one of these
    wnids."""
    return [row for rows in mark_row_pages(store, catalogue, under) for row in rows]


def mark_row_pages(
    store: FlagStore, catalogue: Catalogue, under: set[str] | None = None
) -> Iterator[list[MarkRow]]:
    """:func:`mark_rows` a page at a time (the marks of a thousand images), as read."""
    for rows in export_row_pages(store):
        listed = {r.path: r for r in catalogue.images_by_path({row["path"] for row in rows})}
        result: list[MarkRow] = []
        for row in rows:
            image = listed.get(row["path"])
            label = image.wnid if image is not None else row["wnid"]
            if under is not None and label not in under:
                continue
            result.append({**row, "label": label, "missing": image is None or not image.present})
        yield result

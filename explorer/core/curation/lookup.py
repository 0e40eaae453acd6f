"""Between what a curator names and the store: the images a list of paths means, every mark
with its image's label.

>>> refs = image_refs(catalogue, ["n02099601/a.JPEG"])                 # doctest: +SKIP
>>> command = apply_fresh(store, lambda: flag_images(store, refs, "low_quality"))  # doctest: +SKIP
>>> command.unchanged                                                   # doctest: +SKIP
False
"""

from __future__ import annotations

from collections.abc import Iterable

from explorer.core.curation.commands import ImageRef, export_rows
from explorer.core.curation.store import FlagStore
from explorer.core.errors import CatalogueError

NAMED_UNKNOWN = 5  # unknown paths an error names; the rest are counted


def image_refs(catalogue, paths: Iterable[str], store: FlagStore | None = None) -> list[ImageRef]:
    """The images at ``paths`` (relative to the catalogue root, or absolute under it), once
    each, in the order given.

    A path the catalogue does not list is a CatalogueError that names it; with
    ``store``, one the catalogue lost is accepted when the store has curation for it
    (so that the flags of a vanished image can still be removed).
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


def mark_rows(store: FlagStore, catalogue, under: set[str] | None = None) -> list[dict]:
    """Every flag and OK mark as exported (:func:`export_rows`), with ``label``: the image's
    label in the catalogue (else the one recorded with the mark), and ``missing``: whether
    the catalogue no longer has the image. ``under``: only images labelled with one of these
    wnids."""
    rows = export_rows(store)
    listed = {r.path: r for r in catalogue.images_by_path({row["path"] for row in rows})}
    result = []
    for row in rows:
        image = listed.get(row["path"])
        label = image.wnid if image is not None else row["wnid"]
        if under is not None and label not in under:
            continue
        result.append({**row, "label": label, "missing": image is None or not image.present})
    return result

"""Exports: subtree lists, image lists, class maps, superclasses, folder trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.exports.export import (
        ExportRequest,
        classmap_text,
        format_subtree,
        run_export,
        select_images,
        subtree_rows,
        write_atomically,
    )

__all__ = [
    "ExportRequest",
    "classmap_text",
    "format_subtree",
    "run_export",
    "select_images",
    "subtree_rows",
    "write_atomically",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".export": (
            "ExportRequest",
            "classmap_text",
            "format_subtree",
            "run_export",
            "select_images",
            "subtree_rows",
            "write_atomically",
        ),
    },
)

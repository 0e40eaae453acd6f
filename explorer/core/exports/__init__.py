"""Exports: subtree lists, image lists, class maps, superclasses, folder trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.exports.choices import (
        CLASSMAP_FORMATS,
        EXPORT_KINDS,
        FLAGGED_CHOICES,
        FOLDER_KINDS,
        FOLDER_MODES,
        FORMATS,
        IMAGE_FORMATS,
        IMAGE_KINDS,
        OVERLAP_CHOICES,
        SUBTREE_FORMATS,
        ClassmapFormat,
        ExportKind,
        Flagged,
        FolderMode,
        ImageFormat,
        OnOverlap,
        SubtreeFormat,
        file_suffix,
    )
    from explorer.core.exports.export import (
        ExportReport,
        ExportRequest,
        ExportResult,
        classmap_text,
        format_subtree,
        run_export,
        select_images,
        subtree_rows,
        write_atomically,
    )
    from explorer.core.exports.tree import nested_subtree

__all__ = [
    "CLASSMAP_FORMATS",
    "EXPORT_KINDS",
    "FLAGGED_CHOICES",
    "FOLDER_KINDS",
    "FOLDER_MODES",
    "FORMATS",
    "IMAGE_FORMATS",
    "IMAGE_KINDS",
    "OVERLAP_CHOICES",
    "SUBTREE_FORMATS",
    "ClassmapFormat",
    "ExportKind",
    "ExportReport",
    "ExportRequest",
    "ExportResult",
    "Flagged",
    "FolderMode",
    "ImageFormat",
    "OnOverlap",
    "SubtreeFormat",
    "classmap_text",
    "file_suffix",
    "format_subtree",
    "nested_subtree",
    "run_export",
    "select_images",
    "subtree_rows",
    "write_atomically",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".choices": (
            "CLASSMAP_FORMATS",
            "EXPORT_KINDS",
            "FLAGGED_CHOICES",
            "FOLDER_KINDS",
            "FOLDER_MODES",
            "FORMATS",
            "IMAGE_FORMATS",
            "IMAGE_KINDS",
            "OVERLAP_CHOICES",
            "SUBTREE_FORMATS",
            "ClassmapFormat",
            "ExportKind",
            "Flagged",
            "FolderMode",
            "ImageFormat",
            "OnOverlap",
            "SubtreeFormat",
            "file_suffix",
        ),
        ".export": (
            "ExportReport",
            "ExportRequest",
            "ExportResult",
            "classmap_text",
            "format_subtree",
            "run_export",
            "select_images",
            "subtree_rows",
            "write_atomically",
        ),
        ".tree": ("nested_subtree",),
    },
)

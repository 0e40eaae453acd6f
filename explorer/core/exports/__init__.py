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
        ExportFormat,
        ExportKind,
        Flagged,
        FolderMode,
        ImageFormat,
        OnOverlap,
        SubtreeFormat,
        file_suffix,
    )
    from explorer.core.exports.classmaps import classmap_text
    from explorer.core.exports.export import (
        PREVIEW_ROWS,
        ExportRequest,
        ExportResult,
        SubtreeRow,
        format_subtree,
        run_export,
        subtree_rows,
    )
    from explorer.core.exports.images import Selection, select_images
    from explorer.core.exports.tree import TreeNode, nested_subtree
    from explorer.core.exports.writing import ExportReport, write_atomically, write_streaming

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
    "PREVIEW_ROWS",
    "SUBTREE_FORMATS",
    "ClassmapFormat",
    "ExportFormat",
    "ExportKind",
    "ExportReport",
    "ExportRequest",
    "ExportResult",
    "Flagged",
    "FolderMode",
    "ImageFormat",
    "OnOverlap",
    "Selection",
    "SubtreeFormat",
    "SubtreeRow",
    "TreeNode",
    "classmap_text",
    "file_suffix",
    "format_subtree",
    "nested_subtree",
    "run_export",
    "select_images",
    "subtree_rows",
    "write_atomically",
    "write_streaming",
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
            "ExportFormat",
            "ExportKind",
            "Flagged",
            "FolderMode",
            "ImageFormat",
            "OnOverlap",
            "SubtreeFormat",
            "file_suffix",
        ),
        ".classmaps": ("classmap_text",),
        ".export": (
            "PREVIEW_ROWS",
            "ExportRequest",
            "ExportResult",
            "SubtreeRow",
            "format_subtree",
            "run_export",
            "subtree_rows",
        ),
        ".images": ("Selection", "select_images"),
        ".writing": ("ExportReport", "write_atomically", "write_streaming"),
        ".tree": ("TreeNode", "nested_subtree"),
    },
)

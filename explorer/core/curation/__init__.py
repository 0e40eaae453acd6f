"""Curation: the flag store (journal, snapshots, recovery), commands with undo, exchange."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.curation.commands import (
        CurationTally,
        ImageRef,
        QueueItem,
        UndoStack,
        clear_images,
        export_rows,
        flag_images,
        hash_files,
        ilsvrc2012_classes,
        import_flags,
        import_label_errors,
        mark_reviewed,
        read_export,
        relink_after_scan,
        write_export,
    )
    from explorer.core.curation.queues import QueuedImage, merge_queue, review_queue
    from explorer.core.curation.states import (
        EMPTY,
        LONGEST,
        REASON_TABLE,
        REASONS,
        REVIEWED_COLOUR,
        Flag,
        ImageState,
        Review,
    )
    from explorer.core.curation.storage import (
        catalogue_path_for,
        flags_path_for,
        journal_path,
        rejected_path,
        snapshots_dir,
    )
    from explorer.core.curation.store import FlagStore, default_curator

__all__ = [
    "EMPTY",
    "LONGEST",
    "REASONS",
    "REASON_TABLE",
    "REVIEWED_COLOUR",
    "CurationTally",
    "Flag",
    "FlagStore",
    "ImageRef",
    "ImageState",
    "QueueItem",
    "QueuedImage",
    "Review",
    "UndoStack",
    "catalogue_path_for",
    "clear_images",
    "default_curator",
    "export_rows",
    "flag_images",
    "flags_path_for",
    "hash_files",
    "ilsvrc2012_classes",
    "import_flags",
    "import_label_errors",
    "journal_path",
    "mark_reviewed",
    "merge_queue",
    "read_export",
    "rejected_path",
    "relink_after_scan",
    "review_queue",
    "snapshots_dir",
    "write_export",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".commands": (
            "CurationTally",
            "ImageRef",
            "QueueItem",
            "UndoStack",
            "clear_images",
            "export_rows",
            "flag_images",
            "hash_files",
            "ilsvrc2012_classes",
            "import_flags",
            "import_label_errors",
            "mark_reviewed",
            "read_export",
            "relink_after_scan",
            "write_export",
        ),
        ".queues": (
            "QueuedImage",
            "merge_queue",
            "review_queue",
        ),
        ".states": (
            "EMPTY",
            "Flag",
            "ImageState",
            "LONGEST",
            "REASONS",
            "REASON_TABLE",
            "REVIEWED_COLOUR",
            "Review",
        ),
        ".storage": (
            "catalogue_path_for",
            "flags_path_for",
            "journal_path",
            "rejected_path",
            "snapshots_dir",
        ),
        ".store": (
            "FlagStore",
            "default_curator",
        ),
    },
)

"""Curation: the flag store (journal, snapshots, recovery), commands with undo, exchange."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.curation.choices import EXCHANGE_FORMATS
    from explorer.core.curation.commands import (
        Command,
        CurationTally,
        ImageRef,
        QueueItem,
        UndoStack,
        apply_fresh,
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
    from explorer.core.curation.lookup import image_refs, mark_row_pages, mark_rows
    from explorer.core.curation.queues import QueuedImage, merge_queue, queue_entries, review_queue
    from explorer.core.curation.states import (
        EMPTY,
        LONGEST,
        REASON_CODES,
        REASON_TABLE,
        REASONS,
        REVIEWED_COLOUR,
        Flag,
        ImageState,
        ReasonCode,
        Review,
        is_reason,
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
    "EXCHANGE_FORMATS",
    "LONGEST",
    "REASONS",
    "REASON_CODES",
    "REASON_TABLE",
    "REVIEWED_COLOUR",
    "Command",
    "CurationTally",
    "Flag",
    "FlagStore",
    "ImageRef",
    "ImageState",
    "QueueItem",
    "QueuedImage",
    "ReasonCode",
    "Review",
    "UndoStack",
    "apply_fresh",
    "catalogue_path_for",
    "clear_images",
    "default_curator",
    "export_rows",
    "flag_images",
    "flags_path_for",
    "hash_files",
    "ilsvrc2012_classes",
    "image_refs",
    "import_flags",
    "import_label_errors",
    "is_reason",
    "journal_path",
    "mark_reviewed",
    "mark_row_pages",
    "mark_rows",
    "merge_queue",
    "queue_entries",
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
        ".choices": ("EXCHANGE_FORMATS",),
        ".commands": (
            "Command",
            "CurationTally",
            "ImageRef",
            "QueueItem",
            "UndoStack",
            "apply_fresh",
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
        ".lookup": (
            "image_refs",
            "mark_row_pages",
            "mark_rows",
        ),
        ".queues": (
            "QueuedImage",
            "merge_queue",
            "queue_entries",
            "review_queue",
        ),
        ".states": (
            "EMPTY",
            "Flag",
            "ImageState",
            "LONGEST",
            "REASONS",
            "REASON_CODES",
            "REASON_TABLE",
            "REVIEWED_COLOUR",
            "ReasonCode",
            "Review",
            "is_reason",
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

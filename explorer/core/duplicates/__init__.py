"""Near-duplicates: perceptual hashes per file version, the pair search, each pair judged by
the hierarchy, and what curators decide about pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.duplicates.choices import DEFAULT_DISTANCE, RELATIONS, Relation
    from explorer.core.duplicates.decisions import flag_duplicate, mark_not_duplicate, twin_note
    from explorer.core.duplicates.hashing import THREADS, HashSummary, hash_catalogue
    from explorer.core.duplicates.output import CSV_FIELDS, write_pairs_csv, write_pairs_json
    from explorer.core.duplicates.pairs import (
        DuplicatePair,
        DuplicateReport,
        DuplicateSummary,
        dismissed_pairs,
        find_duplicates,
    )
    from explorer.core.duplicates.search import Pairs, near_pairs
    from explorer.core.duplicates.session import DuplicateJob, DuplicateSession

__all__ = [
    "CSV_FIELDS",
    "DEFAULT_DISTANCE",
    "RELATIONS",
    "THREADS",
    "DuplicateJob",
    "DuplicatePair",
    "DuplicateReport",
    "DuplicateSession",
    "DuplicateSummary",
    "HashSummary",
    "Pairs",
    "Relation",
    "dismissed_pairs",
    "find_duplicates",
    "flag_duplicate",
    "hash_catalogue",
    "mark_not_duplicate",
    "near_pairs",
    "twin_note",
    "write_pairs_csv",
    "write_pairs_json",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".decisions": ("flag_duplicate", "mark_not_duplicate", "twin_note"),
        ".hashing": ("THREADS", "HashSummary", "hash_catalogue"),
        ".output": ("CSV_FIELDS", "write_pairs_csv", "write_pairs_json"),
        ".choices": ("DEFAULT_DISTANCE", "RELATIONS", "Relation"),
        ".pairs": (
            "DuplicatePair",
            "DuplicateReport",
            "DuplicateSummary",
            "dismissed_pairs",
            "find_duplicates",
        ),
        ".search": ("Pairs", "near_pairs"),
        ".session": ("DuplicateJob", "DuplicateSession"),
    },
)

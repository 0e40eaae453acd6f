"""Counts over the DAG and coverage gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.analysis.counts import CountPropagator, Counts, compute_counts
    from explorer.core.analysis.gaps import (
        BASES,
        COVERAGE_COLOURS,
        COVERAGE_FORMATS,
        SORT_KEYS,
        Basis,
        CoverageFormat,
        CoverageResult,
        CoverageRow,
        CoverageStatus,
        RowStatus,
        SortKey,
        StatusColours,
        coverage,
        coverage_status,
        format_coverage,
        read_targets,
    )

__all__ = [
    "BASES",
    "COVERAGE_COLOURS",
    "COVERAGE_FORMATS",
    "SORT_KEYS",
    "Basis",
    "CountPropagator",
    "Counts",
    "CoverageFormat",
    "CoverageResult",
    "CoverageRow",
    "CoverageStatus",
    "RowStatus",
    "SortKey",
    "StatusColours",
    "compute_counts",
    "coverage",
    "coverage_status",
    "format_coverage",
    "read_targets",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".counts": (
            "CountPropagator",
            "Counts",
            "compute_counts",
        ),
        ".gaps": (
            "BASES",
            "COVERAGE_FORMATS",
            "SORT_KEYS",
            "COVERAGE_COLOURS",
            "Basis",
            "CoverageFormat",
            "CoverageResult",
            "CoverageRow",
            "CoverageStatus",
            "RowStatus",
            "SortKey",
            "StatusColours",
            "coverage",
            "coverage_status",
            "format_coverage",
            "read_targets",
        ),
    },
)

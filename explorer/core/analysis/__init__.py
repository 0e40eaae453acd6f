"""Counts over the DAG and coverage gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.core._lazy import lazy_exports

if TYPE_CHECKING:
    from explorer.core.analysis.counts import CountPropagator, Counts, compute_counts
    from explorer.core.analysis.coverage_map import (
        SIZE_BY,
        HistogramBin,
        IcicleCell,
        SizeBy,
        count_histogram,
        icicle,
    )
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
        GapTable,
        RowStatus,
        SortKey,
        StatusColours,
        TableKey,
        coverage,
        coverage_status,
        format_coverage,
        gap_table,
        prepare_coverage,
        priority,
        read_targets,
    )

__all__ = [
    "BASES",
    "COVERAGE_COLOURS",
    "COVERAGE_FORMATS",
    "SIZE_BY",
    "SORT_KEYS",
    "Basis",
    "CountPropagator",
    "Counts",
    "CoverageFormat",
    "CoverageResult",
    "CoverageRow",
    "CoverageStatus",
    "GapTable",
    "HistogramBin",
    "IcicleCell",
    "RowStatus",
    "SizeBy",
    "SortKey",
    "StatusColours",
    "TableKey",
    "compute_counts",
    "count_histogram",
    "coverage",
    "coverage_status",
    "format_coverage",
    "gap_table",
    "icicle",
    "prepare_coverage",
    "priority",
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
        ".coverage_map": (
            "SIZE_BY",
            "HistogramBin",
            "IcicleCell",
            "SizeBy",
            "count_histogram",
            "icicle",
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
            "GapTable",
            "RowStatus",
            "SortKey",
            "StatusColours",
            "TableKey",
            "coverage",
            "gap_table",
            "prepare_coverage",
            "coverage_status",
            "priority",
            "format_coverage",
            "read_targets",
        ),
    },
)
